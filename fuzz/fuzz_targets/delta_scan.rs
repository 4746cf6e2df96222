//! The history sweep's delta scan against scanning whole blobs, on generated pairs of versions:
//! a base built from the fuzzer's lines (with planted secrets among them) and a target edited
//! from it. The delta scan must find a match exactly when the whole-blob scan does.
#![no_main]

use leakhound::detect::Detector;
use leakhound::engine::Compile;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DETECTOR: OnceLock<Detector> = OnceLock::new();

const PIECES: [&str; 6] = [
    "GITHUB_TOKEN = \"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\"\n",
    "x = 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\n",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "MIIEpAIBAAKCAQEAzEbEZcfOwvui5isJTNvPAs7s2sw1ZOLv79pCtTU4JSkDLm\n",
    "-----END RSA PRIVATE KEY-----\n",
    "plain code line\n",
];

fuzz_target!(|ops: (Vec<u8>, Vec<(u8, u8, u8)>)| {
    let detector = DETECTOR.get_or_init(|| {
        let set = leakhound::rules::load_builtin().expect("built-in rules load");
        Detector::new(&set, Compile::Eager).expect("built-in rules compile")
    });
    let base: String = ops.0.iter().take(64).map(|&b| PIECES[usize::from(b) % PIECES.len()]).collect();
    let mut target = base.clone().into_bytes();
    for &(op, at, what) in ops.1.iter().take(16) {
        if target.is_empty() {
            target.extend_from_slice(PIECES[usize::from(what) % PIECES.len()].as_bytes());
            continue;
        }
        let at = usize::from(at) * target.len() / 256;
        match op % 4 {
            0 => target.splice(at..at, PIECES[usize::from(what) % PIECES.len()].bytes()).for_each(drop),
            1 => {
                target.remove(at);
            }
            2 => target.insert(at, b'\n'),
            _ => target[at] = what,
        }
    }
    if let Err(e) = leakhound::fuzzing::delta_scan_agrees(detector, base.as_bytes(), &target) {
        panic!("{e}\nbase: {base:?}\ntarget: {:?}", String::from_utf8_lossy(&target));
    }
});
