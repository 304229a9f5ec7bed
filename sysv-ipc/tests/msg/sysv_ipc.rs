//! sysv_ipc's `tests/test_message_queues.py` (34 tests) and its
//! `test_remove_message_queue`, translated; weak checks made strict (a real
//! NUL byte, bounded times, no path that calls a method that does not exist).

use std::time::{Duration, SystemTime};

use crate::support::{new_queue, new_queue_with, unused_key};
use sysv_ipc::{
    ErrorKind, IPC_CREAT, IPC_CREX, Message, MessageQueue, Selector, Wait, remove_message_queue,
};

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn egid() -> u32 {
    // SAFETY: getegid has no preconditions.
    unsafe { libc::getegid() }
}

fn my_pid() -> i32 {
    i32::try_from(std::process::id()).unwrap()
}

/// Asserts `t` lies within `[before - 5 s, after + 5 s]` (timestamps have
/// one-second resolution and the kernel's coarse clock can lag under load),
/// unlike sysv_ipc's always-true `t - now < 5`.
fn assert_between(t: SystemTime, before: SystemTime, after: SystemTime) {
    let slack = Duration::from_secs(5);
    assert!(t + slack >= before, "{t:?} is before {before:?}");
    assert!(t <= after + slack, "{t:?} is after {after:?}");
}

// ---- TestMessageQueueCreation (7) ----

#[test]
fn no_flags() {
    let q = new_queue();
    let again = MessageQueue::options().flags(0).open(q.key()).unwrap();
    assert_eq!(again.id(), q.id());
}

#[test]
fn ipc_creat_existing() {
    let q = new_queue();
    let again = MessageQueue::options()
        .flags(IPC_CREAT)
        .open(q.key())
        .unwrap();
    assert_eq!(again.id(), q.id());
}

#[test]
fn ipc_creat_new() {
    let (key, _k) = unused_key();
    let q = MessageQueue::options().flags(IPC_CREAT).open(key).unwrap();
    assert_eq!(q.key(), key);
    assert_eq!(q.current_messages().unwrap(), 0);
    assert_eq!(MessageQueue::open(key).unwrap().id(), q.id());
}

#[test]
fn ipc_excl() {
    let q = new_queue();
    let e = MessageQueue::options()
        .flags(IPC_CREX)
        .open(q.key())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.is_existential());
    assert!(e.message().contains(&q.key().to_string()), "{e}");
}

#[test]
fn randomly_generated_key() {
    let a = MessageQueue::create_unique().unwrap().remove_on_drop();
    let b = MessageQueue::options()
        .flags(IPC_CREX)
        .create_unique()
        .unwrap()
        .remove_on_drop();
    assert!(!a.key().is_private());
    assert_ne!(a.key(), b.key());
    assert_ne!(a.id(), b.id());
    assert_eq!(MessageQueue::open(a.key()).unwrap().id(), a.id());
}

#[test]
fn default_flags() {
    let q = new_queue();
    assert_eq!(MessageQueue::open(q.key()).unwrap().id(), q.id());
}

#[test]
fn kwargs() {
    let q = new_queue_with(MessageQueue::options().mode(0o640));
    let opened = MessageQueue::options()
        .mode(0o600)
        .max_message_size(256)
        .open(q.key())
        .unwrap();
    assert_eq!(opened.id(), q.id());
    assert_eq!(opened.max_message_size(), 256);
    assert_eq!(opened.mode().unwrap().bits(), 0o640);
}

// ---- TestMessageQueueSendReceive (12) ----

#[test]
fn simple_send_receive() {
    let q = new_queue();
    q.send(b"abcdefg", 1, Wait::Block).unwrap();
    let m = q.receive_vec(Selector::Any, Wait::Block).unwrap();
    assert_eq!(
        m,
        Message {
            mtype: 1,
            data: b"abcdefg".to_vec()
        }
    );
}

