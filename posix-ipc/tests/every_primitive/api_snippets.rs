//! What a Rust user types first compiles and behaves as its comment says:
//! the "Done when" list of the one-consistent-API issue, as close to verbatim
//! as a test allows, each with what it must do.

use std::time::{Duration, Instant};

use posix_ipc::{ErrorKind, MessageQueue, Semaphore, Timeout};

#[test]
fn acquire_takes_a_duration() -> posix_ipc::Result<()> {
    let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    sem.acquire(Duration::from_millis(10))?; // value 1: at once
    let start = Instant::now();
    let e = sem.acquire(Duration::from_millis(10)).unwrap_err(); // value 0: waits 10 ms
    assert!(start.elapsed() >= Duration::from_millis(9));
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.is_busy());
    // Timeout::Forever / Immediate still work, and so do Option<Duration>.
    assert_eq!(
        sem.acquire(Timeout::Immediate).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    sem.release()?;
    sem.acquire(None::<Duration>)?;
    sem.release()?;
    sem.acquire(Timeout::from_millis(5))?;
    Ok(())
}

#[test]
fn receive_timeout_takes_a_duration() -> posix_ipc::Result<()> {
    let mq = MessageQueue::options()
        .max_message_size(16)
        .create_unique()?
        .unlink_on_drop();
    let mut buf = [0u8; 16];
    let e = mq
        .receive_timeout(&mut buf, Duration::from_millis(5))
        .unwrap_err(); // empty queue: TimedOut after 5 ms
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    mq.send_timeout(b"hi", 3, Duration::from_millis(5))?;
    assert_eq!(
        mq.receive_timeout(&mut buf, Duration::from_millis(5))?,
        (2, 3)
    );
    Ok(())
}

#[test]
fn receive_fills_a_buffer_and_receive_vec_allocates_as_in_sysv_ipc() -> posix_ipc::Result<()> {
    let mq = MessageQueue::options()
        .max_message_size(8)
        .create_unique()?
        .unlink_on_drop();
    // send(data, priority): data first, as in sysv_ipc's send(data, mtype, wait).
    mq.send(b"one", 1)?;
    mq.send(b"two", 2)?;
    let mut buf = [0u8; 8];
    let (n, prio) = mq.receive(&mut buf)?; // fills the caller's buffer
    assert_eq!((&buf[..n], prio), (&b"two"[..], 2));
    assert_eq!(mq.receive_vec()?, (b"one".to_vec(), 1)); // allocates
    assert!(
        mq.receive_vec_timeout(Timeout::Immediate)
            .unwrap_err()
            .is_busy()
    );
    Ok(())
}

