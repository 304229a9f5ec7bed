//! Creating POSIX test objects under fresh test names.
//!
//! testkit cannot depend on `posix-ipc` (the crate dev-depends on testkit, and
//! a cycle would build two copies of it), so this is the generic half: the
//! typed half, which knows the handle, its error and its `UnlinkOnDrop`
//! guard, lives in each test binary's support module.

use std::fmt::Debug;

/// Calls `create` with fresh test names (`/ipcrs-<tag>-…`, see
/// [`unique_name`](crate::unique_name)) until it succeeds, drawing another
/// name while `is_taken` says the error means the name exists already.
///
/// # Panics
///
/// On any other error (a test object that cannot be created is a broken
/// test), and after 16 taken names in a row.
///
/// ```
/// let mut taken = 2;
/// let name = testkit::posix::create_with_retry(
///     "doc",
///     |name| if taken > 0 { taken -= 1; Err("taken") } else { Ok(name.to_owned()) },
///     |e| *e == "taken",
/// );
/// assert!(name.starts_with("/ipcrs-doc-"));
/// ```
pub fn create_with_retry<T, E: Debug>(
    tag: &str,
    mut create: impl FnMut(&str) -> Result<T, E>,
    is_taken: impl Fn(&E) -> bool,
) -> T {
    crate::create_fresh(
        "object",
        || crate::unique_name(tag),
        |name: &String| create(name),
        is_taken,
    )
}
