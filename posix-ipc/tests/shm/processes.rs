//! Two real processes (the test binary re-run as a child, see testkit)
//! sharing one object by name.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use posix_ipc::{ErrorKind, SharedMemory};

use crate::{fresh, fresh_name, page, pattern, pattern_vec};

const LIMIT: Duration = Duration::from_secs(60);

fn child(test: &str) -> Option<Vec<String>> {
    testkit::child_args(&format!("processes::{test}"))
}

fn spawn(test: &str, args: &[&str]) -> testkit::ChildProcess {
    testkit::spawn_child(&format!("processes::{test}"), args)
}

#[test]
fn pattern_written_by_one_process_is_read_by_another() {
    const TEST: &str = "pattern_written_by_one_process_is_read_by_another";
    if let Some(args) = child(TEST) {
        let size: usize = args[1].parse().unwrap();
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        assert_eq!(shm.size().unwrap(), size as u64);
        let map = shm.map().unwrap();
        let mut got = vec![0; size];
        map.read_at(0, &mut got).unwrap();
        for (i, &b) in got.iter().enumerate() {
            assert_eq!(b, pattern(1, i), "byte {i}");
        }
        // Answer with a second pattern over every byte.
        map.write_at(0, &pattern_vec(2, size)).unwrap();
        println!("child-checked {size}");
        return;
    }
    let size = 3 * page() + 123;
    let (shm, _g) = fresh(size);
    let len = usize::try_from(size).unwrap();
    let map = shm.map().unwrap();
    map.write_at(0, &pattern_vec(1, len)).unwrap();
    let out = spawn(TEST, &[&shm.name().to_string(), &len.to_string()]).wait_success(LIMIT);
    assert!(out.contains(&format!("child-checked {len}")), "{out}");
    let got = map.read_vec(0, len).unwrap();
    for (i, &b) in got.iter().enumerate() {
        assert_eq!(b, pattern(2, i), "byte {i}");
    }
}

#[test]
fn resize_in_one_process_is_seen_by_the_other() {
    const TEST: &str = "resize_in_one_process_is_seen_by_the_other";
    if let Some(args) = child(TEST) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let page: u64 = args[1].parse().unwrap();
        // The parent's resize is visible here...
        assert_eq!(shm.size().unwrap(), 2 * page);
        // ...and this one will be visible there.
        shm.set_len(5 * page + 1).unwrap();
        shm.map_range(5 * page, 1)
            .unwrap()
            .write_at(0, &[0x5A])
            .unwrap();
        println!("child-resized");
        return;
    }
    let (shm, _g) = fresh(page());
    let other = SharedMemory::open(shm.name()).unwrap();
    other.set_len(2 * page()).unwrap();
    assert_eq!(shm.size().unwrap(), 2 * page());
    let out = spawn(TEST, &[&shm.name().to_string(), &page().to_string()]).wait_success(LIMIT);
    assert!(out.contains("child-resized"), "{out}");
    assert_eq!(shm.size().unwrap(), 5 * page() + 1);
    assert_eq!(other.size().unwrap(), 5 * page() + 1);
    let map = shm.map().unwrap();
    assert_eq!(map.len(), usize::try_from(5 * page() + 1).unwrap());
    assert_eq!(map.read_vec(map.len() - 1, 1).unwrap(), [0x5A]);
}

#[test]
fn read_only_opener_cannot_write() {
    const TEST: &str = "read_only_opener_cannot_write";
    if let Some(args) = child(TEST) {
        let shm = SharedMemory::options()
            .read_only(true)
            .open(args[0].as_str())
            .unwrap();
        let map = shm.map().unwrap();
        assert!(!map.is_writable());
        assert_eq!(map.read_vec(0, 4096).unwrap(), pattern_vec(3, 4096));
        let denied = [
            map.write_at(0, b"x").unwrap_err(),
            map.fill(0, 4096, 0).unwrap_err(),
            map.atomic_u32(0).unwrap_err(),
            map.atomic_u64(0).unwrap_err(),
            shm.set_len(0).unwrap_err(),
            shm.map_range(100, 10)
                .unwrap()
                .write_at(0, b"y")
                .unwrap_err(),
        ];
        for e in &denied {
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        }
        println!("child-denied {}", denied.len());
        return;
    }
    let (shm, _g) = fresh(4096);
    shm.map()
        .unwrap()
        .write_at(0, &pattern_vec(3, 4096))
        .unwrap();
    let out = spawn(TEST, &[&shm.name().to_string()]).wait_success(LIMIT);
    assert!(out.contains("child-denied 6"), "{out}");
    assert_eq!(shm.size().unwrap(), 4096);
    assert_eq!(
        shm.map().unwrap().read_vec(0, 4096).unwrap(),
        pattern_vec(3, 4096)
    );
}

