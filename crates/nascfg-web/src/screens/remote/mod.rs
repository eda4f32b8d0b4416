//! The Remote backups screen: push this box's configuration to a stored
//! credential's storage, list the bundles there, and restore one through the
//! same inspection and restore pages an uploaded bundle goes through.
//!
//! The work is nascfg-backup's (the CLI's `backup push|list` and remote
//! restore use the same functions), run off the async threads. A pulled
//! bundle lands in a private 0600 file and is kept like an upload until it
//! is restored; nothing touches the live data before the restore's checks.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use std::sync::{Arc, Mutex};

use axum::response::IntoResponse;
use nascfg_backup::{Export, Listed, NoProgress, Progress, PushOutcome, Reach, Source, Transfer};
use nascfg_crypto::secrecy::SecretString;
use nascfg_remote::{BundleName, Location};
use nascfg_store::{DataDir, Store};
use serde::Deserialize;

use crate::form::Opt;
use crate::page::{ExportForm, LoggedIn, Posted, blocking, html, html_status};
use crate::screens::restore::keep_and_inspect;
use crate::state::{App, Sess, Upload};

pub(crate) mod job;

use job::{Echo, Found, JobProgress, JobState, ListingView, PushJob, PushedView, RowView};

#[derive(Template)]
#[template(path = "remote.html")]
struct RemotePage {
    csrf: String,
    flash: Option<String>,
    credentials: Vec<Opt>,
    path: String,
    include_seed: bool,
    if_changed: bool,
    push_error: Option<String>,
    unchanged: Option<String>,
    pushed: Option<PushedView>,
    notes: Vec<String>,
    list_error: Option<String>,
    listing: Option<ListingView>,
    restore_error: Option<String>,
}

/// The credentials whose provider can hold backups, by name.
fn storage_credentials(dir: &DataDir) -> Result<Vec<(String, &'static str)>, nascfg_store::Error> {
    Ok(Store::open(dir)?
        .list_credentials()?
        .into_iter()
        .filter(|s| nascfg_backup::can_hold_backups(s.provider))
        .map(|s| (s.name, s.provider.title()))
        .collect())
}

async fn render(app: &App, sess: &Sess, echo: Echo, found: Found) -> Response {
    let dir = app.inner.data_dir.clone();
    let names = blocking(move || storage_credentials(&dir)).await;
    let names = match names {
        Ok(n) => n,
        Err(e) => return crate::page::store_problem(sess, &e, "/backups"),
    };
    let failed =
        found.push_error.is_some() || found.list_error.is_some() || found.restore_error.is_some();
    let page = RemotePage {
        csrf: sess.csrf.clone(),
        flash: app.take_flash(&sess.id),
        credentials: names
            .into_iter()
            .map(|(name, provider)| Opt {
                label: format!("{name} ({provider})"),
                selected: name == echo.credential,
                value: name,
            })
            .collect(),
        path: echo.path,
        include_seed: echo.include_seed,
        if_changed: echo.if_changed,
        push_error: found.push_error,
        unchanged: found.unchanged,
        pushed: found.pushed,
        notes: found.notes,
        list_error: found.list_error,
        listing: found.listing,
        restore_error: found.restore_error,
    };
    html_status(&page, failed.then_some(StatusCode::UNPROCESSABLE_ENTITY))
}

pub(crate) async fn page(LoggedIn { app, sess }: LoggedIn) -> Response {
    render(&app, &sess, Echo::default(), Found::default()).await
}

/// An error as one line: its message, its causes, and what to do (the web
/// UI's own words where the library's name a command-line flag).
fn describe(e: &nascfg_backup::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    let hint = match e {
        nascfg_backup::Error::SeedWithoutPassphrase { .. } => {
            Some("type a passphrase (twice), or untick Include the secret seed".to_owned())
        }
        nascfg_backup::Error::Damaged { .. } => {
            Some("the copy on the service is damaged: restore another bundle".to_owned())
        }
        other => other.hint(),
    };
    crate::page::with_hint(&text, hint)
}

