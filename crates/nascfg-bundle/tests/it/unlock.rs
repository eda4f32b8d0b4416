//! A reading asks its `Unlock` only when the bundle turns out to be
//! encrypted, once, and only the question its first stanza calls for: a
//! plain bundle asks nothing (a front end never prompts for it), a
//! passphrase-protected one its passphrase, one encrypted to recipients its
//! identities, naming the recipients. A refusal is today's error.

use std::cell::RefCell;
use std::path::Path;

use nascfg_bundle::{Configuration, ExportOptions, RestoreOptions, Unlock, UnlockWith};
use nascfg_crypto::secrecy::SecretString;
use nascfg_crypto::{Identity, WorkFactor};
use nascfg_store::{DataDir, Store};

use crate::support::populate;

/// A throwaway age identity, made for this test with `age-keygen`.
const IDENTITY: &str = "AGE-SECRET-KEY-1TRNMYP3FS7LERU2H4Y40HART3FFERL598EX75L5ZKEXMRN0HN6FQSECZ8E";
/// Another, which the bundle is not encrypted to.
const OTHER_IDENTITY: &str =
    "AGE-SECRET-KEY-1C7ACUK84UV7K9ESNUFPZANT0G6ZU3ZU49AJZXRCK5Z7Z8342N74QLHW8UK";
const PASSPHRASE: &str = "correct horse";
const X25519: &str = "X25519 (age's format names no key for it)";

/// Answers as `answer` does, noting every question asked.
struct Asked {
    answer: UnlockWith,
    questions: RefCell<Vec<String>>,
}

impl Unlock for Asked {
    fn request_passphrase(&self, bundle: &Path) -> Option<SecretString> {
        self.questions.borrow_mut().push("passphrase".to_owned());
        self.answer.request_passphrase(bundle)
    }

    fn request_identities(&self, bundle: &Path, recipients: &[String]) -> Vec<Identity> {
        self.questions
            .borrow_mut()
            .push(format!("identities for {}", recipients.join(", ")));
        self.answer.request_identities(bundle, recipients)
    }
}

fn identity() -> Identity {
    nascfg_crypto::parse_identity_file(IDENTITY.as_bytes(), &mut || None)
        .unwrap()
        .remove(0)
}

fn outcome<T>(result: nascfg_bundle::Result<T>) -> String {
    match result {
        Ok(_) => "read".to_owned(),
        Err(nascfg_bundle::Error::Crypto(nascfg_crypto::Error::WrongIdentity {
            recipients,
            given,
        })) => format!("WrongIdentity {recipients:?} given {given:?}"),
        Err(e) => format!("{e:?}"),
    }
}

/// One way of reading a bundle, and how it ended.
type Reading<'a> = dyn Fn(&dyn Unlock) -> String + 'a;

/// Each reading of `bundle` (inspect, the diff's view, a dry-run restore)
/// answered by `answer`: the questions asked and how it ended.
fn check(bundle: &Path, answer: &UnlockWith, expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let readings: [(&str, &Reading<'_>); 3] = [
        ("inspect", &|unlock| {
            outcome(nascfg_bundle::inspect(bundle, unlock, None))
        }),
        ("from_bundle", &|unlock| {
            outcome(Configuration::from_bundle(bundle, unlock, None))
        }),
        ("restore", &|unlock| {
            let options = RestoreOptions {
                dry_run: true,
                unlock,
                ..RestoreOptions::default()
            };
            let target = DataDir::new(tmp.path().join("target"));
            outcome(nascfg_bundle::restore(&target, bundle, &options))
        }),
    ];
    for (reading, read) in readings {
        let asked = Asked {
            answer: answer.clone(),
            questions: RefCell::new(Vec::new()),
        };
        let ended = read(&asked);
        let got = format!("{:?} {ended}", asked.questions.borrow());
        assert_eq!(got, expected, "{reading} of {}", bundle.display());
    }
}

#[test]
fn a_reading_asks_only_what_the_bundle_needs_once() {
    let tmp = tempfile::tempdir().unwrap();
    let source = DataDir::new(tmp.path().join("source"));
    populate(&source, &[(0, "salt".to_owned())], 1);
    let store = Store::open(&source).unwrap();
    let export = |name: &str, options: ExportOptions<'_>| {
        let path = tmp.path().join(name);
        let options = ExportOptions {
            include_seed: true,
            work_factor: WorkFactor::new(10),
            ..options
        };
        nascfg_bundle::export(&store, &path, &options).unwrap();
        path
    };
    let plain = export("plain.tar.gz", ExportOptions::default());
    let protected = export(
        "protected.tar.gz.age",
        ExportOptions {
            passphrase: Some(SecretString::from(PASSPHRASE)),
            ..ExportOptions::default()
        },
    );
    let to_recipients = export(
        "recipients.tar.gz.age",
        ExportOptions {
            recipients: vec![identity().to_recipient().unwrap()],
            ..ExportOptions::default()
        },
    );
    let nothing = UnlockWith::none();
    let passphrase = UnlockWith::with_passphrase(SecretString::from(PASSPHRASE));
    let identities = UnlockWith::with_identities(vec![identity()]);
    let public = identity().fingerprint();

    check(&plain, &nothing, "[] read");
    check(&plain, &passphrase, "[] read");
    check(&plain, &identities, "[] read");

    check(&protected, &passphrase, r#"["passphrase"] read"#);
    check(&protected, &nothing, r#"["passphrase"] PassphraseRequired"#);
    check(
        &protected,
        &identities,
        r#"["passphrase"] PassphraseRequired"#,
    );

    let asked = format!(r#"["identities for {X25519}"]"#);
    check(&to_recipients, &identities, &format!("{asked} read"));
    let refused = format!(r#"{asked} WrongIdentity ["{X25519}"] given []"#);
    check(&to_recipients, &nothing, &refused);
    check(&to_recipients, &passphrase, &refused);
    let other = UnlockWith::with_identities(vec![
        nascfg_crypto::parse_identity_file(OTHER_IDENTITY.as_bytes(), &mut || None)
            .unwrap()
            .remove(0),
    ]);
    let other_public = other.request_identities(&plain, &[])[0].fingerprint();
    assert_ne!(other_public, public);
    check(
        &to_recipients,
        &other,
        &format!(r#"{asked} WrongIdentity ["{X25519}"] given ["{other_public}"]"#),
    );
}
