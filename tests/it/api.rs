//! NOT YET IN main.rs: it type-checks (cargo check -p nascfg-tests --tests) but has not run yet; add `mod api;` there once it passes.
//! The TrueNAS-compatible API of `nascfg serve` (JSON-RPC 2.0 over WebSocket
//! at /api/current) driven by a plain WebSocket client with the frames of
//! TrueNAS's API documentation, error cases included, and by PyPI's
//! `pytruenas` 0.7.1 (tests/api/pytruenas_client.py), a client no one here
//! wrote; results compared with `nascfg cred list --json` / `cred show --json`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use nascfg_tests::cli::{Nascfg, nascfg_bin};
use nascfg_tests::servers::S3Server;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::web::Kid;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// `nascfg serve` on a free loopback port; its port. `env`: extra variables.
fn serve(nascfg: &Nascfg, env: &[(&str, &str)]) -> (Kid, u16) {
    let mut cmd = Command::new(nascfg_bin());
    cmd.arg("--data-dir")
        .arg(nascfg.data_dir())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("NASCFG_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("nascfg serve runs");
    let stdout = child.stdout.take().expect("piped");
    let kid = Kid(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the login URL line");
    let port = line
        .trim()
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a login URL: {line}"));
    (kid, port)
}

/// `nascfg apikey create NAME --role ROLE`: the key.
fn apikey(nascfg: &Nascfg, name: &str, role: &str) -> String {
    let made = nascfg.json(&["apikey", "create", name, "--role", role]);
    made["key"].as_str().expect("a key").to_owned()
}

async fn connect(port: u16) -> Socket {
    let (socket, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/current"))
            .await
            .expect("the API accepts a WebSocket");
    socket
}

/// Sends one frame, returns the answer (parsed).
async fn call_raw(socket: &mut Socket, frame: &str) -> Value {
    socket
        .send(Message::Text(frame.into()))
        .await
        .expect("send");
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).expect("JSON answer"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("no answer to {frame:.200}: {other:?}"),
        }
    }
}

async fn call(socket: &mut Socket, id: i64, method: &str, params: Value) -> Value {
    let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let answer = call_raw(socket, &frame.to_string()).await;
    assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
    assert_eq!(answer["id"], id, "{answer}");
    answer
}

/// What the socket does next: `Closed(code)` or the next text frame.
async fn closed(socket: &mut Socket) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(None) | Ok(Some(Err(_))) => return Some(0),
            Ok(Some(Ok(other))) => panic!("expected the connection to close, got {other:?}"),
            Err(_) => break,
        }
    }
    None
}

