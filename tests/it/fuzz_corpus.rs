//! The fuzz targets' seed corpora (`fuzz/corpus/<target>/`): inputs that pass
//! each format's front checks, so that fuzzing starts deep (manifest, hashes,
//! the SQLite checks, the TrueNAS tables and pwenc, AEAD opening). This test
//! builds them and checks that each one reaches as deep as it is meant to;
//! with `NASCFG_WRITE_FUZZ_CORPUS=DIR` set it also writes them under DIR
//! (`cargo xtask fuzz-corpus` does, before every fuzz run).
//!
//! The keys here are the fuzz targets' own fixed keys: the sealing key
//! derived from the seed 0, 1, ..., 31 (`fuzz_targets/sealed_value.rs`),
//! the TrueNAS secret 0x42 * 32 (`truenas_import.rs`), the rclone config
//! password "fuzz" (`rclone_conf.rs`).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Read as _;
use std::path::{Path, PathBuf};

use nascfg_credentials::{Credential, Reveal, Shape};
use nascfg_crypto::{SealingKey, Seed, open, seal_with_nonce};
use nascfg_interop::pwenc::Writer as PwencWriter;
use nascfg_interop::{rclone, truenas};
use secrecy::SecretString;
use serde_json::Value;

use super::hostile_input::header;
use super::import_truenas::{Row, SEED, build_db, build_tar, full_backup_in};

/// One seed: the target it feeds, a file name, the bytes.
type Seeds = Vec<(&'static str, String, Vec<u8>)>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}

/// The golden bundles as they are, and the gzip ones also as the plain tar
/// inside (the reader takes both).
fn bundle_seeds(seeds: &mut Seeds) {
    let dir = root().join("tests/fixtures/bundles");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tar"))
        .collect();
    names.sort();
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        if let Some(stem) = name.strip_suffix(".tar.gz") {
            let mut plain = Vec::new();
            // A truncated fixture gives what precedes the damage.
            let _ = flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut plain);
            if !plain.is_empty() {
                seeds.push(("bundle_reader", format!("{stem}.tar"), plain));
            }
        }
        seeds.push(("bundle_reader", name, bytes));
    }
    extension_seeds(seeds, &dir);
}

/// Tar extension headers: the golden bundle with a PAX record before each
/// member, as Python's tarfile writes (read whole), and with a GNU long
/// name first (refused from its header).
fn extension_seeds(seeds: &mut Seeds, dir: &Path) {
    let gz = std::fs::read(dir.join("good-no-seed.tar.gz")).unwrap();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut plain)
        .unwrap();
    let mut pax = Vec::new();
    let mut at = 0;
    while at + 512 <= plain.len() && plain[at..at + 512].iter().any(|b| *b != 0) {
        let octal = std::str::from_utf8(&plain[at + 124..at + 135]).unwrap();
        let size = usize::from_str_radix(octal.trim_matches(['\0', ' ']), 8).unwrap();
        let end = at + 512 + size.next_multiple_of(512);
        let record = b"20 mtime=1767225600\n";
        pax.extend_from_slice(&header("././@PaxHeader", b'x', record.len() as u64));
        pax.extend_from_slice(record);
        pax.resize(pax.len().next_multiple_of(512), 0);
        pax.extend_from_slice(&plain[at..end]);
        at = end;
    }
    pax.extend_from_slice(&plain[at..]);
    let members =
        nascfg_tar::read_members(&pax[..], &nascfg_tar::Limits::default(), |_| true).unwrap();
    assert_eq!(
        members.len(),
        2,
        "the PAX seed reads like the golden bundle"
    );
    seeds.push(("bundle_reader", "pax-records.tar".into(), pax));
    let mut long = header("././@LongLink", b'L', 1 << 20);
    long.extend_from_slice(&[b'n'; 512]);
    long.extend_from_slice(&plain);
    seeds.push(("bundle_reader", "gnu-long-name.tar".into(), long));
}

/// The tar reader's own target starts from the archives both of its callers
/// read: the bundles (gzip and plain, with extension headers) and the
/// TrueNAS tars, all already built above.
fn tar_seeds(seeds: &mut Seeds) {
    let tars: Seeds = seeds
        .iter()
        .filter(|(target, name, _)| {
            (*target == "bundle_reader" && !name.ends_with(".age"))
                || (*target == "truenas_import" && name.ends_with(".tar"))
        })
        .map(|(_, name, bytes)| ("tar_reader", name.clone(), bytes.clone()))
        .collect();
    // Most pass the reader whole (the bad bundles break bundle rules, not tar's).
    let read = tars
        .iter()
        .filter(|(_, _, bytes)| {
            nascfg_tar::read_members(&bytes[..], &nascfg_tar::Limits::default(), |_| true).is_ok()
        })
        .count();
    assert!(read >= 20, "{read} of {} tar seeds read", tars.len());
    seeds.extend(tars);
}

