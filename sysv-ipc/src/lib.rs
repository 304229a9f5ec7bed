//! System V semaphores (and semaphore sets), shared memory segments and message
//! queues for Rust, with everything Python's
//! [`sysv_ipc`](https://pypi.org/project/sysv-ipc/) offers, its crashes and
//! silent wrap-arounds turned into typed errors, and objects that C programs and
//! Python's `sysv_ipc` open as their own.
//!
//! ```
//! use sysv_ipc::{MessageQueue, Selector, Semaphore, SemaphoreSet, SemOp, SharedMemory, Timeout, Wait};
//!
//! fn main() -> Result<(), sysv_ipc::Error> {
//!     // A semaphore: P/V/Z with real timeouts (semtimedop), undo, and an RAII guard.
//!     let sem = Semaphore::create_unique(1)?.remove_on_drop();
//!     sem.acquire(1, Timeout::Immediate)?;
//!     sem.release(1)?;
//!
//!     // Semaphore sets with atomic, all-or-nothing batches.
//!     let set = SemaphoreSet::options().len(2).initial_value(1).create_unique()?.remove_on_drop();
//!     set.apply(&[SemOp::acquire(0, 1), SemOp::acquire(1, 1)], Timeout::Immediate)?;
//!
//!     // Shared memory: one attach is one mapping, detached on drop.
//!     let shm = SharedMemory::create_unique(4096)?.remove_on_drop();
//!     let view = shm.attach()?;
//!     view.write_at(0, b"hi")?;
//!
//!     // Typed messages with selectors (any, exact type, lowest type <= t, all but t).
//!     let q = MessageQueue::create_unique()?.remove_on_drop();
//!     q.send(b"three", 3, Wait::Block)?;
//!     assert_eq!(q.receive_vec(Selector::Except(1), Wait::NoWait)?.data, b"three");
//!     Ok(())
//! }
//! ```
//!
//! # Feature flags
//!
//! - `bytemuck` (off by default): typed copies of plain-old-data values in and
//!   out of an attachment's [`Region`](ipc_common::Region) (`read_obj`, `write_obj`, `read_slice`,
//!   `write_slice`).
//!
//! # Conventions
//!
//! - **Keys** ([`Key`]) are `key_t` values, never truncated; [`ftok`] derives
//!   one from a file; [`Key::PRIVATE`] makes an object only its id reaches; every
//!   primitive has a unique-key constructor (sysv_ipc's `key=None`) that draws
//!   keys from the OS random source.
//! - **Open like [`std::fs::OpenOptions`]**: each primitive has a
//!   `Type::options()` builder whose setters (`create`, `create_new`, `mode`,
//!   ...) take and return `&mut Self`, and whose terminal methods take `&self`:
//!   `open(key)`, `create_unique()` and, where the options matter for it,
//!   `open_id(id)`. The sysv_ipc flag constants ([`IPC_CREAT`], [`IPC_EXCL`],
//!   [`IPC_CREX`]) exist too (`options().flags(..)`), for line-by-line ports.
//!   Every function that takes a key takes `impl Into<Key>` (a [`Key`] or an
//!   `i32`).
//! - **Short forms named like [`std::fs::File`]'s**: `Type::open(key)` opens an
//!   existing object only; `Type::create(key, ..)` opens or creates
//!   (`IPC_CREAT`); `Type::create_new(key, ..)` creates exclusively
//!   (`IPC_CREX`, `AlreadyExists` if the key is taken);
//!   `Type::create_unique(..)` creates under a fresh key; `Type::from_id(id)`
//!   opens by id. Initial values, sizes and fills apply only when the call
//!   created the object (sysv_ipc resets a semaphore on every `IPC_CREAT`).
//! - **Removal is explicit** (`remove(&self)`, the module `remove_*`
//!   functions): dropping a handle never removes the kernel object. The opt-in
//!   is `remove_on_drop(self)`, which wraps any handle in the one guard type,
//!   [`RemoveOnDrop`]: it derefs to the handle, removes the object when it
//!   drops, and is disarmed by [`into_inner`](RemoveOnDrop::into_inner). Shared
//!   memory attachments detach themselves on drop.
//! - **Blocking calls take `impl Into<`[`Timeout`]`>`** (a `Timeout`, or a
//!   [`Duration`](std::time::Duration) for `After`), implemented with
//!   `semtimedop` on Linux (sysv_ipc's Linux wheels silently ignore
//!   timeouts; macOS and FreeBSD have no `semtimedop`, so there a non-zero
//!   `After` is [`ErrorKind::Unsupported`], see
//!   [`SEMAPHORE_TIMEOUT_SUPPORTED`]); an expired one is [`ErrorKind::TimedOut`], `Immediate` that
//!   cannot proceed [`ErrorKind::WouldBlock`]. Message queues have no kernel
//!   timeout: their sends and receives take a [`Wait`] (block or not) in the
//!   same last position, and never pretend to time out. A signal
//!   interrupting a wait returns [`ErrorKind::Interrupted`], and here that is
//!   reliable: Linux never restarts `semop`, `semtimedop`, `msgsnd` or
//!   `msgrcv` after a signal handler, even one installed with `SA_RESTART`
//!   (signal(7)), so Ctrl-C with a handler always ends the wait. On Linux a
//!   semaphore wait also ends with `Interrupted` when the process is stopped
//!   and continued (Ctrl-Z, then `fg`), with no handler at all. A signal that
//!   is ignored, or blocked, interrupts nothing.
//! - **A process that dies** keeps nothing: the kernel reverses the semaphore
//!   operations it made with undo ([`Semaphore::set_undo`], [`SemOp::undo`])
//!   when it exits, even by `SIGKILL`; the ones it made without undo stay
//!   (see [`Semaphore`](Semaphore#when-a-process-dies)).
//! - **One `stat()`** per primitive returns every `IPC_STAT` field at once
//!   ([`SemaphoreStat`], [`SharedMemoryStat`], [`MessageQueueStat`]); getters
//!   mirror sysv_ipc's properties with the same names and types everywhere:
//!   `key()`, `id()`, `permissions()`, `mode()`/`set_mode(u32)`,
//!   `uid()`/`set_uid`, `gid()`/`set_gid`, `cuid()`, `cgid()`, times as
//!   `Option<SystemTime>` where the kernel's 0 means "never" (`change_time` is
//!   always set), process ids as `Option<pid_t>` where 0 means "none yet".
//! - **Ids can come back.** A handle names its object by id, and after the
//!   object is removed the kernel may give the id to a new object. Where a
//!   cheap identity check exists (the key the handle was opened with and, for
//!   semaphore sets, the number of semaphores, compared with one `IPC_STAT`),
//!   a handle fails with [`ErrorKind::Removed`] ("the id now belongs to another
//!   object") instead of reading, changing or removing the new object: see
//!   [`SemaphoreSet`](SemaphoreSet#a-handle-whose-set-was-removed) for the
//!   exact list. Not detected: operations that succeed on the new object
//!   without an `IPC_STAT` (a `semop`, a message send or receive), a new object
//!   with the same key (and size), and private objects, which have no key.
//!
//! Errors are [`Error`]s: a kind, the errno, the operation and a message
//! that says what to do. `EACCES` and `EPERM` both map to
//! [`ErrorKind::PermissionDenied`]. The [`Error`] page lists the kinds this
//! crate returns and when, and how an `Error` converts into
//! [`std::io::Error`] (keeping the errno).
//!
//! # Security
//!
//! System V keys are public: every user on the machine (in the same IPC
//! namespace) sees every key and id with `ipcs`, and may create an object
//! under any key that is still free.
//!
//! - **Squatting.** Another user can create an object first under the key a
//!   program is going to use, with mode `0o666`, and wait: a program that
//!   then "opens or creates" it would write its data into the other user's
//!   segment or queue, or take the other user's semaphore value. So every
//!   open-or-create here ([`Semaphore::create`], `options().create(true)`,
//!   the [`IPC_CREAT`] flag, for semaphores, sets, segments and queues) adopts
//!   an existing object only when both its owner (`uid`) and its creator
//!   (`cuid`) are this process's effective user or root, and otherwise fails
//!   with [`ErrorKind::ForeignOwner`], naming that user, before it changes
//!   anything (no initial value, no fill, no `semop`, no attach). The creator
//!   counts because it keeps the right to change and remove the object and
//!   can hand its ownership to anyone (`IPC_SET`). An object whose mode hides
//!   its attributes from this user cannot be checked and is refused with
//!   [`ErrorKind::PermissionDenied`]. `allow_foreign_owner(true)` on each
//!   options builder adopts such objects on purpose; `created()` on every
//!   handle tells whether the call made the object. Opening without `create`
//!   (`Type::open(key)`, `from_id`) trusts whatever has the key or id: check
//!   `permissions()` where that matters.
//! - **`create_new`** (`IPC_CREX`) never opens an existing object
//!   ([`ErrorKind::AlreadyExists`]): the way for one owner to be sure it made
//!   the object it is about to trust.
//! - **`create_unique`** creates exclusively under a key drawn from the OS
//!   random source, so nobody can have planted it; [`Key::PRIVATE`]
//!   (`IPC_PRIVATE`) makes an object no key reaches. Neither is secret: other
//!   users still see the key or id in `ipcs` and may use the object as far as
//!   its mode allows.
//! - **Modes** are the only protection of an object: the default is `0o600`
//!   (owner only) everywhere; only the nine `rwxrwxrwx` bits mean anything,
//!   and a mode above `0o777` is refused with
//!   [`InvalidInput`](ErrorKind::InvalidInput) (`mode()` at `open`, and
//!   `set_mode()`). Root ignores modes.
//! - **umask** does not apply: unlike files, POSIX shared memory and POSIX
//!   queues, a System V object gets exactly the mode it is created with, so
//!   `mode(0o666)` makes a world-writable object even under `umask 077`.
//! - **Keys from [`ftok`]** are guessable: they are built from the file's
//!   device and inode numbers and an 8-bit id, which any user who can `stat`
//!   the file can compute (and different files can collide). Treat them as
//!   names, not secrets.
//!
//! # Crashes
//!
//! What a process killed with `kill -9` (or crashing) leaves behind, and how
//! the others recover. Each row is tested by SIGKILLing a real child process
//! in the middle of the operation (`tests/every_kind/crash.rs`).
//!
//! | primitive | what the killed process leaves | how to recover |
//! |---|---|---|
//! | [`Semaphore`] with [`set_undo(true)`](Semaphore::set_undo) | nothing: the kernel reverses the dead process's adjustments (`SEM_UNDO`), so the value is restored | nothing to do |
//! | [`Semaphore`] without undo | the value stays as the dead process left it (an acquire stays decremented) | use undo, or a [`RobustMutex`] for mutual exclusion |
//! | [`SharedMemory`] | the segment and its contents, until removed; the dead process's attachments are detached, so `number_attached()` drops by them | nothing to undo; a segment removed while attached disappears when the last attacher dies |
//! | [`MessageQueue`] | the messages it sent stay queued; the send or receive it was blocked in never happens | receive them as usual; remove the queue when no one needs it |
//! | [`RobustMutex`] in an [`Attachment`] | the mutex marked "owner died" | the next lock returns [`LockOutcome::OwnerDied`] holding the lock: repair the data, then [`make_consistent`](InconsistentGuard::make_consistent) |
//!
//! Keys survive every crash: only `remove` (or a reboot) removes a System V
//! object. [`RobustMutex`] and [`Condvar`] come from `ipc-common` and are
//! re-exported here (Linux and FreeBSD; see [`ROBUST_MUTEX_SUPPORTED`]).
#![cfg_attr(docsrs, feature(doc_cfg))]
// The prose links to items some targets lack (System V message queues on
// macOS, Linux-only limits); the Linux documentation build checks every link.
#![cfg_attr(not(target_os = "linux"), allow(rustdoc::broken_intra_doc_links))]
#![deny(missing_docs)]

