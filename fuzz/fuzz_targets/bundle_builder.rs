//! Structure-aware bundles: the input describes a bundle (members, their
//! names, kinds and order; a manifest that is the golden one as JSON with
//! fields set or removed; the golden database changed by SQL statements and
//! then by a few bytes; the hashes recomputed or not), which is written as a
//! tar, gzip or not, and read like `bundle_reader` does: `inspect`, then
//! `restore --dry-run`. So every check (archive, manifest, members, sizes,
//! hashes, the SQLite and schema checks, the rows) is reached by inputs that
//! pass the checks before it. Members may be preceded by tar extension
//! headers (GNU long names, PAX headers with real records, declared sizes
//! that lie). Never panics; never writes into the data directory.
#![no_main]

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nascfg_bundle::{Limits, RestoreOptions};
use nascfg_crypto::{Fingerprint, Seed};
use nascfg_store::{DataDir, Store};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

static GOLDEN: &[u8] = include_bytes!("../../tests/fixtures/bundles/good-with-seed.tar.gz");
static GOLDEN_NO_SEED: &[u8] = include_bytes!("../../tests/fixtures/bundles/good-no-seed.tar.gz");

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "config.db";
const SEED: &str = "secret-seed";

/// The golden bundle's parts, unpacked with the tar crate (not with the
/// reader under test).
struct Golden {
    manifest: Value,
    manifest_no_seed: Value,
    db: Vec<u8>,
    seed: Vec<u8>,
    fingerprint: Fingerprint,
}

struct World {
    tmp: tempfile::TempDir,
    dir: DataDir,
    before: BTreeMap<PathBuf, Vec<u8>>,
    golden: Golden,
}

fn unpack(gz: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("the golden bundle is a tar") {
        let mut entry = entry.expect("the golden bundle is a tar");
        let name = entry.path().expect("a name").to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .expect("the golden bundle reads");
        out.insert(name, bytes);
    }
    out
}

fn snapshot(dir: &DataDir) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir.path())
        .expect("the data dir")
        .map(|e| e.expect("an entry").path())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a data file");
            (p, bytes)
        })
        .collect()
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = DataDir::new(tmp.path().join("data"));
        drop(Store::open(&dir).expect("a store"));
        let before = snapshot(&dir);
        let with = unpack(GOLDEN);
        let without = unpack(GOLDEN_NO_SEED);
        let json = |m: &BTreeMap<String, Vec<u8>>| {
            serde_json::from_slice(&m[MANIFEST]).expect("the golden manifest")
        };
        let seed = with[SEED].clone();
        let fingerprint = Seed::from_bytes(&seed)
            .expect("the golden seed")
            .fingerprint();
        World {
            golden: Golden {
                manifest: json(&with),
                manifest_no_seed: json(&without),
                db: with[DATABASE].clone(),
                seed,
                fingerprint,
            },
            tmp,
            dir,
            before,
        }
    })
}

