//! libFuzzer target `register_query`: see `meldpunt_fuzz::register_query` (fuzz/src/lib.rs) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    meldpunt_fuzz::register_query(data);
});
