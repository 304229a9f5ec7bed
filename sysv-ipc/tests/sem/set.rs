//! Semaphore sets: creation and opening, per-member and whole-set values,
//! atomic batches (also across processes), and every bad input.

use std::time::Duration;

use crate::support::{CHILD_LIMIT, new_set, unused_key, wait_for};
use sysv_ipc::{
    ErrorKind, IPC_CREAT, IPC_CREX, Key, SEMAPHORE_VALUE_MAX, SemOp, Semaphore, SemaphoreSet,
    Timeout,
};

fn arg_key(args: &[String], i: usize) -> Key {
    Key::new(args[i].parse().unwrap())
}

/// A new set is marked initialised (`o_time`, for Stevens' recipe) by an
/// operation that changes no value, whatever the values: also when one is 0
/// and another is the largest a semaphore can hold, where a release would
/// overflow and a wait-for-zero would not mark.
#[test]
fn a_set_with_zero_and_maximal_members_is_created_marked_and_unchanged() {
    for values in [
        [0, SEMAPHORE_VALUE_MAX],
        [SEMAPHORE_VALUE_MAX, 0],
        [SEMAPHORE_VALUE_MAX, SEMAPHORE_VALUE_MAX],
    ] {
        let set = new_set(&values);
        assert_eq!(set.values().unwrap(), values);
        assert!(
            set.operation_time().unwrap().is_some(),
            "{values:?}: not marked initialised"
        );
    }
}

#[test]
fn create_open_and_read_every_member() {
    let (key, _c) = unused_key();
    let set = SemaphoreSet::options()
        .flags(IPC_CREX)
        .len(3)
        .mode(0o640)
        .initial_values(&[1, 2, 3])
        .open(key)
        .unwrap();
    assert!(set.created());
    assert_eq!((set.key(), set.len()), (key, 3));
    assert_eq!(set.values().unwrap(), [1, 2, 3]);
    for i in 0..3 {
        assert_eq!(set.value(i).unwrap(), i + 1);
    }
    let st = set.stat().unwrap();
    assert_eq!(
        (st.key, st.len, st.permissions.mode.bits()),
        (key, 3, 0o640)
    );
    // Open by key with any size, with a smaller or equal len, and by id.
    for opts in [
        SemaphoreSet::options(),
        SemaphoreSet::options().len(2).clone(),
        SemaphoreSet::options().len(3).clone(),
    ] {
        let other = opts.open(key).unwrap();
        assert_eq!((other.id(), other.len()), (set.id(), 3));
        assert!(!other.created());
    }
    assert_eq!(SemaphoreSet::open(key).unwrap().id(), set.id());
    assert_eq!(SemaphoreSet::from_id(set.id()).unwrap().len(), 3);
    // A Semaphore opened on the set works on member 0.
    let first = Semaphore::open(key).unwrap();
    assert_eq!(first.value().unwrap(), 1);
}

#[test]
fn ipc_creat_on_an_existing_set_keeps_its_values() {
    let set = new_set(&[4, 5]);
    let again = SemaphoreSet::options()
        .flags(IPC_CREAT)
        .len(2)
        .initial_value(0)
        .open(set.key())
        .unwrap();
    assert!(!again.created());
    assert_eq!(set.values().unwrap(), [4, 5]);
}

#[test]
fn initial_value_applies_to_every_member_and_o_time_marks_initialisation() {
    let set = SemaphoreSet::options()
        .len(4)
        .initial_value(7)
        .create_unique()
        .unwrap()
        .remove_on_drop();
    assert_eq!(set.values().unwrap(), [7; 4]);
    assert!(set.stat().unwrap().operation_time.is_some());
    // The creator performed the initialising operations.
    assert_eq!(
        set.last_pid(0).unwrap(),
        i32::try_from(std::process::id()).ok()
    );
}

