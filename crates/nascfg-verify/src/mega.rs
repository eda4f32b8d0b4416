//! Mega: its login protocol against the `cs` API (`POST https://g.api.mega.co.nz/cs?id=<n>`, a JSON
//! array of commands, a JSON array of results; an error is a negative number).
//!
//! 1. `{"a": "us0", "user": <e-mail>}` (pre-login) answers the account's login version `v` and, for
//!    version 2, its salt `s`.
//! 2. The user handle `uh` proves the password without sending it:
//!    - version 2: `PBKDF2-HMAC-SHA512(password, salt, 100000)` gives 32 bytes; the last 16 are the
//!      auth key, `uh` is its unpadded base64url;
//!    - version 1: the AES "prepare key" of the password (65536 rounds of AES-128 over a fixed block,
//!      keyed by each 16-byte chunk of the password), then the e-mail folded into 16 bytes and encrypted
//!      16384 times under it; `uh` is bytes 0..4 and 8..12, base64url.
//! 3. `{"a": "us", "user": <e-mail>, "uh": <uh>}` answers a session (valid) or `-9` ENOENT (wrong e-mail
//!    or password).

use aes::cipher::{BlockEncrypt as _, KeyInit as _};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::http::HttpResponse;
use crate::oauth::api_url;
use crate::{Check, Failure, Outcome, Success};

/// Mega's API.
const API: &str = "https://g.api.mega.co.nz/cs";
/// PBKDF2 rounds of a version 2 login.
const V2_ROUNDS: u32 = 100_000;

/// Logs in.
pub(crate) fn verify(check: &Check<'_>) -> Outcome {
    let email = check.text("user")?.trim().to_lowercase();
    if email.is_empty() {
        return Err(Failure::new(
            "the credential has no user (the account's e-mail)",
        ));
    }
    let password = check.secret("pass")?;
    let url = api_url(check, API)?;
    let prelogin = call(check, &url, 1, &json!([{"a": "us0", "user": email}]))?;
    let version = prelogin.get("v").and_then(Value::as_i64);
    let uh = match version {
        Some(2) => {
            let salt = prelogin
                .get("s")
                .and_then(Value::as_str)
                .and_then(|s| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(s.trim_end_matches('='))
                        .ok()
                })
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    Failure::new("Mega's pre-login answer has no salt for this version 2 account")
                })?;
            user_handle_v2(password.expose_secret().as_bytes(), &salt)
        }
        Some(1) => user_handle_v1(password.expose_secret().as_bytes(), &email),
        other => {
            return Err(Failure::new(format!(
                "Mega answered login version {}, which nascfg does not know",
                other.map_or_else(|| "none".to_owned(), |v| v.to_string())
            )));
        }
    };
    call(
        check,
        &url,
        2,
        &json!([{"a": "us", "user": email, "uh": uh.expose_secret()}]),
    )?;
    Ok(Success::default())
}

/// Sends one command; answers its result object, or the failure its error code means.
fn call(check: &Check<'_>, url: &url::Url, id: u32, commands: &Value) -> Result<Value, Failure> {
    let mut url = url.clone();
    url.query_pairs_mut().append_pair("id", &id.to_string());
    // The second command holds the user handle, which proves the password.
    let response = check.http.post_json_secret(&url, commands)?;
    result(&response)
}

/// Reads a `cs` answer: `[{...}]` is the result, `[-n]` or `-n` an error code.
fn result(response: &HttpResponse) -> Result<Value, Failure> {
    if !response.is_success() {
        return Err(Failure::new(format!(
            "Mega's API answered {}",
            response.status_line()
        )));
    }
    let json: Value = serde_json::from_str(response.body.trim()).map_err(|_| {
        Failure::new(format!(
            "{}, but the answer is not Mega's JSON",
            response.status_line()
        ))
    })?;
    let first = match &json {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    match first {
        Value::Object(_) => Ok(first),
        Value::Number(n) => Err(Failure::new(error_text(n.as_i64().unwrap_or(0)))),
        _ => Err(Failure::new("Mega's answer is empty")),
    }
}

/// What a Mega error code means for a login.
fn error_text(code: i64) -> String {
    let (name, meaning) = match code {
        -9 => ("ENOENT", "invalid user or password"),
        -2 => ("EARGS", "invalid user or password"),
        -3 => ("EAGAIN", "Mega is busy; try again later"),
        -4 => ("ERATELIMIT", "too many attempts; try again later"),
        -6 => ("ETOOMANY", "too many login attempts; try again later"),
        -11 => ("EACCESS", "access denied"),
        -16 => ("EBLOCKED", "the account is blocked"),
        -26 => (
            "EMFAREQUIRED",
            "the account needs a two-factor code, which a stored credential cannot give",
        ),
        _ => ("error", "Mega refused the login"),
    };
    format!("{meaning} ({name} {code})")
}

/// Version 2: base64url of the last 16 bytes of `PBKDF2-HMAC-SHA512(password, salt, 100000, 32)`.
fn user_handle_v2(password: &[u8], salt: &[u8]) -> SecretString {
    let mut derived = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, V2_ROUNDS, &mut *derived);
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&derived[16..]))
}

