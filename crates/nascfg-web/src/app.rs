//! The router: every route of the UI in one place, behind the access checks,
//! and the TrueNAS-compatible API beside them.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::access::guard;
use crate::page;
use crate::screens::{
    backups, credential_form, credentials, keypairs, login, oauth, remote, restore, upload, verify,
};
use crate::state::App;

const HTMX: &str = include_str!("../static/htmx.min.js");
const STYLE: &str = include_str!("../static/style.css");
const FAVICON: &str = include_str!("../static/favicon.svg");

impl App {
    /// The routes, with the access checks around them; the TrueNAS-compatible
    /// API at /api/current beside them, with its own checks.
    pub fn router(&self) -> Router {
        router(self.clone()).merge(crate::api::routes(self.clone()))
    }
}

fn router(app: App) -> Router {
    Router::new()
        .route("/", get(oauth::root))
        .route("/oauth/start", post(oauth::start))
        .route("/oauth/callback", get(oauth::callback))
        .route("/oauth/paste", post(oauth::paste))
        .route("/login", get(login::login))
        .route(
            "/static/htmx.min.js",
            get(|| async { asset(HTMX, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/style.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async { asset(FAVICON, "image/svg+xml") }),
        )
        .route("/credentials", get(credentials::credentials))
        .route("/credentials/new", get(credential_form::new_credential))
        .route("/credentials/edit", get(credential_form::edit_credential))
        .route("/credentials/fields", get(credential_form::fields_partial))
        .route("/credentials/save", post(credential_form::save_credential))
        .route("/credentials/verify", post(verify::verify_partial))
        .merge(page::delete_route::<credentials::Credentials>())
        .route("/keypairs", get(keypairs::keypairs))
        .route("/keypairs/generate", post(keypairs::generate_keypair))
        .route("/keypairs/import", post(keypairs::import_keypair))
        .merge(page::delete_route::<keypairs::Keypairs>())
        .route("/backups", get(backups::backups))
        .route("/backups/export", post(backups::export))
        .route("/backups/upload", post(upload::upload))
        .route("/backups/restore", post(restore::restore))
        .route("/backups/remote", get(remote::page))
        .route("/backups/remote/push", post(remote::push))
        .route("/backups/remote/push/start", post(remote::push_start))
        .route("/backups/remote/push/progress", get(remote::push_progress))
        .route("/backups/remote/push/result", get(remote::push_result))
        .route("/backups/remote/list", post(remote::list))
        .route("/backups/remote/restore", post(remote::restore))
        .layer(axum::extract::DefaultBodyLimit::max(upload::MAX_UPLOAD))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
