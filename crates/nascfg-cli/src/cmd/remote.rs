//! `nascfg backup push|list|status|pull|prune|schedule`: the bridge to
//! nascfg-backup.
//!
//! nascfg-backup does the work (opening a location with its stored
//! credential, push, list, pull); this module reads the arguments, shows
//! the progress bar and prints the results.

use std::path::Path;
use std::time::Duration;

use nascfg_backup::{
    Ages, BundleFile, Ended, Export, Hosts, Level, Overwrite, PushOutcome, PushRecord, Seen,
    Source, StatusReport, Watch,
};
use nascfg_credentials::Untrusted;
use nascfg_remote::{BundleName, HostName, Location, PingUrl, Policy, Storage};
use serde_json::json;
use time::OffsetDateTime;

use super::common;
use super::progress::Bars;
use super::storage::{open, reach};
use crate::cli::{Cli, HostArgs, PushArgs, RecipientArgs, RemoteArgs};
use crate::output;

fn parse(location: &str) -> anyhow::Result<Location> {
    Ok(Location::parse(location)?)
}

/// This box's host name as bundle names carry it.
fn this_box() -> HostName {
    HostName::this_box(&nascfg_bundle::host_name())
}

/// The kind of failure `err` is, as the record and the `fail` ping say it.
fn failure_kind(err: &anyhow::Error) -> &'static str {
    err.chain()
        .find_map(|e| {
            if let Some(e) = e.downcast_ref::<nascfg_backup::Error>() {
                Some(e.kind())
            } else if let Some(e) = e.downcast_ref::<nascfg_remote::Error>() {
                Some(e.kind())
            } else if e.downcast_ref::<nascfg_store::Error>().is_some() {
                Some("store")
            } else if e.downcast_ref::<nascfg_bundle::Error>().is_some() {
                Some("bundle")
            } else {
                None
            }
        })
        .unwrap_or("other")
}

/// Prints what the record or a ping could not do; the push goes on.
fn warn(warnings: Vec<nascfg_backup::Error>) {
    for w in warnings {
        eprintln!("warning: {w}");
        if let Some(hint) = w.hint() {
            eprintln!("hint: {hint}");
        }
    }
}

pub fn push(cli: &Cli, args: &PushArgs) -> anyhow::Result<()> {
    let location = parse(&args.location)?;
    // Every attempt from here on is recorded, and pinged when asked: a push a timer runs
    // that fails for want of its passphrase file is a failure to see.
    let mut watch = Watch::start(
        &common::data_dir(cli)?,
        &location,
        args.host.clone().unwrap_or_else(this_box),
        args.ping_url.clone(),
    );
    warn(watch.take_warnings());
    let result = push_watched(cli, &location, args);
    let ended = match &result {
        Ok(outcome) => Ended::Done(outcome),
        Err(e) => Ended::Failed(failure_kind(e)),
    };
    warn(watch.finish(ended));
    print_pushed(cli, result?)
}

fn push_watched(cli: &Cli, location: &Location, args: &PushArgs) -> anyhow::Result<PushOutcome> {
    let (include_seed, bundle) = (args.include_seed, args.bundle.as_deref());
    let (passphrase, recipients) = (&args.passphrase, &args.recipients);
    // A passphrase and recipients together are refused before anything is read.
    super::keys::refuse_mixed(passphrase, recipients)?;
    if bundle.is_some() && super::keys::recipients_given(recipients) {
        return Err(output::hint(
            anyhow::anyhow!(
                "--recipient and --recipients-file encrypt a new export, not --bundle FILE"
            ),
            "export the bundle to the recipients with `nascfg backup export --recipient R`, then push it",
        ));
    }
    let recipients = super::keys::recipients(recipients)?;
    let given = passphrase.passphrase_file.is_some() || passphrase.passphrase_env.is_some();
    let pass = if given || (include_seed && recipients.is_empty()) {
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
        Some(path) => Prepared::File(Box::new(BundleFile::open(path, location, pass).map_err(refusal(
            "export it again with --passphrase-file FILE or --passphrase-env VAR, or without --include-seed",
        ))?)),
        None => Prepared::Export(Export::encrypted_to(location, include_seed, pass, recipients).map_err(refusal(
            "give --passphrase-file FILE or --passphrase-env VAR, or --recipient R (a public key), \
             or push without --include-seed",
        ))?),
    };
    let mut store = common::open_store(cli)?;
    let storage = open(&mut store, location, &args.remote)?;
    let source = match prepared {
        Prepared::File(file) => Source::Bundle(*file),
        Prepared::Export(export) => Source::Export(store, export),
    };
    Ok(nascfg_backup::push_as(
        &storage,
        source,
        args.if_changed,
        args.host.as_ref(),
        &Bars::new(cli),
    )?)
}

