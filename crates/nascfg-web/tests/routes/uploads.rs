//! Uploaded bundles: each is written once to a private file (a 0700 directory of
//! its own, the file 0600) and removed when the restore is done, when the
//! inspection refuses it, and when its session expires.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::{Answer, HOST, Ui, add_s3, get, login, post, send, ui_with};

const BOUNDARY: &str = "nascfg-test-boundary-7f3a";

/// A bundle of `ui`'s store, made by the Export route (its bytes as sent).
async fn exported(ui: &Ui, cookie: &str, csrf: &str) -> Vec<u8> {
    use tower::ServiceExt;
    let response = ui
        .app
        .router()
        .oneshot(post("/backups/export", cookie, &[("csrf", csrf)]))
        .await
        .expect("the router answers");
    assert_eq!(response.status(), StatusCode::OK);
    axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("the bundle")
        .to_vec()
}

/// POST /backups/upload with `bytes` as the bundle (multipart, as a browser sends it).
async fn upload(ui: &Ui, cookie: &str, csrf: &str, bytes: &[u8]) -> Answer {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"b.tar.gz\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(
        format!(
            "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"passphrase\"\r\n\r\n\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    );
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

/// What the upload directory holds: the files under its per-upload directories.
fn kept(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the upload directory") {
        let sub = entry.expect("an entry").path();
        let mode = std::fs::metadata(&sub)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{} is private", sub.display());
        for file in std::fs::read_dir(&sub).expect("an upload's directory") {
            files.push(file.expect("an entry").path());
        }
    }
    files
}

/// The upload id the inspection page carries for the restore form.
fn upload_id(page: &str) -> String {
    page.split("name=\"upload\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the inspection page names the upload")
        .to_owned()
}

struct Setup {
    ui: Ui,
    uploads: tempfile::TempDir,
    cookie: String,
    csrf: String,
    bundle: Vec<u8>,
}

async fn setup(idle: Duration) -> Setup {
    let uploads = tempfile::tempdir().expect("a temp dir");
    let dir = uploads.path().to_path_buf();
    let ui = ui_with(|c| {
        c.upload_dir = dir;
        c.session_idle = idle;
    });
    add_s3(&ui, "s3");
    let (cookie, csrf) = login(&ui).await;
    let bundle = exported(&ui, &cookie, &csrf).await;
    Setup {
        ui,
        uploads,
        cookie,
        csrf,
        bundle,
    }
}

#[tokio::test(start_paused = true)]
async fn an_upload_is_private_and_removed_once_restored() {
    let s = setup(Duration::from_secs(60)).await;
    let page = upload(&s.ui, &s.cookie, &s.csrf, &s.bundle).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let files = kept(s.uploads.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0])
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read(&files[0]).expect("the upload"), s.bundle);

    let restored = send(
        &s.ui,
        post(
            "/backups/restore",
            &s.cookie,
            &[("csrf", &s.csrf), ("upload", &upload_id(&page.body))],
        ),
    )
    .await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    assert!(
        restored.body.contains("Restored 1 credential(s)"),
        "{}",
        restored.body
    );
    assert!(
        std::fs::read_dir(s.uploads.path())
            .expect("dir")
            .next()
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn an_upload_is_removed_when_its_session_expires() {
    let idle = Duration::from_secs(60);
    let s = setup(idle).await;
    let page = upload(&s.ui, &s.cookie, &s.csrf, &s.bundle).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(kept(s.uploads.path()).len(), 1);
    tokio::time::advance(idle + Duration::from_secs(1)).await;
    // The next request (any) ends the idle session, and its upload goes with it.
    let gone = send(&s.ui, get("/credentials", Some(&s.cookie))).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    assert!(
        std::fs::read_dir(s.uploads.path())
            .expect("dir")
            .next()
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_upload_leaves_nothing() {
    let s = setup(Duration::from_secs(60)).await;
    // (what is uploaded, what the page says)
    let cases: [(&[u8], &str); 2] = [
        (b"not a bundle at all", "gzip"),
        (&[], "choose a bundle file to upload"),
    ];
    for (bytes, expected) in cases {
        let page = upload(&s.ui, &s.cookie, &s.csrf, bytes).await;
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
        assert!(
            std::fs::read_dir(s.uploads.path())
                .expect("dir")
                .next()
                .is_none(),
            "{expected}: a file was left"
        );
    }
}

/// A gzip-compressed tar whose first member is a GNU long-name header of
/// 800,000 bytes (issue 30.1: the reader once read it whole and the page
/// printed it, 134 MB of page from an 848 KB upload).
fn long_name_upload() -> Vec<u8> {
    use std::io::Write as _;
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNULongName);
    header.set_path("././@LongLink").expect("a short path");
    header.set_size(800_000);
    header.set_mode(0o600);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append(&header, &vec![b'n'; 800_000][..])
        .expect("in memory");
    let tar = builder.into_inner().expect("in memory");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar).expect("in memory");
    gz.finish().expect("in memory")
}

#[tokio::test(start_paused = true)]
async fn an_extension_header_upload_is_refused_with_a_short_page() {
    let s = setup(Duration::from_secs(60)).await;
    let page = upload(&s.ui, &s.cookie, &s.csrf, &long_name_upload()).await;
    assert!(
        page.body.contains("a GNU long-name header of 800000 bytes"),
        "{}",
        page.body
    );
    // The page is the layout and one short message, never the name.
    assert!(page.body.len() < 16 << 10, "{} bytes", page.body.len());
    assert!(!page.body.contains("nnnnnnnnnnnnnnnn"));
    assert!(
        std::fs::read_dir(s.uploads.path())
            .expect("dir")
            .next()
            .is_none(),
        "the refused upload was left on disk"
    );
}
