//! Identity files (age `AGE-SECRET-KEY-1…` lines with comments, or an OpenSSH
//! private key): parsing never panics, and an error never shows a byte of
//! the file (it may hold a secret). An encrypted key is given no passphrase,
//! so no key derivation (whose cost the file sets) runs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_crypto::parse_identity_file;

fuzz_target!(|data: &[u8]| {
    match parse_identity_file(data, &mut || None) {
        Ok(identities) => {
            assert!(!identities.is_empty());
            for i in identities {
                // The public half of an identity is a recipient that parses.
                if let Some(r) = i.to_recipient() {
                    assert_eq!(r.fingerprint(), i.fingerprint());
                }
            }
        }
        Err(e) => {
            let text = e.to_string();
            assert!(text.len() < 300, "{text}");
            // No line of the file is echoed (a short one could match words by chance):
            // a line the message contains must be in it whatever that line holds (the
            // fuzzer writes our own fixed words into files too).
            let mut start = 0;
            for raw in data.split(|b| *b == b'\n') {
                let range = start..start + raw.len();
                start = range.end + 1;
                let line = String::from_utf8_lossy(raw);
                let line = line.trim();
                if line.len() < 24 || !text.contains(line) {
                    continue;
                }
                let mut other = data.to_vec();
                other[range].fill(b'Z');
                let again = parse_identity_file(&other, &mut || None)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                assert!(again.contains(line), "{text}");
            }
        }
    }
});
