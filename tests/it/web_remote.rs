//! The web UI's Remote backups screen end to end: `nascfg serve` on two fresh
//! data directories and s3s-fs on loopback, driven over HTTP as a browser
//! would (session cookie, CSRF token in each form). Push, list, restore from
//! remote onto the second box; the seed without a passphrase refused; every
//! answer scanned for the stored secrets and the passphrase.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nascfg_tests::cli::{Nascfg, nascfg_bin};
use nascfg_tests::servers::S3Server;

const PASSPHRASE: &str = "web-remote-passphrase-5d1c";
/// A secret of a credential on the first box: it must come back on the
/// second, and never show in an answer.
const BOX_SECRET: &str = "Box-Secret-web-remote-9e27";

/// A child process killed when dropped.
struct Kid(Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One logged-in browser of one `nascfg serve`, keeping every answer.
struct Web {
    _server: Kid,
    port: u16,
    cookie: String,
    csrf: String,
    seen: Vec<String>,
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the first `name="NAME" value="..."` input in `html`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Web {
    /// Starts `nascfg serve` on the box and logs in with the printed URL.
    fn start(nascfg: &Nascfg) -> Web {
        let mut child = Command::new(nascfg_bin())
            .arg("--data-dir")
            .arg(nascfg.data_dir())
            .args(["serve", "--listen", "127.0.0.1:0"])
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
        let url = line.trim().to_owned();
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("a loopback login URL: {url}"));
        let (port, login) = rest.split_once('/').expect("a path");
        let mut web = Web {
            _server: kid,
            port: port.parse().expect("a port"),
            cookie: String::new(),
            csrf: String::new(),
            seen: Vec::new(),
        };
        let answer = web.request("GET", &format!("/{login}"), None);
        assert_eq!(answer.status, 303, "{}", answer.head);
        let cookie = answer
            .head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .expect("a session cookie");
        web.cookie = cookie.split(';').next().expect("name=value").to_owned();
        let page = web.get("/backups/remote");
        assert_eq!(page.status, 200, "{}", page.body);
        web.csrf = input_value(&page.body, "csrf").expect("the CSRF token");
        web
    }

    fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> Answer {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(120)))
            .expect("a read timeout");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        if !self.cookie.is_empty() {
            request.push_str(&format!("Cookie: {}\r\n", self.cookie));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body);
        s.write_all(request.as_bytes()).expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("an answer");
        self.seen.push(out.clone());
        let (head, body) = out.split_once("\r\n\r\n").expect("head and body");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status line");
        Answer {
            status,
            head: head.to_ascii_lowercase(),
            body: body.to_owned(),
        }
    }

    fn get(&mut self, path: &str) -> Answer {
        self.request("GET", path, None)
    }

    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let csrf_form = form_encode(&all);
        self.request("POST", path, Some(&csrf_form))
    }

    /// No answer so far held any of `secrets`.
    #[track_caller]
    fn assert_no_leak(&self, secrets: &[&str]) {
        for answer in &self.seen {
            for s in secrets {
                assert!(!answer.contains(s), "an answer holds a secret:\n{answer}");
            }
        }
    }
}

/// A box with the S3 credential `store` and the credential `extra` that
/// holds [`BOX_SECRET`] (when `with_extra`).
fn new_box(s3: &S3Server, with_extra: bool) -> Nascfg {
    let n = Nascfg::new();
    n.ok(&["init"]);
    n.ok(&[
        "cred",
        "add",
        "store",
        "--provider",
        "S3",
        "--set",
        &format!("access_key_id={}", s3.access_key_id),
        "--set",
        &format!("secret_access_key={}", s3.secret_access_key),
        "--set",
        &format!("endpoint={}", s3.endpoint),
    ]);
    if with_extra {
        n.ok(&[
            "cred",
            "add",
            "extra",
            "--provider",
            "S3",
            "--set",
            "access_key_id=AKIAEXTRA0000000",
            "--set",
            &format!("secret_access_key={BOX_SECRET}"),
        ]);
    }
    n
}

