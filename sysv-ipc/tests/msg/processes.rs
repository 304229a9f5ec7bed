//! Message queues between real processes: the test binary re-runs itself as
//! the second process (testkit::spawn_child) and finds the queues by key.

use std::time::Duration;

use crate::support::{gettid, new_queue, new_queue_with, wait_blocked_in_msg};
use libc::c_long;
use sysv_ipc::{ErrorKind, MessageQueue, Selector, Wait};

const LIMIT: Duration = Duration::from_secs(60);

fn key_arg(q: &MessageQueue) -> String {
    q.key().as_raw().to_string()
}

fn open_arg(arg: &str) -> MessageQueue {
    MessageQueue::options()
        .max_message_size(4096)
        .open(arg.parse::<i32>().unwrap())
        .unwrap()
}

// ---- producer and consumer ----

const STREAM: usize = 2000;
const ROUNDS: u32 = 50;
/// Types of one selector round, sent in this order.
const ROUND_TYPES: [c_long; 8] = [3, 1, 4, 1, 5, 9, 2, 6];
/// Control messages on the second queue.
const READY: c_long = 1;
const DONE: c_long = 2;

fn stream_type(i: usize) -> c_long {
    c_long::try_from(i % 4 + 1).unwrap()
}

/// Message `i` of the stream: its index, then `(i * 37) % 1000` pattern bytes.
fn stream_payload(i: usize) -> Vec<u8> {
    let mut v = u64::try_from(i).unwrap().to_le_bytes().to_vec();
    v.extend((0..(i * 37) % 1000).map(|j| u8::try_from((i + j) % 256).unwrap()));
    v
}

fn round_payload(round: u32, idx: usize) -> Vec<u8> {
    format!("round {round} message {idx} type {}", ROUND_TYPES[idx]).into_bytes()
}

/// The consumer: checks every streamed message in FIFO order, then in each
/// round takes the eight messages with a fixed sequence of selectors whose
/// answers are known.
fn consume(data: &MessageQueue, control: &MessageQueue) {
    let mut buf = vec![0u8; 4096];
    for i in 0..STREAM {
        let (len, mtype) = data.receive(&mut buf, Selector::Any, Wait::Block).unwrap();
        assert_eq!(mtype, stream_type(i), "message {i}");
        assert_eq!(&buf[..len], stream_payload(i).as_slice(), "message {i}");
    }
    control.send(b"stream", DONE, Wait::Block).unwrap();
    // (selector, index of the message it must return)
    let plan: [(Selector, usize); 8] = [
        (Selector::Type(4), 2),
        (Selector::UpTo(2), 1), // lowest type <= 2 is 1: first type-1 message
        (Selector::Except(1), 0), // first non-1: the type-3 message
        (Selector::UpTo(9), 3), // lowest type left is 1
        (Selector::Except(5), 5), // 5 is first; next is 9
        (Selector::Any, 4),
        (Selector::UpTo(6), 6), // types 2 and 6 left: lowest is 2
        (Selector::Type(6), 7),
    ];
    for round in 0..ROUNDS {
        let go = control
            .receive_vec(Selector::Type(READY), Wait::Block)
            .unwrap();
        assert_eq!(go.data, round.to_le_bytes());
        for (selector, idx) in plan {
            let m = data.receive_vec(selector, Wait::NoWait).unwrap();
            assert_eq!(m.mtype, ROUND_TYPES[idx], "round {round}, {selector:?}");
            assert_eq!(
                m.data,
                round_payload(round, idx),
                "round {round}, {selector:?}"
            );
        }
        let e = data.receive_vec(Selector::Any, Wait::NoWait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        control
            .send(&round.to_le_bytes(), DONE, Wait::Block)
            .unwrap();
    }
}

#[test]
fn producer_and_consumer_exchange_typed_messages() {
    if let Some(args) =
        testkit::child_args("processes::producer_and_consumer_exchange_typed_messages")
    {
        consume(&open_arg(&args[0]), &open_arg(&args[1]));
        println!("consumer checked {STREAM} streamed messages and {ROUNDS} selector rounds");
        return;
    }
    let data = new_queue_with(MessageQueue::options().max_message_size(4096));
    let control = new_queue();
    let child = testkit::spawn_child(
        "processes::producer_and_consumer_exchange_typed_messages",
        &[&key_arg(&data), &key_arg(&control)],
    );
    // The stream is far larger than the queue (16 KiB by default), so the
    // producer blocks on a full queue again and again.
    for i in 0..STREAM {
        data.send(&stream_payload(i), stream_type(i), Wait::Block)
            .unwrap();
    }
    let done = control
        .receive_vec(Selector::Type(DONE), Wait::Block)
        .unwrap();
    assert_eq!(done.data, b"stream");
    for round in 0..ROUNDS {
        for (idx, &t) in ROUND_TYPES.iter().enumerate() {
            data.send(&round_payload(round, idx), t, Wait::Block)
                .unwrap();
        }
        control
            .send(&round.to_le_bytes(), READY, Wait::Block)
            .unwrap();
        let ack = control
            .receive_vec(Selector::Type(DONE), Wait::Block)
            .unwrap();
        assert_eq!(ack.data, round.to_le_bytes());
    }
    let out = child.wait_success(LIMIT);
    assert!(out.contains("consumer checked 2000"), "{out}");
    assert_eq!(data.current_messages().unwrap(), 0);
    let child_pid = data.last_receive_pid().unwrap().unwrap();
    assert_ne!(child_pid, i32::try_from(std::process::id()).unwrap());
}

// ---- removal while another process waits ----

/// Sends this thread's id on `q` (type 99) so the parent can see it block.
fn announce(q: &MessageQueue) {
    q.send(&gettid().to_le_bytes(), 99, Wait::Block).unwrap();
}

fn announced_tid(q: &MessageQueue) -> i32 {
    let m = q.receive_vec(Selector::Type(99), Wait::Block).unwrap();
    i32::from_le_bytes(m.data.try_into().unwrap())
}

#[test]
fn receiver_blocked_in_another_process_gets_removed() {
    if let Some(args) =
        testkit::child_args("processes::receiver_blocked_in_another_process_gets_removed")
    {
        let q = open_arg(&args[0]);
        announce(&q);
        let e = q.receive_vec(Selector::Type(1), Wait::Block).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        println!("receiver: {:?}", e.raw_os_error());
        return;
    }
    let q = new_queue();
    let child = testkit::spawn_child(
        "processes::receiver_blocked_in_another_process_gets_removed",
        &[&key_arg(&q)],
    );
    let tid = announced_tid(&q);
    assert!(wait_blocked_in_msg(child.id(), tid), "child never blocked");
    q.remove().unwrap();
    let out = child.wait_success(LIMIT);
    assert!(
        out.contains(&format!("receiver: Some({})", libc::EIDRM)),
        "{out}"
    );
}

// ---- a signal interrupts a blocked receive ----

extern "C" fn on_sigusr1(_: libc::c_int) {}

/// Installs a SIGUSR1 handler without SA_RESTART (System V message calls are
/// never restarted anyway).
fn install_sigusr1_handler() {
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = 0;
    // SAFETY: `action.sa_mask` is a valid sigset_t to initialise; the handler
    // is async-signal-safe (it does nothing); null old action is allowed.
    let rc = unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut())
    };
    assert_eq!(rc, 0);
}

