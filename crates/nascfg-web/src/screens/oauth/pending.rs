//! A login under way: what its token goes into, bound to the session that
//! started it.

use nascfg_credentials::ProviderKind;
use nascfg_oauth::Login;
use serde_json::{Map, Value};
use tokio::time::Instant;

/// What the login's token goes into.
pub(crate) enum Target {
    /// A credential the form adds: created once the token is there.
    New {
        name: String,
        provider: ProviderKind,
        values: Map<String, Value>,
    },
    /// A stored credential: the form's changes and the token, under the writer lock.
    Stored {
        original: String,
        rename: Option<String>,
        changes: Map<String, Value>,
        drive_id: Option<String>,
    },
}

impl Target {
    pub(crate) fn name(&self) -> &str {
        match self {
            Target::New { name, .. } => name,
            Target::Stored {
                original, rename, ..
            } => rename.as_deref().unwrap_or(original),
        }
    }
}

/// One login under way.
pub(crate) struct Pending {
    pub(crate) session: String,
    pub(crate) started: Instant,
    pub(crate) login: Login,
    pub(crate) target: Target,
}

// The target's values hold the client secret.
nascfg_credentials::redacted_debug!(Pending {
    login,
    credential: |p| p.target.name(),
    ..
});
