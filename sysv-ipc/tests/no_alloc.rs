//! The hot paths allocate nothing: P/V, atomic batches, send/receive into a
//! caller's buffer, read/write at an offset, and the would-block errors a
//! polling loop sees.

#[global_allocator]
static COUNTING: testkit::CountingAllocator = testkit::CountingAllocator;

use sysv_ipc::{
    ErrorKind, MessageQueue, Selector, SemOp, Semaphore, SemaphoreSet, SharedMemory, Timeout, Wait,
};
use testkit::allocations_during;

/// Creates with `make` under a fresh test key, drawing again while a key
/// is taken.
fn with_key<T>(make: impl FnMut(i32) -> sysv_ipc::Result<T>) -> T {
    testkit::sysv::with_test_key("object", make, |e| e.kind() == ErrorKind::AlreadyExists)
}

#[test]
fn the_counter_sees_allocations() {
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(Box::new(7u64)))),
        1
    );
}

#[test]
fn hot_paths_allocate_nothing() {
    let sem = with_key(|k| Semaphore::create_new(k, 1)).remove_on_drop();
    let set = with_key(|k| {
        SemaphoreSet::options()
            .create_new(true)
            .len(2)
            .initial_value(1)
            .open(k)
    })
    .remove_on_drop();
    let shm = with_key(|k| SharedMemory::create_new(k, 4096)).remove_on_drop();
    let view = shm.attach().unwrap();
    let q = with_key(|k| MessageQueue::options().create_new(true).open(k)).remove_on_drop();
    let mut buf = [0u8; 64];
    let mut page = [0u8; 4096];
    let batch = [SemOp::acquire(0, 1), SemOp::acquire(1, 1)];
    let undo = [SemOp::release(0, 1), SemOp::release(1, 1)];
    let n = allocations_during(|| {
        for _ in 0..1000 {
            sem.acquire(1, Timeout::Forever).unwrap();
            assert!(sem.acquire(1, Timeout::Immediate).unwrap_err().is_busy());
            sem.release(1).unwrap();
            set.apply(&batch, Timeout::Immediate).unwrap();
            set.apply(&undo, Timeout::Immediate).unwrap();
            view.write_at(8, b"hello").unwrap();
            view.read_at(0, &mut page).unwrap();
            q.send(b"ping", 2, Wait::NoWait).unwrap();
            let (len, mtype) = q.receive(&mut buf, Selector::Any, Wait::NoWait).unwrap();
            assert_eq!((len, mtype), (4, 2));
            assert!(
                q.receive(&mut buf, Selector::Type(9), Wait::NoWait)
                    .unwrap_err()
                    .is_busy()
            );
        }
    });
    assert_eq!(n, 0, "the hot paths allocated {n} times");
}
