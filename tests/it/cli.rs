//! Exit codes, report formats, redaction, stdin and rule-file errors.

use crate::harness::*;

#[test]
fn clean_tree_exits_0() {
    let t = TempTree::new();
    t.write("README.md", "nothing to see here\n");
    let r = t.run(&["scan", "-q"]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.stdout(), "");
}

#[test]
fn findings_exit_1_and_exit_code_overrides() {
    let t = TempTree::new();
    t.write("app.py", format!("TOKEN = \"{GITHUB_TOKEN}\"\n"));
    assert_eq!(t.run(&["scan", "-q"]).code(), 1);
    assert_eq!(t.run(&["scan", "-q", "--exit-code", "7"]).code(), 7);
    assert_eq!(t.run(&["scan", "-q", "--exit-code", "0"]).code(), 0);
}

#[test]
fn human_report_is_exact_and_redacted() {
    let t = TempTree::new();
    t.write("src/app.py", format!("import os\n\nTOKEN = \"{GITHUB_TOKEN}\"\n"));
    let r = t.run(&["scan", "-q", "--color", "never"]);
    assert_eq!(r.code(), 1);
    let fp = leakhound::finding::fingerprint(
        "github.pat-classic",
        "src/app.py",
        GITHUB_TOKEN.as_bytes(),
    );
    let rules = leakhound::rules::load_builtin().unwrap().rules;
    let fix = &rules.iter().find(|r| r.id == "github.pat-classic").unwrap().remediation;
    let expected = format!(
        "github.pat-classic  GitHub Personal Access Token (classic)  [critical, high confidence]\n  \
         src/app.py:3:10\n  \
         line:        TOKEN = \"ghp_…[40 chars]\"\n  \
         secret:      ghp_…[40 chars]  (checksum valid)\n  \
         fix:         {fix}\n  \
         fingerprint: {fp}\n\n\
         What to do next:\n  \
         1. Rotate or revoke each secret first (its `fix` line): deleting it from the code does \
         not remove it from git history, clones or CI logs.\n  \
         2. Not a secret? Add `leakhound:allow github.pat-classic` in a comment on its line, or \
         an allowlist entry in leakhound.toml.\n  \
         3. To accept what is there today and report only new secrets: `--write-baseline \
         leakhound-baseline.toml` once, then `--baseline leakhound-baseline.toml`.\n  \
         4. Blocked in a pre-commit hook and it cannot wait: `SKIP=leakhound git commit ...` \
         (then do 1).\n"
    );
    assert_eq!(r.stdout(), expected);
    assert!(!r.stdout().contains(GITHUB_TOKEN));
    assert!(!r.stderr().contains(GITHUB_TOKEN));
}

#[test]
fn colors_only_when_asked_or_on_a_terminal() {
    let t = TempTree::new();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    assert!(!t.run(&["scan", "-q"]).stdout().contains('\x1b'), "a pipe gets no colors");
    // Critical findings stand out (white on red); `--no-color` and `--color never` turn it off.
    assert!(t.run(&["scan", "-q", "--color", "always"]).stdout().contains("\x1b[1;97;41m"));
    assert!(!t.run(&["scan", "-q", "--no-color"]).stdout().contains('\x1b'));
}

#[test]
fn show_secrets_reveals_in_every_format() {
    let t = TempTree::new();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    for fmt in ["human", "json", "jsonl", "sarif", "github", "markdown", "junit", "csv", "gitlab"] {
        let hidden = t.run(&["scan", "-q", "-f", fmt]);
        assert!(!hidden.stdout().contains(GITHUB_TOKEN), "{fmt} leaks the secret by default");
        assert!(hidden.stdout().contains("ghp_…[40 chars]"), "{fmt}: {}", hidden.stdout());
        let shown = t.run(&["scan", "-q", "-f", fmt, "--show-secrets"]);
        assert!(
            shown.stdout().contains(GITHUB_TOKEN),
            "{fmt} hides the secret with --show-secrets"
        );
    }
}

#[test]
fn json_and_jsonl_carry_location_and_fingerprint() {
    let t = TempTree::new();
    t.write("b.txt", format!("x\r\ny = {GITHUB_TOKEN_2}\r\n"));
    t.write("a.txt", format!("first {GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1);
    assert_eq!(
        r.findings(),
        vec![
            ("github.pat-classic".into(), "a.txt".into(), 1, 7),
            ("github.pat-classic".into(), "b.txt".into(), 2, 5),
        ]
    );
    let doc = r.json();
    let f = &doc["findings"][1];
    assert_eq!(f["end_line"], 2);
    assert_eq!(f["end_column"], 45);
    assert_eq!(f["checksum_valid"], true);
    assert_eq!(f["confidence"], "high");
    assert_eq!(f["redacted"], true);
    assert_eq!(
        f["fingerprint"],
        leakhound::finding::fingerprint("github.pat-classic", "b.txt", GITHUB_TOKEN_2.as_bytes())
    );
    assert_eq!(doc["stats"]["files_scanned"], 2);
    let lines = t.run(&["scan", "-q", "-f", "jsonl"]).stdout();
    let rows: Vec<serde_json::Value> =
        lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], doc["findings"][0]);
}