/// Layout of the counter test's object.
const COUNTER: usize = 0;
const READY: usize = 8;
const GO: usize = 12;
const INCREMENTS: u64 = 100_000;

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn atomic_counter_from_two_processes_ends_exact() {
    const TEST: &str = "atomic_counter_from_two_processes_ends_exact";
    if let Some(args) = child(TEST) {
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        let map = shm.map().unwrap();
        map.atomic_u32(READY).unwrap().store(1, Ordering::Release);
        let go = map.atomic_u32(GO).unwrap();
        wait_for("go", || go.load(Ordering::Acquire) == 1);
        let counter = map.atomic_u64(COUNTER).unwrap();
        for _ in 0..INCREMENTS {
            counter.fetch_add(1, Ordering::AcqRel);
        }
        println!("child-counted");
        return;
    }
    let (shm, _g) = fresh(64);
    let map = shm.map().unwrap();
    let child = spawn(TEST, &[&shm.name().to_string()]);
    let ready = map.atomic_u32(READY).unwrap();
    wait_for("the child", || ready.load(Ordering::Acquire) == 1);
    // Both start incrementing at (nearly) the same moment.
    map.atomic_u32(GO).unwrap().store(1, Ordering::Release);
    let counter = map.atomic_u64(COUNTER).unwrap();
    for _ in 0..INCREMENTS {
        counter.fetch_add(1, Ordering::AcqRel);
    }
    let out = child.wait_success(LIMIT);
    assert!(out.contains("child-counted"), "{out}");
    assert_eq!(counter.load(Ordering::Acquire), 2 * INCREMENTS);
}

#[test]
fn failed_resize_never_unlinks() {
    // A real ftruncate failure: the child lowers its file size limit
    // (RLIMIT_FSIZE) so growing past it fails with EFBIG. posix_ipc unlinks
    // the segment in this case, even one that existed before.
    const TEST: &str = "failed_resize_never_unlinks";
    const LIMIT_BYTES: u64 = 64 * 1024;
    if let Some(args) = child(TEST) {
        // SAFETY: ignoring SIGXFSZ (which the kernel sends along with EFBIG)
        // in this single-purpose child, so the call returns an error instead.
        let old = unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        assert_ne!(old, libc::SIG_ERR);
        let lim = libc::rlimit {
            rlim_cur: 64 * 1024, // LIMIT_BYTES, as an rlim_t (32 bits on i686)
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: `lim` is a valid rlimit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) }, 0);

        // 1. An existing object: error, object untouched.
        let e = SharedMemory::options()
            .size(LIMIT_BYTES * 2)
            .open(args[0].as_str())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::EFBIG));
        assert!(e.message().contains("RLIMIT_FSIZE"), "{e}");
        let shm = SharedMemory::open(args[0].as_str()).unwrap();
        assert_eq!(shm.size().unwrap(), 4096);
        let e = shm.set_len(LIMIT_BYTES * 2).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EFBIG));
        assert_eq!(shm.size().unwrap(), 4096);

        // 2. An object this call creates exclusively is taken away again.
        let e = SharedMemory::create_new(args[1].as_str(), LIMIT_BYTES * 2).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EFBIG));
        let gone = SharedMemory::open(args[1].as_str()).unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound);

        // 3. With plain create the call cannot tell who created it: it stays.
        let e = SharedMemory::options()
            .create(true)
            .size(LIMIT_BYTES * 2)
            .open(args[2].as_str())
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EFBIG));
        assert_eq!(
            SharedMemory::open(args[2].as_str())
                .unwrap()
                .size()
                .unwrap(),
            0
        );
        println!("child-resize-failed");
        return;
    }
    let (shm, _g) = fresh(4096);
    shm.map()
        .unwrap()
        .write_at(0, &pattern_vec(4, 4096))
        .unwrap();
    let (new_name, _g2) = fresh_name();
    let (created_name, _g3) = fresh_name();
    let out = spawn(
        TEST,
        &[
            &shm.name().to_string(),
            &new_name.to_string(),
            &created_name.to_string(),
        ],
    )
    .wait_success(LIMIT);
    assert!(out.contains("child-resize-failed"), "{out}");
    // Still there, same size, same bytes.
    let again = SharedMemory::open(shm.name()).unwrap();
    assert_eq!(again.size().unwrap(), 4096);
    assert_eq!(
        again.map().unwrap().read_vec(0, 4096).unwrap(),
        pattern_vec(4, 4096)
    );
    assert_eq!(
        SharedMemory::open(&new_name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn permission_bits_are_enforced_for_another_user() {
    // Runs the opener as `nobody` when the suite runs as root (root bypasses
    // permission bits); otherwise the owner itself is denied by mode 0o400.
    const TEST: &str = "permission_bits_are_enforced_for_another_user";
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if let Some(args) = child(TEST) {
        if root {
            // SAFETY: dropping privileges in this single-purpose child.
            unsafe {
                assert_eq!(libc::setgid(65534), 0);
                assert_eq!(libc::setuid(65534), 0);
            }
        }
        let e = SharedMemory::open(args[0].as_str()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("no permission"), "{e}");
        if root {
            // Another user may not unlink it either (sticky /dev/shm). The
            // owner always may, so this part needs the switch to `nobody`.
            let e = posix_ipc::unlink_shared_memory(args[0].as_str()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        }
        // Read access is granted by the mode: a read-only open works.
        let ro = SharedMemory::options()
            .read_only(true)
            .open(args[0].as_str())
            .unwrap();
        assert_eq!(ro.map().unwrap().read_vec(0, 2).unwrap(), b"ok");
        println!("child-denied");
        return;
    }
    let (shm, _g) = fresh(16);
    shm.map().unwrap().write_at(0, b"ok").unwrap();
    shm.set_mode(if root { 0o644 } else { 0o400 }).unwrap();
    let out = spawn(TEST, &[&shm.name().to_string()]).wait_success(LIMIT);
    assert!(out.contains("child-denied"), "{out}");
    assert_eq!(shm.size().unwrap(), 16);
}
