//! Helpers shared by the message-queue tests: the test name, and test queues
//! that unlink themselves (the library's `UnlinkOnDrop`), also when a test
//! fails.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
pub(crate) use common::*;

use posix_ipc::{ErrorKind, MessageQueue, MessageQueueOptions, UnlinkOnDrop};

/// A queue that is unlinked when the test ends.
pub(crate) type Queue = UnlinkOnDrop<MessageQueue>;

/// A fresh test name (`/ipcrs-mq-…`); nothing is created. A test that
/// creates a queue under it wraps the handle with `unlink_on_drop()`.
pub(crate) fn fresh_name() -> String {
    testkit::unique_name("mq")
}

/// Creates a new queue with `options` under a fresh test name (exclusively,
/// drawing another name if one is taken).
pub(crate) fn create(options: &MessageQueueOptions) -> Queue {
    let mut options = options.clone();
    options.create_new(true);
    testkit::create_with_retry(
        "mq",
        |name| options.open(name),
        |e| e.kind() == ErrorKind::AlreadyExists,
    )
    .unlink_on_drop()
}

/// posix_ipc's test fixture: a new queue of 10 messages of 10 bytes.
pub(crate) fn fixture() -> Queue {
    sized(10, 10)
}

/// A new queue of `n` messages of `size` bytes under a test name.
pub(crate) fn sized(n: usize, size: usize) -> Queue {
    create(
        MessageQueue::options()
            .max_messages(n)
            .max_message_size(size),
    )
}

/// A queue made by `create_unique` (named `/pipc_...`).
pub(crate) fn unique(n: usize, size: usize) -> Queue {
    MessageQueue::options()
        .max_messages(n)
        .max_message_size(size)
        .create_unique()
        .expect("create unique queue")
        .unlink_on_drop()
}
