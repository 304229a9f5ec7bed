//! Helpers of the shared memory tests: the test name, test objects in the
//! library's `UnlinkOnDrop`, and test patterns.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
pub(crate) use common::*;

use posix_ipc::{ErrorKind, Name, SharedMemory, SharedMemoryOptions, UnlinkOnDrop};

/// An object that is unlinked when the test ends.
pub(crate) type Shm = UnlinkOnDrop<SharedMemory>;

/// A fresh test name (`/ipcrs-shm-…`); nothing is created. A test that
/// creates an object under it wraps the handle with `unlink_on_drop()`.
pub(crate) fn fresh_name() -> Name {
    Name::new(testkit::unique_name("shm")).expect("valid test name")
}

/// Creates a new object with `options` under a fresh test name
/// (exclusively, drawing another name if one is taken).
pub(crate) fn create(options: &SharedMemoryOptions) -> Shm {
    let mut options = options.clone();
    options.create_new(true);
    testkit::create_with_retry(
        "shm",
        |name| options.open(name),
        |e| e.kind() == ErrorKind::AlreadyExists,
    )
    .unlink_on_drop()
}

/// Creates a new object of `size` bytes under a fresh test name.
pub(crate) fn fresh(size: usize) -> Shm {
    create(SharedMemory::options().size(size))
}

/// Byte `i` of the test pattern `seed`.
pub(crate) fn pattern(seed: u8, i: usize) -> u8 {
    u8::try_from(i % 251).expect("below 251") ^ seed.wrapping_mul(37)
}

/// `len` bytes of the test pattern `seed`.
pub(crate) fn pattern_vec(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| pattern(seed, i)).collect()
}

/// The page size.
pub(crate) fn page() -> usize {
    posix_ipc::limits::page_size()
}
