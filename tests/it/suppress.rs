//! Suppression: config files, allowlists with reasons, inline markers, content baselines that
//! survive rebases, stale-entry reports, and gitleaks config translation.

use crate::git::git;
use crate::harness::*;
use std::process::Command;

const GH: &str = "github.pat-classic";

fn rule_ids(r: &Run) -> Vec<(String, String, u64)> {
    r.findings().into_iter().map(|f| (f.0, f.1, f.2)).collect()
}

#[test]
fn inline_markers_in_each_form() {
    let t = TempTree::new();
    t.write(
        "a.py",
        format!(
            "A = '{GITHUB_TOKEN}'  # leakhound:allow\n\
             B = '{GITHUB_TOKEN}'  # leakhound:allow {GH} -- test fixture\n\
             C = '{GITHUB_TOKEN}'  # leakhound:allow aws.access-key-id\n\
             D = '{GITHUB_TOKEN}'  // gitleaks:allow\n\
             E = '{GITHUB_TOKEN}'  # pragma: allowlist secret\n\
             F = '{GITHUB_TOKEN}'\n"
        ),
    );
    let r = t.run(&["scan", "-f", "json"]);
    assert_eq!(r.code(), 1);
    assert_eq!(rule_ids(&r), vec![(GH.into(), "a.py".into(), 3), (GH.into(), "a.py".into(), 6)]);
    assert!(r.stderr().contains("4 suppressed"), "{}", r.stderr());
    let r = t.run(&["scan", "-q", "-f", "json", "--no-inline-allow"]);
    assert_eq!(r.findings().len(), 6);
}

