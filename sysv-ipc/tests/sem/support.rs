//! Helpers shared by the semaphore test files: objects under this project's
//! test keys, removed by a guard even when a test fails.
#![allow(dead_code)] // each test file uses a subset

use std::time::Duration;

use sysv_ipc::{ErrorKind, Key, Semaphore, SemaphoreSet};

/// How long a child process may take before the test fails.
pub(crate) const CHILD_LIMIT: Duration = Duration::from_secs(30);

/// Removes the semaphore set with this id when dropped (test cleanup).
#[derive(Debug)]
pub(crate) struct Cleanup(pub i32);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = sysv_ipc::remove_semaphore(self.0);
    }
}

/// Removes whatever semaphore set has this key when dropped, for objects a
/// test expects NOT to exist (or that a child process creates).
#[derive(Debug)]
pub(crate) struct CleanupKey(pub Key);

impl Drop for CleanupKey {
    fn drop(&mut self) {
        if let Ok(s) = sysv_ipc::SemaphoreSet::options().mode(0).open(self.0) {
            let _ = s.remove();
        }
    }
}

/// A test key that no semaphore set uses right now, with its cleanup guard.
pub(crate) fn free_key() -> (Key, CleanupKey) {
    loop {
        let key = Key::new(testkit::unique_key());
        match SemaphoreSet::options().mode(0).open(key) {
            Err(e) if e.kind() == ErrorKind::NotFound => return (key, CleanupKey(key)),
            _ => continue,
        }
    }
}

/// A new semaphore under a test key, holding `initial`.
pub(crate) fn new_sem(initial: u16) -> (Semaphore, Cleanup) {
    loop {
        let key = Key::new(testkit::unique_key());
        match Semaphore::create_new(key, initial) {
            Ok(s) => {
                let c = Cleanup(s.id());
                return (s, c);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("creating a test semaphore: {e}"),
        }
    }
}

/// A new semaphore set under a test key with these initial values.
pub(crate) fn new_set(values: &[u16]) -> (SemaphoreSet, Cleanup) {
    let len = u16::try_from(values.len()).unwrap();
    loop {
        let key = Key::new(testkit::unique_key());
        let r = SemaphoreSet::options()
            .create_new(true)
            .len(len)
            .initial_values(values)
            .open(key);
        match r {
            Ok(s) => {
                let c = Cleanup(s.id());
                return (s, c);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("creating a test semaphore set: {e}"),
        }
    }
}

/// Waits (at most 10 s) until `cond` holds; panics with `what` otherwise.
pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    assert!(
        testkit::eventually(Duration::from_secs(10), &mut cond),
        "timed out waiting for {what}"
    );
}

/// Drops this (child) process to the unprivileged user and group 65534
/// ("nobody"), with no supplementary groups.
pub(crate) fn become_nobody() {
    // SAFETY: plain credential-changing system calls in a single-purpose child
    // process; the results are checked.
    unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
        assert_eq!(libc::setgid(65534), 0, "setgid");
        assert_eq!(libc::setuid(65534), 0, "setuid");
        assert_eq!(libc::geteuid(), 65534);
    }
}
