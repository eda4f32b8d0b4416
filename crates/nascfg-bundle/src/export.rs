//! Writing a bundle: snapshot, manifest, tar, gzip, optionally age.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use gzp::ZWriter;
use gzp::deflate::Gzip;
use gzp::par::compress::{ParCompress, ParCompressBuilder};
use nascfg_crypto::secrecy::SecretString;
use nascfg_crypto::{AgeWriter, Recipient, WorkFactor};
use nascfg_store::Store;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::manifest::{
    Counts, DATABASE_NAME, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME, Manifest, MemberEntry,
    SEED_NAME,
};
use crate::progress::{IO_BUFFER, Progress, ProgressFn};
use crate::signature::{SIGNATURE_NAME, Signer, sign_manifest, signed_by};

/// How to write a bundle.
#[derive(Clone, Default)]
pub struct ExportOptions<'a> {
    /// Put the secret seed into the bundle (warn the user when there is no
    /// passphrase: anyone with the file can then open every secret).
    pub include_seed: bool,
    /// Encrypt the whole bundle to this passphrase (age, scrypt recipient).
    pub passphrase: Option<SecretString>,
    /// Encrypt the whole bundle to these public keys instead (age X25519,
    /// ssh-ed25519, ssh-rsa): a box that includes its seed then holds
    /// nothing that opens its own bundle. With a passphrase too, refused
    /// ([`Error::PassphraseAndRecipients`]) before anything is written.
    pub recipients: Vec<Recipient>,
    /// The scrypt work factor for the passphrase (tests use a small one).
    pub work_factor: WorkFactor,
    /// The creation time to record (default: now). Fixed in golden bundles.
    pub created: Option<OffsetDateTime>,
    /// Called as the database is written.
    pub progress: Option<ProgressFn<'a>>,
    /// What to do when the output file already exists.
    pub existing: Existing,
    /// Record the configuration's content digest (`content_sha256`) in the
    /// manifest. It opens every secret, which costs more than the rest of an
    /// export of a large store, so only `backup push` asks (its
    /// `--if-changed` compares it); a plain export leaves it out.
    pub content_digest: bool,
}

/// What [`export`] does when its output file already exists. Whatever the
/// choice, the bundle is written to a temporary file first and only a
/// complete, synced bundle ever gets the final name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Existing {
    /// Refuse with [`Error::OutputExists`] and leave the file untouched
    /// (checked before any work and again, atomically, at the final link).
    #[default]
    Refuse,
    /// Replace it (an atomic rename over it).
    Replace,
    /// Pick the next free name by inserting `-1`, `-2`, ... before the
    /// extension (`nascfg-nas-20261201T101500Z-1.tar.gz`): for default names,
    /// so two exports in the same second keep both files.
    NextFreeName,
}

