//! Where a bundle to read comes from, and the reading use cases (inspect,
//! restore, diff) that are the same for a file on this box and for
//! `CRED:PATH/NAME`: a remote bundle is fetched whole into a private file
//! first, then read like a local one, every check made before the live data
//! is touched.

use std::path::{Path, PathBuf};

use nascfg_bundle::{
    Configuration, Inspection, RestoreOptions, RestoreReport, SignerPolicy, Unlock,
};
use nascfg_crypto::{Fingerprint, Seed};
use nascfg_remote::{Location, Storage};
use nascfg_store::DataDir;

use crate::error::Error;
use crate::progress::Progress;
use crate::pull::fetch;

/// Where a bundle comes from: a file on this box, or an object at a stored
/// credential's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A bundle file on this box.
    File(PathBuf),
    /// `CRED:PATH/NAME`: the object `name` at the storage `at`.
    Remote {
        /// `CRED:PATH`, the storage that holds it.
        at: Location,
        /// The object's name there.
        name: String,
        /// The argument as the user gave it, which reports name.
        given: PathBuf,
    },
}

impl Origin {
    /// Reads a command-line or form argument: a file when one exists at
    /// `arg`; else a remote bundle when it reads as `CRED:PATH/NAME` (an
    /// error when it names a storage but no object in it); else a file,
    /// whose absence the reading reports.
    pub fn parse(arg: &Path) -> Result<Origin, nascfg_remote::Error> {
        let remote = if arg.exists() {
            None
        } else {
            arg.to_str()
                .filter(|s| s.contains(':'))
                .and_then(|s| Location::parse(s).ok())
        };
        match remote {
            None => Ok(Origin::File(arg.to_owned())),
            Some(location) => {
                let (at, name) = location.split_name()?;
                Ok(Origin::Remote {
                    at,
                    name,
                    given: arg.to_owned(),
                })
            }
        }
    }

    /// The name reports give it: the path, or `CRED:PATH/NAME` as given.
    pub fn shown(&self) -> &Path {
        match self {
            Origin::File(path) => path,
            Origin::Remote { given, .. } => given,
        }
    }

    /// The bundle on this box: the file itself, or the remote object pulled
    /// whole into a private 0600 file (in a 0700 directory, removed when the
    /// returned value is dropped) through the storage `open` gives (called
    /// only for a remote origin, so a front end opens its store only then).
    /// Nothing is checked here: [`Local`]'s readings do that.
    pub fn fetch<E: From<Error>>(
        self,
        open: impl FnOnce(&Location) -> Result<Storage, E>,
        progress: &dyn Progress,
    ) -> Result<Local, E> {
        match self {
            Origin::File(path) => Ok(Local {
                shown: path.clone(),
                path,
                _dir: None,
            }),
            Origin::Remote { at, name, given } => {
                let storage = open(&at)?;
                let (dir, path) = fetch(&storage, &name, progress)?.into_parts();
                Ok(Local {
                    path,
                    shown: given,
                    _dir: Some(dir),
                })
            }
        }
    }
}

/// A bundle on this box to read, from an [`Origin`]: each reading makes
/// every check (manifest, members, database, signer) and names the bundle
/// as the user gave it. Errors are the bundle's own ([`nascfg_bundle::Error`]).
#[derive(Debug)]
pub struct Local {
    path: PathBuf,
    shown: PathBuf,
    /// The private directory of a fetched bundle, removed on drop.
    _dir: Option<tempfile::TempDir>,
}

impl Local {
    /// The file (a private temporary one for a remote origin).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name reports give it ([`Origin::shown`]).
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Inspects it (`backup inspect`): whether `this_box`'s seed opens its
    /// secrets, and its signer as `signers` accepts it (the accepting
    /// principal filled in), or the refusal.
    pub fn inspect(
        &self,
        unlock: &dyn Unlock,
        this_box: Option<&Fingerprint>,
        signers: &SignerPolicy,
    ) -> nascfg_bundle::Result<Inspection> {
        let mut inspection = nascfg_bundle::inspect(&self.path, unlock, this_box)?;
        inspection.signer = signers.check(&inspection.signer)?;
        Ok(inspection)
    }

    /// Restores it into `data_dir` ([`nascfg_bundle::restore`]: the signer
    /// policy, the seed and the dry run are in `options`).
    pub fn restore(
        &self,
        data_dir: &DataDir,
        options: &RestoreOptions<'_>,
    ) -> nascfg_bundle::Result<RestoreReport> {
        nascfg_bundle::restore(data_dir, &self.path, options)
    }

    /// Its configuration, for `backup diff`: its secrets opened with its own
    /// seed or `seed`, its signer refused unless `signers` accepts it.
    pub fn configuration(
        &self,
        unlock: &dyn Unlock,
        signers: &SignerPolicy,
        seed: Option<&Seed>,
    ) -> nascfg_bundle::Result<Configuration> {
        let config = Configuration::from_bundle(&self.path, unlock, seed)?;
        if let Some(signer) = config.signer() {
            signers.check(signer)?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(arg: &str, expected: &str) {
        let got = match Origin::parse(Path::new(arg)) {
            Ok(Origin::File(p)) => format!("file {}", p.display()),
            Ok(Origin::Remote { at, name, given }) => {
                format!("remote {at} {name} ({})", given.display())
            }
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected, "{arg}");
    }

    #[test]
    fn what_an_argument_names() {
        check("bundle.tar.gz", "file bundle.tar.gz");
        check("./dir/bundle.tar.gz", "file ./dir/bundle.tar.gz");
        check(
            "offsite:bucket/nas1/b.tar.gz",
            "remote offsite:bucket/nas1 b.tar.gz (offsite:bucket/nas1/b.tar.gz)",
        );
        // A file that exists is a file, whatever its name looks like.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let odd = dir.path().join("offsite:bucket");
        std::fs::write(&odd, b"").expect("a file");
        let odd = odd.to_str().expect("UTF-8");
        check(odd, &format!("file {odd}"));
    }
}
