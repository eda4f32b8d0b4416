//! The per-provider facts, as one static table: endpoints, scopes, parameters and quirks.
//! docs/OAUTH.md is generated from it (`oauth_doc`).

use nascfg_credentials::ProviderKind;

/// The port a provider lets the loopback redirect use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectPort {
    /// Any port on 127.0.0.1 (RFC 8252 section 7.3): the app registers the loopback address
    /// without a port, or nothing at all.
    Any,
    /// Exactly this port: the provider matches the registered redirect URI exactly.
    Fixed(u16),
}

/// What a provider's refresh tokens do when used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokens {
    /// A refresh token can be used again (an answer may still bring a new one).
    Reusable,
    /// Each refresh may answer with a new refresh token, which replaces the old one.
    Rotating,
    /// Each refresh token works once: the new one must be saved before anything else.
    SingleUse,
    /// Access tokens do not expire and there are no refresh tokens.
    None,
}

/// Whether the token endpoint needs the app's client secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSecret {
    /// Always.
    Required,
    /// Not with PKCE (a public client).
    NotWithPkce,
}

/// Whether the provider documents PKCE (RFC 7636). nascfg sends an S256 challenge to every
/// provider; one that does not know the parameters ignores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkce {
    /// Documented, S256.
    Documented,
    /// Not documented: the challenge is sent and ignored.
    NotDocumented,
}

/// Where the token endpoint's host comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHost {
    /// The table's token URL.
    Fixed,
    /// The API host the login names (pCloud: the redirect's `hostname` parameter), stored in
    /// the credential's `hostname` attribute; the table's host is the default.
    FromLogin,
}

/// One OAuth provider's facts.
#[derive(Debug)]
pub struct OAuthProvider {
    kind: ProviderKind,
    authorization_url: &'static str,
    token_url: &'static str,
    device_authorization_url: Option<&'static str>,
    scopes: &'static [&'static str],
    pkce: Pkce,
    redirect_port: RedirectPort,
    extra_parameters: &'static [(&'static str, &'static str)],
    refresh_tokens: RefreshTokens,
    client_secret: ClientSecret,
    token_host: TokenHost,
    register_at: &'static str,
    register_redirect: &'static str,
    displays_code: bool,
    /// The API's `Authorization` scheme.
    api_scheme: &'static str,
    notes: &'static str,
}

/// The port rclone's loopback listener uses: apps registered for rclone work unchanged.
pub const FIXED_PORT: u16 = 53682;

/// Google Drive; Google Photos is the same Google OAuth with other scopes.
const GOOGLE_DRIVE: OAuthProvider = OAuthProvider {
    kind: ProviderKind::GoogleDrive,
    authorization_url: "https://accounts.google.com/o/oauth2/v2/auth",
    token_url: "https://oauth2.googleapis.com/token",
    device_authorization_url: None,
    scopes: &["https://www.googleapis.com/auth/drive"],
    pkce: Pkce::Documented,
    redirect_port: RedirectPort::Any,
    extra_parameters: &[("access_type", "offline"), ("prompt", "consent")],
    refresh_tokens: RefreshTokens::Reusable,
    client_secret: ClientSecret::Required,
    token_host: TokenHost::Fixed,
    register_at: "https://console.cloud.google.com/apis/credentials (Create credentials > OAuth client ID > Desktop app; enable the Google Drive API)",
    register_redirect: "nothing: a Desktop app client accepts http://127.0.0.1 on any port",
    displays_code: false,
    api_scheme: "Bearer",
    notes: "Google's device grant does not allow the full `drive` scope. An app left in \"Testing\" gets refresh tokens that expire after 7 days: publish it (it may stay unverified for your own account).",
};

