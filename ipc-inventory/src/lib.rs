//! List, inspect and remove the IPC objects on a machine: POSIX shared
//! memory, named semaphores and message queues, and System V semaphore sets,
//! shared memory segments and message queues, whoever made them (this
//! family's crates, C programs, Python's `posix_ipc`/`sysv_ipc`, ...).
//!
//! IPC objects outlive the processes that made them: a run killed with
//! `SIGKILL` leaves its objects behind, and the next run's exclusive create
//! fails with `AlreadyExists`. This crate finds such leftovers, tells whether
//! any live process still uses them, and removes them. The `ipc` command
//! (crate `ipc-tool`) is built on it.
//!
//! ```no_run
//! let inventory = ipc_inventory::list()?;
//! for object in &inventory.objects {
//!     // "posix-shm /myapp-frames: stale: no live process has it open or mapped"
//!     println!("{object}: {}", object.staleness);
//! }
//! let cleanup = ipc_inventory::remove_stale("/myapp-")?;
//! println!("removed {}, kept {}", cleanup.removed.len(), cleanup.kept.len());
//! # Ok::<(), ipc_common::Error>(())
//! ```
//!
//! No feature flags: the crate depends only on `libc` and `ipc-common`.
//!
//! # What is listed (Linux)
//!
//! - POSIX shared memory: the files of `/dev/shm` (name, size, mode, owner,
//!   times); glibc's named semaphores are the `sem.<name>` files there.
//!   musl keeps the semaphore `/x` in `/dev/shm/x`, the file of the shared
//!   memory object `/x`, with nothing that tells the two apart: musl
//!   programs' semaphores are listed (and cleared) as shared memory.
//! - POSIX message queues: the files of the mqueue filesystem, wherever
//!   `/proc/mounts` says it is mounted (`QSIZE` and the notification
//!   registration from the file, capacity and message count from
//!   `mq_getattr`). When it is not mounted, [`Inventory::mqueue_mount`] is
//!   `None`: queues were not listed, which is not the same as "there are
//!   none".
//! - For each POSIX object, the live processes that hold it open
//!   (`/proc/<pid>/fd`, also of threads that unshared their descriptor
//!   table) or mapped (`/proc/<pid>/maps`), matched by device and inode.
//!   When some process cannot be inspected and nobody was seen holding the
//!   object, the kernel is asked instead: it grants a write lease
//!   (`F_SETLEASE`) only to the sole opener of a file, whoever and wherever
//!   the other openers are. This needs the object's owner or `CAP_LEASE`
//!   (root). The lease is released at once; an `open` of the object in those
//!   microseconds waits for it (or fails with `EAGAIN` under `O_NONBLOCK`).
//! - System V objects: the rows of `/proc/sysvipc/{sem,shm,msg}` (key, id,
//!   mode, owner and creator, sizes, counts, pids, times), plus each
//!   semaphore's last-operation pid and waiters (`semctl` `GETPID`,
//!   `GETNCNT`, `GETZCNT`) and the tasks blocked in `msgsnd`/`msgrcv` on
//!   each queue (`/proc/<pid>/task/<tid>/syscall`).
//!
//! What the system does not tell is `None`, never a guess: System V sets and
//! queues record no creator pid, a POSIX semaphore's value is not read (that
//! would mean mapping a file another user may truncate), and a queue this
//! user may not open has no capacity.
//!
//! # Stale objects
//!
//! An object is **stale** when no live process uses it, by a rule that is
//! conservative: when in doubt, it is not stale ([`Staleness::Unknown`]),
//! and removal by the stale helpers refuses it.
//!
//! | kind | stale when |
//! |---|---|
//! | POSIX shared memory, semaphore, queue | no process has it open or mapped, and no live process is registered for the queue's notification: every live process was inspected, or the kernel granted a write lease |
//! | System V shared memory | `nattch` is 0 and its creator (`cpid`) and last user (`lpid`, if any) are dead |
//! | System V semaphore set | nobody waits on it, and the last-operation pid of every semaphore is dead or 0, at least one being known |
//! | System V message queue | no task is blocked in `msgsnd`/`msgrcv` on it, its last sender and receiver are dead or 0, at least one being known, **and** every live process could be inspected |
//!
//! Why this never calls an object in use stale:
//!
//! - *Pid reuse* only errs one way. A dead process's pid taken by an
//!   unrelated process makes the object look in use, never the reverse;
//!   zombies count as alive too.
//! - *What cannot be seen counts as a use.* A process this user may not
//!   inspect (another user's, without root) may hold a POSIX object or be
//!   blocked on a queue, so such objects become `Unknown` unless the kernel
//!   answers for them (the write lease, for POSIX objects); the same holds
//!   when `/proc` hides processes (`hidepid`) or this process runs in a
//!   PID namespace other than the initial one (a container), where pids of
//!   processes outside it show as 0 and their descriptors are invisible.
//! - *No record is not "nobody".* A System V set or queue nobody has
//!   operated on yet records no pid at all, and its creator may be between
//!   `semget` and its first `semop`: `Unknown`.
//! - *POSIX creation holds the object.* `shm_open` and `mq_open` return a
//!   descriptor and glibc's `sem_open` maps the file before giving it its
//!   name, so a creator is a holder from the first instant.
//! - Each removal re-checks that the object is the one inspected (same
//!   file; same key, pids, counts and times) right before removing it.
//!
//! What the rule cannot see: a program that opens an object by name only
//! when it needs it and holds nothing in between, and a descriptor in
//! flight in a Unix socket (`SCM_RIGHTS`). "Stale" means nobody holds it
//! *now*. The check and the removal are two steps, so a process that opens
//! the object in between loses it (as with `ipcrm`).
//!
//! # The crashed-last-run recipe
//!
//! A program that creates its objects exclusively (so that two instances
//! never share them by accident) fails after a crash of its previous run:
//! the names are still there. Clear them first; a live instance keeps
//! them, and the program then stops with a clear error instead of stealing
//! them:
//!
//! ```no_run
//! use ipc_inventory::{Cleared, Kind, clear_stale};
//!
//! // Removed only if no live process uses it: a running instance makes
//! // this fail with ErrorKind::Busy, naming the pids that hold it.
//! if let Cleared::Removed(old) = clear_stale(Kind::PosixSemaphore, "/myapp-lock")? {
//!     eprintln!("removed {old}, left by a run that crashed");
//! }
//! let lock = posix_ipc::Semaphore::create_new("/myapp-lock", 1)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`clear_stale_key`] does the same for System V keys.
//!
//! # Platforms
//!
//! Everything that reads `/proc` is Linux only (`cfg(target_os = "linux")`);
//! the types compile everywhere. Another OS would need its own sources:
//! on macOS, POSIX objects are not visible in any filesystem (there is no
//! way to list them; only names you know can be probed), and System V
//! objects are found by iterating `IPC_STAT` (`ipcs` uses
//! `sysctl kern.sysv`); FreeBSD lists POSIX shared memory with
//! `sysctl kern.ipc.posix_shm_list`, its semaphores live in a filesystem
//! only with `sem(4)`, message queues under a mounted `mqueuefs`, and
//! holders come from `procstat` (`kinfo_file`) rather than `/proc`.
// The prose links to items only Linux has (the inventory reads /proc and
// the mqueue file system); the Linux documentation build checks every link.
#![cfg_attr(not(target_os = "linux"), allow(rustdoc::broken_intra_doc_links))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

#[cfg(target_os = "linux")]
mod lease;
mod object;
#[cfg(target_os = "linux")]
mod proc;
#[cfg(target_os = "linux")]
mod processes;
#[cfg(target_os = "linux")]
mod remove;
#[cfg(target_os = "linux")]
mod rule;
#[cfg(target_os = "linux")]
mod scan;

pub use object::{
    Holder, Holders, Kind, Notification, Object, Prefix, Staleness, Times, format_key,
};
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use remove::{
    Cleanup, Cleared, check_removable, clear_stale, clear_stale_key, remove, remove_if_stale,
    remove_stale, remove_sysv, unlink_posix,
};
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use scan::{Inventory, MQUEUE_DIR, ProcessSummary, SHM_DIR, Scan, list, mqueue_mount};
