//! Message queues between real processes (the test binary re-run as a child):
//! many messages checked one by one, notification ownership across processes,
//! and `poll` readiness.

use std::os::fd::AsFd;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{self, sized};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use posix_ipc::{ErrorKind, MessageQueue, Timeout, limits};

const LIMIT: Duration = Duration::from_secs(60);
const COUNT: u32 = 10_000;

/// Message `i`: its number, then a length and fill that depend on it.
fn message(i: u32, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&i.to_le_bytes());
    out.extend((0..i % 29).map(|k| i.wrapping_add(k).to_le_bytes()[0]));
}

#[test]
fn producer_process_consumer_process_every_message_checked() {
    if let Some(args) =
        testkit::child_args("processes::producer_process_consumer_process_every_message_checked")
    {
        let q = MessageQueue::options()
            .read(false)
            .open(args[0].as_str())
            .unwrap();
        let mut buf = Vec::new();
        for i in 0..COUNT {
            message(i, &mut buf);
            q.send_timeout(&buf, 0, Timeout::After(Duration::from_secs(30)))
                .unwrap();
        }
        return;
    }
    let q = sized(10, 64);
    let child = testkit::spawn_child(
        "processes::producer_process_consumer_process_every_message_checked",
        &[&q.name().unwrap().to_string()],
    );
    let mut buf = [0u8; 64];
    let mut expect = Vec::new();
    for i in 0..COUNT {
        let (n, prio) = q
            .receive_timeout(&mut buf, Timeout::After(Duration::from_secs(30)))
            .unwrap();
        message(i, &mut expect);
        assert_eq!(&buf[..n], expect.as_slice(), "message {i}");
        assert_eq!(prio, 0);
    }
    child.wait_success(LIMIT);
    assert_eq!(q.current_messages().unwrap(), 0);
}

#[test]
fn priorities_order_messages_from_another_process() {
    if let Some(args) =
        testkit::child_args("processes::priorities_order_messages_from_another_process")
    {
        let q = MessageQueue::options()
            .read(false)
            .open(args[0].as_str())
            .unwrap();
        for (i, p) in [(0u32, 1u32), (1, 5), (2, 1), (3, 0), (4, 5), (5, 32767)] {
            q.send(&i.to_le_bytes(), p).unwrap();
        }
        return;
    }
    let q = sized(10, 8);
    testkit::spawn_child(
        "processes::priorities_order_messages_from_another_process",
        &[&q.name().unwrap().to_string()],
    )
    .wait_success(LIMIT);
    let mut got = Vec::new();
    let mut buf = [0u8; 8];
    while let Ok((n, p)) = q.receive_timeout(&mut buf, Timeout::Immediate) {
        got.push((u32::from_le_bytes(buf[..n].try_into().unwrap()), p));
    }
    assert_eq!(got, [(5, 32767), (1, 5), (4, 5), (0, 1), (2, 1), (3, 0)]);
}

