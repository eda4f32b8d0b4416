//! `nascfg cred login` and `nascfg authorize`: the bridge to nascfg-oauth, and saving a token
//! under the writer lock (also used by `cred verify` for a refreshed token).
//!
//! Everything for the person (instructions, the URL on a line of its own, `user code: ...`)
//! goes to standard error; `authorize` prints only the token JSON on standard output.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Duration;

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_oauth::{
    DeviceLogin, Drive, Login, Loopback, Network, OAuthApp, OAuthProvider, Obtained,
};
use nascfg_store::{Store, WriteGuard};
use nascfg_verify::secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Map, Value};

use super::attrs::{self, EmptyValue};
use super::common::open_store;
use super::credential::{parse_provider, summary_json};
use crate::cli::{Cli, LoginArgs};
use crate::output;

/// A token that only stands in while the other attributes are checked before the login.
const PLACEHOLDER_TOKEN: &str = r#"{"access_token":"placeholder","token_type":"Bearer"}"#;

/// `nascfg cred login NAME [--provider TYPE] [--set ...]`.
pub fn cred_login(
    cli: &Cli,
    name: &str,
    provider: Option<&str>,
    set: &[String],
    args: &LoginArgs,
) -> anyhow::Result<()> {
    let mut store = open_store(cli)?;
    let exists = store.credential_names()?.iter().any(|n| n == name);
    if exists {
        return reconnect(cli, &mut store, name, provider, set, args);
    }
    let Some(provider) = provider else {
        return Err(output::hint(
            anyhow::anyhow!("there is no credential named {name}"),
            format!(
                "give --provider TYPE to create it: `nascfg cred login {name} --provider GOOGLE_DRIVE --set client_id=...`"
            ),
        ));
    };
    let kind = parse_provider(provider)?;
    let table = oauth_row(kind)?;
    let (values, errors) = attrs::parse_sets_lenient(kind, set, EmptyValue::IsText);
    if !errors.is_empty() {
        return Err(attrs::sets_error(kind, &errors));
    }
    // Check the other attributes as `cred add` would, before anyone logs in.
    let mut probe = values.clone();
    probe
        .entry("token")
        .or_insert_with(|| Value::String(PLACEHOLDER_TOKEN.to_owned()));
    if kind == ProviderKind::OneDrive {
        probe
            .entry("drive_type")
            .or_insert_with(|| Value::String("PERSONAL".to_owned()));
        probe
            .entry("drive_id")
            .or_insert_with(|| Value::String("placeholder".to_owned()));
    }
    Credential::new(name, kind, probe).map_err(|e| {
        output::hint(
            anyhow::anyhow!("invalid credential:\n{e}"),
            format!(
                "`nascfg providers show {}` lists the fields",
                kind.type_str()
            ),
        )
    })?;
    let (obtained, network) = obtain_with_given_app(cli, table, &values, args)?;
    let mut values = values;
    values.insert(
        "token".to_owned(),
        Value::String(obtained.token.to_json_string().expose_secret().to_owned()),
    );
    login_attributes(table, &obtained, &network, &mut values, None)?;
    let credential = Credential::new(name, kind, values).map_err(|e| {
        output::hint(
            anyhow::anyhow!("invalid credential after the login:\n{e}"),
            "nothing was stored; check the --set values",
        )
    })?;
    let id = store.add_credential(&credential)?;
    if cli.json {
        output::print_json(&summary_json(&store.credential_summary(name)?))?;
    } else if !cli.quiet {
        println!("added credential {name} ({}, id {id})", kind.type_str());
    }
    Ok(())
}

/// Reconnects an existing credential: a new token, everything else kept (attributes given
/// with --set are stored too; the login's hostname or drive fields where the provider sets them).
fn reconnect(
    cli: &Cli,
    store: &mut Store,
    name: &str,
    provider: Option<&str>,
    set: &[String],
    args: &LoginArgs,
) -> anyhow::Result<()> {
    let credential = store.credential(name)?;
    let kind = credential.provider();
    if let Some(given) = provider {
        let given = parse_provider(given)?;
        if given != kind {
            return Err(output::hint(
                anyhow::anyhow!(
                    "credential {name} is a {} credential, not {}",
                    kind.type_str(),
                    given.type_str()
                ),
                "leave out --provider to reconnect it, or choose another NAME",
            ));
        }
    }
    let table = oauth_row(kind)?;
    let changes = attrs::parse_sets(kind, set, EmptyValue::Removes)?;
    let client_id = match changes.get("client_id") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => credential.text("client_id").map(str::to_owned),
    };
    let client_secret = match changes.get("client_secret") {
        Some(Value::String(s)) => Some(SecretString::from(s.clone())),
        _ => credential.secret("client_secret").cloned(),
    };
    let app = OAuthApp::for_login(table, client_id.as_deref(), client_secret)?;
    let network = network(args)?;
    let obtained = obtain(cli, table, app, args, &network)?;
    let mut changes = changes;
    changes.insert(
        "token".to_owned(),
        Value::String(obtained.token.to_json_string().expose_secret().to_owned()),
    );
    let stored_drive = credential.text("drive_id").map(str::to_owned);
    login_attributes(
        table,
        &obtained,
        &network,
        &mut changes,
        stored_drive.as_deref(),
    )?;
    store_changes(store, name, changes)?;
    if cli.json {
        output::print_json(&summary_json(&store.credential_summary(name)?))?;
    } else if !cli.quiet {
        println!("reconnected credential {name}: new token stored");
    }
    Ok(())
}