fn print_pushed(cli: &Cli, outcome: PushOutcome) -> anyhow::Result<()> {
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
    let encrypted = report.encrypted();
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
    let protected = report.protection.suffix();
    match &report.manifest {
        Some(m) => println!(
            "pushed {} ({} bytes, sha256 {}): {}{protected}",
            pushed.location,
            pushed.size,
            pushed.sha256,
            nascfg_backup::contents(m),
        ),
        // A passphrase-protected file pushed without its passphrase: its contents unread.
        None => println!(
            "pushed {} ({} bytes, sha256 {}){protected}",
            pushed.location, pushed.size, pushed.sha256
        ),
    }
    Ok(())
}

/// The hosts a command looks at: `--all-hosts`, `--host NAME`, else `default`.
fn hosts(args: &HostArgs, default: Option<HostName>) -> Option<Hosts> {
    if args.all_hosts {
        return Some(Hosts::All);
    }
    args.host.clone().or(default).map(Hosts::One)
}

pub fn list(
    cli: &Cli,
    location: &str,
    host_args: &HostArgs,
    args: &RemoteArgs,
) -> anyhow::Result<()> {
    let location = parse(location)?;
    let storage = reach(cli, &location, args)?;
    if host_args.all_hosts {
        return list_hosts(cli, &location, &storage);
    }
    let mut rows = nascfg_backup::list(&storage)?;
    if let Some(Hosts::One(host)) = hosts(host_args, None) {
        rows.retain(|r| r.bundle.host() == host.as_str());
    }
    let json = || {
        rows.iter()
            .map(|r| {
                json!({
                    "name": r.bundle.name(),
                    "location": r.location,
                    "created": r.created,
                    "host": r.bundle.host(),
                    "size": r.size,
                    "encrypted": r.bundle.encrypted(),
                    "seed_included": r.seed_included,
                    "future": r.future,
                })
            })
            .collect()
    };
    if !listing(cli, &location, json, rows.is_empty())? {
        return Ok(());
    }
    println!(
        "{:<20}  {:<16}  {:>12}  {:<9}  {:<7}  NAME",
        "CREATED", "HOST", "SIZE", "ENCRYPTED", "SEED"
    );
    for r in &rows {
        println!(
            "{:<20}  {:<16}  {:>12}  {:<9}  {:<7}  {}",
            r.created,
            Untrusted::new(r.bundle.host()).to_string(),
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

/// The part of a listing every form shares: the JSON of its items (`--json`), or
/// `no bundles at …` when there are none; true when its table is still to print.
fn listing(
    cli: &Cli,
    location: &Location,
    items: impl FnOnce() -> Vec<serde_json::Value>,
    empty: bool,
) -> anyhow::Result<bool> {
    if cli.json {
        output::print_json(&json!(items()))?;
        return Ok(false);
    }
    if empty {
        if !cli.quiet {
            println!("no bundles at {location}");
        }
        return Ok(false);
    }
    Ok(true)
}

/// `backup list --all-hosts`: one row per host, folded from the listing as it streams.
fn list_hosts(cli: &Cli, location: &Location, storage: &Storage) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let summaries = nascfg_backup::summarize(storage, &Hosts::All, now)?;
    let json = || summaries.values().map(|h| host_json(h, now)).collect();
    if !listing(cli, location, json, summaries.is_empty())? {
        return Ok(());
    }
    println!(
        "{:<24}  {:>7}  {:<20}  {:>10}  NEWEST",
        "HOST", "BUNDLES", "NEWEST CREATED", "AGE"
    );
    for h in summaries.values() {
        let (created, age, name) = match &h.newest {
            Some(n) => (
                rfc3339(n.created),
                age_text(n.created, now),
                n.name.as_str(),
            ),
            None => ("-".to_owned(), "-".to_owned(), "-"),
        };
        println!(
            "{:<24}  {:>7}  {:<20}  {:>10}  {}",
            Untrusted::new(&h.host).to_string(),
            h.count,
            created,
            age,
            Untrusted::new(name)
        );
    }
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats")
}

fn age_text(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = u64::try_from((now - t).whole_seconds()).unwrap_or(0);
    nascfg_backup::format_age(Duration::from_secs(seconds))
}

fn host_json(h: &nascfg_backup::HostSummary, now: OffsetDateTime) -> serde_json::Value {
    json!({
        "host": h.host,
        "bundles": h.count,
        "future_dated": h.future_dated,
        "newest": h.newest.as_ref().map(|n| json!({
            "name": n.name,
            "created": rfc3339(n.created),
            "size": n.size,
            "age_seconds": (now - n.created).whole_seconds().max(0),
        })),
    })
}

/// The exit code of a status level (Nagios/Icinga plugin convention).
fn level_code(level: Level) -> u8 {
    match level {
        Level::Ok => 0,
        Level::Warning => 1,
        Level::Critical => 2,
        Level::Unknown => 3,
    }
}

pub fn status(
    cli: &Cli,
    location: &str,
    (warn_age, max_age): (Option<Duration>, Option<Duration>),
    host_args: &HostArgs,
    prometheus: Option<&Path>,
    nagios: bool,
    args: &RemoteArgs,
) -> anyhow::Result<()> {
    let ages = Ages::new(warn_age, max_age).map_err(|e| {
        output::exit_with(
            3,
            output::hint(anyhow::anyhow!(e), "give --warn-age below --max-age"),
        )
    })?;
    // Anything that keeps the check from judging is UNKNOWN (3), as Nagios expects.
    let unknown = |e: anyhow::Error| output::exit_with(3, e);
    let location = parse(location).map_err(unknown)?;
    let now = OffsetDateTime::now_utc();
    let hosts = hosts(host_args, Some(this_box())).expect("a default host is given");
    // The destination: its listing folded as it streams, or why it cannot be read.
    let listed = (|| -> anyhow::Result<_> {
        let storage = reach(cli, &location, args)?;
        Ok(nascfg_backup::summarize(&storage, &hosts, now)?)
    })();
    let report = match hosts {
        Hosts::All => StatusReport::Fleet(nascfg_backup::fleet_status(
            &location,
            listed.map_err(unknown)?,
            ages,
            now,
        )),
        Hosts::One(host) => {
            let dir = common::data_dir(cli).map_err(unknown)?;
            let record = PushRecord::load(&dir).map_err(|e| unknown(e.into()))?;
            let seen = match listed {
                Ok(mut summaries) => Seen::Listed(summaries.remove(host.as_str()).unwrap_or(
                    nascfg_backup::HostSummary {
                        host: host.to_string(),
                        count: 0,
                        newest: None,
                        future_dated: 0,
                    },
                )),
                Err(e) => Seen::Unreachable(match e.downcast::<nascfg_backup::Error>() {
                    Ok(e) => e,
                    Err(other) => {
                        nascfg_backup::Error::Io(std::io::Error::other(other.to_string()))
                    }
                }),
            };
            StatusReport::Box(Box::new(nascfg_backup::box_status(
                &record, &location, &host, seen, ages, now,
            )))
        }
    };
    if let Some(path) = prometheus {
        nascfg_backup::write_textfile(path, &nascfg_backup::prometheus_text(&report))
            .map_err(|e| unknown(e.into()))?;
    }
    if nagios {
        println!("{}", nagios_line(&report, ages));
    } else if cli.json {
        output::print_json(&status_json(&report, ages, now))?;
    } else if !cli.quiet {
        print_status(&report, now);
    }
    match level_code(report.level()) {
        0 => Ok(()),
        code => Err(output::exit_with(code, output::Silent.into())),
    }
}

fn status_json(report: &StatusReport, ages: Ages, now: OffsetDateTime) -> serde_json::Value {
    let attempt = |a: &nascfg_backup::Attempt| {
        json!({
            "host": a.host,
            "started": OffsetDateTime::from_unix_timestamp(a.started).map(rfc3339).ok(),
            "finished": OffsetDateTime::from_unix_timestamp(a.finished).map(rfc3339).ok(),
            "outcome": a.outcome.as_str(),
            "error_kind": a.error_kind,
            "bytes": a.bytes,
            "bundle": a.bundle,
        })
    };
    let limits = json!({
        "warn_age_seconds": ages.warn().as_secs(),
        "max_age_seconds": ages.max().as_secs(),
    });
    match report {
        StatusReport::Box(b) => json!({
            "status": b.level.label(),
            "destination": b.destination,
            "host": b.host.as_str(),
            "limits": limits,
            "fresh_at": b.fresh_at.map(rfc3339),
            "age_seconds": b.age.map(|a| a.as_secs()),
            "last_attempt": b.last_attempt.as_ref().map(attempt),
            "last_success": b.last_success.as_ref().map(attempt),
            "destination_reachable": matches!(b.seen, Seen::Listed(_)),
            "at_destination": match &b.seen {
                Seen::Listed(h) => host_json(h, now),
                Seen::Unreachable(e) => json!({"error": e.to_string()}),
            },
            "reasons": b.reasons,
        }),
        StatusReport::Fleet(f) => json!({
            "status": f.level.label(),
            "destination": f.destination,
            "limits": limits,
            "hosts": f.hosts.iter().map(|h| {
                let mut v = host_json(&h.summary, now);
                v["status"] = json!(h.level.label());
                v
            }).collect::<Vec<_>>(),
        }),
    }
}

fn print_status(report: &StatusReport, now: OffsetDateTime) {
    match report {
        StatusReport::Box(b) => {
            println!(
                "{}: backups of {} at {}",
                b.level.label(),
                b.host,
                b.destination
            );
            for reason in &b.reasons {
                println!("  {reason}");
            }
            let when = |a: &nascfg_backup::Attempt| {
                OffsetDateTime::from_unix_timestamp(a.finished)
                    .map(rfc3339)
                    .unwrap_or_default()
            };
            match &b.last_attempt {
                Some(a) => println!(
                    "  last attempt:  {} {}{}",
                    when(a),
                    a.outcome.as_str(),
                    a.error_kind
                        .as_deref()
                        .map(|k| format!(" ({k})"))
                        .unwrap_or_default()
                ),
                None => println!("  last attempt:  none recorded on this box"),
            }
            if let Some(a) = &b.last_success {
                println!("  last success:  {} {}", when(a), a.outcome.as_str());
            }
            match &b.seen {
                Seen::Listed(h) => match &h.newest {
                    Some(n) => println!(
                        "  newest there:  {} ({} ago, {} bundle(s))",
                        Untrusted::new(&n.name),
                        age_text(n.created, now),
                        h.count
                    ),
                    None => println!("  newest there:  none"),
                },
                Seen::Unreachable(_) => println!("  newest there:  cannot tell"),
            }
        }
        StatusReport::Fleet(f) => {
            let [ok, warning, critical] = f.counts();
            println!(
                "{}: {} host(s) at {}: {ok} OK, {warning} WARNING, {critical} CRITICAL",
                f.level.label(),
                f.hosts.len(),
                f.destination
            );
            if f.hosts.is_empty() {
                return;
            }
            println!(
                "{:<8}  {:<24}  {:>7}  {:>10}  NEWEST",
                "STATUS", "HOST", "BUNDLES", "AGE"
            );
            for h in &f.hosts {
                let (age, name) = match &h.summary.newest {
                    Some(n) => (age_text(n.created, now), n.name.as_str()),
                    None => ("-".to_owned(), "-"),
                };
                println!(
                    "{:<8}  {:<24}  {:>7}  {:>10}  {}",
                    h.level.label(),
                    Untrusted::new(&h.summary.host).to_string(),
                    h.summary.count,
                    age,
                    Untrusted::new(name)
                );
            }
        }
    }
}

/// One Nagios/Icinga plugin line: `NASCFG BACKUP LEVEL - text | perfdata`.
fn nagios_line(report: &StatusReport, ages: Ages) -> String {
    let (warn, max) = (ages.warn().as_secs(), ages.max().as_secs());
    match report {
        StatusReport::Box(b) => {
            let mut perf = String::new();
            if let Some(age) = b.age {
                perf = format!(" | age={}s;{warn};{max};0;", age.as_secs());
                if let Seen::Listed(h) = &b.seen {
                    perf.push_str(&format!(" bundles={};;;0;", h.count));
                }
            }
            format!(
                "NASCFG BACKUP {} - {} at {}: {}{perf}",
                b.level.label(),
                b.host,
                b.destination,
                b.reasons.join("; ")
            )
        }
        StatusReport::Fleet(f) => {
            let [ok, warning, critical] = f.counts();
            let stale: Vec<String> = f
                .hosts
                .iter()
                .filter(|h| h.level != Level::Ok)
                .take(10)
                .map(|h| Untrusted::new(&h.summary.host).to_string())
                .collect();
            format!(
                "NASCFG BACKUP {} - {} host(s) at {}: {ok} OK, {warning} WARNING, {critical} CRITICAL{}{} | ok={ok};;;0; warning={warning};;;0; critical={critical};;;0;",
                f.level.label(),
                f.hosts.len(),
                f.destination,
                if stale.is_empty() { "" } else { "; stale: " },
                stale.join(", ")
            )
        }
    }
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
    let storage = reach(cli, &parent, args)?;
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

pub fn prune(
    cli: &Cli,
    location: &str,
    policy: Policy,
    dry_run: bool,
    host_args: &HostArgs,
    args: &RemoteArgs,
) -> anyhow::Result<()> {
    let location = parse(location)?;
    let storage = reach(cli, &location, args)?;
    // This box's bundles unless told otherwise: a box sharing a bucket never prunes
    // another's by accident. The policy applies to each host on its own either way.
    let hosts = hosts(host_args, Some(this_box())).expect("a default host is given");
    let mut found: Vec<BundleName> = Vec::new();
    storage.for_each_object(&mut |object| {
        if let Some(bundle) = BundleName::parse(&object.name)
            && hosts.includes(&bundle)
        {
            found.push(bundle);
        }
    })?;
    let decisions = nascfg_remote::plan(&found, policy);
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    let mut ignored = Vec::new();
    for d in &decisions {
        if d.future {
            // Junk we did not make: it decides nothing and is left alone.
            ignored.push(d.bundle.name().to_owned());
            continue;
        }
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
    if !ignored.is_empty() {
        let names: Vec<String> = ignored
            .iter()
            .map(|n| nascfg_credentials::Untrusted::new(n).to_string())
            .collect();
        eprintln!(
            "warning: ignored {} bundle(s) dated more than {} hour(s) in the future, which nascfg did not make (not counted as newest, not deleted): {}",
            ignored.len(),
            nascfg_remote::CLOCK_SKEW.whole_hours(),
            names.join(", ")
        );
    }
    if cli.json {
        return output::print_json(&json!({
            "location": location.to_string(),
            "dry_run": dry_run,
            "kept": kept,
            "deleted": deleted,
            "ignored_future": ignored,
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
pub fn schedule(
    cli: &Cli,
    location: Option<&str>,
    ping_url: Option<&PingUrl>,
    max_age: Option<Duration>,
    recipients: &RecipientArgs,
) -> anyhow::Result<()> {
    if let Some(l) = location {
        parse(l)?;
    }
    let encryption = unit_encryption(recipients)?;
    let location = location.unwrap_or("CRED:BUCKET/HOSTNAME");
    let dir = common::data_dir(cli)?;
    let data_dir = unit_path(
        dir.path(),
        ("the data directory", "--data-dir"),
        "give --data-dir a UTF-8 path (systemd units are text)",
    )?;
    let data_dir = data_dir.as_str();
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/usr/local/bin/nascfg".into());
    let user = current_user()?;
    let watch = UnitWatch {
        ping: ping_url
            // Quoted for systemd, whose `%` and `$` are specifiers and variables.
            .map(|u| {
                let url = u.as_str().replace('%', "%%").replace('$', "$$");
                format!(" --ping-url \"{url}\"")
            })
            .unwrap_or_default(),
        max_age: nascfg_backup::format_age(max_age.unwrap_or(Duration::from_secs(50 * 3600))),
    };
    print!(
        "{}",
        units(&exe, &user, data_dir, location, &watch, &encryption)
    );
    if !cli.quiet && encryption.with_seed {
        eprintln!(
            "note: these units push bundles WITH the secret seed, encrypted to the recipients given: nothing on \
             this box opens them; keep the private key (identity) OFF the box, and restore a new box with \
             `nascfg backup restore FILE --identity KEY`"
        );
    } else if !cli.quiet {
        eprintln!(
            "note: these units push bundles WITHOUT the secret seed: such a bundle restores its secrets only \
             on a box that has this box's seed (keep it elsewhere: `nascfg seed export -o FILE`); add \
             --include-seed to the ExecStart line to make every bundle restore whole"
        );
    }
    Ok(())
}

/// How the pushed bundles are encrypted: the service's comment lines and its push
/// arguments. A passphrase file by default; recipients, with the seed, when given.
struct UnitEncryption {
    comment: String,
    args: String,
    with_seed: bool,
}

fn unit_encryption(recipients: &RecipientArgs) -> anyhow::Result<UnitEncryption> {
    if !super::keys::recipients_given(recipients) {
        return Ok(UnitEncryption {
            comment: "# The passphrase protects the bundle (and allows --include-seed); keep the file 0600.\n\
# Without --include-seed a bundle restores WITHOUT its secrets, unless the new box has this\n\
# box's seed (`nascfg seed export -o FILE`, kept elsewhere); add --include-seed otherwise.\n"
                .to_owned(),
            args: " --passphrase-file /etc/nascfg/push-passphrase".to_owned(),
            with_seed: false,
        });
    }
    // Every recipient is checked now, not at the first night's push.
    super::keys::recipients(recipients)?;
    // Quoted for systemd: `%` and `$` are specifiers and variables there.
    let quoted = |text: &str| format!("\"{}\"", text.replace('%', "%%").replace('$', "$$"));
    let mut args = " --include-seed".to_owned();
    for r in &recipients.recipients {
        let r = nascfg_crypto::Recipient::parse(r)?;
        args.push_str(&format!(" --recipient {}", quoted(&r.to_string())));
    }
    for path in &recipients.recipients_file {
        let path = unit_path(
            path,
            ("the recipients file", "--recipients-file"),
            "give a UTF-8 path (systemd units are text)",
        )?;
        args.push_str(&format!(" --recipients-file {}", quoted(&path)));
    }
    Ok(UnitEncryption {
        comment: "# The bundle carries the seed, encrypted to the public keys below: nothing on this box\n\
# opens it. Keep the private key (identity) OFF the box; restore a new box with\n\
# `nascfg backup restore FILE --identity KEY`.\n"
            .to_owned(),
        args,
        with_seed: true,
    })
}

/// `path` as a unit file names it: absolute, and text. `what` names it in the errors, with
/// the option that gave it; `utf8_hint` says what to do when it is not UTF-8.
fn unit_path(path: &Path, (what, option): (&str, &str), utf8_hint: &str) -> anyhow::Result<String> {
    let absolute = std::path::absolute(path).map_err(|e| {
        output::hint(
            anyhow::anyhow!("cannot make {} absolute: {e}", path.display()),
            format!("give {option} as an absolute path"),
        )
    })?;
    match absolute.to_str() {
        Some(text) => Ok(text.to_owned()),
        None => Err(output::hint(
            anyhow::anyhow!("{what} {} is not UTF-8", absolute.display()),
            utf8_hint.to_owned(),
        )),
    }
}

/// What the units add to watch the pushes: the push's `--ping-url` argument (empty without
/// one) and the age past which the status check fails.
struct UnitWatch {
    ping: String,
    max_age: String,
}

/// The four units: they name the binary, the user and the data directory they were printed
/// for, because a systemd service has no HOME (nor `NASCFG_DATA_DIR`) to find the data
/// directory by. The status check is a second timer that fails its unit (exit 1-3, which
/// systemd and any OnFailure= handler see) when the newest backup is older than the age.
fn units(
    exe: &str,
    user: &str,
    data_dir: &str,
    location: &str,
    watch: &UnitWatch,
    encryption: &UnitEncryption,
) -> String {
    let UnitWatch { ping, max_age } = watch;
    let UnitEncryption { comment, args, .. } = encryption;
    format!(
        "# /etc/systemd/system/nascfg-push.service\n\
{push_head}\
# The data directory these units were printed for (a service has no HOME to find it by).\n\
Environment={environment}\n\
{comment}\
ExecStart={exe} backup push {location} --if-changed{args}{ping}\n\
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
WantedBy=timers.target\n\
\n\
# /etc/systemd/system/nascfg-status.service\n\
{status_head}\
Environment={environment}\n\
ExecStart={exe} backup status {location} --max-age {max_age}\n\
\n\
# /etc/systemd/system/nascfg-status.timer\n\
[Unit]\n\
Description=Check the nascfg configuration backup's age every 6 hours\n\
\n\
[Timer]\n\
OnCalendar=00/6:30\n\
Persistent=true\n\
\n\
[Install]\n\
WantedBy=timers.target\n",
        environment = systemd_quoted(&format!("NASCFG_DATA_DIR={data_dir}")),
        push_head = service_head("Push a nascfg configuration backup off the box", user),
        status_head = service_head("Check that the nascfg configuration backup is fresh", user),
    )
}

/// The start of a oneshot service that runs as `user` once the network is up: its `[Unit]`
/// and the first lines of its `[Service]`.
fn service_head(description: &str, user: &str) -> String {
    format!(
        "[Unit]\n\
Description={description}\n\
Wants=network-online.target\n\
After=network-online.target\n\
\n\
[Service]\n\
Type=oneshot\n\
User={user}\n"
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