/// Checks `answer` against `want`: every member of `want` must be in
/// `answer` with the same value (objects compared member by member).
fn check(answer: &Value, want: &Value, what: &str) {
    fn sub(a: &Value, w: &Value) -> bool {
        match (a, w) {
            (Value::Object(a), Value::Object(w)) => {
                w.iter().all(|(k, v)| a.get(k).is_some_and(|x| sub(x, v)))
            }
            _ => a == w,
        }
    }
    assert!(sub(answer, want), "{what}:\n got  {answer}\n want {want}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn plain_client_speaks_truenas_frames() {
    let s3 = S3Server::start();
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let admin = apikey(&nascfg, "terraform", "admin");
    let reader = apikey(&nascfg, "dashboard", "readonly");
    assert!(admin.starts_with("1-") && admin.len() == 66, "{admin}");
    let (_server, port) = serve(&nascfg, &[]);
    let s3_doc = json!({
        "name": "offsite",
        "provider": {
            "type": "S3",
            "access_key_id": s3.access_key_id,
            "secret_access_key": s3.secret_access_key,
            "endpoint": s3.endpoint,
        }
    });
    runtime().block_on(async {
        let mut ws = connect(port).await;
        // Before login: ping and the mechanisms answer, everything else is refused.
        let cases: Vec<(&str, Value, Value)> = vec![
            ("core.ping", json!([]), json!({"result": "pong"})),
            (
                "auth.mechanism_choices",
                json!([]),
                json!({"result": ["API_KEY_PLAIN"]}),
            ),
            (
                "cloudsync.credentials.query",
                json!([]),
                json!({"error": {"code": -32001, "message": "Method call error",
                    "data": {"error": 207, "errname": "ENOTAUTHENTICATED", "reason": "[ENOTAUTHENTICATED] Not authenticated"}}}),
            ),
            (
                "no.such.method",
                json!([]),
                json!({"error": {"code": -32601, "message": "Method does not exist"}}),
            ),
            (
                "auth.login_with_api_key",
                json!(["1-wrong"]),
                json!({"result": false}),
            ),
            (
                "auth.login_ex",
                json!([{"mechanism": "API_KEY_PLAIN", "username": "root", "api_key": "2-nope"}]),
                json!({"result": {"response_type": "AUTH_ERR"}}),
            ),
            (
                "auth.login_ex",
                json!([{"mechanism": "PASSWORD_PLAIN", "username": "root", "password": "x"}]),
                json!({"error": {"code": -32602, "data": {"extra": [["login_data.mechanism", "Input should be 'API_KEY_PLAIN' (the only mechanism served)", 22]]}}}),
            ),
            // The read-only key: reads, cannot write.
            (
                "auth.login_ex",
                json!([{"mechanism": "API_KEY_PLAIN", "username": "root", "api_key": reader}]),
                json!({"result": {"response_type": "SUCCESS"}}),
            ),
            ("cloudsync.credentials.query", json!([]), json!({"result": []})),
            (
                "cloudsync.credentials.create",
                json!([s3_doc]),
                json!({"error": {"code": -32001, "data": {"error": 13, "errname": "EACCES", "reason": "[EACCES] Not authorized"}}}),
            ),
            (
                "cloudsync.credentials.delete",
                json!([1]),
                json!({"error": {"code": -32001, "data": {"errname": "EACCES"}}}),
            ),
            // The admin key.
            (
                "auth.login_with_api_key",
                json!([admin]),
                json!({"result": true}),
            ),
            (
                "system.version_short",
                json!([]),
                json!({"result": "25.04.0"}),
            ),
            (
                "cloudsync.credentials.create",
                json!([s3_doc]),
                json!({"result": {"id": 1, "name": "offsite", "provider": {"type": "S3", "secret_access_key": s3.secret_access_key}}}),
            ),
            (
                "cloudsync.credentials.create",
                json!([s3_doc]),
                json!({"error": {"code": -32602, "data": {"extra": [["cloud_sync_credentials_create.name", "Credentials with this name already exist", 17]]}}}),
            ),
            // Every problem at once: a bad port and a missing secret.
            (
                "cloudsync.credentials.create",
                json!([{"name": "box", "provider": {"type": "FTP", "host": "ftp.example.com", "port": 70000, "user": "u"}}]),
                json!({"error": {"code": -32602, "message": "Invalid params", "data": {"error": 22, "errname": "EINVAL", "extra": [
                    ["cloud_sync_credentials_create.provider.port", "must be between 1 and 65535 (got 70000)", 22],
                    ["cloud_sync_credentials_create.provider.pass", "field required", 22]]}}}),
            ),
            (
                "cloudsync.credentials.create",
                json!([{"name": "x", "provider": {"type": "NOPE"}}]),
                json!({"error": {"code": -32602, "data": {"extra": [["cloud_sync_credentials_create.provider.type", "unknown provider \"NOPE\" (`nascfg providers` lists the 18 types)", 22]]}}}),
            ),
            (
                "cloudsync.credentials.create",
                json!([{"provider": {"type": "S3", "access_key_id": "A"}}]),
                json!({"error": {"code": -32602}}),
            ),
            (
                "cloudsync.credentials.query",
                json!([[["name", "===", "offsite"]]]),
                json!({"error": {"code": -32602, "data": {"extra": [["filters.0", "Invalid operation: \"===\"", 22]]}}}),
            ),
            (
                "cloudsync.credentials.query",
                json!([[["name", "=", "offsite"]], {"get": true, "select": ["id", "provider.type"]}]),
                json!({"result": {"id": 1, "provider": {"type": "S3"}}}),
            ),
            (
                "cloudsync.credentials.query",
                json!([[["provider.type", "in", ["S3", "B2"]], ["name", "^", "off"]], {"count": true}]),
                json!({"result": 1}),
            ),
            (
                "cloudsync.credentials.query",
                json!([[["name", "=", "missing"]], {"get": true}]),
                json!({"error": {"code": -32001, "data": {"errname": "ENOENT"}}}),
            ),
            (
                "cloudsync.credentials.verify",
                json!([{"type": "S3", "access_key_id": s3.access_key_id, "secret_access_key": s3.secret_access_key, "endpoint": s3.endpoint}]),
                json!({"result": {"valid": true, "error": null, "excerpt": null}}),
            ),
            (
                "cloudsync.credentials.verify",
                json!([{"type": "S3", "access_key_id": s3.access_key_id, "secret_access_key": "wrong-secret-0000", "endpoint": s3.endpoint}]),
                json!({"result": {"valid": false}}),
            ),
            (
                "cloudsync.credentials.update",
                json!([1, {"name": "offsite-2", "provider": {"region": "eu-west-1"}}]),
                json!({"result": {"id": 1, "name": "offsite-2", "provider": {"type": "S3", "region": "eu-west-1", "access_key_id": s3.access_key_id}}}),
            ),
            (
                "cloudsync.credentials.update",
                json!([1, {"provider": {"type": "S3", "max_upload_parts": -3}}]),
                json!({"error": {"code": -32602, "data": {"extra": [["cloud_sync_credentials_update.provider.max_upload_parts", "must be between 1 and 10000 (got -3)", 22]]}}}),
            ),
            (
                "cloudsync.credentials.update",
                json!([99, {"name": "x"}]),
                json!({"error": {"code": -32602, "data": {"extra": [[null, "Cloud Credential 99 does not exist", 2]]}}}),
            ),
            (
                "cloudsync.credentials.get_instance",
                json!(["one"]),
                json!({"error": {"code": -32602, "data": {"extra": [["id", "Input should be a valid integer", 22]]}}}),
            ),
        ];
        for (i, (method, params, want)) in cases.into_iter().enumerate() {
            let answer = call(&mut ws, i as i64 + 1, method, params.clone()).await;
            check(&answer, &want, &format!("{method} {params}"));
        }

        // What the API shows is what the command line shows.
        let listed = nascfg.json(&["cred", "list"]);
        let got = call(&mut ws, 100, "cloudsync.credentials.get_instance", json!([1])).await;
        let shown = nascfg.json(&["cred", "show", "offsite-2", "--reveal"]);
        assert_eq!(got["result"]["provider"], shown["provider"], "{got}");
        assert_eq!(listed[0]["id"], got["result"]["id"]);

        // A read-only session sees every secret as ********.
        let mut ro = connect(port).await;
        let ok = call(&mut ro, 1, "auth.login_with_api_key", json!([reader])).await;
        assert_eq!(ok["result"], true);
        let got = call(&mut ro, 2, "cloudsync.credentials.get_instance", json!([1])).await;
        assert_eq!(got["result"]["provider"]["secret_access_key"], "********");
        assert_eq!(got["result"]["provider"], listed[0]["provider"]);
        // Filters see the redacted record: no filter can probe a secret.
        let probe = json!([[["provider.secret_access_key", "=", s3.secret_access_key]]]);
        let got = call(&mut ro, 3, "cloudsync.credentials.query", probe).await;
        assert_eq!(got["result"], json!([]));

        // Garbage and oversized frames: answered or closed, the other session unharmed.
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let got = call_raw(&mut ws, &deep).await;
        check(&got, &json!({"id": null, "error": {"code": -32700}}), "deep");
        let got = call_raw(&mut ws, "{\"jsonrpc\": \"2.0\", \"id\": 1").await;
        check(&got, &json!({"error": {"code": -32700}}), "truncated");
        let got = call_raw(&mut ws, r#"{"jsonrpc":"2.0","id":1,"method":"core.ping","params":{}}"#).await;
        check(&got, &json!({"error": {"code": -32600}}), "params not a list");
        let mut big = connect(port).await;
        let huge = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"core.ping","params":["{}"]}}"#,
            "x".repeat(2 * 1024 * 1024)
        );
        let _ = big.send(Message::Text(huge.into())).await;
        assert!(closed(&mut big).await.is_some(), "an oversized frame closes its connection");
        let mut small = connect(port).await;
        let before_login = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"auth.login_with_api_key","params":["{}"]}}"#,
            "x".repeat(100 * 1024)
        );
        let _ = small.send(Message::Text(before_login.into())).await;
        assert_eq!(closed(&mut small).await, Some(1009), "a large frame before login");
        let got = call(&mut ws, 200, "core.ping", json!([])).await;
        assert_eq!(got["result"], "pong", "the first session still answers");

        // Delete, then the record is gone.
        let got = call(&mut ws, 300, "cloudsync.credentials.delete", json!([1])).await;
        assert_eq!(got["result"], true, "{got}");
        let got = call(&mut ws, 301, "cloudsync.credentials.get_instance", json!([1])).await;
        check(&got, &json!({"error": {"code": -32602, "data": {"errname": "EINVAL", "extra": [[null, "Cloud Credential 1 does not exist", 2]]}}}), "gone");
        assert_eq!(nascfg.json(&["cred", "list"]), json!([]));

        // A deleted key's session ends at its next call.
        nascfg.ok(&["apikey", "delete", "dashboard"]);
        let got = call(&mut ro, 4, "cloudsync.credentials.query", json!([])).await;
        check(&got, &json!({"error": {"data": {"errname": "ENOTAUTHENTICATED"}}}), "revoked");
    });

    // The audit log: who, which method, which credential, the result; never a value.
    let path = nascfg.data_dir().join("api-audit.log");
    let log = std::fs::read_to_string(&path).expect("the audit log");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path)
            .expect("its mode")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert!(!log.contains(&s3.secret_access_key) && !log.contains(&admin[2..]));
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let has = |method: &str, result: &str, name: Option<&str>| {
        lines.iter().any(|l| {
            l["method"] == method
                && l["result"].as_str().is_some_and(|r| r.starts_with(result))
                && name.is_none_or(|n| l["credential"]["name"] == n)
        })
    };
    assert!(
        has(
            "auth.login_with_api_key",
            "AUTH_ERR (failure 1 in a row)",
            None
        ),
        "{log}"
    );
    assert!(
        has("auth.login_ex", "AUTH_ERR (failure 2 in a row)", None),
        "{log}"
    );
    assert!(
        has("cloudsync.credentials.create", "ok", Some("offsite")),
        "{log}"
    );
    assert!(
        // A taken name is one of the validation problems (-32602, reported with the others).
        has("cloudsync.credentials.create", "EINVAL", Some("offsite")),
        "{log}"
    );
    assert!(has("cloudsync.credentials.create", "EACCES", None), "{log}");
    assert!(
        has("cloudsync.credentials.update", "ok", Some("offsite-2")),
        "{log}"
    );
    assert!(
        has("cloudsync.credentials.delete", "ok", Some("offsite-2")),
        "{log}"
    );
    assert!(
        has("cloudsync.credentials.verify", "ok (valid)", None),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l["key"]["name"] == "terraform"),
        "{log}"
    );
}

