//! Credentials to rclone remotes and back, per `providers.md`: rclone's
//! backend `type`, its option names, and the values that change form on the
//! way (OneDrive drive types, S3 v2 signatures, the GCS key on one line, the
//! SFTP key as `key_pem`, obscured passwords).

use nascfg_credentials::{AttrValue, Credential, ProviderKind, Untrusted};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Map, Value};

use super::conf::{Section, encode_value};
use super::obscure::{obscure, reveal};
use crate::import::{CredentialCandidate, KeyCandidate};

/// How a value is written: as it is, or obscured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Plain,
    Obscured,
}

/// When an empty value is written: never, or always (fields that are
/// required but may be empty, such as the FTP password).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Empty {
    Omit,
    Keep,
}

/// One nascfg field and its rclone option of the same name.
#[derive(Clone, Copy)]
struct Key {
    field: &'static str,
    form: Form,
    empty: Empty,
}

const fn plain(field: &'static str) -> Key {
    Key {
        field,
        form: Form::Plain,
        empty: Empty::Omit,
    }
}
const fn plain_keep(field: &'static str) -> Key {
    Key {
        field,
        form: Form::Plain,
        empty: Empty::Keep,
    }
}
const fn obscured(field: &'static str, empty: Empty) -> Key {
    Key {
        field,
        form: Form::Obscured,
        empty,
    }
}

/// The options every rclone OAuth backend has: the app and its token.
const OAUTH: &[Key] = &[plain("client_id"), plain("client_secret"), plain("token")];
/// An OAuth backend's options: [`OAUTH`]'s and one of its own.
const fn oauth_and(own: &'static str) -> [Key; 4] {
    [OAUTH[0], OAUTH[1], OAUTH[2], plain(own)]
}
/// The options of rclone's file-server backends (ftp, sftp): where and who, and
/// the password obscured; an empty one written or not as `empty_pass` says.
const fn server(empty_pass: Empty) -> [Key; 4] {
    [
        plain("host"),
        plain("port"),
        plain("user"),
        obscured("pass", empty_pass),
    ]
}

const S3: &[Key] = &[
    plain("access_key_id"),
    plain("secret_access_key"),
    plain("endpoint"),
];
const B2: &[Key] = &[plain("account"), plain("key")];
const FTP: &[Key] = &server(Empty::Keep);
const DRIVE: &[Key] = &oauth_and("team_drive");
const HTTP: &[Key] = &[plain("url")];
const MEGA: &[Key] = &[plain("user"), obscured("pass", Empty::Keep)];
const AZUREBLOB: &[Key] = &[plain("account"), plain("key"), plain("endpoint")];
const ONEDRIVE: &[Key] = &oauth_and("drive_id");
const SWIFT: &[Key] = &[
    plain("user"),
    plain("key"),
    plain("auth"),
    plain("auth_version"),
    plain("endpoint_type"),
    plain("tenant"),
    plain("tenant_id"),
    plain("auth_token"),
    plain("region"),
    plain("storage_url"),
    plain("user_id"),
    plain("domain"),
    plain("tenant_domain"),
];
const PCLOUD: &[Key] = &oauth_and("hostname");
const SFTP: &[Key] = &server(Empty::Omit);
const WEBDAV: &[Key] = &[
    plain("url"),
    plain_keep("user"),
    obscured("pass", Empty::Keep),
];

/// The rclone backend name of a provider and the options copied one to one.
/// `None`: rclone has no backend for it.
fn backend(kind: ProviderKind) -> Option<(&'static str, &'static [Key])> {
    use ProviderKind as P;
    Some(match kind {
        P::S3 => ("s3", S3),
        P::B2 => ("b2", B2),
        P::Box => ("box", OAUTH),
        P::Dropbox => ("dropbox", OAUTH),
        P::Ftp => ("ftp", FTP),
        P::GoogleCloudStorage => ("google cloud storage", &[]),
        P::GoogleDrive => ("drive", DRIVE),
        P::GooglePhotos => ("google photos", OAUTH),
        P::Http => ("http", HTTP),
        P::Hubic => return None,
        P::Mega => ("mega", MEGA),
        P::AzureBlob => ("azureblob", AZUREBLOB),
        P::OneDrive => ("onedrive", ONEDRIVE),
        P::OpenstackSwift => ("swift", SWIFT),
        P::Pcloud => ("pcloud", PCLOUD),
        P::Sftp => ("sftp", SFTP),
        P::Webdav => ("webdav", WEBDAV),
        P::Yandex => ("yandex", OAUTH),
    })
}

