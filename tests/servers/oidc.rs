//! A real OAuth 2.0 authorization server on loopback: the npm package `oidc-provider` (installed by
//! `.ci/setup` into `.ci/node`), run by `servers/oidc/server.mjs` and configured per case, serving one
//! provider's real paths (authorization, token, device authorization) and the provider's API calls
//! nascfg's verify modules make (accepting exactly the access tokens it issued).
//!
//! [`Browser`] plays the user's browser: it walks the server's login and consent pages with a
//! cookie-keeping HTTP client and hands back the final redirect to the app's loopback address
//! without following it; [`Browser::approve_device`] enters a device flow's user code.
//!
//! ```no_run
//! use nascfg_tests::servers::{Browser, OAuthProvider, OidcServer};
//! let server = OidcServer::start(&OAuthProvider::Box.config());
//! let mut browser = Browser::new(&server);
//! let redirect = browser.authorize("http://127.0.0.1:1/api/oauth2/authorize?...").unwrap();
//! assert!(redirect.starts_with("http://127.0.0.1:"));
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::READY_TIMEOUT;

/// The account the server's login page accepts.
pub const OIDC_LOGIN: &str = "tester";
/// Its password.
pub const OIDC_PASSWORD: &str = "Oidc-test-Pw-58";

/// The seven providers whose login the server plays, with their real paths and quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthProvider {
    /// Google Drive.
    GoogleDrive,
    /// Google Photos.
    GooglePhotos,
    /// OneDrive (Microsoft identity platform, Microsoft Graph).
    OneDrive,
    /// Dropbox.
    Dropbox,
    /// Box.
    Box,
    /// pCloud.
    Pcloud,
    /// Yandex Disk.
    Yandex,
}

impl OAuthProvider {
    /// All seven.
    pub const ALL: [OAuthProvider; 7] = [
        OAuthProvider::GoogleDrive,
        OAuthProvider::GooglePhotos,
        OAuthProvider::OneDrive,
        OAuthProvider::Dropbox,
        OAuthProvider::Box,
        OAuthProvider::Pcloud,
        OAuthProvider::Yandex,
    ];