/// The seven OAuth providers, in the order docs/OAUTH.md lists them.
pub static PROVIDERS: [OAuthProvider; 7] = [
    GOOGLE_DRIVE,
    OAuthProvider {
        kind: ProviderKind::GooglePhotos,
        scopes: &[
            "https://www.googleapis.com/auth/photoslibrary.appendonly",
            "https://www.googleapis.com/auth/photoslibrary.readonly.appcreateddata",
            "https://www.googleapis.com/auth/photoslibrary.edit.appcreateddata",
        ],
        register_at: "https://console.cloud.google.com/apis/credentials (Create credentials > OAuth client ID > Desktop app; enable the Photos Library API)",
        notes: "Since March 2025 the Photos Library API reaches only the media and albums the app itself created. No device grant.",
        ..GOOGLE_DRIVE
    },
    OAuthProvider {
        kind: ProviderKind::OneDrive,
        authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        device_authorization_url: Some(
            "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
        ),
        scopes: &["Files.ReadWrite.All", "offline_access"],
        pkce: Pkce::Documented,
        redirect_port: RedirectPort::Any,
        extra_parameters: &[],
        refresh_tokens: RefreshTokens::Rotating,
        client_secret: ClientSecret::NotWithPkce,
        token_host: TokenHost::Fixed,
        register_at: "https://entra.microsoft.com (App registrations > New registration; accounts in any directory and personal Microsoft accounts; Authentication > Allow public client flows: yes, for --device)",
        register_redirect: "http://127.0.0.1 (platform \"Mobile and desktop applications\"; the port is ignored)",
        displays_code: false,
        api_scheme: "Bearer",
        notes: "A refresh token comes only with the `offline_access` scope. After the login nascfg lists the account's drives (Microsoft Graph `GET /v1.0/me/drives`) and sets `drive_type` and `drive_id`: one drive is taken; with several, give `--set drive_id=...` or choose on the terminal.",
    },
    OAuthProvider {
        kind: ProviderKind::Dropbox,
        authorization_url: "https://www.dropbox.com/oauth2/authorize",
        token_url: "https://api.dropboxapi.com/oauth2/token",
        device_authorization_url: None,
        scopes: &[
            "account_info.read",
            "files.metadata.read",
            "files.metadata.write",
            "files.content.read",
            "files.content.write",
        ],
        pkce: Pkce::Documented,
        redirect_port: RedirectPort::Fixed(FIXED_PORT),
        extra_parameters: &[("token_access_type", "offline")],
        refresh_tokens: RefreshTokens::Reusable,
        client_secret: ClientSecret::NotWithPkce,
        token_host: TokenHost::Fixed,
        register_at: "https://www.dropbox.com/developers/apps (Create app > Scoped access; enable the scopes below on the Permissions tab)",
        register_redirect: "http://127.0.0.1:53682/",
        displays_code: true,
        api_scheme: "Bearer",
        notes: "`token_access_type=offline` asks for a refresh token (access tokens live about 4 hours). With PKCE the app secret is not needed.",
    },
    OAuthProvider {
        kind: ProviderKind::Box,
        authorization_url: "https://account.box.com/api/oauth2/authorize",
        token_url: "https://api.box.com/oauth2/token",
        device_authorization_url: None,
        scopes: &["root_readwrite"],
        pkce: Pkce::NotDocumented,
        redirect_port: RedirectPort::Fixed(FIXED_PORT),
        extra_parameters: &[],
        refresh_tokens: RefreshTokens::SingleUse,
        client_secret: ClientSecret::Required,
        token_host: TokenHost::Fixed,
        register_at: "https://app.box.com/developers/console (Create New App > Custom App > User Authentication (OAuth 2.0))",
        register_redirect: "http://127.0.0.1:53682/",
        displays_code: false,
        api_scheme: "Bearer",
        notes: "Each refresh token works once (for 60 days): nascfg saves the new token under the data directory's writer lock before it uses the new access token, so a crash cannot lose the only valid refresh token.",
    },
    OAuthProvider {
        kind: ProviderKind::Pcloud,
        authorization_url: "https://my.pcloud.com/oauth2/authorize",
        token_url: "https://api.pcloud.com/oauth2_token",
        device_authorization_url: None,
        scopes: &[],
        pkce: Pkce::NotDocumented,
        redirect_port: RedirectPort::Fixed(FIXED_PORT),
        extra_parameters: &[],
        refresh_tokens: RefreshTokens::None,
        client_secret: ClientSecret::Required,
        token_host: TokenHost::FromLogin,
        register_at: "https://docs.pcloud.com/my_apps/ (New app; allow \"Private Cloud Access\")",
        register_redirect: "http://127.0.0.1:53682/",
        displays_code: false,
        api_scheme: "Bearer",
        notes: "pCloud has two API hosts, api.pcloud.com (US) and eapi.pcloud.com (EU). The redirect names the account's host (`hostname`); nascfg fetches the token there and stores the host in the credential's `hostname`. Access tokens do not expire.",
    },
    OAuthProvider {
        kind: ProviderKind::Yandex,
        authorization_url: "https://oauth.yandex.com/authorize",
        token_url: "https://oauth.yandex.com/token",
        device_authorization_url: Some("https://oauth.yandex.com/device/code"),
        scopes: &[
            "cloud_api:disk.read",
            "cloud_api:disk.write",
            "cloud_api:disk.info",
        ],
        pkce: Pkce::Documented,
        redirect_port: RedirectPort::Fixed(FIXED_PORT),
        extra_parameters: &[],
        refresh_tokens: RefreshTokens::Reusable,
        client_secret: ClientSecret::Required,
        token_host: TokenHost::Fixed,
        register_at: "https://oauth.yandex.com/client/new (platform \"Web services\"; Yandex Disk REST API permissions)",
        register_redirect: "http://127.0.0.1:53682/ (and https://oauth.yandex.com/verification_code to have the code displayed)",
        displays_code: true,
        api_scheme: "OAuth",
        notes: "The device grant polls the token endpoint with RFC 8628's grant type and falls back to Yandex's own (`grant_type=device_code`, `code=`) when the server does not know it. The Disk API takes `Authorization: OAuth <token>`.",
    },
];

