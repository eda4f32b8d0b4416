//! Writing a bundle: snapshot, manifest, tar, gzip, optionally age.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nascfg_crypto::secrecy::SecretString;
use nascfg_crypto::{PassphraseWriter, WorkFactor};
use nascfg_store::Store;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::manifest::{
    Counts, DATABASE_NAME, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME, Manifest, MemberEntry,
    SEED_NAME,
};

pub(crate) const IO_BUFFER: usize = 1 << 20;

/// Reports progress of a long export or restore: `(bytes done, bytes in all)`.
pub type ProgressFn<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// How to write a bundle.
#[derive(Clone, Default)]
pub struct ExportOptions<'a> {
    /// Put the secret seed into the bundle (warn the user when there is no
    /// passphrase: anyone with the file can then open every secret).
    pub include_seed: bool,
    /// Encrypt the whole bundle to this passphrase (age, scrypt recipient).
    pub passphrase: Option<SecretString>,
    /// The scrypt work factor for the passphrase (tests use a small one).
    pub work_factor: WorkFactor,
    /// The creation time to record (default: now). Fixed in golden bundles.
    pub created: Option<OffsetDateTime>,
    /// Called as the database is written.
    pub progress: Option<ProgressFn<'a>>,
}

impl std::fmt::Debug for ExportOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportOptions")
            .field("include_seed", &self.include_seed)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "********"))
            .field("work_factor", &self.work_factor)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// What [`export`] wrote.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// The bundle file.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it is passphrase-protected.
    pub encrypted: bool,
}

/// The default file name of a bundle:
/// `nascfg-<host>-<YYYYmmddTHHMMSSZ>.tar.gz`, `.age` appended when encrypted.
pub fn default_bundle_name(host: &str, at: OffsetDateTime, encrypted: bool) -> String {
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let host = if host.is_empty() {
        "box".to_owned()
    } else {
        host
    };
    let at = at.to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    let age = if encrypted { ".age" } else { "" };
    format!("nascfg-{host}-{stamp}.tar.gz{age}")
}

/// [`default_bundle_name`] for this host, now.
pub fn default_bundle_name_now(encrypted: bool) -> String {
    default_bundle_name(&host_name(), OffsetDateTime::now_utc(), encrypted)
}

/// This machine's host name (from the kernel), or `box`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "box".to_owned())
}

