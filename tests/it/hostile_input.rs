//! Crafted input from the security review (issue 30) and the user review
//! (issue 25) end to end: tar extension headers that declare megabytes of
//! name, an age header asking for gigabytes of scrypt memory, names with
//! terminal escapes in imports, a file that never was a bundle, and the one
//! count of secrets a restore without the seed would lose.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write as _;

use nascfg_tests::cli::{Nascfg, tree};
use nascfg_tests::servers::WebDav;

/// The most a refusal may print, stdout and stderr together.
const SHORT: usize = 4 << 10;

/// One raw 512-byte ustar header of `kind` declaring `size` bytes, written
/// by hand: the tar crate's builder would not write a lying one.
pub(crate) fn header(name: &str, kind: u8, size: u64) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000600");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A tar whose first header is an extension header of `kind` with a body
/// of `size` bytes of name, then `manifest.json`, then the end marker.
fn extension_tar(kind: u8, size: u64) -> Vec<u8> {
    let mut tar = header("././@LongLink", kind, size);
    tar.resize(
        tar.len() + usize::try_from(size).unwrap().next_multiple_of(512),
        b'n',
    );
    tar.extend_from_slice(&header("manifest.json", b'0', 2));
    tar.extend_from_slice(b"{}");
    tar.resize(tar.len().next_multiple_of(512) + 1024, 0);
    tar
}

/// `bytes` gzip-compressed.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[track_caller]
fn refused_short(run: &nascfg_tests::cli::Run, expected: &str) {
    let all = run.transcript();
    assert!(all.contains(expected), "{all}");
    assert!(
        run.stdout.len() + run.stderr.len() < SHORT,
        "{} bytes of output",
        run.stdout.len() + run.stderr.len()
    );
}

#[test]
fn extension_headers_are_refused_from_their_header() {
    let a = Nascfg::new();
    a.ok(&["init"]);
    let before = tree(a.data_dir());
    for (file, kind, size, expected) in [
        (
            "long-name.tar.gz",
            b'L',
            800_000,
            "a GNU long-name header of 800000 bytes",
        ),
        (
            "pax.tar.gz",
            b'x',
            13 << 20,
            "a PAX extended header of 13631488 bytes",
        ),
    ] {
        let path = a.write_file(file, gzip(&extension_tar(kind, size)));
        for args in [
            vec!["backup", "inspect", path.as_str()],
            vec!["backup", "restore", path.as_str()],
            vec!["backup", "restore", path.as_str(), "--dry-run"],
            vec!["backup", "diff", path.as_str(), "-"],
        ] {
            let run = a.fail(&args);
            refused_short(&run, expected);
        }
    }
    assert_eq!(tree(a.data_dir()), before, "nothing changed");
}

#[test]
fn a_file_that_never_was_a_bundle_is_called_so() {
    let a = Nascfg::new();
    a.ok(&["init"]);
    let before = tree(a.data_dir());
    let text = a.write_file("notabundle.txt", "these are my notes\n");
    let gzipped_text = a.write_file("notes.txt.gz", gzip(b"these are my notes\n"));
    let mut transcripts = String::new();
    for path in [&text, &gzipped_text] {
        for verb in ["restore", "inspect"] {
            let run = a.fail(&["backup", verb, path.as_str()]);
            assert!(
                run.stderr.contains("not a nascfg bundle"),
                "{}",
                run.transcript()
            );
            assert!(!run.stderr.contains("another copy"), "{}", run.transcript());
            assert!(!run.stderr.contains("damaged"), "{}", run.transcript());
            transcripts.push_str(&run.stderr);
        }
    }
    assert!(
        transcripts.contains("hint: give a bundle made by `nascfg backup export`"),
        "{transcripts}"
    );
    assert_eq!(tree(a.data_dir()), before, "nothing changed");
}

/// The 266-byte file of the review: real age output at work factor 2^10,
/// its stanza rewritten to ask for 2^23 (8 GiB). The header MAC no longer
/// matches, which only a derivation would find: the refusal comes first.
fn age_asking_for_8_gib(passphrase: &str) -> Vec<u8> {
    let mut w = nascfg_crypto::encrypt_with_passphrase(
        &passphrase.to_owned().into(),
        nascfg_crypto::WorkFactor::new(10),
        Vec::new(),
    )
    .unwrap();
    w.write_all(b"not even a bundle").unwrap();
    let file = w.finish().unwrap();
    let at = file.windows(4).position(|w| w == b" 10\n").unwrap();
    let mut crafted = file[..at].to_vec();
    crafted.extend_from_slice(b" 23\n");
    crafted.extend_from_slice(&file[at + 4..]);
    crafted
}

