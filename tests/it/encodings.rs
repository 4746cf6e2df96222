//! Issue 12: text that is not UTF-8 on disk. UTF-16 (either byte order, with or without a byte
//! order mark) is scanned as the text it stands for, with lines and columns of the original.

use crate::git::{commit, repo};
use crate::harness::*;

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

#[test]
fn utf16_files_are_scanned_with_their_own_lines_and_columns() {
    let t = TempTree::new();
    let reg = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Acme]\r\n\
         \"Token\"=\"{GITHUB_TOKEN}\"\r\n"
    );
    t.write("export.reg", utf16le_bom(&reg));
    // No byte order mark, big-endian, and a non-ASCII character before the secret on its line.
    t.write("deploy.ps1", utf16be(&format!("# déploiement\n$t = 'é{GITHUB_TOKEN}'\n")));
    for mode in READ_MODES {
        let r = t.run(&args(&["scan", "-q", "-f", "json"], mode));
        assert_eq!(r.code(), 1, "{}", r.stderr());
        assert_eq!(
            r.findings(),
            vec![
                ("github.pat-classic".into(), "deploy.ps1".into(), 2, 8),
                ("github.pat-classic".into(), "export.reg".into(), 4, 10),
            ]
        );
        assert!(!r.stdout().contains(GITHUB_TOKEN));
    }
}

#[test]
fn utf16_blobs_are_found_in_history() {
    let t = repo();
    t.write("a.reg", utf16le_bom(&format!("\"Token\"=\"{GITHUB_TOKEN}\"\r\n")));
    let c = commit(&t, "add", "2024-01-01T00:00:00Z");
    // A second version: a delta of the first in the pack, scanned as text too.
    t.write("a.reg", utf16le_bom(&format!("\"Token\"=\"{GITHUB_TOKEN}\"\r\n\"X\"=\"1\"\r\n")));
    commit(&t, "edit", "2024-01-02T00:00:00Z");
    crate::git::git(t.path(), &["gc", "-q", "--aggressive"]);
    for extra in [&[][..], &["--whole-blobs"][..]] {
        let r = t.run(&args(&["git", "-q", "-f", "json"], extra));
        assert_eq!(r.code(), 1, "{}", r.stderr());
        let doc = r.json();
        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "{doc}");
        assert_eq!(findings[0]["commit"], c.as_str());
        assert_eq!(findings[0]["line"], 1);
        assert_eq!(findings[0]["column"], 10);
    }
}
