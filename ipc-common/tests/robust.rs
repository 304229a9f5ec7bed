//! RobustMutex and Condvar within one process: every placement check, the
//! lock outcomes (a thread that exits holding the mutex makes the next locker
//! see owner-died, as a dead process does), timeouts, and that the hot paths
//! allocate nothing. The cross-process and SIGKILL tests are in posix-ipc's
//! and sysv-ipc's `robust.rs` and `crash.rs`.
#![cfg(any(target_os = "linux", target_os = "freebsd"))]

#[global_allocator]
static COUNTING: testkit::CountingAllocator = testkit::CountingAllocator;

use std::ptr::NonNull;
use std::time::{Duration, Instant};

use ipc_common::{Condvar, ErrorKind, LockOutcome, Region, RobustMutex, Timeout};
use testkit::allocations_during;

/// Word-aligned heap memory seen through a Region (threads stand in for
/// processes here).
struct Memory {
    words: Vec<u64>,
}

impl Memory {
    fn new(bytes: usize) -> Memory {
        Memory {
            words: vec![0; bytes.div_ceil(8)],
        }
    }

    fn region(&mut self, writable: bool) -> Region {
        let len = self.words.len() * 8;
        let ptr = NonNull::new(self.words.as_mut_ptr()).unwrap().cast();
        // SAFETY: the tests keep `self` alive, unmoved, while they use the region.
        unsafe { Region::from_raw_parts(ptr, len, writable) }
    }
}

fn locked(outcome: LockOutcome<'_>) -> ipc_common::MutexGuard<'_> {
    match outcome {
        LockOutcome::Locked(g) => g,
        LockOutcome::OwnerDied(_) => panic!("unexpected owner-died outcome"),
    }
}

#[test]
fn placement_is_checked_before_any_pthread_call() {
    let mut mem = Memory::new(256);
    let r = mem.region(true);
    let last = r.len() - RobustMutex::SIZE;
    for offset in [1, RobustMutex::ALIGN / 2, last + 1, r.len(), usize::MAX] {
        // SAFETY: each call is refused before it touches the memory.
        let e = unsafe { RobustMutex::init_at(&r, offset) }.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{offset}: {e}");
        assert!(
            e.message().contains("aligned") || e.message().contains("past the end"),
            "{e}"
        );
        // SAFETY: as above.
        let e = unsafe { Condvar::init_at(&r, offset) }.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{offset}: {e}");
    }
    // The last aligned slot that fits is fine.
    let last = last / RobustMutex::ALIGN * RobustMutex::ALIGN;
    // SAFETY: unused memory.
    let m = unsafe { RobustMutex::init_at(&r, last) }.unwrap();
    drop(locked(m.lock().unwrap()));
    // Zeroed memory is refused by open_at with a message naming the fix.
    // SAFETY: refused before any pthread call (the bytes are zero).
    let e = unsafe { RobustMutex::open_at(&r, 0) }.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("RobustMutex::init_at"), "{e}");
    // SAFETY: as above.
    let e = unsafe { Condvar::open_at(&r, 0) }.unwrap_err();
    assert!(e.message().contains("Condvar::init_at"), "{e}");
    // Read-only memory: locking writes, so it is refused.
    let ro = mem.region(false);
    // SAFETY: refused before any pthread call.
    let e = unsafe { RobustMutex::init_at(&ro, 0) }.unwrap_err();
    assert!(e.is_permissions(), "{e}");
    // SAFETY: as above.
    let e = unsafe { RobustMutex::open_at(&ro, last) }.unwrap_err();
    assert!(e.is_permissions(), "{e}");
}

#[test]
fn try_lock_timeout_and_relock_errors() {
    let mut mem = Memory::new(128);
    let r = mem.region(true);
    // SAFETY: fresh memory only this test uses.
    let m = unsafe { RobustMutex::init_at(&r, 0) }.unwrap();
    let outcome = m.try_lock().unwrap();
    assert!(!outcome.is_owner_died(), "a plain lock has no dead owner");
    let g = locked(outcome);
    // Relocking from the same thread is an error, not a deadlock.
    let e = m.lock().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EDEADLK));
    assert!(e.message().contains("already holds"), "{e}");
    std::thread::scope(|s| {
        s.spawn(|| {
            let e = m.try_lock().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
            let e = m.lock_timeout(Timeout::Immediate).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
            let start = Instant::now();
            let e = m.lock_timeout(Duration::from_millis(30)).unwrap_err();
            let took = start.elapsed();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert!(e.is_busy());
            assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
            assert!(took >= Duration::from_millis(25), "{took:?}");
            assert!(took < Duration::from_secs(10), "{took:?}");
            let e = m.lock_timeout(Duration::MAX).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        });
    });
    // Released: a timed lock from another thread gets it at once.
    g.unlock().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| drop(locked(m.lock_timeout(Duration::from_secs(5)).unwrap())));
    });
    // A waiter blocked in a timed lock gets the mutex when it is released.
    let g = locked(m.lock().unwrap());
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            m.lock_timeout(Timeout::After(Duration::from_secs(20)))
                .map(|o| drop(locked(o)))
        });
        std::thread::sleep(Duration::from_millis(20));
        drop(g);
        waiter.join().unwrap().unwrap();
    });
}

