//! Issue 10: the history sweep reports each secret once, where it was introduced, with every
//! other place it occurs; and it reads commit messages, tag messages and what only a tag holds.

use crate::git::{commit, git, git_findings, repo, GH};
use crate::harness::*;
use std::process::Command;

/// `(rule, path, commit, number of occurrences)` of a JSON report's findings.
fn secrets(r: &Run) -> Vec<(String, String, String, usize)> {
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let occurrences = findings.iter().map(|f| f["occurrences"].as_array().map_or(0, Vec::len));
    let found = git_findings(r).into_iter().zip(occurrences);
    found.map(|((rule, path, _, commit), n)| (rule, path, commit, n)).collect()
}

#[test]
fn issue10_a_secret_edited_around_renamed_and_touched_is_one_finding_where_it_was_added() {
    let t = repo();
    t.write("README", "hello\n");
    commit(&t, "init", "2024-01-01T00:00:00Z");
    t.write("config.py", format!("DEBUG = False\nTOKEN = \"{GITHUB_TOKEN}\"\n"));
    let added = commit(&t, "add config", "2024-01-02T00:00:00Z");
    t.write("config.py", format!("# settings\nDEBUG = False\nTOKEN = \"{GITHUB_TOKEN}\"\nX = 1\n"));
    commit(&t, "edit around", "2024-01-03T00:00:00Z");
    git(t.path(), &["mv", "config.py", "settings.py"]);
    commit(&t, "rename", "2024-01-04T00:00:00Z");
    t.write(
        "settings.py",
        format!("# settings\nDEBUG = True\nTOKEN = \"{GITHUB_TOKEN}\"\nX = 1\n"),
    );
    commit(&t, "touch", "2024-01-05T00:00:00Z");
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let found = secrets(&r);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str(), found[0].2.as_str()),
        (GH, "config.py", added.as_str())
    );
    assert_eq!(r.json()["findings"][0]["line"], 2);
    // The later versions and the new path are its occurrences, not findings.
    let paths: Vec<String> = r.json()["findings"][0]["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        paths.contains(&"settings.py".to_string()) && paths.contains(&"config.py".to_string()),
        "{paths:?}"
    );
    assert!(r.stderr().contains("1 secret ("), "{}", r.stderr());
}

#[test]
fn issue10_commit_messages_tag_messages_and_tagged_blobs_are_scanned() {
    let t = repo();
    t.write("README", "hello\n");
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", &format!("rotate: the old key was {GITHUB_TOKEN}")]);
    let c = git(t.path(), &["rev-parse", "HEAD"]);
    git(t.path(), &["tag", "-a", "v1", "-m", "release, with AKIAZ7Q3XB8LM2VN7RT5 inside"]);
    let blob = {
        let mut child = Command::new("git")
            .args(["hash-object", "-w", "--stdin"])
            .current_dir(t.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("T={GITHUB_TOKEN_2}\n").as_bytes()).unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string()
    };
    git(t.path(), &["tag", "loose-blob", &blob]);
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let doc = r.json();
    let found: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["commit"].as_str().unwrap_or("").into(),
                f["tag"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("(commit message)".into(), c.clone(), String::new()),
            ("(tag message)".into(), String::new(), "refs/tags/v1".into()),
            ("refs/tags/loose-blob".into(), String::new(), "refs/tags/loose-blob".into()),
        ]
    );
    // A range scan reads the messages of its commits.
    t.write("b.txt", "b\n");
    let base = git(t.path(), &["rev-parse", "HEAD"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", &format!("oops {GITHUB_TOKEN_2}")]);
    let r = t.run(&["git", "--since", &base, "-q", "-f", "json"]);
    assert_eq!(secrets(&r).into_iter().map(|s| s.1).collect::<Vec<_>>(), vec!["(commit message)"]);
}

#[test]
fn issue10_a_secret_first_committed_under_an_allowlisted_path_is_reported_at_the_other() {
    let t = repo();
    t.write("leakhound.toml", "[[allowlist]]\nreason = \"fixtures\"\npaths = [\"tests/**\"]\n");
    t.write("tests/fixture.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "fixture", "2024-01-01T00:00:00Z");
    t.write("src/creds.env", format!("T={GITHUB_TOKEN}\n"));
    let c = commit(&t, "oops", "2024-01-02T00:00:00Z");
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let found = secrets(&r);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1.as_str(), found[0].2.as_str()), ("src/creds.env", c.as_str()));
    // The same content (one blob) under both paths: judged at each.
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.findings().into_iter().map(|f| f.1).collect::<Vec<_>>(), vec!["src/creds.env"]);
}