#[test]
fn include_suppressed_marks_them_and_keeps_the_exit_code() {
    let t = TempTree::new();
    t.write("a.py", format!("A = '{GITHUB_TOKEN}'  # leakhound:allow\n"));
    let r = t.run(&["scan", "-q", "-f", "json", "--include-suppressed"]);
    assert_eq!(r.code(), 0, "suppressed findings do not fail the run");
    let f = &r.json()["findings"][0];
    assert_eq!(f["suppressed"]["kind"], "inline");
    let r = t.run(&["scan", "-q", "-f", "sarif", "--include-suppressed"]);
    let doc = r.json();
    crate::sarif::validate(&doc);
    let s = &doc["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
}

#[test]
fn config_file_is_discovered_and_can_be_ignored() {
    let t = TempTree::new();
    git(t.path(), &["init", "-q"]);
    t.write(
        "leakhound.toml",
        "[[allowlist]]\nreason = \"fixtures hold revoked test tokens\"\npaths = [\"tests/fixtures/**\"]\n",
    );
    t.write("tests/fixtures/token.txt", format!("{GITHUB_TOKEN}\n"));
    t.write("src/app.py", format!("T = '{GITHUB_TOKEN_2}'\n"));
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(rule_ids(&r), vec![(GH.into(), "src/app.py".into(), 1)]);
    // Discovered from a subdirectory too, up to the repository root...
    let r = t.run(&["scan", "-q", "-f", "json", "tests"]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    // ...but outside a repository, a config in a parent directory is not picked up.
    std::fs::remove_dir_all(t.path().join(".git")).unwrap();
    let r = t.run(&["scan", "-q", "-f", "json", "tests"]);
    assert_eq!(r.code(), 1, "{}", r.stdout());
    let r = t.run(&["scan", "-q", "-f", "json", "--no-config"]);
    assert_eq!(r.findings().len(), 2);
    // .leakhound.toml works the same.
    std::fs::rename(t.path().join("leakhound.toml"), t.path().join(".leakhound.toml")).unwrap();
    assert_eq!(t.run(&["scan", "-q", "-f", "json"]).findings().len(), 1);
}

#[test]
fn config_disables_overrides_and_scopes() {
    let t = TempTree::new();
    t.write(
        "leakhound.toml",
        "disable = [\"aws.access-key-id\"]\n\n[override.\"github.pat-classic\"]\nseverity = \"low\"\n\n\
         [paths]\nexclude = [\"docs/**\"]\n",
    );
    t.write("a.txt", format!("{GITHUB_TOKEN}\nAKIAZ7Q3XB8LM2VN7RT5\n"));
    t.write("docs/guide.md", format!("{GITHUB_TOKEN_2}\n"));
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(rule_ids(&r), vec![(GH.into(), "a.txt".into(), 1)]);
    assert_eq!(r.json()["findings"][0]["severity"], "low");
}

#[test]
fn config_errors_name_file_line_and_key() {
    let t = TempTree::new();
    t.write("leakhound.toml", "[[allowlist]]\npaths = [\"x/**\"]\n");
    let r = t.run(&["scan"]);
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("leakhound.toml:1: allowlist: every allowlist entry needs a `reason`"),
        "{}",
        r.stderr()
    );
    t.write("leakhound.toml", "\n[[allowlist]]\nreason = \"r\"\npath = [\"x/**\"]\n");
    let r = t.run(&["scan"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("leakhound.toml:4: unknown field `path`"), "{}", r.stderr());
    t.write("leakhound.toml", "disable = [\"no.such-rule\"]\n");
    let r = t.run(&["scan"]);
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("leakhound.toml:1: disable `no.such-rule`: no rule has this id"),
        "{}",
        r.stderr()
    );
}

#[test]
fn stale_entries_warn_and_strict_fails() {
    let t = TempTree::new();
    t.write(
        "leakhound.toml",
        "[[allowlist]]\nreason = \"old vendored SDK, since removed\"\npaths = [\"vendor/sdk/**\"]\n",
    );
    t.write("a.txt", "clean\n");
    let r = t.run(&["scan", "-q"]);
    assert_eq!(r.code(), 0);
    assert!(
        r.stderr().contains("warning: ") && r.stderr().contains("leakhound.toml:1: allowlist entry `old vendored SDK, since removed` suppressed nothing"),
        "{}",
        r.stderr()
    );
    let r = t.run(&["scan", "-q", "--strict"]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
}

#[test]
fn allowlist_by_fingerprint_and_rule_target() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n{GITHUB_TOKEN_2}\n"));
    let fp = leakhound::finding::fingerprint(GH, "a.txt", GITHUB_TOKEN.as_bytes());
    t.write(
        "leakhound.toml",
        format!("[[allowlist]]\nreason = \"revoked on 2026-01-01\"\nrules = [\"{GH}\"]\nfingerprints = [\"{fp}\"]\n"),
    );
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(rule_ids(&r), vec![(GH.into(), "a.txt".into(), 2)]);
}

#[test]
fn baseline_survives_rebase_and_squash_but_not_a_new_secret_on_the_line() {
    let t = TempTree::new();
    let p = t.path();
    git(p, &["init", "-q", "-b", "main"]);
    t.write("app/config.py", format!("# config\nTOKEN = \"{GITHUB_TOKEN}\"\n"));
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "one"]);
    let r = t.run(&["git", "-q", "--write-baseline", "baseline.toml"]);
    assert_eq!(r.code(), 1);
    let text = std::fs::read_to_string(p.join("baseline.toml")).unwrap();
    assert!(!text.contains(GITHUB_TOKEN), "no secret in the baseline");
    assert!(
        !text.contains("line =") && !text.contains("commit") && text.contains("reason = "),
        "{text}"
    );
    // Edits above the secret, then the history is squashed into one new commit.
    t.write("app/config.py", format!("# config\n# more\n\nTOKEN = \"{GITHUB_TOKEN}\"\n"));
    git(p, &["add", "app"]);
    git(p, &["commit", "-q", "-m", "two"]);
    git(p, &["reset", "-q", "--soft", "HEAD~1"]);
    git(p, &["commit", "-q", "--amend", "-m", "squashed"]);
    git(p, &["reflog", "expire", "--expire=now", "--all"]);
    git(p, &["gc", "-q", "--prune=now"]);
    for args in [vec!["git"], vec!["scan", "app"]] {
        let mut a = args.clone();
        a.extend(["-q", "-f", "json", "--baseline", "baseline.toml"]);
        let r = t.run(&a);
        assert_eq!(r.code(), 0, "{args:?}: {}{}", r.stdout(), r.stderr());
    }
    // A different secret on the same line is reported.
    t.write("app/config.py", format!("# config\n# more\n\nTOKEN = \"{GITHUB_TOKEN_2}\"\n"));
    let r = t.run(&["scan", "app", "-q", "-f", "json", "--baseline", "baseline.toml"]);
    assert_eq!(rule_ids(&r), vec![(GH.into(), "app/config.py".into(), 4)]);
    // Moved to another file: suppressed only with --baseline-ignore-path.
    t.write("app/config.py", "# config\n");
    t.write("app/settings.py", format!("TOKEN = \"{GITHUB_TOKEN}\"\n"));
    let r = t.run(&["scan", "app", "-q", "-f", "json", "--baseline", "baseline.toml"]);
    assert_eq!(r.findings().len(), 1);
    let r = t.run(&[
        "scan",
        "app",
        "-q",
        "-f",
        "json",
        "--baseline",
        "baseline.toml",
        "--baseline-ignore-path",
    ]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
}

