//! Checks a credential against the real service it belongs to: the check that
//! TrueNAS gets from `rclone lsjson remote:`, without rclone.
//!
//! Architecture invariant: this crate is the only one that opens network
//! connections.
//!
//! [`verify`] takes a [`Credential`] and [`VerifyOptions`] and always returns
//! a [`Verification`]: valid or not, the full error, a one-line excerpt a
//! person can act on (`SignatureDoesNotMatch: ...`, `530 Login incorrect.`,
//! `connection refused`, `timed out after 30 s`), a refreshed OAuth token to
//! save back, and the SSH host key seen. Every check is bounded by a connect
//! timeout (default 15 s) and an overall deadline (default 30 s). Secret
//! values of the credential never appear in the error or the excerpt.
//!
//! With the cargo feature `test-endpoints` (tests only), `VerifyOptions`
//! has an `endpoint_override` that sends a provider's requests to another
//! base URL, so that tests reach loopback stand-ins of cloud APIs. Without
//! the feature, as in the shipped binary, the field does not exist: nothing
//! can send a credential's secrets anywhere but to its own service.
//!
//! ```no_run
//! use nascfg_credentials::{Credential, ProviderKind};
//! use nascfg_verify::{verify, VerifyOptions};
//!
//! let attrs = serde_json::json!({"url": "http://127.0.0.1:9/"});
//! let cred = Credential::new("web", ProviderKind::Http, attrs.as_object().unwrap().clone()).unwrap();
//! let answer = verify(&cred, &VerifyOptions::default());
//! println!("{}", if answer.valid { "valid".into() } else { answer.excerpt.unwrap_or_default() });
//! ```
//!
//! # Module layout (for the people working on it)
//!
//! - `lib.rs`: the public types, [`verify`] (dispatch on `ProviderKind`, then
//!   scrubbing of secrets from error and excerpt), and the crate-private
//!   `Check` (what a provider module receives: the credential, the options,
//!   the `Deadline` and the shared `HttpClient`), `Success` and `Failure`
//!   (`Failure::new(excerpt)`, `Failure::with_detail(excerpt, full_text)`).
//!   Each provider module has `pub(crate) fn verify(check: &Check<'_>) -> Outcome`.
//! - `deadline.rs`: `Deadline` (`remaining()`, `remaining_or_fail()`, `cap(d)`,
//!   `timed_out()` = `timed out after N s`).
//! - `http.rs`: `HttpClient` (`get(url, headers)`, `send(method, url, headers,
//!   body)` -> `HttpResponse { status, headers, body }` with `header(name)`,
//!   `status_line()` = `404 Not Found`); no proxies, no redirects followed,
//!   statuses are answers; transport errors become `connection refused`,
//!   `timed out after 30 s`, `TLS handshake failed: ...`.
//! - `excerpt.rs`: `first_line(text)`, `truncate`, `scrub(text, secrets)`.
//! - `xml.rs`: `root_name(body)`, `element_text(body, tag)` over roxmltree,
//!   for the XML answers of S3 and Azure.
//! - Real-server protocols: `s3`, `azure`, `ftp`, `sftp`, `webdav`, `http_url`.
//! - Cloud APIs: `b2`, `gcs`, `google_drive`, `google_photos`, `onedrive`,
//!   `dropbox`, `box_com`, `pcloud`, `yandex`, `swift`, `mega`, `hubic`, and
//!   `oauth` (token refresh shared by the OAuth providers).
#![deny(missing_docs)]
// A failure is the cold path of a network check; boxing it buys nothing.
#![allow(clippy::result_large_err)]

mod azure;
mod b2;
mod box_com;
mod dropbox;
mod ftp;
mod gcs;
mod google_drive;
mod google_photos;
mod http_url;
mod hubic;
mod mega;
mod oauth;
mod onedrive;
mod pcloud;
mod s3;
mod sftp;
mod swift;
mod webdav;
mod xml;
mod yandex;

use std::time::Duration;

use nascfg_credentials::{Credential, OAuthToken, ProviderKind};
use secrecy::{ExposeSecret, SecretString};

use nascfg_net::{Deadline, HttpClient};

