//! Seed shares on disk: the share file `nascfg seed export --shares` writes
//! (docs/FORMAT.md, "Seed shares (SLIP-39)") and the recovery of a seed from
//! several of them ([`load_seed_shares`]). The SLIP-39 arithmetic is
//! nascfg-crypto's ([`nascfg_crypto::split`], [`nascfg_crypto::combine`]);
//! this module knows the lines around the words and which file each share came
//! from, so every refusal names a file and never a word.

use std::fmt;
use std::path::{Path, PathBuf};

use nascfg_crypto::zeroize::Zeroizing;
use nascfg_crypto::{Fingerprint, Seed, Share, SharesError};

use crate::error::Error;

/// The largest share file read; a larger one is refused unread. A share
/// file is about 600 bytes (33 words and seven comment lines).
pub const MAX_SHARE_FILE: usize = 16 * 1024;

/// Why one share file cannot be used (never a word of it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareFileProblem {
    /// There is no such file.
    #[error("the file does not exist")]
    Missing,
    /// The file exists but cannot be read.
    #[error("{reason}")]
    Unreadable {
        /// What the operating system said.
        reason: String,
    },
    /// The file is larger than [`MAX_SHARE_FILE`].
    #[error("it is larger than {} KiB, too large for a share file", MAX_SHARE_FILE / 1024)]
    TooLarge,
    /// The file is not UTF-8 text.
    #[error("it is not text (UTF-8), so not a share file")]
    NotText,
    /// Only comments and blank lines: no line of words.
    #[error("it holds no line of share words, so it is not a share file")]
    NoShare,
    /// More than one line that is not a comment.
    #[error("it holds more than one line of words; a share file holds one share")]
    SeveralShares,
    /// A `# seed:` line that is not one fingerprint, or two such lines.
    #[error(
        "its `# seed:` line is not a seed fingerprint (nfp1:xxxx-xxxx-xxxx-xxxx), or there are two"
    )]
    SeedLine,
    /// The line of words is not a valid SLIP-39 share.
    #[error("{0}")]
    Share(SharesError),
}

impl ShareFileProblem {
    /// What to do about it, for [`Error::hint`](crate::Error::hint).
    pub(crate) fn hint(&self) -> String {
        let what = match self {
            ShareFileProblem::Missing | ShareFileProblem::Unreadable { .. } => {
                "give the share files `nascfg seed export --shares` wrote (share-<i>-of-<N>.txt), or files \
                 holding a SLIP-39 share's words on one line"
            }
            ShareFileProblem::TooLarge
            | ShareFileProblem::NotText
            | ShareFileProblem::NoShare
            | ShareFileProblem::SeveralShares => {
                "a share file holds one SLIP-39 share: its words on one line, and `#` comment lines; \
                 give one file per share"
            }
            ShareFileProblem::SeedLine => {
                "the `# seed:` line carries the fingerprint the share file was written with; copy it again \
                 from the written share, or remove the line to skip the check"
            }
            ShareFileProblem::Share(e) => e.hint().unwrap_or("use another copy of the share"),
        };
        format!("{what}; nothing was changed")
    }
}

/// Why shares that each read well do not give this box a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedSharesProblem {
    /// The shares do not combine; `files` are the files in the order given,
    /// the ones the error's share numbers count.
    Combine {
        /// What SLIP-39 refused.
        error: SharesError,
        /// The share files, in the order given.
        files: Vec<PathBuf>,
    },
    /// The shares recover a secret that is not 32 bytes: a split of
    /// something else than a seed.
    NotASeed {
        /// The secret's length in bytes.
        len: usize,
    },
    /// The recovered seed is not the one a file's `# seed:` line names.
    OtherSeed {
        /// The file whose line differs.
        path: PathBuf,
        /// The fingerprint on its `# seed:` line.
        written: Fingerprint,
        /// The fingerprint of the seed recovered.
        recovered: Fingerprint,
    },
}

