//! Async send/receive on tokio's readiness (feature `tokio`).
#![cfg(feature = "tokio")]

use std::sync::Arc;
use std::time::Duration;

use crate::support::sized;
use posix_ipc::{ErrorKind, MessageQueue, Timeout};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn send_then_receive() {
    let q = sized(4, 16);
    let q = q.into_async().unwrap();
    assert!(
        !q.get_ref().block().unwrap(),
        "the descriptor is non-blocking"
    );
    q.send(b"one", 1).await.unwrap();
    q.send(b"two", 2).await.unwrap();
    let mut buf = [0u8; 16];
    let (n, p) = q.receive(&mut buf).await.unwrap();
    assert_eq!((&buf[..n], p), (&b"two"[..], 2));
    assert_eq!(q.receive_vec().await.unwrap(), (b"one".to_vec(), 1));
}

#[tokio::test]
async fn receive_waits_for_a_later_send() {
    let q = sized(4, 16);
    let q = Arc::new(q.into_async().unwrap());
    let sender = {
        let q = Arc::clone(&q);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            q.send(b"late", 3).await
        })
    };
    let got = tokio::time::timeout(LIMIT, q.receive_vec())
        .await
        .expect("woken by the send")
        .unwrap();
    assert_eq!(got, (b"late".to_vec(), 3));
    sender.await.unwrap().unwrap();
}