/// The error of every call of this crate, re-exported from `ipc-common`
/// (its own documentation follows the line below): a [kind](Error::kind),
/// the errno, the failing operation and a message that says what to do.
///
/// # Kinds `sysv-ipc` returns
///
/// | [`ErrorKind`] | when |
/// |---|---|
/// | `NotFound` | no object has the key (`open`); an id the caller gives names nothing (`from_id`, `attach(id)`, `remove_*(id)`) |
/// | `AlreadyExists` | an exclusive create (`create_new`, `IPC_CREX`) finds the key taken |
/// | `PermissionDenied` | the object's mode refuses the access (`EACCES`, `EPERM`); a write through a read-only attachment; an existing object whose owner cannot be read |
/// | `ForeignOwner` | an open-or-create finds an object owned or created by another user (see [Security](crate#security)) |
/// | `WouldBlock` | the call would have to wait and was asked not to: [`Timeout::Immediate`], `block(false)`, [`Wait::NoWait`] |
/// | `TimedOut` | a [`Timeout::After`] of a semaphore wait expired |
/// | `Busy` | other processes kept removing and re-creating the key during an open-or-create |
/// | `Interrupted` | a signal handler ran during a wait (Linux never restarts these calls) |
/// | `Removed` | the handle's object was removed (`EIDRM`), or its id now names another object |
/// | `NotAttached` | the shared memory handle's own attachment was detached |
/// | `InvalidInput` | a bad key, flags, mode, size, delta, index, value, selector or message type, refused before any system call; a message above `msgmax`; a read past the end |
/// | `LimitExceeded` | a system limit: `SEMMNI`, `SEMMNS`, `SHMMNI`, `SHMALL`, `MSGMNI`, `SEMVMX` (a release that would pass it), memory |
/// | `Unsupported` | a limit the running system does not publish; a [`Timeout`] a message queue cannot honour (`Wait::try_from`); a semaphore [`Timeout::After`] on macOS and FreeBSD, which have no `semtimedop` |
/// | `NotRecoverable` | a [`RobustMutex`] whose dead owner's data was never marked consistent |
/// | `Other` | anything else; [`Error::raw_os_error`] has the errno |
///
/// [`Error::is_busy`] and the other porting helpers group them like
/// sysv_ipc's exceptions (`BusyError` is `WouldBlock`, `TimedOut` or `Busy`).
///
/// # With `std`
///
/// - `Error` converts into [`std::io::Error`] (`?` in a function returning
///   `io::Result`; the `From<Error> for std::io::Error` impl lives in
///   [`ipc_common`], so it is listed on the page of [`ipc_common::Error`], not
///   here). An `io::Error` holds an errno or a payload, never both: when a
///   system call failed, the conversion keeps the errno
///   (`raw_os_error()` returns it, the kind is std's reading of it); without
///   an errno, or when this family reads the errno differently (an `EINVAL`
///   meaning "removed"), it keeps this error as the payload with a mapped
///   kind, so `into_inner()` gives it back.
/// - [`source()`](std::error::Error::source) is the OS error (an
///   `io::Error`) where there is one, so `anyhow` and other reporters show
///   the system's description as the cause.
/// - It is `Send + Sync + 'static`, `Clone` and `Eq`, and `Box<dyn Error>`,
///   `anyhow::Error` and downcasting back to it all work.
///
/// ```
/// fn open_config(name: sysv_ipc::Key) -> std::io::Result<()> {
///     sysv_ipc::SharedMemory::open(name)?; // Error into io::Error
///     Ok(())
/// }
/// let gone = sysv_ipc::SharedMemory::create_unique(1)?.remove_on_drop();
/// let key = gone.key();
/// gone.remove()?; // now a key no one uses
/// let e = open_config(key).unwrap_err();
/// assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
/// assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// ---
///
pub use ipc_common::Error;
pub use ipc_common::{ErrorKind, IntoMode, Mode, Permissions, Result, Timeout};

