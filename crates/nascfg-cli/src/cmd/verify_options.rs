//! `--connect-timeout`, `--timeout` (and, in test builds, `--endpoint-override`) as
//! nascfg-verify's options: for `cred verify`, `cred add --verify` and `serve`.

use std::time::Duration;

use nascfg_verify::VerifyOptions;

use crate::cli::VerifyArgs;
#[cfg(feature = "test-endpoints")]
use crate::output;

/// The verification options from the command line.
pub fn options(args: &VerifyArgs) -> anyhow::Result<VerifyOptions> {
    let options = VerifyOptions {
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        deadline: Duration::from_secs(args.timeout.max(1)),
        ..VerifyOptions::default()
    };
    #[cfg(feature = "test-endpoints")]
    let options = match &args.endpoint_override {
        Some(url) => {
            let parsed = nascfg_verify::url::Url::parse(url).map_err(|e| {
                output::hint(
                    anyhow::anyhow!("--endpoint-override {url:?} is not a URL: {e}"),
                    "give a base URL such as http://127.0.0.1:8080/ (for test stand-ins only)",
                )
            })?;
            VerifyOptions {
                endpoint_override: Some(parsed),
                ..options
            }
        }
        None => options,
    };
    Ok(options)
}
