//! The command-line grammar: the contract of DESIGN.md, in clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

/// Options for verifying a credential against its service.
#[derive(Debug, Args, Clone, Default)]
pub struct VerifyArgs {
    /// Give up connecting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub connect_timeout: u64,
    /// Give up the whole check after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
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
    /// Give up waiting for the login after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Give up connecting to the provider after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub connect_timeout: u64,
    /// Give up each request to the provider after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub deadline: u64,
    /// Send every request of the login to this base URL instead of the provider (for test
    /// servers on loopback). Only in builds with the `test-endpoints` feature.
    #[cfg(feature = "test-endpoints")]
    #[arg(long, value_name = "URL", env = "NASCFG_VERIFY_ENDPOINT")]
    pub endpoint_override: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CredCommand {
    /// Add a credential.
    Add {
        /// The credential's name.
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
        name: String,
        /// Print secret values too.
        #[arg(long)]
        reveal: bool,
    },
    /// Change attributes of a credential, or rename it.
    Update {
        name: String,
        /// Set one attribute: KEY=VALUE, KEY=@PATH (read a file), KEY=- (read stdin).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// A new name.
        #[arg(long, value_name = "NEW")]
        rename: Option<String>,
    },
    /// Delete a credential.
    Delete { name: String },
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
    /// Check that a credential works against its service.
    Verify {
        /// A stored credential.
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
    Delete { name: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApikeyRole {
    Readonly,
    Admin,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeyType {
    Ed25519,
    Rsa,
}

#[derive(Debug, Subcommand)]
pub enum KeypairCommand {
    /// Generate a new key pair.
    Generate {
        name: String,
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
    Show { name: String },
    /// Delete a key pair; refused while SFTP credentials use it, unless --force.
    Delete {
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
    },
    /// Check a bundle and tell whether this box could restore it.
    Inspect {
        /// A bundle file, or CRED:PATH/NAME on a credential's storage.
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Restore a bundle onto this box.
    Restore {
        /// A bundle file, or CRED:PATH/NAME on a credential's storage.
        file: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
        /// The seed the bundle's secrets were sealed under.
        #[arg(long, value_name = "FILE")]
        seed_file: Option<PathBuf>,
        /// Restore even though secrets cannot be opened; they must be re-entered.
        #[arg(long)]
        allow_lost_secrets: bool,
        /// Check everything, change nothing; also shows what the restore would
        /// change on this box (as `backup diff - FILE` does).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        passphrase: PassphraseArgs,
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
        /// For passphrase-protected bundles (the same passphrase for both).
        #[command(flatten)]
        passphrase: PassphraseArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Export a bundle (or take `--bundle FILE`) and upload it to CRED:PATH as
    /// `nascfg-<host>-<UTC time>.tar.gz[.age]`.
    Push {
        /// Where: a stored credential's name, `:`, a path (bucket or container first for
        /// S3, B2, GCS, Azure and Swift; a folder for SFTP, FTP and WebDAV).
        location: String,
        /// Put the secret seed into the bundle (only with a passphrase).
        #[arg(long, conflicts_with = "bundle")]
        include_seed: bool,
        /// Upload nothing when the configuration equals that of the newest bundle there.
        #[arg(long)]
        if_changed: bool,
        /// Push this bundle file (made by `backup export`) instead of a new export: to send one
        /// export to several places. An unencrypted one that holds the seed is refused; a
        /// passphrase-protected one is checked whole when its passphrase is given.
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// List the bundles at CRED:PATH, newest first.
    List {
        location: String,
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
    Prune {
        location: String,
        /// Keep the N newest bundles.
        #[arg(long, value_name = "N")]
        keep_last: u32,
        /// Keep the newest bundle of each of the N most recent days that have one.
        #[arg(long, value_name = "N", default_value_t = 0)]
        keep_daily: u32,
        /// Likewise for ISO weeks.
        #[arg(long, value_name = "N", default_value_t = 0)]
        keep_weekly: u32,
        /// Likewise for months.
        #[arg(long, value_name = "N", default_value_t = 0)]
        keep_monthly: u32,
        /// Say what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Print a systemd service and timer that push a backup daily.
    Schedule {
        /// Print the units (the only mode: nascfg installs nothing itself).
        #[arg(long, required = true)]
        print: bool,
        /// The location to push to (default: a placeholder to edit).
        #[arg(long, value_name = "CRED:PATH")]
        location: Option<String>,
    },
}

/// How a command reaches a credential's storage.
#[derive(Debug, Args, Clone)]
pub struct RemoteArgs {
    /// Give up connecting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub connect_timeout: u64,
    /// Give up the transfers after this many seconds in all.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
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
    /// Write the seed to a file, passphrase-protected.
    Export {
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Write the raw seed without a passphrase (warned about).
        #[arg(long)]
        no_passphrase: bool,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a TrueNAS configuration backup (tar or freenas-v1.db).
    Truenas {
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
    Rclone {
        file: PathBuf,
        /// The environment variable holding the rclone config password.
        #[arg(long, value_name = "VAR")]
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
    Rclone {
        /// Where to write it (0600); default standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Only these credentials (default: all).
        names: Vec<String>,
    },
}
