//! Every bad input to System V shared memory is a typed error with a message,
//! never a crash or a silent wrap-around (the sysv_ipc behaviour each test
//! replaces is named in it).

use std::ptr::NonNull;

use crate::support::{fixture, new_segment, unused_key};
use sysv_ipc::{ErrorKind, IPC_CREAT, IPC_CREX, IPC_EXCL, Key, SharedMemory};

#[test]
fn size_zero_on_create_is_invalid_input() {
    let (key, _k) = unused_key();
    for opts in [
        SharedMemory::options().create_new(true).size(0),
        SharedMemory::options().create(true).size(0),
    ] {
        let e = opts.open(key).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("at least 1 byte"), "{e}");
    }
    assert!(SharedMemory::options().size(0).open(Key::PRIVATE).is_err());
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Opening without creating, size 0 accepts any size, as shmget does.
    let seg = new_segment(SharedMemory::options().size(4096));
    let opened = SharedMemory::options().size(0).open(seg.key()).unwrap();
    assert_eq!(opened.size().unwrap(), 4096);
}

/// The largest segment is exactly `SHMMAX`: in a new IPC namespace (whose
/// limits are its own) with `shmmax` at 1 MiB, a segment of 1 MiB is made
/// and one byte more is refused before any call, naming the limit.
#[test]
fn the_largest_segment_is_exactly_shmmax() {
    const TEST: &str = "errors::the_largest_segment_is_exactly_shmmax";
    if testkit::child_args(TEST).is_some() {
        if let Err(why) = testkit::ns::unshare(libc::CLONE_NEWIPC) {
            println!("no-namespace: {why}");
            return;
        }
        std::fs::write("/proc/sys/kernel/shmmax", (1 << 20).to_string()).unwrap();
        assert_eq!(sysv_ipc::limits::max_segment_size(), 1 << 20);
        let seg = SharedMemory::options()
            .size(1 << 20)
            .create_unique()
            .unwrap()
            .remove_on_drop();
        assert_eq!(seg.size().unwrap(), 1 << 20);
        let e = SharedMemory::options()
            .size((1 << 20) + 1)
            .create_unique()
            .unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("SHMMAX"), "{e}");
        println!("exact");
        return;
    }
    if !testkit::is_root() {
        println!("skipped: only root may make an IPC namespace and set its limits");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(std::time::Duration::from_secs(60));
    if let Some(why) = out.lines().find_map(|l| l.strip_prefix("no-namespace: ")) {
        println!("skipped: {why}");
        return;
    }
    assert!(out.contains("exact"), "{out}");
}

