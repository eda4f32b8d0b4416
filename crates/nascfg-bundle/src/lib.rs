//! Backup bundles (export, inspect, restore, diff). Every bundle is read
//! through nascfg-tar's safe reader, with [`Limits`] ([`bundle_limits`]).
//!
//! Architecture invariant: this crate writes tar and gzip; only it and
//! nascfg-tar (which reads them) know either.
//!
//! What changed between a bundle and this box, and whether anything did
//! (`backup push --if-changed`):
//!
//! ```no_run
//! use nascfg_bundle::{Configuration, UnlockWith, diff};
//! use nascfg_store::{DataDir, Store};
//!
//! let store = Store::open(&DataDir::resolve(None)?)?;
//! let this_box = Configuration::from_store(&store)?;
//! let bundle = Configuration::from_bundle("nas.tar.gz".as_ref(), &UnlockWith::none(), store.seed().ok())?;
//! let changes = diff(&bundle, &this_box);
//! println!("{}", changes.to_json());
//! let unchanged = bundle.manifest().and_then(|m| m.content_sha256.as_deref())
//!     == nascfg_bundle::content_digest(&store)?.as_deref();
//! # Ok::<(), nascfg_bundle::Error>(())
//! ```
#![deny(missing_docs)]

mod archive;
mod config;
mod diff;
mod error;
mod export;
mod inspect;
mod manifest;
mod progress;
mod restore;
mod signature;
mod unlock;

pub use archive::Limits;
pub use config::{Configuration, content_digest};
pub use diff::{
    AttributeChange, Changes, CredentialChange, CredentialDiff, CredentialEntry, Diff,
    KeypairChange, KeypairDiff, KeypairEntry, KnownHost, KnownHostChange, KnownHostDiff, Rename,
    SecretChange, SecretChangeKind, SecretsCompared, SeedChange, ValueChange, diff,
};
pub use error::{Error, Result};
pub use export::{
    Existing, ExportOptions, ExportReport, WrittenBundle, default_bundle_name,
    default_bundle_name_now, export, export_to_writer, host_name,
};
pub use inspect::{Inspection, Restorability, bundle_limits, inspect, peek_manifest};
pub use manifest::{
    Counts, DATABASE_NAME, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME, Manifest, MemberEntry,
    SEED_NAME,
};
pub use progress::ProgressFn;
pub use restore::{RestoreCase, RestoreOptions, RestoreReport, restore};
pub use signature::{
    AllowedSigners, MAX_ALLOWED_SIGNERS_SIZE, SIGNATURE_NAME, SIGNATURE_NAMESPACE, SignedBy,
    Signer, SignerPolicy, match_pattern_list, verify_manifest,
};
pub use unlock::{Unlock, UnlockWith};
