//! Backup bundles (export, inspect, restore) and imports of other systems'
//! backups and configuration files.
//!
//! Architecture invariant: this crate is the only one that knows tar and gzip.
#![deny(missing_docs)]
