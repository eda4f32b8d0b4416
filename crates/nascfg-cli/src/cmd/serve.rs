//! `nascfg serve`: the web UI (nascfg-web) on a socket; this prints its login URL.

use std::net::SocketAddr;
use std::path::Path;

use crate::cli::{Cli, VerifyArgs};
use crate::output;

pub fn run(
    cli: &Cli,
    listen: SocketAddr,
    tls_cert: Option<&Path>,
    tls_key: Option<&Path>,
    insecure_http: bool,
    session_idle_minutes: u64,
    verify_args: &VerifyArgs,
) -> anyhow::Result<()> {
    let data_dir = super::common::data_dir(cli)?;
    // Create the data directory now, as any command does, so the first page works.
    drop(nascfg_store::Store::open(&data_dir)?);
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(nascfg_web::TlsFiles {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        }),
        _ => None,
    };
    let config = nascfg_web::Config {
        tls,
        insecure_http,
        verify: super::verify_options::options(verify_args)?,
        session_idle: std::time::Duration::from_secs(session_idle_minutes * 60),
        ..nascfg_web::Config::new(data_dir, listen)
    };
    let server = nascfg_web::Server::bind(config).map_err(web_error)?;
    // The bound address: an IPv4-mapped one is already its IPv4 address.
    let bound = server.local_addr();
    if insecure_http && !bound.ip().is_loopback() {
        eprintln!("warning: serving plain HTTP on {bound}: the session travels in clear text");
    }
    eprintln!(
        "nascfg serve: listening on {}; open this URL once to log in (Ctrl-C stops):",
        server.local_addr()
    );
    // The URL alone on standard output, so a script (or a test) can read it.
    println!("{}", server.login_url());
    use std::io::Write;
    std::io::stdout().flush()?;
    server.run().map_err(web_error)
}

fn web_error(e: nascfg_web::Error) -> anyhow::Error {
    match e.hint() {
        Some(h) => output::hint(anyhow::anyhow!("{e}"), h),
        None => anyhow::anyhow!("{e}"),
    }
}
