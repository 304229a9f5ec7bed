//! RobustMutex against the C peer: it is a plain robust, process-shared
//! `pthread_mutex_t`, so C locks a mutex Rust made, Rust locks one C made,
//! and a holder killed on either side is reported as owner-died on the other.
//!
//! The C peer is built for the host (64-bit glibc). A `pthread_mutex_t` is a
//! C-library data structure whose layout and lock protocol differ between
//! glibc and musl and between 32- and 64-bit glibc, so these scenarios only
//! run where the Rust side uses the same C library and word size.
//! (The peer is also x86_64: under qemu-user an emulated aarch64 process has
//! no robust-futex list, so the kernel cannot mark a mutex it held when it
//! dies.)
#![cfg(all(target_env = "gnu", target_arch = "x86_64"))]

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use interop::Peer;
use posix_ipc::{LockOutcome, Mapping, RobustMutex, SharedMemory, UnlinkOnDrop};

const LIMIT: Duration = Duration::from_secs(30);
/// Where the mutex and the counter the peers increment under it live.
const MUTEX: usize = 64;
const COUNTER: usize = 8;
const FLAG: usize = 0;

fn new_memory() -> UnlinkOnDrop<SharedMemory> {
    SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(testkit::unique_name("irm").as_str())
        .unwrap()
        .unlink_on_drop()
}

fn count(map: &Mapping) -> u64 {
    map.atomic_u64(COUNTER).unwrap().load(Ordering::SeqCst)
}

fn c_peer(args: &[&str]) -> interop::Report {
    Peer::C.run(args)
}

#[test]
fn c_locks_a_mutex_made_by_rust_and_waits_for_rust_to_release_it() {
    let shm = new_memory();
    let name = shm.name().unwrap().to_string();
    let map = shm.map().unwrap();
    // SAFETY: fresh memory; the peer opens it only after this.
    let mutex = unsafe { RobustMutex::init_at(&map, MUTEX) }.unwrap();
    let (mutex_at, counter_at) = (MUTEX.to_string(), COUNTER.to_string());
    let guard = mutex.lock().unwrap().recover(|| {}).unwrap();
    std::thread::scope(|s| {
        let peer = s.spawn(|| c_peer(&["rmutex", "lock", &name, &mutex_at, &counter_at]));
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !peer.is_finished(),
            "C must wait while Rust holds the mutex"
        );
        assert_eq!(count(&map), 0);
        drop(guard);
        let report = peer.join().unwrap();
        assert_eq!(report.get("lock"), "ok");
        assert_eq!(report.num("count"), 1);
    });
    assert!(matches!(mutex.try_lock().unwrap(), LockOutcome::Locked(_)));
    assert_eq!(count(&map), 1);
}

#[test]
fn rust_locks_a_mutex_made_by_c() {
    let shm = new_memory();
    let name = shm.name().unwrap().to_string();
    let (mutex_at, counter_at) = (MUTEX.to_string(), COUNTER.to_string());
    assert!(c_peer(&["rmutex", "init", &name, &mutex_at]).has_line("made"));
    let map = shm.map().unwrap();
    // SAFETY: the C peer initialised a robust process-shared mutex there.
    let mutex = unsafe { RobustMutex::open_at(&map, MUTEX) }.unwrap();
    let guard = match mutex.lock().unwrap() {
        LockOutcome::Locked(g) => g,
        LockOutcome::OwnerDied(_) => panic!("nobody died"),
    };
    map.atomic_u64(COUNTER)
        .unwrap()
        .fetch_add(1, Ordering::SeqCst);
    drop(guard);
    let report = c_peer(&["rmutex", "lock", &name, &mutex_at, &counter_at]);
    assert_eq!((report.get("lock"), report.num("count")), ("ok", 2));
}

#[test]
fn a_c_holder_killed_with_sigkill_is_seen_by_rust_as_owner_died() {
    let shm = new_memory();
    let name = shm.name().unwrap().to_string();
    let (mutex_at, counter_at) = (MUTEX.to_string(), COUNTER.to_string());
    c_peer(&["rmutex", "init", &name, &mutex_at]);
    let out = Command::new(env!("IPCRS_C_PEER"))
        .args(["rmutex", "die", &name, &mutex_at, &counter_at])
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", out.status);
    assert!(String::from_utf8_lossy(&out.stdout).contains("holding"));
    let map = shm.map().unwrap();
    // SAFETY: the C peer initialised a robust process-shared mutex there.
    let mutex = unsafe { RobustMutex::open_at(&map, MUTEX) }.unwrap();
    let mut repaired = false;
    drop(
        mutex
            .lock_timeout(LIMIT)
            .unwrap()
            .recover(|| repaired = true)
            .unwrap(),
    );
    assert!(repaired, "the C holder died: owner-died expected");
    assert_eq!(count(&map), 1);
}

#[test]
fn a_rust_holder_killed_with_sigkill_is_seen_by_c_as_owner_died() {
    const TEST: &str = "a_rust_holder_killed_with_sigkill_is_seen_by_c_as_owner_died";
    if let Some(args) = testkit::child_args(TEST) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let map = shm.map().unwrap();
        // SAFETY: the parent initialised the mutex before starting this child.
        let mutex = unsafe { RobustMutex::open_at(&map, MUTEX) }.unwrap();
        let guard = mutex.lock().unwrap().recover(|| {}).unwrap();
        map.atomic::<AtomicU32>(FLAG)
            .unwrap()
            .store(1, Ordering::SeqCst);
        std::mem::forget(guard);
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    let shm = new_memory();
    let name = shm.name().unwrap().to_string();
    let map = shm.map().unwrap();
    // SAFETY: fresh memory; the child opens it only after this.
    unsafe { RobustMutex::init_at(&map, MUTEX) }.unwrap();
    let child = testkit::spawn_child(TEST, &[&name]);
    let flag = map.atomic::<AtomicU32>(FLAG).unwrap();
    assert!(testkit::eventually(LIMIT, || flag.load(Ordering::SeqCst) == 1));
    child.signal(libc::SIGKILL);
    let out = child.wait(LIMIT);
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", out.status);
    let (mutex_at, counter_at) = (MUTEX.to_string(), COUNTER.to_string());
    let report = c_peer(&["rmutex", "lock", &name, &mutex_at, &counter_at]);
    assert_eq!(report.get("lock"), "owner-died");
    assert_eq!(report.num("count"), 1);
    // C marked it consistent: Rust now locks it normally.
    // SAFETY: initialised above; only pthread calls touch it.
    let mutex = unsafe { RobustMutex::open_at(&map, MUTEX) }.unwrap();
    assert!(matches!(mutex.try_lock().unwrap(), LockOutcome::Locked(_)));
    assert_eq!(
        map.atomic::<AtomicU64>(COUNTER)
            .unwrap()
            .load(Ordering::SeqCst),
        1
    );
}
