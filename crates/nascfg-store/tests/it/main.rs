//! Integration tests of nascfg-store.
