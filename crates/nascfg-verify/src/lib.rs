//! Checks a credential against the real service it belongs to.
//!
//! Architecture invariant: this crate is the only one that opens network connections.
#![deny(missing_docs)]
