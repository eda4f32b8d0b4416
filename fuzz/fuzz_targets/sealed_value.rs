//! The sealed-value decoder and `open`, two ways.
//!
//! - Text (first byte even, e.g. the corpus's `nsv1.` values): the decoder
//!   never panics and accepts only the canonical encoding (what parses prints
//!   back identically); opening with the fixed key fails cleanly or gives
//!   the plaintext.
//! - Seal then mutate (first byte odd): the rest describes a plaintext, a
//!   nonce and edits; the value is sealed under the fixed key (so the key ids
//!   match and the AEAD path runs), its text edited, parsed and opened. An
//!   unedited value opens to its plaintext; one edited in place that still
//!   parses never opens (truncation and appended text may rebuild another
//!   authentic value, so those only have to not panic).
#![no_main]

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use nascfg_crypto::{Error, SealedValue, SealingKey, Seed, open, seal_with_nonce};

fn key(first: u8) -> SealingKey {
    let bytes: Vec<u8> = (first..first + 32).collect();
    SealingKey::derive(&Seed::from_bytes(&bytes).expect("32 bytes"))
}

static KEY: LazyLock<SealingKey> = LazyLock::new(|| key(0));
static OTHER: LazyLock<SealingKey> = LazyLock::new(|| key(1));
const CONTEXT: &[u8] = b"credential:7/secret_access_key";

#[derive(Arbitrary, Debug)]
struct Sealing {
    plaintext: Vec<u8>,
    nonce: [u8; 12],
    other_key: bool,
    other_context: bool,
    /// (position, ASCII byte) replacements in the text form.
    edits: Vec<(u16, u8)>,
    truncate: Option<u16>,
    append: String,
}

fn text_mode(text: &str) {
    if let Ok(sealed) = SealedValue::parse(text) {
        assert_eq!(
            sealed.to_text(),
            text,
            "parser accepted a non-canonical encoding"
        );
        let _ = open(&KEY, &sealed, CONTEXT);
    }
}

fn seal_mode(s: Sealing) {
    let key = if s.other_key { &*OTHER } else { &*KEY };
    let context: &[u8] = if s.other_context {
        b"credential:8/pass"
    } else {
        CONTEXT
    };
    let sealed = seal_with_nonce(key, &s.plaintext, context, s.nonce);
    let original = sealed.to_text();
    let mut bytes = original.clone().into_bytes();
    for (pos, b) in s.edits.iter().take(4) {
        if !bytes.is_empty() {
            let i = usize::from(*pos) % bytes.len();
            bytes[i] = b & 0x7f;
        }
    }
    if let Some(t) = s.truncate {
        bytes.truncate(usize::from(t));
    }
    let mut text = String::from_utf8(bytes).expect("ASCII stays UTF-8");
    text.push_str(&s.append);
    let Ok(parsed) = SealedValue::parse(&text) else {
        assert!(text != original, "a sealed value's own text must parse");
        return;
    };
    assert_eq!(parsed.to_text(), text, "non-canonical encoding accepted");
    let opened = open(&KEY, &parsed, CONTEXT);
    // Truncating and appending can rebuild a whole authentic value (the
    // fuzzer learns them from the corpus), so "never opens" is asserted only
    // for in-place edits of our own value: opening one would be a forgery.
    let edited_in_place = s.truncate.is_none() && s.append.is_empty();
    match (text == original, s.other_key, s.other_context) {
        (true, false, false) => {
            assert_eq!(&opened.expect("its own value opens")[..], &s.plaintext[..]);
        }
        (true, true, _) => assert!(matches!(opened, Err(Error::WrongKey { .. }))),
        _ if edited_in_place => {
            assert!(opened.is_err(), "an altered or misplaced value opened")
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    match data.first() {
        Some(b) if b & 1 == 1 => {
            if let Ok(s) = Sealing::arbitrary_take_rest(Unstructured::new(&data[1..])) {
                seal_mode(s);
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(data) {
                text_mode(text);
            }
        }
    }
});
