//! The seed split among people (issue 27.3): `seed export --shares N
//! --threshold K -o DIR` writes SLIP-39 share files; `seed import --share`
//! and `backup restore --seed-share` recover the seed from any K of them.
//! Every refusal names the file, never a word, and changes nothing. The
//! reference implementation (PyPI `shamir-mnemonic` 0.3.0) reads our files'
//! words and writes shares we import.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nascfg_tests::cli::{Nascfg, tree};
use nascfg_tests::python::{SHAMIR_PRELUDE, hex, python};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A box with one S3 credential whose secret is [`SECRET`].
fn old_box() -> Nascfg {
    Nascfg::with_s3_credential("offsite", SECRET)
}

fn fingerprint(n: &Nascfg) -> String {
    n.json(&["seed", "fingerprint"])["seed"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `seed export --shares N --threshold K -o <tmp>/<dir>`; the files written.
fn export_shares(n: &Nascfg, dir: &str, count: u8, threshold: u8) -> Vec<PathBuf> {
    let out = n.tmp().join(dir);
    let json = n.json(&[
        "seed",
        "export",
        "--shares",
        &count.to_string(),
        "--threshold",
        &threshold.to_string(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let files: Vec<PathBuf> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f.as_str().unwrap()))
        .collect();
    assert_eq!(files.len(), usize::from(count));
    files
}

/// `--share F` (or another flag) once per file.
fn share_args<'a>(flag: &'a str, files: &'a [&'a Path]) -> Vec<&'a str> {
    files
        .iter()
        .flat_map(|f| [flag, f.to_str().unwrap()])
        .collect()
}

