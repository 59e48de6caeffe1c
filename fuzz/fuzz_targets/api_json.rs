//! libFuzzer target `api_json`: see `meldpunt_fuzz::api_json` (fuzz/src/lib.rs) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    meldpunt_fuzz::api_json(data);
});
