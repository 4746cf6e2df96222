//! One test per fixed bug, named after its issue.

use crate::git::{commit, git, repo};
use crate::harness::*;

const ACME_RULE: &str = r#"[[rule]]
id = "acme.token"
name = "Acme token"
description = "An Acme API token."
severity = "high"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{24})\b'''
references = ["https://acme.test"]
remediation = "Rotate it in the Acme console."
examples = ["acme_k3j4h5g6f7d8s9a0q1w2e3r4", "x acme_z9x8c7v6b5n4m3l2k1j0h9g8"]
negative_examples = ["acme_short"]
"#;

/// Issue 8: a provider rule that does not report on a path (its `exclude_paths`) must not
/// shadow the generic finding there: the generic one used to be dropped as shadowed, then the
/// provider one by its path scope, and the secret vanished.
#[test]
fn issue8_a_rule_excluded_from_a_path_does_not_shadow_the_generic_finding_there() {
    let t = TempTree::new();
    t.write("leakhound.toml", format!("{ACME_RULE}exclude_paths = [\"docs/**\"]\n"));
    let line = "API_SECRET = \"acme_k3j4h5g6f7d8s9a0q1w2e3r4\"\n";
    t.write("docs/a.env", line);
    t.write("src/a.env", line);
    let r = t.run(&["scan", "docs", "src", "-c", "leakhound.toml", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(
        r.findings(),
        vec![
            ("generic.secret-assignment".into(), "docs/a.env".into(), 1, 15),
            ("acme.token".into(), "src/a.env".into(), 1, 15),
        ]
    );
}

/// Issue 8: a per-rule allowlist regex that does not compile was skipped silently; it is an
/// error naming the file and line of its rule, for leakhound rules and translated gitleaks ones.
#[test]
fn issue8_a_broken_per_rule_allowlist_regex_is_an_error_naming_file_and_line() {
    let t = TempTree::new();
    t.write("src/a.env", "token = acme_k3j4h5g6f7d8s9a0q1w2e3r4\n");
    // Parses, but is far too large to compile.
    t.write(
        "rules.toml",
        format!("\n{ACME_RULE}  [[rule.allowlist]]\n  reason = \"docs\"\n  secrets = ['''a{{1000}}{{1000}}''']\n"),
    );
    let r = t.run(&["scan", "src", "-c", "rules.toml"]);
    assert_eq!(r.code(), 2, "{}", r.stdout());
    assert!(r.stderr().contains("rules.toml:3: allowlist `docs`: secrets: "), "{}", r.stderr());
    assert!(r.stderr().contains("exceeded limit"), "{}", r.stderr());
    assert_eq!(r.stdout(), "", "nothing is scanned");
    t.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"acme\"\nregex = '''(acme_[a-z0-9]{24})'''\nkeywords = [\"acme_\"]\n  \
         [[rules.allowlists]]\n  description = \"broken\"\n  regexes = ['''(unclosed''']\n",
    );
    let r = t.run(&["scan", "src", "-c", ".gitleaks.toml"]);
    assert_eq!(r.code(), 2, "{}", r.stdout());
    assert!(
        r.stderr().contains(".gitleaks.toml:2: allowlist `broken`: secrets: "),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains("unclosed group"), "{}", r.stderr());
}

/// Issue 8: `staged` and range scans counted suppressions on lines the change did not add, so
/// the summary's "N suppressed" was inflated.
#[test]
fn issue8_staged_and_range_scans_count_only_suppressions_on_added_lines() {
    let t = repo();
    // AWS's documentation key: the built-in allowlist suppresses it.
    t.write("a.env", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n");
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    t.write(
        "a.env",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\nx = 1\nkey = AKIAIOSFODNN7EXAMPLE\n",
    );
    git(t.path(), &["add", "-A"]);
    let r = t.run(&["staged"]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert!(
        r.stderr().contains("0 secrets (0 occurrences) in 1 file")
            && r.stderr().contains("; 1 suppressed"),
        "{}",
        r.stderr()
    );
    commit(&t, "second", "2024-01-02T00:00:00Z");
    let r = t.run(&["git", "--since", &base]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert!(r.stderr().contains("; 1 suppressed"), "{}", r.stderr());
}

/// Issue 8: path scopes are decided before generic rules yield to provider rules, so where a
/// provider rule with `paths` reports, the secret is one finding (its own), and elsewhere the
/// generic finding stands. Out-of-scope provider matches count as suppressed; a generic match a
/// provider match overlaps was never the finding and is not counted.
#[test]
fn issue8_a_rule_with_paths_reports_one_finding_in_its_scope_and_yields_outside_it() {
    let t = TempTree::new();
    t.write("rules.toml", format!("{ACME_RULE}paths = [\"**/*.env\"]\n"));
    let line = "API_SECRET = \"acme_k3j4h5g6f7d8s9a0q1w2e3r4\"\n";
    t.write("src/a.env", line);
    t.write("src/a.txt", line);
    let r = t.run(&["scan", "src", "-c", "rules.toml", "-f", "json"]);
    assert_eq!(
        r.findings(),
        vec![
            ("acme.token".into(), "src/a.env".into(), 1, 15),
            ("generic.secret-assignment".into(), "src/a.txt".into(), 1, 15),
        ]
    );
    assert!(
        r.stderr().contains("2 findings in 2 files") && r.stderr().contains("; 1 suppressed"),
        "{}",
        r.stderr()
    );
}

/// The README's first command, `cargo run --release -- scan .`, reports nothing in this
/// repository: every synthetic token in it is allowlisted in `leakhound.toml` with a reason.
#[test]
fn the_repository_scans_clean() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leakhound"))
        .args(["scan", ".", "-q", "-f", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}
