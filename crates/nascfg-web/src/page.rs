//! What several screens use: rendering a page, running store work off the
//! async threads, the message page and the answers built on it.

use askama::Template;
use axum::extract::rejection::ExtensionRejection;
use axum::extract::{Extension, FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use nascfg_crypto::secrecy::SecretString;
use nascfg_store::Store;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::state::{App, Sess};

pub(crate) fn html(template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => axum::response::Html(body).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot render the page: {e}"),
        )
            .into_response(),
    }
}

/// A page answered with `status` (a refusal, a form's errors) instead of 200
/// when there is one; a page that cannot be rendered stays a server error.
pub(crate) fn html_status(template: &impl Template, status: Option<StatusCode>) -> Response {
    let mut response = html(template);
    if let Some(status) = status.filter(|_| response.status().is_success()) {
        *response.status_mut() = status;
    }
    response
}

/// Runs store work off the async threads (SQLite, scrypt, network checks).
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("a page's work does not panic")
}

pub(crate) fn quote(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub(crate) csrf: String,
    pub(crate) flash: Option<String>,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
    pub(crate) back: &'static str,
}

pub(crate) fn problem(
    sess: &Sess,
    status: StatusCode,
    title: &str,
    message: String,
    hint: Option<String>,
    back: &'static str,
) -> Response {
    let page = MessagePage {
        csrf: sess.csrf.clone(),
        flash: None,
        title: title.to_owned(),
        message,
        hint,
        back,
    };
    html_status(&page, Some(status))
}

pub(crate) fn store_problem(sess: &Sess, e: &nascfg_store::Error, back: &'static str) -> Response {
    let status = match e {
        nascfg_store::Error::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    problem(
        sess,
        status,
        "Something went wrong",
        e.to_string(),
        e.hint(),
        back,
    )
}

pub(crate) fn see_other(app: &App, sess: &Sess, to: &str, message: String) -> Response {
    app.flash(&sess.id, message);
    Redirect::to(to).into_response()
}

#[derive(Deserialize)]
pub(crate) struct NameQuery {
    pub(crate) name: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage {
    pub(crate) csrf: String,
    pub(crate) flash: Option<String>,
    pub(crate) what: &'static str,
    pub(crate) name: String,
    pub(crate) consequence: &'static str,
    pub(crate) action: &'static str,
    pub(crate) back: &'static str,
}

#[derive(Deserialize)]
pub(crate) struct NameForm {
    pub(crate) name: String,
}

pub(crate) fn with_hint(message: &str, hint: Option<String>) -> String {
    match hint {
        Some(h) => format!("{message} ({h})"),
        None => message.to_owned(),
    }
}

/// The fields of an export the form asks for (Backups' Export, Remote
/// backups' Push): whether to include the secret seed, and a passphrase typed
/// twice.
#[derive(Deserialize)]
pub(crate) struct ExportForm {
    #[serde(default)]
    pub(crate) include_seed: Option<String>,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    passphrase2: String,
}

impl ExportForm {
    /// Whether the seed is included, and the passphrase (`None` when left
    /// empty); refused when the two passphrases differ.
    pub(crate) fn protection(self) -> Result<(bool, Option<SecretString>), String> {
        if self.passphrase != self.passphrase2 {
            return Err("the passphrases differ: type the same passphrase twice".to_owned());
        }
        let passphrase = (!self.passphrase.is_empty()).then(|| SecretString::from(self.passphrase));
        Ok((self.include_seed.is_some(), passphrase))
    }
}

/// What the UI deletes after a confirmation page (a credential, a key pair).
pub(crate) struct Deletion {
    /// Its kind, as the pages name it.
    pub(crate) what: &'static str,
    pub(crate) consequence: &'static str,
    /// Where the confirmation posts.
    pub(crate) action: &'static str,
    /// Its list.
    pub(crate) back: &'static str,
    pub(crate) delete: fn(&mut Store, &str) -> Result<(), nascfg_store::Error>,
    /// The page for the store's refusal.
    pub(crate) refused: fn(&Sess, nascfg_store::Error) -> Response,
}

/// A kind of thing the confirmation and delete routes serve.
pub(crate) trait Deletable {
    const DELETION: Deletion;
}

/// The app and the session of a request the access checks let through
/// (`access::guard` puts the session in the request): what a screen's handler
/// starts from.
pub(crate) struct LoggedIn {
    pub(crate) app: App,
    pub(crate) sess: Sess,
}

impl FromRequestParts<App> for LoggedIn {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<LoggedIn, Self::Rejection> {
        let Extension(sess) = Extension::<Sess>::from_request_parts(parts, app).await?;
        Ok(LoggedIn {
            app: app.clone(),
            sess,
        })
    }
}

/// A logged-in POST and its form: [`LoggedIn`] and axum's `Form<T>` in one
/// extractor, which refuses as each of them does.
pub(crate) struct Posted<T> {
    pub(crate) app: App,
    pub(crate) sess: Sess,
    pub(crate) form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<App> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Posted<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let LoggedIn { app, sess } = LoggedIn::from_request_parts(&mut parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let axum::Form(form) =
            axum::Form::<T>::from_request(Request::from_parts(parts, body), &app)
                .await
                .map_err(IntoResponse::into_response)?;
        Ok(Posted { app, sess, form })
    }
}

/// The delete route of `D`, at its `Deletion::action`: the page that asks first
/// on GET, the deletion on POST (the confirmation page posts back to it).
pub(crate) fn delete_route<D: Deletable + 'static>() -> axum::Router<App> {
    axum::Router::new().route(
        D::DELETION.action,
        axum::routing::get(confirm_delete::<D>).post(delete::<D>),
    )
}

/// GET of a delete route: the page that asks before deleting `name`.
async fn confirm_delete<D: Deletable>(
    Extension(sess): Extension<Sess>,
    Query(q): Query<NameQuery>,
) -> Response {
    let d = D::DELETION;
    html(&ConfirmPage {
        csrf: sess.csrf.clone(),
        flash: None,
        what: d.what,
        name: q.name,
        consequence: d.consequence,
        action: d.action,
        back: d.back,
    })
}

/// POST of a delete route: deletes `name` and goes back to the list with a
/// message, or shows the store's refusal.
async fn delete<D: Deletable>(Posted { app, sess, form: f }: Posted<NameForm>) -> Response {
    let d = D::DELETION;
    let dir = app.inner.data_dir.clone();
    let name = f.name.clone();
    let done = blocking(move || (d.delete)(&mut Store::open(&dir)?, &name)).await;
    match done {
        Ok(()) => see_other(
            &app,
            &sess,
            d.back,
            format!("deleted {} {}", d.what, f.name),
        ),
        Err(e) => (d.refused)(&sess, e),
    }
}
