//! Tests of nascfg-credentials: one integration-test binary, one module per concern.
#![allow(clippy::unwrap_used)] // tests may unwrap

mod catalog;
mod docs;
mod documents;
mod fixtures;
mod properties;
mod shapes;
