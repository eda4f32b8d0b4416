//! The API's audit log: `api-audit.log` in the data directory, one JSON
//! object a line, mode 0600. Who (the key's id and name, the peer address),
//! which method, which credential (id and name), the result; never a value.
//! Bounded: past [`MAX_LOG`] bytes the file becomes `api-audit.log.1`
//! (replacing the one before) and a new one starts.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

/// The size past which the log is rotated.
const MAX_LOG: u64 = 1024 * 1024;

/// The file's name in the data directory.
pub(crate) const AUDIT_FILE: &str = "api-audit.log";

/// Appends records; one writer per server, so lines never interleave.
#[derive(Debug)]
pub(crate) struct Audit {
    path: PathBuf,
    lock: Mutex<()>,
}

/// One record's subject.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry<'a> {
    pub(crate) key: Option<(i64, &'a str)>,
    pub(crate) peer: Option<IpAddr>,
    pub(crate) method: &'a str,
    pub(crate) credential_id: Option<i64>,
    pub(crate) credential_name: Option<&'a str>,
    /// `ok`, or the error's name (`EINVAL`, `EACCES`, ...).
    pub(crate) result: &'a str,
}

impl Audit {
    pub(crate) fn new(data_dir: &std::path::Path) -> Audit {
        Audit {
            path: data_dir.join(AUDIT_FILE),
            lock: Mutex::new(()),
        }
    }

    /// Writes one record. A failure to write is reported on standard error
    /// and does not fail the call (the change is already made).
    pub(crate) fn record(&self, entry: &Entry<'_>) {
        let mut doc = Map::new();
        doc.insert(
            "time".into(),
            Value::String(
                time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
        );
        if let Some((id, name)) = entry.key {
            doc.insert("key".into(), json!({"id": id, "name": name}));
        }
        if let Some(peer) = entry.peer {
            doc.insert("peer".into(), Value::String(peer.to_string()));
        }
        doc.insert("method".into(), Value::String(entry.method.into()));
        if entry.credential_id.is_some() || entry.credential_name.is_some() {
            doc.insert(
                "credential".into(),
                json!({
                    "id": entry.credential_id,
                    "name": entry.credential_name.map(crate::api::shown_plain),
                }),
            );
        }
        doc.insert("result".into(), Value::String(entry.result.into()));
        let mut line = Value::Object(doc).to_string();
        line.push('\n');
        let _held = self.lock.lock().expect("no panics under the audit lock");
        if let Err(e) = self.append(line.as_bytes()) {
            eprintln!(
                "nascfg serve: cannot write the API audit log {}: {e}",
                self.path.display()
            );
        }
    }

    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() + line.len() as u64 > MAX_LOG) {
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            std::fs::rename(&self.path, old)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)?;
        file.write_all(line)
    }
}
