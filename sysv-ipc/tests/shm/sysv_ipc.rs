//! sysv_ipc 1.2.0's `tests/test_memory.py` (50 tests), translated. Each test
//! names the Python test it covers; where sysv_ipc's behaviour was a bug the
//! test checks the fixed behaviour and says so.
//!
//! The fixture is sysv_ipc's `setUp`: `SharedMemory(None, IPC_CREX, size=3333)`
//! with its default blank fill (`init_byte(b' ')` here).

use std::thread::sleep;
use std::time::Duration;

use crate::support::{fixture, new_segment, unused_key};
use sysv_ipc::{ErrorKind, IPC_CREAT, IPC_CREX, Key, SharedMemory};

/// sysv_ipc's `sleep_past_granularity`: IPC times have 1-second resolution.
fn sleep_past_granularity() {
    sleep(Duration::from_millis(1100));
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn egid() -> u32 {
    // SAFETY: getegid has no preconditions.
    unsafe { libc::getegid() }
}

// ---- TestSharedMemoryCreation (11) ----

#[test]
fn creation_no_flags() {
    let mem = fixture();
    let again = SharedMemory::options().flags(0).open(mem.key()).unwrap();
    assert_eq!(again.id(), mem.id());
}

#[test]
fn creation_ipc_creat_existing() {
    let mem = fixture();
    mem.write(0, b"hello").unwrap();
    let again = SharedMemory::options()
        .flags(IPC_CREAT)
        .init_byte(b'!')
        .open(mem.key())
        .unwrap();
    assert_eq!(again.id(), mem.id());
    // IPC_CREAT on an existing segment never initialises it.
    assert_eq!(again.read(0, 6).unwrap(), b"hello ");
}

#[test]
fn creation_ipc_creat_new() {
    let (key, _k) = unused_key();
    let mem = SharedMemory::options()
        .flags(IPC_CREAT)
        .size(sysv_ipc::limits::page_size())
        .open(key)
        .expect("open segment")
        .remove_on_drop();
    assert_eq!(mem.key(), key);
    assert_eq!(mem.size().unwrap(), sysv_ipc::limits::page_size());
    // sysv_ipc: IPC_CREAT without a size was ValueError('The size is invalid');
    // here a new segment defaults to one page.
    let (key, _k) = unused_key();
    let mem = SharedMemory::options()
        .flags(IPC_CREAT)
        .open(key)
        .expect("open segment")
        .remove_on_drop();
    assert_eq!(mem.size().unwrap(), sysv_ipc::limits::page_size());
}

#[test]
fn creation_ipc_excl() {
    let mem = fixture();
    let e = SharedMemory::options()
        .flags(IPC_CREX)
        .size(3333)
        .open(mem.key())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.message().contains(&mem.key().to_string()), "{e}");
    // sysv_ipc gave ValueError('The size is invalid') without a size; the
    // existence is what matters.
    let e = SharedMemory::options()
        .flags(IPC_CREX)
        .open(mem.key())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
}

#[test]
fn creation_randomly_generated_key() {
    let a = SharedMemory::create_unique(64).unwrap().remove_on_drop();
    let b = SharedMemory::create_unique(64).unwrap().remove_on_drop();
    assert!(!a.key().is_private());
    assert_ne!(a.key(), b.key());
    assert_eq!(SharedMemory::open(a.key()).unwrap().id(), a.id());
    // sysv_ipc draws keys from [1, 32766] with a time-seeded rand(); here the
    // whole key_t range is used, so keys above 32766 must show up (2^-100 odds
    // of a false failure over 20 draws).
    let keys: Vec<_> = (0..20)
        .map(|_| SharedMemory::create_unique(1).unwrap().remove_on_drop())
        .collect();
    assert!(
        keys.iter()
            .any(|s| !(1..=32766).contains(&s.key().as_raw()))
    );
}

#[test]
fn creation_default_flags() {
    let mem = fixture();
    assert_eq!(SharedMemory::open(mem.key()).unwrap().id(), mem.id());
}

