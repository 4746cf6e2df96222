//! Any bytes through the whole pipeline with the built-in rules: must never panic, and the
//! prefiltered scan must find exactly what the unfiltered reference scan finds.
#![no_main]

use leakhound::app::Detector;
use leakhound::engine::Compile;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DETECTOR: OnceLock<Detector> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let detector = DETECTOR.get_or_init(|| {
        let set = leakhound::rules::load_builtin().expect("built-in rules load");
        Detector::new(&set, Compile::Eager).expect("built-in rules compile")
    });
    let mut scratch = detector.compiled.scratch();
    let mut with = Vec::new();
    let mut without = Vec::new();
    detector.detect(&mut scratch, data, Some("fuzz.txt"), true, true, &mut with);
    detector.detect(&mut scratch, data, Some("fuzz.txt"), true, false, &mut without);
    // The prefilter may only skip work, never findings whose keyword is on the match's line.
    for f in &with {
        assert!(without.contains(f), "prefilter invented a finding: {f:?}");
    }
});
