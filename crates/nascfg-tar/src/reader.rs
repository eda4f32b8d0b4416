//! A tar reader for untrusted archives (optionally gzip-compressed).
//!
//! It accepts regular files only, with relative names free of `..`, each name
//! once, and it caps the member count, each member's size, the total expanded
//! size and the gzip expansion ratio. It insists on the end-of-archive marker
//! and on nothing but zero padding after it, and on nothing after the gzip
//! stream. Names are normalised: `./a` and `a` are the same member.
//!
//! Tar extension headers are looked at before their body is read: a GNU long
//! name or long link (`L`, `K`) and a PAX global header (`g`) are refused
//! outright (a tar reader that reads them whole lets a tiny gzip'd file
//! declare a name of gigabytes); a PAX extended header (`x`) is read only up
//! to [`MAX_PAX_HEADER`] bytes, because Python's `tarfile` writes one before
//! every member (TrueNAS backups have them). Of its records only `path` is
//! used; one that changes a member's size or makes it sparse is refused.
//!
//! A visitor answers in its caller's error type `E` (anything a reader's
//! [`Error`] converts into), so a caller's own checks of a member (a
//! bundle's manifest, a TrueNAS database's size) stop the walk with the
//! caller's words.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use nascfg_credentials::Untrusted;

use crate::error::{Error, Result};

