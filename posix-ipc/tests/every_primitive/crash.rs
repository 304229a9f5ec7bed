//! The crate's "Crashes" table, row by row: a real child process (the test
//! binary re-run with a role, see testkit) is killed with SIGKILL in the
//! middle of an operation, and the parent checks what was left behind and
//! that the documented recovery works.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use posix_ipc::{
    ErrorKind, LockOutcome, MessageQueue, RobustMutex, Semaphore, SharedMemory, Timeout,
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

#[test]
fn a_semaphore_acquired_by_a_killed_process_stays_decremented() {
    const TEST: &str = "crash::a_semaphore_acquired_by_a_killed_process_stays_decremented";
    if let Some(args) = testkit::child_args(TEST) {
        let sem = Semaphore::open(args[1].as_str()).unwrap();
        match args[0].as_str() {
            // Takes the semaphore and is killed holding it.
            "holder" => sem.acquire(Timeout::Forever).unwrap(),
            // Is killed while blocked in sem_wait.
            "waiter" => {
                let _ = sem.acquire(Timeout::Forever);
                panic!("the waiter should never get the semaphore");
            }
            other => panic!("unknown role {other}"),
        }
        wait_for_the_kill();
    }
    let sem = Semaphore::options()
        .create_new(true)
        .initial_value(1)
        .open(crate::support::fresh_name().as_str())
        .unwrap()
        .unlink_on_drop();
    let name = sem.name().to_string();
    let holder = testkit::spawn_child(TEST, &["holder", &name]);
    wait_until("the holder's acquire", || sem.value().unwrap() == 0);
    kill_9(holder);
    // Nothing released it, and nothing tells the others: they just wait.
    assert_eq!(sem.value().unwrap(), 0);
    let e = sem.acquire(Timeout::Immediate).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    let e = sem
        .acquire(Timeout::After(Duration::from_millis(50)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    // A process killed while waiting takes nothing with it.
    let waiter = testkit::spawn_child(TEST, &["waiter", &name]);
    std::thread::sleep(Duration::from_millis(100));
    kill_9(waiter);
    sem.release().unwrap();
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn shared_memory_and_its_bytes_outlive_a_process_killed_mid_write() {
    const TEST: &str = "crash::shared_memory_and_its_bytes_outlive_a_process_killed_mid_write";
    if let Some(args) = testkit::child_args(TEST) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let map = shm.map().unwrap();
        map.write_at(64, b"written by the child").unwrap();
        let counter = map.atomic_u64(0).unwrap();
        // Writes records for ever; the kill lands in the middle.
        for i in 1u64.. {
            let slot = 128 + usize::try_from(i % 64).unwrap() * 8;
            map.write_at(slot, &i.to_ne_bytes()).unwrap();
            counter.store(i, Ordering::Release);
        }
        unreachable!();
    }
    let shm = SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(crate::support::fresh_name().as_str())
        .unwrap()
        .unlink_on_drop();
    let map = shm.map().unwrap();
    let child = testkit::spawn_child(TEST, &[&shm.name().unwrap().to_string()]);
    let counter = map.atomic_u64(0).unwrap();
    wait_until("the child's writes", || {
        counter.load(Ordering::Acquire) > 1000
    });
    kill_9(child);
    let last = counter.load(Ordering::Acquire);
    // The object, its size and every byte the child wrote are still there.
    let again = SharedMemory::open(shm.name().unwrap()).unwrap();
    assert_eq!(again.size().unwrap(), 4096);
    let map = again.map().unwrap();
    assert_eq!(map.read_vec(64, 20).unwrap(), b"written by the child");
    let slot = 128 + usize::try_from(last % 64).unwrap() * 8;
    assert_eq!(map.read_vec(slot, 8).unwrap(), last.to_ne_bytes());
    assert_eq!(map.atomic_u64(0).unwrap().load(Ordering::Acquire), last);
}

#[test]
fn messages_sent_by_a_killed_process_stay_queued() {
    const TEST: &str = "crash::messages_sent_by_a_killed_process_stay_queued";
    if let Some(args) = testkit::child_args(TEST) {
        let q = MessageQueue::open(args[0].as_str()).unwrap();
        for i in 0..4u32 {
            q.send(format!("message {i}").as_bytes(), i).unwrap();
        }
        // The queue is full: blocked here when the kill comes.
        let _ = q.send(b"never delivered", 9);
        panic!("the fifth send should block until the kill");
    }
    let q = MessageQueue::options()
        .create_new(true)
        .max_messages(4)
        .max_message_size(64)
        .open(crate::support::fresh_name().as_str())
        .unwrap()
        .unlink_on_drop();
    let child = testkit::spawn_child(TEST, &[&q.name().unwrap().to_string()]);
    wait_until("the child's four sends", || {
        q.current_messages().unwrap() == 4
    });
    std::thread::sleep(Duration::from_millis(50)); // into the blocked send
    kill_9(child);
    assert_eq!(q.current_messages().unwrap(), 4);
    let mut buf = [0u8; 64];
    for i in (0..4u32).rev() {
        let (n, prio) = q.receive_timeout(&mut buf, Timeout::Immediate).unwrap();
        assert_eq!((&buf[..n], prio), (format!("message {i}").as_bytes(), i));
    }
    let e = q.receive_timeout(&mut buf, Timeout::Immediate).unwrap_err();
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
fn a_robust_mutex_held_by_a_killed_process_reports_owner_died() {
    const TEST: &str = "crash::a_robust_mutex_held_by_a_killed_process_reports_owner_died";
    if let Some(args) = testkit::child_args(TEST) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let map = shm.map().unwrap();
        // SAFETY: the parent initialised the mutex before starting this child.
        let mutex = unsafe { RobustMutex::open_at(&map, MUTEX) }.unwrap();
        let LockOutcome::Locked(guard) = mutex.lock().unwrap() else {
            panic!("nobody died yet");
        };
        // Half an update, then the kill.
        map.atomic_u64(STEP).unwrap().store(1, Ordering::Relaxed);
        map.atomic::<AtomicU32>(HOLDING)
            .unwrap()
            .store(1, Ordering::Release);
        std::mem::forget(guard);
        wait_for_the_kill();
    }
    let shm = SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(crate::support::fresh_name().as_str())
        .unwrap()
        .unlink_on_drop();
    let map = shm.map().unwrap();
    // SAFETY: fresh memory; the child opens it only after this.
    let mutex = unsafe { RobustMutex::init_at(&map, MUTEX) }.unwrap();
    let child = testkit::spawn_child(TEST, &[&shm.name().unwrap().to_string()]);
    let holding = map.atomic::<AtomicU32>(HOLDING).unwrap();
    wait_until("the child to hold the mutex", || {
        holding.load(Ordering::Acquire) == 1
    });
    assert!(mutex.try_lock().unwrap_err().is_busy());
    kill_9(child);
    let step = map.atomic::<AtomicU64>(STEP).unwrap();
    let guard = match mutex.lock().unwrap() {
        LockOutcome::OwnerDied(inconsistent) => {
            // Repair: roll the half-done update back.
            assert_eq!(step.load(Ordering::Relaxed), 1);
            step.store(0, Ordering::Relaxed);
            inconsistent.make_consistent().unwrap()
        }
        LockOutcome::Locked(_) => panic!("the holder was killed: owner-died expected"),
    };
    drop(guard);
    assert!(matches!(mutex.lock().unwrap(), LockOutcome::Locked(_)));
}
