//! `nascfg serve` over TLS: a certificate made for the test (Debian's `openssl req`), an HTTPS
//! client that trusts only it (ureq with rustls, already the workspace's client), the session
//! cookie's attributes; plain HTTP to the TLS port fails; a network address without TLS is refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nascfg_tests::cli::{Nascfg, nascfg_bin};

use super::web::Kid;

/// A self-signed end-entity certificate for 127.0.0.1 and localhost: (cert PEM path, key PEM path).
pub(super) fn certificate(dir: &Path) -> (String, String) {
    let config = dir.join("openssl.cnf");
    std::fs::write(
        &config,
        "[req]\ndistinguished_name = dn\nx509_extensions = leaf\nprompt = no\n\
         [dn]\nCN = localhost\n\
         [leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1, DNS:localhost\n",
    )
    .expect("write the openssl config");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-config"])
        .arg(&config)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs (Debian's openssl package)");
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = |p: &Path| p.to_str().expect("UTF-8").to_owned();
    (s(&cert), s(&key))
}

/// `nascfg serve ARGS`: its login URL (the first line on standard output).
pub(super) fn serve(nascfg: &Nascfg, args: &[&str]) -> (Kid, String) {
    let mut child = Command::new(nascfg_bin())
        .arg("--data-dir")
        .arg(nascfg.data_dir())
        .arg("serve")
        .args(args)
        .env_remove("NASCFG_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nascfg serve runs");
    let stdout = child.stdout.take().expect("piped");
    let kid = Kid(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the login URL line");
    (kid, line.trim().to_owned())
}

fn agent(roots: ureq::tls::RootCerts) -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

#[test]
fn serve_over_tls() {
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let (cert, key) = certificate(nascfg.tmp());
    let (_server, login) = serve(
        &nascfg,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );
    assert!(login.starts_with("https://127.0.0.1:"), "{login}");
    let origin = login.split("/login").next().expect("an origin").to_owned();
    let port: u16 = origin["https://127.0.0.1:".len()..]
        .parse()
        .expect("a port");

    let pem = std::fs::read(&cert).expect("the certificate");
    let trusted = ureq::tls::Certificate::from_pem(&pem).expect("a PEM certificate");
    let https = agent(ureq::tls::RootCerts::new_with_certs(&[trusted]));

    // The login URL sets the session cookie: Secure under TLS, HttpOnly, SameSite=Strict.
    let answer = https.get(&login).call().expect("an HTTPS answer");
    assert_eq!(answer.status().as_u16(), 303);
    let set = answer
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    let attributes: Vec<&str> = set.split(';').map(str::trim).collect();
    for wanted in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&wanted), "{set} lacks {wanted}");
    }
    let cookie = attributes[0];
    let mut page = https
        .get(format!("{origin}/credentials"))
        .header("Cookie", cookie)
        .call()
        .expect("the credentials page");
    assert_eq!(page.status().as_u16(), 200);
    let body = page.body_mut().read_to_string().expect("a body");
    assert!(body.contains("Credentials"), "{body}");
    // Without the cookie: refused.
    let none = https
        .get(format!("{origin}/credentials"))
        .call()
        .expect("an answer");
    assert_eq!(none.status().as_u16(), 401);

    // A client that does not trust the certificate cannot connect.
    let untrusting = agent(ureq::tls::RootCerts::WebPki);
    assert!(
        untrusting
            .get(format!("{origin}/credentials"))
            .call()
            .is_err()
    );

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    s.write_all(
        format!("GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("send");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(
        !out.starts_with(b"HTTP/"),
        "plain HTTP was answered: {}",
        String::from_utf8_lossy(&out)
    );
    let plain = agent(ureq::tls::RootCerts::WebPki)
        .get(format!("http://127.0.0.1:{port}/credentials"))
        .call();
    assert!(plain.is_err(), "plain HTTP was answered: {plain:?}");
}

#[test]
fn a_network_address_needs_tls() {
    let nascfg = Nascfg::new();
    // (listen arguments, what standard error says)
    let cases: [(&[&str], &str); 3] = [
        (
            &["--listen", "0.0.0.0:0"],
            "refusing to listen on 0.0.0.0:0 without TLS",
        ),
        (
            &["--listen", "0.0.0.0:0", "--insecure-http"],
            "refusing to listen on 0.0.0.0:0 without TLS",
        ),
        (
            &["--listen", "192.0.2.7:8787"],
            "refusing to listen on 192.0.2.7:8787 without TLS",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let run = nascfg.fail(&all);
        assert!(
            run.stderr.contains(expected),
            "{args:?}: {}",
            run.transcript()
        );
        assert!(
            run.stderr.contains("hint: "),
            "{args:?}: {}",
            run.transcript()
        );
    }
}
