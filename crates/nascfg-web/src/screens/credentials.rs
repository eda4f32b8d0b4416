//! The credentials list, and deleting a credential.

use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use nascfg_credentials::ProviderKind;
use nascfg_store::{DataDir, Store};
use serde::Deserialize;

use crate::page::{Deletable, Deletion, LoggedIn, blocking, html, quote, store_problem};

/// Credentials shown per page of the list.
pub(crate) const PAGE_SIZE: usize = 100;

struct Row {
    name: String,
    name_q: String,
    provider: &'static str,
    needs_secrets: bool,
}

#[derive(Template)]
#[template(path = "credentials.html")]
struct CredentialsPage {
    csrf: String,
    flash: Option<String>,
    rows: Vec<Row>,
    total: usize,
    page: usize,
    pages: usize,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    page: Option<usize>,
}

/// One page of the list: (name, provider, needs secrets) rows, and the total.
pub(crate) type ListPage = (Vec<(String, ProviderKind, bool)>, usize);

/// The rows of one page of the list, and the total.
pub(crate) fn list_page(dir: &DataDir, page: usize) -> Result<ListPage, nascfg_store::Error> {
    let store = Store::open(dir)?;
    let all = store.list_credentials()?;
    let total = all.len();
    let rows = all
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|s| (s.name, s.provider, s.needs_secrets))
        .collect();
    Ok((rows, total))
}

pub(crate) async fn credentials(
    LoggedIn { app, sess }: LoggedIn,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let dir = app.inner.data_dir.clone();
    let listed = blocking(move || list_page(&dir, page)).await;
    let (rows, total) = match listed {
        Ok(x) => x,
        Err(e) => return store_problem(&sess, &e, "/credentials"),
    };
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    html(&CredentialsPage {
        csrf: sess.csrf.clone(),
        flash: app.take_flash(&sess.id),
        rows: rows
            .into_iter()
            .map(|(name, provider, needs_secrets)| Row {
                name_q: quote(&name),
                name,
                provider: provider.title(),
                needs_secrets,
            })
            .collect(),
        total,
        page,
        pages,
    })
}

/// The credentials' delete routes.
pub(crate) struct Credentials;

impl Deletable for Credentials {
    const DELETION: Deletion = Deletion {
        what: "credential",
        consequence: "The credential and its secrets are removed from this box. A backup made before keeps them.",
        action: "/credentials/delete",
        back: "/credentials",
        delete: Store::delete_credential,
        refused: |sess, e| store_problem(sess, &e, "/credentials"),
    };
}
