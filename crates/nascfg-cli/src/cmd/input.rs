//! The files a command is given to read: opened with a hint when they
//! cannot be, and read with a bound.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::output;

/// Opens a file the command was given; the error says to check the path.
pub fn open(path: &Path) -> anyhow::Result<File> {
    File::open(path).map_err(|e| {
        output::hint(
            anyhow::anyhow!("cannot read {}: {e}", path.display()),
            "check the path",
        )
    })
}

/// All of `r` when it holds at most `limit` bytes; `None` when it holds
/// more (of which no more than one byte past `limit` is read).
pub fn read_at_most(r: impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.take(limit + 1).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= limit).then_some(buf))
}