#[test]
fn message_type_send() {
    let q = new_queue();
    q.send(b"two", 2, Wait::Block).unwrap();
    assert_eq!(q.receive_vec(Selector::Any, Wait::Block).unwrap().mtype, 2);
    q.send(b"max", libc::c_long::MAX, Wait::Block).unwrap();
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::Block).unwrap().mtype,
        libc::c_long::MAX
    );
    for bad in [-1, 0, libc::c_long::MIN] {
        let e = q.send(b"x", bad, Wait::Block).unwrap_err();
        assert!(e.is_invalid_input(), "{bad}");
        assert!(e.message().contains("> 0"), "{e}");
    }
    assert_eq!(q.current_messages().unwrap(), 0);
}

#[test]
fn message_type_receive_default_order() {
    let q = new_queue();
    for t in 1..=3 {
        q.send(format!("type{t}").as_bytes(), t, Wait::Block)
            .unwrap();
    }
    for t in 1..=3 {
        let m = q.receive_vec(Selector::Any, Wait::Block).unwrap();
        assert_eq!((m.mtype, m.data), (t, format!("type{t}").into_bytes()));
    }
    assert_eq!(q.current_messages().unwrap(), 0);
}

/// sysv_ipc skips this on Linux (its #38); here the Linux result is the
/// documented one: the lowest type <= 2 first, then the rest in FIFO order.
#[test]
fn message_type_receive_specific_order() {
    let q = new_queue();
    for t in [4, 3, 2, 1] {
        q.send(format!("type{t}").as_bytes(), t, Wait::Block)
            .unwrap();
    }
    let m = q.receive_vec(Selector::UpTo(2), Wait::NoWait).unwrap();
    assert_eq!((m.mtype, m.data.as_slice()), (1, &b"type1"[..]));
    for t in [4, 3, 2] {
        assert_eq!(q.receive_vec(Selector::Any, Wait::NoWait).unwrap().mtype, t);
    }
    // The other observations of the reference (types 1..4 then UpTo(3); 3, 2, 3 then UpTo(3)).
    for t in 1..=4 {
        q.send(b"", t, Wait::Block).unwrap();
    }
    assert_eq!(
        q.receive_vec(Selector::UpTo(3), Wait::NoWait)
            .unwrap()
            .mtype,
        1
    );
    while q.current_messages().unwrap() > 0 {
        q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
    }
    for (t, text) in [(3, "m1"), (2, "m2"), (3, "m3")] {
        q.send(text.as_bytes(), t, Wait::Block).unwrap();
    }
    let m = q.receive_vec(Selector::UpTo(3), Wait::NoWait).unwrap();
    assert_eq!((m.mtype, m.data.as_slice()), (2, &b"m2"[..]));
}

#[test]
fn message_type_receive_specific_order_no_negative_type() {
    let q = new_queue();
    for t in [4, 3, 2, 1] {
        q.send(format!("type{t}").as_bytes(), t, Wait::Block)
            .unwrap();
    }
    let m = q.receive_vec(Selector::Type(3), Wait::NoWait).unwrap();
    assert_eq!((m.mtype, m.data.as_slice()), (3, &b"type3"[..]));
    for t in [4, 2, 1] {
        let m = q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
        assert_eq!((m.mtype, m.data), (t, format!("type{t}").into_bytes()));
    }
}

#[test]
fn send_non_blocking() {
    let q = new_queue();
    let capacity = q.max_size().unwrap();
    let message = [7u8; 1000];
    let mut sent = 0u64;
    let e = loop {
        match q.send(&message, 1, Wait::NoWait) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent <= capacity, "the queue never filled");
    };
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.is_busy());
    assert!(e.message().contains("full"), "{e}");
    assert_eq!(sent, capacity / 1000);
    assert_eq!(q.current_messages().unwrap(), sent);
}

