//! Semaphores between real processes: the test binary re-runs itself as the
//! child (testkit::spawn_child), which opens the semaphore by key or id.

use std::time::Duration;

use crate::support::{CHILD_LIMIT, new_sem, unused_key, wait_for};
use sysv_ipc::{ErrorKind, Key, Semaphore, Timeout};

fn arg_key(args: &[String], i: usize) -> Key {
    Key::new(args[i].parse().unwrap())
}

#[test]
fn undo_is_reversed_when_the_process_exits() {
    if let Some(args) = testkit::child_args("processes::undo_is_reversed_when_the_process_exits") {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        let gate = Semaphore::open(arg_key(&args, 1)).unwrap();
        sem.set_undo(true);
        sem.acquire(1, Timeout::Immediate).unwrap();
        sem.acquire(1, Timeout::Immediate).unwrap();
        // Hold until the parent has seen the value at 0, then exit without releasing.
        gate.wait_zero(Timeout::After(CHILD_LIMIT)).unwrap();
        println!("exiting while holding 2");
        return;
    }
    let sem = new_sem(2);
    let gate = new_sem(1);
    let child = testkit::spawn_child(
        "processes::undo_is_reversed_when_the_process_exits",
        &[
            &sem.key().as_raw().to_string(),
            &gate.key().as_raw().to_string(),
        ],
    );
    wait_for("the child's acquires", || sem.value().unwrap() == 0);
    assert_eq!(sem.last_pid().unwrap(), i32::try_from(child.id()).ok());
    gate.acquire(1, Timeout::Immediate).unwrap();
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("exiting while holding 2"), "{out}");
    assert_eq!(
        sem.value().unwrap(),
        2,
        "the kernel undid the child's acquires"
    );
}

#[test]
fn without_undo_the_acquire_outlives_the_process() {
    if let Some(args) =
        testkit::child_args("processes::without_undo_the_acquire_outlives_the_process")
    {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        assert!(!sem.undo());
        sem.acquire(1, Timeout::Immediate).unwrap();
        return;
    }
    let sem = new_sem(2);
    let key = sem.key().as_raw().to_string();
    testkit::spawn_child(
        "processes::without_undo_the_acquire_outlives_the_process",
        &[&key],
    )
    .wait_success(CHILD_LIMIT);
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn wait_zero_in_one_process_is_released_by_another() {
    if let Some(args) =
        testkit::child_args("processes::wait_zero_in_one_process_is_released_by_another")
    {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        sem.wait_zero(Timeout::After(CHILD_LIMIT)).unwrap();
        println!("reached zero");
        return;
    }
    let sem = new_sem(2);
    let child = testkit::spawn_child(
        "processes::wait_zero_in_one_process_is_released_by_another",
        &[&sem.key().as_raw().to_string()],
    );
    wait_for("the child's wait", || sem.waiting_for_zero().unwrap() == 1);
    sem.acquire(1, Timeout::Immediate).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(sem.waiting_for_zero().unwrap(), 1, "still waiting at 1");
    sem.acquire(1, Timeout::Immediate).unwrap();
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("reached zero"), "{out}");
}

#[test]
fn an_acquire_in_one_process_is_released_by_another() {
    if let Some(args) =
        testkit::child_args("processes::an_acquire_in_one_process_is_released_by_another")
    {
        let sem = Semaphore::from_id(args[0].parse().unwrap()).unwrap();
        sem.acquire(3, Timeout::After(CHILD_LIMIT)).unwrap();
        return;
    }
    let sem = new_sem(1);
    let child = testkit::spawn_child(
        "processes::an_acquire_in_one_process_is_released_by_another",
        &[&sem.id().to_string()],
    );
    wait_for("the child's wait", || {
        sem.waiting_for_nonzero().unwrap() == 1
    });
    sem.release(1).unwrap(); // 2: not enough for a delta of 3
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(sem.waiting_for_nonzero().unwrap(), 1);
    sem.release(1).unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    child.wait_success(CHILD_LIMIT);
    assert_eq!(sem.value().unwrap(), 0);
    assert_eq!(sem.last_pid().unwrap(), Some(pid));
}

