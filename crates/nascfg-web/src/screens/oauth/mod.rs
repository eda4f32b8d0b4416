//! Login to Provider: the OAuth authorization-code flow (PKCE and `state`,
//! [`nascfg_oauth::Login`]) started from the credential form, its redirect
//! received by this server's own callback route, the token stored sealed in
//! the credential under the writer lock.
//!
//! Where the redirect goes:
//! - the server listens on loopback and the provider accepts any loopback port
//!   (Google, Microsoft): `http://<listen address>/`, the address the providers'
//!   registrations name ("http://127.0.0.1", path `/`; Microsoft matches the
//!   path); the root route hands a redirect (a query with `state`) to the
//!   callback, which is also mounted at `/oauth/callback`;
//! - otherwise (a provider registered for rclone's fixed
//!   `http://127.0.0.1:53682/`, or a server on a network address, which a
//!   provider's loopback redirect cannot reach): the redirect goes to that
//!   loopback address, the browser fails to load it, and the user pastes its
//!   address into the page ([`nascfg_oauth::Login::pasted`]), as
//!   `nascfg cred login --paste` does. The server does not hold port 53682:
//!   it is rclone's and `nascfg cred login`'s, and a listener there would
//!   answer for every browser on the machine, not only for the session that
//!   started the login.
//!
//! Pending logins live in memory, keyed by `state`, bound to the session that
//! started them, used once, and dropped after [`LOGIN_EXPIRY`]. The token and
//! the client secret never reach the browser.
//!
//! The session cookie is `SameSite=Strict`, so a browser does not send it on
//! the provider's cross-site redirect: such a callback, arriving without the
//! cookie, is answered with a page that reloads the same address from this
//! site (a same-site navigation, which carries the cookie); a callback that
//! still has no session is refused.

use std::collections::HashMap;
use std::time::Duration;

use askama::Template;
use axum::extract::Request;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_crypto::secrecy::{ExposeSecret as _, SecretString};
use nascfg_oauth::{Login, Network, OAuthApp, OAuthProvider, Obtained, RedirectPort};
use nascfg_store::Store;
use serde_json::{Map, Value};
use tokio::time::Instant;
use url::Url;

use crate::form::{self, Mode};
use crate::page::{LoggedIn, blocking, html, problem};
use crate::state::{App, Sess};

pub(crate) mod pending;

use pending::{Pending, Target};

/// How long a started login waits for its redirect.
pub(crate) const LOGIN_EXPIRY: Duration = Duration::from_secs(10 * 60);

/// The query parameter a reloaded callback carries, so it reloads only once.
const RELOADED: &str = "nascfg_reloaded";

/// A token that only stands in while a new credential's other attributes are checked.
const PLACEHOLDER_TOKEN: &str = r#"{"access_token":"placeholder","token_type":"Bearer"}"#;

/// The network settings of Verify Credential: its timeouts, and in test builds
/// its endpoint override.
fn network(app: &App) -> Network {
    let options = &app.inner.verify;
    #[allow(unused_mut)]
    let mut network = Network {
        connect_timeout: options.connect_timeout,
        request_deadline: options.deadline,
        ..Network::default()
    };
    #[cfg(feature = "test-endpoints")]
    if let Some(base) = &options.endpoint_override {
        network.endpoints = nascfg_oauth::nascfg_net::Endpoints::overridden(base.clone());
    }
    network
}

