//! Rust against real peers: every primitive is made by one side and inspected
//! and changed by the other, with the C program and with Python's
//! `posix_ipc`/`sysv_ipc`. Names/keys, values, sizes, mode bits, contents,
//! priorities and types must agree.
//!
//! Each scenario is one function taking the peer; the `peers!` macro runs it
//! against C (a plain test), against Python with PyPI's packages and against
//! Python with the project's drop-ins (ignored tests that `cargo xtask test`
//! runs with `--ignored` once it has made both virtual environments, so
//! without Python they show as ignored, never as passed).

use interop::{MQ_PRIOS, MSG_TYPES, Peer, pattern_bytes};

/// Removes a POSIX object by name when dropped (also when a test fails).
struct PosixName {
    kind: &'static str,
    name: String,
}

impl PosixName {
    fn new(kind: &'static str, tag: &str) -> PosixName {
        PosixName {
            kind,
            name: testkit::unique_name(tag),
        }
    }
}

impl Drop for PosixName {
    fn drop(&mut self) {
        let _ = match self.kind {
            "sem" => posix_ipc::unlink_semaphore(self.name.as_str()),
            "shm" => posix_ipc::unlink_shared_memory(self.name.as_str()),
            "mq" => posix_ipc::unlink_message_queue(self.name.as_str()),
            _ => Ok(()),
        };
    }
}

/// Removes the System V objects with a key when dropped.
struct SysvKey(i32);

impl SysvKey {
    fn new() -> SysvKey {
        SysvKey(testkit::unique_key())
    }

    fn hex(&self) -> String {
        format!("{:#x}", self.0)
    }
}

impl Drop for SysvKey {
    fn drop(&mut self) {
        if let Ok(s) = sysv_ipc::Semaphore::open(sysv_ipc::Key::new(self.0)) {
            let _ = s.remove();
        }
        if let Ok(m) = sysv_ipc::SharedMemory::open(sysv_ipc::Key::new(self.0)) {
            let _ = m.remove();
        }
        if let Ok(q) = sysv_ipc::MessageQueue::open(sysv_ipc::Key::new(self.0)) {
            let _ = q.remove();
        }
    }
}

// ---- POSIX semaphores ----
//
// Only where this target's C library lays out and wakes a named semaphore as
// the peers' (glibc, 64-bit) does; tests/named_semaphores.rs establishes
// what happens elsewhere.

#[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
fn posix_semaphore_made_by_rust(peer: &Peer) {
    let name = PosixName::new("sem", "isem");
    let sem = posix_ipc::Semaphore::options()
        .create_new(true)
        .mode(0o640)
        .initial_value(3)
        .open(name.name.as_str())
        .unwrap();
    let report = peer.run(&["psem", "inspect", &name.name]);
    assert_eq!(
        report.num("value"),
        3,
        "the {} peer sees Rust's value",
        peer.label()
    );
    assert!(report.has_line("posted"));
    assert_eq!(
        sem.value().unwrap(),
        4,
        "Rust sees the {} peer's post",
        peer.label()
    );
}

#[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
fn posix_semaphore_made_by_peer(peer: &Peer) {
    let name = PosixName::new("sem", "isem");
    peer.run(&["psem", "make", &name.name, "5", "0640"]);
    let sem = posix_ipc::Semaphore::open(name.name.as_str()).unwrap();
    assert_eq!(sem.value().unwrap(), 5);
    assert_eq!(sem.mode().permissions().bits(), 0o640);
    sem.acquire(posix_ipc::Timeout::Immediate).unwrap();
    assert_eq!(peer.run(&["psem", "inspect", &name.name]).num("value"), 4);
}

#[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
fn posix_semaphore_wait_woken_by_peer(peer: &Peer) {
    use std::time::Duration;
    let name = PosixName::new("sem", "isem");
    let sem = posix_ipc::Semaphore::options()
        .create_new(true)
        .initial_value(0)
        .open(name.name.as_str())
        .unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| sem.acquire(posix_ipc::Timeout::After(Duration::from_secs(20))));
        std::thread::sleep(Duration::from_millis(50));
        peer.run(&["psem", "inspect", &name.name]);
        waiter
            .join()
            .unwrap()
            .expect("the peer's post wakes the Rust waiter");
    });
    assert_eq!(sem.value().unwrap(), 0);
}

// ---- POSIX shared memory ----

fn posix_shared_memory_made_by_rust(peer: &Peer) {
    let name = PosixName::new("shm", "ishm");
    let shm = posix_ipc::SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(1000)
        .open(name.name.as_str())
        .unwrap();
    let map = shm.map().unwrap();
    map.write_at(0, &pattern_bytes(1000)).unwrap();
    let report = peer.run(&["pshm", "inspect", &name.name]);
    assert_eq!(report.num("size"), 1000);
    assert_eq!(report.get("mode"), "0600");
    assert_eq!(
        report.get("pattern"),
        "ok",
        "the {} peer reads Rust's bytes",
        peer.label()
    );
    let inverted: Vec<u8> = pattern_bytes(1000).iter().map(|b| !b).collect();
    assert_eq!(
        map.read_vec(0, 1000).unwrap(),
        inverted,
        "Rust reads the peer's bytes"
    );
}