nascfg_credentials::redacted_debug!(ExportOptions<'a> { include_seed, passphrase: |e| e.passphrase.as_ref().map(|_| "********"), recipients, work_factor, created, existing, content_digest, .. });

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
    /// Who signed it: the box's signing key, or unsigned when the box
    /// could not open its seed.
    pub signer: Signer,
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
    let stamp = at
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a date-time has every part the format names");
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
    options.check_encryption()?;
    if options.existing == Existing::Refuse && std::fs::symlink_metadata(out).is_ok() {
        return Err(Error::OutputExists {
            path: out.to_path_buf(),
        });
    }
    if options.existing == Existing::Replace {
        // --force replaces a file, never a device node, directory or link.
        nascfg_crypto::replaceable(out).map_err(|e| Error::io(out, e))?;
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".nascfg-export-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
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
    let (manifest, signer, mut buffered) = write_bundle(store, work.path(), buffered, options)
        .map_err(|e| match e {
            Error::Io { path, source } if path.as_os_str().is_empty() => {
                Error::io(&temp_path, source)
            }
            other => other,
        })?;
    buffered.flush().map_err(io_err)?;
    drop(buffered);
    temp.as_file().sync_all().map_err(io_err)?;
    let size = temp.as_file().metadata().map_err(io_err)?.len();
    let out = persist(temp, out, options.existing)?;
    if let Ok(dir) = File::open(&parent) {
        let _ = dir.sync_all();
    }
    Ok(ExportReport {
        path: out,
        manifest,
        size,
        encrypted: options.encrypted(),
        signer,
    })
}

/// Writes a bundle of `store` into `out` (the database snapshot goes to a file
/// in `work`, a private directory); returns the manifest and `out`, flushed.
/// An I/O error of `out` comes back with an empty path, for the caller to name.
fn write_bundle<W: Write + Send + 'static>(
    store: &Store,
    work: &Path,
    out: W,
    options: &ExportOptions<'_>,
) -> Result<(Manifest, Signer, W)> {
    let snapshot = work.join(DATABASE_NAME);
    // Writers take the data directory's lock, so holding it makes the
    // snapshot and the counts in the manifest agree. (No integrity check of
    // the snapshot here: it costs as much as the rest of the export, and
    // restore and inspect check it anyway.)
    let (info, signing_key) = {
        let guard = store.lock()?;
        // Made first when the store has none, so the snapshot carries the
        // key that signs the bundle. A box that cannot open its seed cannot
        // sign: its bundle (a rescue of the database) goes out unsigned.
        let signing_key = match store.signing_key_locked(&guard) {
            Ok(key) => Some(key),
            Err(
                nascfg_store::Error::SeedMissing { .. }
                | nascfg_store::Error::SeedFile { .. }
                | nascfg_store::Error::SeedMismatch { .. },
            ) => None,
            Err(e) => return Err(e.into()),
        };
        store.snapshot_to(&snapshot)?;
        let info = Snapshot {
            schema_version: nascfg_store::SCHEMA_VERSION,
            fingerprint: store.fingerprint()?,
            // A count: listing would parse every credential's attributes.
            credentials: store.credential_count()?,
            keypairs: store.list_keypairs()?.len(),
            // Under the same lock as the snapshot, so it is the snapshot's.
            content_sha256: if options.content_digest {
                crate::config::content_digest(store)?
            } else {
                None
            },
        };
        (info, signing_key)
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
        .expect("0 is a valid nanosecond");
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
        content_sha256: info.content_sha256,
    };
    let manifest_bytes = manifest.to_json_bytes();
    // One signature over the manifest's exact bytes, which list every
    // other member's SHA-256.
    let signature = signing_key
        .as_ref()
        .map(|key| sign_manifest(key, &manifest_bytes))
        .transpose()?;
    let mtime = u64::try_from(created.unix_timestamp()).unwrap_or(0);

    let io_err = |e: io::Error| Error::io(Path::new(""), e);
    let buffered = out;
    let sink = match &options.passphrase {
        Some(pass) => Sink::Age(nascfg_crypto::encrypt_with_passphrase(
            pass,
            options.work_factor,
            buffered,
        )?),
        None if !options.recipients.is_empty() => Sink::Age(nascfg_crypto::encrypt_to_recipients(
            &options.recipients,
            buffered,
        )?),
        None => Sink::Plain(buffered),
    };
    let gzip = ParallelGzip::new(sink).map_err(io_err)?;
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);

    append_bytes(&mut tar, MANIFEST_NAME, &manifest_bytes, mtime).map_err(io_err)?;
    if let Some(signature) = &signature {
        append_bytes(&mut tar, SIGNATURE_NAME, signature, mtime).map_err(io_err)?;
    }
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
        append_bytes(&mut tar, SEED_NAME, seed.expose_bytes(), mtime).map_err(io_err)?;
    }
    let gzip = tar.into_inner().map_err(io_err)?;
    let sink = gzip.finish().map_err(io_err)?;
    let mut buffered = match sink {
        Sink::Plain(w) => w,
        Sink::Age(w) => w.finish()?,
    };
    buffered.flush().map_err(io_err)?;
    let signer = match &signing_key {
        Some(key) => Signer::Signed(signed_by(&key.public_key(), Some(&key.public_key()))),
        None => Signer::Unsigned,
    };
    Ok((manifest, signer, buffered))
}

/// What [`export_to_writer`] wrote.
#[derive(Debug, Clone)]
pub struct WrittenBundle {
    /// Its manifest.
    pub manifest: Manifest,
    /// Whether it is passphrase-protected.
    pub encrypted: bool,
    /// Who signed it (see [`ExportReport::signer`]).
    pub signer: Signer,
}

