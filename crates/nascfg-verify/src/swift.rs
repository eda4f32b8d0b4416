//! OpenStack Swift: authenticate, then list the account's containers (`GET <storage URL>?format=json`
//! with `X-Auth-Token`).
//!
//! Auth v1 (TempAuth, Swauth): `GET <auth>` with `X-Auth-User`/`X-Auth-Key`, answered with
//! `X-Storage-Url` and `X-Auth-Token`. Keystone v2: `POST <auth>/tokens` with `passwordCredentials` and
//! the tenant, answered with the token and a service catalog. Keystone v3: `POST <auth>/auth/tokens`
//! with the password method (user name and domain, or user ID) scoped to the project, answered with
//! `X-Subject-Token` and a catalog. From the catalog the `object-store` endpoint of the region and
//! interface (`endpoint_type`, default `public`) is taken. `auth_version` 0 or absent: inferred from the
//! auth URL. A given `storage_url` replaces the catalog's; with `storage_url` and `auth_token` both given,
//! authentication is skipped.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::http::HttpResponse;
use crate::oauth::{api_error, api_url};
use crate::{Check, Failure, Outcome, Success};

/// Authenticates and lists the account.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let (storage_url, token) = match (check.optional_text("storage_url"), given_token(check)) {
        (Some(url), Some(token)) => (url, token),
        (preset_url, _) => {
            let (url, token) = authenticate(check)?;
            (preset_url.unwrap_or(url), token)
        }
    };
    let mut url = api_url(check, storage_url.trim())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::new("the storage URL is not an http(s) URL"));
    }
    url.query_pairs_mut()
        .append_pair("format", "json")
        .append_pair("limit", "1");
    let response = check.http.get(
        &url,
        &[
            ("x-auth-token", token.expose_secret()),
            ("accept", "application/json"),
        ],
    )?;
    if !response.is_success() {
        return Err(Failure::new(format!(
            "listing the account: {}",
            api_error(&response)
        )));
    }
    Ok(Success::default())
}

fn given_token(check: &Check<'_>) -> Option<SecretString> {
    check
        .credential
        .secret("auth_token")
        .filter(|t| !t.expose_secret().trim().is_empty())
        .cloned()
}

/// Which auth protocol: the credential's `auth_version`, else inferred from the auth URL's path.
fn auth_version(check: &Check<'_>, auth: &str) -> Result<i64, Failure> {
    match check.credential.integer("auth_version").unwrap_or(0) {
        0 => {
            let path = url::Url::parse(auth)
                .map(|u| u.path().to_ascii_lowercase())
                .unwrap_or_default();
            Ok(if path.contains("v3") {
                3
            } else if path.contains("v2") {
                2
            } else {
                1
            })
        }
        v @ 1..=3 => Ok(v),
        other => Err(Failure::new(format!(
            "auth_version {other} is not 1, 2 or 3"
        ))),
    }
}

/// The storage URL and the token.
fn authenticate(check: &Check<'_>) -> Result<(String, SecretString), Failure> {
    let account = Account {
        auth: check.text("auth")?.trim().to_owned(),
        user: check.text("user")?,
        key: check.secret("key")?.clone(),
    };
    match auth_version(check, &account.auth)? {
        1 => account.v1(check),
        2 => account.v2(check),
        _ => account.v3(check),
    }
}

/// What every auth protocol logs in with: the auth URL, the user and the key.
struct Account {
    auth: String,
    user: String,
    key: SecretString,
}

impl Account {
    fn v1(&self, check: &Check<'_>) -> Result<(String, SecretString), Failure> {
        let url = api_url(check, &self.auth)?;
        let response = check.http.get(
            &url,
            &[
                ("x-auth-user", self.user.as_str()),
                ("x-auth-key", self.key.expose_secret()),
            ],
        )?;
        if !response.is_success() {
            return Err(Failure::new(format!(
                "authentication (v1): {}",
                api_error(&response)
            )));
        }
        match (
            response.header("x-storage-url"),
            response.header("x-auth-token"),
        ) {
            (Some(storage), Some(token)) if !storage.is_empty() && !token.is_empty() => {
                Ok((storage.to_owned(), SecretString::from(token.to_owned())))
            }
            _ => Err(Failure::new(format!(
                "authentication (v1): {}, but no X-Storage-Url and X-Auth-Token: is the auth URL a Swift auth endpoint?",
                response.status_line()
            ))),
        }
    }

