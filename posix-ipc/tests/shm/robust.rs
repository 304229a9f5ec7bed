//! RobustMutex and Condvar in a POSIX `Mapping`, between real processes (the
//! test binary re-run with a role, see testkit): the stress test of four
//! incrementing processes with one SIGKILLed while it holds the mutex, and a
//! condition-variable wait that re-acquires from a killed owner.

use std::mem::offset_of;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use std::time::Duration;

use posix_ipc::{Condvar, LockOutcome, Mapping, MutexGuard, RobustMutex, SharedMemory};

const LIMIT: Duration = Duration::from_secs(60);
const WORKERS: usize = 4;
const INCREMENTS: u64 = 5000;

/// The shared record of the stress test (only its layout is used).
#[repr(C)]
struct Record {
    /// Set to 1 by the victim once it holds the mutex mid-update.
    victim_holding: AtomicU32,
    mutex: RobustMutex,
    /// The total, incremented under the mutex.
    count: AtomicU64,
    /// Worker index + 1 while that worker's update is half done.
    pending: AtomicU64,
    /// How many times a locker found the owner dead and repaired the record.
    repairs: AtomicU64,
    /// Increments each worker completed.
    done: [AtomicU64; WORKERS],
}

fn counter(map: &Mapping, offset: usize) -> &AtomicU64 {
    map.atomic::<AtomicU64>(offset).unwrap()
}

fn done_offset(worker: usize) -> usize {
    offset_of!(Record, done) + worker * size_of::<AtomicU64>()
}

/// Restores the invariant `count == sum(done)` after a holder died between
/// its two writes, and counts the repair.
fn repair(map: &Mapping) {
    if counter(map, offset_of!(Record, pending)).swap(0, Relaxed) != 0 {
        let sum: u64 = (0..WORKERS)
            .map(|w| counter(map, done_offset(w)).load(Relaxed))
            .sum();
        counter(map, offset_of!(Record, count)).store(sum, Relaxed);
    }
    counter(map, offset_of!(Record, repairs)).fetch_add(1, Relaxed);
}

fn lock_or_repair<'a>(mutex: &'a RobustMutex, map: &Mapping) -> MutexGuard<'a> {
    mutex
        .lock_timeout(LIMIT)
        .unwrap()
        .recover(|| repair(map))
        .unwrap()
}

#[test]
fn four_processes_count_exactly_when_one_is_killed_holding_the_mutex() {
    const TEST: &str = "four_processes_count_exactly_when_one_is_killed_holding_the_mutex";
    if let Some(args) = testkit::child_args(&format!("robust::{TEST}")) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let map = shm.map().unwrap();
        let me: usize = args[1].parse().unwrap();
        let kill_at: Option<u64> = args[2].parse().ok();
        // SAFETY: the parent initialised the mutex before starting workers.
        let mutex = unsafe { RobustMutex::open_at(&map, offset_of!(Record, mutex)) }.unwrap();
        for i in 0..INCREMENTS {
            let guard = lock_or_repair(mutex, &map);
            // A two-step update: a holder killed between the steps leaves
            // `pending` set and `count` one ahead of the sum of `done`.
            counter(&map, offset_of!(Record, pending)).store(me as u64 + 1, Relaxed);
            counter(&map, offset_of!(Record, count)).fetch_add(1, Relaxed);
            if kill_at == Some(i) {
                map.atomic::<AtomicU32>(offset_of!(Record, victim_holding))
                    .unwrap()
                    .store(1, SeqCst);
                std::mem::forget(guard);
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            counter(&map, done_offset(me)).fetch_add(1, Relaxed);
            counter(&map, offset_of!(Record, pending)).store(0, Relaxed);
            drop(guard);
        }
        println!("worker {me} done");
        return;
    }
    let shm = SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(testkit::unique_name("stress").as_str())
        .unwrap()
        .unlink_on_drop();
    let map = shm.map().unwrap();
    // SAFETY: fresh memory; the workers open it only after this.
    let mutex = unsafe { RobustMutex::init_at(&map, offset_of!(Record, mutex)) }.unwrap();
    let random = ipc_common::__private::os_random_u64().unwrap();
    let victim = usize::try_from(random % WORKERS as u64).unwrap();
    let kill_at = INCREMENTS / 4 + (random >> 8) % (INCREMENTS / 2);
    let name = shm.name().unwrap().to_string();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let at = if w == victim {
                kill_at.to_string()
            } else {
                "never".to_owned()
            };
            testkit::spawn_child(&format!("robust::{TEST}"), &[&name, &w.to_string(), &at])
        })
        .collect();
    let holding = map
        .atomic::<AtomicU32>(offset_of!(Record, victim_holding))
        .unwrap();
    assert!(
        testkit::eventually(LIMIT, || holding.load(SeqCst) == 1),
        "the victim never reached increment {kill_at}"
    );
    let mut workers: Vec<_> = workers.into_iter().map(Some).collect();
    let killed = workers[victim].take().expect("the victim");
    killed.signal(libc::SIGKILL);
    let out = killed.wait(LIMIT);
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", out.status);
    for (w, child) in workers.into_iter().enumerate() {
        if let Some(child) = child {
            let out = child.wait_success(LIMIT);
            assert!(out.contains(&format!("worker {w} done")), "{out}");
        }
    }
    let guard = lock_or_repair(mutex, &map);
    let done: Vec<u64> = (0..WORKERS)
        .map(|w| counter(&map, done_offset(w)).load(Relaxed))
        .collect();
    for (w, &d) in done.iter().enumerate() {
        let expected = if w == victim { kill_at } else { INCREMENTS };
        assert_eq!(d, expected, "worker {w}'s completed increments");
    }
    assert_eq!(
        counter(&map, offset_of!(Record, count)).load(Relaxed),
        done.iter().sum::<u64>(),
        "the count equals the increments that completed"
    );
    assert_eq!(counter(&map, offset_of!(Record, pending)).load(Relaxed), 0);
    assert_eq!(
        counter(&map, offset_of!(Record, repairs)).load(Relaxed),
        1,
        "repaired exactly once"
    );
    drop(guard);
}

