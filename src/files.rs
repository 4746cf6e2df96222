//! The files leakhound reads and writes for itself, as opposed to the content it scans:
//! configuration, rule files, baselines, `.gitleaksignore`, ignore files and git metadata are
//! read with a bound (regular files only, size-capped, never a FIFO that blocks or a
//! `/dev/zero` that never ends), and reports and baselines are written to a temporary file that
//! is then renamed over the target, which replaces a symbolic link instead of writing through
//! it. A scanned repository is untrusted: whatever it commits may be a symlink or a special file.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The most any configuration, rule, baseline or ignore file may hold.
pub(crate) const CONFIG_LIMIT: u64 = 64 << 20;

/// Who put a file where leakhound reads it, which decides what it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trust {
    /// The user named it on the command line: anything that reads as text within the bound (a
    /// symlink, `<(...)`, `/dev/stdin`).
    User,
    /// Repository metadata (`.git/shallow`, `packed-refs`, `info/exclude`): a regular file,
    /// or a symlink to one that is not on a pseudo file system.
    Repository,
    /// Found among scanned content (`leakhound.toml`, `.gitignore`): a regular file, never a
    /// symlink (git does not follow a symlinked `.gitignore` either).
    Content,
}

/// Why a file was refused, in words that follow its path.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Checks that `path` is what `trust` allows: for the user's own files, not a directory; for
/// the others, a regular file of at most `limit` bytes, not on a pseudo file system (`/proc`,
/// `/sys`, `/dev`, whose files claim a size they do not have), and for scanned content, not a
/// symbolic link. Nothing is opened.
///
/// # Errors
/// A message that follows the path: `is a symbolic link (not followed)`, `is a FIFO`, ...
pub(crate) fn check(path: &Path, trust: Trust, limit: u64) -> Result<(), String> {
    if trust == Trust::User {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        return if meta.is_dir() { Err("is a directory".into()) } else { Ok(()) };
    }
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let meta = if meta.file_type().is_symlink() {
        if trust == Trust::Content {
            return Err("is a symbolic link (not followed)".into());
        }
        let target = std::fs::canonicalize(path).map_err(|e| e.to_string())?;
        if ["/proc", "/sys", "/dev"].iter().any(|p| target.starts_with(p)) {
            return Err(format!("is a symbolic link to {}", target.display()));
        }
        std::fs::metadata(path).map_err(|e| e.to_string())?
    } else {
        meta
    };
    if !meta.is_file() {
        return Err(format!("is {}", kind_of(&meta)));
    }
    if meta.len() > limit {
        return Err(format!("is {} bytes, more than the {limit} this file may hold", meta.len()));
    }
    Ok(())
}

/// Reads `path` as UTF-8 text, if it passes [`check`], up to `limit` bytes whatever the file
/// claims (`-c /dev/zero` is an error after `limit` bytes, not a read that never ends). Files
/// not named by the user are opened without blocking (a FIFO that appears between the check
/// and the open does not hang the scan).
///
/// # Errors
/// Why not, in words that follow the path (`is a FIFO`, `is not UTF-8 text`).
pub(crate) fn read_text(path: &Path, trust: Trust, limit: u64) -> Result<String, String> {
    check(path, trust, limit)?;
    let flags = match trust {
        Trust::User => 0,
        Trust::Repository => libc::O_NONBLOCK,
        Trust::Content => libc::O_NONBLOCK | libc::O_NOFOLLOW,
    };
    let file =
        OpenOptions::new().read(true).custom_flags(flags).open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() && trust != Trust::User {
        return Err(format!("is {}", kind_of(&meta)));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("is more than the {limit} bytes this file may hold"));
    }
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())
}