/// A failure shown as a page of text.
struct Failure {
    status: StatusCode,
    message: String,
    hint: Option<String>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            hint: None,
        }
    }

    fn oauth(e: &nascfg_oauth::Error) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            message: e.to_string(),
            hint: e.hint(),
        }
    }

    fn store(e: &nascfg_store::Error) -> Failure {
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: e.to_string(),
            hint: e.hint(),
        }
    }

    fn invalid(e: &nascfg_credentials::ValidationErrors) -> Failure {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the form is not complete: {}",
                e.iter()
                    .map(|e| format!("{}: {}", e.field(), e.message()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    }
}

fn failure_page(sess: &Sess, failure: Failure) -> Response {
    problem(
        sess,
        failure.status,
        "Login to Provider failed",
        failure.message,
        failure.hint,
        "/credentials",
    )
}

fn text(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// A non-empty text value of the form's changes.
fn text_value(values: &Map<String, Value>, key: &str) -> Option<String> {
    match values.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Where the provider sends the browser back, and whether it is this server
/// (else the user pastes the redirect).
fn redirect_for(app: &App, provider: &OAuthProvider) -> (Url, Option<&'static str>) {
    let addr = app.inner.addr;
    if !addr.ip().is_loopback() {
        return (
            nascfg_oauth::redirect_uri(nascfg_oauth::paste_port(provider)),
            Some(
                "this server listens on a network address, and the provider sends the browser back only to a loopback address (127.0.0.1) on the browser's own machine",
            ),
        );
    }
    match provider.redirect_port() {
        RedirectPort::Any => {
            let scheme = if app.inner.secure { "https" } else { "http" };
            let url =
                Url::parse(&format!("{scheme}://{addr}/")).expect("a socket address makes a URL");
            (url, None)
        }
        RedirectPort::Fixed(_) => (
            nascfg_oauth::redirect_uri(nascfg_oauth::paste_port(provider)),
            Some(
                "this provider sends the browser back only to the address registered for the app (rclone's http://127.0.0.1:53682/), which this server does not listen on",
            ),
        ),
    }
}

/// What the form asks for: the target credential and the app to log in with.
fn prepare(
    app: &App,
    form: &[(String, String)],
) -> Result<(&'static OAuthProvider, OAuthApp, Target), Failure> {
    let original = form::get(form, "original")
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let name = form::get(form, "name").unwrap_or("").trim().to_owned();
    let dir = app.inner.data_dir.clone();
    let mut store = Store::open(&dir).map_err(|e| Failure::store(&e))?;
    let kind = match &original {
        Some(original) => {
            store
                .credential_summary(original)
                .map_err(|e| Failure::store(&e))?
                .provider
        }
        None => form::get(form, "provider")
            .and_then(|t| t.parse::<ProviderKind>().ok())
            .ok_or_else(|| Failure::new(StatusCode::BAD_REQUEST, "the form names no provider"))?,
    };
    let provider = nascfg_oauth::oauth_provider(kind)
        .ok_or_else(|| Failure::oauth(&nascfg_oauth::Error::NotOAuth(kind)))?;
    let mode = if original.is_some() {
        Mode::Edit
    } else {
        Mode::Add
    };
    let (changes, errors) = form::changes(kind, form, mode);
    if !errors.is_empty() {
        return Err(Failure::invalid(&errors));
    }
    match original {
        None => {
            // Check the other attributes as Save would, before anyone logs in.
            let mut probe = changes.clone();
            probe.insert(
                "token".to_owned(),
                Value::String(PLACEHOLDER_TOKEN.to_owned()),
            );
            if kind == ProviderKind::OneDrive {
                for (k, v) in [("drive_type", "PERSONAL"), ("drive_id", "placeholder")] {
                    probe
                        .entry(k)
                        .or_insert_with(|| Value::String(v.to_owned()));
                }
            }
            Credential::new(&name, kind, probe).map_err(|e| Failure::invalid(&e))?;
            if store
                .credential_names()
                .map_err(|e| Failure::store(&e))?
                .contains(&name)
            {
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    format!("there is already a credential named {name}"),
                ));
            }
            let oauth_app = OAuthApp::for_login(
                provider,
                text_value(&changes, "client_id").as_deref(),
                text_value(&changes, "client_secret").map(SecretString::from),
            )
            .map_err(|e| Failure::oauth(&e))?;
            Ok((
                provider,
                oauth_app,
                Target::New {
                    name,
                    provider: kind,
                    values: changes,
                },
            ))
        }
        Some(original) => {
            let stored = store
                .credential(&original)
                .map_err(|e| Failure::store(&e))?;
            let client_id = text_value(&changes, "client_id")
                .or_else(|| stored.text("client_id").map(str::to_owned));
            let client_secret = text_value(&changes, "client_secret")
                .map(SecretString::from)
                .or_else(|| stored.secret("client_secret").cloned());
            let oauth_app = OAuthApp::for_login(provider, client_id.as_deref(), client_secret)
                .map_err(|e| Failure::oauth(&e))?;
            let drive_id = text_value(&changes, "drive_id")
                .or_else(|| stored.text("drive_id").map(str::to_owned));
            let rename = (!name.is_empty() && name != original).then_some(name);
            Ok((
                provider,
                oauth_app,
                Target::Stored {
                    original,
                    rename,
                    changes,
                    drive_id,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "oauth_redirect.html")]
struct RedirectPage {
    title: String,
    to: String,
}

#[derive(Template)]
#[template(path = "oauth_paste.html")]
struct PastePage {
    csrf: String,
    flash: Option<String>,
    title: String,
    name: String,
    url: String,
    why: &'static str,
    redirect: String,
    code_too: bool,
    state: String,
}

/// POST /oauth/start: the credential form's Login to Provider.
pub(crate) async fn start(
    LoggedIn { app, sess }: LoggedIn,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let prepared = {
        let app = app.clone();
        blocking(move || prepare(&app, &form)).await
    };
    let (provider, oauth_app, target) = match prepared {
        Ok(x) => x,
        Err(failure) => return failure_page(&sess, failure),
    };
    let (redirect, why) = redirect_for(&app, provider);
    let login = match Login::start(provider, oauth_app, redirect, &network(&app)) {
        Ok(l) => l,
        Err(e) => return failure_page(&sess, Failure::oauth(&e)),
    };
    let Some(state) = login
        .authorization_url()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
    else {
        return failure_page(
            &sess,
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the authorization URL carries no state",
            ),
        );
    };
    let title = provider.kind().title().to_owned();
    let url = login.authorization_url().to_string();
    let redirect = login.redirect_uri().to_string();
    let name = target.name().to_owned();
    {
        let mut logins = app.inner.logins.lock().expect("no panics under the lock");
        let now = Instant::now();
        logins.retain(|_, p| now.duration_since(p.started) < LOGIN_EXPIRY);
        logins.insert(
            state.clone(),
            Pending {
                session: sess.id.clone(),
                started: now,
                login,
                target,
            },
        );
    }
    match why {
        // A page that moves on to the provider: a redirect answering a form POST to
        // another origin would break the Content-Security-Policy's form-action.
        None => html(&RedirectPage { title, to: url }),
        Some(why) => html(&PastePage {
            csrf: sess.csrf.clone(),
            flash: None,
            code_too: provider.displays_code(),
            title,
            name,
            url,
            why,
            redirect,
            state,
        }),
    }
}

/// Takes the pending login of `state` if `sess` started it and it has not expired.
fn take(app: &App, sess: &Sess, state: &str) -> Result<Pending, Failure> {
    let mut logins = app.inner.logins.lock().expect("no panics under the lock");
    let now = Instant::now();
    logins.retain(|_, p| now.duration_since(p.started) < LOGIN_EXPIRY);
    match logins.get(state) {
        None => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "this login is unknown, expired (after 10 minutes) or already finished: start Login to Provider again",
        )),
        Some(p) if p.session != sess.id => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "this login was started by another browser session: start Login to Provider again here",
        )),
        Some(_) => Ok(logins.remove(state).expect("just found")),
    }
}

