//! The hot paths allocate nothing: acquire/release, send/receive into a
//! caller's buffer, read/write at an offset, and the would-block errors a
//! polling loop sees.

#[global_allocator]
static COUNTING: testkit::CountingAllocator = testkit::CountingAllocator;

use posix_ipc::{MessageQueue, Semaphore, SharedMemory, Timeout};
use testkit::allocations_during;

#[test]
fn the_counter_sees_allocations() {
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(Box::new(7u64)))),
        1
    );
}

#[test]
fn hot_paths_allocate_nothing() {
    let sem = Semaphore::options()
        .create_new(true)
        .initial_value(1)
        .open(testkit::unique_name("na").as_str())
        .unwrap()
        .unlink_on_drop();
    let shm = SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(testkit::unique_name("na").as_str())
        .unwrap()
        .unlink_on_drop();
    let map = shm.map().unwrap();
    let q = MessageQueue::options()
        .create_new(true)
        .max_messages(4)
        .max_message_size(64)
        .open(testkit::unique_name("na").as_str())
        .unwrap()
        .unlink_on_drop();
    let mut buf = [0u8; 64];
    let mut page = [0u8; 4096];
    let n = allocations_during(|| {
        for _ in 0..1000 {
            sem.acquire(Timeout::Forever).unwrap();
            sem.release().unwrap();
            assert!(sem.acquire(Timeout::Immediate).is_ok());
            assert!(sem.acquire(Timeout::Immediate).unwrap_err().is_busy());
            sem.release().unwrap();
            map.write_at(100, b"hello").unwrap();
            map.read_at(0, &mut page).unwrap();
            q.send(b"ping", 3).unwrap();
            let (len, prio) = q.receive(&mut buf).unwrap();
            assert_eq!((len, prio), (4, 3));
            assert!(
                q.receive_timeout(&mut buf, Timeout::Immediate)
                    .unwrap_err()
                    .is_busy()
            );
        }
    });
    assert_eq!(n, 0, "the hot paths allocated {n} times");
}