#[test]
fn receive_non_blocking() {
    let q = new_queue();
    let e = q.receive_vec(Selector::Any, Wait::NoWait).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.message().contains("any type"), "{e}");
    q.send(b"three", 3, Wait::Block).unwrap();
    let e = q.receive_vec(Selector::Type(2), Wait::NoWait).unwrap_err();
    assert!(e.is_busy());
    assert!(e.message().contains("selected type"), "{e}");
    assert_eq!(q.current_messages().unwrap(), 1);
}

/// sysv_ipc's version contains no NUL (`bytes(0)` is `b''`); this one sends
/// NULs and every other byte value.
#[test]
fn ascii_null() {
    let q = new_queue();
    let with_nul = b"abc\0def\0";
    q.send(with_nul, 1, Wait::Block).unwrap();
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::Block).unwrap().data,
        with_nul
    );
    let all: Vec<u8> = (0..=255u8).collect();
    q.send(&all, 1, Wait::Block).unwrap();
    let mut buf = [0xAAu8; 512];
    let (len, _) = q.receive(&mut buf, Selector::Any, Wait::Block).unwrap();
    assert_eq!(&buf[..len], all.as_slice());
    assert!(
        buf[len..].iter().all(|&b| b == 0xAA),
        "wrote past the message"
    );
}

#[test]
fn utf8() {
    let q = new_queue();
    let text = "Ŧűɇ ɋʊɨȼҟ ɓɍøẅƞ ʄøẋ ʝʊɱᵽş øṽɇɍ ŧħɇ łȧẓɏ đøǥ 🦀";
    q.send(text.as_bytes(), 1, Wait::Block).unwrap();
    let m = q.receive_vec(Selector::Any, Wait::Block).unwrap();
    assert_eq!(String::from_utf8(m.data).unwrap(), text);
}

#[test]
fn send_kwargs() {
    let q = new_queue();
    q.send(b"x", 1, Wait::from(true)).unwrap();
    q.send(b"y", 2, Wait::from(false)).unwrap();
    assert_eq!(q.current_messages().unwrap(), 2);
}

#[test]
fn receive_kwargs() {
    let q = new_queue();
    q.send(b"x", 1, Wait::Block).unwrap();
    q.send(b"y", 2, Wait::Block).unwrap();
    let m = q
        .receive_vec(Selector::from_raw(2).unwrap(), Wait::from(false))
        .unwrap();
    assert_eq!(m.data, b"y");
    let m = q
        .receive_vec(Selector::from_raw(0).unwrap(), Wait::from(true))
        .unwrap();
    assert_eq!(m.data, b"x");
}

#[test]
fn max_message_size_respected() {
    let q = new_queue_with(MessageQueue::options().max_message_size(10));
    let e = q.send(&[b'x'; 11], 1, Wait::Block).unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains("11 bytes"), "{e}");
    assert!(e.message().contains("max_message_size (10)"), "{e}");
    assert_eq!(q.current_messages().unwrap(), 0);
    q.send(&[b'x'; 10], 1, Wait::Block).unwrap();
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::Block)
            .unwrap()
            .data
            .len(),
        10
    );
}

// ---- TestMessageQueueRemove (1) ----

#[test]
fn remove() {
    let q = new_queue();
    q.remove().unwrap();
    let e = MessageQueue::open(q.key()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.is_existential());
}

// ---- TestMessageQueuePropertiesAndAttributes (14) ----

#[test]
fn property_key() {
    let q = new_queue();
    assert_eq!(q.stat().unwrap().key, q.key());
    assert_eq!(q.key().as_raw() >> 16, testkit::KEY_PREFIX >> 16);
    let shown = format!("{q:?}");
    assert!(shown.contains(&q.key().to_string()), "{shown}");
    assert!(shown.contains(&format!("id: {}", q.id())), "{shown}");
}

#[test]
fn property_id() {
    let q = new_queue();
    assert!(q.id() >= 0);
}

#[test]
fn property_id_weak_for_darwin() {
    let q = new_queue();
    let by_id = MessageQueue::from_id(q.id()).unwrap();
    assert_eq!((by_id.id(), by_id.key()), (q.id(), q.key()));
}