/// `nascfg authorize TYPE [--set client_id=... --set client_secret=...]`.
pub fn authorize(
    cli: &Cli,
    provider: &str,
    set: &[String],
    args: &LoginArgs,
) -> anyhow::Result<()> {
    let kind = parse_provider(provider)?;
    let table = oauth_row(kind)?;
    let values = attrs::parse_sets(kind, set, EmptyValue::IsText)?;
    let (obtained, _) = obtain_with_given_app(cli, table, &values, args)?;
    let mut json: Map<String, Value> =
        serde_json::from_str(obtained.token.to_json_string().expose_secret())
            .expect("a token's JSON is an object");
    if let Some(host) = &obtained.hostname {
        json.insert("hostname".to_owned(), Value::String(host.clone()));
    }
    let text = SecretString::from(Value::Object(json).to_string());
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", text.expose_secret())?;
    out.flush()?;
    if !cli.quiet {
        eprintln!(
            "paste this token on the NAS: nascfg cred add NAME --provider {} --set token=-",
            kind.type_str()
        );
    }
    Ok(())
}

/// Logs in with the OAuth app the `--set` values name (`client_id`, `client_secret`), else
/// the provider's own: the token and the network the login used.
fn obtain_with_given_app(
    cli: &Cli,
    table: &'static OAuthProvider,
    values: &Map<String, Value>,
    args: &LoginArgs,
) -> anyhow::Result<(Obtained, Network)> {
    let app = OAuthApp::for_login(
        table,
        text_attr(values, "client_id").as_deref(),
        text_attr(values, "client_secret").map(SecretString::from),
    )?;
    let network = network(args)?;
    let obtained = obtain(cli, table, app, args, &network)?;
    Ok((obtained, network))
}

/// The table row of an OAuth provider, or an error for the others.
fn oauth_row(kind: ProviderKind) -> anyhow::Result<&'static OAuthProvider> {
    Ok(nascfg_oauth::oauth_provider(kind).ok_or(nascfg_oauth::Error::NotOAuth(kind))?)
}

