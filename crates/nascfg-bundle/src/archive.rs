//! A tar reader for untrusted archives (optionally gzip-compressed).
//!
//! It accepts regular files only, with relative names free of `..`, each name
//! once, and it caps the member count, each member's size, the total expanded
//! size and the gzip expansion ratio. It insists on the end-of-archive marker
//! and on nothing but zero padding after it, and on nothing after the gzip
//! stream. Names are normalised: `./a` and `a` are the same member.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use crate::error::{Error, Result};

const BLOCK: u64 = 512;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Below this many expanded bytes the ratio cap does not apply (small files
/// with long runs of zeros, such as a near-empty SQLite database, compress
/// far better than real data).
const RATIO_FLOOR: u64 = 16 << 20;
const READ_BUFFER: usize = 256 << 10;
const MAX_NAME_LEN: usize = 4096;

/// Caps for reading an untrusted archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most members (regular files) the archive may hold.
    pub max_members: usize,
    /// The largest a single member may be, in bytes.
    pub max_member_size: u64,
    /// The most bytes the whole archive may expand to (tar headers included).
    pub max_total_size: u64,
    /// The most the gzip stream may expand, as expanded bytes per compressed
    /// byte (applies once more than 16 MiB have been expanded).
    pub max_ratio: u64,
}

impl Default for Limits {
    /// 16 members, 4 GiB per member, 4 GiB in total, a ratio of 200.
    fn default() -> Self {
        Limits {
            max_members: 16,
            max_member_size: 4 << 30,
            max_total_size: 4 << 30,
            max_ratio: 200,
        }
    }
}

/// One regular file read completely from an archive.
#[derive(Clone, PartialEq, Eq)]
pub struct Member {
    name: String,
    data: Vec<u8>,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The contents may be secret (a seed); show only the size.
        f.debug_struct("Member")
            .field("name", &self.name)
            .field("len", &self.data.len())
            .finish()
    }
}

impl Member {
    /// The member's normalised name (`a/b`, never `./a/b`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The member's contents.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The member's contents, owned.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

/// A member being read by [`visit_members`]: its name, its size, and its
/// contents through [`Read`].
pub struct MemberReader<'a> {
    name: &'a str,
    size: u64,
    index: usize,
    inner: &'a mut dyn Read,
}

impl std::fmt::Debug for MemberReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberReader")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("index", &self.index)
            .finish()
    }
}

impl MemberReader<'_> {
    /// The member's normalised name.
    pub fn name(&self) -> &str {
        self.name
    }

    /// The member's size as its header declares it (already checked against
    /// the limits).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The member's position in the archive, from 0.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// Whether `bytes` start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Reads every member of an archive (plain or gzip-compressed tar) into
/// memory, keeping those whose name `accept` returns true for. Members not
/// accepted are still checked (type, name, size) and then skipped.
pub fn read_members<R: Read>(
    input: R,
    limits: &Limits,
    accept: impl Fn(&str) -> bool,
) -> Result<Vec<Member>> {
    let mut members = Vec::new();
    visit_members(input, limits, |member| {
        if !accept(member.name()) {
            return Ok(());
        }
        let capacity = usize::try_from(member.size())
            .unwrap_or(usize::MAX)
            .min(64 << 20);
        let mut data = Vec::with_capacity(capacity);
        member.read_to_end(&mut data).map_err(read_error)?;
        if data.len() as u64 != member.size() {
            return Err(Error::Truncated);
        }
        members.push(Member {
            name: member.name().to_owned(),
            data,
        });
        Ok(())
    })?;
    Ok(members)
}

