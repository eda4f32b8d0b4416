//! The authorization-code flow (RFC 6749 section 4.1) with PKCE S256 (RFC 7636) and `state`:
//! the authorization URL, the redirect (from the loopback listener or pasted), the code exchange.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use nascfg_credentials::OAuthToken;
use oauth2::{
    AuthUrl, AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
};
use secrecy::{ExposeSecret as _, SecretString};
use time::OffsetDateTime;
use url::Url;

use crate::client::{adapter, request_error, token_client};
use crate::provider::{OAuthProvider, RedirectPort, TokenHost};
use crate::{Error, Network, OAuthApp};

/// The longest request head the loopback listener reads.
const MAX_HEAD: u64 = 16 * 1024;

/// What the redirect brought: the authorization code and, for pCloud, the account's API host.
pub struct Callback {
    code: SecretString,
    hostname: Option<String>,
}

nascfg_credentials::redacted_debug!(Callback {
    code: |_c| nascfg_net::REDACTED,
    hostname
});

impl Callback {
    /// The API host the redirect named (pCloud's `hostname`).
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }
}

/// A token obtained by a login, and the API host the login named (pCloud).
#[derive(Debug)]
pub struct Obtained {
    /// The token, in rclone's JSON shape.
    pub token: OAuthToken,
    /// The API host to store in the credential's `hostname` (pCloud).
    pub hostname: Option<String>,
}

/// One authorization-code login in progress: the URL to open, and what checks the redirect.
pub struct Login {
    provider: &'static OAuthProvider,
    app: OAuthApp,
    redirect_uri: Url,
    url: Url,
    state: CsrfToken,
    verifier: PkceCodeVerifier,
}

nascfg_credentials::redacted_debug!(Login {
    provider: |l| l.provider.kind(),
    redirect_uri: |l| l.redirect_uri.as_str(),
    ..
});

/// The loopback redirect URI on `port`: `http://127.0.0.1:<port>/`.
pub fn redirect_uri(port: u16) -> Url {
    Url::parse(&format!("http://127.0.0.1:{port}/")).expect("a loopback URL is valid")
}

/// The port the loopback listener (or, for `--paste`, the redirect URI) uses for `provider`:
/// 0 (any free port) where the provider allows any port, else its fixed port. `any_port`
/// forces 0 (tests running in parallel).
pub fn loopback_port(provider: &OAuthProvider, any_port: bool) -> u16 {
    match provider.redirect_port() {
        _ if any_port => 0,
        RedirectPort::Any => 0,
        RedirectPort::Fixed(port) => port,
    }
}

/// The port a `--paste` login's redirect URI names: nothing listens there, the browser only
/// fails to load it; the provider's fixed port, or rclone's where any port is allowed.
pub fn paste_port(provider: &OAuthProvider) -> u16 {
    match provider.redirect_port() {
        RedirectPort::Any => crate::provider::FIXED_PORT,
        RedirectPort::Fixed(port) => port,
    }
}

