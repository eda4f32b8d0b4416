//! A loopback TCP proxy in front of a real server that forwards both ways and
//! cuts a connection once the client has sent a given number of bytes on it
//! (a network that drops mid-upload), or damages the byte at that offset and
//! goes on (a network that corrupts in flight).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// Forwards `127.0.0.1:port` to an upstream port; any connection on which the
/// client sends more than `after` bytes is cut (both sides shut down) at that
/// byte, after forwarding exactly `after` bytes (or, [`CutProxy::flipping`],
/// gets that byte changed).
#[derive(Debug)]
pub struct CutProxy {
    /// The port to connect to instead of the upstream's.
    pub port: u16,
    cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl CutProxy {
    /// Starts the proxy in front of `127.0.0.1:upstream`.
    pub fn start(upstream: u16, after: u64) -> CutProxy {
        CutProxy::spawn(upstream, after, false)
    }

    /// A proxy that forwards everything but changes the byte at offset `at`
    /// of what a client sends on each connection (`cuts` counts the changes).
    pub fn flipping(upstream: u16, at: u64) -> CutProxy {
        CutProxy::spawn(upstream, at, true)
    }

    fn spawn(upstream: u16, after: u64, flip: bool) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let cuts = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (cuts, stop) = (cuts.clone(), stop.clone());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    };
                    let cuts = cuts.clone();
                    std::thread::spawn(move || forward(client, server, after, flip, &cuts));
                }
            })
        };
        CutProxy {
            port,
            cuts,
            stop,
            thread: Some(thread),
        }
    }

    /// How many connections were cut so far.
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

/// Copies server→client on a thread, client→server here until `after` bytes,
/// then shuts both connections down (or, `flip`, changes byte `after` and
/// goes on).
fn forward(
    mut client: TcpStream,
    mut server: TcpStream,
    after: u64,
    flip: bool,
    cuts: &AtomicUsize,
) {
    let (Ok(mut client_r), Ok(mut server_w)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_w, &mut client_r);
        let _ = client_r.shutdown(Shutdown::Write);
    });
    let mut sent = 0u64;
    let mut buffer = vec![0u8; 16 << 10];
    loop {
        let n = match client.read(&mut buffer) {
            Ok(0) | Err(_) => {
                let _ = server.shutdown(Shutdown::Write);
                break;
            }
            Ok(n) => n,
        };
        if flip {
            if sent <= after && after < sent + n as u64 {
                buffer[(after - sent) as usize] ^= 0x55;
                cuts.fetch_add(1, Ordering::SeqCst);
            }
            if server.write_all(&buffer[..n]).is_err() {
                break;
            }
            sent += n as u64;
            continue;
        }
        let room = usize::try_from(after - sent).unwrap_or(usize::MAX);
        let take = n.min(room);
        if server.write_all(&buffer[..take]).is_err() {
            break;
        }
        sent += take as u64;
        if take < n {
            cuts.fetch_add(1, Ordering::SeqCst);
            let _ = server.shutdown(Shutdown::Both);
            let _ = client.shutdown(Shutdown::Both);
            break;
        }
    }
    let _ = back.join();
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
