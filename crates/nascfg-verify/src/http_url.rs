//! HTTP: the URL answers. `GET url`; 2xx and 3xx are valid (rclone's http
//! backend lists a page that may redirect), anything else is not.

use url::Url;

use crate::excerpt::first_line;
use crate::{Check, Failure, Outcome, Success};

pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let url = parse_http_url(&check.text("url")?)?;
    let response = check.http.get(&url, &[("accept", "*/*")])?;
    if (200..400).contains(&response.status) {
        return Ok(Success::default());
    }
    Err(Failure::with_detail(
        response.status_line(),
        format!("{}\n{}", response.status_line(), first_line(&response.body)),
    ))
}

/// Parses an http(s) URL, or explains what is wrong with it.
pub(crate) fn parse_http_url(text: &str) -> Result<Url, Failure> {
    let url =
        Url::parse(text.trim()).map_err(|e| Failure::new(format!("the URL is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::new(
            "the URL must be an http or https URL with a host",
        ));
    }
    Ok(url)
}
