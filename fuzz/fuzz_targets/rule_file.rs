//! Arbitrary rule files: loading must return a value or an error naming the file, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(set) = leakhound::rules::load_str("fuzz.toml", text) {
            let _ = leakhound::detect::Detector::new(&set, leakhound::engine::Compile::Eager);
        }
    }
});
