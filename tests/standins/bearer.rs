//! The OAuth providers whose APIs take the access token in the `Authorization` header:
//! Google Drive, Google Photos, OneDrive (Microsoft Graph), Dropbox, Box, pCloud and Yandex Disk.
//! Each answers on the provider's real paths with its real error shapes, and serves the provider's
//! token endpoint (on its real path) from a [`TokenBook`].

use std::sync::Arc;

use super::oauth::TokenBook;
use super::{Request, Response, Standin};

/// Which provider's API a stand-in plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `www.googleapis.com/drive/v3`, token at `oauth2.googleapis.com/token`.
    GoogleDrive,
    /// `photoslibrary.googleapis.com/v1`, token at `oauth2.googleapis.com/token`.
    GooglePhotos,
    /// `graph.microsoft.com/v1.0`, token at `login.microsoftonline.com/common/oauth2/v2.0/token`.
    OneDrive,
    /// `api.dropboxapi.com/2`, token at `api.dropbox.com/oauth2/token`.
    Dropbox,
    /// `api.box.com/2.0`, token at `api.box.com/oauth2/token`.
    Box,
    /// `api.pcloud.com`, token at `api.pcloud.com/oauth2_token`.
    Pcloud,
    /// `cloud-api.yandex.net/v1/disk`, token at `oauth.yandex.com/token` (token type `OAuth`).
    Yandex,
}

impl Api {
    /// The path of the provider's token endpoint.
    pub fn token_path(self) -> &'static str {
        match self {
            Api::GoogleDrive | Api::GooglePhotos | Api::Yandex => "/token",
            Api::OneDrive => "/common/oauth2/v2.0/token",
            Api::Dropbox | Api::Box => "/oauth2/token",
            Api::Pcloud => "/oauth2_token",
        }
    }

    /// The `Authorization` scheme the API takes.
    pub fn scheme(self) -> &'static str {
        match self {
            Api::Yandex => "OAuth",
            _ => "Bearer",
        }
    }
}

/// The OneDrive drives the Graph stand-in lists from `/me/drives`: (id, name, driveType).
pub const ONEDRIVE_DRIVES: [(&str, &str, &str); 2] = [
    ("b!personal0123", "OneDrive", "business"),
    ("b!library4567", "Documents", "documentLibrary"),
];

/// The Google shared drive the Drive stand-in knows.
pub const TEAM_DRIVE_ID: &str = "0AteamDriveIdUk9PVA";

/// A running provider API stand-in.
#[derive(Debug)]
pub struct BearerApi {
    /// The server.
    pub standin: Standin,
    /// Its tokens.
    pub book: Arc<TokenBook>,
}

impl BearerApi {
    /// Starts a stand-in for `api` with the tokens in `book`.
    pub fn start(api: Api, book: TokenBook) -> BearerApi {
        let book = Arc::new(book);
        let shared = Arc::clone(&book);
        let standin = Standin::start(move |request| answer(api, &shared, request));
        BearerApi { standin, book }
    }

    /// The endpoint override for the verifier.
    pub fn url(&self) -> &str {
        self.standin.url()
    }
}

