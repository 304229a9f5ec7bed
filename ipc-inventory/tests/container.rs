//! The inventory inside a container of its own: the first process of new
//! PID, IPC and mount namespaces, with its own `/proc`, `/dev/shm` and
//! mqueue file system. There every object and process is the test's, so
//! what a scan should find is known exactly, and the file systems it reads
//! can be taken away or swapped without touching the machine's.
//!
//! Each test needs root (to make the namespaces); without it, or where the
//! kernel refuses them (some sandboxes), it says so and passes.
#![cfg(all(target_os = "linux", not(target_env = "musl")))]

use std::path::Path;
use std::time::{Duration, SystemTime};

use ipc_common::ErrorKind;
use ipc_inventory::{Kind, Notification, Object, Staleness};
use sysv_ipc::{Key, Selector, Wait};
use testkit::ns::{mount, unmount, unshare};

/// What the container's process prints when its part of the test passed.
const PASSED: &str = "container: passed";

/// Runs `body` in a container of its own, as the first process of new PID,
/// IPC and mount namespaces with its own `/proc`, an empty `/dev/shm`
/// (tmpfs, mode 1777) and an empty mqueue file system on `/dev/mqueue`.
///
/// `test` is the calling test's name. Three processes take part: the test
/// itself, which checks that the container's process passed; a child that
/// makes the namespaces (whose next child is the new PID namespace's first
/// process) and waits; and that first process, which mounts the file
/// systems and runs `body`.
fn in_container(test: &str, body: impl FnOnce()) {
    match testkit::child_args(test).as_deref() {
        Some([role]) if role == "inside" => {
            mount(
                "proc",
                "/proc",
                "proc",
                libc::MS_NOSUID | libc::MS_NODEV,
                "",
            )
            .unwrap();
            mount("ipcrs-test", "/dev/shm", "tmpfs", 0, "size=16m,mode=1777").unwrap();
            std::fs::create_dir_all("/dev/mqueue").unwrap();
            mount("none", "/dev/mqueue", "mqueue", 0, "").unwrap();
            body();
            println!("{PASSED}");
            return;
        }
        Some(_) => {
            if let Err(why) = unshare(libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWNS) {
                println!("no-namespace: {why}");
                return;
            }
            let out =
                testkit::spawn_child(test, &["inside"]).wait_success(Duration::from_secs(120));
            print!("{out}");
            return;
        }
        None => {}
    }
    if !testkit::is_root() {
        println!("skipped: only root may make the namespaces of a container");
        return;
    }
    let out = testkit::spawn_child(test, &["outer"]).wait_success(Duration::from_secs(180));
    if let Some(why) = out.lines().find_map(|l| l.strip_prefix("no-namespace: ")) {
        println!("skipped: {why}");
        return;
    }
    assert!(out.contains(PASSED), "{out}");
}

fn me() -> libc::pid_t {
    // SAFETY: getpid has no preconditions.
    unsafe { libc::getpid() }
}

fn find<'a>(objects: &'a [Object], kind: Kind, label: &str) -> &'a Object {
    objects
        .iter()
        .find(|o| o.kind == kind && o.label() == label)
        .unwrap_or_else(|| panic!("{kind} {label} not listed in {objects:#?}"))
}

fn posix_labels(objects: &[Object]) -> Vec<String> {
    objects
        .iter()
        .filter(|o| o.kind.is_posix())
        .map(Object::label)
        .collect()
}

/// Where message queues are all there is, a task blocked in `msgrcv` still
/// makes its queue in use (the walk looks for blocked tasks whenever a
/// queue exists); and a POSIX queue's notification registration is listed
/// with the registered process.
#[test]
fn in_a_container_of_only_queues_their_users_are_seen() {
    in_container("in_a_container_of_only_queues_their_users_are_seen", || {
        let q = sysv_ipc::MessageQueue::create_new(Key::new(0x1c5a_0001)).unwrap();
        let label = ipc_inventory::format_key(0x1c5a_0001);
        std::thread::scope(|s| {
            let receiver = s.spawn(|| q.receive_vec(Selector::Any, Wait::Block));
            let seen = testkit::eventually(Duration::from_secs(20), || {
                let inventory = ipc_inventory::list().unwrap();
                assert_eq!(inventory.objects.len(), 1, "{:#?}", inventory.objects);
                let o = find(&inventory.objects, Kind::SysvMessageQueue, &label);
                o.blocked_pids.as_deref() == Some(&[me()][..])
                    && matches!(&o.staleness, Staleness::InUse(r) if r.contains("blocked in msgsnd or msgrcv"))
            });
            q.send(b"wake", 1, Wait::NoWait).unwrap();
            assert_eq!(receiver.join().unwrap().unwrap().data, b"wake");
            assert!(seen, "the receiver blocked on the queue was never seen");
        });

        let mq = posix_ipc::MessageQueue::create_new("/notified").unwrap();
        mq.notify_signal(libc::SIGUSR1).unwrap();
        let inventory = ipc_inventory::list().unwrap();
        let o = find(&inventory.objects, Kind::PosixMessageQueue, "/notified");
        assert_eq!(
            o.notification,
            Some(Notification {
                method: libc::SIGEV_SIGNAL,
                signal: libc::SIGUSR1,
                pid: me(),
            }),
            "{o:#?}"
        );
        drop(mq);
        let inventory = ipc_inventory::list().unwrap();
        let o = find(&inventory.objects, Kind::PosixMessageQueue, "/notified");
        assert_eq!(
            o.notification, None,
            "closing the queue ends the registration"
        );
    });
}

