//! `nascfg import truenas FILE` and `nascfg import rclone FILE`.

use std::io::Write as _;
use std::path::Path;

use nascfg_credentials::Untrusted;
use nascfg_interop::rclone::{self, MAX_CONF_LEN};
use nascfg_interop::{ImportOptions, ImportReport, ImportStatus, truenas};
use secrecy::SecretString;

use crate::cli::{Cli, ImportCommand, PassphraseArgs};
use crate::cmd::{common, input};
use crate::output;

/// rclone's own variable for the config password, used when no passphrase option is given.
const RCLONE_CONFIG_PASS: &str = "RCLONE_CONFIG_PASS";

pub fn run(cli: &Cli, command: &ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Truenas {
            file,
            pwenc_secret,
            dry_run,
            replace,
        } => {
            // Read, check the seed and decrypt before the store is even opened.
            let backup = truenas::Backup::read(file, pwenc_secret.as_deref())?;
            let mut store = common::open_store(cli)?;
            let options = ImportOptions {
                dry_run: *dry_run,
                replace: *replace,
            };
            let report = backup.import(&mut store, &options)?;
            print_report(cli, &report)
        }
        ImportCommand::Rclone {
            file,
            passphrase,
            password_env,
            dry_run,
            replace,
        } => {
            let bytes = read_conf(file)?;
            let password = if rclone::Conf::is_encrypted(&bytes) {
                password(passphrase, password_env.as_deref())?
            } else {
                None
            };
            let conf = rclone::Conf::parse(&bytes, password.as_ref())?;
            let mut store = common::open_store(cli)?;
            let options = ImportOptions {
                dry_run: *dry_run,
                replace: *replace,
            };
            let report = rclone::Import::from_conf(&conf).import(&mut store, &options)?;
            print_report(cli, &report)
        }
    }
}

fn read_conf(file: &Path) -> anyhow::Result<Vec<u8>> {
    let read = input::read_at_most(input::open(file)?, MAX_CONF_LEN as u64).map_err(|e| {
        output::hint(
            anyhow::anyhow!("cannot read {}: {e}", file.display()),
            "check the path",
        )
    })?;
    read.ok_or_else(|| {
        output::hint(
            anyhow::anyhow!("{} is larger than {MAX_CONF_LEN} bytes", file.display()),
            "give an rclone.conf",
        )
    })
}

/// The rclone config password: `--passphrase-file FILE` or `--passphrase-env VAR` (or its old
/// name `--password-env VAR`), else `RCLONE_CONFIG_PASS`, else a hidden prompt on a terminal.
fn password(args: &PassphraseArgs, old_env: Option<&str>) -> anyhow::Result<Option<SecretString>> {
    if args.passphrase_file.is_some() {
        return common::read_passphrase(args, false);
    }
    let var = args.passphrase_env.as_deref().or(old_env);
    let var_name = var.unwrap_or(RCLONE_CONFIG_PASS);
    match std::env::var(var_name) {
        Ok(v) => return Ok(Some(SecretString::from(v))),
        Err(_) if var.is_some() => {
            return Err(output::hint(
                anyhow::anyhow!("the environment variable {var_name} is not set (or not UTF-8)"),
                format!("export {var_name}=... (the rclone config password) before running nascfg"),
            ));
        }
        Err(_) => {}
    }
    if common::interactive() {
        return Ok(Some(SecretString::from(rpassword::prompt_password(
            "rclone config password: ",
        )?)));
    }
    Ok(None)
}

fn print_report(cli: &Cli, report: &ImportReport) -> anyhow::Result<()> {
    if cli.json {
        return output::print_json(&serde_json::to_value(report)?);
    }
    let verb = |status: ImportStatus| match (status, report.dry_run) {
        (ImportStatus::Imported, false) => "imported",
        (ImportStatus::Imported, true) => "would import",
        (ImportStatus::Replaced, false) => "replaced",
        (ImportStatus::Replaced, true) => "would replace",
        (ImportStatus::Reused, _) => "reused",
        (ImportStatus::Skipped, _) => "skipped",
    };
    // One buffered writer: a line per item of 50,000 is not a write(2) each.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (what, items) in [
        ("key pair", &report.keypairs),
        ("credential", &report.credentials),
    ] {
        for item in items {
            // Names and provider strings come from the imported file: shown
            // escaped and cut, so they cannot drive the terminal. The
            // reasons and notes quote the file only through `Untrusted`.
            let renamed = item
                .source_name
                .as_ref()
                .map(|s| format!(" (was {:?})", Untrusted::new(s)))
                .unwrap_or_default();
            let name = Untrusted::new(&item.name);
            let provider = Untrusted::new(&item.provider);
            match &item.reason {
                Some(reason) => writeln!(
                    out,
                    "{} {what} {name}{renamed} [{provider}]: {reason}",
                    verb(item.status),
                )?,
                None => writeln!(
                    out,
                    "{} {what} {name}{renamed} [{provider}]",
                    verb(item.status),
                )?,
            }
            if !cli.quiet {
                for note in &item.notes {
                    writeln!(out, "  note: {note}")?;
                }
            }
        }
    }
    let imported = report.imported();
    let skipped = report.skipped();
    if report.dry_run {
        writeln!(
            out,
            "dry run: {imported} credential(s) would be imported, {skipped} skipped; nothing was stored"
        )?;
    } else {
        writeln!(out, "{imported} credential(s) imported, {skipped} skipped")?;
    }
    out.flush()?;
    Ok(())
}
