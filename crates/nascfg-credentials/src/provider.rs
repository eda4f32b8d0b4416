//! The provider catalog: the 18 providers and every field they take, as data.
//!
//! This is the one place the catalog is written down; validation, the CLI's
//! `providers` commands, their JSON output and docs/PROVIDERS.md all read it.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::error::{Error, FieldError};

/// The 18 cloud providers, named by their TrueNAS type strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// Amazon S3 and S3-compatible services (`S3`).
    S3,
    /// Backblaze B2 (`B2`).
    B2,
    /// Box (`BOX`).
    Box,
    /// Dropbox (`DROPBOX`).
    Dropbox,
    /// FTP (`FTP`).
    Ftp,
    /// Google Cloud Storage (`GOOGLE_CLOUD_STORAGE`).
    GoogleCloudStorage,
    /// Google Drive (`GOOGLE_DRIVE`).
    GoogleDrive,
    /// Google Photos (`GOOGLE_PHOTOS`).
    GooglePhotos,
    /// HTTP, read-only (`HTTP`).
    Http,
    /// Hubic, shut down in 2022 (`HUBIC`).
    Hubic,
    /// Mega (`MEGA`).
    Mega,
    /// Microsoft Azure Blob Storage (`AZUREBLOB`).
    AzureBlob,
    /// Microsoft OneDrive (`ONEDRIVE`).
    OneDrive,
    /// OpenStack Swift (`OPENSTACK_SWIFT`).
    OpenstackSwift,
    /// pCloud (`PCLOUD`).
    Pcloud,
    /// SFTP (`SFTP`).
    Sftp,
    /// WebDAV (`WEBDAV`).
    Webdav,
    /// Yandex Disk (`YANDEX`).
    Yandex,
}

impl ProviderKind {
    /// All 18 providers, in catalog order.
    pub const ALL: [ProviderKind; 18] = [
        ProviderKind::S3,
        ProviderKind::B2,
        ProviderKind::Box,
        ProviderKind::Dropbox,
        ProviderKind::Ftp,
        ProviderKind::GoogleCloudStorage,
        ProviderKind::GoogleDrive,
        ProviderKind::GooglePhotos,
        ProviderKind::Http,
        ProviderKind::Hubic,
        ProviderKind::Mega,
        ProviderKind::AzureBlob,
        ProviderKind::OneDrive,
        ProviderKind::OpenstackSwift,
        ProviderKind::Pcloud,
        ProviderKind::Sftp,
        ProviderKind::Webdav,
        ProviderKind::Yandex,
    ];

    /// The catalog entry of this provider.
    pub fn spec(self) -> &'static ProviderSpec {
        // CATALOG is in ALL's order; a test checks it.
        &CATALOG[self as usize]
    }

    /// The TrueNAS type string, e.g. `S3`, `GOOGLE_CLOUD_STORAGE`.
    pub fn type_str(self) -> &'static str {
        self.spec().type_str
    }

    /// The human title, e.g. `Amazon S3`.
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// Whether the provider offers "Log In To Provider" (OAuth).
    pub fn oauth_login(self) -> bool {
        self.spec().oauth_login
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_str())
    }
}

impl FromStr for ProviderKind {
    type Err = Error;

    /// Parses a type string in any case (`s3`, `Google_Drive`).
    fn from_str(s: &str) -> Result<ProviderKind, Error> {
        let given = s.trim();
        // The type string as written (as the store keeps it) is found first.
        let all = ProviderKind::ALL;
        all.into_iter()
            .find(|k| k.type_str() == given)
            .or_else(|| {
                all.into_iter()
                    .find(|k| k.type_str().eq_ignore_ascii_case(given))
            })
            .ok_or_else(|| Error::UnknownProvider {
                given: truncate(s, 40),
            })
    }
}

impl serde::Serialize for ProviderKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.type_str())
    }
}

