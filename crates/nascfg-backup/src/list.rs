//! The bundles at a location.

use std::io::Write;

use nascfg_remote::{BundleName, Storage};

use crate::error::Result;

/// The bundles at a storage's location, newest first, with their sizes.
/// Other objects are left out.
pub fn bundles(storage: &Storage) -> Result<Vec<(BundleName, u64)>> {
    let mut found: Vec<(BundleName, u64)> = storage
        .list()?
        .into_iter()
        .filter_map(|o| BundleName::parse(&o.name).map(|b| (b, o.size)))
        .collect();
    found.sort_by(|a, b| BundleName::newest_first(&a.0, &b.0));
    Ok(found)
}

/// One bundle at a location, as `backup list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name (host, time, sequence, whether encrypted).
    pub bundle: BundleName,
    /// `CRED:PATH/NAME`.
    pub location: String,
    /// When it was made (RFC 3339, from its name).
    pub created: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it holds the secret seed; `None` when that cannot be told
    /// (encrypted: its manifest needs the passphrase; or unreadable).
    pub seed_included: Option<bool>,
    /// Its name is dated beyond [`nascfg_remote::CLOCK_SKEW`] after now: not
    /// ours (planted, or a box with a broken clock), never anyone's newest.
    pub future: bool,
}

/// The bundles at a storage's location, newest first. The manifest is the
/// first member: an unencrypted bundle's first 64 KiB tell whether it holds
/// the seed (only those are read). An encrypted one's do not without its
/// passphrase.
pub fn list(storage: &Storage) -> Result<Vec<Listed>> {
    let mut rows = Vec::new();
    let now = time::OffsetDateTime::now_utc();
    for (bundle, size) in bundles(storage)? {
        let seed_included = if bundle.encrypted() {
            None
        } else {
            let mut head = Head {
                bytes: Vec::new(),
                limit: 64 << 10,
            };
            let _ = storage.get(bundle.name(), &mut head);
            nascfg_bundle::peek_manifest(&head.bytes)
                .ok()
                .map(|m| m.seed_included)
        };
        let created = bundle
            .created()
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a parsed time formats");
        rows.push(Listed {
            future: bundle.is_future(now, nascfg_remote::CLOCK_SKEW),
            location: storage.location().join(bundle.name()),
            bundle,
            created,
            size,
            seed_included,
        });
    }
    Ok(rows)
}

/// Collects the first `limit` bytes, then refuses more (which ends the read).
struct Head {
    bytes: Vec<u8>,
    limit: usize,
}

impl Write for Head {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.limit - self.bytes.len();
        if room == 0 {
            return Err(std::io::Error::other("enough read"));
        }
        let n = buf.len().min(room);
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
