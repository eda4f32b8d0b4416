//! Local backups: the seed's fingerprint, export (a download).

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nascfg_store::Store;

use crate::page::{ExportForm, LoggedIn, Posted, blocking, html_status, store_problem, with_hint};
use crate::state::{App, Sess};

#[derive(Template)]
#[template(path = "backups.html")]
struct BackupsPage {
    csrf: String,
    flash: Option<String>,
    fingerprint: String,
    export_error: Option<String>,
    upload_error: Option<String>,
}

pub(crate) async fn backups_page(
    app: &App,
    sess: &Sess,
    export_error: Option<String>,
    upload_error: Option<String>,
) -> Response {
    let dir = app.inner.data_dir.clone();
    let fingerprint = blocking(move || Store::open(&dir)?.seed_fingerprint()).await;
    let fingerprint = match fingerprint {
        Ok(f) => f.to_string(),
        Err(e) => return store_problem(sess, &e, "/credentials"),
    };
    let failed = export_error.is_some() || upload_error.is_some();
    let page = BackupsPage {
        csrf: sess.csrf.clone(),
        flash: app.take_flash(&sess.id),
        fingerprint,
        export_error,
        upload_error,
    };
    html_status(&page, failed.then_some(StatusCode::UNPROCESSABLE_ENTITY))
}

pub(crate) async fn backups(LoggedIn { app, sess }: LoggedIn) -> Response {
    backups_page(&app, &sess, None, None).await
}

pub(crate) async fn export(Posted { app, sess, form: f }: Posted<ExportForm>) -> Response {
    let (include_seed, passphrase) = match f.protection() {
        Ok(p) => p,
        Err(error) => return backups_page(&app, &sess, Some(error), None).await,
    };
    let dir = app.inner.data_dir.clone();
    let written = blocking(move || -> Result<(String, Vec<u8>), String> {
        let store = Store::open(&dir).map_err(|e| e.to_string())?;
        let encrypted = passphrase.is_some();
        let name = nascfg_bundle::default_bundle_name_now(encrypted);
        let tmp =
            tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let path = tmp.path().join(&name);
        let options = nascfg_bundle::ExportOptions {
            include_seed,
            passphrase,
            ..nascfg_bundle::ExportOptions::default()
        };
        nascfg_bundle::export(&store, &path, &options)
            .map_err(|e| with_hint(&e.to_string(), e.hint()))?;
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read the bundle back: {e}"))?;
        Ok((name, bytes))
    })
    .await;
    match written {
        Ok((name, bytes)) => {
            let disposition = format!("attachment; filename=\"{}\"", name.replace('"', ""));
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            (headers, bytes).into_response()
        }
        Err(message) => backups_page(&app, &sess, Some(message), None).await,
    }
}
