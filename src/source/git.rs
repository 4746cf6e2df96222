//! Reading git blob contents, through a worker's own object reader.

use crate::odb::{Data, Objects};
use gix::objs::Kind;
use gix::ObjectId;

/// Reads blob `id`.
///
/// # Errors
/// The object is missing, corrupt or not a blob; the message names the object.
pub fn read_blob(objects: &mut Objects<'_>, id: &ObjectId) -> Result<Data, String> {
    objects.read_as(id, Kind::Blob)
}
