//! The safe reader of untrusted archives, nascfg-tar, as this crate uses it:
//! a bundle is always gzip, and the reader's errors are put in this crate's
//! words (`From<nascfg_tar::Error>` in error.rs).

use std::io::{self, BufRead as _, BufReader, Read};

pub use nascfg_tar::Limits;
pub(crate) use nascfg_tar::{MemberReader, is_gzip, visit_members};

use crate::error::{Error, Result};

/// [`nascfg_tar::visit_members`], optionally insisting on gzip
/// ([`Error::NotGzip`]): the reader takes a plain tar too.
pub(crate) fn visit_members_strict<R: Read>(
    input: R,
    limits: &Limits,
    require_gzip: bool,
    visit: impl FnMut(&mut MemberReader<'_>) -> Result<()>,
) -> Result<()> {
    // Just the magic is buffered here; the reader buffers the rest itself
    // (reads as large as this buffer or larger pass straight through).
    let mut input = BufReader::with_capacity(2, input);
    if require_gzip && !is_gzip(input.fill_buf().map_err(read_error)?) {
        return Err(Error::NotGzip);
    }
    visit_members(input, limits, visit)
}

/// What a failed read of a member means ([`nascfg_tar::Error::reading`]).
pub(crate) fn read_error(e: io::Error) -> Error {
    nascfg_tar::Error::reading(e).into()
}