impl OAuthProvider {
    /// The credential provider this row is for.
    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// The authorization endpoint (real URL).
    pub fn authorization_url(&self) -> &'static str {
        self.authorization_url
    }

    /// The token endpoint (real URL; for [`TokenHost::FromLogin`], the default host's).
    pub fn token_url(&self) -> &'static str {
        self.token_url
    }

    /// The device authorization endpoint (RFC 8628), where the provider has the device grant.
    pub fn device_authorization_url(&self) -> Option<&'static str> {
        self.device_authorization_url
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &'static [&'static str] {
        self.scopes
    }

    /// Whether PKCE is documented.
    pub fn pkce(&self) -> Pkce {
        self.pkce
    }

    /// The loopback redirect's port rule.
    pub fn redirect_port(&self) -> RedirectPort {
        self.redirect_port
    }

    /// Parameters added to the authorization URL (`access_type=offline`, ...).
    pub fn extra_parameters(&self) -> &'static [(&'static str, &'static str)] {
        self.extra_parameters
    }

    /// What refresh tokens do.
    pub fn refresh_tokens(&self) -> RefreshTokens {
        self.refresh_tokens
    }

    /// Whether the token endpoint needs the client secret.
    pub fn client_secret(&self) -> ClientSecret {
        self.client_secret
    }

    /// Where the token endpoint's host comes from.
    pub fn token_host(&self) -> TokenHost {
        self.token_host
    }

    /// Where to register an app (with the steps in a few words).
    pub fn register_at(&self) -> &'static str {
        self.register_at
    }

    /// The redirect URI to register.
    pub fn register_redirect(&self) -> &'static str {
        self.register_redirect
    }

    /// The scheme of the `Authorization` header the provider's API takes (`Bearer`; Yandex
    /// Disk: `OAuth`), whatever `token_type` its token endpoint says (Yandex says `bearer`).
    pub fn api_scheme(&self) -> &'static str {
        self.api_scheme
    }

    /// Whether the provider can show the authorization code for pasting (so `--paste` takes a
    /// bare code as well as the redirect URL).
    pub fn displays_code(&self) -> bool {
        self.displays_code
    }

    /// What else to know, one paragraph of Markdown.
    pub fn notes(&self) -> &'static str {
        self.notes
    }

    /// The anchor of this provider's section in docs/OAUTH.md (`google_drive`).
    pub fn doc_anchor(&self) -> String {
        self.kind.type_str().to_ascii_lowercase()
    }

    /// `docs/OAUTH.md#google_drive`.
    pub fn doc_pointer(&self) -> String {
        format!("docs/OAUTH.md#{}", self.doc_anchor())
    }

    /// The token endpoint for the API host `hostname` (pCloud), or the table's. A host that is
    /// not one of the provider's is refused, so a forged redirect cannot send the code and the
    /// client secret elsewhere.
    pub fn token_url_for(&self, hostname: Option<&str>) -> Result<String, crate::Error> {
        match (
            self.token_host,
            hostname.map(str::trim).filter(|h| !h.is_empty()),
        ) {
            (TokenHost::FromLogin, Some(host)) => {
                let host = checked_api_host(self, host)?;
                let mut url =
                    url::Url::parse(self.token_url).expect("the table's token URLs are valid URLs");
                url.set_host(Some(&host))
                    .map_err(|_| crate::Error::BadHostname(host.clone()))?;
                Ok(url.to_string())
            }
            _ => Ok(self.token_url.to_owned()),
        }
    }
}