/// Writes a bundle of `store` to `out` (mode 0600, through a temporary file
/// beside it that is renamed into place at the end).
///
/// The database is a consistent snapshot ([`Store::snapshot_to`]); it is read
/// twice (hash, then archive) and streamed, so memory does not grow with it.
pub fn export(store: &Store, out: &Path, options: &ExportOptions<'_>) -> Result<ExportReport> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".nascfg-export-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let snapshot = work.path().join(DATABASE_NAME);
    // Writers take the data directory's lock, so holding it makes the
    // snapshot and the counts in the manifest agree. (No integrity check of
    // the snapshot here: it costs as much as the rest of the export, and
    // restore and inspect check it anyway.)
    let info = {
        let _lock = store.data_dir().lock()?;
        store.snapshot_to(&snapshot)?;
        Snapshot {
            schema_version: nascfg_store::SCHEMA_VERSION,
            fingerprint: store.fingerprint()?,
            credentials: store.list_credentials()?.len(),
            keypairs: store.list_keypairs()?.len(),
        }
    };

    let (db_size, db_hash) = hash_file(&snapshot)?;
    let mut members = vec![MemberEntry {
        name: DATABASE_NAME.into(),
        size: db_size,
        sha256: db_hash,
    }];
    let seed = if options.include_seed {
        let seed = store.seed()?;
        if let Some(db) = &info.fingerprint
            && *db != seed.fingerprint()
        {
            return Err(Error::SeedFileMismatch {
                bundle: db.to_string(),
                given: seed.fingerprint().to_string(),
            });
        }
        members.push(MemberEntry {
            name: SEED_NAME.into(),
            size: seed.expose_bytes().len() as u64,
            sha256: hex::encode(Sha256::digest(seed.expose_bytes())),
        });
        Some(seed)
    } else {
        None
    };
    let fingerprint = match (&info.fingerprint, seed) {
        (Some(fp), _) => Some(fp.to_string()),
        (None, Some(seed)) => Some(seed.fingerprint().to_string()),
        (None, None) => None,
    };
    let created = options.created.unwrap_or_else(OffsetDateTime::now_utc);
    let created = created
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(created);
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        producer: format!("nascfg {}", env!("CARGO_PKG_VERSION")),
        created: created
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| Error::Manifest {
                reason: e.to_string(),
            })?,
        schema_version: info.schema_version,
        seed_fingerprint: fingerprint,
        seed_included: seed.is_some(),
        counts: Counts {
            credentials: info.credentials as u64,
            keypairs: info.keypairs as u64,
        },
        members,
    };
    let manifest_bytes = manifest.to_json_bytes();
    let mtime = u64::try_from(created.unix_timestamp()).unwrap_or(0);

    let mut temp = tempfile::Builder::new()
        .prefix(".nascfg-bundle-")
        .tempfile_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(temp.path(), e))?;
    let temp_path = temp.path().to_path_buf();
    let io_err = |e: io::Error| Error::io(&temp_path, e);
    let file = temp.as_file_mut().try_clone().map_err(io_err)?;
    let buffered = BufWriter::with_capacity(IO_BUFFER, file);
    let sink = match &options.passphrase {
        Some(pass) => Sink::Age(nascfg_crypto::encrypt_with_passphrase(
            pass,
            options.work_factor,
            buffered,
        )?),
        None => Sink::Plain(buffered),
    };
    let gzip = ParallelGz::new(sink).map_err(io_err)?;
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);

    append(
        &mut tar,
        MANIFEST_NAME,
        manifest_bytes.len() as u64,
        mtime,
        &mut &manifest_bytes[..],
    )
    .map_err(io_err)?;
    let db = File::open(&snapshot).map_err(|e| Error::io(&snapshot, e))?;
    let mut db = Progress {
        inner: db,
        done: 0,
        total: db_size,
        report: options.progress,
    };
    append(&mut tar, DATABASE_NAME, db_size, mtime, &mut db).map_err(io_err)?;
    if db.done != db_size {
        return Err(Error::io(
            &snapshot,
            io::Error::other("the snapshot changed while being read"),
        ));
    }
    if let Some(seed) = seed {
        let bytes = seed.expose_bytes();
        append(
            &mut tar,
            SEED_NAME,
            bytes.len() as u64,
            mtime,
            &mut &bytes[..],
        )
        .map_err(io_err)?;
    }
    let gzip = tar.into_inner().map_err(io_err)?;
    let sink = gzip.finish().map_err(io_err)?;
    let mut buffered = match sink {
        Sink::Plain(w) => w,
        Sink::Age(w) => w.finish()?,
    };
    buffered.flush().map_err(io_err)?;
    drop(buffered);
    temp.as_file().sync_all().map_err(io_err)?;
    let size = temp.as_file().metadata().map_err(io_err)?.len();
    temp.persist(out).map_err(|e| Error::io(out, e.error))?;
    if let Ok(dir) = File::open(&parent) {
        let _ = dir.sync_all();
    }
    Ok(ExportReport {
        path: out.to_path_buf(),
        manifest,
        size,
        encrypted: options.passphrase.is_some(),
    })
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: &mut dyn Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header.set_path(name)?;
    header.set_cksum();
    tar.append(&header, data.take(size))
}

/// SHA-256 and size of a file, read once with a big buffer.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; IO_BUFFER];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

struct Snapshot {
    schema_version: u32,
    fingerprint: Option<nascfg_crypto::Fingerprint>,
    credentials: usize,
    keypairs: usize,
}

/// Bytes of input per independently deflated chunk.
const CHUNK: usize = 1 << 20;

/// A gzip writer that deflates on every core (as pigz does): the input is cut
/// into 1 MiB chunks, each deflated with a fresh window and ended with a sync
/// flush (the last one finished), so their concatenation is one ordinary
/// gzip member that any decoder reads. Output is byte-for-byte deterministic.
struct ParallelGz<W: Write> {
    out: W,
    crc: flate2::Crc,
    pending: Vec<u8>,
    threads: usize,
}

