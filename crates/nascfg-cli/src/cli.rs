//! The command-line grammar: the contract of DESIGN.md, in clap.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The longest duration any `--*timeout` flag takes, in seconds: one week. A bigger number is
/// a typo, and an unbounded one overflows the deadline arithmetic (a panic, not an error).
pub const MAX_SECONDS: u64 = 7 * 24 * 60 * 60;

/// nascfg keeps a NAS's cloud-storage credentials and configuration safe.
#[derive(Debug, Parser)]
#[command(name = "nascfg", version, about, propagate_version = true)]
pub struct Cli {
    /// The data directory (config.db and secret-seed).
    #[arg(long, global = true, env = "NASCFG_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print less.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, its database and its secret seed.
    Init,
    /// The supported cloud providers and their fields.
    Providers(ProvidersArgs),
    /// Manage cloud credentials.
    #[command(subcommand)]
    Cred(CredCommand),
    /// Manage SSH key pairs (used by SFTP credentials).
    #[command(subcommand)]
    Keypair(KeypairCommand),
    /// Configuration backups: export, inspect, restore.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// The box's secret seed.
    #[command(subcommand)]
    Seed(SeedCommand),
    /// Keys for the TrueNAS-compatible API that `nascfg serve` answers at /api/current.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// The box's bundle-signing key (Ed25519): every bundle's manifest is signed with it.
    #[command(subcommand)]
    Signer(SignerCommand),
    /// Log in to an OAuth provider on this desktop and print the token JSON, to paste on the
    /// NAS with `nascfg cred add NAME --provider TYPE --set token=-`.
    ///
    /// Everything for you (the address to open, instructions) goes to standard error; standard
    /// output gets only the token JSON (rclone's shape, as `rclone authorize` prints it).
    Authorize {
        /// The provider's type string: GOOGLE_DRIVE, GOOGLE_PHOTOS, ONEDRIVE, DROPBOX, BOX,
        /// PCLOUD or YANDEX (any case).
        #[arg(value_name = "TYPE")]
        provider: String,
        /// Your OAuth app: --set client_id=ID, --set client_secret=@FILE (KEY=@PATH reads a
        /// file, KEY=- standard input).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        login: LoginArgs,
    },
    /// Import credentials from other systems.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export credentials for other tools.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Serve the web UI: the credential form, verify, key pairs, backups.
    ///
    /// Prints a one-time login URL; open it in a browser on this machine (or, with TLS,
    /// on the network). Runs until interrupted.
    Serve {
        /// The address to listen on. A non-loopback address needs --tls-cert and
        /// --tls-key, or --insecure-http.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8787")]
        listen: std::net::SocketAddr,
        /// The TLS certificate chain (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The TLS private key (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on a non-loopback address (sessions travel in clear text).
        #[arg(long, conflicts_with = "tls_cert")]
        insecure_http: bool,
        /// End a browser's session after this many minutes without a request (it must
        /// log in again, with a new `nascfg serve`'s URL).
        #[arg(long, value_name = "MINUTES", default_value_t = 30,
              value_parser = clap::value_parser!(u64).range(1..=10080))]
        session_idle_minutes: u64,
        #[command(flatten)]
        verify_args: VerifyArgs,
    },
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print this manual page (roff) to standard output.
    Man,
}

#[derive(Debug, Args)]
pub struct ProvidersArgs {
    #[command(subcommand)]
    pub command: Option<ProvidersCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// The fields of one provider.
    Show {
        /// The provider's type string, e.g. S3 (any case).
        #[arg(value_name = "TYPE")]
        provider: String,
    },
}

/// A passphrase source for encrypted bundles and seed exports.
#[derive(Debug, Args, Clone, Default)]
pub struct PassphraseArgs {
    /// Read the passphrase from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_env")]
    pub passphrase_file: Option<PathBuf>,
    /// Read the passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
}