impl<'de> serde::Deserialize<'de> for ProviderKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The known type strings, comma-separated (for messages and hints).
pub(crate) fn known_types() -> String {
    ProviderKind::ALL
        .iter()
        .map(|k| k.type_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cuts a value for quoting in a message.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// One provider in the catalog.
#[derive(Debug)]
pub struct ProviderSpec {
    kind: ProviderKind,
    type_str: &'static str,
    title: &'static str,
    oauth_login: bool,
    fields: &'static [FieldSpec],
}

impl ProviderSpec {
    /// Which provider this is.
    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// The TrueNAS type string.
    pub fn type_str(&self) -> &'static str {
        self.type_str
    }

    /// The human title.
    pub fn title(&self) -> &'static str {
        self.title
    }

    /// Whether the provider offers OAuth login.
    pub fn oauth_login(&self) -> bool {
        self.oauth_login
    }

    /// Every field, in display (and error) order.
    pub fn fields(&self) -> &'static [FieldSpec] {
        self.fields
    }

    /// One field by its attribute name.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The attribute names, comma-separated (for messages).
    pub(crate) fn field_names(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What kind of JSON document a [`FieldKind::JsonDocument`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A Google service-account key file (see `ServiceAccountKey`).
    ServiceAccountKey,
    /// An rclone OAuth token (see `OAuthToken`).
    OAuthToken,
}

/// The kind of value a field takes, with its constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A single-line string (plain or secret) of at most `max_len` characters.
    Text {
        /// Maximum length in characters.
        max_len: usize,
    },
    /// An integer in `min..=max`.
    Integer {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A TCP port, 1 to 65535.
    Port,
    /// `true` or `false`.
    Boolean,
    /// An `http` or `https` URL (empty allowed when the field is optional).
    Url,
    /// One of a fixed set of strings; input in any case, stored canonical.
    Enum {
        /// The canonical forms.
        allowed: &'static [&'static str],
    },
    /// A JSON document held as text (always secret), at most 64 KiB.
    JsonDocument(DocumentKind),
    /// The name of an SSH key pair in nascfg's store.
    KeyPairRef,
    /// `null` or one of a few integers.
    NullableInteger {
        /// The allowed integers.
        allowed: &'static [i64],
    },
    /// `null` or one of a fixed set of strings (any case in, canonical stored).
    NullableEnum {
        /// The canonical forms.
        allowed: &'static [&'static str],
    },
}

impl FieldKind {
    /// A short name for listings and the JSON schema: `text`, `integer`, `port`,
    /// `boolean`, `url`, `enum`, `service-account-json`, `oauth-token-json`,
    /// `keypair`, `integer-or-null`, `enum-or-null`.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::Integer { .. } => "integer",
            FieldKind::Port => "port",
            FieldKind::Boolean => "boolean",
            FieldKind::Url => "url",
            FieldKind::Enum { .. } => "enum",
            FieldKind::JsonDocument(DocumentKind::ServiceAccountKey) => "service-account-json",
            FieldKind::JsonDocument(DocumentKind::OAuthToken) => "oauth-token-json",
            FieldKind::KeyPairRef => "keypair",
            FieldKind::NullableInteger { .. } => "integer-or-null",
            FieldKind::NullableEnum { .. } => "enum-or-null",
        }
    }

    /// The values an enum or a nullable integer field allows, as text
    /// (`a, b, c`: canonical forms, `null` not among them); `None` for the
    /// kinds without a fixed set. Error messages and the catalog listing
    /// show the same list.
    pub fn allowed_list(&self) -> Option<String> {
        match self {
            FieldKind::Enum { allowed } | FieldKind::NullableEnum { allowed } => {
                Some(allowed.join(", "))
            }
            FieldKind::NullableInteger { allowed } => Some(integer_list(allowed)),
            _ => None,
        }
    }
}

/// Integers as text, `1, 2, 3`.
pub(crate) fn integer_list(allowed: &[i64]) -> String {
    allowed
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a field must be given, and what it is when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// Must be given, and not empty.
    Required,
    /// Must be given; the empty string is allowed (FTP `pass`, WebDAV `user`).
    RequiredMayBeEmpty,
    /// May be left out; then absent.
    Optional,
    /// May be left out; then this value.
    Default(DefaultValue),
}

/// A default value, as static data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultValue {
    Text(&'static str),
    Integer(i64),
    Boolean(bool),
    Null,
}

impl DefaultValue {
    fn to_json(self) -> Value {
        match self {
            DefaultValue::Text(s) => Value::String(s.to_owned()),
            DefaultValue::Integer(i) => Value::from(i),
            DefaultValue::Boolean(b) => Value::Bool(b),
            DefaultValue::Null => Value::Null,
        }
    }
}

