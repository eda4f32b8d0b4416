//! The methods: `auth.*`, `core.ping`, `system.version*`, and
//! `cloudsync.credentials.*` with TrueNAS's parameters, results and errors.
//! Store work runs on the blocking pool (`spawn_blocking`), on a store kept
//! open between calls ([`Stores`]); writes take the writer lock through the
//! store's own methods, as the CLI's do.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use nascfg_credentials::{Credential, ProviderKind, Reveal, ValidationErrors};
use nascfg_crypto::secrecy::{ExposeSecret as _, SecretString};
use nascfg_store::{
    ApiKeyRole, ApiKeySummary, CredentialSummary, DataDir, Secrets, Store, Visit, Visited,
};
use serde_json::{Map, Value, json};

use super::Shared;
use super::audit::Entry;
use super::filter::{Filters, Options};
use super::record::{self, redacted_entry, revealed_entry};
use super::rpc::{self, Problem, Reply, RpcError, errno};

/// TrueNAS's API version these shapes follow (`system.version_short`).
const TRUENAS_VERSION: &str = "25.04.0";
/// The name a credential being verified goes by (verify takes no name).
const UNSAVED: &str = "unsaved";

/// One connection's state: who logged in.
#[derive(Debug)]
pub(crate) struct Session {
    key: Option<ApiKeySummary>,
    peer: Option<IpAddr>,
}

impl Session {
    pub(crate) fn new(peer: Option<IpAddr>) -> Session {
        Session { key: None, peer }
    }

    pub(crate) fn authenticated(&self) -> bool {
        self.key.is_some()
    }
}

/// Answers one text frame.
pub(crate) async fn handle(shared: &Arc<Shared>, session: &mut Session, text: &str) -> String {
    match rpc::parse_request(text) {
        Err(e) => rpc::answer(&Value::Null, Err(e)),
        Ok(request) => {
            let outcome = call(shared, session, &request.method, request.params).await;
            rpc::answer(&request.id, outcome)
        }
    }
}

async fn call(
    shared: &Arc<Shared>,
    session: &mut Session,
    method: &str,
    params: Vec<Value>,
) -> Result<Reply, RpcError> {
    let value = match method {
        "core.ping" => Ok(json!("pong")),
        "auth.mechanism_choices" => Ok(json!(["API_KEY_PLAIN"])),
        "system.version_short" => Ok(json!(TRUENAS_VERSION)),
        "system.version" => Ok(json!(format!(
            "nascfg-{} (TrueNAS API {TRUENAS_VERSION})",
            env!("CARGO_PKG_VERSION")
        ))),
        "auth.login_with_api_key" => {
            let mut params = params;
            let Some(key) = take_secret(params.first_mut()) else {
                return Err(RpcError::invalid(
                    "api_key",
                    "Input should be a valid string",
                ));
            };
            Ok(Value::Bool(login(shared, session, method, key).await))
        }
        "auth.login_ex" => login_ex(shared, session, params).await,
        "auth.logout" => {
            session.key = None;
            Ok(Value::Bool(true))
        }
        "auth.me" => {
            let key = session
                .key
                .as_ref()
                .ok_or_else(RpcError::not_authenticated)?;
            Ok(me(key))
        }
        "cloudsync.credentials.query"
        | "cloudsync.credentials.get_instance"
        | "cloudsync.credentials.create"
        | "cloudsync.credentials.update"
        | "cloudsync.credentials.delete"
        | "cloudsync.credentials.verify" => {
            let Some(key) = session.key.clone() else {
                return Err(RpcError::not_authenticated());
            };
            let writes = !matches!(
                method,
                "cloudsync.credentials.query" | "cloudsync.credentials.get_instance"
            );
            if writes && key.role != ApiKeyRole::Admin {
                audit(shared, session, method, None, None, "EACCES");
                return Err(RpcError::not_authorized());
            }
            let shared2 = Arc::clone(shared);
            let method_owned = method.to_owned();
            let peer = session.peer;
            let outcome = tokio::task::spawn_blocking(move || {
                credentials(&shared2, &key, peer, &method_owned, params)
            })
            .await
            .map_err(|_| RpcError::call(errno::EFAULT, "the call failed unexpectedly"))?;
            if let Err(Revoked) = outcome.1 {
                session.key = None;
            }
            return outcome.0;
        }
        _ => Err(RpcError::method_not_found()),
    };
    value.map(Reply::Value)
}

