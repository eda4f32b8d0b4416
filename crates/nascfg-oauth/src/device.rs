//! The device authorization grant (RFC 8628): ask for a device code and a user code, show the
//! verification URL and the user code, then poll the token endpoint honouring `interval`,
//! `authorization_pending`, `slow_down` (+5 s) and `expired_token`.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;
use time::OffsetDateTime;

use crate::login::Obtained;
use crate::provider::OAuthProvider;
use crate::token::{TokenAnswer, error_code, error_reason};
use crate::{Error, Network, OAuthApp};

/// RFC 8628's grant type.
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The interval when the server names none (RFC 8628 section 3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What `slow_down` adds to the interval (RFC 8628 section 3.5).
const SLOW_DOWN: Duration = Duration::from_secs(5);
/// The longest interval believed.
const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// The longest device code lifetime believed.
const MAX_LIFETIME: Duration = Duration::from_secs(3600);

/// A device login in progress: what to show the user, and what polls for the token.
pub struct DeviceLogin {
    provider: &'static OAuthProvider,
    app: OAuthApp,
    device_code: SecretString,
    user_code: String,
    verification_uri: String,
    interval: Duration,
    lifetime: Duration,
}

nascfg_credentials::redacted_debug!(DeviceLogin {
    provider: |d| d.provider.kind(),
    verification_uri,
    interval,
    ..
});

impl DeviceLogin {
    /// Asks the provider's device authorization endpoint for the codes.
    pub fn start(
        provider: &'static OAuthProvider,
        app: OAuthApp,
        network: &Network,
    ) -> Result<DeviceLogin, Error> {
        let Some(device_url) = provider.device_authorization_url() else {
            return Err(Error::NoDeviceGrant(provider.kind()));
        };
        let url = network.endpoints.url(device_url)?;
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("client_id", app.client_id());
        if !provider.scopes().is_empty() {
            form.append_pair("scope", &provider.scopes().join(" "));
        }
        let body = SecretString::from(form.finish());
        let answer =
            network
                .client()
                .post_secret(&url, "application/x-www-form-urlencoded", &body)?;
        if !answer.is_success() {
            return Err(Error::Refused(crate::scrubbed(
                &error_reason(answer.status, answer.body.as_bytes()),
                &app.secrets(),
            )));
        }
        let codes = DeviceCodes::parse(answer.body.as_bytes()).map_err(Error::BadAnswer)?;
        Ok(DeviceLogin {
            provider,
            app,
            device_code: codes.device_code,
            user_code: codes.user_code,
            verification_uri: codes.verification_uri,
            interval: codes.interval,
            lifetime: codes.lifetime,
        })
    }

    /// Where the user goes to enter the code.
    pub fn verification_uri(&self) -> &str {
        &self.verification_uri
    }

    /// The code the user enters.
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// Polls until the user approved (a token), declined, the code expired, or `max_wait`
    /// passed, sleeping with `sleep` between polls; each poll is bounded by the network's
    /// request deadline.
    pub fn poll(
        self,
        network: &Network,
        max_wait: Duration,
        sleep: &mut dyn FnMut(Duration),
    ) -> Result<Obtained, Error> {
        let token_url = network.endpoints.url(self.provider.token_url())?;
        let started = Instant::now();
        // Yandex documents its own device token request; RFC 8628's is tried first.
        let may_fall_back = self.provider.kind() == nascfg_credentials::ProviderKind::Yandex;
        let mut poll = Poll::new(self.interval, may_fall_back);
        let mut secrets = self.app.secrets();
        secrets.push(self.device_code.expose_secret().to_owned());
        loop {
            if started.elapsed() + poll.interval > self.lifetime {
                return Err(Error::DeviceExpired);
            }
            if started.elapsed() + poll.interval > max_wait {
                return Err(Error::LoginTimedOut(max_wait.as_secs()));
            }
            sleep(poll.interval);
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            if poll.yandex_grant {
                form.append_pair("grant_type", "device_code");
                form.append_pair("code", self.device_code.expose_secret());
            } else {
                form.append_pair("grant_type", DEVICE_GRANT);
                form.append_pair("device_code", self.device_code.expose_secret());
            }
            form.append_pair("client_id", self.app.client_id());
            if let Some(secret) = self.app.client_secret() {
                form.append_pair("client_secret", secret.expose_secret());
            }
            let body = SecretString::from(form.finish());
            let answer = network.client().post_secret(
                &token_url,
                "application/x-www-form-urlencoded",
                &body,
            )?;
            match poll.next(classify(answer.status, answer.body.as_bytes())) {
                Next::Done(token) => {
                    let token = token.into_token(OffsetDateTime::now_utc())?;
                    return Ok(Obtained {
                        token,
                        hostname: None,
                    });
                }
                Next::Poll => {}
                Next::Fail(error) => {
                    return Err(match error {
                        Error::Refused(reason) => {
                            Error::Refused(crate::scrubbed(&reason, &secrets))
                        }
                        Error::BadAnswer(reason) => {
                            Error::BadAnswer(crate::scrubbed(&reason, &secrets))
                        }
                        other => other,
                    });
                }
            }
        }
    }
}

/// The device authorization answer (RFC 8628 section 3.2; Yandex says `verification_url`).
struct DeviceCodes {
    device_code: SecretString,
    user_code: String,
    verification_uri: String,
    interval: Duration,
    lifetime: Duration,
}

impl DeviceCodes {
    fn parse(body: &[u8]) -> Result<DeviceCodes, String> {
        let value: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
        let text = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let seconds = |name: &str| match value.get(name) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let device_code = text("device_code").ok_or("the answer has no device_code")?;
        let user_code = text("user_code").ok_or("the answer has no user_code")?;
        let verification_uri = text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or("the answer has no verification_uri")?;
        let printable = |s: &str| s.len() <= 2048 && s.chars().all(|c| !c.is_control());
        if !printable(&user_code) || !printable(&verification_uri) {
            return Err("the answer's user code or URL is not printable".to_owned());
        }
        Ok(DeviceCodes {
            device_code: SecretString::from(device_code),
            user_code,
            verification_uri,
            interval: seconds("interval")
                .map_or(DEFAULT_INTERVAL, Duration::from_secs)
                .clamp(Duration::from_secs(1), MAX_INTERVAL),
            lifetime: seconds("expires_in")
                .map_or(Duration::from_secs(600), Duration::from_secs)
                .min(MAX_LIFETIME),
        })
    }
}

/// One poll's answer, classified.
#[derive(Debug)]
enum Answer {
    Token(TokenAnswer),
    Pending,
    SlowDown,
    Expired,
    Denied,
    UnsupportedGrant,
    Failed(String),
}

/// Classifies a token endpoint's answer to a device poll.
fn classify(status: u16, body: &[u8]) -> Answer {
    if (200..300).contains(&status) {
        return match TokenAnswer::parse(body) {
            Ok(token) => Answer::Token(token),
            Err(_) if error_code(body).is_some() => classify(400, body),
            Err(reason) => Answer::Failed(reason),
        };
    }
    match error_code(body).as_deref() {
        Some("authorization_pending") => Answer::Pending,
        Some("slow_down") => Answer::SlowDown,
        Some("expired_token" | "code_expired") => Answer::Expired,
        Some("access_denied" | "authorization_declined") => Answer::Denied,
        Some("unsupported_grant_type") => Answer::UnsupportedGrant,
        _ => Answer::Failed(error_reason(status, body)),
    }
}

/// What to do after an answer.
#[derive(Debug)]
enum Next {
    Done(TokenAnswer),
    Poll,
    Fail(Error),
}

/// The polling state: the interval, and which grant request is sent.
#[derive(Debug)]
struct Poll {
    interval: Duration,
    /// Yandex's own device token request (`grant_type=device_code`, `code=`).
    yandex_grant: bool,
    /// Whether the switch to Yandex's request may still be tried.
    may_fall_back: bool,
}

impl Poll {
    fn new(interval: Duration, may_fall_back: bool) -> Poll {
        Poll {
            interval,
            yandex_grant: false,
            may_fall_back,
        }
    }

    fn next(&mut self, answer: Answer) -> Next {
        match answer {
            Answer::Token(token) => Next::Done(token),
            Answer::Pending => Next::Poll,
            Answer::SlowDown => {
                self.interval = (self.interval + SLOW_DOWN).min(MAX_INTERVAL);
                Next::Poll
            }
            Answer::Expired => Next::Fail(Error::DeviceExpired),
            Answer::Denied => Next::Fail(Error::DeviceDenied),
            Answer::UnsupportedGrant if self.may_fall_back && !self.yandex_grant => {
                self.yandex_grant = true;
                Next::Poll
            }
            Answer::UnsupportedGrant => {
                Next::Fail(Error::Refused("unsupported_grant_type".to_owned()))
            }
            Answer::Failed(reason) => Next::Fail(Error::Refused(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the state machine over canned answers (status, body); returns what happened.
    fn run(may_fall_back: bool, answers: &[(u16, &str)]) -> (String, Vec<u64>, bool) {
        let mut poll = Poll::new(Duration::from_secs(2), may_fall_back);
        let mut intervals = Vec::new();
        for (status, body) in answers {
            intervals.push(poll.interval.as_secs());
            match poll.next(classify(*status, body.as_bytes())) {
                Next::Done(_) => return ("token".into(), intervals, poll.yandex_grant),
                Next::Poll => {}
                Next::Fail(e) => return (e.to_string(), intervals, poll.yandex_grant),
            }
        }
        ("still polling".into(), intervals, poll.yandex_grant)
    }

    const PENDING: (u16, &str) = (400, r#"{"error":"authorization_pending"}"#);
    const SLOW: (u16, &str) = (400, r#"{"error":"slow_down"}"#);
    const TOKEN: (u16, &str) = (200, r#"{"access_token":"a","token_type":"Bearer"}"#);

    #[test]
    fn polling() {
        assert_eq!(
            run(false, &[PENDING, PENDING, TOKEN]),
            ("token".into(), vec![2, 2, 2], false)
        );
        assert_eq!(
            run(false, &[PENDING, SLOW, PENDING, SLOW, TOKEN]),
            ("token".into(), vec![2, 2, 7, 7, 12], false)
        );
        assert_eq!(
            run(false, &[PENDING, (400, r#"{"error":"expired_token"}"#)]).0,
            "the device code expired before the login was approved"
        );
        assert_eq!(
            run(false, &[(400, r#"{"error":"access_denied"}"#)]).0,
            "the device login was declined"
        );
        assert_eq!(
            run(
                false,
                &[(
                    400,
                    r#"{"error":"invalid_client","error_description":"bad"}"#
                )]
            )
            .0,
            "the token endpoint refused: invalid_client: bad"
        );
        assert_eq!(
            run(false, &[(400, r#"{"error":"unsupported_grant_type"}"#)]).0,
            "the token endpoint refused: unsupported_grant_type"
        );
        assert_eq!(
            run(
                true,
                &[
                    (400, r#"{"error":"unsupported_grant_type"}"#),
                    PENDING,
                    TOKEN
                ]
            ),
            ("token".into(), vec![2, 2, 2], true)
        );
        assert_eq!(
            run(false, &[(503, "")]).0,
            "the token endpoint refused: 503 Service Unavailable"
        );
        assert_eq!(
            run(false, &[(200, "not json")]).0,
            "the token endpoint refused: not JSON"
        );
    }

    #[test]
    fn device_codes() {
        let codes = DeviceCodes::parse(
            br#"{"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://ya.ru/device","interval":"1","expires_in":300}"#,
        )
        .expect("codes");
        assert_eq!(codes.user_code, "ABCD-EFGH");
        assert_eq!(codes.verification_uri, "https://ya.ru/device");
        assert_eq!(codes.interval, Duration::from_secs(1));
        assert_eq!(codes.lifetime, Duration::from_secs(300));
        let codes = DeviceCodes::parse(
            br#"{"device_code":"d","user_code":"X","verification_uri":"https://microsoft.com/devicelogin"}"#,
        )
        .expect("codes");
        assert_eq!(codes.interval, DEFAULT_INTERVAL);
        assert!(DeviceCodes::parse(br#"{"user_code":"X","verification_uri":"u"}"#).is_err());
        assert!(
            DeviceCodes::parse(br#"{"device_code":"d","user_code":"X\n","verification_uri":"u"}"#)
                .is_ok(),
            "trimmed"
        );
        assert!(
            DeviceCodes::parse(
                br#"{"device_code":"d","user_code":"X\u001b[2J","verification_uri":"u"}"#
            )
            .is_err()
        );
    }
}
