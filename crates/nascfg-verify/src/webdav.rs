//! WebDAV: `PROPFIND` with `Depth: 1` and Basic auth on the URL;
//! `207 Multi-Status` is valid, anything else is not (`401 Unauthorized`).

use base64::Engine as _;
use secrecy::ExposeSecret;

use crate::excerpt::first_line;
use crate::http_url::parse_http_url;
use crate::{Check, Failure, Outcome, Success};

/// The PROPFIND body rclone sends, asking only for what a listing needs.
const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8" ?>
<d:propfind xmlns:d="DAV:">
 <d:prop>
  <d:displayname/>
  <d:getlastmodified/>
  <d:getcontentlength/>
  <d:resourcetype/>
 </d:prop>
</d:propfind>
"#;

pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let mut url = parse_http_url(&check.text("url")?)?;
    // The top level of the share is a collection: ask for it with a slash,
    // as servers redirect a collection URL without one.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let user = check.credential.text("user").unwrap_or("");
    let pass = check
        .credential
        .secret("pass")
        .map(|p| p.expose_secret())
        .unwrap_or("");
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    );
    let headers = [
        ("depth", "1"),
        ("content-type", "application/xml; charset=utf-8"),
        ("authorization", auth.as_str()),
    ];
    let response = check
        .http
        .send("PROPFIND", &url, &headers, Some(PROPFIND_BODY.as_bytes()))?;
    if response.status == 207 {
        return Ok(Success::default());
    }
    let mut excerpt = response.status_line();
    if response.is_success() {
        excerpt = format!(
            "{excerpt}: the server did not answer PROPFIND with 207 Multi-Status (is this a WebDAV URL?)"
        );
    } else if response.status == 405 {
        excerpt =
            format!("{excerpt}: the server does not accept PROPFIND here (is this a WebDAV URL?)");
    }
    Err(Failure::with_detail(
        excerpt,
        format!("{}\n{}", response.status_line(), first_line(&response.body)),
    ))
}