#[test]
fn fingerprint_ignores_the_line() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let before = t.run(&["scan", "-q", "-f", "json"]).json()["findings"][0]["fingerprint"].clone();
    t.write("a.txt", format!("new line above\n\n{GITHUB_TOKEN}\n"));
    let after = t.run(&["scan", "-q", "-f", "json"]).json()["findings"][0]["fingerprint"].clone();
    assert_eq!(before.as_str().map(str::len), Some(32), "a fingerprint: {before}");
    assert_eq!(before, after);
}

#[test]
fn bad_checksum_is_dropped() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN_BAD_CHECKSUM}\n"));
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
}

#[test]
fn aws_documentation_key_is_allowlisted() {
    let t = TempTree::new();
    t.write("docs.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n");
    let r = t.run(&["scan", "-f", "json"]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    assert!(r.stderr().contains("1 suppressed"), "{}", r.stderr());
}

#[test]
fn stdin_is_scanned() {
    let t = TempTree::new();
    let input = format!("a\nb {GITHUB_TOKEN}\n");
    let r = t.run_with_stdin(&["scan", "-q", "-f", "json", "-"], Some(input.as_bytes()));
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.findings(), vec![("github.pat-classic".into(), "-".into(), 2, 3)]);
}

#[test]
fn output_file() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "a.txt", "-q", "-f", "jsonl", "-o", "report.jsonl"]);
    assert_eq!(r.code(), 1);
    assert_eq!(r.stdout(), "");
    let report = std::fs::read_to_string(t.path().join("report.jsonl")).unwrap();
    assert!(report.contains("github.pat-classic"));
}

#[test]
fn missing_path_is_an_error_that_names_it() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "a.txt", "does-not-exist"]);
    assert_eq!(r.code(), 2);
    assert_eq!(r.stderr().matches("does-not-exist").count(), 1, "named once: {}", r.stderr());
    assert!(r.stdout().contains("github.pat-classic"), "the rest is still scanned and reported");
}

#[test]
fn bad_arguments_exit_2() {
    let t = TempTree::new();
    assert_eq!(t.run(&["scan", "--format", "xml"]).code(), 2);
    assert_eq!(t.run(&["scan", "--max-file-size", "ten"]).code(), 2);
    assert_eq!(t.run(&["--version"]).code(), 0);
}

