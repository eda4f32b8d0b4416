//! `nascfg backup export|inspect|restore`

use std::path::{Path, PathBuf};

use nascfg_backup::{Controls, Local, Protection};
use nascfg_bundle::{
    Existing, ExportOptions, Inspection, Restorability, RestoreOptions, RestoreReport, SignerPolicy,
};
use nascfg_credentials::Untrusted;
use nascfg_crypto::{Fingerprint, Seed};

use crate::cli::{
    BackupCommand, Cli, IdentityArgs, PassphraseArgs, ReadArgs, RecipientArgs, SeedFileArgs,
};
use crate::cmd::progress::Bar;
use crate::cmd::{common, keys, remote, signers, storage};
use crate::output;

pub fn run(cli: &Cli, command: &BackupCommand) -> anyhow::Result<()> {
    match command {
        BackupCommand::Export {
            output,
            force,
            include_seed,
            passphrase,
            recipients,
        } => export(
            cli,
            output.as_deref(),
            *force,
            *include_seed,
            passphrase,
            recipients,
        ),
        BackupCommand::Inspect {
            file,
            read,
            allowed_signers,
        } => {
            let signers = signers::policy(allowed_signers.as_deref())?;
            // A remote bundle is pulled into a private temporary file; the report names
            // what the user gave.
            let bundle = storage::local(cli, file, &read.remote)?;
            inspect(cli, &bundle, read, &signers)
        }
        BackupCommand::Diff { .. } => super::backup_diff::run(cli, command),
        BackupCommand::Restore {
            file,
            remote: remote_args,
            seed,
            allow_lost_secrets,
            dry_run,
            passphrase,
            identities,
            allowed_signers,
        } => {
            let args = RestoreArgs {
                seed: seed.clone(),
                allow_lost_secrets: *allow_lost_secrets,
                dry_run: *dry_run,
                signers: signers::policy(allowed_signers.as_deref())?,
            };
            // A remote bundle is pulled whole into a private 0600 file first; then the
            // same checks as a local bundle, all before the live data is touched.
            let bundle = storage::local(cli, file, remote_args)?;
            restore(cli, &bundle, args, passphrase, identities)
        }
        BackupCommand::Push(args) => remote::push(cli, args),
        BackupCommand::List {
            location,
            hosts,
            remote: remote_args,
        } => remote::list(cli, location, hosts, remote_args),
        BackupCommand::Status {
            location,
            max_age,
            warn_age,
            hosts,
            prometheus,
            nagios,
            remote: remote_args,
        } => remote::status(
            cli,
            location,
            (*warn_age, *max_age),
            hosts,
            prometheus.as_deref(),
            *nagios,
            remote_args,
        ),
        BackupCommand::Pull {
            location,
            output,
            force,
            remote: remote_args,
        } => remote::pull(cli, location, output, *force, remote_args),
        BackupCommand::Prune {
            location,
            keep_last,
            keep_daily,
            keep_weekly,
            keep_monthly,
            dry_run,
            hosts,
            remote: remote_args,
        } => remote::prune(
            cli,
            location,
            nascfg_remote::Policy {
                last: keep_last.unwrap_or(0),
                daily: keep_daily.unwrap_or(0),
                weekly: keep_weekly.unwrap_or(0),
                monthly: keep_monthly.unwrap_or(0),
            },
            *dry_run,
            hosts,
            remote_args,
        ),
        BackupCommand::Schedule {
            print: _,
            location,
            ping_url,
            max_age,
            recipients,
        } => remote::schedule(
            cli,
            location.as_deref(),
            ping_url.as_ref(),
            *max_age,
            recipients,
        ),
    }
}

struct RestoreArgs {
    seed: SeedFileArgs,
    allow_lost_secrets: bool,
    dry_run: bool,
    signers: SignerPolicy,
}

fn passphrase_given(args: &PassphraseArgs) -> bool {
    args.passphrase_file.is_some() || args.passphrase_env.is_some()
}