/// A named extra rule on top of a field's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    None,
    /// An S3 access key or secret key: no whitespace; unusual shapes warned about.
    S3Key,
    /// An Azure storage account name: `^[a-z0-9\-.]+$`, any case.
    AzureAccount,
    /// An Azure account key: base64 expected (warned about otherwise).
    Base64Key,
    /// A host name or address: no whitespace, no scheme or path.
    Host,
}

/// One field of a provider: an attribute name and everything about it.
#[derive(Debug)]
pub struct FieldSpec {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) help: &'static str,
    pub(crate) kind: FieldKind,
    pub(crate) requirement: Requirement,
    pub(crate) secret: bool,
    pub(crate) rule: Rule,
}

impl FieldSpec {
    /// The attribute name, as in TrueNAS (`access_key_id`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The label of the TrueNAS form (`Access Key ID`).
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The help text (from the product document, URLs in parentheses).
    pub fn help(&self) -> &'static str {
        self.help
    }

    /// The kind of value, with its constraints.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }

    /// Whether the field must be given (it has no default).
    pub fn required(&self) -> bool {
        matches!(
            self.requirement,
            Requirement::Required | Requirement::RequiredMayBeEmpty
        )
    }

    /// Whether a required field may be the empty string (FTP `pass`, WebDAV `user`).
    pub fn empty_allowed(&self) -> bool {
        !matches!(self.requirement, Requirement::Required)
    }

    /// The value the field takes when left out, if it has one.
    pub fn default(&self) -> Option<Value> {
        match self.requirement {
            Requirement::Default(d) => Some(d.to_json()),
            _ => None,
        }
    }

    /// Whether the value is secret (sealed at rest, redacted in output).
    pub fn secret(&self) -> bool {
        self.secret
    }

    /// The allowed values of an enum field (canonical forms).
    pub fn allowed_values(&self) -> Option<&'static [&'static str]> {
        match self.kind {
            FieldKind::Enum { allowed } | FieldKind::NullableEnum { allowed } => Some(allowed),
            _ => None,
        }
    }

    /// The allowed integers of a nullable integer field (besides `null`).
    pub fn allowed_integers(&self) -> Option<&'static [i64]> {
        match self.kind {
            FieldKind::NullableInteger { allowed } => Some(allowed),
            _ => None,
        }
    }

    /// The smallest and largest value of an integer or port field.
    pub fn integer_range(&self) -> Option<(i64, i64)> {
        match self.kind {
            FieldKind::Integer { min, max } => Some((min, max)),
            FieldKind::Port => Some((1, 65535)),
            _ => None,
        }
    }

    /// Turns a command-line string into the JSON value of this field's kind:
    /// `"21"` -> `21`, `"true"` -> `true`, `""`/`"null"` -> `null` for nullable
    /// fields, anything else -> a JSON string. Validation happens later, in
    /// `Credential::new`; this only converts.
    pub fn value_from_text(&self, text: &str) -> Result<Value, FieldError> {
        match self.kind {
            FieldKind::Integer { .. } | FieldKind::Port => parse_integer(self.name, text),
            FieldKind::NullableInteger { .. } => {
                if is_null_text(text) {
                    Ok(Value::Null)
                } else {
                    parse_integer(self.name, text)
                }
            }
            FieldKind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "off" | "0" => Ok(Value::Bool(false)),
                _ => Err(FieldError::new(
                    self.name,
                    format!("must be true or false (got {:?})", truncate(text, 40)),
                )),
            },
            FieldKind::NullableEnum { .. } if is_null_text(text) => Ok(Value::Null),
            _ => Ok(Value::String(text.to_owned())),
        }
    }
}

fn is_null_text(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.eq_ignore_ascii_case("null")
}

fn parse_integer(field: &str, text: &str) -> Result<Value, FieldError> {
    text.trim().parse::<i64>().map(Value::from).map_err(|_| {
        FieldError::new(
            field,
            format!("must be an integer (got {:?})", truncate(text, 40)),
        )
    })
}

// ---------------------------------------------------------------------------
// The catalog.
// ---------------------------------------------------------------------------

/// Plain strings default to 1024 characters at most (as in TrueNAS).
pub(crate) const MAX_TEXT: usize = 1024;
/// Swift auth tokens (PKI tokens) can be long.
const MAX_LONG_TEXT: usize = 64 * 1024;

const TEXT: FieldKind = FieldKind::Text { max_len: MAX_TEXT };

