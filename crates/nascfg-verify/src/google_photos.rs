//! Google Photos: `GET photoslibrary.googleapis.com/v1/albums` with the OAuth access token
//! (refreshed at Google's token endpoint when expired).

use crate::oauth::verify_get;
use crate::{Check, Outcome};

/// Lists one page of albums.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    verify_get(
        check,
        "https://photoslibrary.googleapis.com/v1/albums?pageSize=1",
    )
}
