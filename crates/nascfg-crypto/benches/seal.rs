//! Seal and open of 64-byte secrets, against the bare AES-256-GCM call on the
//! same 64 bytes with the same associated data, in the same run.
//!
//! Goal: at least one million opens per second on one core, within 2x of the
//! bare AEAD call. Run: `cargo bench -p nascfg-crypto`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::{hint::black_box, time::Duration};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use criterion::{Criterion, criterion_group, criterion_main};
use nascfg_crypto::{SealedValue, SealingKey, Seed, open, seal};

/// A realistic context: which credential, which attribute.
const CONTEXT: &[u8] = b"credential:1234/secret_access_key";
/// The associated data nascfg builds for that context (docs/FORMAT.md).
const AAD_PREFIX: &[u8] = b"nascfg/v1/sealed-value\0";

fn bench(c: &mut Criterion) {
    let secret = [0x5Au8; 64];
    let seed = Seed::from_bytes(&[7; 32]).unwrap();
    let key = SealingKey::derive(&seed);
    let sealed = seal(&key, &secret, CONTEXT);
    let text = sealed.to_text();

    let bare = Aes256Gcm::new_from_slice(&[9; 32]).unwrap();
    let nonce = *Nonce::from_slice(&[3; 12]);
    let aad = [AAD_PREFIX, CONTEXT].concat();
    let bare_ct = bare
        .encrypt(
            &nonce,
            Payload {
                msg: &secret,
                aad: &aad,
            },
        )
        .unwrap();

    let mut g = c.benchmark_group("64-byte secret");
    g.bench_function("bare AES-256-GCM encrypt", |b| {
        b.iter(|| {
            bare.encrypt(
                black_box(&nonce),
                Payload {
                    msg: black_box(&secret[..]),
                    aad: black_box(&aad[..]),
                },
            )
            .unwrap()
        })
    });
    g.bench_function("seal", |b| {
        b.iter(|| seal(black_box(&key), black_box(&secret), black_box(CONTEXT)))
    });
    g.bench_function("bare AES-256-GCM decrypt", |b| {
        b.iter(|| {
            bare.decrypt(
                black_box(&nonce),
                Payload {
                    msg: black_box(&bare_ct[..]),
                    aad: black_box(&aad[..]),
                },
            )
            .unwrap()
        })
    });
    g.bench_function("open", |b| {
        b.iter(|| open(black_box(&key), black_box(&sealed), black_box(CONTEXT)).unwrap())
    });
    g.bench_function("parse + open", |b| {
        b.iter(|| {
            let sealed = SealedValue::parse(black_box(&text)).unwrap();
            open(&key, &sealed, black_box(CONTEXT)).unwrap()
        })
    });
    g.bench_function("seal + to_text", |b| {
        b.iter(|| seal(black_box(&key), black_box(&secret), black_box(CONTEXT)).to_text())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