    /// The provider type as nascfg spells it (`GOOGLE_DRIVE`, ...).
    pub fn type_str(self) -> &'static str {
        match self {
            OAuthProvider::GoogleDrive => "GOOGLE_DRIVE",
            OAuthProvider::GooglePhotos => "GOOGLE_PHOTOS",
            OAuthProvider::OneDrive => "ONEDRIVE",
            OAuthProvider::Dropbox => "DROPBOX",
            OAuthProvider::Box => "BOX",
            OAuthProvider::Pcloud => "PCLOUD",
            OAuthProvider::Yandex => "YANDEX",
        }
    }

    /// The path of the authorization endpoint.
    pub fn authorization_path(self) -> &'static str {
        match self {
            OAuthProvider::GoogleDrive | OAuthProvider::GooglePhotos => "/o/oauth2/auth",
            OAuthProvider::OneDrive => "/common/oauth2/v2.0/authorize",
            OAuthProvider::Dropbox | OAuthProvider::Pcloud => "/oauth2/authorize",
            OAuthProvider::Box => "/api/oauth2/authorize",
            OAuthProvider::Yandex => "/authorize",
        }
    }

    /// The path of the token endpoint.
    pub fn token_path(self) -> &'static str {
        match self {
            OAuthProvider::GoogleDrive | OAuthProvider::GooglePhotos | OAuthProvider::Yandex => {
                "/token"
            }
            OAuthProvider::OneDrive => "/common/oauth2/v2.0/token",
            OAuthProvider::Dropbox | OAuthProvider::Box => "/oauth2/token",
            OAuthProvider::Pcloud => "/oauth2_token",
        }
    }

    /// The path of the device authorization endpoint (RFC 8628), where the provider has one.
    pub fn device_path(self) -> Option<&'static str> {
        match self {
            OAuthProvider::OneDrive => Some("/common/oauth2/v2.0/devicecode"),
            OAuthProvider::Yandex => Some("/device/code"),
            _ => None,
        }
    }

    /// Whether the provider's refresh tokens are single use (Box, Microsoft).
    pub fn rotates_refresh_tokens(self) -> bool {
        matches!(self, OAuthProvider::Box | OAuthProvider::OneDrive)
    }

    /// Whether the token answer has a refresh token (pCloud's tokens do not expire: none).
    pub fn has_refresh_tokens(self) -> bool {
        self != OAuthProvider::Pcloud
    }

    /// The server configuration (see `servers/oidc/server.mjs`) for this provider with one
    /// confidential client [`CLIENT_ID`]/[`CLIENT_SECRET`]; adjust it as JSON before starting.
    pub fn config(self) -> Value {
        let mut routes = json!({
            "authorization": self.authorization_path(),
            "token": self.token_path(),
        });
        if let Some(device) = self.device_path() {
            routes["device_authorization"] = device.into();
            routes["code_verification"] = match self {
                OAuthProvider::Yandex => "/device",
                _ => "/devicelogin",
            }
            .into();
        }
        let (api, scopes, require_params) = match self {
            OAuthProvider::GoogleDrive => (
                "google_drive",
                json!(["https://www.googleapis.com/auth/drive"]),
                json!({"access_type": "offline", "prompt": "consent"}),
            ),
            OAuthProvider::GooglePhotos => (
                "google_photos",
                json!([
                    "https://www.googleapis.com/auth/photoslibrary",
                    "https://www.googleapis.com/auth/photoslibrary.readonly",
                    "https://www.googleapis.com/auth/photoslibrary.appendonly",
                    "https://www.googleapis.com/auth/photoslibrary.readonly.appcreateddata",
                    "https://www.googleapis.com/auth/photoslibrary.edit.appcreateddata"
                ]),
                json!({"access_type": "offline", "prompt": "consent"}),
            ),
            OAuthProvider::OneDrive => (
                "onedrive",
                json!([
                    "Files.Read",
                    "Files.ReadWrite",
                    "Files.Read.All",
                    "Files.ReadWrite.All",
                    "Sites.Read.All",
                    "User.Read"
                ]),
                json!({}),
            ),
            OAuthProvider::Dropbox => (
                "dropbox",
                json!([
                    "account_info.read",
                    "files.metadata.read",
                    "files.metadata.write",
                    "files.content.read",
                    "files.content.write"
                ]),
                json!({"token_access_type": "offline"}),
            ),
            OAuthProvider::Box => ("box", json!(["root_readwrite"]), json!({})),
            OAuthProvider::Pcloud => ("pcloud", json!([]), json!({})),
            OAuthProvider::Yandex => (
                "yandex",
                json!([
                    "cloud_api:disk.read",
                    "cloud_api:disk.write",
                    "cloud_api:disk.app_folder",
                    "cloud_api:disk.info"
                ]),
                json!({}),
            ),
        };
        let mut config = json!({
            "api": api,
            "routes": routes,
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}],
            "scopes": scopes,
            "require_params": require_params,
            "refresh": {
                "rotate": self.rotates_refresh_tokens(),
                "require_scope": if self == OAuthProvider::OneDrive { json!("offline_access") } else { Value::Null },
            },
            "device": self.device_path().is_some(),
            "device_interval": 1,
            "user": {"login": OIDC_LOGIN, "password": OIDC_PASSWORD},
        });
        match self {
            OAuthProvider::GoogleDrive | OAuthProvider::GooglePhotos => {
                config["route_aliases"] = json!({"/o/oauth2/v2/auth": "/o/oauth2/auth"});
            }
            OAuthProvider::OneDrive => {
                config["drives"] = json!([["b!personal0123", "OneDrive", "business"]]);
                config["offline_access_without_consent_prompt"] = true.into();
                // A public client ("Allow public client flows") needs no secret.
                config["clients"][0]["secret_optional"] = true.into();
            }
            OAuthProvider::Pcloud => {
                // As my.pcloud.com does: the redirect names the API host of the account's region.
                config["redirect_extra"] =
                    json!({"locationid": "2", "hostname": "eapi.pcloud.com"});
                // Its tokens do not expire and come without a refresh token.
                config["refresh"]["issue"] = false.into();
                config["ttl"] = json!({"AccessToken": 86_400});
                config["token_type"] = "bearer".into();
                config["token_omit"] = json!(["expires_in", "scope"]);
                config["token_extra"] = json!({"result": 0, "uid": 4_242, "locationid": 2});
            }
            OAuthProvider::Yandex => {
                // oauth.yandex.com answers `token_type: bearer`; the Disk API wants `OAuth <token>`,
                // and the device answer names the page `verification_url`.
                config["token_type"] = "bearer".into();
                config["api_scheme"] = "OAuth".into();
                config["device_rename"] = json!({"verification_uri": "verification_url"});
            }
            OAuthProvider::Dropbox => {
                // With PKCE Dropbox needs no client secret (a given one must be right).
                config["clients"][0]["secret_optional"] = true.into();
            }
            OAuthProvider::Box => {}
        }
        config
    }
}

