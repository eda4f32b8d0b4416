//! Verify Credential: the form's credential checked against its service.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use nascfg_store::{DataDir, Store};
use nascfg_verify::Verification;

use crate::page::{blocking, html};
use crate::screens::submitted::{FormFailure, Submitted, credential_of, read_form};
use crate::state::App;

/// The name an unsaved credential is verified under.
const UNSAVED: &str = "unsaved";

pub(crate) struct VerifyView {
    pub(crate) valid: bool,
    pub(crate) excerpt: String,
}

impl From<&Verification> for VerifyView {
    fn from(v: &Verification) -> VerifyView {
        VerifyView {
            valid: v.valid,
            excerpt: v
                .excerpt
                .clone()
                .unwrap_or_else(|| "verification failed".to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "verify_partial.html")]
struct VerifyPartial {
    verify: Option<VerifyView>,
}

/// Verifies the credential of a submitted form (nothing of the form is saved; a stored
/// credential's refreshed OAuth token is).
pub(crate) fn verify_form(
    dir: &DataDir,
    options: &nascfg_verify::VerifyOptions,
    s: &Submitted,
) -> Result<Verification, FormFailure> {
    let mut store = Store::open(dir).map_err(FormFailure::Store)?;
    let name = if s.name.is_empty() { UNSAVED } else { &s.name };
    let credential = credential_of(&mut store, s, name)?;
    let mut options = options.clone();
    let trust = store.sftp_trust(&credential).map_err(FormFailure::Store)?;
    if let Some(t) = &trust {
        options.private_key = t.private_key.clone();
        options.known_host_key = t.known_host_key.clone();
    }
    // A stored credential's expired OAuth token is refreshed under the writer lock, the
    // credential read again under it, and the new token saved before it is used, as
    // `cred verify` does: Box's refresh tokens work once.
    let verification = match &s.original {
        Some(original) if nascfg_verify::token_needs_refresh(&credential) => {
            let guard = store.lock().map_err(FormFailure::Store)?;
            let credential = credential_of(&mut store, s, name)?;
            nascfg_verify::verify_saving(&credential, &options, &mut |token| {
                store
                    .save_token(&guard, original, token)
                    .map_err(|e| e.to_string())
            })
        }
        _ => nascfg_verify::verify(&credential, &options),
    };
    // Trust on first use, as `cred verify` does: a server that passed the check
    // has its host key recorded, and later connections are held to it.
    if let (Some(t), true) = (&trust, verification.valid) {
        store
            .record_first_use(t, verification.host_key_seen.as_deref())
            .map_err(FormFailure::Store)?;
    }
    Ok(verification)
}

pub(crate) async fn verify_partial(
    State(app): State<App>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let submitted = read_form(&form);
    let dir = app.inner.data_dir.clone();
    let options = app.inner.verify.clone();
    let view = blocking(move || match verify_form(&dir, &options, &submitted) {
        Ok(v) => VerifyView::from(&v),
        Err(FormFailure::Invalid(e)) => VerifyView {
            valid: false,
            excerpt: format!(
                "the form is not complete: {}",
                e.iter()
                    .map(|e| format!("{}: {}", e.field(), e.message()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        Err(FormFailure::Store(e)) => VerifyView {
            valid: false,
            excerpt: e.to_string(),
        },
    })
    .await;
    html(&VerifyPartial { verify: Some(view) })
}