/// A thread that ends while holding the mutex (its guard leaked) is a dead
/// owner, exactly like a killed process. Joined explicitly: only
/// `pthread_join` waits until the kernel has marked the mutex (the scope
/// alone returns once the closure is done, possibly before the thread exits).
fn die_holding(m: &RobustMutex) {
    std::thread::scope(|s| {
        s.spawn(|| std::mem::forget(locked(m.lock().unwrap())))
            .join()
            .unwrap();
    });
}

#[test]
fn owner_died_then_make_consistent_restores_normal_locking() {
    let mut mem = Memory::new(128);
    let r = mem.region(true);
    // SAFETY: fresh memory only this test uses.
    let m = unsafe { RobustMutex::init_at(&r, 0) }.unwrap();
    die_holding(m);
    let outcome = m.lock().unwrap();
    assert!(outcome.is_owner_died());
    let LockOutcome::OwnerDied(inconsistent) = outcome else {
        unreachable!()
    };
    assert!(std::ptr::eq(inconsistent.mutex(), m));
    let g = inconsistent.make_consistent().unwrap();
    drop(g);
    // Consistent again: plain locks from now on.
    drop(locked(m.lock().unwrap()));
    drop(locked(m.try_lock().unwrap()));
    // recover() runs the repair exactly when the owner died.
    die_holding(m);
    let mut repairs = 0;
    drop(m.lock().unwrap().recover(|| repairs += 1).unwrap());
    drop(m.lock().unwrap().recover(|| repairs += 1).unwrap());
    assert_eq!(repairs, 1);
    // try_lock and a timed lock report owner-died too.
    die_holding(m);
    assert!(m.try_lock().unwrap().is_owner_died());
    // (dropped without repair above: unrecoverable from now on)
    let e = m.lock_timeout(Duration::from_millis(50)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotRecoverable);
}

#[test]
fn dropping_the_inconsistent_guard_makes_the_mutex_unrecoverable() {
    let mut mem = Memory::new(256);
    let r = mem.region(true);
    // SAFETY: fresh memory only this test uses.
    let (m, cv) = unsafe { (RobustMutex::init_at(&r, 0), Condvar::init_at(&r, 128)) };
    let (m, cv) = (m.unwrap(), cv.unwrap());
    die_holding(m);
    match m.lock().unwrap() {
        LockOutcome::OwnerDied(gave_up) => drop(gave_up),
        LockOutcome::Locked(_) => panic!("the owner died"),
    }
    for e in [
        m.lock().unwrap_err(),
        m.try_lock().unwrap_err(),
        m.lock_timeout(Duration::from_millis(10)).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotRecoverable, "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::ENOTRECOVERABLE));
        assert!(e.message().contains("make_consistent"), "{e}");
        assert!(e.message().contains("init_at"), "{e}");
    }
    // The failed attempts left it unlocked: another thread is told too,
    // at once, instead of blocking (glibc's trylock would leave it locked).
    std::thread::scope(|s| {
        s.spawn(|| {
            let e = m.lock_timeout(Duration::from_secs(20)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotRecoverable, "{e}");
            assert_eq!(m.lock().unwrap_err().kind(), ErrorKind::NotRecoverable);
        });
    });
    // Re-initialising (no one uses it now) makes it usable again.
    // SAFETY: no thread holds or waits on it any more.
    let m = unsafe { RobustMutex::init_at(&r, 0) }.unwrap();
    let g = locked(m.lock().unwrap());
    let (outcome, t) = cv.wait_timeout(g, Timeout::Immediate).unwrap();
    assert!(t.timed_out());
    drop(locked(outcome));
}

