//! Tests of nascfg-crypto: one test binary, one module per concern.

mod passphrase;
mod properties;
mod seed;
mod vectors;
