//! Arbitrary baselines and `.gitleaksignore` files: parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    leakhound::fuzzing::suppression_files(text);
});
