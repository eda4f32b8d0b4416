//! Other systems' formats: TrueNAS configuration backups ([`truenas`], with
//! their secret encryption [`pwenc`]) and rclone.conf ([`rclone`]: read,
//! write, obscure, config encryption, and the mapping to credentials both
//! ways). Imports share one machinery: every candidate is checked against the
//! credential model and the store before anything is stored, then all of it
//! is stored in one transaction ([`ImportOptions`], [`ImportReport`]).
//!
//! Architecture invariant: this crate knows no tar, gzip or SQL. A TrueNAS
//! backup tar is read through nascfg-tar's safe reader and its database
//! through nascfg-store; nothing read is stored before it is validated.
//!
//! Reading an rclone.conf and revealing an obscured password:
//!
//! ```
//! use nascfg_interop::rclone;
//! use nascfg_interop::secrecy::ExposeSecret as _;
//!
//! let text = b"[nas]\ntype = ftp\nhost = 192.0.2.1\nuser = me\npass = PDPcQVVjVtzFY-GTdDFozqBhTdsPg3qH\n";
//! let conf = rclone::Conf::parse(text, None)?;
//! let nas = conf.section("nas").expect("the file has this section");
//! assert_eq!(nas.backend(), Some("ftp"));
//! assert_eq!(rclone::reveal(nas.get("pass").unwrap_or(""))?.expose_secret(), "password");
//!
//! // The credential nascfg would import, validated by the credential model.
//! let (credential, _key) = rclone::credential_from_section(nas).expect("a valid FTP remote");
//! assert_eq!(credential.name(), "nas");
//! # Ok::<(), nascfg_interop::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
mod import;
pub mod pwenc;
pub mod rclone;
pub mod truenas;

pub use error::{Error, Result};
pub use import::{ImportItem, ImportOptions, ImportReport, ImportStatus};
pub use secrecy;
