//! How errors and data reach the terminal.

use std::fmt;

/// An error that carries a hint for the user: what to do next.
#[derive(Debug)]
pub struct Hinted {
    /// What happened.
    pub error: anyhow::Error,
    /// What to do next.
    pub hint: String,
    /// The stable kind `--json` reports (one of [`KINDS`]), when the CLI itself knows it
    /// better than the error inside.
    pub kind: Option<&'static str>,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Hinted {}

/// Wraps an error with a hint line.
pub fn hint(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        error: error.into(),
        hint: hint.into(),
        kind: None,
    })
}

/// A command's end with an exit code of its own (`backup status`: 1 WARNING,
/// 2 CRITICAL, 3 UNKNOWN); the error inside is printed unless it is [`Silent`].
#[derive(Debug)]
pub struct ExitWith {
    /// The exit code.
    pub code: u8,
    /// What to print first.
    pub error: anyhow::Error,
}

impl fmt::Display for ExitWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for ExitWith {}

/// Ends the command with exit code `code` after printing `error` (unless it is [`Silent`]).
pub fn exit_with(code: u8, error: anyhow::Error) -> anyhow::Error {
    match error.downcast::<ExitWith>() {
        Ok(already) => anyhow::Error::new(already),
        Err(error) => anyhow::Error::new(ExitWith { code, error }),
    }
}

/// Nothing to print: the command said everything on standard output.
#[derive(Debug)]
pub struct Silent;

impl fmt::Display for Silent {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Silent {}

/// The exit code `err` asks for (1 when it asks for none), after printing it
/// (as one JSON object with `--json`).
pub fn report(err: &anyhow::Error, json: bool) -> u8 {
    let print = |e: &anyhow::Error| {
        if json {
            print_json_error(e);
        } else {
            print_error(e);
        }
    };
    match err.downcast_ref::<ExitWith>() {
        Some(exit) => {
            if exit.error.downcast_ref::<Silent>().is_none() {
                print(&exit.error);
            }
            exit.code
        }
        None => {
            print(err);
            1
        }
    }
}

/// Like [`hint`], with the stable kind `--json` reports for it (one of [`KINDS`]).
pub fn hint_kind(
    kind: &'static str,
    error: impl Into<anyhow::Error>,
    hint: impl Into<String>,
) -> anyhow::Error {
    debug_assert!(
        KINDS.iter().any(|(k, _)| *k == kind),
        "{kind} is not in KINDS"
    );
    anyhow::Error::new(Hinted {
        error: error.into(),
        hint: hint.into(),
        kind: Some(kind),
    })
}

/// The exit status of a usage error (clap's, and ours).
pub const EXIT_USAGE: u8 = 2;

/// Every `kind` of a `--json` error, with what it means: a script may rely on these names.
/// A specific kind where one is known, else the area the error came from.
pub const KINDS: &[(&str, &str)] = &[
    ("usage", "the command line is wrong (exit status 2)"),
    (
        "not-found",
        "no credential, key pair or remote object of that name",
    ),
    (
        "already-exists",
        "the name or output file is taken; nothing was changed",
    ),
    (
        "invalid-credential",
        "the credential's fields do not pass the catalog's checks",
    ),
    (
        "verify-failed",
        "the credential did not verify against its service",
    ),
    (
        "passphrase-required",
        "the input is passphrase-protected and no passphrase was given",
    ),
    ("wrong-passphrase", "the passphrase does not open the input"),
    (
        "seed-mismatch",
        "the secret seed is not the one the data was sealed under",
    ),
    (
        "secrets-would-be-lost",
        "a restore was refused because its secrets could not be opened",
    ),
    (
        "timed-out",
        "a connection, transfer or login took longer than its timeout",
    ),
    (
        "refused",
        "nascfg refused to do something unsafe (see the message)",
    ),
    ("store", "the data directory or its database"),
    (
        "bundle",
        "a backup bundle is damaged, not a bundle, or cannot be written",
    ),
    ("backup", "a push, pull, list or prune"),
    ("remote", "a credential's storage (the service, or rclone)"),
    ("oauth", "an OAuth login or token"),
    ("import", "a TrueNAS backup or rclone.conf being imported"),
    (
        "crypto",
        "the seed, a sealed value or passphrase protection",
    ),
    ("credential", "a credential document or provider type"),
    ("error", "anything else"),
];

/// The stable kind of `err` for `--json`: the CLI's own, else the first library error in
/// the chain that nascfg knows.
pub fn kind(err: &anyhow::Error) -> &'static str {
    if let Some(h) = err.downcast_ref::<Hinted>()
        && let Some(kind) = h.kind
    {
        return kind;
    }
    err.chain().find_map(library_kind).unwrap_or("error")
}

