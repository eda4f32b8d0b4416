//! The outbound plumbing that nascfg-oauth, nascfg-verify and nascfg-remote
//! share: one HTTP client configuration (ureq 3 over rustls with the web
//! roots, no proxies from the environment, no redirects followed), connect
//! and overall deadlines, one-line excerpts of answers with secrets scrubbed,
//! the test-only endpoint rebasing, and (features `ftp`, `ssh`) the FTP and SSH sessions that
//! verify and remote both open.
//!
//! Architecture invariant: nascfg-net knows no provider and no check; it
//! depends on no other nascfg crate.
//!
//! ```
//! use std::time::Duration;
//! use nascfg_net::{Deadline, Endpoints, HttpClient, scrub};
//!
//! let http = HttpClient::new(Duration::from_secs(15), Deadline::after(Duration::from_secs(30)));
//! let url = Endpoints::real().url("https://api.box.com/2.0/folders/0").unwrap();
//! assert_eq!(url.host_str(), Some("api.box.com"));
//! assert_eq!(scrub("token abcdef refused", &["abcdef"]), "token ******** refused");
//! # drop(http);
//! ```
#![deny(missing_docs)]

mod deadline;
mod endpoints;
mod error;
mod excerpt;
#[cfg(feature = "ftp")]
mod ftp;
mod http;
#[cfg(feature = "ssh")]
mod ssh;

pub use crate::deadline::{Deadline, connect_tcp, run_bounded, timed_out_text};
pub use crate::endpoints::Endpoints;
pub use crate::error::Error;
pub use crate::excerpt::{REDACTED, first_line, scrub, truncate};
#[cfg(feature = "ftp")]
pub use crate::ftp::{FtpOpenError, ftp_open};
pub use crate::http::{HttpClient, HttpResponse, header_texts, io_excerpt, status_line};
#[cfg(feature = "ssh")]
pub use crate::ssh::{HostKeyCheck, HostKeys, SshAuthError, ssh_authenticate};
pub use secrecy;
pub use url;
