//! Arbitrary bytes as a TrueNAS configuration backup (tar or bare database):
//! the importer reads, checks and validates up to storing (a dry run), and
//! never panics.
#![no_main]

use std::io::Write as _;
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use nascfg_interop::{ImportOptions, truenas};
use nascfg_store::{DataDir, Store};

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
}

fn fixture() -> &'static Mutex<Fixture> {
    static FIXTURE: OnceLock<Mutex<Fixture>> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&DataDir::new(dir.path().join("data"))).expect("store");
        std::fs::write(dir.path().join("pwenc_secret"), [0x42u8; 32]).expect("secret");
        Mutex::new(Fixture { dir, store })
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(mut fx) = fixture().lock() else { return };
    let input = fx.dir.path().join("input");
    let Ok(mut file) = std::fs::File::create(&input) else {
        return;
    };
    if file.write_all(data).is_err() {
        return;
    }
    drop(file);
    let secret = fx.dir.path().join("pwenc_secret");
    let with_secret = data.first().is_some_and(|b| b & 1 == 1);
    let backup = truenas::Backup::read(&input, with_secret.then_some(secret.as_path()));
    if let Ok(backup) = backup {
        let _ = backup.import(
            &mut fx.store,
            &ImportOptions {
                dry_run: true,
                replace: false,
            },
        );
    }
});