impl Login {
    /// Starts a login of `app` at `provider` whose redirect goes to `redirect_uri`: a fresh
    /// `state` and PKCE verifier, and the authorization URL with the table's scopes and
    /// parameters (moved by the endpoint override in test builds).
    pub fn start(
        provider: &'static OAuthProvider,
        app: OAuthApp,
        redirect_uri: Url,
        network: &Network,
    ) -> Result<Login, Error> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let auth_url = network.endpoints.url(provider.authorization_url())?;
        let client =
            oauth2::basic::BasicClient::new(oauth2::ClientId::new(app.client_id().to_owned()))
                .set_auth_uri(AuthUrl::from_url(auth_url))
                .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in provider.scopes() {
            request = request.add_scope(oauth2::Scope::new((*scope).to_owned()));
        }
        for (name, value) in provider.extra_parameters() {
            request = request.add_extra_param(*name, *value);
        }
        let (url, state) = request.url();
        Ok(Login {
            provider,
            app,
            redirect_uri,
            url,
            state,
            verifier,
        })
    }

    /// The URL the user opens (it holds no secret: the PKCE challenge is a hash).
    pub fn authorization_url(&self) -> &Url {
        &self.url
    }

    /// The redirect URI this login sent.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// The provider.
    pub fn provider(&self) -> &'static OAuthProvider {
        self.provider
    }

    /// Reads what the user pasted: the redirect URL (state checked) or, where the provider
    /// displays one, a bare code.
    pub fn pasted(&self, text: &str) -> Result<Callback, Error> {
        parse_pasted(
            text,
            self.state.secret(),
            &self.redirect_uri,
            self.provider.displays_code(),
        )
    }

    /// Exchanges the callback's code for a token (PKCE verifier and redirect URI sent along).
    /// For pCloud the token comes from the API host the redirect named.
    pub fn finish(self, callback: Callback, network: &Network) -> Result<Obtained, Error> {
        let hostname = match self.provider.token_host() {
            TokenHost::FromLogin => callback
                .hostname
                .as_deref()
                .map(|h| crate::provider::checked_api_host(self.provider, h))
                .transpose()?,
            TokenHost::Fixed => None,
        };
        let token_url = network
            .endpoints
            .url(&self.provider.token_url_for(hostname.as_deref())?)?;
        let client = token_client(&self.app, token_url)
            .set_redirect_uri(RedirectUrl::from_url(self.redirect_uri.clone()));
        let http = network.client();
        let mut secrets = self.app.secrets();
        secrets.push(callback.code.expose_secret().to_owned());
        secrets.push(self.verifier.secret().to_owned());
        let status = std::cell::Cell::new(None);
        let answer = client
            .exchange_code(AuthorizationCode::new(
                callback.code.expose_secret().to_owned(),
            ))
            .set_pkce_verifier(self.verifier)
            .request(&adapter(&http, &status))
            .map_err(|e| request_error(e, status.get(), &secrets))?;
        let hostname = match (self.provider.token_host(), answer.hostname()) {
            (TokenHost::FromLogin, Some(named)) => {
                Some(crate::provider::checked_api_host(self.provider, named)?)
            }
            (TokenHost::FromLogin, None) => hostname,
            (TokenHost::Fixed, _) => None,
        };
        let token = answer.into_token(OffsetDateTime::now_utc())?;
        Ok(Obtained { token, hostname })
    }

    /// Waits on `listener` for this login's redirect, at most `timeout`. The first request must
    /// be the redirect: any other (no `state`, another path) is answered 404 and ends the login
    /// with [`Error::StrayRequest`], since before the redirect only another program can be
    /// talking to the port. A connection that sends nothing (a browser's preconnect) is
    /// ignored. The redirect is answered with a page that says to return to the terminal, and
    /// the listener is closed.
    pub fn wait_for_redirect(
        &self,
        listener: Loopback,
        timeout: Duration,
    ) -> Result<Callback, Error> {
        let until = Instant::now() + timeout;
        listener
            .listener
            .set_nonblocking(true)
            .map_err(|e| Error::Loopback(e.to_string()))?;
        loop {
            match listener.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(result) = self.serve(stream) {
                        return result;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= until {
                        return Err(Error::LoginTimedOut(timeout.as_secs()));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Loopback(e.to_string())),
            }
        }
    }

    /// Answers one connection; `Some` when it was the redirect (good or bad).
    fn serve(&self, stream: TcpStream) -> Option<Result<Callback, Error>> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(stream.take(MAX_HEAD));
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return None;
        }
        // Read the rest of the head, so the browser sees an orderly answer.
        let mut rest = String::new();
        while reader.read_line(&mut rest).is_ok_and(|n| n > 2) {
            rest.clear();
        }
        let mut stream = reader.into_inner().into_inner();
        if line.trim().is_empty() {
            return None;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let redirect = method == "GET" && is_redirect_target(target, &self.redirect_uri);
        if !redirect {
            respond(&mut stream, "404 Not Found", "text/plain", NOT_FOUND);
            return Some(Err(Error::StrayRequest(stray_summary(method, target))));
        }
        let full = self
            .redirect_uri
            .join(target)
            .map_err(|_| Error::NotARedirect("the redirect is not a URL".into()));
        let result =
            full.and_then(|url| parse_redirect_url(&url, self.state.secret(), &self.redirect_uri));
        match &result {
            Ok(_) => respond(&mut stream, "200 OK", "text/html; charset=utf-8", DONE_PAGE),
            Err(_) => respond(
                &mut stream,
                "400 Bad Request",
                "text/html; charset=utf-8",
                FAILED_PAGE,
            ),
        }
        Some(result)
    }
}

/// A stray request, shown without its query (which is not ours to print) and capped.
fn stray_summary(method: &str, target: &str) -> String {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let mut shown: String = format!("{method} {path}")
        .chars()
        .filter(|c| !c.is_control())
        .take(60)
        .collect();
    if shown.trim().is_empty() {
        shown = "something that is not HTTP".to_owned();
    }
    format!("{shown:?}")
}

