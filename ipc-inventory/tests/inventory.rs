//! The inventory against real objects and real processes: what it lists,
//! which verdicts it gives to objects in use, to the objects of a process
//! killed with SIGKILL, and what another user sees.
//!
//! The POSIX semaphores here are made with `posix-ipc`, and so with the C
//! library of the build: built for musl they are musl's semaphores, plain
//! files under their bare name in `/dev/shm`, which the inventory (like any
//! tool) cannot tell from shared memory. The musl build of the inventory is
//! tested against glibc objects by `interop/tests/leftovers.rs` instead.
#![cfg(all(target_os = "linux", not(target_env = "musl")))]

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ipc_common::ErrorKind;
use ipc_inventory::{Cleared, Kind, Object, Scan, Staleness};
use sysv_ipc::{Key, Selector, Wait};

/// Removes, when dropped (also when a test fails), every object named here
/// or carrying one of these keys.
#[derive(Default)]
struct Guard {
    names: Vec<String>,
    keys: Vec<i32>,
}

impl Guard {
    fn name(&mut self, tag: &str) -> String {
        let name = testkit::unique_name(tag);
        self.names.push(name.clone());
        name
    }

    fn key(&mut self) -> i32 {
        let key = testkit::unique_key();
        self.keys.push(key);
        key
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Ok(inventory) = Scan::new().processes(false).run() else {
            return;
        };
        for o in inventory.objects {
            let named = o
                .name
                .as_ref()
                .is_some_and(|n| self.names.iter().any(|m| n == m.as_str()));
            if named || o.key.is_some_and(|k| self.keys.contains(&k)) {
                let _ = ipc_inventory::remove(&o);
            }
        }
    }
}

/// Serialises the tests of this binary: a scan briefly opens the objects it
/// asks the kernel about, which another test's scan would see as a holder.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn me() -> libc::pid_t {
    // SAFETY: getpid has no preconditions.
    unsafe { libc::getpid() }
}

fn euid() -> libc::uid_t {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// The kind under which the inventory lists a semaphore this program made:
/// glibc keeps the semaphore `/x` in `/dev/shm/sem.x`, which the inventory
/// lists as a semaphore; musl keeps it in `/dev/shm/x`, the file of the
/// shared memory object `/x`, which nothing tells apart from shared memory,
/// so there it is listed (and cleared) as shared memory.
const SEM_KIND: Kind = if cfg!(target_env = "musl") {
    Kind::PosixSharedMemory
} else {
    Kind::PosixSemaphore
};

/// The prefix of a semaphore's file name in `/dev/shm` (see [`SEM_KIND`]).
const SEM_FILE_PREFIX: &str = if cfg!(target_env = "musl") {
    ""
} else {
    "sem."
};

fn find<'a>(objects: &'a [Object], kind: Kind, label: &str) -> &'a Object {
    objects
        .iter()
        .find(|o| o.kind == kind && o.label() == label)
        .unwrap_or_else(|| panic!("{kind} {label} not listed"))
}

fn key_label(key: i32) -> String {
    ipc_inventory::format_key(key)
}

#[test]
fn posix_objects_with_sizes_owners_and_holders() {
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let (shm_name, sem_name, mq_name) = (guard.name("ishm"), guard.name("isem"), guard.name("imq"));
    let shm = posix_ipc::SharedMemory::options()
        .create_new(true)
        .mode(0o640)
        .size(12_345)
        .open(shm_name.as_str())
        .unwrap();
    let mapping = shm.map().unwrap();
    let sem = posix_ipc::Semaphore::create_new(sem_name.as_str(), 3).unwrap();
    let have_mqueue = ipc_inventory::mqueue_mount().is_some();
    let mq = posix_ipc::MessageQueue::options()
        .create_new(true)
        .max_messages(5)
        .max_message_size(100)
        .open(mq_name.as_str())
        .unwrap();
    mq.send(b"0123456789", 1).unwrap();
    mq.send(b"abc", 2).unwrap();

    let inventory = ipc_inventory::list().unwrap();
    let summary = inventory.processes.as_ref().unwrap();
    assert!(summary.inspected >= 1, "not even this process: {summary:?}");
    let o = find(&inventory.objects, Kind::PosixSharedMemory, &shm_name);
    assert_eq!(o.size, Some(12_345));
    assert_eq!(o.mode.bits(), 0o640);
    assert_eq!(o.uid, euid());
    assert_eq!(
        o.path.as_deref(),
        Some(std::path::Path::new(&format!("/dev/shm{shm_name}")))
    );
    assert!(o.times.modified.is_some() && o.times.changed.is_some());
    assert_eq!(
        (o.key, o.id, o.cuid, o.semaphores),
        (None, None, None, None)
    );
    let holder = o
        .holders
        .as_ref()
        .unwrap()
        .processes
        .iter()
        .find(|h| h.pid == me());
    let holder = holder.unwrap_or_else(|| panic!("this process holds {shm_name}: {o:#?}"));
    assert!(holder.open && holder.mapped, "{holder:?}");
    // The holder's command name, as `ps` shows it.
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    assert_eq!(
        holder.command.as_deref(),
        Some(comm.trim_end()),
        "{holder:?}"
    );
    assert!(matches!(&o.staleness, Staleness::InUse(r) if r.contains(&me().to_string())));

    let o = find(&inventory.objects, SEM_KIND, &sem_name);
    assert_eq!(
        o.path.as_deref(),
        Some(std::path::Path::new(&format!(
            "/dev/shm/{SEM_FILE_PREFIX}{}",
            &sem_name[1..]
        )))
    );
    if cfg!(target_env = "musl") {
        assert_eq!(
            o.size,
            Some(32),
            "listed as shared memory of a sem_t's size"
        );
    } else {
        assert_eq!(o.size, None, "a semaphore has no size");
    }
    let holder = o
        .holders
        .as_ref()
        .unwrap()
        .processes
        .iter()
        .find(|h| h.pid == me());
    assert!(
        holder.is_some_and(|h| h.mapped),
        "sem_open maps the file: {o:#?}"
    );
    assert!(matches!(o.staleness, Staleness::InUse(_)));

    if have_mqueue {
        assert!(inventory.mqueue_mount.is_some());
        let o = find(&inventory.objects, Kind::PosixMessageQueue, &mq_name);
        assert_eq!(
            (o.max_messages, o.message_size, o.messages),
            (Some(5), Some(100), Some(2))
        );
        assert!(o.queued_bytes.is_some_and(|b| b >= 13), "{o:#?}");
        assert_eq!(o.notification, None);
        let holder = o
            .holders
            .as_ref()
            .unwrap()
            .processes
            .iter()
            .find(|h| h.pid == me());
        assert!(holder.is_some_and(|h| h.open && !h.mapped), "{o:#?}");
    } else {
        assert!(inventory.mqueue_mount.is_none());
        assert!(
            inventory
                .objects
                .iter()
                .all(|o| o.kind != Kind::PosixMessageQueue)
        );
    }

    // Closed but not removed: nobody holds them any more, and the kernel
    // agrees where it is asked (this process owns them, so it may).
    drop((mapping, shm, sem, mq));
    let inventory = ipc_inventory::list().unwrap();
    for (kind, name) in [
        (Kind::PosixSharedMemory, &shm_name),
        (SEM_KIND, &sem_name),
        (Kind::PosixMessageQueue, &mq_name),
    ] {
        if kind == Kind::PosixMessageQueue && !have_mqueue {
            continue;
        }
        let o = find(&inventory.objects, kind, name);
        let holders = o.holders.as_ref().unwrap();
        assert!(holders.processes.is_empty(), "{o:#?}");
        // The kernel is asked when the walk could not see every process.
        let expected = if holders.complete { None } else { Some(false) };
        assert_eq!(holders.open_per_kernel, expected, "{o:#?}");
        assert!(o.is_stale(), "{o:#?}");
    }
}

