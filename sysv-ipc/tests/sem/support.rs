//! What the semaphore tests share: semaphores and sets under this project's
//! test keys, removed by the library's [`RemoveOnDrop`] even when a test
//! fails, and keys no set has.
#![allow(dead_code)] // each module (and the every_kind binary) uses a subset

use std::time::Duration;

use sysv_ipc::{Error, ErrorKind, Key, RemoveOnDrop, Semaphore, SemaphoreSet};
use testkit::sysv::UnusedKey;

/// How long a child process may take before the test fails.
pub(crate) const CHILD_LIMIT: Duration = Duration::from_secs(30);

fn taken(e: &Error) -> bool {
    e.kind() == ErrorKind::AlreadyExists
}

/// A test key that no semaphore set has now, with the guard that removes
/// whatever set the test then makes under it.
pub(crate) fn unused_key() -> (Key, UnusedKey) {
    fn open(k: i32) -> sysv_ipc::Result<SemaphoreSet> {
        SemaphoreSet::options().mode(0).open(k)
    }
    let guard = testkit::sysv::unused_key(
        |k| matches!(open(k), Err(e) if e.kind() == ErrorKind::NotFound),
        |k| drop(open(k).map(|s| s.remove())),
    );
    (Key::new(guard.key()), guard)
}

/// A new semaphore under a test key, holding `initial`.
pub(crate) fn new_sem(initial: u16) -> RemoveOnDrop<Semaphore> {
    testkit::sysv::with_test_key("semaphore", |k| Semaphore::create_new(k, initial), taken)
        .remove_on_drop()
}

/// A new semaphore set under a test key with these initial values.
pub(crate) fn new_set(values: &[u16]) -> RemoveOnDrop<SemaphoreSet> {
    let len = u16::try_from(values.len()).unwrap();
    let options = SemaphoreSet::options()
        .create_new(true)
        .len(len)
        .initial_values(values)
        .clone();
    testkit::sysv::with_test_key("semaphore set", |k| options.open(k), taken).remove_on_drop()
}

/// Waits (at most 10 s) until `cond` holds; panics with `what` otherwise.
pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    assert!(
        testkit::eventually(Duration::from_secs(10), &mut cond),
        "timed out waiting for {what}"
    );
}
