//! The routes and their pages.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Multipart, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use nascfg_credentials::{Credential, ProviderKind, Untrusted, ValidationErrors};
use nascfg_crypto::secrecy::SecretString;
use nascfg_store::{DataDir, Store};
use nascfg_verify::Verification;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::access::{Sess, guard};
use crate::app::{App, Upload, random_token};
use crate::form::{self, Fields, Mode, Opt};

/// Credentials shown per page of the list.
pub(crate) const PAGE_SIZE: usize = 100;
/// The largest bundle accepted by upload.
const MAX_UPLOAD: usize = 256 * 1024 * 1024;
/// The name an unsaved credential is verified under.
const UNSAVED: &str = "unsaved";

const HTMX: &str = include_str!("../static/htmx.min.js");
const STYLE: &str = include_str!("../static/style.css");
const FAVICON: &str = include_str!("../static/favicon.svg");

pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/", get(crate::oauth::root))
        .route("/oauth/start", post(crate::oauth::start))
        .route("/oauth/callback", get(crate::oauth::callback))
        .route("/oauth/paste", post(crate::oauth::paste))
        .route("/login", get(login))
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
        .route("/credentials", get(credentials))
        .route("/credentials/new", get(new_credential))
        .route("/credentials/edit", get(edit_credential))
        .route("/credentials/fields", get(fields_partial))
        .route("/credentials/save", post(save_credential))
        .route("/credentials/verify", post(verify_partial))
        .route(
            "/credentials/delete",
            get(confirm_delete).post(delete_credential),
        )
        .route("/keypairs", get(keypairs))
        .route("/keypairs/generate", post(generate_keypair))
        .route("/keypairs/import", post(import_keypair))
        .route(
            "/keypairs/delete",
            get(confirm_delete_keypair).post(delete_keypair),
        )
        .route("/backups", get(backups))
        .route("/backups/export", post(export))
        .route("/backups/upload", post(upload))
        .route("/backups/restore", post(restore))
        .merge(crate::remote::routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
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

fn quote(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    csrf: String,
    flash: Option<String>,
    title: String,
    message: String,
    hint: Option<String>,
    back: &'static str,
}

fn problem(
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

fn see_other(app: &App, sess: &Sess, to: &str, message: String) -> Response {
    app.flash(&sess.id, message);
    Redirect::to(to).into_response()
}

// ---- login

#[derive(Deserialize)]
struct LoginQuery {
    token: String,
}

async fn login(State(app): State<App>, Query(q): Query<LoginQuery>) -> Response {
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

// ---- credentials list

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
struct PageQuery {
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

async fn credentials(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
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

// ---- the credential form

struct VerifyView {
    valid: bool,
    excerpt: String,
}

impl From<&Verification> for VerifyView {
    fn from(v: &Verification) -> VerifyView {
        VerifyView {
            valid: v.valid,
            excerpt: v
                .excerpt
                .clone()
                .unwrap_or_else(|| "verification failed".to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "credential_form.html")]
struct FormPage {
    csrf: String,
    flash: Option<String>,
    editing: bool,
    original: String,
    name: String,
    name_error: Option<String>,
    other_errors: Vec<String>,
    provider: &'static str,
    providers: Vec<Opt>,
    oauth: bool,
    /// Always false: the page draws Login to Provider in place.
    oob: bool,
    fields: Fields,
    verify: Option<VerifyView>,
}

#[derive(Template)]
#[template(path = "fields_partial.html")]
struct FieldsPartial {
    fields: Fields,
    /// Whether the provider chosen has Login to Provider.
    oauth: bool,
    /// The button is swapped in out of band, beside the fields.
    oob: bool,
}

#[derive(Template)]
#[template(path = "verify_partial.html")]
struct VerifyPartial {
    verify: Option<VerifyView>,
}

fn provider_options(current: ProviderKind) -> Vec<Opt> {
    ProviderKind::ALL
        .iter()
        .map(|p| Opt {
            value: p.type_str().to_owned(),
            label: p.title().to_owned(),
            selected: *p == current,
        })
        .collect()
}

fn parse_provider(text: Option<&str>) -> ProviderKind {
    text.and_then(|t| t.parse::<ProviderKind>().ok())
        .unwrap_or(ProviderKind::S3)
}

fn key_pair_names(dir: &DataDir) -> Vec<String> {
    Store::open(dir)
        .and_then(|s| s.list_keypairs())
        .map(|all| all.into_iter().map(|k| k.name).collect())
        .unwrap_or_default()
}

/// What the form page needs besides the submitted values.
struct FormState {
    original: Option<String>,
    name: String,
    provider: ProviderKind,
    values: Map<String, Value>,
    secrets_set: Vec<String>,
    key_pairs: Vec<String>,
    errors: ValidationErrors,
    verify: Option<VerifyView>,
}

fn form_page(app: &App, sess: &Sess, st: FormState) -> Response {
    let fields = form::fields(
        st.provider,
        &st.values,
        &st.secrets_set,
        &st.key_pairs,
        &st.errors,
    );
    let status = if st.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = html(&FormPage {
        csrf: sess.csrf.clone(),
        flash: app.take_flash(&sess.id),
        editing: st.original.is_some(),
        original: st.original.unwrap_or_default(),
        name: st.name,
        name_error: form::name_error(&st.errors),
        other_errors: form::other_errors(st.provider, &st.errors),
        provider: st.provider.type_str(),
        providers: provider_options(st.provider),
        oauth: st.provider.oauth_login(),
        oob: false,
        fields,
        verify: st.verify,
    });
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
struct NewQuery {
    provider: Option<String>,
}

async fn new_credential(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    Query(q): Query<NewQuery>,
) -> Response {
    let dir = app.inner.data_dir.clone();
    let key_pairs = blocking(move || key_pair_names(&dir)).await;
    form_page(
        &app,
        &sess,
        FormState {
            original: None,
            name: String::new(),
            provider: parse_provider(q.provider.as_deref()),
            values: Map::new(),
            secrets_set: Vec::new(),
            key_pairs,
            errors: ValidationErrors::new(),
            verify: None,
        },
    )
}

#[derive(Deserialize)]
struct NameQuery {
    name: String,
}

async fn edit_credential(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    Query(q): Query<NameQuery>,
) -> Response {
    let dir = app.inner.data_dir.clone();
    let name = q.name.clone();
    let found = blocking(move || {
        let store = Store::open(&dir)?;
        let summary = store.credential_summary(&name)?;
        Ok::<_, nascfg_store::Error>((summary, key_pair_names(&dir)))
    })
    .await;
    let (summary, key_pairs) = match found {
        Ok(x) => x,
        Err(e) => return store_problem(&sess, &e, "/credentials"),
    };
    form_page(
        &app,
        &sess,
        FormState {
            original: Some(summary.name.clone()),
            name: summary.name,
            provider: summary.provider,
            values: summary.attributes,
            secrets_set: if summary.needs_secrets {
                Vec::new()
            } else {
                summary.secret_fields
            },
            key_pairs,
            errors: ValidationErrors::new(),
            verify: None,
        },
    )
}

async fn fields_partial(State(app): State<App>, Query(q): Query<NewQuery>) -> Response {
    let provider = parse_provider(q.provider.as_deref());
    let dir = app.inner.data_dir.clone();
    let key_pairs = blocking(move || key_pair_names(&dir)).await;
    html(&FieldsPartial {
        fields: form::fields(
            provider,
            &Map::new(),
            &[],
            &key_pairs,
            &ValidationErrors::new(),
        ),
        oauth: provider.oauth_login(),
        oob: true,
    })
}

/// The submitted form, read into what the store and verify take.
struct Submitted {
    original: Option<String>,
    name: String,
    provider: ProviderKind,
    changes: Map<String, Value>,
    errors: ValidationErrors,
}

fn read_form(form: &[(String, String)]) -> Submitted {
    let original = form::get(form, "original")
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let provider = parse_provider(form::get(form, "provider"));
    let mode = if original.is_some() {
        Mode::Edit
    } else {
        Mode::Add
    };
    let (changes, errors) = form::changes(provider, form, mode);
    Submitted {
        original,
        name: form::get(form, "name").unwrap_or("").trim().to_owned(),
        provider,
        changes,
        errors,
    }
}

/// The credential the form describes: new, or the stored one with the
/// changes (its secrets kept where the form left them empty).
fn credential_of(store: &mut Store, s: &Submitted, name: &str) -> Result<Credential, FormFailure> {
    if !s.errors.is_empty() {
        return Err(FormFailure::Invalid(s.errors.clone()));
    }
    match &s.original {
        None => Credential::new(name, s.provider, s.changes.clone()).map_err(FormFailure::Invalid),
        Some(original) => {
            let stored = store.credential(original).map_err(FormFailure::Store)?;
            let updated = stored
                .updated(s.changes.clone())
                .map_err(FormFailure::Invalid)?;
            if name != original {
                updated.renamed(name).map_err(FormFailure::Invalid)
            } else {
                Ok(updated)
            }
        }
    }
}

enum FormFailure {
    Invalid(ValidationErrors),
    Store(nascfg_store::Error),
}

/// Verifies the credential of a submitted form (nothing of the form is saved; a stored
/// credential's refreshed OAuth token is).
fn verify_form(
    dir: &DataDir,
    options: &nascfg_verify::VerifyOptions,
    s: &Submitted,
) -> Result<Verification, FormFailure> {
    let mut store = Store::open(dir).map_err(FormFailure::Store)?;
    let name = if s.name.is_empty() { UNSAVED } else { &s.name };
    let credential = credential_of(&mut store, s, name)?;
    let mut options = options.clone();
    let trust = store.sftp_trust(&credential).map_err(FormFailure::Store)?;
    if let Some(t) = &trust {
        options.private_key = t.private_key.clone();
        options.known_host_key = t.known_host_key.clone();
    }
    // A stored credential's expired OAuth token is refreshed under the writer lock, the
    // credential read again under it, and the new token saved before it is used, as
    // `cred verify` does: Box's refresh tokens work once.
    let verification = match &s.original {
        Some(original) if nascfg_verify::token_needs_refresh(&credential) => {
            let guard = store.lock().map_err(FormFailure::Store)?;
            let credential = credential_of(&mut store, s, name)?;
            nascfg_verify::verify_saving(&credential, &options, &mut |token| {
                store
                    .save_token(&guard, original, token)
                    .map_err(|e| e.to_string())
            })
        }
        _ => nascfg_verify::verify(&credential, &options),
    };
    // Trust on first use, as `cred verify` does: a server that passed the check
    // has its host key recorded, and later connections are held to it.
    if let (Some(t), true) = (&trust, verification.valid) {
        store
            .record_first_use(t, verification.host_key_seen.as_deref())
            .map_err(FormFailure::Store)?;
    }
    Ok(verification)
}

fn failure_state(
    s: Submitted,
    errors: ValidationErrors,
    verify: Option<VerifyView>,
    key_pairs: Vec<String>,
    secrets_set: Vec<String>,
) -> FormState {
    let values = s
        .changes
        .into_iter()
        .filter(|(k, _)| s.provider.spec().field(k).is_some_and(|f| !f.secret()))
        .collect();
    FormState {
        original: s.original,
        name: s.name,
        provider: s.provider,
        values,
        secrets_set,
        key_pairs,
        errors,
        verify,
    }
}

/// Secret fields the stored credential `original` holds (for "set").
fn stored_secrets(dir: &DataDir, original: Option<&str>) -> Vec<String> {
    let Some(original) = original else {
        return Vec::new();
    };
    Store::open(dir)
        .and_then(|s| s.credential_summary(original))
        .map(|s| {
            if s.needs_secrets {
                Vec::new()
            } else {
                s.secret_fields
            }
        })
        .unwrap_or_default()
}

async fn save_credential(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let action = form::get(&form, "action").unwrap_or("save").to_owned();
    let submitted = read_form(&form);
    let dir = app.inner.data_dir.clone();
    let options = app.inner.verify.clone();
    let outcome = blocking(move || {
        let key_pairs = key_pair_names(&dir);
        let secrets_set = stored_secrets(&dir, submitted.original.as_deref());
        match action.as_str() {
            "change_provider" => {
                let mut s = submitted;
                s.changes = Map::new();
                Err(Box::new((
                    s,
                    ValidationErrors::new(),
                    None,
                    key_pairs,
                    secrets_set,
                )))
            }
            "verify" => match verify_form(&dir, &options, &submitted) {
                Ok(v) => Err(Box::new((
                    submitted,
                    ValidationErrors::new(),
                    Some(VerifyView::from(&v)),
                    key_pairs,
                    secrets_set,
                ))),
                Err(FormFailure::Invalid(e)) => {
                    Err(Box::new((submitted, e, None, key_pairs, secrets_set)))
                }
                Err(FormFailure::Store(e)) => Ok(Err(e)),
            },
            _ => {
                let mut store = match Store::open(&dir) {
                    Ok(s) => s,
                    Err(e) => return Ok(Err(e)),
                };
                let result = match &submitted.original {
                    None => Credential::new(
                        &submitted.name,
                        submitted.provider,
                        submitted.changes.clone(),
                    )
                    .map_err(FormFailure::Invalid)
                    .and_then(|c| {
                        if submitted.errors.is_empty() {
                            store
                                .add_credential(&c)
                                .map(|_| c.name().to_owned())
                                .map_err(FormFailure::Store)
                        } else {
                            Err(FormFailure::Invalid(submitted.errors.clone()))
                        }
                    }),
                    Some(original) => {
                        if !submitted.errors.is_empty() {
                            Err(FormFailure::Invalid(submitted.errors.clone()))
                        } else {
                            let rename =
                                (submitted.name != *original).then_some(submitted.name.as_str());
                            store
                                .update_credential(original, submitted.changes.clone(), rename)
                                .map(|c| c.name().to_owned())
                                .map_err(FormFailure::Store)
                        }
                    }
                };
                match result {
                    Ok(name) => Ok(Ok(name)),
                    Err(FormFailure::Invalid(e))
                    | Err(FormFailure::Store(nascfg_store::Error::Invalid(e))) => {
                        Err(Box::new((submitted, e, None, key_pairs, secrets_set)))
                    }
                    Err(FormFailure::Store(
                        e @ (nascfg_store::Error::Duplicate { .. }
                        | nascfg_store::Error::InvalidName { .. }),
                    )) => {
                        let errors = ValidationErrors::from(nascfg_credentials::FieldError::new(
                            "name",
                            e.to_string(),
                        ));
                        Err(Box::new((submitted, errors, None, key_pairs, secrets_set)))
                    }
                    Err(FormFailure::Store(e)) => Ok(Err(e)),
                }
            }
        }
    })
    .await;
    match outcome {
        Ok(Ok(name)) => see_other(
            &app,
            &sess,
            "/credentials",
            format!("saved credential {name}"),
        ),
        Ok(Err(e)) => store_problem(&sess, &e, "/credentials"),
        Err(again) => {
            let (s, errors, verify, key_pairs, secrets_set) = *again;
            let st = failure_state(s, errors, verify, key_pairs, secrets_set);
            form_page(&app, &sess, st)
        }
    }
}

async fn verify_partial(
    State(app): State<App>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let submitted = read_form(&form);
    let dir = app.inner.data_dir.clone();
    let options = app.inner.verify.clone();
    let view = blocking(move || match verify_form(&dir, &options, &submitted) {
        Ok(v) => VerifyView::from(&v),
        Err(FormFailure::Invalid(e)) => VerifyView {
            valid: false,
            excerpt: format!(
                "the form is not complete: {}",
                e.iter()
                    .map(|e| format!("{}: {}", e.field(), e.message()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        Err(FormFailure::Store(e)) => VerifyView {
            valid: false,
            excerpt: e.to_string(),
        },
    })
    .await;
    html(&VerifyPartial { verify: Some(view) })
}

// ---- delete

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    csrf: String,
    flash: Option<String>,
    what: &'static str,
    name: String,
    consequence: &'static str,
    action: &'static str,
    back: &'static str,
}

async fn confirm_delete(Extension(sess): Extension<Sess>, Query(q): Query<NameQuery>) -> Response {
    html(&ConfirmPage {
        csrf: sess.csrf.clone(),
        flash: None,
        what: "credential",
        name: q.name,
        consequence: "The credential and its secrets are removed from this box. A backup made before keeps them.",
        action: "/credentials/delete",
        back: "/credentials",
    })
}

#[derive(Deserialize)]
struct NameForm {
    name: String,
}

async fn delete_credential(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(f): axum::Form<NameForm>,
) -> Response {
    let dir = app.inner.data_dir.clone();
    let name = f.name.clone();
    let done = blocking(move || Store::open(&dir)?.delete_credential(&name)).await;
    match done {
        Ok(()) => see_other(
            &app,
            &sess,
            "/credentials",
            format!("deleted credential {}", f.name),
        ),
        Err(e) => store_problem(&sess, &e, "/credentials"),
    }
}

// ---- key pairs

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
            let mut response = html(&KeypairsPage {
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
            });
            *response.status_mut() = status;
            response
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

async fn keypairs(State(app): State<App>, Extension(sess): Extension<Sess>) -> Response {
    let page = empty_keypairs(&sess);
    keypairs_page(&app, &sess, page).await
}

#[derive(Deserialize)]
struct GenerateForm {
    name: String,
    key_type: String,
}

async fn generate_keypair(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(f): axum::Form<GenerateForm>,
) -> Response {
    let key_type = if f.key_type == "rsa" {
        nascfg_store::KeyType::Rsa
    } else {
        nascfg_store::KeyType::Ed25519
    };
    let dir = app.inner.data_dir.clone();
    let name = f.name.trim().to_owned();
    let made = blocking(move || Store::open(&dir)?.generate_keypair(&name, key_type)).await;
    match made {
        Ok(kp) => see_other(
            &app,
            &sess,
            "/keypairs",
            format!("generated {} key pair {}", kp.key_type, kp.name),
        ),
        Err(e) => {
            let page = KeypairsPage {
                gen_name: f.name,
                gen_error: Some(with_hint(&e.to_string(), e.hint())),
                ..empty_keypairs(&sess)
            };
            keypairs_page(&app, &sess, page).await
        }
    }
}

pub(crate) fn with_hint(message: &str, hint: Option<String>) -> String {
    match hint {
        Some(h) => format!("{message} ({h})"),
        None => message.to_owned(),
    }
}

#[derive(Deserialize)]
struct ImportForm {
    name: String,
    private_key: String,
    passphrase: String,
}

async fn import_keypair(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(f): axum::Form<ImportForm>,
) -> Response {
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
    match made {
        Ok(kp) => see_other(
            &app,
            &sess,
            "/keypairs",
            format!("imported {} key pair {}", kp.key_type, kp.name),
        ),
        Err(e) => {
            let page = KeypairsPage {
                import_name: f.name,
                import_error: Some(with_hint(&e.to_string(), e.hint())),
                ..empty_keypairs(&sess)
            };
            keypairs_page(&app, &sess, page).await
        }
    }
}

async fn confirm_delete_keypair(
    Extension(sess): Extension<Sess>,
    Query(q): Query<NameQuery>,
) -> Response {
    html(&ConfirmPage {
        csrf: sess.csrf.clone(),
        flash: None,
        what: "key pair",
        name: q.name,
        consequence: "The key pair is removed from this box; an SFTP credential that uses it is refused until it names another.",
        action: "/keypairs/delete",
        back: "/keypairs",
    })
}

async fn delete_keypair(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(f): axum::Form<NameForm>,
) -> Response {
    let dir = app.inner.data_dir.clone();
    let name = f.name.clone();
    let done = blocking(move || Store::open(&dir)?.delete_keypair(&name)).await;
    match done {
        Ok(()) => see_other(
            &app,
            &sess,
            "/keypairs",
            format!("deleted key pair {}", f.name),
        ),
        Err(e) => problem(
            &sess,
            StatusCode::CONFLICT,
            "Not deleted",
            e.to_string(),
            e.hint(),
            "/keypairs",
        ),
    }
}

// ---- backups

#[derive(Template)]
#[template(path = "backups.html")]
struct BackupsPage {
    csrf: String,
    flash: Option<String>,
    fingerprint: String,
    export_error: Option<String>,
    upload_error: Option<String>,
}

async fn backups_page(
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
    let mut response = html(&BackupsPage {
        csrf: sess.csrf.clone(),
        flash: app.take_flash(&sess.id),
        fingerprint,
        export_error,
        upload_error,
    });
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

async fn backups(State(app): State<App>, Extension(sess): Extension<Sess>) -> Response {
    backups_page(&app, &sess, None, None).await
}

#[derive(Deserialize)]
struct ExportForm {
    #[serde(default)]
    include_seed: Option<String>,
    #[serde(default)]
    passphrase: String,
    #[serde(default)]
    passphrase2: String,
}

async fn export(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(f): axum::Form<ExportForm>,
) -> Response {
    if f.passphrase != f.passphrase2 {
        return backups_page(
            &app,
            &sess,
            Some("the passphrases differ: type the same passphrase twice".to_owned()),
            None,
        )
        .await;
    }
    let include_seed = f.include_seed.is_some();
    let passphrase = (!f.passphrase.is_empty()).then(|| SecretString::from(f.passphrase));
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

#[derive(Template)]
#[template(path = "inspection.html")]
struct InspectionPage {
    csrf: String,
    flash: Option<String>,
    file_name: String,
    facts: Vec<(&'static str, String)>,
    case: &'static str,
    verdict: String,
    lost_credentials: usize,
    lost_keypairs: usize,
    error: Option<String>,
    hint: Option<String>,
    upload: String,
}

/// The largest passphrase field read from an upload form.
const MAX_PASSPHRASE: usize = 64 * 1024;

/// A bundle received into its own private directory (0700) as a 0600 file,
/// chunk by chunk: never whole in memory, refused as soon as it passes the cap.
struct Received {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    size: u64,
}

async fn receive(
    upload_dir: &std::path::Path,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<Received, String> {
    use tokio::io::AsyncWriteExt;
    let keep =
        |e: std::io::Error| format!("cannot keep the upload in {}: {e}", upload_dir.display());
    let dir = tempfile::Builder::new()
        .prefix("nascfg-upload-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir_in(upload_dir)
        .map_err(keep)?;
    let path = dir.path().join("bundle");
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .await
        .map_err(keep)?;
    let mut size = 0u64;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(format!("the upload failed: {e}")),
        };
        size += chunk.len() as u64;
        if size > MAX_UPLOAD as u64 {
            return Err(format!(
                "the bundle is larger than {} MiB: refused",
                MAX_UPLOAD / (1024 * 1024)
            ));
        }
        out.write_all(&chunk).await.map_err(keep)?;
    }
    out.flush().await.map_err(keep)?;
    Ok(Received { dir, path, size })
}

/// A short text field (the passphrase), refused beyond `MAX_PASSPHRASE`.
async fn short_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, String> {
    let bytes = short_bytes(field, MAX_PASSPHRASE, "the passphrase").await?;
    String::from_utf8(bytes.to_vec()).map_err(|_| "the passphrase is not UTF-8 text".to_owned())
}

/// A small field held in memory only (wiped when dropped), refused beyond `limit`.
async fn short_bytes(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: usize,
    what: &str,
) -> Result<nascfg_crypto::zeroize::Zeroizing<Vec<u8>>, String> {
    // Room for the whole field at once: growing would leave copies of a secret behind.
    let mut bytes = nascfg_crypto::zeroize::Zeroizing::new(Vec::with_capacity(limit));
    loop {
        match field.chunk().await {
            Ok(Some(c)) => {
                if bytes.len() + c.len() > limit {
                    return Err(format!(
                        "{what} is larger than {} KiB: refused",
                        limit / 1024
                    ));
                }
                bytes.extend_from_slice(&c);
            }
            Ok(None) => break,
            Err(e) => return Err(format!("the upload failed: {e}")),
        }
    }
    Ok(bytes)
}

async fn upload(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    mut multipart: Multipart,
) -> Response {
    let mut file: Option<(String, Received)> = None;
    let mut passphrase = String::new();
    let mut identity = nascfg_crypto::zeroize::Zeroizing::new(Vec::new());
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return backups_page(&app, &sess, None, Some(format!("the upload failed: {e}")))
                    .await;
            }
        };
        let received = match field.name() {
            Some("bundle") => {
                let name = field.file_name().unwrap_or("bundle.tar.gz").to_owned();
                receive(&app.inner.upload_dir, &mut field)
                    .await
                    .map(|r| file = Some((name, r)))
            }
            Some("passphrase") => short_text(&mut field).await.map(|p| passphrase = p),
            Some("identity") => short_bytes(
                &mut field,
                nascfg_crypto::MAX_IDENTITY_FILE,
                "the identity file",
            )
            .await
            .map(|b| identity = b),
            _ => Ok(()),
        };
        if let Err(message) = received {
            return backups_page(&app, &sess, None, Some(message)).await;
        }
    }
    let Some((file_name, received)) = file.filter(|(_, r)| r.size > 0) else {
        return backups_page(
            &app,
            &sess,
            None,
            Some("choose a bundle file to upload".to_owned()),
        )
        .await;
    };
    let passphrase = (!passphrase.is_empty()).then(|| SecretString::from(passphrase));
    // An identity file (an age key or an OpenSSH private key) opens a bundle
    // encrypted to recipients; an encrypted key takes the passphrase field.
    let unlock = if identity.is_empty() {
        nascfg_bundle::Unlock::from_passphrase(passphrase)
    } else {
        let mut key_passphrase = passphrase;
        match nascfg_crypto::parse_identity_file(&identity, &mut || key_passphrase.take()) {
            Ok(identities) => nascfg_bundle::Unlock {
                passphrase: None,
                identities,
            },
            Err(e) => {
                let message = with_hint(&e.to_string(), e.hint().map(str::to_owned));
                return backups_page(&app, &sess, None, Some(message)).await;
            }
        }
    };
    drop(identity);
    let upload = Upload {
        _dir: received.dir,
        session: sess.id.clone(),
        path: received.path,
        file_name,
        unlock,
    };
    let id = random_token();
    app.inner
        .uploads
        .lock()
        .expect("no panics under the lock")
        .insert(id.clone(), upload);
    inspection_page(&app, &sess, &id, None).await
}

pub(crate) async fn inspection_page(
    app: &App,
    sess: &Sess,
    id: &str,
    error: Option<(String, Option<String>)>,
) -> Response {
    let (path, unlock, file_name) = {
        let uploads = app.inner.uploads.lock().expect("no panics under the lock");
        let Some(u) = uploads.get(id) else {
            return problem(
                sess,
                StatusCode::NOT_FOUND,
                "Upload not found",
                "the uploaded bundle is gone (the server restarted?)".to_owned(),
                Some("upload it again".to_owned()),
                "/backups",
            );
        };
        (u.path.clone(), u.unlock.clone(), u.file_name.clone())
    };
    let dir = app.inner.data_dir.clone();
    let inspected = blocking(move || {
        let this_box = nascfg_store::load_seed(&dir.seed_path())
            .ok()
            .map(|s| s.fingerprint());
        nascfg_bundle::inspect(&path, &unlock, this_box.as_ref())
    })
    .await;
    let i = match inspected {
        Ok(i) => i,
        Err(e) => {
            app.inner
                .uploads
                .lock()
                .expect("no panics under the lock")
                .remove(id);
            return backups_page(app, sess, None, Some(with_hint(&e.to_string(), e.hint()))).await;
        }
    };
    let m = &i.manifest;
    let facts = vec![
        ("format", format!("{} version {}", m.format, m.version)),
        // The manifest's free text and the upload's name are the sender's
        // word: shown escaped and cut, as the CLI shows them.
        ("producer", Untrusted::new(&m.producer).to_string()),
        ("created", m.created.clone()),
        (
            "encrypted",
            if !i.encrypted {
                "no".to_owned()
            } else if i.encrypted_to_recipients {
                "yes (to public-key recipients)".to_owned()
            } else {
                "yes (passphrase)".to_owned()
            },
        ),
        (
            "authenticated",
            if i.authenticated() {
                "yes: the passphrase authenticates every byte".to_owned()
            } else {
                "NO: restore it only if it came to you safely".to_owned()
            },
        ),
        ("credentials", m.counts.credentials.to_string()),
        ("key pairs", m.counts.keypairs.to_string()),
        (
            "seed",
            format!(
                "{} ({})",
                if m.seed_included {
                    "included"
                } else {
                    "not included"
                },
                m.seed_fingerprint.as_deref().map_or_else(
                    || "none recorded".to_owned(),
                    |f| Untrusted::new(f).to_string()
                )
            ),
        ),
        (
            "checks",
            "manifest, members (sizes, SHA-256), database (integrity, schema, every row): ok"
                .to_owned(),
        ),
    ];
    use nascfg_bundle::Restorability;
    let (case, verdict, lost_credentials, lost_keypairs) = match &i.restorability {
        Restorability::SeedInBundle => (
            "seed",
            "Restorable with every secret: the seed is in the bundle.".to_owned(),
            0,
            0,
        ),
        Restorability::SeedMatches { fingerprint } => (
            "match",
            format!("Restorable with every secret: this box's seed matches ({fingerprint})."),
            0,
            0,
        ),
        Restorability::NoSecrets => (
            "match",
            "Restorable: the bundle holds no secrets.".to_owned(),
            0,
            0,
        ),
        Restorability::SecretsWouldBeLost {
            fingerprint,
            credentials,
            keypairs,
            ..
        } => (
            "lost",
            format!(
                "Secrets would be lost: {credentials} credential(s) and {keypairs} key pair(s) are sealed under seed {}, which this box does not have. A restore is refused unless you allow it without secrets.",
                fingerprint
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "(unknown)".to_owned())
            ),
            *credentials,
            *keypairs,
        ),
    };
    let (error, hint) = match error {
        Some((e, h)) => (Some(e), h),
        None => (None, None),
    };
    let failed = error.is_some();
    let mut response = html(&InspectionPage {
        csrf: sess.csrf.clone(),
        flash: None,
        file_name: Untrusted::new(&file_name).to_string(),
        facts,
        case,
        verdict,
        lost_credentials,
        lost_keypairs,
        error,
        hint,
        upload: id.to_owned(),
    });
    if failed {
        *response.status_mut() = StatusCode::CONFLICT;
    }
    response
}

#[derive(Template)]
#[template(path = "restored.html")]
struct RestoredPage {
    csrf: String,
    flash: Option<String>,
    summary: String,
    kept: Vec<String>,
}

#[derive(Deserialize)]
struct RestoreForm {
    upload: String,
    #[serde(default)]
    allow_lost_secrets: Option<String>,
}

async fn restore(
    State(app): State<App>,
    Extension(sess): Extension<Sess>,
    axum::Form(f): axum::Form<RestoreForm>,
) -> Response {
    let (path, unlock) = {
        let uploads = app.inner.uploads.lock().expect("no panics under the lock");
        let Some(u) = uploads.get(&f.upload) else {
            return problem(
                &sess,
                StatusCode::NOT_FOUND,
                "Upload not found",
                "the uploaded bundle is gone (restored already, or the server restarted)"
                    .to_owned(),
                Some("upload it again".to_owned()),
                "/backups",
            );
        };
        (u.path.clone(), u.unlock.clone())
    };
    let dir = app.inner.data_dir.clone();
    let allow = f.allow_lost_secrets.is_some();
    let report = blocking(move || {
        let options = nascfg_bundle::RestoreOptions {
            allow_lost_secrets: allow,
            unlock,
            ..nascfg_bundle::RestoreOptions::default()
        };
        nascfg_bundle::restore(&dir, &path, &options)
    })
    .await;
    let r = match report {
        Ok(r) => r,
        Err(e) => {
            let (message, hint) = match &e {
                nascfg_bundle::Error::SecretsWouldBeLost { credentials, keypairs, fingerprint } => (
                    format!("Refused: {credentials} credential(s) and {keypairs} key pair(s) would lose their secrets (sealed under seed {fingerprint}). Nothing was changed."),
                    Some("tick \"Restore without the secrets\" to restore them without, then re-enter them; or restore a bundle that includes its seed".to_owned()),
                ),
                other => (other.to_string(), other.hint()),
            };
            return inspection_page(&app, &sess, &f.upload, Some((message, hint))).await;
        }
    };
    app.inner
        .uploads
        .lock()
        .expect("no panics under the lock")
        .remove(&f.upload);
    use nascfg_bundle::RestoreCase;
    let how = match &r.case {
        RestoreCase::SeedFromBundle { fingerprint } => {
            format!("with every secret, and the bundle's seed ({fingerprint})")
        }
        RestoreCase::SeedFromFile { fingerprint } => {
            format!("with every secret, under the seed given ({fingerprint})")
        }
        RestoreCase::BoxSeedMatches { fingerprint } => {
            format!("with every secret: this box's seed matches ({fingerprint})")
        }
        RestoreCase::NoSecrets => "(it holds no secrets)".to_owned(),
        RestoreCase::SecretsDropped {
            credentials,
            keypairs,
        } => format!(
            "WITHOUT secrets: {credentials} credential(s) need their secrets re-entered, {keypairs} key pair(s) lost their private keys"
        ),
    };
    let mut kept = Vec::new();
    if let Some(installed) = &r.installed {
        if let Some(p) = &installed.previous_db {
            kept.push(format!("The previous database is kept as {}.", p.display()));
        }
        if let Some(p) = &installed.previous_seed {
            kept.push(format!("The previous seed is kept as {}.", p.display()));
        }
    }
    html(&RestoredPage {
        csrf: sess.csrf.clone(),
        flash: None,
        summary: format!(
            "Restored {} credential(s) and {} key pair(s) {how}.",
            r.manifest.counts.credentials, r.manifest.counts.keypairs
        ),
        kept,
    })
}