/// Whether rclone has a backend for `kind`.
pub(crate) fn has_backend(kind: ProviderKind) -> bool {
    backend(kind).is_some()
}

/// The provider of an rclone backend `type` (its name or its prefix, as
/// rclone itself accepts both).
fn provider_of(rclone_type: &str) -> Option<ProviderKind> {
    use ProviderKind as P;
    Some(match rclone_type.trim() {
        "s3" => P::S3,
        "b2" => P::B2,
        "box" => P::Box,
        "dropbox" => P::Dropbox,
        "ftp" => P::Ftp,
        "google cloud storage" | "gcs" => P::GoogleCloudStorage,
        "drive" => P::GoogleDrive,
        "google photos" | "gphotos" => P::GooglePhotos,
        "http" => P::Http,
        "mega" => P::Mega,
        "azureblob" => P::AzureBlob,
        "onedrive" => P::OneDrive,
        "swift" => P::OpenstackSwift,
        "pcloud" => P::Pcloud,
        "sftp" => P::Sftp,
        "webdav" => P::Webdav,
        "yandex" => P::Yandex,
        _ => return None,
    })
}

/// What the target rclone can take.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Whether it has the `mega` backend (Debian's rclone 1.60 has not).
    pub has_mega: bool,
}

impl Default for Target {
    /// A current rclone: it has `mega`.
    fn default() -> Self {
        Target { has_mega: true }
    }
}

/// A credential's attribute as text (secrets exposed), `None` when absent or null.
fn text_of(cred: &Credential, field: &str) -> Option<String> {
    match cred.get(field)? {
        AttrValue::Null => None,
        AttrValue::Bool(b) => Some(b.to_string()),
        AttrValue::Integer(i) => Some(i.to_string()),
        AttrValue::Text(s) => Some(s.clone()),
        AttrValue::Secret(s) => Some(s.expose_secret().to_owned()),
    }
}

