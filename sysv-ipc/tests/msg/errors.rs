//! Message queues: every bad input sysv_ipc wraps, crashes on or reports as a
//! raw `OSError`, the controls its users ask for (`MSG_NOERROR` #53,
//! `MSG_EXCEPT` #54), removal and blocking between threads, and the staging
//! buffers.

use std::sync::Arc;
use std::thread;

use crate::support::{gettid, new_queue, new_queue_with, unused_key, wait_blocked_in_msg};
use sysv_ipc::{
    ErrorKind, IPC_CREAT, IPC_EXCL, MessageQueue, STACK_MESSAGE_SIZE, Selector, Wait,
    limits::message_queue_limits, remove_message_queue,
};

#[test]
fn handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MessageQueue>();
    assert_send_sync::<sysv_ipc::RemoveOnDrop<MessageQueue>>();
}

#[test]
fn type_zero_and_negative_are_rejected_before_any_system_call() {
    let q = new_queue();
    q.remove().unwrap();
    // On a removed queue a system call would say Removed: InvalidInput proves
    // the check comes first.
    for bad in [0, -1, -42] {
        let e = q.send(b"x", bad, Wait::NoWait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(e.message().contains(&format!("type {bad}")), "{e}");
        assert_eq!(e.raw_os_error(), None);
    }
    for bad in [
        Selector::Type(0),
        Selector::Type(-2),
        Selector::UpTo(0),
        Selector::UpTo(-5),
        Selector::Except(0),
    ] {
        let e = q.receive_vec(bad, Wait::NoWait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        let mut buf = [0u8; 8];
        let e = q.receive(&mut buf, bad, Wait::NoWait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    let e = Selector::from_raw(libc::c_long::MIN).unwrap_err();
    assert!(e.is_invalid_input());
}

#[test]
fn message_above_max_message_size_names_the_limit() {
    let q = new_queue();
    let e = q.send(&[0u8; 2049], 1, Wait::Block).unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains("2049 bytes"), "{e}");
    assert!(e.message().contains("(2048)"), "{e}");
    q.send(&[0u8; 2048], 1, Wait::Block).unwrap();
}

#[test]
fn message_above_kernel_msgmax_is_invalid_input_naming_msgmax() {
    let msgmax = usize::try_from(message_queue_limits().unwrap().msgmax).unwrap();
    let q = new_queue_with(MessageQueue::options().max_message_size(msgmax + 1));
    let e = q.send(&vec![1u8; msgmax + 1], 1, Wait::NoWait).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    assert!(
        e.message().contains(&format!("kernel.msgmax = {msgmax}")),
        "{e}"
    );
    // The largest allowed message goes through, whichever buffer stages it.
    q.send(&vec![2u8; msgmax], 2, Wait::NoWait).unwrap();
    let m = q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
    assert_eq!((m.mtype, m.data.len()), (2, msgmax));
    assert!(m.data.iter().all(|&b| b == 2));
}

#[test]
fn max_message_size_above_an_int_is_refused() {
    let too_big = usize::try_from(i32::MAX).unwrap() + 1;
    let e = MessageQueue::options()
        .max_message_size(too_big)
        .create_unique()
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains(&too_big.to_string()), "{e}");
    let e = MessageQueue::options()
        .max_message_size(usize::MAX)
        .open_id(0)
        .unwrap_err();
    assert!(e.is_invalid_input());
}

#[test]
fn send_to_a_removed_queue_is_removed_not_a_raw_einval() {
    let q = new_queue();
    q.remove().unwrap();
    for wait in [Wait::Block, Wait::NoWait] {
        let e = q.send(b"x", 1, wait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed);
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
        assert!(e.is_existential());
        assert!(e.message().contains(&q.id().to_string()), "{e}");
    }
}

#[test]
fn receive_from_a_removed_queue_is_removed() {
    let q = new_queue();
    q.remove().unwrap();
    for wait in [Wait::Block, Wait::NoWait] {
        let e = q.receive_vec(Selector::Any, wait).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed);
        assert!(e.message().contains("no longer exists"), "{e}");
    }
    assert_eq!(q.stat().unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(q.set_max_size(100).unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(q.set_mode(0o600).unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(q.remove().unwrap_err().kind(), ErrorKind::Removed);
    // An id from the caller, not from a handle: NotFound, as for a key.
    assert_eq!(
        remove_message_queue(-1).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn opening_checks_keys_ids_flags_and_modes() {
    let (key, _k) = unused_key();
    let e = MessageQueue::open(key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains(&key.to_string()), "{e}");

    let e = MessageQueue::options()
        .flags(IPC_EXCL)
        .open(key)
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains("IPC_CREAT"), "{e}");
    // Permission bits in flags (sysv_ipc lets mode=0o1600 mean IPC_CREAT).
    let e = MessageQueue::options()
        .flags(IPC_CREAT | 0o600)
        .open(key)
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert!(e.message().contains("mode()"), "{e}");
    let e = MessageQueue::options()
        .create(true)
        .mode(0o1600)
        .open(key)
        .unwrap_err();
    assert!(e.is_invalid_input());
    // Nothing was created by the refused calls.
    assert_eq!(
        MessageQueue::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let q = new_queue();
    let id = q.id();
    q.remove().unwrap();
    let e = MessageQueue::from_id(id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains(&id.to_string()), "{e}");
}

#[test]
fn private_key_always_creates_a_new_queue() {
    let a = MessageQueue::open(sysv_ipc::IPC_PRIVATE)
        .unwrap()
        .remove_on_drop();
    let b = MessageQueue::open(sysv_ipc::IPC_PRIVATE)
        .unwrap()
        .remove_on_drop();
    assert_ne!(a.id(), b.id());
    assert!(a.key().is_private());
    assert_eq!(MessageQueue::from_id(a.id()).unwrap().key(), a.key());
}

#[test]
fn e2big_leaves_the_message_queued_and_names_the_buffer() {
    let q = new_queue();
    q.send(b"123456789", 5, Wait::Block).unwrap();
    let mut buf = [0u8; 4];
    let e = q
        .receive(&mut buf, Selector::Type(5), Wait::NoWait)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.raw_os_error(), Some(libc::E2BIG));
    assert!(e.message().contains("4-byte buffer"), "{e}");
    assert!(e.message().contains("type 5"), "{e}");
    assert!(e.message().contains("MSG_NOERROR"), "{e}");
    // sysv_ipc's case: max_message_size 4, a 9-byte message.
    let small = MessageQueue::options()
        .max_message_size(4)
        .open(q.key())
        .unwrap();
    let e = small.receive_vec(Selector::Any, Wait::NoWait).unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(q.current_messages().unwrap(), 1);
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::NoWait).unwrap().data,
        b"123456789"
    );
}

#[test]
fn msg_noerror_truncates_instead_of_failing() {
    let q = new_queue();
    q.send(b"abcdefghij", 1, Wait::Block).unwrap();
    q.send(b"klmnopqrst", 2, Wait::Block).unwrap();
    let mut buf = [0u8; 3];
    let got = q
        .receive_truncating(&mut buf, Selector::Type(2), Wait::NoWait)
        .unwrap();
    assert_eq!(got, (3, 2));
    assert_eq!(&buf, b"klm");
    let small = MessageQueue::options()
        .max_message_size(5)
        .open(q.key())
        .unwrap();
    let m = small
        .receive_vec_truncating(Selector::Any, Wait::NoWait)
        .unwrap();
    assert_eq!((m.mtype, m.data.as_slice()), (1, &b"abcde"[..]));
    assert_eq!(q.current_messages().unwrap(), 0);
    // A message that fits is not affected.
    q.send(b"ok", 3, Wait::Block).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(
        q.receive_truncating(&mut buf, Selector::Any, Wait::NoWait)
            .unwrap(),
        (2, 3)
    );
}

#[test]
fn msg_except_skips_one_type() {
    let q = new_queue();
    for (t, text) in [(1, "a"), (1, "b"), (2, "c"), (1, "d"), (3, "e")] {
        q.send(text.as_bytes(), t, Wait::Block).unwrap();
    }
    let got: Vec<_> = (0..2)
        .map(|_| q.receive_vec(Selector::Except(1), Wait::NoWait).unwrap())
        .map(|m| (m.mtype, m.data))
        .collect();
    assert_eq!(got, [(2, b"c".to_vec()), (3, b"e".to_vec())]);
    let e = q
        .receive_vec(Selector::Except(1), Wait::NoWait)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.message().contains("any type but the excluded one"), "{e}");
    assert_eq!(q.current_messages().unwrap(), 3);
}

#[test]
fn raising_max_size_above_msgmnb_needs_cap_sys_resource() {
    let q = new_queue();
    let msgmnb = message_queue_limits().unwrap().msgmnb;
    match q.set_max_size(msgmnb + 1) {
        Ok(()) => assert_eq!(q.max_size().unwrap(), msgmnb + 1), // privileged run
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::PermissionDenied);
            assert!(e.message().contains("CAP_SYS_RESOURCE"), "{e}");
            assert!(e.message().contains(&msgmnb.to_string()), "{e}");
            assert_eq!(q.max_size().unwrap(), msgmnb);
        }
    }
    // 2**64 + 7 cannot be expressed; u64::MAX is not wrapped to something
    // small. Where msg_qbytes is a 32-bit unsigned long, it is refused.
    match q.set_max_size(u64::MAX) {
        Ok(()) => assert_eq!(q.max_size().unwrap(), u64::MAX),
        Err(e) if cfg!(target_pointer_width = "32") => assert!(e.is_invalid_input(), "{e}"),
        Err(e) => assert!(e.is_permissions(), "{e}"),
    }
    assert_eq!(q.max_size().unwrap(), msgmnb);
}