#[test]
fn size_beyond_the_platform_is_invalid_input_never_wrapped() {
    // sysv_ipc: size=2**64 wraps to 0 and creates a page; size=-1 wraps to 2**64-1.
    let (key, _k) = unused_key();
    let max = sysv_ipc::limits::max_segment_size();
    for size in [
        usize::MAX,
        isize::MAX.unsigned_abs() + 1,
        max.saturating_add(1),
    ] {
        if size <= max {
            continue;
        }
        for mut opts in [
            SharedMemory::options().create_new(true).clone(),
            SharedMemory::options().create(true).clone(),
            SharedMemory::options(),
        ] {
            let e = opts.size(size).open(key).unwrap_err();
            assert!(e.is_invalid_input(), "{e}");
            assert!(e.message().contains(&size.to_string()), "{e}");
            assert!(e.message().contains(&max.to_string()), "{e}");
        }
    }
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// More memory than a test machine has: 2⁴⁰ bytes (sysv_ipc's case), or on
/// 32-bit targets, where segments are capped at `isize::MAX`, 2 GiB − 4 KiB.
#[cfg(target_pointer_width = "64")]
const HUGE: usize = 1 << 40;
#[cfg(target_pointer_width = "32")]
const HUGE: usize = 0x7FFF_F000;

#[test]
fn size_the_system_cannot_provide_is_limit_exceeded_and_leaves_nothing() {
    // sysv_ipc: MemoryError('Not enough memory') for 2**40.
    let (key, _k) = unused_key();
    match SharedMemory::create_new(key, HUGE) {
        Ok(seg) => {
            // A machine with overcommit that accepts it: not an error case.
            seg.remove().unwrap();
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
            assert!(e.message().contains(&HUGE.to_string()), "{e}");
        }
    }
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn opening_with_a_larger_size_than_the_segment_is_invalid_input() {
    let mem = fixture();
    for mut opts in [
        SharedMemory::options(),
        SharedMemory::options().create(true).clone(),
    ] {
        let e = opts.size(3334).open(mem.key()).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("3334"), "{e}");
        assert!(e.message().contains(&mem.key().to_string()), "{e}");
    }
    assert_eq!(
        SharedMemory::options()
            .size(3333)
            .open(mem.key())
            .unwrap()
            .id(),
        mem.id()
    );
    assert_eq!(
        SharedMemory::options()
            .size(1)
            .open(mem.key())
            .unwrap()
            .id(),
        mem.id()
    );
}

#[test]
fn modes_above_0o777_are_refused_before_any_system_call() {
    // sysv_ipc masks mode with 0o777 silently.
    let (key, _k) = unused_key();
    for mode in [0o1600, 0o7777, u32::MAX] {
        let e = SharedMemory::options()
            .create_new(true)
            .mode(mode)
            .open(key)
            .unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
    }
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn bad_flags_are_refused_before_any_system_call() {
    // sysv_ipc passes every bit above 0o777 on to shmget.
    let (key, _k) = unused_key();
    let cases = [
        (IPC_EXCL, "IPC_CREAT"),
        (IPC_CREX | 0o600, "mode()"),
        (IPC_CREAT | 0x0400_0000, "0x4000000"),
        (sysv_ipc::SHM_NORESERVE | 0x0100_0000, "0x1000000"),
    ];
    for (flags, needle) in cases {
        let e = SharedMemory::options().flags(flags).open(key).unwrap_err();
        assert!(e.is_invalid_input(), "{flags:#x}: {e}");
        assert!(e.message().contains(needle), "{flags:#x}: {e}");
    }
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn huge_pages_without_reserved_pages_is_a_clear_error() {
    let (key, _k) = unused_key();
    let r = SharedMemory::options()
        .create_new(true)
        .huge_pages(true)
        .size(2 << 20)
        .open(key);
    match r {
        Ok(seg) => seg.remove().unwrap(), // huge pages are configured here
        Err(e) => {
            assert!(
                matches!(
                    e.kind(),
                    ErrorKind::LimitExceeded | ErrorKind::PermissionDenied
                ),
                "{e}"
            );
            assert!(e.message().contains("huge"), "{e}");
        }
    }
}

#[test]
fn unknown_ids_are_not_found_errors() {
    // sysv_ipc: attach(-1) is ValueError('Invalid id, address, or flags').
    for id in [-1, i32::MAX] {
        let e = sysv_ipc::attach(id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert!(e.message().contains(&id.to_string()), "{e}");
        assert_eq!(
            SharedMemory::from_id(id).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let e = sysv_ipc::remove_shared_memory(id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.message().contains("shared memory segment"), "{e}");
    }
}

#[test]
fn operations_on_a_removed_segment_are_removed_errors() {
    let mem = new_segment(SharedMemory::options().size(8));
    mem.remove().unwrap();
    assert_eq!(mem.size().unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(mem.set_mode(0o600).unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(mem.remove().unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(mem.attach().unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(mem.read(0, 1).unwrap_err().kind(), ErrorKind::Removed);
}

#[test]
fn misaligned_or_occupied_addresses_are_refused_without_clobbering() {
    let mem = fixture();
    mem.write(0, b"keep").unwrap();
    let a = mem.attach().unwrap();
    let addr = NonNull::new(a.as_mut_ptr()).unwrap();
    // Occupied by `a`: SHM_REMAP is never passed, so the kernel refuses.
    for round in [false, true] {
        // SAFETY: the address is in this test's own mapping or heap, or one it just
        // detached; never in a stack's growth area.
        let e = unsafe { mem.attach_at(addr, round) }.unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
    }
    // Occupied by ordinary Rust memory (the heap).
    let heap = vec![7u8; 1 << 20];
    let inside = NonNull::new(heap.as_ptr().cast_mut().wrapping_add(8192)).unwrap();
    // SAFETY: the address is in this test's own heap; never in a stack's growth area.
    let e = unsafe { mem.attach_at(inside, true) }.unwrap_err();
    assert!(e.is_invalid_input());
    assert!(heap.iter().all(|&b| b == 7));
    assert_eq!(a.read_vec(0, 4).unwrap(), b"keep");
    // Misaligned without rounding.
    drop(a);
    let odd = NonNull::new(addr.as_ptr().wrapping_add(1)).unwrap();
    // SAFETY: the address is in this test's own mapping or heap, or one it just
    // detached; never in a stack's growth area.
    let e = unsafe { mem.attach_at(odd, false) }.unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert!(e.message().contains(&format!("{:p}", odd.as_ptr())), "{e}");
}

#[test]
fn a_rounded_address_below_shmlba_is_refused_not_mapped_at_zero() {
    let mem = fixture();
    let attached = mem.number_attached().unwrap();
    let low = NonNull::new(std::ptr::without_provenance_mut::<u8>(0x100)).unwrap();
    // SAFETY: the call is refused before shmat; nothing is mapped.
    let e = unsafe { mem.attach_at(low, true) }.unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert!(e.message().contains("rounds down to 0"), "{e}");
    assert_eq!(mem.number_attached().unwrap(), attached);
}

#[test]
fn offsets_and_lengths_never_overflow() {
    let mem = fixture();
    let a = mem.attach().unwrap();
    let mut buf = [0u8; 4];
    for (offset, len) in [(usize::MAX, 1), (1, usize::MAX), (3330, 4), (3334, 0)] {
        assert!(a.read_vec(offset, len).unwrap_err().is_invalid_input());
        assert!(a.fill(offset, len, 0).unwrap_err().is_invalid_input());
    }
    assert!(
        a.read_at(usize::MAX - 1, &mut buf)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(a.write_at(usize::MAX, b"x").unwrap_err().is_invalid_input());
    assert!(
        a.read_vec(usize::MAX, usize::MAX)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(a.read_to_end(usize::MAX).unwrap_err().is_invalid_input());
    assert!(a.read_to_end(3334).unwrap_err().is_invalid_input());
    assert_eq!(a.read_to_end(3332).unwrap(), b" ");
    assert_eq!(a.read_to_end(3333).unwrap(), b"");
    assert!(a.atomic_u64(usize::MAX - 7).unwrap_err().is_invalid_input());
}

#[test]
fn read_only_attachments_refuse_every_write_without_crashing() {
    // sysv_ipc: the buffer protocol of a SHM_RDONLY attachment is writable and
    // writing through it segfaults.
    let mem = fixture();
    let ro = mem.attach_read_only().unwrap();
    let e = ro.write_at(0, b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(ro.fill(0, 10, 0).unwrap_err().is_permissions());
    assert!(ro.atomic_u32(0).unwrap_err().is_permissions());
    assert!(ro.atomic_u64(0).unwrap_err().is_permissions());
    assert_eq!(ro.read_vec(0, 3).unwrap(), b"   ");
    assert_eq!(mem.read_to_end(0).unwrap(), vec![b' '; 3333]);
    let reader = SharedMemory::options().mode(0o400).open(mem.key()).unwrap();
    assert!(reader.write(0, b"x").unwrap_err().is_permissions());
    assert_eq!(reader.read(0, 1).unwrap(), b" ");
}

/// An attachment that something else in the process detached (a raw
/// `shmdt` of its address) reports `NotAttached` when detached again. In a
/// child process with no other thread: anywhere else, another thread could
/// attach a segment at the freed address before the second detach.
#[test]
fn an_attachment_detached_behind_its_back_is_not_attached() {
    const TEST: &str = "errors::an_attachment_detached_behind_its_back_is_not_attached";
    if testkit::child_args(TEST).is_some() {
        let seg = fixture();
        let a = seg.attach().unwrap();
        // SAFETY: the address of an attachment of this process; nothing
        // touches the memory afterwards (`a` is only detached), and no other
        // thread of this process attaches anything meanwhile.
        assert_eq!(unsafe { libc::shmdt(a.as_ptr().cast()) }, 0);
        let e = a.detach().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotAttached, "{e}");
        println!("not-attached");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(std::time::Duration::from_secs(30));
    assert!(out.contains("not-attached"), "{out}");
}

#[test]
fn use_after_detach_is_not_attached() {
    // sysv_ipc: read/write on a detached object raise NotAttachedError; its
    // buffer protocol then hands out a NULL buffer (segfault).
    let mut mem = fixture();
    mem.detach().unwrap();
    assert_eq!(mem.read(0, 1).unwrap_err().kind(), ErrorKind::NotAttached);
    assert_eq!(
        mem.write(0, b"x").unwrap_err().kind(),
        ErrorKind::NotAttached
    );
    assert_eq!(mem.attachment().unwrap_err().kind(), ErrorKind::NotAttached);
    assert_eq!(mem.detach().unwrap_err().kind(), ErrorKind::NotAttached);
    let e = mem.write(0, b"x").unwrap_err();
    assert_eq!(e.operation(), "write");
    // close() after detach has nothing left to detach.
    let mut other = SharedMemory::open(mem.key()).unwrap();
    other.read(0, 1).unwrap();
    other.detach().unwrap();
    other.close().unwrap();
    assert_eq!(mem.number_attached().unwrap(), 0);
}

#[test]
fn opening_a_missing_key_says_how_to_create_it() {
    let (key, _k) = unused_key();
    let e = SharedMemory::open(key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains(&key.to_string()), "{e}");
    assert!(e.message().contains("create"), "{e}");
    assert_eq!(e.operation(), "shmget");
}

/// The current virtual memory size of this process, from /proc/self/status.
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// `read_to_end(0)` copies the whole segment into a new `Vec`; when that memory
/// cannot be had (here: a 256 MiB segment under an address-space limit with
/// 32 MiB to spare) it is `LimitExceeded`, not an abort of the process.
#[test]
fn reading_more_than_can_be_allocated_is_an_error_not_an_abort() {
    const TEST: &str = "errors::reading_more_than_can_be_allocated_is_an_error_not_an_abort";
    const SIZE: usize = 256 << 20;
    if let Some(args) = testkit::child_args(TEST) {
        let seg = SharedMemory::open(Key::new(args[0].parse().unwrap())).unwrap();
        let view = seg.attachment().unwrap(); // maps the segment first
        let limit = libc::rlim_t::try_from(vm_size() + (32 << 20)).unwrap();
        let rl = libc::rlimit {
            rlim_cur: limit,
            rlim_max: limit,
        };
        // SAFETY: setrlimit reads a valid rlimit; this child process is ours.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) }, 0);
        for e in [
            seg.read_to_end(0).unwrap_err(),
            view.read_vec(1, SIZE - 1).unwrap_err(),
            seg.read(0, SIZE).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
            assert!(e.message().contains("read_at"), "{e}");
        }
        // Small reads still work under the limit.
        assert_eq!(seg.read_to_end(SIZE - 4).unwrap(), [0; 4]);
        println!("no abort");
        return;
    }
    let seg = new_segment(SharedMemory::options().size(SIZE).no_reserve(true));
    let out = testkit::spawn_child(TEST, &[&seg.key().as_raw().to_string()])
        .wait(std::time::Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("no abort"),
        "the child under RLIMIT_AS failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