#[test]
fn guard_hands_the_semaphore_over_between_processes() {
    // sysv_ipc's semaphore_context_manager demo, with an error inside the block.
    if let Some(args) =
        testkit::child_args("processes::guard_hands_the_semaphore_over_between_processes")
    {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        fn fails_while_holding(sem: &Semaphore) -> Result<(), String> {
            let _held = sem.acquire_guard(1, Timeout::After(CHILD_LIMIT)).unwrap();
            println!("holding");
            Err("failure inside the guarded block".to_owned())
        }
        assert!(fails_while_holding(&sem).is_err());
        return;
    }
    let sem = new_sem(1);
    let held = sem.acquire_guard(1, Timeout::Forever).unwrap();
    let child = testkit::spawn_child(
        "processes::guard_hands_the_semaphore_over_between_processes",
        &[&sem.key().as_raw().to_string()],
    );
    wait_for("the child's wait", || {
        sem.waiting_for_nonzero().unwrap() == 1
    });
    drop(held);
    sem.acquire(1, Timeout::After(CHILD_LIMIT)).unwrap();
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("holding"), "{out}");
    sem.release(1).unwrap();
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn removal_while_another_process_waits_gives_removed() {
    if let Some(args) =
        testkit::child_args("processes::removal_while_another_process_waits_gives_removed")
    {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        let e = sem.acquire(1, Timeout::Forever).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::EIDRM));
        assert!(e.message().contains("removed while"), "{e}");
        let e = sem.wait_zero(Timeout::Forever).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        println!("removed");
        return;
    }
    let sem = new_sem(0);
    let child = testkit::spawn_child(
        "processes::removal_while_another_process_waits_gives_removed",
        &[&sem.key().as_raw().to_string()],
    );
    wait_for("the child's wait", || {
        sem.waiting_for_nonzero().unwrap() == 1
    });
    sem.remove().unwrap();
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("removed"), "{out}");
}

