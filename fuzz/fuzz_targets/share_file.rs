//! Seed share files (`nascfg seed export --shares`): the lines around the
//! SLIP-39 words, as `nascfg seed import --share` reads them.
//!
//! - Parsing never panics, on any bytes (not UTF-8 is refused as the reader
//!   refuses it).
//! - A file that parses renders back (with its own fingerprint) into a file
//!   that parses to the same share words and the same fingerprint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_store::ShareFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = ShareFile::parse(text) else {
        return;
    };
    let Some(fingerprint) = file.fingerprint() else {
        return;
    };
    let date =
        time::Date::from_calendar_date(2026, time::Month::December, 6).expect("a valid date");
    let rendered = ShareFile::render(file.share(), 16, "fuzz", fingerprint, date);
    let again = ShareFile::parse(&rendered).expect("a rendered share file parses");
    assert_eq!(again.fingerprint(), Some(fingerprint));
    assert_eq!(
        again.share().to_words().as_str(),
        file.share().to_words().as_str()
    );
});