/// The rclone section for a credential, with notes, or why it is skipped.
/// `key_pem` is the private key (OpenSSH text) of an SFTP credential's key pair.
pub(crate) fn to_section(
    cred: &Credential,
    section_name: &str,
    key_pem: Option<&SecretString>,
    target: Target,
) -> Result<(Section, Vec<String>), String> {
    let kind = cred.provider();
    let (rclone_type, keys) = backend(kind).ok_or_else(|| match kind {
        ProviderKind::Hubic => {
            "rclone has no hubic backend (removed in 1.60 after the service shut down)".to_owned()
        }
        other => format!("rclone has no backend for {other}"),
    })?;
    if kind == ProviderKind::Mega && !target.has_mega {
        return Err("the target rclone has no mega backend".to_owned());
    }
    let mut section = Section::new(section_name);
    let mut notes = Vec::new();
    let put = |section: &mut Section, key: &str, value: &str| -> Result<(), String> {
        if encode_value(value).is_none() {
            return Err(format!(
                "the value of {key} cannot be written to rclone.conf (line break or backquote)"
            ));
        }
        section.set(key, value);
        Ok(())
    };
    put(&mut section, "type", rclone_type)?;
    if kind == ProviderKind::S3 {
        let endpoint = text_of(cred, "endpoint").unwrap_or_default();
        put(
            &mut section,
            "provider",
            if endpoint.is_empty() { "AWS" } else { "Other" },
        )?;
    }
    for key in keys {
        let value = text_of(cred, key.field).unwrap_or_default();
        if value.is_empty() && key.empty == Empty::Omit {
            continue;
        }
        match key.form {
            Form::Plain => put(&mut section, key.field, &value)?,
            Form::Obscured => put(&mut section, key.field, &obscure(&value))?,
        }
    }
    match kind {
        ProviderKind::S3 => {
            let region = text_of(cred, "region").unwrap_or_default();
            if cred.boolean("skip_region") == Some(true) {
                if !region.is_empty() {
                    notes.push("skip_region is set: the region is not written".to_owned());
                }
            } else if !region.is_empty() {
                put(&mut section, "region", &region)?;
            }
            if cred.boolean("signatures_v2") == Some(true) {
                put(&mut section, "v2_auth", "true")?;
            }
            if let Some(parts) = cred.integer("max_upload_parts").filter(|&p| p != 10000) {
                put(&mut section, "max_upload_parts", &parts.to_string())?;
            }
        }
        ProviderKind::GoogleCloudStorage => {
            let json = text_of(cred, "service_account_credentials").unwrap_or_default();
            let one_line: String = json.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            put(&mut section, "service_account_credentials", &one_line)?;
            let project = serde_json::from_str::<Value>(&one_line).ok().and_then(|v| {
                v.get("project_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            match project {
                Some(p) if !p.is_empty() => put(&mut section, "project_number", &p)?,
                _ => notes.push(
                    "the key file has no project_id: project_number is not written".to_owned(),
                ),
            }
        }
        ProviderKind::OneDrive => {
            let drive_type = match text_of(cred, "drive_type").as_deref() {
                Some("PERSONAL") => "personal",
                Some("BUSINESS") => "business",
                Some("DOCUMENT_LIBRARY") => "documentLibrary",
                _ => return Err("unknown OneDrive drive_type".to_owned()),
            };
            put(&mut section, "drive_type", drive_type)?;
        }
        ProviderKind::Webdav => {
            let vendor = text_of(cred, "vendor")
                .unwrap_or_default()
                .to_ascii_lowercase();
            put(&mut section, "vendor", &vendor)?;
        }
        ProviderKind::Sftp => {
            let key_name = text_of(cred, "private_key").unwrap_or_default();
            if !key_name.is_empty() {
                let pem =
                    key_pem.ok_or_else(|| format!("its key pair {key_name:?} cannot be read"))?;
                let one_line = pem
                    .expose_secret()
                    .trim_end()
                    .replace("\r\n", "\n")
                    .replace('\n', "\\n");
                put(&mut section, "key_pem", &one_line)?;
            }
        }
        _ => {}
    }
    Ok((section, notes))
}

/// Options that carry nothing nascfg keeps, or that it derives itself.
fn derived_keys(kind: ProviderKind) -> &'static [&'static str] {
    match kind {
        ProviderKind::S3 => &["provider", "region", "v2_auth", "max_upload_parts"],
        ProviderKind::GoogleCloudStorage => &["service_account_credentials", "project_number"],
        ProviderKind::OneDrive => &["drive_type"],
        ProviderKind::Webdav => &["vendor"],
        ProviderKind::Sftp => &["key_pem", "key_file"],
        _ => &[],
    }
}

/// The key pair of an SFTP remote's `key_pem`, as [`from_section`] reads it.
pub(crate) fn key_from_section(section: &Section) -> Option<KeyCandidate> {
    match provider_of(section.backend().unwrap_or("")) {
        Some(ProviderKind::Sftp) => from_section(section).1,
        _ => None,
    }
}

/// Maps an rclone section back to a credential candidate (and the key pair
/// of an SFTP remote's `key_pem`).
pub(crate) fn from_section(section: &Section) -> (CredentialCandidate, Option<KeyCandidate>) {
    let name = section.name().to_owned();
    let rclone_type = section.backend().unwrap_or("").to_owned();
    let mut candidate = CredentialCandidate::new(&name, &rclone_type);
    let Some(kind) = provider_of(&rclone_type) else {
        candidate.skip(if rclone_type.is_empty() {
            "the remote has no type".to_owned()
        } else {
            format!(
                "rclone backend {:?} has no nascfg provider",
                Untrusted::new(&rclone_type)
            )
        });
        return (candidate, None);
    };
    candidate.provider = Some(kind);
    candidate.provider_text = kind.type_str().to_owned();
    let Some((_, keys)) = backend(kind) else {
        candidate.skip(format!("{kind} cannot be imported from rclone"));
        return (candidate, None);
    };
    let spec = kind.spec();
    let mut attrs = Map::new();
    for key in keys {
        let Some(raw) = section.get(key.field) else {
            continue;
        };
        let revealed;
        let text = match key.form {
            Form::Plain => raw,
            Form::Obscured => match reveal(raw) {
                Ok(t) => {
                    revealed = t;
                    revealed.expose_secret()
                }
                Err(_) => {
                    candidate.skip(format!(
                        "{} is not obscured as rclone obscures it",
                        key.field
                    ));
                    return (candidate, None);
                }
            },
        };
        let value = match spec.field(key.field) {
            Some(field) => field
                .value_from_text(text)
                .unwrap_or_else(|_| Value::String(text.to_owned())),
            None => Value::String(text.to_owned()),
        };
        attrs.insert(key.field.to_owned(), value);
    }
    let mut key = None;
    match kind {
        ProviderKind::S3 => {
            let region = section.get("region").unwrap_or("");
            let v2 = section
                .get("v2_auth")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            if region == "other-v2-signature" || v2 {
                attrs.insert("signatures_v2".into(), Value::Bool(true));
            }
            if !region.is_empty() && region != "other-v2-signature" {
                attrs.insert("region".into(), region.into());
            }
            if let Some(parts) = section.get("max_upload_parts") {
                let value = parts
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| parts.into());
                attrs.insert("max_upload_parts".into(), value);
            }
        }
        ProviderKind::GoogleCloudStorage => match section.get("service_account_credentials") {
            Some(json) if !json.is_empty() => {
                attrs.insert("service_account_credentials".into(), json.into());
            }
            _ => {
                let why = if section.get("service_account_file").is_some() {
                    "it names a service_account_file (a path on another machine); only an inline service_account_credentials can be imported"
                } else {
                    "it has no service_account_credentials"
                };
                candidate.skip(why.to_owned());
                return (candidate, None);
            }
        },
        ProviderKind::OneDrive => {
            if let Some(t) = section.get("drive_type") {
                let mapped = match t {
                    "personal" => "PERSONAL",
                    "business" => "BUSINESS",
                    "documentLibrary" => "DOCUMENT_LIBRARY",
                    other => other,
                };
                attrs.insert("drive_type".into(), mapped.into());
            }
        }
        ProviderKind::Webdav => {
            let vendor = section.get("vendor").unwrap_or("");
            if vendor.is_empty() {
                candidate
                    .notes
                    .push("no vendor given: imported as OTHER".to_owned());
                attrs.insert("vendor".into(), "OTHER".into());
            } else {
                attrs.insert("vendor".into(), vendor.to_ascii_uppercase().into());
            }
        }
        ProviderKind::Sftp => {
            if let Some(pem) = section.get("key_pem").filter(|p| !p.is_empty()) {
                let text = pem.replace("\\n", "\n");
                let text = if text.ends_with('\n') {
                    text
                } else {
                    text + "\n"
                };
                key = Some(KeyCandidate::new(
                    &name,
                    &name,
                    Ok(SecretString::from(text)),
                ));
                candidate.key_ref = Some(name.clone());
            } else if section.get("key_file").is_some() {
                candidate.notes.push(
                    "key_file (a path on another machine) is not imported; add a key pair"
                        .to_owned(),
                );
            }
        }
        _ => {}
    }
    let known: Vec<&str> = keys
        .iter()
        .map(|k| k.field)
        .chain(derived_keys(kind).iter().copied())
        .collect();
    let ignored: Vec<&str> = section
        .entries()
        .map(|(k, _)| k)
        .filter(|k| *k != "type" && !known.contains(k))
        .collect();
    if !ignored.is_empty() {
        candidate.notes.push(format!(
            "rclone options nascfg does not keep were ignored: {}",
            crate::import::untrusted_list(&ignored)
        ));
    }
    candidate.attributes = attrs;
    (candidate, key)
}

/// A valid rclone remote name made from a credential name: characters other
/// than ASCII letters, digits, `_ . + @ -` and inner spaces become `_`.
pub(crate) fn remote_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.+@- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    out = out.trim_end().to_owned();
    if out.starts_with(['-', ' ']) || out.is_empty() {
        out.insert(0, '_');
    }
    out
}
