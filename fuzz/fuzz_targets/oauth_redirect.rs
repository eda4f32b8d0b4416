//! The OAuth login's parsers of untrusted text: what the user pastes (a redirect URL with
//! `state`, or a bare code), the token endpoint's answer, and Microsoft Graph's drive list.
//! The first byte picks the parser (and, for a paste, whether the provider displays codes);
//! the rest is the input. Nothing may panic; an accepted redirect carries this login's state,
//! and an accepted token answer always makes rclone token JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_oauth::{TokenAnswer, parse_drives, parse_pasted, redirect_uri};

/// The state of the login the fuzzer pastes into.
const STATE: &str = "fuzz-state-4711";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let Ok(text) = std::str::from_utf8(input) else {
                return;
            };
            let displays_code = mode & 0x80 != 0;
            if let Ok(callback) = parse_pasted(text, STATE, &redirect_uri(53682), displays_code) {
                let _ = format!("{callback:?}");
                let lower = text.trim().to_ascii_lowercase();
                if lower.starts_with("http://") || lower.starts_with("https://") {
                    let url = url::Url::parse(text.trim()).expect("an accepted redirect is a URL");
                    assert!(
                        url.query_pairs().any(|(k, v)| k == "state" && v == STATE),
                        "a redirect without this login's state was accepted"
                    );
                } else {
                    assert!(displays_code, "a bare code was accepted for a provider without one");
                }
            }
        }
        1 => {
            if let Ok(answer) = TokenAnswer::parse(input) {
                let now = time::OffsetDateTime::UNIX_EPOCH;
                answer
                    .into_token(now)
                    .expect("an accepted token answer makes rclone token JSON");
            }
        }
        _ => {
            let _ = parse_drives(input);
        }
    }
});
