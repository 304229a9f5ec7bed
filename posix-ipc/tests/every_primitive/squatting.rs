//! Name squatting: another user creates a name first, with mode 0o666, and
//! waits for this program's open-or-create to adopt it. A child process
//! dropped to `nobody` plants one object of each kind; the test (as root)
//! must refuse them with `ForeignOwner` unless it opts in.

use crate::support;

use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use posix_ipc::{
    ErrorKind, MessageQueue, O_CREAT, Semaphore, SharedMemory, unlink_message_queue,
    unlink_semaphore, unlink_shared_memory,
};

/// Unlinks the three planted objects when dropped, also when the test fails.
/// By name, not with `UnlinkOnDrop`: the test must hold no handle of them
/// while it checks that every refused open closed its own.
struct Planted {
    sem: String,
    shm: String,
    mq: String,
}

impl Drop for Planted {
    fn drop(&mut self) {
        let _ = unlink_semaphore(self.sem.as_str());
        let _ = unlink_shared_memory(self.shm.as_str());
        let _ = unlink_message_queue(self.mq.as_str());
    }
}

/// The descriptor's `(st_dev, st_ino)`.
fn fd_id(fd: &impl AsFd) -> (u64, u64) {
    let st = nix::sys::stat::fstat(fd.as_fd()).unwrap();
    // `st_ino` is 32 bits on i686.
    #[allow(clippy::useless_conversion)]
    (st.st_dev, u64::from(st.st_ino))
}

fn assert_foreign(e: &posix_ipc::Error) {
    assert_eq!(e.kind(), ErrorKind::ForeignOwner, "{e}");
    assert!(e.is_permissions());
    assert!(e.message().contains("uid 65534"), "{e}");
    assert!(e.message().contains("allow_foreign_owner(true)"), "{e}");
}

