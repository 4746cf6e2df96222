//! Arbitrary configuration files (leakhound or gitleaks format): loading returns rules or an
//! error naming the file, never panics, and what loads compiles.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    leakhound::fuzzing::config(text);
});
