//! Integration tests of nascfg-bundle through its public API.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod bad_input;
mod content;
mod foreign_schema;
mod golden;
mod hints;
mod migrate;
mod roundtrip;
mod support;
mod unlock;
