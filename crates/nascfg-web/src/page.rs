//! What several screens use: rendering a page, running store work off the
//! async threads, the message page and the answers built on it.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

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
    let mut response = html(&MessagePage {
        csrf: sess.csrf.clone(),
        flash: None,
        title: title.to_owned(),
        message,
        hint,
        back,
    });
    *response.status_mut() = status;
    response
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