/// `CRED:PATH` from the form's two fields.
fn location(credential: &str, path: &str) -> Result<Location, nascfg_backup::Error> {
    Ok(Location::parse(&format!("{credential}:{path}"))?)
}

/// The page's rows for a listing.
fn listing_view(location: &Location, rows: Vec<Listed>) -> ListingView {
    ListingView {
        location: location.to_string(),
        credential: location.credential().to_owned(),
        path: location.path(),
        rows: rows
            .into_iter()
            .map(|r| RowView {
                created: r.created,
                host: r.bundle.host().to_owned(),
                size: r.size,
                encrypted: r.bundle.encrypted(),
                seed: match r.seed_included {
                    Some(true) => "included",
                    Some(false) => "not included",
                    None => "? (encrypted)",
                },
                name: r.bundle.name().to_owned(),
            })
            .collect(),
    }
}

/// Opens the location's storage with its stored credential; a host key
/// recorded on first use becomes a note.
fn open(
    dir: &DataDir,
    location: &Location,
    notes: &mut Vec<String>,
) -> Result<(Store, nascfg_remote::Storage), nascfg_backup::Error> {
    let mut store = Store::open(dir)?;
    let opened = nascfg_backup::open(&mut store, location, &Reach::default())?;
    if let Some(r) = &opened.host_key_recorded {
        notes.push(format!(
            "Recorded the host key of {}:{} (first use): {}",
            r.host, r.port, r.key
        ));
    }
    Ok((store, opened.storage))
}

#[derive(Deserialize)]
pub(crate) struct RemoteForm {
    #[serde(default)]
    credential: String,
    #[serde(default)]
    path: String,
    #[serde(flatten)]
    export: ExportForm,
    #[serde(default)]
    if_changed: Option<String>,
}

impl RemoteForm {
    fn echo(&self) -> Echo {
        Echo {
            credential: self.credential.clone(),
            path: self.path.clone(),
            include_seed: self.export.include_seed.is_some(),
            if_changed: self.if_changed.is_some(),
        }
    }
}

/// What a push was asked for, without the echo (the passphrases already compared).
struct PushRequest {
    credential: String,
    path: String,
    include_seed: bool,
    if_changed: bool,
    passphrase: Option<SecretString>,
}

impl RemoteForm {
    /// The push it asks for, or the form's echo and the error when the
    /// passphrases differ.
    fn push_request(self) -> Result<(Echo, PushRequest), (Echo, String)> {
        let echo = self.echo();
        let (include_seed, passphrase) = match self.export.protection() {
            Ok(p) => p,
            Err(error) => return Err((echo, error)),
        };
        let request = PushRequest {
            credential: self.credential,
            path: self.path,
            include_seed,
            if_changed: echo.if_changed,
            passphrase,
        };
        Ok((echo, request))
    }
}

/// Runs a push (blocking: the store, the export, the transfer) and lists the
/// location afterwards; what it found, for the page.
fn run_push(dir: &DataDir, request: PushRequest, progress: &dyn Progress) -> Found {
    let PushRequest {
        credential,
        path,
        include_seed,
        if_changed,
        passphrase,
    } = request;
    let mut found = Found::default();
    let pushed = (|| {
        let location = location(&credential, &path)?;
        let export = Export::new(&location, include_seed, passphrase)?;
        let (store, storage) = open(dir, &location, &mut found.notes)?;
        let outcome = nascfg_backup::push(
            &storage,
            Source::Export(store, export),
            if_changed,
            progress,
        )?;
        Ok::<_, nascfg_backup::Error>((location, storage, outcome))
    })();
    let (location, storage) = match pushed {
        Ok((location, storage, PushOutcome::Unchanged { newest })) => {
            found.unchanged = Some(newest);
            (location, storage)
        }
        Ok((location, storage, PushOutcome::Pushed(report))) => {
            let contents = report.manifest.as_ref().map_or_else(String::new, |m| {
                format!(
                    "{}{}",
                    nascfg_backup::contents(m),
                    report.protection.suffix()
                )
            });
            found.pushed = Some(PushedView {
                location: report.pushed.location,
                name: report.pushed.name,
                size: report.pushed.size,
                sha256: report.pushed.sha256,
                contents,
                engine: report.engine,
            });
            (location, storage)
        }
        Err(e) => {
            found.push_error = Some(describe(&e));
            return found;
        }
    };
    // What is there now, so the new bundle can be seen (and restored) at once.
    match nascfg_backup::list(&storage) {
        Ok(rows) => found.listing = Some(listing_view(&location, rows)),
        Err(e) => found.list_error = Some(describe(&e)),
    }
    found
}