#[test]
fn creation_size() {
    let mem = fixture();
    // Linux never rounds up to whole pages.
    assert_eq!(mem.size().unwrap(), 3333);
    assert_eq!(mem.attach().unwrap().len(), 3333);
}

#[test]
fn creation_default_init_character() {
    // sysv_ipc fills new segments with b' ' by default; here the default is
    // the kernel's zeros and init_byte(b' ') gives sysv_ipc's bytes.
    let mem = fixture();
    assert_eq!(mem.read(0, 3333).unwrap(), vec![b' '; 3333]);
    let plain = new_segment(SharedMemory::options().size(100));
    assert_eq!(plain.read_to_end(0).unwrap(), vec![0; 100]);
}

#[test]
fn creation_nondefault_init_character() {
    let mem = new_segment(SharedMemory::options().size(3333).init_byte(b'@'));
    assert_eq!(mem.read_to_end(0).unwrap(), vec![b'@'; 3333]);
}

#[test]
fn creation_autoattach() {
    // sysv_ipc attaches in the constructor (and never detaches). Here the
    // handle's own attachment is made on first use; it is one mapping.
    let mem = new_segment(SharedMemory::options().size(64));
    assert!(!mem.is_attached());
    assert_eq!(mem.number_attached().unwrap(), 0);
    mem.read(0, 1).unwrap();
    assert!(mem.is_attached());
    mem.write(0, b"x").unwrap();
    assert_eq!(mem.number_attached().unwrap(), 1);
    // The fill of a created segment uses (and keeps) that same attachment.
    let filled = new_segment(SharedMemory::options().size(64).init_byte(b'x'));
    assert!(filled.is_attached());
    assert_eq!(filled.number_attached().unwrap(), 1);
}

#[test]
fn creation_kwargs() {
    let mem = new_segment(
        SharedMemory::options()
            .create(true)
            .mode(0o600)
            .size(1024)
            .init_byte(b'x')
            .no_reserve(false)
            .huge_pages(false),
    );
    assert_eq!(mem.read_to_end(1000).unwrap(), vec![b'x'; 24]);
    assert_eq!(mem.mode().unwrap().bits(), 0o600);
}

// ---- TestSharedMemoryAttachDetach (4) ----

#[test]
fn attach_detach_detach() {
    let mut mem = fixture();
    mem.read(0, 1).unwrap();
    mem.detach().unwrap();
    assert!(!mem.is_attached());
    let e = mem.read(0, 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotAttached);
    assert!(e.message().contains("reattach()"), "{e}");
    // sysv_ipc's second detach raised NotAttachedError() without a message.
    let e = mem.detach().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotAttached);
    assert!(!e.message().is_empty());
    assert_eq!(mem.number_attached().unwrap(), 0);
}

#[test]
fn attach_detach_attach() {
    let mut mem = fixture();
    mem.detach().unwrap();
    mem.reattach().unwrap();
    assert!(mem.is_attached());
    assert_eq!(mem.read(0, 3).unwrap(), b"   ");
    // An explicit attachment is independent of the handle's own.
    let a = mem.attach().unwrap();
    assert_eq!(a.read_vec(0, 3).unwrap(), b"   ");
    mem.detach().unwrap();
    assert_eq!(a.read_vec(0, 3).unwrap(), b"   ");
}

#[test]
fn attach_detach_attach_read_only() {
    let mem = fixture();
    let ro = mem.attach_read_only().unwrap();
    let e = ro.write_at(0, b" ").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.message().contains("read-only"), "{e}");
}