fn posix_shared_memory_made_by_peer(peer: &Peer) {
    let name = PosixName::new("shm", "ishm");
    peer.run(&["pshm", "make", &name.name, "777", "0640"]);
    let shm = posix_ipc::SharedMemory::open(name.name.as_str()).unwrap();
    assert_eq!(shm.size().unwrap(), 777);
    assert_eq!(shm.mode().unwrap().permissions().bits(), 0o640);
    assert_eq!(
        shm.map().unwrap().read_vec(0, 777).unwrap(),
        pattern_bytes(777)
    );
}

// ---- POSIX message queues ----

/// The `prio:payload` lines a receiver must see for the messages `make`
/// sends: highest priority first, first-in first-out within a priority.
fn priority_order(tag: &str) -> Vec<String> {
    let mut sent: Vec<(usize, u32)> = MQ_PRIOS.iter().copied().enumerate().collect();
    sent.sort_by_key(|&(i, p)| (std::cmp::Reverse(p), i));
    sent.iter()
        .map(|(i, p)| format!("{p}:{tag}-{i}-prio-{p}"))
        .collect()
}

fn posix_queue_made_by_rust(peer: &Peer) {
    let name = PosixName::new("mq", "imq");
    let q = posix_ipc::MessageQueue::options()
        .create_new(true)
        .mode(0o600)
        .max_messages(8)
        .max_message_size(64)
        .open(name.name.as_str())
        .unwrap();
    for (i, p) in MQ_PRIOS.iter().enumerate() {
        q.send(format!("rust-{i}-prio-{p}").as_bytes(), *p).unwrap();
    }
    let report = peer.run(&["pmq", "inspect", &name.name]);
    assert_eq!(report.num("maxmsg"), 8);
    assert_eq!(report.num("msgsize"), 64);
    assert_eq!(report.num("curmsgs"), 6);
    assert_eq!(
        report.all("recv").collect::<Vec<_>>(),
        priority_order("rust")
    );
    let mut buf = [0u8; 64];
    let (n, prio) = q
        .receive_timeout(&mut buf, posix_ipc::Timeout::Immediate)
        .unwrap();
    assert_eq!(
        (&buf[..n], prio),
        (format!("from-{}", peer.tag()).as_bytes(), 9)
    );
}

fn posix_queue_made_by_peer(peer: &Peer) {
    let name = PosixName::new("mq", "imq");
    peer.run(&["pmq", "make", &name.name, "8", "64", "0640"]);
    let q = posix_ipc::MessageQueue::open(name.name.as_str()).unwrap();
    assert_eq!(q.max_messages(), 8);
    assert_eq!(q.max_message_size(), 64);
    assert_eq!(q.mode().unwrap().permissions().bits(), 0o640);
    assert_eq!(q.current_messages().unwrap(), 6);
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while let Ok((n, prio)) = q.receive_timeout(&mut buf, posix_ipc::Timeout::Immediate) {
        got.push(format!("{prio}:{}", String::from_utf8_lossy(&buf[..n])));
    }
    assert_eq!(got, priority_order(peer.tag()));
}

// ---- System V semaphores ----

fn sysv_semaphore_made_by_rust(peer: &Peer) {
    let key = SysvKey::new();
    let sem = sysv_ipc::Semaphore::options()
        .create_new(true)
        .mode(0o600)
        .initial_value(2)
        .open(sysv_ipc::Key::new(key.0))
        .unwrap();
    let report = peer.run(&["ssem", "inspect", &key.hex()]);
    assert_eq!(report.num("id"), i64::from(sem.id()));
    assert_eq!(report.num("nsems"), 1);
    assert_eq!(report.get("mode"), "0600");
    assert_eq!(report.num("value"), 2);
    assert_eq!(
        sem.value().unwrap(),
        3,
        "Rust sees the {} peer's semop",
        peer.label()
    );
}

fn sysv_semaphore_made_by_peer(peer: &Peer) {
    let key = SysvKey::new();
    let made = peer.run(&["ssem", "make", &key.hex(), "4", "0640"]);
    let sem = sysv_ipc::Semaphore::open(sysv_ipc::Key::new(key.0)).unwrap();
    assert_eq!(i64::from(sem.id()), made.num("id"));
    assert_eq!(sem.value().unwrap(), 4);
    assert_eq!(sem.mode().unwrap().permissions().bits(), 0o640);
    sem.acquire(4, sysv_ipc::Timeout::Immediate).unwrap();
    assert_eq!(peer.run(&["ssem", "inspect", &key.hex()]).num("value"), 0);
    assert_eq!(sem.value().unwrap(), 1);
}

// ---- System V shared memory ----

fn sysv_shared_memory_made_by_rust(peer: &Peer) {
    let key = SysvKey::new();
    let shm = sysv_ipc::SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(5000)
        .open(sysv_ipc::Key::new(key.0))
        .unwrap();
    shm.write(0, &pattern_bytes(5000)).unwrap();
    let report = peer.run(&["sshm", "inspect", &key.hex()]);
    assert_eq!(report.num("id"), i64::from(shm.id()));
    assert_eq!(report.num("size"), 5000);
    assert_eq!(report.get("mode"), "0600");
    assert_eq!(report.get("pattern"), "ok");
    let inverted: Vec<u8> = pattern_bytes(5000).iter().map(|b| !b).collect();
    assert_eq!(shm.read(0, 5000).unwrap(), inverted);
}

