//! Reading git blob contents into a worker's reused buffer.

use gix::objs::FindExt;
use gix::ObjectId;

/// Reads blob `id` into `buf`.
///
/// # Errors
/// The object is missing, corrupt or not a blob; the message names the object.
pub fn read_blob<'b>(
    repo: &gix::Repository,
    id: &ObjectId,
    buf: &'b mut Vec<u8>,
) -> Result<&'b [u8], String> {
    match repo.objects.find_blob(id, buf) {
        Ok(blob) => Ok(blob.data),
        Err(e) => Err(format!("object {id}: {e:#}")),
    }
}
