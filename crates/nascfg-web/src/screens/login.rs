//! The one-time login URL: exchanged for the session cookie.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::state::App;

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    token: String,
}

pub(crate) async fn login(State(app): State<App>, Query(q): Query<LoginQuery>) -> Response {
    let Some(session) = app.exchange(&q.token) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "this login URL is wrong or was already used: restart `nascfg serve` for a new one",
        )
            .into_response();
    };
    let secure = if app.inner.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={session}; Path=/; HttpOnly; SameSite=Strict{secure}",
        app.inner.cookie_name
    );
    let mut response = Redirect::to("/credentials").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("a cookie of hex and ASCII is a header value"),
    );
    response
}
