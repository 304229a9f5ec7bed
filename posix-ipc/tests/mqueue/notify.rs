//! Callback notifications: cancelling, replacing, panics, and dropping a queue
//! with a pending or running callback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use crate::support::{fixture, sized};
use posix_ipc::{ErrorKind, MessageQueue, Timeout};

const QUIET: Duration = Duration::from_millis(200);

#[test]
fn cancel_stops_the_callback_and_drops_it() {
    let q = fixture();
    let alive = Arc::new(());
    let held = Arc::clone(&alive);
    let (tx, rx) = mpsc::channel::<()>();
    q.notify_callback(move || {
        let _keep = held;
        tx.send(()).unwrap();
    })
    .unwrap();
    assert_eq!(Arc::strong_count(&alive), 2);
    q.cancel_notification().unwrap();
    assert_eq!(Arc::strong_count(&alive), 1, "the callback was dropped");
    q.send(b"", 0).unwrap();
    assert!(rx.recv_timeout(QUIET).is_err());
}

/// Registers a callback that reports it started, then panics with `text`;
/// sends a message and waits until the callback has started.
fn panic_in_callback(q: &MessageQueue, text: &'static str) {
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || {
        tx.send(()).unwrap();
        std::panic::panic_any(text.to_owned());
    })
    .unwrap();
    q.send(b"", 0).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_panicking_callback_is_reported_by_the_next_registration() {
    let q = fixture();
    panic_in_callback(&q, "callback failed on purpose");
    // The panic is recorded right after it unwinds; the next registration
    // reports it instead of registering.
    let mut err = None;
    assert!(testkit::eventually(Duration::from_secs(5), || {
        match q.notify_callback(|| {}) {
            Err(e) => err = Some(e),
            // The panic may be recorded just now; cancelling reports it then.
            Ok(()) => err = q.cancel_notification().err(),
        }
        err.is_some()
    }));
    let e = err.unwrap();
    assert_eq!(e.kind(), ErrorKind::Other);
    assert!(e.message().contains("callback failed on purpose"), "{e}");
    // Reported once; registering works again.
    assert_eq!(q.take_notification_panic(), None);
    q.notify_callback(|| {}).unwrap();
    q.cancel_notification().unwrap();
}

#[test]
fn take_notification_panic_and_cancel_report_the_panic() {
    let q = fixture();
    panic_in_callback(&q, "first");
    let mut text = None;
    assert!(testkit::eventually(Duration::from_secs(5), || {
        text = q.take_notification_panic();
        text.is_some()
    }));
    assert_eq!(text.as_deref(), Some("first"));
    let mut buf = [0u8; 10];
    q.receive(&mut buf).unwrap();
    panic_in_callback(&q, "second");
    let mut err = None;
    assert!(testkit::eventually(Duration::from_secs(5), || {
        err = q.cancel_notification().err();
        err.is_some()
    }));
    assert!(err.unwrap().message().contains("second"));
}

#[test]
fn a_str_panic_payload_is_kept_too() {
    let q = fixture();
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || {
        tx.send(()).unwrap();
        panic!("static str payload");
    })
    .unwrap();
    q.send(b"", 0).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let mut text = None;
    assert!(testkit::eventually(Duration::from_secs(5), || {
        text = q.take_notification_panic();
        text.is_some()
    }));
    assert_eq!(text.as_deref(), Some("static str payload"));
}

