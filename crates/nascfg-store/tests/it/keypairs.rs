use std::cell::Cell;
use std::path::Path;
use std::process::Command;

use nascfg_credentials::secrecy::{ExposeSecret, SecretString};
use nascfg_store::{Error, KeyType, Store, parse_private_key};

use crate::{sftp, temp_dir};

#[test]
fn generate_import_delete_unbinds() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let kp = store.generate_keypair("k1", KeyType::Ed25519).unwrap();
    assert_eq!(kp.key_type, "ed25519");
    assert!(kp.public_key.starts_with("ssh-ed25519 AAAA"));
    assert!(kp.fingerprint.starts_with("SHA256:"));
    let private = store.keypair_private("k1").unwrap();
    assert!(
        private
            .expose_secret()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
    );
    // Import the same text under another name: same public key.
    let imported = store.import_keypair("k2", &private).unwrap();
    assert_eq!(imported.fingerprint, kp.fingerprint);
    assert!(matches!(
        store.generate_keypair("k1", KeyType::Ed25519),
        Err(Error::Duplicate { .. })
    ));
    store.add_credential(&sftp("s1", "p", Some("k1"))).unwrap();
    store.add_credential(&sftp("s0", "p", Some("k1"))).unwrap();
    store.add_credential(&sftp("s2", "p", Some("k2"))).unwrap();
    // In use: refused, naming the users, nothing changed.
    match store.delete_keypair("k1") {
        Err(Error::KeypairInUse { name, credentials }) => {
            assert_eq!(name, "k1");
            assert_eq!(credentials, ["s0", "s1"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.list_keypairs().unwrap().len(), 2);
    assert_eq!(
        store.credential("s1").unwrap().text("private_key"),
        Some("k1")
    );
    let unbound = store.delete_keypair_and_unbind("k1").unwrap();
    assert_eq!(unbound, ["s0", "s1"]);
    assert_eq!(store.credential("s1").unwrap().text("private_key"), None);
    assert_eq!(
        store.credential("s2").unwrap().text("private_key"),
        Some("k2")
    );
    assert_eq!(store.list_keypairs().unwrap().len(), 1);
    assert!(matches!(
        store.delete_keypair("k1"),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_keypair_and_unbind("k1"),
        Err(Error::NotFound { .. })
    ));
    // Unused: deleted without --force.
    store.delete_credential("s2").unwrap();
    store.delete_keypair("k2").unwrap();
    assert!(store.list_keypairs().unwrap().is_empty());
}

#[test]
fn bad_private_keys_are_refused() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    for text in [
        "",
        "hello",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
        "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
        "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n",
        "PuTTY-User-Key-File-3: ssh-ed25519\n",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: BF-CBC,0011223344556677\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
    ] {
        let r = store.import_keypair("x", &SecretString::from(text.to_owned()));
        assert!(matches!(r, Err(Error::InvalidKey { .. })), "{text:?}");
    }
    assert!(store.list_keypairs().unwrap().is_empty());
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys");
const FIXTURE_PASS: &str = "fixture-pass";

/// `type base64` of an OpenSSH public key line.
fn core(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A private (0600) copy of `key` in a temporary directory: git checks files
/// out 0644, and `ssh-keygen` refuses to read a private key others can read.
fn private_copy(key: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("key");
    std::fs::copy(key, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).unwrap();
    (dir, copy)
}

/// The public key `ssh-keygen -y` reads from `path`.
fn ssh_keygen_public(path: &Path) -> String {
    let (_dir, private) = private_copy(path);
    let out = Command::new("ssh-keygen")
        .args(["-y", "-P", FIXTURE_PASS, "-f"])
        .arg(&private)
        .output()
        .expect("ssh-keygen (openssh-client) is installed by .ci/setup");
    assert!(out.status.success(), "ssh-keygen -y {}", path.display());
    core(&String::from_utf8(out.stdout).unwrap())
}

/// Parses `file` (with `passphrase` if asked for) and compares the public key
/// with `expected`; returns how often the passphrase was asked for.
fn check(file: &str, passphrase: Option<&str>, expected: &str) -> usize {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join(file)).unwrap();
    let asked = Cell::new(0);
    let key = parse_private_key(&text, &mut || {
        asked.set(asked.get() + 1);
        passphrase.map(|p| SecretString::from(p.to_owned()))
    })
    .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(!key.is_encrypted());
    assert_eq!(
        core(&key.public_key().to_openssh().unwrap()),
        expected,
        "{file}"
    );
    asked.get()
}

/// Keys other tools wrote (see tests/fixtures/keys/README.md): the public key
/// equals `ssh-keygen -y`'s, and the passphrase is asked for only when needed.
#[test]
fn keys_from_other_tools_read_like_ssh_keygen() {
    let fixture = |f: &str| Path::new(FIXTURES).join(f);
    let ed_pkcs8 = core(&std::fs::read_to_string(fixture("ed25519-pkcs8.pub")).unwrap());
    for (file, encrypted, expected) in [
        (
            "ed25519-76col.key",
            false,
            ssh_keygen_public(&fixture("ed25519-76col.key")),
        ),
        (
            "ecdsa-p384-76col.key",
            false,
            ssh_keygen_public(&fixture("ecdsa-p384-76col.key")),
        ),
        (
            "ecdsa-p521-short.key",
            false,
            ssh_keygen_public(&fixture("ecdsa-p521-short.key")),
        ),
        (
            "ecdsa-p521-short-encrypted.key",
            true,
            ssh_keygen_public(&fixture("ecdsa-p521-short.key")),
        ),
        ("ed25519-pkcs8.key", false, ed_pkcs8.clone()),
        ("ed25519-pkcs8-encrypted.key", true, ed_pkcs8.clone()),
        (
            "ecdsa-p256-pkcs8-sha1.key",
            true,
            ssh_keygen_public(&fixture("ecdsa-p256-pkcs8-sha1.key")),
        ),
        (
            "rsa-pkcs1-des3.key",
            true,
            ssh_keygen_public(&fixture("rsa-pkcs1-des3.key")),
        ),
    ] {
        assert_eq!(
            check(file, Some(FIXTURE_PASS), &expected),
            usize::from(encrypted),
            "{file}"
        );
    }
}

/// An encrypted key: no passphrase, a wrong one, each refused distinctly.
#[test]
fn encrypted_keys_need_the_right_passphrase() {
    for file in [
        "ecdsa-p521-short-encrypted.key",
        "ed25519-pkcs8-encrypted.key",
        "ecdsa-p256-pkcs8-sha1.key",
        "rsa-pkcs1-des3.key",
    ] {
        let text = std::fs::read_to_string(Path::new(FIXTURES).join(file)).unwrap();
        let none = parse_private_key(&text, &mut || None);
        assert!(
            matches!(none, Err(Error::KeyPassphraseNeeded)),
            "{file}: {none:?}"
        );
        for wrong in ["fixture-pasS", "", "a much longer wrong passphrase"] {
            let r = parse_private_key(&text, &mut || Some(SecretString::from(wrong.to_owned())));
            assert!(
                matches!(r, Err(Error::KeyPassphraseWrong)),
                "{file} {wrong:?}: {r:?}"
            );
        }
    }
    // The store's import takes no passphrase: an encrypted key is refused.
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let text = std::fs::read_to_string(Path::new(FIXTURES).join("rsa-pkcs1-des3.key")).unwrap();
    assert!(matches!(
        store.import_keypair("x", &SecretString::from(text)),
        Err(Error::KeyPassphraseNeeded)
    ));
    assert!(store.list_keypairs().unwrap().is_empty());
}

/// The body of a PEM-armoured fixture, decoded.
fn armored_body(file: &str) -> (String, Vec<u8>) {
    use base64::Engine as _;
    let text = std::fs::read_to_string(Path::new(FIXTURES).join(file)).unwrap();
    let label = text.lines().next().unwrap().to_owned();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let body = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    (label, body)
}

fn armored(label: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(body);
    let end = label.replace("BEGIN", "END");
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!("{label}\n{}\n{end}\n", lines.join("\n"))
}

/// A key whose passphrase derivation asks for absurd work is refused before
/// any of it is done (the private_key fuzz target hung on an OpenSSH key
/// asking for 2^32 - 1 bcrypt rounds: days of work).
#[test]
fn keys_asking_for_absurd_kdf_work_are_refused() {
    // OpenSSH: kdfoptions = string salt, uint32 rounds; set the rounds.
    let (label, mut body) = armored_body("ecdsa-p521-short-encrypted.key");
    let at = body.windows(6).position(|w| w == b"bcrypt").unwrap() + 6;
    let salt_len = u32::from_be_bytes(body[at + 4..at + 8].try_into().unwrap()) as usize;
    let rounds = at + 8 + salt_len;
    body[rounds..rounds + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let openssh = armored(&label, &body);

    // PKCS#8 PBES2: the PBKDF2 iteration count, re-encoded.
    use pkcs8::der::{Decode as _, Encode as _};
    use pkcs8::pkcs5::{EncryptionScheme, pbes2::Kdf};
    let (label, der) = armored_body("ed25519-pkcs8-encrypted.key");
    let mut info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der).unwrap();
    let EncryptionScheme::Pbes2(params) = &mut info.encryption_algorithm else {
        panic!("the fixture is PBES2");
    };
    let Kdf::Pbkdf2(kdf) = &mut params.kdf else {
        panic!("the fixture uses PBKDF2");
    };
    kdf.iteration_count = u32::MAX;
    let pkcs8_key = armored(&label, &info.to_der().unwrap());

    for (what, text, says) in [
        ("openssh", openssh, "4294967295 bcrypt-pbkdf rounds"),
        ("pkcs8", pkcs8_key, "4294967295 PBKDF2 iterations"),
    ] {
        let asked = Cell::new(0);
        let r = parse_private_key(&text, &mut || {
            asked.set(asked.get() + 1);
            Some(SecretString::from("fixture-pass"))
        });
        let Err(Error::InvalidKey { reason }) = &r else {
            panic!("{what}: {r:?}");
        };
        assert!(reason.contains(says), "{what}: {reason}");
        assert_eq!(asked.get(), 0, "{what}: refused before asking");
    }
}

/// A key without a comment is stored with its name as the comment, and
/// normalized to OpenSSH.
#[test]
fn imported_keys_are_stored_as_openssh() {
    let (_t, dir) = temp_dir();
    let mut store = Store::open(&dir).unwrap();
    let text = std::fs::read_to_string(Path::new(FIXTURES).join("ed25519-pkcs8.key")).unwrap();
    let kp = store
        .import_keypair("from-openssl", &SecretString::from(text))
        .unwrap();
    assert!(
        kp.public_key.ends_with(" from-openssl"),
        "{}",
        kp.public_key
    );
    let private = store.keypair_private("from-openssl").unwrap();
    let reread = nascfg_store::ssh_key::PrivateKey::from_openssh(private.expose_secret()).unwrap();
    assert!(!reread.is_encrypted());
    assert_eq!(reread.public_key().to_openssh().unwrap(), kp.public_key);
}
