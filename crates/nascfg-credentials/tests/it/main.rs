//! Tests of nascfg-credentials: one integration-test binary, one module per concern.

mod catalog;
mod docs;
mod documents;
mod fixtures;
mod properties;
mod shapes;
