//! The safe reader every untrusted archive goes through: a bundle
//! (nascfg-bundle) and a TrueNAS backup tar (nascfg-interop). Plain or
//! gzip-compressed tar, regular files only, with safe relative names, each
//! once, under size, count and expansion caps ([`Limits`]); a file that
//! breaks a rule is refused with an [`Error`] that says which.
//!
//! Architecture invariant: this crate and nascfg-bundle (which writes
//! bundles) are the only ones that know tar and gzip; nobody reads an
//! archive but through this reader.
//!
//! ```
//! use nascfg_tar::{Limits, read_members};
//!
//! // An empty tar archive: two zero blocks.
//! let empty = vec![0u8; 1024];
//! let members = read_members(&empty[..], &Limits::default(), |_| true)?;
//! assert!(members.is_empty());
//! # Ok::<(), nascfg_tar::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
mod reader;

pub use error::{Class, Error, Result};
pub use reader::{Limits, Member, MemberReader, is_gzip, read_members, visit_members};