/// Version 1: the user hash of the e-mail under the password's prepare key.
fn user_handle_v1(password: &[u8], email: &str) -> SecretString {
    let key = prepare_key(password);
    SecretString::from(user_hash(&key, email))
}

/// Mega's version 1 password key: a fixed block encrypted 65536 times with AES-128 under each
/// 16-byte chunk of the password (zero padded), in turn.
fn prepare_key(password: &[u8]) -> Zeroizing<[u8; 16]> {
    let ciphers: Vec<aes::Aes128> = password
        .chunks(16)
        .map(|chunk| {
            let mut key = Zeroizing::new([0u8; 16]);
            key[..chunk.len()].copy_from_slice(chunk);
            aes::Aes128::new(&(*key).into())
        })
        .collect();
    let mut block: aes::Block = [
        0x93, 0xC4, 0x67, 0xE3, 0x7D, 0xB0, 0xC7, 0xA4, 0xD1, 0xBE, 0x3F, 0x81, 0x01, 0x52, 0xCB,
        0x56,
    ]
    .into();
    for _ in 0..65536 {
        for cipher in &ciphers {
            cipher.encrypt_block(&mut block);
        }
    }
    Zeroizing::new(block.into())
}

/// The e-mail XOR-folded into 16 bytes, encrypted 16384 times under `key`; bytes 0..4 and 8..12, base64url.
fn user_hash(key: &[u8; 16], email: &str) -> String {
    let mut folded = [0u8; 16];
    for (i, byte) in email.as_bytes().iter().enumerate() {
        folded[i % 16] ^= byte;
    }
    let cipher = aes::Aes128::new(&(*key).into());
    let mut block: aes::Block = folded.into();
    for _ in 0..16384 {
        cipher.encrypt_block(&mut block);
    }
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&block[..4]);
    out[4..].copy_from_slice(&block[8..12]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from an independent Mega client's test suite (rmega's session_spec).
    #[test]
    fn prepare_key_known_answers() {
        let check = |n: usize, expected: &str| {
            assert_eq!(hex::encode(*prepare_key(&vec![b'a'; n])), expected, "{n}")
        };
        check(1, "6dd9f7ecb24689c435a14f7c51da434d");
        check(16, "02bd584f7a572e957842f74f5d5c0dd5");
        check(20, "179978af1be326e6f78b0c921a59f92c");
    }

    #[test]
    fn user_hash_known_answer() {
        let key: [u8; 16] = hex::decode("cf8cf170d8f46bc4cdade84d3bf67d96")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(user_hash(&key, "sjobs@apple.com"), "snWuwnlz45w");
    }

    #[test]
    fn error_codes() {
        assert_eq!(error_text(-9), "invalid user or password (ENOENT -9)");
        assert_eq!(error_text(-2), "invalid user or password (EARGS -2)");
    }

    #[test]
    fn results() {
        let r = |body: &str| HttpResponse {
            status: 200,
            headers: vec![],
            body: body.to_owned(),
        };
        assert!(result(&r(r#"[{"v": 2, "s": "abc"}]"#)).is_ok());
        assert_eq!(
            result(&r("[-9]")).unwrap_err().excerpt,
            "invalid user or password (ENOENT -9)"
        );
        assert_eq!(
            result(&r("-3")).unwrap_err().excerpt,
            "Mega is busy; try again later (EAGAIN -3)"
        );
        assert!(result(&r("[]")).is_err());
        assert!(result(&r("<html>")).is_err());
    }
}
