//! The streams of an age file, whatever opens it: one writer and one reader
//! for passphrase protection and for recipients alike (age's own
//! `StreamWriter` and `StreamReader` behind them).

use std::{
    fmt,
    io::{self, Cursor, Read, Write},
};

use age::{Encryptor, stream::StreamReader, stream::StreamWriter};

use crate::Error;

/// A streaming writer of an age file; call [`AgeWriter::finish`] at the end
/// or the output is truncated.
pub struct AgeWriter<W: Write> {
    inner: StreamWriter<W>,
}

impl<W: Write> AgeWriter<W> {
    /// Starts the file on `out` with the encryptor made for its recipients.
    pub(crate) fn start(
        encryptor: Result<Encryptor, age::EncryptError>,
        out: W,
    ) -> Result<AgeWriter<W>, Error> {
        let encryptor = encryptor.map_err(|err| match err {
            age::EncryptError::Io(e) => Error::Stream(e),
            other => Error::Stream(io::Error::other(other.to_string())),
        })?;
        let inner = encryptor.wrap_output(out).map_err(Error::Stream)?;
        Ok(AgeWriter { inner })
    }

    /// Writes the final chunk and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.inner.finish().map_err(Error::Stream)
    }
}

impl<W: Write> Write for AgeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> fmt::Debug for AgeWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgeWriter").finish_non_exhaustive()
    }
}

/// A streaming reader of an opened age file, the header bytes that were read
/// to judge it handed back in front of the rest. Damage in the payload shows
/// as an `io::Error` (kind `InvalidData`) from `read`.
pub struct AgeReader<R: Read> {
    pub(crate) inner: StreamReader<io::Chain<Cursor<Vec<u8>>, R>>,
}

impl<R: Read> Read for AgeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> fmt::Debug for AgeReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgeReader").finish_non_exhaustive()
    }
}
