//! A bundle's inspection, and its restore (an upload's or a pulled one's).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use nascfg_credentials::Untrusted;
use serde::Deserialize;

use crate::page::{Posted, blocking, html, html_status, problem, with_hint};
use crate::screens::backups::backups_page;
use crate::state::{App, Sess, Upload, random_token};

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

/// Keeps a bundle (uploaded, or pulled from a credential's storage) for its
/// session and shows its inspection.
pub(crate) async fn keep_and_inspect(app: &App, sess: &Sess, upload: Upload) -> Response {
    let id = random_token();
    app.inner
        .uploads
        .lock()
        .expect("no panics under the lock")
        .insert(id.clone(), upload);
    inspection_page(app, sess, &id, None).await
}

async fn inspection_page(
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
        ("seed", nascfg_backup::seed_status(m)),
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
    let page = InspectionPage {
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
    };
    html_status(&page, failed.then_some(StatusCode::CONFLICT))
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
pub(crate) struct RestoreForm {
    upload: String,
    #[serde(default)]
    allow_lost_secrets: Option<String>,
}

pub(crate) async fn restore(Posted { app, sess, form: f }: Posted<RestoreForm>) -> Response {
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
            unlock: &unlock,
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
    let how = nascfg_backup::restore_case(
        &r.case,
        &nascfg_backup::Controls {
            given_seed: "the seed given",
            reenter: None,
        },
    );
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
