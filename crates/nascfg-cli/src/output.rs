//! How errors and data reach the terminal.

use std::fmt;

/// An error that carries a hint for the user: what to do next.
#[derive(Debug)]
pub struct Hinted {
    /// What happened.
    pub error: anyhow::Error,
    /// What to do next.
    pub hint: String,
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
    })
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
    if let Some(e) = error.downcast_ref::<nascfg_backup::Error>() {
        e.hint()
    } else if let Some(e) = error.downcast_ref::<nascfg_store::Error>() {
        e.hint()
    } else if let Some(e) = error.downcast_ref::<nascfg_oauth::Error>() {
        e.hint()
    } else if let Some(e) = error.downcast_ref::<nascfg_bundle::Error>() {
        e.hint()
    } else if let Some(e) = error.downcast_ref::<nascfg_remote::Error>() {
        e.hint()
    } else if let Some(e) = error.downcast_ref::<nascfg_interop::Error>() {
        e.hint()
    } else if let Some(e) = error.downcast_ref::<nascfg_credentials::Error>() {
        e.hint().map(str::to_owned)
    } else if let Some(e) = error.downcast_ref::<nascfg_credentials::ValidationErrors>() {
        e.hint().map(str::to_owned)
    } else if let Some(e) = error.downcast_ref::<nascfg_crypto::Error>() {
        e.hint().map(str::to_owned)
    } else {
        None
    }
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