/// The outbound plumbing, from nascfg-net, under the names the provider modules use.
mod deadline {
    pub(crate) use nascfg_net::{Deadline, run_bounded, timed_out_text};
}
mod http {
    pub(crate) use nascfg_net::{HttpResponse, io_excerpt};
}
mod excerpt {
    pub(crate) use nascfg_net::{first_line, scrub};
}

/// How a verification runs.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Give up connecting after this long (default 15 s).
    pub connect_timeout: Duration,
    /// Give up the whole check after this long (default 30 s).
    pub deadline: Duration,
    /// Send the provider's requests to this base URL instead of the real
    /// service. For tests only (loopback stand-ins): it exists only with the
    /// `test-endpoints` feature.
    #[cfg(feature = "test-endpoints")]
    pub endpoint_override: Option<url::Url>,
    /// SFTP: the OpenSSH private key of the key pair the credential names,
    /// resolved by the caller from the store.
    pub private_key: Option<SecretString>,
    /// SFTP: the host key recorded on first use (an OpenSSH public key line);
    /// when given, the server's key must match it.
    pub known_host_key: Option<String>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            connect_timeout: Duration::from_secs(15),
            deadline: Duration::from_secs(30),
            #[cfg(feature = "test-endpoints")]
            endpoint_override: None,
            private_key: None,
            known_host_key: None,
        }
    }
}

impl VerifyOptions {
    /// The test endpoint override; always none without the `test-endpoints` feature.
    pub(crate) fn endpoint_override(&self) -> Option<&url::Url> {
        #[cfg(feature = "test-endpoints")]
        return self.endpoint_override.as_ref();
        #[cfg(not(feature = "test-endpoints"))]
        None
    }

    /// Where requests go: the real services, or the test endpoint override (feature `test-endpoints`).
    pub(crate) fn endpoints(&self) -> nascfg_net::Endpoints {
        #[cfg(feature = "test-endpoints")]
        if let Some(base) = &self.endpoint_override {
            return nascfg_net::Endpoints::overridden(base.clone());
        }
        nascfg_net::Endpoints::real()
    }
}

/// The answer of a verification.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Whether the credential works.
    pub valid: bool,
    /// The full error text when it does not (secrets scrubbed).
    pub error: Option<String>,
    /// A one-line excerpt of the error a person can act on (secrets scrubbed).
    pub excerpt: Option<String>,
    /// An OAuth token refreshed during the check; [`verify_saving`] has already handed it to
    /// its save callback.
    pub refreshed_token: Option<OAuthToken>,
    /// SFTP: the server's host key (an OpenSSH public key line), to record
    /// on first use.
    pub host_key_seen: Option<String>,
}

/// Checks `credential` against its service, within the options' bounds.
/// Never panics on a server's answer; never puts a secret in the result.
/// An OAuth token refreshed on the way is handed back in the answer but saved nowhere: for a
/// stored credential use [`verify_saving`].
pub fn verify(credential: &Credential, options: &VerifyOptions) -> Verification {
    verify_saving(credential, options, &mut |_| Ok(()))
}

/// [`verify`], handing an OAuth token refreshed on the way to `save` (which stores it under the
/// data directory's writer lock) BEFORE its new access token is used; a failed save fails the
/// check and the new access token is not used.
pub fn verify_saving(
    credential: &Credential,
    options: &VerifyOptions,
    save: &mut SaveToken<'_>,
) -> Verification {
    match run(credential, options, save, dispatch) {
        Ok(success) => Verification {
            valid: true,
            refreshed_token: success.refreshed_token,
            host_key_seen: success.host_key_seen,
            ..Verification::default()
        },
        Err(answer) => answer,
    }
}

/// Whether `credential` holds an OAuth token whose access token has expired (or expires within
/// the refresher's slack), so that a check would refresh it: a caller verifying a stored
/// credential takes the writer lock first, reads the credential again under it, and saves the
/// refreshed token through [`verify_saving`] (Box's refresh tokens work once).
pub fn token_needs_refresh(credential: &Credential) -> bool {
    credential
        .secret("token")
        .and_then(|text| OAuthToken::parse(text.expose_secret()).ok())
        .is_some_and(|token| token.is_expired_at(time::OffsetDateTime::now_utc()))
}

