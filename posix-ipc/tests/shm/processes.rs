//! Two real processes (the test binary re-run as a child, see testkit)
//! sharing one object by name.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use posix_ipc::{ErrorKind, SharedMemory};

use crate::support::{self, create, fresh, fresh_name, page, pattern, pattern_vec};

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
        assert_eq!(shm.size().unwrap(), size);
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
    let shm = fresh(size);
    let len = size;
    let map = shm.map().unwrap();
    map.write_at(0, &pattern_vec(1, len)).unwrap();
    let out =
        spawn(TEST, &[&shm.name().unwrap().to_string(), &len.to_string()]).wait_success(LIMIT);
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
        let page: usize = args[1].parse().unwrap();
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
    let shm = fresh(page());
    let other = SharedMemory::open(shm.name().unwrap()).unwrap();
    other.set_len(2 * page()).unwrap();
    assert_eq!(shm.size().unwrap(), 2 * page());
    let out = spawn(
        TEST,
        &[&shm.name().unwrap().to_string(), &page().to_string()],
    )
    .wait_success(LIMIT);
    assert!(out.contains("child-resized"), "{out}");
    assert_eq!(shm.size().unwrap(), 5 * page() + 1);
    assert_eq!(other.size().unwrap(), 5 * page() + 1);
    // `shm` gave the object its size itself, but map() maps the current
    // one, which the child set.
    assert_eq!(shm.map().unwrap().len(), 5 * page() + 1);
    let map = shm.map_range(0, shm.size().unwrap()).unwrap();
    assert_eq!(map.len(), 5 * page() + 1);
    assert_eq!(map.read_vec(map.len() - 1, 1).unwrap(), [0x5A]);
    // A handle that sized nothing maps the current size.
    let map = SharedMemory::open(shm.name().unwrap())
        .unwrap()
        .map()
        .unwrap();
    assert_eq!(map.len(), 5 * page() + 1);
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
    let shm = fresh(4096);
    shm.map()
        .unwrap()
        .write_at(0, &pattern_vec(3, 4096))
        .unwrap();
    let out = spawn(TEST, &[&shm.name().unwrap().to_string()]).wait_success(LIMIT);
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
    let shm = fresh(64);
    let map = shm.map().unwrap();
    let child = spawn(TEST, &[&shm.name().unwrap().to_string()]);
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

