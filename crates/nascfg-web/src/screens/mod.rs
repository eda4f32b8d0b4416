//! One file per screen. The routes are `app.rs`'s; what several screens use
//! is `page.rs`'s.

pub(crate) mod backups;
pub(crate) mod credential_form;
pub(crate) mod credentials;
pub(crate) mod keypairs;
pub(crate) mod login;
pub(crate) mod oauth;
pub(crate) mod remote;
pub(crate) mod restore;
pub(crate) mod submitted;
pub(crate) mod upload;
pub(crate) mod verify;
