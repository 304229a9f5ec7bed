//! The behaviour each method documents, one test per documented case (the
//! checks that used to be doc tests of `MessageQueue`, its options and its
//! notifications).

use posix_ipc::{MessageQueue, MessageQueueOptions, Result};

#[test]
fn handles_are_send_and_sync() {
    fn assert<T: Send + Sync>() {}
    assert::<MessageQueue>();
    assert::<MessageQueueOptions>();
}

#[test]
fn type_example() -> Result<()> {
    use posix_ipc::{MessageQueue, Timeout};
    let q = MessageQueue::options()
        .max_messages(4)
        .max_message_size(64)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"low", 1)?;
    q.send(b"high", 9)?;
    let mut buf = [0u8; 64];
    let (len, priority) = q.receive(&mut buf)?;
    assert_eq!((&buf[..len], priority), (&b"high"[..], 9));
    assert_eq!(
        q.receive_vec_timeout(Timeout::Immediate)?,
        (b"low".to_vec(), 1)
    );
    assert!(
        q.receive_timeout(&mut buf, Timeout::Immediate)
            .unwrap_err()
            .is_busy()
    );
    Ok(())
}

#[test]
fn options_type_example() -> Result<()> {
    use posix_ipc::MessageQueue;
    let q = MessageQueue::options()
        .create_new(true)
        .mode(0o600)
        .max_messages(8)
        .max_message_size(128)
        .create_unique()?;
    assert_eq!((q.max_messages(), q.max_message_size()), (8, 128));
    q.unlink()?;
    Ok(())
}

#[test]
fn options_new() -> Result<()> {
    let o = posix_ipc::MessageQueueOptions::new();
    assert!(
        o.open("/ipcrs-doc-absent-queue")
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

#[test]
fn options_create() -> Result<()> {
    let name = crate::support::fresh_name();
    let _q = posix_ipc::MessageQueue::options()
        .create(true)
        .max_message_size(16)
        .open(&name)?
        .unlink_on_drop();
    let again = posix_ipc::MessageQueue::options()
        .create(true)
        .open(&name)?; // opens it
    assert_eq!(again.max_message_size(), 16);
    Ok(())
}

#[test]
fn options_create_new() -> Result<()> {
    use posix_ipc::{ErrorKind, MessageQueue};
    let q = MessageQueue::options()
        .max_message_size(16)
        .create_unique()?
        .unlink_on_drop();
    let e = MessageQueue::options()
        .create_new(true)
        .open(q.name().unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    Ok(())
}

#[test]
fn options_mode() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .mode(0o640)
        .max_message_size(16)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.mode()?.bits() & 0o700, 0o600);
    Ok(())
}

#[test]
fn options_max_messages() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_messages(2)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.max_messages(), 2);
    Ok(())
}

#[test]
fn options_max_message_size() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(100)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.max_message_size(), 100);
    Ok(())
}

#[test]
fn options_read() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .read(false)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"x", 0)?;
    assert!(
        q.receive_vec_timeout(posix_ipc::Timeout::Immediate)
            .unwrap_err()
            .is_permissions()
    );
    Ok(())
}

#[test]
fn options_write() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .write(false)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.send(b"x", 0).unwrap_err().is_permissions());
    Ok(())
}

#[test]
fn options_block() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .block(false)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(!q.block()?);
    assert!(q.receive_vec().unwrap_err().is_busy());
    Ok(())
}

#[test]
fn options_allow_foreign_owner() -> Result<()> {
    let name = crate::support::fresh_name();
    let _mine = posix_ipc::MessageQueue::create_new(&name)?.unlink_on_drop();
    // Our own queue is opened either way.
    let again = posix_ipc::MessageQueue::options()
        .create(true)
        .allow_foreign_owner(false)
        .open(&name)?;
    assert!(!again.created());
    Ok(())
}

#[test]
fn options_flags() -> Result<()> {
    use posix_ipc::{MessageQueue, O_CREX, O_NONBLOCK, O_WRONLY};
    let q = MessageQueue::options()
        .flags(O_CREX | O_NONBLOCK)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(!q.block()?);
    let e = MessageQueue::options()
        .flags(O_WRONLY)
        .open(q.name().unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("write(true)"));
    Ok(())
}

