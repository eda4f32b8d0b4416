//! Remote backups: bundles pushed to, listed on and pulled from a stored
//! credential's storage. What `nascfg backup push|list|pull`, the remote
//! half of `backup inspect|restore|diff CRED:PATH/NAME`, and the web UI's
//! Remote backups screen share.
//!
//! nascfg-bundle writes and checks bundles, nascfg-remote moves bytes,
//! nascfg-interop maps a credential to an rclone remote (for the rclone
//! engine), the store gives the credential, the SFTP key pair and the known
//! host key. This crate joins them: [`open`] a location's storage with its
//! stored credential (the secrets opened for that storage only), [`push`] an
//! export (streamed as it is written, read back before success) or a bundle
//! file, [`list`] the bundles there newest first, [`fetch`] one into a
//! private 0600 file for inspection and restore, or [`pull`] it to a file.
//! An [`Origin`] names where a bundle to read comes from (a file, or
//! `CRED:PATH/NAME`), so `backup inspect|restore|diff` read both alike
//! ([`Local`]); [`contents`] and [`restore_case`] word a bundle's contents and a
//! restore's case once for every front end.
//! It prints nothing: a [`Progress`] hears about transfers, and the results
//! are values.
//!
//! ```
//! use nascfg_backup::{Export, Transfer, can_hold_backups};
//! use nascfg_credentials::ProviderKind;
//! use nascfg_remote::Location;
//!
//! assert!(can_hold_backups(ProviderKind::S3) && !can_hold_backups(ProviderKind::Http));
//! let at = Location::parse("offsite:my-bucket/nas1")?;
//! // The seed never leaves the box without a passphrase.
//! assert!(Export::new(&at, true, None).is_err());
//! assert_eq!(Transfer::Uploading.label(), "uploading");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod error;
mod list;
mod open;
mod origin;
mod progress;
mod pull;
mod push;
mod record;
mod status;
mod summary;
mod watch;

pub use error::{Error, Result};
pub use list::{Listed, bundles, list};
pub use open::{HostKeyRecorded, Opened, Reach, can_hold_backups, open};
pub use origin::{Local, Origin};
pub use progress::{NoProgress, Progress, Transfer};
pub use pull::{Fetched, Overwrite, Pulled, download, fetch, pull};
pub use push::{BundleFile, Export, PushOutcome, PushReport, Source, push, push_as};
pub use record::{
    Attempt, KEEP_DESTINATIONS, KEEP_PER_DESTINATION, Outcome, PushRecord, RECORD_FILE, record,
    record_path,
};
pub use status::{
    Ages, BoxStatus, DEFAULT_MAX_AGE, DEFAULT_WARN_AGE, FleetHost, FleetStatus, HostSummary, Hosts,
    Level, Newest, Seen, StatusReport, box_status, dated_in_the_future, fleet_status, format_age,
    parse_age, prometheus_text, summarize, write_textfile,
};
pub use summary::{Controls, Protection, contents, restore_case, seed_status};
pub use watch::{Ended, PING_TIMEOUT, Watch};
pub use {nascfg_remote, secrecy};
