//! Recipients files (age's format: one `age1…`, `ssh-ed25519 …` or `ssh-rsa …`
//! a line, `#` comments): parsing never panics; an error's text holds no raw
//! control character and stays short; every recipient parsed prints as a line
//! that parses back to the same recipient.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_crypto::{Recipient, parse_recipients_file};

fuzz_target!(|data: &[u8]| {
    match parse_recipients_file(data) {
        Ok(recipients) => {
            assert!(!recipients.is_empty());
            for r in recipients {
                let line = r.to_string();
                let again = Recipient::parse(&line).expect("a recipient's own line parses");
                assert_eq!(again.to_string(), line);
                assert_eq!(again.fingerprint(), r.fingerprint());
            }
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert!(text.len() < 1024, "{} bytes", text.len());
        }
    }
});
