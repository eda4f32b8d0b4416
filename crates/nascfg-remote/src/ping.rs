//! healthchecks.io-style pings around a push: `URL/start` before, `URL` on
//! success, `URL/fail` on failure, each a short POST through nascfg-net's
//! client with a short deadline.

use std::time::Duration;

use nascfg_net::{Deadline, HttpClient};
use url::Url;

use crate::error::{Error, Result};

/// The longest ping URL accepted.
const MAX_URL: usize = 2048;

/// A ping URL, checked: `http` or `https`, no user or password in it.
///
/// Its path is treated as a capability (healthchecks.io's check UUID, or a
/// ping key and slug): messages show only [`PingUrl::shown`], the scheme and
/// host.
#[derive(Clone, PartialEq, Eq)]
pub struct PingUrl(Url);

impl std::fmt::Debug for PingUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PingUrl").field(&self.shown()).finish()
    }
}

/// Which signal a ping sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The push begins (`URL/start`): the service measures its duration.
    Start,
    /// The push succeeded (`URL`).
    Success,
    /// The push failed (`URL/fail`).
    Fail,
}

impl Signal {
    /// `start`, `success`, `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Start => "start",
            Signal::Success => "success",
            Signal::Fail => "fail",
        }
    }
}

impl PingUrl {
    /// Checks `text` as a ping URL.
    pub fn parse(text: &str) -> Result<PingUrl> {
        let refuse = |reason: &str| Error::PingUrl {
            reason: reason.to_owned(),
        };
        if text.len() > MAX_URL {
            return Err(refuse("it is longer than 2048 characters"));
        }
        let url = Url::parse(text).map_err(|e| refuse(&format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse("it must start with https:// (or http://)"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "it must not carry a user or password (they would show in the unit files)",
            ));
        }
        Ok(PingUrl(url))
    }

    /// `https://hc-ping.com/…`: the scheme and host (and port), the rest
    /// elided, for messages.
    pub fn shown(&self) -> String {
        let mut shown = format!(
            "{}://{}",
            self.0.scheme(),
            self.0.host_str().unwrap_or_default()
        );
        if let Some(port) = self.0.port() {
            shown.push_str(&format!(":{port}"));
        }
        shown.push_str("/…");
        shown
    }

    /// The whole URL, for the unit files `backup schedule --print` writes
    /// (the user gave it there to be written).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URL for `signal`: `/start` and `/fail` appended to the path
    /// (healthchecks.io's convention), the query kept.
    pub fn for_signal(&self, signal: Signal) -> Url {
        let mut url = self.0.clone();
        let suffix = match signal {
            Signal::Success => return url,
            Signal::Start => "start",
            Signal::Fail => "fail",
        };
        let path = format!("{}/{suffix}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }
}

/// Sends `signal` to `url` with `body` (a short, secret-free text: what
/// happened, the bundle's name, the error's first line), bounded by
/// `timeout` in all. A 2xx answer is success; anything else is an error the
/// caller warns about (a ping never decides a push).
pub fn ping(url: &PingUrl, signal: Signal, body: &str, timeout: Duration) -> Result<()> {
    let client = HttpClient::new(timeout, Deadline::after(timeout));
    let target = url.for_signal(signal);
    let failed = |message: String| Error::Ping {
        signal: signal.as_str(),
        url: url.shown(),
        message: nascfg_net::scrub(&message, &[url.0.path()]),
    };
    let answer = client
        .send(
            "POST",
            &target,
            &[("content-type", "text/plain; charset=utf-8")],
            Some(body.as_bytes()),
        )
        .map_err(|e| failed(e.to_string()))?;
    if answer.is_success() {
        Ok(())
    } else {
        Err(failed(format!("answered {}", answer.status_line())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(given: &str, expected: Result<[&str; 3], &str>) {
        let got = PingUrl::parse(given).map(|u| {
            [Signal::Start, Signal::Success, Signal::Fail].map(|s| u.for_signal(s).to_string())
        });
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected.map(str::to_owned), "{given}"),
            (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{given}: {e}"),
            (got, expected) => panic!("{given}: {got:?} != {expected:?}"),
        }
    }

    #[test]
    fn signal_urls() {
        check(
            "https://hc-ping.com/0b5e-uuid",
            Ok([
                "https://hc-ping.com/0b5e-uuid/start",
                "https://hc-ping.com/0b5e-uuid",
                "https://hc-ping.com/0b5e-uuid/fail",
            ]),
        );
        check(
            "http://127.0.0.1:8000/ping/key/slug/?create=1",
            Ok([
                "http://127.0.0.1:8000/ping/key/slug/start?create=1",
                "http://127.0.0.1:8000/ping/key/slug/?create=1",
                "http://127.0.0.1:8000/ping/key/slug/fail?create=1",
            ]),
        );
        check("ftp://h/x", Err("https://"));
        check("https://u:pw@h/x", Err("password"));
        check("not a url", Err("not a URL"));
        check(&format!("https://h/{}", "a".repeat(3000)), Err("longer"));
    }

    #[test]
    fn shown_hides_the_path() {
        let url = PingUrl::parse("https://hc-ping.com:8443/secret-uuid?x=1").expect("a URL");
        assert_eq!(url.shown(), "https://hc-ping.com:8443/…");
        assert!(!format!("{url:?}").contains("secret-uuid"));
    }
}
