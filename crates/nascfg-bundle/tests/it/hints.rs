//! Every error carries its guidance; wrapped errors give the inner one's,
//! except where the bundle knows better.

use std::io;

use nascfg_bundle::Error;

#[track_caller]
fn check(error: Error, expected: &str) {
    assert_eq!(error.hint().as_deref(), Some(expected), "{error}");
}

const INTACT: &str = "the file is not an intact nascfg bundle (damaged, truncated or altered); \
                      use another copy. Nothing was changed";

/// A file that never was a bundle: no talk of damage or other copies.
const NOT_A_BUNDLE: &str = "give a bundle made by `nascfg backup export` or `backup push` \
                            (a .tar.gz, or .tar.gz.age with a passphrase). Nothing was changed";

#[test]
fn hints() {
    for never_a_bundle in [
        Error::NotGzip,
        Error::NotTar,
        Error::ManifestMissing,
        Error::ManifestNotFirst,
        Error::UnknownFormat {
            found: "zip".into(),
        },
    ] {
        check(never_a_bundle, NOT_A_BUNDLE);
    }
    check(
        Error::Archive(nascfg_tar::Error::ExtensionHeader {
            kind: "GNU long-name header",
            size: 800_000,
        }),
        INTACT,
    );
    check(Error::Archive(nascfg_tar::Error::Truncated), INTACT);
    // The reader's "not a tar" comes out in the bundle's words.
    let error = Error::from(nascfg_tar::Error::NotTar);
    assert_eq!(
        error.to_string(),
        "not a nascfg bundle: the file is not a tar archive"
    );
    check(error, NOT_A_BUNDLE);
    check(Error::Archive(nascfg_tar::Error::NotTar), NOT_A_BUNDLE);
    check(
        Error::HashMismatch {
            name: "config.db".into(),
        },
        INTACT,
    );
    check(
        Error::WrongPassphrase,
        "check the passphrase; nothing was changed",
    );
    // The passphrase layer: writing it fails like any file, damage is damage.
    check(
        Error::Crypto(nascfg_crypto::Error::Stream(io::Error::from(
            io::ErrorKind::StorageFull,
        ))),
        "check the path and permissions",
    );
    check(
        Error::Crypto(nascfg_crypto::Error::DamagedPassphraseFile),
        INTACT,
    );
    // A store error gives the store's guidance.
    check(
        Error::Store(nascfg_store::Error::Replaced {
            path: "config.db".into(),
        }),
        "run the command again; it changed nothing",
    );
}