#[test]
fn attach_detach_attach_kwargs() {
    // sysv_ipc: attach(address=None, flags=0). Here: attach(), and attach_at
    // for an explicit address (SHM_RND as a bool). An address is learnt from
    // an attachment and detached; another test thread may map memory there
    // before it is used again, so each step retries with a fresh address.
    let mem = fixture();
    let free_address = || {
        let a = mem.attach().unwrap();
        let addr = std::ptr::NonNull::new(a.as_mut_ptr()).unwrap();
        a.detach().unwrap();
        addr
    };
    let retry = |step: &dyn Fn(std::ptr::NonNull<u8>) -> bool| {
        assert!(
            (0..50).any(|_| step(free_address())),
            "no free address in 50 tries"
        );
    };
    // SAFETY: the address is in this test's own mapping or heap, or one it just
    // detached; never in a stack's growth area.
    retry(&|addr| match unsafe { mem.attach_at(addr, false) } {
        Ok(exact) => {
            assert_eq!(exact.as_ptr(), addr.as_ptr());
            true
        }
        Err(e) => {
            assert!(e.is_invalid_input(), "{e}");
            false
        }
    });
    retry(&|addr| {
        let inside = std::ptr::NonNull::new(addr.as_ptr().wrapping_add(100)).unwrap();
        // SAFETY: the address is in this test's own mapping or heap, or one it just
        // detached; never in a stack's growth area.
        match unsafe { mem.attach_at(inside, true) } {
            Ok(rounded) => {
                assert_eq!(rounded.as_ptr(), addr.as_ptr());
                true
            }
            Err(e) => {
                assert!(e.is_invalid_input(), "{e}");
                false
            }
        }
    });
    let a = mem.attach().unwrap();
    let inside = std::ptr::NonNull::new(a.as_mut_ptr().wrapping_add(100)).unwrap();
    drop(a);
    // SAFETY: the address is in this test's own mapping or heap, or one it just
    // detached; never in a stack's growth area.
    let e = unsafe { mem.attach_at(inside, false) }.unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert!(e.message().contains("SHMLBA"), "{e}");
}

// ---- TestSharedMemoryReadWrite (17) ----

#[test]
fn read_write_simple() {
    let mem = fixture();
    assert_eq!(mem.read(0, 20).unwrap(), vec![b' '; 20]);
    mem.write(0, b"abcdefg").unwrap();
    assert_eq!(mem.read(0, 7).unwrap(), b"abcdefg");
}

#[test]
fn read_write_read_no_byte_count() {
    let mem = fixture();
    assert_eq!(mem.read_to_end(0).unwrap().len(), 3333);
}

#[test]
fn read_write_read_byte_count() {
    let mem = fixture();
    assert_eq!(mem.read(0, 5).unwrap().len(), 5);
}

#[test]
fn read_write_read_offset() {
    let mem = fixture();
    mem.write(0, b"abcdefg").unwrap();
    assert_eq!(mem.read(2, 5).unwrap(), b"cdefg");
}

#[test]
fn read_write_read_keywords() {
    // sysv_ipc: read(byte_count=5, offset=2). Rust has no keywords; an
    // attachment's read_vec has the same semantics as the handle's read.
    let mem = fixture();
    mem.write(0, b"abcdefg").unwrap();
    assert_eq!(mem.attach().unwrap().read_vec(2, 5).unwrap(), b"cdefg");
}

#[test]
fn read_write_read_past_end_of_segment() {
    // Deliberate difference: sysv_ipc cuts a read past the end at the end.
    // Here a length is exact, as for every read of the family (an
    // InvalidInput says so); read_to_end is "up to the end".
    let mem = fixture();
    assert!(mem.read(0, 3333 + 100).unwrap_err().is_invalid_input());
    assert!(mem.read(0, usize::MAX).unwrap_err().is_invalid_input());
    assert_eq!(mem.read_to_end(0).unwrap().len(), 3333);
}

#[test]
fn read_write_read_past_end_of_segment_with_offset() {
    let mem = fixture();
    assert!(mem.read(100, 3333 + 100).unwrap_err().is_invalid_input());
    assert_eq!(mem.read_to_end(100).unwrap().len(), 3333 - 100);
}

#[test]
fn read_write_read_bad_offset() {
    let mem = fixture();
    // sysv_ipc's offset -1 wraps to 2^64-1: the largest offset here. An
    // offset of exactly the size reads nothing (sysv_ipc: ValueError), as
    // read(3333, 0) does.
    assert_eq!(mem.read_to_end(3333).unwrap(), b"");
    assert_eq!(mem.read(3333, 0).unwrap(), b"");
    for offset in [3334, usize::MAX] {
        let e = mem.read_to_end(offset).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains(&offset.to_string()), "{e}");
        assert!(e.message().contains("3333"), "{e}");
    }
}