#[test]
fn dropping_a_queue_with_a_pending_callback_is_safe() {
    let q = fixture();
    let name = q.name().unwrap().clone();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&runs);
    q.notify_callback(move || {
        r.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    drop(q.into_inner()); // closed, not unlinked
    assert_eq!(
        Arc::strong_count(&runs),
        1,
        "the callback was dropped with the queue"
    );
    let q = MessageQueue::open(&name).unwrap().unlink_on_drop();
    q.send(b"", 0).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    // Closing cancelled the registration, so a new one is accepted.
    let mut buf = [0u8; 10];
    q.receive(&mut buf).unwrap();
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || tx.send(()).unwrap()).unwrap();
    q.send(b"", 0).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

#[test]
fn dropping_handles_while_notifications_fire_is_safe() {
    // Races the notification thread against dropping the registering handle:
    // whichever wins, the callback runs at most once and touches only its own
    // captures.
    let q = sized(1, 8);
    let runs = Arc::new(AtomicUsize::new(0));
    let mut buf = [0u8; 8];
    for round in 0..200 {
        let h = MessageQueue::open(q.name().unwrap()).unwrap();
        let r = Arc::clone(&runs);
        let data = vec![round; 64];
        h.notify_callback(move || {
            assert!(data.iter().all(|&b| b == round));
            r.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        q.send(b"x", 0).unwrap();
        if round % 2 == 0 {
            drop(h);
        } else {
            h.close().unwrap();
        }
        q.receive(&mut buf).unwrap();
    }
    std::thread::sleep(QUIET);
    let n = runs.load(Ordering::SeqCst);
    assert!(n <= 200, "{n}");
    assert!(
        testkit::eventually(Duration::from_secs(5), || Arc::strong_count(&runs) == 1),
        "every callback was run or dropped"
    );
}

#[test]
fn a_second_handle_in_the_same_process_takes_over() {
    let a = fixture();
    let b = MessageQueue::open(a.name().unwrap()).unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    a.notify_callback(move || tx.send('a').unwrap()).unwrap();
    b.notify_callback(move || tx2.send('b').unwrap()).unwrap();
    a.send(b"", 0).unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 'b');
    assert!(rx.recv_timeout(QUIET).is_err());
}

#[test]
fn a_waiting_receiver_gets_the_message_instead_of_the_notification() {
    let q = fixture();
    let q = Arc::new(q);
    let (tx, rx) = mpsc::channel::<()>();
    q.notify_callback(move || tx.send(()).unwrap()).unwrap();
    let receiver = {
        let q = Arc::clone(&q);
        std::thread::spawn(move || q.receive_vec_timeout(Timeout::After(Duration::from_secs(10))))
    };
    // Let the receiver block, then send.
    std::thread::sleep(QUIET);
    q.send(b"direct", 0).unwrap();
    assert_eq!(receiver.join().unwrap().unwrap().0, b"direct");
    assert!(rx.recv_timeout(QUIET).is_err(), "no notification");
    // The registration is still there for the next message.
    q.send(b"later", 0).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

#[test]
fn the_callback_may_hold_the_queue_and_receive() {
    let q = fixture();
    let q = Arc::new(q);
    let (tx, rx) = mpsc::channel();
    let q2 = Arc::clone(&q);
    q.notify_callback(move || tx.send(q2.receive_vec_timeout(Timeout::Immediate)).unwrap())
        .unwrap();
    assert_eq!(Arc::strong_count(&q), 2);
    q.send(b"hello", 7).unwrap();
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!(got, (b"hello".to_vec(), 7));
    assert!(testkit::eventually(Duration::from_secs(5), || {
        Arc::strong_count(&q) == 1
    }));
}

#[test]
fn handles_of_one_queue_racing_to_register_replace_each_other_never_busy() {
    // The kernel keeps one registration per process and queue; registering
    // through another handle of the same queue replaces it (never EBUSY,
    // which means another process).
    let a = fixture();
    let b = MessageQueue::open(a.name().unwrap()).unwrap();
    std::thread::scope(|s| {
        for q in [&a, &b] {
            s.spawn(move || {
                for _ in 0..2000 {
                    q.notify_callback(|| {})
                        .expect("same-process registration replaces");
                }
            });
        }
    });
    a.cancel_notification().unwrap();
}

#[test]
fn a_callback_whose_registration_a_close_ended_is_dropped_not_leaked() {
    // Closing any descriptor of the queue in this process ends the process's
    // registration, so the callback waiting on it can never run: it (and what
    // it owns) must be dropped then, not kept forever.
    let q = fixture();
    let q = Arc::new(q);
    let owned = Arc::clone(&q);
    q.notify_callback(move || drop(owned)).unwrap();
    assert_eq!(Arc::strong_count(&q), 2);
    drop(MessageQueue::open(q.name().unwrap()).unwrap());
    assert_eq!(Arc::strong_count(&q), 1, "the stale callback was dropped");
    // Registering through another handle replaces the registration too.
    let other = MessageQueue::open(q.name().unwrap()).unwrap();
    let owned = Arc::clone(&q);
    q.notify_callback(move || drop(owned)).unwrap();
    assert_eq!(Arc::strong_count(&q), 2);
    other.notify_callback(|| {}).unwrap();
    assert_eq!(
        Arc::strong_count(&q),
        1,
        "the replaced callback was dropped"
    );
    other.cancel_notification().unwrap();
}