#[test]
fn issue10_a_secret_added_on_several_lines_of_a_change_is_one_finding_with_its_lines() {
    let t = repo();
    t.write("README", "hello\n");
    let base = commit(&t, "init", "2024-01-01T00:00:00Z");
    t.write("a.env", format!("A={GITHUB_TOKEN}\nB=1\nC={GITHUB_TOKEN}\n"));
    commit(&t, "add", "2024-01-02T00:00:00Z");
    let r = t.run(&["git", "--since", &base, "-q", "-f", "json"]);
    let doc = r.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["findings"][0]["line"], 1);
    assert_eq!(doc["findings"][0]["occurrences"][0]["line"], 3);
}

#[test]
fn issue10_an_unknown_revision_is_one_line_that_says_what_to_do() {
    let t = repo();
    t.write("README", "hello\n");
    commit(&t, "init", "2024-01-01T00:00:00Z");
    git(t.path(), &["remote", "add", "origin", "https://example.com/x.git"]);
    for (rev, hint) in
        [("origin/main", "git fetch origin main"), ("HEAD~1", "history is not that long")]
    {
        let r = t.run(&["git", "--since", rev]);
        assert_eq!(r.code(), 2);
        let err = r.stderr();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("revision `{rev}`: not found")) && err.contains(hint),
            "{err}"
        );
        assert!(!err.contains("Message {"), "no debug dump: {err}");
    }
}

#[test]
fn issue10_all_occurrences_lists_every_commit_and_path() {
    let t = repo();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "one", "2024-01-01T00:00:00Z");
    t.write("b.txt", "b\n");
    commit(&t, "two", "2024-01-02T00:00:00Z");
    t.write("copy/a.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "three", "2024-01-03T00:00:00Z");
    let r = t.run(&["git", "-q", "-f", "json", "--all-occurrences"]);
    let occ = r.json()["findings"][0]["occurrences"].as_array().unwrap().clone();
    // a.env in commits two and three, copy/a.env in three.
    assert_eq!(occ.len(), 3, "{occ:?}");
    let r = t.run(&["git", "-q", "-f", "json"]);
    let occ = r.json()["findings"][0]["occurrences"].as_array().unwrap().clone();
    assert_eq!(occ.len(), 1, "without it, the other path only: {occ:?}");
}

#[test]
fn issue10_notes_are_scanned_and_say_what_they_annotate() {
    let t = repo();
    t.write("README", "hello\n");
    let c = commit(&t, "init", "2024-01-01T00:00:00Z");
    git(t.path(), &["notes", "add", "-m", &format!("deploy key {GITHUB_TOKEN}"), "HEAD"]);
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let found = secrets(&r);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.clone()), (GH, format!("(note on {c})")));
}

#[test]
fn issue10_a_sha256_repository_is_refused_in_one_line() {
    let t = TempTree::new();
    git(t.path(), &["init", "-q", "--object-format=sha256", "-b", "main"]);
    t.write("a.env", format!("TOKEN={GITHUB_TOKEN}\n"));
    git(t.path(), &["add", "-A"]);
    for args in [&["git"][..], &["git", "--since", "HEAD"], &["staged"]] {
        let r = t.run(args);
        assert_eq!(r.code(), 2, "{args:?}: {}", r.stderr());
        assert_eq!(r.stderr().lines().count(), 1, "{}", r.stderr());
        let line = r.stderr();
        assert!(line.contains("sha256") && line.contains("`leakhound scan`"), "{line}");
    }
    // The work tree itself is still scanned.
    assert_eq!(t.run(&["scan", "."]).code(), 1);
}