#[test]
fn listener_rules_and_idle_clients() {
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let (_server, port) = serve(&nascfg, &[("NASCFG_TEST_API_IDLE_MS", "300")]);
    runtime().block_on(async {
        let url = format!("ws://127.0.0.1:{port}/api/current");
        // A page of another site may not open the API; neither may a rebound name.
        let cases: [(&str, &str, Option<u16>); 5] = [
            ("Origin", "http://evil.example", Some(403)),
            ("Origin", &format!("http://127.0.0.1:{port}"), None),
            ("Host", "evil.example", Some(421)),
            ("Host", &format!("localhost:{port}"), None),
            ("X-Nothing", "1", None),
        ];
        for (header, value, refused) in cases {
            let mut request = url.as_str().into_client_request().expect("a request");
            let name: tokio_tungstenite::tungstenite::http::HeaderName =
                header.parse().expect("a header name");
            request
                .headers_mut()
                .insert(name, value.parse().expect("a header value"));
            let got = tokio_tungstenite::connect_async(request).await;
            match (got, refused) {
                (Ok(_), None) => {}
                (Err(tokio_tungstenite::tungstenite::Error::Http(r)), Some(status)) => {
                    assert_eq!(r.status().as_u16(), status, "{header}: {value}")
                }
                (other, _) => panic!("{header}: {value}: {other:?}"),
            }
        }
        for path in ["/api/v25.04.0", "/api/v25.10.1"] {
            let mut ws = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}{path}"))
                .await
                .expect("a versioned path")
                .0;
            assert_eq!(
                call(&mut ws, 1, "core.ping", json!([])).await["result"],
                "pong"
            );
        }
        let missing =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/nope")).await;
        assert!(missing.is_err());
        // A client that sends nothing is closed; one that keeps talking is not.
        let mut idle = connect(port).await;
        let mut busy = connect(port).await;
        for i in 0..10 {
            assert_eq!(
                call(&mut busy, i, "core.ping", json!([])).await["result"],
                "pong"
            );
        }
        assert_eq!(
            closed(&mut idle).await,
            Some(1000),
            "the idle client is closed"
        );
    });
}

