//! Property tests (issue 9), run by `cargo test` on the stable toolchain: the history sweep's
//! delta scan agrees with scanning whole blobs on generated versions, the delta decoder keeps
//! its invariants on arbitrary input, and a secret planted at any offset of any text, long
//! lines and window edges included, is found.

use crate::harness::{GITHUB_TOKEN, GITHUB_TOKEN_2};
use leakhound::detect::{Detector, Lines, Options};
use leakhound::engine::Compile;
use leakhound::provenance::Provenance;
use proptest::prelude::*;
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let set = leakhound::rules::load_builtin().expect("built-in rules load");
        Detector::new(&set, Compile::Eager).expect("built-in rules compile")
    })
}

const PIECES: [&str; 7] = [
    "GITHUB_TOKEN = \"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\"\n",
    "x = 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\n",
    "glued=x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\n",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "MIIEpAIBAAKCAQEAzEbEZcfOwvui5isJTNvPAs7s2sw1ZOLv79pCtTU4JSkDLm\n",
    "-----END RSA PRIVATE KEY-----\n",
    "value = compute(1) # plain code\n",
];

/// An edit of a text: insert a piece, delete a byte, split a line, or change a byte.
fn edit() -> impl Strategy<Value = (u8, u16, u8)> {
    (0u8..4, any::<u16>(), any::<u8>())
}

fn apply(text: &mut Vec<u8>, (op, at, what): (u8, u16, u8)) {
    let piece = PIECES[usize::from(what) % PIECES.len()].as_bytes();
    if text.is_empty() {
        text.extend_from_slice(piece);
        return;
    }
    let at = usize::from(at) % text.len();
    match op {
        0 => drop(text.splice(at..at, piece.iter().copied())),
        1 => drop(text.remove(at)),
        2 => text.insert(at, b'\n'),
        _ => text[at] = b"AZaz09 =\"_-\n"[usize::from(what) % 12],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn delta_scan_agrees_with_whole_blob_scan(
        base in proptest::collection::vec(0usize..PIECES.len(), 0..40),
        edits in proptest::collection::vec(edit(), 0..12),
    ) {
        let base: Vec<u8> = base.iter().flat_map(|&i| PIECES[i].bytes()).collect();
        let mut target = base.clone();
        for e in edits {
            apply(&mut target, e);
        }
        if let Err(e) = leakhound::fuzzing::delta_scan_agrees(detector(), &base, &target) {
            prop_assert!(false, "{}\nbase: {:?}\ntarget: {:?}", e, String::from_utf8_lossy(&base), String::from_utf8_lossy(&target));
        }
    }

    #[test]
    fn delta_decoding_keeps_its_invariants(
        base in proptest::collection::vec(any::<u8>(), 0..64),
        delta in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        leakhound::fuzzing::delta(&base, &delta);
    }

    #[test]
    fn a_secret_at_any_offset_is_found(
        line_len in prop_oneof![Just(40usize), Just(4095), Just(4096), Just(4097), Just(9000)],
        lines in 1usize..4,
        at_permille in 0usize..1000,
        which in 0usize..2,
    ) {
        let filler: String = (0..lines)
            .map(|l| {
                let mut line: String = (0..line_len).map(|i| (b'a' + ((i * 7 + l) % 26) as u8) as char).collect();
                line.push('\n');
                line
            })
            .collect();
        let token = [GITHUB_TOKEN, GITHUB_TOKEN_2][which];
        let at = at_permille * filler.len() / 1000;
        let text = format!("{} {token} {}", &filler[..at], &filler[at..]);
        let mut scratch = detector().scratch();
        let mut found = Vec::new();
        let provenance = Provenance::File { path: "f.txt".into() };
        let options = Options { show_secrets: true, keep_suppressed: false };
        detector().find(&mut scratch, text.as_bytes(), &provenance, options, true, Lines::All, &mut found);
        prop_assert!(found.iter().any(|f| f.secret == token), "missed at byte {}: {:?}", at, found);
    }
}