/// Writes a bundle of `store` into `out`, the same bytes [`export`] writes to
/// a file (for an upload: nothing of the bundle touches the disk but the
/// database snapshot, in a private temporary directory, as for [`export`]).
pub fn export_to_writer<W: Write + Send + 'static>(
    store: &Store,
    out: W,
    options: &ExportOptions<'_>,
) -> Result<(WrittenBundle, W)> {
    options.check_encryption()?;
    let work = tempfile::Builder::new()
        .prefix(".nascfg-export-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let (manifest, signer, out) = write_bundle(store, work.path(), out, options)?;
    Ok((
        WrittenBundle {
            manifest,
            encrypted: options.encrypted(),
            signer,
        },
        out,
    ))
}

/// Gives the finished temporary file its final name as `existing` says: an
/// exclusive link (never replacing a file that appeared meanwhile) or a rename.
fn persist(temp: tempfile::NamedTempFile, out: &Path, existing: Existing) -> Result<PathBuf> {
    match existing {
        Existing::Replace => {
            temp.persist(out).map_err(|e| Error::io(out, e.error))?;
            Ok(out.to_path_buf())
        }
        Existing::Refuse => match temp.persist_noclobber(out) {
            Ok(_) => Ok(out.to_path_buf()),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Err(Error::OutputExists {
                path: out.to_path_buf(),
            }),
            Err(e) => Err(Error::io(out, e.error)),
        },
        Existing::NextFreeName => {
            let mut temp = temp;
            for n in 0u32.. {
                let candidate = numbered(out, n);
                match temp.persist_noclobber(&candidate) {
                    Ok(_) => return Ok(candidate),
                    Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => temp = e.file,
                    Err(e) => return Err(Error::io(&candidate, e.error)),
                }
            }
            unreachable!("u32 names run out only after four billion bundles in one second")
        }
    }
}

/// `out` with `-n` inserted before its `.tar.gz` (or last) extension; `n = 0`
/// is `out` itself.
fn numbered(out: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return out.to_path_buf();
    }
    let name = out
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let split = name
        .find(".tar")
        .or_else(|| name.rfind('.'))
        .unwrap_or(name.len());
    let (stem, ext) = name.split_at(split);
    out.with_file_name(format!("{stem}-{n}{ext}"))
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

/// Appends a member held in memory (the manifest, its signature, the seed).
fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
    mtime: u64,
) -> io::Result<()> {
    append(tar, name, bytes.len() as u64, mtime, &mut &bytes[..])
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
    content_sha256: Option<String>,
}

/// Bytes of input per block that gzp deflates on its own (a fresh window
/// each, as before; bigger blocks lose less ratio to the resets).
const GZIP_BLOCK: usize = 1 << 20;

/// The deflate level; see [`ParallelGzip`].
const GZIP_LEVEL: u32 = 3;

/// Turns gzp's error into an I/O error (its own I/O errors unchanged).
fn gzp_error(e: gzp::GzpError) -> io::Error {
    match e {
        gzp::GzpError::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// One ordinary gzip member deflated on up to four cores by gzp (as pigz
/// does: blocks end with a sync flush, the last one finished), at level 3.
///
/// Measured on a 19 MiB store of 50,000 credentials (2 threads, 1 MiB
/// blocks) against `tar -czf` (gzip level 6, 7.04 MB in 0.40-0.56 s):
/// level 1 gives 8.73 MB in 0.09 s, level 2 7.06 MB in 0.24 s, level 3
/// 7.02 MB in 0.19 s, level 6 6.99 MB in 0.27 s. Level 3 is the fastest
/// that is no bigger than tar's.
///
/// A thin guard around [`ParCompress`]: gzp's own `Drop` finishes the stream
/// and panics when that fails, and its `write` panics once its pipeline has
/// shut down after an error. This wrapper stops using the pipeline after its
/// first error and finishes it, ignoring errors, when dropped unfinished (an
/// export that failed elsewhere), so failures stay `io::Error`s.
struct ParallelGzip<W: Write + Send + 'static> {
    inner: Option<ParCompress<'static, Gzip, W>>,
}

impl<W: Write + Send + 'static> ParallelGzip<W> {
    fn new(out: W) -> io::Result<Self> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let inner = ParCompressBuilder::<Gzip>::new()
            .num_threads(threads)
            .map_err(gzp_error)?
            .buffer_size(GZIP_BLOCK)
            .map_err(gzp_error)?
            .compression_level(gzp::par::compress::Compression::new(GZIP_LEVEL))
            .from_writer(out);
        Ok(ParallelGzip { inner: Some(inner) })
    }

    /// Ends the stream (trailer written, threads joined) and hands back `W`.
    fn finish(mut self) -> io::Result<W> {
        let mut inner = self.inner.take().ok_or_else(closed)?;
        inner.finish().map_err(gzp_error)
    }

    /// Runs `op` on the pipeline; after an error gzp has shut it down, so it
    /// is dropped (which then does nothing) and never used again.
    fn with<T>(
        &mut self,
        op: impl FnOnce(&mut ParCompress<'static, Gzip, W>) -> io::Result<T>,
    ) -> io::Result<T> {
        let inner = self.inner.as_mut().ok_or_else(closed)?;
        let result = op(inner);
        if result.is_err() {
            self.inner = None;
        }
        result
    }
}

