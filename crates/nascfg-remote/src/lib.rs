//! Backup bundles on a credential's storage: push (upload), list, pull (get),
//! stat, delete, and the retention policy of `prune`.
//!
//! A [`Location`] (`CRED:PATH`) names a place on a stored credential's
//! storage; [`Storage::open`] opens it with the credential and an [`Access`]
//! (deadlines, the SFTP key pair and recorded host key, the credential as an
//! rclone remote). The engines:
//!
//! - OpenDAL for S3 (signature v4), Azure Blob, Google Cloud Storage and
//!   WebDAV, configured from the credential alone;
//! - suppaftp for FTP (explicit TLS when offered, paths under the home);
//! - russh + russh-sftp for SFTP (the private key never leaves memory);
//! - rclone, an installed binary given the credential only through its
//!   environment, for everything else it has a backend for.
//!
//! An upload never leaves a half-written object under its final name (a
//! temporary name then a rename, or a multipart upload completed at the end),
//! and [`Upload::finish`] reads the object back (size and SHA-256) before it
//! reports success. Every message is scrubbed of the credential's secrets.
//!
//! ```
//! use nascfg_remote::{BundleName, Location, Policy, plan};
//!
//! let at = Location::parse("backups:my-bucket/nas1")?;
//! assert_eq!((at.credential(), at.path().as_str()), ("backups", "my-bucket/nas1"));
//! let names = ["nascfg-nas1-20260101T000000Z.tar.gz", "nascfg-nas1-20260102T000000Z.tar.gz"];
//! let bundles: Vec<BundleName> = names.iter().filter_map(|n| BundleName::parse(n)).collect();
//! let decisions = plan(&bundles, Policy { last: 1, ..Policy::default() });
//! assert!(decisions[0].keep() && !decisions[1].keep());
//! # Ok::<(), nascfg_remote::Error>(())
//! ```
#![deny(missing_docs)]

mod access;
mod error;
mod ftp;
mod location;
mod name;
mod opendal_engine;
mod ping;
mod prune;
mod rclone;
mod runtime;
mod s3_checksum;
mod sftp;
mod storage;
mod token;

pub use access::{Access, EngineChoice, Object, RcloneRemote};
pub use error::{Error, Result};
pub use location::Location;
pub use name::{BundleName, CLOCK_SKEW, HostName};
pub use ping::{PingUrl, Signal, ping};
pub use prune::{Decision, Policy, plan, plan_at};
pub use rclone::REMOTE_NAME;
pub use storage::{Checked, Pushed, Storage, Upload, serves_natively, uses_rclone};
pub use token::{RcloneCredential, rclone_credential};