/// Streams through an archive (plain or gzip-compressed tar), calling `visit`
/// once per member, in order, after its header passed every check. The
/// visitor may read all, part or none of the member; what it leaves is
/// skipped. A member that ends early surfaces as [`Error::Truncated`] from
/// the visitor's reads (map them with the error they carry) or at the end.
pub fn visit_members<R: Read>(
    input: R,
    limits: &Limits,
    visit: impl FnMut(&mut MemberReader<'_>) -> Result<()>,
) -> Result<()> {
    visit_members_strict(input, limits, false, visit)
}

/// [`visit_members`], optionally insisting on gzip ([`Error::NotGzip`]).
pub(crate) fn visit_members_strict<R: Read>(
    input: R,
    limits: &Limits,
    require_gzip: bool,
    mut visit: impl FnMut(&mut MemberReader<'_>) -> Result<()>,
) -> Result<()> {
    let state = Rc::new(State::default());
    let counted = CountIn {
        inner: input,
        state: Rc::clone(&state),
    };
    let mut buffered = BufReader::with_capacity(READ_BUFFER, counted);
    let gzip = {
        let head = buffered.fill_buf().map_err(read_error)?;
        is_gzip(head)
    };
    if require_gzip && !gzip {
        return Err(Error::NotGzip);
    }
    let result = if gzip {
        let decoder = flate2::bufread::GzDecoder::new(buffered);
        let guard = Guard {
            inner: decoder,
            state: Rc::clone(&state),
            limits: *limits,
            gzip: true,
        };
        walk(guard, limits, &mut visit, |guard| {
            // Nothing may follow the gzip stream.
            let rest = guard.inner.get_mut();
            let more = rest.fill_buf().map_err(read_error)?;
            if more.is_empty() {
                Ok(())
            } else {
                Err(Error::TrailingData)
            }
        })
    } else {
        let guard = Guard {
            inner: buffered,
            state: Rc::clone(&state),
            limits: *limits,
            gzip: false,
        };
        walk(guard, limits, &mut visit, |_| Ok(()))
    };
    // A limit tripped inside a reader wins over whatever error the tar or
    // gzip layer made of it.
    match state.violation.take() {
        Some(violation) => Err(violation.into_error()),
        None => result,
    }
}

fn walk<R: Read>(
    guard: Guard<R>,
    limits: &Limits,
    visit: &mut dyn FnMut(&mut MemberReader<'_>) -> Result<()>,
    after: impl FnOnce(&mut Guard<R>) -> Result<()>,
) -> Result<()> {
    let mut archive = tar::Archive::new(guard);
    let mut names: HashSet<String> = HashSet::new();
    let mut end_of_last = 0u64;
    let mut index = 0usize;
    {
        let entries = archive.entries().map_err(tar_error)?;
        for entry in entries {
            let mut entry = entry.map_err(tar_error)?;
            let raw_name = entry.path_bytes().into_owned();
            let name = normalise(&raw_name)?;
            let kind = entry.header().entry_type();
            if !(kind.is_file() || kind == tar::EntryType::Continuous) {
                return Err(Error::NotRegularFile {
                    name,
                    kind: kind_name(kind).to_owned(),
                });
            }
            if names.len() >= limits.max_members {
                return Err(Error::TooManyMembers {
                    max: limits.max_members,
                });
            }
            if !names.insert(name.clone()) {
                return Err(Error::DuplicateMember { name });
            }
            let size = entry.size();
            if size > limits.max_member_size {
                return Err(Error::MemberTooLarge {
                    name,
                    size,
                    max: limits.max_member_size,
                });
            }
            if size > limits.max_total_size {
                return Err(Error::TooLarge {
                    max: limits.max_total_size,
                });
            }
            let padded = size.checked_add(BLOCK - 1).map(|s| s & !(BLOCK - 1));
            end_of_last = padded
                .and_then(|p| entry.raw_file_position().checked_add(p))
                .ok_or(Error::Corrupt {
                    reason: "member size overflows".into(),
                })?;
            let mut reader = ExactReader {
                inner: &mut entry,
                left: size,
            };
            let mut member = MemberReader {
                name: &name,
                size,
                index,
                inner: &mut reader,
            };
            visit(&mut member)?;
            index += 1;
        }
    }
    let mut guard = archive.into_inner();
    // tar stops at the first zero block, or silently at the end of the
    // stream: tell the two apart, then allow only zero padding after it.
    if guard.state.expanded.get() < end_of_last + BLOCK {
        return Err(Error::Truncated);
    }
    let mut zeros = guard.state.expanded.get() - end_of_last;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match guard.read(&mut buf) {
            Ok(n) => n,
            Err(e) => return Err(read_error(e)),
        };
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Err(Error::TrailingData);
        }
        zeros += n as u64;
    }
    if zeros < 2 * BLOCK {
        return Err(Error::Truncated);
    }
    after(&mut guard)
}

/// Turns a member's raw name into a safe relative name.
fn normalise(raw: &[u8]) -> Result<String> {
    let lossy = || String::from_utf8_lossy(raw).into_owned();
    let text = std::str::from_utf8(raw).map_err(|_| Error::UnsafePath { name: lossy() })?;
    if text.is_empty()
        || text.len() > MAX_NAME_LEN
        || text.starts_with('/')
        || text.contains('\\')
        || text.chars().any(char::is_control)
    {
        return Err(Error::UnsafePath { name: lossy() });
    }
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => continue,
            ".." => return Err(Error::UnsafePath { name: lossy() }),
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err(Error::UnsafePath { name: lossy() });
    }
    Ok(parts.join("/"))
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    use tar::EntryType as T;
    match kind {
        T::Link => "hard link",
        T::Symlink => "symbolic link",
        T::Char => "character device",
        T::Block => "block device",
        T::Directory => "directory",
        T::Fifo => "named pipe",
        _ => "special entry",
    }
}