fn answer(api: Api, book: &TokenBook, request: &Request) -> Response {
    if request.path == api.token_path() {
        return book.token_endpoint(request);
    }
    let token = request.authorization(api.scheme());
    let authorized = token.is_some_and(|t| book.is_valid_access(t));
    if !authorized {
        return unauthorized(api, token.is_some());
    }
    match (api, request.method.as_str(), request.path.as_str()) {
        (Api::GoogleDrive, "GET", "/drive/v3/files") => Response::json(
            200,
            &serde_json::json!({"kind": "drive#fileList", "incompleteSearch": false, "files": [
                {"kind": "drive#file", "id": "1Bk", "name": "Backups", "mimeType": "application/vnd.google-apps.folder"}]}),
        ),
        (Api::GoogleDrive, "GET", path) if path.starts_with("/drive/v3/drives/") => {
            let id = &path["/drive/v3/drives/".len()..];
            if id == TEAM_DRIVE_ID {
                Response::json(
                    200,
                    &serde_json::json!({"kind": "drive#drive", "id": id, "name": "Team"}),
                )
            } else {
                let message = format!("Shared drive not found: {id}");
                Response::json(
                    404,
                    &serde_json::json!({"error": {"code": 404, "message": message,
                        "errors": [{"message": message, "domain": "global", "reason": "notFound", "location": "driveId", "locationType": "parameter"}]}}),
                )
            }
        }
        (Api::GooglePhotos, "GET", "/v1/albums") => Response::json(
            200,
            &serde_json::json!({"albums": [{"id": "AF1Q", "title": "NAS", "mediaItemsCount": "3"}]}),
        ),
        (Api::OneDrive, "GET", "/v1.0/me/drives") => {
            let drives: Vec<_> = ONEDRIVE_DRIVES
                .iter()
                .map(|(id, name, kind)| serde_json::json!({"id": id, "name": name, "driveType": kind, "owner": {"user": {"displayName": "Test"}}}))
                .collect();
            Response::json(
                200,
                &serde_json::json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#drives", "value": drives}),
            )
        }
        (Api::OneDrive, "GET", path)
            if path.starts_with("/v1.0/drives/") && path.ends_with("/root/children") =>
        {
            let id = &path["/v1.0/drives/".len()..path.len() - "/root/children".len()];
            if ONEDRIVE_DRIVES.iter().any(|(known, _, _)| *known == id) {
                Response::json(
                    200,
                    &serde_json::json!({"value": [{"id": "01ABC", "name": "Backups", "folder": {"childCount": 0}}]}),
                )
            } else {
                Response::json(
                    404,
                    &serde_json::json!({"error": {"code": "itemNotFound", "message": "The resource could not be found."}}),
                )
            }
        }
        (Api::Dropbox, "POST", "/2/files/list_folder") => {
            let is_json = request
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/json"));
            if !is_json {
                return Response::text(
                    400,
                    "Error in call to API function \"files/list_folder\": Bad HTTP \"Content-Type\" header. Expecting one of \"application/json\".",
                );
            }
            match request.json().get("path").and_then(|p| p.as_str()) {
                Some("") => Response::json(
                    200,
                    &serde_json::json!({"entries": [], "cursor": "AAE", "has_more": false}),
                ),
                _ => Response::json(
                    409,
                    &serde_json::json!({"error_summary": "path/not_found/", "error": {".tag": "path", "path": {".tag": "not_found"}}}),
                ),
            }
        }
        (Api::Box, "GET", "/2.0/folders/0/items") => Response::json(
            200,
            &serde_json::json!({"total_count": 0, "entries": [], "offset": 0, "limit": 100,
                "order": [{"by": "type", "direction": "ASC"}]}),
        ),
        (Api::Pcloud, "GET", "/listfolder") => {
            if request.query.get("folderid").map(String::as_str) != Some("0") {
                return Response::json(
                    200,
                    &serde_json::json!({"result": 2005, "error": "Directory does not exist."}),
                );
            }
            Response::json(
                200,
                &serde_json::json!({"result": 0, "metadata": {"name": "/", "folderid": 0, "isfolder": true, "contents": []}}),
            )
        }
        (Api::Yandex, "GET", "/v1/disk/resources") => {
            if request.query.get("path").map(String::as_str) != Some("/") {
                return Response::json(
                    404,
                    &serde_json::json!({"message": "Не удалось найти запрошенный ресурс.", "description": "Resource not found.", "error": "DiskNotFoundError"}),
                );
            }
            Response::json(
                200,
                &serde_json::json!({"path": "disk:/", "type": "dir", "name": "disk",
                    "_embedded": {"items": [], "path": "disk:/", "limit": 20, "offset": 0, "total": 0}}),
            )
        }
        _ => Response::not_found(request),
    }
}

/// How each API refuses a missing or unknown token.
fn unauthorized(api: Api, token_given: bool) -> Response {
    match api {
        Api::GoogleDrive | Api::GooglePhotos => Response::json(
            401,
            &serde_json::json!({"error": {"code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError", "location": "Authorization", "locationType": "header"}],
                "status": "UNAUTHENTICATED"}}),
        )
        .with_header("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""),
        Api::OneDrive => Response::json(
            401,
            &serde_json::json!({"error": {"code": "InvalidAuthenticationToken",
                "message": if token_given { "IDX14100: JWT is not well formed, there are no dots (.)." } else { "Access token is empty." },
                "innerError": {"date": "2026-01-01T00:00:00", "request-id": "0f3e", "client-request-id": "0f3e"}}}),
        ),
        Api::Dropbox => Response::json(
            401,
            &serde_json::json!({"error_summary": "invalid_access_token/", "error": {".tag": "invalid_access_token"}}),
        ),
        Api::Box => Response::empty(401).with_header(
            "WWW-Authenticate",
            "Bearer realm=\"Service\", error=\"invalid_token\", error_description=\"The access token provided is invalid.\"",
        ),
        Api::Pcloud => {
            if token_given {
                Response::json(200, &serde_json::json!({"result": 2094, "error": "Invalid 'access_token' provided."}))
            } else {
                Response::json(200, &serde_json::json!({"result": 1000, "error": "Log in required."}))
            }
        }
        Api::Yandex => Response::json(
            401,
            &serde_json::json!({"message": "Не авторизован.", "description": "Unauthorized", "error": "UnauthorizedError"}),
        ),
    }
}
