//! The config database of one box: credentials and SSH key pairs with sealed
//! secrets, the data directory, seed rotation.
//!
//! Architecture invariant: this crate is the only one that knows SQL and the schema.
#![deny(missing_docs)]