#[test]
fn condvar_wait_wakes_on_notify_and_times_out_otherwise() {
    let mut mem = Memory::new(256);
    let r = mem.region(true);
    // SAFETY: fresh memory only this test uses.
    let (m, cv) = unsafe { (RobustMutex::init_at(&r, 0), Condvar::init_at(&r, 128)) };
    let (m, cv) = (m.unwrap(), cv.unwrap());
    // SAFETY: initialised just above, only pthread calls touch it.
    let cv_again = unsafe { Condvar::open_at(&r, 128) }.unwrap();
    assert!(std::ptr::eq(cv, cv_again));
    let flag = r.atomic::<std::sync::atomic::AtomicU32>(200).unwrap();
    // Timeout with no notifier, on a Duration and on a Timeout.
    let g = locked(m.lock().unwrap());
    let start = Instant::now();
    let (o, t) = cv.wait_timeout(g, Duration::from_millis(30)).unwrap();
    assert!(t.timed_out());
    assert!(start.elapsed() >= Duration::from_millis(25));
    let g = locked(o);
    let e = cv.wait_timeout(g, Duration::MAX).unwrap_err();
    assert!(e.is_invalid_input());
    // The failed wait released the mutex.
    let g = locked(m.try_lock().unwrap());
    // A notifier thread sets the flag under the mutex, then notifies.
    std::thread::scope(|s| {
        s.spawn(|| {
            let g = locked(m.lock().unwrap());
            flag.store(1, std::sync::atomic::Ordering::Relaxed);
            cv.notify_all();
            drop(g);
        });
        let mut g = g;
        let mut timed_out = true;
        while flag.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            let (o, t) = cv.wait_timeout(g, Duration::from_secs(10)).unwrap();
            (g, timed_out) = (locked(o), t.timed_out());
        }
        // The wait that saw the flag was woken, not timed out.
        assert!(!timed_out);
        drop(g);
    });
    // wait() (no timeout) with notify_one.
    let g = locked(m.lock().unwrap());
    std::thread::scope(|s| {
        s.spawn(|| {
            let g = locked(m.lock().unwrap());
            flag.store(2, std::sync::atomic::Ordering::Relaxed);
            cv.notify_one();
            drop(g);
        });
        let mut g = g;
        while flag.load(std::sync::atomic::Ordering::Relaxed) != 2 {
            g = locked(cv.wait(g).unwrap());
        }
    });
}

#[test]
fn a_wait_reacquiring_from_a_dead_owner_reports_owner_died() {
    let mut mem = Memory::new(256);
    let r = mem.region(true);
    // SAFETY: fresh memory only this test uses.
    let (m, cv) = unsafe { (RobustMutex::init_at(&r, 0), Condvar::init_at(&r, 128)) };
    let (m, cv) = (m.unwrap(), cv.unwrap());
    let g = locked(m.lock().unwrap());
    std::thread::scope(|s| {
        // Takes the mutex once the waiter released it, notifies, and ends
        // without unlocking.
        s.spawn(|| {
            let g = locked(m.lock().unwrap());
            cv.notify_all();
            std::mem::forget(g);
        });
        let outcome = cv.wait(g).unwrap();
        assert!(outcome.is_owner_died());
        drop(outcome.recover(|| {}).unwrap());
    });
    drop(locked(m.lock().unwrap()));
}

#[test]
fn lock_paths_allocate_nothing() {
    let mut mem = Memory::new(256);
    let r = mem.region(true);
    // SAFETY: fresh memory only this test uses.
    let (m, cv) = unsafe { (RobustMutex::init_at(&r, 0), Condvar::init_at(&r, 128)) };
    let (m, cv) = (m.unwrap(), cv.unwrap());
    let n = allocations_during(|| {
        for _ in 0..100 {
            drop(locked(m.lock().unwrap()));
            drop(locked(m.try_lock().unwrap()));
            drop(locked(m.lock_timeout(Duration::from_secs(1)).unwrap()));
            cv.notify_one();
            cv.notify_all();
            let (o, _) = cv
                .wait_timeout(locked(m.lock().unwrap()), Timeout::Immediate)
                .unwrap();
            drop(o);
        }
    });
    assert_eq!(n, 0);
    let g = locked(m.lock().unwrap());
    std::thread::scope(|s| {
        s.spawn(|| {
            // The would-block and timeout errors a polling loop sees.
            let n = allocations_during(|| {
                for _ in 0..10 {
                    assert!(m.try_lock().unwrap_err().is_busy());
                    assert!(
                        m.lock_timeout(Duration::from_millis(1))
                            .unwrap_err()
                            .is_busy()
                    );
                }
            });
            assert_eq!(n, 0);
        });
    });
    drop(g);
}
