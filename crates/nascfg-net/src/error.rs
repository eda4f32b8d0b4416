//! The one error of outbound requests.

use std::time::Duration;

use crate::deadline::timed_out_text;

/// Why an outbound request did not get an answer. Never holds a request's
/// body or headers (where secrets travel), only what the transport said.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The overall deadline passed.
    #[error("{}", timed_out_text(*limit))]
    TimedOut {
        /// The overall limit that passed.
        limit: Duration,
    },
    /// Connecting took longer than the connect timeout.
    #[error("connect {}", timed_out_text(*limit))]
    ConnectTimedOut {
        /// The connect timeout.
        limit: Duration,
        /// What the transport said.
        detail: String,
    },
    /// The connection failed or broke: `connection refused`, `host not found`,
    /// `TLS handshake failed: ...`.
    #[error("{excerpt}")]
    Transport {
        /// The one-line reason.
        excerpt: String,
        /// What the transport said in full.
        detail: String,
    },
    /// A URL that is not a valid service URL (a bug in a provider table, or a bad host name).
    #[error("bad service URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request could not be built (a bad method or header).
    #[error("bad HTTP request: {0}")]
    BadRequest(String),
    /// The test endpoint override cannot be applied to a real URL (test builds only).
    #[cfg(feature = "test-endpoints")]
    #[error("cannot apply the endpoint override {base} to {real}")]
    Rebase {
        /// The override.
        base: String,
        /// The real URL.
        real: String,
    },
}

impl Error {
    /// The full text behind the one-line message, when there is more.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::ConnectTimedOut { detail, .. } | Error::Transport { detail, .. } => Some(detail),
            Error::TimedOut { .. } | Error::BadUrl { .. } | Error::BadRequest(_) => None,
            #[cfg(feature = "test-endpoints")]
            Error::Rebase { .. } => None,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::TimedOut { .. } | Error::ConnectTimedOut { .. } => {
                Some("the service did not answer in time: check the network, or give more time")
            }
            Error::Transport { .. } => {
                Some("check the network connection and the service's address")
            }
            Error::BadUrl { .. } | Error::BadRequest(_) => None,
            #[cfg(feature = "test-endpoints")]
            Error::Rebase { .. } => Some("give a base URL such as http://127.0.0.1:8080/"),
        }
    }
}