#[test]
fn read_write_write_offset() {
    let mem = fixture();
    mem.write(3, b"abcdefg").unwrap();
    assert_eq!(mem.read(0, 10).unwrap(), b"   abcdefg");
}

#[test]
fn read_write_write_keyword() {
    // sysv_ipc: write(s, offset=3); the attachment's write_at is the same call.
    let mem = fixture();
    mem.attach().unwrap().write_at(3, b"abcdefg").unwrap();
    assert_eq!(mem.read(0, 10).unwrap(), b"   abcdefg");
}

#[test]
fn read_write_write_past_end_of_segment() {
    let mem = fixture();
    let e = mem.write(0, &vec![b'x'; 3333 + 100]).unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert_eq!(
        mem.read_to_end(0).unwrap(),
        vec![b' '; 3333],
        "nothing written"
    );
}

#[test]
fn read_write_write_past_end_of_segment_with_offset() {
    let mem = fixture();
    let e = mem.write(100, &vec![b'x'; 3333 - 50]).unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert_eq!(
        mem.read_to_end(0).unwrap(),
        vec![b' '; 3333],
        "nothing written"
    );
}

#[test]
fn read_write_write_bad_offset() {
    let mem = fixture();
    // sysv_ipc: offset -1 wraps and fails, and offset 2**64 wraps to 0 and
    // WRITES AT 0. Here the offsets that exist in usize all fail cleanly.
    for offset in [3334, usize::MAX, usize::MAX - 1] {
        let e = mem.write(offset, b"x").unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
    }
    mem.write(3333, b"").unwrap(); // an empty write at the end is fine
    assert!(mem.write(3333, b"x").is_err());
    assert_eq!(
        mem.read_to_end(0).unwrap(),
        vec![b' '; 3333],
        "nothing written"
    );
}

#[test]
fn read_write_ascii_null() {
    // sysv_ipc's version writes b'abc' + bytes(0) + b'def', which has no NUL.
    let mem = fixture();
    let data = b"abc\0def\0\0";
    mem.write(0, data).unwrap();
    assert_eq!(mem.read(0, data.len()).unwrap(), data);
    assert_eq!(mem.read(3, 1).unwrap(), [0]);
    let all: Vec<u8> = (0..=255).collect();
    mem.write(1000, &all).unwrap();
    assert_eq!(mem.read(1000, 256).unwrap(), all);
}

#[test]
fn read_write_utf8() {
    let mem = fixture();
    let s = "Göteborg";
    mem.write(0, s.as_bytes()).unwrap();
    let back = mem.read(0, s.len()).unwrap();
    assert_eq!(std::str::from_utf8(&back).unwrap(), s);
}

#[test]
fn read_write_read_kwargs() {
    let mem = fixture();
    mem.write(0, b"0123456789").unwrap();
    let mut buf = [0u8; 4];
    mem.attachment().unwrap().read_at(3, &mut buf).unwrap();
    assert_eq!(&buf, b"3456");
    assert_eq!(mem.read(3, 4).unwrap(), b"3456");
}

#[test]
fn read_write_write_kwargs() {
    let mem = fixture();
    mem.write(5, b"kw").unwrap();
    assert_eq!(mem.read(4, 4).unwrap(), b" kw ");
}

// ---- TestSharedMemoryRemove (1) ----

#[test]
fn remove() {
    let mut mem = fixture();
    let key = mem.key();
    mem.detach().unwrap();
    mem.remove().unwrap();
    let e = SharedMemory::open(key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.is_existential());
    assert_eq!(mem.size().unwrap_err().kind(), ErrorKind::Removed);
}

// ---- TestSharedMemoryPropertiesAndAttributes (15) ----
// sysv_ipc also checks that each property is read-only (AttributeError);
// here getters have no setter, which the compiler enforces.

