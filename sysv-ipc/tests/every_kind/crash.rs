//! The crate's "Crashes" table, row by row: a real child process (the test
//! binary re-run with a role, see testkit) is killed with SIGKILL in the
//! middle of an operation, and the parent checks what was left behind and
//! that the documented recovery works.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use sysv_ipc::{
    ErrorKind, Key, LockOutcome, MessageQueue, RobustMutex, Selector, Semaphore, SharedMemory,
    Timeout, Wait,
};

const LIMIT: Duration = Duration::from_secs(30);

/// Sends SIGKILL to the child and checks that SIGKILL is what ended it.
fn kill_9(child: testkit::ChildProcess) {
    child.kill_9(LIMIT);
}

/// Waits for `cond`, failing the test after LIMIT.
fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    testkit::wait_until(what, LIMIT, cond);
}

use testkit::wait_for_the_kill;

fn key_arg(args: &[String], i: usize) -> Key {
    Key::new(args[i].parse().unwrap())
}

#[test]
fn semaphore_undo_restores_the_value_and_a_plain_acquire_does_not() {
    const TEST: &str = "crash::semaphore_undo_restores_the_value_and_a_plain_acquire_does_not";
    if let Some(args) = testkit::child_args(TEST) {
        let sem = Semaphore::open(key_arg(&args, 1)).unwrap();
        sem.set_undo(args[0] == "undo");
        sem.acquire(1, Timeout::Forever).unwrap();
        // Killed while blocked in a second acquire that cannot succeed.
        let _ = sem.acquire(5, Timeout::Forever);
        panic!("the second acquire should block until the kill");
    }
    for (mode, value_after) in [("undo", 2), ("plain", 1)] {
        let sem = crate::sem_support::new_sem(2);
        let key = sem.key().as_raw().to_string();
        let child = testkit::spawn_child(TEST, &[mode, &key]);
        wait_until("the child's first acquire", || sem.value().unwrap() == 1);
        std::thread::sleep(Duration::from_millis(50)); // into the blocked acquire
        kill_9(child);
        assert_eq!(sem.value().unwrap(), value_after, "{mode}");
    }
}

#[test]
fn shared_memory_persists_and_nattch_drops_when_the_attacher_is_killed() {
    const TEST: &str = "crash::shared_memory_persists_and_nattch_drops_when_the_attacher_is_killed";
    if let Some(args) = testkit::child_args(TEST) {
        let seg = SharedMemory::from_id(args[0].parse().unwrap()).unwrap();
        let one = seg.attach().unwrap();
        let two = seg.attach().unwrap();
        one.write_at(64, b"written by the child").unwrap();
        let counter = two.atomic_u64(0).unwrap();
        // Writes for ever; the kill lands in the middle.
        for i in 1u64.. {
            one.write_at(128, &i.to_ne_bytes()).unwrap();
            counter.store(i, Ordering::Release);
        }
        unreachable!();
    }
    let seg = crate::shm_support::new_segment(SharedMemory::options().size(4096));
    let id = seg.id().to_string();
    let child = testkit::spawn_child(TEST, &[&id]);
    wait_until("the child's two attachments", || {
        seg.number_attached().unwrap() == 2
    });
    let view = seg.attach().unwrap();
    let counter = view.atomic_u64(0).unwrap();
    wait_until("the child's writes", || {
        counter.load(Ordering::Acquire) > 1000
    });
    kill_9(child);
    assert_eq!(seg.number_attached().unwrap(), 1, "only this process's");
    let last = counter.load(Ordering::Acquire);
    assert_eq!(view.read_vec(64, 20).unwrap(), b"written by the child");
    // The kill may land between the child's two writes: the record is the
    // counter's value or the one after it.
    let record = u64::from_ne_bytes(view.read_vec(128, 8).unwrap().try_into().unwrap());
    assert!(
        record == last || record == last + 1,
        "{record} after {last}"
    );
    drop(view);
    assert_eq!(seg.number_attached().unwrap(), 0);
    // The segment outlives every attacher, with its bytes.
    let again = SharedMemory::open(seg.key()).unwrap();
    assert_eq!(again.read(64, 20).unwrap(), b"written by the child");
    drop(again); // and its own attachment, which read() made
    assert_eq!(seg.number_attached().unwrap(), 0);

    // A segment removed while attached goes away with its last attacher.
    let child = testkit::spawn_child(TEST, &[&id]);
    wait_until("the child's attachments", || {
        seg.number_attached().unwrap() == 2
    });
    seg.remove().unwrap();
    kill_9(child);
    let e = SharedMemory::from_id(seg.id()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(seg.size().unwrap_err().kind(), ErrorKind::Removed);
}

#[test]
fn messages_sent_by_a_killed_process_stay_queued() {
    const TEST: &str = "crash::messages_sent_by_a_killed_process_stay_queued";
    if let Some(args) = testkit::child_args(TEST) {
        let q = MessageQueue::open(key_arg(&args, 0)).unwrap();
        for t in 1..=3 {
            q.send(&[b'a'; 16], t, Wait::Block).unwrap();
        }
        // 48 of the queue's 64 bytes are used: blocked here when killed.
        let _ = q.send(&[b'z'; 40], 9, Wait::Block);
        panic!("the fourth send should block until the kill");
    }
    let q = crate::msg_support::new_queue();
    q.set_max_size(64).unwrap();
    let key = q.key().as_raw().to_string();
    let child = testkit::spawn_child(TEST, &[&key]);
    wait_until("the child's three sends", || {
        q.current_messages().unwrap() == 3
    });
    std::thread::sleep(Duration::from_millis(50)); // into the blocked send
    kill_9(child);
    assert_eq!(q.current_messages().unwrap(), 3);
    for t in 1..=3 {
        let m = q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
        assert_eq!((m.mtype, m.data), (t, vec![b'a'; 16]));
    }
    let e = q.receive_vec(Selector::Any, Wait::NoWait).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::WouldBlock,
        "the blocked send died with it"
    );
}