/// The session's key was deleted since it logged in.
struct Revoked;

fn me(key: &ApiKeySummary) -> Value {
    json!({
        "pw_name": key.name,
        "pw_uid": 0,
        "pw_gid": 0,
        "pw_gecos": key.name,
        "pw_dir": "/var/empty",
        "pw_shell": "/usr/sbin/nologin",
        "attributes": {},
        "two_factor_config": {},
        "privilege": {
            "roles": match key.role {
                ApiKeyRole::Admin => json!(["FULL_ADMIN"]),
                ApiKeyRole::Readonly => json!(["READONLY_ADMIN"]),
            },
            "web_shell": false,
        },
        "account_attributes": ["LOCAL", "API_KEY"],
    })
}

fn audit(
    shared: &Shared,
    session: &Session,
    method: &str,
    credential_id: Option<i64>,
    credential_name: Option<&str>,
    result: &str,
) {
    shared.audit.record(&Entry {
        key: session.key.as_ref().map(|k| (k.id, k.name.as_str())),
        peer: session.peer,
        method,
        credential_id,
        credential_name,
        result,
    });
}

/// Moves a string parameter holding a secret (an API key) out of the request
/// into a [`SecretString`], zeroized when dropped; anything else is `None`.
fn take_secret(value: Option<&mut Value>) -> Option<SecretString> {
    match value {
        Some(Value::String(text)) => Some(SecretString::from(std::mem::take(text))),
        _ => None,
    }
}

/// Checks an API key (slowly: Argon2id, on the blocking pool); a failure is
/// counted and answered late, later the more failures in a row.
async fn login(
    shared: &Arc<Shared>,
    session: &mut Session,
    method: &str,
    key: SecretString,
) -> bool {
    let shared2 = Arc::clone(shared);
    let found = tokio::task::spawn_blocking(move || {
        let store = shared2.stores.take(&shared2.app.inner.data_dir)?;
        let found = store.authenticate_api_key(key.expose_secret());
        shared2.stores.give_back(store);
        found
    })
    .await;
    match found {
        Ok(Ok(Some(summary))) => {
            shared.throttle.succeeded(session.peer);
            session.key = Some(summary);
            audit(shared, session, method, None, None, "ok");
            true
        }
        Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {
            session.key = None;
            let (delay, failures) = shared.throttle.failed(session.peer);
            audit(
                shared,
                session,
                method,
                None,
                None,
                &format!("AUTH_ERR (failure {failures} in a row)"),
            );
            tokio::time::sleep(delay).await;
            false
        }
    }
}

async fn login_ex(
    shared: &Arc<Shared>,
    session: &mut Session,
    params: Vec<Value>,
) -> Result<Value, RpcError> {
    let mut params = params;
    let Some(Value::Object(data)) = params.first_mut() else {
        return Err(RpcError::invalid(
            "login_data",
            "Input should be a valid dictionary",
        ));
    };
    match data.get("mechanism").and_then(Value::as_str) {
        Some("API_KEY_PLAIN") => {}
        _ => {
            return Err(RpcError::invalid(
                "login_data.mechanism",
                "Input should be 'API_KEY_PLAIN' (the only mechanism served)",
            ));
        }
    }
    let Some(key) = take_secret(data.get_mut("api_key")) else {
        return Err(RpcError::invalid("login_data.api_key", "Field required"));
    };
    if login(shared, session, "auth.login_ex", key).await {
        let key = session
            .key
            .as_ref()
            .expect("a successful login sets the key");
        Ok(json!({
            "response_type": "SUCCESS",
            "user_info": me(key),
            "authenticator": "LEVEL_1",
            "reconnect_token": null,
        }))
    } else {
        Ok(json!({"response_type": "AUTH_ERR"}))
    }
}