#[test]
fn sysv_objects_with_sizes_pids_and_users() {
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let (k_sem, k_shm, k_msg, k_wait) = (guard.key(), guard.key(), guard.key(), guard.key());
    let set = sysv_ipc::SemaphoreSet::options()
        .create_new(true)
        .mode(0o640)
        .len(3)
        .open(Key::new(k_sem))
        .unwrap();
    set.release(1, 1).unwrap();
    let seg = sysv_ipc::SharedMemory::create_new(Key::new(k_shm), 8192).unwrap();
    let attachment = seg.attach().unwrap();
    let q = sysv_ipc::MessageQueue::create_new(Key::new(k_msg)).unwrap();
    q.send(b"hello", 1, Wait::NoWait).unwrap();
    q.send(b"world!", 2, Wait::NoWait).unwrap();
    // A thread blocked in msgrcv on a queue nobody ever sent to.
    let waiting = sysv_ipc::MessageQueue::create_new(Key::new(k_wait)).unwrap();
    std::thread::scope(|s| {
        let receiver = s.spawn(|| waiting.receive_vec(Selector::Type(9), Wait::Block));
        let blocked = testkit::eventually(Duration::from_secs(10), || {
            let inv = ipc_inventory::list().unwrap();
            find(&inv.objects, Kind::SysvMessageQueue, &key_label(k_wait))
                .blocked_pids
                .as_ref()
                .is_some_and(|p| p.contains(&me()))
        });
        let inventory = ipc_inventory::list().unwrap();
        waiting.send(b"wake", 9, Wait::NoWait).unwrap();
        receiver.join().unwrap().unwrap();
        assert!(blocked, "the blocked receiver is seen");

        let o = find(
            &inventory.objects,
            Kind::SysvSemaphoreSet,
            &key_label(k_sem),
        );
        assert_eq!((o.id, o.semaphores), (Some(set.id()), Some(3)));
        assert_eq!(
            (o.mode.bits(), o.uid, o.cuid),
            (0o640, euid(), Some(euid()))
        );
        // Semaphore 1 was released by this process (creation may have set
        // the others' values, which also records the pid).
        let pids = o.semaphore_pids.as_deref().unwrap();
        assert_eq!(pids.len(), 3);
        assert_eq!(pids[1], me(), "{o:#?}");
        assert!(pids.iter().all(|p| [0, me()].contains(p)), "{o:#?}");
        assert_eq!(o.waiters, Some(0));
        assert!(o.times.operated.is_some() && o.times.changed.is_some());
        assert!(
            matches!(&o.staleness, Staleness::InUse(r) if r.contains(&format!("pid {}", me()))),
            "{o:#?}"
        );

        let o = find(
            &inventory.objects,
            Kind::SysvSharedMemory,
            &key_label(k_shm),
        );
        assert_eq!(
            (o.id, o.size, o.attachments),
            (Some(seg.id()), Some(8192), Some(1))
        );
        assert_eq!((o.creator_pid, o.last_pid), (Some(me()), Some(me())));
        assert!(o.times.attached.is_some() && o.times.detached.is_none());
        assert!(matches!(&o.staleness, Staleness::InUse(r) if r.contains("attached 1")));

        let o = find(
            &inventory.objects,
            Kind::SysvMessageQueue,
            &key_label(k_msg),
        );
        assert_eq!(
            (o.id, o.messages, o.queued_bytes),
            (Some(q.id()), Some(2), Some(11))
        );
        assert_eq!((o.last_send_pid, o.last_receive_pid), (Some(me()), None));
        assert!(o.times.sent.is_some() && o.times.received.is_none());
        assert!(matches!(o.staleness, Staleness::InUse(_)));

        let o = find(
            &inventory.objects,
            Kind::SysvMessageQueue,
            &key_label(k_wait),
        );
        assert!(
            matches!(&o.staleness, Staleness::InUse(r) if r.contains("blocked")),
            "{o:#?}"
        );
    });
    drop(attachment);
}