/// The client id [`OAuthProvider::config`] registers.
pub const CLIENT_ID: &str = "nascfg-test-client";
/// Its client secret.
pub const CLIENT_SECRET: &str = "Client-secret-0b7e1d";

/// oidc-provider on a loopback port, killed on drop.
#[derive(Debug)]
pub struct OidcServer {
    /// The port.
    pub port: u16,
    url: String,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl OidcServer {
    /// Starts `server.mjs` with `config` (see [`OAuthProvider::config`]) on a free loopback port
    /// and returns once it listens (its first line on stdout names the port).
    pub fn start(config: &Value) -> OidcServer {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let module = root.join(".ci/node/node_modules/oidc-provider/package.json");
        assert!(
            module.exists(),
            "{} is missing: run `bash .ci/setup`",
            module.display()
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("servers/oidc/server.mjs");
        let dir = tempfile::Builder::new()
            .prefix("nascfg-oidc-")
            .tempdir()
            .expect("create a temporary directory");
        let log = dir.path().join("oidc.log");
        let err = std::fs::File::create(&log).expect("create server log");
        let mut child = Command::new("node")
            .arg(&script)
            .arg(config.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start node {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        // The ready line, read on a thread so a hung start hits the deadline.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep the pipe open (and drained) while the server runs.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = rx.recv_timeout(READY_TIMEOUT).unwrap_or_default();
        let port = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("oidc-provider did not start (ready line {line:?}):\n{text}");
        };
        OidcServer {
            port,
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT`: the endpoint override that points nascfg here.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the server wrote to stderr so far (one line per request: method and path).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 client for loopback (no TLS, no proxies): enough for a browser and for tests.
// ---------------------------------------------------------------------------------------------

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body, lossily decoded.
    pub body: String,
}

impl HttpAnswer {
    /// The first header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// `http://host:port/path?query` split into `host:port` and `/path?query`.
fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {url}"))?;
    let rest = rest.split('#').next().unwrap_or(rest);
    match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => Ok((rest[..i].to_owned(), rest[i..].to_owned())),
        Some(i) => Ok((rest[..i].to_owned(), format!("/{}", &rest[i..]))),
        None => Ok((rest.to_owned(), "/".to_owned())),
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer. The deadline is 30 s.
pub fn http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> Result<HttpAnswer, String> {
    let (host, target) = split_url(url)?;
    let addr: std::net::SocketAddr = host
        .parse()
        .map_err(|e| format!("{host}: not an address:port ({e})"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| format!("connect {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(30))))
        .map_err(|e| e.to_string())?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some((content_type, bytes)) = body {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            bytes.len()
        ));
    } else if method == "POST" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    if let Some((_, bytes)) = body {
        request.extend_from_slice(bytes);
    }
    stream
        .write_all(&request)
        .map_err(|e| format!("send to {host}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read from {host}: {e}"))?;
    parse_answer(&raw).ok_or_else(|| {
        format!(
            "{host}: not an HTTP answer: {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

fn parse_answer(raw: &[u8]) -> Option<HttpAnswer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(HttpAnswer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// `GET url`.
pub fn http_get(url: &str) -> Result<HttpAnswer, String> {
    http_request("GET", url, &[], None)
}

/// `POST url` with a form body.
pub fn http_post_form(url: &str, form: &[(&str, &str)]) -> Result<HttpAnswer, String> {
    let body = form_encode(form);
    http_request(
        "POST",
        url,
        &[],
        Some(("application/x-www-form-urlencoded", body.as_bytes())),
    )
}

/// `a=1&b=x%20y`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query parameters of `url` (percent-decoded).
pub fn query_of(url: &str) -> BTreeMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or(query);
    crate::standins::parse_form(query)
}

// ---------------------------------------------------------------------------------------------
// The browser.
// ---------------------------------------------------------------------------------------------

/// What the user does on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Allows access.
    Allow,
    /// Denies access (the app gets `error=access_denied`).
    Deny,
}

/// A user's browser against one [`OidcServer`]: keeps its cookies, follows the server's own
/// redirects, fills the login, consent and user-code forms.
#[derive(Debug)]
pub struct Browser {
    origin: String,
    cookies: BTreeMap<String, String>,
    login: String,
    password: String,
}

impl Browser {
    /// A browser with no cookies that logs in as [`OIDC_LOGIN`].
    pub fn new(server: &OidcServer) -> Browser {
        Browser {
            origin: server.url().to_owned(),
            cookies: BTreeMap::new(),
            login: OIDC_LOGIN.to_owned(),
            password: OIDC_PASSWORD.to_owned(),
        }
    }

    /// Opens `authorization_url` (its scheme, host and port are replaced by the server's, as the
    /// endpoint override does), logs in, allows access, and returns the redirect to the app
    /// (`http://127.0.0.1:PORT/?code=...&state=...`) without following it.
    pub fn authorize(&mut self, authorization_url: &str) -> Result<String, String> {
        self.authorize_with(authorization_url, Consent::Allow)
    }

    /// [`Browser::authorize`] with the user's choice on the consent page.
    pub fn authorize_with(
        &mut self,
        authorization_url: &str,
        consent: Consent,
    ) -> Result<String, String> {
        let url = self.rebase(authorization_url)?;
        match self.walk(url, consent, None)? {
            Walked::Redirect(to) => Ok(to),
            Walked::Done => Err("the server showed a success page instead of redirecting".into()),
        }
    }

    /// Opens the device flow's `verification_uri` (rebased to the server), enters `user_code`,
    /// logs in and allows access.
    pub fn approve_device(
        &mut self,
        verification_uri: &str,
        user_code: &str,
    ) -> Result<(), String> {
        let url = self.rebase(verification_uri)?;
        match self.walk(url, Consent::Allow, Some(user_code))? {
            Walked::Done => Ok(()),
            Walked::Redirect(to) => Err(format!("the device flow redirected to {to}")),
        }
    }

    /// `url` with the server's scheme, host and port.
    fn rebase(&self, url: &str) -> Result<String, String> {
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .ok_or_else(|| format!("not a URL: {url}"))?;
        let path = rest.find(['/', '?']).map(|i| &rest[i..]).unwrap_or("/");
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        Ok(format!("{}{path}", self.origin))
    }

    fn send(&mut self, method: &str, url: &str, form: Option<&str>) -> Result<HttpAnswer, String> {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = vec![("User-Agent", "nascfg-test-browser")];
        if !cookie.is_empty() {
            headers.push(("Cookie", cookie.as_str()));
        }
        let answer = http_request(
            method,
            url,
            &headers,
            form.map(|f| ("application/x-www-form-urlencoded", f.as_bytes())),
        )?;
        for (name, value) in &answer.headers {
            if name != "set-cookie" {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            let lower = value.to_ascii_lowercase();
            if v.is_empty()
                || lower.contains("expires=thu, 01 jan 1970")
                || lower.contains("max-age=0")
            {
                self.cookies.remove(k.trim());
            } else {
                self.cookies
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        Ok(answer)
    }

    fn walk(
        &mut self,
        start: String,
        consent: Consent,
        user_code: Option<&str>,
    ) -> Result<Walked, String> {
        let mut method = "GET";
        let mut url = start;
        let mut form: Option<String> = None;
        for _ in 0..24 {
            let answer = self.send(method, &url, form.as_deref())?;
            if (300..400).contains(&answer.status) {
                let location = answer
                    .header("location")
                    .ok_or_else(|| format!("{} without Location from {url}", answer.status))?;
                let next = if location.starts_with('/') {
                    format!("{}{location}", self.origin)
                } else {
                    location.to_owned()
                };
                if !next.starts_with(&format!("{}/", self.origin)) {
                    return Ok(Walked::Redirect(next));
                }
                (method, url, form) = ("GET", next, None);
                continue;
            }
            if let Some(error) = marked(&answer.body, "error") {
                return Err(format!("{} at {url}: {error}", answer.status));
            }
            if answer.status != 200 {
                return Err(format!("{} at {url}: {}", answer.status, answer.body));
            }
            if marked(&answer.body, "done").is_some() {
                return Ok(Walked::Done);
            }
            let (action, fields) = parse_form_page(&answer.body)
                .ok_or_else(|| format!("no form at {url}: {}", answer.body))?;
            let filled: Vec<(String, String)> = fields
                .into_iter()
                .map(|(name, value)| {
                    let value = match name.as_str() {
                        "login" => self.login.clone(),
                        "password" => self.password.clone(),
                        "decision" => match consent {
                            Consent::Allow => "allow".into(),
                            Consent::Deny => "deny".into(),
                        },
                        "user_code" if value.is_empty() => user_code.unwrap_or_default().to_owned(),
                        _ => value,
                    };
                    (name, value)
                })
                .collect();
            let pairs: Vec<(&str, &str)> = filled
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let next = if action.starts_with('/') {
                format!("{}{action}", self.origin)
            } else if action.is_empty() {
                url.clone()
            } else {
                action
            };
            (method, url, form) = ("POST", next, Some(form_encode(&pairs)));
        }
        Err(format!("the login did not finish in 24 pages (last {url})"))
    }
}

enum Walked {
    Redirect(String),
    Done,
}

/// The text of the first `<p class="NAME">` of a page.
fn marked(page: &str, class: &str) -> Option<String> {
    let open = format!("<p class=\"{class}\">");
    let start = page.find(&open)? + open.len();
    let end = page[start..].find("</p>")? + start;
    Some(html_unescape(&page[start..end]))
}

/// The action and the named inputs (with their values) of the first form of a page.
fn parse_form_page(page: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = page.find("<form")?;
    let end = page[start..].find("</form>")? + start;
    let form = &page[start..end];
    let tag_end = form.find('>')?;
    let action = attribute(&form[..tag_end], "action").unwrap_or_default();
    let mut fields = Vec::new();
    let mut rest = &form[tag_end..];
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..];
        let close = tag.find('>')?;
        let tag_text = &tag[..close];
        if let Some(name) = attribute(tag_text, "name") {
            fields.push((name, attribute(tag_text, "value").unwrap_or_default()));
        }
        rest = &tag[close..];
    }
    Some((html_unescape(&action), fields))
}

/// The value of `name="..."` in a tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    loop {
        let i = search.find(&format!("{name}=\""))?;
        let before = search[..i].chars().last();
        let value_start = i + name.len() + 2;
        if before.is_none_or(char::is_whitespace) {
            let len = search[value_start..].find('"')?;
            return Some(html_unescape(&search[value_start..value_start + len]));
        }
        search = &search[value_start..];
    }
}

fn html_unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Waits until `deadline` for `probe` to return `Some`, polling every 20 ms.
pub fn wait_for<T>(what: &str, deadline: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