#[test]
fn mode_bits_are_checked_and_set() {
    let q = new_queue();
    q.set_mode(0o640).unwrap();
    assert_eq!(q.mode().unwrap().bits(), 0o640);
    for bad in [0o1000, 0o7777, u32::MAX] {
        let e = q.set_mode(bad).unwrap_err();
        assert!(e.is_invalid_input(), "{bad:o}");
    }
    assert_eq!(q.mode().unwrap().bits(), 0o640);
}

#[test]
fn blocked_send_resumes_when_another_thread_receives() {
    let q = Arc::new(new_queue());
    q.set_max_size(10).unwrap();
    q.send(&[1u8; 10], 1, Wait::Block).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = {
        let q = Arc::clone(&q);
        thread::spawn(move || {
            tx.send(gettid()).unwrap();
            q.send(&[2u8; 10], 2, Wait::Block)
        })
    };
    assert!(wait_blocked_in_msg(std::process::id(), rx.recv().unwrap()));
    assert_eq!(q.current_messages().unwrap(), 1);
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::Block).unwrap().data,
        [1u8; 10]
    );
    handle.join().unwrap().unwrap();
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::Block).unwrap().data,
        [2u8; 10]
    );
}

#[test]
fn removing_the_queue_wakes_a_blocked_sender_and_receiver_with_removed() {
    let full = new_queue();
    full.set_max_size(1).unwrap();
    full.send(b"x", 1, Wait::Block).unwrap();
    let empty = new_queue();
    let (full_id, empty_id) = (full.id(), empty.id());
    let (tx, rx) = std::sync::mpsc::channel();
    let sender = {
        let tx = tx.clone();
        thread::spawn(move || {
            let q = MessageQueue::from_id(full_id).unwrap();
            tx.send(gettid()).unwrap();
            q.send(b"y", 1, Wait::Block)
        })
    };
    let receiver = thread::spawn(move || {
        let q = MessageQueue::from_id(empty_id).unwrap();
        tx.send(gettid()).unwrap();
        q.receive_vec(Selector::Any, Wait::Block)
    });
    for _ in 0..2 {
        let tid = rx.recv().unwrap();
        // Removing before the thread blocks would give Removed too; waiting
        // makes this the EIDRM-while-waiting case.
        assert!(wait_blocked_in_msg(std::process::id(), tid));
    }
    full.remove().unwrap();
    empty.remove().unwrap();
    let e = sender.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
    let e = receiver.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
}