#[test]
fn broken_rule_files_name_file_rule_and_line() {
    let t = TempTree::new();
    t.write(
        "bad-regex.toml",
        "# my rules\n[[rule]]\nid = \"acme.key\"\nname = \"Acme\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"acme_\"]\nregex = '''acme_([a-z]{10'''\n",
    );
    let r = t.run(&["scan", "-c", "bad-regex.toml"]);
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("bad-regex.toml:3: rule `acme.key`: invalid regex"),
        "{}",
        r.stderr()
    );

    t.write("unknown-key.toml", "[[rule]]\nid = \"acme.key\"\nnmae = \"typo\"\n");
    let r = t.run(&["scan", "-c", "unknown-key.toml"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("unknown-key.toml:3: unknown field `nmae`"), "{}", r.stderr());

    t.write("not-toml.toml", "[[rule]\n");
    let r = t.run(&["scan", "-c", "not-toml.toml"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("not-toml.toml:1:"), "{}", r.stderr());

    let r = t.run(&["scan", "-c", "missing.toml"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("missing.toml"), "{}", r.stderr());
}

#[test]
fn user_rules_are_added() {
    let t = TempTree::new();
    t.write(
        "rules.toml",
        "[[rule]]\nid = \"acme.key\"\nname = \"Acme key\"\ndescription = \"d\"\nseverity = \"high\"\n\
         keywords = [\"acme_\"]\nregex = '''\\b(acme_[a-z0-9]{12})\\b'''\nreferences = [\"https://acme.test\"]\n\
         remediation = \"rotate\"\nexamples = [\"acme_k3j4h5g6f7d8\", \"x = acme_q9w8e7r6t5y4\"]\n\
         negative_examples = [\"acme_short\"]\n",
    );
    t.write("src/a.txt", "key: acme_q1w2e3r4t5y6\n");
    let r = t.run(&["scan", "src", "-q", "-f", "json", "-c", "rules.toml"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.findings(), vec![("acme.key".into(), "src/a.txt".into(), 1, 6)]);
    let check = t.run(&["rules", "check", "rules.toml"]);
    assert_eq!(check.code(), 0, "{}", check.stderr());
    let list = t.run(&["rules", "list", "-c", "rules.toml"]);
    assert!(list.stdout().contains("acme.key"));
}

#[test]
fn rules_check_reports_failing_examples() {
    let t = TempTree::new();
    t.write(
        "rules.toml",
        "[[rule]]\nid = \"acme.key\"\nname = \"Acme key\"\ndescription = \"d\"\nseverity = \"high\"\n\
         keywords = [\"acme_\"]\nregex = '''\\b(acme_[a-z0-9]{12})\\b'''\nreferences = [\"https://acme.test\"]\n\
         remediation = \"rotate\"\nexamples = [\"acme_k3j4h5g6f7d8\", \"no keyword here\"]\n\
         negative_examples = [\"acme_q9w8e7r6t5y4\"]\n",
    );
    let r = t.run(&["rules", "check", "rules.toml"]);
    assert_eq!(r.code(), 1);
    let err = r.stderr();
    assert!(err.contains("rules.toml:2: rule `acme.key`: example \"no keyword here\" contains none of the keywords"), "{err}");
    assert!(err.contains("negative example \"acme_q9w8e7r6t5y4\" produces a finding"), "{err}");
}

#[test]
fn output_is_deterministic_across_thread_counts() {
    let t = TempTree::new();
    for i in 0..40 {
        t.write(
            &format!("d{}/f{i}.txt", i % 7),
            format!("line\n{GITHUB_TOKEN}\n{GITHUB_TOKEN_2}\n"),
        );
    }
    let one = t.run(&["scan", "-q", "-f", "json", "-j", "1"]);
    let many = t.run(&["scan", "-q", "-f", "json", "-j", "8"]);
    assert_eq!(one.findings().len(), 80, "{}", one.stdout());
    assert_eq!(one.stdout(), many.stdout());
}

#[test]
fn stdin_gets_the_size_and_binary_policy() {
    let t = TempTree::new();
    let big = format!("{}{GITHUB_TOKEN}\n", "x".repeat(5000));
    let r = t.run_with_stdin(&["scan", "-", "--max-file-size", "4K"], Some(big.as_bytes()));
    assert_eq!(r.code(), 0);
    assert!(
        r.stderr().contains("-: skipped: standard input exceeds --max-file-size"),
        "{}",
        r.stderr()
    );
    let bin = png_with(&format!("\n{GITHUB_TOKEN}\n"));
    assert_eq!(t.run_with_stdin(&["scan", "-q", "-"], Some(&bin)).code(), 0);
    assert_eq!(t.run_with_stdin(&["scan", "-q", "-", "--binary"], Some(&bin)).code(), 1);
}

/// Two private keys, the second starting within 64 KiB of the first keyword and ending past that
/// reach, where a newline falls exactly at the first window's end: the second keyword still
/// gets its own window (a multiline window ends at its reach, not at a line's end).
#[test]
fn second_private_key_past_the_first_keys_reach_is_found() {
    let body: String = (0..40)
        .map(|i| format!("MIIEpAIBAAKCAQEAzEbEZcfOwvui5isJTNvPAs{i:02}7s2sw1ZOLv79pCtTU4JSkDLm\n"))
        .collect();
    let key = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n");
    let reach_end = "-----BEGIN RSA PRIVATE KEY".len() + 64 * 1024;
    // Filler up to 1,000 bytes before the first window's end, then the second key; the last
    // filler line is padded so that a line of the second key's body ends exactly there.
    let mut text = key.clone();
    let line = "# filler line of plain text\n";
    while text.len() + line.len() < reach_end - 1000 {
        text.push_str(line);
    }
    let start = text.len();
    let newline = key
        .bytes()
        .enumerate()
        .map(|(i, b)| (start + i, b))
        .find(|&(at, b)| at + 80 >= reach_end && b == b'\n')
        .map(|(at, _)| at)
        .unwrap();
    text.insert_str(start - 1, &"x".repeat(reach_end - newline));
    text.push_str(&key);
    assert_eq!(text.as_bytes()[reach_end], b'\n', "a newline at the first window's end");
    let t = TempTree::new();
    t.write("keys.txt", &text);
    let r = t.run(&["scan", ".", "-f", "json"]);
    let keys = r.findings().iter().filter(|f| f.0 == "privatekey.rsa").count();
    assert_eq!(keys, 2, "{}", r.stdout());
}