/// The provider module's check.
fn dispatch(check: &Check<'_>) -> Outcome {
    match check.credential.provider() {
        ProviderKind::S3 => s3::verify(check),
        ProviderKind::B2 => b2::verify(check),
        ProviderKind::Box => box_com::verify(check),
        ProviderKind::Dropbox => dropbox::verify(check),
        ProviderKind::Ftp => ftp::verify(check),
        ProviderKind::GoogleCloudStorage => gcs::verify(check),
        ProviderKind::GoogleDrive => google_drive::verify(check),
        ProviderKind::GooglePhotos => google_photos::verify(check),
        ProviderKind::Http => http_url::verify(check),
        ProviderKind::Hubic => hubic::verify(check),
        ProviderKind::Mega => mega::verify(check),
        ProviderKind::AzureBlob => azure::verify(check),
        ProviderKind::OneDrive => onedrive::verify(check),
        ProviderKind::OpenstackSwift => swift::verify(check),
        ProviderKind::Pcloud => pcloud::verify(check),
        ProviderKind::Sftp => sftp::verify(check),
        ProviderKind::Webdav => webdav::verify(check),
        ProviderKind::Yandex => yandex::verify(check),
        #[allow(unreachable_patterns)]
        other => Err(Failure::new(format!(
            "verifying {other} credentials is not supported"
        ))),
    }
}

/// Runs `check_with` on a `Check` of `credential` bounded by the options (also used by
/// `onedrive_drives`); a failure becomes the invalid answer: a deadline overshoot is a time-out,
/// secrets are scrubbed.
pub(crate) fn run<T>(
    credential: &Credential,
    options: &VerifyOptions,
    save: &mut SaveToken<'_>,
    check_with: impl FnOnce(&Check<'_>) -> Result<T, Failure>,
) -> Result<T, Verification> {
    let deadline = Deadline::after(options.deadline);
    let http = HttpClient::new(options.connect_timeout, deadline);
    let check = Check {
        credential,
        options,
        deadline,
        http: &http,
        save: SaveSlot(std::cell::RefCell::new(save)),
    };
    check_with(&check).map_err(|failure| failed(credential, options, deadline, failure))
}

/// The invalid answer for `failure`.
fn failed(
    credential: &Credential,
    options: &VerifyOptions,
    deadline: Deadline,
    failure: Failure,
) -> Verification {
    // A check that ran past its deadline (a blocking call that overshot) still
    // answers "timed out", so callers see one consistent reason.
    let failure = match deadline.remaining() {
        None => deadline.timed_out().into(),
        Some(_) => failure,
    };
    let secrets = secret_values(credential, options);
    let secrets: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).collect();
    // Scrubbed before it is cut to one line: a cut must not leave half a secret to find.
    let excerpt = excerpt::first_line(&excerpt::scrub(&failure.excerpt, &secrets));
    let excerpt = if excerpt.is_empty() {
        "verification failed".to_owned()
    } else {
        excerpt
    };
    let error = match &failure.detail {
        Some(detail) if !detail.trim().is_empty() && detail.trim() != failure.excerpt.trim() => {
            format!(
                "{}\n{}",
                failure.excerpt.trim(),
                excerpt::scrub(detail.trim(), &secrets)
            )
        }
        _ => failure.excerpt.trim().to_owned(),
    };
    Verification {
        valid: false,
        error: Some(excerpt::scrub(&error, &secrets)),
        excerpt: Some(excerpt),
        refreshed_token: failure.refreshed_token,
        host_key_seen: failure.host_key_seen,
    }
}

/// Every secret value that must not appear in a result: the credential's
/// secret attributes, the parts of an OAuth token, the private key.
fn secret_values(credential: &Credential, options: &VerifyOptions) -> Vec<SecretString> {
    let mut out: Vec<SecretString> = Vec::new();
    for (_, value) in credential.secret_attributes() {
        if let Ok(token) = OAuthToken::parse(value.expose_secret()) {
            out.push(token.access_token().clone());
            if let Some(refresh) = token.refresh_token() {
                out.push(refresh.clone());
            }
        }
        out.push(value.clone());
        // The secret as it would appear inside JSON or in one line of a PEM.
        for line in value.expose_secret().lines().filter(|l| l.len() >= 16) {
            out.push(SecretString::from(line.to_owned()));
        }
    }
    if let Some(key) = &options.private_key {
        out.push(key.clone());
        for line in key
            .expose_secret()
            .lines()
            .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
        {
            out.push(SecretString::from(line.to_owned()));
        }
    }
    out
}