#[test]
fn another_process_gets_busy_while_this_one_is_registered() {
    if let Some(args) =
        testkit::child_args("processes::another_process_gets_busy_while_this_one_is_registered")
    {
        let q = MessageQueue::open(args[0].as_str()).unwrap();
        let e = q.notify_signal(limits::user_signal_min()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
        assert!(e.is_busy());
        assert!(e.message().contains("another process"), "{e}");
        let e = q.notify_callback(|| {}).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
        // Cancelling someone else's registration does nothing.
        q.cancel_notification().unwrap();
        println!("child saw Busy");
        return;
    }
    let q = sized(4, 8);
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || tx.send(()).unwrap()).unwrap();
    let out = testkit::spawn_child(
        "processes::another_process_gets_busy_while_this_one_is_registered",
        &[&q.name().unwrap().to_string()],
    )
    .wait_success(LIMIT);
    assert!(out.contains("child saw Busy"), "{out}");
    // Our registration survived the child's attempts.
    q.send(b"x", 0).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_registration_ends_with_the_process_that_held_it() {
    if let Some(args) =
        testkit::child_args("processes::a_registration_ends_with_the_process_that_held_it")
    {
        let q = MessageQueue::open(args[0].as_str()).unwrap();
        q.notify_callback(|| {}).unwrap();
        // Never close the descriptor: the registration must end with the process.
        std::mem::forget(q);
        let to_parent = MessageQueue::open(args[1].as_str()).unwrap();
        let to_child = MessageQueue::open(args[2].as_str()).unwrap();
        to_parent.send(b"registered", 0).unwrap();
        let (msg, _) = to_child
            .receive_vec_timeout(Timeout::After(Duration::from_secs(30)))
            .unwrap();
        assert_eq!(msg, b"done");
        return;
    }
    let q = sized(4, 8);
    let to_parent = sized(1, 16);
    let to_child = sized(1, 16);
    let child = testkit::spawn_child(
        "processes::a_registration_ends_with_the_process_that_held_it",
        &[
            &q.name().unwrap().to_string(),
            &to_parent.name().unwrap().to_string(),
            &to_child.name().unwrap().to_string(),
        ],
    );
    let (msg, _) = to_parent
        .receive_vec_timeout(Timeout::After(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(msg, b"registered");
    assert_eq!(
        q.notify_callback(|| {}).unwrap_err().kind(),
        ErrorKind::Busy
    );
    to_child.send(b"done", 0).unwrap();
    child.wait_success(LIMIT);
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || tx.send(()).unwrap()).unwrap();
    q.send(b"x", 0).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

fn ready(q: &MessageQueue, flags: PollFlags, timeout: PollTimeout) -> PollFlags {
    let mut fds = [PollFd::new(q.as_fd(), flags)];
    let n = poll(&mut fds, timeout).unwrap();
    let revents = fds[0].revents().unwrap();
    assert_eq!(n > 0, !revents.is_empty());
    revents
}

#[test]
fn poll_reports_readable_and_writable() {
    let q = sized(2, 8);
    let both = PollFlags::POLLIN | PollFlags::POLLOUT;
    assert_eq!(ready(&q, both, PollTimeout::ZERO), PollFlags::POLLOUT);
    q.send(b"1", 0).unwrap();
    assert_eq!(ready(&q, both, PollTimeout::ZERO), both);
    q.send(b"2", 0).unwrap();
    assert_eq!(ready(&q, both, PollTimeout::ZERO), PollFlags::POLLIN);
    assert!(ready(&q, PollFlags::POLLOUT, PollTimeout::ZERO).is_empty());
}

#[test]
fn poll_wakes_when_another_process_sends() {
    if let Some(args) = testkit::child_args("processes::poll_wakes_when_another_process_sends") {
        let q = MessageQueue::options()
            .read(false)
            .open(args[0].as_str())
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        q.send(b"from child", 3).unwrap();
        return;
    }
    let q = sized(2, 16);
    q.set_block(false).unwrap();
    let child = testkit::spawn_child(
        "processes::poll_wakes_when_another_process_sends",
        &[&q.name().unwrap().to_string()],
    );
    let revents = ready(&q, PollFlags::POLLIN, PollTimeout::from(20_000u16));
    assert_eq!(revents, PollFlags::POLLIN);
    assert_eq!(
        q.receive_vec_timeout(Timeout::Immediate).unwrap(),
        (b"from child".to_vec(), 3)
    );
    child.wait_success(LIMIT);
}

/// The mode given when creating is the queue's mode, exactly. Checked as
/// `nobody`, since root opens anything whatever the mode: root's 0o600
/// queue is refused to nobody even for receiving, a 0o644 one can be
/// received from but not sent to.
#[test]
fn created_modes_are_exact_for_another_user() {
    const TEST: &str = "processes::created_modes_are_exact_for_another_user";
    if let Some(args) = testkit::child_args(TEST) {
        testkit::become_nobody();
        let (private, readable) = (args[0].as_str(), args[1].as_str());
        let receive_only = |name| MessageQueue::options().write(false).open(name);
        let e = receive_only(private).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "0o600: {e}");
        support::assert_error_groups(&e);
        let e = MessageQueue::options()
            .read(false)
            .open(readable)
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::PermissionDenied,
            "0o644 for sending: {e}"
        );
        support::assert_error_groups(&e);
        let q = receive_only(readable).unwrap();
        assert_eq!(q.receive_vec().unwrap(), (b"0644".to_vec(), 0));
        println!("modes-exact");
        return;
    }
    if !testkit::is_root() {
        support::skip(TEST, "needs root to start the child as uid 65534");
        return;
    }
    if support::umask() & 0o044 != 0 {
        support::skip(TEST, "the umask takes away the read bits this test needs");
        return;
    }
    let private = support::create(
        MessageQueue::options()
            .mode(0o600)
            .max_messages(1)
            .max_message_size(8),
    );
    let readable = support::create(
        MessageQueue::options()
            .mode(0o644)
            .max_messages(1)
            .max_message_size(8),
    );
    assert_eq!(private.mode().unwrap().bits(), 0o600);
    assert_eq!(readable.mode().unwrap().bits(), 0o644);
    readable.send(b"0644", 0).unwrap();
    let out = testkit::spawn_child(
        TEST,
        &[
            &private.name().unwrap().to_string(),
            &readable.name().unwrap().to_string(),
        ],
    )
    .wait_success(LIMIT);
    assert!(out.contains("modes-exact"), "{out}");
}

/// The porting predicates of the errors queues build say what the kind
/// says, and nothing else.
#[test]
fn error_predicates_match_the_kind() {
    let q = sized(1, 8);
    let name = q.name().unwrap();
    let receiver = MessageQueue::options().write(false).open(name).unwrap();
    q.send(b"full", 0).unwrap();
    let mut buf = [0u8; 8];
    let errors = [
        MessageQueue::create_new(name).unwrap_err(),
        MessageQueue::open(support::fresh_name().as_str()).unwrap_err(),
        MessageQueue::open("no-slash").unwrap_err(),
        q.send_timeout(b"x", 0, Timeout::Immediate).unwrap_err(),
        q.send_timeout(b"x", 0, Duration::from_millis(5))
            .unwrap_err(),
        receiver.send(b"x", 0).unwrap_err(),
        q.receive(&mut buf[..2]).unwrap_err(),
        q.notify_signal(0).unwrap_err(),
    ];
    for e in &errors {
        support::assert_error_groups(e);
    }
    assert!(errors[5].is_permissions() && !errors[5].is_signal());
}
