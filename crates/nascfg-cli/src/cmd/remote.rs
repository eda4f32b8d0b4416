//! `nascfg backup push|list|pull|prune|schedule`, and the remote half of
//! `backup inspect|restore CRED:PATH/NAME`: the bridge to nascfg-backup.
//!
//! nascfg-backup does the work (opening a location with its stored
//! credential, push, list, pull); this module reads the arguments, shows
//! the progress bar and prints the results.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nascfg_backup::{
    BundleFile, Export, Overwrite, Progress, PushOutcome, Reach, Source, Transfer,
};
use nascfg_remote::{BundleName, EngineChoice, Location, Policy, Storage};
use nascfg_store::Store;
use serde_json::json;

use super::backup::Bar;
use super::common;
use crate::cli::{Cli, PassphraseArgs, RemoteArgs};
use crate::output;

/// Whether a `backup inspect|restore` argument names a remote bundle: it is
/// not a local file, and it reads as `CRED:PATH/NAME`.
pub fn is_remote(arg: &Path) -> bool {
    !arg.exists()
        && arg
            .to_str()
            .is_some_and(|s| s.contains(':') && Location::parse(s).is_ok())
}

/// The progress bar of each transfer, on standard error (see [`Bar`]).
struct Bars<'a> {
    cli: &'a Cli,
    bar: RefCell<Option<Bar>>,
}

impl<'a> Bars<'a> {
    fn new(cli: &'a Cli) -> Bars<'a> {
        Bars {
            cli,
            bar: RefCell::new(None),
        }
    }
}

impl Progress for Bars<'_> {
    fn start(&self, transfer: Transfer) {
        *self.bar.borrow_mut() = Some(Bar::new(self.cli, transfer.label()));
    }
    fn advance(&self, done: u64, total: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.update(done, total);
        }
    }
    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish();
        }
    }
}

/// Opens `location` with its stored credential; tells of a host key
/// recorded on first use.
fn open(store: &mut Store, location: &Location, args: &RemoteArgs) -> anyhow::Result<Storage> {
    let reach = Reach {
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        deadline: Duration::from_secs(args.timeout.max(1)),
        engine: if args.engine == "rclone" {
            EngineChoice::Rclone
        } else {
            EngineChoice::Auto
        },
    };
    let opened = nascfg_backup::open(store, location, &reach)?;
    if let Some(r) = &opened.host_key_recorded {
        eprintln!(
            "recorded the host key of {}:{} (first use): {}",
            r.host, r.port, r.key
        );
    }
    Ok(opened.storage)
}

fn parse(location: &str) -> anyhow::Result<Location> {
    Ok(Location::parse(location)?)
}

/// Pulls `CRED:PATH/NAME` into a private temporary file for inspect and
/// restore; the file lives as long as the returned directory.
pub fn fetch(
    cli: &Cli,
    arg: &Path,
    args: &RemoteArgs,
) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let location = parse(&arg.to_string_lossy())?;
    let (parent, name) = location.split_name()?;
    let mut store = common::open_store(cli)?;
    let storage = open(&mut store, &parent, args)?;
    drop(store);
    let fetched = nascfg_backup::fetch(&storage, &name, &Bars::new(cli))?;
    Ok(fetched.into_parts())
}

