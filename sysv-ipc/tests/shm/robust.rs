//! A producer and a consumer process exchanging values through a ring in a
//! System V `Attachment`, waiting on two process-shared Condvars with a
//! RobustMutex: no polling, timeouts on every wait, and a third process
//! (this one) sending notifications that wake them for nothing, which both
//! sides must tolerate by re-checking their condition.

use std::mem::offset_of;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use std::time::Duration;

use sysv_ipc::{Attachment, Condvar, Key, LockOutcome, MutexGuard, RobustMutex, SharedMemory};

const LIMIT: Duration = Duration::from_secs(60);
const SLOTS: usize = 4;
const VALUES: u64 = 3000;
/// Every wait is bounded by this, so a lost notification could only slow the
/// exchange down, never hang it; the consumer also times out before the
/// producer starts.
const WAIT: Duration = Duration::from_millis(10);

/// The shared ring (only its layout is used).
#[repr(C)]
struct Ring {
    /// Set by the consumer once it holds the mutex and starts waiting.
    consumer_waiting: AtomicU32,
    mutex: RobustMutex,
    not_empty: Condvar,
    not_full: Condvar,
    /// Values taken so far (under the mutex).
    head: AtomicU64,
    /// Values put so far (under the mutex).
    tail: AtomicU64,
    slots: [AtomicU64; SLOTS],
}

struct Shared<'a> {
    at: &'a Attachment,
    mutex: &'a RobustMutex,
    not_empty: &'a Condvar,
    not_full: &'a Condvar,
}

impl<'a> Shared<'a> {
    /// # Safety
    ///
    /// The creator must have initialised the mutex and both condvars.
    unsafe fn open(at: &'a Attachment) -> Shared<'a> {
        // SAFETY: the caller's guarantee; only pthread calls touch them.
        unsafe {
            Shared {
                at,
                mutex: RobustMutex::open_at(at, offset_of!(Ring, mutex)).unwrap(),
                not_empty: Condvar::open_at(at, offset_of!(Ring, not_empty)).unwrap(),
                not_full: Condvar::open_at(at, offset_of!(Ring, not_full)).unwrap(),
            }
        }
    }

    fn word(&self, offset: usize) -> &AtomicU64 {
        self.at.atomic::<AtomicU64>(offset).unwrap()
    }

    fn slot(&self, n: u64) -> &AtomicU64 {
        let i = usize::try_from(n).unwrap() % SLOTS;
        self.word(offset_of!(Ring, slots) + i * size_of::<u64>())
    }

    fn len(&self) -> u64 {
        self.word(offset_of!(Ring, tail)).load(Relaxed)
            - self.word(offset_of!(Ring, head)).load(Relaxed)
    }
}

fn held(outcome: LockOutcome<'_>) -> MutexGuard<'_> {
    match outcome {
        LockOutcome::Locked(g) => g,
        LockOutcome::OwnerDied(_) => panic!("no process dies in this test"),
    }
}

/// Waits on `cond` until `ready()` holds, counting timeouts and wake-ups that
/// found the condition still false.
fn wait_for<'a>(
    cond: &Condvar,
    mut guard: MutexGuard<'a>,
    mut ready: impl FnMut() -> bool,
    timeouts: &mut u64,
    spurious: &mut u64,
) -> MutexGuard<'a> {
    while !ready() {
        let (outcome, result) = cond.wait_timeout(guard, WAIT).unwrap();
        guard = held(outcome);
        if result.timed_out() {
            *timeouts += 1;
        } else if !ready() {
            *spurious += 1;
        }
    }
    guard
}