#[test]
fn large_sets_read_and_write_all_values() {
    // Bigger than one page of u16s, to exercise GETALL/SETALL buffers.
    let set = SemaphoreSet::options()
        .len(3000)
        .initial_value(9)
        .create_unique()
        .unwrap()
        .remove_on_drop();
    assert_eq!(set.len(), 3000);
    assert!(set.values().unwrap().iter().all(|&v| v == 9));
    let values: Vec<u16> = (0..3000u16)
        .map(|i| i % (SEMAPHORE_VALUE_MAX + 1))
        .collect();
    set.set_values(&values).unwrap();
    assert_eq!(set.values().unwrap(), values);
    let mut out = vec![0u16; 3000];
    set.values_into(&mut out).unwrap();
    assert_eq!(out, values);
    assert_eq!(set.value(2999).unwrap(), 2999);
}

#[test]
fn bad_set_arguments_create_nothing() {
    let (key, _c) = unused_key();
    let cases = [
        // No length.
        SemaphoreSet::options().create(true).clone(),
        SemaphoreSet::options().create_new(true).len(0).clone(),
        // Wrong number of initial values, or one above SEMVMX.
        SemaphoreSet::options()
            .create(true)
            .len(3)
            .initial_values(&[1, 2])
            .clone(),
        SemaphoreSet::options()
            .create(true)
            .len(2)
            .initial_values(&[1, 40000])
            .clone(),
        SemaphoreSet::options()
            .create(true)
            .len(2)
            .initial_value(SEMAPHORE_VALUE_MAX + 1)
            .clone(),
        SemaphoreSet::options()
            .create(true)
            .len(2)
            .mode(0o1000)
            .clone(),
        SemaphoreSet::options().flags(0o600).len(2).clone(),
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
    // More members than SEMMSL: the kernel refuses (EINVAL) and says why.
    let semmsl = sysv_ipc::limits::semaphore_limits().unwrap().semmsl;
    if let Ok(too_many) = u16::try_from(semmsl + 1) {
        let e = SemaphoreSet::options()
            .create(true)
            .len(too_many)
            .open(key)
            .unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("SEMMSL"), "{e}");
    }
    assert_eq!(
        SemaphoreSet::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn opening_with_more_members_than_the_set_has_fails() {
    let set = new_set(&[0, 0]);
    let e = SemaphoreSet::options().len(3).open(set.key()).unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert!(e.message().contains("fewer"), "{e}");
    let e = SemaphoreSet::options()
        .create(true)
        .len(3)
        .open(set.key())
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
}

#[test]
fn every_index_is_checked() {
    let set = new_set(&[1, 1]);
    let results = [
        set.value(2).map(drop),
        set.set_value(2, 1),
        set.acquire(2, 1, Timeout::Immediate),
        set.release(2, 1),
        set.wait_zero(2, Timeout::Immediate),
        set.last_pid(2).map(drop),
        set.waiting_for_nonzero(2).map(drop),
        set.waiting_for_zero(u16::MAX).map(drop),
        set.acquire_guard(2, 1, Timeout::Immediate).map(drop),
        set.apply(
            &[SemOp::release(0, 1), SemOp::release(2, 1)],
            Timeout::Immediate,
        ),
    ];
    for r in results {
        let e = r.unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("set of 2"), "{e}");
    }
    assert_eq!(set.values().unwrap(), [1, 1], "nothing was done");
    set.set_block(false);
    assert!(set.value(2).is_err());
}

#[test]
fn per_member_operations() {
    let set = new_set(&[2, 0, 5]);
    set.acquire(0, 2, Timeout::Immediate).unwrap();
    set.release(1, 3).unwrap();
    set.wait_zero(0, Timeout::Immediate).unwrap();
    assert!(set.wait_zero(2, Timeout::Immediate).unwrap_err().is_busy());
    assert!(set.acquire(0, 1, Timeout::Immediate).unwrap_err().is_busy());
    set.set_value(2, 0).unwrap();
    assert_eq!(set.values().unwrap(), [0, 3, 0]);
    {
        let _g = set.acquire_guard(1, 3, Timeout::Immediate).unwrap();
        assert_eq!(set.value(1).unwrap(), 0);
    }
    assert_eq!(set.value(1).unwrap(), 3);
    assert!(
        set.acquire(0, 0, Timeout::Immediate)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(set.release(0, 40000).unwrap_err().is_invalid_input());
    assert!(set.set_value(0, 40000).unwrap_err().is_invalid_input());
    set.set_mode(0o660).unwrap();
    assert_eq!(set.stat().unwrap().permissions.mode.bits(), 0o660);
    let uid = set.stat().unwrap().permissions.uid;
    set.set_uid(uid).unwrap();
    set.set_gid(set.stat().unwrap().permissions.gid).unwrap();
}

#[test]
fn waiting_counts_per_member() {
    let set = new_set(&[0, 1]);
    std::thread::scope(|s| {
        let a = s.spawn(|| set.acquire(0, 1, Timeout::After(Duration::from_secs(10))));
        let z = s.spawn(|| set.wait_zero(1, Timeout::After(Duration::from_secs(10))));
        wait_for("both waiters", || {
            set.waiting_for_nonzero(0).unwrap() == 1 && set.waiting_for_zero(1).unwrap() == 1
        });
        assert_eq!(set.waiting_for_zero(0).unwrap(), 0);
        assert_eq!(set.waiting_for_nonzero(1).unwrap(), 0);
        set.set_values(&[1, 0]).unwrap();
        a.join().unwrap().unwrap();
        z.join().unwrap().unwrap();
    });
    assert_eq!(set.values().unwrap(), [0, 0]);
}

#[test]
fn whole_set_value_arguments_are_checked() {
    let set = new_set(&[1, 2]);
    for bad in [&[][..], &[1][..], &[1, 2, 3][..]] {
        assert!(set.set_values(bad).unwrap_err().is_invalid_input());
    }
    let e = set.set_values(&[1, SEMAPHORE_VALUE_MAX + 1]).unwrap_err();
    assert!(e.message().contains("SEMVMX"), "{e}");
    assert!(set.values_into(&mut [0; 1]).unwrap_err().is_invalid_input());
    assert!(set.values_into(&mut [0; 3]).unwrap_err().is_invalid_input());
    assert_eq!(set.values().unwrap(), [1, 2]);
}

#[test]
fn a_batch_is_all_or_nothing() {
    let set = new_set(&[1, 0, 3]);
    // sem1 is 0: nothing is taken from sem0 either.
    let both = [SemOp::acquire(0, 1), SemOp::acquire(1, 1)];
    let e = set.apply(&both, Timeout::Immediate).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(set.values().unwrap(), [1, 0, 3]);
    // A timed batch waits for the whole, then gives up whole.
    let start = std::time::Instant::now();
    let e = set
        .apply(&both, Timeout::After(Duration::from_millis(200)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.is_busy());
    assert!(start.elapsed() >= Duration::from_millis(180));
    assert_eq!(set.values().unwrap(), [1, 0, 3]);
    // A release past SEMVMX fails the batch: the acquire before it is undone.
    set.set_value(1, SEMAPHORE_VALUE_MAX).unwrap();
    let e = set
        .apply(
            &[SemOp::acquire(2, 3), SemOp::release(1, 1)],
            Timeout::Immediate,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert!(e.message().contains("SEMVMX (32767)"), "{e}");
    assert_eq!(set.values().unwrap(), [1, SEMAPHORE_VALUE_MAX, 3]);
    // And a batch that can proceed does everything.
    set.set_value(1, 1).unwrap();
    set.apply(
        &[
            SemOp::acquire(0, 1),
            SemOp::acquire(1, 1),
            SemOp::release(2, 2),
        ],
        Timeout::Immediate,
    )
    .unwrap();
    assert_eq!(set.values().unwrap(), [0, 0, 5]);
}

#[test]
fn operations_on_one_member_apply_in_order() {
    let set = new_set(&[0]);
    // Release then acquire on member 0 in one batch: fine atomically.
    set.apply(
        &[
            SemOp::release(0, 2),
            SemOp::acquire(0, 1),
            SemOp::wait_zero(0),
        ],
        Timeout::Immediate,
    )
    .unwrap_err();
    assert_eq!(set.value(0).unwrap(), 0, "wait_zero saw 1: nothing done");
    set.apply(
        &[
            SemOp::release(0, 2),
            SemOp::acquire(0, 2),
            SemOp::wait_zero(0),
        ],
        Timeout::Immediate,
    )
    .unwrap();
    assert_eq!(set.value(0).unwrap(), 0);
}

#[test]
fn no_wait_on_one_operation_fails_the_batch_at_once() {
    let set = new_set(&[1, 0]);
    let start = std::time::Instant::now();
    let e = set
        .apply(
            &[SemOp::acquire(0, 1), SemOp::acquire(1, 1).no_wait()],
            Timeout::After(Duration::from_secs(5)),
        )
        .unwrap_err();
    assert!(e.is_busy());
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(set.values().unwrap(), [1, 0]);
}

#[test]
fn bad_batches_are_refused_before_any_system_call() {
    let set = new_set(&[5, 5]);
    let too_many = vec![SemOp::release(0, 1); SemaphoreSet::MAX_BATCH + 1];
    let bad: [&[SemOp]; 5] = [
        &[],
        &too_many,
        &[SemOp::release(0, 1), SemOp::acquire(1, 0)],
        &[
            SemOp::release(0, 1),
            SemOp::release(1, SEMAPHORE_VALUE_MAX + 1),
        ],
        &[SemOp::release(0, 1), SemOp::acquire(1, u16::MAX)],
    ];
    for ops in bad {
        let e = set.apply(ops, Timeout::Immediate).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert_eq!(e.raw_os_error(), None, "{e}");
    }
    assert_eq!(set.values().unwrap(), [5, 5]);
    // The largest batch works.
    let max = vec![SemOp::release(1, 1); SemaphoreSet::MAX_BATCH];
    let max_ok = SemaphoreSet::MAX_BATCH
        <= usize::try_from(sysv_ipc::limits::semaphore_limits().unwrap().semopm).unwrap();
    if max_ok {
        set.apply(&max, Timeout::Immediate).unwrap();
        assert_eq!(set.value(1).unwrap(), 505);
    }
}

#[test]
fn removal_before_a_batch_is_removed() {
    let set = new_set(&[1]);
    set.remove().unwrap();
    let e = set
        .apply(&[SemOp::acquire(0, 1)], Timeout::Immediate)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Removed);
    assert!(set.values().unwrap_err().kind() == ErrorKind::Removed);
    assert!(set.set_values(&[1]).unwrap_err().kind() == ErrorKind::Removed);
    assert_eq!(
        SemaphoreSet::from_id(set.id()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn a_batch_waiting_in_another_process_takes_nothing_until_it_can_take_all() {
    if let Some(args) = testkit::child_args(
        "set::a_batch_waiting_in_another_process_takes_nothing_until_it_can_take_all",
    ) {
        let set = SemaphoreSet::open(arg_key(&args, 0)).unwrap();
        set.apply(
            &[SemOp::acquire(0, 1), SemOp::acquire(1, 1)],
            Timeout::After(CHILD_LIMIT),
        )
        .unwrap();
        println!("took both");
        return;
    }
    let set = new_set(&[1, 0]);
    let child = testkit::spawn_child(
        "set::a_batch_waiting_in_another_process_takes_nothing_until_it_can_take_all",
        &[&set.key().as_raw().to_string()],
    );
    wait_for("the child's batch", || {
        set.waiting_for_nonzero(1).unwrap() == 1
    });
    assert_eq!(
        set.values().unwrap(),
        [1, 0],
        "member 0 is not taken while waiting"
    );
    // The parent can still take member 0 itself, and give it back.
    set.acquire(0, 1, Timeout::Immediate).unwrap();
    set.release(0, 1).unwrap();
    set.release(1, 1).unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("took both"), "{out}");
    assert_eq!(set.values().unwrap(), [0, 0]);
    assert_eq!(
        (set.last_pid(0).unwrap(), set.last_pid(1).unwrap()),
        (Some(pid), Some(pid))
    );
}

#[test]
fn undo_in_a_batch_is_reversed_at_exit() {
    if let Some(args) = testkit::child_args("set::undo_in_a_batch_is_reversed_at_exit") {
        let set = SemaphoreSet::open(arg_key(&args, 0)).unwrap();
        // Member 0 with a per-operation undo, member 1 without.
        set.apply(
            &[SemOp::acquire(0, 2).undo(), SemOp::acquire(1, 1)],
            Timeout::Immediate,
        )
        .unwrap();
        // Member 2 through the handle's undo setting.
        set.set_undo(true);
        set.release(2, 4).unwrap();
        return;
    }
    let set = new_set(&[2, 3, 0]);
    testkit::spawn_child(
        "set::undo_in_a_batch_is_reversed_at_exit",
        &[&set.key().as_raw().to_string()],
    )
    .wait_success(CHILD_LIMIT);
    assert_eq!(set.values().unwrap(), [2, 2, 0]);
}

#[test]
fn removal_while_a_batch_waits_in_another_process() {
    if let Some(args) = testkit::child_args("set::removal_while_a_batch_waits_in_another_process") {
        let set = SemaphoreSet::open(arg_key(&args, 0)).unwrap();
        let e = set
            .apply(
                &[SemOp::wait_zero(0), SemOp::acquire(1, 1)],
                Timeout::Forever,
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        return;
    }
    let set = new_set(&[0, 0]);
    let child = testkit::spawn_child(
        "set::removal_while_a_batch_waits_in_another_process",
        &[&set.key().as_raw().to_string()],
    );
    wait_for("the child's batch", || {
        set.waiting_for_nonzero(1).unwrap() == 1
    });
    set.remove().unwrap();
    child.wait_success(CHILD_LIMIT);
}

#[test]
fn debug_and_private_sets() {
    let set = SemaphoreSet::options()
        .len(2)
        .initial_value(1)
        .open(Key::PRIVATE)
        .unwrap()
        .remove_on_drop();
    assert!(set.created() && set.key().is_private());
    let d = format!("{set:?}");
    assert!(d.contains("SemaphoreSet") && d.contains("len: 2"), "{d}");
    assert!(format!("{:?}", SemOp::acquire(1, 2).undo()).contains("Acquire"));
    assert!(SemOp::acquire(0, 1).undo().is_undo());
    assert!(!SemOp::acquire(0, 1).no_wait().is_undo());
    assert_eq!(SemOp::wait_zero(3).index(), 3);
}

/// Whole-set reads and writes unmap the guarded buffer each one maps: a
/// thousand of each leave the process with no more mappings than before.
#[test]
fn values_and_set_values_leave_no_mapping_behind() {
    const TEST: &str = "set::values_and_set_values_leave_no_mapping_behind";
    if testkit::child_args(TEST).is_some() {
        let set = new_set(&[1, 2, 3]);
        let mappings = || {
            std::fs::read_to_string("/proc/self/maps")
                .unwrap()
                .lines()
                .count()
        };
        let before = mappings();
        for _ in 0..1000 {
            assert_eq!(set.values().unwrap(), [1, 2, 3]);
            set.set_values(&[1, 2, 3]).unwrap();
        }
        let after = mappings();
        assert!(
            after < before + 10,
            "{before} mappings before, {after} after"
        );
        println!("no-leak");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(CHILD_LIMIT);
    assert!(out.contains("no-leak"), "{out}");
}

/// An operation's own `no_wait()` on a handle that does not block either
/// still does not block: the two settings add up, never cancel out.
#[test]
fn an_operations_flags_add_to_the_handles() {
    let set = new_set(&[0, 0]);
    set.set_block(false);
    let (done, result) = std::sync::mpsc::channel();
    let id = set.id();
    std::thread::spawn(move || {
        let set = SemaphoreSet::from_id(id).unwrap();
        set.set_block(false);
        let _ = done.send(set.apply(&[SemOp::acquire(0, 1).no_wait()], Timeout::Forever));
    });
    let applied = result
        .recv_timeout(Duration::from_secs(20))
        .expect("a no_wait operation on a non-blocking handle waited");
    assert_eq!(applied.unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(set.values().unwrap(), [0, 0]);
}