/// Writes a file by creating a temporary file next to `path` and renaming it over `path`: a
/// symbolic link at `path` (say, one a scanned repository committed) is replaced, never
/// followed, and a reader never sees half a file. The new file gets the mode a newly created
/// file gets (0666 less the umask). Only what the user names directly as a device or pipe is
/// written in place: a path under `/dev` or `/proc` (`-o /dev/stdout`), or a FIFO or device
/// at the path itself, never one reached through a link.
///
/// # Errors
/// The directory is not writable, or `write` fails.
pub(crate) fn write_replacing(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if writes_in_place(path) {
        let mut w = io::BufWriter::new(std::fs::File::create(path)?);
        write(&mut w)?;
        return w.flush();
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".leakhound-").tempfile_in(dir)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        write(&mut w)?;
        w.flush()?;
    }
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The process's umask, as `/proc/self/status` tells it (022 where it cannot be read).
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .unwrap_or(0o022)
}

/// Whether `path` is to be written in place: it is under `/dev` or `/proc` as given
/// (`/dev/stdout`), or is itself (not through a link) a device or FIFO.
fn writes_in_place(path: &Path) -> bool {
    let pseudo = |p: &Path| ["/dev", "/proc"].iter().any(|d| p.starts_with(d));
    if pseudo(path) {
        return true;
    }
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| !m.file_type().is_symlink() && !m.is_file() && !m.is_dir())
}

/// Whether anything is at `path`, a dangling symlink included (nothing is followed).
pub(crate) fn exists_no_follow(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `dir` is the top of a git work tree: it holds a `.git` directory with a `HEAD`, or a
/// `.git` file that points elsewhere (`gitdir: ...`, a worktree or submodule). An empty or stray
/// `.git` entry does not make a repository.
pub(crate) fn is_repo_root(dir: &Path) -> bool {
    let dot_git = dir.join(".git");
    match std::fs::symlink_metadata(&dot_git) {
        Ok(m) if m.is_dir() => dot_git.join("HEAD").is_file(),
        Ok(m) if m.is_file() => {
            read_text(&dot_git, Trust::Content, 4096).is_ok_and(|text| text.starts_with("gitdir: "))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_special_files_links_and_oversized_ones() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ok.toml"), "a = 1\n").unwrap();
        assert_eq!(read_text(&d.join("ok.toml"), Trust::Content, 100).unwrap(), "a = 1\n");
        assert!(read_text(&d.join("ok.toml"), Trust::Content, 3)
            .unwrap_err()
            .contains("more than"));
        std::os::unix::fs::symlink("/dev/zero", d.join("zero")).unwrap();
        let e = read_text(&d.join("zero"), Trust::Repository, 100).unwrap_err();
        assert!(e.contains("symbolic link to /dev/zero"), "{e}");
        std::os::unix::fs::symlink(d.join("ok.toml"), d.join("link")).unwrap();
        assert!(read_text(&d.join("link"), Trust::Content, 100)
            .unwrap_err()
            .contains("not followed"));
        assert!(read_text(&d.join("link"), Trust::Repository, 100).is_ok());
        let made = std::process::Command::new("mkfifo").arg(d.join("pipe")).status().unwrap();
        assert!(made.success());
        assert!(read_text(&d.join("pipe"), Trust::Repository, 100).unwrap_err().contains("FIFO"));
    }

    #[test]
    fn writes_replace_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink(d.join("victim"), d.join("report.txt")).unwrap();
        write_replacing(&d.join("report.txt"), |w| w.write_all(b"report")).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("victim")).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(d.join("report.txt")).unwrap(), "report");
        assert!(!std::fs::symlink_metadata(d.join("report.txt")).unwrap().is_symlink());
        // Paths under /dev are written to, not replaced; a link to a device is replaced.
        write_replacing(Path::new("/dev/null"), |w| w.write_all(b"x")).unwrap();
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
        assert!(writes_in_place(Path::new("/dev/stdout")));
        std::os::unix::fs::symlink("/dev/null", d.join("sink")).unwrap();
        assert!(!writes_in_place(&d.join("sink")));
        write_replacing(&d.join("sink"), |w| w.write_all(b"x")).unwrap();
        assert!(std::fs::symlink_metadata(d.join("sink")).unwrap().is_file());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("sink")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask());
    }
}