#[test]
fn options_open() -> Result<()> {
    use posix_ipc::MessageQueue;
    let q = MessageQueue::options()
        .max_message_size(16)
        .create_unique()?
        .unlink_on_drop();
    let reader = MessageQueue::options()
        .write(false)
        .open(q.name().unwrap())?;
    q.send(b"hi", 0)?;
    assert_eq!(reader.receive_vec()?.0, b"hi");
    Ok(())
}

#[test]
fn options_create_unique() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(16)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.name().unwrap().to_str().unwrap().starts_with("/pipc_"));
    Ok(())
}

#[test]
fn options_fn() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_messages(3)
        .max_message_size(32)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.max_messages(), 3);
    Ok(())
}

#[test]
fn open() -> Result<()> {
    use posix_ipc::{ErrorKind, MessageQueue};
    let q = MessageQueue::options()
        .max_message_size(16)
        .create_unique()?;
    let same = MessageQueue::open(q.name().unwrap())?;
    assert_eq!(same.max_message_size(), 16);
    q.unlink()?;
    assert_eq!(
        MessageQueue::open(q.name().unwrap()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    Ok(())
}

#[test]
fn create() -> Result<()> {
    let name = crate::support::fresh_name();
    let q = posix_ipc::MessageQueue::create(&name)?.unlink_on_drop();
    assert!(q.max_messages() >= 1);
    Ok(())
}

#[test]
fn create_new() -> Result<()> {
    use posix_ipc::{ErrorKind, MessageQueue};
    let name = crate::support::fresh_name();
    let _q = MessageQueue::create_new(&name)?.unlink_on_drop();
    assert_eq!(
        MessageQueue::create_new(&name).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    Ok(())
}

#[test]
fn create_unique() -> Result<()> {
    let q = posix_ipc::MessageQueue::create_unique()?.unlink_on_drop();
    assert_eq!(q.current_messages()?, 0);
    Ok(())
}

#[test]
fn name() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.name().unwrap().as_bytes().starts_with(b"/pipc_"));
    Ok(())
}

#[test]
fn created() -> Result<()> {
    let name = crate::support::fresh_name();
    let first = posix_ipc::MessageQueue::create(&name)?.unlink_on_drop();
    let second = posix_ipc::MessageQueue::create(&name)?;
    assert!(first.created() && !second.created());
    Ok(())
}

#[test]
fn max_messages() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_messages(5)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.max_messages(), 5);
    Ok(())
}

#[test]
fn max_message_size() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(42)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.max_message_size(), 42);
    Ok(())
}

#[test]
fn can_read() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .write(false)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.can_read() && !q.can_write());
    Ok(())
}

#[test]
fn can_write() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .read(false)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.can_write() && !q.can_read());
    Ok(())
}

#[test]
fn current_messages() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"a", 0)?;
    assert_eq!(q.current_messages()?, 1);
    Ok(())
}

#[test]
fn block() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.block()?);
    Ok(())
}

#[test]
fn set_block() -> Result<()> {
    use posix_ipc::MessageQueue;
    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    let other = MessageQueue::open(q.name().unwrap())?;
    q.set_block(false)?;
    assert!(!q.block()? && other.block()?);
    assert!(q.receive_vec().unwrap_err().is_busy());
    Ok(())
}

#[test]
fn mode() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .mode(0o600)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(q.mode()?.bits(), 0o600);
    Ok(())
}

