//! A plain bundle is not authenticated: whoever can write it can change its
//! database and recompute the manifest's sizes and SHA-256 sums. Such a
//! database is refused, before the live data is touched, when it carries
//! anything nascfg's schema does not (trigger, view, table, index, changed
//! table) or a row nascfg's own writes would not produce.

use std::path::Path;

use nascfg_bundle::{ExportOptions, RestoreOptions};
use nascfg_store::{DataDir, Store};

use crate::support::{Entry, gzip, members, populate, sha256, tar, tree_hash};

/// A real bundle (with its seed, so that nothing but the database check can
/// refuse it), taken apart: its manifest and members.
struct Real {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    manifest: serde_json::Value,
    members: Vec<(String, Vec<u8>)>,
}

fn real_bundle(include_seed: bool) -> Real {
    let tmp = tempfile::tempdir().unwrap();
    let source = DataDir::new(tmp.path().join("source"));
    populate(
        &source,
        &[(0, "a".into()), (15, "b".into()), (16, "c".into())],
        1,
    );
    let store = Store::open(&source).unwrap();
    let out = tmp.path().join("real.tar.gz");
    nascfg_bundle::export(
        &store,
        &out,
        &ExportOptions {
            include_seed,
            ..Default::default()
        },
    )
    .unwrap();
    // Unsigned, as a tamperer leaves it: these bundles test the database checks.
    let members: Vec<_> = members(&std::fs::read(&out).unwrap())
        .into_iter()
        .filter(|(name, _)| name != "manifest.json.sig")
        .collect();
    Real {
        dir: tmp.path().to_path_buf(),
        manifest: serde_json::from_slice(&members[0].1).unwrap(),
        members,
        _tmp: tmp,
    }
}

impl Real {
    /// The bundle with `sql` run on its database, the manifest's size and
    /// SHA-256 of the database recomputed to match.
    fn altered(&self, label: &str, sql: &str) -> Vec<u8> {
        let db = self.dir.join(format!("{label}.db"));
        std::fs::write(&db, &self.members[1].1).unwrap();
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let bytes = std::fs::read(&db).unwrap();
        let mut manifest = self.manifest.clone();
        manifest["members"][0]["size"] = bytes.len().into();
        manifest["members"][0]["sha256"] = sha256(&bytes).into();
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let mut entries = vec![
            Entry::file("manifest.json", &manifest),
            Entry::file("config.db", &bytes),
        ];
        entries.extend(self.members[2..].iter().map(|(n, d)| Entry::file(n, d)));
        gzip(&tar(&entries))
    }
}

/// The bundle `bytes` is refused by restore and by inspect with `expected`
/// (a prefix of the error's Debug form), and the box it was restored into
/// stays byte-for-byte the same.
fn check_refused(label: &str, bytes: &[u8], expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let target = DataDir::new(tmp.path().join("target"));
    populate(&target, &[(0, "t".into())], 0);
    let path = tmp.path().join(format!("{label}.tar.gz"));
    std::fs::write(&path, bytes).unwrap();
    let before = tree_hash(target.path());
    let err = nascfg_bundle::restore(&target, &path, &RestoreOptions::default()).expect_err(label);
    let shown = format!("{err:?}");
    assert!(shown.starts_with(expected), "{label}: {shown} ({err})");
    assert_eq!(
        before,
        tree_hash(target.path()),
        "{label}: the data directory changed"
    );
    let err =
        nascfg_bundle::inspect(&path, &nascfg_bundle::UnlockWith::none(), None).expect_err(label);
    assert!(format!("{err:?}").starts_with(expected), "{label}: {err:?}");
}

const FOREIGN: &str = "Store(ForeignSchema";
const INVALID: &str = "Store(InvalidRow";

#[test]
fn foreign_schema_objects_are_refused() {
    let real = real_bundle(true);
    for (label, sql, expected) in [
        (
            "trigger-on-insert",
            "CREATE TRIGGER rewrite AFTER INSERT ON credential BEGIN \
             UPDATE credential SET attributes = replace(attributes, 'example.com', 'attacker.example'); END;",
            FOREIGN,
        ),
        (
            "trigger-on-update",
            "CREATE TRIGGER rewrite AFTER UPDATE ON credential BEGIN \
             UPDATE credential SET attributes = replace(attributes, 'example.com', 'attacker.example'); END;",
            FOREIGN,
        ),
        (
            "view",
            "CREATE VIEW everything AS SELECT * FROM credential_secret;",
            FOREIGN,
        ),
        ("extra-table", "CREATE TABLE extra(x);", FOREIGN),
        (
            "extra-index",
            "CREATE INDEX by_provider ON credential(provider);",
            FOREIGN,
        ),
        (
            "changed-table",
            "DROP TABLE known_host; CREATE TABLE known_host(host, port, key);",
            FOREIGN,
        ),
        ("missing-table", "DROP TABLE known_host;", FOREIGN),
    ] {
        check_refused(label, &real.altered(label, sql), expected);
    }
}

