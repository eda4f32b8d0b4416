//! The provider catalog and the credential model of nascfg.
//!
//! Architecture invariant: this crate does no I/O and no cryptography; it only
//! describes, validates and redacts credentials.
#![deny(missing_docs)]
