//! A Markdown table, for `$GITHUB_STEP_SUMMARY`, merge-request comments and chat: one row per
//! finding, then each rule's fix once.

use super::{rule_index, Report};
use std::io::{self, Write};

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let n = report.findings.len();
    let files = report.stats.files_scanned;
    if n == 0 {
        writeln!(out, "### leakhound: no secrets found\n")?;
        writeln!(out, "Scanned {files} file{}.", if files == 1 { "" } else { "s" })?;
        return Ok(());
    }
    writeln!(out, "### leakhound: {n} secret{} found\n", if n == 1 { "" } else { "s" })?;
    let git = report.findings.iter().any(|f| f.provenance.commit().is_some());
    if git {
        writeln!(out, "| Severity | Rule | Location | Secret | Commit | Author |")?;
        writeln!(out, "|---|---|---|---|---|---|")?;
    } else {
        writeln!(out, "| Severity | Rule | Location | Secret |")?;
        writeln!(out, "|---|---|---|---|")?;
    }
    for f in report.findings {
        let severity = match &f.suppressed {
            Some(_) => format!("{} (suppressed)", f.severity.as_str()),
            None => f.severity.as_str().to_string(),
        };
        let mut row = format!(
            "| {} | {} {} | {} | {} |",
            severity,
            cell(&f.rule_name),
            code(&f.rule_id),
            code(&format!("{}:{}:{}", f.path(), f.line, f.column)),
            code(&f.secret),
        );
        if git {
            match f.provenance.commit() {
                Some(c) => row.push_str(&format!(
                    " {} | {} |",
                    code(&c.id[..c.id.len().min(12)]),
                    cell(&format!("{} ({})", c.author, c.date)),
                )),
                None => row.push_str(" | |"),
            }
        }
        writeln!(out, "{row}")?;
    }
    let rules = rule_index(report.rules);
    let mut ids: Vec<&str> = report.findings.iter().map(|f| &*f.rule_id).collect();
    ids.sort_unstable();
    ids.dedup();
    writeln!(out, "\n**How to fix**\n")?;
    for id in ids {
        if let Some(rule) = rules.get(id) {
            writeln!(out, "- {} {}: {}", cell(&rule.name), code(id), cell(&rule.remediation))?;
        }
    }
    writeln!(
        out,
        "\nRotate a leaked secret first: removing it from the code does not remove it from git \
         history. A false positive: add `leakhound:allow RULE` on its line, or accept the \
         current state with `--write-baseline`."
    )
}

/// Text inside a table cell: a `|` would split the cell and a newline end the table; Markdown
/// and HTML markup are shown as written.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '~' | '|' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text as inline code. Backticks inside would end the span: they are replaced, since a code
/// span cannot escape them; a `|` still splits a table cell, so it is escaped.
fn code(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '\n' | '\r' => ' ',
            _ => c,
        })
        .collect();
    format!("`{}`", clean.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::{cell, code};

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc<script>"), "a\\|b c\\<script\\>");
        assert_eq!(code("x`|y"), "`x'\\|y`");
    }
}