#[test]
fn property_key() {
    let mem = fixture();
    assert_eq!(mem.key().as_raw() >> 16, testkit::KEY_PREFIX >> 16);
    assert_eq!(mem.stat().unwrap().key, mem.key());
}

#[test]
fn property_id() {
    let mem = fixture();
    assert!(mem.id() >= 0);
    assert_eq!(SharedMemory::from_id(mem.id()).unwrap().key(), mem.key());
}

#[test]
fn property_size() {
    let mem = fixture();
    assert_eq!(mem.size().unwrap(), 3333);
    assert_eq!(mem.stat().unwrap().size, 3333);
}

#[test]
fn property_address() {
    let mem = fixture();
    let a = mem.attachment().unwrap();
    assert!(!a.as_ptr().is_null());
    assert!((a.as_ptr() as usize).is_multiple_of(sysv_ipc::limits::page_size()));
}

#[test]
fn property_attached() {
    let mut mem = fixture();
    mem.read(0, 1).unwrap();
    assert!(mem.is_attached());
    mem.detach().unwrap();
    assert!(!mem.is_attached());
}

#[test]
fn property_last_attach_time() {
    let mem = fixture();
    let first = mem.attach().unwrap();
    let before = mem.attach_time().unwrap().unwrap();
    first.detach().unwrap();
    sleep_past_granularity();
    let _again = mem.attach().unwrap();
    let after = mem.attach_time().unwrap().unwrap();
    assert!(after > before, "{before:?} -> {after:?}");
    let age = after.elapsed().unwrap_or_default();
    assert!(age < Duration::from_secs(60), "{age:?}");
}

#[test]
fn property_last_detach_time() {
    let mem = new_segment(SharedMemory::options().size(8));
    assert_eq!(mem.detach_time().unwrap(), None);
    mem.attach().unwrap().detach().unwrap();
    let first = mem.detach_time().unwrap().unwrap();
    sleep_past_granularity();
    drop(mem.attach().unwrap()); // Drop detaches too
    assert!(mem.detach_time().unwrap().unwrap() > first);
}

#[test]
fn property_last_change_time() {
    let mem = fixture();
    let before = mem.change_time().unwrap();
    sleep_past_granularity();
    mem.set_uid(mem.uid().unwrap()).unwrap();
    assert!(mem.change_time().unwrap() > before);
}

#[test]
fn property_creator_pid() {
    let mem = fixture();
    assert_eq!(mem.creator_pid().unwrap(), std::process::id() as i32);
}

#[test]
fn property_last_pid() {
    let mem = new_segment(SharedMemory::options().size(8));
    assert_eq!(mem.last_pid().unwrap(), None, "never attached yet");
    mem.read(0, 1).unwrap();
    assert_eq!(mem.last_pid().unwrap(), Some(std::process::id() as i32));
}

#[test]
fn property_number_attached() {
    let mut mem = fixture();
    mem.read(0, 1).unwrap();
    assert_eq!(mem.number_attached().unwrap(), 1);
    mem.detach().unwrap();
    assert_eq!(mem.number_attached().unwrap(), 0);
}

#[test]
fn property_uid() {
    let mem = fixture();
    assert_eq!(mem.uid().unwrap(), euid());
}

#[test]
fn property_gid() {
    let mem = fixture();
    assert_eq!(mem.gid().unwrap(), egid());
}

#[test]
fn property_cuid() {
    let mem = fixture();
    assert_eq!(mem.cuid().unwrap(), euid());
}

#[test]
fn property_cgid() {
    let mem = fixture();
    assert_eq!(mem.cgid().unwrap(), egid());
}

// ---- BufferProtocolTest (2) ----

#[test]
fn buffer_bytearray() {
    // bytearray(mem): a copy of the whole segment.
    let mem = fixture();
    mem.write(0, b"abc").unwrap();
    let mut copy = mem.read_to_end(0).unwrap();
    assert_eq!(copy.len(), 3333);
    copy[..3].copy_from_slice(b"xyz");
    assert_eq!(mem.read(0, 3).unwrap(), b"abc", "a copy, not a view");
}