/// The push without script: the answer comes when the push is done.
pub(crate) async fn push(Posted { app, sess, form: f }: Posted<RemoteForm>) -> Response {
    let (echo, request) = match f.push_request() {
        Ok(x) => x,
        Err((echo, error)) => {
            let found = Found {
                push_error: Some(error),
                ..Found::default()
            };
            return render(&app, &sess, echo, found).await;
        }
    };
    let dir = app.inner.data_dir.clone();
    let found = blocking(move || run_push(&dir, request, &NoProgress)).await;
    render(&app, &sess, echo, found).await
}

// ---- a push in the background, its progress polled by the page (htmx)

#[derive(Template)]
#[template(path = "push_progress.html")]
struct ProgressPartial {
    what: String,
    /// `Some((done, total))` when the size is known ahead (a download); an
    /// upload's grows as it goes, so its bar is indeterminate.
    bar: Option<(u64, u64)>,
    error: Option<String>,
}

fn progress_partial(job: &PushJob) -> Response {
    let s = job.state();
    let (what, bar) = match s.transfer {
        None if s.done == 0 => ("Preparing the bundle…".to_owned(), None),
        None => ("Checking what was sent…".to_owned(), None),
        Some(Transfer::Uploading) => (format!("Uploading: {} bytes sent", s.done), None),
        Some(t) => (
            format!(
                "{}: {} of {} bytes",
                capitalized(t.label()),
                s.done,
                s.total
            ),
            (s.total > 0).then_some((s.done, s.total)),
        ),
    };
    html(&ProgressPartial {
        what,
        bar,
        error: None,
    })
}

