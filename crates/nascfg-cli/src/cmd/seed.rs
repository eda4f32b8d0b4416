//! `nascfg seed ...`

use std::io::Write;

use nascfg_crypto::WorkFactor;
use nascfg_store::{SeedImportCase, Store};
use serde_json::json;

use super::common::{data_dir, load_seed_file, open_store, read_passphrase};
use crate::cli::{Cli, PassphraseArgs, SeedCommand};
use crate::output;

pub fn run(cli: &Cli, command: &SeedCommand) -> anyhow::Result<()> {
    match command {
        SeedCommand::Fingerprint => fingerprint(cli),
        SeedCommand::Rotate => rotate(cli),
        SeedCommand::Export {
            output,
            no_passphrase,
            passphrase,
        } => export(cli, output, *no_passphrase, passphrase),
        SeedCommand::Import {
            file,
            seed_passphrase_file,
            seed_passphrase_env,
        } => import(
            cli,
            file,
            seed_passphrase_file.as_deref(),
            seed_passphrase_env.as_deref(),
        ),
    }
}

fn import(
    cli: &Cli,
    file: &std::path::Path,
    passphrase_file: Option<&std::path::Path>,
    passphrase_env: Option<&str>,
) -> anyhow::Result<()> {
    // The file is read (and its passphrase asked) before the data directory is touched.
    let seed = load_seed_file(file, passphrase_file, passphrase_env)?;
    let dir = data_dir(cli)?;
    let guard = dir.lock()?;
    let report = dir.import_seed(&guard, &seed)?;
    drop(guard);
    let case = match report.case {
        SeedImportCase::AlreadyInstalled => "already-installed",
        SeedImportCase::SealedUnderIt => "sealed-under-it",
        SeedImportCase::EmptyStore => "empty-store",
    };
    if cli.json {
        return output::print_json(&json!({
            "fingerprint": report.fingerprint.to_string(),
            "case": case,
            "previous_seed": report.previous_seed,
        }));
    }
    if !cli.quiet {
        match report.case {
            SeedImportCase::AlreadyInstalled => println!(
                "the seed {} already is this box's; nothing was changed",
                report.fingerprint
            ),
            SeedImportCase::SealedUnderIt => println!(
                "installed the seed {}: this box's store is sealed under it",
                report.fingerprint
            ),
            SeedImportCase::EmptyStore => println!(
                "installed the seed {} on this box (its store was empty): a bundle sealed under it \
                 now restores with its secrets",
                report.fingerprint
            ),
        }
        if let Some(kept) = &report.previous_seed {
            println!("the previous seed is kept as {}", kept.display());
        }
    }
    Ok(())
}

fn fingerprint(cli: &Cli) -> anyhow::Result<()> {
    let store = open_store(cli)?;
    let seed = store.seed_fingerprint()?;
    let db = store.fingerprint()?;
    let differs = db.as_ref().is_some_and(|d| *d != seed);
    if cli.json {
        output::print_json(&json!({
            "seed": seed.to_string(),
            "database": db.as_ref().map(ToString::to_string),
            "matches": !differs,
        }))?;
    } else {
        println!("{seed}");
    }
    if let (true, Some(db)) = (differs, db) {
        eprintln!(
            "warning: the database was sealed under another seed ({db}); commands that need secrets will refuse \
             until the right seed is back"
        );
    }
    Ok(())
}

fn rotate(cli: &Cli) -> anyhow::Result<()> {
    // One lock from opening the store to the end of the rotation: a restore
    // cannot slip in between and have its database re-sealed behind its back.
    let dir = data_dir(cli)?;
    let guard = dir.lock()?;
    let mut store = Store::open_locked(&dir, &guard)?;
    let report = store.rotate_seed(&guard)?;
    drop(guard);
    if cli.json {
        return output::print_json(&json!({
            "old": report.old.to_string(),
            "new": report.new.to_string(),
            "resealed": report.resealed,
            "old_seed_kept": report.old_seed_kept,
        }));
    }
    if !cli.quiet {
        println!("rotated the secret seed: {} -> {}", report.old, report.new);
        println!("re-sealed {} values", report.resealed);
        if let Some(kept) = &report.old_seed_kept {
            println!("the old seed is kept at {}", kept.display());
        }
        println!("backups and seed exports made before now hold the old seed; make new ones");
    }
    Ok(())
}

fn export(
    cli: &Cli,
    out: &std::path::Path,
    no_passphrase: bool,
    args: &PassphraseArgs,
) -> anyhow::Result<()> {
    if no_passphrase && (args.passphrase_file.is_some() || args.passphrase_env.is_some()) {
        return Err(output::hint(
            anyhow::anyhow!("--no-passphrase conflicts with --passphrase-file/--passphrase-env"),
            "give one of them",
        ));
    }
    if out.exists() {
        return Err(output::hint(
            anyhow::anyhow!("{} already exists", out.display()),
            "choose another file name, or remove the old file first",
        ));
    }
    let store = open_store(cli)?;
    let seed = store.seed()?;
    if let Some(db) = store.fingerprint()?
        && db != seed.fingerprint()
    {
        eprintln!(
            "warning: this seed ({}) is not the one the database was sealed under ({db})",
            seed.fingerprint()
        );
    }
    let bytes = if no_passphrase {
        eprintln!(
            "warning: {} holds the raw secret seed without a passphrase; anyone who can read it can open every secret of this box",
            out.display()
        );
        seed.expose_bytes().to_vec()
    } else {
        let Some(pass) = read_passphrase(args, true)? else {
            return Err(output::hint(
                anyhow::anyhow!("no passphrase for the seed export"),
                "give --passphrase-file FILE or --passphrase-env VAR (or run on a terminal to be asked), \
                 or --no-passphrase to write the raw seed",
            ));
        };
        let mut writer =
            nascfg_crypto::encrypt_with_passphrase(&pass, WorkFactor::DEFAULT, Vec::new())?;
        writer.write_all(seed.expose_bytes())?;
        writer.finish()?
    };
    nascfg_crypto::write_secret_file(out, &bytes).map_err(|e| {
        output::hint(
            anyhow::anyhow!("cannot write {}: {e}", out.display()),
            "check the path",
        )
    })?;
    if cli.json {
        return output::print_json(&json!({
            "output": out,
            "fingerprint": seed.fingerprint().to_string(),
            "passphrase_protected": !no_passphrase,
        }));
    }
    if !cli.quiet {
        println!(
            "wrote the seed ({}) to {}",
            seed.fingerprint(),
            out.display()
        );
    }
    Ok(())
}