#[test]
fn baseline_is_sorted_stable_and_reports_unused_entries() {
    let t = TempTree::new();
    t.write("b.txt", format!("{GITHUB_TOKEN}\n"));
    t.write("a.txt", format!("{GITHUB_TOKEN_2}\n{GITHUB_TOKEN}\n"));
    t.run(&["scan", "-q", "--write-baseline", "base.toml"]);
    let first = std::fs::read_to_string(t.path().join("base.toml")).unwrap();
    t.run(&["scan", "-q", "-j", "1", "--write-baseline", "base.toml"]);
    assert_eq!(first, std::fs::read_to_string(t.path().join("base.toml")).unwrap(), "stable");
    let a = first.find("path = \"a.txt\"").unwrap();
    let b = first.find("path = \"b.txt\"").unwrap();
    assert!(a < b, "sorted by path:\n{first}");
    std::fs::remove_file(t.path().join("b.txt")).unwrap();
    let r = t.run(&["scan", "-q", "--baseline", "base.toml"]);
    assert_eq!(r.code(), 0);
    assert!(
        r.stderr().contains("baseline entry (github.pat-classic in b.txt) matched no finding"),
        "{}",
        r.stderr()
    );
    assert_eq!(t.run(&["scan", "-q", "--baseline", "base.toml", "--strict"]).code(), 2);
}

