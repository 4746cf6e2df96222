//! What a directory scan visits and how it reads: ignore files, hidden files, `.git/`,
//! symlinks, FIFOs, binary files, odd bytes, huge lines, size limits and unreadable inputs.
//! Tests that read file contents run with reading and with memory-mapping.

use crate::harness::*;

fn paths(r: &Run) -> Vec<String> {
    let mut p: Vec<String> = r.findings().into_iter().map(|f| f.1).collect();
    p.dedup();
    p
}

#[test]
fn gitignore_is_respected_unless_no_ignore() {
    let t = TempTree::new();
    t.write(".gitignore", "build/\n*.log\n");
    t.write("build/out.txt", format!("{GITHUB_TOKEN}\n"));
    t.write("debug.log", format!("{GITHUB_TOKEN}\n"));
    t.write("src/main.rs", format!("// {GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(paths(&r), vec!["src/main.rs"]);
    let r = t.run(&["scan", "-q", "-f", "json", "--no-ignore"]);
    assert_eq!(paths(&r), vec!["build/out.txt", "debug.log", "src/main.rs"]);
}

#[test]
fn hidden_files_are_scanned_but_not_dot_git() {
    let t = TempTree::new();
    t.write(".env", format!("GITHUB_TOKEN={GITHUB_TOKEN}\n"));
    t.write(".config/app/.npmrc", format!("//registry.npmjs.org/:_authToken={GITHUB_TOKEN_2}\n"));
    t.write(".git/config", format!("url = https://{GITHUB_TOKEN}@github.com/x/y\n"));
    t.write(".git/objects/ab/cdef", format!("{GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(paths(&r), vec![".config/app/.npmrc", ".env"]);
}

#[test]
fn symlinks_are_not_followed_by_default_and_loops_terminate() {
    let t = TempTree::new();
    t.write("real/a.txt", format!("{GITHUB_TOKEN}\n"));
    std::os::unix::fs::symlink(t.path().join("real"), t.path().join("link")).unwrap();
    std::os::unix::fs::symlink(t.path(), t.path().join("real/loop")).unwrap();
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(paths(&r), vec!["real/a.txt"]);
    let r = t.run(&["scan", "-f", "json", "--follow"]);
    assert_eq!(r.code(), 1, "a loop is a note, not an error: {}", r.stderr());
    assert!(paths(&r).contains(&"link/a.txt".to_string()), "{:?}", paths(&r));
    assert!(r.stderr().contains("loop"), "{}", r.stderr());
}

#[test]
fn fifos_are_skipped_not_read() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let fifo = t.path().join("pipe");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let r = t.run(&["scan", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(paths(&r), vec!["a.txt"]);
    assert!(r.stderr().contains("pipe: skipped: not a regular file"), "{}", r.stderr());
}

#[test]
fn binary_files_are_skipped_unless_binary() {
    for mode in READ_MODES {
        let t = TempTree::new();
        t.write("blob.bin", png_with(&format!("\n{GITHUB_TOKEN}\n")));
        let r = t.run(&args(&["scan", "-f", "json"], mode));
        assert_eq!(r.code(), 0, "{mode:?}");
        assert!(r.stderr().contains("skipped 1 binary"), "{}", r.stderr());
        let r = t.run(&args(&["scan", "-q", "-f", "json", "--binary"], mode));
        assert_eq!(
            r.findings(),
            vec![("github.pat-classic".into(), "blob.bin".into(), 4, 1)],
            "{mode:?}"
        );
    }
}

/// Issue 9: a NUL byte does not make a file binary. A text file whose first line is a NUL
/// used to be skipped (exit 0) with its secret; only a known binary format, or content that is
/// mostly control bytes, is.
#[test]
fn issue9_a_stray_nul_does_not_hide_a_text_file() {
    for mode in READ_MODES {
        let t = TempTree::new();
        t.write("a.env", format!("\0\nGITHUB_TOKEN={GITHUB_TOKEN}\nx\0y\n"));
        let r = t.run(&args(&["scan", "-q", "-f", "json"], mode));
        assert_eq!(r.code(), 1, "{mode:?}: {}", r.stderr());
        assert_eq!(r.findings(), vec![("github.pat-classic".into(), "a.env".into(), 2, 14)]);
    }
}

#[test]
fn invalid_utf8_crlf_and_nul_do_not_stop_the_scan() {
    for mode in READ_MODES {
        let t = TempTree::new();
        let mut data = b"\xff\xfe bad bytes \xc3\r\n".to_vec();
        data.extend_from_slice("caf\u{e9} ".as_bytes());
        data.extend_from_slice(GITHUB_TOKEN.as_bytes());
        data.extend_from_slice(b"\r\n\x00\x00 trailing ");
        data.extend_from_slice(GITHUB_TOKEN_2.as_bytes());
        t.write("odd.dat", &data);
        let r = t.run(&args(&["scan", "-q", "-f", "json", "--binary"], mode));
        assert_eq!(
            r.findings(),
            vec![
                ("github.pat-classic".into(), "odd.dat".into(), 2, 6),
                ("github.pat-classic".into(), "odd.dat".into(), 3, 13),
            ],
            "{mode:?}"
        );
    }
}

#[test]
fn a_64_mib_single_line_is_scanned() {
    for mode in READ_MODES {
        let t = TempTree::new();
        let mut data = vec![b'a'; 64 * 1024 * 1024 - 100];
        data.push(b' ');
        data.extend_from_slice(GITHUB_TOKEN.as_bytes());
        data.push(b' ');
        t.write("huge.min.js", &data);
        let r = t.run(&args(&["scan", "-q", "-f", "json"], mode));
        let col = 64 * 1024 * 1024 - 100 + 2;
        assert_eq!(
            r.findings(),
            vec![("github.pat-classic".into(), "huge.min.js".into(), 1, col)],
            "{mode:?}"
        );
    }
}

#[test]
fn files_over_the_size_limit_are_skipped_and_reported() {
    for mode in READ_MODES {
        let t = TempTree::new();
        t.write("big.txt", format!("{}{GITHUB_TOKEN}\n", "x".repeat(5000)));
        t.write("small.txt", format!("{GITHUB_TOKEN}\n"));
        let r = t.run(&args(&["scan", "-f", "json", "--max-file-size", "4K"], mode));
        assert_eq!(r.code(), 1);
        assert_eq!(paths(&r), vec!["small.txt"]);
        assert!(
            r.stderr().contains("big.txt: skipped: 5041 bytes exceeds --max-file-size"),
            "{}",
            r.stderr()
        );
        assert!(r.stderr().contains("skipped 1 too large"), "{}", r.stderr());
    }
}

#[test]
fn default_exclusions_skip_lockfiles_and_vendored_trees() {
    let t = TempTree::new();
    t.write("package-lock.json", format!("\"token\": \"{GITHUB_TOKEN}\"\n"));
    t.write("web/node_modules/pkg/index.js", format!("{GITHUB_TOKEN}\n"));
    t.write("web/app.js", format!("{GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-f", "json"]);
    assert_eq!(paths(&r), vec!["web/app.js"]);
    assert!(r.stderr().contains("2 excluded by default"), "{}", r.stderr());
    let r = t.run(&["scan", "-q", "-f", "json", "--no-default-excludes"]);
    assert_eq!(paths(&r).len(), 3);
}

#[test]
fn an_unreadable_file_is_reported_and_the_scan_goes_on() {
    // /proc/self/mem opens but fails to read at offset 0, even for root.
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "-f", "json", "a.txt", "/proc/self/mem"]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    assert!(r.stderr().contains("error: /proc/self/mem: cannot read:"), "{}", r.stderr());
    assert_eq!(paths(&r), vec!["a.txt"]);
}

/// Issue 9: bytes that are not UTF-8 are shown as `\xNN`, so two names that differ only in
/// them stay two distinct, faithful paths.
#[test]
fn non_utf8_paths_are_scanned_and_shown_with_their_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let t = TempTree::new();
    for name in [&b"caf\xe9.txt"[..], b"caf\xe8.txt"] {
        let name = std::ffi::OsStr::from_bytes(name);
        std::fs::write(t.path().join(name), format!("{GITHUB_TOKEN}\n")).unwrap();
    }
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    assert_eq!(paths(&r), vec!["caf\\xe8.txt", "caf\\xe9.txt"]);
}

#[test]
fn a_secret_past_the_first_keyword_windows_reach_is_found() {
    // Regression: a later keyword hit was skipped when an earlier window covered the keyword
    // but not the secret after it, on a line longer than the window reach.
    let t = TempTree::new();
    let line = format!("ghp_ {} {GITHUB_TOKEN}\n", "-".repeat(4076));
    t.write("long.txt", &line);
    let r = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(r.findings(), vec![("github.pat-classic".into(), "long.txt".into(), 1, 4083)]);
}

#[test]
fn many_secrets_on_one_long_line_stay_linear() {
    let t = TempTree::new();
    let line = format!("{GITHUB_TOKEN} ").repeat(50_000);
    t.write("many.txt", &line);
    let r = t.run(&["scan", "-q", "-f", "jsonl"]);
    assert_eq!(r.code(), 1);
    assert_eq!(r.stdout().lines().count(), 50_000);
}

#[test]
fn paths_in_a_repository_are_repository_relative_however_the_root_is_spelled() {
    // Globs, baselines and SARIF URIs need one spelling of a path.
    let t = TempTree::new();
    crate::git::git(t.path(), &["init", "-q"]);
    t.write("src/app.py", format!("T = '{GITHUB_TOKEN}'\n"));
    let rel = t.run(&["scan", "-q", "-f", "json", "."]).json();
    let abs = t.run(&["scan", "-q", "-f", "json", t.path().to_str().unwrap()]).json();
    let sub = t.run(&["scan", "-q", "-f", "json", "src"]).json();
    let file = t.run(&["scan", "-q", "-f", "json", "src/app.py"]).json();
    for doc in [&abs, &sub, &file] {
        assert_eq!(doc["findings"][0]["path"], "src/app.py");
        assert_eq!(doc["findings"][0]["fingerprint"], rel["findings"][0]["fingerprint"]);
    }
}

#[test]
fn a_symlinked_root_is_followed() {
    let t = TempTree::new();
    t.write("real/a.txt", format!("{GITHUB_TOKEN}\n"));
    std::os::unix::fs::symlink(t.path().join("real"), t.path().join("link")).unwrap();
    std::os::unix::fs::symlink(t.path().join("real/a.txt"), t.path().join("file-link")).unwrap();
    let r = t.run(&["scan", "-q", "-f", "json", "link"]);
    assert_eq!(paths(&r), vec!["link/a.txt"]);
    let r = t.run(&["scan", "-q", "-f", "json", "file-link"]);
    assert_eq!(paths(&r), vec!["file-link"]);
}