/// Public keys to encrypt a bundle to, instead of a passphrase.
#[derive(Debug, Args, Clone, Default)]
pub struct RecipientArgs {
    /// Encrypt the bundle to this public key (repeatable): an age key (age1…) or an SSH public
    /// key line (`ssh-ed25519 …`, `ssh-rsa …`). With it, --include-seed needs no passphrase.
    #[arg(long = "recipient", value_name = "R")]
    pub recipients: Vec<String>,
    /// Encrypt the bundle to the recipients in FILE (age's format: one a line, # comments).
    #[arg(long, value_name = "FILE")]
    pub recipients_file: Vec<PathBuf>,
}

/// Private keys that open a bundle encrypted to recipients.
#[derive(Debug, Args, Clone, Default)]
pub struct IdentityArgs {
    /// Open a bundle encrypted to a public key with this private key (repeatable): an age
    /// identity file (age-keygen) or an OpenSSH private key (an encrypted one asks for its
    /// passphrase on the terminal).
    #[arg(long = "identity", value_name = "FILE")]
    pub identities: Vec<PathBuf>,
}

/// The seed a bundle's secrets are sealed under, when it travelled separately.
#[derive(Debug, Args, Clone, Default)]
pub struct SeedFileArgs {
    /// The seed the bundle's secrets are sealed under: the file `nascfg seed export` wrote on
    /// the old box (passphrase-protected or raw), or that box's 32-byte secret-seed.
    #[arg(long, value_name = "FILE")]
    pub seed_file: Option<PathBuf>,
    /// Read the seed file's passphrase (not the bundle's) from the first line of this file.
    #[arg(
        long,
        value_name = "FILE",
        requires = "seed_file",
        conflicts_with = "seed_passphrase_env"
    )]
    pub seed_passphrase_file: Option<PathBuf>,
    /// Read the seed file's passphrase (not the bundle's) from this environment variable.
    #[arg(long, value_name = "VAR", requires = "seed_file")]
    pub seed_passphrase_env: Option<String>,
    /// A share file of `nascfg seed export --shares`: give it once per share, at least the
    /// split's threshold; the seed they recover is used as --seed-file's would be.
    #[arg(long, value_name = "FILE", conflicts_with = "seed_file")]
    pub seed_share: Vec<PathBuf>,
}

/// What reads a bundle (`backup inspect`, `backup diff`): its passphrase or identities, the
/// seed its secrets are sealed under, and how a remote one is reached.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
    #[command(flatten)]
    pub identities: IdentityArgs,
    #[command(flatten)]
    pub seed: SeedFileArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Options for verifying a credential against its service.
#[derive(Debug, Args, Clone, Default)]
pub struct VerifyArgs {
    /// Give up each connection attempt after this many seconds (1 to 604800).
    #[arg(long, value_name = "SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub connect_timeout: u64,
    /// Give up the whole check after this many seconds (1 to 604800).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub timeout: u64,
    /// Send the provider's API requests to this base URL instead of the real
    /// service (for test stand-ins on loopback). Only in builds with the
    /// `test-endpoints` feature: the shipped binary has no such option.
    #[cfg(feature = "test-endpoints")]
    #[arg(long, value_name = "URL", env = "NASCFG_VERIFY_ENDPOINT")]
    pub endpoint_override: Option<String>,
}

