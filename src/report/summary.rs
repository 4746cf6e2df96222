//! The one-line summary a run prints on standard error.

use crate::detect::Stats;

/// `leakhound: N findings in M files (X MiB) in S s; K suppressed; skipped ...; E errors`; for
/// git scans, whose findings are secrets with their occurrences, `N secrets (O occurrences)`,
/// and `M files and C messages` when commit or tag messages were scanned.
pub(crate) fn summary(
    s: &Stats,
    (findings, occurrences): (usize, Option<usize>),
    secs: f64,
) -> String {
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
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let what = match occurrences {
        Some(o) => format!("{findings} secret{} ({o} occurrence{})", plural(findings), plural(o)),
        None => format!("{findings} finding{}", plural(findings)),
    };
    let files = s.files_scanned as usize;
    let messages = s.messages_scanned as usize;
    let mut scanned = format!("{files} file{}", plural(files));
    if messages > 0 {
        scanned.push_str(&format!(" and {messages} message{}", plural(messages)));
    }
    let mut line = format!("leakhound: {what} in {scanned} ({mib:.1} MiB) in {secs:.2}s");
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