/// Exchanges the code, and stores the token (and the attributes a login sets).
fn finish(
    app: &App,
    pending: Pending,
    callback: nascfg_oauth::Callback,
) -> Result<String, Failure> {
    let network = network(app);
    let provider = pending.login.provider();
    let obtained = pending
        .login
        .finish(callback, &network)
        .map_err(|e| Failure::oauth(&e))?;
    let mut values = match &pending.target {
        Target::New { values, .. } => values.clone(),
        Target::Stored { changes, .. } => changes.clone(),
    };
    values.insert(
        "token".to_owned(),
        Value::String(obtained.token.to_json_string().expose_secret().to_owned()),
    );
    let stored_drive = match &pending.target {
        Target::New { .. } => None,
        Target::Stored { drive_id, .. } => drive_id.clone(),
    };
    login_attributes(provider, &obtained, &network, &mut values, stored_drive)?;
    let mut store = Store::open(&app.inner.data_dir).map_err(|e| Failure::store(&e))?;
    match pending.target {
        Target::New { name, provider, .. } => {
            let credential =
                Credential::new(&name, provider, values).map_err(|e| Failure::invalid(&e))?;
            store
                .add_credential(&credential)
                .map_err(|e| Failure::store(&e))?;
            Ok(name)
        }
        Target::Stored {
            original, rename, ..
        } => {
            // Read again and changed under the writer lock (the store takes it), so a
            // change made meanwhile by the CLI is kept.
            let updated = store
                .update_credential(&original, values, rename.as_deref())
                .map_err(|e| Failure::store(&e))?;
            Ok(updated.name().to_owned())
        }
    }
}

