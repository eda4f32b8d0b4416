//! The config database of one box: credentials and SSH key pairs with sealed
//! secrets, the data directory, seed rotation.
//!
//! A [`DataDir`] holds `config.db` (SQLite, schema version [`SCHEMA_VERSION`]) and
//! `secret-seed`, both mode 0600 in a 0700 directory. [`Store::open`] creates them on
//! first use, finishes or undoes an interrupted restore or seed rotation, and
//! migrates an older schema. Every secret attribute is sealed with nascfg-crypto,
//! bound to its credential's stable id and the attribute's name; the non-secret
//! attributes stay readable, so listing needs no seed.
//!
//! ```
//! use nascfg_credentials::{Credential, ProviderKind};
//! use nascfg_store::{DataDir, Store};
//!
//! let tmp = std::env::temp_dir().join(format!("nascfg-store-doc-{}", std::process::id()));
//! let dir = DataDir::new(tmp.clone());
//! let mut store = Store::open(&dir)?;
//! let mut attrs = serde_json::Map::new();
//! attrs.insert("host".into(), "sftp.example.com".into());
//! attrs.insert("user".into(), "backup".into());
//! attrs.insert("pass".into(), "hunter2".into());
//! let cred = Credential::new("offsite", ProviderKind::Sftp, attrs).map_err(nascfg_store::Error::Invalid)?;
//! store.add_credential(&cred)?;
//! assert_eq!(store.list_credentials()?[0].secret_fields, ["pass"]);
//! assert_eq!(store.credential("offsite")?, cred);
//! # drop(store);
//! # std::fs::remove_dir_all(tmp).ok();
//! # Ok::<(), nascfg_store::Error>(())
//! ```
//!
//! Architecture invariant: this crate is the only one that knows SQL and the schema.
#![deny(missing_docs)]

mod apikey;
mod batch;
mod content;
mod datadir;
mod error;
mod failpoint;
mod keypair;
mod listing;
mod permissions;
mod private_key;
mod restore;
mod rotate;
mod schema;
mod seed;
mod seed_import;
mod seed_shares;
mod sftp;
mod signer;
mod staged;
mod store;
mod token;
mod truenas;

/// The key type of [`parse_private_key`] and [`Store::add_keypair`].
pub use ssh_key;

pub use crate::{
    apikey::{ApiKeyRole, ApiKeySummary, NewApiKey},
    batch::{Batch, Sealer},
    content::{
        Content, ContentItem, CredentialContent, KeypairContent, KnownHostContent, SealedSecret,
        read_content,
    },
    datadir::{DataDir, Installed, StagedDb, WriteGuard},
    error::Error,
    failpoint::failpoint,
    keypair::{KeyType, KeypairSummary},
    listing::{
        Narrow, Secrets, TWO_THREADS_FROM, Visit, Visited, Visits, drop_elsewhere, two_halves,
    },
    permissions::{Tightened, UnsafeReason},
    private_key::parse_private_key,
    restore::{RestorePlan, Restored, StagedRestore, ThisBox, Unopenable},
    rotate::RotateReport,
    schema::SCHEMA_VERSION,
    seed::{SeedProblem, load_seed, load_seed_file},
    seed_import::{SeedImport, SeedImportCase},
    seed_shares::{
        MAX_SHARE_FILE, SeedSharesProblem, ShareFile, ShareFileProblem, load_seed_shares,
        read_share_file,
    },
    sftp::{HostKeyRecorded, SftpTrust},
    signer::SigningKey,
    staged::{
        DatabaseInfo, SecretsOpened, check_database, inspect_database, migrate_database,
        strip_secrets, verify_secrets_open, verify_secrets_open_after,
    },
    store::{CredentialId, CredentialSummary, InitOutcome, SealedCredential, Store},
    truenas::{TruenasRow, TruenasTables, read_truenas_db},
};