#[test]
fn signal_interrupts_a_blocked_receive() {
    if let Some(args) = testkit::child_args("processes::signal_interrupts_a_blocked_receive") {
        let q = open_arg(&args[0]);
        install_sigusr1_handler();
        announce(&q);
        let e = q.receive_vec(Selector::Type(1), Wait::Block).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        assert!(e.is_signal() && !e.is_permissions() && !e.is_busy(), "{e}");
        // The queue is still usable after the interruption.
        q.send(b"after", 2, Wait::Block).unwrap();
        println!("receiver interrupted: {e}");
        return;
    }
    let q = new_queue();
    let child = testkit::spawn_child(
        "processes::signal_interrupts_a_blocked_receive",
        &[&key_arg(&q)],
    );
    let tid = announced_tid(&q);
    assert!(wait_blocked_in_msg(child.id(), tid), "child never blocked");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: tgkill has no memory-safety preconditions; the target thread
    // has a SIGUSR1 handler installed.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, libc::SIGUSR1) };
    assert_eq!(rc, 0);
    let out = child.wait_success(LIMIT);
    assert!(out.contains("receiver interrupted"), "{out}");
    assert_eq!(
        q.receive_vec(Selector::Type(2), Wait::NoWait).unwrap().data,
        b"after"
    );
}

// ---- another user (sysv_ipc's observed permission matrix) ----

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn another_user_gets_permission_errors() {
    if let Some(args) = testkit::child_args("processes::another_user_gets_permission_errors") {
        testkit::become_nobody();
        let key: i32 = args[0].parse().unwrap();
        let e = MessageQueue::open(key).unwrap_err(); // asks for 0o600
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("mode"), "{e}");
        let q = MessageQueue::options().mode(0o444).open(key).unwrap();
        let e = q.receive_vec(Selector::Type(2), Wait::NoWait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
        assert_eq!(
            q.receive_vec(Selector::Any, Wait::NoWait).unwrap().data,
            b"hi"
        );
        let e = q.send(b"x", 1, Wait::NoWait).unwrap_err();
        assert!(
            e.is_permissions() && !e.is_signal() && !e.is_existential(),
            "{e}"
        );
        assert!(e.message().contains("send"), "{e}");
        for e in [
            q.set_max_size(100).unwrap_err(),
            q.set_mode(0o666).unwrap_err(),
            q.remove().unwrap_err(),
        ] {
            assert!(e.is_permissions(), "{e}");
            assert!(e.message().contains("owner"), "{e}");
        }
        println!("permission checks done");
        return;
    }
    if !is_root() {
        println!("skipped: needs root to run a child as another user");
        return;
    }
    let q = new_queue_with(MessageQueue::options().mode(0o644));
    q.send(b"hi", 1, Wait::Block).unwrap();
    let out = testkit::spawn_child(
        "processes::another_user_gets_permission_errors",
        &[&key_arg(&q)],
    )
    .wait_success(LIMIT);
    assert!(out.contains("permission checks done"), "{out}");
    assert_eq!(q.mode().unwrap().bits(), 0o644);
}
