//! Backup bundles (export, inspect, restore) and imports of other systems'
//! backups and configuration files.
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
mod import;
mod inspect;
mod manifest;
mod pwenc;
mod rclone;
mod restore;
mod truenas;

pub use archive::{Limits, Member, MemberReader, is_gzip, read_members, visit_members};
pub use error::{Error, Result};
pub use export::{
    ExportOptions, ExportReport, ProgressFn, default_bundle_name, default_bundle_name_now, export,
    host_name,
};
pub use import::{ImportItem, ImportOptions, ImportReport, ImportStatus};
pub use inspect::{Inspection, Restorability, bundle_limits, inspect, is_encrypted};
pub use manifest::{
    Counts, DATABASE_NAME, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME, Manifest, MemberEntry,
    SEED_NAME,
};
pub use pwenc::{PwencSecret, PwencWriter};
pub use rclone::{
    MAX_CONF_LEN, RcloneConf, RcloneExport, RcloneImport, RcloneRemote, RcloneSection,
    RcloneSkipped, RcloneTarget, rclone_credential, rclone_export, rclone_import, rclone_obscure,
    rclone_reveal, rclone_section,
};
pub use restore::{RestoreCase, RestoreOptions, RestoreReport, restore};
pub use truenas::{MAX_TRUENAS_DB, TruenasBackup, truenas_import};