fn export(
    cli: &Cli,
    out: Option<&Path>,
    force: bool,
    include_seed: bool,
    passphrase: &PassphraseArgs,
    recipients: &RecipientArgs,
) -> anyhow::Result<()> {
    // Both at once is refused before anything is read or written.
    keys::refuse_mixed(passphrase, recipients)?;
    let recipients = keys::recipients(recipients)?;
    let store = common::open_store(cli)?;
    let passphrase = if passphrase_given(passphrase) {
        common::read_passphrase(passphrase, true)?
    } else {
        None
    };
    let (out, existing) = match out {
        Some(p) if force => (p.to_path_buf(), Existing::Replace),
        Some(p) => (p.to_path_buf(), Existing::Refuse),
        None => (
            PathBuf::from(nascfg_bundle::default_bundle_name_now(
                passphrase.is_some() || !recipients.is_empty(),
            )),
            Existing::NextFreeName,
        ),
    };
    let bar = Bar::new(cli, "exporting");
    let progress = |done: u64, total: u64| bar.update(done, total);
    let options = ExportOptions {
        include_seed,
        passphrase,
        recipients,
        progress: Some(&progress),
        existing,
        ..ExportOptions::default()
    };
    let report = nascfg_bundle::export(&store, &out, &options);
    bar.finish();
    let report = report?;
    if include_seed && !report.encrypted {
        eprintln!(
            "warning: {} holds the secret seed without a passphrase: anyone with the file can open every secret; \
             keep it safe, or export again with --passphrase-file or --passphrase-env",
            report.path.display()
        );
    }
    if cli.json {
        return output::print_json(&serde_json::json!({
            "path": report.path,
            "size": report.size,
            "encrypted": report.encrypted,
            "manifest": report.manifest,
            "signer": report.signer.to_json(),
        }));
    }
    if !cli.quiet {
        let m = &report.manifest;
        let protection = if !report.encrypted {
            Protection::Plain
        } else if options.recipients.is_empty() {
            Protection::Passphrase
        } else {
            Protection::Recipients
        };
        println!(
            "wrote {} ({} bytes): {}{}",
            report.path.display(),
            report.size,
            nascfg_backup::contents(m),
            protection.suffix(),
        );
        if !m.seed_included
            && let Some(fp) = &m.seed_fingerprint
        {
            println!(
                "to restore its secrets elsewhere you need this box's seed ({fp}): `nascfg seed export -o FILE`"
            );
        }
    }
    Ok(())
}

/// This box's seed fingerprint, if it has a readable seed (nothing is created).
fn this_box_seed(cli: &Cli) -> anyhow::Result<Option<Fingerprint>> {
    let dir = common::data_dir(cli)?;
    match nascfg_store::load_seed(&dir.seed_path()) {
        Ok(seed) => Ok(Some(seed.fingerprint())),
        Err(_) => Ok(None),
    }
}

/// Inspects `bundle`, naming it as the user gave it (the CRED:PATH/NAME a remote bundle
/// was pulled from).
fn inspect(
    cli: &Cli,
    bundle: &Local,
    read: &ReadArgs,
    signers: &SignerPolicy,
) -> anyhow::Result<()> {
    let ReadArgs {
        passphrase,
        identities,
        seed,
        ..
    } = read;
    let asking = keys::Asking::new(passphrase, identities);
    // With --seed-file, whether that seed opens the bundle's secrets;
    // else whether this box's does.
    let given = common::seed_file(seed)?.as_ref().map(Seed::fingerprint);
    let this_box = match given {
        Some(fp) => Some(fp),
        None => this_box_seed(cli)?,
    };
    let inspection = asking.read(|unlock| bundle.inspect(unlock, this_box.as_ref(), signers))?;
    signers::notice_if_unsigned(bundle.shown(), &inspection.signer);
    if cli.json {
        return output::print_json(&inspection.to_json());
    }
    print_inspection(
        bundle.shown(),
        &inspection,
        seed.seed_file.is_some() || !seed.seed_share.is_empty(),
    );
    Ok(())
}