fn sysv_shared_memory_made_by_peer(peer: &Peer) {
    let key = SysvKey::new();
    let made = peer.run(&["sshm", "make", &key.hex(), "300", "0640"]);
    let shm = sysv_ipc::SharedMemory::open(sysv_ipc::Key::new(key.0)).unwrap();
    assert_eq!(i64::from(shm.id()), made.num("id"));
    assert_eq!(shm.size().unwrap(), 300);
    assert_eq!(shm.mode().unwrap().permissions().bits(), 0o640);
    assert_eq!(shm.read(0, 300).unwrap(), pattern_bytes(300));
}

// ---- System V message queues ----

fn sysv_queue_made_by_rust(peer: &Peer) {
    use sysv_ipc::{Selector, Wait};
    let key = SysvKey::new();
    let q = sysv_ipc::MessageQueue::options()
        .create_new(true)
        .mode(0o600)
        .open(sysv_ipc::Key::new(key.0))
        .unwrap();
    for (i, t) in MSG_TYPES.iter().enumerate() {
        q.send(format!("rust-{i}-type-{t}").as_bytes(), *t, Wait::NoWait)
            .unwrap();
    }
    let report = peer.run(&["smsg", "inspect", &key.hex()]);
    assert_eq!(report.num("qnum"), 4);
    assert_eq!(report.get("mode"), "0600");
    let expected: Vec<String> = MSG_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{t}:rust-{i}-type-{t}"))
        .collect();
    assert_eq!(
        report.all("recv").collect::<Vec<_>>(),
        expected,
        "FIFO order and types"
    );
    let m = q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
    assert_eq!(m.mtype, 7);
    assert_eq!(m.data, format!("from-{}", peer.tag()).as_bytes());
}

fn sysv_queue_made_by_peer(peer: &Peer) {
    use sysv_ipc::{ErrorKind, Selector, Wait};
    let key = SysvKey::new();
    let made = peer.run(&["smsg", "make", &key.hex(), "0640"]);
    let q = sysv_ipc::MessageQueue::open(sysv_ipc::Key::new(key.0)).unwrap();
    assert_eq!(i64::from(q.id()), made.num("id"));
    assert_eq!(q.mode().unwrap().permissions().bits(), 0o640);
    assert_eq!(q.current_messages().unwrap(), 4);
    let tag = peer.tag();
    // Selectors against the peer's messages: types 3, 1, 2, 1 in that order.
    let m = q.receive_vec(Selector::Type(1), Wait::NoWait).unwrap();
    assert_eq!(
        (m.mtype, m.data),
        (1, format!("{tag}-1-type-1").into_bytes())
    );
    let m = q.receive_vec(Selector::UpTo(2), Wait::NoWait).unwrap();
    assert_eq!(
        (m.mtype, m.data),
        (1, format!("{tag}-3-type-1").into_bytes())
    );
    let m = q.receive_vec(Selector::Except(3), Wait::NoWait).unwrap();
    assert_eq!(
        (m.mtype, m.data),
        (2, format!("{tag}-2-type-2").into_bytes())
    );
    let m = q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
    assert_eq!(
        (m.mtype, m.data),
        (3, format!("{tag}-0-type-3").into_bytes())
    );
    let e = q.receive_vec(Selector::Any, Wait::NoWait).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
}

macro_rules! peers {
    ($($(#[$attr:meta])* $scenario:ident),* $(,)?) => {
        mod c {
            $(
                $(#[$attr])*
                #[test]
                fn $scenario() {
                    super::$scenario(&interop::Peer::C);
                }
            )*
        }
        mod python {
            $(
                $(#[$attr])*
                #[test]
                #[ignore = "needs Python's posix_ipc/sysv_ipc: `cargo xtask test` runs it"]
                fn $scenario() {
                    super::$scenario(&interop::Peer::python_required());
                }
            )*
        }
        mod dropins {
            $(
                $(#[$attr])*
                #[test]
                #[ignore = "needs the Python drop-ins: `cargo xtask test` builds and runs them"]
                fn $scenario() {
                    super::$scenario(&interop::Peer::dropins_required());
                }
            )*
        }
    };
}

peers!(
    #[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
    posix_semaphore_made_by_rust,
    #[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
    posix_semaphore_made_by_peer,
    #[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
    posix_semaphore_wait_woken_by_peer,
    posix_shared_memory_made_by_rust,
    posix_shared_memory_made_by_peer,
    posix_queue_made_by_rust,
    posix_queue_made_by_peer,
    sysv_semaphore_made_by_rust,
    sysv_semaphore_made_by_peer,
    sysv_shared_memory_made_by_rust,
    sysv_shared_memory_made_by_peer,
    sysv_queue_made_by_rust,
    sysv_queue_made_by_peer,
);