const fn field(
    name: &'static str,
    label: &'static str,
    kind: FieldKind,
    requirement: Requirement,
    secret: bool,
    help: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        label,
        help,
        kind,
        requirement,
        secret,
        rule: Rule::None,
    }
}

const fn with_rule(mut spec: FieldSpec, rule: Rule) -> FieldSpec {
    spec.rule = rule;
    spec
}

use DefaultValue as D;
use Requirement::{Default as Def, Optional, Required, RequiredMayBeEmpty};

/// An optional plain text field, empty by default.
const fn optional_text(name: &'static str, label: &'static str, help: &'static str) -> FieldSpec {
    field(name, label, TEXT, Def(D::Text("")), false, help)
}

/// A required plain text field.
const fn required_text(name: &'static str, label: &'static str, help: &'static str) -> FieldSpec {
    field(name, label, TEXT, Required, false, help)
}

/// A required secret text field.
const fn required_secret(name: &'static str, label: &'static str, help: &'static str) -> FieldSpec {
    field(name, label, TEXT, Required, true, help)
}

/// An optional URL field, empty by default.
const fn optional_url(name: &'static str, label: &'static str, help: &'static str) -> FieldSpec {
    field(name, label, FieldKind::Url, Def(D::Text("")), false, help)
}

/// A required URL field.
const fn required_url(name: &'static str, label: &'static str, help: &'static str) -> FieldSpec {
    field(name, label, FieldKind::Url, Required, false, help)
}

const CLIENT_ID: FieldSpec = optional_text(
    "client_id",
    "OAuth Client ID",
    "The public identifier for the cloud application.",
);
const CLIENT_SECRET: FieldSpec = field(
    "client_secret",
    "OAuth Client Secret",
    TEXT,
    Def(D::Text("")),
    true,
    "The secret phrase known only to the cloud application and the authorization server.",
);

const fn token(help: &'static str) -> FieldSpec {
    field(
        "token",
        "Access Token",
        FieldKind::JsonDocument(DocumentKind::OAuthToken),
        Required,
        true,
        help,
    )
}

const S3_FIELDS: &[FieldSpec] = &[
    with_rule(
        required_secret(
            "access_key_id",
            "Access Key ID",
            "Amazon Web Services Key ID. This is found on Amazon AWS (https://aws.amazon.com/) by going through My account > Security Credentials > Access Keys (Access Key ID and Secret Access Key).",
        ),
        Rule::S3Key,
    ),
    with_rule(
        required_secret(
            "secret_access_key",
            "Secret Access Key",
            "Amazon Web Services password. If the Secret Access Key cannot be found or remembered, go to My Account > Security Credentials > Access Keys and create a new key pair.",
        ),
        Rule::S3Key,
    ),
    optional_url(
        "endpoint",
        "Endpoint URL",
        "S3 API endpoint URL (https://docs.aws.amazon.com/AmazonS3/latest/dev/WebsiteEndpoints.html). When using AWS, the endpoint field can be empty to use the default endpoint for the region, and available buckets are automatically fetched.",
    ),
    optional_text(
        "region",
        "Region",
        "AWS resources in a geographic area (https://docs.aws.amazon.com/general/latest/gr/rande-manage.html). Leave empty to automatically detect the correct public region for the bucket. Entering a private region name allows interacting with Amazon buckets created in that region. For example, enter us-gov-east-1 to discover buckets created in the eastern AWS GovCloud region.",
    ),
    field(
        "skip_region",
        "Disable Endpoint Region",
        FieldKind::Boolean,
        Def(D::Boolean(false)),
        false,
        "Skip automatic detection of the Endpoint URL region. Set this when configuring a custom Endpoint URL.",
    ),
    field(
        "signatures_v2",
        "Use Signature Version 2",
        FieldKind::Boolean,
        Def(D::Boolean(false)),
        false,
        "Force using Signature Version 2 (https://docs.aws.amazon.com/general/latest/gr/signature-version-2.html) to sign API requests. Set this when configuring a custom Endpoint URL.",
    ),
    field(
        "max_upload_parts",
        "Maximum Upload Parts",
        FieldKind::Integer { min: 1, max: 10000 },
        Def(D::Integer(10000)),
        false,
        "Define the maximum number of chunks for a multipart upload. This can be useful if a service does not support the 10,000 chunk AWS S3 specification.",
    ),
];