/// Stores kept open between calls: opening one reads the seed, checks the data
/// directory's modes and takes the directory's lock, which a call of a few
/// milliseconds should not pay each time (nor wait for a writer to finish).
/// Reads see every committed change (SQLite starts each read afresh) and a
/// store checks the seed's fingerprint on each use; a store whose `config.db`
/// a restore replaced is dropped ([`Store::is_current`]).
#[derive(Debug, Default)]
pub(crate) struct Stores(Mutex<Vec<Store>>);

/// At most this many idle stores are kept (one per concurrent call).
const IDLE_STORES: usize = 8;

impl Stores {
    /// An open store of `dir`: a kept one that is still current, or a new one.
    pub(crate) fn take(&self, dir: &DataDir) -> Result<Store, nascfg_store::Error> {
        loop {
            let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
            match kept {
                Some(store) if store.is_current() => return Ok(store),
                Some(_) => continue,
                None => return Store::open(dir),
            }
        }
    }

    /// Keeps `store` for a later call.
    pub(crate) fn give_back(&self, store: Store) {
        let mut idle = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_STORES {
            idle.push(store);
        }
    }
}

/// The store, after checking that the session's key still exists.
fn open(shared: &Shared, key: &ApiKeySummary) -> (Result<Store, RpcError>, Result<(), Revoked>) {
    let store = match shared.stores.take(&shared.app.inner.data_dir) {
        Ok(s) => s,
        Err(e) => return (Err(store_error(&e)), Ok(())),
    };
    match store.api_key(key.id) {
        Ok(Some(_)) => (Ok(store), Ok(())),
        Ok(None) => {
            shared.stores.give_back(store);
            (Err(RpcError::not_authenticated()), Err(Revoked))
        }
        Err(e) => (Err(store_error(&e)), Ok(())),
    }
}

fn store_error(e: &nascfg_store::Error) -> RpcError {
    let message = match e.hint() {
        Some(hint) => format!("{e} ({hint})"),
        None => e.to_string(),
    };
    RpcError::call(errno::EFAULT, &message)
}

