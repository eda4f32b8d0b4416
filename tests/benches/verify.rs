//! Verification speed against real servers on loopback: the median time of one
//! verification per locally served provider, and the time to fail against a
//! server that never answers (it must be the deadline, not more).
//!
//! `cargo bench -p nascfg-tests --bench verify` (servers as in the tests: run `.ci/setup` first).

use std::time::{Duration, Instant};

use nascfg_credentials::{Credential, ProviderKind};
use nascfg_tests::servers::{Azurite, HttpServer, S3Server, Silent, Sshd, Vsftpd, WebDav};
use nascfg_verify::secrecy::SecretString;
use nascfg_verify::{VerifyOptions, verify};
use serde_json::{Value, json};

const RUNS: usize = 15;

fn credential(provider: ProviderKind, attributes: Value) -> Credential {
    let Value::Object(map) = attributes else {
        panic!("attributes must be an object")
    };
    Credential::new("bench", provider, map).expect("a valid credential")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `RUNS` verifications (after one warm-up) and prints the median.
fn bench(what: &str, cred: &Credential, options: &VerifyOptions) {
    let warm = verify(cred, options);
    assert!(warm.valid, "{what}: {:?}", warm.excerpt);
    let samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let v = verify(cred, options);
            let took = start.elapsed();
            assert!(v.valid, "{what}: {:?}", v.excerpt);
            took
        })
        .collect();
    let min = samples.iter().min().copied().unwrap_or_default();
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "verify {what:<16} median {:>9.2?}  (min {min:.2?}, max {max:.2?}, {RUNS} runs)",
        median(samples)
    );
}

fn main() {
    let options = VerifyOptions::default();

    let s3 = S3Server::start();
    let attrs = json!({"access_key_id": s3.access_key_id, "secret_access_key": s3.secret_access_key, "endpoint": s3.endpoint});
    bench(
        "S3 (SigV4)",
        &credential(ProviderKind::S3, attrs.clone()),
        &options,
    );
    let mut v2 = attrs;
    v2["signatures_v2"] = true.into();
    bench("S3 (SigV2)", &credential(ProviderKind::S3, v2), &options);
    drop(s3);

    let ftp = Vsftpd::start();
    let attrs =
        json!({"host": "127.0.0.1", "port": ftp.port, "user": ftp.user, "pass": ftp.password});
    bench("FTP", &credential(ProviderKind::Ftp, attrs), &options);
    drop(ftp);

    let sshd = Sshd::start();
    let attrs =
        json!({"host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "pass": sshd.password});
    bench(
        "SFTP (password)",
        &credential(ProviderKind::Sftp, attrs),
        &options,
    );
    let attrs =
        json!({"host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "private_key": "kp"});
    let mut with_key = options.clone();
    with_key.private_key = Some(SecretString::from(sshd.private_key_pem.clone()));
    bench(
        "SFTP (key)",
        &credential(ProviderKind::Sftp, attrs),
        &with_key,
    );
    drop(sshd);

    let dav = WebDav::start();
    let attrs = json!({"url": dav.url, "vendor": "OTHER", "user": dav.user, "pass": dav.password});
    bench("WebDAV", &credential(ProviderKind::Webdav, attrs), &options);
    drop(dav);

    let http = HttpServer::start();
    bench(
        "HTTP",
        &credential(ProviderKind::Http, json!({"url": http.url})),
        &options,
    );
    drop(http);

    let azurite = Azurite::start();
    let attrs =
        json!({"account": azurite.account, "key": azurite.key, "endpoint": azurite.endpoint});
    bench(
        "Azure Blob",
        &credential(ProviderKind::AzureBlob, attrs),
        &options,
    );
    drop(azurite);

    // A server that accepts and never answers: the answer must come at the deadline.
    let silent = Silent::start();
    let deadline = Duration::from_secs(2);
    let bounded = VerifyOptions {
        deadline,
        ..VerifyOptions::default()
    };
    let base = format!("http://127.0.0.1:{}", silent.port);
    let cases = [
        (
            "HTTP",
            credential(ProviderKind::Http, json!({"url": format!("{base}/")})),
        ),
        (
            "FTP",
            credential(
                ProviderKind::Ftp,
                json!({"host": "127.0.0.1", "port": silent.port, "user": "u", "pass": "p"}),
            ),
        ),
        (
            "SFTP",
            credential(
                ProviderKind::Sftp,
                json!({"host": "127.0.0.1", "port": silent.port, "user": "u", "pass": "p"}),
            ),
        ),
        (
            "S3",
            credential(
                ProviderKind::S3,
                json!({"access_key_id": "AKIA0000", "secret_access_key": "s3cr3t", "endpoint": base}),
            ),
        ),
    ];
    for (what, cred) in cases {
        let samples: Vec<Duration> = (0..3)
            .map(|_| {
                let start = Instant::now();
                let v = verify(&cred, &bounded);
                let took = start.elapsed();
                assert!(!v.valid);
                assert_eq!(v.excerpt.as_deref(), Some("timed out after 2 s"), "{what}");
                took
            })
            .collect();
        let m = median(samples);
        println!(
            "silent {what:<16} deadline {deadline:.2?}  time to fail median {m:>9.2?}  (overshoot {:.1?}, ratio {:.3})",
            m.saturating_sub(deadline),
            m.as_secs_f64() / deadline.as_secs_f64()
        );
    }
}
