//! Integration tests of nascfg-bundle through its public API.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod bad_input;
mod foreign_schema;
mod golden;
mod roundtrip;
mod support;
