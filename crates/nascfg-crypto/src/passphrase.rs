//! Passphrase protection in the age format (scrypt recipient), so the
//! reference `age` tool opens what we write and we open what it writes.
//! Specification: <https://c2sp.org/age>.

use std::{
    fmt,
    io::{self, Cursor, Read, Write},
};

use age::{DecryptError, Decryptor, Encryptor, stream::StreamReader, stream::StreamWriter};
use secrecy::SecretString;

use crate::Error;

/// The first bytes of every age v1 file.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";
/// The largest scrypt work factor [`WorkFactor::new`] accepts (2^30 takes
/// 128 GiB of memory: far beyond any sensible setting).
const MAX_LOG_N: u8 = 30;

/// The scrypt work factor of passphrase protection: log2 of scrypt's N.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkFactor(Option<u8>);

impl WorkFactor {
    /// age's default: a work factor that takes about one second on this machine.
    pub const DEFAULT: WorkFactor = WorkFactor(None);

    /// A fixed work factor N = 2^log_n, clamped to 1..=30. Tests use about 10;
    /// the reference `age` tool writes 18.
    pub const fn new(log_n: u8) -> WorkFactor {
        let log_n = if log_n == 0 {
            1
        } else if log_n > MAX_LOG_N {
            MAX_LOG_N
        } else {
            log_n
        };
        WorkFactor(Some(log_n))
    }

    /// The fixed log2 N, or `None` for age's calibrated default.
    pub fn log_n(&self) -> Option<u8> {
        self.0
    }
}

impl Default for WorkFactor {
    fn default() -> WorkFactor {
        WorkFactor::DEFAULT
    }
}

impl fmt::Debug for WorkFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("WorkFactor(age default)"),
            Some(n) => write!(f, "WorkFactor(2^{n})"),
        }
    }
}

/// True when `header` (the first bytes of a file) starts like an age file.
pub fn is_passphrase_protected(header: &[u8]) -> bool {
    header.starts_with(AGE_MAGIC)
}

/// A streaming writer that encrypts to a passphrase; call
/// [`PassphraseWriter::finish`] at the end or the output is truncated.
pub struct PassphraseWriter<W: Write> {
    inner: StreamWriter<W>,
}

impl<W: Write> PassphraseWriter<W> {
    /// Writes the final chunk and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.inner.finish().map_err(Error::Stream)
    }
}

impl<W: Write> Write for PassphraseWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> fmt::Debug for PassphraseWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassphraseWriter").finish_non_exhaustive()
    }
}

/// Starts an age file protected by `passphrase` on `out`; the returned writer
/// encrypts everything written to it, 64 KiB at a time.
pub fn encrypt_with_passphrase<W: Write>(
    passphrase: &SecretString,
    work: WorkFactor,
    out: W,
) -> Result<PassphraseWriter<W>, Error> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    if let Some(log_n) = work.0 {
        recipient.set_work_factor(log_n);
    }
    let encryptor = Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .map_err(|err| match err {
            age::EncryptError::Io(e) => Error::Stream(e),
            other => Error::Stream(io::Error::other(other.to_string())),
        })?;
    let inner = encryptor.wrap_output(out).map_err(Error::Stream)?;
    Ok(PassphraseWriter { inner })
}

/// A streaming reader of a passphrase-protected age file. Damage in the
/// payload shows as an `io::Error` (kind `InvalidData`) from `read`; the
/// last chunk is authenticated too, so a truncated file is an error.
pub struct PassphraseReader<R: Read> {
    inner: StreamReader<io::Chain<Cursor<Vec<u8>>, R>>,
}

impl<R: Read> Read for PassphraseReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> fmt::Debug for PassphraseReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassphraseReader").finish_non_exhaustive()
    }
}

/// Opens an age file protected by `passphrase`.
///
/// [`Error::NotPassphraseProtected`] when `input` is not an age file or has
/// no passphrase recipient; [`Error::WrongPassphrase`] when the passphrase
/// does not open it; [`Error::ExcessiveWork`] when its scrypt work factor is
/// above age's own limit for this machine (about 16 seconds of work).
pub fn decrypt_with_passphrase<R: Read>(
    passphrase: &SecretString,
    mut input: R,
) -> Result<PassphraseReader<R>, Error> {
    let mut magic = Vec::with_capacity(AGE_MAGIC.len());
    (&mut input)
        .take(AGE_MAGIC.len() as u64)
        .read_to_end(&mut magic)
        .map_err(Error::Stream)?;
    if !is_passphrase_protected(&magic) {
        return Err(Error::NotPassphraseProtected);
    }
    let decryptor = Decryptor::new(Cursor::new(magic).chain(input)).map_err(map_decrypt)?;
    if !decryptor.is_scrypt() {
        return Err(Error::NotPassphraseProtected);
    }
    let identity = age::scrypt::Identity::new(passphrase.clone());
    let inner = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(map_decrypt)?;
    Ok(PassphraseReader { inner })
}

fn map_decrypt(err: DecryptError) -> Error {
    match err {
        DecryptError::DecryptionFailed | DecryptError::KeyDecryptionFailed => {
            Error::WrongPassphrase
        }
        DecryptError::NoMatchingKeys => Error::NotPassphraseProtected,
        DecryptError::ExcessiveWork { required, .. } => Error::ExcessiveWork { required },
        DecryptError::Io(e) => Error::Stream(e),
        _ => Error::DamagedPassphraseFile,
    }
}
