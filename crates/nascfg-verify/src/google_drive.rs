//! Google Drive: `GET www.googleapis.com/drive/v3/files?pageSize=1` (or, with a shared "team" drive,
//! `GET drive/v3/drives/<id>`) with the OAuth access token, refreshed at Google's token endpoint when
//! expired.

use crate::oauth::verify_get;
use crate::{Check, Outcome};

/// Lists one file of My Drive, or reads the shared drive the credential names.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let api = match check.optional_text("team_drive") {
        Some(id) => {
            let mut url = url::Url::parse("https://www.googleapis.com/drive/v3/drives")
                .map_err(|e| crate::Failure::new(e.to_string()))?;
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.push(id.trim());
            }
            url.to_string()
        }
        None => "https://www.googleapis.com/drive/v3/files?pageSize=1".to_owned(),
    };
    verify_get(check, &api)
}