/// The child half of the killed-run tests: makes a POSIX semaphore and
/// shared memory object and a System V set, segment and queue, uses each
/// once, then waits to be killed. A fourth argument `nobody` makes it do so
/// as uid 65534.
fn make_and_hang(args: &[String]) -> ! {
    let (sem, shm, key) = (&args[0], &args[1], args[2].parse::<i32>().unwrap());
    if args.get(3).is_some_and(|a| a == "nobody") {
        testkit::become_nobody();
    }
    let s = posix_ipc::Semaphore::create_new(sem.as_str(), 1).unwrap();
    s.acquire(posix_ipc::Timeout::Immediate).unwrap();
    let m = posix_ipc::SharedMemory::create_new(shm.as_str(), 4096).unwrap();
    let _mapping = m.map().unwrap();
    let set = sysv_ipc::SemaphoreSet::options()
        .create_new(true)
        .len(1)
        .open(Key::new(key))
        .unwrap();
    set.release(0, 1).unwrap();
    let seg = sysv_ipc::SharedMemory::create_new(Key::new(key), 4096).unwrap();
    let _attachment = seg.attach().unwrap();
    let q = sysv_ipc::MessageQueue::create_new(Key::new(key)).unwrap();
    q.send(b"left behind", 1, Wait::NoWait).unwrap();
    println!("ready");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Runs [`make_and_hang`] in a child (as uid 65534 when `as_nobody`), waits
/// until its last object exists, kills it with SIGKILL and reaps it. In
/// that child, which runs `test` again, the call becomes [`make_and_hang`]
/// (which never returns), so the test needs no child branch of its own.
fn killed_run(test: &str, sem: &str, shm: &str, key: i32, as_nobody: bool) {
    if let Some(args) = testkit::child_args(test) {
        make_and_hang(&args);
    }
    let user = if as_nobody { "nobody" } else { "" };
    let child = testkit::spawn_child(test, &[sem, shm, &key.to_string(), user]);
    let made = testkit::eventually(Duration::from_secs(30), || {
        sysv_ipc::MessageQueue::open(Key::new(key))
            .is_ok_and(|q| q.current_messages().unwrap_or(0) == 1)
    });
    child.signal(libc::SIGKILL);
    let out = child.wait(Duration::from_secs(30));
    assert!(made, "the child made its objects: {out:?}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{out:?}");
}

/// A killed run ([`killed_run`]) of `test` under a fresh prefix `tag`: its
/// semaphore and shared memory are named `<run>-<suffixes[0]>` and
/// `<run>-<suffixes[1]>`, and `guard` removes everything it made. Returns
/// the run's prefix, the two names and the System V key.
fn killed_run_named(
    test: &str,
    guard: &mut Guard,
    tag: &str,
    suffixes: [&str; 2],
    as_nobody: bool,
) -> (String, String, String, i32) {
    let run = guard.name(tag);
    let (sem, shm) = (
        format!("{run}-{}", suffixes[0]),
        format!("{run}-{}", suffixes[1]),
    );
    guard.names.extend([sem.clone(), shm.clone()]);
    let key = guard.key();
    killed_run(test, &sem, &shm, key, as_nobody);
    (run, sem, shm, key)
}

#[test]
fn a_killed_runs_objects_are_stale_and_remove_stale_takes_only_them() {
    const TEST: &str = "a_killed_runs_objects_are_stale_and_remove_stale_takes_only_them";
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let run = guard.name("kill");
    let (sem, shm, busy) = (
        format!("{run}-sem"),
        format!("{run}-shm"),
        format!("{run}-busy"),
    );
    guard.names.extend([sem.clone(), shm.clone(), busy.clone()]);
    let key = guard.key();
    killed_run(TEST, &sem, &shm, key, false);
    // An object of the same prefix that this (live) process holds.
    let held = posix_ipc::SharedMemory::create_new(busy.as_str(), 64).unwrap();

    let inventory = ipc_inventory::list().unwrap();
    for (kind, label) in [
        (SEM_KIND, sem.clone()),
        (Kind::PosixSharedMemory, shm.clone()),
        (Kind::SysvSemaphoreSet, key_label(key)),
        (Kind::SysvSharedMemory, key_label(key)),
    ] {
        let o = find(&inventory.objects, kind, &label);
        assert!(o.is_stale(), "{o:#?}");
    }
    let o = find(&inventory.objects, Kind::SysvSharedMemory, &key_label(key));
    assert_eq!(
        o.attachments,
        Some(0),
        "the kernel detached the killed process"
    );
    // A queue is stale only if no task can be blocked on it, which needs
    // every task's system call (some sandboxes hide even from root).
    let queue = find(&inventory.objects, Kind::SysvMessageQueue, &key_label(key));
    let queue_provable = !matches!(queue.staleness, Staleness::Unknown(_));
    assert!(queue.is_stale() || !queue_provable, "{queue:#?}");
    assert!(queue_provable || queue.staleness.reason().contains("could not be checked"));
    let busy_o = find(&inventory.objects, Kind::PosixSharedMemory, &busy);
    assert!(
        matches!(busy_o.staleness, Staleness::InUse(_)),
        "{busy_o:#?}"
    );

    let posix = ipc_inventory::remove_stale(&run).unwrap();
    let mut removed: Vec<String> = posix.removed.iter().map(Object::label).collect();
    removed.sort();
    assert_eq!(removed, [sem.clone(), shm.clone()]);
    assert_eq!(posix.kept.len(), 1, "{:#?}", posix.kept);
    assert_eq!(posix.kept[0].label(), busy);
    assert!(posix.failed.is_empty(), "{:?}", posix.failed);
    let sysv = ipc_inventory::remove_stale(&key_label(key)).unwrap();
    let mut kinds: Vec<Kind> = sysv.removed.iter().map(|o| o.kind).collect();
    kinds.sort();
    let mut expected = vec![Kind::SysvSemaphoreSet, Kind::SysvSharedMemory];
    let mut left = vec![format!("posix-shm {busy}")];
    if queue_provable {
        expected.push(Kind::SysvMessageQueue);
    } else {
        left.push(queue.to_string());
    }
    assert_eq!(kinds, expected);
    let now: Vec<String> = ipc_inventory::list()
        .unwrap()
        .objects
        .iter()
        .filter(|o| o.label().starts_with(&run) || o.key == Some(key))
        .map(ToString::to_string)
        .collect();
    assert_eq!(now, left);
    drop(held);
}

/// A thread with a descriptor table of its own (`unshare(CLONE_FILES)`)
/// that alone has an object open still makes its process a holder.
#[test]
fn a_thread_with_its_own_descriptor_table_holds_for_its_process() {
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = guard.name("fdtab");
    let (opened_tx, opened) = std::sync::mpsc::channel::<()>();
    let (done, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn({
        let name = name.clone();
        move || {
            // SAFETY: unshare has no memory-safety preconditions; it gives
            // this thread a copy of the descriptor table.
            assert_eq!(unsafe { libc::unshare(libc::CLONE_FILES) }, 0);
            let shm = posix_ipc::SharedMemory::create_new(name.as_str(), 16).unwrap();
            opened_tx.send(()).unwrap();
            // Until the scan is done (or the test gave up).
            let _ = done_rx.recv();
            drop(shm);
        }
    });
    // An error here: the thread failed, and says why when joined.
    if opened.recv().is_ok() {
        let inventory = ipc_inventory::list().unwrap();
        let o = find(&inventory.objects, Kind::PosixSharedMemory, &name);
        let held = o
            .holders
            .as_ref()
            .unwrap()
            .processes
            .iter()
            .any(|h| h.pid == me() && h.open);
        assert!(held, "the thread's descriptor was not seen: {o:#?}");
    }
    drop(done);
    holder.join().unwrap();
}

/// A holder in another mount namespace (a container sharing `/dev/shm`) is
/// seen too: its descriptor's path means nothing here, so the object is
/// identified by device and inode through `/proc`.
#[test]
fn a_holder_in_another_mount_namespace_is_seen() {
    const TEST: &str = "a_holder_in_another_mount_namespace_is_seen";
    if let Some(args) = testkit::child_args(TEST) {
        let _shm = posix_ipc::SharedMemory::create_new(args[0].as_str(), 16).unwrap();
        testkit::wait_for_the_kill();
    }
    if !testkit::is_root() {
        println!("skipped: only root may make mount namespaces");
        return;
    }
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = guard.name("mntns");
    let child = testkit::spawn_child_with(TEST, &[&name], |command| {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the hook only makes a system call,
        // which is async-signal-safe; the whole child then lives in a new
        // mount namespace (a copy of this one: same /dev/shm).
        unsafe {
            command.pre_exec(|| match libc::unshare(libc::CLONE_NEWNS) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            });
        }
    });
    testkit::wait_until("the child's object", Duration::from_secs(30), || {
        posix_ipc::SharedMemory::open(name.as_str()).is_ok()
    });
    let inventory = ipc_inventory::list().unwrap();
    let o = find(&inventory.objects, Kind::PosixSharedMemory, &name);
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let held = o
        .holders
        .as_ref()
        .unwrap()
        .processes
        .iter()
        .any(|h| h.pid == pid && h.open);
    child.kill_9(Duration::from_secs(30));
    assert!(
        held,
        "the child in another mount namespace was not seen: {o:#?}"
    );
}

/// A regular file whose path reads like a message queue's name (`/x` at the
/// root of the file system, as the queue `/x` reads in the mqueue file
/// system) is not taken for the queue: a descriptor's link text is
/// confirmed by device and inode.
#[test]
fn a_file_named_like_a_queue_is_not_the_queue() {
    if ipc_inventory::mqueue_mount().is_none() || !testkit::is_root() {
        println!("skipped: needs the mqueue file system, and root to write in /");
        return;
    }
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = guard.name("lookalike");
    posix_ipc::MessageQueue::create_new(name.as_str()).unwrap();
    let file = std::fs::File::create(&name).unwrap();
    let inventory = ipc_inventory::list();
    drop(file);
    std::fs::remove_file(&name).unwrap();
    let inventory = inventory.unwrap();
    let o = find(&inventory.objects, Kind::PosixMessageQueue, &name);
    let holders = &o.holders.as_ref().unwrap().processes;
    assert!(!holders.iter().any(|h| h.pid == me()), "{o:#?}");
}

/// In a `/dev/shm` without the sticky bit (as some containers mount it),
/// the kernel lets anyone who may write the directory remove any object,
/// and the removal's own check agrees: another user removes root's object.
#[test]
fn a_dev_shm_without_the_sticky_bit_lets_another_user_remove() {
    const TEST: &str = "a_dev_shm_without_the_sticky_bit_lets_another_user_remove";
    if testkit::child_args(TEST).is_some() {
        let made = testkit::ns::unshare(libc::CLONE_NEWNS).and_then(|()| {
            testkit::ns::mount(
                "ipcrs-test",
                "/dev/shm",
                "tmpfs",
                libc::MS_NOSUID | libc::MS_NODEV,
                "size=1m,mode=0777",
            )
            .map_err(|e| format!("mounting a tmpfs on /dev/shm: {e}"))
        });
        if let Err(why) = made {
            println!("no-namespace: {why}");
            return;
        }
        let name = testkit::unique_name("nosticky");
        drop(posix_ipc::SharedMemory::create_new(name.as_str(), 16).unwrap());
        testkit::become_nobody();
        let inventory = ipc_inventory::Scan::new().processes(false).run().unwrap();
        let o = find(&inventory.objects, Kind::PosixSharedMemory, &name);
        assert_eq!(o.uid, 0);
        ipc_inventory::check_removable(o).unwrap();
        ipc_inventory::remove(o).unwrap();
        assert!(posix_ipc::SharedMemory::open(name.as_str()).is_err());
        println!("removed");
        return;
    }
    if !testkit::is_root() {
        println!("skipped: only root may mount a /dev/shm of its own");
        return;
    }
    // The child scans (its own /dev/shm, but every process's descriptors).
    let _serial = one_at_a_time();
    let out = testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(60));
    if let Some(why) = out.lines().find_map(|l| l.strip_prefix("no-namespace: ")) {
        println!("skipped: {why}");
        return;
    }
    assert!(out.contains("removed"), "{out}");
}