impl fmt::Display for SeedSharesProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedSharesProblem::Combine { error, files } => {
                let file = |n: &usize| {
                    files
                        .get(n.wrapping_sub(1))
                        .map_or_else(|| format!("share {n}"), |p| p.display().to_string())
                };
                match error {
                    SharesError::DifferentSplit { first, share, what } => write!(
                        f,
                        "{} is a share of another split than {} (its {what} differs)",
                        file(share),
                        file(first)
                    ),
                    SharesError::DuplicateMember {
                        first,
                        share,
                        member,
                    } => write!(
                        f,
                        "{} and {} are the same share (member {member} of the split)",
                        file(first),
                        file(share)
                    ),
                    SharesError::Inconsistent { share } => {
                        write!(f, "{} does not fit the other shares", file(share))
                    }
                    SharesError::UnknownWord { .. }
                    | SharesError::WordCount { .. }
                    | SharesError::Checksum
                    | SharesError::Padding
                    | SharesError::Parameters(_)
                    | SharesError::NoShares
                    | SharesError::TooFewShares { .. }
                    | SharesError::TooFewGroups { .. }
                    | SharesError::Digest
                    | SharesError::Split(_) => write!(f, "{error}"),
                }
            }
            SeedSharesProblem::NotASeed { len } => write!(
                f,
                "the shares hold a secret of {len} bytes, not a 32-byte nascfg seed"
            ),
            SeedSharesProblem::OtherSeed {
                path,
                written,
                recovered,
            } => write!(
                f,
                "the shares recover the seed {recovered}, but {} was written for {written}",
                path.display()
            ),
        }
    }
}

impl SeedSharesProblem {
    /// What to do about it, for [`Error::hint`](crate::Error::hint).
    pub(crate) fn hint(&self) -> String {
        let what = match self {
            SeedSharesProblem::Combine { error, .. } => {
                error.hint().unwrap_or("give shares of one split")
            }
            SeedSharesProblem::NotASeed { .. } => {
                "give shares of a nascfg seed (a split of 32 bytes); these were made from another secret"
            }
            SeedSharesProblem::OtherSeed { .. } => {
                "the shares come from splits of two seeds made with the same identifier, or that file's \
                 `# seed:` line was edited; give shares of the seed you mean"
            }
        };
        format!("{what}; nothing was changed")
    }
}

/// One share file read: the share and the fingerprint its `# seed:` line
/// names, if it has one (a bare file of words, as another SLIP-39 tool
/// writes, has none).
#[derive(Debug, Clone)]
pub struct ShareFile {
    share: Share,
    fingerprint: Option<Fingerprint>,
}

impl ShareFile {
    /// Parses a share file's text: `#` lines are comments (a `# seed:` line
    /// is read), blank lines are skipped, and exactly one other line holds
    /// the words. Never panics; longer text than [`MAX_SHARE_FILE`] is
    /// refused unread.
    pub fn parse(text: &str) -> Result<ShareFile, ShareFileProblem> {
        if text.len() > MAX_SHARE_FILE {
            return Err(ShareFileProblem::TooLarge);
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut words = None;
        let mut fingerprint = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                if let Some(value) = comment.trim_start().strip_prefix("seed:") {
                    if fingerprint.is_some() {
                        return Err(ShareFileProblem::SeedLine);
                    }
                    let parsed = value
                        .trim()
                        .parse::<Fingerprint>()
                        .map_err(|_| ShareFileProblem::SeedLine)?;
                    fingerprint = Some(parsed);
                }
                continue;
            }
            if words.is_some() {
                return Err(ShareFileProblem::SeveralShares);
            }
            words = Some(line);
        }
        let words = words.ok_or(ShareFileProblem::NoShare)?;
        let share = Share::parse(words).map_err(ShareFileProblem::Share)?;
        Ok(ShareFile { share, fingerprint })
    }

    /// The share.
    pub fn share(&self) -> &Share {
        &self.share
    }

    /// The fingerprint on the `# seed:` line, if there is one.
    pub fn fingerprint(&self) -> Option<&Fingerprint> {
        self.fingerprint.as_ref()
    }

    /// The text of a share file (docs/FORMAT.md): the comment lines naming
    /// the box, the seed, the split and how to recover, then the words.
    /// `count` is the split's N (SLIP-39 does not record it); `host` is
    /// printed with anything but letters, digits, `.`, `-` and `_` replaced.
    pub fn render(
        share: &Share,
        count: u8,
        host: &str,
        fingerprint: &Fingerprint,
        date: time::Date,
    ) -> Zeroizing<String> {
        let host: String = host
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        let threshold = share.member_threshold();
        let recover = vec!["--share FILE"; usize::from(threshold)].join(" ");
        let words = share.to_words();
        let mut out = Zeroizing::new(String::with_capacity(1024));
        out.push_str(&format!(
            "# nascfg seed share {member} of {count}: any {threshold} of the {count} recover the seed\n\
             # box: {host}\n\
             # seed: {fingerprint}\n\
             # split: {date}, SLIP-39 identifier {identifier}\n\
             # recover: nascfg seed import {recover}\n\
             #          (or restore --seed-share FILE ...; any SLIP-39 tool or wallet also recovers the 32-byte seed)\n\
             # keep this file apart from the other shares; alone it reveals nothing of the seed\n",
            member = share.member(),
            identifier = share.identifier(),
        ));
        out.push_str(words.as_str());
        out.push('\n');
        out
    }
}

