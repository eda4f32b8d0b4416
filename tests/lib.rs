//! End-to-end tests of nascfg across crates and of the `nascfg` binary; the
//! tests live in `it/`.
