//! Google Drive: `GET www.googleapis.com/drive/v3/files?pageSize=1` (or, with a shared "team" drive,
//! `GET drive/v3/drives/<id>`) with the OAuth access token, refreshed at Google's token endpoint when
//! expired.

use crate::oauth::verify_get;
use crate::{Check, Outcome};

/// Google's OAuth 2.0 token endpoint.
pub(crate) const TOKEN_URL: &str = crate::google_photos::TOKEN_URL;

/// Lists one file of My Drive, or reads the shared drive the credential names.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let api = match check.optional_text("team_drive") {
        Some(id) => {
            let id: String = url::form_urlencoded::byte_serialize(id.trim().as_bytes()).collect();
            format!("https://www.googleapis.com/drive/v3/drives/{id}")
        }
        None => "https://www.googleapis.com/drive/v3/files?pageSize=1".to_owned(),
    };
    verify_get(check, TOKEN_URL, &api)
}
