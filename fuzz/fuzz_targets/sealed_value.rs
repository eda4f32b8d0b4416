//! The sealed-value decoder on arbitrary text: never panics, accepts only the
//! canonical encoding (what parses prints back identically), and opening
//! with a fixed key fails cleanly.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use nascfg_crypto::{SealedValue, SealingKey, Seed, open};

static KEY: LazyLock<SealingKey> = LazyLock::new(|| {
    let bytes: Vec<u8> = (0u8..32).collect();
    match Seed::from_bytes(&bytes) {
        Ok(seed) => SealingKey::derive(&seed),
        Err(_) => unreachable!("32 bytes"),
    }
});

fuzz_target!(|text: &str| {
    if let Ok(sealed) = SealedValue::parse(text) {
        assert_eq!(
            sealed.to_text(),
            text,
            "parser accepted a non-canonical encoding"
        );
        let _ = open(&KEY, &sealed, b"credential:7/secret_access_key");
    }
});
