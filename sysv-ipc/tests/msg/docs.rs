//! The behaviour the API documentation states for each method, checked
//! here rather than in doc examples (which keep one example per concept).

/// The documented behaviour of `DEFAULT_MAX_MESSAGE_SIZE`.
#[test]
fn default_max_message_size() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(q.max_message_size(), sysv_ipc::DEFAULT_MAX_MESSAGE_SIZE);
    Ok(())
}

/// The documented behaviour of `STACK_MESSAGE_SIZE`.
#[test]
fn stack_message_size() -> sysv_ipc::Result<()> {
    assert_eq!(sysv_ipc::STACK_MESSAGE_SIZE, 8192);
    Ok(())
}

/// The documented behaviour of `Wait::try_from`.
#[test]
fn wait_try_from() -> sysv_ipc::Result<()> {
    use std::time::Duration;
    use sysv_ipc::{Timeout, Wait};
    assert_eq!(Wait::try_from(Timeout::Forever)?, Wait::Block);
    assert_eq!(Wait::try_from(Timeout::Immediate)?, Wait::NoWait);
    let e = Wait::try_from(Timeout::After(Duration::from_secs(1))).unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::Unsupported);
    Ok(())
}

/// The documented behaviour of `Selector::from_raw`.
#[test]
fn selector_from_raw() -> sysv_ipc::Result<()> {
    use sysv_ipc::Selector;
    assert_eq!(Selector::from_raw(0)?, Selector::Any);
    assert_eq!(Selector::from_raw(5)?, Selector::Type(5));
    assert_eq!(Selector::from_raw(-2)?, Selector::UpTo(2));
    assert!(Selector::from_raw(libc::c_long::MIN).is_err());
    Ok(())
}

/// The documented behaviour of `Selector::validate`.
#[test]
fn selector_validate() -> sysv_ipc::Result<()> {
    use sysv_ipc::Selector;
    assert_eq!(Selector::UpTo(3).validate()?, (-3, 0));
    let e = Selector::Type(-1).validate().unwrap_err();
    assert!(e.message().contains("> 0"));
    Ok(())
}