impl<W: Write> ParallelGz<W> {
    fn new(mut out: W) -> io::Result<Self> {
        // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=4 (fastest) OS=255 (unknown)
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255])?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        Ok(ParallelGz {
            out,
            crc: flate2::Crc::new(),
            pending: Vec::with_capacity(CHUNK * threads),
            threads,
        })
    }

    /// Deflates and writes the pending input; `last` finishes the stream.
    fn drain(&mut self, last: bool) -> io::Result<()> {
        let chunks: Vec<&[u8]> = if self.pending.is_empty() {
            vec![&[]]
        } else {
            self.pending.chunks(CHUNK).collect()
        };
        let count = chunks.len();
        let outputs: Vec<io::Result<Vec<u8>>> = if count == 1 || self.threads == 1 {
            chunks
                .iter()
                .enumerate()
                .map(|(i, c)| deflate_chunk(c, last && i + 1 == count))
                .collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .enumerate()
                    .map(|(i, c)| scope.spawn(move || deflate_chunk(c, last && i + 1 == count)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(io::Error::other("compression thread failed")))
                    })
                    .collect()
            })
        };
        for output in outputs {
            self.out.write_all(&output?)?;
        }
        self.crc.update(&self.pending);
        self.pending.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        self.drain(true)?;
        self.out.write_all(&self.crc.sum().to_le_bytes())?;
        self.out.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ParallelGz<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = CHUNK * self.threads - self.pending.len();
        let n = buf.len().min(room);
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == CHUNK * self.threads {
            self.drain(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Raw deflate of one chunk at level 1: ended by a sync flush (an empty
/// stored block, byte-aligned, not final), or finished when `last`.
fn deflate_chunk(data: &[u8], last: bool) -> io::Result<Vec<u8>> {
    use flate2::{Compress, FlushCompress, Status};
    let mut c = Compress::new(flate2::Compression::fast(), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 4096);
    loop {
        if out.capacity() - out.len() < 4096 {
            out.reserve(out.capacity().max(64 << 10));
        }
        let consumed = usize::try_from(c.total_in())
            .unwrap_or(data.len())
            .min(data.len());
        let status = c
            .compress_vec(&data[consumed..], &mut out, flush)
            .map_err(io::Error::other)?;
        let all_in = usize::try_from(c.total_in()).is_ok_and(|n| n == data.len());
        match status {
            Status::StreamEnd => return Ok(out),
            _ if !last && all_in && out.len() < out.capacity() => return Ok(out),
            _ => {}
        }
    }
}

enum Sink {
    Plain(BufWriter<File>),
    Age(PassphraseWriter<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}

/// Counts bytes read and reports them.
pub(crate) struct Progress<'a, R> {
    pub(crate) inner: R,
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) report: Option<ProgressFn<'a>>,
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if let Some(report) = self.report {
            report(self.done, self.total);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_gzip_is_one_ordinary_member() {
        for len in [0usize, 1, CHUNK - 1, CHUNK, 5 * CHUNK + 12345] {
            let mut state = 1u32;
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if i % 3 == 0 {
                        (state >> 24) as u8
                    } else {
                        b'a' + (i % 7) as u8
                    }
                })
                .collect();
            let mut gz = ParallelGz::new(Vec::new()).unwrap();
            for piece in data.chunks(100_000) {
                gz.write_all(piece).unwrap();
            }
            let bytes = gz.finish().unwrap();
            let mut back = Vec::new();
            let mut decoder = flate2::read::GzDecoder::new(&bytes[..]);
            decoder.read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "len {len}");
            // Nothing after the one member.
            let mut bufread = flate2::bufread::GzDecoder::new(&bytes[..]);
            std::io::copy(&mut bufread, &mut std::io::sink()).unwrap();
            assert!(bufread.into_inner().is_empty(), "len {len}");
        }
    }

    #[test]
    fn default_names() {
        let at = time::macros::datetime!(2026-11-27 09:57:09 UTC);
        assert_eq!(
            default_bundle_name("nas-1", at, false),
            "nascfg-nas-1-20261127T095709Z.tar.gz"
        );
        assert_eq!(
            default_bundle_name("a b/c", at, true),
            "nascfg-a_b_c-20261127T095709Z.tar.gz.age"
        );
        assert_eq!(
            default_bundle_name("", at, false),
            "nascfg-box-20261127T095709Z.tar.gz"
        );
    }
}
