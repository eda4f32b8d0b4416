//! The TrueNAS-compatible API under load (issue 29): the shipped binary
//! (release, default features) serves a store of 10,000 credentials (WebDAV
//! remotes imported from an rclone.conf, as the other benches make big
//! stores) on loopback; plain WebSocket JSON-RPC clients (tokio-tungstenite,
//! as tests/it/api.rs) log in with an admin API key and
//!
//! - (a) `cloudsync.credentials.query` of all 10,000 over one socket: 11 runs,
//!   the median (goal < 50 ms), from sending the frame to the answer's last
//!   byte, and to the client's `serde_json::Value` of it (a DOM of 10,000
//!   records, about a fifth of the whole on this machine);
//! - (b) 50 clients at once for 30 s (`NASCFG_BENCH_API_SECS` shortens it),
//!   each mixing queries (one name with `get`, a page of 100 ordered by name,
//!   a name prefix) and creates (an FTP credential of its own name), one
//!   request at a time: every request counted, p50/p99 latency, no error, and
//!   every created credential present afterwards (queried at the end).
//!
//! `cargo xtask bench` runs it after the remote bench; alone:
//! `cargo bench -p nascfg-tests --bench api`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const CREDENTIALS: usize = 10_000;
const QUERY_RUNS: usize = 11;
const CLIENTS: usize = 50;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `nascfg serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nascfg(bin: &Path, data: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("NASCFG_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run nascfg");
    assert!(
        out.status.success(),
        "nascfg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An rclone.conf of `n` WebDAV remotes with obscured passwords (as the remote bench's).
fn write_rclone_conf(path: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let pass = nascfg_interop::rclone::obscure(&format!("pw-{i:06}-Tr0ub4dor&3"));
        writeln!(
            out,
            "[dav-{i:06}]\ntype = webdav\nurl = https://dav{i}.example.com/remote.php/dav/files/u{i}\n\
             vendor = nextcloud\nuser = user{i}\npass = {pass}\n"
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// `nascfg serve --listen 127.0.0.1:0`; the server and its port (from the login URL line).
fn serve(bin: &Path, data: &Path) -> (Server, u16) {
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("NASCFG_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nascfg serve runs");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a login URL: {line}"));
    (server, port)
}

/// A client: its socket and the next request id.
struct Client {
    socket: Socket,
    id: i64,
}

impl Client {
    /// Connects and logs in with `key`.
    async fn login(port: u16, key: &str) -> Client {
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/current"))
                .await
                .expect("the API accepts a WebSocket");
        let mut client = Client { socket, id: 0 };
        let answer = client
            .call("auth.login_with_api_key", json!([key]))
            .await
            .unwrap();
        assert_eq!(answer, json!(true), "login");
        client
    }

    /// One call: its result, or the error's text (a JSON-RPC error or a broken socket).
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.call_timed(method, params).await.map(|(v, _)| v)
    }

    /// [`Client::call`], and when the answer's frame had arrived whole.
    async fn call_timed(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<(Value, Instant), String> {
        self.id += 1;
        let frame = json!({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params});
        self.socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .map_err(|e| format!("send: {e}"))?;
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(t))) => {
                    let received = Instant::now();
                    let mut answer: Value =
                        serde_json::from_str(&t).map_err(|e| format!("not JSON: {e}"))?;
                    if answer["id"] != self.id {
                        return Err(format!("answer to another id: {:.200}", t.as_str()));
                    }
                    if let Some(error) = answer.get("error") {
                        return Err(format!("{method}: {error}"));
                    }
                    return Ok((answer["result"].take(), received));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return Err(format!("{method}: no answer: {other:?}")),
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What one load client did: latencies by kind, names created, errors.
#[derive(Default)]
struct Load {
    query: Vec<Duration>,
    create: Vec<Duration>,
    created: Vec<String>,
    errors: Vec<String>,
}

/// One load client: requests one at a time until `until`, three queries to one create.
async fn load_client(
    n: usize,
    port: u16,
    key: Arc<String>,
    start: Arc<tokio::sync::Barrier>,
    secs: f64,
) -> Load {
    let mut client = Client::login(port, &key).await;
    let mut load = Load::default();
    start.wait().await;
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let mut i = 0usize;
    while Instant::now() < until {
        let pick = (n * 7919 + i * 104_729) % CREDENTIALS;
        let (method, params, create) = match i % 4 {
            0 => (
                "cloudsync.credentials.query",
                json!([[["name", "=", format!("dav-{pick:06}")]], {"get": true}]),
                None,
            ),
            1 => (
                "cloudsync.credentials.query",
                json!([[], {"limit": 100, "offset": pick / 100 * 100, "order_by": ["name"]}]),
                None,
            ),
            2 => (
                "cloudsync.credentials.query",
                json!([[["name", "^", format!("dav-{:05}", pick / 10)]]]),
                None,
            ),
            _ => {
                let name = format!("load-{n:02}-{i:06}");
                (
                    "cloudsync.credentials.create",
                    json!([{"name": name, "provider": {"type": "FTP", "host": "ftp.example.com", "user": format!("u{n}"), "pass": format!("pw-{n}-{i}")}}]),
                    Some(name),
                )
            }
        };
        let sent = Instant::now();
        let result = client.call(method, params).await;
        let took = sent.elapsed();
        match (result, create) {
            (Ok(_), Some(name)) => {
                load.create.push(took);
                load.created.push(name);
            }
            (Ok(_), None) => load.query.push(took),
            (Err(e), _) => load.errors.push(e),
        }
        i += 1;
    }
    load
}

fn main() {
    let bin = nascfg_tests::cli::nascfg_default_bin();
    let secs: f64 = std::env::var("NASCFG_BENCH_API_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30.0);
    let work: PathBuf = std::env::var_os("NASCFG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
        .join("nascfg-bench-api");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let data = work.join("store-10k");

    eprintln!("importing an rclone.conf of {CREDENTIALS} WebDAV remotes ...");
    let conf = work.join("rclone.conf");
    write_rclone_conf(&conf, CREDENTIALS);
    nascfg(bin, &data, &["import", "rclone", conf.to_str().unwrap()]);
    let made: Value = serde_json::from_str(&nascfg(
        bin,
        &data,
        &["--json", "apikey", "create", "bench", "--role", "admin"],
    ))
    .unwrap();
    let key = Arc::new(made["key"].as_str().unwrap().to_owned());
    let (server, port) = serve(bin, &data);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (query_times, received_times, query_bytes) = runtime.block_on(async {
        let mut client = Client::login(port, &key).await;
        let mut times = Vec::new();
        let mut received_times = Vec::new();
        let mut bytes = 0;
        for _ in 0..QUERY_RUNS {
            let sent = Instant::now();
            let (all, received) = client
                .call_timed("cloudsync.credentials.query", json!([]))
                .await
                .unwrap();
            times.push(sent.elapsed());
            received_times.push(received - sent);
            let all = all.as_array().expect("a list");
            assert_eq!(all.len(), CREDENTIALS);
            bytes = serde_json::to_vec(all).unwrap().len();
        }
        times.sort();
        received_times.sort();
        (times, received_times, bytes)
    });
    let query_median = times_median(&query_times);
    let received_median = times_median(&received_times);

    eprintln!("{CLIENTS} clients mixing query and create for {secs} s ...");
    let (loads, wall) = runtime.block_on(async {
        let start = Arc::new(tokio::sync::Barrier::new(CLIENTS + 1));
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|n| tokio::spawn(load_client(n, port, key.clone(), start.clone(), secs)))
            .collect();
        start.wait().await;
        let began = Instant::now();
        let mut loads = Vec::new();
        for t in tasks {
            loads.push(t.await.unwrap());
        }
        (loads, began.elapsed())
    });
    let mut query: Vec<Duration> = loads.iter().flat_map(|l| l.query.clone()).collect();
    let mut create: Vec<Duration> = loads.iter().flat_map(|l| l.create.clone()).collect();
    let created: Vec<String> = loads.iter().flat_map(|l| l.created.clone()).collect();
    let errors: Vec<String> = loads.iter().flat_map(|l| l.errors.clone()).collect();
    let mut all: Vec<Duration> = query.iter().chain(&create).copied().collect();
    query.sort();
    create.sort();
    all.sort();

    // Every create that answered success is there, and nothing else was created.
    let present: BTreeSet<String> = runtime.block_on(async {
        let mut client = Client::login(port, &key).await;
        let found = client
            .call(
                "cloudsync.credentials.query",
                json!([[["name", "^", "load-"]], {"select": ["name"]}]),
            )
            .await
            .unwrap();
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    });
    let missing = created.iter().filter(|n| !present.contains(*n)).count();
    drop(server);

    println!(
        "\nnascfg API benchmark: {CREDENTIALS} credentials, loopback WebSocket, release binary"
    );
    println!("| operation | requests | median / p50 | p99 | goal |");
    println!("|---|---|---|---|---|");
    let met = |d: Duration| {
        if d < Duration::from_millis(50) {
            "met"
        } else {
            "NOT met"
        }
    };
    println!(
        "| cloudsync.credentials.query, all {CREDENTIALS} ({:.1} MiB of JSON), admin key, to the answer's last byte | {QUERY_RUNS} runs | {:.1} ms | max {:.1} ms | < 50 ms {} |",
        query_bytes as f64 / (1024.0 * 1024.0),
        ms(received_median),
        ms(*received_times.last().unwrap()),
        met(received_median),
    );
    println!(
        "| the same, to the client's parsed answer (a serde_json::Value) | {QUERY_RUNS} runs | {:.1} ms | max {:.1} ms | < 50 ms {} |",
        ms(query_median),
        ms(*query_times.last().unwrap()),
        met(query_median),
    );
    println!(
        "| {CLIENTS} clients, {:.0} s, every request | {} ({:.0}/s) | {:.1} ms | {:.1} ms | no error: {} |",
        wall.as_secs_f64(),
        all.len(),
        all.len() as f64 / wall.as_secs_f64(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        if errors.is_empty() { "met" } else { "NOT met" }
    );
    println!(
        "| of which queries (one name, a page of 100, a prefix) | {} | {:.1} ms | {:.1} ms | |",
        query.len(),
        ms(percentile(&query, 0.5)),
        ms(percentile(&query, 0.99)),
    );
    println!(
        "| of which creates (writer lock, audit log) | {} | {:.1} ms | {:.1} ms | every one present afterwards: {} |",
        create.len(),
        ms(percentile(&create, 0.5)),
        ms(percentile(&create, 0.99)),
        if missing == 0 && present.len() == created.len() {
            "met"
        } else {
            "NOT met"
        }
    );
    let _ = std::fs::remove_dir_all(&work);
    assert!(
        errors.is_empty(),
        "{} request(s) failed, the first: {}",
        errors.len(),
        errors[0]
    );
    assert_eq!(missing, 0, "created credentials missing afterwards");
    assert_eq!(
        present.len(),
        created.len(),
        "credentials created that no client saw succeed"
    );
}

fn times_median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}