const B2_FIELDS: &[FieldSpec] = &[
    required_secret(
        "account",
        "Key ID",
        "Alphanumeric Backblaze B2 (https://www.backblaze.com/b2/cloud-storage.html) Application Key ID. To generate a new application key, log in to the Backblaze account, go to the App Keys page, and add a new application key. Copy the application keyID string to this field.",
    ),
    required_secret(
        "key",
        "Application Key",
        "Backblaze B2 (https://www.backblaze.com/b2/cloud-storage.html) Application Key. To generate a new application key, log in to the Backblaze account, go to the App Keys page, and add a new application key. Copy the applicationKey string to this field.",
    ),
];

const BOX_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "A User Access Token for Box (https://developer.box.com/), as rclone token JSON. An access token (https://developer.box.com/reference) enables Box to verify a request belongs to an authorized session.",
    ),
];

const DROPBOX_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "Access Token for a Dropbox account, as rclone token JSON. A token must be generated (https://blogs.dropbox.com/developers/2014/05/generate-an-access-token-for-your-own-account/) by the Dropbox account (https://www.dropbox.com/) before adding it here.",
    ),
];

const FTP_FIELDS: &[FieldSpec] = &[
    with_rule(
        required_text(
            "host",
            "Host",
            "FTP Host to connect to. Example: ftp.example.com.",
        ),
        Rule::Host,
    ),
    field(
        "port",
        "Port",
        FieldKind::Port,
        Def(D::Integer(21)),
        false,
        "FTP Port number. Leave blank to use the default port 21.",
    ),
    required_text(
        "user",
        "Username",
        "A username on the FTP Host system. This user must already exist on the FTP Host.",
    ),
    field(
        "pass",
        "Password",
        TEXT,
        RequiredMayBeEmpty,
        true,
        "Password for the user account.",
    ),
];

const GCS_FIELDS: &[FieldSpec] = &[field(
    "service_account_credentials",
    "Service Account Key",
    FieldKind::JsonDocument(DocumentKind::ServiceAccountKey),
    Required,
    true,
    "Contents of the Google Service Account credential file (https://rclone.org/googlecloudstorage/#service-account-support), a JSON key file created with the Google Cloud Platform Console (https://console.cloud.google.com/apis/credentials).",
)];

const GOOGLE_DRIVE_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "Token created with Google Drive (https://developers.google.com/drive/api/v3/about-auth), as rclone token JSON. Access Tokens expire periodically and must be refreshed.",
    ),
    optional_text(
        "team_drive",
        "Team Drive ID",
        "Only needed when connecting to a Team Drive. The ID of the top level folder of the Team Drive.",
    ),
];

const GOOGLE_PHOTOS_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "Token created with Google Photos, as rclone token JSON. Access Tokens expire periodically and must be refreshed.",
    ),
];

const HTTP_FIELDS: &[FieldSpec] = &[required_url("url", "URL", "HTTP host URL.")];

const HUBIC_FIELDS: &[FieldSpec] = &[token(
    "Access Token generated by a Hubic account (https://api.hubic.com/sandbox/), as rclone token JSON.",
)];

const MEGA_FIELDS: &[FieldSpec] = &[
    required_text(
        "user",
        "Username",
        "MEGA (https://mega.nz/) account username.",
    ),
    required_secret("pass", "Password", "MEGA account password."),
];

const AZUREBLOB_FIELDS: &[FieldSpec] = &[
    with_rule(
        required_text(
            "account",
            "Account Name",
            "Microsoft Azure (https://docs.microsoft.com/en-us/azure/storage/common/storage-create-storage-account) account name.",
        ),
        Rule::AzureAccount,
    ),
    with_rule(
        required_secret(
            "key",
            "Account Key",
            "Base64 encoded key for Azure Account.",
        ),
        Rule::Base64Key,
    ),
    optional_url(
        "endpoint",
        "Endpoint URL",
        "Blob service endpoint URL. Leave empty to use the account's default endpoint (https://ACCOUNT.blob.core.windows.net).",
    ),
];

const ONEDRIVE_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "Microsoft Onedrive Access Token (https://docs.microsoft.com/en-us/onedrive/developer/rest-api/getting-started/authentication), as rclone token JSON. Log in to the Microsoft account to add an access token.",
    ),
    field(
        "drive_type",
        "Drive Account Type",
        FieldKind::Enum {
            allowed: &["PERSONAL", "BUSINESS", "DOCUMENT_LIBRARY"],
        },
        Required,
        false,
        "Type of Microsoft account. Logging in to a Microsoft account automatically chooses the correct account type. Options: PERSONAL, BUSINESS, DOCUMENT_LIBRARY.",
    ),
    required_text(
        "drive_id",
        "Drive ID",
        "Unique drive identifier. Log in to a Microsoft account and choose a drive from the Drives List to add a valid ID.",
    ),
];

