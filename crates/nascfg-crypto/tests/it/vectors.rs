//! Known-answer vectors from tests/vectors/sealed-value.json, generated
//! independently of this crate (tests/vectors/generate.py).

use nascfg_crypto::{Error, SealedValue, SealingKey, Seed, open, seal_with_nonce};
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("../vectors/sealed-value.json");
    serde_json::from_str(text).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex_decode(v.as_str().unwrap())
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn seed(v: &Value) -> Seed {
    Seed::from_bytes(&bytes(v)).unwrap()
}

fn error_name(err: &Error) -> &'static str {
    match err {
        Error::Damaged => "Damaged",
        Error::WrongKey { .. } => "WrongKey",
        Error::UnsupportedVersion(_) => "UnsupportedVersion",
        Error::Malformed(_) => "Malformed",
        _ => "other",
    }
}

#[test]
fn derivation() {
    let v = vectors();
    for case in v["derivation"].as_array().unwrap() {
        let seed = seed(&case["seed"]);
        assert_eq!(
            seed.fingerprint().to_string(),
            case["fingerprint"].as_str().unwrap()
        );
        let key = SealingKey::derive(&seed);
        assert_eq!(key.key_id().to_string(), case["key_id"].as_str().unwrap());
    }
}

#[test]
fn sealed_values() {
    let v = vectors();
    let cases = v["sealed"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let comment = case["comment"].as_str().unwrap();
        let key = SealingKey::derive(&seed(&case["seed"]));
        let nonce: [u8; 12] = bytes(&case["nonce"]).try_into().unwrap();
        let plaintext = bytes(&case["plaintext"]);
        let context = bytes(&case["context"]);
        let text = case["text"].as_str().unwrap();

        let sealed = seal_with_nonce(&key, &plaintext, &context, nonce);
        assert_eq!(sealed.to_text(), text, "{comment}");

        let parsed = SealedValue::parse(text).unwrap();
        assert_eq!(parsed, sealed, "{comment}");
        assert_eq!(parsed.key_id(), key.key_id(), "{comment}");
        assert_eq!(
            &open(&key, &parsed, &context).unwrap()[..],
            &plaintext[..],
            "{comment}"
        );
    }
}

#[test]
fn negative() {
    let v = vectors();
    let cases = v["negative"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let comment = case["comment"].as_str().unwrap();
        let key = SealingKey::derive(&seed(&case["seed"]));
        let context = bytes(&case["context"]);
        let expected = case["error"].as_str().unwrap();
        let got = SealedValue::parse(case["text"].as_str().unwrap())
            .and_then(|sealed| open(&key, &sealed, &context));
        match got {
            Ok(_) => panic!("{comment}: opened, expected {expected}"),
            Err(err) => assert_eq!(error_name(&err), expected, "{comment}: {err}"),
        }
    }
}

#[test]
fn error_texts_name_no_secret() {
    let v = vectors();
    let key = SealingKey::derive(&seed(&v["derivation"][1]["seed"]));
    let good = SealedValue::parse(v["sealed"][1]["text"].as_str().unwrap()).unwrap();
    let err = open(&key, &good, b"credential:7/secret_access_key").unwrap_err();
    assert_eq!(
        err.to_string(),
        "sealed under another seed (the value's key is 7c8a1fa6d1cb397d, this seed's key is e07681d0fd66de0a)"
    );
    let err = SealedValue::parse("nsv2.7c8a1fa6d1cb397d.AAAA").unwrap_err();
    assert_eq!(
        err.to_string(),
        "sealed value in format version 2, but this nascfg reads only version 1; a newer nascfg wrote it"
    );
}
