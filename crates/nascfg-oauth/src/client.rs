//! The app's client credentials, the network settings of a flow, and the adapter that gives the
//! `oauth2` crate the workspace's one HTTP client (nascfg-net's ureq agent) instead of its own.

use std::time::Duration;

use nascfg_net::{Deadline, Endpoints, HttpClient};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
};
use oauth2::{
    AuthType, ClientId, EndpointNotSet, EndpointSet, RequestTokenError, StandardRevocableToken,
    TokenUrl,
};
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::Error;
use crate::provider::{ClientSecret, OAuthProvider};
use crate::token::TokenAnswer;

/// An OAuth app's client credentials: the user's own app (nascfg ships none).
pub struct OAuthApp {
    client_id: String,
    client_secret: Option<SecretString>,
}

nascfg_credentials::redacted_debug!(OAuthApp {
    client_id,
    client_secret: |o| o.client_secret.as_ref().map(|_| nascfg_net::REDACTED)
});

impl OAuthApp {
    /// The app for a login with `provider`: a client id is needed, and a client secret where the
    /// provider needs one (with PKCE, OneDrive and Dropbox do not). Empty values count as absent.
    pub fn for_login(
        provider: &OAuthProvider,
        client_id: Option<&str>,
        client_secret: Option<SecretString>,
    ) -> Result<OAuthApp, Error> {
        let app = OAuthApp::for_refresh(client_id, client_secret);
        if app.client_id.is_empty() {
            return Err(Error::MissingClientId {
                provider: provider.kind(),
                doc: provider.doc_pointer(),
            });
        }
        if app.client_secret.is_none() && provider.client_secret() == ClientSecret::Required {
            return Err(Error::MissingClientSecret {
                provider: provider.kind(),
                doc: provider.doc_pointer(),
            });
        }
        Ok(app)
    }

    /// The app a stored token was issued to, as the credential names it (possibly nothing: a
    /// token from another tool's app then fails at the token endpoint, which says why).
    pub fn for_refresh(client_id: Option<&str>, client_secret: Option<SecretString>) -> OAuthApp {
        OAuthApp {
            client_id: client_id.map(str::trim).unwrap_or("").to_owned(),
            client_secret: client_secret.filter(|s| !s.expose_secret().is_empty()),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret, if any.
    pub(crate) fn client_secret(&self) -> Option<&SecretString> {
        self.client_secret.as_ref()
    }

    /// The secrets an error text must never show.
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.client_secret
            .iter()
            .map(|s| s.expose_secret().to_owned())
            .collect()
    }
}

/// How a flow reaches the network: the connect timeout, the bound of each request to a token,
/// device or API endpoint, and where requests go (the real services, or a test server).
#[derive(Debug, Clone)]
pub struct Network {
    /// Give up connecting after this long.
    pub connect_timeout: Duration,
    /// Give up each request after this long.
    pub request_deadline: Duration,
    /// The real services, or (feature `test-endpoints`) a test server.
    pub endpoints: Endpoints,
}

impl Default for Network {
    fn default() -> Network {
        Network {
            connect_timeout: Duration::from_secs(15),
            request_deadline: Duration::from_secs(30),
            endpoints: Endpoints::real(),
        }
    }
}

impl Network {
    /// A client for one request, bounded by the request deadline from now.
    pub(crate) fn client(&self) -> HttpClient {
        HttpClient::new(self.connect_timeout, Deadline::after(self.request_deadline))
    }
}

/// oauth2's client with nascfg's lenient token answer, a token URL and nothing else set.
pub(crate) type TokenClient = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The oauth2 client for `app` at the token endpoint `token_url` (already moved by the
/// endpoint override). Client credentials go in the form body (`client_secret_post`), which
/// every provider in the table accepts.
pub(crate) fn token_client(app: &OAuthApp, token_url: Url) -> TokenClient {
    let client = oauth2::Client::new(ClientId::new(app.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(token_url));
    match &app.client_secret {
        Some(secret) => {
            client.set_client_secret(oauth2::ClientSecret::new(secret.expose_secret().to_owned()))
        }
        None => client,
    }
}

/// The adapter: oauth2's `SyncHttpClient` over nascfg-net's client. The answer's
/// `Content-Type` is dropped, so that a token answer is judged by its body (some providers
/// label JSON `text/javascript`), as the rest of nascfg judges answers.
/// The status of the last answer is kept in `status`, for the error text.
pub(crate) fn adapter<'a>(
    http: &'a HttpClient,
    status: &'a std::cell::Cell<Option<u16>>,
) -> impl Fn(oauth2::HttpRequest) -> Result<oauth2::HttpResponse, nascfg_net::Error> + 'a {
    move |request: oauth2::HttpRequest| {
        let url =
            Url::parse(&request.uri().to_string()).map_err(|e| nascfg_net::Error::BadUrl {
                url: request.uri().path().to_owned(),
                reason: e.to_string(),
            })?;
        let headers = nascfg_net::header_texts(request.headers());
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = http.send(
            request.method().as_str(),
            &url,
            &headers,
            Some(request.body().as_slice()),
        )?;
        status.set(Some(answer.status));
        let mut builder = oauth2::http::Response::builder().status(answer.status);
        for (name, value) in &answer.headers {
            if !name.eq_ignore_ascii_case("content-type") {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        builder
            .body(answer.body.into_bytes())
            .map_err(|e| nascfg_net::Error::BadRequest(e.to_string()))
    }
}

/// oauth2's request error as ours; `secrets` are scrubbed from anything a server said.
pub(crate) fn request_error(
    error: RequestTokenError<nascfg_net::Error, BasicErrorResponse>,
    status: Option<u16>,
    secrets: &[String],
) -> Error {
    let failed_status = status.filter(|s| !(200..300).contains(s));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let clean = |text: String| nascfg_net::scrub(&crate::excerpt(&text), &secrets);
    match error {
        RequestTokenError::ServerResponse(e) => {
            let reason = match e.error_description() {
                Some(d) if !d.trim().is_empty() => format!("{}: {}", e.error(), d.trim()),
                _ => e.error().to_string(),
            };
            Error::Refused(clean(reason))
        }
        RequestTokenError::Request(net) => Error::Net(net),
        RequestTokenError::Parse(parse, body) => {
            // A 200 whose body is an error (pCloud) or not a token at all; or an error status
            // whose body is not OAuth's error JSON.
            let reason = match (TokenAnswer::parse(&body), failed_status) {
                (Err(_), Some(status)) => crate::token::error_reason(status, &body),
                (Err(reason), None) => reason,
                (Ok(_), _) => parse.to_string(),
            };
            if failed_status.is_some() {
                return Error::Refused(clean(reason));
            }
            if serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("error").cloned())
                .is_some()
            {
                Error::Refused(clean(reason))
            } else {
                Error::BadAnswer(clean(reason))
            }
        }
        RequestTokenError::Other(text) => match failed_status {
            Some(status) => Error::Refused(nascfg_net::status_line(status)),
            None => Error::BadAnswer(clean(text)),
        },
    }
}
