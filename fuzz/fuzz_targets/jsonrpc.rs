//! Arbitrary bytes -> the TrueNAS-compatible API's JSON-RPC frame check ->
//! a query's filters and options (TrueNAS's syntax) parsed and applied to a
//! few records. Nothing may panic; deep nesting and huge regular expressions
//! must be refused, not followed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nascfg_web::fuzz_jsonrpc(data);
});
