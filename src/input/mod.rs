//! Enumerating what to scan on the file system: [`walk`] lists the files of directory trees
//! (git content is listed by `crate::git::walk`). This module never reads file contents.

pub(crate) mod walk;
