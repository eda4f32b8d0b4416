//! The credentials page with 10,000 credentials: median server time per
//! request (in-process, tower's `oneshot`: routing, the access checks, the
//! store opened and listed, one page of 100 rendered). Goal: under 50 ms.
//! Run: `cargo bench -p nascfg-web --bench credentials_page`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use nascfg_credentials::{Credential, ProviderKind};
use nascfg_store::{DataDir, Store};
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:8787";
const COUNT: usize = 10_000;
const RUNS: usize = 50;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let many: Vec<Credential> = (0..COUNT)
        .map(|i| {
            let attrs =
                serde_json::json!({"host": format!("ftp{i}.example"), "user": "u", "pass": "p"});
            Credential::new(
                &format!("cred-{i:05}"),
                ProviderKind::Ftp,
                serde_json::from_value(attrs).unwrap(),
            )
            .unwrap()
        })
        .collect();
    Store::open(&data).unwrap().add_credentials(&many).unwrap();
    let app = nascfg_web::App::new(data, HOST.parse().unwrap(), false, Default::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let login = Request::get(format!("/login?token={}", app.login_token()))
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap();
        let answer = app.router().oneshot(login).await.unwrap();
        let cookie = answer.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        for (label, path) in [("first page", "/credentials"), ("page 50", "/credentials?page=50")] {
            let mut times: Vec<Duration> = Vec::new();
            for _ in 0..RUNS {
                let request = Request::get(path)
                    .header(header::HOST, HOST)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap();
                let start = Instant::now();
                let response = app.router().oneshot(request).await.unwrap();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
                times.push(start.elapsed());
                assert!(body.len() > 10_000);
            }
            times.sort();
            println!(
                "credentials page, {COUNT} credentials, {label}: median {:.1} ms, min {:.1} ms, max {:.1} ms ({RUNS} requests)",
                times[RUNS / 2].as_secs_f64() * 1e3,
                times[0].as_secs_f64() * 1e3,
                times[RUNS - 1].as_secs_f64() * 1e3,
            );
        }
    });
}
