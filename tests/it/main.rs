//! End-to-end tests of the nascfg binary.