#[test]
fn a_read_length_is_exact_everywhere() -> posix_ipc::Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(8)?.unlink_on_drop();
    let map = shm.map()?;
    map.write_at(0, b"abcdefgh")?;
    assert_eq!(map.read_vec(2, 0)?, b""); // 0 bytes means 0 bytes
    assert_eq!(map.read_to_end(5)?, b"fgh"); // "to the end" has its own name
    assert!(map.read_vec(5, 4).unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn shared_memory_sizes_are_usize_in_both_crates() -> posix_ipc::Result<()> {
    #[repr(C)]
    #[allow(dead_code)] // only its size matters here
    struct Header {
        counter: u64,
        ring: [u32; 16],
    }
    let n: usize = size_of::<Header>();
    let shm = posix_ipc::SharedMemory::create_unique(n)?.unlink_on_drop();
    let size: usize = shm.size()?;
    assert_eq!(size, n);
    shm.set_len(2 * n)?;
    assert_eq!(shm.map_range(n, n)?.offset(), n);
    Ok(())
}

#[test]
fn unlink_on_drop_guards_are_must_use_and_keep_working() -> posix_ipc::Result<()> {
    // `#![deny(unused_must_use)]` rejecting `sem.unlink_on_drop();` is the
    // compile_fail doc test on `UnlinkOnDrop`; here the guard in use.
    let sem = Semaphore::create_unique(0)?;
    let name = sem.name().clone();
    let guard = sem.unlink_on_drop();
    assert!(Semaphore::open(&name).is_ok(), "not unlinked while held");
    drop(guard);
    assert_eq!(
        Semaphore::open(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    Ok(())
}

#[cfg(feature = "tokio")]
#[test]
fn a_guarded_queue_becomes_async_and_still_unlinks() -> posix_ipc::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let name = rt.block_on(async {
        let q = MessageQueue::create_unique()?
            .unlink_on_drop()
            .into_async()?;
        q.send(b"async", 2).await?;
        let mut buf = vec![0u8; q.get_ref().max_message_size()];
        assert_eq!(q.receive(&mut buf).await?, (5, 2));
        Ok::<_, posix_ipc::Error>(q.get_ref().name().unwrap().clone())
    })?;
    assert_eq!(
        MessageQueue::open(&name).unwrap_err().kind(),
        ErrorKind::NotFound,
        "the async queue unlinked on drop"
    );
    // Without a runtime the conversion fails, and the guard still unlinks.
    let q = MessageQueue::create_unique()?.unlink_on_drop();
    let name = q.name().unwrap().clone();
    assert!(q.into_async().is_err());
    assert_eq!(
        MessageQueue::open(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    Ok(())
}

#[test]
fn a_queue_converts_into_an_owned_fd() -> posix_ipc::Result<()> {
    use std::os::fd::{AsRawFd, OwnedFd};
    let mq = MessageQueue::create_unique()?;
    let name = mq.name().unwrap().clone();
    let raw = mq.as_raw_fd();
    let fd: OwnedFd = mq.into();
    assert_eq!(fd.as_raw_fd(), raw); // the same descriptor, still open
    let mq = MessageQueue::try_from(fd)?; // and back
    assert_eq!(mq.name(), Some(&name));
    mq.unlink()?;
    Ok(())
}

#[test]
fn notify_signal_takes_a_nix_signal() {
    // In a child process: the signal must not interrupt other tests' waits.
    const TEST: &str = "api_snippets::notify_signal_takes_a_nix_signal";
    if testkit::child_args(TEST).is_none() {
        let out = testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(30));
        assert!(out.contains("notified"), "{out}");
        return;
    }
    use std::sync::atomic::{AtomicBool, Ordering};

    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    static GOT: AtomicBool = AtomicBool::new(false);
    extern "C" fn on_signal(_: libc::c_int) {
        GOT.store(true, Ordering::SeqCst);
    }
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic.
    unsafe { sigaction(Signal::SIGUSR2, &action) }.unwrap();
    let mq = MessageQueue::options()
        .max_message_size(8)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    // A nix `Signal` with the `nix` feature, its number without.
    #[cfg(feature = "nix")]
    let signal = posix_ipc::SignalNumber::from(Signal::SIGUSR2);
    #[cfg(not(feature = "nix"))]
    let signal = Signal::SIGUSR2 as libc::c_int;
    mq.notify_signal(signal).unwrap();
    mq.send(b"wake", 0).unwrap();
    assert!(testkit::eventually(Duration::from_secs(5), || GOT.load(Ordering::SeqCst)));
    // A raw number still works, and is still checked.
    mq.notify_signal(libc::SIGUSR2).unwrap();
    assert!(mq.notify_signal(0).unwrap_err().is_invalid_input());
    mq.cancel_notification().unwrap();
    println!("notified");
}

#[test]
fn io_errors_keep_the_errno() {
    use std::error::Error as _;
    let err = Semaphore::open(crate::support::fresh_name()).unwrap_err();
    assert!(err.source().is_some(), "the OS error is the source");
    let io: std::io::Error = err.into();
    assert_eq!(io.raw_os_error(), Some(libc::ENOENT));
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}
