//! Reaching a stored credential's storage from the command line
//! (`--connect-timeout`, `--timeout`, `--engine`), and bringing a bundle
//! to read onto this box from where the user named it.

use std::path::Path;
use std::time::Duration;

use nascfg_backup::{Local, Origin, Reach};
use nascfg_remote::{EngineChoice, Location, Storage};
use nascfg_store::Store;

use super::common;
use super::progress::Bars;
use crate::cli::{Cli, RemoteArgs};

/// Opens `location` with its stored credential; tells of a host key
/// recorded on first use and of an OAuth token refreshed.
pub fn open(store: &mut Store, location: &Location, args: &RemoteArgs) -> anyhow::Result<Storage> {
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
    if opened.token_refreshed {
        eprintln!(
            "saved the refreshed OAuth token of {}",
            location.credential()
        );
    }
    Ok(opened.storage)
}

/// The bundle `arg` names, on this box: a file as it is, `CRED:PATH/NAME`
/// pulled whole into a private temporary file (which lives as long as the
/// returned value); reports name it as the user gave it.
pub fn local(cli: &Cli, arg: &Path, args: &RemoteArgs) -> anyhow::Result<Local> {
    let origin = Origin::parse(arg)?;
    origin.fetch(|location| reach(cli, location, args), &Bars::new(cli))
}

/// Opens `location` with its stored credential from this box's store, which is
/// closed before the storage is used.
pub fn reach(cli: &Cli, location: &Location, args: &RemoteArgs) -> anyhow::Result<Storage> {
    let mut store = common::open_store(cli)?;
    open(&mut store, location, args)
}