/// A scan from inside a PID namespace (a container) says that processes
/// outside it are invisible; one from the initial namespace does not. The
/// child makes the namespaces; its child, the new namespace's first
/// process, mounts its own `/proc` and scans.
#[test]
fn a_scan_inside_a_pid_namespace_says_what_it_cannot_see() {
    const TEST: &str = "a_scan_inside_a_pid_namespace_says_what_it_cannot_see";
    const INSIDE: &str = "a_scan_inside_a_pid_namespace_says_what_it_cannot_see_inside";
    if testkit::child_args(TEST).is_some() {
        if let Err(why) = testkit::ns::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS) {
            println!("no-namespace: {why}");
            return;
        }
        let out = testkit::spawn_child(INSIDE, &[]).wait_success(Duration::from_secs(60));
        print!("{out}");
        return;
    }
    if !testkit::is_root() {
        println!("skipped: only root may make PID namespaces");
        return;
    }
    let _serial = one_at_a_time();
    let here = ipc_inventory::list().unwrap().processes.unwrap().limits;
    assert!(
        !here.iter().any(|l| l.contains("PID namespace")),
        "{here:?}"
    );
    let out = testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(60));
    if let Some(why) = out.lines().find_map(|l| l.strip_prefix("no-namespace: ")) {
        println!("skipped: {why}");
        return;
    }
    assert!(
        out.contains("limit: this process runs in a PID namespace other"),
        "{out}"
    );
    assert!(!out.contains("limit: /proc does not belong"), "{out}");
}

