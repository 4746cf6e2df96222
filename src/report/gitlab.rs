//! GitLab's Secret Detection report (`artifacts:reports:secret_detection`), which puts findings
//! in the merge-request security widget and the vulnerability report. Fields as the schema of
//! report format 15.x requires them (`security-report-schemas`, `secret-detection-report-format.json`):
//! every vulnerability has an id, identifiers, and a location whose commit has a `sha`.

use super::{rule_index, Report};
use crate::finding::Finding;
use crate::provenance::rfc3339;
use crate::rules::Severity;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// The report format version written.
const VERSION: &str = "15.2.1";
/// GitLab's own analyzer writes this for findings outside git history.
const NO_COMMIT: &str = "0000000";

#[derive(Serialize)]
struct Document<'a> {
    version: &'static str,
    vulnerabilities: Vec<Vulnerability<'a>>,
    scan: Scan,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: String,
    name: &'a str,
    description: String,
    severity: &'static str,
    solution: &'a str,
    identifiers: [Identifier<'a>; 1],
    location: Location<'a>,
    raw_source_code_extract: &'a str,
}

#[derive(Serialize)]
struct Identifier<'a> {
    r#type: &'static str,
    name: String,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    start_line: usize,
    end_line: usize,
    commit: CommitRef<'a>,
}

#[derive(Serialize)]
struct CommitRef<'a> {
    sha: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Tool,
    scanner: Tool,
    r#type: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
}

#[derive(Serialize)]
struct Tool {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    vendor: Vendor,
    url: &'static str,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = rule_index(report.rules);
    let vulnerabilities = report
        .findings
        .iter()
        // The widget has no notion of a suppressed finding: those are left out.
        .filter(|f| f.suppressed.is_none())
        .map(|f| {
            let rule = rules.get(&*f.rule_id);
            let commit = f.provenance.commit();
            Vulnerability {
                id: vulnerability_id(f),
                name: &f.rule_name,
                description: format!(
                    "{} Secret: {} ({} confidence).",
                    rule.map_or("", |r| r.description.as_str()),
                    f.secret,
                    f.confidence.as_str()
                ),
                severity: severity(f.severity),
                solution: rule.map_or("", |r| r.remediation.as_str()),
                identifiers: [Identifier {
                    r#type: "leakhound_rule_id",
                    name: format!("leakhound rule {}", f.rule_id),
                    value: &f.rule_id,
                    url: rule.and_then(|r| r.references.first()).map(String::as_str),
                }],
                location: Location {
                    file: f.path(),
                    start_line: f.line,
                    end_line: f.end_line,
                    commit: CommitRef {
                        sha: commit.map_or(NO_COMMIT, |c| c.id.as_str()),
                        author: commit.map(|c| format!("{} <{}>", c.author, c.email)),
                        date: commit.map(|c| c.date.as_str()),
                    },
                },
                raw_source_code_extract: &f.secret,
            }
        })
        .collect();
    let end = SystemTime::now();
    let start = end.checked_sub(report.elapsed).unwrap_or(end);
    let tool = || Tool {
        id: "leakhound",
        name: "leakhound",
        version: env!("CARGO_PKG_VERSION"),
        vendor: Vendor { name: "leakhound" },
        url: "https://github.com/leakhound/leakhound",
    };
    let failed = report.diagnostics.iter().any(|d| d.level == crate::diag::Level::Error);
    let doc = Document {
        version: VERSION,
        vulnerabilities,
        scan: Scan {
            analyzer: tool(),
            scanner: tool(),
            r#type: "secret_detection",
            start_time: timestamp(start),
            end_time: timestamp(end),
            status: if failed { "failure" } else { "success" },
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// A UUID (version 8, from SHA-256) of the finding's fingerprint, place and commit: the same
/// finding gets the same id in every pipeline, and no two findings of one report share one.
fn vulnerability_id(f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.fingerprint.0);
    h.update(f.line.to_le_bytes());
    h.update(f.column.to_le_bytes());
    if let Some(c) = f.provenance.commit() {
        h.update(c.id.as_bytes());
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `YYYY-MM-DDTHH:MM:SS`, the schema's pattern (UTC, no zone suffix).
fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut text = rfc3339(i64::try_from(secs).unwrap_or(0));
    text.pop(); // the `Z`
    text
}

#[cfg(test)]
mod tests {
    use super::timestamp;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_match_the_schema_pattern() {
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20"
        );
    }
}
