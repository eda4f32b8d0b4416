//! s3s-fs, a Rust S3 server over a folder that checks request signatures, run in-process.

use std::thread::JoinHandle;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

/// An S3 service on loopback with one key pair and one bucket (`bucket1`).
#[derive(Debug)]
pub struct S3Server {
    /// The port.
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The access key id it accepts.
    pub access_key_id: String,
    /// The secret access key it checks signatures with.
    pub secret_access_key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl S3Server {
    /// Starts s3s-fs on a free loopback port with a fresh key pair.
    pub fn start() -> S3Server {
        Self::start_with(
            "AKIANASCFGTEST0001",
            "s3-Test-Secret/Key+0123456789abcdefXYZ",
        )
    }

    /// Starts s3s-fs with this key pair.
    pub fn start_with(access_key_id: &str, secret_access_key: &str) -> S3Server {
        let dir = tempfile::tempdir().expect("create the S3 root");
        std::fs::create_dir(dir.path().join("bucket1")).expect("create a bucket");
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("open the S3 root");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(access_key_id, secret_access_key));
        let service = builder.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("start a tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let http = ConnBuilder::new(TokioExecutor::new());
                loop {
                    let socket = tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((socket, _)) => socket,
                            Err(_) => continue,
                        },
                        _ = &mut stopped => break,
                    };
                    let conn = http
                        .serve_connection(TokioIo::new(socket), service.clone())
                        .into_owned();
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
            });
            runtime.shutdown_background();
        });
        S3Server {
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        }
    }
}

impl S3Server {
    /// The folder s3s-fs serves (buckets are its subfolders), for tests that
    /// damage an object on the server.
    pub fn root(&self) -> &std::path::Path {
        self._dir.path()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