/// A test key pair (no other use): TrueNAS keeps SSH keys in its keychain.
const SSH_PRIVATE: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDMum7ivvl0LCrGjoz0WTj5QDrPMs8ILPcF4NdDmnKZEAAAAJC2keAstpHg
LAAAAAtzc2gtZWQyNTUxOQAAACDMum7ivvl0LCrGjoz0WTj5QDrPMs8ILPcF4NdDmnKZEA
AAAEDvSTHs71WdWgl9ZcGCAAbPuRiROp9acAjuQKzo+AtXhsy6buK++XQsKsaOjPRZOPlA
Os8yzwgs9wXg10OacpkQAAAAC2Z1enotY29ycHVzAQI=
-----END OPENSSH PRIVATE KEY-----
";
const SSH_PUBLIC: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMy6buK++XQsKsaOjPRZOPlAOs8yzwgs9wXg10OacpkQ fuzz-corpus\n";

/// TrueNAS backups in the documented layout: the tar with its secret (the
/// target reads the embedded one when the first byte is even: "f"), the bare
/// database (odd first byte "S": the target passes the secret file), and
/// small ones without a check value or without rows.
fn truenas_seeds(seeds: &mut Seeds, tmp: &Path) {
    let (tar, db) = full_backup_in(tmp, SSH_PRIVATE, SSH_PUBLIC);
    for (path, name) in [(&tar, "full.tar"), (&db, "full.db")] {
        let backup = truenas::Backup::read(path, Some(&secret_file(tmp))).unwrap();
        assert!(backup.credential_count() >= 9 && backup.keypair_count() == 1);
        seeds.push((
            "truenas_import",
            name.to_owned(),
            std::fs::read(path).unwrap(),
        ));
    }
    let no_rows: &[Row] = &[];
    for (name, check) in [
        ("empty-unpadded-check", Some(PwencWriter::Unpadded)),
        ("empty-no-check", None),
    ] {
        let db = tmp.join(format!("{name}.db"));
        build_db(&db, &SEED, check, no_rows, &[]);
        let tar = tmp.join(format!("{name}.tar"));
        build_tar(&tar, &db, &SEED);
        truenas::Backup::read(&tar, None).unwrap();
        seeds.push((
            "truenas_import",
            format!("{name}.tar"),
            std::fs::read(&tar).unwrap(),
        ));
        seeds.push((
            "truenas_import",
            format!("{name}.db"),
            std::fs::read(&db).unwrap(),
        ));
    }
}

fn secret_file(tmp: &Path) -> PathBuf {
    let path = tmp.join("pwenc_secret");
    std::fs::write(&path, SEED).unwrap();
    path
}

/// Sealed values under the target's key and context (they open), one under
/// another context (the AEAD refuses it) and one under another key.
fn sealed_seeds(seeds: &mut Seeds) {
    let key = |first: u8| {
        let bytes: Vec<u8> = (first..first + 32).collect();
        SealingKey::derive(&Seed::from_bytes(&bytes).unwrap())
    };
    let ours = key(0);
    let context = b"credential:7/secret_access_key";
    for (i, plain) in [
        &b""[..],
        b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        &[0xa5; 300],
    ]
    .into_iter()
    .enumerate()
    {
        let sealed = seal_with_nonce(&ours, plain, context, [i as u8; 12]);
        assert_eq!(&open(&ours, &sealed, context).unwrap()[..], plain);
        seeds.push((
            "sealed_value",
            format!("open-{i}"),
            sealed.to_text().into_bytes(),
        ));
    }
    let other_context = seal_with_nonce(&ours, b"x", b"credential:8/pass", [9; 12]);
    assert!(open(&ours, &other_context, context).is_err());
    let other_key = seal_with_nonce(&key(1), b"x", context, [9; 12]);
    for (name, sealed) in [("other-context", other_context), ("other-key", other_key)] {
        seeds.push((
            "sealed_value",
            name.to_owned(),
            sealed.to_text().into_bytes(),
        ));
    }
}