mod guard;
mod ipc;
mod key;
pub mod limits;

pub use guard::{Remove, RemoveOnDrop};
pub use ipc::{IPC_CREAT, IPC_CREX, IPC_EXCL, IPC_PRIVATE};
pub use key::{Key, ftok};

// ---- Semaphores and semaphore sets (sem.rs) ----
mod sem;
pub use sem::{
    SEMAPHORE_TIMEOUT_SUPPORTED, SEMAPHORE_VALUE_MAX, SemOp, Semaphore, SemaphoreGuard,
    SemaphoreOptions, SemaphoreSet, SemaphoreSetOptions, SemaphoreStat, remove_semaphore,
};

// ---- Shared memory (shm.rs) ----
mod shm;
pub use shm::{
    Attachment, SharedMemory, SharedMemoryOptions, SharedMemoryStat, attach, remove_shared_memory,
};
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use shm::{SHM_HUGETLB, SHM_NORESERVE};

// ---- Message queues (msg.rs) ----
/// True where this crate has System V message queues: everywhere but
/// macOS. macOS has them, but the `libc` crate declares neither `msgget` &
/// co. nor `struct msqid_ds` for it, and this family writes no struct layout
/// by hand, so [`MessageQueue`] and its companions are absent there (a
/// compile error, never a run-time failure). sysv_ipc has no such flag; it is
/// the counterpart of posix_ipc's `MESSAGE_QUEUES_SUPPORTED`.
///
/// ```
/// assert_eq!(sysv_ipc::MESSAGE_QUEUES_SUPPORTED, !cfg!(target_vendor = "apple"));
/// ```
pub const MESSAGE_QUEUES_SUPPORTED: bool = cfg!(not(target_vendor = "apple"));
#[cfg(not(target_vendor = "apple"))]
mod msg;
#[cfg(not(target_vendor = "apple"))]
#[cfg_attr(docsrs, doc(cfg(not(target_vendor = "apple"))))]
pub use msg::{
    DEFAULT_MAX_MESSAGE_SIZE, Message, MessageQueue, MessageQueueOptions, MessageQueueStat,
    STACK_MESSAGE_SIZE, Selector, Wait, remove_message_queue,
};

// ---- Crash survival (ipc-common's robust.rs) ----
pub use ipc_common::ROBUST_MUTEX_SUPPORTED;
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "freebsd"))))]
pub use ipc_common::{
    Condvar, InconsistentGuard, LockOutcome, MutexGuard, RobustMutex, WaitTimeoutResult,
};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