/// `cloudsync.credentials.*`, on the blocking pool.
fn credentials(
    shared: &Shared,
    key: &ApiKeySummary,
    peer: Option<IpAddr>,
    method: &str,
    params: Vec<Value>,
) -> (Result<Reply, RpcError>, Result<(), Revoked>) {
    let (store, revoked) = open(shared, key);
    let mut store = match store {
        Ok(s) => s,
        Err(e) => return (Err(e), revoked),
    };
    let session = Session {
        key: Some(key.clone()),
        peer,
    };
    let reveal = match key.role {
        ApiKeyRole::Admin => Reveal::Revealed,
        ApiKeyRole::Readonly => Reveal::Redacted,
    };
    let outcome = if method == "cloudsync.credentials.query" {
        query(&mut store, reveal, params.first(), params.get(1))
    } else {
        match method {
            "cloudsync.credentials.get_instance" => {
                id_param(&params, 0).and_then(|id| get_instance(&mut store, reveal, id))
            }
            "cloudsync.credentials.create" => {
                let outcome = create(&mut store, params.first());
                let (id, name) = match &outcome {
                    Ok(v) => (v["id"].as_i64(), v["name"].as_str().map(str::to_owned)),
                    Err(_) => (
                        None,
                        params
                            .first()
                            .and_then(|p| p.get("name"))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    ),
                };
                audit(
                    shared,
                    &session,
                    method,
                    id,
                    name.as_deref(),
                    &result(&outcome),
                );
                outcome
            }
            "cloudsync.credentials.update" => {
                audited_by_id(shared, &session, method, &params, |id, name| {
                    let updated = update(&mut store, id, params.get(1))?;
                    *name = updated["name"].as_str().map(str::to_owned);
                    Ok(updated)
                })
            }
            "cloudsync.credentials.delete" => {
                audited_by_id(shared, &session, method, &params, |id, name| {
                    let summary = summary_by_id(&store, id)?;
                    store
                        .delete_credential(&summary.name)
                        .map_err(|e| write_error(&e, "cloud_sync_credentials_delete", id))?;
                    *name = Some(summary.name);
                    Ok(Value::Bool(true))
                })
            }
            "cloudsync.credentials.verify" => {
                let outcome = verify(shared, &mut store, params.first());
                let valid = match &outcome {
                    Ok(v) if v["valid"] == Value::Bool(true) => "ok (valid)",
                    Ok(_) => "ok (not valid)",
                    Err(_) => "",
                };
                let result = if valid.is_empty() {
                    result(&outcome)
                } else {
                    valid.to_owned()
                };
                audit(shared, &session, method, None, None, &result);
                outcome
            }
            _ => Err(RpcError::method_not_found()),
        }
        .map(Reply::Value)
    };
    shared.stores.give_back(store);
    (outcome, revoked)
}

/// A write addressed by the id in the first parameter, recorded in the audit
/// log with the name of the credential it touched (`run` sets it).
fn audited_by_id(
    shared: &Shared,
    session: &Session,
    method: &str,
    params: &[Value],
    run: impl FnOnce(i64, &mut Option<String>) -> Result<Value, RpcError>,
) -> Result<Value, RpcError> {
    let id = id_param(params, 0);
    let mut name = None;
    let outcome = id.clone().and_then(|id| run(id, &mut name));
    audit(
        shared,
        session,
        method,
        id.ok(),
        name.as_deref(),
        &result(&outcome),
    );
    outcome
}

fn result(outcome: &Result<Value, RpcError>) -> String {
    match outcome {
        Ok(_) => "ok".into(),
        Err(e) => e.errname(),
    }
}

fn id_param(params: &[Value], i: usize) -> Result<i64, RpcError> {
    params
        .get(i)
        .and_then(Value::as_i64)
        .ok_or_else(|| RpcError::invalid("id", "Input should be a valid integer"))
}

