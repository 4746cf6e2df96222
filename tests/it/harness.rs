//! A temp directory to write files into, and a runner for the real binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A GitHub classic token with a valid CRC32 checksum (synthetic, never issued).
pub const GITHUB_TOKEN: &str = "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";
/// A second valid synthetic GitHub token.
pub const GITHUB_TOKEN_2: &str = "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";
/// The same shape as [`GITHUB_TOKEN`] with a broken checksum.
pub const GITHUB_TOKEN_BAD_CHECKSUM: &str = "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM";

pub struct TempTree {
    pub dir: tempfile::TempDir,
}

impl TempTree {
    pub fn new() -> TempTree {
        TempTree { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, contents).expect("write");
        p
    }

    /// Runs `leakhound ARGS` with the tree as working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leakhound"));
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("NO_COLOR")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn leakhound");
        if let Some(input) = stdin {
            let mut w = child.stdin.take().expect("stdin");
            w.write_all(input).expect("write stdin");
        }
        Run(child.wait_with_output().expect("wait"))
    }
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().expect("exited normally, not by a signal")
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.0.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout(), self.stderr())
        })
    }
    /// `(rule_id, path, line, column)` of every finding of a JSON report.
    pub fn findings(&self) -> Vec<(String, String, u64, u64)> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

/// Both file-reading strategies: every integration test that reads files runs under each.
pub const READ_MODES: [&[&str]; 2] = [&["--no-mmap"], &["--mmap", "1"]];

/// `base` followed by `extra`.
pub fn args<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

/// The start of a PNG image (a binary format by its magic number) followed by `text`: skipped
/// as binary unless `--binary`.
pub fn png_with(text: &str) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}
