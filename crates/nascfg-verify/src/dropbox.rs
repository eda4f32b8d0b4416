//! Dropbox: `POST api.dropboxapi.com/2/files/list_folder` with `{"path": ""}` (the root) and the OAuth
//! access token, refreshed at Dropbox's token endpoint when expired (access tokens live about 4 hours).

use crate::oauth::{access, api_error, api_url};
use crate::{Check, Failure, Outcome};

/// Lists one entry of the root folder.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let access = access(check)?;
    let url = api_url(check, "https://api.dropboxapi.com/2/files/list_folder")
        .map_err(|f| access.failure(f))?;
    let headers = [
        ("authorization", access.authorization.as_str()),
        ("content-type", "application/json"),
    ];
    let body = br#"{"path": "", "recursive": false, "limit": 1}"#;
    let response = check
        .http
        .send("POST", &url, &headers, Some(body))
        .map_err(|f| access.failure(f))?;
    if !response.is_success() {
        return Err(access.failure(Failure::new(api_error(&response))));
    }
    Ok(access.success())
}
