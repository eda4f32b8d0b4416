//! Arbitrary bytes as a tar or tar.gz, through the safe reader alone
//! (nascfg-tar): it never panics, what it accepts is the same however much
//! of each member a visitor reads, every name it gives is safe and given
//! once, a refusal's message stays short, and a visitor's own error stops
//! the walk.
#![no_main]

use std::collections::HashSet;
use std::io::Read as _;

use libfuzzer_sys::fuzz_target;
use nascfg_tar::{Limits, MemberReader, read_members, visit_members};

/// A caller's own error type, as a bundle's or an importer's.
#[derive(Debug)]
enum Caller {
    Reader(nascfg_tar::Error),
    Stop,
}

impl From<nascfg_tar::Error> for Caller {
    fn from(e: nascfg_tar::Error) -> Self {
        Caller::Reader(e)
    }
}

/// Reads all, a few bytes or none of each member, by its position.
fn partly(member: &mut MemberReader<'_>) -> Result<(String, u64), Caller> {
    let want = match member.index() % 3 {
        0 => u64::MAX,
        1 => 7,
        _ => 0,
    };
    let mut sink = Vec::new();
    member
        .take(want)
        .read_to_end(&mut sink)
        .map_err(nascfg_tar::Error::reading)?;
    assert!(sink.len() as u64 <= member.size());
    Ok((member.name().to_owned(), member.size()))
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_total_size: 8 << 20,
        ..Limits::default()
    };
    let whole = read_members(data, &limits, |_| true);
    let mut seen = Vec::new();
    let visited = visit_members(data, &limits, |member| {
        seen.push(partly(member)?);
        Ok::<(), Caller>(())
    });
    assert_eq!(
        whole.is_ok(),
        visited.is_ok(),
        "{whole:?} / {visited:?}: how much a visitor reads changes the verdict"
    );
    if let Err(Caller::Reader(e)) = &visited {
        // Names are shown as escaped excerpts, never whole.
        assert!(e.to_string().len() < 2048, "{e}");
        assert!(e.hint().is_some());
    }
    if let Ok(members) = &whole {
        let read: Vec<(String, u64)> = members
            .iter()
            .map(|m| (m.name().to_owned(), m.data().len() as u64))
            .collect();
        assert_eq!(read, seen);
        assert!(members.len() <= limits.max_members);
        let mut names = HashSet::new();
        for m in members {
            let name = m.name();
            assert!(names.insert(name), "{name:?} twice");
            assert!(!name.starts_with('/') && !name.contains('\\'), "{name:?}");
            assert!(
                name.split('/').all(|p| !matches!(p, "" | "." | "..")),
                "{name:?}"
            );
        }
    }
    // A visitor's own error stops the walk at the first member.
    let stopped = visit_members(data, &limits, |_| Err::<(), Caller>(Caller::Stop));
    if whole.as_ref().is_ok_and(|m| !m.is_empty()) {
        assert!(matches!(stopped, Err(Caller::Stop)), "{stopped:?}");
    }
});