/// What a provider module receives.
#[derive(Debug)]
pub(crate) struct Check<'a> {
    /// The credential under test.
    pub(crate) credential: &'a Credential,
    /// The caller's options.
    pub(crate) options: &'a VerifyOptions,
    /// The overall deadline.
    pub(crate) deadline: Deadline,
    /// The shared HTTP client (bounded by `deadline`).
    pub(crate) http: &'a HttpClient,
    /// Where a refreshed OAuth token is saved before it is used.
    pub(crate) save: SaveSlot<'a>,
}

/// The caller's save callback, reachable through a shared `Check`.
pub(crate) struct SaveSlot<'a>(pub(crate) std::cell::RefCell<&'a mut SaveToken<'a>>);

impl std::fmt::Debug for SaveSlot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaveSlot")
    }
}

impl Check<'_> {
    /// A required text attribute (plain or secret) as a string, or a failure naming it.
    pub(crate) fn text(&self, field: &str) -> Result<String, Failure> {
        if let Some(v) = self.credential.text(field) {
            return Ok(v.to_owned());
        }
        if let Some(v) = self.credential.secret(field) {
            return Ok(v.expose_secret().to_owned());
        }
        Err(Failure::new(format!("the credential has no {field}")))
    }

    /// An optional plain text attribute; empty counts as absent.
    pub(crate) fn optional_text(&self, field: &str) -> Option<String> {
        self.credential
            .text(field)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    }

    /// A secret attribute, or a failure naming it.
    pub(crate) fn secret(&self, field: &str) -> Result<&SecretString, Failure> {
        self.credential
            .secret(field)
            .ok_or_else(|| Failure::new(format!("the credential has no {field}")))
    }
}

/// What a successful check may hand back.
#[derive(Debug, Default)]
pub(crate) struct Success {
    /// An OAuth token refreshed during the check.
    pub(crate) refreshed_token: Option<OAuthToken>,
    /// The SSH host key seen.
    pub(crate) host_key_seen: Option<String>,
}

/// Why a check failed: a one-line excerpt and optionally the full text.
/// `verify` scrubs secrets from both, but modules should not put them in.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The one-line excerpt (only its first meaningful line is kept).
    pub(crate) excerpt: String,
    /// The full error text, when longer than the excerpt.
    pub(crate) detail: Option<String>,
    /// SFTP: the host key seen before failing (e.g. on a changed host key).
    pub(crate) host_key_seen: Option<String>,
    /// An OAuth token refreshed before the check failed, still to be saved
    /// back (a single-use refresh token, as Box's, is already spent).
    pub(crate) refreshed_token: Option<OAuthToken>,
}

impl Failure {
    /// A failure whose full text is its excerpt.
    pub(crate) fn new(excerpt: impl Into<String>) -> Failure {
        Failure {
            excerpt: excerpt.into(),
            detail: None,
            host_key_seen: None,
            refreshed_token: None,
        }
    }

    /// A failure with a one-line excerpt and a longer full text.
    pub(crate) fn with_detail(excerpt: impl Into<String>, detail: impl Into<String>) -> Failure {
        Failure {
            excerpt: excerpt.into(),
            detail: Some(detail.into()),
            host_key_seen: None,
            refreshed_token: None,
        }
    }
}

impl From<nascfg_net::Error> for Failure {
    fn from(error: nascfg_net::Error) -> Failure {
        match error.detail() {
            Some(detail) => Failure::with_detail(error.to_string(), detail.to_owned()),
            None => Failure::new(error.to_string()),
        }
    }
}

impl From<time::error::Format> for Failure {
    fn from(error: time::error::Format) -> Failure {
        Failure::new(format!("cannot format the date: {error}"))
    }
}

/// The date as S3's Signature Version 2 and Azure's Shared Key sign it
/// (RFC 7231's IMF-fixdate, in UTC): `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const HTTP_DATE: time::format_description::StaticFormatDescription = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// The result of one provider's check.
pub(crate) type Outcome = Result<Success, Failure>;

pub use crate::onedrive::{DriveList, onedrive_drives, onedrive_drives_saving};
pub use nascfg_credentials;
pub use nascfg_net::scrub;
pub use nascfg_oauth::Drive;
pub use nascfg_oauth::SaveToken;
pub use secrecy;
pub use url;