/// The loopback listener of one login: 127.0.0.1 only, one redirect accepted.
#[derive(Debug)]
pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub fn bind(port: u16) -> Result<Loopback, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .map_err(|e| Error::Loopback(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Loopback(e.to_string()))?
            .port();
        Ok(Loopback { listener, port })
    }

    /// The redirect URI that reaches this listener.
    pub fn redirect_uri(&self) -> Url {
        redirect_uri(self.port)
    }
}

const NOT_FOUND: &str = "Not found: this port only waits for the login's redirect.\n";
const DONE_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>nascfg</title></head>\
<body><p>The login reached nascfg. Return to the terminal.</p></body></html>\n";
const FAILED_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>nascfg</title></head>\
<body><p>The login failed. Return to the terminal to see why.</p></body></html>\n";

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

/// Whether a request target is the redirect: the redirect URI's path with a `state` in the query.
fn is_redirect_target(target: &str, redirect_uri: &Url) -> bool {
    let Ok(url) = redirect_uri.join(target) else {
        return false;
    };
    url.path() == redirect_uri.path() && url.query_pairs().any(|(k, _)| k == "state")
}

/// Reads a pasted line: the redirect URL (it must be this login's redirect URI, with the
/// `state` sent), or, where the provider displays one (`displays_code`), a bare code.
pub fn parse_pasted(
    text: &str,
    state: &str,
    redirect_uri: &Url,
    displays_code: bool,
) -> Result<Callback, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::NotARedirect("nothing was pasted".into()));
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(text)
            .map_err(|_| Error::NotARedirect("the pasted text is not a URL".into()))?;
        let same_place = url.scheme() == redirect_uri.scheme()
            && url.port_or_known_default() == redirect_uri.port_or_known_default()
            && matches!(url.host_str(), Some("127.0.0.1" | "localhost"))
            && url.path() == redirect_uri.path();
        if !same_place {
            return Err(Error::NotARedirect(format!(
                "the pasted address is not this login's redirect ({redirect_uri}...)"
            )));
        }
        return parse_redirect_url(&url, state, redirect_uri);
    }
    let code_like = text.len() <= 4096
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'));
    if displays_code && code_like {
        return Ok(Callback {
            code: SecretString::from(text.to_owned()),
            hostname: None,
        });
    }
    Err(Error::NotARedirect(if displays_code {
        "the pasted text is neither the redirect address nor a code".into()
    } else {
        "the pasted text is not the redirect address (it starts with http://127.0.0.1)".into()
    }))
}