/// Records filtered on their redacted form (so no filter can probe a secret),
/// ordered and paged; then, for an admin key, with secrets. The store reads
/// only what an `id` or `name` filter can match ([`Filters::narrow`]), and
/// opens the secrets of the page only, from the same snapshot, each just
/// before its record is written.
fn query(
    store: &mut Store,
    reveal: Reveal,
    filters: Option<&Value>,
    options: Option<&Value>,
) -> Result<Reply, RpcError> {
    let mut problems = Vec::new();
    let filters = Filters::parse(filters).unwrap_or_else(|p| {
        problems.extend(p);
        Filters::default()
    });
    let options = Options::parse(options).unwrap_or_else(|p| {
        problems.extend(p);
        Options::default()
    });
    if !problems.is_empty() {
        return Err(RpcError::validation(problems));
    }
    let secrets = match reveal {
        Reveal::Revealed if !options.count => Secrets::Open,
        Reveal::Revealed | Reveal::Redacted => Secrets::Sealed,
    };
    // The page's length, known once the summaries are read.
    let page_len = AtomicUsize::new(0);
    // The page: each record's summary index, and its redacted form when it
    // had to be made to be filtered or ordered.
    let choose = |summaries: &[CredentialSummary]| {
        let mut page = page_of(summaries, &filters, &options);
        page_len.store(page.len(), Ordering::Relaxed);
        if options.count {
            page.clear();
        } else if options.get {
            page.truncate(1);
        }
        page
    };
    let narrow = filters.narrow();
    if options.count {
        store
            .credentials_listed(&narrow, secrets, choose, |_, _| Ok(()))
            .map_err(|e| store_error(&e))?;
        return Ok(Value::from(page_len.into_inner()).into());
    }
    if options.get {
        let (first, _) = store
            .credentials_listed(&narrow, secrets, choose, |_, mut visits| {
                visits
                    .next()
                    .transpose()
                    .map(|v| v.map(|v| options.select(record_value(v))))
            })
            .map_err(|e| store_error(&e))?;
        return match first {
            Some(record) => Ok(record.into()),
            None => Err(RpcError::call(errno::ENOENT, "MatchNotFound()")),
        };
    }
    // The records as the text of a JSON array, written on two threads when
    // there are many, each half's as its credentials are opened. Each half
    // starts with what comes before its first record, so the first half is
    // the answer's start and only the second is copied.
    let (mut out, second) = store
        .credentials_listed(&narrow, secrets, choose, |half, visits| {
            // The first half has room for the whole answer.
            let room = if half == 0 {
                page_len.load(Ordering::Relaxed)
            } else {
                visits.len()
            };
            let mut out: Vec<u8> = Vec::with_capacity(room * 192 + 2);
            if half == 0 {
                out.push(b'[');
            }
            for (n, visit) in visits.enumerate() {
                if n > 0 || half > 0 {
                    out.push(b',');
                }
                write_record(&mut out, visit?, &options);
            }
            Ok(out)
        })
        .map_err(|e| store_error(&e))?;
    if let Some(second) = second {
        out.extend(second);
    }
    out.push(b']');
    Ok(Reply::Text(
        String::from_utf8(out).expect("serde_json writes UTF-8"),
    ))
}

/// A visited record as a `Value`: the credential with its secrets, else its
/// redacted form.
fn record_value(visit: Visit<Option<Value>>) -> Value {
    match visit.visited {
        Visited::Opened { id, credential } => revealed_entry(id.get(), &credential),
        Visited::Summary(summary) => visit.item.unwrap_or_else(|| redacted_entry(&summary)),
    }
}

/// Appends a visited record's JSON text, `select`ed: written straight from
/// the credential or the summary, or through a `Value` when `select` picks
/// fields (the same bytes either way).
fn write_record(out: &mut Vec<u8>, visit: Visit<Option<Value>>, options: &Options) {
    if options.selects() {
        return record::write(out, &options.select(record_value(visit)));
    }
    match (&visit.visited, &visit.item) {
        (Visited::Opened { id, credential }, _) => record::write(
            out,
            &record::Revealed {
                id: id.get(),
                credential,
            },
        ),
        (Visited::Summary(_), Some(redacted)) => record::write(out, redacted),
        (Visited::Summary(summary), None) => record::write(out, &record::Redacted(summary)),
    }
}

/// The records `filters` keeps, in `options`' order and page, as indices
/// into `summaries` (in id order). Without filters or an order the page is
/// cut from the summaries as they are, and no record is made yet.
fn page_of(
    summaries: &[CredentialSummary],
    filters: &Filters,
    options: &Options,
) -> Vec<(usize, Option<Value>)> {
    if filters.is_empty() && options.is_unordered() {
        let from = options.offset.min(summaries.len());
        let to = options.limit.map_or(summaries.len(), |l| {
            from.saturating_add(l).min(summaries.len())
        });
        return (from..to).map(|i| (i, None)).collect();
    }
    const INDEX: &str = "\u{0}index";
    let mut records: Vec<Value> = summaries
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let mut r = redacted_entry(s);
            if !filters.matches(&r) {
                return None;
            }
            if let Value::Object(m) = &mut r {
                m.insert(INDEX.into(), Value::from(i));
            }
            Some(r)
        })
        .collect();
    options.order_and_page(&mut records);
    records
        .into_iter()
        .map(|mut r| {
            let i = r
                .as_object_mut()
                .and_then(|m| m.remove(INDEX))
                .and_then(|i| i.as_u64())
                .and_then(|i| usize::try_from(i).ok())
                .expect("every record carries its index");
            (i, Some(r))
        })
        .collect()
}

