//! End-to-end tests of nascfg: one test binary, one module per concern.
//! Add a module with one line here; keep the list sorted.

mod age_interop;
mod backup;
mod backup_crash;
mod backup_diff;
mod backup_overwrite;
mod cli_ux;
mod completions;
mod concurrency;
mod cred;
mod export_rclone;
mod fuzz_corpus;
mod import_truenas;
mod keypair;
mod leak;
mod oauth_login;
mod oidc_server;
mod providers;
mod rclone;
mod release_hooks;
mod remote;
mod rotate_crash;
mod seed;
mod tidy;
mod verify_cloud;
mod verify_servers;
mod web;
mod web_oauth;
mod web_remote;
mod web_tls;
