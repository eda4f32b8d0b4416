//! `nascfg init`

use nascfg_store::Store;
use serde_json::json;

use super::common::data_dir;
use crate::cli::Cli;
use crate::output;

pub fn run(cli: &Cli) -> anyhow::Result<()> {
    let dir = data_dir(cli)?;
    let outcome = Store::init(&dir)?;
    let created = outcome.created_dir || outcome.created_seed || outcome.created_db;
    if cli.json {
        return output::print_json(&json!({
            "data_dir": dir.path(),
            "created": created,
            "seed_fingerprint": outcome.fingerprint.to_string(),
        }));
    }
    if !cli.quiet {
        if created {
            println!("initialised {}", dir.path().display());
        } else {
            println!("{} is already initialised", dir.path().display());
        }
        println!("seed fingerprint: {}", outcome.fingerprint);
        if outcome.created_seed {
            println!("keep a copy of the seed somewhere safe: `nascfg seed export -o FILE`");
        }
    }
    Ok(())
}