#[test]
fn send() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(4)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"ping", 0)?;
    let e = q.send(b"too long", 0).unwrap_err();
    assert!(e.to_string().contains("at most 4 bytes"));
    assert!(q.send(b"", 1 << 20).unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn send_timeout() -> Result<()> {
    use posix_ipc::{MessageQueue, Timeout};
    use std::time::Duration;
    let q = MessageQueue::options()
        .max_messages(1)
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    q.send_timeout(b"1", 0, Timeout::Immediate)?;
    let e = q
        .send_timeout(b"2", 0, Timeout::After(Duration::from_millis(10)))
        .unwrap_err();
    assert_eq!(e.kind(), posix_ipc::ErrorKind::TimedOut);
    assert!(e.is_busy());
    Ok(())
}

#[test]
fn receive() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(16)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"hello", 3)?;
    let mut buf = [0u8; 16];
    let (n, prio) = q.receive(&mut buf)?;
    assert_eq!((&buf[..n], prio), (&b"hello"[..], 3));
    let e = q.receive(&mut [0u8; 4]).unwrap_err();
    assert!(e.to_string().contains("at least 16 bytes"));
    Ok(())
}

#[test]
fn receive_timeout() -> Result<()> {
    use posix_ipc::{MessageQueue, Timeout};
    use std::time::Duration;
    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    let mut buf = [0u8; 8];
    let e = q
        .receive_timeout(&mut buf, Timeout::After(Duration::from_millis(10)))
        .unwrap_err();
    assert!(e.is_busy());
    Ok(())
}

#[test]
fn receive_vec() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(64)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"owned", 2)?;
    let (msg, prio) = q.receive_vec()?;
    assert_eq!((msg.as_slice(), prio), (&b"owned"[..], 2));
    Ok(())
}

#[test]
fn receive_vec_timeout() -> Result<()> {
    use std::time::Duration;
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(64)
        .create_unique()?
        .unlink_on_drop();
    assert!(
        q.receive_vec_timeout(Duration::from_millis(5))
            .unwrap_err()
            .is_busy()
    );
    q.send(b"owned", 2)?;
    assert_eq!(
        q.receive_vec_timeout(posix_ipc::Timeout::Immediate)?,
        (b"owned".to_vec(), 2)
    );
    Ok(())
}

#[test]
fn unlink() -> Result<()> {
    use posix_ipc::{ErrorKind, MessageQueue};
    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()?;
    q.unlink()?;
    q.send(b"still works", 0).ok();
    assert_eq!(q.unlink().unwrap_err().kind(), ErrorKind::NotFound);
    Ok(())
}

#[test]
fn unlink_on_drop() -> Result<()> {
    let guard = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    guard.send(b"x", 0)?; // the guard derefs to the queue
    let name = guard.name().unwrap().clone();
    drop(guard);
    assert!(
        posix_ipc::unlink_message_queue(&name)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

#[test]
fn close() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?;
    q.unlink()?;
    q.close()?;
    Ok(())
}

#[test]
fn as_fd() -> Result<()> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    q.send(b"x", 0)?;
    let mut fds = [PollFd::new(q.as_fd(), PollFlags::POLLIN)];
    assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 1);
    Ok(())
}

#[test]
fn as_raw_fd() -> Result<()> {
    use std::os::fd::AsRawFd;
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    assert!(q.as_raw_fd() >= 0);
    Ok(())
}

#[test]
fn owned_fd_from() -> Result<()> {
    use std::os::fd::OwnedFd;
    let mq = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?;
    mq.unlink()?;
    let fd: OwnedFd = mq.into();
    drop(fd); // closes the queue
    Ok(())
}

#[test]
fn from_fd() -> Result<()> {
    use posix_ipc::MessageQueue;
    use std::os::fd::OwnedFd;
    let mq = MessageQueue::options()
        .max_message_size(16)
        .create_unique()?;
    let name = mq.name().unwrap().clone();
    mq.send(b"passed on", 1)?;
    let fd: OwnedFd = mq.into(); // e.g. sent to another process
    let adopted = MessageQueue::from_fd(fd)?;
    assert_eq!(
        (adopted.name(), adopted.max_message_size()),
        (Some(&name), 16)
    );
    assert_eq!(adopted.receive_vec()?, (b"passed on".to_vec(), 1));
    adopted.unlink()?;
    let pipe: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned().unwrap();
    assert!(MessageQueue::from_fd(pipe).unwrap_err().is_invalid_input());
    use std::os::fd::AsFd;
    Ok(())
}