/// A container's scan cannot see the processes outside it, so it is never
/// complete: for a POSIX object nobody here holds, the kernel is asked (a
/// write lease) and its answer decides; an object held here needs no such
/// question. And a System V pid of 0 may be a process outside, so it proves
/// nothing.
#[test]
fn in_a_container_the_kernel_answers_for_unheld_objects_and_pid_0_proves_nothing() {
    in_container(
        "in_a_container_the_kernel_answers_for_unheld_objects_and_pid_0_proves_nothing",
        || {
            let held = posix_ipc::SharedMemory::create_new("/held", 64).unwrap();
            drop(posix_ipc::SharedMemory::create_new("/free", 64).unwrap());
            // A segment whose creator exited without attaching it: its last
            // pid reads 0.
            // SAFETY: the child makes one system call and exits at once,
            // without touching any lock another thread might hold.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: shmget and _exit are async-signal-safe.
                unsafe {
                    let ok = libc::shmget(0x1c5a_0002, 4096, libc::IPC_CREAT | 0o600) >= 0;
                    libc::_exit(i32::from(!ok));
                }
            }
            let mut status = 0;
            // SAFETY: `pid` is this process's child; `status` is writable.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert_eq!(status, 0, "the child could not make the segment");

            let inventory = ipc_inventory::list().unwrap();
            let summary = inventory.processes.as_ref().unwrap();
            assert!(!summary.complete(), "{summary:?}");
            assert!(
                summary.limits.iter().any(|l| l.contains("PID namespace")),
                "{summary:?}"
            );
            let o = find(&inventory.objects, Kind::PosixSharedMemory, "/held");
            let holders = o.holders.as_ref().unwrap();
            assert_eq!(holders.processes.len(), 1, "{o:#?}");
            assert_eq!(holders.processes[0].pid, me());
            assert_eq!(
                holders.open_per_kernel, None,
                "a seen holder needs no lease"
            );
            assert!(matches!(o.staleness, Staleness::InUse(_)), "{o:#?}");
            let o = find(&inventory.objects, Kind::PosixSharedMemory, "/free");
            let holders = o.holders.as_ref().unwrap();
            assert!(holders.processes.is_empty() && !holders.complete, "{o:#?}");
            assert_eq!(holders.open_per_kernel, Some(false), "{o:#?}");
            assert!(o.is_stale(), "{o:#?}");
            let o = find(
                &inventory.objects,
                Kind::SysvSharedMemory,
                &ipc_inventory::format_key(0x1c5a_0002),
            );
            assert_eq!((o.creator_pid, o.last_pid), (Some(pid), None), "{o:#?}");
            assert!(
                matches!(&o.staleness, Staleness::Unknown(r) if r.contains("pid of its last user is 0")),
                "{o:#?}"
            );
            drop(held);
        },
    );
}

/// Without System V IPC (no `/proc/sysvipc`, as in a kernel built without
/// it) the POSIX objects are listed and the inventory says System V was
/// not; a `/proc/sysvipc` whose format is not understood is an error, not
/// an empty list.
#[test]
fn in_a_container_without_system_v_ipc_the_posix_objects_are_listed() {
    in_container(
        "in_a_container_without_system_v_ipc_the_posix_objects_are_listed",
        || {
            drop(posix_ipc::SharedMemory::create_new("/posix", 64).unwrap());
            let q = sysv_ipc::MessageQueue::create_new(Key::new(0x1c5a_0003)).unwrap();
            mount("none", "/proc/sysvipc", "tmpfs", 0, "mode=0755").unwrap();
            let inventory = ipc_inventory::list().unwrap();
            assert!(!inventory.sysv_listed);
            let labels: Vec<String> = inventory.objects.iter().map(Object::label).collect();
            assert_eq!(labels, ["/posix"]);

            std::fs::write("/proc/sysvipc/sem", "key semid perms\n1 2\n").unwrap();
            let e = ipc_inventory::list().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Other, "{e}");
            assert!(e.message().contains("/proc/sysvipc/sem"), "{e}");
            assert!(e.message().contains("not understood"), "{e}");

            unmount("/proc/sysvipc").unwrap();
            let inventory = ipc_inventory::list().unwrap();
            assert!(inventory.sysv_listed);
            find(
                &inventory.objects,
                Kind::SysvMessageQueue,
                &ipc_inventory::format_key(0x1c5a_0003),
            );
            drop(q);
        },
    );
}

