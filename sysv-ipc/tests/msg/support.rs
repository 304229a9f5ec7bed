//! Helpers shared by the message-queue integration tests.
#![allow(dead_code)]

use std::time::Duration;

use sysv_ipc::{ErrorKind, MessageQueue, MessageQueueOptions, RemoveOnDrop};

/// A new queue under a test key (`0x1C5A_xxxx`), removed when the guard drops.
pub(crate) fn new_queue() -> RemoveOnDrop<MessageQueue> {
    new_queue_with(&MessageQueue::options())
}

/// Like [`new_queue`], with these options (creation is forced exclusive).
pub(crate) fn new_queue_with(options: &MessageQueueOptions) -> RemoveOnDrop<MessageQueue> {
    let mut options = options.clone();
    options.create_new(true);
    loop {
        match options.open(testkit::unique_key()) {
            Ok(q) => return q.remove_on_drop(),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("cannot create a test queue: {e}"),
        }
    }
}

/// A test key that no queue uses right now.
pub(crate) fn unused_key() -> i32 {
    loop {
        let k = testkit::unique_key();
        match MessageQueue::open(k) {
            Err(e) if e.kind() == ErrorKind::NotFound => return k,
            _ => continue,
        }
    }
}

/// Removes the queue with `key` (if any) when it drops.
pub(crate) struct KeyGuard(pub(crate) i32);

impl Drop for KeyGuard {
    fn drop(&mut self) {
        if let Ok(q) = MessageQueue::open(self.0) {
            let _ = q.remove();
        }
    }
}

/// The calling thread's kernel thread id.
pub(crate) fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Waits (up to 10 s) until thread `tid` of process `pid` sleeps in `msgrcv`
/// or `msgsnd`, as its `wchan` shows. Returns false where `wchan` is not
/// readable (the caller then only knows the thread is about to block).
pub(crate) fn wait_blocked_in_msg(pid: u32, tid: i32) -> bool {
    let path = format!("/proc/{pid}/task/{tid}/wchan");
    testkit::eventually(Duration::from_secs(10), || {
        std::fs::read_to_string(&path).is_ok_and(|w| w.contains("msg"))
    })
}