/// Offsets of the condvar test's record.
const FLAG: usize = 0; // AtomicU32: 1 once the child took the mutex and notified
const MUTEX: usize = 64;
const COND: usize = 128;

#[test]
fn a_condvar_wait_reacquiring_from_a_killed_holder_reports_owner_died() {
    const TEST: &str = "a_condvar_wait_reacquiring_from_a_killed_holder_reports_owner_died";
    if let Some(args) = testkit::child_args(&format!("robust::{TEST}")) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let map = shm.map().unwrap();
        // SAFETY: the parent initialised both before starting this child.
        let (mutex, cond) = unsafe {
            (
                RobustMutex::open_at(&map, MUTEX).unwrap(),
                Condvar::open_at(&map, COND).unwrap(),
            )
        };
        // The parent is waiting on the condvar, so the mutex is free.
        let guard = mutex.lock().unwrap().recover(|| {}).unwrap();
        cond.notify_all();
        map.atomic::<AtomicU32>(FLAG).unwrap().store(1, SeqCst);
        std::mem::forget(guard);
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let shm = SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(testkit::unique_name("cvdied").as_str())
        .unwrap()
        .unlink_on_drop();
    let map = shm.map().unwrap();
    // SAFETY: fresh memory; the child opens it only after this.
    let (mutex, cond) = unsafe {
        (
            RobustMutex::init_at(&map, MUTEX).unwrap(),
            Condvar::init_at(&map, COND).unwrap(),
        )
    };
    let flag = map.atomic::<AtomicU32>(FLAG).unwrap();
    let mut guard = mutex.lock().unwrap().recover(|| {}).unwrap();
    let child = testkit::spawn_child(
        &format!("robust::{TEST}"),
        &[&shm.name().unwrap().to_string()],
    );
    std::thread::scope(|s| {
        // Kills the child once it holds the mutex (this thread is then
        // blocked re-acquiring it inside the wait).
        s.spawn(|| {
            assert!(testkit::eventually(LIMIT, || flag.load(SeqCst) == 1));
            std::thread::sleep(Duration::from_millis(20));
            child.signal(libc::SIGKILL);
            let out = child.wait(LIMIT);
            assert_eq!(out.status.signal(), Some(libc::SIGKILL));
        });
        loop {
            match cond.wait_timeout(guard, LIMIT).unwrap() {
                (LockOutcome::OwnerDied(inconsistent), _) => {
                    assert_eq!(flag.load(SeqCst), 1);
                    drop(inconsistent.make_consistent().unwrap());
                    break;
                }
                // Spurious or early wake-up: the child has not died yet.
                (LockOutcome::Locked(g), t) => {
                    assert!(!t.timed_out(), "no owner-died within {LIMIT:?}");
                    guard = g;
                }
            }
        }
    });
    assert!(matches!(mutex.try_lock().unwrap(), LockOutcome::Locked(_)));
}
