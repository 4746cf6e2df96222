//! Issue 9: hostile repositories, files, configs and outputs. Each test builds the hostile input
//! in a temp dir and runs the real binary: it must finish in bounded time and memory, with the
//! right exit code, and find the secret where there is one.

use crate::git::{commit, git, repo};
use crate::harness::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GH: &str = "github.pat-classic";

/// Runs `leakhound ARGS` in `dir` under an address-space limit (`ulimit -v`, KiB) and a time
/// limit: an input that makes it allocate or loop without bound fails the test instead of the
/// machine.
fn run_bounded(dir: &Path, args: &[&str], kib: u64, secs: u64) -> Run {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {kib}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_leakhound"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    let started = Instant::now();
    let id = child.id();
    let watchdog = std::thread::spawn(move || {
        while started.elapsed() < Duration::from_secs(secs) {
            std::thread::sleep(Duration::from_millis(50));
        }
        // Still running past its deadline (or already gone): make sure it ends.
        let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
    });
    let out = child.wait_with_output().expect("wait");
    let elapsed = started.elapsed();
    drop(watchdog);
    assert!(elapsed < Duration::from_secs(secs), "{args:?} ran past {secs} s");
    Run(out)
}

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A pack entry header: type and size, 4 bits then 7 bits per byte.
fn entry_header(kind: u8, size: u64) -> Vec<u8> {
    let mut out = vec![(kind << 4) | (size & 0x0f) as u8];
    let mut rest = size >> 4;
    while rest > 0 {
        *out.last_mut().unwrap() |= 0x80;
        out.push((rest & 0x7f) as u8);
        rest >>= 7;
    }
    out
}

fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// Writes a pack and its index holding a small blob and an ofs-delta against it whose header
/// claims a result of `claimed` bytes (its instructions build six). Returns the delta's
/// (made-up) object id.
fn crafted_pack(repo: &Path, claimed: u64) -> String {
    let base = b"hello\n";
    let base_id = sha1_hex(&[format!("blob {}\0", base.len()).as_bytes(), base].concat());
    let mut delta = varint(base.len() as u64);
    delta.extend(varint(claimed));
    delta.extend([0x80 | 0x10, 6]); // copy 6 bytes from offset 0
    let delta_id = sha1_hex(b"a delta that claims more than it builds");
    let mut pack = b"PACK\0\0\0\x02\0\0\0\x02".to_vec();
    let base_at = pack.len() as u64;
    pack.extend(entry_header(3, base.len() as u64));
    pack.extend(zlib(base));
    let delta_at = pack.len() as u64;
    pack.extend(entry_header(6, delta.len() as u64));
    pack.extend(varint_ofs(delta_at - base_at));
    pack.extend(zlib(&delta));
    let pack_sum = sha1::Sha1::digest_bytes(&pack);
    pack.extend(&pack_sum);
    // Index v2: fan-out, sorted ids, CRCs, offsets, checksums.
    let mut objects = [(base_id.clone(), base_at), (delta_id.clone(), delta_at)];
    objects.sort();
    let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
    for byte in 0..=255u8 {
        let n = objects.iter().filter(|(id, _)| u8::from_str_radix(&id[..2], 16).unwrap() <= byte);
        idx.extend((n.count() as u32).to_be_bytes());
    }
    for (id, _) in &objects {
        idx.extend((0..20).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap()));
    }
    idx.extend([0u8; 8]); // CRCs (not checked when reading)
    for (_, at) in &objects {
        idx.extend((*at as u32).to_be_bytes());
    }
    idx.extend(&pack_sum);
    let idx_sum = sha1::Sha1::digest_bytes(&idx);
    idx.extend(&idx_sum);
    let name = sha1_hex(&pack[..pack.len() - 20]);
    let dir = repo.join(".git/objects/pack");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("pack-{name}.pack")), &pack).unwrap();
    std::fs::write(dir.join(format!("pack-{name}.idx")), &idx).unwrap();
    delta_id
}