/// The documented behaviour of `Message`.
#[test]
fn message() -> sysv_ipc::Result<()> {
    use sysv_ipc::{Message, MessageQueue, Selector, Wait};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    q.send(b"seven", 7, Wait::Block)?;
    let m = q.receive_vec(Selector::Any, Wait::Block)?;
    assert_eq!(
        m,
        Message {
            mtype: 7,
            data: b"seven".to_vec()
        }
    );
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::new`.
#[test]
fn queue_options_new() -> sysv_ipc::Result<()> {
    let o = sysv_ipc::MessageQueueOptions::new();
    assert_eq!(o, sysv_ipc::MessageQueue::options());
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::create`.
#[test]
fn queue_options_create() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    let again = sysv_ipc::MessageQueue::options()
        .create(true)
        .open(q.key())?
        .remove_on_drop();
    assert_eq!(again.id(), q.id());
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::create_new`.
#[test]
fn queue_options_create_new() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    let e = sysv_ipc::MessageQueue::options()
        .create_new(true)
        .open(q.key())
        .unwrap_err();
    assert!(e.is_existential());
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::mode`.
#[test]
fn queue_options_mode() -> sysv_ipc::Result<()> {
    let e = sysv_ipc::MessageQueue::options()
        .mode(0o1600)
        .create_unique()
        .unwrap_err();
    assert!(e.is_invalid_input());
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::max_message_size`.
#[test]
fn queue_options_max_message_size() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::options()
        .max_message_size(10)
        .create_unique()?
        .remove_on_drop();
    assert!(
        q.send(&[0; 11], 1, sysv_ipc::Wait::Block)
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::flags`.
#[test]
fn queue_options_flags() -> sysv_ipc::Result<()> {
    use sysv_ipc::{IPC_CREX, MessageQueue};
    let q = MessageQueue::options()
        .flags(IPC_CREX)
        .create_unique()?
        .remove_on_drop();
    assert!(
        MessageQueue::options()
            .flags(0o600)
            .open(q.key())
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::allow_foreign_owner`.
#[test]
fn queue_options_allow_foreign_owner() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    let same = MessageQueue::options()
        .create(true)
        .allow_foreign_owner(true)
        .open(q.key())?
        .remove_on_drop();
    assert!(!same.created());
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::open`.
#[test]
fn queue_options_open() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(MessageQueue::options().open(q.key())?.id(), q.id());
    q.remove()?;
    let e = MessageQueue::options().open(q.key()).unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::create_unique`.
#[test]
fn queue_options_create_unique() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::options()
        .mode(0o644)
        .create_unique()?
        .remove_on_drop();
    assert!(!q.key().is_private());
    assert_eq!(q.mode()?.bits(), 0o644);
    Ok(())
}

/// The documented behaviour of `MessageQueueOptions::open_id`.
#[test]
fn queue_options_open_id() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    let by_id = MessageQueue::options()
        .max_message_size(64)
        .open_id(q.id())?;
    assert_eq!((by_id.key(), by_id.max_message_size()), (q.key(), 64));
    q.remove()?;
    assert_eq!(
        MessageQueue::from_id(q.id()).unwrap_err().kind(),
        sysv_ipc::ErrorKind::NotFound
    );
    Ok(())
}

/// The documented behaviour of `MessageQueue::options`.
#[test]
fn queue_options() -> sysv_ipc::Result<()> {
    let _q = sysv_ipc::MessageQueue::options()
        .create_new(true)
        .create_unique()?
        .remove_on_drop();
    Ok(())
}

/// The documented behaviour of `MessageQueue::open`.
#[test]
fn queue_open() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(MessageQueue::open(q.key())?.id(), q.id());
    Ok(())
}

/// The documented behaviour of `MessageQueue::create`.
#[test]
fn queue_create() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(MessageQueue::create(q.key())?.id(), q.id());
    Ok(())
}

/// The documented behaviour of `MessageQueue::create_new`.
#[test]
fn queue_create_new() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    assert!(
        MessageQueue::create_new(q.key())
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

/// The documented behaviour of `MessageQueue::create_unique`.
#[test]
fn queue_create_unique() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(q.current_messages()?, 0);
    Ok(())
}

/// The documented behaviour of `MessageQueue::from_id`.
#[test]
fn queue_from_id() -> sysv_ipc::Result<()> {
    use sysv_ipc::MessageQueue;
    let q = MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(MessageQueue::from_id(q.id())?.key(), q.key());
    Ok(())
}

/// The documented behaviour of `MessageQueue::max_message_size`.
#[test]
fn queue_max_message_size() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(q.max_message_size(), 2048);
    Ok(())
}

/// The documented behaviour of `MessageQueue::send`.
#[test]
fn queue_send() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, Wait};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    q.send(b"", 1, Wait::NoWait)?;
    assert!(q.send(b"x", 0, Wait::Block).unwrap_err().is_invalid_input());
    assert!(
        q.send(&[0; 2049], 1, Wait::Block)
            .unwrap_err()
            .message()
            .contains("2048")
    );
    q.remove()?;
    assert_eq!(
        q.send(b"x", 1, Wait::Block).unwrap_err().kind(),
        sysv_ipc::ErrorKind::Removed
    );
    Ok(())
}

/// The documented behaviour of `MessageQueue::receive_truncating`.
#[test]
fn queue_receive_truncating() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, Selector, Wait};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    q.send(b"abcdef", 1, Wait::Block)?;
    let mut buf = [0u8; 4];
    assert_eq!(
        q.receive_truncating(&mut buf, Selector::Any, Wait::NoWait)?,
        (4, 1)
    );
    assert_eq!(&buf, b"abcd");
    assert_eq!(q.current_messages()?, 0);
    Ok(())
}

/// The documented behaviour of `MessageQueue::receive_vec`.
#[test]
fn queue_receive_vec() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, Selector, Wait};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    q.send("héllo".as_bytes(), 1, Wait::Block)?;
    let m = q.receive_vec(Selector::Type(1), Wait::Block)?;
    assert_eq!(String::from_utf8(m.data).unwrap(), "héllo");
    Ok(())
}

/// The documented behaviour of `MessageQueue::receive_vec_truncating`.
#[test]
fn queue_receive_vec_truncating() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, Selector, Wait};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    q.send(b"abcdef", 1, Wait::Block)?;
    let small = MessageQueue::options().max_message_size(2).open(q.key())?;
    assert_eq!(
        small
            .receive_vec_truncating(Selector::Any, Wait::NoWait)?
            .data,
        b"ab"
    );
    Ok(())
}

/// The documented behaviour of `MessageQueue::stat`.
#[test]
fn queue_stat() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    let s = q.stat()?;
    assert_eq!(s.current_messages, 0);
    assert!(s.change_time.elapsed().unwrap_or_default().as_secs() < 60);
    q.remove()?;
    assert!(q.stat().unwrap_err().is_existential());
    Ok(())
}

/// The documented behaviour of `MessageQueue::max_size`.
#[test]
fn queue_max_size() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(
        q.max_size()?,
        sysv_ipc::limits::message_queue_limits()?.msgmnb
    );
    Ok(())
}

/// The documented behaviour of `MessageQueue::set_max_size`.
#[test]
fn queue_set_max_size() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    q.set_max_size(2048)?;
    assert_eq!(q.max_size()?, 2048);
    Ok(())
}

/// The documented behaviour of `MessageQueue::send_time`.
#[test]
fn queue_send_time() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert!(q.send_time()?.is_none());
    q.send(b"x", 1, sysv_ipc::Wait::Block)?;
    assert!(q.send_time()?.is_some());
    Ok(())
}

/// The documented behaviour of `MessageQueue::receive_time`.
#[test]
fn queue_receive_time() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert!(q.receive_time()?.is_none());
    Ok(())
}

/// The documented behaviour of `MessageQueue::change_time`.
#[test]
fn queue_change_time() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert!(q.change_time()?.elapsed().unwrap_or_default().as_secs() < 60);
    Ok(())
}

/// The documented behaviour of `MessageQueue::last_send_pid`.
#[test]
fn queue_last_send_pid() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    q.send(b"x", 1, sysv_ipc::Wait::Block)?;
    assert_eq!(q.last_send_pid()?, Some(std::process::id() as i32));
    Ok(())
}

/// The documented behaviour of `MessageQueue::last_receive_pid`.
#[test]
fn queue_last_receive_pid() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    assert_eq!(q.last_receive_pid()?, None);
    Ok(())
}

/// The documented behaviour of `MessageQueue::current_messages`.
#[test]
fn queue_current_messages() -> sysv_ipc::Result<()> {
    let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop();
    q.send(b"x", 1, sysv_ipc::Wait::Block)?;
    assert_eq!(q.current_messages()?, 1);
    Ok(())
}

/// The documented behaviour of `remove_message_queue`.
#[test]
fn remove_message_queue() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, remove_message_queue};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    remove_message_queue(q.id())?;
    assert!(MessageQueue::open(q.key()).unwrap_err().is_existential());
    assert!(remove_message_queue(-1).unwrap_err().is_existential());
    Ok(())
}

/// The documented behaviour of `MessageQueueLimits`.
#[test]
fn message_queue_limits() -> sysv_ipc::Result<()> {
    let l = sysv_ipc::limits::message_queue_limits()?;
    assert!(l.msgmax > 0 && l.msgmnb > 0 && l.msgmni > 0);
    Ok(())
}

/// The documented behaviour of `message_queue_limits`.
#[test]
fn message_queue_limits_fields() -> sysv_ipc::Result<()> {
    let l = sysv_ipc::limits::message_queue_limits()?;
    println!(
        "messages up to {} bytes, queues of {} bytes, {} queues",
        l.msgmax, l.msgmnb, l.msgmni
    );
    Ok(())
}

/// `sysv_ipc::Selector::validate`, `from_raw` and `Display`, at the edges of `c_long`.
#[cfg(target_os = "linux")]
#[test]
fn selectors_validate_and_describe() {
    assert_eq!(sysv_ipc::Selector::Any.validate().unwrap(), (0, 0));
    assert_eq!(sysv_ipc::Selector::Type(7).validate().unwrap(), (7, 0));
    assert_eq!(sysv_ipc::Selector::UpTo(7).validate().unwrap(), (-7, 0));
    assert_eq!(
        sysv_ipc::Selector::Except(7).validate().unwrap(),
        (7, posix_ipc_sys::MSG_EXCEPT)
    );
    assert_eq!(
        sysv_ipc::Selector::UpTo(libc::c_long::MAX)
            .validate()
            .unwrap(),
        (-libc::c_long::MAX, 0)
    );
    for bad in [
        sysv_ipc::Selector::Type(0),
        sysv_ipc::Selector::Type(-3),
        sysv_ipc::Selector::UpTo(0),
        sysv_ipc::Selector::UpTo(libc::c_long::MIN),
        sysv_ipc::Selector::Except(0),
        sysv_ipc::Selector::Except(-1),
    ] {
        let e = bad.validate().unwrap_err();
        assert!(e.is_invalid_input(), "{bad:?}");
        assert!(e.message().contains("> 0"), "{e}");
    }
    assert_eq!(sysv_ipc::Selector::UpTo(3).to_string(), "a type <= 3");
    assert_eq!(sysv_ipc::Selector::Except(3).to_string(), "any type but 3");
    assert_eq!(
        sysv_ipc::Selector::from_raw(-libc::c_long::MAX).unwrap(),
        sysv_ipc::Selector::UpTo(libc::c_long::MAX)
    );
}

/// `MessageQueueStat: From<&msqid_ds>`: the kernel's 0 is "never" / "none".
#[cfg(target_os = "linux")]
#[test]
fn stat_conversion_maps_zero_to_none() {
    let ds = posix_ipc_sys::msqid_ds {
        msg_perm: posix_ipc_sys::ipc_perm {
            mode: 0o640,
            ..Default::default()
        },
        msg_ctime: 10,
        msg_lrpid: 42,
        msg_qnum: 3,
        __msg_cbytes: 30,
        ..Default::default()
    };
    let s = sysv_ipc::MessageQueueStat::from(&ds);
    assert_eq!(s.send_time, None);
    assert_eq!(
        s.change_time,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(10)
    );
    assert_eq!((s.last_send_pid, s.last_receive_pid), (None, Some(42)));
    assert_eq!((s.current_messages, s.current_bytes), (3, 30));
    assert_eq!(s.permissions.mode.bits(), 0o640);
}
