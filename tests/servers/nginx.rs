//! nginx on loopback: WebDAV (dav + dav-ext, Basic auth) and plain HTTP.

use std::path::Path;
use std::process::Command;

use super::{Process, free_port, open_tempdir, write_file};

/// The dav-ext module Debian's `libnginx-mod-http-dav-ext` installs.
const DAV_EXT: &str = "/usr/lib/nginx/modules/ngx_http_dav_ext_module.so";

/// A WebDAV share (`PROPFIND` answers 207) behind Basic auth.
#[derive(Debug)]
pub struct WebDav {
    /// The port.
    pub port: u16,
    /// The share's URL, `http://127.0.0.1:PORT/dav/`.
    pub url: String,
    /// The login name.
    pub user: String,
    /// The login password.
    pub password: String,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl WebDav {
    /// The folder `/dav/` serves, for tests that damage a file on the server.
    pub fn root(&self) -> std::path::PathBuf {
        self._dir.path().join("www").join("dav")
    }

    /// Starts nginx with a WebDAV share for `davuser` on a free loopback port.
    pub fn start() -> WebDav {
        let user = "davuser".to_owned();
        let password = "Dav-test-Pw-4411".to_owned();
        let location = "location /dav/ {\n auth_basic \"nascfg\";\n auth_basic_user_file {DIR}/htpasswd;\n\
             dav_methods PUT DELETE MKCOL COPY MOVE;\n dav_ext_methods PROPFIND OPTIONS;\n autoindex on;\n}\n";
        let (port, process, dir) = start_nginx(true, location, |dir| {
            write_file(
                &dir.join("htpasswd"),
                &format!("{user}:{{PLAIN}}{password}\n"),
                0o644,
            );
        });
        WebDav {
            port,
            url: format!("http://127.0.0.1:{port}/dav/"),
            user,
            password,
            _process: process,
            _dir: dir,
        }
    }
}

/// A plain HTTP server: `/` answers 200 with a listing, `/missing` 404.
#[derive(Debug)]
pub struct HttpServer {
    /// The port.
    pub port: u16,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl HttpServer {
    /// Starts nginx serving a small folder on a free loopback port.
    pub fn start() -> HttpServer {
        let (port, process, dir) = start_nginx(false, "location / { autoindex on; }\n", |_| {});
        HttpServer {
            port,
            url: format!("http://127.0.0.1:{port}/"),
            _process: process,
            _dir: dir,
        }
    }
}

fn start_nginx(
    dav: bool,
    location: &str,
    prepare: impl FnOnce(&Path),
) -> (u16, Process, tempfile::TempDir) {
    let dir = open_tempdir("nascfg-nginx-");
    let root = dir.path().join("www");
    std::fs::create_dir_all(root.join("dav")).expect("create web root");
    std::fs::write(root.join("dav").join("hello.txt"), "hello\n").expect("write a file");
    std::fs::write(root.join("hello.txt"), "hello\n").expect("write a file");
    for tmp in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(dir.path().join("tmp").join(tmp)).expect("create temp dir");
    }
    prepare(dir.path());
    let port = free_port();
    let d = dir.path().display().to_string();
    let load = if dav {
        format!("load_module {DAV_EXT};\n")
    } else {
        String::new()
    };
    let location = location.replace("{DIR}", &d);
    // One process, no master and workers: killing it at the end of a test
    // leaves nothing behind (a killed master left its worker running, with
    // the port), and it writes what WebDAV clients upload as the tests' user.
    let config = format!(
        "{load}daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/tmp/client_body;\n proxy_temp_path {d}/tmp/proxy;\n\
         fastcgi_temp_path {d}/tmp/fastcgi;\n uwsgi_temp_path {d}/tmp/uwsgi;\n scgi_temp_path {d}/tmp/scgi;\n\
         server {{\n  listen 127.0.0.1:{port};\n  root {d}/www;\n  {location}\n }}\n}}\n"
    );
    let conf_path = dir.path().join("nginx.conf");
    write_file(&conf_path, &config, 0o644);
    let mut cmd = Command::new("/usr/sbin/nginx");
    cmd.arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf_path);
    let mut process = Process::spawn("nginx", cmd, &dir.path().join("nginx.out"));
    process.wait_ready(port, None);
    (port, process, dir)
}
