//! Backup bundles (export, inspect, restore) and the safe reader every
//! untrusted archive goes through (nascfg-interop reads TrueNAS backup tars
//! with it).
//!
//! Architecture invariant: this crate is the only one that knows tar and gzip.
//!
//! Reading an untrusted archive safely:
//!
//! ```
//! use nascfg_bundle::{Limits, read_members};
//!
//! // An empty tar archive: two zero blocks.
//! let empty = vec![0u8; 1024];
//! let members = read_members(&empty[..], &Limits::default(), |_| true)?;
//! assert!(members.is_empty());
//! # Ok::<(), nascfg_bundle::Error>(())
//! ```
#![deny(missing_docs)]

mod archive;
mod error;
mod export;
mod inspect;
mod manifest;
mod restore;

pub use archive::{Limits, Member, MemberReader, is_gzip, read_members, visit_members};
pub use error::{Error, Result};
pub use export::{
    Existing, ExportOptions, ExportReport, ProgressFn, WrittenBundle, default_bundle_name,
    default_bundle_name_now, export, export_to_writer, host_name,
};
pub use inspect::{Inspection, Restorability, bundle_limits, inspect, is_encrypted, peek_manifest};
pub use manifest::{
    Counts, DATABASE_NAME, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME, Manifest, MemberEntry,
    SEED_NAME,
};
pub use restore::{RestoreCase, RestoreOptions, RestoreReport, restore};
