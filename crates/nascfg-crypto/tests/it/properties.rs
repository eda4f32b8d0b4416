//! Property tests of seal/open.

use std::sync::LazyLock;

use nascfg_crypto::{Error, SealedValue, SealingKey, Seed, open, seal};
use proptest::prelude::*;

static KEY: LazyLock<SealingKey> =
    LazyLock::new(|| SealingKey::derive(&Seed::from_bytes(&[7; 32]).unwrap()));
static OTHER: LazyLock<SealingKey> =
    LazyLock::new(|| SealingKey::derive(&Seed::from_bytes(&[8; 32]).unwrap()));

fn secret() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..300)
}

fn context() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..400)
}

proptest! {
    #[test]
    fn round_trip(plaintext in secret(), ctx in context()) {
        let sealed = seal(&KEY, &plaintext, &ctx);
        prop_assert_eq!(&open(&KEY, &sealed, &ctx).unwrap()[..], &plaintext[..]);
        let parsed = SealedValue::parse(&sealed.to_text()).unwrap();
        prop_assert_eq!(&parsed, &sealed);
        prop_assert_eq!(&open(&KEY, &parsed, &ctx).unwrap()[..], &plaintext[..]);
    }

    #[test]
    fn any_bit_flip_fails(plaintext in secret(), ctx in context(), bit in any::<prop::sample::Index>()) {
        let text = seal(&KEY, &plaintext, &ctx).to_text();
        let mut bytes = text.into_bytes();
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        // A flipped bit either breaks the text (not UTF-8, not the format) or
        // changes the key id, nonce, ciphertext or tag: never opens.
        if let Ok(text) = String::from_utf8(bytes) {
            let result = SealedValue::parse(&text).and_then(|sealed| open(&KEY, &sealed, &ctx));
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn other_context_is_damaged(plaintext in secret(), ctx in context(), other in context()) {
        prop_assume!(ctx != other);
        let sealed = seal(&KEY, &plaintext, &ctx);
        prop_assert!(matches!(open(&KEY, &sealed, &other), Err(Error::Damaged)));
    }

    #[test]
    fn other_seed_is_wrong_key(plaintext in secret(), ctx in context()) {
        let sealed = seal(&KEY, &plaintext, &ctx);
        let err = open(&OTHER, &sealed, &ctx).unwrap_err();
        let right = matches!(err, Error::WrongKey { expected, found } if expected == OTHER.key_id() && found == KEY.key_id());
        prop_assert!(right, "{}", err);
    }

    #[test]
    fn parse_never_panics(text in ".{0,200}") {
        let _ = SealedValue::parse(&text);
    }

    #[test]
    fn parse_never_panics_near_the_format(body in "[A-Za-z0-9_=+/-]{0,80}", id in "[0-9a-fA-F]{14,18}", v in "[0-9]{0,4}") {
        let _ = SealedValue::parse(&format!("nsv{v}.{id}.{body}"));
    }
}

#[test]
fn nonces_differ() {
    let a = seal(&KEY, b"same", b"ctx");
    let b = seal(&KEY, b"same", b"ctx");
    assert_ne!(a, b);
}
