//! Any bytes through the detect stage's per-buffer pipeline with the built-in rules: it must
//! never panic, and the prefilter may only skip work, never invent a finding: every finding of
//! the prefiltered scan is also a finding of the reference scan that verifies every rule over
//! the whole buffer. (The converse does not hold by design: a rule is verified only near its
//! keywords, so a match whose keyword lies off its line is not looked for.)
#![no_main]

use leakhound::detect::{Detector, Lines, Options};
use leakhound::engine::Compile;
use leakhound::provenance::Provenance;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DETECTOR: OnceLock<Detector> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let detector = DETECTOR.get_or_init(|| {
        let set = leakhound::rules::load_builtin().expect("built-in rules load");
        Detector::new(&set, Compile::Eager).expect("built-in rules compile")
    });
    let provenance = Provenance::File { path: "fuzz.txt".into() };
    let options = Options { show_secrets: true, keep_suppressed: false };
    let mut scratch = detector.scratch();
    let mut with = Vec::new();
    let mut without = Vec::new();
    detector.find(&mut scratch, data, &provenance, options, true, Lines::All, &mut with);
    detector.find(&mut scratch, data, &provenance, options, false, Lines::All, &mut without);
    for f in &with {
        assert!(without.contains(f), "prefilter invented a finding: {f:?}");
    }
});
