//! Bad input is a typed error that names the problem, never a crash, and
//! never damages an existing object; plus the extras posix_ipc lacks (real
//! mode/owner, guards, mappings outliving handles).

use std::sync::atomic::Ordering;

use posix_ipc::{
    ErrorKind, O_CREAT, O_EXCL, O_NONBLOCK, SHARED_MEMORY_SIZE_MAX, SharedMemory,
    unlink_shared_memory,
};

use crate::support::{fresh, fresh_name, page, pattern_vec};

/// Asserts `e` is InvalidInput and its message mentions every one of `words`.
fn invalid(e: posix_ipc::Error, words: &[&str]) {
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    for w in words {
        assert!(e.message().contains(w), "{w:?} missing from: {e}");
    }
}

#[test]
fn read_only_open_with_a_size_leaves_the_object_intact() {
    // posix_ipc: SharedMemory(name, read_only=True, size=8192) on an existing
    // segment raises ValueError *and unlinks the segment*.
    let shm = fresh(4096);
    shm.map()
        .unwrap()
        .write_at(0, &pattern_vec(5, 4096))
        .unwrap();
    let e = SharedMemory::options()
        .read_only(true)
        .size(8192)
        .open(shm.name().unwrap())
        .unwrap_err();
    invalid(e, &["read-only", "8192"]);
    let again = SharedMemory::open(shm.name().unwrap()).unwrap();
    assert_eq!(again.size().unwrap(), 4096);
    assert_eq!(
        again.map().unwrap().read_vec(0, 4096).unwrap(),
        pattern_vec(5, 4096)
    );
    // Same for a new object: nothing is created.
    let name = fresh_name();
    let e = SharedMemory::options()
        .create(true)
        .read_only(true)
        .size(1)
        .open(&name)
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(
        SharedMemory::open(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn read_only_with_truncate_is_refused_before_any_call() {
    let shm = fresh(100);
    let e = SharedMemory::options()
        .read_only(true)
        .truncate(true)
        .open(shm.name().unwrap())
        .unwrap_err();
    invalid(e, &["truncate", "read-only"]);
    assert_eq!(shm.size().unwrap(), 100);
}

#[test]
fn sizes_beyond_off_t_are_invalid_input() {
    // posix_ipc: size=2**64 wraps to 0, size=-1 and 2**63 unlink the segment.
    let shm = fresh(4096);
    shm.map().unwrap().write_at(0, b"keep").unwrap();
    for size in [
        SHARED_MEMORY_SIZE_MAX + 1,
        1 << (usize::BITS - 1),
        usize::MAX,
    ] {
        let e = SharedMemory::options()
            .size(size)
            .open(shm.name().unwrap())
            .unwrap_err();
        invalid(e, &[&size.to_string(), &SHARED_MEMORY_SIZE_MAX.to_string()]);
        invalid(shm.set_len(size).unwrap_err(), &[&size.to_string()]);
        let name = fresh_name();
        assert!(
            SharedMemory::create_new(&name, size)
                .unwrap_err()
                .is_invalid_input()
        );
        assert_eq!(
            SharedMemory::open(&name).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    assert_eq!(shm.size().unwrap(), 4096);
    assert_eq!(shm.map().unwrap().read_vec(0, 4).unwrap(), b"keep");
}

#[test]
fn empty_objects_and_empty_ranges_cannot_be_mapped() {
    let shm = fresh(0);
    invalid(shm.map().unwrap_err(), &["0 bytes", "set_len"]);
    invalid(shm.map_range(0, 0).unwrap_err(), &["0 bytes"]);
    invalid(shm.map_range(0, 1).unwrap_err(), &["0-byte object"]);
    shm.set_len(10).unwrap();
    invalid(shm.map_range(3, 0).unwrap_err(), &["0 bytes"]);
    assert_eq!(shm.map().unwrap().len(), 10);
}

#[test]
fn map_maps_the_current_size_whoever_sized_it() {
    let shm = fresh(3 * page());
    let other = SharedMemory::open(shm.name().unwrap()).unwrap();
    assert_eq!(other.map().unwrap().len(), 3 * page());
    other.set_len(page() + 1).unwrap();
    assert_eq!(other.map().unwrap().len(), page() + 1);
    // `shm` sized the object last, then `other` shrank it: `shm` must not
    // map the size it gave (touching the tail would raise SIGBUS).
    shm.set_len(2 * page()).unwrap();
    other.set_len(page()).unwrap();
    assert_eq!(shm.size().unwrap(), page());
    assert_eq!(shm.map().unwrap().len(), page());
    assert_eq!(shm.try_clone().unwrap().map().unwrap().len(), page());
    // Truncated to 0 elsewhere: an empty object is refused.
    let truncated = SharedMemory::options()
        .truncate(true)
        .open(shm.name().unwrap())
        .unwrap();
    invalid(truncated.map().unwrap_err(), &["0 bytes", "set_len"]);
    invalid(shm.map().unwrap_err(), &["0 bytes", "set_len"]);
}

#[test]
fn ranges_past_the_end_are_invalid_input_with_the_numbers() {
    let size = 2 * page() + 10;
    let shm = fresh(size);
    let s = size.to_string();
    let cases: [(usize, usize); 5] = [
        (size, 1),
        (size - 5, 6),
        (0, size + 1),
        (usize::MAX, 1),
        (1, usize::MAX),
    ];
    for (offset, len) in cases {
        let e = shm.map_range(offset, len).unwrap_err();
        invalid(e, &[&offset.to_string(), &len.to_string(), &s]);
    }
    // The last byte itself is fine.
    let last = shm.map_range(size - 1, 1).unwrap();
    assert_eq!(last.len(), 1);
}

#[test]
fn accesses_outside_a_mapping_are_invalid_input() {
    let shm = fresh(100);
    let map = shm.map().unwrap();
    let mut buf = [0u8; 8];
    invalid(map.read_at(96, &mut buf).unwrap_err(), &["96", "100-byte"]);
    invalid(map.write_at(usize::MAX, b"x").unwrap_err(), &["100-byte"]);
    invalid(map.fill(50, 51, 0).unwrap_err(), &["100-byte"]);
    invalid(map.read_vec(101, 0).unwrap_err(), &["101"]);
    invalid(map.atomic_u32(2).unwrap_err(), &["aligned"]);
    invalid(map.atomic_u64(4).unwrap_err(), &["aligned"]);
    invalid(map.atomic_u64(96).unwrap_err(), &["100-byte"]);
    assert_eq!(map.read_vec(0, 100).unwrap(), [0; 100]);
}

#[test]
fn bad_flags_and_modes_are_refused_before_any_call() {
    let name = fresh_name();
    // posix_ipc: flags=-1 wraps and reaches the OS (ENOTDIR).
    for (flags, why) in [
        (-1, "does not accept"),
        (O_EXCL, "O_CREAT"),
        (O_CREAT | O_NONBLOCK, "does not accept"),
    ] {
        let e = SharedMemory::options()
            .flags(flags)
            .open(&name)
            .unwrap_err();
        invalid(e, &[why]);
    }
    // A later valid flags() call replaces the error.
    let shm = SharedMemory::options()
        .flags(-1)
        .flags(O_CREAT)
        .size(8)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(shm.size().unwrap(), 8);
    // Setuid, setgid and sticky bits mean nothing for shared memory: refused
    // like any higher bit, when creating and in set_mode.
    let other = fresh_name();
    for bad in [0o4600, 0o2660, 0o1666, 0o10000, u32::MAX] {
        let e = SharedMemory::options()
            .create(true)
            .mode(bad)
            .open(&other)
            .unwrap_err();
        invalid(e, &["above 0o777", &format!("0o{bad:o}")]);
        invalid(shm.set_mode(bad).unwrap_err(), &["above 0o777"]);
    }
    assert_eq!(shm.mode().unwrap().bits(), 0o600);
    assert_eq!(
        SharedMemory::open(&other).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn bad_names_are_refused_before_any_call() {
    // posix_ipc segfaults on a str name with NUL and lets the OS judge the rest.
    let long = format!("/{}", "n".repeat(256));
    for (name, why) in [
        ("ipcrs-noslash", "must start with '/'"),
        ("/ipcrs-a/b", "'/'"),
        ("/ipcrs-nul\0tail", "NUL"),
        ("/", "empty"),
        ("/.", "directory entry"),
        ("/..", "directory entry"),
        ("", "must start with '/'"),
        (long.as_str(), "limit is 255"),
    ] {
        invalid(SharedMemory::open(name).unwrap_err(), &[why]);
        invalid(SharedMemory::create_new(name, 1).unwrap_err(), &[why]);
        invalid(unlink_shared_memory(name).unwrap_err(), &[why]);
    }
}

#[test]
fn permissions_and_owner_are_the_real_values() {
    // posix_ipc's `mode` echoes the constructor argument (0o600 by default,
    // whatever the object's real mode).
    let shm = fresh(0);
    shm.set_mode(0o640).unwrap();
    let other = SharedMemory::options()
        .mode(0o777)
        .open(shm.name().unwrap())
        .unwrap();
    assert_eq!(other.mode().unwrap().bits(), 0o640);
    let p = other.permissions().unwrap();
    // SAFETY: geteuid/getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    assert_eq!((p.uid, p.gid, p.cuid, p.cgid), (uid, gid, uid, gid));
    assert_eq!((other.uid().unwrap(), other.gid().unwrap()), (uid, gid));
    assert_eq!(p.mode.bits(), 0o640);
    let dbg = format!("{other:?}");
    for w in [
        &shm.name().unwrap().to_string(),
        "mode: 0o640",
        "size: 0",
        "read_only: false",
    ] {
        assert!(dbg.contains(w), "{w} missing from {dbg}");
    }
}

#[test]
fn created_mode_is_subject_to_the_umask() {
    let name = fresh_name();
    // SAFETY: umask only reads/sets the process mask; restored right away.
    let mask = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(mask) };
    let shm = SharedMemory::options()
        .create_new(true)
        .mode(0o666)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(shm.mode().unwrap().bits(), 0o666 & !mask);
}

#[test]
fn guard_unlinks_on_drop_and_can_be_disarmed() {
    let guard = fresh(16);
    let name = guard.name().unwrap().clone();
    let map = guard.map().unwrap();
    drop(guard);
    assert_eq!(
        SharedMemory::open(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // The memory lives on in the mapping.
    map.write_at(0, b"alive").unwrap();
    assert_eq!(map.read_vec(0, 5).unwrap(), b"alive");

    let kept = fresh(16).into_inner();
    assert!(SharedMemory::open(kept.name().unwrap()).is_ok());
    kept.unlink().unwrap();
}

#[test]
fn mappings_outlive_the_handle_and_share_bytes_at_any_offset() {
    let size = 3 * page();
    let shm = fresh(size);
    let whole = shm.map().unwrap();
    let odd = shm.map_range(page() + 3, 100).unwrap();
    let aligned = shm.map_range(2 * page(), page()).unwrap();
    shm.unlink().unwrap();
    shm.into_inner().close().unwrap();
    odd.write_at(0, b"odd").unwrap();
    let p = page();
    assert_eq!(whole.read_vec(p + 3, 3).unwrap(), b"odd");
    whole.write_at(2 * p + 8, &7u64.to_ne_bytes()).unwrap();
    assert_eq!(aligned.atomic_u64(8).unwrap().load(Ordering::SeqCst), 7);
    assert_eq!(odd.offset(), page() + 3);
    assert!(format!("{odd:?}").contains("offset: "));
    odd.unmap().unwrap();
    aligned.unmap().unwrap();
    assert_eq!(whole.len(), p * 3);
}

#[test]
fn one_mapping_is_shared_by_threads() {
    let shm = fresh(8);
    let map = shm.map().unwrap();
    let counter = map.atomic_u64(0).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..10_000 {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(counter.load(Ordering::SeqCst), 40_000);
    // Handles move to other threads too.
    let handle = shm.try_clone().unwrap();
    let size = std::thread::spawn(move || handle.size().unwrap())
        .join()
        .unwrap();
    assert_eq!(size, 8);
    assert!(SharedMemory::open(shm.name().unwrap()).is_ok());
}

#[cfg(target_env = "gnu")]
#[test]
fn a_semaphores_backing_file_cannot_be_opened_as_shared_memory() {
    // On glibc the semaphore "/x" lives in /dev/shm/sem.x, the shared memory
    // object "/sem.x"; shrinking it through SharedMemory would make the
    // semaphore's users die of SIGBUS. (musl keeps it in /dev/shm/x, the
    // shared memory object "/x", with nothing that tells the two apart.)
    let sem = posix_ipc::Semaphore::create_unique(1)
        .unwrap()
        .unlink_on_drop();
    let alias = format!("/sem.{}", &sem.name().to_string()[1..]);
    for e in [
        SharedMemory::open(alias.as_str()).unwrap_err(),
        SharedMemory::create(alias.as_str(), 0).unwrap_err(),
        posix_ipc::unlink_shared_memory(alias.as_str()).unwrap_err(),
    ] {
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("named semaphore"), "{e}");
    }
    sem.release().unwrap();
    assert_eq!(sem.value().unwrap(), 2);
}

/// glibc keeps semaphores in `/dev/shm/sem.<name>` (musl under the bare
/// name, so there `/sem.x` is never a semaphore's file).
#[test]
#[cfg(target_env = "gnu")]
fn shared_memory_named_sem_dot_that_is_no_semaphore_opens_and_unlinks() {
    // As a C program (or posix_ipc) makes it: shm_open + ftruncate, under a
    // name that glibc would also use for the semaphore "/ipcrs-...".
    let name = format!("/sem.{}", &testkit::unique_name("shm")[1..]);
    let _g = crate::support::RemovePath(format!("/dev/shm{name}"));
    let c_name = std::ffi::CString::new(name.as_str()).unwrap();
    for size in [4096, std::mem::size_of::<libc::sem_t>()] {
        // SAFETY: a valid NUL-terminated name; the descriptor is closed below.
        let fd = unsafe { libc::shm_open(c_name.as_ptr(), libc::O_CREAT | libc::O_RDWR, 0o600) };
        assert!(fd >= 0);
        // SAFETY: ftruncate and close on the descriptor just opened.
        unsafe {
            assert_eq!(libc::ftruncate(fd, libc::off_t::try_from(size).unwrap()), 0);
            libc::close(fd);
        }
        // Zeros, even at a sem_t's size, are not a semaphore sem_open made.
        let shm = SharedMemory::open(name.as_str()).unwrap();
        assert_eq!(shm.size().unwrap(), size);
        shm.map().unwrap().write_at(0, b"data").unwrap();
        assert!(SharedMemory::create(name.as_str(), size).is_ok());
        posix_ipc::unlink_shared_memory(name.as_str()).unwrap();
    }
    // A name with no file yet can be created.
    let shm = SharedMemory::create_new(name.as_str(), 64).unwrap();
    shm.unlink().unwrap();
}

/// A FIFO under a `/sem.x` name is no semaphore, and looking whether it is
/// one must not wait for a writer: opening a FIFO to read blocks until one
/// comes, so the check opens without blocking (and without following a
/// symbolic link). Opening it as shared memory returns at once (`shm_open`
/// opens a FIFO like any file), mapping it is an error (it has no bytes),
/// and unlinking
/// removes it.
#[test]
#[cfg(target_env = "gnu")]
fn a_fifo_under_a_sem_dot_name_is_examined_without_blocking() {
    let name = format!("/sem.{}", &testkit::unique_name("fifo")[1..]);
    let path = format!("/dev/shm{name}");
    let _g = crate::support::RemovePath(path.clone());
    let c_path = std::ffi::CString::new(path.as_str()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let (done, result) = std::sync::mpsc::channel();
    let opener = name.clone();
    std::thread::spawn(move || {
        let _ = done.send(SharedMemory::open(opener.as_str()));
    });
    let opened = result
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("opening a FIFO named /sem.x blocked");
    let fifo = opened.unwrap();
    let e = fifo.map().unwrap_err();
    assert!(e.message().contains("is 0 bytes"), "{e}");
    posix_ipc::unlink_shared_memory(name.as_str()).unwrap();
    assert!(std::fs::symlink_metadata(&path).is_err(), "still there");
}

/// `created()`: true when this very call made the object, for every form of
/// open; an open-or-create of an existing object resizes it (as posix_ipc
/// does) but did not create it.
#[test]
fn created_tells_whether_this_call_made_it() {
    let name = fresh_name();
    let made = SharedMemory::create(&name, 4096).unwrap().unlink_on_drop();
    assert!(made.created());
    let again = SharedMemory::create(&name, 8192).unwrap();
    assert!(!again.created());
    assert_eq!(made.size().unwrap(), 8192);
    let by_flags = SharedMemory::options().flags(O_CREAT).open(&name).unwrap();
    assert!(!by_flags.created());
    assert!(!SharedMemory::open(&name).unwrap().created());
    assert_eq!(
        SharedMemory::create_new(&name, 1).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    made.unlink().unwrap();
    let by_flags = SharedMemory::options().flags(O_CREAT).open(&name).unwrap();
    assert!(by_flags.created());
    by_flags.unlink().unwrap();
    assert!(SharedMemory::create_new(&name, 0).unwrap().created());
    let unique = SharedMemory::create_unique(16).unwrap().unlink_on_drop();
    assert!(unique.created());
}

/// A directory or a symbolic link where an object's file would be: the error
/// names the file and what it is (it used to be a bare "the system call
/// failed").
#[test]
fn directories_and_links_in_dev_shm_are_named() {
    let name = fresh_name();
    let path = format!("/dev/shm{name}");
    let _remove = crate::support::RemovePath(path.clone());
    std::fs::create_dir(&path).unwrap();
    for e in [
        SharedMemory::open(&name).unwrap_err(),
        SharedMemory::create(&name, 0).unwrap_err(),
    ] {
        // glibc's shm_open turns EISDIR into EINVAL.
        assert!(
            matches!(e.raw_os_error(), Some(libc::EISDIR | libc::EINVAL)),
            "{e}"
        );
        assert!(
            e.message().contains(&format!("{path} is a directory")),
            "{e}"
        );
    }
    std::fs::remove_dir(&path).unwrap();
    std::os::unix::fs::symlink("/dev/null", &path).unwrap();
    for e in [
        SharedMemory::open(&name).unwrap_err(),
        SharedMemory::create(&name, 0).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{e}");
        assert!(
            e.message().contains(&format!("{path} is a symbolic link")),
            "{e}"
        );
    }
}