/// `host` when it is a host name under the provider's domain (`eapi.pcloud.com`).
pub(crate) fn checked_api_host(
    provider: &OAuthProvider,
    host: &str,
) -> Result<String, crate::Error> {
    let default = url::Url::parse(provider.token_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .expect("the table's token URLs have hosts");
    let domain = default.split_once('.').map_or(default.as_str(), |(_, d)| d);
    let host = host.to_ascii_lowercase();
    let shaped = host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if shaped && (host == domain || host.ends_with(&format!(".{domain}"))) {
        Ok(host)
    } else {
        Err(crate::Error::BadHostname(crate::excerpt(&host)))
    }
}

/// The OAuth facts of `kind`, or `None` for a provider without an OAuth login.
pub fn oauth_provider(kind: ProviderKind) -> Option<&'static OAuthProvider> {
    PROVIDERS.iter().find(|p| p.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_consistent() {
        for p in &PROVIDERS {
            for url in [p.authorization_url, p.token_url]
                .into_iter()
                .chain(p.device_authorization_url)
            {
                let parsed = url::Url::parse(url).expect("a valid URL");
                assert_eq!(parsed.scheme(), "https", "{url}");
            }
            assert!(p.kind.spec().field("token").is_some(), "{:?}", p.kind);
            assert!(p.kind.spec().field("client_id").is_some(), "{:?}", p.kind);
        }
        assert_eq!(
            oauth_provider(ProviderKind::Box).map(|p| p.refresh_tokens),
            Some(RefreshTokens::SingleUse)
        );
        assert!(oauth_provider(ProviderKind::S3).is_none());
    }

    /// The catalog's `oauth_login` (what `nascfg providers`, the web form and the docs show)
    /// is the one fact; this table must serve exactly the providers it names.
    #[test]
    fn the_table_serves_exactly_the_catalogs_oauth_providers() {
        for kind in ProviderKind::ALL {
            assert_eq!(
                oauth_provider(kind).is_some(),
                kind.oauth_login(),
                "{kind}: the catalog says oauth_login = {}, the OAuth table {}",
                kind.oauth_login(),
                if oauth_provider(kind).is_some() {
                    "has it"
                } else {
                    "has it not"
                }
            );
        }
    }

    #[test]
    fn pcloud_hosts() {
        let p = oauth_provider(ProviderKind::Pcloud).expect("pcloud");
        let url = |h: Option<&str>| p.token_url_for(h).map_err(|e| e.to_string());
        assert_eq!(
            url(None).as_deref(),
            Ok("https://api.pcloud.com/oauth2_token")
        );
        assert_eq!(
            url(Some("eapi.pcloud.com")).as_deref(),
            Ok("https://eapi.pcloud.com/oauth2_token")
        );
        assert!(url(Some("evil.example")).is_err());
        assert!(url(Some("pcloud.com.evil.example")).is_err());
        assert!(url(Some("x/y.pcloud.com")).is_err());
    }
}
