//! OpenSSH allowed_signers files (`--allowed-signers`): parsed with their
//! limits, never a panic; a file that parses answers `find` for a fixed
//! key, namespace and time, and the pattern matcher takes any text.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nascfg_bundle::{AllowedSigners, Error, SIGNATURE_NAMESPACE, match_pattern_list};
use nascfg_store::ssh_key::PublicKey;

/// The key of the corpus's lines (`tests/it/fuzz_corpus.rs`).
static KEY: LazyLock<PublicKey> = LazyLock::new(|| {
    PublicKey::from_openssh(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRMvDIlXR0U+89fxwhUSrY+zSYqqAAvuhL0TYE0NR/I",
    )
    .expect("a fixed valid key")
});

fuzz_target!(|data: &[u8]| {
    match AllowedSigners::parse(Path::new("allowed_signers"), data) {
        Ok(signers) => {
            let at = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("in range");
            let _ = signers.find(&KEY, SIGNATURE_NAMESPACE, at);
            let _ = signers.notes();
        }
        Err(Error::AllowedSigners { line, .. }) => {
            assert!(line <= data.len() + 1, "a line number past the input");
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Some((subject, patterns)) = text.split_once('\n')
    {
        let _ = match_pattern_list(subject, patterns);
    }
});
