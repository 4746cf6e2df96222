//! Detection throughput (no file system): MB/s of the detect stage's per-buffer pipeline
//! (`Detector::find`: prefilter, verify, scopes, suppressions, findings) on a
//! realistic buffer of Python source with its natural keyword hits, on the same buffer with
//! every keyword defused (the prefilter-only cost), and with planted secrets.
//!
//! Run: `cargo bench --bench engine`. The corpus is the first 8 MiB of `.py` files of the Python
//! standard library (present on every machine of this kind).
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leakhound::detect::{Detector, Lines, Options};
use leakhound::engine::Compile;
use leakhound::provenance::Provenance;
use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS_BYTES: usize = 8 << 20;

fn stdlib() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"])
        .output()
        .expect("python3 runs");
    PathBuf::from(String::from_utf8(out.stdout).expect("UTF-8 path").trim())
}

fn collect(dir: &Path, out: &mut Vec<u8>) {
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(_) => return,
    };
    entries.sort();
    for p in entries {
        if out.len() >= CORPUS_BYTES {
            return;
        }
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "py") {
            if let Ok(b) = std::fs::read(&p) {
                out.extend_from_slice(&b);
            }
        }
    }
}

/// A GitHub token with a valid checksum, from a deterministic counter.
fn github_token(n: u32) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = n.wrapping_mul(2_654_435_761).wrapping_add(12345);
    let random: String = (0..30)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            B62[(x % 62) as usize] as char
        })
        .collect();
    let mut c = crc32fast::hash(random.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = B62[(c % 62) as usize];
        c /= 62;
    }
    format!("ghp_{random}{}", String::from_utf8_lossy(&check))
}

fn bench(c: &mut Criterion) {
    let set = leakhound::rules::load_builtin().expect("built-in rules load");
    let detector = Detector::new(&set, Compile::Eager).expect("rules compile");
    let mut natural = Vec::new();
    collect(&stdlib(), &mut natural);
    natural.truncate(CORPUS_BYTES);

    let keywords: Vec<&str> =
        set.rules.iter().flat_map(|r| r.keywords.iter().map(String::as_str)).collect();
    let ac = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&keywords)
        .expect("AC");
    let mut defused = natural.clone();
    for m in ac.find_overlapping_iter(&natural) {
        defused[m.start()] = b'#';
    }
    let mut planted = natural.clone();
    let step = planted.len() / 100;
    for i in 0..100u32 {
        let at = (i as usize) * step;
        let line = format!("\nGITHUB_TOKEN = \"{}\"\n", github_token(i));
        planted.splice(at..at, line.into_bytes());
    }

    let provenance = Provenance::File { path: "bench.py".into() };
    let options = Options::default();
    let mut scratch = detector.scratch();
    let mut found = Vec::new();
    let mut count = |buf: &[u8], found: &mut Vec<_>| {
        found.clear();
        detector.find(&mut scratch, buf, &provenance, options, true, Lines::All, found);
        found.len()
    };
    // A fast wrong answer fails: check the counts before timing.
    assert_eq!(count(&defused, &mut found), 0, "defused corpus must have no findings");
    let base = count(&natural, &mut found);
    let with_planted = count(&planted, &mut found);
    assert!(with_planted >= base + 100, "planted tokens not all found: {base} -> {with_planted}");

    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Bytes(natural.len() as u64));
    g.sample_size(20);
    let mut scratch = detector.scratch();
    for (name, buf) in [
        ("python-natural-hits", &natural),
        ("python-no-keyword-hits", &defused),
        ("python-100-secrets", &planted),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                found.clear();
                detector.find(
                    &mut scratch,
                    buf,
                    &provenance,
                    options,
                    true,
                    Lines::All,
                    &mut found,
                );
                found.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
