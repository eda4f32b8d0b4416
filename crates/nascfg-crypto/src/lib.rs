//! The secret seed and everything derived from it: keys, fingerprints, sealed
//! values and passphrase protection.
//!
//! Architecture invariant: this crate knows nothing of credentials, databases or tar.
#![deny(missing_docs)]
