//! posix_ipc 1.3.2's `test_message_queues.py` (44 tests) and the message-queue
//! tests of `test_module.py`, translated. Test names keep the Python names.
//! The four signal notification tests live in `tests/signals.rs` (they install
//! process-wide signal handlers).

use std::ffi::{CString, OsStr};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::{Arc, Weak, mpsc};
use std::time::{Duration, Instant};

use crate::support::{Queue, fixture, fresh_name, sized, unique};
use posix_ipc::{ErrorKind, MessageQueue, O_CREAT, O_CREX, O_NONBLOCK, Timeout, limits};

const TIMEOUT: Duration = Duration::from_millis(300);

fn assert_waited(start: Instant) {
    let elapsed = start.elapsed();
    assert!(
        elapsed >= TIMEOUT - Duration::from_millis(10),
        "returned early: {elapsed:?}"
    );
    assert!(
        elapsed < TIMEOUT + Duration::from_secs(2),
        "too late: {elapsed:?}"
    );
}

fn fill(q: &MessageQueue) {
    for _ in 0..q.max_messages() {
        q.send(b"x", 0).unwrap();
    }
}

fn recv(q: &MessageQueue) -> (Vec<u8>, u32) {
    q.receive_vec_timeout(Timeout::After(Duration::from_secs(5)))
        .unwrap()
}

// ---- test_module.py ----

#[test]
fn test_unlink_message_queue() {
    let q = fixture();
    posix_ipc::unlink_message_queue(q.name().unwrap()).unwrap();
    let name = q.name().unwrap().clone();
    q.into_inner().close().unwrap();
    let e = MessageQueue::open(&name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.is_existential());
}

#[test]
fn test_constant_queue_priority_max() {
    let q = fixture();
    let max = limits::message_priority_max();
    assert_eq!(max, limits::mq_prio_max() - 1);
    let mut buf = [0u8; 10];
    for p in 0..=max {
        q.send(b"", p).unwrap();
        assert_eq!(q.receive(&mut buf).unwrap(), (0, p));
    }
    let e = q.send(b"", max + 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains(&max.to_string()), "{e}");
}

// ---- TestMessageQueueCreation (13) ----

#[test]
fn test_no_flags() {
    let q = fixture();
    let same = MessageQueue::open(q.name().unwrap()).unwrap();
    assert_eq!(same.name(), q.name());
}

#[test]
fn test_o_creat_existing() {
    let q = fixture();
    let same = MessageQueue::options()
        .flags(O_CREAT)
        .open(q.name().unwrap())
        .unwrap();
    assert_eq!(same.name(), q.name());
    let same = MessageQueue::create(q.name().unwrap()).unwrap();
    assert_eq!(same.max_message_size(), 10);
}

#[test]
fn test_o_creat_new() {
    let name = fresh_name();
    assert_eq!(
        MessageQueue::open(name.as_str()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let q = MessageQueue::options()
        .flags(O_CREAT)
        .max_message_size(10)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    assert_eq!(q.name().unwrap().to_str(), Some(name.as_str()));
}

#[test]
fn test_o_crex() {
    let q = fixture();
    let e = MessageQueue::options()
        .flags(O_CREX)
        .open(q.name().unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.message().contains(&q.name().unwrap().to_string()), "{e}");
}

#[test]
fn test_randomly_generated_name() {
    let q = unique(10, 10);
    let name = q.name().unwrap().as_bytes();
    assert!(name.starts_with(b"/"));
    assert!(name.len() >= 2);
    assert!(name.len() <= 31);
}

#[test]
fn test_name_as_bytes() {
    let name = fresh_name();
    let bytes = OsStr::from_bytes(name.as_bytes());
    let q = MessageQueue::options()
        .create_new(true)
        .max_message_size(10)
        .open(bytes)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(q.name().unwrap().as_bytes(), name.as_bytes());
    let c = CString::new(name.clone()).unwrap();
    assert_eq!(MessageQueue::open(c.as_c_str()).unwrap().name(), q.name());
}

#[test]
fn test_max_messages() {
    let q = sized(1, 10);
    q.send(b"", 0).unwrap();
    let e = q.send_timeout(b"", 0, Timeout::Immediate).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.is_busy());
}

#[test]
fn test_max_message_size() {
    let q = fixture();
    let e = q.send(&[b' '; 11], 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("at most 10 bytes"), "{e}");
}

#[test]
fn test_read_flag_new_queue() {
    let name = fresh_name();
    let q = MessageQueue::options()
        .create_new(true)
        .max_message_size(10)
        .read(false)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    q.send(b"foo", 0).unwrap();
    let e = q.receive_vec_timeout(Timeout::Immediate).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.message().contains("not open for reading"), "{e}");
}