fn summary_by_id(store: &Store, id: i64) -> Result<CredentialSummary, RpcError> {
    let name = store
        .credential_name_by_id(id)
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| RpcError::instance_not_found(id))?;
    store.credential_summary(&name).map_err(|e| store_error(&e))
}

fn get_instance(store: &mut Store, reveal: Reveal, id: i64) -> Result<Value, RpcError> {
    let summary = summary_by_id(store, id)?;
    entry(store, reveal, &summary)
}

fn entry(
    store: &mut Store,
    reveal: Reveal,
    summary: &CredentialSummary,
) -> Result<Value, RpcError> {
    if reveal == Reveal::Revealed && !summary.needs_secrets && !summary.secret_fields.is_empty() {
        let credential = store
            .credential(&summary.name)
            .map_err(|e| store_error(&e))?;
        return Ok(revealed_entry(summary.id.get(), &credential));
    }
    Ok(redacted_entry(summary))
}

/// A field of the catalog's errors as TrueNAS names it: `name` stays, the
/// provider's type is `provider.type`, an attribute is `provider.FIELD`.
fn attribute(prefix: &str, field: &str) -> String {
    match field {
        "name" | "attributes" => format!("{prefix}.{field}"),
        "provider" => format!("{prefix}.provider.type"),
        other => format!("{prefix}.provider.{other}"),
    }
}

fn invalid(prefix: &str, errors: &ValidationErrors) -> RpcError {
    RpcError::validation(
        errors
            .iter()
            .map(|e| Problem::new(attribute(prefix, e.field()), e.message()))
            .collect(),
    )
}

/// Reads a credential document through the catalog, as `cred add --from-json` does.
fn parse_credential(prefix: &str, doc: &Value) -> Result<Credential, RpcError> {
    use nascfg_credentials::Error as E;
    Credential::from_api_json(doc).map_err(|e| match e {
        E::Invalid(errors) => invalid(prefix, &errors),
        E::UnknownProvider { given } => RpcError::invalid(
            format!("{prefix}.provider.type"),
            format!(
                "unknown provider {} (`nascfg providers` lists the 18 types)",
                super::shown(&given)
            ),
        ),
        E::Shape(message) => RpcError::invalid(prefix.to_owned(), message),
        E::Json { .. } => RpcError::invalid(prefix.to_owned(), "not valid JSON"),
    })
}

/// A store error of a write, as TrueNAS words it.
fn write_error(e: &nascfg_store::Error, prefix: &str, id: i64) -> RpcError {
    use nascfg_store::Error as E;
    match e {
        E::Invalid(errors) => invalid(prefix, errors),
        E::Duplicate { .. } => RpcError::validation(vec![Problem {
            attribute: Some(format!("{prefix}.name")),
            message: "Credentials with this name already exist".into(),
            errno: errno::EEXIST,
        }]),
        E::NotFound {
            what: "key pair",
            name,
        } => RpcError::validation(vec![Problem {
            attribute: Some(format!("{prefix}.provider.private_key")),
            message: format!(
                "no key pair named {} (`nascfg keypair list`)",
                super::shown(name)
            ),
            errno: errno::ENOENT,
        }]),
        E::NotFound { .. } => RpcError::instance_not_found(id),
        other => store_error(other),
    }
}

