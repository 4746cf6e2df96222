//! A parallel directory walk over the `ignore` crate: `.gitignore`/`.ignore` aware, hidden files
//! included (`.env`, `.npmrc`), `.git/` and default exclusions pruned, symlinks not followed
//! unless asked.

use globset::GlobSet;
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What to walk and how.
#[derive(Clone, Debug)]
pub(crate) struct WalkOptions {
    /// Roots: directories or files.
    pub(crate) roots: Vec<PathBuf>,
    /// Worker threads.
    pub(crate) threads: usize,
    /// Ignore `.gitignore`, `.ignore` and git exclude files.
    pub(crate) no_ignore: bool,
    /// Follow symbolic links.
    pub(crate) follow: bool,
    /// Default exclusions, matched against report paths; `None` for none.
    pub(crate) excludes: Option<Arc<GlobSet>>,
    /// Report paths of files under a root: `(root as given, prefix)` makes
    /// `root/sub/file` appear as `prefix/sub/file` (the repository-relative path), so that
    /// reports, globs and fingerprints do not depend on how the root was spelled.
    pub(crate) rebase: Vec<(PathBuf, String)>,
}

impl WalkOptions {
    /// The report path of `path`.
    pub(crate) fn report_path(&self, path: &Path) -> String {
        for (root, prefix) in &self.rebase {
            if let Ok(rest) = path.strip_prefix(root) {
                let rest = display_path(rest);
                return match (prefix.is_empty(), rest.is_empty()) {
                    (true, _) => rest,
                    (false, true) => prefix.clone(),
                    (false, false) => format!("{prefix}/{rest}"),
                };
            }
        }
        display_path(path)
    }
}

/// The roots of a scan, checked and resolved.
pub(crate) struct Roots {
    /// Roots to walk.
    pub(crate) roots: Vec<PathBuf>,
    /// See [`WalkOptions::rebase`].
    pub(crate) rebase: Vec<(PathBuf, String)>,
    /// The top of the work tree the first root in a repository lies in: what report paths are
    /// relative to.
    pub(crate) srcroot: Option<PathBuf>,
    /// One message per root that does not exist (not walked).
    pub(crate) missing: Vec<String>,
}

/// Checks and resolves the roots the user named: a root that does not exist is reported once
/// and not walked; a symlink to a directory is followed (the user named it); a root inside a
/// git work tree reports its files relative to the top of the work tree.
pub(crate) fn resolve_roots(paths: &[PathBuf]) -> Roots {
    let mut out =
        Roots { roots: Vec::new(), rebase: Vec::new(), srcroot: None, missing: Vec::new() };
    for r in paths {
        let meta = match std::fs::symlink_metadata(r) {
            Ok(m) => m,
            Err(e) => {
                out.missing.push(format!("{}: {e}", r.display()));
                continue;
            }
        };
        // A trailing slash makes the walk enter a linked directory.
        let root = if meta.is_symlink() && std::fs::metadata(r).is_ok_and(|m| m.is_dir()) {
            let mut s = r.clone().into_os_string();
            s.push("/");
            PathBuf::from(s)
        } else {
            r.clone()
        };
        if let Some((given, rel, top)) = repo_relative(&root) {
            out.rebase.push((given, rel));
            out.srcroot.get_or_insert(top);
        }
        out.roots.push(root);
    }
    out
}

/// For a root inside a git work tree: the root as given and its path relative to the top of
/// the work tree (see [`WalkOptions::rebase`]). `None` outside a repository.
fn repo_relative(root: &Path) -> Option<(PathBuf, String, PathBuf)> {
    let canonical = std::fs::canonicalize(root).ok()?;
    let top = canonical.ancestors().find(|d| d.join(".git").exists())?;
    let rel = canonical.strip_prefix(top).ok()?;
    Some((root.to_path_buf(), display_path(rel), top.to_path_buf()))
}

/// One thing the walk found.
#[derive(Debug)]
pub(crate) enum Event {
    /// A regular file to scan, with its report path.
    File {
        /// Path to open.
        path: PathBuf,
        /// Path to report (no leading `./`, `/` separators).
        display: String,
    },
    /// A FIFO, socket or device: never opened (reading a FIFO would block forever).
    Special(String),
    /// The walk could not read a directory entry, or found a symlink loop.
    Error {
        /// Message naming the path.
        message: String,
        /// Whether the problem is a loop (a note, not a read failure).
        is_loop: bool,
    },
}

/// The report form of a walked path: no leading `./`, `/` separators, lossy for non-UTF-8.
pub(crate) fn display_path(path: &Path) -> String {
    let p = path.strip_prefix("./").unwrap_or(path);
    let s = p.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// Walks `opts.roots` on `opts.threads` threads. `make_visitor` is called once per thread;
/// the visitor it returns gets every [`Event`] of that thread. Returns the number of paths pruned
/// by the default exclusions.
pub(crate) fn walk<'s, F>(opts: &WalkOptions, mut make_visitor: F) -> usize
where
    F: FnMut() -> Box<dyn FnMut(Event) + Send + 's>,
{
    let Some((first, rest)) = opts.roots.split_first() else { return 0 };
    let mut b = WalkBuilder::new(first);
    for r in rest {
        b.add(r);
    }
    let respect = !opts.no_ignore;
    b.threads(opts.threads)
        .hidden(false)
        .ignore(respect)
        .git_ignore(respect)
        .git_exclude(respect)
        .git_global(false)
        .parents(respect)
        .require_git(false)
        .follow_links(opts.follow);
    let excluded = Arc::new(AtomicUsize::new(0));
    {
        let excluded = excluded.clone();
        let excludes = opts.excludes.clone();
        let opts_for_filter = opts.clone();
        b.filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if is_dir && e.file_name() == ".git" {
                return false;
            }
            if e.depth() == 0 {
                return true; // what the user named explicitly is always scanned
            }
            if let Some(ex) = &excludes {
                let display = opts_for_filter.report_path(e.path());
                // Directories are tested as if they held a file, so `**/node_modules/**`
                // prunes the whole tree without visiting it.
                let probe = if is_dir { format!("{display}/_") } else { display };
                if ex.is_match(&probe) {
                    excluded.fetch_add(1, Ordering::Relaxed);
                    return false;
                }
            }
            true
        });
    }
    b.build_parallel().run(|| {
        let mut visit = make_visitor();
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    let Some(ft) = e.file_type() else { return WalkState::Continue };
                    if ft.is_dir() {
                        return WalkState::Continue;
                    }
                    if ft.is_file() {
                        let display = opts.report_path(e.path());
                        visit(Event::File { path: e.into_path(), display });
                    } else if ft.is_symlink() {
                        // Not following links: a link is neither scanned nor an error, unless
                        // the user named it (a root), which is followed to a file.
                        if e.depth() == 0 && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file())
                        {
                            let display = opts.report_path(e.path());
                            visit(Event::File { path: e.into_path(), display });
                        }
                    } else {
                        visit(Event::Special(opts.report_path(e.path())));
                    }
                }
                Err(err) => {
                    let is_loop = is_loop(&err);
                    visit(Event::Error { message: err.to_string(), is_loop });
                }
            }
            WalkState::Continue
        })
    });
    excluded.load(Ordering::Relaxed)
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().all(is_loop),
        _ => false,
    }
}