#[test]
fn test_read_flag_existing_queue() {
    let q = fixture();
    let w = MessageQueue::options()
        .read(false)
        .open(q.name().unwrap())
        .unwrap();
    w.send(b"foo", 0).unwrap();
    let mut buf = [0u8; 10];
    assert!(w.receive(&mut buf).unwrap_err().is_permissions());
    assert_eq!(recv(&q).0, b"foo");
}

#[test]
fn test_write_flag_new_queue() {
    let name = fresh_name();
    let q = MessageQueue::options()
        .create_new(true)
        .max_message_size(10)
        .write(false)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    let e = q.send(b"foo", 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.message().contains("not open for writing"), "{e}");
}

#[test]
fn test_write_flag_existing_queue() {
    let q = fixture();
    let r = MessageQueue::options()
        .write(false)
        .open(q.name().unwrap())
        .unwrap();
    assert!(r.send(b"foo", 0).unwrap_err().is_permissions());
    q.send(b"foo", 0).unwrap();
    assert_eq!(recv(&r).0, b"foo");
}

#[test]
fn test_kwargs() {
    let name = fresh_name();
    let q = MessageQueue::options()
        .flags(O_CREX)
        .mode(0o600)
        .max_messages(1)
        .max_message_size(256)
        .read(true)
        .write(true)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    assert_eq!((q.max_messages(), q.max_message_size()), (1, 256));
    assert!(q.can_read() && q.can_write());
}

// ---- TestMessageQueueSendReceive (16) ----

#[test]
fn test_send() {
    let q = fixture();
    q.send(b"foo", 0).unwrap();
    assert_eq!(q.current_messages().unwrap(), 1);
}

#[test]
fn test_send_timeout_keyword() {
    let q = fixture();
    fill(&q);
    let e = q
        .send_timeout(b"foo", 0, Timeout::After(Duration::ZERO))
        .unwrap_err();
    assert!(e.is_busy());
}

#[test]
fn test_send_timeout_positional() {
    let q = fixture();
    fill(&q);
    let e = q.send_timeout(b"foo", 0, Timeout::Immediate).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    assert!(e.message().contains("full"), "{e}");
}

#[test]
fn test_send_timeout_zero_success() {
    let q = fixture();
    q.send_timeout(b"foo", 0, Timeout::Immediate).unwrap();
    assert_eq!(recv(&q).0, b"foo");
}

#[test]
fn test_send_timeout_zero_fails() {
    let q = fixture();
    fill(&q);
    let start = Instant::now();
    assert!(
        q.send_timeout(b"foo", 0, Timeout::Immediate)
            .unwrap_err()
            .is_busy()
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn test_send_nonzero_timeout() {
    let q = fixture();
    fill(&q);
    let start = Instant::now();
    let e = q
        .send_timeout(b"foo", 0, Timeout::After(TIMEOUT))
        .unwrap_err();
    assert_waited(start);
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
}

#[test]
fn test_send_priority_default() {
    let q = fixture();
    q.send(b"foo", 0).unwrap();
    assert_eq!(recv(&q), (b"foo".to_vec(), 0));
}

#[test]
fn test_send_fifo_default() {
    let q = fixture();
    for c in b"abcdefg" {
        q.send(&[*c], 0).unwrap();
    }
    let got: Vec<u8> = (0..7).map(|_| recv(&q).0[0]).collect();
    assert_eq!(got, b"abcdefg");
}

#[test]
fn test_send_priority() {
    let q = fixture();
    for p in [1, 3, 2] {
        q.send(p.to_string().as_bytes(), p).unwrap();
    }
    let got: Vec<u32> = (0..3).map(|_| recv(&q).1).collect();
    assert_eq!(got, [3, 2, 1]);
}

#[test]
fn test_send_priority_keyword() {
    let q = fixture();
    q.send(b"foo", 42).unwrap();
    assert_eq!(recv(&q), (b"foo".to_vec(), 42));
}

#[test]
fn test_send_priority_positional() {
    let q = fixture();
    q.send_timeout(b"foo", 42, Timeout::Immediate).unwrap();
    assert_eq!(recv(&q), (b"foo".to_vec(), 42));
}

#[test]
fn test_send_kwargs() {
    let q = fixture();
    q.send_timeout(b"foo", 0, Timeout::from_secs_f64(0.0).unwrap())
        .unwrap();
    assert_eq!(recv(&q), (b"foo".to_vec(), 0));
}

#[test]
fn test_receive() {
    let q = fixture();
    q.send(b"foo", 3).unwrap();
    let mut buf = [0u8; 10];
    let (n, p) = q.receive(&mut buf).unwrap();
    assert_eq!((&buf[..n], p), (&b"foo"[..], 3));
}

#[test]
fn test_receive_timeout_positional() {
    let q = fixture();
    let mut buf = [0u8; 10];
    let e = q.receive_timeout(&mut buf, Timeout::Immediate).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    assert!(e.message().contains("empty"), "{e}");
}

#[test]
fn test_receive_nonzero_timeout() {
    let q = fixture();
    let mut buf = [0u8; 10];
    let start = Instant::now();
    let e = q
        .receive_timeout(&mut buf, Timeout::After(TIMEOUT))
        .unwrap_err();
    assert_waited(start);
    assert!(e.is_busy());
    assert_eq!(e.kind(), ErrorKind::TimedOut);
}

#[test]
fn test_receive_max_length() {
    let q = fixture();
    q.send(b"0123456789", 0).unwrap();
    let mut buf = [0u8; 10];
    let (n, _) = q.receive(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"0123456789");
    q.send(b"abcdefghij", 1).unwrap();
    let (v, _) = recv(&q);
    assert_eq!(v, b"abcdefghij");
    assert_eq!(v.capacity(), 10);
}

// ---- TestMessageQueueNotification: the two threaded tests ----

#[test]
fn test_request_notification_threaded_one_shot() {
    let q = fixture();
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || tx.send(std::thread::current().id()).unwrap())
        .unwrap();
    q.send(b"", 0).unwrap();
    let id = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_ne!(id, std::thread::current().id(), "runs on another thread");
    q.send(b"", 0).unwrap();
    recv(&q);
    recv(&q);
    q.send(b"", 0).unwrap();
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "one-shot: no second call"
    );
}