pub(crate) fn read_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Truncated,
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => Error::Corrupt {
            reason: e.to_string(),
        },
        _ => Error::Corrupt {
            reason: e.to_string(),
        },
    }
}

fn tar_error(e: io::Error) -> Error {
    let text = e.to_string();
    if text.contains("failed to read entire block")
        || text.contains("unexpected EOF")
        || e.kind() == io::ErrorKind::UnexpectedEof
    {
        Error::Truncated
    } else {
        Error::Corrupt { reason: text }
    }
}

/// Yields exactly a member's declared size, or an `UnexpectedEof` error.
struct ExactReader<'a, R: Read> {
    inner: &'a mut R,
    left: u64,
}

impl<R: Read> Read for ExactReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "member ends early",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy)]
enum Violation {
    Total(u64),
    Ratio(u64),
}

impl Violation {
    fn into_error(self) -> Error {
        match self {
            Violation::Total(max) => Error::TooLarge { max },
            Violation::Ratio(max_ratio) => Error::CompressionRatio { max_ratio },
        }
    }
}

#[derive(Default)]
struct State {
    compressed: Cell<u64>,
    expanded: Cell<u64>,
    violation: Cell<Option<Violation>>,
}

/// Counts the bytes read from the input.
struct CountIn<R> {
    inner: R,
    state: Rc<State>,
}

impl<R: Read> Read for CountIn<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state
            .compressed
            .set(self.state.compressed.get() + n as u64);
        Ok(n)
    }
}

/// Counts the expanded bytes and enforces the total and ratio caps.
struct Guard<R> {
    inner: R,
    state: Rc<State>,
    limits: Limits,
    gzip: bool,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let expanded = self.state.expanded.get() + n as u64;
        self.state.expanded.set(expanded);
        // Zero padding after the end marker counts too: a stream of zeros is
        // the cheapest bomb of all.
        let violation = if expanded > self.limits.max_total_size.saturating_add(2 * BLOCK) {
            Some(Violation::Total(self.limits.max_total_size))
        } else if self.gzip
            && expanded > RATIO_FLOOR
            && expanded / self.state.compressed.get().max(1) > self.limits.max_ratio
        {
            Some(Violation::Ratio(self.limits.max_ratio))
        } else {
            None
        };
        if let Some(v) = violation {
            self.state.violation.set(Some(v));
            return Err(io::Error::other("archive limit exceeded"));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o600);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn check(input: &[u8], expected: &str) {
        let got = match read_members(input, &Limits::default(), |_| true) {
            Ok(m) => m
                .iter()
                .map(|m| format!("{}={}", m.name(), m.data().len()))
                .collect::<Vec<_>>()
                .join(","),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn reads_plain_and_gzip() {
        let t = tar_of(&[("a", b"hello"), ("./b/c", b"")]);
        check(&t, "a=5,b/c=0");
        check(&gz(&t), "a=5,b/c=0");
    }

    #[test]
    fn rejects_bad_shapes() {
        let t = tar_of(&[("a", b"hello")]);
        check(&t[..t.len() - 1024], "error: the archive is truncated");
        check(&t[..700], "error: the archive is truncated");
        let g = gz(&t);
        check(&g[..g.len() - 4], "error: the archive is truncated");
        let mut trailing = g.clone();
        trailing.push(0);
        check(
            &trailing,
            "error: the archive has unexpected data after its end",
        );
        let mut t2 = t.clone();
        t2.extend_from_slice(b"junk");
        check(&t2, "error: the archive has unexpected data after its end");
        check(
            &tar_of(&[("a", b"1"), ("./a", b"2")]),
            "error: the archive has the member \"a\" twice",
        );
    }

    #[test]
    fn rejects_links_and_escapes() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "l", "/etc/passwd").unwrap();
        check(
            &b.into_inner().unwrap(),
            "error: the archive member \"l\" is a symbolic link, not a regular file",
        );
        // `..` written raw into the header (the builder refuses it).
        let mut raw = tar_of(&[("xx/a", b"1")]);
        raw[..4].copy_from_slice(b"../a");
        let mut h = tar::Header::from_byte_slice(&raw[..512]).clone();
        h.set_cksum();
        raw[..512].copy_from_slice(h.as_bytes());
        check(
            &raw,
            "error: the archive has a member with an unsafe name: \"../a\"",
        );
    }

    #[test]
    fn caps_bombs() {
        let zeros = vec![0u8; 40 << 20];
        let g = gz(&tar_of(&[("z", &zeros)]));
        check(
            &g,
            "error: the archive expands more than 200 times its compressed size (a decompression bomb?)",
        );
        let limits = Limits {
            max_total_size: 1 << 20,
            ..Limits::default()
        };
        let r = read_members(&g[..], &limits, |_| true);
        assert!(matches!(r, Err(Error::TooLarge { .. })), "{r:?}");
    }
}
