//! Integration tests: the real `leakhound` binary on real files in temp directories.
#![allow(missing_docs, unreachable_pub, clippy::unwrap_used)]

mod cli; // exit codes, formats, redaction, stdin, config errors
mod encodings; // issue 12: UTF-16 text
mod formats; // issue 13: CI report formats read back by real parsers, rule selection, man, completions
mod git; // staged, range and history scans of real repositories
mod harness; // TempTree and Cmd: run the binary, check exit code and output
mod history; // issue 10: one finding per secret, messages and tags, readable errors
mod hostile; // issue 9: hostile repositories, files, configs and outputs
mod properties; // proptest: delta scan vs whole-blob scan, delta decoding, planted secrets
mod regression; // one test per fixed bug, named after its issue
mod rules; // every built-in rule's examples through the whole pipeline
mod sarif; // SARIF reports validated against the official 2.1.0 schema
mod suppress; // config files, allowlists, inline markers, baselines, gitleaks configs
mod walk; // .gitignore, hidden files, .git/, symlinks, FIFOs, binary, big and odd files