fn print_inspection(file: &Path, i: &Inspection, seed_file_given: bool) {
    let m = &i.manifest;
    println!("bundle:        {}", file.display());
    println!("format:        {} version {}", m.format, m.version);
    // The manifest's free text is the bundle's word: shown escaped and cut.
    println!("producer:      {}", Untrusted::new(&m.producer));
    println!("created:       {}", m.created);
    println!(
        "encrypted:     {}",
        if !i.encrypted {
            "no"
        } else if i.encrypted_to_recipients {
            "yes (to public-key recipients)"
        } else {
            "yes (passphrase)"
        }
    );
    println!(
        "authenticated: {}",
        if i.encrypted && !i.encrypted_to_recipients {
            "yes: the passphrase (age) authenticates every byte"
        } else if i.authenticated() {
            "yes: signed by a key --allowed-signers lists (the manifest lists every member's SHA-256)"
        } else if i.encrypted_to_recipients {
            "NO: anyone who knows the recipients' public keys could have made this bundle; \
             restore it only if it came to you safely"
        } else {
            "NO: anyone who could write this file could have altered its manifest and database \
             (not its sealed secrets); restore it only if it came to you safely"
        }
    );
    println!("signer:        {}", i.signer.describe());
    println!("schema:        version {}", m.schema_version);
    println!("credentials:   {}", m.counts.credentials);
    println!("key pairs:     {}", m.counts.keypairs);
    println!("seed:          {}", nascfg_backup::seed_status(m));
    for member in &m.members {
        println!(
            "member:        {} {} bytes sha256 {} ok",
            member.name, member.size, member.sha256
        );
    }
    println!(
        "checks:        manifest ok, members ok (sizes, SHA-256), database ok (SQLite integrity, exactly nascfg's schema, every row valid)"
    );
    let verdict = match &i.restorability {
        Restorability::SeedInBundle => {
            "restorable with every secret: the seed is in the bundle".to_owned()
        }
        Restorability::SeedMatches { fingerprint } if seed_file_given => {
            format!(
                "restorable with every secret: the seed from --seed-file matches ({fingerprint})"
            )
        }
        Restorability::SeedMatches { fingerprint } => {
            format!("restorable with every secret: this box's seed matches ({fingerprint})")
        }
        Restorability::NoSecrets => "restorable: the bundle holds no secrets".to_owned(),
        Restorability::SecretsWouldBeLost {
            fingerprint,
            credentials,
            keypairs,
            ..
        } => format!(
            "secrets would be lost ({credentials} credential(s), {keypairs} key pair(s)): give the seed {} with --seed-file",
            fingerprint
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "it was sealed under".into())
        ),
    };
    println!("restore:       {verdict}");
}

fn restore(
    cli: &Cli,
    bundle: &Local,
    args: RestoreArgs,
    passphrase: &PassphraseArgs,
    identities: &IdentityArgs,
) -> anyhow::Result<()> {
    let asking = keys::Asking::new(passphrase, identities);
    let seed = common::seed_file(&args.seed)?;
    let dir = common::data_dir(cli)?;
    let bar = Bar::new(cli, "reading");
    let progress = |done: u64, total: u64| bar.update(done, total);
    let report = asking.read(|unlock| {
        let options = RestoreOptions {
            seed,
            allow_lost_secrets: args.allow_lost_secrets,
            dry_run: args.dry_run,
            unlock,
            progress: Some(&progress),
            signers: args.signers,
            ..RestoreOptions::default()
        };
        bundle.restore(&dir, &options)
    });
    bar.finish();
    let report = report?;
    // Named by the file read (a remote bundle's private copy), as before.
    signers::notice_if_unsigned(bundle.path(), &report.signer);
    if cli.json {
        return output::print_json(&report_json(&report));
    }
    if !cli.quiet {
        print_report(&report);
    }
    Ok(())
}

fn report_json(r: &RestoreReport) -> serde_json::Value {
    serde_json::json!({
        "dry_run": r.dry_run,
        "restore": r.case,
        "installs_seed": r.installs_seed,
        "migrated_from": r.migrated_from,
        "credentials": r.manifest.counts.credentials,
        "keypairs": r.manifest.counts.keypairs,
        "previous_db": r.installed.as_ref().and_then(|i| i.previous_db.clone()),
        "previous_seed": r.installed.as_ref().and_then(|i| i.previous_seed.clone()),
        "diff": r.diff.as_ref().map(nascfg_bundle::Diff::to_json),
        "signer": r.signer.to_json(),
    })
}

fn print_report(r: &RestoreReport) {
    let m = &r.manifest;
    let what = nascfg_backup::restore_case(
        &r.case,
        &Controls {
            given_seed: "the seed from --seed-file",
            reenter: Some("`nascfg cred update NAME --set FIELD=VALUE`"),
        },
    );
    let verb = if r.dry_run {
        "would restore"
    } else {
        "restored"
    };
    println!(
        "{verb} {} credential(s) and {} key pair(s) {what}",
        m.counts.credentials, m.counts.keypairs
    );
    println!("signer: {}", r.signer.describe());
    if let Some(v) = r.migrated_from {
        println!("the database was migrated from schema version {v}");
    }
    if r.dry_run {
        println!("dry run: every check passed; nothing was changed");
    }
    if let Some(diff) = &r.diff {
        println!();
        println!("what the restore would change on this box:");
        super::changes::print_diff(diff);
    }
    if let Some(installed) = &r.installed {
        if let Some(p) = &installed.previous_db {
            println!("the previous database is kept as {}", p.display());
        }
        if let Some(p) = &installed.previous_seed {
            println!("the previous seed is kept as {}", p.display());
        }
    }
}
