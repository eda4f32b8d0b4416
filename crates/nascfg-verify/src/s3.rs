//! Amazon S3 and S3-compatible services: ListBuckets, signed by hand with
//! AWS Signature Version 4 (or Version 2 when `signatures_v2` is set or the
//! region is `other-v2-signature`).
//!
//! Credentials come only from the stored credential, never from `AWS_*`
//! variables, `~/.aws` or instance metadata. The region is the credential's;
//! when empty (and `skip_region` is off) it is discovered from the service's
//! answer (`x-amz-bucket-region`, or the `<Region>` of an
//! `AuthorizationHeaderMalformed` error) and the request is signed again.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;
use url::Url;

use crate::excerpt::first_line;
use crate::http::HttpResponse;
use crate::xml;
use crate::{Check, Failure, Outcome, Success};

/// The endpoint used when the credential names none.
const DEFAULT_ENDPOINT: &str = "https://s3.amazonaws.com";
/// The region signed for when none is known.
const DEFAULT_REGION: &str = "us-east-1";
/// The SHA-256 of an empty payload.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Which signature a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    V2,
    V4,
}

/// The keys, borrowed from the credential.
struct Keys<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let cred = check.credential;
    let keys = Keys {
        access_key_id: check.secret("access_key_id")?.expose_secret(),
        secret_access_key: check.secret("secret_access_key")?.expose_secret(),
    };
    let region = check.optional_text("region");
    let skip_region = cred.boolean("skip_region").unwrap_or(false);
    let signature = if cred.boolean("signatures_v2").unwrap_or(false)
        || region.as_deref() == Some("other-v2-signature")
    {
        Signature::V2
    } else {
        Signature::V4
    };
    let endpoint = endpoint(check, region.as_deref())?;

    let sign_region = match region.as_deref() {
        Some(r) if r != "other-v2-signature" => r.to_owned(),
        _ => DEFAULT_REGION.to_owned(),
    };
    let response = list_buckets(check, &endpoint, &keys, signature, &sign_region)?;
    let response = match discovered_region(&response) {
        Some(found)
            if region.is_none()
                && !skip_region
                && signature == Signature::V4
                && found != sign_region =>
        {
            list_buckets(check, &endpoint, &keys, signature, &found)?
        }
        _ => response,
    };
    judge(&response)
}

