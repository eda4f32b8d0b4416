//! Azure Blob Storage: List Containers (`GET /?comp=list`) signed with the
//! account's Shared Key
//! (<https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key>).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use time::OffsetDateTime;
use url::Url;

use crate::excerpt::first_line;
use crate::http::HttpResponse;
use crate::xml;
use crate::{Check, Failure, Outcome, Success};

/// The REST API version we speak (supported by Azure and Azurite 3.35).
const API_VERSION: &str = "2021-12-02";

pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let account = check.text("account")?;
    let key = check.secret("key")?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key.expose_secret().trim())
        .map_err(|_| Failure::new("the account key is not valid base64"))?;
    let mut url = endpoint(check, &account)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(Some("comp=list&maxresults=1"));

    let date = OffsetDateTime::now_utc().format(crate::HTTP_DATE)?;
    let string_to_sign = string_to_sign(&account, &url, &date);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let authorization = format!("SharedKey {account}:{signature}");
    let headers = [
        ("x-ms-date", date.as_str()),
        ("x-ms-version", API_VERSION),
        ("authorization", authorization.as_str()),
    ];
    let response = check.http.get(&url, &headers)?;
    judge(&response)
}

/// The test override, the credential's endpoint, or the account's public endpoint.
fn endpoint(check: &Check<'_>, account: &str) -> Result<Url, Failure> {
    if let Some(url) = check.options.endpoint_override() {
        return Ok(url.clone());
    }
    let text = match check.optional_text("endpoint") {
        Some(e) if e.contains("://") => e,
        Some(e) => format!("https://{e}"),
        None => format!(
            "https://{}.blob.core.windows.net",
            account.to_ascii_lowercase()
        ),
    };
    let url = Url::parse(&text)
        .map_err(|e| Failure::new(format!("the endpoint is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::new("the endpoint must be an http or https URL"));
    }
    Ok(url)
}

/// The Shared Key string to sign for a `GET` without body or conditional headers.
fn string_to_sign(account: &str, url: &Url, date: &str) -> String {
    let mut query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect();
    query.sort();
    let mut resource = format!("/{account}{}", url.path());
    for (k, v) in query {
        resource.push_str(&format!("\n{k}:{v}"));
    }
    // VERB, Content-Encoding, -Language, -Length, -MD5, -Type, Date,
    // If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range.
    format!("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{API_VERSION}\n{resource}")
}

/// 200 with an enumeration result is valid; otherwise `Code: Message`.
fn judge(response: &HttpResponse) -> Outcome {
    if response.is_success() {
        if xml::root_name(&response.body).as_deref() == Some("EnumerationResults") {
            return Ok(Success::default());
        }
        return Err(Failure::new(format!(
            "{}, but the answer is not a container list: is the endpoint an Azure Blob service?",
            response.status_line()
        )));
    }
    let code = xml::element_text(&response.body, "Code")
        .filter(|c| !c.is_empty())
        .or_else(|| response.header("x-ms-error-code").map(str::to_owned));
    let message = xml::element_text(&response.body, "Message")
        .map(|m| first_line(&m))
        .filter(|m| !m.is_empty());
    let excerpt = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => format!("{c} ({})", response.status_line()),
        (None, _) => response.status_line(),
    };
    Err(Failure::with_detail(
        excerpt,
        format!("{}\n{}", response.status_line(), response.body.trim()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_has_canonical_resource() {
        let url =
            Url::parse("http://127.0.0.1:10000/devstoreaccount1/?comp=list&maxresults=1").unwrap();
        let sts = string_to_sign("devstoreaccount1", &url, "Fri, 27 Nov 2026 10:00:00 GMT");
        assert!(
            sts.ends_with("/devstoreaccount1/devstoreaccount1/\ncomp:list\nmaxresults:1"),
            "{sts}"
        );
        assert!(sts.starts_with("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:"));
    }
}
