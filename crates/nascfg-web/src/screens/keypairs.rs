//! SSH key pairs: generate, import, delete.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use nascfg_crypto::secrecy::SecretString;
use nascfg_store::{KeypairSummary, Store};
use serde::Deserialize;

use crate::page::{
    Deletable, Deletion, LoggedIn, Posted, blocking, html_status, problem, quote, see_other,
    store_problem, with_hint,
};
use crate::state::{App, Sess};

struct KeyRow {
    name: String,
    name_q: String,
    key_type: String,
    fingerprint: String,
    public_key: String,
    needs_secrets: bool,
}

#[derive(Template)]
#[template(path = "keypairs.html")]
struct KeypairsPage {
    csrf: String,
    flash: Option<String>,
    rows: Vec<KeyRow>,
    gen_name: String,
    gen_error: Option<String>,
    import_name: String,
    import_error: Option<String>,
}

async fn keypairs_page(app: &App, sess: &Sess, page: KeypairsPage) -> Response {
    let dir = app.inner.data_dir.clone();
    let listed = blocking(move || Store::open(&dir)?.list_keypairs()).await;
    match listed {
        Ok(all) => {
            let status = if page.gen_error.is_some() || page.import_error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = KeypairsPage {
                flash: app.take_flash(&sess.id),
                rows: all
                    .into_iter()
                    .map(|k| KeyRow {
                        name_q: quote(&k.name),
                        name: k.name,
                        key_type: k.key_type,
                        fingerprint: k.fingerprint,
                        public_key: k.public_key,
                        needs_secrets: k.needs_secrets,
                    })
                    .collect(),
                ..page
            };
            html_status(&page, Some(status))
        }
        Err(e) => store_problem(sess, &e, "/keypairs"),
    }
}

fn empty_keypairs(sess: &Sess) -> KeypairsPage {
    KeypairsPage {
        csrf: sess.csrf.clone(),
        flash: None,
        rows: Vec::new(),
        gen_name: String::new(),
        gen_error: None,
        import_name: String::new(),
        import_error: None,
    }
}

pub(crate) async fn keypairs(LoggedIn { app, sess }: LoggedIn) -> Response {
    let page = empty_keypairs(&sess);
    keypairs_page(&app, &sess, page).await
}

#[derive(Deserialize)]
pub(crate) struct GenerateForm {
    name: String,
    key_type: String,
}

pub(crate) async fn generate_keypair(
    Posted { app, sess, form: f }: Posted<GenerateForm>,
) -> Response {
    let key_type = if f.key_type == "rsa" {
        nascfg_store::KeyType::Rsa
    } else {
        nascfg_store::KeyType::Ed25519
    };
    let dir = app.inner.data_dir.clone();
    let name = f.name.trim().to_owned();
    let made = blocking(move || Store::open(&dir)?.generate_keypair(&name, key_type)).await;
    let refused = |error| KeypairsPage {
        gen_name: f.name,
        gen_error: Some(error),
        ..empty_keypairs(&sess)
    };
    outcome(&app, &sess, "generated", made, refused).await
}

/// Back to the list with a message, or the list again with the store's refusal
/// beside the form that asked.
async fn outcome(
    app: &App,
    sess: &Sess,
    done: &str,
    made: Result<KeypairSummary, nascfg_store::Error>,
    refused: impl FnOnce(String) -> KeypairsPage,
) -> Response {
    match made {
        Ok(kp) => see_other(
            app,
            sess,
            "/keypairs",
            format!("{done} {} key pair {}", kp.key_type, kp.name),
        ),
        Err(e) => {
            let page = refused(with_hint(&e.to_string(), e.hint()));
            keypairs_page(app, sess, page).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ImportForm {
    name: String,
    private_key: String,
    passphrase: String,
}

pub(crate) async fn import_keypair(Posted { app, sess, form: f }: Posted<ImportForm>) -> Response {
    let dir = app.inner.data_dir.clone();
    let name = f.name.trim().to_owned();
    let key = SecretString::from(f.private_key);
    let passphrase = (!f.passphrase.is_empty()).then(|| SecretString::from(f.passphrase));
    let made = blocking(move || {
        use nascfg_crypto::secrecy::ExposeSecret;
        let mut given = passphrase;
        let parsed = nascfg_store::parse_private_key(key.expose_secret(), &mut || given.take())?;
        Store::open(&dir)?.add_keypair(&name, &parsed)
    })
    .await;
    let refused = |error| KeypairsPage {
        import_name: f.name,
        import_error: Some(error),
        ..empty_keypairs(&sess)
    };
    outcome(&app, &sess, "imported", made, refused).await
}

/// The key pairs' delete routes.
pub(crate) struct Keypairs;

impl Deletable for Keypairs {
    const DELETION: Deletion = Deletion {
        what: "key pair",
        consequence: "The key pair is removed from this box; an SFTP credential that uses it is refused until it names another.",
        action: "/keypairs/delete",
        back: "/keypairs",
        delete: Store::delete_keypair,
        refused: |sess, e| {
            problem(
                sess,
                StatusCode::CONFLICT,
                "Not deleted",
                e.to_string(),
                e.hint(),
                "/keypairs",
            )
        },
    };
}
