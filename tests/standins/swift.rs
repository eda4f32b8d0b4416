//! OpenStack Swift behind its three auth protocols: TempAuth v1 (`GET /auth/v1.0` with
//! `X-Auth-User`/`X-Auth-Key`), Keystone v2 (`POST /v2.0/tokens`, `passwordCredentials` and a tenant)
//! and Keystone v3 (`POST /v3/auth/tokens`, the password method with a project scope); then the
//! account listing (`GET /v1/AUTH_<project>` with `X-Auth-Token`).

use std::sync::{Arc, Mutex, OnceLock};

use super::{Request, Response, Standin};

/// The TempAuth user (`account:user`).
pub const V1_USER: &str = "test:tester";
/// The Keystone user name.
pub const USER: &str = "tester";
/// The Keystone user ID.
pub const USER_ID: &str = "5b8a3fd7a8d84c0ba4c0a3b6e8f6c5d1";
/// The Keystone project (tenant) name.
pub const PROJECT: &str = "backup";
/// The Keystone project (tenant) ID.
pub const PROJECT_ID: &str = "9f2c1e0d7b6a45c3a1e2d3c4b5a69788";
/// The user's and the project's domain.
pub const DOMAIN: &str = "Default";

/// A running Swift + Keystone stand-in.
#[derive(Debug)]
pub struct Swift {
    /// The server.
    pub standin: Standin,
}

#[derive(Debug, Default)]
struct State {
    tokens: Vec<String>,
}

impl Swift {
    /// Starts a stand-in whose users all have the password `key`.
    pub fn start(key: &str) -> Swift {
        let key = key.to_owned();
        let state = Arc::new(Mutex::new(State::default()));
        let base: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let b = Arc::clone(&base);
        let standin = Standin::start(move |request| {
            answer(
                request,
                &key,
                b.get().map(String::as_str).unwrap_or(""),
                &state,
            )
        });
        let _ = base.set(standin.url().to_owned());
        Swift { standin }
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        self.standin.url()
    }

    /// The paths of the account listings served so far (which endpoint the client chose).
    pub fn account_requests(&self) -> Vec<String> {
        self.standin
            .requests()
            .into_iter()
            .filter(|r| r.path.contains("/AUTH_"))
            .map(|r| r.path)
            .collect()
    }
}

fn issue(state: &Mutex<State>) -> String {
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    let token = format!("gAAAAABtoken{}", s.tokens.len() + 1);
    s.tokens.push(token.clone());
    token
}

fn keystone_unauthorized() -> Response {
    Response::json(
        401,
        &serde_json::json!({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}),
    )
    .with_header("WWW-Authenticate", "Keystone uri=\"http://127.0.0.1/identity\"")
}

fn swift_unauthorized() -> Response {
    Response {
        status: 401,
        headers: vec![("Content-Type".into(), "text/html; charset=UTF-8".into())],
        body: b"<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document you requested.</p></html>".to_vec(),
    }
}

/// (region, interface, path prefix) of the object-store endpoints in the catalog.
const ENDPOINTS: [(&str, &str, &str); 4] = [
    ("RegionOne", "public", "/v1"),
    ("RegionOne", "internal", "/v1-internal"),
    ("RegionOne", "admin", "/v1-admin"),
    ("RegionTwo", "public", "/v1-r2"),
];

fn storage_url(base: &str, prefix: &str) -> String {
    format!("{base}{prefix}/AUTH_{PROJECT_ID}")
}

