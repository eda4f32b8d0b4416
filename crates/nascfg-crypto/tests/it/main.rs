//! Tests of nascfg-crypto: one test binary, one module per concern.
// Test helpers outside #[test] functions may unwrap too.
#![allow(clippy::unwrap_used)]

mod errors;
mod passphrase;
mod properties;
mod seed;
mod shares;
mod vectors;
