//! Arbitrary bytes as an rclone.conf (plain or RCLONE_ENCRYPT_V0): the reader
//! and the mapping to credentials never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nascfg_bundle::{RcloneConf, RcloneImport, rclone_credential, rclone_reveal};
use secrecy::SecretString;

fuzz_target!(|data: &[u8]| {
    let password = SecretString::from("fuzz".to_owned());
    let Ok(conf) = RcloneConf::parse(data, Some(&password)) else {
        return;
    };
    for section in conf.sections() {
        let _ = rclone_credential(section);
        for (_, value) in section.entries() {
            let _ = rclone_reveal(value);
        }
    }
    let _ = RcloneImport::from_conf(&conf);
    let text = conf.to_text();
    let _ = RcloneConf::parse(text.as_bytes(), None);
});