#[test]
fn an_age_work_factor_beyond_the_ceiling_is_refused_before_deriving() {
    let pass = "a passphrase";
    let a = Nascfg::new();
    a.ok(&["init"]);
    let path = a.write_file("crafted.tar.gz.age", age_asking_for_8_gib(pass));
    for args in [
        vec!["backup", "inspect", path.as_str()],
        vec!["backup", "restore", path.as_str()],
    ] {
        let mut full = args.clone();
        full.extend(["--passphrase-env", "P"]);
        let run: nascfg_tests::cli::Run =
            a.cmd().env("P", pass).args(&full).output().unwrap().into();
        assert_eq!(run.code, 1, "{}", run.transcript());
        refused_short(
            &run,
            "asks for 8 GiB of memory to open (scrypt work factor 2^23)",
        );
    }
}

#[test]
fn push_if_changed_is_not_held_up_by_a_planted_newest_bundle() {
    let pass = "remote-pass";
    let w = WebDav::start();
    let a = Nascfg::new();
    a.ok(&["init"]);
    a.ok(&[
        "cred",
        "add",
        "store",
        "--provider",
        "WEBDAV",
        "--set",
        &format!("url={}", w.url),
        "--set",
        "vendor=OTHER",
        "--set",
        &format!("user={}", w.user),
        "--set",
        &format!("pass={}", w.password),
    ]);
    // Objects another writer of the bucket planted, named as the newest bundles.
    let planted: [(&str, &str, Vec<u8>); 2] = [
        (
            "age",
            "nascfg-h1-20260101T000000Z.tar.gz.age",
            age_asking_for_8_gib(pass),
        ),
        (
            "tar",
            "nascfg-h1-20260101T000000Z.tar.gz",
            gzip(&extension_tar(b'L', 800_000)),
        ),
    ];
    for (dir, name, bytes) in planted {
        let at = w.root().join("backups").join(dir);
        std::fs::create_dir_all(&at).unwrap();
        // Made here as root: nginx's workers must be able to write the push into it.
        for d in [at.clone(), w.root().join("backups")] {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        std::fs::write(at.join(name), bytes).unwrap();
        let location = format!("store:backups/{dir}");
        let run: nascfg_tests::cli::Run = a
            .cmd()
            .env("P", pass)
            .args(["--json", "backup", "push", &location, "--if-changed"])
            .args(["--passphrase-env", "P"])
            .output()
            .unwrap()
            .into();
        assert_eq!(run.code, 0, "{}", run.transcript());
        let pushed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(pushed["pushed"], true, "{pushed}");
        // Reading the planted object itself is refused, briefly.
        let object = format!("{location}/{name}");
        let run: nascfg_tests::cli::Run = a
            .cmd()
            .env("P", pass)
            .args(["backup", "inspect", &object, "--passphrase-env", "P"])
            .output()
            .unwrap()
            .into();
        assert_eq!(run.code, 1, "{}", run.transcript());
        assert!(
            run.stdout.len() + run.stderr.len() < SHORT,
            "{}",
            run.transcript()
        );
    }
}

#[test]
fn import_rclone_prints_no_terminal_escapes() {
    let a = Nascfg::new();
    a.ok(&["init"]);
    let clear = "\u{1b}[2J\u{1b}[H";
    let osc52 = "\u{1b}]52;c;aGVsbG8=\u{7}";
    let conf = format!(
        "[{clear}FAKE: all credentials imported OK]\n\
         type = s3\n\
         provider = AWS\n\
         access_key_id = AKIAIOSFODNN7EXAMPLE\n\
         secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         {osc52}option = x\n\
         \n\
         [clip{osc52}]\n\
         type = {osc52}\n\
         \n\
         [plain]\n\
         type = s3\n\
         provider = AWS\n\
         access_key_id = AKIAIOSFODNN7EXAMPLE\n\
         secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         {clear}weird = y\n"
    );
    let path = a.write_file("rclone.conf", &conf);
    for args in [
        vec!["import", "rclone", path.as_str(), "--dry-run"],
        vec!["import", "rclone", path.as_str()],
    ] {
        let run = a.run(&args);
        let all = run.transcript();
        assert!(
            !all.contains('\u{1b}') && !all.contains('\u{7}'),
            "raw escapes in:\n{all:?}"
        );
        assert!(
            all.contains("\\u{1b}"),
            "the names are shown escaped:\n{all}"
        );
    }
    // JSON keeps the names exact (JSON escapes them itself).
    let run = a.run(&["--json", "import", "rclone", &path, "--dry-run"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let text = report.to_string();
    assert!(!text.contains('\u{1b}'), "{text}");
    let names: Vec<&str> = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source_name"].as_str().or(c["name"].as_str()).unwrap())
        .collect();
    assert!(names.iter().any(|n| n.starts_with(clear)), "{names:?}");
}

#[test]
fn inspect_and_restore_count_the_same_lost_secrets() {
    let a = Nascfg::new();
    a.ok(&["init"]);
    a.ok(&[
        "cred",
        "add",
        "with-secret",
        "--provider",
        "S3",
        "--set",
        "access_key_id=AKIAIOSFODNN7EXAMPLE",
        "--set",
        "secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ]);
    a.ok(&[
        "cred",
        "add",
        "empty-secret",
        "--provider",
        "FTP",
        "--set",
        "host=ftp.example.com",
        "--set",
        "user=anonymous",
        "--set",
        "pass=",
    ]);
    let bundle = a.tmp().join("box.tar.gz");
    a.ok(&["backup", "export", "-o", bundle.to_str().unwrap()]);
    // Another box: another seed, so the secrets cannot be opened.
    let b = Nascfg::new();
    b.ok(&["init"]);
    let inspected = b.json(&["backup", "inspect", bundle.to_str().unwrap()]);
    let restore = &inspected["restore"];
    assert_eq!(restore["case"], "secrets-would-be-lost", "{inspected}");
    // An empty secret is stored sealed like any other, so both credentials
    // lose a sealed value; what matters is that inspect and restore say the same.
    assert_eq!(restore["credentials"], 2, "{inspected}");
    let text = b.ok(&["backup", "inspect", bundle.to_str().unwrap()]);
    assert!(text.contains("(2 credential(s), 0 key pair(s))"), "{text}");
    let refused = b.fail(&["backup", "restore", bundle.to_str().unwrap()]);
    assert!(
        refused
            .stderr
            .contains("would lose the secrets of 2 credential(s) and 0 key pair(s)"),
        "{}",
        refused.transcript()
    );
}

#[test]
fn import_truenas_prints_no_terminal_escapes_and_reads_python_tars() {
    use nascfg_interop::pwenc::Writer as PwencWriter;
    use serde_json::json;

    use super::import_truenas::{Row, SEED, build_db};

    let a = Nascfg::new();
    a.ok(&["init"]);
    let rows = [
        Row(
            1,
            "\u{1b}[2J\u{1b}[HFAKE: all credentials imported OK",
            "S3",
            json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "k"}),
            PwencWriter::Padded,
        ),
        Row(
            2,
            "clip",
            "\u{1b}]52;c;aGVsbG8=\u{7}",
            json!({"x": 1}),
            PwencWriter::Padded,
        ),
        Row(
            3,
            "attrs",
            "S3",
            json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "k",
                   "\u{1b}[31mred": "x"}),
            PwencWriter::Padded,
        ),
    ];
    let db = a.tmp().join("freenas-v1.db");
    build_db(&db, &SEED, Some(PwencWriter::Padded), &rows, &[]);
    let secret = a.tmp().join("pwenc_secret");
    std::fs::write(&secret, SEED).unwrap();
    // The tar as TrueNAS writes it: Python's tarfile, a PAX header before
    // each member.
    let tar = a.tmp().join("truenas.tar");
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, tarfile\n\
             with tarfile.open(sys.argv[1], 'w') as t:\n\
             \x20   t.add(sys.argv[2], arcname='freenas-v1.db')\n\
             \x20   t.add(sys.argv[3], arcname='pwenc_secret')\n",
        ])
        .args([&tar, &db, &secret])
        .status()
        .unwrap();
    assert!(made.success());
    assert_eq!(
        std::fs::read(&tar).unwrap()[156],
        b'x',
        "a PAX header first"
    );
    let tar = tar.to_str().unwrap();
    for args in [
        vec!["import", "truenas", tar, "--dry-run"],
        vec!["import", "truenas", tar],
    ] {
        let run = a.run(&args);
        let all = run.transcript();
        assert!(
            !all.contains('\u{1b}') && !all.contains('\u{7}'),
            "raw escapes in:\n{all:?}"
        );
        assert!(all.contains("\\u{1b}"), "shown escaped:\n{all}");
    }
}
