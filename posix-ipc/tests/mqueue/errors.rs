//! Every bad input and limit error of message queues, and posix_ipc's crashes
//! (reference §1.11) as typed errors.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use crate::support::{fixture, fresh_name};
use posix_ipc::{
    ErrorKind, HARD_MSGMAX, HARD_MSGSIZEMAX, MessageQueue, O_CREAT, O_EXCL, O_RDWR, O_TRUNC,
    O_WRONLY, Timeout, limits, unlink_message_queue,
};

#[test]
fn bad_names_are_invalid_input_before_any_call() {
    let long = format!("/{}", "q".repeat(256));
    let cases: [&[u8]; 8] = [
        b"",
        b"noslash",
        b"/",
        b"/.",
        b"/..",
        b"/a/b",
        b"/nul\0inside",
        long.as_bytes(),
    ];
    for name in cases {
        let name = OsStr::from_bytes(name);
        let e = MessageQueue::options().create(true).open(name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name:?}: {e}");
        assert_eq!(e.raw_os_error(), None, "{name:?} reached the OS");
        let e = unlink_message_queue(name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name:?}: {e}");
    }
}

#[test]
fn neither_read_nor_write_is_rejected() {
    let name = fresh_name();
    let e = MessageQueue::options()
        .create(true)
        .read(false)
        .write(false)
        .open(name.as_str())
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains("read and write"), "{e}");
}

#[test]
fn bad_flags_are_rejected_with_a_hint() {
    let name = fresh_name();
    let open = |flags| MessageQueue::options().flags(flags).open(name.as_str());
    let e = open(O_WRONLY).unwrap_err();
    assert!(e.message().contains(".read(true)/.write(true)"), "{e}");
    assert!(open(O_RDWR).unwrap_err().is_invalid_input());
    let e = open(O_EXCL).unwrap_err();
    assert!(e.message().contains("O_CREAT"), "{e}");
    let e = open(O_CREAT | O_TRUNC).unwrap_err();
    assert!(e.message().contains("message queue does not accept"), "{e}");
    assert!(open(-1).unwrap_err().is_invalid_input());
    assert_eq!(
        MessageQueue::open(name.as_str()).unwrap_err().kind(),
        ErrorKind::NotFound,
        "nothing was created"
    );
}