#[test]
fn push_list_and_restore_from_remote_in_the_web_ui() {
    let s3 = S3Server::start();
    let a = new_box(&s3, true);
    let mut web = Web::start(&a);
    let secrets = [BOX_SECRET, s3.secret_access_key.as_str(), PASSPHRASE];

    // The credential is offered; the push form is there.
    let page = web.get("/backups/remote");
    assert!(
        page.body.contains("<option value=\"store\""),
        "{}",
        page.body
    );
    assert!(web.get("/backups").body.contains("/backups/remote"));

    // The seed without a passphrase is refused, before anything is uploaded.
    let refused = web.post(
        "/backups/remote/push",
        &[
            ("credential", "store"),
            ("path", "bucket1/nas1"),
            ("include_seed", "true"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("refusing to push a bundle with the secret seed"),
        "{}",
        refused.body
    );
    assert!(!s3.root().join("bucket1").join("nas1").exists());

    // Push with the seed and a passphrase: the result and the listing show it.
    let pushed = web.post(
        "/backups/remote/push",
        &[
            ("credential", "store"),
            ("path", "bucket1/nas1"),
            ("include_seed", "true"),
            ("passphrase", PASSPHRASE),
            ("passphrase2", PASSPHRASE),
        ],
    );
    assert_eq!(pushed.status, 200, "{}", pushed.body);
    let name = pushed
        .body
        .split("<dt>name</dt><dd>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the pushed bundle's name")
        .to_owned();
    assert!(
        name.starts_with("nascfg-") && name.ends_with(".tar.gz.age"),
        "{name}"
    );
    let object = s3.root().join("bucket1").join("nas1").join(&name);
    let bytes = std::fs::read(&object).expect("the object is on the service");
    assert!(
        pushed.body.contains(&format!("{} bytes", bytes.len())),
        "{}",
        pushed.body
    );
    assert!(pushed.body.contains("seed included, passphrase-protected"));

    // Again with if-changed: nothing pushed.
    let again = web.post(
        "/backups/remote/push",
        &[
            ("credential", "store"),
            ("path", "bucket1/nas1"),
            ("include_seed", "true"),
            ("passphrase", PASSPHRASE),
            ("passphrase2", PASSPHRASE),
            ("if_changed", "true"),
        ],
    );
    assert!(again.body.contains("nothing pushed"), "{}", again.body);

    let listed = web.post(
        "/backups/remote/list",
        &[("credential", "store"), ("path", "bucket1/nas1")],
    );
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body.matches("<code>nascfg-").count(),
        1,
        "{}",
        listed.body
    );
    assert!(listed.body.contains(&name) && listed.body.contains("? (encrypted)"));
    web.assert_no_leak(&secrets);

    // A fresh box with only the storage credential restores everything from the remote bundle.
    let b = new_box(&s3, false);
    let mut web_b = Web::start(&b);
    let no_pass = web_b.post(
        "/backups/remote/restore",
        &[
            ("credential", "store"),
            ("path", "bucket1/nas1"),
            ("name", &name),
        ],
    );
    assert_eq!(no_pass.status, 422, "{}", no_pass.body);
    assert!(no_pass.body.contains("type its passphrase"));
    let inspected = web_b.post(
        "/backups/remote/restore",
        &[
            ("credential", "store"),
            ("path", "bucket1/nas1"),
            ("name", &name),
            ("passphrase", PASSPHRASE),
        ],
    );
    assert_eq!(inspected.status, 200, "{}", inspected.body);
    assert!(
        inspected.body.contains("the seed is in the bundle"),
        "{}",
        inspected.body
    );
    let before = std::fs::read(b.data_dir().join("config.db")).expect("box B's database");
    let upload = input_value(&inspected.body, "upload").expect("the pulled bundle's id");
    assert_eq!(
        std::fs::read(b.data_dir().join("config.db")).expect("box B's database"),
        before,
        "nothing changed before the restore was confirmed"
    );
    let restored = web_b.post("/backups/restore", &[("upload", &upload)]);
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert!(
        restored.body.contains("Restored 2 credential(s)"),
        "{}",
        restored.body
    );
    let shown = b.json(&["cred", "show", "extra", "--reveal"]);
    assert!(shown.to_string().contains(BOX_SECRET), "{shown}");
    web_b.assert_no_leak(&secrets);
}