#[test]
fn buffer_memoryview() {
    // memoryview(mem): a live view. Here through unsafe slices (sysv_ipc's
    // view is always writable, even read-only, and dangles after detach:
    // both segfault; here the first is a PermissionDenied and the second a
    // borrow error at compile time).
    let mem = fixture();
    let mut a = mem.attach().unwrap();
    // SAFETY: this test is the only user of the segment while the slice lives.
    let view = unsafe { a.as_slice() };
    assert_eq!(view.len(), 3333);
    assert_eq!(&view[..3], b"   ");
    // SAFETY: writable attachment, no other user.
    unsafe { a.as_mut_slice()[4] = b'x' };
    assert_eq!(mem.read(4, 1).unwrap(), b"x");
    mem.write(0, b"xxx").unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { &a.as_slice()[..5] }, b"xxx x");
    let ro = mem.attach_read_only().unwrap();
    assert!(!ro.is_writable());
    assert!(ro.write_at(0, b"y").unwrap_err().is_permissions());
}

// ---- Beyond sysv_ipc's suite ----

#[test]
fn one_attach_is_one_mapping_and_drop_detaches() {
    let mut mem = fixture();
    for _ in 0..10 {
        mem.read(0, 1).unwrap();
    }
    mem.reattach().unwrap(); // already attached: no second mapping
    assert_eq!(mem.number_attached().unwrap(), 1);
    let a = mem.attach().unwrap();
    let b = mem.attach().unwrap();
    assert_ne!(a.as_ptr(), b.as_ptr());
    assert_eq!(mem.number_attached().unwrap(), 3);
    drop((a, b));
    assert_eq!(mem.number_attached().unwrap(), 1);
    let id = mem.id();
    let handle = SharedMemory::from_id(id).unwrap();
    handle.read(0, 1).unwrap();
    drop(handle); // sysv_ipc never detaches on deallocation
    assert_eq!(mem.number_attached().unwrap(), 1);
}

#[test]
fn concurrent_first_use_attaches_once() {
    let mem = fixture();
    std::thread::scope(|s| {
        for i in 0..8u8 {
            let mem = &mem;
            s.spawn(move || mem.write(usize::from(i), &[b'0' + i]).unwrap());
        }
    });
    assert_eq!(mem.read(0, 8).unwrap(), b"01234567");
    assert_eq!(mem.number_attached().unwrap(), 1);
}

#[test]
fn private_segments_are_new_every_time_and_filled() {
    let a = SharedMemory::options()
        .size(10)
        .init_byte(b'p')
        .open(Key::PRIVATE)
        .expect("open segment")
        .remove_on_drop();
    let b = SharedMemory::options()
        .size(10)
        .open(Key::PRIVATE)
        .expect("open segment")
        .remove_on_drop();
    assert_ne!(a.id(), b.id());
    assert_eq!(a.stat().unwrap().key, Key::PRIVATE);
    // sysv_ipc leaves SharedMemory(0, size=10) unfilled; it was created, so
    // init_byte applies.
    assert_eq!(a.read_to_end(0).unwrap(), b"pppppppppp");
    assert_eq!(b.read_to_end(0).unwrap(), [0; 10]);
}

#[test]
fn created_read_only_segment_is_not_filled_and_refuses_writes() {
    let mem = new_segment(SharedMemory::options().mode(0o400).size(4).init_byte(b'z'));
    assert_eq!(mem.read_to_end(0).unwrap(), [0; 4]);
    let e = mem.write(0, b"a").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(!mem.attachment().unwrap().is_writable());
}

#[test]
fn stat_returns_every_field() {
    let mem = fixture();
    let _a = mem.attach().unwrap();
    let st = mem.stat().unwrap();
    assert_eq!(st.key, mem.key());
    assert_eq!(st.size, 3333);
    assert_eq!(st.number_attached, 2); // the fill's attachment and _a
    assert_eq!(st.creator_pid, std::process::id() as i32);
    assert_eq!(st.last_pid, Some(std::process::id() as i32));
    assert!(st.attach_time.is_some());
    assert_eq!(st.detach_time, None);
    assert!(st.change_time.elapsed().unwrap_or_default() < Duration::from_secs(60));
    assert_eq!(st.permissions.uid, euid());
    assert_eq!(st.permissions.cuid, euid());
    assert_eq!(st.permissions.gid, egid());
    assert_eq!(st.permissions.cgid, egid());
    assert_eq!(st.permissions.mode.bits(), 0o600);
    assert_eq!(mem.permissions().unwrap(), st.permissions);
    assert!(!st.is_removed() && !st.is_locked());
}

