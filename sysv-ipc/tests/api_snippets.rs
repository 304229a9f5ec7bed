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