#[test]
fn producer_and_consumer_processes_exchange_through_condvars() {
    const TEST: &str = "robust::producer_and_consumer_processes_exchange_through_condvars";
    if let Some(args) = testkit::child_args(TEST) {
        let seg = SharedMemory::open(Key::new(args[1].parse().unwrap())).unwrap();
        let at = seg.attach().unwrap();
        // SAFETY: the parent initialised them before starting the children.
        let ring = unsafe { Shared::open(&at) };
        let (mut timeouts, mut spurious) = (0, 0);
        match args[0].as_str() {
            "consumer" => {
                let mut guard = held(ring.mutex.lock().unwrap());
                at.atomic::<AtomicU32>(offset_of!(Ring, consumer_waiting))
                    .unwrap()
                    .store(1, SeqCst);
                for expected in 1..=VALUES {
                    guard = wait_for(
                        ring.not_empty,
                        guard,
                        || ring.len() > 0,
                        &mut timeouts,
                        &mut spurious,
                    );
                    let head = ring.word(offset_of!(Ring, head));
                    let n = head.load(Relaxed);
                    assert_eq!(ring.slot(n).load(Relaxed), expected, "value {n}");
                    head.store(n + 1, Relaxed);
                    ring.not_full.notify_one();
                }
                drop(guard);
            }
            "producer" => {
                for value in 1..=VALUES {
                    let guard = held(ring.mutex.lock().unwrap());
                    let guard = wait_for(
                        ring.not_full,
                        guard,
                        || ring.len() < SLOTS as u64,
                        &mut timeouts,
                        &mut spurious,
                    );
                    let tail = ring.word(offset_of!(Ring, tail));
                    let n = tail.load(Relaxed);
                    ring.slot(n).store(value, Relaxed);
                    tail.store(n + 1, Relaxed);
                    ring.not_empty.notify_one();
                    drop(guard);
                }
            }
            other => panic!("unknown role {other}"),
        }
        println!("{} done timeouts={timeouts} spurious={spurious}", args[0]);
        return;
    }
    let seg = crate::support::new_segment(SharedMemory::options().size(4096));
    let at = seg.attach().unwrap();
    // SAFETY: fresh memory; the children open it only after this.
    unsafe {
        RobustMutex::init_at(&at, offset_of!(Ring, mutex)).unwrap();
        Condvar::init_at(&at, offset_of!(Ring, not_empty)).unwrap();
        Condvar::init_at(&at, offset_of!(Ring, not_full)).unwrap();
    }
    // SAFETY: initialised just above.
    let ring = unsafe { Shared::open(&at) };
    let key = seg.key().as_raw().to_string();
    let consumer = testkit::spawn_child(TEST, &["consumer", &key]);
    let waiting = at
        .atomic::<AtomicU32>(offset_of!(Ring, consumer_waiting))
        .unwrap();
    assert!(testkit::eventually(LIMIT, || waiting.load(SeqCst) == 1));
    // The consumer now waits on an empty ring: its waits time out.
    std::thread::sleep(WAIT * 5);
    let producer = testkit::spawn_child(TEST, &["producer", &key]);
    let stop = AtomicBool::new(false);
    let (consumer_out, producer_out) = std::thread::scope(|s| {
        // Wake-ups for nothing, on both condvars, while they work.
        s.spawn(|| {
            while !stop.load(SeqCst) {
                ring.not_empty.notify_all();
                ring.not_full.notify_all();
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        let outs = (consumer.wait_success(LIMIT), producer.wait_success(LIMIT));
        stop.store(true, SeqCst);
        outs
    });
    println!("{consumer_out}{producer_out}");
    assert!(producer_out.contains("producer done"), "{producer_out}");
    let line = consumer_out
        .lines()
        .find_map(|l| l.strip_prefix("consumer done timeouts="))
        .unwrap_or_else(|| panic!("{consumer_out}"));
    let timeouts: u64 = line.split(' ').next().unwrap().parse().unwrap();
    assert!(
        timeouts >= 1,
        "the consumer waited on an empty ring: {line}"
    );
    let guard = held(ring.mutex.lock().unwrap());
    assert_eq!(ring.word(offset_of!(Ring, head)).load(Relaxed), VALUES);
    assert_eq!(ring.word(offset_of!(Ring, tail)).load(Relaxed), VALUES);
    drop(guard);
    drop(at);
    assert_eq!(seg.number_attached().unwrap(), 0);
}