/// The kind of one library error. Variants scripts care about get their own kind; the rest
/// fall back to their crate's area, so a new variant always has one.
fn library_kind(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    if let Some(h) = error.downcast_ref::<Hinted>() {
        return h.kind;
    }
    if let Some(e) = error.downcast_ref::<nascfg_store::Error>() {
        use nascfg_store::Error as E;
        return Some(match e {
            E::NotFound { .. } => "not-found",
            E::Duplicate { .. } => "already-exists",
            E::Invalid(_) => "invalid-credential",
            E::SeedMismatch { .. } => "seed-mismatch",
            E::KeyPassphraseNeeded => "passphrase-required",
            E::KeyPassphraseWrong => "wrong-passphrase",
            E::Crypto(c) => crypto_kind(c),
            _ => "store",
        });
    }
    if let Some(e) = error.downcast_ref::<nascfg_bundle::Error>() {
        use nascfg_bundle::Error as E;
        return Some(match e {
            E::OutputExists { .. } => "already-exists",
            E::PassphraseRequired => "passphrase-required",
            E::WrongPassphrase => "wrong-passphrase",
            E::SeedFileMismatch { .. } => "seed-mismatch",
            E::SecretsWouldBeLost { .. } => "secrets-would-be-lost",
            E::Crypto(nascfg_crypto::Error::WrongIdentity { .. }) => "wrong-identity",
            E::SignatureFailed { .. }
            | E::SignatureNamespace { .. }
            | E::Unsigned { .. }
            | E::SignerNotAllowed { .. } => "refused",
            _ => "bundle",
        });
    }
    if let Some(e) = error.downcast_ref::<nascfg_remote::Error>() {
        use nascfg_remote::Error as E;
        return Some(match e {
            E::NotFound { .. } => "not-found",
            E::TimedOut { .. } => "timed-out",
            _ => "remote",
        });
    }
    if let Some(e) = error.downcast_ref::<nascfg_oauth::Error>() {
        use nascfg_oauth::Error as E;
        return Some(match e {
            E::LoginTimedOut(_) => "timed-out",
            _ => "oauth",
        });
    }
    if let Some(e) = error.downcast_ref::<nascfg_interop::Error>() {
        use nascfg_interop::Error as E;
        return Some(match e {
            E::RclonePasswordNeeded => "passphrase-required",
            E::RcloneWrongPassword => "wrong-passphrase",
            _ => "import",
        });
    }
    if let Some(e) = error.downcast_ref::<nascfg_crypto::Error>() {
        return Some(crypto_kind(e));
    }
    if error
        .downcast_ref::<nascfg_credentials::ValidationErrors>()
        .is_some()
    {
        return Some("invalid-credential");
    }
    if let Some(e) = error.downcast_ref::<nascfg_credentials::Error>() {
        use nascfg_credentials::Error as E;
        return Some(match e {
            E::Invalid(_) => "invalid-credential",
            _ => "credential",
        });
    }
    if error.downcast_ref::<nascfg_backup::Error>().is_some() {
        // Its sources (store, bundle, remote) are further down the chain and more specific.
        return None;
    }
    None
}

fn crypto_kind(e: &nascfg_crypto::Error) -> &'static str {
    match e {
        nascfg_crypto::Error::WrongPassphrase => "wrong-passphrase",
        nascfg_crypto::Error::WrongIdentity { .. } => "wrong-identity",
        _ => "crypto",
    }
}

/// Prints `err` as one JSON object on standard error (`--json`):
/// `{"error": {"kind": ..., "message": ..., "hint": ...}}`; the message holds its causes.
pub fn print_json_error(err: &anyhow::Error) {
    let (error, hint) = match err.downcast_ref::<Hinted>() {
        Some(h) => (&h.error, Some(h.hint.clone())),
        None => (err, err.chain().find_map(guidance)),
    };
    let message = error
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    print_json_error_parts(kind(err), &message, hint.as_deref());
}

/// Prints one `--json` error object on standard error.
pub fn print_json_error_parts(kind: &str, message: &str, hint: Option<&str>) {
    let value = serde_json::json!({
        "error": {"kind": kind, "message": message, "hint": hint}
    });
    eprintln!("{value}");
}

/// Prints `error: ...` (with its causes) and `hint: ...` to standard error.
/// The hint is the one given with [`hint`], else the guidance of the first
/// error in the chain that carries one (each library crate's `Error::hint`).
pub fn print_error(err: &anyhow::Error) {
    let (error, hint) = match err.downcast_ref::<Hinted>() {
        Some(h) => (&h.error, Some(h.hint.clone())),
        None => (err, err.chain().find_map(guidance)),
    };
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}

/// The guidance a library error carries, if `error` is one.
fn guidance(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    /// The hint of the first of these types that `error` is.
    macro_rules! hint_of_first {
        ($($library_error:ty),+ $(,)?) => {
            $(if let Some(e) = error.downcast_ref::<$library_error>() {
                return e.hint().map(Into::into);
            })+
        };
    }
    hint_of_first!(
        nascfg_backup::Error,
        nascfg_store::Error,
        nascfg_oauth::Error,
        nascfg_bundle::Error,
        nascfg_remote::Error,
        nascfg_interop::Error,
        nascfg_credentials::Error,
        nascfg_credentials::ValidationErrors,
        nascfg_crypto::Error,
    );
    None
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