#[test]
fn rows_nascfg_would_not_write_are_refused() {
    let real = real_bundle(true);
    let first = "WHERE id = (SELECT min(id) FROM credential)";
    for (label, sql) in [
        // `cred add` would refuse it: fields its provider does not have, none it needs.
        (
            "invalid-credential",
            &format!("UPDATE credential SET attributes = '{{\"bogus\": 1}}' {first};") as &str,
        ),
        (
            "attributes-not-json",
            &format!("UPDATE credential SET attributes = 'not json' {first};"),
        ),
        (
            "unknown-provider",
            &format!("UPDATE credential SET provider = 'GOPHER' {first};"),
        ),
        (
            "malformed-uid",
            &format!("UPDATE credential SET uid = 'x' {first};"),
        ),
        (
            "name-not-text",
            // A blob: TEXT affinity would turn a number into text, not a blob.
            &format!("UPDATE credential SET name = X'6f6666' {first};"),
        ),
        (
            "secret-unsealed",
            "UPDATE credential SET attributes = json_set(attributes, '$.' || \
             (SELECT field FROM credential_secret s WHERE s.credential_id = credential.id ORDER BY field LIMIT 1), 'plain') \
             WHERE id = (SELECT min(credential_id) FROM credential_secret);",
        ),
        (
            "sealed-malformed",
            "UPDATE credential_secret SET sealed = 'garbage';",
        ),
        (
            "sealed-for-a-plain-field",
            "INSERT INTO credential_secret SELECT id, 'name', 'x' FROM credential LIMIT 1;",
        ),
        (
            "orphan-secret",
            "PRAGMA foreign_keys = OFF; INSERT INTO credential_secret VALUES (999999, 'pass', 'x');",
        ),
        // Text that is not UTF-8 (rusqlite's conversion panicked on it; found
        // by the bundle_builder fuzz target in a key pair's sealed private key).
        (
            "keypair-sealed-not-utf8",
            "UPDATE keypair SET private_key_sealed = CAST(X'6e737631ff' AS TEXT);",
        ),
        (
            "name-not-utf8",
            &format!("UPDATE credential SET name = CAST(X'6fff66' AS TEXT) {first};"),
        ),
        (
            "meta-not-utf8",
            "INSERT INTO meta VALUES (CAST(X'ff' AS TEXT), 'x');",
        ),
        (
            "keypair-public-key",
            "UPDATE keypair SET public_key = 'ssh-ed25519 AAAA';",
        ),
        (
            "timestamp",
            &format!("UPDATE credential SET created_at = 'yesterday' {first};"),
        ),
    ] {
        check_refused(label, &real.altered(label, sql), INVALID);
    }
}

/// A sealed value of no credential is refused wherever it sorts: before
/// every credential, between two, after all, or with an id that is no
/// integer. The row checks meet values beside their credential only; the
/// rest are counted.
#[test]
fn orphan_sealed_values_are_refused_wherever_they_are() {
    let real = real_bundle(true);
    let off = "PRAGMA foreign_keys = OFF;";
    // Ids 10, 20, 30, the sealed values moved with them.
    let spread = "UPDATE credential SET id = id * 10; \
                  UPDATE credential_secret SET credential_id = credential_id * 10;";
    for (label, orphan) in [
        ("orphan-first", "-5"),
        ("orphan-between", "15"),
        ("orphan-last", "999999"),
        ("orphan-text-id", "'x'"),
        ("orphan-real-id", "10.5"),
        ("orphan-blob-id", "X'0a'"),
    ] {
        let sql =
            format!("{off} {spread} INSERT INTO credential_secret VALUES ({orphan}, 'pass', 'x');");
        let bytes = real.altered(label, &sql);
        check_refused(label, &bytes, INVALID);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("b.tar.gz");
        std::fs::write(&path, bytes).unwrap();
        let err = nascfg_bundle::inspect(&path, &nascfg_bundle::UnlockWith::none(), None)
            .expect_err(label);
        assert!(
            err.to_string().contains("1 sealed value(s)")
                && err.to_string().contains("belong to no credential"),
            "{label}: {err}"
        );
    }
    // Spread alone is a good bundle: the checks count what they met.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("spread.tar.gz");
    std::fs::write(&path, real.altered("spread", &format!("{off} {spread}"))).unwrap();
    let target = DataDir::new(tmp.path().join("target"));
    nascfg_bundle::restore(&target, &path, &RestoreOptions::default()).unwrap();
}

/// The same bundle untouched restores, and the live database then has
/// exactly the schema of a fresh store.
#[test]
fn an_untouched_bundle_restores_with_exactly_our_schema() {
    let real = real_bundle(true);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("untouched.tar.gz");
    std::fs::write(&path, real.altered("untouched", "")).unwrap();
    let target = DataDir::new(tmp.path().join("target"));
    nascfg_bundle::restore(&target, &path, &RestoreOptions::default()).unwrap();
    let fresh = DataDir::new(tmp.path().join("fresh"));
    drop(Store::open(&fresh).unwrap());
    assert_eq!(schema(&target.db_path()), schema(&fresh.db_path()));
}

fn schema(db: &Path) -> Vec<(String, String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The fuzz seed `fuzz/corpus/bundle_reader/trigger-plain.tar.gz` (a plain
/// bundle without its seed, carrying the trigger of the threat in
/// docs/SECURITY.md; made by `Real::altered` on `real_bundle(false)`) is what
/// it says: refused by the schema check alone.
#[test]
fn the_fuzz_seed_is_a_trigger_bundle() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/bundle_reader/trigger-plain.tar.gz");
    let bytes = std::fs::read(&path).unwrap();
    check_refused("fuzz-seed", &bytes, FOREIGN);
}
