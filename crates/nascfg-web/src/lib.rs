//! The local web UI, `nascfg serve`: the seed's screens (Credentials, the
//! credential form generated from the catalog, Verify Credential, SSH key
//! pairs, backups and the seed's fingerprint) as server-rendered HTML.
//!
//! The server opens the store per request, as any command does, and takes the
//! writer lock per change, so the CLI and the UI work at the same time. Access
//! needs the one-time login URL printed at start; every state-changing request
//! carries a CSRF token; the Host header is checked (DNS rebinding); secrets are
//! never sent to the browser.
//!
//! ```no_run
//! use nascfg_web::{Config, Server};
//! let config = Config::new(
//!     nascfg_store::DataDir::new("/tmp/nascfg".into()),
//!     "127.0.0.1:8787".parse().expect("an address"),
//! );
//! let server = Server::bind(config)?;
//! println!("{}", server.login_url());
//! server.run()?;
//! # Ok::<(), nascfg_web::Error>(())
//! ```
#![deny(missing_docs)]

mod access;
mod api;
mod app;
mod error;
mod form;
mod page;
mod screens;
mod server;
mod state;

pub use crate::api::{IDLE as API_IDLE, MAX_MESSAGE as API_MAX_MESSAGE};
pub use crate::error::Error;
pub use crate::server::Server;
pub use crate::state::{
    App, Config, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_SESSION_IDLE,
    TlsFiles,
};
pub use axum;

/// Runs untrusted bytes through the API's frame check and query parsers (the
/// fuzz target `jsonrpc`, fuzz/fuzz_targets/jsonrpc.rs). Any input must be
/// answered or refused without a panic.
#[doc(hidden)]
pub fn fuzz_jsonrpc(data: &[u8]) {
    crate::api::fuzz(data)
}
