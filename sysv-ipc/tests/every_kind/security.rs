//! Name squatting: an open-or-create of any System V kind refuses an object
//! that another user owns or created (`ForeignOwner`), modifies nothing when
//! it refuses, and adopts it only with `allow_foreign_owner(true)`; `created()`
//! tells every handle whether its call made the object.
//!
//! The other user is a real child process that dropped to uid 65534.

use std::time::Duration;

use sysv_ipc::{
    ErrorKind, IPC_CREAT, Key, MessageQueue, Selector, Semaphore, SemaphoreSet, SharedMemory, Wait,
};

const LIMIT: Duration = Duration::from_secs(30);
use testkit::NOBODY;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn key_arg(args: &[String], i: usize) -> Key {
    Key::new(args[i].parse().unwrap())
}

fn assert_foreign(e: &sysv_ipc::Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::ForeignOwner, "{what}: {e}");
    assert!(e.is_permissions(), "{what}");
    assert!(e.message().contains("uid 65534"), "{what}: {e}");
    assert!(
        e.message().contains("allow_foreign_owner(true)"),
        "{what}: {e}"
    );
}

#[test]
fn open_or_create_refuses_objects_planted_by_another_user() {
    const TEST: &str = "security::open_or_create_refuses_objects_planted_by_another_user";
    if let Some(args) = testkit::child_args(TEST) {
        testkit::become_user(NOBODY);
        Semaphore::options()
            .create_new(true)
            .mode(0o666)
            .initial_value(7)
            .open(key_arg(&args, 0))
            .unwrap();
        SemaphoreSet::options()
            .create_new(true)
            .mode(0o666)
            .len(3)
            .initial_values(&[1, 2, 3])
            .open(key_arg(&args, 1))
            .unwrap();
        SharedMemory::options()
            .create_new(true)
            .mode(0o666)
            .size(4096)
            .init_byte(b'S')
            .open(key_arg(&args, 2))
            .unwrap();
        let q = MessageQueue::options()
            .create_new(true)
            .mode(0o666)
            .open(key_arg(&args, 3))
            .unwrap();
        q.send(b"planted", 1, Wait::NoWait).unwrap();
        // Created by nobody, then handed to root: the creator keeps control.
        let given = Semaphore::options()
            .create_new(true)
            .mode(0o666)
            .open(key_arg(&args, 4))
            .unwrap();
        given.set_uid(0).unwrap();
        println!("planted");
        return;
    }
    if !is_root() {
        println!("skipped: needs root to run a child as another user");
        return;
    }
    let (sem_key, _sem_key_guard) = crate::sem_support::unused_key();
    let (set_key, _set_key_guard) = crate::sem_support::unused_key();
    let (shm_key, _shm_key_guard) = crate::shm_support::unused_key();
    let (msg_key, _msg_key_guard) = crate::msg_support::unused_key();
    let (given_key, _given_key_guard) = crate::sem_support::unused_key();
    let keys: Vec<String> = [sem_key, set_key, shm_key, msg_key, given_key]
        .iter()
        .map(|k| k.as_raw().to_string())
        .collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let child = testkit::spawn_child(TEST, &keys);
    let child_pid = libc::pid_t::try_from(child.id()).unwrap();
    let out = child.wait_success(LIMIT);
    assert!(out.contains("planted"), "{out}");

    // Semaphore: every open-or-create form refuses, and changes nothing (no
    // initial value, no initialising semop: the last pid is still the child's).
    let sem = Semaphore::open(sem_key).unwrap(); // plain open: unchanged
    assert!(!sem.created());
    assert_eq!(sem.uid().unwrap(), NOBODY);
    for (what, r) in [
        ("Semaphore::create", Semaphore::create(sem_key, 1)),
        (
            "options().create(true)",
            Semaphore::options()
                .create(true)
                .initial_value(1)
                .open(sem_key),
        ),
        (
            "flags(IPC_CREAT)",
            Semaphore::options()
                .flags(IPC_CREAT)
                .initial_value(1)
                .open(sem_key),
        ),
    ] {
        let e = r.unwrap_err();
        assert_foreign(&e, what);
        assert_eq!(e.operation(), "semget");
        assert!(e.message().contains(&sem_key.to_string()), "{e}");
    }
    assert_eq!(sem.value().unwrap(), 7);
    assert_eq!(sem.last_pid().unwrap(), Some(child_pid));
    let e = Semaphore::create_new(sem_key, 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    // The setters apply in any order: here the permission comes first.
    let adopted = Semaphore::options()
        .allow_foreign_owner(true)
        .create(true)
        .initial_value(1)
        .open(sem_key)
        .unwrap();
    assert!(!adopted.created());
    assert_eq!(adopted.value().unwrap(), 7);
    assert_eq!(adopted.last_pid().unwrap(), Some(child_pid));

    // Semaphore set.
    let e = SemaphoreSet::options()
        .create(true)
        .len(3)
        .initial_value(9)
        .open(set_key)
        .unwrap_err();
    assert_foreign(&e, "SemaphoreSet create(true)");
    let set = SemaphoreSet::options()
        .allow_foreign_owner(true)
        .create(true)
        .len(3)
        .initial_value(9)
        .open(set_key)
        .unwrap();
    assert!(!set.created());
    assert_eq!(set.values().unwrap(), [1, 2, 3]);

    // Shared memory: refused before any attach or fill.
    for (what, r) in [
        ("SharedMemory::create", SharedMemory::create(shm_key, 4096)),
        (
            "options().create(true).init_byte",
            SharedMemory::options()
                .create(true)
                .init_byte(b'!')
                .open(shm_key),
        ),
        (
            "flags(IPC_CREAT)",
            SharedMemory::options()
                .flags(IPC_CREAT)
                .init_byte(b'!')
                .open(shm_key),
        ),
    ] {
        assert_foreign(&r.unwrap_err(), what);
    }
    let seg = SharedMemory::open(shm_key).unwrap();
    assert!(!seg.created());
    assert_eq!(seg.number_attached().unwrap(), 0);
    let seg = SharedMemory::options()
        .allow_foreign_owner(true)
        .create(true)
        .init_byte(b'!')
        .open(shm_key)
        .unwrap();
    assert!(!seg.created());
    assert!(seg.read_to_end(0).unwrap().iter().all(|&b| b == b'S'));

    // Message queue.
    for (what, r) in [
        ("MessageQueue::create", MessageQueue::create(msg_key)),
        (
            "flags(IPC_CREAT)",
            MessageQueue::options().flags(IPC_CREAT).open(msg_key),
        ),
    ] {
        assert_foreign(&r.unwrap_err(), what);
    }
    let q = MessageQueue::options()
        .allow_foreign_owner(true)
        .create(true)
        .open(msg_key)
        .unwrap();
    assert!(!q.created());
    assert_eq!(q.current_messages().unwrap(), 1);
    assert_eq!(
        q.receive_vec(Selector::Any, Wait::NoWait).unwrap().data,
        b"planted"
    );

    // Owned by root, but created by nobody: still refused, naming the creator.
    let given = Semaphore::open(given_key).unwrap();
    let p = given.permissions().unwrap();
    assert_eq!((p.uid, p.cuid), (0, NOBODY));
    let e = Semaphore::create(given_key, 1).unwrap_err();
    assert_foreign(&e, "handed-over semaphore");
    assert!(e.message().contains("handed it to uid 0"), "{e}");
}

#[test]
fn an_owner_that_cannot_be_read_is_not_trusted() {
    const TEST: &str = "security::an_owner_that_cannot_be_read_is_not_trusted";
    if let Some(args) = testkit::child_args(TEST) {
        let key = key_arg(&args, 0);
        match args[1].as_str() {
            "plant" => {
                testkit::become_user(NOBODY);
                // Others may write (send) but not read, so not IPC_STAT either.
                MessageQueue::options()
                    .create_new(true)
                    .mode(0o622)
                    .open(key)
                    .unwrap();
            }
            "victim" => {
                testkit::become_user(NOBODY - 1);
                let e = MessageQueue::options()
                    .create(true)
                    .mode(0o200)
                    .open(key)
                    .unwrap_err();
                assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
                assert!(e.message().contains("cannot be checked"), "{e}");
                let q = MessageQueue::options()
                    .create(true)
                    .mode(0o200)
                    .allow_foreign_owner(true)
                    .open(key)
                    .unwrap();
                assert!(!q.created());
                q.send(b"trusted on purpose", 5, Wait::NoWait).unwrap();
            }
            other => panic!("unknown role {other}"),
        }
        println!("{} done", args[1]);
        return;
    }
    if !is_root() {
        println!("skipped: needs root to run children as other users");
        return;
    }
    let (key, _key_guard) = crate::msg_support::unused_key();
    let k = key.as_raw().to_string();
    for role in ["plant", "victim"] {
        let out = testkit::spawn_child(TEST, &[&k, role]).wait_success(LIMIT);
        assert!(out.contains("done"), "{out}");
    }
    let q = MessageQueue::open(key).unwrap();
    assert_eq!(q.receive_vec(Selector::Any, Wait::NoWait).unwrap().mtype, 5);
}

#[test]
fn created_tells_whether_this_call_made_the_object() {
    let (key, _key_guard) = crate::sem_support::unused_key();
    let first = Semaphore::create(key, 3).unwrap();
    assert!(first.created());
    assert!(!Semaphore::create(key, 3).unwrap().created());
    assert!(!Semaphore::open(key).unwrap().created());
    assert!(!Semaphore::from_id(first.id()).unwrap().created());
    first.remove().unwrap();
    let sem = Semaphore::create_unique(0).unwrap().remove_on_drop();
    assert!(sem.created());

    let (key, _key_guard) = crate::sem_support::unused_key();
    let set = SemaphoreSet::options()
        .create(true)
        .len(2)
        .open(key)
        .unwrap();
    assert!(set.created());
    let again = SemaphoreSet::options()
        .create(true)
        .len(2)
        .open(key)
        .unwrap();
    assert!(!again.created());
    assert!(!SemaphoreSet::from_id(set.id()).unwrap().created());
    let private = SemaphoreSet::options().len(1).open(Key::PRIVATE).unwrap();
    assert!(private.created());
    private.remove().unwrap();

    let (key, _key_guard) = crate::shm_support::unused_key();
    let seg = SharedMemory::create(key, 64).unwrap();
    assert!(seg.created());
    assert!(!SharedMemory::create(key, 64).unwrap().created());
    assert!(!SharedMemory::open(key).unwrap().created());
    assert!(!SharedMemory::from_id(seg.id()).unwrap().created());
    let private = SharedMemory::options().open(Key::PRIVATE).unwrap();
    assert!(private.created());
    private.remove().unwrap();
    let unique = SharedMemory::create_unique(64).unwrap().remove_on_drop();
    assert!(unique.created());

    let (key, _key_guard) = crate::msg_support::unused_key();
    let q = MessageQueue::create(key).unwrap();
    assert!(q.created());
    assert!(!MessageQueue::create(key).unwrap().created());
    assert!(!MessageQueue::open(key).unwrap().created());
    assert!(!MessageQueue::from_id(q.id()).unwrap().created());
    let private = MessageQueue::options().open(Key::PRIVATE).unwrap();
    assert!(private.created());
    private.remove().unwrap();
    let new = MessageQueue::create_unique().unwrap().remove_on_drop();
    assert!(new.created());
}

#[test]
fn modes_are_not_masked_by_the_umask() {
    const TEST: &str = "security::modes_are_not_masked_by_the_umask";
    if let Some(args) = testkit::child_args(TEST) {
        // SAFETY: umask has no preconditions; this child process is ours.
        unsafe { libc::umask(0o077) };
        let sem = Semaphore::options()
            .create_new(true)
            .mode(0o666)
            .open(key_arg(&args, 0))
            .unwrap();
        let seg = SharedMemory::options()
            .create_new(true)
            .mode(0o646)
            .open(key_arg(&args, 1))
            .unwrap();
        let q = MessageQueue::options()
            .create_new(true)
            .mode(0o664)
            .open(key_arg(&args, 2))
            .unwrap();
        let modes = [
            sem.mode().unwrap().bits(),
            seg.mode().unwrap().bits(),
            q.mode().unwrap().bits(),
        ];
        assert_eq!(modes, [0o666, 0o646, 0o664]);
        println!("modes kept");
        return;
    }
    let (sem_key, _sem_guard) = crate::sem_support::unused_key();
    let (shm_key, _shm_guard) = crate::shm_support::unused_key();
    let (msg_key, _msg_guard) = crate::msg_support::unused_key();
    let keys = [sem_key, shm_key, msg_key].map(|k| k.as_raw().to_string());
    let out = testkit::spawn_child(TEST, &[&keys[0], &keys[1], &keys[2]]).wait_success(LIMIT);
    assert!(out.contains("modes kept"), "{out}");
}

#[test]
fn modes_above_0o777_are_refused_for_every_kind() {
    let (sem_key, _sem_key_guard) = crate::sem_support::unused_key();
    let (shm_key, _shm_key_guard) = crate::shm_support::unused_key();
    let (msg_key, _msg_key_guard) = crate::msg_support::unused_key();
    for bad in [0o1000, 0o4600, 0o7777, u32::MAX] {
        for e in [
            Semaphore::options()
                .create(true)
                .mode(bad)
                .open(sem_key)
                .err(),
            SemaphoreSet::options()
                .create(true)
                .len(1)
                .mode(bad)
                .open(sem_key)
                .err(),
            SharedMemory::options()
                .create(true)
                .mode(bad)
                .open(shm_key)
                .err(),
            MessageQueue::options()
                .create(true)
                .mode(bad)
                .open(msg_key)
                .err(),
        ] {
            let e = e.expect("a mode above 0o777 must be refused");
            assert!(e.is_invalid_input(), "{e}");
            assert!(e.message().contains("0o777"), "{e}");
        }
    }
    // Nothing was created by the refused calls.
    assert_eq!(
        Semaphore::open(sem_key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let sem = Semaphore::create(sem_key, 0).unwrap();
    let set = SemaphoreSet::options()
        .len(2)
        .create_unique()
        .unwrap()
        .remove_on_drop();
    let seg = SharedMemory::create(shm_key, 64).unwrap();
    let q = MessageQueue::create(msg_key).unwrap();
    for bad in [0o1600, 0o2600, 0o4600, 0o7777] {
        for e in [
            sem.set_mode(bad).unwrap_err(),
            set.set_mode(bad).unwrap_err(),
            seg.set_mode(bad).unwrap_err(),
            q.set_mode(bad).unwrap_err(),
        ] {
            assert!(e.is_invalid_input(), "{e}");
        }
    }
    assert_eq!(sem.mode().unwrap().bits(), 0o600);
    assert_eq!(set.mode().unwrap().bits(), 0o600);
    assert_eq!(seg.mode().unwrap().permissions().bits(), 0o600);
    assert_eq!(q.mode().unwrap().bits(), 0o600);
}