/// Receive buffers above the stack size, shared by threads: staged at msgmax
/// (on the stack by default; in the handle's scratch buffer, or a temporary
/// one while another thread holds it, where msgmax is larger), every byte
/// must arrive either way.
#[test]
fn large_receive_buffers_from_many_threads() {
    let q = Arc::new(new_queue_with(
        MessageQueue::options().max_message_size(2000),
    ));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let mut buf = vec![0u8; STACK_MESSAGE_SIZE * 2];
                let mut seen = Vec::new();
                for _ in 0..50 {
                    let (len, mtype) = q.receive(&mut buf, Selector::Any, Wait::Block).unwrap();
                    let n = usize::try_from(mtype).unwrap();
                    assert_eq!(len, n % 2000);
                    let expect = u8::try_from(n % 251).unwrap();
                    assert!(buf[..len].iter().all(|&b| b == expect), "message {n}");
                    seen.push(n);
                }
                seen
            })
        })
        .collect();
    for n in 1..=200usize {
        let byte = u8::try_from(n % 251).unwrap();
        q.send(
            &vec![byte; n % 2000],
            libc::c_long::try_from(n).unwrap(),
            Wait::Block,
        )
        .unwrap();
    }
    let mut all: Vec<usize> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=200).collect::<Vec<_>>());
}

#[test]
fn guard_removes_and_tolerates_an_already_removed_queue() {
    let q = new_queue();
    let id = q.id();
    drop(q);
    assert_eq!(
        MessageQueue::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let q = new_queue();
    q.remove().unwrap();
    drop(q); // must not panic
}

#[test]
fn limits_match_proc() {
    let l = message_queue_limits().unwrap();
    let read = |n: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/sys/kernel/{n}"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(
        (l.msgmax, l.msgmnb, l.msgmni),
        (read("msgmax"), read("msgmnb"), read("msgmni"))
    );
}

#[test]
fn a_message_larger_than_the_queue_capacity_is_an_error_not_a_hang() {
    let q = new_queue();
    q.set_max_size(100).unwrap();
    let big = [7u8; 200];
    for wait in [Wait::NoWait, Wait::Block] {
        let e = q.send(&big, 1, wait).unwrap_err();
        assert!(e.is_invalid_input(), "{wait:?}: {e}");
        assert!(e.message().contains("at most 100 bytes"), "{e}");
    }
    // A message that fits still goes through, and a full queue is WouldBlock.
    q.send(&big[..100], 1, Wait::NoWait).unwrap();
    assert!(q.send(&big[..1], 1, Wait::NoWait).unwrap_err().is_busy());
}
