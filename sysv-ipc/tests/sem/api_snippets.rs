//! The System V twin of posix-ipc's `tests/api_snippets.rs`: what a Rust user
//! types first compiles, and means what it means in posix-ipc.

use std::time::{Duration, Instant};

use sysv_ipc::{ErrorKind, SemOp, Semaphore, SemaphoreSet, Timeout};

#[test]
fn blocking_semaphore_calls_take_a_duration() -> sysv_ipc::Result<()> {
    let sem = Semaphore::create_unique(1)?.remove_on_drop();
    sem.acquire(1, Duration::from_millis(10))?;
    let start = Instant::now();
    let e = sem.acquire(1, Duration::from_millis(10)).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(9));
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.is_busy());
    assert_eq!(
        sem.acquire(1, Timeout::Immediate).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    sem.wait_zero(Duration::from_millis(10))?;
    let set = SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    set.apply(&[SemOp::release(1, 1)], Duration::from_millis(10))?;
    set.acquire(1, 1, Timeout::from_millis(10))?;
    set.wait_zero(0, None::<Duration>)?;
    Ok(())
}

#[test]
fn receive_fills_a_buffer_and_receive_vec_allocates_as_in_posix_ipc() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, Selector, Wait};
    let q = MessageQueue::create_unique()?.remove_on_drop();
    // send(data, mtype, wait): data first, as in posix_ipc's send(data, priority).
    q.send(b"one", 1, Wait::Block)?;
    q.send(b"two", 2, true)?; // a bool is sysv_ipc's block=
    let mut buf = [0u8; 64];
    let (n, mtype) = q.receive(&mut buf, Selector::Any, Wait::NoWait)?; // fills the buffer
    assert_eq!((&buf[..n], mtype), (&b"one"[..], 1));
    let m = q.receive_vec(Selector::Any, false)?; // allocates
    assert_eq!((m.data.as_slice(), m.mtype), (&b"two"[..], 2));
    assert!(
        q.receive_vec(Selector::Any, Wait::NoWait)
            .unwrap_err()
            .is_busy()
    );
    // A real timeout cannot be honoured, and is not pretended.
    assert!(Wait::try_from(Timeout::from_secs(1)).is_err());
    Ok(())
}

#[test]
fn a_read_length_is_exact_everywhere() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    seg.write(0, b"abcdefgh")?;
    let a = seg.attach()?;
    assert_eq!(a.read_vec(2, 0)?, b""); // 0 bytes means 0 bytes, on an Attachment
    assert_eq!(seg.read(2, 0)?, b""); // and on the handle
    assert_eq!(a.read_to_end(5)?, b"fgh"); // "to the end" has its own name
    assert_eq!(seg.read_to_end(5)?, b"fgh");
    assert!(seg.read(5, 4).unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn shared_memory_sizes_are_usize_in_both_crates() -> sysv_ipc::Result<()> {
    #[repr(C)]
    #[allow(dead_code)] // only its size matters here
    struct Header {
        counter: u64,
        ring: [u32; 16],
    }
    let n: usize = size_of::<Header>();
    let seg = sysv_ipc::SharedMemory::create_unique(n)?.remove_on_drop();
    let size: usize = seg.size()?;
    assert_eq!(size, n);
    Ok(())
}

#[test]
fn a_missing_id_is_not_found_for_every_kind() -> sysv_ipc::Result<()> {
    use sysv_ipc::{MessageQueue, SharedMemory};
    let sem = Semaphore::create_unique(0)?;
    let seg = SharedMemory::create_unique(64)?;
    let q = MessageQueue::create_unique()?;
    let ids = (sem.id(), seg.id(), q.id());
    sem.remove()?;
    seg.remove()?;
    q.remove()?;
    for e in [
        Semaphore::from_id(ids.0).map(drop).unwrap_err(),
        SemaphoreSet::from_id(ids.0).map(drop).unwrap_err(),
        SharedMemory::from_id(ids.1).map(drop).unwrap_err(),
        MessageQueue::from_id(ids.2).map(drop).unwrap_err(),
        sysv_ipc::attach(ids.1).map(drop).unwrap_err(),
        sysv_ipc::remove_semaphore(ids.0).unwrap_err(),
        sysv_ipc::remove_message_queue(ids.2).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }
    // A handle whose object went away says Removed.
    assert_eq!(sem.value().unwrap_err().kind(), ErrorKind::Removed);
    Ok(())
}