/// The inside half of [`a_scan_inside_a_pid_namespace_says_what_it_cannot_see`].
#[test]
fn a_scan_inside_a_pid_namespace_says_what_it_cannot_see_inside() {
    if testkit::child_args("a_scan_inside_a_pid_namespace_says_what_it_cannot_see_inside").is_none()
    {
        return;
    }
    testkit::ns::mount(
        "proc",
        "/proc",
        "proc",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    )
    .expect("mount proc");
    for limit in ipc_inventory::list().unwrap().processes.unwrap().limits {
        println!("limit: {limit}");
    }
}

/// A stale object's file swapped after the scan (by anyone who may write
/// `/dev/shm`) is not removed: for a FIFO, opening it for the lease does not
/// wait for a writer; for another regular file, the lease is not taken on
/// it; neither is the file the scan proved stale.
#[test]
fn a_stale_file_swapped_for_a_fifo_is_neither_waited_for_nor_removed() {
    const TEST: &str = "a_stale_file_swapped_for_a_fifo_is_neither_waited_for_nor_removed";
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let (_, _, shm, _) = killed_run_named(TEST, &mut guard, "fifo", ["sem", "shm"], false);
    let inventory = ipc_inventory::list().unwrap();
    let o = find(&inventory.objects, Kind::PosixSharedMemory, &shm).clone();
    assert!(o.is_stale(), "{o:#?}");
    let path = format!("/dev/shm{shm}");
    std::fs::remove_file(&path).unwrap();
    let c_path = std::ffi::CString::new(path.as_str()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(ipc_inventory::remove_if_stale(&o));
    });
    let removed = result
        .recv_timeout(Duration::from_secs(20))
        .expect("the removal waited for a writer of the FIFO");
    assert_eq!(removed.unwrap_err().kind(), ErrorKind::Busy);
    use std::os::unix::fs::FileTypeExt;
    let kept = std::fs::symlink_metadata(&path).unwrap();
    assert!(kept.file_type().is_fifo());
    // Swapped for another regular file, which a lease could be taken on:
    // still not the file the scan saw, and kept.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"someone else's").unwrap();
    let o = find(&inventory.objects, Kind::PosixSharedMemory, &shm);
    assert_eq!(
        ipc_inventory::remove_if_stale(o).unwrap_err().kind(),
        ErrorKind::Busy
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"someone else's");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn crashed_last_run_recipe_frees_the_names_and_refuses_a_live_instance() {
    const TEST: &str = "crashed_last_run_recipe_frees_the_names_and_refuses_a_live_instance";
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let (run, sem, _, key) = killed_run_named(TEST, &mut guard, "crash", ["lock", "data"], false);
    // The next run: exclusive creates fail until the leftovers are cleared.
    let e = posix_ipc::Semaphore::create_new(sem.as_str(), 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    let Cleared::Removed(old) = ipc_inventory::clear_stale(SEM_KIND, &sem).unwrap() else {
        panic!("the killed run's semaphore was not removed");
    };
    assert_eq!(old.label(), sem);
    let lock = posix_ipc::Semaphore::create_new(sem.as_str(), 1).unwrap();
    assert!(matches!(
        ipc_inventory::clear_stale_key(Kind::SysvSemaphoreSet, key).unwrap(),
        Cleared::Removed(_)
    ));
    // Only that kind's object of the key: the run's stale segment and queue
    // of the same key are left alone.
    assert!(matches!(
        ipc_inventory::clear_stale_key(Kind::SysvSemaphoreSet, key).unwrap(),
        Cleared::Absent
    ));
    assert!(sysv_ipc::SharedMemory::open(Key::new(key)).is_ok());
    sysv_ipc::SemaphoreSet::options()
        .create_new(true)
        .len(1)
        .open(Key::new(key))
        .unwrap()
        .release(0, 1)
        .unwrap();
    // Absent names are free already.
    let absent = format!("{run}-never");
    assert!(matches!(
        ipc_inventory::clear_stale(Kind::PosixSharedMemory, &absent).unwrap(),
        Cleared::Absent
    ));
    // A live instance (this process) keeps its objects: Busy, naming it.
    let e = ipc_inventory::clear_stale(SEM_KIND, &sem).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
    assert!(e.message().contains(&format!("pid {}", me())), "{e}");
    let e = ipc_inventory::clear_stale_key(Kind::SysvSemaphoreSet, key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
    assert!(e.message().contains("is alive"), "{e}");
    assert!(sysv_ipc::SemaphoreSet::open(Key::new(key)).is_ok());
    drop(lock);
    // Wrong kinds and bad names are input errors.
    let e = ipc_inventory::clear_stale(Kind::SysvSemaphoreSet, &sem).unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    let e = ipc_inventory::clear_stale(Kind::PosixSemaphore, "no-slash").unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    let e = ipc_inventory::clear_stale_key(Kind::SysvSemaphoreSet, 0).unwrap_err();
    assert!(e.message().contains("IPC_PRIVATE"), "{e}");
}

#[test]
fn removal_by_name_and_id_reports_what_went_wrong() {
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = guard.name("rm");
    let key = guard.key();
    posix_ipc::SharedMemory::create_new(name.as_str(), 16).unwrap();
    let q = sysv_ipc::MessageQueue::create_new(Key::new(key)).unwrap();
    ipc_inventory::unlink_posix(Kind::PosixSharedMemory, &name).unwrap();
    let e = ipc_inventory::unlink_posix(Kind::PosixSharedMemory, &name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains(&name), "{e}");
    ipc_inventory::remove_sysv(Kind::SysvMessageQueue, q.id()).unwrap();
    let e = ipc_inventory::remove_sysv(Kind::SysvMessageQueue, q.id()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    for bad in ["", "x", "/", "/a/b"] {
        let e = ipc_inventory::unlink_posix(Kind::PosixSemaphore, bad).unwrap_err();
        assert!(e.is_invalid_input(), "{bad:?}: {e}");
    }
    // NAME_MAX bytes after the '/' is a name (of nothing here); one more is not.
    let longest = format!("/{}", "n".repeat(255));
    let e = ipc_inventory::unlink_posix(Kind::PosixSharedMemory, longest).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let long = format!("/{}", "n".repeat(256));
    assert!(
        ipc_inventory::unlink_posix(Kind::PosixSemaphore, long)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        ipc_inventory::unlink_posix(Kind::SysvSharedMemory, "/x")
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        ipc_inventory::remove_sysv(Kind::PosixSharedMemory, 1)
            .unwrap_err()
            .is_invalid_input()
    );
    // An in-use object is not removed by the stale helpers.
    let held = posix_ipc::SharedMemory::create_new(name.as_str(), 16).unwrap();
    let inventory = ipc_inventory::list().unwrap();
    let o = find(&inventory.objects, Kind::PosixSharedMemory, &name);
    let e = ipc_inventory::remove_if_stale(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    assert!(e.message().contains("is in use"), "{e}");
    assert!(posix_ipc::SharedMemory::open(name.as_str()).is_ok());
    drop(held);
}

/// Another user (uid 65534, in a child) sees root's objects but can neither
/// prove them stale (it may not inspect root's processes) nor remove them;
/// for its own objects the kernel answers, even about root's processes.
#[test]
fn another_user_cannot_prove_or_remove_root_objects() {
    const TEST: &str = "another_user_cannot_prove_or_remove_root_objects";
    if let Some(args) = testkit::child_args(TEST) {
        // SAFETY: setgid/setuid have no memory-safety preconditions.
        unsafe {
            assert_eq!(libc::setgid(65534), 0);
            assert_eq!(libc::setuid(65534), 0);
        }
        let key: i32 = args[1].parse().unwrap();
        let inventory = ipc_inventory::list().unwrap();
        assert!(!inventory.processes.as_ref().unwrap().uninspected.is_empty());
        let shm = find(&inventory.objects, Kind::PosixSharedMemory, &args[0]);
        assert!(
            matches!(&shm.staleness, Staleness::Unknown(r) if r.contains("could not be inspected")),
            "{shm:#?}"
        );
        let e = ipc_inventory::check_removable(shm).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("uid 0"), "{e}");
        assert_eq!(
            ipc_inventory::remove_if_stale(shm).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let e = ipc_inventory::remove(shm).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        let q = find(&inventory.objects, Kind::SysvMessageQueue, &key_label(key));
        assert!(!q.is_stale(), "{q:#?}");
        assert_eq!(
            ipc_inventory::check_removable(q).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let e = ipc_inventory::remove(q).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        // Its own objects: the kernel answers for the processes it cannot
        // inspect (root's, which holds one of them open).
        let held = find(&inventory.objects, Kind::PosixSharedMemory, &args[2]);
        assert!(
            held.holders.as_ref().unwrap().processes.is_empty(),
            "{held:#?}"
        );
        assert!(
            matches!(&held.staleness, Staleness::InUse(r) if r.contains("write lease")),
            "{held:#?}"
        );
        let free = find(&inventory.objects, Kind::PosixSharedMemory, &args[3]);
        assert!(free.is_stale(), "{free:#?}");
        // Its own stale object it may remove.
        ipc_inventory::check_removable(free).unwrap();
        ipc_inventory::remove_if_stale(free).unwrap();
        // A queue it created and gave to root: the creator may remove it too.
        let given = sysv_ipc::MessageQueue::create_unique().unwrap();
        given.set_uid(0).unwrap();
        let inventory = ipc_inventory::list().unwrap();
        let o = find(
            &inventory.objects,
            Kind::SysvMessageQueue,
            &key_label(given.key().as_raw()),
        );
        assert_eq!((o.uid, o.cuid), (0, Some(65534)), "{o:#?}");
        ipc_inventory::check_removable(o).unwrap();
        ipc_inventory::remove(o).unwrap();
        println!("refused as uid 65534");
        return;
    }
    let _serial = one_at_a_time();
    if euid() != 0 {
        eprintln!("skipped: needs root to make another user's process");
        return;
    }
    let mut guard = Guard::default();
    let name = guard.name("perm");
    let key = guard.key();
    drop(posix_ipc::SharedMemory::create_new(name.as_str(), 16).unwrap());
    let q = sysv_ipc::MessageQueue::options()
        .create_new(true)
        .mode(0o644)
        .open(Key::new(key))
        .unwrap();
    q.send(b"x", 1, Wait::NoWait).unwrap();
    let (held_name, free_name) = (guard.name("perm-held"), guard.name("perm-free"));
    let held = posix_ipc::SharedMemory::create_new(held_name.as_str(), 16).unwrap();
    drop(posix_ipc::SharedMemory::create_new(free_name.as_str(), 16).unwrap());
    for n in [&held_name, &free_name] {
        let path = std::ffi::CString::new(format!("/dev/shm{n}")).unwrap();
        // SAFETY: `path` is NUL-terminated and outlives the call.
        assert_eq!(unsafe { libc::chown(path.as_ptr(), 65534, 65534) }, 0);
    }
    let out = testkit::spawn_child(TEST, &[&name, &key.to_string(), &held_name, &free_name])
        .wait_success(Duration::from_secs(60));
    assert!(out.contains("refused as uid 65534"), "{out}");
    assert!(posix_ipc::SharedMemory::open(name.as_str()).is_ok());
    assert!(sysv_ipc::MessageQueue::open(Key::new(key)).is_ok());
    drop(held);
}

/// Drops `caps` from this process's effective and permitted capability sets,
/// for good (as a container runtime starts a process without them).
fn drop_capabilities(caps: &[u32]) {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    /// `_LINUX_CAPABILITY_VERSION_3`: two `Data`, for capabilities 0-63.
    const VERSION_3: u32 = 0x2008_0522;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: version 3 reads into two Data, which `data` has room for.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(rc, 0, "capget: {}", std::io::Error::last_os_error());
    for &cap in caps {
        let bit = 1u32 << (cap % 32);
        let d = &mut data[(cap / 32) as usize];
        d.effective &= !bit;
        d.permitted &= !bit;
    }
    // SAFETY: as above; capset only reads `data`.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
}

/// `CAP_SYS_ADMIN` and `CAP_LEASE` (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_LEASE: u32 = 28;

/// Root in a container with the usual default capabilities (Docker's, for
/// one) has neither `CAP_LEASE` nor `CAP_SYS_ADMIN`. It may still remove
/// another user's stale POSIX objects, but without a lease (the kernel
/// grants one only to the file's owner or with `CAP_LEASE`): the removal
/// then looks again, and goes ahead only if the name still leads to the
/// file inspected. It may not remove that user's System V objects, which
/// `remove_stale` reports as failures.
///
/// The objects are inspected before the capabilities are dropped: where
/// some process cannot be inspected even by root (as on some CI machines),
/// only a lease proves a POSIX object stale.
#[test]
fn root_without_lease_or_sys_admin_removes_another_users_stale_files_after_a_fresh_look() {
    const TEST: &str =
        "root_without_lease_or_sys_admin_removes_another_users_stale_files_after_a_fresh_look";
    if let Some(args) = testkit::child_args(TEST)
        && args[0] == "without-capabilities"
    {
        remove_without_capabilities(&args[1..]);
        return;
    }
    if !testkit::is_root() {
        println!("skipped: needs root to make another user's objects and drop capabilities");
        return;
    }
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let (run, sem, shm, key) = killed_run_named(TEST, &mut guard, "caps", ["sem", "shm"], true);
    let (swapped, gone) = (format!("{run}-swapped"), format!("{run}-gone"));
    guard.names.extend([swapped.clone(), gone.clone()]);
    let out = testkit::spawn_child(
        TEST,
        &[
            "without-capabilities",
            &sem,
            &shm,
            &key.to_string(),
            &swapped,
            &gone,
        ],
    )
    .wait_success(Duration::from_secs(60));
    assert!(out.contains("removed without CAP_LEASE"), "{out}");
    assert!(sysv_ipc::SemaphoreSet::open(Key::new(key)).is_ok());
    assert!(sysv_ipc::SharedMemory::open(Key::new(key)).is_ok());
}

/// The child half of
/// [`root_without_lease_or_sys_admin_removes_another_users_stale_files_after_a_fresh_look`].
fn remove_without_capabilities(args: &[String]) {
    let (sem, shm, key, swapped, gone) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let key: i32 = key.parse().unwrap();
    let make = |name: &str| {
        let path = format!("/dev/shm{name}");
        std::fs::write(&path, b"data").unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        path
    };
    let (swapped_path, gone_path) = (make(swapped), make(gone));
    let inventory = ipc_inventory::list().unwrap();
    let records: Vec<Object> = [(SEM_KIND, sem), (Kind::PosixSharedMemory, shm)]
        .into_iter()
        .chain([swapped, gone].map(|n| (Kind::PosixSharedMemory, n)))
        .map(|(kind, label)| find(&inventory.objects, kind, label).clone())
        .collect();
    for o in &records {
        assert!(o.is_stale() && o.uid == 65534, "{o:#?}");
    }
    drop_capabilities(&[CAP_LEASE, CAP_SYS_ADMIN]);

    // Unchanged: removed.
    for o in &records[..2] {
        ipc_inventory::remove_if_stale(o).unwrap();
        assert!(!o.path.as_ref().unwrap().exists(), "{o}");
    }
    // Replaced by a file of the same name: not the file inspected, so kept.
    std::fs::remove_file(&swapped_path).unwrap();
    make(swapped);
    let e = ipc_inventory::remove_if_stale(&records[2]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
    assert!(
        e.message().contains("changed since it was inspected"),
        "{e}"
    );
    assert_eq!(std::fs::read(&swapped_path).unwrap(), b"data");
    // Gone: NotFound.
    std::fs::remove_file(&gone_path).unwrap();
    let e = ipc_inventory::remove_if_stale(&records[3]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

    let sysv = ipc_inventory::remove_stale(&key_label(key)).unwrap();
    assert!(sysv.removed.is_empty(), "{sysv:#?}");
    let mut failed: Vec<Kind> = sysv.failed.iter().map(|(o, _)| o.kind).collect();
    failed.retain(|k| *k != Kind::SysvMessageQueue);
    failed.sort();
    assert_eq!(
        failed,
        [Kind::SysvSemaphoreSet, Kind::SysvSharedMemory],
        "{sysv:#?}"
    );
    for (o, e) in &sysv.failed {
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{o}: {e}");
    }
    println!("removed without CAP_LEASE and CAP_SYS_ADMIN");
}

/// Sends `fd` over the Unix socket `socket` (`SCM_RIGHTS`), where it stays
/// in flight until the other end receives it.
fn send_descriptor(socket: libc::c_int, fd: libc::c_int) {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // Room for CMSG_SPACE(sizeof(int)) (16 or 24 bytes), aligned for the
    // header.
    let mut control = [0u64; 4];
    // SAFETY: an all-zero msghdr is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    let int = u32::try_from(std::mem::size_of::<libc::c_int>()).unwrap();
    // SAFETY: CMSG_SPACE and CMSG_LEN only compute sizes.
    let (space, len) = unsafe { (libc::CMSG_SPACE(int), libc::CMSG_LEN(int)) };
    assert!(space as usize <= std::mem::size_of_val(&control));
    msg.msg_controllen = space as _;
    // SAFETY: `msg` points to `control`, which has room for one header and
    // an int (checked above); CMSG_FIRSTHDR and CMSG_DATA point into it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = len as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), fd);
    }
    // SAFETY: `msg` and everything it points to outlive the call.
    assert_eq!(unsafe { libc::sendmsg(socket, &msg, 0) }, 1);
}

/// A descriptor in flight in a Unix socket (sent, not yet received) is in
/// no process's table, so the walk finds no holder of its object; but the
/// kernel counts it, refuses the removal's lease, and the object is kept.
/// Once the socket is closed unreceived, the object is removed.
#[test]
fn an_object_whose_only_descriptor_is_in_flight_is_kept() {
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = guard.name("flight");
    let mut sockets = [0; 2];
    // SAFETY: `sockets` has room for the two descriptors.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            0,
            sockets.as_mut_ptr(),
        )
    };
    assert_eq!(rc, 0);
    {
        use std::os::fd::AsRawFd;
        let shm = posix_ipc::SharedMemory::create_new(name.as_str(), 64).unwrap();
        send_descriptor(sockets[0], shm.as_raw_fd());
    }
    let inventory = ipc_inventory::list().unwrap();
    let o = find(&inventory.objects, Kind::PosixSharedMemory, &name);
    let holders = o.holders.as_ref().unwrap();
    assert!(holders.processes.is_empty(), "{o:#?}");
    if holders.complete {
        // Every process was inspected: the walk alone calls it stale, and
        // the removal's lease finds otherwise.
        assert!(o.is_stale(), "{o:#?}");
    } else {
        // Some process could not be (by this user, or here not even by
        // root): the kernel is asked, and says in use.
        assert!(matches!(o.staleness, Staleness::InUse(_)), "{o:#?}");
    }
    let cleanup = ipc_inventory::remove_stale(&name).unwrap();
    assert!(cleanup.removed.is_empty(), "{cleanup:#?}");
    assert!(cleanup.failed.is_empty(), "{cleanup:#?}");
    let kept: Vec<String> = cleanup.kept.iter().map(Object::label).collect();
    assert_eq!(kept, [name.as_str()]);
    let e = ipc_inventory::clear_stale(Kind::PosixSharedMemory, &name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
    assert!(posix_ipc::SharedMemory::open(name.as_str()).is_ok());
    for fd in sockets {
        // SAFETY: each descriptor is this test's and closed once.
        unsafe { libc::close(fd) };
    }
    let cleanup = ipc_inventory::remove_stale(&name).unwrap();
    let removed: Vec<String> = cleanup.removed.iter().map(Object::label).collect();
    assert_eq!(removed, [name.as_str()], "{cleanup:#?}");
}

/// `semop` on set `id`, semaphore 0, by `op`; the errno when it fails.
fn semop(id: i32, op: libc::c_short) -> Result<(), i32> {
    let mut ops = [libc::sembuf {
        sem_num: 0,
        sem_op: op,
        sem_flg: 0,
    }];
    // SAFETY: `ops` is one valid sembuf.
    match unsafe { libc::semop(id, ops.as_mut_ptr(), 1) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)),
    }
}

/// Tasks waiting on a set keep it in use, those waiting to decrement and
/// those waiting for zero alike; a stale set that gets a waiter after the
/// scan is not removed.
#[test]
fn waiters_keep_a_set_even_when_they_come_after_the_scan() {
    const TEST: &str = "waiters_keep_a_set_even_when_they_come_after_the_scan";
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let (_, _, _, key) = killed_run_named(TEST, &mut guard, "wait", ["sem", "shm"], false);
    let inventory = ipc_inventory::list().unwrap();
    let record = find(&inventory.objects, Kind::SysvSemaphoreSet, &key_label(key)).clone();
    assert!(
        record.is_stale() && record.waiters == Some(0),
        "{record:#?}"
    );
    let id = record.id.unwrap();
    let count = |cmd| {
        // SAFETY: GETNCNT and GETZCNT take no fourth argument.
        unsafe { libc::semctl(id, 0, cmd) }
    };
    std::thread::scope(|s| {
        /// Removes the set when the scope ends, also on a failed
        /// assertion, which wakes the waiters (EIDRM) so they can be
        /// joined.
        struct RemoveSet(i32);
        impl Drop for RemoveSet {
            fn drop(&mut self) {
                let _ = ipc_inventory::remove_sysv(Kind::SysvSemaphoreSet, self.0);
            }
        }
        let _remove = RemoveSet(id);
        // The killed run left the value at 1.
        let for_zero = s.spawn(move || semop(id, 0));
        let for_two = s.spawn(move || semop(id, -2));
        testkit::wait_until("both wait", Duration::from_secs(20), || {
            count(libc::GETZCNT) == 1 && count(libc::GETNCNT) == 1
        });
        let inventory = ipc_inventory::list().unwrap();
        let o = find(&inventory.objects, Kind::SysvSemaphoreSet, &key_label(key));
        assert_eq!(o.waiters, Some(2), "{o:#?}");
        assert!(
            matches!(&o.staleness, Staleness::InUse(r) if r.contains("2 wait(s)")),
            "{o:#?}"
        );
        let e = ipc_inventory::remove_if_stale(&record).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
        assert!(sysv_ipc::SemaphoreSet::open(Key::new(key)).is_ok());
        drop(_remove);
        assert_eq!(for_zero.join().unwrap(), Err(libc::EIDRM));
        assert_eq!(for_two.join().unwrap(), Err(libc::EIDRM));
    });
}
