//! What the shared memory tests share: segments under this project's test
//! keys, removed by the library's [`RemoveOnDrop`] even when a test fails,
//! and keys no segment has.
#![allow(dead_code)] // each module (and the every_kind binary) uses a subset

use sysv_ipc::{ErrorKind, Key, RemoveOnDrop, SharedMemory, SharedMemoryOptions};
use testkit::sysv::UnusedKey;

/// A new segment made with `opts` + `create_new(true)` under a test key.
pub(crate) fn new_segment(opts: &SharedMemoryOptions) -> RemoveOnDrop<SharedMemory> {
    let mut opts = opts.clone();
    opts.create_new(true);
    testkit::sysv::with_test_key(
        "segment",
        |k| opts.open(k),
        |e| e.kind() == ErrorKind::AlreadyExists,
    )
    .remove_on_drop()
}

/// The fixture of sysv_ipc's memory tests: 3333 bytes filled with blanks.
pub(crate) fn fixture() -> RemoveOnDrop<SharedMemory> {
    new_segment(SharedMemory::options().size(3333).init_byte(b' '))
}

/// A test key that no segment has now, with the guard that removes whatever
/// segment the test then makes under it.
pub(crate) fn unused_key() -> (Key, UnusedKey) {
    let guard = testkit::sysv::unused_key(
        |k| matches!(SharedMemory::open(k), Err(e) if e.kind() == ErrorKind::NotFound),
        |k| drop(SharedMemory::options().mode(0).open(k).map(|s| s.remove())),
    );
    (Key::new(guard.key()), guard)
}

/// The test pattern: not periodic at any small stride.
pub(crate) fn pattern(i: usize) -> u8 {
    (i % 251).to_le_bytes()[0] ^ (i >> 8).to_le_bytes()[0] ^ (i >> 16).to_le_bytes()[0]
}
