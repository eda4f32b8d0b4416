//! docs/OAUTH.md, generated from the table; a test compares the committed file with it.

use std::fmt::Write as _;

use crate::provider::{ClientSecret, PROVIDERS, Pkce, RedirectPort, RefreshTokens, TokenHost};

/// The text of docs/OAUTH.md.
pub fn oauth_doc() -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Logging in to OAuth providers\n");
    let _ = writeln!(
        w,
        "<!-- Generated from crates/nascfg-oauth/src/provider.rs; do not edit. Regenerate: UPDATE_DOCS=1 cargo test -p nascfg-oauth oauth_md -->\n"
    );
    let _ = writeln!(
        w,
        "nascfg ships no OAuth app. For each of these providers you register your own app once, then give its \
`client_id` (and `client_secret` where the provider needs one) to `nascfg cred login` or `nascfg authorize`:\n"
    );
    let _ = writeln!(
        w,
        "```\nnascfg cred login mydrive --provider GOOGLE_DRIVE --set client_id=ID --set client_secret=@app-secret.txt\n\
nascfg cred login mydrive --paste          # a box without a browser: paste the address the browser fails to load\n\
nascfg cred login mydrive --device         # OneDrive and Yandex: enter a code on any device\n\
nascfg authorize DROPBOX --set client_id=ID   # on a desktop: prints the token JSON for `cred add ... --set token=-`\n```\n"
    );
    let _ = writeln!(
        w,
        "Every login uses the authorization code with PKCE (S256) and a random `state`. The default waits for the \
redirect on 127.0.0.1 (any free port where the provider allows it, else port {}); `--paste` prints the same URL and \
reads the redirect address (or, where the provider shows one, the code) from standard input. Reconnecting an existing \
credential (`nascfg cred login NAME`) replaces only its token.\n",
        crate::provider::FIXED_PORT
    );
    let _ = writeln!(
        w,
        "| provider | type | PKCE | redirect port | device login | client secret | refresh tokens |\n|---|---|---|---|---|---|---|"
    );
    for p in &PROVIDERS {
        let _ = writeln!(
            w,
            "| [{}](#{}) | `{}` | {} | {} | {} | {} | {} |",
            p.kind().title(),
            p.doc_anchor(),
            p.kind().type_str(),
            match p.pkce() {
                Pkce::Documented => "yes",
                Pkce::NotDocumented => "sent, not documented",
            },
            port_text(p.redirect_port()),
            if p.device_authorization_url().is_some() {
                "yes"
            } else {
                "no"
            },
            secret_text(p.client_secret()),
            refresh_text(p.refresh_tokens()),
        );
    }
    for p in &PROVIDERS {
        let _ = writeln!(w, "\n<a id=\"{}\"></a>\n", p.doc_anchor());
        let _ = writeln!(w, "## {} (`{}`)\n", p.kind().title(), p.kind().type_str());
        let _ = writeln!(w, "- Register an app: {}", p.register_at());
        let _ = writeln!(w, "- Redirect URI to register: {}", p.register_redirect());
        let scopes = if p.scopes().is_empty() {
            "none (the app's settings decide)".to_owned()
        } else {
            p.scopes()
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(w, "- Scopes: {scopes}");
        let _ = writeln!(w, "- Authorization endpoint: `{}`", p.authorization_url());
        let token = match p.token_host() {
            TokenHost::Fixed => format!("`{}`", p.token_url()),
            TokenHost::FromLogin => {
                format!("`{}` (on the API host the login names)", p.token_url())
            }
        };
        let _ = writeln!(w, "- Token endpoint: {token}");
        if let Some(device) = p.device_authorization_url() {
            let _ = writeln!(
                w,
                "- Device authorization endpoint: `{device}` (`--device`)"
            );
        }
        if !p.extra_parameters().is_empty() {
            let params = p
                .extra_parameters()
                .iter()
                .map(|(k, v)| format!("`{k}={v}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(w, "- Extra authorization parameters: {params}");
        }
        let _ = writeln!(
            w,
            "- Client secret: {}; refresh tokens: {}",
            secret_text(p.client_secret()),
            refresh_text(p.refresh_tokens())
        );
        let _ = writeln!(
            w,
            "- `--paste` takes: {}",
            if p.displays_code() {
                "the redirect address, or the code the provider displays"
            } else {
                "the redirect address"
            }
        );
        let _ = writeln!(w, "\n{}", p.notes());
    }
    out
}

fn port_text(port: RedirectPort) -> String {
    match port {
        RedirectPort::Any => "any".to_owned(),
        RedirectPort::Fixed(p) => p.to_string(),
    }
}

fn secret_text(secret: ClientSecret) -> &'static str {
    match secret {
        ClientSecret::Required => "required",
        ClientSecret::NotWithPkce => "not needed (PKCE)",
    }
}

fn refresh_text(refresh: RefreshTokens) -> &'static str {
    match refresh {
        RefreshTokens::Reusable => "reusable",
        RefreshTokens::Rotating => "rotate",
        RefreshTokens::SingleUse => "single use",
        RefreshTokens::None => "none (tokens do not expire)",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn oauth_md_is_generated_from_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/OAUTH.md");
        let rendered = super::oauth_doc();
        if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &rendered).expect("docs/OAUTH.md is writable");
            return;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/OAUTH.md is out of date with the provider table; regenerate it with \
             UPDATE_DOCS=1 cargo test -p nascfg-oauth oauth_md"
        );
    }
}
