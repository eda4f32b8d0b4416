//! `CRED:PATH`: a place on a stored credential's storage.

use crate::error::{Error, Result};

/// A parsed `CRED:PATH`: the credential's name and a path of `/`-separated
/// segments (no empty, `.` or `..` segment). What the first segment means
/// depends on the provider (the bucket or container of an object store, a
/// folder elsewhere); the engine decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    credential: String,
    segments: Vec<String>,
}

impl Location {
    /// Parses `CRED:PATH` (`PATH` may be empty: the credential's root).
    pub fn parse(text: &str) -> Result<Location> {
        let fail = |reason: &str| Error::Location {
            given: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (credential, path) = text
            .split_once(':')
            .ok_or_else(|| fail("no `:` between the credential's name and the path"))?;
        if credential.is_empty() {
            return Err(fail("the credential's name is empty"));
        }
        let mut segments = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" => continue,
                "." | ".." => return Err(fail("`.` and `..` are not allowed in the path")),
                s if s.chars().any(char::is_control) => {
                    return Err(fail("control characters are not allowed in the path"));
                }
                s => segments.push(s.to_owned()),
            }
        }
        Ok(Location {
            credential: credential.to_owned(),
            segments,
        })
    }

    /// The credential's name.
    pub fn credential(&self) -> &str {
        &self.credential
    }

    /// The path's segments.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The path, `a/b` (empty for the root).
    pub fn path(&self) -> String {
        self.segments.join("/")
    }

    /// The location with its last segment split off as an object name:
    /// `CRED:PATH/NAME` gives (`CRED:PATH`, `NAME`).
    pub fn split_name(&self) -> Result<(Location, String)> {
        let mut parent = self.clone();
        match parent.segments.pop() {
            Some(name) => Ok((parent, name)),
            None => Err(Error::Location {
                given: self.to_string(),
                reason: "it names no object (give CRED:PATH/NAME)".into(),
            }),
        }
    }

    /// `CRED:PATH/name`.
    pub fn join(&self, name: &str) -> String {
        if self.segments.is_empty() {
            format!("{}:{name}", self.credential)
        } else {
            format!("{}:{}/{name}", self.credential, self.path())
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.credential, self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(&str, &str)>) {
        let got = Location::parse(text).ok();
        let got = got.as_ref().map(|l| (l.credential(), l.path()));
        assert_eq!(
            got.as_ref().map(|(c, p)| (*c, p.as_str())),
            expected,
            "{text}"
        );
    }

    #[test]
    fn parse() {
        check("s3:bucket/nas1", Some(("s3", "bucket/nas1")));
        check("s3:/bucket//nas1/", Some(("s3", "bucket/nas1")));
        check("sftp:", Some(("sftp", "")));
        check("my cred:a b/c", Some(("my cred", "a b/c")));
        check("a:b:c", Some(("a", "b:c")));
        check("nocolon", None);
        check(":path", None);
        check("s3:bucket/../x", None);
        check("s3:./x", None);
        check("s3:a\nb", None);
    }

    #[test]
    fn split_and_join() {
        let l = Location::parse("c:b/p/n.tar.gz").expect("valid");
        let (parent, name) = l.split_name().expect("has a name");
        assert_eq!(
            (parent.to_string(), name.as_str()),
            ("c:b/p".to_owned(), "n.tar.gz")
        );
        assert_eq!(parent.join("x"), "c:b/p/x");
        assert!(Location::parse("c:").expect("valid").split_name().is_err());
    }
}
