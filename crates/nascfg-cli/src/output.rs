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

/// The exit code `err` asks for (1 when it asks for none), after printing it.
pub fn report(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<ExitWith>() {
        Some(exit) => {
            if exit.error.downcast_ref::<Silent>().is_none() {
                print_error(&exit.error);
            }
            exit.code
        }
        None => {
            print_error(err);
            1
        }
    }
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