const SWIFT_FIELDS: &[FieldSpec] = &[
    required_text(
        "user",
        "User Name",
        "Openstack user name for login. This is the OS_USERNAME from an OpenStack credentials file (https://rclone.org/swift/#configuration-from-an-openstack-credentials-file).",
    ),
    required_secret(
        "key",
        "API Key or Password",
        "Openstack API key or password. This is the OS_PASSWORD from an OpenStack credentials file (https://rclone.org/swift/#configuration-from-an-openstack-credentials-file).",
    ),
    required_url(
        "auth",
        "Authentication URL",
        "Authentication URL for the server. This is the OS_AUTH_URL from an OpenStack credentials file (https://rclone.org/swift/#configuration-from-an-openstack-credentials-file).",
    ),
    field(
        "auth_version",
        "Auth Version",
        FieldKind::NullableInteger {
            allowed: &[0, 1, 2, 3],
        },
        Def(D::Null),
        false,
        "AuthVersion - optional - set to (1,2,3) if your auth URL has no version; 0 or null infers it from the URL (https://rclone.org/swift/#standard-options).",
    ),
    field(
        "endpoint_type",
        "Endpoint Type",
        FieldKind::NullableEnum {
            allowed: &["public", "internal", "admin"],
        },
        Def(D::Null),
        false,
        "Endpoint type to choose from the service catalogue. Public is recommended, see the rclone documentation (https://rclone.org/swift/#standard-options).",
    ),
    optional_text(
        "tenant",
        "Tenant Name",
        "This is the OS_TENANT_NAME from an OpenStack credentials file (https://rclone.org/swift/#configuration-from-an-openstack-credentials-file).",
    ),
    optional_text(
        "tenant_id",
        "Tenant ID",
        "Tenant ID - optional for v1 auth, this or tenant required otherwise (https://rclone.org/swift/#standard-options).",
    ),
    field(
        "auth_token",
        "Auth Token",
        FieldKind::Text {
            max_len: MAX_LONG_TEXT,
        },
        Def(D::Text("")),
        true,
        "Auth Token from alternate authentication - optional (https://rclone.org/swift/#standard-options).",
    ),
    optional_text(
        "region",
        "Region Name",
        "Region name - optional (https://rclone.org/swift/#standard-options).",
    ),
    optional_url(
        "storage_url",
        "Storage URL",
        "Storage URL - optional (https://rclone.org/swift/#standard-options).",
    ),
    optional_text(
        "user_id",
        "User ID",
        "User ID to log in - optional, most swift systems use user and leave this blank (v3 auth) (https://rclone.org/swift/#standard-options).",
    ),
    optional_text(
        "domain",
        "User Domain",
        "User domain - optional (v3 auth) (https://rclone.org/swift/#standard-options).",
    ),
    optional_text(
        "tenant_domain",
        "Tenant Domain",
        "Tenant domain - optional (v3 auth) (https://rclone.org/swift/#standard-options).",
    ),
];

const PCLOUD_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "pCloud Access Token (https://docs.pcloud.com/methods/intro/authentication.html), as rclone token JSON. These tokens can expire and require extension.",
    ),
    with_rule(
        optional_text(
            "hostname",
            "Hostname",
            "Enter the hostname to connect to: api.pcloud.com (US) or eapi.pcloud.com (EU). Empty means api.pcloud.com.",
        ),
        Rule::Host,
    ),
];

const SFTP_FIELDS: &[FieldSpec] = &[
    with_rule(
        required_text("host", "Host", "SSH Host to connect to."),
        Rule::Host,
    ),
    field(
        "port",
        "Port",
        FieldKind::Port,
        Def(D::Integer(22)),
        false,
        "SSH port number. Leave empty to use the default port 22.",
    ),
    field("user", "Username", TEXT, Required, false, "SSH Username."),
    field(
        "pass",
        "Password",
        TEXT,
        Optional,
        true,
        "Password for the SSH Username account.",
    ),
    field(
        "private_key",
        "Private Key ID",
        FieldKind::KeyPairRef,
        Optional,
        false,
        "The name of an SSH key pair in nascfg's key store (see `nascfg keypair`): import an existing private key or generate a new key pair for this credential.",
    ),
];

