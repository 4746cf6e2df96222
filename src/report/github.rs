//! GitHub Actions workflow commands: one `::error file=...,line=...::message` line per finding,
//! which GitHub turns into an annotation on the pull request's diff without code scanning.
//! <https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions>

use super::{rule_index, Report};
use crate::finding::Finding;
use crate::rules::Severity;
use std::io::{self, Write};

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules = rule_index(report.rules);
    for f in report.findings {
        let command = match (f.suppressed.is_some(), f.severity) {
            // Shown, since the user asked for them, but never as a failure.
            (true, _) | (false, Severity::Low) => "notice",
            (false, Severity::Medium) => "warning",
            (false, Severity::High | Severity::Critical) => "error",
        };
        let remediation = rules.get(&*f.rule_id).map_or("", |r| r.remediation.as_str());
        writeln!(
            out,
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            property(f.path()),
            f.line,
            f.end_line,
            f.column,
            f.end_column,
            property(&format!("{} ({})", f.rule_name, f.rule_id)),
            data(&message(f, remediation)),
        )?;
    }
    Ok(())
}

/// What the annotation says: what was found, where it came from in history, what to do.
fn message(f: &Finding, remediation: &str) -> String {
    let mut text = format!("{} secret {}", f.severity.as_str(), f.secret);
    if let Some(c) = f.provenance.commit() {
        text.push_str(&format!(" in commit {} by {} on {}", c.id, c.author, c.date));
    }
    if let Some(s) = &f.suppressed {
        text.push_str(&format!(" (suppressed: {})", s.justification));
    }
    if !remediation.is_empty() {
        text.push_str(&format!("\n{remediation}"));
    }
    text.push_str(&format!("\nfingerprint {}", f.fingerprint));
    text
}

/// Escapes a command's message: a newline or `%` in it would end or corrupt the command.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command's property value, where `:` and `,` separate too.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{data, property};

    #[test]
    fn separators_are_escaped() {
        assert_eq!(property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
        assert_eq!(data("50%\r\n::x"), "50%25%0D%0A::x");
    }
}