#[test]
fn keyed_fingerprints_differ_and_still_match_their_baseline() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let plain = t.run(&["scan", "-q", "-f", "json"]).json()["findings"][0]["fingerprint"].clone();
    let keyed = {
        let out = Command::new(env!("CARGO_BIN_EXE_leakhound"))
            .args(["scan", "-q", "-f", "json", "--write-baseline", "keyed.toml"])
            .current_dir(t.path())
            .env("LEAKHOUND_FINGERPRINT_KEY", "team-secret-key")
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["findings"][0]
            ["fingerprint"]
            .clone()
    };
    assert_ne!(plain, keyed);
    let out = Command::new(env!("CARGO_BIN_EXE_leakhound"))
        .args(["scan", "-q", "--baseline", "keyed.toml"])
        .current_dir(t.path())
        .env("LEAKHOUND_FINGERPRINT_KEY", "team-secret-key")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn gitleaks_config_gives_the_same_findings_as_the_leakhound_one() {
    let t = TempTree::new();
    t.write(
        ".gitleaks.toml",
        r#"title = "acme"
[extend]
useDefault = true

[[rules]]
id = "acme-api-key"
description = "Acme API key"
regex = '''acme[_-]?key\s*=\s*["']?(ak_[a-z0-9]{24})'''
secretGroup = 1
keywords = ["ak_"]
entropy = 3.0
  [[rules.allowlists]]
  description = "sample keys in docs"
  paths = ['''^docs/''']

[[allowlists]]
description = "test fixtures"
paths = ['''(^|/)fixtures/''']
commits = ["0123456789abcdef0123456789abcdef01234567"]
"#,
    );
    t.write(
        "leakhound.toml",
        r#"[[rule]]
id = "acme-api-key"
name = "Acme API key"
description = "Acme API key"
severity = "high"
keywords = ["ak_"]
regex = '''acme[_-]?key\s*=\s*["']?(ak_[a-z0-9]{24})'''
min_entropy = 3.0
references = ["https://acme.test"]
remediation = "rotate"
examples = ["acme_key = ak_k3j4h5g6f7d8s9a0q1w2e3r4", "ACME-KEY='ak_z9x8c7v6b5n4m3l2k1j0h9g8'"]
negative_examples = ["acme_key = ak_short"]
  [[rule.allowlist]]
  reason = "sample keys in docs"
  paths = ["docs/**"]

[[allowlist]]
reason = "test fixtures"
paths = ["**/fixtures/**"]
"#,
    );
    t.write("src/a.py", "acme_key = 'ak_k3j4h5g6f7d8s9a0q1w2e3r4'\n");
    t.write("docs/readme.md", "acme_key = ak_z9x8c7v6b5n4m3l2k1j0h9g8\n");
    t.write("tests/fixtures/f.env", "acme_key=ak_p0o9i8u7y6t5r4e3w2q1a2s3\n");
    t.write("src/b.py", format!("T = '{GITHUB_TOKEN}'\n"));
    let ours = t.run(&["scan", "src", "docs", "tests", "-q", "-f", "json", "-c", "leakhound.toml"]);
    let theirs = t.run(&["scan", "src", "docs", "tests", "-f", "json", "-c", ".gitleaks.toml"]);
    assert_eq!(ours.code(), 1, "{}", ours.stderr());
    assert_eq!(
        rule_ids(&ours),
        vec![("acme-api-key".into(), "src/a.py".into(), 1), (GH.into(), "src/b.py".into(), 1)]
    );
    assert_eq!(rule_ids(&theirs), rule_ids(&ours), "{}", theirs.stderr());
    assert!(theirs.stderr().contains("`commits` is not translated"), "{}", theirs.stderr());
}

#[test]
fn gitleaksignore_entries_apply_and_convert_to_a_baseline() {
    use sha2::Digest;
    let t = TempTree::new();
    t.write("a.txt", format!("x\n{GITHUB_TOKEN}\n"));
    t.write("b.txt", format!("{GITHUB_TOKEN_2}\n"));
    t.write("c.txt", "AKIAZ7Q3XB8LM2VN7RT5\n");
    let value: String = sha2::Sha256::digest(GITHUB_TOKEN_2.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // A positional entry (file:rule:line) and a content entry (SHA-256 of the secret value).
    t.write(".gitleaksignore", format!("# accepted\na.txt:github-pat:2\n{value}\n"));
    let r = t.run(&["scan", "-f", "json"]);
    assert_eq!(rule_ids(&r), vec![("aws.access-key-id".into(), "c.txt".into(), 1)]);
    assert!(r.stderr().contains("leakhound baseline convert"), "{}", r.stderr());
    let r = t.run(&["baseline", "convert", ".", "-o", "converted.toml"]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let text = std::fs::read_to_string(t.path().join("converted.toml")).unwrap();
    assert_eq!(text.matches("[[finding]]").count(), 2, "{text}");
    std::fs::remove_file(t.path().join(".gitleaksignore")).unwrap();
    // The content baseline does the same job, and survives edits above the secret.
    t.write("a.txt", format!("x\ny\nz\n{GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "-f", "json", "--baseline", "converted.toml"]);
    assert_eq!(rule_ids(&r), vec![("aws.access-key-id".into(), "c.txt".into(), 1)]);
}