fn create(store: &mut Store, doc: Option<&Value>) -> Result<Value, RpcError> {
    const PREFIX: &str = "cloud_sync_credentials_create";
    let doc = doc.ok_or_else(|| RpcError::invalid(PREFIX, "Field required"))?;
    let credential = parse_credential(PREFIX, doc)?;
    let id = store
        .add_credential(&credential)
        .map_err(|e| write_error(&e, PREFIX, 0))?;
    Ok(revealed_entry(id.get(), &credential))
}

/// `update id {name?, provider?}`. A `provider` of the same type (or without
/// `type`) changes the attributes it names and keeps the others; one of
/// another type replaces the credential's attributes wholesale.
fn update(store: &mut Store, id: i64, doc: Option<&Value>) -> Result<Value, RpcError> {
    const PREFIX: &str = "cloud_sync_credentials_update";
    let Some(Value::Object(doc)) = doc else {
        return Err(RpcError::invalid(
            PREFIX,
            "Input should be a valid dictionary",
        ));
    };
    let summary = summary_by_id(store, id)?;
    let mut problems = Vec::new();
    for key in doc.keys() {
        if !matches!(key.as_str(), "name" | "provider" | "attributes") {
            problems.push(Problem::new(
                format!("{PREFIX}.{}", super::shown_plain(key)),
                "Extra inputs are not permitted",
            ));
        }
    }
    let rename = match doc.get("name") {
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => {
            problems.push(Problem::new(
                format!("{PREFIX}.name"),
                "Input should be a valid string",
            ));
            None
        }
    };
    // The new attributes: TrueNAS's nested shape, or the legacy `attributes`.
    let (new_type, changes) = match (doc.get("provider"), doc.get("attributes")) {
        (None, None) => (None, Map::new()),
        (Some(Value::Object(p)), None) => {
            let mut p = p.clone();
            let t = p.remove("type");
            (t, p)
        }
        (Some(t @ Value::String(_)), Some(Value::Object(a))) => (Some(t.clone()), a.clone()),
        (None, Some(Value::Object(a))) => (None, a.clone()),
        _ => {
            problems.push(Problem::new(
                format!("{PREFIX}.provider"),
                "Input should be an object with \"type\" and the provider's attributes",
            ));
            (None, Map::new())
        }
    };
    if !problems.is_empty() {
        return Err(RpcError::validation(problems));
    }
    let same_type = match &new_type {
        None => true,
        Some(Value::String(t)) => t
            .parse::<ProviderKind>()
            .is_ok_and(|k| k == summary.provider),
        Some(_) => false,
    };
    let name = rename.clone().unwrap_or_else(|| summary.name.clone());
    if same_type {
        let updated = store
            .update_credential(&summary.name, changes, rename.as_deref())
            .map_err(|e| write_error(&e, PREFIX, id))?;
        return Ok(revealed_entry(id, &updated));
    }
    let mut replacement = Map::new();
    replacement.insert("name".into(), Value::String(name));
    let mut provider = changes;
    provider.insert("type".into(), new_type.expect("a different type was given"));
    replacement.insert("provider".into(), Value::Object(provider));
    let credential = parse_credential(PREFIX, &Value::Object(replacement))?;
    store
        .replace_credential(&summary.name, &credential)
        .map_err(|e| write_error(&e, PREFIX, id))?;
    Ok(revealed_entry(id, &credential))
}