    fn v2(&self, check: &Check<'_>) -> Result<(String, SecretString), Failure> {
        let mut body = json!({"auth": {"passwordCredentials": {"username": self.user, "password": self.key.expose_secret()}}});
        if let Some(tenant) = check.optional_text("tenant") {
            body["auth"]["tenantName"] = tenant.into();
        }
        if let Some(tenant_id) = check.optional_text("tenant_id") {
            body["auth"]["tenantId"] = tenant_id.into();
        }
        let (response, json) = keystone_token(check, &self.auth, Keystone::V2, &body)?;
        let token = json
            .pointer("/access/token/id")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Keystone::V2.not_a_token(&response))?;
        let interface = format!("{}URL", endpoint_type(check));
        let storage = storage_url(check, &json, "/access/serviceCatalog", |endpoint| {
            endpoint.get(&interface).and_then(Value::as_str)
        })?;
        Ok((storage, SecretString::from(token)))
    }

    fn v3(&self, check: &Check<'_>) -> Result<(String, SecretString), Failure> {
        let domain = |name: Option<String>| match name {
            Some(name) => json!({"name": name}),
            None => json!({"id": "default"}),
        };
        let user = match check.optional_text("user_id") {
            Some(id) => json!({"id": id, "password": self.key.expose_secret()}),
            None => {
                json!({"name": self.user, "password": self.key.expose_secret(), "domain": domain(check.optional_text("domain"))})
            }
        };
        let project = match (
            check.optional_text("tenant_id"),
            check.optional_text("tenant"),
        ) {
            (Some(id), _) => Some(json!({"id": id})),
            (None, Some(name)) => {
                let d = check
                    .optional_text("tenant_domain")
                    .or_else(|| check.optional_text("domain"));
                Some(json!({"name": name, "domain": domain(d)}))
            }
            (None, None) => None,
        };
        let mut body =
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}});
        if let Some(project) = project {
            body["auth"]["scope"] = json!({"project": project});
        }
        let (response, json) = keystone_token(check, &self.auth, Keystone::V3, &body)?;
        let token = response
            .header("x-subject-token")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Keystone::V3.not_a_token(&response))?;
        let interface = endpoint_type(check);
        let storage = storage_url(check, &json, "/token/catalog", |endpoint| {
            let field = |k: &str| endpoint.get(k).and_then(Value::as_str);
            (field("interface") == Some(interface.as_str()))
                .then(|| field("url"))
                .flatten()
        })?;
        Ok((storage, SecretString::from(token)))
    }
}

fn endpoint_type(check: &Check<'_>) -> String {
    check
        .optional_text("endpoint_type")
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_else(|| "public".to_owned())
}

/// The Keystone identity API versions, and how each names its token endpoint.
#[derive(Debug, Clone, Copy)]
enum Keystone {
    /// `POST <auth>/tokens`, the token in the body.
    V2,
    /// `POST <auth>/auth/tokens`, the token in `X-Subject-Token`.
    V3,
}

impl Keystone {
    fn number(self) -> u8 {
        match self {
            Keystone::V2 => 2,
            Keystone::V3 => 3,
        }
    }

    /// The path of the token endpoint below the auth URL.
    fn tokens_path(self) -> &'static str {
        match self {
            Keystone::V2 => "/tokens",
            Keystone::V3 => "/auth/tokens",
        }
    }

    /// A 2xx answer that is not a Keystone token.
    fn not_a_token(self, response: &HttpResponse) -> Failure {
        Failure::new(format!(
            "authentication (Keystone v{}): {}, but the answer is not a Keystone token: is the auth URL and auth_version right?",
            self.number(),
            response.status_line()
        ))
    }
}

/// Posts the password `body` (it holds the key) to the Keystone token endpoint below `auth`;
/// answers the 2xx response and its JSON.
fn keystone_token(
    check: &Check<'_>,
    auth: &str,
    version: Keystone,
    body: &Value,
) -> Result<(HttpResponse, Value), Failure> {
    let base = auth.trim_end_matches('/');
    let tokens = version.tokens_path();
    let url = api_url(
        check,
        &if base.ends_with(tokens) {
            base.to_owned()
        } else {
            format!("{base}{tokens}")
        },
    )?;
    let response = check.http.post_json_secret(&url, body)?;
    if !response.is_success() {
        return Err(Failure::new(format!(
            "authentication (Keystone v{}): {}",
            version.number(),
            api_error(&response)
        )));
    }
    let json: Value =
        serde_json::from_str(&response.body).map_err(|_| version.not_a_token(&response))?;
    Ok((response, json))
}

/// The storage URL from the catalog at `pointer`: the first `object-store` endpoint in the
/// credential's region (any region when none is set) that `url_of` finds a URL in.
fn storage_url<'a>(
    check: &Check<'_>,
    catalog: &'a Value,
    pointer: &str,
    url_of: impl Fn(&'a Value) -> Option<&'a str>,
) -> Result<String, Failure> {
    let region = check.optional_text("region");
    object_store(catalog, pointer)
        .into_iter()
        .find_map(|endpoint| {
            let field = |k: &str| endpoint.get(k).and_then(Value::as_str);
            let region_ok = region
                .as_deref()
                .is_none_or(|r| field("region_id") == Some(r) || field("region") == Some(r));
            region_ok.then(|| url_of(endpoint)).flatten()
        })
        .map(str::to_owned)
        .ok_or_else(|| no_endpoint(check))
}

/// The endpoints of the `object-store` services in the catalog at `pointer`.
fn object_store<'a>(json: &'a Value, pointer: &str) -> Vec<&'a Value> {
    json.pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|service| service.get("type").and_then(Value::as_str) == Some("object-store"))
        .filter_map(|service| service.get("endpoints").and_then(Value::as_array))
        .flatten()
        .collect()
}

fn no_endpoint(check: &Check<'_>) -> Failure {
    let region = check
        .optional_text("region")
        .map(|r| format!(" in region {r}"))
        .unwrap_or_default();
    Failure::new(format!(
        "the service catalog has no {} object-store endpoint{region}: check region and endpoint_type, or set storage_url",
        endpoint_type(check)
    ))
}
