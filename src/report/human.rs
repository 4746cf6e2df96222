//! Human-readable report: one block per finding (what, where, the line with the secret masked,
//! how to fix it), then once what to do next.

use super::{rule_index, Report};
use crate::diag::escape as clean;
use crate::rules::Severity;
use std::io::{self, Write};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A severity's color: the eye finds the critical ones first.
    fn severity(&self, s: Severity, text: &str) -> String {
        let code = match s {
            Severity::Critical => "1;97;41",
            Severity::High => "1;31",
            Severity::Medium => "1;33",
            Severity::Low => "1;36",
        };
        self.wrap(code, text)
    }
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: report.color };
    let rules = rule_index(report.rules);
    for f in report.findings {
        writeln!(
            out,
            "{}  {}  {}",
            p.severity(f.severity, &f.rule_id),
            f.rule_name,
            p.severity(
                f.severity,
                &format!("[{}, {} confidence]", f.severity, f.confidence.as_str())
            ),
        )?;
        let commit = f.provenance.commit();
        let location = match (commit, f.provenance.tag()) {
            (None, Some(tag)) => {
                format!("{}:{}:{}:{}", clean(tag), clean(f.path()), f.line, f.column)
            }
            (Some(c), _) => {
                format!(
                    "{}:{}:{}:{}",
                    &c.id[..c.id.len().min(12)],
                    clean(f.path()),
                    f.line,
                    f.column
                )
            }
            (None, None) => format!("{}:{}:{}", clean(f.path()), f.line, f.column),
        };
        writeln!(out, "  {}", p.wrap("36", &location))?;
        if let Some(c) = commit {
            writeln!(
                out,
                "  commit:      {} {} <{}> {}",
                c.id,
                clean(&c.author),
                clean(&c.email),
                c.date
            )?;
        }
        // A long list (a secret in every version of a file) is cut; JSON and SARIF carry it all.
        const SHOWN: usize = 10;
        for o in f.occurrences.iter().take(SHOWN) {
            let at = match &o.commit {
                Some(c) => format!("{}:{}:{}", &c[..c.len().min(12)], clean(&o.path), o.line),
                None => format!("{}:{}", clean(&o.path), o.line),
            };
            writeln!(out, "  also in:     {at}")?;
        }
        if f.occurrences.len() > SHOWN {
            writeln!(out, "  also in:     ... {} more", f.occurrences.len() - SHOWN)?;
        }
        if !f.context.is_empty() {
            writeln!(out, "  line:        {}", clean(&f.context))?;
        }
        let checksum = if f.checksum_valid { "  (checksum valid)" } else { "" };
        let shown = match (f.redacted, f.confidence) {
            // A generic match shows no part of its value: say at least what kind of thing it is.
            (true, crate::rules::Confidence::Low) => format!(
                "{} ({}, {} characters; generic matches show none of it)",
                f.secret,
                f.rule_name.trim_start_matches("Hard-coded ").to_lowercase(),
                f.secret_length
            ),
            _ => f.secret.clone(),
        };
        writeln!(out, "  secret:      {}{checksum}", p.wrap("33", &clean(&shown)))?;
        if let Some(rule) = rules.get(&*f.rule_id) {
            writeln!(out, "  fix:         {}", rule.remediation)?;
        }
        writeln!(out, "  fingerprint: {}", f.fingerprint)?;
        if let Some(s) = &f.suppressed {
            writeln!(out, "  suppressed:  {} ({})", s.kind.as_str(), clean(&s.justification))?;
        }
        writeln!(out)?;
    }
    if report.findings.iter().any(|f| f.suppressed.is_none()) {
        write_next_steps(report, &p, out)?;
    }
    Ok(())
}

/// What to do about the findings, once, after them.
fn write_next_steps(report: &Report<'_>, p: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let example =
        report.findings.iter().find(|f| f.suppressed.is_none()).map_or("RULE", |f| &f.rule_id);
    writeln!(out, "{}", p.wrap("1", "What to do next:"))?;
    writeln!(
        out,
        "  1. Rotate or revoke each secret first (its `fix` line): deleting it from the code \
         does not remove it from git history, clones or CI logs."
    )?;
    writeln!(
        out,
        "  2. Not a secret? Add `leakhound:allow {example}` in a comment on its line, or an \
         allowlist entry in leakhound.toml."
    )?;
    writeln!(
        out,
        "  3. To accept what is there today and report only new secrets: \
         `--write-baseline leakhound-baseline.toml` once, then `--baseline leakhound-baseline.toml`."
    )?;
    writeln!(
        out,
        "  4. Blocked in a pre-commit hook and it cannot wait: `SKIP=leakhound git commit ...` \
         (then do 1)."
    )
}