const BLOCK: u64 = 512;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Below this many expanded bytes the ratio cap does not apply (small files
/// with long runs of zeros, such as a near-empty SQLite database, compress
/// far better than real data).
const RATIO_FLOOR: u64 = 16 << 20;
const READ_BUFFER: usize = 256 << 10;
const MAX_NAME_LEN: usize = 4096;
/// The largest PAX extended header (`x`) read; a bigger one is refused
/// before its body is read. Python's `tarfile` writes about 30 bytes (the
/// mtime) before each member; a long path adds at most [`MAX_NAME_LEN`].
const MAX_PAX_HEADER: u64 = 8 << 10;

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

// The contents may be secret (a seed); show only the size.
nascfg_credentials::redacted_debug!(Member {
    name,
    len: |m| m.data.len()
});

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

nascfg_credentials::redacted_debug!(MemberReader<'a> { name, size, index });

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
        member.read_to_end(&mut data).map_err(Error::reading)?;
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
/// skipped. A member that ends early surfaces as an `UnexpectedEof` from the
/// visitor's reads (map them with [`Error::reading`]) or as
/// [`Error::Truncated`] at the end.
pub fn visit_members<R: Read, E: From<Error>>(
    input: R,
    limits: &Limits,
    mut visit: impl FnMut(&mut MemberReader<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let state = Rc::new(State::default());
    let counted = CountIn {
        inner: input,
        state: Rc::clone(&state),
    };
    let mut buffered = BufReader::with_capacity(READ_BUFFER, counted);
    let gzip = {
        let head = buffered.fill_buf().map_err(Error::reading)?;
        is_gzip(head)
    };
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
            let more = rest.fill_buf().map_err(Error::reading)?;
            if more.is_empty() {
                Ok(())
            } else {
                Err(Error::TrailingData.into())
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
        Some(violation) => Err(violation.into_error().into()),
        None => result,
    }
}

fn walk<R: Read, E: From<Error>>(
    guard: Guard<R>,
    limits: &Limits,
    visit: &mut dyn FnMut(&mut MemberReader<'_>) -> Result<(), E>,
    after: impl FnOnce(&mut Guard<R>) -> Result<(), E>,
) -> Result<(), E> {
    let state = Rc::clone(&guard.state);
    let mut archive = tar::Archive::new(guard);
    let mut names: HashSet<String> = HashSet::new();
    let mut end_of_last = 0u64;
    let mut index = 0usize;
    {
        // Raw: the tar crate would read a GNU long name or a PAX header
        // whole, whatever its size, before we see it.
        let entries = archive.entries().map_err(tar_error)?.raw(true);
        // The PAX header just read (`Some`), with the name it gives, if any.
        let mut pax: Option<Option<Vec<u8>>> = None;
        for entry in entries {
            let mut entry = entry.map_err(|e| {
                // The tar crate's words for a stream that ended mid-block.
                let ended = e.to_string().contains("failed to read entire block");
                if index == 0 && pax.is_none() && state.first_block_is_no_tar(ended) {
                    Error::NotTar
                } else {
                    tar_error(e)
                }
            })?;
            let kind = entry.header().entry_type();
            if let Some(what) = extension_kind(kind) {
                let size = entry.size();
                if !kind.is_pax_local_extensions() || size > MAX_PAX_HEADER {
                    return Err(Error::ExtensionHeader { kind: what, size }.into());
                }
                if pax.is_some() {
                    return Err(Error::Corrupt {
                        reason: "two PAX headers describe the same member".into(),
                    }
                    .into());
                }
                let mut body = Vec::with_capacity(MAX_PAX_HEADER as usize);
                ExactReader {
                    inner: &mut entry,
                    left: size,
                }
                .read_to_end(&mut body)
                .map_err(Error::reading)?;
                pax = Some(pax_path(&body)?);
                end_of_last = entry.raw_file_position() + size.next_multiple_of(BLOCK);
                continue;
            }
            let raw_name = match pax.take() {
                Some(Some(path)) => path,
                Some(None) | None => entry.path_bytes().into_owned(),
            };
            let name = normalise(&raw_name)?;
            if !(kind.is_file() || kind == tar::EntryType::Continuous) {
                return Err(Error::NotRegularFile {
                    name,
                    kind: kind_name(kind).to_owned(),
                }
                .into());
            }
            if names.len() >= limits.max_members {
                return Err(Error::TooManyMembers {
                    max: limits.max_members,
                }
                .into());
            }
            if !names.insert(name.clone()) {
                return Err(Error::DuplicateMember { name }.into());
            }
            let size = entry.size();
            if size > limits.max_member_size {
                return Err(Error::MemberTooLarge {
                    name,
                    size,
                    max: limits.max_member_size,
                }
                .into());
            }
            if size > limits.max_total_size {
                return Err(Error::TooLarge {
                    max: limits.max_total_size,
                }
                .into());
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
        if pax.is_some() {
            return Err(Error::Corrupt {
                reason: "a PAX header at the end describes no member".into(),
            }
            .into());
        }
    }
    let mut guard = archive.into_inner();
    // tar stops at the first zero block, or silently at the end of the
    // stream: tell the two apart, then allow only zero padding after it.
    if guard.state.expanded.get() < end_of_last + BLOCK {
        return Err(Error::Truncated.into());
    }
    let mut zeros = guard.state.expanded.get() - end_of_last;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match guard.read(&mut buf) {
            Ok(n) => n,
            Err(e) => return Err(Error::reading(e).into()),
        };
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Err(Error::TrailingData.into());
        }
        zeros += n as u64;
    }
    if zeros < 2 * BLOCK {
        return Err(Error::Truncated.into());
    }
    after(&mut guard)
}

/// What a tar extension header is called in a message, or `None` for an
/// ordinary entry.
fn extension_kind(kind: tar::EntryType) -> Option<&'static str> {
    if kind.is_gnu_longname() {
        Some("GNU long-name header")
    } else if kind.is_gnu_longlink() {
        Some("GNU long-link header")
    } else if kind.is_pax_global_extensions() {
        Some("PAX global header")
    } else if kind.is_pax_local_extensions() {
        Some("PAX extended header")
    } else {
        None
    }
}

/// The records of a PAX extended header (already capped in size): the
/// `path` it gives the next member, if any. Records that would change how
/// the member's data is read (`size`, GNU sparse maps) are refused, since the
/// raw reader would not apply them; the rest (times, owners) do not matter.
fn pax_path(body: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut path = None;
    for record in tar::PaxExtensions::new(body) {
        let record = record.map_err(|_| Error::Corrupt {
            reason: "a PAX header is malformed".into(),
        })?;
        let key = record.key_bytes();
        if key == b"path" {
            path = Some(record.value_bytes().to_vec());
        } else if key == b"size" || key.starts_with(b"GNU.sparse.") {
            return Err(Error::ExtensionHeader {
                kind: "PAX header that changes a member's size",
                size: body.len() as u64,
            });
        }
    }
    Ok(path)
}

/// Turns a member's raw name into a safe relative name.
fn normalise(raw: &[u8]) -> Result<String> {
    // Only an excerpt is kept for the message: a name is at most a few KiB
    // here, but a message needs no more.
    let lossy = || Untrusted::bytes(raw).to_string();
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
    /// The first block of the tar stream, to tell "not a tar" from damage.
    first_block: RefCell<Vec<u8>>,
}

impl State {
    /// Whether the stream's first block lacks the ustar magic (POSIX
    /// `ustar\0`, GNU `ustar  `) and is whole, or is all the stream had
    /// (`ended`: it ended cleanly, short of a block): a bad first header is
    /// then some other file, not damage to a tar, nor a stream cut short.
    fn first_block_is_no_tar(&self, ended: bool) -> bool {
        let first = self.first_block.borrow();
        let whole = first.len() == BLOCK as usize || (ended && !first.is_empty());
        whole && first.get(257..262) != Some(b"ustar".as_slice())
    }
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
        {
            let mut first = self.state.first_block.borrow_mut();
            if first.len() < BLOCK as usize {
                let want = (BLOCK as usize - first.len()).min(n);
                first.extend_from_slice(&buf[..want]);
            }
        }
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

    /// A raw header of `kind` declaring `size` bytes, followed by `body`
    /// (which may be shorter: what the header declares is a lie the reader
    /// must not act on), padded, then `rest`.
    fn extension(kind: u8, size: u64, body: &[u8], rest: &[u8]) -> Vec<u8> {
        let mut h = tar::Header::new_ustar();
        h.set_path("././@LongLink").unwrap();
        h.set_size(size);
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(body);
        out.resize(out.len().next_multiple_of(512), 0);
        out.extend_from_slice(rest);
        out
    }

    fn pax(records: &[(&str, &[u8])], rest: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions(records.iter().copied()).unwrap();
        // Without the end marker `into_inner` would add.
        let mut out = b.get_ref().clone();
        out.extend_from_slice(rest);
        out
    }

    #[test]
    fn refuses_long_names_and_big_pax_headers_before_reading_them() {
        let member = tar_of(&[("a", b"hello")]);
        // Only one block of each body is there: a reader that read the
        // declared size would report truncation, not the header.
        for (kind, size, expected) in [
            (b'L', 800_000, "a GNU long-name header of 800000 bytes"),
            (b'K', 800_000, "a GNU long-link header of 800000 bytes"),
            (b'g', 100, "a PAX global header of 100 bytes"),
            (b'x', 13_000_000, "a PAX extended header of 13000000 bytes"),
            (
                b'x',
                MAX_PAX_HEADER + 1,
                "a PAX extended header of 8193 bytes",
            ),
        ] {
            let input = extension(kind, size, &[b'a'; 512], &member);
            for bytes in [input.clone(), gz(&input)] {
                let err = read_members(&bytes[..], &Limits::default(), |_| true).unwrap_err();
                assert!(matches!(err, Error::ExtensionHeader { .. }), "{err:?}");
                let text = err.to_string();
                assert!(text.contains(expected), "{text}");
                assert!(text.len() < 200, "{text}");
            }
        }
        // A 13 MB name written out in full, gzip'd: refused from the header.
        let huge = extension(b'L', 13 << 20, &vec![b'n'; 13 << 20], &member);
        let err = read_members(&gz(&huge)[..], &Limits::default(), |_| true).unwrap_err();
        assert!(matches!(err, Error::ExtensionHeader { .. }), "{err:?}");
    }

    #[test]
    fn reads_small_pax_headers_as_python_writes_them() {
        // Python's tarfile (TrueNAS) writes an mtime record before each member.
        let member = tar_of(&[("freenas-v1.db", b"db")]);
        check(
            &pax(&[("mtime", b"1767225600.25")], &member),
            "freenas-v1.db=2",
        );
        check(&gz(&pax(&[("mtime", b"1")], &member)), "freenas-v1.db=2");
        // `path` names the member; it passes the same name checks.
        check(
            &pax(&[("path", b"./pwenc_secret")], &member),
            "pwenc_secret=2",
        );
        check(
            &pax(&[("path", b"../escape")], &member),
            "error: the archive has a member with an unsafe name: \"../escape\"",
        );
        check(
            &pax(&[("path", "\u{1b}]52;c;aGk=\u{7}".as_bytes())], &member),
            "error: the archive has a member with an unsafe name: \"\\u{1b}]52;c;aGk=\\u{7}\"",
        );
        let long = format!("{}/x", "d".repeat(5000));
        let err = read_members(
            &pax(&[("path", long.as_bytes())], &member)[..],
            &Limits::default(),
            |_| true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.len() < 200, "{err}");
        // Records the raw reader would not apply are refused.
        for key in ["size", "GNU.sparse.map"] {
            let err = read_members(
                &pax(&[(key, b"2")], &member)[..],
                &Limits::default(),
                |_| true,
            )
            .unwrap_err();
            assert!(
                matches!(err, Error::ExtensionHeader { .. }),
                "{key}: {err:?}"
            );
        }
        check(
            &pax(&[("mtime", b"1")], &pax(&[("mtime", b"1")], &member)),
            "error: the archive is damaged: two PAX headers describe the same member",
        );
        check(
            &pax(&[("mtime", b"1")], &[0u8; 1024]),
            "error: the archive is damaged: a PAX header at the end describes no member",
        );
        check(
            &pax(&[("mtime", b"1")], &[]),
            "error: the archive is damaged: a PAX header at the end describes no member",
        );
    }

    #[test]
    fn tells_a_file_that_is_no_tar_from_a_damaged_one() {
        check(b"just some text\n", "error: the file is not a tar archive");
        check(&gz(&[b'x'; 2048]), "error: the file is not a tar archive");
        // A tar whose first header's checksum is wrong is damage.
        let mut t = tar_of(&[("a", b"hello")]);
        t[0] = b'b';
        check(
            &t,
            "error: the archive is damaged: archive header checksum mismatch",
        );
    }

    #[test]
    fn a_visitor_answers_in_its_callers_error_type() {
        #[derive(Debug, PartialEq)]
        enum Caller {
            Reader(String),
            Stop(String),
        }
        impl From<Error> for Caller {
            fn from(e: Error) -> Self {
                Caller::Reader(e.to_string())
            }
        }
        let t = tar_of(&[("a", b"1"), ("b", b"2")]);
        let mut seen = Vec::new();
        let stopped = visit_members(&t[..], &Limits::default(), |m| {
            seen.push(m.name().to_owned());
            Err(Caller::Stop(m.name().to_owned()))
        });
        assert_eq!(stopped, Err(Caller::Stop("a".into())));
        assert_eq!(seen, ["a"]);
        // The reader's own refusals arrive converted.
        let cut = visit_members(&t[..t.len() - 1024], &Limits::default(), |_| {
            Ok::<(), Caller>(())
        });
        assert_eq!(cut, Err(Caller::Reader("the archive is truncated".into())));
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
