//! Integration tests of nascfg-interop through its public API.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod imports_kat;
mod rclone_mapping;