pub fn push(
    cli: &Cli,
    location: &str,
    include_seed: bool,
    if_changed: bool,
    bundle: Option<&Path>,
    passphrase: &PassphraseArgs,
    args: &RemoteArgs,
) -> anyhow::Result<()> {
    let location = parse(location)?;
    let given = passphrase.passphrase_file.is_some() || passphrase.passphrase_env.is_some();
    let pass = if given || include_seed {
        common::read_passphrase(passphrase, bundle.is_none())?
    } else {
        None
    };
    let refusal = |hint: &'static str| {
        move |e: nascfg_backup::Error| match e {
            e @ nascfg_backup::Error::SeedWithoutPassphrase { .. } => output::hint(e, hint),
            other => other.into(),
        }
    };
    // Everything about the source is checked before the service is reached.
    enum Prepared {
        File(Box<BundleFile>),
        Export(Export),
    }
    let prepared = match bundle {
        Some(path) => Prepared::File(Box::new(BundleFile::open(path, &location, pass).map_err(refusal(
            "export it again with --passphrase-file FILE or --passphrase-env VAR, or without --include-seed",
        ))?)),
        None => Prepared::Export(Export::new(&location, include_seed, pass).map_err(refusal(
            "give --passphrase-file FILE or --passphrase-env VAR, or push without --include-seed",
        ))?),
    };
    let mut store = common::open_store(cli)?;
    let storage = open(&mut store, &location, args)?;
    let source = match prepared {
        Prepared::File(file) => Source::Bundle(*file),
        Prepared::Export(export) => Source::Export(store, export),
    };
    let outcome = nascfg_backup::push(&storage, source, if_changed, &Bars::new(cli))?;
    let report = match outcome {
        PushOutcome::Unchanged { newest } => {
            if cli.json {
                return output::print_json(&json!({
                    "pushed": false,
                    "location": newest,
                    "reason": "unchanged",
                }));
            }
            if !cli.quiet {
                println!("unchanged since {newest}: nothing pushed");
            }
            return Ok(());
        }
        PushOutcome::Pushed(report) => report,
    };
    let pushed = &report.pushed;
    let encrypted = report.encrypted;
    if cli.json {
        return output::print_json(&json!({
            "pushed": true,
            "location": pushed.location,
            "name": pushed.name,
            "size": pushed.size,
            "sha256": pushed.sha256,
            "checked_by": pushed.checked_by.as_str(),
            "encrypted": encrypted,
            "manifest": report.manifest,
            "engine": report.engine,
        }));
    }
    if cli.quiet {
        return Ok(());
    }
    let protected = if encrypted {
        ", passphrase-protected"
    } else {
        ""
    };
    match &report.manifest {
        Some(m) => println!(
            "pushed {} ({} bytes, sha256 {}): {} credential(s), {} key pair(s), seed {}{protected}",
            pushed.location,
            pushed.size,
            pushed.sha256,
            m.counts.credentials,
            m.counts.keypairs,
            if m.seed_included {
                "included"
            } else {
                "not included"
            },
        ),
        // A passphrase-protected file pushed without its passphrase: its contents unread.
        None => println!(
            "pushed {} ({} bytes, sha256 {}){protected}",
            pushed.location, pushed.size, pushed.sha256
        ),
    }
    Ok(())
}

pub fn list(cli: &Cli, location: &str, args: &RemoteArgs) -> anyhow::Result<()> {
    let location = parse(location)?;
    let mut store = common::open_store(cli)?;
    let storage = open(&mut store, &location, args)?;
    let rows = nascfg_backup::list(&storage)?;
    if cli.json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "name": r.bundle.name(),
                    "location": r.location,
                    "created": r.created,
                    "host": r.bundle.host(),
                    "size": r.size,
                    "encrypted": r.bundle.encrypted(),
                    "seed_included": r.seed_included,
                })
            })
            .collect();
        return output::print_json(&json!(items));
    }
    if rows.is_empty() {
        if !cli.quiet {
            println!("no bundles at {location}");
        }
        return Ok(());
    }
    println!(
        "{:<20}  {:<16}  {:>12}  {:<9}  {:<7}  NAME",
        "CREATED", "HOST", "SIZE", "ENCRYPTED", "SEED"
    );
    for r in rows {
        println!(
            "{:<20}  {:<16}  {:>12}  {:<9}  {:<7}  {}",
            r.created,
            r.bundle.host(),
            r.size,
            if r.bundle.encrypted() { "yes" } else { "no" },
            match r.seed_included {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            },
            r.bundle.name()
        );
    }
    Ok(())
}

