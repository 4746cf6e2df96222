//! leakhound finds credentials in files, directories and git history.
//!
//! Data flows one way through the modules:
//!
//! `input` and `git` (what to scan, with its [`provenance`]) → `source` (bytes: read or mmap)
//! → [`detect`] (the one stage every item goes through: skip policy, then [`engine`]: one
//! Aho-Corasick keyword pass, each hit rule's regex over a window around its hits, entropy and
//! checksum; then `filter`: path scopes, inline markers, allowlists, baselines) → [`finding`]
//! (location, fingerprint, redaction) → `report` (human, JSON, JSON Lines, SARIF).
//!
//! [`app`] wires the stages together; rules are compiled once into an immutable
//! [`detect::Detector`] and every worker thread keeps its own [`engine::Scratch`].
#![deny(unsafe_code)]

pub mod app;
pub mod check;
pub mod cli;
pub(crate) mod config;
pub mod detect;
pub(crate) mod diag;
pub mod engine;
pub(crate) mod files;
pub(crate) mod filter;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod git;
pub(crate) mod group;
pub(crate) mod input;
pub mod provenance;
pub(crate) mod report;
pub mod rules;
pub mod source;

pub use report::Format;

#[doc(hidden)]
pub use diag::escape_but;