/// Every provider's documents from the credential model's fixtures: the
/// valid inputs, each also in both output shapes, and the invalid ones.
fn credential_seeds(seeds: &mut Seeds) {
    let dir = root().join("crates/nascfg-credentials/tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for (i, case) in doc["valid"].as_array().unwrap().iter().enumerate() {
            let input = &case["input"];
            let cred = Credential::from_api_json(input).unwrap();
            seeds.push((
                "credential_json",
                format!("{stem}-{i}"),
                input.to_string().into_bytes(),
            ));
            for (tag, shape) in [("current", Shape::Current), ("legacy", Shape::Legacy)] {
                let out = cred.to_api_json(shape, Reveal::Revealed).to_string();
                seeds.push((
                    "credential_json",
                    format!("{stem}-{i}-{tag}"),
                    out.into_bytes(),
                ));
            }
        }
        for (i, case) in doc["invalid"].as_array().into_iter().flatten().enumerate() {
            let input = case["input"].to_string().into_bytes();
            seeds.push(("credential_json", format!("{stem}-invalid-{i}"), input));
        }
    }
}

/// Remotes of the kinds nascfg maps, with obscured passwords ("password",
/// rclone's own vector), as rclone writes them.
const RCLONE_CONF: &str = "[s3]
type = s3
provider = AWS
access_key_id = AKIAEXAMPLE
secret_access_key = wJalrXUtnFEMI/K7MDENG
region = eu-west-1
endpoint =

[b2]
type = b2
account = 0012ab
key = K001secret

[ftp]
type = ftp
host = ftp.example.com
user = me
port = 2121
pass = PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH

[sftp]
type = sftp
host = sftp.example.com
user = backup
pass = PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH
key_file = /root/.ssh/id_ed25519

[dav]
type = webdav
url = https://dav.example.com/remote.php/dav
vendor = nextcloud
user = me
pass = PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH

