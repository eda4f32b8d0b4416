//! The listener itself, on a real loopback socket: a client that sends its
//! request head slowly is cut off after the header timeout, connections beyond
//! the limit wait their turn, and real requests are served meanwhile.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use nascfg_store::DataDir;
use nascfg_web::{Config, Server};

/// A server on its own thread; stopped (and its uploads removed) when dropped.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn start(header_read_timeout: Duration, max_connections: usize) -> Running {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = Config::new(
        DataDir::new(dir.path().join("data")),
        "[::ffff:127.0.0.1]:0".parse().expect("an address"),
    );
    config.header_read_timeout = header_read_timeout;
    config.max_connections = max_connections;
    let server = Server::bind(config).expect("a mapped loopback address is loopback");
    let addr = server.local_addr();
    assert!(addr.is_ipv4(), "{addr}: bound as its IPv4 address");
    assert!(
        server
            .login_url()
            .starts_with(&format!("http://{addr}/login?token=")),
        "{}",
        server.login_url()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime
            .block_on(server.serve(async {
                let _ = stopped.await;
            }))
            .expect("the server ran");
    });
    Running {
        addr,
        stop: Some(stop),
        thread: Some(thread),
        _dir: dir,
    }
}

/// A connection that sent half a request line and nothing more.
fn half_open(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /credentials HT")
        .expect("send half a line");
    s
}

/// Waits (bounded) for the server to close `s`; true when it did.
fn closed_by_server(mut s: TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    let mut out = Vec::new();
    // EOF (possibly after a 408 answer) ends the read; the deadline errors instead.
    s.read_to_end(&mut out).is_ok()
}

/// One whole request on a new connection; the status line of its answer.
fn whole_request(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    s.write_all(
        format!("GET /credentials HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("send");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn slow_request_heads_are_cut_off_and_others_are_served() {
    let server = start(Duration::from_secs(1), 256);
    let slow: Vec<TcpStream> = (0..40).map(|_| half_open(server.addr)).collect();
    // Served while the slow ones hang (no session: 401, but answered).
    assert_eq!(whole_request(server.addr), "HTTP/1.1 401 Unauthorized");
    for (i, s) in slow.into_iter().enumerate() {
        assert!(closed_by_server(s), "slow connection {i} was left open");
    }
    assert_eq!(whole_request(server.addr), "HTTP/1.1 401 Unauthorized");
}

#[test]
fn connections_beyond_the_limit_wait_for_a_free_one() {
    let server = start(Duration::from_secs(1), 2);
    let slow: Vec<TcpStream> = (0..2).map(|_| half_open(server.addr)).collect();
    // The third connection waits in the backlog until a slow one is cut off.
    assert_eq!(whole_request(server.addr), "HTTP/1.1 401 Unauthorized");
    for (i, s) in slow.into_iter().enumerate() {
        assert!(closed_by_server(s), "slow connection {i} was left open");
    }
}

#[test]
fn a_mapped_wildcard_needs_tls() {
    // (address, with --insecure-http, accepted?)
    let cases = [
        ("[::ffff:0.0.0.0]:0", true, false),
        ("[::ffff:0.0.0.0]:0", false, false),
        ("[::ffff:192.0.2.7]:0", false, false),
        ("[::ffff:127.0.0.1]:0", false, true),
    ];
    for (addr, insecure, accepted) in cases {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut config = Config::new(
            DataDir::new(dir.path().join("data")),
            addr.parse().expect("an address"),
        );
        config.insecure_http = insecure;
        match Server::bind(config) {
            Ok(s) => assert!(
                accepted,
                "{addr} (insecure {insecure}) bound {}",
                s.local_addr()
            ),
            Err(e) => {
                assert!(!accepted, "{addr}: {e}");
                assert!(
                    matches!(e, nascfg_web::Error::NeedsTls { .. }),
                    "{addr}: {e}"
                );
            }
        }
    }
}
