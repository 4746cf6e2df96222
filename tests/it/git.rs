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

fn repo() -> TempTree {
    let t = TempTree::new();
    git(t.path(), &["init", "-q", "-b", "main"]);
    t
}

fn commit(t: &TempTree, msg: &str, date: &str) -> String {
    git_at(t.path(), &["add", "-A"], date);
    git_at(t.path(), &["commit", "-q", "-m", msg], date);
    git(t.path(), &["rev-parse", "HEAD"])
}

/// `(rule, path, line, commit)` of a JSON report's findings.
fn git_findings(r: &Run) -> Vec<(String, String, u64, String)> {
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

const GH: &str = "github.pat-classic";

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
    let mut bin = vec![0u8; 16];
    bin.extend_from_slice(GITHUB_TOKEN_2.as_bytes());
    t.write("blob.bin", bin);
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
    assert_eq!(
        git_findings(&r),
        vec![(GH.into(), "caf\u{fffd} file.txt".into(), 1, String::new())]
    );
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
    let r = t.run(&["git", "-q", "-f", "sarif"]);
    let doc = r.json();
    crate::sarif::validate(&doc);
    let props = &doc["runs"][0]["results"][0]["properties"];
    assert_eq!(props["commit"], c.as_str());
    assert_eq!(props["author"], "Ada Lovelace");
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

#[test]
fn pack_reader_rebuilds_every_object_of_a_deltified_pack() {
    // Many versions of the same files, packed deep: most objects are delta chains.
    let t = repo();
    let mut lines: Vec<String> = (0..400).map(|i| format!("line {i} of some text\n")).collect();
    for v in 0..40 {
        lines[v * 7 % 400] = format!("edited in version {v}\n");
        lines.insert(v * 13 % 400, format!("inserted in version {v}\n"));
        t.write("a.txt", lines.concat());
        t.write(&format!("dir/b{}.txt", v % 3), lines[..200].concat());
        commit(&t, "v", "2024-01-01T00:00:00Z");
    }
    git(t.path(), &["repack", "-adf", "-q", "--depth=50", "--window=50"]);
    let repo = leakhound::input::git::open(t.path()).unwrap();
    let local = repo.local();
    let mut objects = repo.objects(&local);
    let all = git(t.path(), &["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]);
    let mut n = 0;
    for id in all.lines() {
        let id = gix::ObjectId::from_hex(id.as_bytes()).unwrap();
        let (kind, data) = objects.read(&id).unwrap();
        assert_eq!(leakhound::odb::object_id(kind, &data), id, "{kind} rebuilt wrongly");
        n += 1;
    }
    assert!(n > 150, "{n} objects");
    let deltas = git(t.path(), &["verify-pack", "-v", &pack_index(t.path())]);
    assert!(deltas.contains("chain length = 5"), "the pack has delta chains: {deltas}");
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
