//! sysv_ipc's `tests/test_semaphores.py` (42 cases) translated, with the weak
//! ones strengthened, plus every bad input and sysv_ipc bug listed for
//! semaphores in the reference inventory. One process; the cross-process
//! scenarios are in `processes.rs`.

use std::time::{Duration, Instant, SystemTime};

use crate::support::{new_sem, unused_key, wait_for};
use sysv_ipc::{
    ErrorKind, IPC_CREAT, IPC_CREX, IPC_EXCL, Key, SEMAPHORE_VALUE_MAX, Semaphore, Timeout,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Asserts that `f` took about `d` (timeouts are honoured, sysv_ipc #69).
fn assert_takes_about(d: Duration, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    let took = start.elapsed();
    assert!(
        took >= d.mul_f64(0.9),
        "returned after {took:?}, expected about {d:?}"
    );
    assert!(
        took < d + Duration::from_secs(3),
        "returned after {took:?}, expected about {d:?}"
    );
}

// ---- TestSemaphoreCreation ----

#[test]
fn no_flags_opens_the_existing_semaphore() {
    let sem = new_sem(1);
    let other = Semaphore::open(sem.key()).unwrap();
    assert_eq!(other.key(), sem.key());
    assert_eq!(other.id(), sem.id());
    assert!(!other.created());
    assert_eq!(other.value().unwrap(), 1);
}

#[test]
fn ipc_creat_opens_an_existing_semaphore_without_resetting_it() {
    // sysv_ipc resets an existing semaphore's value to initial_value (default
    // 0) on IPC_CREAT; here the value is applied only by the creating call.
    let sem = new_sem(3);
    let other = Semaphore::options()
        .flags(IPC_CREAT)
        .open(sem.key())
        .unwrap();
    assert_eq!(other.id(), sem.id());
    assert!(!other.created());
    assert_eq!(sem.value().unwrap(), 3);
    let other = Semaphore::options()
        .create(true)
        .initial_value(9)
        .open(sem.key())
        .unwrap();
    assert!(!other.created());
    assert_eq!(sem.value().unwrap(), 3);
}

#[test]
fn ipc_creat_creates_a_new_semaphore() {
    let (key, _c) = unused_key();
    let sem = Semaphore::options()
        .flags(IPC_CREAT)
        .initial_value(4)
        .open(key)
        .unwrap();
    assert!(sem.created());
    assert_eq!(sem.key(), key);
    assert_eq!(sem.value().unwrap(), 4);
}

#[test]
fn create_opens_or_creates_and_applies_the_value_only_when_it_created() {
    let (key, _c) = unused_key();
    let first = Semaphore::create(key, 3).unwrap();
    assert!(first.created());
    assert_eq!(first.value().unwrap(), 3);
    first.acquire(1, Timeout::Immediate).unwrap();
    let second = Semaphore::create(key, 9).unwrap();
    assert!(!second.created());
    assert_eq!((second.id(), second.value().unwrap()), (first.id(), 2));
    let e = Semaphore::create_new(key, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(
        Semaphore::create(key, SEMAPHORE_VALUE_MAX + 1)
            .unwrap_err()
            .is_invalid_input()
    );
    assert_eq!(first.value().unwrap(), 2);
}

#[test]
fn ipc_excl_on_an_existing_key_fails() {
    let sem = new_sem(1);
    for opts in [
        Semaphore::options().flags(IPC_CREX),
        Semaphore::options().create_new(true),
    ] {
        let e = opts.open(sem.key()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert!(e.is_existential());
        assert!(e.message().contains(&sem.key().to_string()), "{e}");
    }
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn randomly_generated_keys_are_usable_and_distinct() {
    let a = Semaphore::create_unique(0).unwrap().remove_on_drop();
    let b = Semaphore::create_unique(0).unwrap().remove_on_drop();
    assert_ne!(a.key(), b.key());
    assert!(!a.key().is_private() && !b.key().is_private());
    assert_eq!(Semaphore::open(a.key()).unwrap().id(), a.id());
    assert_eq!(Semaphore::open(b.key()).unwrap().id(), b.id());
}

#[test]
fn default_initial_value_is_zero() {
    let (key, _c) = unused_key();
    let sem = Semaphore::options().create_new(true).open(key).unwrap();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn zero_initial_value() {
    let sem = new_sem(0);
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn nonzero_initial_value() {
    let sem = new_sem(42);
    assert_eq!(sem.value().unwrap(), 42);
}

#[test]
fn every_option_is_accepted() {
    // sysv_ipc's test_kwargs: flags, mode=0x180 and initial_value together.
    let (key, _c) = unused_key();
    let sem = Semaphore::options()
        .flags(IPC_CREX)
        .mode(0x180)
        .initial_value(0)
        .open(key)
        .unwrap();
    assert_eq!(sem.mode().unwrap().bits(), 0o600);
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn the_initial_value_is_applied_whatever_the_mode() {
    // sysv_ipc skips initial_value when the mode lacks owner write (0o400).
    let (key, _c) = unused_key();
    let sem = Semaphore::options()
        .create_new(true)
        .mode(0o400)
        .initial_value(5)
        .open(key)
        .unwrap();
    assert_eq!(sem.value().unwrap(), 5);
    assert_eq!(sem.mode().unwrap().bits(), 0o400);
}

#[test]
fn bad_creation_arguments_create_nothing() {
    let (key, _c) = unused_key();
    let cases = [
        // An initial value above SEMVMX (sysv_ipc creates, fails SETVAL, leaks).
        Semaphore::options()
            .create_new(true)
            .initial_value(SEMAPHORE_VALUE_MAX + 1)
            .clone(),
        Semaphore::options()
            .create(true)
            .initial_value(u16::MAX)
            .clone(),
        // Permission bits in flags (sysv_ipc: 0o1600 contains IPC_CREAT and creates).
        Semaphore::options().flags(0o1600).clone(),
        // A mode above 0o777.
        Semaphore::options().create(true).mode(0o1600).clone(),
        // IPC_EXCL without IPC_CREAT.
        Semaphore::options().flags(IPC_EXCL).clone(),
    ];
    for opts in cases {
        let e = opts.open(key).unwrap_err();
        assert!(e.is_invalid_input(), "{opts:?}: {e}");
        assert_eq!(
            e.raw_os_error(),
            None,
            "checked before any system call: {e}"
        );
    }
    let e = Semaphore::open(key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "nothing was created: {e}");
    assert!(e.message().contains("create"), "{e}");
}

#[test]
fn a_bad_flags_value_is_reported_until_a_later_flags_call_replaces_it() {
    let (key, _c) = unused_key();
    // The flags value is wrong whatever creation setter follows it.
    let e = Semaphore::options()
        .flags(IPC_EXCL)
        .create_new(true)
        .open(key)
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    let sem = Semaphore::options()
        .flags(IPC_EXCL)
        .flags(IPC_CREX)
        .open(key)
        .unwrap();
    assert!(sem.created());
}

#[test]
fn private_key_always_creates_a_new_semaphore() {
    let a = Semaphore::options()
        .initial_value(2)
        .open(Key::PRIVATE)
        .unwrap()
        .remove_on_drop();
    let b = Semaphore::open(Key::PRIVATE).unwrap().remove_on_drop();
    assert_ne!(a.id(), b.id());
    assert!(a.created() && b.created());
    assert_eq!((a.value().unwrap(), b.value().unwrap()), (2, 0));
    assert!(a.key().is_private() && a.stat().unwrap().key.is_private());
}

// ---- TestSemaphoreAquisition ----

#[test]
fn simple_acquisition() {
    let sem = new_sem(1);
    sem.set_block(false);
    sem.acquire(1, Timeout::Forever).unwrap();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn acquisition_delta() {
    let sem = new_sem(42);
    sem.acquire(10, Timeout::Forever).unwrap();
    assert_eq!(sem.value().unwrap(), 32);
}

#[test]
fn acquisition_delta_zero_or_above_semvmx_is_refused_not_wrapped() {
    let sem = new_sem(5);
    for delta in [0, SEMAPHORE_VALUE_MAX + 1, u16::MAX] {
        let e = sem.acquire(delta, Timeout::Immediate).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains(&delta.to_string()), "{e}");
        let e = sem.release(delta).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(
            sem.acquire_guard(delta, Timeout::Immediate)
                .unwrap_err()
                .is_invalid_input()
        );
    }
    assert_eq!(sem.value().unwrap(), 5);
}

#[test]
fn acquisition_non_blocking() {
    let sem = new_sem(1);
    sem.acquire(1, Timeout::Forever).unwrap();
    sem.set_block(false);
    let e = sem.acquire(1, Timeout::Forever).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.is_busy());
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
}

#[test]
fn acquisition_zero_timeout() {
    let sem = new_sem(1);
    sem.acquire(1, Timeout::Immediate).unwrap();
    for t in [Timeout::Immediate, Timeout::After(Duration::ZERO)] {
        let start = Instant::now();
        let e = sem.acquire(1, t).unwrap_err();
        assert!(e.is_busy(), "{e}");
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn acquisition_nonzero_timeout_expires() {
    // sysv_ipc: 1 s and 1.5 s; its Linux wheels ignore timeouts altogether.
    let sem = new_sem(0);
    for d in [ms(300), ms(550)] {
        assert_takes_about(d, || {
            let e = sem.acquire(1, Timeout::After(d)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut);
            assert!(e.is_busy());
            assert!(e.message().contains("timeout"), "{e}");
        });
    }
    let d = Timeout::from_secs_f64(0.3).unwrap();
    assert_takes_about(ms(300), || {
        assert!(sem.acquire(1, d).unwrap_err().is_busy())
    });
}

#[test]
fn acquisition_with_explicit_arguments() {
    // test_acquire_kwargs / test_P_kwargs: timeout=None, delta=1 (P is a doc alias).
    let sem = new_sem(2);
    sem.acquire(1, Timeout::Forever).unwrap();
    sem.acquire(1, Timeout::from(None)).unwrap();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn block_off_wins_over_a_timeout() {
    let sem = new_sem(0);
    sem.set_block(false);
    let start = Instant::now();
    let e = sem
        .acquire(1, Timeout::After(Duration::from_secs(5)))
        .unwrap_err();
    assert!(e.is_busy());
    assert!(e.message().contains("asked not to"), "not a timeout: {e}");
    assert!(sem.wait_zero(Timeout::Forever).is_ok());
    sem.release(1).unwrap();
    assert!(
        sem.wait_zero(Timeout::After(Duration::from_secs(5)))
            .unwrap_err()
            .is_busy()
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn absurd_timeouts_are_invalid_input_not_existential() {
    // sysv_ipc: inf/nan/1e30 become EINVAL reported as "No semaphore exists".
    let sem = new_sem(0);
    let e = sem.acquire(1, Timeout::After(Duration::MAX)).unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    // Checked before any system call, whatever the value.
    assert!(
        sem.wait_zero(Timeout::After(Duration::MAX))
            .unwrap_err()
            .is_invalid_input()
    );
    assert_eq!(sem.value().unwrap(), 0);
    for bad in [f64::NAN, -1.0] {
        assert!(Timeout::from_secs_f64(bad).unwrap_err().is_invalid_input());
    }
    assert_eq!(
        Timeout::from_secs_f64(f64::INFINITY).unwrap(),
        Timeout::Forever
    );
}

// ---- TestSemaphoreRelease ----

#[test]
fn release_up_to_semvmx_then_limit() {
    let sem = new_sem(0);
    for _ in 0..SEMAPHORE_VALUE_MAX - 1 {
        sem.release(1).unwrap();
    }
    assert_eq!(sem.value().unwrap(), SEMAPHORE_VALUE_MAX - 1);
    sem.release(1).unwrap();
    // Going past SEMVMX: ERANGE with a message naming the limit; no wrap.
    let e = sem.release(1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert_eq!(e.raw_os_error(), Some(libc::ERANGE));
    assert!(e.message().contains("SEMVMX (32767)"), "{e}");
    assert_eq!(sem.value().unwrap(), SEMAPHORE_VALUE_MAX);
}

#[test]
fn release_delta() {
    let sem = new_sem(1);
    sem.release(5).unwrap();
    assert_eq!(sem.value().unwrap(), 6);
    sem.release(SEMAPHORE_VALUE_MAX - 6).unwrap();
    assert_eq!(sem.value().unwrap(), SEMAPHORE_VALUE_MAX);
}

#[test]
fn release_with_explicit_arguments() {
    // test_release_kwargs / test_V_kwargs (V is a doc alias).
    let sem = new_sem(0);
    sem.release(1).unwrap();
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn release_never_waits_even_with_block_on() {
    let sem = new_sem(SEMAPHORE_VALUE_MAX);
    assert!(sem.block());
    let start = Instant::now();
    assert_eq!(sem.release(1).unwrap_err().kind(), ErrorKind::LimitExceeded);
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn guard_acquires_and_releases() {
    // test_context_manager.
    let sem = new_sem(1);
    {
        let _g = sem.acquire_guard(1, Timeout::Forever).unwrap();
        assert_eq!(sem.value().unwrap(), 0);
        assert!(sem.acquire(1, Timeout::Immediate).unwrap_err().is_busy());
    }
    assert_eq!(sem.value().unwrap(), 1);
    // An error inside the guarded block propagates and the value is restored.
    fn fails_while_holding(sem: &Semaphore) -> Result<(), &'static str> {
        let _g = sem.acquire_guard(1, Timeout::Forever).unwrap();
        Err("boom")?;
        Ok(())
    }
    assert_eq!(fails_while_holding(&sem), Err("boom"));
    assert_eq!(sem.value().unwrap(), 1);
    // A busy guard acquisition is an error, and the guard honours block/undo.
    let g = sem.acquire_guard(1, Timeout::Immediate).unwrap();
    assert!(
        sem.acquire_guard(1, Timeout::Immediate)
            .unwrap_err()
            .is_busy()
    );
    g.release().unwrap();
    sem.set_block(false);
    let _g = sem.acquire_guard(1, Timeout::Forever).unwrap();
    assert!(
        sem.acquire_guard(1, Timeout::Forever)
            .unwrap_err()
            .is_busy()
    );
}

#[test]
fn guard_release_reports_removal() {
    let sem = new_sem(1);
    let g = sem.acquire_guard(1, Timeout::Forever).unwrap();
    sem.remove().unwrap();
    assert_eq!(g.release().unwrap_err().kind(), ErrorKind::Removed);
    let g = {
        let sem = new_sem(1);
        let g = sem.acquire_guard(1, Timeout::Forever).unwrap();
        format!("{g:?}")
    };
    assert!(g.contains("SemaphoreGuard"));
}

// ---- TestSemaphoreZ ----

#[test]
fn wait_zero_fails_when_not_zero_and_not_blocking() {
    let sem = new_sem(42);
    sem.set_block(false);
    let e = sem.wait_zero(Timeout::Forever).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
}

#[test]
fn wait_zero_succeeds_at_zero() {
    let sem = new_sem(0);
    sem.set_block(false);
    sem.wait_zero(Timeout::Forever).unwrap();
}

#[test]
fn wait_zero_zero_timeout() {
    let sem = new_sem(42);
    assert!(sem.wait_zero(Timeout::Immediate).unwrap_err().is_busy());
}

#[test]
fn wait_zero_nonzero_timeout_expires() {
    let sem = new_sem(42);
    for d in [ms(300), ms(450)] {
        assert_takes_about(d, || {
            assert!(sem.wait_zero(Timeout::After(d)).unwrap_err().is_busy());
        });
    }
}

#[test]
fn wait_zero_with_explicit_arguments() {
    let sem = new_sem(0);
    sem.wait_zero(Timeout::Forever).unwrap();
    sem.wait_zero(Timeout::from(None)).unwrap();
}

#[test]
fn wait_zero_wakes_when_another_thread_reaches_zero() {
    let sem = new_sem(2);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| sem.wait_zero(Timeout::After(Duration::from_secs(10))));
        wait_for("a zero waiter", || sem.waiting_for_zero().unwrap() == 1);
        assert!(!waiter.is_finished());
        sem.acquire(1, Timeout::Immediate).unwrap();
        assert_eq!(sem.waiting_for_zero().unwrap(), 1, "still waiting at 1");
        sem.acquire(1, Timeout::Immediate).unwrap();
        waiter.join().unwrap().unwrap();
    });
    assert_eq!(sem.waiting_for_zero().unwrap(), 0);
}

// ---- TestSemaphoreRemove ----

#[test]
fn remove_makes_the_key_unknown_and_every_call_removed() {
    let sem = new_sem(1);
    sem.remove().unwrap();
    let e = Semaphore::open(sem.key()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.is_existential());
    let results = [
        sem.remove().map(drop),
        sem.value().map(drop),
        sem.set_value(1).map(drop),
        sem.acquire(1, Timeout::Immediate),
        sem.acquire(1, Timeout::Forever),
        sem.release(1),
        sem.wait_zero(Timeout::Forever),
        sem.mode().map(drop),
        sem.set_mode(0o600),
        sem.last_pid().map(drop),
        sem.waiting_for_nonzero().map(drop),
        sem.operation_time().map(drop),
        sem.stat().map(drop),
    ];
    for r in results {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        assert!(e.message().contains(&sem.id().to_string()), "{e}");
    }
    // An id from the caller names nothing: NotFound, as for every from_id.
    let e = Semaphore::from_id(sem.id()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.message().contains(&sem.id().to_string()), "{e}");
}

// ---- TestSemaphorePropertiesAndAttributes ----

#[test]
fn property_key() {
    let (key, _c) = unused_key();
    let sem = Semaphore::create_new(key, 0).unwrap();
    assert_eq!(sem.key(), key);
    assert_eq!(sem.stat().unwrap().key, key);
}

#[test]
fn property_id() {
    let sem = new_sem(0);
    assert!(sem.id() >= 0);
    assert_eq!(Semaphore::from_id(sem.id()).unwrap().key(), sem.key());
    assert_eq!(
        Semaphore::from_id(-1).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn attribute_value() {
    let sem = new_sem(1);
    assert_eq!(sem.value().unwrap(), 1);
    sem.set_value(42).unwrap();
    assert_eq!(sem.value().unwrap(), 42);
    sem.set_value(SEMAPHORE_VALUE_MAX).unwrap();
    sem.set_value(0).unwrap();
    // sysv_ipc: -1 and 999999 raise ValueError, and 2**32 + 5 silently sets 5.
    // Negative and > u16 values do not type-check here; the rest is refused.
    for bad in [SEMAPHORE_VALUE_MAX + 1, 40000, u16::MAX] {
        let e = sem.set_value(bad).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("between 0 and SEMVMX (32767)"), "{e}");
    }
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn attribute_block() {
    let sem = new_sem(0);
    assert!(sem.block());
    sem.set_block(false);
    assert!(!sem.block());
    assert!(sem.acquire(1, Timeout::Forever).unwrap_err().is_busy());
    sem.set_block(true);
    assert!(sem.block());
}

#[test]
fn attribute_undo() {
    let sem = new_sem(1);
    assert!(!sem.undo());
    sem.set_undo(true);
    assert!(sem.undo());
    sem.acquire(1, Timeout::Immediate).unwrap();
    sem.release(1).unwrap(); // the adjustments cancel out
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn attribute_uid_gid_cuid_cgid() {
    let sem = new_sem(0);
    // SAFETY: these getters have no preconditions.
    let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
    assert_eq!(sem.uid().unwrap(), euid);
    assert_eq!(sem.gid().unwrap(), egid);
    assert_eq!(sem.cuid().unwrap(), euid);
    assert_eq!(sem.cgid().unwrap(), egid);
    // As root, hand the semaphore to nobody: owner changes, creator stays.
    if euid == 0 {
        sem.set_uid(65534).unwrap();
        sem.set_gid(65534).unwrap();
        assert_eq!((sem.uid().unwrap(), sem.gid().unwrap()), (65534, 65534));
        assert_eq!((sem.cuid().unwrap(), sem.cgid().unwrap()), (0, egid));
        let p = sem.stat().unwrap().permissions;
        assert_eq!((p.uid, p.gid, p.cuid, p.cgid), (65534, 65534, 0, egid));
    }
}

#[test]
fn attribute_mode() {
    let sem = new_sem(0);
    assert_eq!(sem.mode().unwrap().bits(), 0o600);
    sem.set_mode(0o644).unwrap();
    assert_eq!(sem.mode().unwrap().bits(), 0o644);
    assert_eq!(sem.mode().unwrap().to_string(), "0o644");
    // sysv_ipc lets the kernel silently drop bits above 0o777.
    let e = sem.set_mode(0o7777).unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(sem.mode().unwrap().bits(), 0o644);
}

#[test]
fn attribute_last_pid() {
    let (key, _c) = unused_key();
    let sem = Semaphore::create_new(key, 0).unwrap();
    // The creator's initialising semop.
    assert_eq!(
        sem.last_pid().unwrap(),
        i32::try_from(std::process::id()).ok()
    );
    sem.release(1).unwrap();
    assert_eq!(
        sem.last_pid().unwrap(),
        i32::try_from(std::process::id()).ok()
    );
}

#[test]
fn attribute_waiting_for_nonzero() {
    let sem = new_sem(0);
    assert_eq!(sem.waiting_for_nonzero().unwrap(), 0);
    std::thread::scope(|s| {
        let a = s.spawn(|| sem.acquire(1, Timeout::After(Duration::from_secs(10))));
        let b = s.spawn(|| sem.acquire(1, Timeout::After(Duration::from_secs(10))));
        wait_for("two waiters", || sem.waiting_for_nonzero().unwrap() == 2);
        assert_eq!(sem.waiting_for_zero().unwrap(), 0);
        sem.release(2).unwrap();
        a.join().unwrap().unwrap();
        b.join().unwrap().unwrap();
    });
    assert_eq!(sem.waiting_for_nonzero().unwrap(), 0);
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn attribute_waiting_for_zero() {
    let sem = new_sem(1);
    assert_eq!(sem.waiting_for_zero().unwrap(), 0);
    std::thread::scope(|s| {
        let w = s.spawn(|| sem.wait_zero(Timeout::After(Duration::from_secs(10))));
        wait_for("a zero waiter", || sem.waiting_for_zero().unwrap() == 1);
        assert_eq!(sem.waiting_for_nonzero().unwrap(), 0);
        sem.set_value(0).unwrap();
        w.join().unwrap().unwrap();
    });
    assert_eq!(sem.waiting_for_zero().unwrap(), 0);
}

#[test]
fn attribute_o_time() {
    // sysv_ipc asserts `t - now < 5`, which always holds. Here: the creator's
    // initialisation sets o_time to about now, and a later operation moves it.
    let before = SystemTime::now() - Duration::from_secs(2);
    let sem = new_sem(0);
    let t0 = sem.operation_time().unwrap().expect("set by the creator");
    assert!(
        t0 >= before && t0 <= SystemTime::now() + Duration::from_secs(1),
        "{t0:?}"
    );
    std::thread::sleep(Duration::from_millis(1100)); // 1-second resolution
    sem.set_value(3).unwrap(); // SETVAL does not count
    assert_eq!(sem.operation_time().unwrap(), Some(t0));
    sem.release(1).unwrap();
    let t1 = sem.operation_time().unwrap().unwrap();
    assert!(t1 > t0, "{t1:?} after {t0:?}");
    let st = sem.stat().unwrap();
    assert_eq!(st.operation_time, Some(t1));
    assert!(st.change_time >= t0, "SETVAL changed c_time");
}

#[test]
fn unmarked_creation_leaves_o_time_unset_until_the_first_operation() {
    // sysv_ipc's o_time stays 0 after creation (SETVAL only); the option
    // gives that, for any initial value, and the value is still applied.
    for initial in [0, 1, 42] {
        let (key, _guard) = unused_key();
        let sem = Semaphore::options()
            .create_new(true)
            .mark_initialised(false)
            .initial_value(initial)
            .open(key)
            .unwrap()
            .remove_on_drop();
        assert_eq!(sem.value().unwrap(), initial);
        assert_eq!(sem.operation_time().unwrap(), None, "initial {initial}");
        sem.release(1).unwrap();
        let t = sem.operation_time().unwrap().expect("set by the release");
        assert!(t <= SystemTime::now() + Duration::from_secs(1), "{t:?}");
    }
    // The default still marks the semaphore as initialised.
    let sem = new_sem(1);
    assert!(sem.operation_time().unwrap().is_some());
}

#[test]
fn stat_returns_every_field() {
    let sem = new_sem(0);
    sem.set_mode(0o640).unwrap();
    let st = sem.stat().unwrap();
    assert_eq!(st.key, sem.key());
    assert_eq!(st.len, 1);
    assert_eq!(st.permissions.mode.bits(), 0o640);
    assert_eq!(st.permissions.uid, sem.uid().unwrap());
    assert_eq!(st.permissions.cgid, sem.cgid().unwrap());
    assert_eq!(st.operation_time, sem.operation_time().unwrap());
    assert!(st.change_time <= SystemTime::now() + Duration::from_secs(1));
}

#[test]
fn remove_on_drop_is_opt_in() {
    let (key, _c) = unused_key();
    // A plain handle going out of scope leaves the semaphore alone.
    {
        let _plain = Semaphore::create_new(key, 0).unwrap();
    }
    // A disarmed guard does too.
    let kept = Semaphore::open(key).unwrap().remove_on_drop().into_inner();
    assert_eq!(kept.value().unwrap(), 0);
    let sem = Semaphore::open(key).unwrap().remove_on_drop();
    sem.set_undo(true);
    assert!(format!("{sem:?}").starts_with("RemoveOnDrop(Semaphore {"));
    drop(sem);
    assert_eq!(
        Semaphore::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn debug_shows_key_and_id_and_handles_are_send_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Semaphore>();
    send_sync::<sysv_ipc::SemaphoreSet>();
    send_sync::<sysv_ipc::SemOp>();
    let sem = new_sem(0);
    let d = format!("{sem:?}");
    assert!(d.contains(&format!("key: {}", sem.key())), "{d}");
    assert!(d.contains(&format!("id: {}", sem.id())), "{d}");
    assert!(d.contains("block: true"), "{d}");
}

#[test]
fn opening_an_existing_semaphore_asks_for_the_requested_mode() {
    // As root every mode is granted; the unprivileged case is in processes.rs.
    let sem = new_sem(0);
    sem.set_mode(0o400).unwrap();
    let other = Semaphore::options().mode(0o400).open(sem.key()).unwrap();
    assert_eq!(other.id(), sem.id());
}