fn answer(request: &Request, key: &str, base: &str, state: &Mutex<State>) -> Response {
    let path = request.path.trim_end_matches('/');
    match (request.method.as_str(), path) {
        ("GET", "/auth/v1.0") => {
            if request.header("x-auth-user") != Some(V1_USER)
                || request.header("x-auth-key") != Some(key)
            {
                return swift_unauthorized();
            }
            let token = issue(state);
            Response::empty(200)
                .with_header("X-Storage-Url", &storage_url(base, "/v1"))
                .with_header("X-Auth-Token", &token)
                .with_header("X-Storage-Token", &token)
        }
        ("POST", "/v2.0/tokens") => {
            let body = request.json();
            let auth = &body["auth"];
            let creds = &auth["passwordCredentials"];
            let user_ok = creds["username"].as_str() == Some(USER)
                || creds["userId"].as_str() == Some(USER_ID);
            let tenant_ok = auth["tenantName"].as_str() == Some(PROJECT)
                || auth["tenantId"].as_str() == Some(PROJECT_ID);
            if !user_ok || creds["password"].as_str() != Some(key) || !tenant_ok {
                return keystone_unauthorized();
            }
            let token = issue(state);
            let mut endpoints: Vec<serde_json::Value> = Vec::new();
            for region in ["RegionOne", "RegionTwo"] {
                let url = |interface: &str| {
                    ENDPOINTS
                        .iter()
                        .find(|(r, i, _)| *r == region && *i == interface)
                        .or_else(|| {
                            ENDPOINTS
                                .iter()
                                .find(|(r, i, _)| *r == region && *i == "public")
                        })
                        .map(|(_, _, p)| storage_url(base, p))
                };
                endpoints.push(serde_json::json!({"region": region, "id": format!("ep-{region}"),
                    "publicURL": url("public"), "internalURL": url("internal"), "adminURL": url("admin")}));
            }
            Response::json(
                200,
                &serde_json::json!({"access": {
                    "token": {"id": token, "expires": "2099-01-01T00:00:00Z", "tenant": {"id": PROJECT_ID, "name": PROJECT, "enabled": true}},
                    "serviceCatalog": [
                        {"type": "identity", "name": "keystone", "endpoints": [{"region": "RegionOne", "publicURL": format!("{base}/v2.0")}]},
                        {"type": "object-store", "name": "swift", "endpoints": endpoints}],
                    "user": {"id": USER_ID, "name": USER}}}),
            )
        }
        ("POST", "/v3/auth/tokens") => {
            let body = request.json();
            let identity = &body["auth"]["identity"];
            let user = &identity["password"]["user"];
            let methods_ok = identity["methods"]
                .as_array()
                .is_some_and(|m| m.iter().any(|x| x == "password"));
            let user_ok = (user["name"].as_str() == Some(USER)
                && user["domain"]["name"].as_str() == Some(DOMAIN))
                || user["id"].as_str() == Some(USER_ID);
            let project = &body["auth"]["scope"]["project"];
            let project_ok = (project["name"].as_str() == Some(PROJECT)
                && project["domain"]["name"].as_str() == Some(DOMAIN))
                || project["id"].as_str() == Some(PROJECT_ID);
            if !methods_ok || !user_ok || user["password"].as_str() != Some(key) || !project_ok {
                return keystone_unauthorized();
            }
            let token = issue(state);
            let endpoints: Vec<serde_json::Value> = ENDPOINTS
                .iter()
                .map(|(region, interface, prefix)| {
                    serde_json::json!({"id": format!("ep-{region}-{interface}"), "interface": interface,
                        "region": region, "region_id": region, "url": storage_url(base, prefix)})
                })
                .collect();
            Response::json(
                201,
                &serde_json::json!({"token": {"methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
                    "user": {"id": USER_ID, "name": USER, "domain": {"id": "default", "name": DOMAIN}},
                    "project": {"id": PROJECT_ID, "name": PROJECT, "domain": {"id": "default", "name": DOMAIN}},
                    "catalog": [
                        {"type": "identity", "name": "keystone", "id": "c1", "endpoints": [{"interface": "public", "region": "RegionOne", "url": format!("{base}/v3")}]},
                        {"type": "object-store", "name": "swift", "id": "c2", "endpoints": endpoints}]}}),
            )
            .with_header("X-Subject-Token", &token)
        }
        ("GET" | "HEAD", p) if p.ends_with(&format!("/AUTH_{PROJECT_ID}")) => {
            let token = request.header("x-auth-token").unwrap_or("");
            let known = state
                .lock()
                .map(|s| s.tokens.iter().any(|t| t == token))
                .unwrap_or(false);
            if !known {
                return swift_unauthorized();
            }
            Response::json(200, &serde_json::json!([{"name": "nas-backups", "count": 2, "bytes": 1024, "last_modified": "2026-01-01T00:00:00.000000"}]))
                .with_header("X-Account-Container-Count", "1")
                .with_header("X-Account-Object-Count", "2")
                .with_header("X-Account-Bytes-Used", "1024")
        }
        _ => Response::not_found(request),
    }
}