/// Reads a redirect URL's query: `state` first (a wrong one is a mismatch whatever else it says),
/// then `error=`, then `code` (and pCloud's `hostname`).
fn parse_redirect_url(url: &Url, state: &str, redirect_uri: &Url) -> Result<Callback, Error> {
    let _ = redirect_uri;
    let mut got_state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    let mut hostname = None;
    for (key, value) in url.query_pairs() {
        let slot = match key.as_ref() {
            "state" => &mut got_state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "hostname" => &mut hostname,
            _ => continue,
        };
        if slot.is_some() {
            return Err(Error::NotARedirect(format!(
                "the redirect carries {key} twice"
            )));
        }
        *slot = Some(value.into_owned());
    }
    let Some(got_state) = got_state else {
        return Err(Error::NotARedirect(
            "the redirect carries no state: it is not this login's redirect".into(),
        ));
    };
    if !constant_time_eq(got_state.as_bytes(), state.as_bytes()) {
        return Err(Error::StateMismatch);
    }
    if let Some(error) = error {
        let reason = match description.filter(|d| !d.trim().is_empty()) {
            Some(d) => format!("{}: {}", crate::excerpt(&error), crate::excerpt(&d)),
            None => crate::excerpt(&error),
        };
        return Err(Error::Denied(reason));
    }
    match code.filter(|c| !c.is_empty()) {
        Some(code) => Ok(Callback {
            code: SecretString::from(code),
            hostname: hostname.filter(|h| !h.trim().is_empty()),
        }),
        None => Err(Error::NotARedirect("the redirect carries no code".into())),
    }
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, displays_code: bool, expected: Result<(&str, Option<&str>), &str>) {
        let uri = redirect_uri(53682);
        let got = parse_pasted(text, "s1", &uri, displays_code)
            .map(|c| (c.code.expose_secret().to_owned(), c.hostname.clone()))
            .map_err(|e| e.to_string());
        let expected = expected
            .map(|(c, h)| (c.to_owned(), h.map(str::to_owned)))
            .map_err(str::to_owned);
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn pasted_redirects() {
        check(
            "http://127.0.0.1:53682/?code=c1&state=s1",
            false,
            Ok(("c1", None)),
        );
        check(
            " http://localhost:53682/?state=s1&code=c%2B1 \n",
            false,
            Ok(("c+1", None)),
        );
        check(
            "http://127.0.0.1:53682/?code=c1&state=s1&locationid=2&hostname=eapi.pcloud.com",
            false,
            Ok(("c1", Some("eapi.pcloud.com"))),
        );
        check(
            "http://127.0.0.1:53682/?code=c1&state=s2",
            false,
            Err("the redirect's state does not match this login's (a stale or forged redirect)"),
        );
        check(
            "http://127.0.0.1:53682/?error=access_denied&state=s2",
            false,
            Err("the redirect's state does not match this login's (a stale or forged redirect)"),
        );
        check(
            "http://127.0.0.1:53682/?error=access_denied&error_description=The+user+said+no&state=s1",
            false,
            Err("the provider refused the authorization: access_denied: The user said no"),
        );
        check(
            "http://127.0.0.1:53682/?code=c1",
            false,
            Err("the redirect carries no state: it is not this login's redirect"),
        );
        check(
            "http://127.0.0.1:53682/?state=s1",
            false,
            Err("the redirect carries no code"),
        );
        check(
            "http://127.0.0.1:53682/?state=s1&state=s1&code=c",
            false,
            Err("the redirect carries state twice"),
        );
        check(
            "https://evil.example/?code=c1&state=s1",
            false,
            Err("the pasted address is not this login's redirect (http://127.0.0.1:53682/...)"),
        );
        check(
            "http://127.0.0.1:9/?code=c1&state=s1",
            false,
            Err("the pasted address is not this login's redirect (http://127.0.0.1:53682/...)"),
        );
        check("c0de-4711", true, Ok(("c0de-4711", None)));
        check(
            "c0de-4711",
            false,
            Err("the pasted text is not the redirect address (it starts with http://127.0.0.1)"),
        );
        check(
            "two words",
            true,
            Err("the pasted text is neither the redirect address nor a code"),
        );
        check("", true, Err("nothing was pasted"));
    }

    #[test]
    fn a_stray_request_is_shown_without_its_query() {
        assert_eq!(
            stray_summary("GET", "/favicon.ico?token=secret"),
            "\"GET /favicon.ico\""
        );
        assert_eq!(
            stray_summary("\u{1b}", ""),
            "\"something that is not HTTP\""
        );
    }

    #[test]
    fn stray_targets_are_not_redirects() {
        let uri = redirect_uri(1234);
        assert!(is_redirect_target("/?code=a&state=b", &uri));
        assert!(is_redirect_target("/?state=b&error=access_denied", &uri));
        assert!(!is_redirect_target("/favicon.ico", &uri));
        assert!(!is_redirect_target("/", &uri));
        assert!(!is_redirect_target("/?code=a", &uri));
        assert!(!is_redirect_target("/x?state=b", &uri));
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        let verifier =
            PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(challenge.method().as_str(), "S256");
    }

    #[test]
    fn authorization_url_carries_the_table() {
        let provider = crate::oauth_provider(nascfg_credentials::ProviderKind::GoogleDrive)
            .expect("google drive");
        let app = OAuthApp::for_login(
            provider,
            Some("id1"),
            Some(SecretString::from("the-client-secret-42")),
        )
        .expect("an app");
        let login =
            Login::start(provider, app, redirect_uri(4000), &Network::default()).expect("a login");
        let url = login.authorization_url();
        assert_eq!(url.host_str(), Some("accounts.google.com"));
        let pairs: std::collections::BTreeMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_id"], "id1");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["redirect_uri"], "http://127.0.0.1:4000/");
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["access_type"], "offline");
        assert_eq!(pairs["prompt"], "consent");
        assert_eq!(pairs["scope"], "https://www.googleapis.com/auth/drive");
        assert_eq!(pairs["state"], login.state.secret().as_str());
        assert!(
            !url.as_str().contains("the-client-secret-42"),
            "no secret in the URL"
        );
    }
}
