//! JUnit XML, the test report GitLab, Jenkins, Azure Pipelines and CircleCI read: one failing
//! test case per finding (a suppressed one, shown on request, is skipped), or one passing case
//! when nothing was found, so the run shows up as a test either way.

use super::{rule_index, Report};
use crate::finding::Finding;
use std::io::{self, Write};

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = rule_index(report.rules);
    let findings = report.findings;
    let failures = findings.iter().filter(|f| f.suppressed.is_none()).count();
    let skipped = findings.len() - failures;
    let tests = findings.len().max(1);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="leakhound" tests="{tests}" failures="{failures}">"#)?;
    writeln!(
        out,
        r#"  <testsuite name="leakhound" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}">"#
    )?;
    if findings.is_empty() {
        writeln!(
            out,
            r#"    <testcase name="no secrets in {} files" classname="leakhound"/>"#,
            report.stats.files_scanned
        )?;
    }
    for f in findings {
        let remediation = rules.get(&*f.rule_id).map_or("", |r| r.remediation.as_str());
        writeln!(
            out,
            r#"    <testcase name="{}" classname="leakhound.{}" file="{}" line="{}">"#,
            xml(&format!("{} at {}:{}:{}", f.rule_id, f.path(), f.line, f.column)),
            xml(&f.rule_id),
            xml(f.path()),
            f.line,
        )?;
        match &f.suppressed {
            Some(s) => writeln!(
                out,
                r#"      <skipped message="suppressed ({}): {}"/>"#,
                s.kind.as_str(),
                xml(&s.justification)
            )?,
            None => writeln!(
                out,
                r#"      <failure type="{}" message="{}">{}</failure>"#,
                xml(&f.rule_id),
                xml(&format!("{}: {}", f.rule_name, f.secret)),
                xml(&details(f, remediation)),
            )?,
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// The failure's body: everything a reviewer needs without opening another report.
fn details(f: &Finding, remediation: &str) -> String {
    let mut text = format!(
        "{} ({} severity, {} confidence)\n{}:{}:{}\nsecret: {}\nfingerprint: {}\n",
        f.rule_name,
        f.severity.as_str(),
        f.confidence.as_str(),
        f.path(),
        f.line,
        f.column,
        f.secret,
        f.fingerprint
    );
    if let Some(c) = f.provenance.commit() {
        text.push_str(&format!("commit: {} {} <{}> {}\n", c.id, c.author, c.email, c.date));
    }
    if !remediation.is_empty() {
        text.push_str(&format!("how to fix: {remediation}\n"));
    }
    text
}

/// Text as XML character data or an attribute value. Characters XML 1.0 cannot carry at all
/// (most control characters) are written as `\xNN`, as the terminal report writes them.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(xml("<a href=\"x\">&'\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\\x01");
    }
}
