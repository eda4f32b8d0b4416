//! rclone: its configuration file, its "obscure" obfuscation, and the mapping
//! between rclone remotes and nascfg credentials.

mod conf;
mod obscure;

pub use conf::{MAX_CONF_LEN, RcloneConf, RcloneSection};
pub use obscure::{rclone_obscure, rclone_reveal};