/// A non-empty text attribute from --set values.
fn text_attr(values: &Map<String, Value>, key: &str) -> Option<String> {
    match values.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// The network settings from the command line (and the test endpoint override).
fn network(args: &LoginArgs) -> anyhow::Result<Network> {
    #[allow(unused_mut)]
    let mut network = Network {
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        request_deadline: Duration::from_secs(args.request_timeout),
        ..Network::default()
    };
    #[cfg(feature = "test-endpoints")]
    if let Some(url) = &args.endpoint_override {
        let parsed = nascfg_verify::url::Url::parse(url).map_err(|e| {
            output::hint(
                anyhow::anyhow!("--endpoint-override {url:?} is not a URL: {e}"),
                "give a base URL such as http://127.0.0.1:8080/ (for test servers only)",
            )
        })?;
        network.endpoints = nascfg_oauth::nascfg_net::Endpoints::overridden(parsed);
    }
    Ok(network)
}

/// The loopback port: the table's rule, or (test builds) `NASCFG_OAUTH_LOOPBACK_PORT`.
fn loopback_port(provider: &OAuthProvider) -> anyhow::Result<u16> {
    #[cfg(feature = "test-endpoints")]
    if let Ok(text) = std::env::var("NASCFG_OAUTH_LOOPBACK_PORT") {
        return text
            .trim()
            .parse::<u16>()
            .map_err(|_| anyhow::anyhow!("NASCFG_OAUTH_LOOPBACK_PORT={text:?} is not a port"));
    }
    Ok(nascfg_oauth::loopback_port(provider, false))
}

/// Runs the login the options ask for and returns the token.
fn obtain(
    cli: &Cli,
    provider: &'static OAuthProvider,
    app: OAuthApp,
    args: &LoginArgs,
    network: &Network,
) -> anyhow::Result<Obtained> {
    let title = provider.kind().title();
    let timeout = Duration::from_secs(args.timeout.max(1));
    if args.device {
        let device = DeviceLogin::start(provider, app, network)?;
        eprintln!("To log in to {title}, open this address on any device:");
        eprintln!("{}", device.verification_uri());
        eprintln!("user code: {}", device.user_code());
        eprintln!("waiting for the approval...");
        return Ok(device.poll(network, timeout, &mut std::thread::sleep)?);
    }
    if args.paste {
        let redirect = nascfg_oauth::redirect_uri(nascfg_oauth::paste_port(provider));
        let login = Login::start(provider, app, redirect, network)?;
        eprintln!("To log in to {title}, open this address in a browser on any machine:");
        eprintln!("{}", login.authorization_url());
        let code_too = if provider.displays_code() {
            " (or the code the page shows)"
        } else {
            ""
        };
        eprintln!(
            "After you approve, the browser fails to load a page at {}; paste that page's whole address{code_too} here:",
            login.redirect_uri()
        );
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .take_line(&mut line)
            .map_err(|e| anyhow::anyhow!("cannot read standard input: {e}"))?;
        let line = SecretString::from(line);
        let callback = login.pasted(line.expose_secret())?;
        return Ok(login.finish(callback, network)?);
    }
    let loopback = Loopback::bind(loopback_port(provider)?)?;
    let login = Login::start(provider, app, loopback.redirect_uri(), network)?;
    eprintln!("To log in to {title}, open this address in a browser:");
    eprintln!("{}", login.authorization_url());
    if !args.no_browser && open_browser(login.authorization_url().as_str()) && !cli.quiet {
        eprintln!("(a browser was opened)");
    }
    eprintln!(
        "waiting up to {} s for the browser to come back to {}",
        timeout.as_secs(),
        login.redirect_uri()
    );
    let callback = login.wait_for_redirect(loopback, timeout)?;
    Ok(login.finish(callback, network)?)
}

/// Reads one line of at most 16 KiB.
trait TakeLine {
    fn take_line(&mut self, line: &mut String) -> std::io::Result<usize>;
}

impl<R: std::io::BufRead> TakeLine for R {
    fn take_line(&mut self, line: &mut String) -> std::io::Result<usize> {
        std::io::Read::take(self, 16 * 1024).read_line(line)
    }
}

/// Opens the system browser on `url` when there is a display: `xdg-open` (or `open` on macOS),
/// detached, given nothing but the URL (which holds no secret). False when none was opened.
fn open_browser(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        let display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
        if !display {
            return false;
        }
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// The attributes a login sets beside the token: pCloud's `hostname`; OneDrive's `drive_type`
/// and `drive_id` from the account's drives (the one named by --set or stored, the only one,
/// or a choice on a terminal).
fn login_attributes(
    provider: &OAuthProvider,
    obtained: &Obtained,
    network: &Network,
    values: &mut Map<String, Value>,
    stored_drive: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(host) = &obtained.hostname {
        values.insert("hostname".to_owned(), Value::String(host.clone()));
    }
    if provider.kind() != ProviderKind::OneDrive {
        return Ok(());
    }
    let drives = nascfg_oauth::onedrive_drives(&obtained.token, network)?;
    let wanted = text_attr(values, "drive_id").or_else(|| stored_drive.map(str::to_owned));
    let mut ask = |drives: &[Drive]| choose_on_terminal(drives);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let chooser: Option<&mut nascfg_oauth::ChooseDrive<'_>> =
        if interactive { Some(&mut ask) } else { None };
    let drive = nascfg_oauth::choose_drive(drives, wanted.as_deref(), chooser)?;
    let Some(drive_type) = drive.drive_type() else {
        anyhow::bail!(
            "drive {} has the type {:?}, which a OneDrive credential cannot hold",
            drive.id,
            drive.graph_type
        );
    };
    values.insert(
        "drive_type".to_owned(),
        Value::String(drive_type.to_owned()),
    );
    values.insert("drive_id".to_owned(), Value::String(drive.id.clone()));
    Ok(())
}

/// Lists the drives on standard error and reads a number from standard input.
fn choose_on_terminal(drives: &[Drive]) -> Option<usize> {
    eprintln!("The account has several drives:");
    for (i, drive) in drives.iter().enumerate() {
        eprintln!("  {}) {}", i + 1, drive.line());
    }
    eprint!("choose one (1-{}): ", drives.len());
    let mut line = String::new();
    std::io::stdin().lock().take_line(&mut line).ok()?;
    let n: usize = line.trim().parse().ok()?;
    n.checked_sub(1).filter(|i| *i < drives.len())
}

/// Stores `changes` into credential `name` under the writer lock: the credential is read again
/// under the lock, so a change made meanwhile by another command is kept.
fn store_changes(store: &mut Store, name: &str, changes: Map<String, Value>) -> anyhow::Result<()> {
    let guard = store.lock()?;
    store_changes_under(store, &guard, name, changes)
}

/// [`store_changes`] with the writer lock already held.
fn store_changes_under(
    store: &mut Store,
    guard: &WriteGuard,
    name: &str,
    changes: Map<String, Value>,
) -> anyhow::Result<()> {
    let current = store.credential(name)?;
    let updated = current
        .updated(changes)
        .map_err(|e| anyhow::anyhow!("invalid credential:\n{e}"))?;
    store.in_transaction(guard, |batch| batch.replace_credential(name, &updated))?;
    Ok(())
}
