//! CSV, one row per finding with a header row, for spreadsheets and ad-hoc tooling (RFC 4180,
//! written by the `csv` crate).

use super::Report;
use std::io::{self, Write};

const HEADER: [&str; 19] = [
    "rule_id",
    "rule_name",
    "severity",
    "confidence",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "redacted",
    "checksum_valid",
    "fingerprint",
    "commit",
    "author",
    "email",
    "date",
    "tag",
    "suppressed",
];

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for f in report.findings {
        let commit = f.provenance.commit();
        let field = |s: Option<&str>| s.map(spreadsheet_safe).unwrap_or_default();
        w.write_record([
            f.rule_id.to_string(),
            f.rule_name.to_string(),
            f.severity.as_str().to_string(),
            f.confidence.as_str().to_string(),
            spreadsheet_safe(f.path()),
            f.line.to_string(),
            f.column.to_string(),
            f.end_line.to_string(),
            f.end_column.to_string(),
            spreadsheet_safe(&f.secret),
            f.redacted.to_string(),
            f.checksum_valid.to_string(),
            f.fingerprint.to_string(),
            field(commit.map(|c| c.id.as_str())),
            field(commit.map(|c| c.author.as_str())),
            field(commit.map(|c| c.email.as_str())),
            field(commit.map(|c| c.date.as_str())),
            field(f.provenance.tag()),
            field(f.suppressed.as_ref().map(|s| s.justification.as_str())),
        ])?;
    }
    w.flush()
}

/// A value a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first, or a tab or
/// carriage return) gets a leading `'`: paths, secrets and author names come from whoever
/// wrote the scanned files, and a report must not run their formulas on the reviewer's machine
/// (OWASP's CSV injection advice).
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("src/a.py"), "src/a.py");
    }
}