fn closed() -> io::Error {
    io::Error::other("the gzip stream is closed after an earlier error")
}

impl<W: Write + Send + 'static> Write for ParallelGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.with(|gz| gz.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.with(|gz| gz.flush())
    }
}

impl<W: Write + Send + 'static> Drop for ParallelGzip<W> {
    fn drop(&mut self) {
        if let Some(mut inner) = self.inner.take() {
            let _ = inner.finish();
        }
    }
}

enum Sink<W: Write> {
    Plain(W),
    /// To a passphrase or to recipients: one age stream either way.
    Age(AgeWriter<W>),
}

impl ExportOptions<'_> {
    /// Whether the bundle will be encrypted (a passphrase or recipients).
    pub fn encrypted(&self) -> bool {
        self.passphrase.is_some() || !self.recipients.is_empty()
    }

    /// age allows a passphrase only as a file's sole recipient.
    fn check_encryption(&self) -> Result<()> {
        if self.passphrase.is_some() && !self.recipients.is_empty() {
            return Err(Error::PassphraseAndRecipients);
        }
        Ok(())
    }
}

impl<W: Write> Write for Sink<W> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Text-like data with some noise, `len` bytes.
    fn sample(len: usize) -> Vec<u8> {
        let mut state = 1u32;
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if i % 3 == 0 {
                    (state >> 24) as u8
                } else {
                    b'a' + (i % 7) as u8
                }
            })
            .collect()
    }

    #[test]
    fn parallel_gzip_is_one_ordinary_member() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..2 * GZIP_BLOCK + 7)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 32) as u8
            })
            .collect();
        let cases = [
            0usize,
            1,
            GZIP_BLOCK - 1,
            GZIP_BLOCK,
            5 * GZIP_BLOCK + 12345,
        ]
        .map(sample)
        .into_iter()
        // Incompressible input: blocks that deflate to more than they hold.
        .chain([noise]);
        for data in cases {
            let len = data.len();
            let mut gz = ParallelGzip::new(Vec::new()).unwrap();
            for piece in data.chunks(100_000) {
                gz.write_all(piece).unwrap();
            }
            let bytes = gz.finish().unwrap();
            // Level 3: neither fastest (XFL=4) nor best (XFL=2), as the header says.
            assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0], "len {len}");
            assert_eq!(bytes[8], 0, "len {len}");
            let mut back = Vec::new();
            let mut decoder = flate2::read::GzDecoder::new(&bytes[..]);
            decoder.read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "len {len}");
            // Nothing after the one member.
            let mut bufread = flate2::bufread::GzDecoder::new(&bytes[..]);
            std::io::copy(&mut bufread, &mut std::io::sink()).unwrap();
            assert!(bufread.into_inner().is_empty(), "len {len}");
            // GNU gzip agrees.
            let path = dir.path().join(format!("{len}.gz"));
            std::fs::write(&path, &bytes).unwrap();
            let status = std::process::Command::new("gzip")
                .arg("-t")
                .arg(&path)
                .status()
                .unwrap();
            assert!(status.success(), "gzip -t, len {len}");
        }
    }

    /// A sink that fails every write.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_sink_is_an_io_error_not_a_panic() {
        let data = sample(3 * GZIP_BLOCK);
        // The error comes back from a write or from finish, never a panic.
        let mut gz = ParallelGzip::new(Broken).unwrap();
        let written = data.chunks(100_000).try_for_each(|p| gz.write_all(p));
        let err = match written {
            Err(e) => e,
            Ok(()) => gz.finish().err().unwrap(),
        };
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        // Dropped unfinished (an export failing elsewhere): no panic either,
        // with a sink that fails or one that works.
        let mut gz = ParallelGzip::new(Broken).unwrap();
        let _ = gz.write_all(&data);
        drop(gz);
        let mut gz = ParallelGzip::new(Vec::new()).unwrap();
        gz.write_all(&data).unwrap();
        drop(gz);
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