#[test]
fn open_or_create_refuses_objects_planted_by_another_user() {
    const TEST: &str = "squatting::open_or_create_refuses_objects_planted_by_another_user";
    if let Some(args) = testkit::child_args(TEST) {
        // The squatter: nobody, with a umask that lets mode 0o666 through.
        testkit::become_nobody();
        support::set_umask(0);
        let sem = Semaphore::options()
            .create_new(true)
            .mode(0o666)
            .initial_value(7)
            .open(args[0].as_str())
            .unwrap();
        let shm = SharedMemory::options()
            .create_new(true)
            .mode(0o666)
            .size(4096)
            .open(args[1].as_str())
            .unwrap();
        shm.map().unwrap().write_at(0, b"planted").unwrap();
        let q = MessageQueue::options()
            .create_new(true)
            .mode(0o666)
            .max_messages(2)
            .max_message_size(16)
            .open(args[2].as_str())
            .unwrap();
        assert_eq!(
            (sem.mode().bits(), shm.mode().unwrap().bits()),
            (0o666, 0o666)
        );
        assert_eq!(q.mode().unwrap().bits(), 0o666);
        println!("planted");
        return;
    }
    if !testkit::is_root() {
        support::skip(TEST, "needs root to start the squatter as uid 65534");
        return;
    }
    let planted = Planted {
        sem: crate::support::fresh_name(),
        shm: crate::support::fresh_name(),
        mq: crate::support::fresh_name(),
    };
    let out = testkit::spawn_child(TEST, &[&planted.sem, &planted.shm, &planted.mq])
        .wait_success(Duration::from_secs(60));
    assert!(out.contains("planted"), "{out}");

    // Semaphore: every open-or-create form refuses, closes what it opened and
    // applies nothing (not the initial value).
    // glibc keeps the semaphore "/x" in /dev/shm/sem.x, musl in /dev/shm/x.
    let prefix = if cfg!(target_env = "musl") {
        ""
    } else {
        "sem."
    };
    let sem_file = format!("/dev/shm/{prefix}{}", &planted.sem[1..]);
    let sem_id = support::file_id(&sem_file);
    for e in [
        Semaphore::create(planted.sem.as_str(), 1).unwrap_err(),
        Semaphore::options()
            .flags(O_CREAT)
            .initial_value(2)
            .open(planted.sem.as_str())
            .unwrap_err(),
    ] {
        assert_foreign(&e);
        assert!(e.message().contains(&sem_file), "{e}");
        assert!(!support::is_mapped(sem_id), "the refused handle is closed");
    }
    // The setters apply in any order: here the permission comes first.
    let sem = Semaphore::options()
        .allow_foreign_owner(true)
        .create(true)
        .initial_value(1)
        .open(planted.sem.as_str())
        .unwrap();
    assert!(!sem.created());
    assert_eq!(sem.value().unwrap(), 7, "the squatter's value, untouched");
    assert_eq!(
        Semaphore::create_new(planted.sem.as_str(), 1)
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert!(!Semaphore::open(planted.sem.as_str()).unwrap().created());
    drop(sem);

    // Shared memory: refused before any resize or truncation.
    let shm = SharedMemory::open(planted.shm.as_str()).unwrap();
    assert_eq!(shm.uid().unwrap(), testkit::NOBODY);
    let shm_id = fd_id(&shm);
    let before = support::descriptors_of(shm_id);
    for e in [
        SharedMemory::create(planted.shm.as_str(), 8192).unwrap_err(),
        SharedMemory::options()
            .create(true)
            .truncate(true)
            .open(planted.shm.as_str())
            .unwrap_err(),
        SharedMemory::options()
            .flags(O_CREAT)
            .open(planted.shm.as_str())
            .unwrap_err(),
    ] {
        assert_foreign(&e);
        assert!(e.message().contains(&planted.shm), "{e}");
        assert_eq!(support::descriptors_of(shm_id), before, "closed");
    }
    assert_eq!(shm.size().unwrap(), 4096);
    assert_eq!(shm.map().unwrap().read_vec(0, 7).unwrap(), b"planted");
    let adopted = SharedMemory::options()
        .allow_foreign_owner(true)
        .create(true)
        .open(planted.shm.as_str())
        .unwrap();
    assert!(!adopted.created());
    assert_eq!(
        SharedMemory::create_new(planted.shm.as_str(), 1)
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );

    // Message queue.
    let q = MessageQueue::open(planted.mq.as_str()).unwrap();
    let q_id = fd_id(&q);
    let before = support::descriptors_of(q_id);
    for e in [
        MessageQueue::create(planted.mq.as_str()).unwrap_err(),
        MessageQueue::options()
            .flags(O_CREAT)
            .max_message_size(64)
            .open(planted.mq.as_str())
            .unwrap_err(),
    ] {
        assert_foreign(&e);
        assert!(e.message().contains(&planted.mq), "{e}");
        assert_eq!(support::descriptors_of(q_id), before, "closed");
    }
    let adopted = MessageQueue::options()
        .allow_foreign_owner(true)
        .create(true)
        .open(planted.mq.as_str())
        .unwrap();
    assert!(!adopted.created());
    assert_eq!(adopted.max_message_size(), 16, "the squatter's queue");
    assert_eq!(
        MessageQueue::create_new(planted.mq.as_str())
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        std::fs::metadata(&sem_file).unwrap().uid(),
        testkit::NOBODY,
        "nothing changed owner"
    );
}

/// Root's objects are trusted (root can read and change anything anyway), and
/// so are this user's own: an open-or-create adopts them without opting in.
#[test]
fn objects_of_this_user_are_adopted() {
    let sem = Semaphore::create_unique(3).unwrap().unlink_on_drop();
    let again = Semaphore::create(sem.name(), 0).unwrap();
    assert!(!again.created());
    assert_eq!(again.value().unwrap(), 3);
    let shm = SharedMemory::create_unique(64).unwrap().unlink_on_drop();
    assert!(
        !SharedMemory::create(shm.name().unwrap(), 64)
            .unwrap()
            .created()
    );
    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    assert!(!MessageQueue::create(q.name().unwrap()).unwrap().created());
}