const WEBDAV_FIELDS: &[FieldSpec] = &[
    required_url("url", "URL", "URL of the HTTP host to connect to."),
    field(
        "vendor",
        "WebDav Service",
        FieldKind::Enum {
            allowed: &["NEXTCLOUD", "OWNCLOUD", "SHAREPOINT", "OTHER"],
        },
        Required,
        false,
        "Name of the WebDAV site, service, or software being used: NEXTCLOUD, OWNCLOUD, SHAREPOINT or OTHER.",
    ),
    field(
        "user",
        "Username",
        TEXT,
        RequiredMayBeEmpty,
        false,
        "WebDAV account username.",
    ),
    required_secret("pass", "Password", "WebDAV account password."),
];

const YANDEX_FIELDS: &[FieldSpec] = &[
    CLIENT_ID,
    CLIENT_SECRET,
    token(
        "Yandex Access Token (https://tech.yandex.com/direct/doc/dg-v4/concepts/auth-token-docpage/), as rclone token JSON.",
    ),
];

const fn provider(
    kind: ProviderKind,
    type_str: &'static str,
    title: &'static str,
    oauth_login: bool,
    fields: &'static [FieldSpec],
) -> ProviderSpec {
    ProviderSpec {
        kind,
        type_str,
        title,
        oauth_login,
        fields,
    }
}

/// The catalog, in the order of [`ProviderKind::ALL`].
static CATALOG: [ProviderSpec; 18] = [
    provider(ProviderKind::S3, "S3", "Amazon S3", false, S3_FIELDS),
    provider(ProviderKind::B2, "B2", "Backblaze B2", false, B2_FIELDS),
    provider(ProviderKind::Box, "BOX", "Box", true, BOX_FIELDS),
    provider(
        ProviderKind::Dropbox,
        "DROPBOX",
        "Dropbox",
        true,
        DROPBOX_FIELDS,
    ),
    provider(ProviderKind::Ftp, "FTP", "FTP", false, FTP_FIELDS),
    provider(
        ProviderKind::GoogleCloudStorage,
        "GOOGLE_CLOUD_STORAGE",
        "Google Cloud Storage",
        false,
        GCS_FIELDS,
    ),
    provider(
        ProviderKind::GoogleDrive,
        "GOOGLE_DRIVE",
        "Google Drive",
        true,
        GOOGLE_DRIVE_FIELDS,
    ),
    provider(
        ProviderKind::GooglePhotos,
        "GOOGLE_PHOTOS",
        "Google Photos",
        true,
        GOOGLE_PHOTOS_FIELDS,
    ),
    provider(ProviderKind::Http, "HTTP", "HTTP", false, HTTP_FIELDS),
    provider(ProviderKind::Hubic, "HUBIC", "Hubic", false, HUBIC_FIELDS),
    provider(ProviderKind::Mega, "MEGA", "Mega", false, MEGA_FIELDS),
    provider(
        ProviderKind::AzureBlob,
        "AZUREBLOB",
        "Microsoft Azure Blob Storage",
        false,
        AZUREBLOB_FIELDS,
    ),
    provider(
        ProviderKind::OneDrive,
        "ONEDRIVE",
        "Microsoft OneDrive",
        true,
        ONEDRIVE_FIELDS,
    ),
    provider(
        ProviderKind::OpenstackSwift,
        "OPENSTACK_SWIFT",
        "OpenStack Swift",
        false,
        SWIFT_FIELDS,
    ),
    provider(
        ProviderKind::Pcloud,
        "PCLOUD",
        "pCloud",
        true,
        PCLOUD_FIELDS,
    ),
    provider(ProviderKind::Sftp, "SFTP", "SFTP", false, SFTP_FIELDS),
    provider(
        ProviderKind::Webdav,
        "WEBDAV",
        "WebDAV",
        false,
        WEBDAV_FIELDS,
    ),
    provider(
        ProviderKind::Yandex,
        "YANDEX",
        "Yandex",
        true,
        YANDEX_FIELDS,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_in_all_order() {
        for (i, kind) in ProviderKind::ALL.into_iter().enumerate() {
            assert_eq!(CATALOG[i].kind, kind);
        }
    }
}
