//! Mega's `cs` API: `us0` (pre-login: the account's login version and salt) and `us` (login with the
//! user handle `uh`, which proves the password). Errors are negative numbers (`-9` ENOENT: wrong user
//! or password; `-2` EARGS), answered per command inside the result array, or alone for the request.
//!
//! Version 2 accounts: `PBKDF2-HMAC-SHA512(password, salt, 100000)` gives 32 bytes; the last 16 are the
//! auth key and `uh` is its unpadded base64url. Version 1 accounts: the AES "prepare key" of the password
//! (65536 rounds), then the e-mail hashed under it (16384 AES rounds), `uh` = words 0 and 2, base64url.

use aes::cipher::{BlockEncrypt as _, KeyInit as _};
use base64::Engine as _;

use super::{Request, Response, Standin};

/// One Mega account.
#[derive(Debug, Clone)]
pub struct Account {
    /// The e-mail (compared lower-cased, as Mega does).
    pub email: String,
    /// The password.
    pub password: String,
    /// `Some(salt)` for a version 2 account, `None` for version 1.
    pub salt: Option<[u8; 32]>,
}

/// A running Mega API stand-in.
#[derive(Debug)]
pub struct Mega {
    /// The server.
    pub standin: Standin,
}

impl Mega {
    /// Starts a stand-in that knows `accounts`.
    pub fn start(accounts: Vec<Account>) -> Mega {
        let standin = Standin::start(move |request| answer(request, &accounts));
        Mega { standin }
    }

    /// The endpoint override for the verifier.
    pub fn url(&self) -> &str {
        self.standin.url()
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The `uh` a client must send for `account`.
pub fn user_handle(account: &Account) -> String {
    match account.salt {
        Some(salt) => {
            let mut derived = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                account.password.as_bytes(),
                &salt,
                100_000,
                &mut derived,
            );
            b64url(&derived[16..])
        }
        None => {
            let key = prepare_key_v1(account.password.as_bytes());
            let email = account.email.to_lowercase();
            let mut h = [0u8; 16];
            for (i, b) in email.as_bytes().iter().enumerate() {
                h[i % 16] ^= b;
            }
            let cipher = aes::Aes128::new(&key.into());
            let mut block = h.into();
            for _ in 0..16384 {
                cipher.encrypt_block(&mut block);
            }
            let mut out = [0u8; 8];
            out[..4].copy_from_slice(&block[..4]);
            out[4..].copy_from_slice(&block[8..12]);
            b64url(&out)
        }
    }
}

fn prepare_key_v1(password: &[u8]) -> [u8; 16] {
    let ciphers: Vec<aes::Aes128> = password
        .chunks(16)
        .map(|chunk| {
            let mut key = [0u8; 16];
            key[..chunk.len()].copy_from_slice(chunk);
            aes::Aes128::new(&key.into())
        })
        .collect();
    let mut pkey: aes::Block = [
        0x93, 0xC4, 0x67, 0xE3, 0x7D, 0xB0, 0xC7, 0xA4, 0xD1, 0xBE, 0x3F, 0x81, 0x01, 0x52, 0xCB,
        0x56,
    ]
    .into();
    for _ in 0..65536 {
        for c in &ciphers {
            c.encrypt_block(&mut pkey);
        }
    }
    pkey.into()
}

fn answer(request: &Request, accounts: &[Account]) -> Response {
    if request.method != "POST" || request.path != "/cs" {
        return Response::not_found(request);
    }
    let Some(commands) = request.json().as_array().cloned() else {
        return Response::json(200, &serde_json::json!(-2));
    };
    let find = |cmd: &serde_json::Value| {
        let user = cmd["user"].as_str().unwrap_or("").to_lowercase();
        accounts.iter().find(|a| a.email.to_lowercase() == user)
    };
    let results: Vec<serde_json::Value> = commands
        .iter()
        .map(|cmd| match cmd["a"].as_str() {
            Some("us0") => match find(cmd) {
                Some(Account {
                    salt: Some(salt), ..
                }) => serde_json::json!({"v": 2, "s": b64url(salt)}),
                Some(_) => serde_json::json!({"v": 1}),
                None if cmd["user"].as_str().is_none_or(str::is_empty) => serde_json::json!(-2),
                None => serde_json::json!({"v": 1}),
            },
            Some("us") => match (find(cmd), cmd["uh"].as_str()) {
                (_, None) => serde_json::json!(-2),
                (Some(account), Some(uh)) if uh == user_handle(account) => serde_json::json!({
                    "k": "cXlQd2Vya2V5LWVuY3J5cHRlZA",
                    "csid": "CAAgVGhpcyBpcyBhIHNlc3Npb24gaWQ",
                    "privk": "cHJpdmF0ZS1rZXktZW5jcnlwdGVk",
                    "u": "uHandle01"
                }),
                _ => serde_json::json!(-9),
            },
            _ => serde_json::json!(-2),
        })
        .collect();
    Response::json(200, &serde_json::Value::Array(results))
}
