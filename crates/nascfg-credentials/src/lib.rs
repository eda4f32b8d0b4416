//! The provider catalog and the credential model of nascfg.
//!
//! The catalog describes the 18 cloud providers TrueNAS knows — their type
//! strings, titles and every field with its label, help, kind, default and
//! constraints — as static data that validation, the CLI and the docs all read.
//! A [`Credential`] is a validated name, provider and attributes, with every
//! secret held in a [`secrecy::SecretString`]; its `Debug` and `Display` show
//! secrets as `********`.
//!
//! Architecture invariant: this crate does no I/O and no cryptography; it only
//! describes, validates and redacts credentials.
//!
//! ```
//! use nascfg_credentials::{Credential, ProviderKind, Reveal, Shape};
//! use serde_json::json;
//!
//! let doc = json!({"name": "backup", "provider": {"type": "s3",
//!     "access_key_id": "AKIAIOSFODNN7EXAMPLE",
//!     "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}});
//! let cred = Credential::from_api_json(&doc)?;
//! assert_eq!(cred.provider(), ProviderKind::S3);
//! assert_eq!(cred.integer("max_upload_parts"), Some(10000)); // default filled
//! assert!(!format!("{cred:?}").contains("wJalr")); // redacted
//! let shown = cred.to_api_json(Shape::Legacy, Reveal::Redacted);
//! assert_eq!(shown["attributes"]["secret_access_key"], "********");
//!
//! let bad = json!({"name": "", "provider": {"type": "FTP", "host": "h", "port": 70000}});
//! let err = Credential::from_api_json(&bad).unwrap_err();
//! assert_eq!(err.to_string(), "name: must not be empty\n\
//!     port: must be between 1 and 65535 (got 70000)\n\
//!     user: field required\npass: field required");
//! # Ok::<(), nascfg_credentials::Error>(())
//! ```
#![deny(missing_docs)]

mod credential;
mod document;
mod error;
mod provider;
mod redacted_debug;
mod untrusted;
mod validate;

pub use crate::credential::{AttrValue, Credential, KeysOnly, REDACTED, Reveal, Shape};
pub use crate::document::{OAuthToken, ServiceAccountKey};
pub use crate::error::{Error, FieldError, ValidationErrors};
pub use crate::provider::{DocumentKind, FieldKind, FieldSpec, ProviderKind, ProviderSpec};
pub use crate::untrusted::{UNTRUSTED_SHOWN_CHARS, Untrusted};
pub use crate::validate::validate_name;
pub use secrecy;