/// Setuid, setgid and sticky bits mean nothing for a queue: refused like any
/// higher bit, and nothing is created.
#[test]
fn bad_mode_is_rejected() {
    let name = fresh_name();
    for bad in [0o4600, 0o2600, 0o1666, 0o10000, u32::MAX] {
        let e = MessageQueue::options()
            .create(true)
            .mode(bad)
            .open(name.as_str())
            .unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.message().contains("above 0o777"), "{e}");
        assert_eq!(e.raw_os_error(), None, "refused before any call");
    }
    assert_eq!(
        MessageQueue::open(name.as_str()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn zero_sizes_are_rejected_before_the_call() {
    let name = fresh_name();
    for (n, size, what) in [(0, 8, "max_messages"), (1, 0, "max_message_size")] {
        let e = MessageQueue::options()
            .create(true)
            .max_messages(n)
            .max_message_size(size)
            .open(name.as_str())
            .unwrap_err();
        assert!(e.is_invalid_input());
        assert_eq!(e.raw_os_error(), None);
        assert!(
            e.message().contains(&format!("{what} must be at least 1")),
            "{e}"
        );
    }
    let e = MessageQueue::options()
        .create(true)
        .max_messages(usize::MAX)
        .open(name.as_str())
        .unwrap_err();
    assert!(e.message().contains("does not fit"), "{e}");
}

#[test]
fn too_many_messages_names_msg_max_and_how_to_raise_it() {
    // posix_ipc issue #42: "ValueError: Invalid parameter(s)". Above the hard
    // cap, so it fails for root too.
    let name = fresh_name();
    let n = HARD_MSGMAX + 34_464; // 100_000
    let e = MessageQueue::options()
        .create_new(true)
        .max_messages(n)
        .max_message_size(8)
        .open(name.as_str())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    let msg_max = limits::message_queue_limits().unwrap().msg_max;
    let text = e.to_string();
    for part in [
        "max_messages = 100000".to_owned(),
        "/proc/sys/fs/mqueue/msg_max".to_owned(),
        format!("is {msg_max}"),
        "sysctl fs.mqueue.msg_max=N".to_owned(),
        "65536 (HARD_MSGMAX)".to_owned(),
    ] {
        assert!(text.contains(&part), "{text} lacks {part}");
    }
    assert!(!text.contains("max_message_size ="), "{text}");
}

#[test]
fn too_large_messages_names_msgsize_max_and_how_to_raise_it() {
    let name = fresh_name();
    let e = MessageQueue::options()
        .create_new(true)
        .max_messages(1)
        .max_message_size(HARD_MSGSIZEMAX + 1)
        .open(name.as_str())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let text = e.to_string();
    let msgsize_max = limits::message_queue_limits().unwrap().msgsize_max;
    for part in [
        format!("max_message_size = {}", HARD_MSGSIZEMAX + 1),
        format!("/proc/sys/fs/mqueue/msgsize_max is {msgsize_max}"),
        "sysctl fs.mqueue.msgsize_max=N".to_owned(),
        "HARD_MSGSIZEMAX".to_owned(),
    ] {
        assert!(text.contains(&part), "{text} lacks {part}");
    }
}

/// `HARD_MSGMAX` and `HARD_MSGSIZEMAX` are the kernel's caps: in a new IPC
/// namespace (whose mqueue limits are its own), `msg_max` and `msgsize_max`
/// take them and not one more, and the library reads the limits it set.
#[test]
fn the_hard_caps_are_the_kernels() {
    const TEST: &str = "errors::the_hard_caps_are_the_kernels";
    if testkit::child_args(TEST).is_some() {
        if let Err(why) = testkit::ns::unshare(libc::CLONE_NEWIPC) {
            println!("no-namespace: {why}");
            return;
        }
        for (knob, cap) in [("msg_max", HARD_MSGMAX), ("msgsize_max", HARD_MSGSIZEMAX)] {
            let path = format!("/proc/sys/fs/mqueue/{knob}");
            std::fs::write(&path, cap.to_string()).unwrap();
            let e = std::fs::write(&path, (cap + 1).to_string()).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{knob} above {cap}");
        }
        let limits = limits::message_queue_limits().unwrap();
        let caps = (HARD_MSGMAX as u64, HARD_MSGSIZEMAX as u64);
        assert_eq!((limits.msg_max, limits.msgsize_max), caps);
        println!("caps");
        return;
    }
    if !testkit::is_root() {
        println!("skipped: only root may make an IPC namespace and set its limits");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(60));
    if let Some(why) = out.lines().find_map(|l| l.strip_prefix("no-namespace: ")) {
        println!("skipped: {why}");
        return;
    }
    assert!(out.contains("caps"), "{out}");
}

const RLIMIT_TEST: &str = "errors::rlimit_msgqueue_exhaustion_names_the_limit_and_ulimit_q";

#[test]
fn rlimit_msgqueue_exhaustion_names_the_limit_and_ulimit_q() {
    // posix_ipc issue #21: "This process already has the maximum number of
    // files open". The child lowers its own RLIMIT_MSGQUEUE, then creates.
    if let Some(args) = testkit::child_args(RLIMIT_TEST) {
        // Keep the hard limit, in `rlim_t` (32 bits on 32-bit glibc).
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `lim` is a valid, writable rlimit.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_MSGQUEUE, &mut lim) };
        assert_eq!(rc, 0);
        lim.rlim_cur = 1000;
        // SAFETY: `lim` is a valid rlimit; this only lowers the child's limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_MSGQUEUE, &lim) }, 0);
        let e = MessageQueue::options()
            .create_new(true)
            .max_messages(10)
            .max_message_size(1024)
            .open(args[0].as_str())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
        let text = e.to_string();
        for part in [
            "RLIMIT_MSGQUEUE",
            "soft limit 1000 bytes",
            "10 × 1024 = 10240 bytes",
            "ulimit -q",
            "setrlimit(RLIMIT_MSGQUEUE)",
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        println!("child saw: {text}");
        return;
    }
    let name = fresh_name();
    let out = testkit::spawn_child(RLIMIT_TEST, &[&name]).wait_success(Duration::from_secs(60));
    assert!(out.contains("child saw: mq_open"), "{out}");
    assert_eq!(
        MessageQueue::open(name.as_str()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn priority_above_the_maximum_never_wraps() {
    let q = fixture();
    let max = limits::message_priority_max();
    for bad in [max + 1, u32::MAX, 1 << 31] {
        let e = q.send(b"", bad).unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.message().contains(&format!("priority {bad}")), "{e}");
        assert!(
            q.send_timeout(b"", bad, Timeout::Immediate)
                .unwrap_err()
                .is_invalid_input()
        );
    }
    q.send(b"", max).unwrap();
    assert_eq!(q.current_messages().unwrap(), 1);
    // A message of the largest size is fine: the error names the priority.
    let full = vec![0u8; q.max_message_size()];
    let e = q.send(&full, max + 1).unwrap_err();
    assert!(
        e.message().contains(&format!("priority {}", max + 1)),
        "{e}"
    );
}

#[test]
fn a_message_longer_than_the_queue_allows_states_the_limit() {
    // posix_ipc prepares "must be no longer than N bytes" but reports "The
    // message is too long" (reference §1.10).
    let q = fixture();
    for len in [11, 20_000] {
        let e = q.send(&vec![0; len], 0).unwrap_err();
        assert!(e.is_invalid_input());
        assert_eq!(e.raw_os_error(), None);
        assert!(
            e.message().contains(&format!(
                "is {len} bytes; this queue's messages may be at most 10 bytes"
            )),
            "{e}"
        );
    }
    q.send(&[0; 10], 0).unwrap();
}

#[test]
fn a_short_receive_buffer_states_the_needed_size() {
    let q = fixture();
    q.send(b"abc", 0).unwrap();
    let e = q.receive(&mut [0u8; 9]).unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains("at least 10 bytes"), "{e}");
    assert!(
        q.receive_timeout(&mut [], Timeout::Immediate)
            .unwrap_err()
            .is_invalid_input()
    );
    // The message is still there; a larger buffer is fine.
    let mut big = [0u8; 100];
    assert_eq!(q.receive(&mut big).unwrap(), (3, 0));
}

#[test]
fn wrong_direction_is_permission_denied_before_the_call() {
    let q = fixture();
    let r = MessageQueue::options()
        .write(false)
        .open(q.name().unwrap())
        .unwrap();
    let w = MessageQueue::options()
        .read(false)
        .open(q.name().unwrap())
        .unwrap();
    for e in [
        r.send(b"x", 0).unwrap_err(),
        r.send_timeout(b"x", 0, Timeout::Immediate).unwrap_err(),
        w.receive(&mut [0u8; 10]).unwrap_err(),
        w.receive_timeout(&mut [0u8; 10], Timeout::Immediate)
            .unwrap_err(),
        w.receive_vec_timeout(Timeout::Immediate).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_eq!(e.raw_os_error(), None);
    }
}

#[test]
fn a_timeout_too_long_for_the_clock_is_invalid_input() {
    let q = fixture();
    let forever_ish = Timeout::After(Duration::MAX);
    assert!(
        q.send_timeout(b"x", 0, forever_ish)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        q.receive_timeout(&mut [0u8; 10], forever_ish)
            .unwrap_err()
            .is_invalid_input()
    );
    // posix_ipc: receive(inf) → ExistentialError, acquire(1e30) → an
    // immediate BusyError, nan → ExistentialError (reference §1.8).
    assert_eq!(
        Timeout::from_secs_f64(f64::INFINITY).unwrap(),
        Timeout::Forever
    );
    assert!(
        Timeout::from_secs_f64(f64::NAN)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(Timeout::from_secs_f64(1e30).unwrap_err().is_invalid_input());
    assert!(Timeout::from_secs_f64(-1.0).unwrap_err().is_invalid_input());
}

#[test]
fn missing_and_existing_queues() {
    let q = fixture();
    let e = MessageQueue::options()
        .create_new(true)
        .open(q.name().unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.message().contains("already exists"), "{e}");
    q.unlink().unwrap();
    let e = q.unlink().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("no message queue named"), "{e}");
    let e = MessageQueue::open(q.name().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains(".create(true)"), "{e}");
    // The handle still works after unlink (reference §1.7).
    q.send(b"x", 0).unwrap();
    assert_eq!(q.current_messages().unwrap(), 1);
}

/// `created()`: true when this very call made the queue (and so gave it its
/// sizes), for every form of open.
#[test]
fn created_tells_whether_this_call_made_it() {
    let name = fresh_name();
    let open = |o: &mut posix_ipc::MessageQueueOptions| o.open(name.as_str()).unwrap();
    let made = open(
        MessageQueue::options()
            .create(true)
            .max_messages(3)
            .max_message_size(5),
    )
    .unlink_on_drop();
    assert!(made.created());
    let again = open(
        MessageQueue::options()
            .create(true)
            .max_messages(7)
            .max_message_size(9),
    );
    assert!(!again.created());
    assert_eq!((again.max_messages(), again.max_message_size()), (3, 5));
    assert!(!open(MessageQueue::options().flags(O_CREAT)).created());
    assert!(!MessageQueue::open(name.as_str()).unwrap().created());
    let e = MessageQueue::create_new(name.as_str()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    made.unlink().unwrap();
    assert!(open(MessageQueue::options().flags(O_CREAT).max_message_size(8)).created());
    made.unlink().unwrap();
    let last = MessageQueue::create_new(name.as_str())
        .unwrap()
        .unlink_on_drop();
    assert!(last.created());
    let unique = crate::support::unique(1, 8);
    assert!(unique.created());
}
