//! Box: `GET api.box.com/2.0/folders/0/items` (the root folder) with the OAuth access token,
//! refreshed at Box's token endpoint when expired. Box refresh tokens are single use, so a refreshed
//! token is handed back even when the check then fails.

use crate::oauth::verify_get;
use crate::{Check, Outcome};

/// Lists the root folder.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    verify_get(check, "https://api.box.com/2.0/folders/0/items?limit=1")
}
