//! One module per command group; `dispatch` routes a parsed command line.

mod apikey;
pub mod attrs;
mod backup;
mod backup_diff;
mod changes;
pub mod common;
mod completions;
mod cred;
mod credential;
mod export;
mod import;
mod init;
mod input;
mod keypair;
mod keys;
mod login;
mod man;
mod progress;
mod providers;
mod remote;
mod seed;
mod serve;
mod signer;
mod signers;
mod storage;
mod table;
mod verify;
mod verify_options;

use crate::cli::{Cli, Command};

/// Runs the command the user asked for.
pub fn dispatch(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Init => init::run(cli),
        Command::Providers(args) => providers::run(cli, args),
        Command::Cred(c) => cred::run(cli, c),
        Command::Keypair(c) => keypair::run(cli, c),
        Command::Backup(c) => backup::run(cli, c),
        Command::Seed(c) => seed::run(cli, c),
        Command::Apikey(c) => apikey::run(cli, c),
        Command::Signer(c) => signer::run(cli, c),
        Command::Authorize {
            provider,
            set,
            login,
        } => login::authorize(cli, provider, set, login),
        Command::Import(c) => import::run(cli, c),
        Command::Export(c) => export::run(cli, c),
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            insecure_http,
            session_idle_minutes,
            verify_args,
        } => serve::run(
            cli,
            *listen,
            tls_cert.as_deref(),
            tls_key.as_deref(),
            *insecure_http,
            *session_idle_minutes,
            verify_args,
        ),
        Command::Completions { shell } => completions::run(*shell),
        Command::Man => man::run(),
    }
}
