//! Passphrase protection in the age format (scrypt recipient), so the
//! reference `age` tool opens what we write and we open what it writes.
//! Specification: <https://c2sp.org/age>.

use std::{
    fmt,
    io::{self, Cursor, Read, Write},
};

use age::{DecryptError, Decryptor, Encryptor};
use secrecy::SecretString;

use crate::Error;
use crate::stream::{AgeReader, AgeWriter};

/// The first bytes of every age v1 file.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";
/// The largest scrypt work factor [`WorkFactor::new`] accepts (2^30 takes
/// 128 GiB of memory: far beyond any sensible setting).
const MAX_LOG_N: u8 = 30;
/// The largest scrypt work factor we open: scrypt (r = 8) needs 2^log_n KiB
/// of memory, so 2^22 is 4 GiB. nascfg writes age's calibrated factor
/// (about one second of work: 2^18 to 2^20 on current machines) and the
/// reference `age` writes 2^18; age's own ceiling (its calibration plus 4,
/// about 16 seconds) bounds time, not memory. A file asking for more is
/// refused from its header, before any derivation.
pub const MAX_OPEN_LOG_N: u8 = 22;
/// How much of an age header we look at for the scrypt stanza: the magic
/// line, then the stanza line (`-> scrypt SALT LOGN`, under 60 bytes).
const STANZA_PEEK: usize = 256;

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
/// [`AgeWriter::finish`] at the end or the output is truncated.
pub type PassphraseWriter<W> = AgeWriter<W>;

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
    AgeWriter::start(
        Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)),
        out,
    )
}

/// A streaming reader of a passphrase-protected age file. Damage in the
/// payload shows as an `io::Error` (kind `InvalidData`) from `read`; the
/// last chunk is authenticated too, so a truncated file is an error.
pub type PassphraseReader<R> = AgeReader<R>;

/// Opens an age file protected by `passphrase`.
///
/// [`Error::NotPassphraseProtected`] when `input` is not an age file or has
/// no passphrase recipient; [`Error::WrongPassphrase`] when the passphrase
/// does not open it; [`Error::ExcessiveWork`] when its scrypt work factor is
/// above [`MAX_OPEN_LOG_N`] (checked from the header before age sees it) or
/// above age's own limit for this machine (about 16 seconds of work).
pub fn decrypt_with_passphrase<R: Read>(
    passphrase: &SecretString,
    mut input: R,
) -> Result<PassphraseReader<R>, Error> {
    let head = read_head(&mut input).map_err(Error::Stream)?;
    if !is_passphrase_protected(&head) {
        return Err(Error::NotPassphraseProtected);
    }
    if let Some(log_n) = scrypt_work_factor(&head)
        && log_n > u32::from(MAX_OPEN_LOG_N)
    {
        return Err(Error::ExcessiveWork {
            required: u8::try_from(log_n).unwrap_or(u8::MAX),
        });
    }
    let decryptor = Decryptor::new(Cursor::new(head).chain(input)).map_err(map_decrypt)?;
    if !decryptor.is_scrypt() {
        return Err(Error::NotPassphraseProtected);
    }
    let identity = age::scrypt::Identity::new(passphrase.clone());
    let inner = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(map_decrypt)?;
    Ok(AgeReader { inner })
}

/// Reads the start of `input`: up to the end of the second line (the first
/// stanza's arguments) or [`STANZA_PEEK`] bytes, whichever comes first.
/// What it reads is handed on to age, so no more is taken than that.
fn read_head<R: Read>(input: &mut R) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(STANZA_PEEK);
    let mut chunk = [0u8; 64];
    while head.len() < STANZA_PEEK && head.iter().filter(|b| **b == b'\n').count() < 2 {
        let want = chunk.len().min(STANZA_PEEK - head.len());
        match input.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(head)
}

/// The work factor (log2 N) of an age header whose first stanza is scrypt's
/// (`-> scrypt SALT LOGN`, <https://c2sp.org/age#scrypt-recipient-stanza>;
/// age requires it to be the only stanza). `None` for anything else: age
/// itself then judges the header. A factor too big for `u32` reads as
/// `u32::MAX`.
fn scrypt_work_factor(head: &[u8]) -> Option<u32> {
    let mut lines = head.split(|b| *b == b'\n');
    if lines.next()? != AGE_MAGIC {
        return None;
    }
    let stanza = lines.next()?.strip_prefix(b"-> scrypt ")?;
    let mut args = stanza.split(|b| *b == b' ');
    let (_salt, log_n, None) = (args.next()?, args.next()?, args.next()) else {
        return None;
    };
    if log_n.is_empty() || !log_n.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        std::str::from_utf8(log_n)
            .ok()?
            .parse::<u32>()
            .unwrap_or(u32::MAX),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_work_factor_from_the_header_text() {
        let check = |head: &[u8], expected: Option<u32>| {
            assert_eq!(
                scrypt_work_factor(head),
                expected,
                "{}",
                String::from_utf8_lossy(head)
            );
        };
        let salt = "c2FsdHNhbHRzYWx0c2FsdA";
        let stanza =
            |log_n: &str| format!("age-encryption.org/v1\n-> scrypt {salt} {log_n}\nBODY\n");
        check(stanza("18").as_bytes(), Some(18));
        check(stanza("23").as_bytes(), Some(23));
        check(stanza("99999999999999").as_bytes(), Some(u32::MAX));
        // Anything else is age's to judge.
        check(stanza("").as_bytes(), None);
        check(stanza("-1").as_bytes(), None);
        check(stanza("18 extra").as_bytes(), None);
        check(b"age-encryption.org/v1\n-> X25519 abc\n", None);
        check(b"age-encryption.org/v1\n", None);
        check(b"not age\n-> scrypt a 30\n", None);
    }

    #[test]
    fn reads_no_more_than_the_stanza_line() {
        let file = format!(
            "age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 23\n{}",
            "x".repeat(10_000)
        );
        let mut input = file.as_bytes();
        let head = read_head(&mut input).unwrap();
        assert!(head.len() <= STANZA_PEEK, "{}", head.len());
        assert_eq!(scrypt_work_factor(&head), Some(23));
    }
}
