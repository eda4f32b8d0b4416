//! Arbitrary bytes as a bundle file: `inspect`, then `restore --dry-run`
//! into a data directory. Never panics, and never writes into the data
//! directory (its bytes are checked after every input).
#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nascfg_bundle::{Limits, RestoreOptions};
use nascfg_store::{DataDir, Store};

struct World {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    input: PathBuf,
    before: BTreeMap<PathBuf, Vec<u8>>,
}

fn snapshot(dir: &DataDir) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path().join("data"));
        drop(Store::open(&dir).unwrap());
        let input = tmp.path().join("input.bundle");
        let before = snapshot(&dir);
        World {
            _tmp: tmp,
            dir,
            input,
            before,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    // The archive reader on its own, plain or gzip.
    let _ = nascfg_tar::read_members(
        data,
        &Limits {
            max_total_size: 8 << 20,
            ..Limits::default()
        },
        |_| true,
    );
    std::fs::write(&w.input, data).unwrap();
    let _ = nascfg_bundle::inspect(&w.input, &nascfg_bundle::UnlockWith::none(), None);
    let options = RestoreOptions {
        dry_run: true,
        allow_lost_secrets: true,
        limits: Limits {
            max_total_size: 8 << 20,
            max_member_size: 8 << 20,
            ..nascfg_bundle::bundle_limits()
        },
        ..Default::default()
    };
    let _ = nascfg_bundle::restore(&w.dir, &w.input, &options);
    assert!(snapshot(&w.dir) == w.before, "the data directory changed");
});
