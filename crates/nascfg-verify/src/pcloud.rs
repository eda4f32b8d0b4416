//! pCloud: `GET https://<hostname>/listfolder?folderid=0` with the OAuth access token (`hostname` is
//! `api.pcloud.com` in the US, `eapi.pcloud.com` in the EU). pCloud answers HTTP 200 with a `result`
//! code: 0 is success, anything else (2094 "Invalid 'access_token' provided.") is the error.

use serde_json::Value;

use crate::oauth::{access, api_error, api_url, get_with_token};
use crate::{Check, Failure, Outcome};

/// The US API host, used when the credential names none.
const DEFAULT_HOST: &str = "api.pcloud.com";

/// Lists the root folder.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let host = check
        .optional_text("hostname")
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    let host = host.trim();
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid_host {
        return Err(Failure::new(format!(
            "the hostname {host:?} is not a host name (api.pcloud.com or eapi.pcloud.com)"
        )));
    }
    let access = access(check)?;
    let url = api_url(
        check,
        &format!("https://{host}/listfolder?folderid=0&nofiles=1"),
    )
    .map_err(|f| access.failure(f))?;
    let response = get_with_token(check, &access, &url)?;
    let json: Value = serde_json::from_str(&response.body).map_err(|_| {
        access.failure(Failure::new(format!(
            "{}, but the answer is not pCloud's JSON",
            response.status_line()
        )))
    })?;
    match json.get("result").and_then(Value::as_i64) {
        Some(0) => Ok(access.success()),
        Some(code) => {
            let message = json.get("error").and_then(Value::as_str).unwrap_or("error");
            Err(access.failure(Failure::new(format!("{message} (result {code})"))))
        }
        None => Err(access.failure(Failure::new(format!(
            "{}, but the answer has no result",
            api_error(&response)
        )))),
    }
}
