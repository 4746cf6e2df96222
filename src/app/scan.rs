//! `leakhound scan`: standard input and a parallel directory walk, each file handed to the
//! detect stage by the walk thread that found it (one [`Worker`] per walk thread, as ripgrep's
//! `search_parallel` does).

use super::plan::{Plan, ScanPlan};
use super::{finish, load, Ending};
use crate::detect::{Bytes, Item, Stage, Worker};
use crate::diag::Level;
use crate::engine::Compile;
use crate::filter::glob_set;
use crate::input::walk::{self, Event, WalkOptions};
use crate::provenance::Provenance;
use anyhow::Result;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub(super) fn run(plan: &Plan, scan: &ScanPlan, started: Instant) -> Result<u8> {
    let discover_from = scan.roots.first().map_or(Path::new("."), |p| p.as_path());
    let loaded = load(plan, Some(discover_from), Compile::Lazy, None)?;
    // Default exclusions and the config's excluded paths are never read at all.
    let mut globs: Vec<String> = loaded.excluded_paths.clone();
    if scan.default_excludes {
        globs.extend(loaded.default_excludes.iter().cloned());
    }
    let excludes = if globs.is_empty() {
        None
    } else {
        Some(Arc::new(glob_set(&globs).map_err(anyhow::Error::msg)?))
    };
    let stage = Stage::new(&loaded.detector, plan.policy, plan.detect);
    if scan.stdin {
        stage.worker().scan(Item::new(Bytes::Stdin, Provenance::Stdin));
    }
    let roots = walk::resolve_roots(&scan.roots);
    for message in &roots.missing {
        stage.error(message.clone());
    }
    let opts = WalkOptions {
        roots: roots.roots,
        threads: plan.threads,
        no_ignore: scan.no_ignore,
        follow: scan.follow,
        excludes,
        rebase: roots.rebase,
        named_files: Arc::new(roots.named_files),
    };
    let walked = walk::walk(&opts, || {
        let mut worker = stage.worker();
        Box::new(move |event| visit(&mut worker, event))
    });
    stage.excluded(walked.excluded as u64);
    for problem in walked.unsafe_ignore_files {
        stage.diags().push(
            Level::Warning,
            format!("{problem}: not read; its directory was scanned without ignore rules"),
        );
    }
    let end = Ending {
        notes: &loaded.notes,
        report_unused: true,
        started,
        category: "scan",
        checkout: None,
    };
    finish(plan, stage, &end)
}

/// One event of the walk, on the walk thread that found it.
fn visit(worker: &mut Worker<'_, '_>, event: Event) {
    match event {
        Event::File { path, display } => {
            worker.scan(Item::new(Bytes::File(&path), Provenance::File { path: display.into() }));
        }
        Event::Special(path) => worker.stage().special(&path),
        Event::Error { message, is_loop: true } => {
            worker.stage().diags().push(Level::Note, message);
        }
        Event::Error { message, is_loop: false } => worker.stage().error(message),
    }
}
