//! System V shared memory between real processes: the test binary re-runs
//! itself as the child (testkit::spawn_child).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::support::{new_segment, pattern};
use sysv_ipc::{ErrorKind, Key, SharedMemory};

const LIMIT: Duration = Duration::from_secs(30);

/// Header of the writer/reader test: a u32 flag at 0, data from 8 on.
const DATA: usize = 8;
/// An odd size, larger than a page and not a multiple of anything.
const SIZE: usize = (1 << 20) + 13;

fn wait_for(flag: &std::sync::atomic::AtomicU32, value: u32) {
    let start = Instant::now();
    while flag.load(Ordering::Acquire) != value {
        assert!(start.elapsed() < LIMIT, "flag never became {value}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn writer_and_reader_by_key_check_every_byte() {
    const TEST: &str = "processes::writer_and_reader_by_key_check_every_byte";
    if let Some(args) = testkit::child_args(TEST) {
        let key = Key::new(args[1].parse().unwrap());
        let seg = SharedMemory::open(key).unwrap();
        let view = seg.attachment().unwrap();
        assert_eq!(view.len(), SIZE);
        let flag = view.atomic_u32(0).unwrap();
        match args[0].as_str() {
            "writer" => {
                let data: Vec<u8> = (0..SIZE - DATA).map(pattern).collect();
                seg.write(DATA, &data).unwrap();
                flag.store(1, Ordering::Release);
                wait_for(flag, 2);
            }
            "reader" => {
                wait_for(flag, 1);
                let mut got = vec![0u8; SIZE - DATA];
                view.read_at(DATA, &mut got).unwrap();
                for (i, b) in got.iter().enumerate() {
                    assert_eq!(*b, pattern(i), "byte {i}");
                }
                flag.store(2, Ordering::Release);
            }
            other => panic!("unknown role {other}"),
        }
        println!("{} done", args[0]);
        return;
    }
    let seg = new_segment(SharedMemory::options().size(SIZE));
    let key = seg.key().as_raw().to_string();
    // The reader starts first and waits for the writer's flag.
    let reader = testkit::spawn_child(TEST, &["reader", &key]);
    let writer = testkit::spawn_child(TEST, &["writer", &key]);
    assert!(reader.wait_success(LIMIT).contains("reader done"));
    assert!(writer.wait_success(LIMIT).contains("writer done"));
    let all = seg.read_to_end(0).unwrap();
    assert_eq!(all.len(), SIZE);
    assert_eq!(all[..4], 2u32.to_ne_bytes());
    for (i, b) in all[DATA..].iter().enumerate() {
        assert_eq!(*b, pattern(i), "byte {i}");
    }
    // Both children exited: their attachments are gone.
    assert_eq!(seg.number_attached().unwrap(), 1);
}

#[test]
fn segment_removed_while_attached_stays_usable_until_detached() {
    const TEST: &str = "processes::segment_removed_while_attached_stays_usable_until_detached";
    if let Some(args) = testkit::child_args(TEST) {
        let id: i32 = args[0].parse().unwrap();
        // The key is gone, the id still attaches (Linux).
        let a = sysv_ipc::attach(id).unwrap();
        for i in 0..4096 {
            assert_eq!(a.read_vec(i, 1).unwrap()[0], pattern(i), "byte {i}");
        }
        let seg = SharedMemory::from_id(id).unwrap();
        assert_eq!(seg.key(), Key::PRIVATE);
        assert!(seg.stat().unwrap().is_removed());
        assert_eq!(seg.number_attached().unwrap(), 2);
        a.write_at(4096, b"child was here").unwrap();
        a.detach().unwrap();
        println!("child done");
        return;
    }
    let seg = new_segment(SharedMemory::options().size(8192));
    let key = seg.key();
    let id = seg.id();
    let data: Vec<u8> = (0..4096).map(pattern).collect();
    let a = seg.attach().unwrap();
    a.write_at(0, &data).unwrap();
    seg.remove().unwrap();
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    seg.remove().unwrap(); // again: still fine while attached

    let out = testkit::spawn_child(TEST, &[&id.to_string()]).wait_success(LIMIT);
    assert!(out.contains("child done"), "{out}");
    assert_eq!(a.read_vec(4096, 14).unwrap(), b"child was here");
    assert_eq!(a.read_vec(0, 4096).unwrap(), data);
    assert_eq!(seg.number_attached().unwrap(), 1);
    a.detach().unwrap();
    // Last detach: gone.
    assert_eq!(seg.stat().unwrap_err().kind(), ErrorKind::Removed);
    assert_eq!(
        sysv_ipc::attach(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        SharedMemory::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn other_user_is_refused_write_access_but_may_read() {
    const TEST: &str = "processes::other_user_is_refused_write_access_but_may_read";
    if let Some(args) = testkit::child_args(TEST) {
        let key = Key::new(args[0].parse().unwrap());
        let id: i32 = args[1].parse().unwrap();
        testkit::become_nobody();
        // The default request (0o600) is more than 0o644 grants others.
        let e = SharedMemory::open(key).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("0o600"), "{e}");
        let seg = SharedMemory::options().mode(0o444).open(key).unwrap();
        assert_eq!(seg.id(), id);
        assert_eq!(seg.read(0, 6).unwrap(), b"secret");
        // The handle's view is read-only: an error, not a crash.
        let e = seg.write(0, b"x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        let e = seg.attach().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("attach_read_only"), "{e}");
        assert_eq!(
            sysv_ipc::attach(id).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let ro = seg.attach_read_only().unwrap();
        assert_eq!(ro.read_vec(0, 6).unwrap(), b"secret");
        assert!(ro.write_at(0, b"x").unwrap_err().is_permissions());
        assert!(ro.atomic_u32(0).unwrap_err().is_permissions());
        let e = seg.set_mode(0o666).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("owner"), "{e}");
        let e = seg.remove().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("remove"), "{e}");
        assert_eq!(seg.uid().unwrap(), 0);
        println!("child done");
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to start a child as uid 65534");
        return;
    }
    let seg = new_segment(SharedMemory::options().mode(0o644).size(64));
    seg.write(0, b"secret").unwrap();
    let key = seg.key().as_raw().to_string();
    let id = seg.id().to_string();
    let out = testkit::spawn_child(TEST, &[&key, &id]).wait_success(LIMIT);
    assert!(out.contains("child done"), "{out}");
    assert_eq!(seg.read_to_end(0).unwrap()[..6], *b"secret");
    assert_eq!(seg.mode().unwrap().bits(), 0o644);
}

#[test]
fn a_child_that_exits_without_detaching_leaves_no_attachment() {
    const TEST: &str = "processes::a_child_that_exits_without_detaching_leaves_no_attachment";
    if let Some(args) = testkit::child_args(TEST) {
        let seg = SharedMemory::open(Key::new(args[0].parse().unwrap())).unwrap();
        let a = seg.attach().unwrap();
        a.write_at(0, b"bye").unwrap();
        std::mem::forget(a); // the kernel detaches at exit
        println!("child done");
        return;
    }
    let seg = new_segment(SharedMemory::options().size(16));
    let out = testkit::spawn_child(TEST, &[&seg.key().as_raw().to_string()]).wait_success(LIMIT);
    assert!(out.contains("child done"), "{out}");
    assert_eq!(seg.number_attached().unwrap(), 0);
    assert_eq!(seg.read(0, 3).unwrap(), b"bye");
}