#[test]
fn attribute_max_size() {
    let q = new_queue();
    assert_eq!(
        q.max_size().unwrap(),
        sysv_ipc::limits::message_queue_limits().unwrap().msgmnb
    );
    q.set_max_size(2048).unwrap();
    assert_eq!(q.max_size().unwrap(), 2048);
    assert_eq!(q.stat().unwrap().max_size, 2048);
}

#[test]
fn property_last_send_time() {
    let q = new_queue();
    assert_eq!(q.send_time().unwrap(), None);
    let before = SystemTime::now();
    q.send(b"x", 1, Wait::Block).unwrap();
    let after = SystemTime::now();
    assert_between(q.send_time().unwrap().unwrap(), before, after);
}

#[test]
fn property_last_receive_time() {
    let q = new_queue();
    assert_eq!(q.receive_time().unwrap(), None);
    q.send(b"x", 1, Wait::Block).unwrap();
    assert_eq!(q.receive_time().unwrap(), None);
    let before = SystemTime::now();
    q.receive_vec(Selector::Any, Wait::Block).unwrap();
    let after = SystemTime::now();
    assert_between(q.receive_time().unwrap().unwrap(), before, after);
}

#[test]
fn property_last_change_time() {
    let before = SystemTime::now();
    let q = new_queue();
    let created = q.change_time().unwrap();
    assert_between(created, before, SystemTime::now());
    std::thread::sleep(Duration::from_millis(1100)); // past the 1 s granularity
    q.set_uid(q.uid().unwrap()).unwrap();
    let changed = q.change_time().unwrap();
    assert!(changed > created, "{changed:?} <= {created:?}");
    assert_between(changed, before, SystemTime::now());
}

#[test]
fn property_last_send_pid() {
    let q = new_queue();
    assert_eq!(q.last_send_pid().unwrap(), None);
    q.send(b"x", 1, Wait::Block).unwrap();
    assert_eq!(q.last_send_pid().unwrap(), Some(my_pid()));
}

#[test]
fn property_last_receive_pid() {
    let q = new_queue();
    assert_eq!(q.last_receive_pid().unwrap(), None);
    q.send(b"x", 1, Wait::Block).unwrap();
    q.receive_vec(Selector::Any, Wait::Block).unwrap();
    assert_eq!(q.last_receive_pid().unwrap(), Some(my_pid()));
}

#[test]
fn property_current_messages() {
    let q = new_queue();
    assert_eq!(q.current_messages().unwrap(), 0);
    for t in 1..=3 {
        q.send(b"x", t, Wait::Block).unwrap();
    }
    for left in [3, 2, 1, 0] {
        assert_eq!(q.current_messages().unwrap(), left);
        if left > 0 {
            q.receive_vec(Selector::Any, Wait::Block).unwrap();
        }
    }
}

#[test]
fn attribute_uid() {
    let q = new_queue();
    assert_eq!(q.uid().unwrap(), euid());
    q.set_uid(euid()).unwrap();
    assert_eq!(q.permissions().unwrap().uid, euid());
}

#[test]
fn attribute_gid() {
    let q = new_queue();
    assert_eq!(q.gid().unwrap(), egid());
    q.set_gid(egid()).unwrap();
    assert_eq!(q.permissions().unwrap().gid, egid());
}

#[test]
fn attribute_cuid() {
    let q = new_queue();
    assert_eq!(q.cuid().unwrap(), euid());
}

#[test]
fn attribute_cgid() {
    let q = new_queue();
    assert_eq!(q.cgid().unwrap(), egid());
}

// ---- test_module.py: test_remove_message_queue ----

#[test]
fn module_remove_message_queue() {
    let q = new_queue();
    remove_message_queue(q.id()).unwrap();
    assert_eq!(
        MessageQueue::open(q.key()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let e = remove_message_queue(q.id()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains(&q.id().to_string()), "{e}");
}