#[test]
fn pytruenas_manages_credentials() {
    let python = std::env::var("NASCFG_PYTHON").unwrap_or_else(|_| "python3".into());
    let s3 = S3Server::start();
    let nascfg = Nascfg::new();
    nascfg.ok(&["init"]);
    let admin = apikey(&nascfg, "pytruenas", "admin");
    let (_server, port) = serve(&nascfg, &[]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("api/pytruenas_client.py");
    let out = Command::new(&python)
        .arg(&script)
        .env(
            "NASCFG_API_URL",
            format!("ws://127.0.0.1:{port}/api/current"),
        )
        .env("NASCFG_API_KEY", &admin)
        .env("S3_ENDPOINT", &s3.endpoint)
        .env("S3_KEY", &s3.access_key_id)
        .env("S3_SECRET", &s3.secret_access_key)
        .output()
        .expect("python3 runs (.ci/setup installs pytruenas 0.7.1)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pytruenas script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("the script's last line is its JSON report ({e}):\n{stdout}"));
    // What pytruenas saw is what the command line shows.
    let listed = nascfg.json(&["cred", "list"]);
    let listed: Vec<Value> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| json!({"id": c["id"], "name": c["name"], "type": c["provider"]["type"]}))
        .collect();
    assert_eq!(report["final"], json!(listed), "{report}");
    let shown = nascfg.json(&["cred", "show", "pyt-b2", "--reveal"]);
    assert_eq!(report["b2"]["provider"], shown["provider"], "{report}");
    assert_eq!(report["verify"]["valid"], true, "{report}");
    assert_eq!(report["deleted"], true, "{report}");
}
