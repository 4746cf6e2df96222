//! The git commands on real repositories built with `git` in temp dirs: `staged` (pre-commit),
//! `git --since/--range` (CI) and `git` (history sweep).

use crate::harness::*;
use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed identity and clock, so commits are reproducible.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_at(dir, args, "2024-01-02T03:04:05Z")
}

fn git_at(dir: &Path, args: &[&str], date: &str) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs (the CI script installs it)");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn repo() -> TempTree {
    let t = TempTree::new();
    git(t.path(), &["init", "-q", "-b", "main"]);
    t
}

pub fn commit(t: &TempTree, msg: &str, date: &str) -> String {
    git_at(t.path(), &["add", "-A"], date);
    git_at(t.path(), &["commit", "-q", "-m", msg], date);
    git(t.path(), &["rev-parse", "HEAD"])
}

/// `(rule, path, line, commit)` of a JSON report's findings.
pub fn git_findings(r: &Run) -> Vec<(String, String, u64, String)> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["commit"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

pub const GH: &str = "github.pat-classic";

#[test]
fn staged_reads_the_index_not_the_working_tree() {
    let t = repo();
    t.write("app.env", format!("TOKEN={GITHUB_TOKEN}\n"));
    git(t.path(), &["add", "app.env"]);
    // Removed from the working file after staging: still in what the commit records.
    t.write("app.env", "TOKEN=\n");
    // Only in the working tree, never staged: not this commit's content.
    t.write("notes.txt", format!("{GITHUB_TOKEN_2}\n"));
    let r = t.run(&["staged", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(git_findings(&r), vec![(GH.into(), "app.env".into(), 1, String::new())]);
}

#[test]
fn staged_reports_only_added_lines_unless_all_lines() {
    let t = repo();
    t.write("config.py", format!("OLD = \"{GITHUB_TOKEN}\"\n"));
    commit(&t, "old secret", "2024-01-01T00:00:00Z");
    t.write(
        "config.py",
        format!("# new header\nOLD = \"{GITHUB_TOKEN}\"\nNEW = \"{GITHUB_TOKEN_2}\"\n"),
    );
    git(t.path(), &["add", "config.py"]);
    let r = t.run(&["staged", "-q", "-f", "json"]);
    assert_eq!(git_findings(&r), vec![(GH.into(), "config.py".into(), 3, String::new())]);
    let r = t.run(&["staged", "-q", "-f", "json", "--all-lines"]);
    assert_eq!(git_findings(&r).len(), 2);
}

#[test]
fn staged_clean_commit_exits_0() {
    let t = repo();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    commit(&t, "secret already committed", "2024-01-01T00:00:00Z");
    t.write("b.txt", "hello\n");
    git(t.path(), &["add", "b.txt"]);
    let r = t.run(&["staged"]);
    assert_eq!(r.code(), 0, "{}{}", r.stdout(), r.stderr());
}

#[test]
fn staged_renames_deletions_and_binary_files() {
    let t = repo();
    t.write("old/name.env", format!("A={GITHUB_TOKEN}\n"));
    t.write("gone.txt", "bye\n");
    commit(&t, "base", "2024-01-01T00:00:00Z");
    git(t.path(), &["mv", "old/name.env", "new name.env"]);
    git(t.path(), &["rm", "-q", "gone.txt"]);
    t.write("blob.bin", png_with(GITHUB_TOKEN_2));
    git(t.path(), &["add", "blob.bin"]);
    let r = t.run(&["staged", "-f", "json"]);
    assert_eq!(r.code(), 0, "a pure rename adds no line: {}", r.stdout());
    // A rename that also adds a line reports only the added line.
    t.write("new name.env", format!("A={GITHUB_TOKEN}\nB={GITHUB_TOKEN_2}\n"));
    git(t.path(), &["add", "new name.env"]);
    let r = t.run(&["staged", "-q", "-f", "json"]);
    assert_eq!(git_findings(&r), vec![(GH.into(), "new name.env".into(), 2, String::new())]);
}

#[test]
fn staged_in_a_repository_without_commits() {
    let t = repo();
    assert_eq!(t.run(&["staged", "-q"]).code(), 0, "empty index");
    t.write("first.txt", format!("{GITHUB_TOKEN}\n"));
    git(t.path(), &["add", "first.txt"]);
    let r = t.run(&["staged", "-q", "-f", "json"]);
    assert_eq!(git_findings(&r), vec![(GH.into(), "first.txt".into(), 1, String::new())]);
}

#[test]
fn staged_non_utf8_path_and_submodule() {
    use std::os::unix::ffi::OsStrExt;
    let t = repo();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9 file.txt");
    std::fs::write(t.path().join(name), format!("{GITHUB_TOKEN}\n")).unwrap();
    git(t.path(), &["add", "-A"]);
    let fake = "1111111111111111111111111111111111111111";
    git(t.path(), &["update-index", "--add", "--cacheinfo", &format!("160000,{fake},vendor/lib")]);
    let r = t.run(&["staged", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(git_findings(&r), vec![(GH.into(), "caf\\xe9 file.txt".into(), 1, String::new())]);
    assert!(r.stderr().contains("vendor/lib: submodule skipped"), "{}", r.stderr());
}

#[test]
fn range_reports_what_the_commits_introduced_with_provenance() {
    let t = repo();
    t.write("base.txt", format!("{GITHUB_TOKEN}\n"));
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    t.write("base.txt", format!("{GITHUB_TOKEN}\nmore\n"));
    t.write("feature.txt", format!("x\n{GITHUB_TOKEN_2}\n"));
    let c1 = commit(&t, "feature", "2024-02-03T04:05:06Z");
    for args in [vec!["git", "--since", &base], vec!["git", "--range", &format!("{base}..HEAD")]] {
        let mut a = args.clone();
        a.extend(["-q", "-f", "json"]);
        let r = t.run(&a);
        assert_eq!(r.code(), 1, "{}", r.stderr());
        assert_eq!(git_findings(&r), vec![(GH.into(), "feature.txt".into(), 2, c1.clone())]);
        let f = &r.json()["findings"][0];
        assert_eq!(f["author"], "Ada Lovelace");
        assert_eq!(f["email"], "ada@example.com");
        assert_eq!(f["date"], "2024-02-03T04:05:06Z");
    }
    let human = t.run(&["git", "--since", &base, "-q", "--color", "never"]).stdout();
    assert!(human.contains(&format!("{}:feature.txt:2:1", &c1[..12])), "{human}");
}

#[test]
fn history_finds_removed_secrets_and_attributes_the_first_commit() {
    let t = repo();
    t.write("README", "hello\n");
    commit(&t, "init", "2024-01-01T00:00:00Z");
    t.write("deploy.sh", format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n"));
    let added = commit(&t, "add deploy", "2024-01-02T00:00:00Z");
    t.write("copy/deploy.sh", format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n"));
    commit(&t, "copy it", "2024-01-03T00:00:00Z");
    std::fs::remove_file(t.path().join("deploy.sh")).unwrap();
    std::fs::remove_dir_all(t.path().join("copy")).unwrap();
    commit(&t, "remove secret", "2024-01-04T00:00:00Z");
    let r = t.run(&["git", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(git_findings(&r), vec![(GH.into(), "deploy.sh".into(), 1, added.clone())]);
    let r = t.run(&["git", "-q", "-f", "json", "--all-occurrences"]);
    let occ = &r.json()["findings"][0]["occurrences"];
    assert!(occ.as_array().unwrap().iter().any(|o| o["path"] == "copy/deploy.sh"), "{occ}");
}

#[test]
fn history_finds_content_added_only_by_a_merge() {
    let t = repo();
    t.write("a.txt", "base\n");
    commit(&t, "base", "2024-01-01T00:00:00Z");
    git(t.path(), &["checkout", "-q", "-b", "side"]);
    t.write("a.txt", "side\n");
    commit(&t, "side", "2024-01-02T00:00:00Z");
    git(t.path(), &["checkout", "-q", "main"]);
    t.write("a.txt", "main\n");
    commit(&t, "main", "2024-01-03T00:00:00Z");
    // A conflict resolved with new content: only the merge commit introduces it.
    let out =
        Command::new("git").args(["merge", "-q", "side"]).current_dir(t.path()).output().unwrap();
    assert!(!out.status.success(), "expected a conflict");
    t.write("a.txt", format!("resolved {GITHUB_TOKEN}\n"));
    let merge = commit(&t, "merge", "2024-01-04T00:00:00Z");
    let r = t.run(&["git", "-q", "-f", "json"]);
    assert_eq!(git_findings(&r), vec![(GH.into(), "a.txt".into(), 1, merge.clone())]);
    // The range form sees it too.
    let r = t.run(&["git", "-q", "-f", "json", "--since", "HEAD~1"]);
    assert_eq!(git_findings(&r), vec![(GH.into(), "a.txt".into(), 1, merge)]);
}

#[test]
fn history_covers_branches_and_tags_and_branch_limits_it() {
    let t = repo();
    t.write("a.txt", "base\n");
    commit(&t, "base", "2024-01-01T00:00:00Z");
    git(t.path(), &["checkout", "-q", "-b", "topic"]);
    t.write("topic.txt", format!("{GITHUB_TOKEN}\n"));
    commit(&t, "topic", "2024-01-02T00:00:00Z");
    git(t.path(), &["checkout", "-q", "--detach", "main"]);
    t.write("tagged.txt", format!("{GITHUB_TOKEN_2}\n"));
    commit(&t, "tagged only", "2024-01-03T00:00:00Z");
    git(t.path(), &["tag", "-a", "v1", "-m", "release"]);
    git(t.path(), &["checkout", "-q", "main"]);
    let r = t.run(&["git", "-q", "-f", "json"]);
    let paths: Vec<String> = git_findings(&r).into_iter().map(|f| f.1).collect();
    assert_eq!(paths, vec!["tagged.txt", "topic.txt"]);
    let r = t.run(&["git", "-q", "-f", "json", "--branch", "main"]);
    assert_eq!(r.code(), 0, "{}", r.stdout());
    let r = t.run(&["git", "-q", "-f", "json", "--branch", "topic"]);
    assert_eq!(git_findings(&r).len(), 1);
}

#[test]
fn bare_and_shallow_clones() {
    let t = repo();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    commit(&t, "one", "2024-01-01T00:00:00Z");
    t.write("b.txt", format!("{GITHUB_TOKEN_2}\n"));
    commit(&t, "two", "2024-01-02T00:00:00Z");
    let src = format!("file://{}", t.path().display());
    let bare = TempTree::new();
    git(bare.path(), &["clone", "-q", "--bare", &src, "repo.git"]);
    let r = bare.run(&["git", "repo.git", "-q", "-f", "json"]);
    assert_eq!(git_findings(&r).len(), 2, "{}", r.stderr());
    let shallow = TempTree::new();
    git(shallow.path(), &["clone", "-q", "--depth", "1", &src, "s"]);
    let r = shallow.run(&["git", "s", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    // The tip's tree holds both files: both found, attributed to the only commit present.
    assert_eq!(git_findings(&r).len(), 2);
    assert!(r.stderr().contains("shallow clone"), "{}", r.stderr());
}

#[test]
fn empty_repository_and_not_a_repository() {
    let t = repo();
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let plain = TempTree::new();
    let r = plain.run(&["git"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("not a git repository"), "{}", r.stderr());
}

#[test]
fn corrupt_object_is_an_error_naming_it() {
    let t = repo();
    t.write("a.txt", "some content that will be corrupted\n");
    commit(&t, "one", "2024-01-01T00:00:00Z");
    let blob = git(t.path(), &["rev-parse", "HEAD:a.txt"]);
    let obj = t.path().join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"this is not zlib data").unwrap();
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    assert!(r.stderr().contains(&blob), "names the object: {}", r.stderr());
}

#[test]
fn sarif_from_git_validates_and_carries_provenance() {
    let t = repo();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let c = commit(&t, "one", "2024-01-01T00:00:00Z");
    // The same secret later under another name: an occurrence, a related location in SARIF.
    git(t.path(), &["mv", "a.txt", "b.txt"]);
    let c2 = commit(&t, "two", "2024-01-02T00:00:00Z");
    let r = t.run(&["git", "-q", "-f", "sarif"]);
    let doc = r.json();
    crate::sarif::validate(&doc);
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["properties"]["commit"], c.as_str());
    assert_eq!(result["properties"]["author"], "Ada Lovelace");
    let related = &result["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], "b.txt");
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(related["message"]["text"], format!("The same secret, in commit {c2}"));
    // The run says what it was and which repository, commit and branch it read; the remote's
    // credentials (how CI systems clone) never reach the report.
    assert_eq!(doc["runs"][0]["automationDetails"]["id"], "leakhound/history/");
    assert!(doc["runs"][0]["tool"]["driver"]["fullName"].is_string());
    assert!(doc["runs"][0].get("versionControlProvenance").is_none(), "no remote, no provenance");
    git(
        t.path(),
        &["remote", "add", "origin", "https://x-access-token:tok3nVALUE@github.com/acme/app.git"],
    );
    let r = t.run(&["git", "-q", "-f", "sarif"]);
    let doc = r.json();
    crate::sarif::validate(&doc);
    let vcp = &doc["runs"][0]["versionControlProvenance"][0];
    assert_eq!(vcp["repositoryUri"], "https://github.com/acme/app.git");
    assert_eq!(vcp["revisionId"], c2.as_str());
    assert_eq!(vcp["branch"], "main");
    assert_eq!(vcp["mappedTo"]["uriBaseId"], "%SRCROOT%");
    assert!(!r.stdout().contains("tok3nVALUE"));
    let snippet =
        &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["snippet"];
    assert_eq!(snippet["text"], "ghp_…[40 chars]");
}

#[test]
fn sarif_justifications_name_no_absolute_path() {
    let t = repo();
    t.write(
        "leakhound.toml",
        "[[allowlist]]\nreason = \"test fixture\"\npaths = [\"fixtures/**\"]\n",
    );
    t.write("fixtures/a.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "one", "2024-01-01T00:00:00Z");
    let r = t.run(&["scan", ".", "-q", "-f", "sarif", "--include-suppressed", "--exit-code", "0"]);
    let doc = r.json();
    crate::sarif::validate(&doc);
    let justification =
        doc["runs"][0]["results"][0]["suppressions"][0]["justification"].as_str().unwrap();
    assert_eq!(justification, "test fixture (leakhound.toml:1)");
    let root = t.path().canonicalize().unwrap();
    assert!(!r.stdout().contains(root.to_str().unwrap()), "the runner's directory leaked");
}

#[test]
fn range_reports_only_added_lines_of_a_renamed_and_edited_file() {
    let t = repo();
    t.write("old/config.env", format!("A={GITHUB_TOKEN}\nX=1\nY=2\n"));
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    git(t.path(), &["mv", "old/config.env", "settings.env"]);
    t.write("settings.env", format!("A={GITHUB_TOKEN}\nX=1\nY=2\nB={GITHUB_TOKEN_2}\n"));
    let c = commit(&t, "rename and edit", "2024-01-02T00:00:00Z");
    let r = t.run(&["git", "--since", &base, "-q", "-f", "json"]);
    assert_eq!(git_findings(&r), vec![(GH.into(), "settings.env".into(), 4, c)]);
}

fn pack_index(repo: &Path) -> String {
    let dir = repo.join(".git/objects/pack");
    let idx = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .expect("a pack index");
    idx.display().to_string()
}

/// A small deterministic generator for the differential test below.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

const RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAzEbEZcfOwvui5isJTNvPAs/7s2sw1ZOLv79p+CtTU4JSkDLm
yvBAw6zq4y+J+qtN5yasmy8UYKchpCDn6gF8jtEQ+jkWBNQLpHeJLWCeSkMRtp8Y
yhs6q9gbDYeQk9eTR6vnCv2uch9up+n4LjATLlPhBUcpfWB13cMu1Z+SqpIB7uab
B2pjgEQZ5Z3g/4/2Kjvf3dawIw2ruQlrYsc+roQ2v/LB93+zeJi/A/1FUVCK1wuJ
uwMiEQ5OJhWhIOXwcAfQcmBqTzDO091RIXF6xfugqO3+qeTgGMxfjVuEqKJ2PEjy
q4VwD7sUTBzLmojzyB2h5WYWeT03/Cw34atgtEg+Jf0=
-----END RSA PRIVATE KEY-----
";

/// The history sweep scans a stored delta only in the lines it changed and inherits the rest
/// from its base. It must report exactly what scanning every blob whole reports, whatever the
/// edits: secrets added, removed and moved, lines joined into a secret or split out of one,
/// private key blocks whose body alone changes, a last line without a newline, binary versions.
#[test]
fn delta_scan_reports_exactly_what_a_whole_blob_scan_reports() {
    let t = repo();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (head, tail) = GITHUB_TOKEN.split_at(20);
    let pieces: Vec<String> = vec![
        format!("GITHUB_TOKEN = \"{GITHUB_TOKEN}\"\n"),
        format!("backup = '{GITHUB_TOKEN_2}'\n"),
        format!("not_valid = \"{GITHUB_TOKEN_BAD_CHECKSUM}\"\n"),
        format!("split = \"{head}\n{tail}\"\n"),
        format!("glued = x{GITHUB_TOKEN}\n"),
        RSA_KEY.to_string(),
        RSA_KEY.replace("-----END", "\n-----END"),
        "-----BEGIN RSA PRIVATE KEY-----\n".to_string(),
        "-----END RSA PRIVATE KEY-----\n".to_string(),
        "binary\0data\n".to_string(),
    ];
    let mut files: Vec<Vec<String>> = (0..3)
        .map(|f| (0..150).map(|i| format!("value_{f}_{i} = compute({i}) # plain code\n")).collect())
        .collect();
    // Scripted first: a token glued to a word (no match), then split onto its own line (a match
    // that starts where the delta's copy of its base's bytes starts), then glued again.
    for (version, glued) in [(0, true), (1, false), (2, true)] {
        let line = if glued {
            vec![format!("glued = x{GITHUB_TOKEN} # same bytes\n")]
        } else {
            vec!["glued = x\n".to_string(), format!("{GITHUB_TOKEN} # same bytes\n")]
        };
        let mut lines = files[0].clone();
        lines.splice(70..70, line);
        if glued {
            // Bigger, so that git stores the glued version whole and the split one as a delta.
            lines.push(format!("# the glued version {version}\n"));
        }
        t.write("src/scripted.py", lines.concat());
        commit(&t, "scripted", &format!("2023-12-31T00:00:0{version}Z"));
    }
    for version in 0..90 {
        for _ in 0..1 + rng.below(4) {
            let f = rng.below(files.len());
            let lines = &mut files[f];
            let at = rng.below(lines.len() + 1);
            match rng.below(8) {
                0 | 1 => lines.insert(at, pieces[rng.below(pieces.len())].clone()),
                2 if at < lines.len() => {
                    lines.remove(at);
                }
                3 if at + 1 < lines.len() => {
                    // Join two lines: the newline between them goes.
                    let next = lines.remove(at + 1);
                    let joined = lines[at].trim_end_matches('\n').to_string() + &next;
                    lines[at] = joined;
                }
                4 if at < lines.len() && lines[at].len() > 2 => {
                    // Split a line (right before a token, if it has one: a token glued to a
                    // word is no match, the same bytes at the start of a line are), or change
                    // one byte of it.
                    let cut = lines[at]
                        .find("ghp_")
                        .filter(|&i| i > 0)
                        .unwrap_or_else(|| 1 + rng.below(lines[at].len() - 2));
                    let mut line = lines[at].clone().into_bytes();
                    if rng.below(2) == 0 {
                        line.insert(cut, b'\n');
                    } else {
                        line[cut] = b'A' + rng.below(26) as u8;
                    }
                    lines[at] = String::from_utf8_lossy(&line).into_owned();
                }
                5 if at < lines.len() => {
                    // Move a block elsewhere.
                    let end = (at + 1 + rng.below(12)).min(lines.len());
                    let block: Vec<String> = lines.drain(at..end).collect();
                    let to = rng.below(lines.len() + 1);
                    lines.splice(to..to, block);
                }
                _ => lines.insert(at, format!("line added in version {version}\n")),
            }
        }
        for (f, lines) in files.iter().enumerate() {
            let mut text = lines.concat();
            if f == 2 && version % 3 == 0 {
                text.pop(); // sometimes no newline at the end
            }
            t.write(&format!("src/file_{f}.py"), text);
        }
        commit(
            &t,
            &format!("v{version}"),
            &format!("2024-01-01T00:{:02}:{:02}Z", version / 60, version % 60),
        );
    }
    git(t.path(), &["repack", "-adf", "-q", "--depth=50", "--window=250"]);
    let delta = t.run(&["git", "-f", "json", "--exit-code", "0"]);
    let whole = t.run(&["git", "-f", "json", "--exit-code", "0", "--whole-blobs"]);
    assert_eq!(delta.code(), 0, "{}", delta.stderr());
    assert_eq!(whole.code(), 0, "{}", whole.stderr());
    let (d, w) = (delta.json(), whole.json());
    assert_eq!(d["findings"], w["findings"]);
    assert_eq!(d["stats"], w["stats"]);
    let rules: std::collections::BTreeSet<&str> =
        w["findings"].as_array().unwrap().iter().map(|f| f["rule_id"].as_str().unwrap()).collect();
    assert!(rules.contains("github.pat-classic") && rules.contains("privatekey.rsa"), "{rules:?}");
    // Each secret is one finding; the versions and places that hold it are its occurrences.
    let places: usize = w["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| 1 + f["occurrences"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(places >= 20, "{}", w["findings"]);
    let pack = git(t.path(), &["verify-pack", "-v", &pack_index(t.path())]);
    assert!(pack.contains("chain length = 10"), "the blobs are stored as delta chains");
}

#[test]
fn corrupt_packed_blob_is_an_error_naming_it() {
    let t = repo();
    for v in 0..5 {
        t.write("a.txt", format!("version {v}\n").repeat(200));
        commit(&t, "v", "2024-01-01T00:00:00Z");
    }
    git(t.path(), &["repack", "-adf", "-q"]);
    let blob = git(t.path(), &["rev-parse", "HEAD~2:a.txt"]);
    let listing = git(t.path(), &["verify-pack", "-v", &pack_index(t.path())]);
    let line = listing.lines().find(|l| l.starts_with(&blob)).expect("the blob is packed");
    // objectname type size size-in-pack offset [depth base]
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (packed, offset): (usize, usize) = (fields[3].parse().unwrap(), fields[4].parse().unwrap());
    let pack = pack_index(t.path()).replace(".idx", ".pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[offset + packed / 2..offset + packed] {
        *b ^= 0x5a;
    }
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    let r = t.run(&["git", "-f", "json"]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    assert!(r.stderr().contains(&blob), "names the object: {}", r.stderr());
}
