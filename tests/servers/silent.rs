//! A listener that completes TCP handshakes and never sends a byte, and a closed port.

use std::net::TcpListener;

/// Accepts TCP connections on loopback (the kernel completes the handshake
/// into the backlog) and never answers: for deadline tests.
#[derive(Debug)]
pub struct Silent {
    /// The port.
    pub port: u16,
    _listener: TcpListener,
}

impl Silent {
    /// Binds a free loopback port and never reads or writes.
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        Silent {
            port,
            _listener: listener,
        }
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

/// A loopback port nothing listens on (connections are refused).
pub fn closed_port() -> u16 {
    super::free_port()
}
