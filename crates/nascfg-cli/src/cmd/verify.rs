//! `nascfg cred verify` and `cred add --verify`: the bridge to nascfg-verify.
//! Owned by the verify work; `cred.rs` calls into it.
//!
//! Output: `valid`, or `invalid: <excerpt>` (the full error too with `-v`);
//! `--json` prints `{"valid", "error", "excerpt"}`. Exit 0 when valid, 1 when not.
//! A stored SFTP credential gets its key pair's private key and the host key
//! recorded on first use from the store; a first-seen host key is recorded.
//! A stored OAuth credential whose access token was refreshed gets the new
//! token saved back.

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::Store;
use nascfg_verify::{Verification, VerifyOptions};
use serde_json::json;

use super::attrs::{self, EmptyValue};
use super::common::open_store;
use super::credential::{parse_provider, save_token};
use super::verify_options::options;
use crate::cli::{Cli, VerifyArgs};
use crate::output;

/// The name an unsaved credential is checked under.
const UNSAVED: &str = "unsaved";

/// `nascfg cred verify NAME` or `nascfg cred verify --provider TYPE --set ...`.
pub fn run(
    cli: &Cli,
    name: Option<&str>,
    provider: Option<&str>,
    set: &[String],
    args: &VerifyArgs,
) -> anyhow::Result<()> {
    let mut options = options(args)?;
    let verification = match (name, provider) {
        (Some(name), _) => verify_stored(cli, name, &mut options)?,
        (None, Some(provider)) => {
            let provider = parse_provider(provider)?;
            let mut values = attrs::parse_sets(provider, set, EmptyValue::IsText)?;
            attrs::prompt_missing_secrets(provider, &mut values)?;
            let credential = Credential::new(UNSAVED, provider, values).map_err(|e| {
                output::hint(
                    anyhow::anyhow!("invalid credential:\n{e}"),
                    format!(
                        "`nascfg providers show {}` lists the fields",
                        provider.type_str()
                    ),
                )
            })?;
            verify_unsaved(cli, &credential, &mut options)?
        }
        (None, None) => anyhow::bail!("give NAME, or --provider TYPE with --set KEY=VALUE"),
    };
    report(cli, &verification)?;
    if verification.valid {
        Ok(())
    } else {
        let what = name.map_or_else(
            || "the credential".to_owned(),
            |n| format!("credential {n}"),
        );
        let hint = match name {
            Some(n) if !cli.verbose => format!(
                "correct it with `nascfg cred update {n} --set KEY=VALUE`; `-v` prints the full error"
            ),
            Some(n) => format!("correct it with `nascfg cred update {n} --set KEY=VALUE`"),
            None if !cli.verbose => {
                "check the values given with --set; `-v` prints the full error".to_owned()
            }
            None => "check the values given with --set".to_owned(),
        };
        Err(output::hint_kind(
            "verify-failed",
            anyhow::anyhow!("{what} did not verify"),
            hint,
        ))
    }
}

/// For `cred add --verify`: verifies `credential` before it is saved; an
/// error (exit 1, nothing saved) when it does not verify.
pub fn check_before_save(
    cli: &Cli,
    credential: &Credential,
    args: &VerifyArgs,
) -> anyhow::Result<()> {
    let mut options = options(args)?;
    let verification = verify_unsaved(cli, credential, &mut options)?;
    if verification.valid {
        if !cli.quiet {
            eprintln!("verified: {} is valid", credential.name());
        }
        return Ok(());
    }
    let excerpt = verification
        .excerpt
        .as_deref()
        .unwrap_or("verification failed");
    if let (true, Some(error)) = (cli.verbose, &verification.error) {
        eprintln!("{error}");
    }
    Err(output::hint_kind(
        "verify-failed",
        anyhow::anyhow!(
            "{} did not verify: {excerpt}; it was not saved",
            credential.name()
        ),
        "correct the values given with --set, or add it without --verify",
    ))
}

/// Verifies a stored credential; records a first-seen SFTP host key and saves
/// a refreshed OAuth token back.
fn verify_stored(
    cli: &Cli,
    name: &str,
    options: &mut VerifyOptions,
) -> anyhow::Result<Verification> {
    let mut store = open_store(cli)?;
    let mut credential = store.credential(name)?;
    // A token that must be refreshed is refreshed under the writer lock, held through the
    // check (bounded by its deadline): two commands refreshing at once would otherwise both
    // spend a refresh token that works once (Box, Microsoft), and the loser's refresh would
    // be refused or revoke the grant. Under the lock the credential is read again, so a
    // command that waited uses the token the first one saved.
    let guard = if nascfg_verify::token_needs_refresh(&credential) {
        let guard = store.lock()?;
        credential = store.credential(name)?;
        Some(guard)
    } else {
        None
    };
    let trust = sftp_inputs(&mut store, &credential, options)?;
    // The refreshed token is stored before its access token is used; a failed save fails
    // the check.
    let verification = nascfg_verify::verify_saving(&credential, options, &mut |token| {
        save_token(&mut store, guard.as_ref(), name, token).map_err(|e| format!("{e:#}"))
    });
    drop(guard);
    if let (Some(trust), true) = (&trust, verification.valid) {
        let seen = verification.host_key_seen.as_deref();
        if let Some(recorded) = store.record_first_use(trust, seen)?
            && !cli.quiet
            && !cli.json
        {
            eprintln!(
                "recorded the host key of {}:{} (first use): {}",
                recorded.host, recorded.port, recorded.key
            );
        }
    }
    if verification.refreshed_token.is_some() && !cli.quiet && !cli.json {
        eprintln!("saved the refreshed OAuth token of {name}");
    }
    Ok(verification)
}

/// Verifies a credential that is not saved (yet). An SFTP key pair named by
/// the credential is read from the store; a host key recorded there is checked.
fn verify_unsaved(
    cli: &Cli,
    credential: &Credential,
    options: &mut VerifyOptions,
) -> anyhow::Result<Verification> {
    if credential.provider() == ProviderKind::Sftp {
        let mut store = open_store(cli)?;
        sftp_inputs(&mut store, credential, options)?;
    }
    Ok(nascfg_verify::verify(credential, options))
}

/// For SFTP: the key pair's private key and the recorded host key into
/// `options` (the store's one lookup); returns them for the first-use record.
fn sftp_inputs(
    store: &mut Store,
    credential: &Credential,
    options: &mut VerifyOptions,
) -> anyhow::Result<Option<nascfg_store::SftpTrust>> {
    let trust = store.sftp_trust(credential)?;
    if let Some(t) = &trust {
        options.private_key = t.private_key.clone();
        options.known_host_key = t.known_host_key.clone();
    }
    Ok(trust)
}

/// Prints the answer: `valid` / `invalid: excerpt` (+ the full error with -v), or JSON.
fn report(cli: &Cli, verification: &Verification) -> anyhow::Result<()> {
    if cli.json {
        return output::print_json(&json!({
            "valid": verification.valid,
            "error": verification.error,
            "excerpt": verification.excerpt,
        }));
    }
    if verification.valid {
        println!("valid");
        return Ok(());
    }
    println!(
        "invalid: {}",
        verification
            .excerpt
            .as_deref()
            .unwrap_or("verification failed")
    );
    if let (true, Some(error)) = (cli.verbose, &verification.error) {
        for line in error.lines() {
            println!("  {line}");
        }
    }
    Ok(())
}