/// The progress area with a refusal in place of a push.
fn progress_refused(error: String) -> Response {
    html(&ProgressPartial {
        what: String::new(),
        bar: None,
        error: Some(error),
    })
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Starts the push in the background and answers with its progress, which
/// the page then polls every second until the result is ready.
pub(crate) async fn push_start(Posted { app, sess, form: f }: Posted<RemoteForm>) -> Response {
    let (echo, request) = match f.push_request() {
        Ok(x) => x,
        Err((_, error)) => return progress_refused(error),
    };
    let job = Arc::new(PushJob {
        echo,
        state: Mutex::new(JobState::default()),
    });
    {
        let mut pushes = app.inner.pushes.lock().expect("no panics under the lock");
        if let Some(running) = pushes.get(&sess.id).filter(|j| j.state().result.is_none()) {
            // One push per session: a second click shows the first one's progress.
            return progress_partial(running);
        }
        pushes.insert(sess.id.clone(), job.clone());
    }
    let dir = app.inner.data_dir.clone();
    let running = job.clone();
    tokio::spawn(blocking(move || {
        let found = run_push(&dir, request, &JobProgress(running.clone()));
        running.state().result = Some(found);
    }));
    progress_partial(&job)
}

/// The push's progress; once it is done, sends the page to its result.
pub(crate) async fn push_progress(LoggedIn { app, sess }: LoggedIn) -> Response {
    let job = app
        .inner
        .pushes
        .lock()
        .expect("no panics under the lock")
        .get(&sess.id)
        .cloned();
    match job {
        Some(job) if job.state().result.is_some() => (
            [("HX-Redirect", "/backups/remote/push/result")],
            String::new(),
        )
            .into_response(),
        Some(job) => progress_partial(&job),
        None => progress_refused("no push is under way (the server restarted?)".to_owned()),
    }
}

/// The finished push's page (taken once).
pub(crate) async fn push_result(LoggedIn { app, sess }: LoggedIn) -> Response {
    let finished = {
        let mut pushes = app.inner.pushes.lock().expect("no panics under the lock");
        let done = pushes
            .get(&sess.id)
            .is_some_and(|j| j.state().result.is_some());
        if done { pushes.remove(&sess.id) } else { None }
    };
    let Some(job) = finished else {
        return render(&app, &sess, Echo::default(), Found::default()).await;
    };
    let found = job
        .state()
        .result
        .take()
        .expect("a finished job keeps its result until taken here");
    let echo = job.echo.clone();
    let mut response = render(&app, &sess, echo, found).await;
    // The page shows the push's outcome, failed or not; the request itself succeeded.
    *response.status_mut() = StatusCode::OK;
    response
}

pub(crate) async fn list(Posted { app, sess, form: f }: Posted<RemoteForm>) -> Response {
    let echo = f.echo();
    let (credential, path) = (f.credential, f.path);
    let dir = app.inner.data_dir.clone();
    let found = blocking(move || {
        let mut found = Found::default();
        let listed = (|| {
            let location = location(&credential, &path)?;
            let (store, storage) = open(&dir, &location, &mut found.notes)?;
            drop(store);
            Ok::<_, nascfg_backup::Error>((location.clone(), nascfg_backup::list(&storage)?))
        })();
        match listed {
            Ok((location, rows)) => found.listing = Some(listing_view(&location, rows)),
            Err(e) => found.list_error = Some(describe(&e)),
        }
        found
    })
    .await;
    render(&app, &sess, echo, found).await
}

#[derive(Deserialize)]
pub(crate) struct RestoreForm {
    credential: String,
    #[serde(default)]
    path: String,
    name: String,
    #[serde(default)]
    passphrase: String,
}

/// Pulls the chosen bundle into a private 0600 file, keeps it as an upload
/// is kept, and shows its inspection: from there the restore is the upload's.
pub(crate) async fn restore(Posted { app, sess, form: f }: Posted<RestoreForm>) -> Response {
    let echo = Echo {
        credential: f.credential.clone(),
        path: f.path.clone(),
        ..Echo::default()
    };
    let failed = |message: String| Found {
        restore_error: Some(message),
        ..Found::default()
    };
    let Some(bundle) = BundleName::parse(&f.name) else {
        let message = format!(
            "{:?} is not the name of a bundle",
            nascfg_credentials::Untrusted::new(&f.name)
        );
        return render(&app, &sess, echo, failed(message)).await;
    };
    let passphrase = (!f.passphrase.is_empty()).then(|| SecretString::from(f.passphrase));
    if bundle.encrypted() && passphrase.is_none() {
        let message = format!(
            "{} is passphrase-protected: type its passphrase to restore it",
            bundle.name()
        );
        return render(&app, &sess, echo, failed(message)).await;
    }
    let (credential, path) = (f.credential, f.path);
    let dir = app.inner.data_dir.clone();
    let name = bundle.name().to_owned();
    let fetched = blocking(move || {
        let location = location(&credential, &path)?;
        let (store, storage) = open(&dir, &location, &mut Vec::new())?;
        drop(store);
        nascfg_backup::fetch(&storage, &name, &NoProgress)
    })
    .await;
    let fetched = match fetched {
        Ok(f) => f,
        Err(e) => return render(&app, &sess, echo, failed(describe(&e))).await,
    };
    let (dir, path) = fetched.into_parts();
    let upload = Upload {
        _dir: dir,
        session: sess.id.clone(),
        path,
        file_name: bundle.name().to_owned(),
        unlock: nascfg_bundle::UnlockWith::from_passphrase(passphrase),
    };
    keep_and_inspect(&app, &sess, upload).await
}
