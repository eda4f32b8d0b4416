//! Restoring a bundle encrypted to a public key: the identity file is
//! uploaded with the bundle, held in memory for that restore only; a wrong
//! one is refused with the bundle's recipients named and nothing changed.

use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nascfg_store::Store;

use super::{Answer, HOST, Ui, add_s3, login, post, send, ui};

const BOUNDARY: &str = "nascfg-test-boundary-recip";

/// `age-keygen`'s identity file and its recipient.
fn age_key(dir: &std::path::Path, name: &str) -> (Vec<u8>, String) {
    let path = dir.join(name);
    let made = Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("age-keygen");
    assert!(made.status.success(), "{made:?}");
    let public = Command::new("age-keygen")
        .arg("-y")
        .arg(&path)
        .output()
        .expect("age-keygen -y");
    assert!(public.status.success(), "{public:?}");
    (
        std::fs::read(&path).expect("the identity"),
        String::from_utf8(public.stdout)
            .expect("text")
            .trim()
            .to_owned(),
    )
}

/// POST /backups/upload with the bundle and an identity file.
async fn upload(ui: &Ui, cookie: &str, csrf: &str, bundle: &[u8], identity: &[u8]) -> Answer {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"b.tar.gz.age\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bundle);
    body.extend_from_slice(
        format!(
            "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"identity\"; filename=\"key.txt\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(identity);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::post(format!("/backups/upload?csrf={csrf}"))
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .expect("a request");
    send(ui, request).await
}

#[tokio::test]
async fn a_bundle_encrypted_to_a_recipient_restores_with_an_uploaded_identity() {
    let ui = ui();
    add_s3(&ui, "s3");
    let keys = tempfile::tempdir().expect("a temp dir");
    let (identity, recipient) = age_key(keys.path(), "right.txt");
    let (wrong, _) = age_key(keys.path(), "wrong.txt");
    // Exported to the recipient, with the seed, by the library the CLI uses.
    let bundle_path = keys.path().join("b.tar.gz.age");
    let store = Store::open(&ui.data).expect("the store");
    let options = nascfg_bundle::ExportOptions {
        include_seed: true,
        recipients: vec![nascfg_crypto::Recipient::parse(&recipient).expect("a recipient")],
        ..nascfg_bundle::ExportOptions::default()
    };
    nascfg_bundle::export(&store, &bundle_path, &options).expect("the export");
    drop(store);
    let bundle = std::fs::read(&bundle_path).expect("the bundle");
    let (cookie, csrf) = login(&ui).await;

    // The wrong identity: refused at inspection, the recipient's stanza named.
    let refused = upload(&ui, &cookie, &csrf, &bundle, &wrong).await;
    assert!(refused.body.contains("X25519"), "{}", refused.body);
    assert!(
        refused.body.contains("none of the identities given"),
        "{}",
        refused.body
    );
    // Not an identity at all: refused without echoing it.
    let junk = upload(
        &ui,
        &cookie,
        &csrf,
        &bundle,
        b"AGE-SECRET-KEY-1JUNKJUNKJUNK\n",
    )
    .await;
    assert!(junk.body.contains("identity file, line 1"), "{}", junk.body);
    assert!(!junk.body.contains("JUNKJUNK"), "{}", junk.body);

    let page = upload(&ui, &cookie, &csrf, &bundle, &identity).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("yes (to public-key recipients)"),
        "{}",
        page.body
    );
    let id = page
        .body
        .split("name=\"upload\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the inspection page names the upload")
        .to_owned();
    let restored = send(
        &ui,
        post(
            "/backups/restore",
            &cookie,
            &[("csrf", &csrf), ("upload", &id)],
        ),
    )
    .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    assert!(
        restored.body.contains("Restored 1 credential(s)"),
        "{}",
        restored.body
    );
}