/// Offsets of the robust-mutex test's shared record.
const HOLDING: usize = 0; // AtomicU32: 1 once the child holds the mutex
const STEP: usize = 8; // AtomicU64: how far the child's update got
const MUTEX: usize = 64;

#[test]
fn a_robust_mutex_in_an_attachment_reports_a_killed_owner() {
    const TEST: &str = "crash::a_robust_mutex_in_an_attachment_reports_a_killed_owner";
    if let Some(args) = testkit::child_args(TEST) {
        let seg = SharedMemory::open(key_arg(&args, 0)).unwrap();
        let at = seg.attach().unwrap();
        // SAFETY: the parent initialised the mutex before starting this child.
        let mutex = unsafe { RobustMutex::open_at(&at, MUTEX) }.unwrap();
        let LockOutcome::Locked(guard) = mutex.lock().unwrap() else {
            panic!("nobody died yet");
        };
        at.atomic_u64(STEP).unwrap().store(1, Ordering::Relaxed);
        at.atomic::<AtomicU32>(HOLDING)
            .unwrap()
            .store(1, Ordering::Release);
        std::mem::forget(guard);
        wait_for_the_kill();
    }
    let seg = crate::shm_support::new_segment(SharedMemory::options().size(4096));
    let at = seg.attach().unwrap();
    // SAFETY: fresh memory; the child opens it only after this.
    let mutex = unsafe { RobustMutex::init_at(&at, MUTEX) }.unwrap();
    let child = testkit::spawn_child(TEST, &[&seg.key().as_raw().to_string()]);
    let holding = at.atomic::<AtomicU32>(HOLDING).unwrap();
    wait_until("the child to hold the mutex", || {
        holding.load(Ordering::Acquire) == 1
    });
    kill_9(child);
    let step = at.atomic::<AtomicU64>(STEP).unwrap();
    match mutex.lock_timeout(LIMIT).unwrap() {
        LockOutcome::OwnerDied(inconsistent) => {
            assert_eq!(step.swap(0, Ordering::Relaxed), 1, "the half-done update");
            drop(inconsistent.make_consistent().unwrap());
        }
        LockOutcome::Locked(_) => panic!("the holder was killed: owner-died expected"),
    }
    assert!(matches!(mutex.try_lock().unwrap(), LockOutcome::Locked(_)));
    assert_eq!(seg.number_attached().unwrap(), 1);
}