#[test]
fn an_unprivileged_process_gets_permission_denied() {
    if let Some(args) =
        testkit::child_args("processes::an_unprivileged_process_gets_permission_denied")
    {
        let key = arg_key(&args, 0);
        let id: i32 = args[1].parse().unwrap();
        let fresh = arg_key(&args, 2);
        testkit::become_nobody();
        // Opening asks for 0o600 by default; the semaphore grants others 0o4.
        let e = Semaphore::open(key).unwrap_err();
        assert_eq!(
            (e.kind(), e.raw_os_error()),
            (ErrorKind::PermissionDenied, Some(libc::EACCES)),
            "{e}"
        );
        assert!(
            e.is_permissions() && !e.is_signal() && !e.is_existential(),
            "{e}"
        );
        // Read-only access works for reading...
        let sem = Semaphore::options().mode(0o444).open(key).unwrap();
        assert_eq!(sem.value().unwrap(), 1);
        assert_eq!(sem.mode().unwrap().bits(), 0o644);
        // ...but altering needs write permission (EACCES)...
        for e in [
            sem.release(1).unwrap_err(),
            sem.acquire(1, Timeout::Immediate).unwrap_err(),
            sem.set_value(3).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            assert_eq!(e.raw_os_error(), Some(libc::EACCES), "{e}");
        }
        // ...and changing or removing needs ownership (EPERM, which sysv_ipc
        // reports as a different exception family).
        for e in [
            sem.set_mode(0o666).unwrap_err(),
            sem.set_uid(65534).unwrap_err(),
            sem.remove().unwrap_err(),
            sysv_ipc::remove_semaphore(id).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e}");
            assert!(e.message().contains("owner"), "{e}");
        }
        // A creator whose mode forbids itself to alter the new semaphore cannot
        // initialise it: an error, and the half-made semaphore is not leaked.
        let e = Semaphore::options()
            .create_new(true)
            .mode(0o400)
            .initial_value(5)
            .open(fresh)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_eq!(
            Semaphore::open(fresh).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        println!("denied");
        return;
    }
    let sem = new_sem(1);
    sem.set_mode(0o644).unwrap();
    let (fresh, _f) = unused_key();
    let out = testkit::spawn_child(
        "processes::an_unprivileged_process_gets_permission_denied",
        &[
            &sem.key().as_raw().to_string(),
            &sem.id().to_string(),
            &fresh.as_raw().to_string(),
        ],
    )
    .wait_success(CHILD_LIMIT);
    assert!(out.contains("denied"), "{out}");
    assert_eq!(sem.value().unwrap(), 1);
    assert_eq!(sem.mode().unwrap().bits(), 0o644);
    assert_eq!(
        Semaphore::open(fresh).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

extern "C" fn on_sigusr1(_: libc::c_int) {}

#[test]
fn a_signal_interrupts_a_wait() {
    if let Some(args) = testkit::child_args("processes::a_signal_interrupts_a_wait") {
        // SAFETY: installs a handler that does nothing (async-signal-safe),
        // without SA_RESTART; `sa` is fully initialised.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
        }
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        let progress = Semaphore::open(arg_key(&args, 1)).unwrap();
        // A timed wait is not resumed after the signal either.
        for timeout in [Timeout::Forever, Timeout::After(CHILD_LIMIT)] {
            let e = sem.acquire(1, timeout).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
            assert!(e.is_signal() && !e.is_permissions() && !e.is_busy(), "{e}");
            println!("interrupted");
            progress.release(1).unwrap();
        }
        // progress is 2 now and nobody lowers it.
        let e = progress.wait_zero(Timeout::Forever).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        println!("interrupted");
        return;
    }
    let sem = new_sem(0);
    let progress = new_sem(0);
    let child = testkit::spawn_child(
        "processes::a_signal_interrupts_a_wait",
        &[
            &sem.key().as_raw().to_string(),
            &progress.key().as_raw().to_string(),
        ],
    );
    for round in 1..=2 {
        wait_for("the child's acquire", || {
            sem.waiting_for_nonzero().unwrap() == 1
        });
        child.signal_all_threads(libc::SIGUSR1);
        wait_for("the interrupted acquire", || {
            progress.value().unwrap() == round
        });
    }
    wait_for("the child's wait_zero", || {
        progress.waiting_for_zero().unwrap() == 1
    });
    child.signal_all_threads(libc::SIGUSR1);
    let out = child.wait_success(CHILD_LIMIT);
    assert_eq!(out.matches("interrupted").count(), 3, "{out}");
    assert_eq!(sem.value().unwrap(), 0);
    assert_eq!(sem.waiting_for_nonzero().unwrap(), 0);
    assert_eq!(progress.value().unwrap(), 2);
}

#[test]
fn a_timeout_is_honoured_in_a_second_process() {
    // sysv_ipc #69: its Linux wheels wait forever whatever the timeout.
    if let Some(args) = testkit::child_args("processes::a_timeout_is_honoured_in_a_second_process")
    {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        let start = std::time::Instant::now();
        assert!(
            sem.acquire(1, Timeout::After(Duration::from_millis(200)))
                .unwrap_err()
                .is_busy()
        );
        assert!(start.elapsed() >= Duration::from_millis(180));
        return;
    }
    let sem = new_sem(0);
    testkit::spawn_child(
        "processes::a_timeout_is_honoured_in_a_second_process",
        &[&sem.key().as_raw().to_string()],
    )
    .wait_success(CHILD_LIMIT);
}

/// A child that takes a mutex (value 1) with undo and gives it back, in
/// one of three ways, then exits normally; the parent reads the value the
/// kernel leaves once it has applied the child's undo adjustment.
fn mutex_after_child(how: &str) -> u16 {
    const TEST: &str = "processes::undo_acquires_release_with_undo_through_their_guard";
    let sem = new_sem(1);
    let out = testkit::spawn_child(TEST, &[&sem.key().as_raw().to_string(), how])
        .wait_success(CHILD_LIMIT);
    assert!(out.contains("released"), "{out}");
    sem.value().unwrap()
}

#[test]
fn undo_acquires_release_with_undo_through_their_guard() {
    const TEST: &str = "processes::undo_acquires_release_with_undo_through_their_guard";
    if let Some(args) = testkit::child_args(TEST) {
        let sem = Semaphore::options()
            .undo(true)
            .open(arg_key(&args, 0))
            .unwrap();
        match args[1].as_str() {
            "guard" => {
                let held = sem.acquire_guard(1, Timeout::Immediate).unwrap();
                // The guard keeps the setting it acquired with.
                sem.set_undo(false);
                drop(held);
            }
            "plain-release" => {
                // The pitfall: acquired with undo, released without it.
                sem.acquire(1, Timeout::Immediate).unwrap();
                sem.set_undo(false);
                sem.release(1).unwrap();
            }
            other => panic!("unknown role {other}"),
        }
        assert_eq!(sem.value().unwrap(), 1);
        println!("released");
        return;
    }
    assert_eq!(mutex_after_child("guard"), 1, "nothing left to undo");
    assert_eq!(
        mutex_after_child("plain-release"),
        2,
        "the documented pitfall: the kernel gives back a unit already given back"
    );
}

#[test]
fn undo_and_block_can_be_set_through_an_arc() {
    let sem = new_sem(1);
    let shared = std::sync::Arc::new(sem);
    let other = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || {
        other.set_undo(true);
        other.set_block(false);
    })
    .join()
    .unwrap();
    assert!(shared.undo() && !shared.block());
    shared.acquire(1, Timeout::Forever).unwrap();
    let e = shared.acquire(1, Timeout::Forever).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "block(false) reached it");
    shared.release(1).unwrap();
}