fn import_args<'a>(files: &'a [&'a Path]) -> Vec<&'a str> {
    let mut args = vec!["seed", "import"];
    args.extend(share_args("--share", files));
    args
}

/// The words line of a share file.
fn words(file: &Path) -> String {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .to_owned()
}

/// The raw seed of `n`, in hex.
fn raw_seed_hex(n: &Nascfg) -> String {
    let raw = n.tmp().join("seed.raw");
    n.ok(&[
        "seed",
        "export",
        "-o",
        raw.to_str().unwrap(),
        "--no-passphrase",
    ]);
    let hex = hex(&std::fs::read(&raw).unwrap());
    std::fs::remove_file(raw).unwrap();
    hex
}

#[test]
fn shares_round_trip_to_a_fresh_box() {
    let old = old_box();
    let fp = fingerprint(&old);
    let files = export_shares(&old, "shares", 5, 3);
    // The directory is private, each file 0600, named and worded as docs/FORMAT.md says.
    let dir = old.tmp().join("shares");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for (i, file) in files.iter().enumerate() {
        let i = i + 1;
        assert_eq!(file, &dir.join(format!("share-{i}-of-5.txt")));
        assert_eq!(
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!("# nascfg seed share {i} of 5: any 3 of the 5 recover the seed")
        );
        assert!(lines[1].starts_with("# box: "), "{text}");
        assert_eq!(lines[2], format!("# seed: {fp}"));
        assert!(lines[3].starts_with("# split: "), "{text}");
        assert_eq!(
            lines[4],
            "# recover: nascfg seed import --share FILE --share FILE --share FILE"
        );
        assert_eq!(lines[7].split(' ').count(), 33, "{text}");
        assert_eq!(lines.len(), 8);
    }
    // Any three recover the seed on a new box; so do all five (the extra ones checked).
    for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
        let new = Nascfg::new();
        let chosen: Vec<&Path> = subset.iter().map(|&i| files[i].as_path()).collect();
        let out = new.ok(&import_args(&chosen));
        assert!(out.contains("installed the seed"), "{out}");
        assert_eq!(fingerprint(&new), fp);
    }
    let all: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let new = Nascfg::new();
    new.ok(&import_args(&all));
    assert_eq!(fingerprint(&new), fp);

    // Existing share files are refused (nothing written) unless --force.
    let before = tree(&dir);
    let run = old.fail(&[
        "seed",
        "export",
        "--shares",
        "5",
        "--threshold",
        "3",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(
        run.stderr.contains("already exists") && run.stderr.contains("--force"),
        "{}",
        run.transcript()
    );
    assert_eq!(before, tree(&dir));
    old.ok(&[
        "seed",
        "export",
        "--shares",
        "5",
        "--threshold",
        "3",
        "-o",
        dir.to_str().unwrap(),
        "--force",
    ]);
    assert_ne!(before, tree(&dir), "--force writes a new split");
}

#[test]
fn one_of_one_is_the_only_threshold_of_one() {
    let old = old_box();
    let fp = fingerprint(&old);
    let files = export_shares(&old, "single", 1, 1);
    let new = Nascfg::new();
    new.ok(&import_args(&[files[0].as_path()]));
    assert_eq!(fingerprint(&new), fp);
    // SLIP-39: a threshold of 1 with several shares would make each share the seed itself.
    for (count, threshold, says) in [
        (
            "3",
            "1",
            "a threshold of 1 is allowed only with a single share",
        ),
        ("2", "3", "at most the number of shares"),
    ] {
        let out = old.tmp().join(format!("bad-{count}-{threshold}"));
        let run = old.fail(&[
            "seed",
            "export",
            "--shares",
            count,
            "--threshold",
            threshold,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(
            run.stderr.contains(says) && run.stderr.contains("hint:"),
            "{}",
            run.transcript()
        );
        assert!(!out.exists(), "a refused split wrote {}", out.display());
    }
    // Out of range or incomplete: usage errors.
    for args in [
        &["--shares", "17", "--threshold", "2"][..],
        &["--shares", "3"][..],
        &["--threshold", "2"][..],
        &["--shares", "3", "--threshold", "2", "--no-passphrase"][..],
    ] {
        let mut all = vec!["seed", "export", "-o", "x"];
        all.extend_from_slice(args);
        assert_eq!(old.run(&all).code, 2, "{args:?}");
    }
}

#[test]
fn restore_with_seed_shares_of_a_bundle_without_its_seed() {
    let old = old_box();
    let bundle = old.tmp().join("box.tar.gz");
    old.ok(&["backup", "export", "-o", bundle.to_str().unwrap()]);
    let files = export_shares(&old, "shares", 3, 2);
    let chosen = [files[2].as_path(), files[0].as_path()];

    let new = Nascfg::new();
    new.ok(&["init"]);
    let mut inspect = vec!["backup", "inspect", bundle.to_str().unwrap()];
    inspect.extend(share_args("--seed-share", &chosen));
    let out = new.ok(&inspect);
    assert!(out.contains("restorable with every secret"), "{out}");

    // One share is not enough: refused, nothing changed.
    let before = tree(new.data_dir());
    let run = new.fail(&[
        "backup",
        "restore",
        bundle.to_str().unwrap(),
        "--seed-share",
        files[1].to_str().unwrap(),
    ]);
    assert!(
        run.stderr
            .contains("1 of the 2 shares needed: 1 more needed"),
        "{}",
        run.transcript()
    );
    assert_eq!(before, tree(new.data_dir()));

    let mut restore = vec!["backup", "restore", bundle.to_str().unwrap()];
    restore.extend(share_args("--seed-share", &chosen));
    new.ok(&restore);
    assert_eq!(
        new.json(&["cred", "show", "offsite", "--reveal"])["provider"]["secret_access_key"],
        SECRET
    );
    assert_eq!(fingerprint(&new), fingerprint(&old));
}

/// A refused `seed import --share`: exit 1, the words in `says` and a hint
/// on stderr, no word of any share echoed, the data directory unchanged.
fn refused(new: &Nascfg, files: &[&Path], says: &[&str], shares: &[&Path]) {
    let before = tree(new.data_dir());
    let run = new.fail(&import_args(files));
    for s in says {
        assert!(
            run.stderr.contains(s),
            "{s:?} missing:\n{}",
            run.transcript()
        );
    }
    assert!(run.stderr.contains("hint:"), "{}", run.transcript());
    assert!(
        run.stderr.contains("nothing was changed"),
        "{}",
        run.transcript()
    );
    for share in shares {
        let words = words(share);
        let words: Vec<&str> = words.split(' ').collect();
        for three in words.windows(3) {
            assert!(
                !run.stderr.contains(&three.join(" ")),
                "share words echoed:\n{}",
                run.transcript()
            );
        }
    }
    assert_eq!(
        before,
        tree(new.data_dir()),
        "a refused import changed files"
    );
}

#[test]
fn each_share_refusal_names_the_file_and_changes_nothing() {
    let old = old_box();
    let files = export_shares(&old, "shares", 5, 3);
    let other = export_shares(&old, "other", 5, 3);
    let f: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let name = |p: &Path| p.to_str().unwrap().to_owned();
    let tmp = old.tmp();

    // A box whose store is empty would accept the right seed: every refusal is the shares'.
    let new = Nascfg::new();
    new.ok(&["init"]);

    refused(
        &new,
        &[f[0], f[1]],
        &["2 of the 3 shares needed: 1 more needed"],
        &[f[0], f[1]],
    );
    refused(
        &new,
        &[f[0]],
        &["1 of the 3 shares needed: 2 more needed"],
        &[f[0]],
    );
    refused(
        &new,
        &[f[0], f[1], &other[2]],
        &[
            &format!(
                "{} is a share of another split than {}",
                name(&other[2]),
                name(f[0])
            ),
            "identifier",
        ],
        &[f[0], f[1], &other[2]],
    );
    refused(
        &new,
        &[f[0], f[1], f[1]],
        &[&format!(
            "{} and {} are the same share (member 2 of the split)",
            name(f[1]),
            name(f[1])
        )],
        &[f[0], f[1]],
    );
    // A copy of a share under another name is the same share too.
    let copy = tmp.join("copy.txt");
    std::fs::copy(f[0], &copy).unwrap();
    refused(
        &new,
        &[f[0], f[1], &copy],
        &["are the same share (member 1 of the split)"],
        &[f[0]],
    );

    // A mistyped word: two words swapped (the checksum), or one not in the list.
    let text = std::fs::read_to_string(f[2]).unwrap();
    let line = words(f[2]);
    let mut w: Vec<&str> = line.split(' ').collect();
    let i = (4..30).find(|&i| w[i] != w[i + 1]).unwrap();
    w.swap(i, i + 1);
    let swapped = tmp.join("swapped.txt");
    std::fs::write(&swapped, text.replace(&line, &w.join(" "))).unwrap();
    refused(
        &new,
        &[f[0], f[1], &swapped],
        &[
            &format!("cannot read the seed share {}", name(&swapped)),
            "checksum does not match",
        ],
        &[f[0], f[1], f[2]],
    );
    let mut w: Vec<&str> = line.split(' ').collect();
    w[6] = "quuxword";
    let unknown = tmp.join("unknown.txt");
    std::fs::write(&unknown, text.replace(&line, &w.join(" "))).unwrap();
    refused(
        &new,
        &[&unknown, f[0], f[1]],
        &[
            &format!("cannot read the seed share {}", name(&unknown)),
            "word 7 is not a SLIP-39 share word",
        ],
        &[f[2]],
    );
    let run = new.fail(&import_args(&[&unknown, f[0], f[1]]));
    assert!(!run.stderr.contains("quuxword"), "{}", run.transcript());

    // Not a share file: too large, not text, no words, several lines of words.
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "large.txt",
            vec![b'#'; 20 * 1024],
            "too large for a share file",
        ),
        ("binary.bin", vec![0xff, 0xfe, 0, 1, 2], "not text"),
        ("empty.txt", Vec::new(), "no line of share words"),
        (
            "two.txt",
            format!("{}\n{}\n", words(f[0]), words(f[1])).into_bytes(),
            "more than one line of words",
        ),
        (
            "prose.txt",
            b"dear diary\n".to_vec(),
            "word 1 is not a SLIP-39 share word",
        ),
    ];
    for (file, contents, says) in cases {
        let path = tmp.join(file);
        std::fs::write(&path, contents).unwrap();
        refused(
            &new,
            &[f[0], &path, f[1]],
            &[&format!("cannot read the seed share {}", name(&path)), says],
            &[f[0], f[1]],
        );
    }
    let missing = tmp.join("missing.txt");
    refused(
        &new,
        &[f[0], f[1], &missing],
        &[&name(&missing), "does not exist"],
        &[],
    );

    // A `# seed:` line that names another seed: the recovered seed is checked against it.
    let fp = fingerprint(&old);
    let edited = tmp.join("edited.txt");
    std::fs::write(
        &edited,
        std::fs::read_to_string(f[2])
            .unwrap()
            .replace(&fp, "nfp1:0000-0000-0000-0000"),
    )
    .unwrap();
    refused(
        &new,
        &[f[0], f[1], &edited],
        &[&format!(
            "the shares recover the seed {fp}, but {} was written for nfp1:0000-0000-0000-0000",
            name(&edited)
        )],
        &[f[0], f[1], f[2]],
    );

    // The same shares on a box whose store holds other secrets: the store refuses.
    let busy = old_box();
    let before = tree(busy.data_dir());
    let run = busy.fail(&import_args(&[f[0], f[1], f[2]]));
    assert!(run.stderr.contains("refused"), "{}", run.transcript());
    assert_eq!(before, tree(busy.data_dir()));
}

#[test]
fn the_reference_combines_the_words_of_our_share_files() {
    let old = old_box();
    let seed = raw_seed_hex(&old);
    let files = export_shares(&old, "shares", 4, 3);
    let program = format!(
        "{SHAMIR_PRELUDE}
shares = [line.strip() for line in sys.stdin if line.strip() and not line.startswith('#')]
print(shamir_mnemonic.combine_mnemonics(shares, b'').hex())
"
    );
    for subset in [[0, 1, 2], [3, 1, 0]] {
        // Whole files, comments and all: python skips the `#` lines as the format says.
        let input: String = subset
            .iter()
            .map(|&i| std::fs::read_to_string(&files[i]).unwrap())
            .collect();
        assert_eq!(python(&program, &input).trim(), seed);
    }
}

#[test]
fn we_import_shares_the_reference_split() {
    let old = old_box();
    let seed = raw_seed_hex(&old);
    let fp = fingerprint(&old);
    let program = format!(
        "{SHAMIR_PRELUDE}
secret = bytes.fromhex(sys.stdin.read().strip())
for group in shamir_mnemonic.generate_mnemonics(1, [(2, 3)], secret, b''):
    for share in group:
        print(share)
"
    );
    let out = python(&program, &seed);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    let new = Nascfg::new();
    // Bare files of words, as another SLIP-39 tool (or a person copying a wallet) writes them.
    let files: Vec<PathBuf> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| PathBuf::from(new.write_file(&format!("py-{i}.txt"), format!("{l}\n"))))
        .collect();
    new.ok(&import_args(&[&files[2], &files[0]]));
    assert_eq!(fingerprint(&new), fp);

    // A split of 16 bytes (a wallet's seed, not a box's) combines, but is no nascfg seed.
    let program16 = format!(
        "{SHAMIR_PRELUDE}
for group in shamir_mnemonic.generate_mnemonics(1, [(2, 2)], bytes(range(16)), b''):
    for share in group:
        print(share)
"
    );
    let out = python(&program16, "");
    let short: Vec<PathBuf> = out
        .lines()
        .enumerate()
        .map(|(i, l)| PathBuf::from(new.write_file(&format!("short-{i}.txt"), l)))
        .collect();
    let fresh = Nascfg::new();
    fresh.ok(&["init"]);
    refused(
        &fresh,
        &[&short[0], &short[1]],
        &["the shares hold a secret of 16 bytes, not a 32-byte nascfg seed"],
        &[&short[0], &short[1]],
    );
}
