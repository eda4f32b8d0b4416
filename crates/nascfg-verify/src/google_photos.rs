//! Google Photos: `GET photoslibrary.googleapis.com/v1/albums` with the OAuth access token
//! (refreshed at Google's token endpoint when expired).

use crate::oauth::verify_get;
use crate::{Check, Outcome};

/// Google's OAuth 2.0 token endpoint.
pub(crate) const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// Lists one page of albums.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    verify_get(
        check,
        TOKEN_URL,
        "https://photoslibrary.googleapis.com/v1/albums?pageSize=1",
    )
}