/// The offset encoding of ofs-deltas: big-endian 7-bit groups, each but the last plus one.
fn varint_ofs(mut n: u64) -> Vec<u8> {
    let mut out = vec![(n & 0x7f) as u8];
    n >>= 7;
    while n > 0 {
        n -= 1;
        out.insert(0, 0x80 | (n & 0x7f) as u8);
        n >>= 7;
    }
    out
}

trait DigestBytes {
    fn digest_bytes(data: &[u8]) -> Vec<u8>;
}

impl DigestBytes for sha1::Sha1 {
    fn digest_bytes(data: &[u8]) -> Vec<u8> {
        use sha1::Digest;
        sha1::Sha1::digest(data).to_vec()
    }
}

/// A tree of `entries` (mode, name, id), written as git would not: any name goes.
fn raw_tree(dir: &Path, entries: &[(&str, &[u8], &str)]) -> String {
    let mut data = Vec::new();
    for (mode, name, id) in entries {
        data.extend_from_slice(mode.as_bytes());
        data.push(b' ');
        data.extend_from_slice(name);
        data.push(0);
        data.extend((0..20).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap()));
    }
    let mut child = Command::new("git")
        .args(["hash-object", "-t", "tree", "-w", "--literally", "--stdin"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn blob(dir: &Path, text: &str) -> String {
    let mut child = Command::new("git")
        .args(["hash-object", "-w", "--stdin"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Points `main` at a new commit of `tree` on top of HEAD (if any).
fn commit_tree(t: &TempTree, tree: &str) -> String {
    let head = Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(t.path())
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    let mut args = vec!["commit-tree", tree, "-m", "crafted"];
    if !head.is_empty() {
        args.extend(["-p", &head]);
    }
    let c = git(t.path(), &args);
    git(t.path(), &["update-ref", "refs/heads/main", &c]);
    c
}

#[test]
fn issue9_a_delta_claiming_4_gib_is_skipped_from_its_header_in_every_git_mode() {
    let t = repo();
    t.write("README", "hello\n");
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    let big = crafted_pack(t.path(), 4 << 30);
    let secret = blob(t.path(), &format!("GITHUB_TOKEN={GITHUB_TOKEN}\n"));
    let readme = git(t.path(), &["rev-parse", "HEAD:README"]);
    let tree = raw_tree(
        t.path(),
        &[
            ("100644", b"README", &readme),
            ("100644", b"big.txt", &big),
            ("100644", b"s.env", &secret),
        ],
    );
    commit_tree(&t, &tree);
    // A 2 GiB address space: allocating what the delta claims would abort.
    for args in [
        &["git", "-f", "json"][..],
        &["git", "--since", &base, "-f", "json"],
        &["staged", "-f", "json"],
    ] {
        if args[0] == "staged" {
            // The same tree staged on top of the base.
            git(t.path(), &["read-tree", &tree]);
            git(t.path(), &["reset", "-q", "--soft", &base]);
        }
        let r = run_bounded(t.path(), args, 2 << 20, 30);
        assert_eq!(r.code(), 1, "{args:?}: {}", r.stderr());
        let paths: Vec<String> = r.findings().into_iter().map(|f| f.1).collect();
        assert_eq!(paths, vec!["s.env"], "{args:?}");
        assert!(
            r.stderr().contains("big.txt (blob ")
                && r.stderr().contains("4294967296 bytes exceeds"),
            "{args:?}: {}",
            r.stderr()
        );
    }
}

#[test]
fn issue9_hostile_ignore_files_are_not_read_and_their_directory_is_still_scanned() {
    let t = TempTree::new();
    t.write("zero/a.env", format!("T={GITHUB_TOKEN}\n"));
    std::os::unix::fs::symlink("/dev/zero", t.path().join("zero/.gitignore")).unwrap();
    t.write("fifo/b.env", format!("T={GITHUB_TOKEN_2}\n"));
    let made = Command::new("mkfifo").arg(t.path().join("fifo/.ignore")).status().unwrap();
    assert!(made.success());
    t.write("ok/.gitignore", "ignored.env\n");
    t.write("ok/ignored.env", format!("T={GITHUB_TOKEN}\n"));
    let r = run_bounded(t.path(), &["scan", "-f", "json"], 4 << 20, 30);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let paths: Vec<String> = r.findings().into_iter().map(|f| f.1).collect();
    assert_eq!(paths, vec!["fifo/b.env", "zero/a.env"]);
    assert!(
        r.stderr().contains("zero/.gitignore: is a symbolic link (not followed)"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains("fifo/.ignore: is a FIFO"), "{}", r.stderr());
}

#[test]
fn issue9_files_leakhound_reads_for_itself_are_bounded_and_named() {
    let t = TempTree::new();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    // What the user names may be anything (`-c <(...)`), but is read only up to a bound.
    let r = run_bounded(t.path(), &["scan", "-c", "/dev/zero"], 4 << 20, 30);
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("/dev/zero: cannot read config file: is more than the 67108864 bytes"),
        "{}",
        r.stderr()
    );
    let r = run_bounded(t.path(), &["scan", "--baseline", "/dev/zero"], 4 << 20, 30);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("/dev/zero: cannot read baseline: is more than"), "{}", r.stderr());
    // A committed leakhound.toml that is a symlink (to the environment, say) is not followed.
    std::os::unix::fs::symlink("/proc/self/environ", t.path().join("leakhound.toml")).unwrap();
    let r = run_bounded(t.path(), &["scan"], 4 << 20, 30);
    assert_eq!(r.code(), 2);
    assert!(
        r.stderr().contains("leakhound.toml: cannot read config file: is a symbolic link"),
        "{}",
        r.stderr()
    );
    // Git metadata: a shallow file that is a symlink to /dev/zero.
    let g = repo();
    g.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&g, "one", "2024-01-01T00:00:00Z");
    std::os::unix::fs::symlink("/dev/zero", g.path().join(".git/shallow")).unwrap();
    let r = run_bounded(g.path(), &["git"], 4 << 20, 30);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains(".git/shallow: is a symbolic link to /dev/zero"), "{}", r.stderr());
}

#[test]
fn issue9_a_65_mib_text_file_is_scanned() {
    let t = TempTree::new();
    let mut data = "let x = 1;\n".repeat(65 * 1024 * 1024 / 11);
    data.push_str(&format!("T={GITHUB_TOKEN}\n"));
    t.write("big.txt", &data);
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.findings().len(), 1);
    // Read into memory instead of mapped, it is over the in-memory limit: skipped, and said.
    let r = t.run(&["scan", "--no-mmap", "-f", "json"]);
    assert_eq!(r.code(), 0);
    assert!(
        r.stderr().contains("big.txt: skipped: ") && r.stderr().contains("1 too large"),
        "{}",
        r.stderr()
    );
}

#[test]
fn issue9_refs_to_blobs_and_trees_are_swept() {
    let t = repo();
    t.write("README", "hello\n");
    commit(&t, "init", "2024-01-01T00:00:00Z");
    let b = blob(t.path(), &format!("T={GITHUB_TOKEN}\n"));
    git(t.path(), &["tag", "just-a-blob", &b]);
    let inner = blob(t.path(), &format!("T={GITHUB_TOKEN_2}\n"));
    let tree = raw_tree(t.path(), &[("100644", b"conf.env", &inner)]);
    git(t.path(), &["tag", "-a", "a-tree", "-m", "tagged tree", &tree]);
    let r = t.run(&["git", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let found: Vec<(String, String)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().into(), f["tag"].as_str().unwrap_or("").into()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("conf.env".into(), "refs/tags/a-tree".into()),
            ("refs/tags/just-a-blob".into(), "refs/tags/just-a-blob".into()),
        ]
    );
}

#[test]
fn issue9_a_bad_ref_or_odd_commit_does_not_stop_the_sweep() {
    let t = repo();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "one", "2024-01-01T00:00:00Z");
    // A commit whose author has no email (git accepts it), holding a second secret.
    let b = blob(t.path(), &format!("T={GITHUB_TOKEN_2}\n"));
    let tree = raw_tree(t.path(), &[("100644", b"b.env", &b)]);
    let body = format!(
        "tree {tree}\nauthor NoEmail 1700000000 +0000\ncommitter NoEmail 1700000000 +0000\n\nodd\n"
    );
    let mut child = Command::new("git")
        .args(["hash-object", "-t", "commit", "-w", "--literally", "--stdin"])
        .current_dir(t.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let odd =
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string();
    git(t.path(), &["update-ref", "refs/heads/odd", &odd]);
    // A ref to an object that does not exist.
    std::fs::write(
        t.path().join(".git/refs/heads/dangling"),
        "1111111111111111111111111111111111111111\n",
    )
    .unwrap();
    let r = run_bounded(t.path(), &["git", "-f", "json"], 4 << 20, 30);
    assert_eq!(r.code(), 2, "the bad ref is an error: {}", r.stderr());
    assert!(r.stderr().contains("refs/heads/dangling"), "{}", r.stderr());
    let found: Vec<(String, String)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().into(), f["author"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        found,
        vec![("a.env".into(), "Ada Lovelace".into()), ("b.env".into(), "NoEmail".into())]
    );
}

#[test]
fn issue9_a_closed_stdout_keeps_the_exit_status_of_the_findings() {
    let t = TempTree::new();
    let lines: String = (0..3000).map(|i| format!("T{i}={GITHUB_TOKEN}\n")).collect();
    t.write("many.env", lines);
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakhound"))
        .args(["scan", "-f", "jsonl"])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // `| head -0`: the reader is gone
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn issue9_overlapping_roots_scan_each_file_once() {
    let t = TempTree::new();
    t.write("t/a.env", format!("T={GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "t", "t/a.env", "t", "./t/", "-q", "-f", "json"]);
    assert_eq!(r.findings().len(), 1, "{}", r.stdout());
}

#[test]
fn issue9_control_characters_in_names_are_escaped_in_human_output() {
    let t = TempTree::new();
    let name = "x\u{1b}]0;title\u{7}\u{1b}[2J\rOK\nFAKE.txt";
    t.write(name, format!("T={GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "--color", "never"]);
    assert_eq!(r.code(), 1);
    let out = r.stdout();
    assert!(!out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("x\\u{1b}]0;title\\u{7}\\u{1b}[2J\\u{d}OK\\u{a}FAKE.txt:1:3"), "{out}");
    // Diagnostics too: a special file with such a name.
    let made = Command::new("mkfifo").arg(t.path().join("p\u{1b}[2Jq")).status().unwrap();
    assert!(made.success());
    let r = t.run(&["scan"]);
    assert!(!r.stderr().contains('\u{1b}'), "{:?}", r.stderr());
    assert!(r.stderr().contains("p\\u{1b}[2Jq: skipped: not a regular file"), "{}", r.stderr());
}

#[test]
fn issue9_reports_and_baselines_replace_a_symlink_instead_of_writing_through_it() {
    let t = TempTree::new();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    let outside = TempTree::new();
    let victim = outside.write("profile", "original\n");
    std::os::unix::fs::symlink(&victim, t.path().join("report.txt")).unwrap();
    std::os::unix::fs::symlink(&victim, t.path().join("base.toml")).unwrap();
    let r = t.run(&["scan", "a.env", "-o", "report.txt", "--write-baseline", "base.toml"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "original\n");
    assert!(std::fs::read_to_string(t.path().join("report.txt")).unwrap().contains(GH));
    assert!(std::fs::read_to_string(t.path().join("base.toml")).unwrap().contains("[[finding]]"));
    // A device or /dev/stdout is written to, not replaced.
    let r = t.run(&["scan", "a.env", "-q", "-o", "/dev/stdout"]);
    assert!(r.stdout().contains(GH));
}

#[test]
fn issue9_a_pull_request_cannot_allowlist_its_own_secret() {
    let t = repo();
    t.write("README", "hello\n");
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    t.write("leakhound.toml", "[[allowlist]]\nreason = \"nothing to see\"\nsecrets = ['''.*''']\n");
    // A .gitleaksignore entry for the secret's value, which would suppress it if applied.
    let value: String = {
        use sha2::Digest;
        sha2::Sha256::digest(GITHUB_TOKEN.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    t.write(".gitleaksignore", format!("{value}\n"));
    t.write("app.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "pr", "2024-01-02T00:00:00Z");
    let r = t.run(&["git", "--since", &base, "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(r.findings().len(), 1);
    assert!(
        r.stderr().contains("leakhound.toml: added by the range")
            && r.stderr().contains("not applied"),
        "{}",
        r.stderr()
    );
    // Scanning the work tree, the committed config applies, with a warning about the catch-all.
    let r = t.run(&["scan", "app.env"]);
    assert_eq!(r.code(), 0);
    assert!(r.stderr().contains("matches every secret and path"), "{}", r.stderr());
}

#[test]
fn issue9_tree_bombs_are_compared_once_in_range_and_staged_scans() {
    let t = repo();
    t.write("README", "hello\n");
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    let b = blob(t.path(), &format!("T={GITHUB_TOKEN}\n"));
    let names: Vec<String> = (0..10).map(|i| format!("d{i}")).collect();
    let leaf: Vec<(&str, &[u8], &str)> =
        names.iter().map(|n| ("100644", n.as_bytes(), b.as_str())).collect();
    let mut tree = raw_tree(t.path(), &leaf);
    // 10 ways over 6 levels: a million paths in a few kilobytes.
    for _ in 0..5 {
        let level: Vec<(&str, &[u8], &str)> =
            names.iter().map(|n| ("40000", n.as_bytes(), tree.as_str())).collect();
        tree = raw_tree(t.path(), &level);
    }
    commit_tree(&t, &tree);
    let r = run_bounded(t.path(), &["git", "--since", &base, "-q", "-f", "json"], 4 << 20, 20);
    assert_eq!(r.findings().len(), 1, "{}", r.stderr());
    // Staged: the million paths in the index, against a HEAD without them; each blob is
    // scanned once.
    git(t.path(), &["read-tree", &tree]);
    git(t.path(), &["reset", "-q", "--soft", &base]);
    let r = run_bounded(t.path(), &["staged", "-q", "-f", "json"], 4 << 20, 20);
    assert_eq!(r.findings().len(), 1, "{}", r.stderr());
}

#[test]
fn issue9_absurd_thread_counts_are_refused() {
    let t = TempTree::new();
    for n in ["0", "50000", "18446744073709551615"] {
        let r = t.run(&["scan", "-j", n]);
        assert_eq!(r.code(), 2, "-j {n}");
        assert!(r.stderr().contains("is not a thread count from 1 to 256"), "{}", r.stderr());
    }
}

#[test]
fn issue9_odd_tree_entry_names_get_safe_distinct_paths() {
    let t = repo();
    let entries: Vec<(String, Vec<u8>)> = [&b".."[..], b".git", b"a/b", b"x\xff", b"x\xfe"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // One secret each: the same secret at several paths would be one finding.
            (blob(t.path(), &format!("AKIAZ7Q3XB8LM2VN7RT{i}\n")), name.to_vec())
        })
        .collect();
    let list: Vec<(&str, &[u8], &str)> =
        entries.iter().map(|(id, name)| ("100644", name.as_slice(), id.as_str())).collect();
    let tree = raw_tree(t.path(), &list);
    commit_tree(&t, &tree);
    let r = t.run(&["git", "-q", "-f", "sarif"]);
    let doc = r.json();
    crate::sarif::validate(&doc);
    let mut uris: Vec<String> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| {
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    uris.sort();
    assert_eq!(uris, vec!["%2E%2E", ".git", "a%5Cx2fb", "x%5Cxfe", "x%5Cxff"]);
}

/// Issue 9 (review): git reads a commit's first `tree` line; a second one, or a `parent` line
/// after the author, is not what git walks and must not hide the real tree.
#[test]
fn issue9_a_decoy_tree_line_does_not_hide_the_real_tree() {
    let t = repo();
    let real = raw_tree(
        t.path(),
        &[("100644", b"real.env", &blob(t.path(), &format!("T={GITHUB_TOKEN}\n")))],
    );
    let decoy = raw_tree(t.path(), &[("100644", b"decoy.txt", &blob(t.path(), "nothing\n"))]);
    let body = format!(
        "tree {real}\nauthor A <a@b> 1700000000 +0000\ncommitter A <a@b> 1700000000 +0000\ntree {decoy}\n\nmsg\n"
    );
    let mut child = Command::new("git")
        .args(["hash-object", "-t", "commit", "-w", "--literally", "--stdin"])
        .current_dir(t.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let c = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string();
    git(t.path(), &["update-ref", "refs/heads/main", &c]);
    let r = t.run(&["git", "-q", "-f", "json"]);
    let paths: Vec<String> = r.findings().into_iter().map(|f| f.1).collect();
    assert_eq!(paths, vec!["real.env"], "{}", r.stderr());
}

/// Issue 9 (review): a committed symlink to a device at the report path is replaced, not
/// written through; a file the user names among a directory root's files is still scanned as
/// named (even where ignore rules would skip it), once.
#[test]
fn issue9_report_links_to_devices_are_replaced_and_named_files_stay_named() {
    let t = TempTree::new();
    t.write(".gitignore", ".env\n");
    t.write(".env", format!("T={GITHUB_TOKEN}\n"));
    std::os::unix::fs::symlink("/dev/null", t.path().join("out.json")).unwrap();
    let r = t.run(&["scan", ".", ".env", "-q", "-f", "json", "-o", "out.json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let report = std::fs::read_to_string(t.path().join("out.json")).unwrap();
    assert_eq!(report.matches("\"rule_id\"").count(), 1, "{report}");
    assert!(std::fs::symlink_metadata(t.path().join("out.json")).unwrap().is_file());
}

/// Issue 9 (review): a config the CI job writes (tracked neither at the base nor at the head of
/// the range) is applied; one the range adds is not.
#[test]
fn issue9_an_untracked_config_the_ci_job_writes_is_applied_in_a_range_scan() {
    let t = repo();
    t.write("README", "hello\n");
    let base = commit(&t, "base", "2024-01-01T00:00:00Z");
    t.write("app.env", format!("T={GITHUB_TOKEN}\n"));
    commit(&t, "pr", "2024-01-02T00:00:00Z");
    t.write("ci.toml", "disable = [\"github.pat-classic\"]\n");
    let r = t.run(&["git", "--since", &base, "-c", "ci.toml", "-f", "json"]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
}

/// Issue 9 (review): an allowlist entry that matches every secret is flagged however it is
/// spelled.
#[test]
fn issue9_catch_all_allowlists_are_flagged_however_spelled() {
    let t = TempTree::new();
    t.write("a.env", format!("T={GITHUB_TOKEN}\n"));
    for entry in ["secrets = ['''.''']", "secrets = ['''\\S''']", "paths = [\"**\"]"] {
        t.write("leakhound.toml", format!("[[allowlist]]\nreason = \"x\"\n{entry}\n"));
        let r = t.run(&["scan"]);
        assert!(r.stderr().contains("matches every secret and path"), "{entry}: {}", r.stderr());
    }
    t.write("leakhound.toml", "[[allowlist]]\nreason = \"x\"\nstopwords = [\"\"]\n");
    let r = t.run(&["scan"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("an empty stopword would match every secret"), "{}", r.stderr());
}
