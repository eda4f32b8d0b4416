//! `nascfg export rclone [-o FILE] [NAME...]`

use std::io::{IsTerminal as _, Write as _};
use std::process::{Command, Stdio};

use nascfg_crypto::IfExists;
use nascfg_crypto::zeroize::Zeroizing;

use nascfg_credentials::ProviderKind;
use nascfg_interop::rclone;

use crate::cli::{Cli, ExportCommand};
use crate::cmd::common;
use crate::output;

pub fn run(cli: &Cli, command: &ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Rclone {
        output: out,
        force,
        stdout: to_stdout,
        passphrase,
        names,
    } = command;
    let encrypt = passphrase.passphrase_file.is_some() || passphrase.passphrase_env.is_some();
    // Obscured passwords are as good as plain text: never onto a terminal unasked.
    if out.is_none() && !encrypt && !to_stdout && std::io::stdout().is_terminal() {
        return Err(output::hint_kind(
            "refused",
            anyhow::anyhow!(
                "refusing to print an rclone.conf to the terminal: its passwords are only obscured, not encrypted"
            ),
            "write it to a file with -o FILE (mode 0600), encrypt it with --passphrase-file FILE or \
             --passphrase-env VAR (rclone opens it with RCLONE_CONFIG_PASS), or add --stdout to print it anyway",
        ));
    }
    let password = if encrypt {
        common::read_passphrase(passphrase, false)?
    } else {
        None
    };
    let mut store = common::open_store(cli)?;
    let has_mega_credential = store
        .list_credentials()?
        .iter()
        .any(|c| c.provider == ProviderKind::Mega && (names.is_empty() || names.contains(&c.name)));
    let target = rclone::Target {
        has_mega: !has_mega_credential || rclone_has_mega(),
    };
    let export = rclone::export(&mut store, names, target)?;
    let text: Zeroizing<String> = match &password {
        Some(p) => Zeroizing::new(export.encrypted_text(p)),
        None => export.text(),
    };
    match out {
        Some(path) => {
            let if_exists = if *force {
                IfExists::Replace
            } else {
                IfExists::Refuse
            };
            nascfg_crypto::create_secret_file(path, text.as_bytes(), if_exists).map_err(
                |e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => {
                        anyhow::Error::new(nascfg_bundle::Error::OutputExists {
                            path: path.clone(),
                        })
                    }
                    std::io::ErrorKind::InvalidInput => output::hint_kind(
                        "refused",
                        anyhow::anyhow!("cannot write {}: {e}", path.display()),
                        "give -o a new name or a regular file's; nothing was written",
                    ),
                    _ => output::hint(
                        anyhow::anyhow!("cannot write {}: {e}", path.display()),
                        "check the directory",
                    ),
                },
            )?;
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
            "encrypted": password.is_some(),
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
                "wrote {} remote(s) to {} (mode 0600{})",
                export.exported.len(),
                path.display(),
                if password.is_some() {
                    ", encrypted: rclone needs RCLONE_CONFIG_PASS"
                } else {
                    ""
                }
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
