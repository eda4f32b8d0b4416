//! A bundle's manifest signature (`manifest.json.sig`): armored SSHSIG
//! blobs, verified over a fixed manifest as a reader does. Never a panic;
//! a signature that verifies names its key, and never verifies over any
//! other message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_bundle::{Error, verify_manifest};

/// The message the corpus's signatures sign (`tests/it/fuzz_corpus.rs`).
const MESSAGE: &[u8] = b"{\"format\": \"nascfg-bundle\", \"version\": 1}\n";

fuzz_target!(|data: &[u8]| {
    match verify_manifest(data, MESSAGE) {
        Ok(key) => {
            assert!(!key.fingerprint(Default::default()).to_string().is_empty());
            assert!(
                matches!(
                    verify_manifest(data, b"another manifest"),
                    Err(Error::SignatureFailed { .. })
                ),
                "a signature verified over two messages"
            );
        }
        Err(
            Error::SignatureMalformed { .. }
            | Error::SignatureFailed { .. }
            | Error::SignatureNamespace { .. },
        ) => {}
        Err(other) => panic!("unexpected error: {other}"),
    }
});