#[tokio::test]
async fn send_waits_while_the_queue_is_full() {
    let q = sized(1, 8);
    let q = Arc::new(q.into_async().unwrap());
    q.send(b"first", 0).await.unwrap();
    let blocked = {
        let q = Arc::clone(&q);
        tokio::spawn(async move { q.send(b"second", 0).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!blocked.is_finished(), "the queue is full");
    assert_eq!(q.receive_vec().await.unwrap().0, b"first");
    tokio::time::timeout(LIMIT, blocked)
        .await
        .expect("woken by the receive")
        .unwrap()
        .unwrap();
    assert_eq!(q.receive_vec().await.unwrap().0, b"second");
}

#[tokio::test]
async fn many_messages_through_a_small_queue() {
    // A task and a blocking thread in both directions: every wait is a
    // readiness wait woken by the other side.
    let q = sized(4, 8);
    let blocking = MessageQueue::open(q.name().unwrap()).unwrap();
    let q = Arc::new(q.into_async().unwrap());
    let producer = {
        let q = Arc::clone(&q);
        tokio::spawn(async move {
            for i in 0..2000u32 {
                q.send(&i.to_le_bytes(), 0).await.unwrap();
            }
        })
    };
    let mut buf = [0u8; 8];
    for i in 0..2000u32 {
        let (n, _) = tokio::time::timeout(LIMIT, q.receive(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], i.to_le_bytes());
    }
    producer.await.unwrap();
    let thread = std::thread::spawn(move || {
        for i in 0..2000u32 {
            blocking.send(&i.to_le_bytes(), 1).unwrap();
        }
    });
    for i in 0..2000u32 {
        let (n, p) = tokio::time::timeout(LIMIT, q.receive(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((&buf[..n], p), (&i.to_le_bytes()[..], 1));
    }
    thread.join().unwrap();
}

#[tokio::test]
async fn input_errors_return_at_once() {
    let q = sized(1, 4);
    let q = q.into_async().unwrap();
    let e = q.send(b"12345", 0).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = q.send(b"", u32::MAX).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = q.receive(&mut [0u8; 3]).await.unwrap_err();
    assert!(e.message().contains("at least 4 bytes"), "{e}");
    let reader = MessageQueue::options()
        .write(false)
        .open(q.get_ref().name().unwrap())
        .unwrap()
        .into_async()
        .unwrap();
    assert!(reader.send(b"x", 0).await.unwrap_err().is_permissions());
}

#[tokio::test]
async fn receive_from_another_process() {
    if let Some(args) = testkit::child_args("tokio::receive_from_another_process") {
        let q = MessageQueue::options()
            .read(false)
            .open(args[0].as_str())
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        for i in 0..100u32 {
            q.send_timeout(&i.to_le_bytes(), i % 3, Timeout::After(LIMIT))
                .unwrap();
        }
        return;
    }
    let q = sized(2, 8);
    let name = q.name().unwrap().to_string();
    let q = q.into_async().unwrap();
    let child = testkit::spawn_child("tokio::receive_from_another_process", &[&name]);
    let mut seen = Vec::new();
    let mut buf = [0u8; 8];
    while seen.len() < 100 {
        let (n, p) = tokio::time::timeout(LIMIT, q.receive(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let i = u32::from_le_bytes(buf[..n].try_into().unwrap());
        assert_eq!(p, i % 3);
        seen.push(i);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());
    tokio::task::spawn_blocking(move || child.wait_success(LIMIT))
        .await
        .unwrap();
}

#[tokio::test]
async fn into_inner_gives_the_queue_back() {
    // Out of the guard for the round trip, back in it afterwards.
    let q = sized(1, 8).into_inner();
    let q = q.into_async().unwrap().into_inner().unlink_on_drop();
    assert!(q.receive_vec().unwrap_err().is_busy());
    q.set_block(true).unwrap();
    assert!(q.block().unwrap());
}

/// Whether the open file description behind `fd` is non-blocking.
fn is_nonblocking(fd: std::os::fd::RawFd) -> bool {
    // SAFETY: F_GETFL only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "fcntl(F_GETFL)");
    flags & libc::O_NONBLOCK != 0
}

/// A duplicate of the queue's descriptor: it shares the open file
/// description, so it shows whether `into_async` switched it to non-blocking
/// after the queue itself is gone.
fn dup_of(q: &MessageQueue) -> std::os::fd::OwnedFd {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: dup of a live descriptor; the new one is owned by the result.
    let fd = unsafe { libc::dup(q.as_raw_fd()) };
    assert!(fd >= 0, "dup");
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }
}

/// Outside a runtime, `into_async` used to switch the queue to non-blocking
/// and then panic in tokio. Now: a typed error first, nothing switched.
#[test]
fn into_async_outside_a_runtime_is_an_error() {
    use std::os::fd::AsRawFd;
    let q = sized(4, 16);
    let dup = dup_of(&q);
    let e = q.into_async().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    assert!(e.message().contains("no tokio runtime"), "{e}");
    assert!(!is_nonblocking(dup.as_raw_fd()), "left blocking");
}

/// In a runtime without an I/O driver tokio's registration panics: caught and
/// returned as an error, the queue left blocking.
#[test]
fn into_async_in_a_runtime_without_io_is_an_error() {
    use std::os::fd::AsRawFd;
    let q = sized(4, 16);
    let dup = dup_of(&q);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let e = rt.block_on(async { q.into_async() }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    assert!(e.message().contains("enable_io()"), "{e}");
    assert!(!is_nonblocking(dup.as_raw_fd()), "left blocking");
}

/// Polls `fut` once, with the task's own context, and returns the result.
async fn poll_once<F: std::future::Future + Unpin>(fut: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *fut).poll(cx))).await
}

#[tokio::test]
async fn a_cancelled_receive_loses_no_message() {
    let q = sized(4, 16);
    let other = MessageQueue::open(q.name().unwrap()).unwrap();
    let q = q.into_async().unwrap();
    let mut buf = [0u8; 16];
    // Cancelled by a timeout while the queue is empty.
    let timed_out = tokio::time::timeout(Duration::from_millis(20), q.receive(&mut buf)).await;
    assert!(timed_out.is_err());
    // The hard case: the future waits, a message arrives and wakes it, and
    // the future is dropped before it is polled again.
    let mut waiting = Box::pin(q.receive(&mut buf));
    assert!(poll_once(&mut waiting).await.is_pending());
    other.send(b"survives", 5).unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await; // the reactor sees it
    drop(waiting);
    assert_eq!(other.current_messages().unwrap(), 1, "still queued");
    assert_eq!(q.receive_vec().await.unwrap(), (b"survives".to_vec(), 5));
}

#[tokio::test]
async fn a_cancelled_send_sends_nothing() {
    let q = sized(1, 8);
    let q = q.into_async().unwrap();
    q.send(b"fills", 0).await.unwrap();
    let mut blocked = Box::pin(q.send(b"dropped", 1));
    assert!(
        poll_once(&mut blocked).await.is_pending(),
        "the queue is full"
    );
    drop(blocked);
    assert_eq!(q.receive_vec().await.unwrap(), (b"fills".to_vec(), 0));
    assert!(
        q.get_ref()
            .receive_vec_timeout(Timeout::Immediate)
            .unwrap_err()
            .is_busy(),
        "the cancelled send never happened"
    );
}

// ---- What each method of AsyncMessageQueue documents ----

#[tokio::test]
async fn new_makes_the_descriptor_non_blocking() {
    let q = sized(1, 8).into_inner();
    let q = posix_ipc::AsyncMessageQueue::new(q).unwrap();
    assert!(!q.get_ref().block().unwrap());
    q.get_ref().unlink().unwrap();
}

#[tokio::test]
async fn send_checks_like_the_blocking_send() {
    let q = sized(1, 4).into_async().unwrap();
    q.send(b"abcd", 0).await.unwrap();
    assert!(q.send(b"abcde", 0).await.unwrap_err().is_invalid_input());
}

#[tokio::test]
async fn receive_vec_returns_the_message() {
    let q = sized(1, 8).into_async().unwrap();
    q.send(b"vec", 2).await.unwrap();
    assert_eq!(q.receive_vec().await.unwrap(), (b"vec".to_vec(), 2));
}

#[tokio::test]
async fn get_ref_reaches_the_other_methods() {
    let q = sized(1, 8).into_async().unwrap();
    assert_eq!(q.get_ref().current_messages().unwrap(), 0);
}

#[tokio::test]
async fn descriptors_are_the_queue_s() {
    use std::os::fd::{AsFd, AsRawFd};
    let q = sized(1, 8).into_async().unwrap();
    assert_eq!(q.as_fd().as_raw_fd(), q.get_ref().as_raw_fd());
    assert!(q.as_raw_fd() >= 0);
}

#[tokio::test]
async fn into_async_of_a_bare_queue_sends() {
    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()
        .unwrap();
    let q = q.into_async().unwrap();
    q.send(b"x", 0).await.unwrap();
    q.get_ref().unlink().unwrap();
}
