//! Enumerating what to scan. [`walk`] lists the files of directory trees; this module never
//! reads file contents.

pub mod git;
pub mod walk;