#[derive(Arbitrary, Debug, Clone)]
enum Name {
    Manifest,
    Database,
    Seed,
    Other(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum Kind {
    File,
    Symlink,
    Hardlink,
    Directory,
    Fifo,
    Raw(u8),
}

#[derive(Arbitrary, Debug, Clone)]
enum Content {
    Manifest,
    Database,
    Seed,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone)]
struct Member {
    name: Name,
    kind: Kind,
    content: Content,
    /// The header's size minus the data's (a lying header).
    size_delta: i8,
    /// Extension headers written before the member's own.
    extensions: Vec<Extension>,
}

/// A tar extension header: the reader refuses GNU long names and links and
/// PAX global headers from their header alone, and reads a PAX extended
/// header only when small.
#[derive(Arbitrary, Debug, Clone)]
enum Extension {
    /// `L` (or `K` for a link) declaring `declared` bytes, of which only
    /// `body` follows: a huge declaration must be refused, not read.
    GnuLong {
        link: bool,
        declared: u32,
        body: Vec<u8>,
    },
    /// `x` (or `g`) with well-formed records; `pad` adds bytes to the
    /// declared size (up to past the reader's cap).
    Pax {
        global: bool,
        records: Vec<(PaxKey, PaxValue)>,
        pad: u16,
    },
    /// `x` with any bytes as its body.
    PaxRaw(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone)]
enum PaxKey {
    Path,
    Size,
    Mtime,
    Linkpath,
    Sparse,
    Other(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum PaxValue {
    /// One of the bundle's own names, or any.
    Name(Name),
    Number(u64),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Layout {
    /// manifest.json, config.db (and secret-seed), as nascfg writes them.
    Golden,
    /// The golden members in another order, some left out.
    Shuffled(Vec<u8>),
    /// The golden members, then these.
    Extra(Vec<Member>),
    Custom(Vec<Member>),
}

#[derive(Arbitrary, Debug)]
enum Field {
    Format,
    Version,
    Producer,
    Created,
    SchemaVersion,
    SeedFingerprint,
    SeedIncluded,
    Counts,
    CountsCredentials,
    CountsKeypairs,
    Members,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum JsonValue {
    Null,
    Bool(bool),
    Int(i64),
    Small(u8),
    Float(f64),
    Str(String),
    /// The golden fingerprint or a sealed-value-like text.
    Fingerprint,
    Array(Vec<u8>),
    Object,
}

#[derive(Arbitrary, Debug)]
enum MemberField {
    Name,
    Size,
    Sha256,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum ManifestEdit {
    Remove(Field),
    Set(Field, JsonValue),
    MemberRemove(u8),
    MemberDuplicate(u8),
    MemberSet(u8, MemberField, JsonValue),
    MemberAdd(String, u64),
}

#[derive(Arbitrary, Debug)]
enum SqlValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// Another row's value of the same column.
    FromRow(u8),
}

/// A change made through SQLite, so the file stays a valid database and the
/// checks after the file format (schema, rows) see it.
#[derive(Arbitrary, Debug)]
enum SqlEdit {
    UserVersion(i32),
    Update {
        table: u8,
        column: u8,
        row: u8,
        value: SqlValue,
    },
    Delete {
        table: u8,
        row: u8,
    },
    Duplicate {
        table: u8,
        row: u8,
    },
    Drop(u8),
    Extra(u8),
    Meta(String, String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    with_seed: bool,
    layout: Layout,
    manifest_edits: Vec<ManifestEdit>,
    pretty: bool,
    sql_edits: Vec<SqlEdit>,
    /// (offset, value) into the database file, after the SQL edits.
    byte_edits: Vec<(u16, u8)>,
    seed_edit: Option<(u8, u8)>,
    /// Set the members' sizes and hashes in the manifest to the data's.
    fix_hashes: bool,
    end_blocks: u8,
    trailing: Vec<u8>,
    gzip: bool,
    truncate: Option<u16>,
    /// 0: no fingerprint for `inspect`; 1: the golden seed's; else another.
    this_box: u8,
}

const TABLES: &[&str] = &[
    "meta",
    "credential",
    "credential_secret",
    "keypair",
    "known_host",
];
const EXTRAS: &[&str] = &[
    "CREATE TABLE extra (x)",
    "CREATE INDEX extra_idx ON credential (provider)",
    "CREATE VIEW extra_view AS SELECT name FROM credential",
    "CREATE TRIGGER extra_trg AFTER INSERT ON meta BEGIN DELETE FROM credential; END",
    "CREATE TABLE sqlite_stat1 (tbl, idx, stat)",
    "ANALYZE",
    "PRAGMA journal_mode = WAL",
    "PRAGMA page_size = 512; VACUUM",
    "PRAGMA auto_vacuum = FULL; VACUUM",
    "PRAGMA encoding = 'UTF-16le'",
];

fn to_sql(value: &SqlValue) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        SqlValue::Null | SqlValue::FromRow(_) => V::Null,
        SqlValue::Int(i) => V::Integer(*i),
        SqlValue::Real(f) => V::Real(*f),
        SqlValue::Text(s) => V::Text(s.clone()),
        SqlValue::Blob(b) => V::Blob(b.clone()),
    }
}

/// Applies the SQL edits to a copy of the golden database; errors of
/// individual statements are ignored (the next one still runs).
fn edit_database(path: &Path, edits: &[SqlEdit]) {
    let Ok(conn) = rusqlite::Connection::open(path) else {
        return;
    };
    for edit in edits.iter().take(8) {
        let table = |t: &u8| TABLES[usize::from(*t) % TABLES.len()];
        let _ = match edit {
            SqlEdit::UserVersion(v) => conn.execute_batch(&format!("PRAGMA user_version = {v}")),
            SqlEdit::Update {
                table: t,
                column,
                row,
                value,
            } => {
                let t = table(t);
                let columns: Vec<String> = conn
                    .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
                    .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                    .unwrap_or_default();
                if columns.is_empty() {
                    continue;
                }
                let c = &columns[usize::from(*column) % columns.len()];
                let value = match value {
                    SqlValue::FromRow(r) => conn
                        .query_row(
                            &format!("SELECT \"{c}\" FROM {t} LIMIT 1 OFFSET {r}"),
                            [],
                            |r| r.get::<_, rusqlite::types::Value>(0),
                        )
                        .unwrap_or(rusqlite::types::Value::Null),
                    other => to_sql(other),
                };
                // By rowid; WITHOUT ROWID tables (credential_secret): every row.
                let by_row = format!(
                    "UPDATE {t} SET \"{c}\" = ?1 WHERE rowid = \
                     (SELECT rowid FROM {t} LIMIT 1 OFFSET {row})"
                );
                conn.execute(&by_row, [value.clone()])
                    .or_else(|_| conn.execute(&format!("UPDATE {t} SET \"{c}\" = ?1"), [value]))
                    .map(drop)
            }
            SqlEdit::Delete { table: t, row } => {
                let t = table(t);
                conn.execute_batch(&format!(
                    "DELETE FROM {t} WHERE rowid = (SELECT rowid FROM {t} LIMIT 1 OFFSET {row})"
                ))
            }
            SqlEdit::Duplicate { table: t, row } => {
                let t = table(t);
                conn.execute_batch(&format!(
                    "INSERT OR IGNORE INTO {t} SELECT * FROM {t} LIMIT 1 OFFSET {row}"
                ))
            }
            SqlEdit::Drop(t) => conn.execute_batch(&format!("DROP TABLE {}", table(t))),
            SqlEdit::Extra(i) => conn.execute_batch(EXTRAS[usize::from(*i) % EXTRAS.len()]),
            SqlEdit::Meta(k, v) => conn
                .execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                    [k, v],
                )
                .map(drop),
        };
    }
}

fn json_value(v: &JsonValue, g: &Golden) -> Value {
    match v {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::from(*b),
        JsonValue::Int(i) => Value::from(*i),
        JsonValue::Small(i) => Value::from(*i),
        JsonValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        JsonValue::Str(s) => Value::from(s.as_str()),
        JsonValue::Fingerprint => Value::from(g.fingerprint.to_string()),
        JsonValue::Array(a) => Value::from(a.clone()),
        JsonValue::Object => serde_json::json!({}),
    }
}

fn key(f: &Field) -> (&str, Option<&str>) {
    match f {
        Field::Format => ("format", None),
        Field::Version => ("version", None),
        Field::Producer => ("producer", None),
        Field::Created => ("created", None),
        Field::SchemaVersion => ("schema_version", None),
        Field::SeedFingerprint => ("seed_fingerprint", None),
        Field::SeedIncluded => ("seed_included", None),
        Field::Counts => ("counts", None),
        Field::CountsCredentials => ("counts", Some("credentials")),
        Field::CountsKeypairs => ("counts", Some("keypairs")),
        Field::Members => ("members", None),
        Field::Other(s) => (s.as_str(), None),
    }
}

fn edit_manifest(m: &mut Value, edits: &[ManifestEdit], g: &Golden) {
    for edit in edits.iter().take(8) {
        let Some(obj) = m.as_object_mut() else { return };
        let members_len = obj
            .get("members")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let members = obj.get_mut("members").and_then(Value::as_array_mut);
        let pick = |i: &u8| usize::from(*i) % members_len.max(1);
        match edit {
            ManifestEdit::Remove(f) => match key(f) {
                (k, None) => drop(obj.remove(k)),
                (k, Some(sub)) => {
                    if let Some(o) = obj.get_mut(k).and_then(Value::as_object_mut) {
                        o.remove(sub);
                    }
                }
            },
            ManifestEdit::Set(f, v) => {
                let v = json_value(v, g);
                match key(f) {
                    (k, None) => drop(obj.insert(k.to_owned(), v)),
                    (k, Some(sub)) => {
                        if let Some(o) = obj.get_mut(k).and_then(Value::as_object_mut) {
                            o.insert(sub.to_owned(), v);
                        }
                    }
                }
            }
            ManifestEdit::MemberRemove(i) => {
                if let Some(ms) = members.filter(|ms| !ms.is_empty()) {
                    ms.remove(pick(i));
                }
            }
            ManifestEdit::MemberDuplicate(i) => {
                if let Some(ms) = members.filter(|ms| !ms.is_empty()) {
                    let copy = ms[pick(i)].clone();
                    ms.push(copy);
                }
            }
            ManifestEdit::MemberSet(i, field, v) => {
                if let Some(entry) = members
                    .filter(|ms| !ms.is_empty())
                    .and_then(|ms| ms[pick(i)].as_object_mut())
                {
                    let k = match field {
                        MemberField::Name => "name",
                        MemberField::Size => "size",
                        MemberField::Sha256 => "sha256",
                        MemberField::Other(s) => s.as_str(),
                    };
                    entry.insert(k.to_owned(), json_value(v, g));
                }
            }
            ManifestEdit::MemberAdd(name, size) => {
                if let Some(ms) = members {
                    ms.push(serde_json::json!({"name": name, "size": size,
                        "sha256": hex(&Sha256::digest(b""))}));
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sets each manifest entry's size and hash to those of the data of the
/// member of that name.
fn fix_hashes(m: &mut Value, data: &BTreeMap<&str, &[u8]>) {
    let Some(ms) = m.get_mut("members").and_then(Value::as_array_mut) else {
        return;
    };
    for entry in ms.iter_mut().filter_map(Value::as_object_mut) {
        let Some(bytes) = entry
            .get("name")
            .and_then(Value::as_str)
            .and_then(|n| data.get(n))
        else {
            continue;
        };
        let (size, sha) = (bytes.len(), hex(&Sha256::digest(bytes)));
        entry.insert("size".into(), Value::from(size));
        entry.insert("sha256".into(), Value::from(sha));
    }
}

fn name_bytes(name: &Name) -> &[u8] {
    match name {
        Name::Manifest => MANIFEST.as_bytes(),
        Name::Database => DATABASE.as_bytes(),
        Name::Seed => SEED.as_bytes(),
        Name::Other(s) => s.as_bytes(),
    }
}

/// A PAX record, `LEN key=value\n`, its length counting itself.
fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len.to_string().len() + rest > len {
        len += 1;
    }
    let mut out = format!("{len} ").into_bytes();
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

/// Writes an extension header and the part of its body that is there.
fn write_extension(tar: &mut Vec<u8>, ext: &Extension) {
    let (kind, declared, body) = match ext {
        Extension::GnuLong {
            link,
            declared,
            body,
        } => {
            let body: Vec<u8> = body.iter().copied().take(4096).collect();
            (if *link { b'K' } else { b'L' }, u64::from(*declared), body)
        }
        Extension::Pax {
            global,
            records,
            pad,
        } => {
            let mut body = Vec::new();
            for (key, value) in records.iter().take(8) {
                let key: &[u8] = match key {
                    PaxKey::Path => b"path",
                    PaxKey::Size => b"size",
                    PaxKey::Mtime => b"mtime",
                    PaxKey::Linkpath => b"linkpath",
                    PaxKey::Sparse => b"GNU.sparse.map",
                    PaxKey::Other(k) => k.as_bytes(),
                };
                let number;
                let value: &[u8] = match value {
                    PaxValue::Name(n) => name_bytes(n),
                    PaxValue::Number(n) => {
                        number = n.to_string();
                        number.as_bytes()
                    }
                    PaxValue::Bytes(b) => b,
                };
                body.extend_from_slice(&pax_record(key, value));
            }
            let declared = body.len() as u64 + u64::from(*pad);
            (if *global { b'g' } else { b'x' }, declared, body)
        }
        Extension::PaxRaw(body) => (b'x', body.len() as u64, body.clone()),
    };
    tar.extend_from_slice(&header(b"././@LongLink", kind, declared));
    let end = tar.len()
        + usize::try_from(declared)
            .unwrap_or(usize::MAX)
            .min(body.len() + 4096);
    tar.extend_from_slice(&body);
    if tar.len() < end {
        tar.resize(end, 0);
    }
    tar.resize(tar.len().next_multiple_of(512), 0);
}

/// One raw 512-byte ustar header: any name bytes, any kind.
fn header(name: &[u8], kind: u8, size: u64) -> [u8; 512] {
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o600);
    h.set_size(size);
    h.set_mtime(1_767_225_600);
    h.set_entry_type(tar::EntryType::new(kind));
    let old = h.as_old_mut();
    let n = name.len().min(100);
    old.name[..n].copy_from_slice(&name[..n]);
    if kind == b'1' || kind == b'2' {
        old.linkname[..9].copy_from_slice(b"config.db");
    }
    h.set_cksum();
    *h.as_bytes()
}

fn build(input: &Input, g: &Golden) -> Vec<u8> {
    let w = world();
    // The database: SQL edits on a copy, then byte edits.
    let mut db = g.db.clone();
    if !input.sql_edits.is_empty() {
        let path = w.tmp.path().join("edit.db");
        let _ = std::fs::remove_file(&path);
        for suffix in ["-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(w.tmp.path().join(format!("edit.db{suffix}")));
        }
        std::fs::write(&path, &db).expect("write the copy");
        edit_database(&path, &input.sql_edits);
        db = std::fs::read(&path).expect("read the copy");
    }
    for (offset, value) in input.byte_edits.iter().take(16) {
        if !db.is_empty() {
            let i = usize::from(*offset) * db.len() / 65536;
            db[i] = *value;
        }
    }
    let mut seed = g.seed.clone();
    if let Some((i, v)) = input.seed_edit {
        seed[usize::from(i) % 32] = v;
    }
    let golden_len = if input.with_seed { 3 } else { 2 };
    let file = |i: usize| {
        let (name, content) = [
            (Name::Manifest, Content::Manifest),
            (Name::Database, Content::Database),
            (Name::Seed, Content::Seed),
        ][i % golden_len]
            .clone();
        Member {
            name,
            kind: Kind::File,
            content,
            size_delta: 0,
            extensions: Vec::new(),
        }
    };
    let members: Vec<Member> = match &input.layout {
        Layout::Golden => (0..golden_len).map(file).collect(),
        Layout::Shuffled(order) => order
            .iter()
            .take(6)
            .map(|i| file(usize::from(*i)))
            .collect(),
        Layout::Extra(extra) => (0..golden_len)
            .map(file)
            .chain(extra.iter().take(4).cloned())
            .collect(),
        Layout::Custom(ms) => ms.iter().take(8).cloned().collect(),
    };
    build_members(input, g, members.iter(), &db, &seed)
}

fn build_members<'a>(
    input: &Input,
    g: &Golden,
    members: impl Iterator<Item = &'a Member>,
    db: &[u8],
    seed: &[u8],
) -> Vec<u8> {
    let mut manifest = if input.with_seed {
        g.manifest.clone()
    } else {
        g.manifest_no_seed.clone()
    };
    edit_manifest(&mut manifest, &input.manifest_edits, g);
    if input.fix_hashes {
        let data = BTreeMap::from([(DATABASE, db), (SEED, seed)]);
        fix_hashes(&mut manifest, &data);
    }
    let manifest = if input.pretty {
        serde_json::to_vec_pretty(&manifest)
    } else {
        serde_json::to_vec(&manifest)
    }
    .expect("JSON serializes");
    let mut tar = Vec::new();
    for m in members {
        for ext in m.extensions.iter().take(3) {
            write_extension(&mut tar, ext);
        }
        let name = name_bytes(&m.name);
        let data: &[u8] = match &m.content {
            Content::Manifest => &manifest,
            Content::Database => db,
            Content::Seed => seed,
            Content::Bytes(b) => b,
        };
        let kind = match m.kind {
            Kind::File => b'0',
            Kind::Symlink => b'2',
            Kind::Hardlink => b'1',
            Kind::Directory => b'5',
            Kind::Fifo => b'6',
            Kind::Raw(k) => k,
        };
        let size = (data.len() as i64 + i64::from(m.size_delta)).max(0) as u64;
        tar.extend_from_slice(&header(name, kind, size));
        tar.extend_from_slice(data);
        tar.resize(tar.len().next_multiple_of(512), 0);
    }
    tar.resize(tar.len() + 512 * usize::from(input.end_blocks % 4), 0);
    tar.extend_from_slice(&input.trailing);
    let mut out = if input.gzip {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).expect("in memory");
        gz.finish().expect("in memory")
    } else {
        tar
    };
    if let Some(t) = input.truncate {
        out.truncate(usize::from(t) * out.len() / 65536);
    }
    out
}

fuzz_target!(|input: Input| {
    let w = world();
    let bytes = build(&input, &w.golden);
    let _ = nascfg_tar::read_members(
        &bytes[..],
        &Limits {
            max_total_size: 8 << 20,
            ..Limits::default()
        },
        |_| true,
    );
    let path = w.tmp.path().join("input.bundle");
    std::fs::write(&path, &bytes).expect("write the input");
    let this_box = match input.this_box {
        0 => None,
        1 => Some(w.golden.fingerprint.clone()),
        _ => Some(
            Seed::from_bytes(&[input.this_box; 32])
                .expect("32 bytes")
                .fingerprint(),
        ),
    };
    let _ = nascfg_bundle::inspect(&path, &nascfg_bundle::UnlockWith::none(), this_box.as_ref());
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
    let _ = nascfg_bundle::restore(&w.dir, &path, &options);
    assert!(snapshot(&w.dir) == w.before, "the data directory changed");
});
