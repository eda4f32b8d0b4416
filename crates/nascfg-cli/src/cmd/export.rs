//! `nascfg export rclone [-o FILE] [NAME...]`

use std::io::Write as _;
use std::process::{Command, Stdio};

use nascfg_credentials::ProviderKind;
use nascfg_interop::rclone;

use crate::cli::{Cli, ExportCommand};
use crate::cmd::common;
use crate::output;

pub fn run(cli: &Cli, command: &ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Rclone { output: out, names } = command;
    let mut store = common::open_store(cli)?;
    let has_mega_credential = store
        .list_credentials()
        .map_err(common::store_error)?
        .iter()
        .any(|c| c.provider == ProviderKind::Mega && (names.is_empty() || names.contains(&c.name)));
    let target = rclone::Target {
        has_mega: !has_mega_credential || rclone_has_mega(),
    };
    let export = rclone::export(&mut store, names, target).map_err(common::interop_error)?;
    let text = export.text();
    match out {
        Some(path) => {
            nascfg_crypto::write_secret_file(path, text.as_bytes()).map_err(|e| {
                output::hint(
                    anyhow::anyhow!("cannot write {}: {e}", path.display()),
                    "check the directory",
                )
            })?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    if cli.json && out.is_some() {
        output::print_json(&serde_json::json!({
            "output": out.as_ref().map(|p| p.display().to_string()),
            "exported": export.exported,
            "skipped": export.skipped,
        }))?;
    } else {
        if !cli.quiet {
            for remote in &export.exported {
                for note in &remote.notes {
                    eprintln!("note: {}: {note}", remote.name);
                }
            }
        }
        for skipped in &export.skipped {
            eprintln!("skipped {}: {}", skipped.name, skipped.reason);
        }
        if let Some(path) = out.as_ref().filter(|_| !cli.quiet) {
            eprintln!(
                "wrote {} remote(s) to {} (mode 0600)",
                export.exported.len(),
                path.display()
            );
        }
    }
    Ok(())
}

/// Whether the rclone on PATH has the mega backend (Debian's 1.60 has not).
/// Without an rclone to ask, a current one is assumed: it has.
fn rclone_has_mega() -> bool {
    match Command::new("rclone")
        .args(["help", "backend", "mega"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) => status.success(),
        Err(_) => true,
    }
}