/// The base URL of the service: the test override, the credential's
/// endpoint, the regional AWS endpoint, or `https://s3.amazonaws.com`.
fn endpoint(check: &Check<'_>, region: Option<&str>) -> Result<Url, Failure> {
    if let Some(url) = check.options.endpoint_override() {
        return Ok(url.clone());
    }
    let text = match check.optional_text("endpoint") {
        Some(e) if e.contains("://") => e,
        Some(e) => format!("https://{e}"),
        None => match region {
            Some(r) if r != DEFAULT_REGION && r != "other-v2-signature" && is_dns_label(r) => {
                format!("https://s3.{r}.amazonaws.com")
            }
            _ => DEFAULT_ENDPOINT.to_owned(),
        },
    };
    let url = Url::parse(&text)
        .map_err(|e| Failure::new(format!("the endpoint is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::new("the endpoint must be an http or https URL"));
    }
    Ok(url)
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The region an S3 answer points to, if any.
fn discovered_region(response: &HttpResponse) -> Option<String> {
    if response.is_success() {
        return None;
    }
    let from_header = response.header("x-amz-bucket-region").map(str::to_owned);
    let from_body = xml::element_text(&response.body, "Region");
    from_header
        .or(from_body)
        .map(|r| r.trim().to_owned())
        .filter(|r| is_dns_label(r))
}

/// Sends one signed ListBuckets (`GET /`).
fn list_buckets(
    check: &Check<'_>,
    endpoint: &Url,
    keys: &Keys<'_>,
    signature: Signature,
    region: &str,
) -> Result<HttpResponse, Failure> {
    let now = OffsetDateTime::now_utc();
    let headers = match signature {
        Signature::V4 => sign_v4(endpoint, keys, region, now)?,
        Signature::V2 => sign_v2(endpoint, keys, now)?,
    };
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(check.http.get(endpoint, &headers)?)
}

/// Turns the ListBuckets answer into the verdict.
fn judge(response: &HttpResponse) -> Outcome {
    if response.is_success() {
        if xml::root_name(&response.body).as_deref() == Some("ListAllMyBucketsResult") {
            return Ok(Success::default());
        }
        return Err(Failure::with_detail(
            format!(
                "{}, but the answer is not an S3 bucket list: is the endpoint an S3 service?",
                response.status_line()
            ),
            first_line(&response.body),
        ));
    }
    Err(error_failure(response))
}

/// `Code: Message` from an S3 XML error, else the status line.
fn error_failure(response: &HttpResponse) -> Failure {
    let code = xml::element_text(&response.body, "Code").filter(|c| !c.is_empty());
    let message = xml::element_text(&response.body, "Message").filter(|m| !m.is_empty());
    let excerpt = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {}", first_line(&m)),
        (Some(c), None) => format!("{c} ({})", response.status_line()),
        _ => match first_line(&response.body) {
            b if b.is_empty() => response.status_line(),
            b => format!("{}: {b}", response.status_line()),
        },
    };
    Failure::with_detail(
        excerpt,
        format!("{}\n{}", response.status_line(), response.body.trim()),
    )
}

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `Host` as the client sends it: host, and the port when not the scheme's default.
fn host_header(url: &Url) -> Result<String, Failure> {
    let host = url
        .host_str()
        .ok_or_else(|| Failure::new("the endpoint has no host"))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// AWS Signature Version 4 headers for `GET <endpoint>` with an empty body
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>).
fn sign_v4(
    endpoint: &Url,
    keys: &Keys<'_>,
    region: &str,
    now: OffsetDateTime,
) -> Result<Vec<(&'static str, String)>, Failure> {
    let amz_date = now.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))?;
    let date = &amz_date[..8];
    let host = host_header(endpoint)?;
    let canonical_query = canonical_query(endpoint);
    let canonical_request = format!(
        "GET\n{}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}",
        endpoint.path()
    );
    let scope = format!("{date}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac_sha256(
        format!("AWS4{}", keys.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, b"s3");
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    let signature = hex::encode(hmac_sha256(&k_signing, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
        keys.access_key_id
    );
    Ok(vec![
        ("x-amz-date", amz_date.clone()),
        ("x-amz-content-sha256", EMPTY_SHA256.to_owned()),
        ("authorization", authorization),
    ])
}

/// The query string in SigV4 canonical form (sorted, RFC 3986 encoded).
fn canonical_query(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (aws_encode(&k), aws_encode(&v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn aws_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// AWS Signature Version 2 headers for `GET <endpoint>`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html>).
fn sign_v2(
    endpoint: &Url,
    keys: &Keys<'_>,
    now: OffsetDateTime,
) -> Result<Vec<(&'static str, String)>, Failure> {
    let date = now.format(crate::HTTP_DATE)?;
    // ListBuckets' canonicalized resource is "/" (the service, no bucket).
    let string_to_sign = format!("GET\n\n\n{date}\n/");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(keys.secret_access_key.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let _ = endpoint;
    Ok(vec![
        ("date", date),
        (
            "authorization",
            format!("AWS {}:{signature}", keys.access_key_id),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signing-key derivation example from the AWS documentation
    /// ("Examples of how to derive a signing key for Signature Version 4").
    #[test]
    fn signing_key_matches_aws_example() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), b"20120215");
        let k_region = hmac_sha256(&k_date, b"us-east-1");
        let k_service = hmac_sha256(&k_region, b"iam");
        let k_signing = hmac_sha256(&k_service, b"aws4_request");
        assert_eq!(
            hex::encode(k_signing),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    /// The two ListBucket-shaped examples of the S3 documentation ("Signature Calculations for the
    /// Authorization Header: Transferring Payload in a Single Chunk", `GET Bucket Lifecycle` and
    /// `Get Bucket (List Objects)`): an empty payload, signed headers
    /// `host;x-amz-content-sha256;x-amz-date`, exactly what `sign_v4` signs.
    #[test]
    fn sign_v4_matches_the_s3_documentation_examples() {
        #[track_caller]
        fn check(url: &str, expected_signature: &str) {
            let keys = Keys {
                access_key_id: "AKIAIOSFODNN7EXAMPLE",
                secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            };
            let now = time::macros::datetime!(2013-05-24 00:00:00 UTC);
            let headers = sign_v4(&Url::parse(url).unwrap(), &keys, "us-east-1", now).unwrap();
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap()
            };
            assert_eq!(header("x-amz-date"), "20130524T000000Z");
            assert_eq!(header("x-amz-content-sha256"), EMPTY_SHA256);
            assert_eq!(
                header("authorization"),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
                     SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={expected_signature}"
                )
            );
        }
        check(
            "https://examplebucket.s3.amazonaws.com/?lifecycle",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        );
        // The query is signed sorted, whatever order it is sent in.
        check(
            "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        );
    }

    #[test]
    fn error_excerpt_is_code_and_message() {
        let response = HttpResponse {
            status: 403,
            headers: vec![],
            body: "<?xml version=\"1.0\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error>".into(),
        };
        assert_eq!(
            error_failure(&response).excerpt,
            "SignatureDoesNotMatch: The request signature we calculated does not match"
        );
        let bare = HttpResponse {
            status: 403,
            headers: vec![],
            body: String::new(),
        };
        assert_eq!(error_failure(&bare).excerpt, "403 Forbidden");
    }

    #[test]
    fn region_hint_is_found() {
        let response = HttpResponse {
            status: 400,
            headers: vec![],
            body:
                "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Region></Error>"
                    .into(),
        };
        assert_eq!(discovered_region(&response).as_deref(), Some("eu-west-1"));
        let moved = HttpResponse {
            status: 301,
            headers: vec![("x-amz-bucket-region".into(), "us-west-2".into())],
            body: String::new(),
        };
        assert_eq!(discovered_region(&moved).as_deref(), Some("us-west-2"));
    }
}
