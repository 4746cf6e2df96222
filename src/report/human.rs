//! Human-readable report: one block per finding.

use super::Report;
use crate::diag::escape as clean;
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
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { on: report.color };
    for f in report.findings {
        writeln!(
            out,
            "{}  {}  [{}, {} confidence]",
            p.wrap("1;31", &f.rule_id),
            f.rule_name,
            f.severity,
            f.confidence.as_str()
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
        let checksum = if f.checksum_valid { "  (checksum valid)" } else { "" };
        writeln!(out, "  secret:      {}{checksum}", p.wrap("33", &clean(&f.secret)))?;
        writeln!(out, "  fingerprint: {}", f.fingerprint)?;
        if let Some(s) = &f.suppressed {
            writeln!(out, "  suppressed:  {} ({})", s.kind.as_str(), clean(&s.justification))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