/// A child takes 2 units of a semaphore at 5 through a guard, with and
/// without undo, and either releases through the guard or exits holding it
/// (the guard forgotten, as when its `Drop` never runs). The kernel's undo must leave exactly
/// the value the guard's settings promise: an undo guard's acquire and
/// release cancel out (5, not 7), an undo guard held at exit is reversed
/// (5), and a plain guard held at exit keeps its units (3).
#[test]
fn a_childs_guard_leaves_exactly_the_value_undo_promises() {
    const TEST: &str = "processes::a_childs_guard_leaves_exactly_the_value_undo_promises";
    if let Some(args) = testkit::child_args(TEST) {
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        sem.set_undo(args[1] == "undo");
        let guard = sem.acquire_guard(2, Timeout::Immediate).unwrap();
        println!("child-acquired");
        if args[2] == "hold" {
            // Exit still holding it, as a process whose Drop never runs.
            std::mem::forget(guard);
        } else {
            guard.release().unwrap();
        }
        return;
    }
    for (undo, end, expected) in [
        ("undo", "release", 5),
        ("undo", "hold", 5),
        ("plain", "release", 5),
        ("plain", "hold", 3),
    ] {
        let sem = new_sem(5);
        let key = sem.key().as_raw().to_string();
        let out = testkit::spawn_child(TEST, &[&key, undo, end]).wait_success(CHILD_LIMIT);
        assert!(out.contains("child-acquired"), "{out}");
        assert_eq!(sem.value().unwrap(), expected, "{undo} guard, {end}");
        // No undo adjustment is left for a later process to trip over.
        sem.set_value(5).unwrap();
        assert_eq!(sem.value().unwrap(), 5);
    }
}
