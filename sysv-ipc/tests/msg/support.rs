//! What the message queue tests share: queues under this project's test
//! keys, removed by the library's [`RemoveOnDrop`] even when a test fails,
//! keys no queue has, and a way to see a thread blocked in the kernel.
#![allow(dead_code)] // each module (and the every_kind binary) uses a subset

use std::time::Duration;

use sysv_ipc::{ErrorKind, Key, MessageQueue, MessageQueueOptions, RemoveOnDrop};
use testkit::sysv::UnusedKey;

/// A new queue under a test key, removed when the guard drops.
pub(crate) fn new_queue() -> RemoveOnDrop<MessageQueue> {
    new_queue_with(&MessageQueue::options())
}

/// Like [`new_queue`], with these options (creation is forced exclusive).
pub(crate) fn new_queue_with(options: &MessageQueueOptions) -> RemoveOnDrop<MessageQueue> {
    let mut options = options.clone();
    options.create_new(true);
    testkit::sysv::with_test_key(
        "queue",
        |k| options.open(k),
        |e| e.kind() == ErrorKind::AlreadyExists,
    )
    .remove_on_drop()
}

/// A test key that no queue has now, with the guard that removes whatever
/// queue the test then makes under it.
pub(crate) fn unused_key() -> (Key, UnusedKey) {
    let guard = testkit::sysv::unused_key(
        |k| matches!(MessageQueue::open(k), Err(e) if e.kind() == ErrorKind::NotFound),
        |k| drop(MessageQueue::options().mode(0).open(k).map(|q| q.remove())),
    );
    (Key::new(guard.key()), guard)
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