[drive]
type = drive
scope = drive
token = {\"access_token\":\"ya29.x\",\"token_type\":\"Bearer\",\"refresh_token\":\"1//r\",\"expiry\":\"2030-01-01T00:00:00Z\"}

[onedrive]
type = onedrive
drive_type = personal
drive_id = b!xyz
token = {\"access_token\":\"x\",\"token_type\":\"Bearer\",\"refresh_token\":\"r\",\"expiry\":\"2030-01-01T00:00:00Z\"}

[azure]
type = azureblob
account = acct
key = a2V5

[crypt]
type = crypt
remote = s3:bucket
password = PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH
";

/// rclone.conf files: the plain one above, one remote per file, the same
/// encrypted under the target's password "fuzz" (RCLONE_ENCRYPT_V0), and
/// rclone's own encryption vector (password "asdf": the target fails it).
fn rclone_seeds(seeds: &mut Seeds) {
    let conf = rclone::Conf::parse(RCLONE_CONF.as_bytes(), None).unwrap();
    assert!(
        conf.sections()
            .iter()
            .filter(|s| rclone::credential_from_section(s).is_ok())
            .count()
            >= 6,
        "most remotes map to credentials"
    );
    seeds.push((
        "rclone_conf",
        "all.conf".to_owned(),
        RCLONE_CONF.as_bytes().to_vec(),
    ));
    for (i, section) in conf.sections().iter().enumerate() {
        let mut copy = rclone::Section::new(section.name());
        for (key, value) in section.entries() {
            copy.set(key, value);
        }
        let mut one = rclone::Conf::new();
        one.push(copy);
        let text = one.to_text().as_bytes().to_vec();
        seeds.push(("rclone_conf", format!("{}.conf", section.name()), text));
        if i < 2 {
            let password = SecretString::from("fuzz".to_owned());
            let enc = one.to_encrypted_text(&password, [i as u8; 24]);
            rclone::Conf::parse(enc.as_bytes(), Some(&password)).unwrap();
            seeds.push((
                "rclone_conf",
                format!("{}.enc.conf", section.name()),
                enc.into_bytes(),
            ));
        }
    }
    let password = SecretString::from("fuzz".to_owned());
    let enc = conf.to_encrypted_text(&password, [7; 24]);
    seeds.push(("rclone_conf", "all.enc.conf".to_owned(), enc.into_bytes()));
    let vector = "RCLONE_ENCRYPT_V0:\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXgQmGS/fSHQOQJHrn6QQJmItJBi046qDiO+UiEEJXxS5necdGj0Y=\n";
    seeds.push((
        "rclone_conf",
        "rclone-vector.enc.conf".to_owned(),
        vector.into(),
    ));
}

/// The OAuth parsers (`oauth_redirect.rs`: the first byte picks the parser): redirects this
/// login accepts (state `fuzz-state-4711`), a bare code, token answers, a Graph drive list.
fn oauth_seeds(seeds: &mut Seeds) {
    const STATE: &str = "fuzz-state-4711";
    let uri = nascfg_oauth::redirect_uri(53682);
    let pastes = [
        (
            0u8,
            format!("http://127.0.0.1:53682/?code=c0de&state={STATE}"),
        ),
        (
            0,
            format!(
                "http://127.0.0.1:53682/?code=c&state={STATE}&locationid=2&hostname=eapi.pcloud.com"
            ),
        ),
        (
            0,
            format!(
                "http://localhost:53682/?error=access_denied&error_description=no&state={STATE}"
            ),
        ),
        (0x80, "displayed-code-123".to_owned()),
    ];
    for (i, (mode, text)) in pastes.iter().enumerate() {
        let parsed = nascfg_oauth::parse_pasted(text, STATE, &uri, mode & 0x80 != 0);
        // The error redirect passes the state check and stops at `error=`.
        assert!(parsed.is_ok() || text.contains("error="), "{text}");
        let mut bytes = vec![*mode];
        bytes.extend_from_slice(text.as_bytes());
        seeds.push(("oauth_redirect", format!("paste-{i}"), bytes));
    }
    let answers = [
        r#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r"}"#,
        r#"{"access_token":"a","token_type":"bearer","hostname":"eapi.pcloud.com","result":0}"#,
        r#"{"access_token":"a","expires_in":"60"}"#,
    ];
    for (i, text) in answers.iter().enumerate() {
        assert!(
            nascfg_oauth::TokenAnswer::parse(text.as_bytes()).is_ok(),
            "{text}"
        );
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(text.as_bytes());
        seeds.push(("oauth_redirect", format!("token-{i}"), bytes));
    }
    let drives = r#"{"value":[{"id":"b!1","name":"OneDrive","driveType":"business"}]}"#;
    assert_eq!(
        nascfg_oauth::parse_drives(drives.as_bytes()).unwrap().len(),
        1
    );
    let mut bytes = vec![2u8];
    bytes.extend_from_slice(drives.as_bytes());
    seeds.push(("oauth_redirect", "drives".to_owned(), bytes));
}

/// The private-key reader (`private_key.rs`, passphrase `fixture-pass`): the key fixtures
/// in every format, plain and encrypted, each read to a key.
fn private_key_seeds(seeds: &mut Seeds) {
    let dir = root().join("tests/fixtures/keys");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".key"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        let parsed = nascfg_store::parse_private_key(&text, &mut || {
            Some(SecretString::from("fixture-pass"))
        });
        assert!(parsed.is_ok(), "{name}: {parsed:?}");
        seeds.push(("private_key", name, text.into_bytes()));
    }
}

/// SLIP-39 shares, one a line: every set of the specification's vectors
/// (valid and refused), and a 3-of-5 split of ours with iteration exponent 0
/// (the target combines only those) as 3, 4 and 5 shares.
fn slip39_seeds(seeds: &mut Seeds) {
    let path = root().join("crates/nascfg-crypto/tests/data/slip39-vectors.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (i, vector) in vectors.as_array().unwrap().iter().enumerate() {
        let lines: Vec<&str> = vector[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        seeds.push((
            "slip39_share",
            format!("vector-{i}"),
            lines.join("\n").into_bytes(),
        ));
    }
    let secret: Vec<u8> = (0..32).collect();
    let shares = nascfg_crypto::split(&secret, 3, 5, b"", 0).unwrap();
    for k in 3..=5 {
        let text: Vec<String> = shares[..k]
            .iter()
            .map(|s| s.to_words().to_string())
            .collect();
        let parsed: Vec<nascfg_crypto::Share> = text
            .iter()
            .map(|t| nascfg_crypto::Share::parse(t).unwrap())
            .collect();
        assert_eq!(
            &nascfg_crypto::combine(&parsed, b"").unwrap()[..],
            &secret[..]
        );
        seeds.push((
            "slip39_share",
            format!("ours-{k}-of-5"),
            text.join("\n").into_bytes(),
        ));
    }
}

/// Seed share files: as `seed export --shares` writes them (rendered with a
/// fingerprint), with a byte-order mark and CRLF line ends, and bare words as
/// another SLIP-39 tool writes them. Each parses, so the target starts at
/// its render-and-parse-again check.
fn share_file_seeds(seeds: &mut Seeds) {
    let seed = Seed::from_bytes(&(0..32).collect::<Vec<u8>>()).unwrap();
    let shares = nascfg_crypto::split(seed.expose_bytes(), 2, 3, b"", 0).unwrap();
    let date = time::Date::from_calendar_date(2026, time::Month::December, 6).unwrap();
    let rendered =
        nascfg_store::ShareFile::render(&shares[0], 3, "nas01", &seed.fingerprint(), date);
    let crlf = format!("\u{feff}{}", rendered.replace('\n', "\r\n"));
    let bare = format!("{}\n", shares[1].to_words().as_str());
    for (name, text) in [
        ("rendered.txt", rendered.as_str().to_owned()),
        ("bom-crlf.txt", crlf),
        ("bare.txt", bare),
    ] {
        let parsed = nascfg_store::ShareFile::parse(&text);
        assert!(parsed.is_ok(), "{name}: {parsed:?}");
        seeds.push(("share_file", name.to_owned(), text.into_bytes()));
    }
}

/// JSON-RPC frames of the TrueNAS-compatible API: requests whose filters and
/// options parse, so the target starts inside the filter code.
fn jsonrpc_seeds(seeds: &mut Seeds) {
    let frames = [
        (
            "ping",
            r#"{"jsonrpc":"2.0","id":1,"method":"core.ping","params":[]}"#,
        ),
        (
            "query",
            r#"{"jsonrpc":"2.0","id":2,"method":"cloudsync.credentials.query","params":[[["provider.type","in",["S3","B2"]],["name","C^","s"]],{"order_by":["-name"],"limit":2,"offset":1,"select":["id","provider.type"]}]}"#,
        ),
        (
            "or",
            r#"{"jsonrpc":"2.0","id":3,"method":"cloudsync.credentials.query","params":[[["OR",[[["id",">",1],["id","<=",3]],["name","~","^b[0-9]?$"]]]],{"get":true,"count":false}]}"#,
        ),
        (
            "login",
            r#"{"jsonrpc":"2.0","id":"x","method":"auth.login_ex","params":[{"mechanism":"API_KEY_PLAIN","username":"root","api_key":"1-abc"}]}"#,
        ),
    ];
    for (name, frame) in frames {
        let v: Value = serde_json::from_str(frame).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        nascfg_web::fuzz_jsonrpc(frame.as_bytes());
        seeds.push(("jsonrpc", format!("{name}.json"), frame.as_bytes().to_vec()));
    }
}

/// Manifest signatures (`sshsig.rs`) over its fixed message: made by the
/// `ssh-key` crate as nascfg signs (SHA-512), with SHA-256, and in another
/// namespace, each checked to read; and allowed_signers files
/// (`allowed_signers.rs`) listing its fixed key with every option.
fn signature_seeds(seeds: &mut Seeds) {
    use nascfg_store::ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, rand_core::OsRng};
    const MESSAGE: &[u8] = b"{\"format\": \"nascfg-bundle\", \"version\": 1}\n";
    let key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
    for (name, namespace, hash) in [
        (
            "sha512",
            nascfg_bundle::SIGNATURE_NAMESPACE,
            HashAlg::Sha512,
        ),
        (
            "sha256",
            nascfg_bundle::SIGNATURE_NAMESPACE,
            HashAlg::Sha256,
        ),
        ("namespace-file", "file", HashAlg::Sha512),
    ] {
        let sig = key.sign(namespace, hash, MESSAGE).unwrap();
        let pem = sig.to_pem(LineEnding::LF).unwrap();
        let verified = nascfg_bundle::verify_manifest(pem.as_bytes(), MESSAGE);
        assert_eq!(
            verified.is_ok(),
            namespace != "file",
            "{name}: {verified:?}"
        );
        seeds.push(("sshsig", format!("{name}.sig"), pem.into_bytes()));
    }
    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRMvDIlXR0U+89fxwhUSrY+zSYqqAAvuhL0TYE0NR/I";
    let files = [
        ("plain", format!("nas1 {KEY} comment\n")),
        (
            "namespaces",
            format!(
                "# fleet\nnas1,nas2 namespaces=\"nascfg-bundle@v1\" {KEY}\n\"a b\" namespaces=\"*,!file\" {KEY}\n"
            ),
        ),
        (
            "validity",
            format!("nas1 valid-after=\"20200101\",valid-before=\"20991231235959Z\" {KEY}\n"),
        ),
        (
            "cert-authority",
            format!("*@example.com cert-authority {KEY}\n"),
        ),
    ];
    let at = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let key = nascfg_store::ssh_key::PublicKey::from_openssh(KEY).unwrap();
    for (name, text) in files {
        let parsed =
            nascfg_bundle::AllowedSigners::parse(Path::new("seed"), text.as_bytes()).unwrap();
        assert_eq!(
            parsed
                .find(&key, nascfg_bundle::SIGNATURE_NAMESPACE, at)
                .is_some(),
            name != "cert-authority",
            "{name}"
        );
        seeds.push(("allowed_signers", name.to_owned(), text.into_bytes()));
    }
}

#[test]
fn fuzz_seeds_reach_deep() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seeds = Seeds::new();
    bundle_seeds(&mut seeds);
    truenas_seeds(&mut seeds, tmp.path());
    tar_seeds(&mut seeds);
    sealed_seeds(&mut seeds);
    credential_seeds(&mut seeds);
    rclone_seeds(&mut seeds);
    oauth_seeds(&mut seeds);
    private_key_seeds(&mut seeds);
    slip39_seeds(&mut seeds);
    share_file_seeds(&mut seeds);
    jsonrpc_seeds(&mut seeds);
    signature_seeds(&mut seeds);
    for target in [
        "bundle_reader",
        "truenas_import",
        "tar_reader",
        "sealed_value",
        "credential_json",
        "rclone_conf",
        "oauth_redirect",
        "private_key",
        "slip39_share",
        "share_file",
        "jsonrpc",
        "sshsig",
        "allowed_signers",
    ] {
        assert!(
            seeds.iter().filter(|s| s.0 == target).count() >= 3,
            "{target}"
        );
    }
    let Some(out) = std::env::var_os("NASCFG_WRITE_FUZZ_CORPUS") else {
        return;
    };
    let out = PathBuf::from(out);
    for (target, name, bytes) in &seeds {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
    eprintln!("wrote {} seeds under {}", seeds.len(), out.display());
}

/// Seeds of the recipients_file and identity_file targets (issue 27): files the
/// real tools wrote (`age-keygen`, `ssh-keygen`), each checked to parse.
#[test]
fn recipients_fuzz_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{cmd:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let mut seeds: Vec<(&str, String, Vec<u8>)> = Vec::new();
    let age_key = tmp.path().join("age.txt");
    run(std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&age_key));
    let age_recipient = run(std::process::Command::new("age-keygen")
        .arg("-y")
        .arg(&age_key));
    let mut lines = vec![format!("# admins\n{}", age_recipient.trim())];
    seeds.push((
        "identity_file",
        "age".into(),
        std::fs::read(&age_key).unwrap(),
    ));
    for (kind, pass) in [("ed25519", ""), ("rsa", ""), ("ed25519", "locked")] {
        let key = tmp.path().join(format!("id_{kind}_{}", pass.len()));
        run(std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", pass, "-C", "fuzz@seed", "-f"])
            .arg(&key));
        seeds.push((
            "identity_file",
            format!(
                "ssh-{kind}-{}",
                if pass.is_empty() {
                    "plain"
                } else {
                    "encrypted"
                }
            ),
            std::fs::read(&key).unwrap(),
        ));
        lines.push(std::fs::read_to_string(key.with_extension("pub")).unwrap());
    }
    seeds.push((
        "recipients_file",
        "all".into(),
        lines.join("\n").into_bytes(),
    ));
    for (i, line) in lines.iter().enumerate() {
        seeds.push((
            "recipients_file",
            format!("one-{i}"),
            line.clone().into_bytes(),
        ));
    }
    for (target, name, bytes) in &seeds {
        match *target {
            "recipients_file" => {
                nascfg_crypto::parse_recipients_file(bytes).unwrap();
            }
            _ if name.ends_with("encrypted") => assert!(matches!(
                nascfg_crypto::parse_identity_file(bytes, &mut || None),
                Err(nascfg_crypto::Error::IdentityPassphraseRequired)
            )),
            _ => {
                nascfg_crypto::parse_identity_file(bytes, &mut || None).unwrap();
            }
        }
    }
    let Some(out) = std::env::var_os("NASCFG_WRITE_FUZZ_CORPUS") else {
        return;
    };
    let out = PathBuf::from(out);
    for (target, name, bytes) in &seeds {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}
