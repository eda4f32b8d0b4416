//! S3's own SHA-256: an upload that fits in one part goes up as one signed
//! `PutObject` carrying `x-amz-checksum-sha256` (and the payload's hash as
//! `x-amz-content-sha256`), so the service checks the bytes against our hash
//! before the object gets its name and keeps the checksum; a `HeadObject` with
//! checksum mode then gives back the size and that same hash. The object need
//! not be read back whole.
//!
//! OpenDAL 0.59's S3 service sends only CRC32C or MD5 checksums, so these two
//! requests are signed here with reqsign's SigV4 (the signer OpenDAL itself
//! uses) and sent through the same HTTP client. Larger uploads stay with
//! OpenDAL's multipart writer, and a service that does not keep the checksum
//! (some S3-compatible servers ignore the header) is read back as before.

use base64::Engine as _;
use reqsign_aws_v4::{Credential, RequestSigner};
use reqsign_core::{Context, SignRequest};

use crate::error::{Error, Result};
use crate::runtime::Runner;

/// The two requests, path-style against the credential's endpoint.
pub(crate) struct S3Checksum {
    client: reqwest::Client,
    /// `{endpoint}/{bucket}`, no trailing slash.
    bucket_url: String,
    /// The location's path below the bucket: empty, or segments ending in `/`.
    prefix: String,
    signer: RequestSigner,
    credential: Credential,
}

/// `{endpoint}/{bucket}`: path-style, as OpenDAL's S3 service addresses it.
fn bucket_url(endpoint: &str, bucket: &str) -> String {
    format!("{}/{}", endpoint.trim_end_matches('/'), encode_key(bucket))
}

/// RFC 3986 percent-encoding of an object key for the request path: every
/// byte but the unreserved ones and `/` (S3 encodes a key once).
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl S3Checksum {
    pub(crate) fn new(
        client: reqwest::Client,
        endpoint: &str,
        bucket: &str,
        path: &[String],
        region: &str,
        access_key_id: String,
        secret_access_key: String,
    ) -> S3Checksum {
        let mut prefix = String::new();
        for segment in path {
            prefix.push_str(segment);
            prefix.push('/');
        }
        S3Checksum {
            client,
            bucket_url: bucket_url(endpoint, bucket),
            prefix,
            signer: RequestSigner::new("s3", region),
            credential: Credential {
                access_key_id,
                secret_access_key,
                session_token: None,
                expires_in: None,
            },
        }
    }

    fn url(&self, name: &str) -> String {
        format!(
            "{}/{}",
            self.bucket_url,
            encode_key(&format!("{}{name}", self.prefix))
        )
    }

    /// A signed request (`body` empty for HEAD).
    async fn send(
        &self,
        method: http::Method,
        name: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> std::result::Result<reqwest::Response, String> {
        let mut builder = http::Request::builder().method(method).uri(self.url(name));
        for (key, value) in headers {
            builder = builder.header(*key, value);
        }
        let request = builder
            .body(body)
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let (mut parts, body) = request.into_parts();
        self.signer
            .sign_request(&Context::new(), &mut parts, Some(&self.credential), None)
            .await
            .map_err(|e| format!("cannot sign the request: {e}"))?;
        let request = reqwest::Request::try_from(http::Request::from_parts(parts, body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        self.client.execute(request).await.map_err(|e| chain(&e))
    }

    /// Uploads `body` as `name` in one request that the service checks against
    /// `sha256`, then asks for the object's size and checksum. `Some(size)`
    /// when the service kept the same SHA-256; `None` when it keeps none (the
    /// caller reads the object back); an error when it kept another.
    pub(crate) fn put(
        &self,
        runner: &Runner,
        name: &str,
        body: Vec<u8>,
        sha256: &[u8; 32],
    ) -> Result<Option<u64>> {
        let service = |operation: &'static str, message: String| {
            Error::service(operation, runner.at(Some(name)), message)
        };
        let checksum = base64::engine::general_purpose::STANDARD.encode(sha256);
        runner.run("upload", Some(name), async {
            let put = self
                .send(
                    http::Method::PUT,
                    name,
                    &[
                        ("x-amz-content-sha256", hex::encode(sha256)),
                        ("x-amz-checksum-sha256", checksum.clone()),
                        ("x-amz-sdk-checksum-algorithm", "SHA256".into()),
                    ],
                    body,
                )
                .await
                .map_err(|m| service("upload", m))?;
            if !put.status().is_success() {
                return Err(service("upload", refusal(put).await));
            }
            Ok(())
        })?;
        let head = runner.run("stat", Some(name), async {
            let head = self
                .send(
                    http::Method::HEAD,
                    name,
                    &[
                        (
                            "x-amz-content-sha256",
                            reqsign_aws_v4::EMPTY_STRING_SHA256.into(),
                        ),
                        ("x-amz-checksum-mode", "ENABLED".into()),
                    ],
                    Vec::new(),
                )
                .await
                .map_err(|m| service("stat", m))?;
            if !head.status().is_success() {
                return Err(service(
                    "stat",
                    nascfg_net::status_line(head.status().as_u16()),
                ));
            }
            Ok(head)
        })?;
        let header = |key: &str| {
            head.headers()
                .get(key)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let size = header("content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| service("stat", "no Content-Length in the answer".into()))?;
        match header("x-amz-checksum-sha256") {
            None => Ok(None),
            Some(kept) if kept == checksum => Ok(Some(size)),
            Some(kept) => Err(Error::ReadBack {
                location: runner.at(Some(name)),
                what: format!("the service keeps sha256 {kept} (base64), sent {checksum}"),
            }),
        }
    }
}

/// An error and its causes on one line (reqwest's own text is only the outermost).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    nascfg_net::first_line(&text)
}

/// The first line of an S3 error answer: status, `Code` and `Message`.
async fn refusal(answer: reqwest::Response) -> String {
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    let field = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{tag}>"))? + start;
        Some(text[start..end].to_owned())
    };
    match (field("Code"), field("Message")) {
        (Some(code), Some(message)) => {
            nascfg_net::first_line(&format!("HTTP {status}: {code}: {message}"))
        }
        (Some(code), None) => format!("HTTP {status}: {code}"),
        _ => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_once_with_slashes_kept() {
        assert_eq!(
            encode_key("nas 1/nascfg-h-20261201T000000Z.tar.gz"),
            "nas%201/nascfg-h-20261201T000000Z.tar.gz"
        );
        assert_eq!(encode_key("a+b%c"), "a%2Bb%25c");
    }

    #[test]
    fn the_bucket_is_a_path_below_the_endpoint() {
        assert_eq!(
            bucket_url("https://minio.lan:9000/", "bucket 1"),
            "https://minio.lan:9000/bucket%201"
        );
        assert_eq!(
            bucket_url("http://127.0.0.1:9000", "b"),
            "http://127.0.0.1:9000/b"
        );
    }
}