pub fn pull(
    cli: &Cli,
    location: &str,
    output: &Path,
    force: bool,
    args: &RemoteArgs,
) -> anyhow::Result<()> {
    let location = parse(location)?;
    let (parent, name) = location.split_name()?;
    if !force && std::fs::symlink_metadata(output).is_ok() {
        return Err(nascfg_bundle::Error::OutputExists {
            path: output.to_path_buf(),
        }
        .into());
    }
    let mut store = common::open_store(cli)?;
    let storage = open(&mut store, &parent, args)?;
    drop(store);
    let overwrite = if force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    let pulled = nascfg_backup::pull(&storage, &name, output, overwrite, &Bars::new(cli))?;
    let (size, sha256, encrypted) = (pulled.size, pulled.sha256, !pulled.checked);
    if cli.json {
        return output::print_json(&json!({
            "location": location.to_string(),
            "path": output,
            "size": size,
            "sha256": sha256,
            "checked": !encrypted,
        }));
    }
    if !cli.quiet {
        println!(
            "pulled {location} to {} ({size} bytes, sha256 {sha256}){}",
            output.display(),
            if encrypted {
                "; passphrase-protected: `nascfg backup inspect` checks it with the passphrase"
            } else {
                ""
            }
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn prune(
    cli: &Cli,
    location: &str,
    policy: Policy,
    dry_run: bool,
    args: &RemoteArgs,
) -> anyhow::Result<()> {
    let location = parse(location)?;
    let mut store = common::open_store(cli)?;
    let storage = open(&mut store, &location, args)?;
    drop(store);
    let found: Vec<BundleName> = nascfg_backup::bundles(&storage)?
        .into_iter()
        .map(|(b, _)| b)
        .collect();
    let decisions = nascfg_remote::plan(&found, policy);
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    for d in &decisions {
        if d.keep() {
            kept.push(json!({"name": d.bundle.name(), "reasons": d.reasons}));
            if !cli.json && !cli.quiet {
                println!("keep    {}  ({})", d.bundle.name(), d.reasons.join(", "));
            }
            continue;
        }
        if !dry_run {
            storage.delete(d.bundle.name())?;
        }
        deleted.push(d.bundle.name().to_owned());
        if !cli.json && !cli.quiet {
            println!(
                "{} {}",
                if dry_run { "would delete" } else { "delete " },
                d.bundle.name()
            );
        }
    }
    if cli.json {
        return output::print_json(&json!({
            "location": location.to_string(),
            "dry_run": dry_run,
            "kept": kept,
            "deleted": deleted,
        }));
    }
    if !cli.quiet {
        println!(
            "{} bundle(s) kept, {} {}",
            kept.len(),
            deleted.len(),
            if dry_run {
                "would be deleted (dry run: nothing was deleted)"
            } else {
                "deleted"
            }
        );
    }
    Ok(())
}

/// `backup schedule [--print]`: the units on standard output, and on standard error what they
/// do not do (restore secrets without the seed).
pub fn schedule(cli: &Cli, location: Option<&str>) -> anyhow::Result<()> {
    if let Some(l) = location {
        parse(l)?;
    }
    let location = location.unwrap_or("CRED:BUCKET/HOSTNAME");
    let dir = common::data_dir(cli)?;
    let data_dir = std::path::absolute(dir.path()).map_err(|e| {
        output::hint(
            anyhow::anyhow!("cannot make {} absolute: {e}", dir.path().display()),
            "give --data-dir as an absolute path",
        )
    })?;
    let data_dir = data_dir.to_str().ok_or_else(|| {
        output::hint(
            anyhow::anyhow!("the data directory {} is not UTF-8", data_dir.display()),
            "give --data-dir a UTF-8 path (systemd units are text)",
        )
    })?;
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/usr/local/bin/nascfg".into());
    let user = current_user()?;
    print!("{}", units(&exe, &user, data_dir, location));
    if !cli.quiet {
        eprintln!(
            "note: these units push bundles WITHOUT the secret seed: such a bundle restores its secrets only \
             on a box that has this box's seed (keep it elsewhere: `nascfg seed export -o FILE`); add \
             --include-seed to the ExecStart line to make every bundle restore whole"
        );
    }
    Ok(())
}

/// The two units: they name the binary, the user and the data directory they were printed for,
/// because a systemd service has no HOME (nor `NASCFG_DATA_DIR`) to find the data directory by.
fn units(exe: &str, user: &str, data_dir: &str, location: &str) -> String {
    format!(
        "# /etc/systemd/system/nascfg-push.service\n\
[Unit]\n\
Description=Push a nascfg configuration backup off the box\n\
Wants=network-online.target\n\
After=network-online.target\n\
\n\
[Service]\n\
Type=oneshot\n\
User={user}\n\
# The data directory these units were printed for (a service has no HOME to find it by).\n\
Environment={environment}\n\
# The passphrase protects the bundle (and allows --include-seed); keep the file 0600.\n\
# Without --include-seed a bundle restores WITHOUT its secrets, unless the new box has this\n\
# box's seed (`nascfg seed export -o FILE`, kept elsewhere); add --include-seed otherwise.\n\
ExecStart={exe} backup push {location} --if-changed --passphrase-file /etc/nascfg/push-passphrase\n\
ExecStartPost={exe} backup prune {location} --keep-last 7 --keep-daily 14 --keep-weekly 8 --keep-monthly 12\n\
Nice=10\n\
IOSchedulingClass=idle\n\
\n\
# /etc/systemd/system/nascfg-push.timer\n\
[Unit]\n\
Description=Daily nascfg configuration backup\n\
\n\
[Timer]\n\
OnCalendar=daily\n\
RandomizedDelaySec=1h\n\
Persistent=true\n\
\n\
[Install]\n\
WantedBy=timers.target\n",
        environment = systemd_quoted(&format!("NASCFG_DATA_DIR={data_dir}")),
    )
}

/// One `Environment=` assignment as systemd reads it: `%` doubled (specifiers), and quoted
/// with `\` and `"` escaped when it holds anything but plain path characters.
fn systemd_quoted(assignment: &str) -> String {
    let text = assignment.replace('%', "%%");
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/_.-=+:@,%".contains(c));
    if plain {
        return text;
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The name of the user running this (`User=` of the service), from the owner of /proc/self
/// and /etc/passwd; the numeric id (systemd takes it too) when the name is not listed.
fn current_user() -> anyhow::Result<String> {
    use std::os::unix::fs::MetadataExt as _;
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot tell which user runs nascfg (/proc/self: {e})"),
                "run it on Linux with /proc mounted, the system the units are for",
            )
        })?;
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?;
        (id.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    });
    Ok(name.unwrap_or_else(|| uid.to_string()))
}