fn arm(q: &Arc<Queue>, tx: mpsc::Sender<u32>, round: u32) {
    let weak: Weak<Queue> = Arc::downgrade(q);
    q.notify_callback(move || {
        if let Some(q) = weak.upgrade() {
            // Re-arm first, then report, so the next send is always seen.
            arm(&q, tx.clone(), round + 1);
        }
        tx.send(round).unwrap();
    })
    .unwrap();
}

#[test]
fn test_request_notification_threaded_rearm() {
    let q = fixture();
    let q = Arc::new(q);
    let (tx, rx) = mpsc::channel();
    arm(&q, tx, 0);
    for i in 0..10u32 {
        q.send(&i.to_le_bytes(), 0).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), i);
        assert_eq!(recv(&q).0, i.to_le_bytes());
    }
    q.cancel_notification().unwrap();
}

// ---- TestMessageQueueDestruction (1) ----

#[test]
fn test_close_and_unlink() {
    let q = fixture();
    let name = q.name().unwrap().clone();
    q.unlink().unwrap();
    q.into_inner().close().unwrap();
    assert_eq!(
        MessageQueue::open(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

// ---- TestMessageQueuePropertiesAndAttributes (8) ----
// "read-only" halves need no test: the getters have no setters.

#[test]
fn test_property_name() {
    let q = fixture();
    assert!(q.name().unwrap().as_bytes().starts_with(b"/"));
    assert!(q.name().unwrap().as_bytes().len() >= 2);
    assert!(q.name().unwrap().to_string().starts_with("/ipcrs-mq-"));
}

#[test]
fn test_property_mqd() {
    let q = fixture();
    assert!(q.as_raw_fd() >= 0);
}

#[test]
fn test_fileno() {
    let q = fixture();
    assert_eq!(q.as_fd().as_raw_fd(), q.as_raw_fd());
}

#[test]
fn test_property_max_messages() {
    let q = fixture();
    assert_eq!(q.max_messages(), 10);
}

#[test]
fn test_property_max_message_size() {
    let q = fixture();
    assert_eq!(q.max_message_size(), 10);
}

#[test]
fn test_property_current_messages() {
    let q = fixture();
    assert_eq!(q.current_messages().unwrap(), 0);
    q.send(b"", 0).unwrap();
    assert_eq!(q.current_messages().unwrap(), 1);
    for _ in 0..3 {
        q.send(b"", 0).unwrap();
    }
    let mut seen = vec![q.current_messages().unwrap()];
    for _ in 0..4 {
        recv(&q);
        seen.push(q.current_messages().unwrap());
    }
    assert_eq!(seen, [4, 3, 2, 1, 0]);
}

#[test]
fn test_block_flag_default_value_and_writability() {
    let q = fixture();
    assert!(q.block().unwrap());
    q.set_block(false).unwrap();
    assert!(!q.block().unwrap());
    q.set_block(true).unwrap();
    assert!(q.block().unwrap());
}

#[test]
fn test_block_flag_false() {
    let q = sized(3, 10);
    q.set_block(false).unwrap();
    let mut buf = [0u8; 10];
    let start = Instant::now();
    let e = q
        .receive_timeout(&mut buf, Timeout::After(Duration::from_secs(10)))
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    fill(&q);
    let e = q
        .send_timeout(b" ", 0, Timeout::After(Duration::from_secs(10)))
        .unwrap_err();
    assert!(e.is_busy());
    assert!(start.elapsed() < Duration::from_secs(1));
}

// ---- What the Python suite does not cover (reference §3) ----

#[test]
fn block_is_per_descriptor_and_o_nonblock_flag_works() {
    let q = fixture();
    let nb = MessageQueue::options()
        .flags(O_NONBLOCK)
        .open(q.name().unwrap())
        .unwrap();
    assert!(!nb.block().unwrap());
    assert!(q.block().unwrap());
    assert!(nb.receive_vec().unwrap_err().is_busy());
    let nb2 = MessageQueue::options()
        .block(false)
        .open(q.name().unwrap())
        .unwrap();
    assert!(!nb2.block().unwrap());
}

#[test]
fn mode_is_the_real_mode_and_debug_is_like_repr() {
    let name = fresh_name();
    let q = MessageQueue::options()
        .create_new(true)
        .mode(0o640)
        .max_messages(2)
        .max_message_size(16)
        .write(false)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    let umask = nix::sys::stat::umask(nix::sys::stat::Mode::empty());
    nix::sys::stat::umask(umask);
    assert_eq!(q.mode().unwrap().bits(), 0o640 & !umask.bits());
    // Opened by name without a mode: the real mode, not posix_ipc's 0o600.
    let other = MessageQueue::open(name.as_str()).unwrap();
    assert_eq!(other.mode().unwrap(), q.mode().unwrap());
    let shown = format!("{q:?}");
    for part in [
        format!("name: \"{name}\""),
        "max_messages: 2".into(),
        "max_message_size: 16".into(),
        "read: true".into(),
        "write: false".into(),
    ] {
        assert!(shown.contains(&part), "{shown} lacks {part}");
    }
}

#[test]
fn creat_on_existing_queue_keeps_its_attributes() {
    let q = fixture();
    let other = MessageQueue::options()
        .create(true)
        .max_messages(3)
        .max_message_size(5)
        .open(q.name().unwrap())
        .unwrap();
    assert_eq!((other.max_messages(), other.max_message_size()), (10, 10));
}

#[test]
fn default_sizes_are_the_kernel_defaults() {
    let l = limits::message_queue_limits().unwrap();
    let name = fresh_name();
    let q = MessageQueue::create(name.as_str())
        .unwrap()
        .unlink_on_drop();
    let expect = |d: u64, m: u64| usize::try_from(d.min(m)).unwrap();
    assert_eq!(q.max_messages(), expect(l.msg_default, l.msg_max));
    assert_eq!(
        q.max_message_size(),
        expect(l.msgsize_default, l.msgsize_max)
    );
    drop(q);
    let name = fresh_name();
    let q = MessageQueue::options()
        .create(true)
        .max_message_size(7)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    assert_eq!(q.max_messages(), expect(l.msg_default, l.msg_max));
    assert_eq!(q.max_message_size(), 7);
}

#[test]
fn empty_and_binary_messages_round_trip() {
    let q = fixture();
    q.send(b"", 5).unwrap();
    q.send(b"a\0b\xff", 4).unwrap();
    q.send("hé".as_bytes(), 3).unwrap();
    assert_eq!(recv(&q), (Vec::new(), 5));
    assert_eq!(recv(&q), (b"a\0b\xff".to_vec(), 4));
    assert_eq!(recv(&q), ("hé".as_bytes().to_vec(), 3));
}

#[test]
fn threads_share_one_handle() {
    let q = sized(4, 8);
    let q = Arc::new(q);
    let sender = {
        let q = Arc::clone(&q);
        std::thread::spawn(move || {
            for i in 0..1000u32 {
                q.send(&i.to_le_bytes(), 0).unwrap();
            }
        })
    };
    let mut buf = [0u8; 8];
    for i in 0..1000u32 {
        let (n, _) = q
            .receive_timeout(&mut buf, Timeout::After(Duration::from_secs(10)))
            .unwrap();
        assert_eq!(&buf[..n], i.to_le_bytes());
    }
    sender.join().unwrap();
}