/// `verify {type, ...}` (or the legacy `{provider, attributes}`): the
/// catalog's checks, then `cred verify`'s check against the service, with
/// the server's timeouts.
fn verify(shared: &Shared, store: &mut Store, doc: Option<&Value>) -> Result<Value, RpcError> {
    const PREFIX: &str = "cloud_sync_credentials_create";
    let Some(Value::Object(doc)) = doc else {
        return Err(RpcError::invalid(
            "cloud_sync_credentials_verify",
            "Input should be a valid dictionary",
        ));
    };
    let mut full = Map::new();
    full.insert("name".into(), Value::String(UNSAVED.into()));
    if doc.contains_key("type") {
        full.insert("provider".into(), Value::Object(doc.clone()));
    } else {
        for (k, v) in doc {
            full.insert(k.clone(), v.clone());
        }
    }
    let credential = parse_credential(PREFIX, &Value::Object(full))?;
    let mut options = shared.app.inner.verify.clone();
    if credential.provider() == ProviderKind::Sftp {
        if let Some(kp) = credential.text("private_key").filter(|k| !k.is_empty()) {
            options.private_key = Some(
                store
                    .keypair_private(kp)
                    .map_err(|e| write_error(&e, PREFIX, 0))?,
            );
        }
        let host = credential.text("host").unwrap_or("").to_owned();
        let port = credential
            .integer("port")
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(22);
        options.known_host_key = store.known_host(&host, port).map_err(|e| store_error(&e))?;
    }
    let answer = nascfg_verify::verify(&credential, &options);
    Ok(json!({
        "valid": answer.valid,
        "error": answer.error,
        "excerpt": answer.excerpt,
    }))
}

#[cfg(test)]
mod tests {
    use nascfg_credentials::{Credential, ProviderKind};
    use nascfg_store::{DataDir, Store, TWO_THREADS_FROM};
    use serde_json::{Value, json};

    use super::{Reply, Reveal, query};

    fn text(store: &mut Store, reveal: Reveal, filters: &Value, options: &Value) -> String {
        match query(store, reveal, Some(filters), Some(options)) {
            Ok(Reply::Text(text)) => text,
            other => panic!("{filters} {options}: {other:?}"),
        }
    }

    /// A query's answer, written straight from each credential or summary
    /// (on two threads when the page is large), is the same text as through
    /// the `Value` of each record (what `select` of every member takes),
    /// for an admin key and a read-only one, filtered, ordered, paged.
    #[test]
    fn written_as_the_values_are() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&DataDir::new(tmp.path().join("data"))).expect("store");
        let n = TWO_THREADS_FROM + 9;
        let credentials: Vec<Credential> = (0..n)
            .map(|i| {
                let (kind, attrs) = if i % 3 == 0 {
                    (
                        ProviderKind::Webdav,
                        json!({"url": format!("https://dav{i}.example/é"), "vendor": "nextcloud",
                               "user": format!("Zoë \"{i}\""), "pass": format!("p\\{i}")}),
                    )
                } else {
                    (
                        ProviderKind::Ftp,
                        json!({"host": "ftp.example", "user": format!("u{i}"), "pass": format!("😀{i}")}),
                    )
                };
                let attrs = attrs.as_object().expect("an object").clone();
                Credential::new(&format!("c{i:03} \"q\""), kind, attrs).expect("valid")
            })
            .collect();
        store.add_credentials(&credentials).expect("added");
        for reveal in [Reveal::Revealed, Reveal::Redacted] {
            for (filters, options, len) in [
                (json!([]), json!({}), n),
                (json!([["name", "^", "c1"]]), json!({}), 100),
                (
                    json!([["provider.type", "=", "FTP"]]),
                    json!({"order_by": ["-name"]}),
                    n - n.div_ceil(3),
                ),
                (json!([]), json!({"offset": 5, "limit": n}), n - 5),
                (json!([["id", "=", -1]]), json!({}), 0),
            ] {
                let written = text(&mut store, reveal, &filters, &options);
                let mut selected = options.clone();
                selected["select"] = json!(["id", "name", "provider"]);
                let through_values = text(&mut store, reveal, &filters, &selected);
                assert_eq!(written, through_values, "{reveal:?} {filters} {options}");
                let records: Vec<Value> = serde_json::from_str(&written).expect("JSON");
                assert_eq!(records.len(), len, "{reveal:?} {filters} {options}");
                if let (Reveal::Revealed, Some(r)) = (reveal, records.first()) {
                    assert_ne!(r["provider"]["pass"], json!(nascfg_credentials::REDACTED));
                }
            }
        }
    }
}
