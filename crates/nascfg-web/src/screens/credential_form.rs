//! The credential form, generated from the catalog: add, edit, the fields of
//! another provider, save.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use nascfg_credentials::{Credential, ProviderKind, ValidationErrors};
use nascfg_store::{DataDir, Store};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::form::{self, Fields, Opt};
use crate::page::{LoggedIn, NameQuery, blocking, html, html_status, see_other, store_problem};
use crate::screens::submitted::{FormFailure, Submitted, parse_provider, read_form};
use crate::screens::verify::{VerifyView, verify_form};
use crate::state::{App, Sess};

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
    let page = FormPage {
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
    };
    html_status(&page, Some(status))
}

#[derive(Deserialize)]
pub(crate) struct NewQuery {
    provider: Option<String>,
}

pub(crate) async fn new_credential(
    LoggedIn { app, sess }: LoggedIn,
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

pub(crate) async fn edit_credential(
    LoggedIn { app, sess }: LoggedIn,
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

pub(crate) async fn fields_partial(State(app): State<App>, Query(q): Query<NewQuery>) -> Response {
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

pub(crate) async fn save_credential(
    LoggedIn { app, sess }: LoggedIn,
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