/// A size above the file size limit (RLIMIT_FSIZE) used to make the kernel
/// kill the process with SIGXFSZ before `ftruncate` could return (the old
/// version of this test ignored SIGXFSZ, which hid that). The child lowers its
/// limit and keeps SIGXFSZ at its default action: every sizing path must
/// return `LimitExceeded`, create nothing and leave existing objects as they
/// were (posix_ipc unlinks the segment, even one that existed before).
#[test]
fn sizes_above_rlimit_fsize_are_errors_not_sigxfsz() {
    const TEST: &str = "sizes_above_rlimit_fsize_are_errors_not_sigxfsz";
    const LIMIT_BYTES: usize = 1 << 20;
    const TOO_BIG: usize = 2 << 20;
    if let Some(args) = child(TEST) {
        support::default_disposition(libc::SIGXFSZ);
        support::no_core_dumps();
        let lim = libc::rlimit {
            rlim_cur: libc::rlim_t::try_from(LIMIT_BYTES).unwrap(), // 32 bits on i686
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: `lim` is a valid rlimit; this only lowers the child's limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) }, 0);
        let limit_error = |e: posix_ipc::Error| {
            assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
            assert_eq!(e.raw_os_error(), None, "refused before any call: {e}");
            for w in ["RLIMIT_FSIZE", "1048576", "SIGXFSZ", "ulimit -f"] {
                assert!(e.message().contains(w), "{w:?} missing from {e}");
            }
        };
        let (existing, new, created, exact) = (&args[0], &args[1], &args[2], &args[3]);

        // An existing object: error, object untouched, through every path.
        limit_error(
            SharedMemory::options()
                .size(TOO_BIG)
                .open(existing.as_str())
                .unwrap_err(),
        );
        limit_error(SharedMemory::create(existing.as_str(), TOO_BIG).unwrap_err());
        let shm = SharedMemory::open(existing.as_str()).unwrap();
        limit_error(shm.set_len(TOO_BIG).unwrap_err());
        assert_eq!(shm.size().unwrap(), 4096);

        // New objects: nothing is created.
        limit_error(SharedMemory::create_new(new.as_str(), TOO_BIG).unwrap_err());
        limit_error(
            SharedMemory::options()
                .create(true)
                .size(TOO_BIG)
                .open(created.as_str())
                .unwrap_err(),
        );
        limit_error(SharedMemory::create_unique(TOO_BIG).unwrap_err());
        for name in [new, created] {
            let gone = SharedMemory::open(name.as_str()).unwrap_err();
            assert_eq!(gone.kind(), ErrorKind::NotFound);
        }

        // Exactly the limit is allowed, as by the kernel.
        let at_limit = SharedMemory::create_new(exact.as_str(), LIMIT_BYTES)
            .unwrap()
            .unlink_on_drop();
        assert_eq!(at_limit.size().unwrap(), LIMIT_BYTES);
        println!("no-sigxfsz");
        return;
    }
    let shm = fresh(4096);
    shm.map()
        .unwrap()
        .write_at(0, &pattern_vec(4, 4096))
        .unwrap();
    let new_name = fresh_name();
    let created_name = fresh_name();
    let exact_name = fresh_name();
    let out = spawn(
        TEST,
        &[
            &shm.name().unwrap().to_string(),
            &new_name.to_string(),
            &created_name.to_string(),
            &exact_name.to_string(),
        ],
    )
    .wait_success(LIMIT);
    assert!(out.contains("no-sigxfsz"), "{out}");
    // Still there, same size, same bytes.
    let again = SharedMemory::open(shm.name().unwrap()).unwrap();
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

/// A full `/dev/shm` used to turn a safe write into SIGBUS: tmpfs files are
/// sparse, so `create_unique(8 MiB)` with 1 MiB free succeeded and the first
/// write past the free space killed the process. The child mounts a private
/// 1 MiB tmpfs over `/dev/shm`: every sizing call must fail there with
/// `LimitExceeded` and leave nothing behind; then the sparse opt-out
/// succeeds and a write beyond the free space dies of SIGBUS, the documented
/// risk of that opt-out.
#[test]
fn a_full_dev_shm_is_an_error_at_the_call() {
    const TEST: &str = "a_full_dev_shm_is_an_error_at_the_call";
    const EIGHT_MIB: usize = 8 << 20;
    if child(TEST).is_some() {
        support::no_core_dumps();
        if let Err(why) = support::private_dev_shm("1m") {
            println!("cannot-mount: {why}");
            return;
        }
        let entries = || std::fs::read_dir("/dev/shm").unwrap().count();
        assert_eq!(entries(), 0, "a fresh, private /dev/shm");
        let full = |e: posix_ipc::Error| {
            assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
            assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
            for w in ["/dev/shm is 1048576 bytes", "8388608", "sparse(true)"] {
                assert!(e.message().contains(w), "{w:?} missing from {e}");
            }
        };
        full(SharedMemory::create_unique(EIGHT_MIB).unwrap_err());
        let name = fresh_name();
        full(SharedMemory::create_new(&name, EIGHT_MIB).unwrap_err());
        full(
            SharedMemory::options()
                .create(true)
                .size(EIGHT_MIB)
                .open(&name)
                .unwrap_err(),
        );
        assert_eq!(entries(), 0, "objects these calls created are unlinked");

        // An existing object keeps its size and bytes.
        let small = fresh(4096);
        small.map().unwrap().write_at(0, b"kept").unwrap();
        full(small.set_len(EIGHT_MIB).unwrap_err());
        full(SharedMemory::create(small.name().unwrap(), EIGHT_MIB).unwrap_err());
        assert_eq!(small.size().unwrap(), 4096);
        assert_eq!(small.map().unwrap().read_vec(0, 4).unwrap(), b"kept");
        assert_eq!(entries(), 1);
        // What fits is reserved: filling it is safe.
        small.set_len(512 * 1024).unwrap();
        small.map().unwrap().fill(0, 512 * 1024, 0x5A).unwrap();
        println!("errors-at-the-call");

        // The opt-out: created, and the documented SIGBUS when written.
        let sparse = SharedMemory::options()
            .sparse(true)
            .size(EIGHT_MIB)
            .create_unique()
            .unwrap();
        assert_eq!(sparse.size().unwrap(), EIGHT_MIB);
        sparse.set_len(2 * EIGHT_MIB).unwrap();
        println!("sparse-created");
        let map = sparse.map().unwrap();
        let _ = map.fill(0, map.len(), 0xAB);
        println!("survived");
        return;
    }
    let out = spawn(TEST, &[]).wait(LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if let Some(why) = stdout
        .lines()
        .find_map(|l| l.strip_prefix("cannot-mount: "))
    {
        support::skip(
            TEST,
            &format!("no private tmpfs for /dev/shm in a mount namespace ({why})"),
        );
        assert!(out.status.success(), "{out:?}");
        return;
    }
    let stdout = support::assert_killed_by(&out, libc::SIGBUS);
    assert!(stdout.contains("errors-at-the-call"), "{stdout}");
    assert!(stdout.contains("sparse-created"), "{stdout}");
    assert!(!stdout.contains("survived"), "{stdout}");
}

/// A read-only `/dev/shm` (a private tmpfs in a child's mount namespace,
/// remounted read-only): creating shared memory or a semaphore, or
/// unlinking shared memory, says so, and
/// an open-or-create still opens an object that exists (read-only), as
/// `O_CREAT` alone would.
#[test]
fn a_read_only_dev_shm_is_named() {
    const TEST: &str = "a_read_only_dev_shm_is_named";
    if child(TEST).is_some() {
        if let Err(why) = support::private_dev_shm("1m") {
            println!("cannot-mount: {why}");
            return;
        }
        let shm = fresh(16);
        shm.map().unwrap().write_at(0, b"there").unwrap();
        let existing = shm.name().unwrap().clone();
        // Closed (a file open for writing would keep the remount busy), not
        // unlinked: the private /dev/shm goes away with the child.
        drop(shm.into_inner());
        support::remount_dev_shm_read_only();
        let opened = SharedMemory::options()
            .create(true)
            .read_only(true)
            .open(&existing)
            .unwrap();
        assert!(!opened.created());
        assert_eq!(opened.map().unwrap().read_vec(0, 5).unwrap(), b"there");
        let name = fresh_name();
        for e in [
            SharedMemory::create_new(&name, 0).unwrap_err(),
            SharedMemory::create(&name, 0).unwrap_err(),
            posix_ipc::Semaphore::create_new(&name, 0).unwrap_err(),
        ] {
            assert_eq!(e.raw_os_error(), Some(libc::EROFS), "{e}");
            assert!(e.message().contains("read-only"), "{e}");
            assert!(e.message().contains("/dev/shm"), "{e}");
        }
        let e = posix_ipc::unlink_shared_memory(&existing).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EROFS), "{e}");
        assert!(e.message().contains("read-only"), "{e}");
        println!("named");
        return;
    }
    let out = spawn(TEST, &[]).wait_success(LIMIT);
    if let Some(why) = out.lines().find_map(|l| l.strip_prefix("cannot-mount: ")) {
        support::skip(TEST, &format!("no private tmpfs for /dev/shm ({why})"));
        return;
    }
    assert!(out.contains("named"), "{out}");
}

#[test]
fn permission_bits_are_enforced_for_another_user() {
    // Runs the opener as `nobody` when the suite runs as root (root bypasses
    // permission bits); otherwise the owner itself is denied by mode 0o400.
    const TEST: &str = "permission_bits_are_enforced_for_another_user";
    let root = testkit::is_root();
    if let Some(args) = child(TEST) {
        if root {
            testkit::become_nobody();
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
    let shm = fresh(16);
    shm.map().unwrap().write_at(0, b"ok").unwrap();
    shm.set_mode(if root { 0o644 } else { 0o400 }).unwrap();
    let out = spawn(TEST, &[&shm.name().unwrap().to_string()]).wait_success(LIMIT);
    assert!(out.contains("child-denied"), "{out}");
    assert_eq!(shm.size().unwrap(), 16);
}

/// The mode given when creating is the object's mode, exactly. Checked as
/// `nobody`, since root opens anything whatever the mode: a 0o600 object of
/// root's is refused to nobody even for reading, a 0o644 one is readable
/// but not writable.
#[test]
fn created_modes_are_exact_for_another_user() {
    const TEST: &str = "created_modes_are_exact_for_another_user";
    if let Some(args) = child(TEST) {
        testkit::become_nobody();
        let (private, readable) = (args[0].as_str(), args[1].as_str());
        let e = SharedMemory::options()
            .read_only(true)
            .open(private)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "0o600: {e}");
        support::assert_error_groups(&e);
        let e = SharedMemory::open(readable).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::PermissionDenied,
            "0o644 for writing: {e}"
        );
        support::assert_error_groups(&e);
        let ro = SharedMemory::options()
            .read_only(true)
            .open(readable)
            .unwrap();
        assert_eq!(ro.map().unwrap().read_vec(0, 4).unwrap(), b"0644");
        println!("modes-exact");
        return;
    }
    if !testkit::is_root() {
        support::skip(TEST, "needs root to start the child as uid 65534");
        return;
    }
    if support::umask() & 0o044 != 0 {
        support::skip(TEST, "the umask takes away the read bits this test needs");
        return;
    }
    let private = create(SharedMemory::options().mode(0o600).size(16));
    let readable = create(SharedMemory::options().mode(0o644).size(16));
    assert_eq!(private.mode().unwrap().bits(), 0o600);
    assert_eq!(readable.mode().unwrap().bits(), 0o644);
    readable.map().unwrap().write_at(0, b"0644").unwrap();
    let out = spawn(
        TEST,
        &[
            &private.name().unwrap().to_string(),
            &readable.name().unwrap().to_string(),
        ],
    )
    .wait_success(LIMIT);
    assert!(out.contains("modes-exact"), "{out}");
}