#[test]
fn try_clone() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?;
    let clone = q.try_clone()?.unlink_on_drop();
    q.send(b"one", 0)?;
    q.close()?;
    assert_eq!(clone.receive_vec()?, (b"one".to_vec(), 0));
    Ok(())
}

#[test]
fn into_raw_fd() -> Result<()> {
    use std::os::fd::IntoRawFd;
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?;
    q.unlink()?;
    let fd = q.into_raw_fd();
    // SAFETY: `fd` is a queue descriptor we own.
    assert_eq!(unsafe { libc::close(fd) }, 0);
    Ok(())
}

#[test]
fn unlink_message_queue() -> Result<()> {
    use posix_ipc::{ErrorKind, MessageQueue, unlink_message_queue};
    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()?;
    unlink_message_queue(q.name().unwrap())?;
    assert_eq!(
        unlink_message_queue(q.name().unwrap()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(
        unlink_message_queue("no-slash")
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

#[test]
fn signal_number() -> Result<()> {
    use posix_ipc::SignalNumber;
    #[cfg(feature = "nix")]
    assert_eq!(
        SignalNumber::from(nix::sys::signal::Signal::SIGUSR1).as_raw(),
        libc::SIGUSR1
    );
    assert_eq!(SignalNumber::from(libc::SIGUSR2).as_raw(), libc::SIGUSR2);
    let rt = SignalNumber::from(posix_ipc::limits::user_signal_min() + 1);
    assert!(rt.as_raw() > libc::SIGUSR2);
    Ok(())
}

#[test]
fn signal_number_fn() -> Result<()> {
    assert_eq!(posix_ipc::SignalNumber::from(10).as_raw(), 10);
    Ok(())
}

#[test]
fn notify_callback() -> Result<()> {
    use posix_ipc::{MessageQueue, Timeout};
    use std::sync::{Arc, mpsc};
    use std::time::Duration;
    let q = Arc::new(
        MessageQueue::options()
            .max_message_size(16)
            .create_unique()?,
    );
    let (tx, rx) = mpsc::channel();
    let q2 = Arc::clone(&q);
    q.notify_callback(move || {
        let (msg, _) = q2.receive_vec_timeout(Timeout::Immediate).unwrap();
        tx.send(msg).unwrap();
    })?;
    q.send(b"ding", 0)?;
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), b"ding");
    q.unlink()?;
    Ok(())
}

#[test]
fn cancel_notification() -> Result<()> {
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    q.notify_callback(|| unreachable!("cancelled"))?;
    q.cancel_notification()?;
    q.cancel_notification()?;
    q.send(b"quiet", 0)?;
    Ok(())
}

#[test]
fn take_notification_panic() -> Result<()> {
    use std::time::Duration;
    let q = posix_ipc::MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    q.notify_callback(|| panic!("boom"))?;
    q.send(b"x", 0)?;
    let start = std::time::Instant::now();
    let mut reported = None;
    while reported.is_none() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
        reported = q.take_notification_panic();
    }
    assert_eq!(reported.as_deref(), Some("boom"));
    assert_eq!(q.take_notification_panic(), None);
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn rlimit_msgqueue_and_page_size_come_from_the_running_system() {
    let l: posix_ipc::limits::ResourceLimit = posix_ipc::limits::rlimit_msgqueue().unwrap();
    let mut raw = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `raw` is a valid, writable rlimit.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_MSGQUEUE, &mut raw) };
    assert_eq!(rc, 0);
    // `rlim_t` is 32 bits on 32-bit glibc.
    #[allow(clippy::useless_conversion)]
    let conv = |v: libc::rlim_t| (v != libc::RLIM_INFINITY).then(|| u64::from(v));
    assert_eq!((l.soft, l.hard), (conv(raw.rlim_cur), conv(raw.rlim_max)));
    // SAFETY: sysconf has no preconditions.
    let raw_page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    assert_eq!(
        Ok(posix_ipc::limits::page_size()),
        usize::try_from(raw_page)
    );
}