#[test]
fn mode_uid_gid_setters() {
    let mem = fixture();
    mem.set_mode(0o644).unwrap();
    assert_eq!(mem.mode().unwrap().bits(), 0o644);
    mem.set_gid(mem.gid().unwrap()).unwrap();
    let e = mem.set_mode(0o1644).unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(mem.mode().unwrap().bits(), 0o644);
}

#[test]
fn removed_while_attached_stays_usable_until_the_last_detach() {
    let mem = new_segment(SharedMemory::options().size(100));
    let key = mem.key();
    let a = mem.attach().unwrap();
    a.write_at(0, b"before").unwrap();
    mem.remove().unwrap();
    // Linux: still usable, key 0, SHM_DEST, removable again, key free.
    a.write_at(10, b"after").unwrap();
    assert_eq!(a.read_vec(0, 15).unwrap(), b"before\0\0\0\0after");
    let st = mem.stat().unwrap();
    assert!(st.is_removed());
    assert_eq!(st.key, Key::PRIVATE);
    assert_eq!(st.permissions.mode.bits(), 0o1600);
    assert_eq!(
        mem.key(),
        key,
        "the handle keeps the key it was opened with"
    );
    assert_eq!(mem.size().unwrap(), 100);
    mem.remove().unwrap();
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let other = SharedMemory::create_new(key, 8)
        .expect("open segment")
        .remove_on_drop();
    assert_ne!(other.id(), mem.id());
    // Another attachment by id is still allowed on Linux.
    let b = sysv_ipc::attach(mem.id()).unwrap();
    assert_eq!(b.read_vec(0, 6).unwrap(), b"before");
    drop(b);
    a.detach().unwrap();
    assert_eq!(mem.stat().unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(
        sysv_ipc::attach(mem.id()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn guard_removes_and_into_inner_keeps() {
    let seg = new_segment(SharedMemory::options().size(8));
    let id = seg.id();
    let kept = SharedMemory::from_id(id)
        .unwrap()
        .remove_on_drop()
        .into_inner();
    assert!(kept.size().is_ok());
    drop(SharedMemory::from_id(id).unwrap().remove_on_drop());
    assert_eq!(kept.size().unwrap_err().kind(), ErrorKind::Removed);
}

#[test]
fn debug_and_display_show_key_and_id() {
    let mem = fixture();
    let shown = mem.to_string();
    assert_eq!(shown, format!("Key={}, id={}", mem.key(), mem.id()));
    let dbg = format!("{:?}", *mem);
    assert!(
        dbg.contains("SharedMemory") && dbg.contains(&mem.id().to_string()),
        "{dbg}"
    );
    let a = mem.attach_read_only().unwrap();
    let dbg = format!("{a:?}");
    assert!(
        dbg.contains("read_only: true") && dbg.contains("size: 3333"),
        "{dbg}"
    );
}

#[test]
fn atomics_coordinate_through_separate_attachments() {
    use std::sync::atomic::Ordering;
    let mem = fixture();
    let a = mem.attach().unwrap();
    let b = mem.attach().unwrap();
    a.atomic_u64(8).unwrap().store(41, Ordering::Release);
    assert_eq!(b.atomic_u64(8).unwrap().fetch_add(1, Ordering::AcqRel), 41);
    assert_eq!(a.atomic_u32(8).unwrap().load(Ordering::Acquire), 42);
    assert!(a.atomic_u32(6).unwrap_err().is_invalid_input());
    assert!(a.atomic_u32(3332).unwrap_err().is_invalid_input());
}
