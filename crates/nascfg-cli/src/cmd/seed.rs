//! `nascfg seed ...`

use std::io::Write;
use std::path::{Path, PathBuf};

use nascfg_crypto::{IfExists, Seed, WorkFactor};
use nascfg_store::{SeedImportCase, ShareFile, Store};
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
            shares: Some(count),
            threshold,
            force,
            ..
        } => export_shares(
            cli,
            output,
            *count,
            threshold.expect("clap requires --threshold with --shares"),
            *force,
        ),
        SeedCommand::Export {
            output,
            no_passphrase,
            passphrase,
            shares: None,
            ..
        } => export(cli, output, *no_passphrase, passphrase),
        SeedCommand::Import {
            file,
            share,
            seed_passphrase_file,
            seed_passphrase_env,
        } => {
            // The files are read (and a passphrase asked) before the data directory is touched.
            let seed = match file {
                Some(file) => load_seed_file(
                    file,
                    seed_passphrase_file.as_deref(),
                    seed_passphrase_env.as_deref(),
                )?,
                None => nascfg_store::load_seed_shares(share)?,
            };
            import(cli, &seed)
        }
    }
}

fn import(cli: &Cli, seed: &Seed) -> anyhow::Result<()> {
    let dir = data_dir(cli)?;
    let guard = dir.lock()?;
    let report = dir.import_seed(&guard, seed)?;
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

/// `seed export --shares N --threshold K -o DIR`: N SLIP-39 share files,
/// `share-<i>-of-<N>.txt` (0600, atomic), in DIR (created 0700). Every name
/// is checked before the first file is written, so a refusal writes nothing;
/// the split is checked to recover the seed before any file is written.
fn export_shares(
    cli: &Cli,
    dir: &Path,
    count: u8,
    threshold: u8,
    force: bool,
) -> anyhow::Result<()> {
    let store = open_store(cli)?;
    let seed = store.seed()?;
    let fingerprint = seed.fingerprint();
    if let Some(db) = store.fingerprint()?
        && db != fingerprint
    {
        eprintln!(
            "warning: this seed ({fingerprint}) is not the one the database was sealed under ({db})"
        );
    }
    let shares = nascfg_crypto::split(
        seed.expose_bytes(),
        threshold,
        count,
        b"",
        nascfg_crypto::DEFAULT_ITERATION_EXPONENT,
    )
    .map_err(|e| {
        // The seed is always 32 bytes: only the two numbers can be refused.
        output::hint(
            anyhow::anyhow!("cannot split the seed: {e}"),
            "give 1 <= --threshold <= --shares <= 16, and a threshold of at least 2 with more than \
             one share (SLIP-39: a threshold of 1 would make every share the seed itself); nothing \
             was written",
        )
    })?;
    // What the share holders will do, done once here: any K of them recover this seed.
    let recovered = nascfg_crypto::combine(&shares[..usize::from(threshold)], b"")?;
    anyhow::ensure!(
        recovered[..] == seed.expose_bytes()[..],
        "the shares do not recover the seed (a bug); nothing was written"
    );
    let paths: Vec<PathBuf> = (1..=count)
        .map(|i| dir.join(format!("share-{i}-of-{count}.txt")))
        .collect();
    let if_exists = if force {
        IfExists::Replace
    } else {
        IfExists::Refuse
    };
    for path in &paths {
        let taken = std::fs::symlink_metadata(path).is_ok();
        if taken && !force {
            return Err(output::hint_kind(
                "already-exists",
                anyhow::anyhow!("{} already exists", path.display()),
                "choose another directory, remove the old share files, or give --force to replace them; \
                 nothing was written",
            ));
        }
        nascfg_crypto::replaceable(path).map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot replace {}: {e}", path.display()),
                "choose another directory; nothing was written",
            )
        })?;
    }
    create_private_dir(dir)?;
    let host = nascfg_bundle::host_name();
    let today = time::OffsetDateTime::now_utc().date();
    for (share, path) in shares.iter().zip(&paths) {
        let text = ShareFile::render(share, count, &host, &fingerprint, today);
        nascfg_crypto::create_secret_file(path, text.as_bytes(), if_exists).map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot write {}: {e}", path.display()),
                "check the directory; the share files written so far are a complete split only \
                 together with the rest: run the command again with --force",
            )
        })?;
    }
    if cli.json {
        return output::print_json(&json!({
            "directory": dir,
            "files": paths,
            "fingerprint": fingerprint.to_string(),
            "shares": count,
            "threshold": threshold,
            "identifier": shares[0].identifier(),
        }));
    }
    if !cli.quiet {
        println!(
            "split the seed ({fingerprint}) into {count} share(s), any {threshold} of which recover it:"
        );
        for path in &paths {
            println!("  {}", path.display());
        }
        println!(
            "give each share to a different person and remove the files from this box; recover with \
             `nascfg seed import --share FILE ...` ({threshold} files)"
        );
    }
    Ok(())
}

/// Creates `dir` with mode 0700 when it is missing (its parents as usual).
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            output::hint(
                anyhow::anyhow!("cannot create the directory {}: {e}", dir.display()),
                "check the path; nothing was written",
            )
        })
}
