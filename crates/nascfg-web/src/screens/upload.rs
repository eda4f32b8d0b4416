//! A bundle uploaded for restore: received into a private file, then inspected.

use axum::extract::Multipart;
use axum::response::Response;
use nascfg_crypto::secrecy::SecretString;

use crate::page::{LoggedIn, with_hint};
use crate::screens::backups::backups_page;
use crate::screens::restore::keep_and_inspect;
use crate::state::Upload;

/// The largest bundle accepted by upload.
pub(crate) const MAX_UPLOAD: usize = 256 * 1024 * 1024;

/// The largest passphrase field read from an upload form.
const MAX_PASSPHRASE: usize = 64 * 1024;

/// A bundle received into its own private directory (0700) as a 0600 file,
/// chunk by chunk: never whole in memory, refused as soon as it passes the cap.
struct Received {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    size: u64,
}

async fn receive(
    upload_dir: &std::path::Path,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<Received, String> {
    use tokio::io::AsyncWriteExt;
    let keep =
        |e: std::io::Error| format!("cannot keep the upload in {}: {e}", upload_dir.display());
    let dir = tempfile::Builder::new()
        .prefix("nascfg-upload-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir_in(upload_dir)
        .map_err(keep)?;
    let path = dir.path().join("bundle");
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .await
        .map_err(keep)?;
    let mut size = 0u64;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(format!("the upload failed: {e}")),
        };
        size += chunk.len() as u64;
        if size > MAX_UPLOAD as u64 {
            return Err(format!(
                "the bundle is larger than {} MiB: refused",
                MAX_UPLOAD / (1024 * 1024)
            ));
        }
        out.write_all(&chunk).await.map_err(keep)?;
    }
    out.flush().await.map_err(keep)?;
    Ok(Received { dir, path, size })
}

/// A short text field (the passphrase), refused beyond `MAX_PASSPHRASE`.
async fn short_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, String> {
    let bytes = short_bytes(field, MAX_PASSPHRASE, "the passphrase").await?;
    String::from_utf8(bytes.to_vec()).map_err(|_| "the passphrase is not UTF-8 text".to_owned())
}

/// A small field held in memory only (wiped when dropped), refused beyond `limit`.
async fn short_bytes(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: usize,
    what: &str,
) -> Result<nascfg_crypto::zeroize::Zeroizing<Vec<u8>>, String> {
    // Room for the whole field at once: growing would leave copies of a secret behind.
    let mut bytes = nascfg_crypto::zeroize::Zeroizing::new(Vec::with_capacity(limit));
    loop {
        match field.chunk().await {
            Ok(Some(c)) => {
                if bytes.len() + c.len() > limit {
                    return Err(format!(
                        "{what} is larger than {} KiB: refused",
                        limit / 1024
                    ));
                }
                bytes.extend_from_slice(&c);
            }
            Ok(None) => break,
            Err(e) => return Err(format!("the upload failed: {e}")),
        }
    }
    Ok(bytes)
}

pub(crate) async fn upload(LoggedIn { app, sess }: LoggedIn, mut multipart: Multipart) -> Response {
    let mut file: Option<(String, Received)> = None;
    let mut passphrase = String::new();
    let mut identity = nascfg_crypto::zeroize::Zeroizing::new(Vec::new());
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return backups_page(&app, &sess, None, Some(format!("the upload failed: {e}")))
                    .await;
            }
        };
        let received = match field.name() {
            Some("bundle") => {
                let name = field.file_name().unwrap_or("bundle.tar.gz").to_owned();
                receive(&app.inner.upload_dir, &mut field)
                    .await
                    .map(|r| file = Some((name, r)))
            }
            Some("passphrase") => short_text(&mut field).await.map(|p| passphrase = p),
            Some("identity") => short_bytes(
                &mut field,
                nascfg_crypto::MAX_IDENTITY_FILE,
                "the identity file",
            )
            .await
            .map(|b| identity = b),
            _ => Ok(()),
        };
        if let Err(message) = received {
            return backups_page(&app, &sess, None, Some(message)).await;
        }
    }
    let Some((file_name, received)) = file.filter(|(_, r)| r.size > 0) else {
        return backups_page(
            &app,
            &sess,
            None,
            Some("choose a bundle file to upload".to_owned()),
        )
        .await;
    };
    let passphrase = (!passphrase.is_empty()).then(|| SecretString::from(passphrase));
    // An identity file (an age key or an OpenSSH private key) opens a bundle
    // encrypted to recipients; an encrypted key takes the passphrase field.
    let unlock = if identity.is_empty() {
        nascfg_bundle::UnlockWith::from_passphrase(passphrase)
    } else {
        let mut key_passphrase = passphrase;
        match nascfg_crypto::parse_identity_file(&identity, &mut || key_passphrase.take()) {
            Ok(identities) => nascfg_bundle::UnlockWith::with_identities(identities),
            Err(e) => {
                let message = with_hint(&e.to_string(), e.hint().map(str::to_owned));
                return backups_page(&app, &sess, None, Some(message)).await;
            }
        }
    };
    drop(identity);
    let upload = Upload {
        _dir: received.dir,
        session: sess.id.clone(),
        path: received.path,
        file_name,
        unlock,
    };
    keep_and_inspect(&app, &sess, upload).await
}