/// How an OAuth login runs.
#[derive(Debug, Args, Clone)]
pub struct LoginArgs {
    /// Never open a browser; only print the address to open.
    #[arg(long)]
    pub no_browser: bool,
    /// For a box without a browser: print the address, approve on any machine, then paste
    /// the address the browser fails to load (or, where the provider shows one, the code).
    #[arg(long, conflicts_with = "device")]
    pub paste: bool,
    /// Log in with a code entered on any device (OneDrive and Yandex; RFC 8628).
    #[arg(long)]
    pub device: bool,
    /// Give up the whole login after this many seconds (1 to 604800): it is spent waiting
    /// for the browser, or for the device code's approval.
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub timeout: u64,
    /// Give up each connection attempt to the provider after this many seconds (1 to 604800).
    #[arg(long, value_name = "SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub connect_timeout: u64,
    /// Give up each request to the provider after this many seconds (1 to 604800).
    /// `--deadline` is its old name.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, alias = "deadline",
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub request_timeout: u64,
    /// Send every request of the login to this base URL instead of the provider (for test
    /// servers on loopback). Only in builds with the `test-endpoints` feature.
    #[cfg(feature = "test-endpoints")]
    #[arg(long, value_name = "URL", env = "NASCFG_VERIFY_ENDPOINT")]
    pub endpoint_override: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CredCommand {
    /// Add a credential: NAME with --provider TYPE, or a whole document with --from-json.
    #[command(
        override_usage = "nascfg cred add <NAME> --provider <TYPE> [--set <KEY=VALUE>]... [--verify]\n       \
                                nascfg cred add --from-json <FILE>"
    )]
    Add {
        /// The credential's name (not with --from-json: the document names it).
        #[arg(required_unless_present = "from_json")]
        name: Option<String>,
        /// The provider's type string, e.g. S3 (any case).
        #[arg(long, value_name = "TYPE", required_unless_present = "from_json")]
        provider: Option<String>,
        /// Set one attribute: KEY=VALUE, KEY=@PATH (read a file), KEY=- (read stdin).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Read the credential from a TrueNAS API JSON document (FILE or - for stdin).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "provider", "set"])]
        from_json: Option<String>,
        /// Save the credential only if it verifies against its service.
        #[arg(long)]
        verify: bool,
        #[command(flatten)]
        verify_args: VerifyArgs,
    },
    /// List credentials (secrets are never shown).
    List,
    /// Show one credential.
    Show {
        /// The credential's name.
        name: String,
        /// Print secret values too.
        #[arg(long)]
        reveal: bool,
    },
    /// Change attributes of a credential, or rename it.
    Update {
        /// The credential's name.
        name: String,
        /// Set one attribute: KEY=VALUE, KEY=@PATH (read a file), KEY=- (read stdin).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// A new name.
        #[arg(long, value_name = "NEW")]
        rename: Option<String>,
    },
    /// Delete a credential.
    Delete {
        /// The credential's name.
        name: String,
    },
    /// Log in to an OAuth provider and store the token in NAME.
    ///
    /// NAME is created with --provider (other attributes by --set, checked as `cred add`
    /// checks them, stored only once the token is obtained), or, when it exists, reconnected:
    /// its token is replaced and everything else kept. Your own OAuth app's client_id (and
    /// client_secret) come from --set or, on reconnect, from NAME; docs/OAUTH.md says how to
    /// register one per provider.
    ///
    /// By default the login waits on 127.0.0.1 for the browser's redirect and opens the
    /// browser when there is a display; the address is always printed on a line of its own.
    /// On a box without a browser: --paste.
    Login {
        /// The credential to create or reconnect.
        name: String,
        /// Create NAME with this provider: GOOGLE_DRIVE, GOOGLE_PHOTOS, ONEDRIVE, DROPBOX,
        /// BOX, PCLOUD or YANDEX (any case).
        #[arg(long, value_name = "TYPE")]
        provider: Option<String>,
        /// Set one attribute: KEY=VALUE, KEY=@PATH (read a file), KEY=- (read stdin).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        login: LoginArgs,
    },
    /// Check that a credential works against its service: a stored one by NAME, or an
    /// unsaved one given by --provider and --set.
    #[command(override_usage = "nascfg cred verify <NAME> [OPTIONS]\n       \
                                nascfg cred verify --provider <TYPE> [--set <KEY=VALUE>]... [OPTIONS]")]
    Verify {
        /// A stored credential (not with --provider).
        #[arg(required_unless_present = "provider", conflicts_with_all = ["provider", "set"])]
        name: Option<String>,
        /// Verify an unsaved credential of this provider.
        #[arg(long, value_name = "TYPE")]
        provider: Option<String>,
        /// Set one attribute: KEY=VALUE, KEY=@PATH (read a file), KEY=- (read stdin).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        verify_args: VerifyArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SignerCommand {
    /// Print the box's signing key as an OpenSSH public key line (comment `nascfg@<host>` of
    /// the box that made it) and its SHA256 fingerprint; made first if the box has none.
    Show {
        /// Print only the line for an OpenSSH allowed_signers file:
        /// `nascfg@<host> namespaces="nascfg-bundle@v1" ssh-ed25519 AAAA…`.
        #[arg(long)]
        allowed_signers: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create a key and print it once, in TrueNAS's `<id>-<secret>` form; only a slow,
    /// salted hash of it is stored, so it cannot be shown again.
    Create {
        /// A name for the key (who or what uses it), unique.
        name: String,
        /// readonly: reads only, every secret shown as ********; admin: reads secrets and writes.
        #[arg(long, value_enum, default_value = "readonly")]
        role: ApikeyRole,
    },
    /// List the keys (names, ids, roles; never the keys).
    List,
    /// Delete a key; sessions logged in with it end at their next call.
    Delete {
        /// The key's name (as `apikey list` shows it).
        name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApikeyRole {
    Readonly,
    Admin,
}

impl From<ApikeyRole> for nascfg_store::ApiKeyRole {
    fn from(role: ApikeyRole) -> Self {
        match role {
            ApikeyRole::Readonly => Self::Readonly,
            ApikeyRole::Admin => Self::Admin,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyType {
    Ed25519,
    Rsa,
}

impl From<KeyType> for nascfg_store::KeyType {
    fn from(key_type: KeyType) -> Self {
        match key_type {
            KeyType::Ed25519 => Self::Ed25519,
            KeyType::Rsa => Self::Rsa,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeypairCommand {
    /// Generate a new key pair.
    Generate {
        /// The name to store the key pair under.
        name: String,
        /// The key type: ed25519 (small and fast), or rsa (3072 bits, for old servers).
        #[arg(long = "type", value_enum, default_value = "ed25519")]
        key_type: KeyType,
    },
    /// Import a private key: OpenSSH, PEM (PKCS#1 RSA, SEC1 EC), PKCS#8, encrypted
    /// or not. It is stored in OpenSSH format, without its passphrase.
    ///
    /// An encrypted key's passphrase comes from --passphrase-file or
    /// --passphrase-env, else from a hidden prompt on a terminal.
    Import {
        /// The name to store the key pair under.
        name: String,
        /// The private key file.
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// List key pairs.
    List,
    /// Show one key pair's public key.
    Show {
        /// The key pair's name.
        name: String,
    },
    /// Delete a key pair; refused while SFTP credentials use it, unless --force.
    Delete {
        /// The key pair's name.
        name: String,
        /// Delete it even if SFTP credentials use it; they are left without a
        /// private key.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write a backup bundle of this box's configuration.
    Export {
        /// Where to write the bundle (default: a new name with host and time). An existing
        /// file is never replaced unless --force is given.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the file given with -o if it exists.
        #[arg(long, requires = "output")]
        force: bool,
        /// Put the secret seed into the bundle.
        #[arg(long)]
        include_seed: bool,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        #[command(flatten)]
        recipients: RecipientArgs,
    },
    /// Check a bundle and tell whether this box could restore it.
    Inspect {
        /// A bundle file, or CRED:PATH/NAME on a credential's storage.
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Accept only a bundle signed by a key this OpenSSH allowed_signers file lists for the
        /// namespace nascfg-bundle@v1 (an unsigned one is refused).
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
    /// Restore a bundle onto this box.
    Restore {
        /// A bundle file, or CRED:PATH/NAME on a credential's storage.
        file: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
        #[command(flatten)]
        seed: SeedFileArgs,
        /// Restore even though secrets cannot be opened; they must be re-entered.
        #[arg(long)]
        allow_lost_secrets: bool,
        /// Check everything, change nothing; also shows what the restore would
        /// change on this box (as `backup diff - FILE` does).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        #[command(flatten)]
        identities: IdentityArgs,
        /// Accept only a bundle signed by a key this OpenSSH allowed_signers file lists for the
        /// namespace nascfg-bundle@v1 (an unsigned one is refused); nothing is changed otherwise.
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
    /// Show what changed between two configurations: bundles (local or CRED:PATH/NAME), or a
    /// bundle and this box.
    ///
    /// Credentials added, removed, renamed (same credential, another name) and changed (the
    /// fields that differ; a secret field only as "set", "removed", "changed", or "cannot
    /// tell" when its seed is unknown, never its value), key pairs, known SFTP host keys and
    /// the seed fingerprint. Secrets are compared in memory when each side's seed is known
    /// (the bundle carries it, or it is this box's); otherwise by their sealed text.
    ///
    /// Exit status: 0 whether or not the two differ (1 only when a side cannot be read);
    /// with --json, "identical" says whether they differ.
    #[command(verbatim_doc_comment)]
    Diff {
        /// The configuration before: a bundle file, CRED:PATH/NAME, or `-` for this box.
        a: String,
        /// The configuration after: a bundle file, CRED:PATH/NAME, or `-` for this box.
        b: String,
        // The passphrase is the same for both bundles; any identity that opens each will do;
        // the seed opens the secrets of a bundle sealed under it (to compare them).
        #[command(flatten)]
        read: ReadArgs,
        /// Accept only bundles signed by a key this OpenSSH allowed_signers file lists for the
        /// namespace nascfg-bundle@v1 (an unsigned one is refused).
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
    /// Export a bundle (or take `--bundle FILE`) and upload it to CRED:PATH as
    /// `nascfg-<host>-<UTC time>.tar.gz[.age]`.
    Push(PushArgs),
    /// List the bundles at CRED:PATH, newest first (every host's, unless --host is given).
    List {
        /// Where: a stored credential's name, `:`, a path (as for `backup push`).
        location: String,
        #[command(flatten)]
        hosts: HostArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Tell whether the backups at CRED:PATH are fresh: for monitoring (Nagios/Icinga exit
    /// codes, a Prometheus textfile, JSON) and for people.
    ///
    /// This box's (or --host's) last push attempt and last success from the record in the data
    /// directory, and its newest bundle at the destination; or with --all-hosts every host that
    /// has bundles there, judged by its newest bundle's age.
    ///
    /// Exit status:
    ///   0  OK        the newest backup is younger than --warn-age
    ///   1  WARNING   older than --warn-age, or the last push failed, or the destination
    ///                cannot be read (the record says the backup is fresh)
    ///   2  CRITICAL  older than --max-age, or no backup at all
    ///   3  UNKNOWN   the destination cannot be read and no push is recorded
    /// (A usage error also exits 2, as clap's do.)
    #[command(verbatim_doc_comment)]
    Status {
        /// Where: a stored credential's name, `:`, a path (as for `backup push`).
        location: String,
        /// CRITICAL past this age: 90m, 26h, 2d, 1d12h (default 48h).
        #[arg(long, value_name = "AGE", value_parser = nascfg_backup::parse_age)]
        max_age: Option<std::time::Duration>,
        /// WARNING past this age (default 26h, or --max-age when smaller).
        #[arg(long, value_name = "AGE", value_parser = nascfg_backup::parse_age)]
        warn_age: Option<std::time::Duration>,
        #[command(flatten)]
        hosts: HostArgs,
        /// Write the node_exporter textfile-collector format to FILE (atomically), and print
        /// the usual text.
        #[arg(long, value_name = "FILE", conflicts_with = "nagios")]
        prometheus: Option<PathBuf>,
        /// Print one Nagios/Icinga plugin line with performance data.
        #[arg(long)]
        nagios: bool,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Download CRED:PATH/NAME to a file, byte for byte.
    Pull {
        /// CRED:PATH/NAME.
        location: String,
        /// The file to write; an existing one is not replaced unless --force is given.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Delete old bundles at CRED:PATH (restic's --keep-* policy, per host; never the newest).
    ///
    /// Give at least one --keep-* option; those not given keep nothing by themselves.
    #[command(group(ArgGroup::new("keep").required(true).multiple(true)
        .args(["keep_last", "keep_daily", "keep_weekly", "keep_monthly"])))]
    Prune {
        /// Where: a stored credential's name, `:`, a path (as for `backup push`).
        location: String,
        /// Keep the N newest bundles.
        #[arg(long, value_name = "N")]
        keep_last: Option<u32>,
        /// Keep the newest bundle of each of the N most recent days that have one.
        #[arg(long, value_name = "N")]
        keep_daily: Option<u32>,
        /// Likewise for ISO weeks.
        #[arg(long, value_name = "N")]
        keep_weekly: Option<u32>,
        /// Likewise for months.
        #[arg(long, value_name = "N")]
        keep_monthly: Option<u32>,
        /// Say what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Whose bundles: this box's host by default; --all-hosts applies the policy to each host.
        #[command(flatten)]
        hosts: HostArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Print a systemd service and timer that push a backup daily.
    Schedule {
        /// Print the units (the only mode, and the default: nascfg installs nothing itself).
        #[arg(long)]
        print: bool,
        /// The location to push to (default: a placeholder to edit).
        #[arg(long, value_name = "CRED:PATH")]
        location: Option<String>,
        /// Ping this URL around each push (healthchecks.io's convention).
        #[arg(long, value_name = "URL", value_parser = parse_ping_url)]
        ping_url: Option<nascfg_remote::PingUrl>,
        /// The age the status check's timer holds the backup to (default 50h: a daily push
        /// may be late by its randomized delay).
        #[arg(long, value_name = "AGE", value_parser = nascfg_backup::parse_age)]
        max_age: Option<std::time::Duration>,
        /// Push bundles with the seed, encrypted to these public keys (no passphrase file on
        /// the box).
        #[command(flatten)]
        recipients: RecipientArgs,
    },
}

/// `backup push`'s arguments.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Where: a stored credential's name, `:`, a path (bucket or container first for
    /// S3, B2, GCS, Azure and Swift; a folder for SFTP, FTP and WebDAV).
    pub location: String,
    /// Put the secret seed into the bundle (only with a passphrase or recipients).
    #[arg(long, conflicts_with = "bundle")]
    pub include_seed: bool,
    /// Upload nothing when the configuration equals that of the newest bundle there.
    #[arg(long)]
    pub if_changed: bool,
    /// Push this bundle file (made by `backup export`) instead of a new export: to send one
    /// export to several places. An unencrypted one that holds the seed is refused; a
    /// passphrase-protected one is checked whole when its passphrase is given.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// The host in the bundle's name (default: this box's host name), so boxes sharing a
    /// location, or a renamed box, keep distinct and stable histories.
    #[arg(long, value_name = "NAME", value_parser = nascfg_remote::HostName::parse)]
    pub host: Option<nascfg_remote::HostName>,
    /// Ping this URL as healthchecks.io expects: URL/start before, URL on success, URL/fail
    /// on failure. A failed ping is a warning; it never fails the push.
    #[arg(long, value_name = "URL", value_parser = parse_ping_url)]
    pub ping_url: Option<nascfg_remote::PingUrl>,
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
    #[command(flatten)]
    pub recipients: RecipientArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Which hosts' bundles: `--host NAME` or `--all-hosts` (neither: the command's default).
#[derive(Debug, Args, Clone)]
pub struct HostArgs {
    /// Only the bundles of this host (as `backup push --host` names them).
    #[arg(long, value_name = "NAME", value_parser = nascfg_remote::HostName::parse)]
    pub host: Option<nascfg_remote::HostName>,
    /// Every host's bundles, each host on its own.
    #[arg(long, conflicts_with = "host")]
    pub all_hosts: bool,
}

fn parse_ping_url(text: &str) -> Result<nascfg_remote::PingUrl, String> {
    nascfg_remote::PingUrl::parse(text).map_err(|e| e.to_string())
}

/// How a command reaches a credential's storage.
#[derive(Debug, Args, Clone)]
pub struct RemoteArgs {
    /// Give up each connection attempt after this many seconds (1 to 604800).
    #[arg(long, value_name = "SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub connect_timeout: u64,
    /// Give up the whole command's transfers after this many seconds in all (1 to 604800).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub timeout: u64,
    /// `auto`: OpenDAL, FTP or SFTP where they serve the provider, rclone for the rest;
    /// `rclone`: rclone for every provider it has a backend for.
    #[arg(long, value_name = "ENGINE", default_value = "auto", value_parser = ["auto", "rclone"])]
    pub engine: String,
}

#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// Print the fingerprint of this box's seed.
    Fingerprint,
    /// Replace the seed and re-seal every secret under the new one.
    Rotate,
    /// Write the seed to a file, passphrase-protected; or, with --shares, split it into SLIP-39
    /// share files for several people, any --threshold of which recover it.
    Export {
        /// The file to write (mode 0600); keep it off this box. With --shares: the directory
        /// for the share files (created 0700 if missing).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Write the raw seed without a passphrase (warned about).
        #[arg(long)]
        no_passphrase: bool,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        /// Split the seed into N SLIP-39 shares (1 to 16), one file each:
        /// share-1-of-N.txt to share-N-of-N.txt in the -o directory.
        #[arg(
            long,
            value_name = "N",
            requires = "threshold",
            conflicts_with_all = ["no_passphrase", "passphrase_file", "passphrase_env"],
            value_parser = clap::value_parser!(u8).range(1..=16)
        )]
        shares: Option<u8>,
        /// How many of the shares recover the seed (2 to N; 1 only with --shares 1).
        #[arg(long, value_name = "K", requires = "shares", value_parser = clap::value_parser!(u8).range(1..=16))]
        threshold: Option<u8>,
        /// Replace share files that exist (otherwise nothing is written when one exists).
        #[arg(long, requires = "shares")]
        force: bool,
    },
    /// Install a seed that travelled separately (a `nascfg seed export` file, either form, a
    /// box's secret-seed, or K share files of `seed export --shares`) on this box: allowed when its store is empty or was sealed under
    /// that seed (fingerprint checked); anything else is refused and nothing changes. A
    /// previous seed is kept as secret-seed.old-TIMESTAMP.
    Import {
        /// The seed file.
        #[arg(value_name = "FILE", required_unless_present = "share")]
        file: Option<PathBuf>,
        /// A share file of `seed export --shares` (or a SLIP-39 share's words on one line);
        /// give it once per share, at least the split's threshold.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["file", "seed_passphrase_file", "seed_passphrase_env"])]
        share: Vec<PathBuf>,
        /// Read the seed file's passphrase from the first line of this file.
        #[arg(long, value_name = "FILE", conflicts_with = "seed_passphrase_env")]
        seed_passphrase_file: Option<PathBuf>,
        /// Read the seed file's passphrase from this environment variable.
        #[arg(long, value_name = "VAR")]
        seed_passphrase_env: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a TrueNAS configuration backup (tar or freenas-v1.db).
    Truenas {
        /// The TrueNAS configuration backup: a .tar from System > General > Save Config, or a
        /// bare freenas-v1.db (then with --pwenc-secret).
        file: PathBuf,
        /// The pwenc_secret file, for a bare database.
        #[arg(long, value_name = "FILE")]
        pwenc_secret: Option<PathBuf>,
        /// Check and report, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Overwrite credentials of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Import an rclone.conf.
    ///
    /// An encrypted rclone.conf's password comes from --passphrase-file or --passphrase-env,
    /// else from RCLONE_CONFIG_PASS, else from a hidden prompt on a terminal.
    Rclone {
        /// The rclone.conf to read (plain or encrypted).
        file: PathBuf,
        // The rclone config password, taken as every other command takes a passphrase.
        #[command(flatten)]
        passphrase: PassphraseArgs,
        /// The old name of --passphrase-env, still accepted.
        #[arg(long, value_name = "VAR", hide = true,
              conflicts_with_all = ["passphrase_env", "passphrase_file"])]
        password_env: Option<String>,
        /// Check and report, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Overwrite credentials of the same name.
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write an rclone.conf with a section per credential.
    ///
    /// Its passwords are only obscured (rclone's reversible encoding), so it is written to a
    /// file (-o FILE, mode 0600) or, when asked with --stdout, to standard output; never to a
    /// terminal unasked. With --passphrase-file or --passphrase-env the whole file is encrypted
    /// as rclone encrypts its config (`RCLONE_CONFIG_PASS=... rclone --config FILE ...`).
    #[command(group(ArgGroup::new("destination").args(["output", "stdout"])))]
    Rclone {
        /// Where to write it (mode 0600). An existing file is never replaced unless --force
        /// is given, and something that is not a regular file never is.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the file given with -o if it exists.
        #[arg(long, requires = "output")]
        force: bool,
        /// Write to standard output, even when it is a terminal.
        #[arg(long)]
        stdout: bool,
        // Encrypt the whole file with this passphrase as rclone's config password.
        #[command(flatten)]
        passphrase: PassphraseArgs,
        /// Only these credentials (default: all).
        names: Vec<String>,
    },
}
