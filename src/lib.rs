//! leakhound finds credentials in files, directories and git history.
//!
//! Data flows one way through the modules:
//!
//! `input` (what to scan) → `source` (bytes: read or mmap) → `engine` (one Aho-Corasick
//! keyword pass, then each hit rule's regex over a window around its hits, entropy and
//! checksum) → `filter` (path scopes, allowlists) → `finding` (location, fingerprint,
//! redaction) → `report` (human, JSON, JSON Lines, SARIF).
//!
//! `app` wires the stages together; rules are compiled once into an immutable
//! [`engine::CompiledRules`] and every worker thread keeps its own [`engine::Scratch`].
#![deny(unsafe_code)]

pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod diag;
pub mod engine;
pub mod filter;
pub mod finding;
pub mod input;
pub mod odb;
pub mod report;
pub mod rules;
pub mod source;
