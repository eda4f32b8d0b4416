//! Arbitrary bytes as an rclone.conf (plain or RCLONE_ENCRYPT_V0): the reader
//! and the mapping to credentials never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_interop::rclone;
use secrecy::SecretString;

fuzz_target!(|data: &[u8]| {
    let password = SecretString::from("fuzz".to_owned());
    let Ok(conf) = rclone::Conf::parse(data, Some(&password)) else {
        return;
    };
    for section in conf.sections() {
        let _ = rclone::credential_from_section(section);
        for (_, value) in section.entries() {
            let _ = rclone::reveal(value);
        }
    }
    let _ = rclone::Import::from_conf(&conf);
    let text = conf.to_text();
    let _ = rclone::Conf::parse(text.as_bytes(), None);
});
