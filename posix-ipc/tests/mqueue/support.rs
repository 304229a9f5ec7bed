//! Helpers shared by the message-queue integration tests.
#![allow(dead_code)]

use posix_ipc::{MessageQueue, unlink_message_queue};

/// Unlinks the queue name when dropped, also when the test fails.
#[derive(Debug)]
pub(crate) struct Unlink(pub(crate) String);

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = unlink_message_queue(self.0.as_str());
    }
}

/// A fresh test name and its guard (nothing is created).
pub(crate) fn fresh_name() -> (String, Unlink) {
    let name = testkit::unique_name("mq");
    (name.clone(), Unlink(name))
}

/// posix_ipc's test fixture: a new queue of 10 messages of 10 bytes.
pub(crate) fn fixture() -> (MessageQueue, Unlink) {
    sized(10, 10)
}

/// A new queue of `n` messages of `size` bytes under a test name.
pub(crate) fn sized(n: usize, size: usize) -> (MessageQueue, Unlink) {
    let (name, guard) = fresh_name();
    let q = MessageQueue::options()
        .create_new(true)
        .max_messages(n)
        .max_message_size(size)
        .open(name.as_str())
        .expect("create test queue");
    (q, guard)
}

/// A queue made by `create_unique` (named `/pipc_...`) and its guard.
pub(crate) fn unique(n: usize, size: usize) -> (MessageQueue, Unlink) {
    let q = MessageQueue::options()
        .max_messages(n)
        .max_message_size(size)
        .create_unique()
        .expect("create unique queue");
    let guard = Unlink(q.name().unwrap().to_string());
    (q, guard)
}