/// Reads one share file (at most [`MAX_SHARE_FILE`] bytes).
pub fn read_share_file(path: &Path) -> Result<ShareFile, Error> {
    let fail = |problem| Error::ShareFile {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = nascfg_crypto::read_secret_file(path, MAX_SHARE_FILE)
        .map_err(|e| fail(unreadable(&e)))?
        .ok_or_else(|| fail(ShareFileProblem::TooLarge))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| fail(ShareFileProblem::NotText))?;
    ShareFile::parse(text).map_err(fail)
}

fn unreadable(e: &std::io::Error) -> ShareFileProblem {
    if e.kind() == std::io::ErrorKind::NotFound {
        ShareFileProblem::Missing
    } else {
        ShareFileProblem::Unreadable {
            reason: e.to_string(),
        }
    }
}

/// Recovers a seed from share files: each is read ([`read_share_file`]),
/// the shares are combined (SLIP-39, empty passphrase), the secret must be
/// 32 bytes, and its fingerprint must match the `# seed:` line of every file
/// that has one. Touches nothing but the files it reads.
pub fn load_seed_shares(paths: &[PathBuf]) -> Result<Seed, Error> {
    let files = paths
        .iter()
        .map(|p| read_share_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let shares: Vec<Share> = files.iter().map(|f| f.share.clone()).collect();
    let secret = nascfg_crypto::combine(&shares, b"").map_err(|error| Error::SeedShares {
        problem: SeedSharesProblem::Combine {
            error,
            files: paths.to_vec(),
        },
    })?;
    let seed = Seed::from_bytes(&secret).map_err(|_| Error::SeedShares {
        problem: SeedSharesProblem::NotASeed { len: secret.len() },
    })?;
    let recovered = seed.fingerprint();
    for (path, file) in paths.iter().zip(&files) {
        if let Some(written) = &file.fingerprint
            && *written != recovered
        {
            return Err(Error::SeedShares {
                problem: SeedSharesProblem::OtherSeed {
                    path: path.clone(),
                    written: written.clone(),
                    recovered,
                },
            });
        }
    }
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_share() -> (Share, Fingerprint) {
        let seed = Seed::from_bytes(&[7u8; 32]).unwrap();
        let shares = nascfg_crypto::split(seed.expose_bytes(), 2, 3, b"", 0).unwrap();
        (shares[1].clone(), seed.fingerprint())
    }

    #[test]
    fn a_rendered_file_parses_back() {
        let (share, fp) = a_share();
        let date = time::Date::from_calendar_date(2026, time::Month::December, 6).unwrap();
        let text = ShareFile::render(&share, 3, "nas\n01", &fp, date);
        assert!(text.starts_with(
            "# nascfg seed share 2 of 3: any 2 of the 3 recover the seed\n# box: nas?01\n"
        ));
        assert!(text.contains("# recover: nascfg seed import --share FILE --share FILE\n"));
        let file = ShareFile::parse(&text).unwrap();
        assert_eq!(file.fingerprint(), Some(&fp));
        assert_eq!(file.share().to_words().as_str(), share.to_words().as_str());
    }

    fn check(text: &str, expected: Result<(), ShareFileProblem>) {
        assert_eq!(ShareFile::parse(text).map(|_| ()), expected, "{text:?}");
    }

    #[test]
    fn parse_cases() {
        let (share, fp) = a_share();
        let words = share.to_words();
        let w = words.as_str();
        check(w, Ok(()));
        check(
            &format!("\u{feff}# hello\n\n  {w}  \r\n# seed: {fp}\n"),
            Ok(()),
        );
        check("", Err(ShareFileProblem::NoShare));
        check("# only a comment\n", Err(ShareFileProblem::NoShare));
        check(&format!("{w}\n{w}\n"), Err(ShareFileProblem::SeveralShares));
        check(
            &format!("# seed: nfp1:nope\n{w}"),
            Err(ShareFileProblem::SeedLine),
        );
        check(
            &format!("# seed: {fp}\n# seed: {fp}\n{w}"),
            Err(ShareFileProblem::SeedLine),
        );
        check(
            &"#".repeat(MAX_SHARE_FILE + 1),
            Err(ShareFileProblem::TooLarge),
        );
        let mut mistyped: Vec<&str> = w.split(' ').collect();
        let i = (4..30).find(|&i| mistyped[i] != mistyped[i + 1]).unwrap();
        mistyped.swap(i, i + 1);
        check(
            &mistyped.join(" "),
            Err(ShareFileProblem::Share(SharesError::Checksum)),
        );
    }
}