/// pCloud's `hostname`; OneDrive's `drive_type` and `drive_id` (the one the form or the
/// credential names, or the account's only drive), as `nascfg cred login` sets them.
fn login_attributes(
    provider: &OAuthProvider,
    obtained: &Obtained,
    network: &Network,
    values: &mut Map<String, Value>,
    stored_drive: Option<String>,
) -> Result<(), Failure> {
    if let Some(host) = &obtained.hostname {
        values.insert("hostname".to_owned(), Value::String(host.clone()));
    }
    if provider.kind() != ProviderKind::OneDrive {
        return Ok(());
    }
    let drives =
        nascfg_oauth::onedrive_drives(&obtained.token, network).map_err(|e| Failure::oauth(&e))?;
    let wanted = text_value(values, "drive_id").or(stored_drive);
    let drive = nascfg_oauth::choose_drive(drives, wanted.as_deref(), None).map_err(|e| {
        let mut f = Failure::oauth(&e);
        f.hint = Some("enter the drive's id in the form's drive_id field and log in again".into());
        f
    })?;
    let Some(drive_type) = drive.drive_type() else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            format!(
                "drive {} has the type {:?}, which a OneDrive credential cannot hold",
                drive.id, drive.graph_type
            ),
        ));
    };
    values.insert(
        "drive_type".to_owned(),
        Value::String(drive_type.to_owned()),
    );
    values.insert("drive_id".to_owned(), Value::String(drive.id.clone()));
    Ok(())
}

/// The end of a login: its redirect (or pasted text) read, the token stored; back to
/// the credential with a message, or a page saying what went wrong.
async fn complete(
    app: App,
    sess: Sess,
    state: &str,
    read: impl FnOnce(&Login) -> Result<nascfg_oauth::Callback, nascfg_oauth::Error>,
) -> Response {
    let pending = match take(&app, &sess, state) {
        Ok(p) => p,
        Err(failure) => return failure_page(&sess, failure),
    };
    let title = pending.login.provider().kind().title();
    let callback = match read(&pending.login) {
        Ok(c) => c,
        Err(e) => return failure_page(&sess, Failure::oauth(&e)),
    };
    let done = {
        let app = app.clone();
        blocking(move || finish(&app, pending, callback)).await
    };
    match done {
        Ok(name) => {
            app.flash(
                &sess.id,
                format!("logged in to {title}: the new token is stored in credential {name}"),
            );
            let q: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
            Redirect::to(&format!("/credentials/edit?name={q}")).into_response()
        }
        Err(failure) => failure_page(&sess, failure),
    }
}

/// The redirect's query without the reload marker.
fn redirect_query(uri: &Uri) -> (String, HashMap<String, String>) {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(k, _)| k != RELOADED)
            .collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    (query, pairs.into_iter().collect())
}

/// GET /oauth/callback (and `/` with a `state`): the provider's redirect.
pub(crate) async fn callback(LoggedIn { app, sess }: LoggedIn, uri: Uri) -> Response {
    let (query, pairs) = redirect_query(&uri);
    let Some(state) = pairs.get("state").cloned() else {
        return text(
            StatusCode::BAD_REQUEST,
            "this is not a login's redirect: it carries no state".to_owned(),
        );
    };
    complete(app, sess, &state, move |login| {
        let mut url = login.redirect_uri().clone();
        url.set_query(Some(&query));
        login.pasted(url.as_str())
    })
    .await
}

/// GET `/`: a provider's redirect goes to the callback, anything else to the list.
pub(crate) async fn root(logged_in: LoggedIn, uri: Uri) -> Response {
    if is_redirect(&uri) {
        return callback(logged_in, uri).await;
    }
    Redirect::to("/credentials").into_response()
}

fn is_redirect(uri: &Uri) -> bool {
    uri.query()
        .is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "state"))
}

/// POST /oauth/paste: the redirect address (or code) the user pasted.
pub(crate) async fn paste(
    LoggedIn { app, sess }: LoggedIn,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let state = form::get(&form, "state").unwrap_or("").to_owned();
    let pasted = SecretString::from(form::get(&form, "pasted").unwrap_or("").to_owned());
    complete(app, sess, &state, move |login| {
        login.pasted(pasted.expose_secret())
    })
    .await
}

#[derive(Template)]
#[template(path = "oauth_reload.html")]
struct ReloadPage {
    to: String,
}

/// A provider's redirect that arrived without the session cookie: the page that
/// reloads it from this site once (the cookie is `SameSite=Strict`); `None` when
/// the request is not such a redirect or was already reloaded.
pub(crate) fn reload_without_session(request: &Request) -> Option<Response> {
    let uri = request.uri();
    let path = uri.path();
    if request.method() != axum::http::Method::GET
        || !(path == "/" || path == "/oauth/callback")
        || !is_redirect(uri)
    {
        return None;
    }
    let reloaded = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .any(|(k, _)| k == RELOADED);
    if reloaded {
        return None;
    }
    let (query, _) = redirect_query(uri);
    Some(html(&ReloadPage {
        to: format!("{path}?{query}&{RELOADED}=1"),
    }))
}
