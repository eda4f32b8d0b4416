//! SLIP-39 shares: parse then combine arbitrary text, one share a line.
//!
//! - Parsing never panics, and accepts only what it writes back the same way
//!   up to letter case and whitespace (words joined by single spaces).
//! - When every line parses, combining never panics; shares with iteration
//!   exponent 0 (the corpus's) are combined, higher ones are skipped because
//!   their PBKDF2 work (up to 10000 << 15 iterations) would stall the fuzzer,
//!   not because they take another path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_crypto::{Share, combine};

/// More lines than any split needs (16 groups of 16 members is the maximum,
/// but the parameters are what the fuzzer exercises, not the count).
const MAX_LINES: usize = 32;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut shares = Vec::new();
    for line in text.lines().take(MAX_LINES) {
        let Ok(share) = Share::parse(line) else {
            return;
        };
        let words = share.to_words();
        let normalized = line
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(words.as_str(), normalized, "parser accepted a non-canonical share");
        let again = Share::parse(&words).expect("a share's own words parse");
        assert_eq!(again.to_words().as_str(), words.as_str());
        shares.push(share);
    }
    if shares.iter().all(|s| s.iteration_exponent() == 0) {
        let _ = combine(&shares, b"");
    }
});
