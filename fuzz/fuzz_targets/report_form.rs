//! libFuzzer target `report_form`: see `meldpunt_fuzz::report_form` (fuzz/src/lib.rs) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    meldpunt_fuzz::report_form(data);
});
