//! End-to-end tests of nascfg: one test binary, one module per concern.
//! Add a module with one line here; keep the list sorted.

mod age_interop;
mod backup;
mod backup_crash;
mod backup_diff;
mod backup_overwrite;
mod backup_status;
mod completions;
mod concurrency;
mod cred;
mod future_bundles;
mod fuzz_corpus;
mod hostile_input;
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
mod scrub_echo;
mod seed;
mod seed_travel;
mod strict_modes;
mod tidy;
mod token_rotation;
mod verify_cloud;
mod verify_servers;
mod web;
mod web_browser;
mod web_oauth;
mod web_remote;
mod web_tls;
