//! The one-line summary a run prints on standard error.

use crate::detect::Stats;

/// `leakhound: N findings in M files (X MiB) in S s; K suppressed; skipped ...; E errors`.
pub(crate) fn summary(s: &Stats, findings: usize, secs: f64) -> String {
    let mib = s.bytes_scanned as f64 / (1024.0 * 1024.0);
    let mut skipped = Vec::new();
    for (n, what) in [
        (s.skipped_binary, "binary"),
        (s.skipped_too_large, "too large"),
        (s.skipped_excluded, "excluded by default"),
        (s.skipped_special, "not regular files"),
    ] {
        if n > 0 {
            skipped.push(format!("{n} {what}"));
        }
    }
    let mut line = format!(
        "leakhound: {findings} finding{} in {} file{} ({mib:.1} MiB) in {secs:.2}s",
        if findings == 1 { "" } else { "s" },
        s.files_scanned,
        if s.files_scanned == 1 { "" } else { "s" },
    );
    if s.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", s.suppressed));
    }
    if !skipped.is_empty() {
        line.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    if s.errors > 0 {
        line.push_str(&format!("; {} error{}", s.errors, if s.errors == 1 { "" } else { "s" }));
    }
    line
}