/// Only regular files of `/dev/shm` are objects (not directories, FIFOs or
/// symbolic links), listed with their times; `sem.` alone is shared memory,
/// not a semaphore without a name. A missing `/dev/shm` lists nothing, but
/// one this user may not read is an error. The mqueue file system is found
/// on `/dev/mqueue`, else wherever it is mounted.
#[test]
fn in_a_container_the_listing_takes_regular_files_and_finds_the_mqueue_mount() {
    in_container(
        "in_a_container_the_listing_takes_regular_files_and_finds_the_mqueue_mount",
        || {
            std::fs::write("/dev/shm/sem.", b"x").unwrap();
            let accessed = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_000, 5);
            let modified = SystemTime::UNIX_EPOCH + Duration::new(1_200_000_000, 7);
            std::fs::File::options()
                .write(true)
                .open("/dev/shm/sem.")
                .unwrap()
                .set_times(
                    std::fs::FileTimes::new()
                        .set_accessed(accessed)
                        .set_modified(modified),
                )
                .unwrap();
            std::fs::create_dir("/dev/shm/dir").unwrap();
            std::os::unix::fs::symlink("/dev/shm/sem.", "/dev/shm/link").unwrap();
            // SAFETY: a NUL-terminated literal path.
            assert_eq!(unsafe { libc::mkfifo(c"/dev/shm/fifo".as_ptr(), 0o600) }, 0);
            let inventory = ipc_inventory::list().unwrap();
            assert_eq!(posix_labels(&inventory.objects), ["/sem."]);
            let o = find(&inventory.objects, Kind::PosixSharedMemory, "/sem.");
            assert_eq!(o.size, Some(1));
            assert_eq!(o.times.accessed, Some(accessed));
            assert_eq!(o.times.modified, Some(modified));

            // A /dev without shm or mqueue directories (the mqueue mount is
            // still in /proc/mounts, but hidden).
            mount("none", "/dev", "tmpfs", 0, "mode=0755").unwrap();
            let inventory = ipc_inventory::list().unwrap();
            assert!(posix_labels(&inventory.objects).is_empty());
            unmount("/dev").unwrap();

            // Every mqueue mount taken away (the machine's, hidden under
            // this container's, too), then one elsewhere, then /dev/mqueue.
            while unmount("/dev/mqueue").is_ok() {}
            assert_eq!(ipc_inventory::mqueue_mount(), None);
            let _queue = posix_ipc::MessageQueue::create_new("/queue").unwrap();
            let inventory = ipc_inventory::list().unwrap();
            assert_eq!(inventory.mqueue_mount, None);
            assert_eq!(posix_labels(&inventory.objects), ["/sem."]);
            mount("none", "/tmp", "tmpfs", 0, "mode=0755").unwrap();
            std::fs::create_dir("/tmp/mq").unwrap();
            mount("none", "/tmp/mq", "mqueue", 0, "").unwrap();
            mount("none", "/dev/mqueue", "mqueue", 0, "").unwrap();
            assert_eq!(
                ipc_inventory::mqueue_mount().as_deref(),
                Some(Path::new("/dev/mqueue"))
            );
            unmount("/dev/mqueue").unwrap();
            assert_eq!(
                ipc_inventory::mqueue_mount().as_deref(),
                Some(Path::new("/tmp/mq"))
            );
            let inventory = ipc_inventory::list().unwrap();
            let o = find(&inventory.objects, Kind::PosixMessageQueue, "/queue");
            assert_eq!(o.path.as_deref(), Some(Path::new("/tmp/mq/queue")));

            // A /dev/shm this user may not read, then one it may read but
            // not search (so its files cannot be examined): errors, not an
            // empty list.
            let set_mode = |mode| {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions("/dev/shm", std::fs::Permissions::from_mode(mode))
                    .unwrap();
            };
            std::os::unix::fs::chown("/dev/shm", Some(65534), Some(65534)).unwrap();
            set_mode(0o300);
            testkit::become_nobody();
            let e = ipc_inventory::list().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            assert!(e.message().contains("cannot read /dev/shm:"), "{e}");
            set_mode(0o600);
            let e = ipc_inventory::list().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            assert!(e.message().contains("cannot read /dev/shm/"), "{e}");
        },
    );
}
