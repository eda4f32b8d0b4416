//! End-to-end tests of nascfg: one test binary, one module per concern.
//! Add a module with one line here; keep the list sorted.

mod age_interop;
mod verify_cloud;
