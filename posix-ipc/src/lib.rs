//! POSIX named semaphores, shared memory and message queues for Rust,
//! with everything Python's [`posix_ipc`](https://pypi.org/project/posix-ipc/)
//! offers, its crashes turned into typed errors, and objects that C programs and
//! Python's `posix_ipc` open as their own.
//!
//! ```
//! use posix_ipc::{MessageQueue, Semaphore, SharedMemory, Timeout};
//!
//! fn main() -> Result<(), posix_ipc::Error> {
//!     // A semaphore another process can open by name.
//!     let sem = Semaphore::create_unique(1)?.unlink_on_drop();
//!     {
//!         let _held = sem.lock()?; // released when the guard drops
//!     }
//!
//!     // Shared memory: bounds-checked copies and atomics, never a safe &mut [u8]
//!     // over memory another process writes.
//!     let shm = SharedMemory::create_unique(4096)?.unlink_on_drop();
//!     let map = shm.map()?;
//!     map.write_at(0, b"hello")?;
//!     assert_eq!(map.read_vec(0, 5)?, b"hello");
//!
//!     // A message queue with priorities; receive into your own buffer, no allocation.
//!     let q = MessageQueue::options().max_messages(4).max_message_size(64).create_unique()?.unlink_on_drop();
//!     q.send(b"urgent", 9)?;
//!     let mut buf = [0u8; 64];
//!     let (len, priority) = q.receive_timeout(&mut buf, Timeout::Immediate)?;
//!     assert_eq!((&buf[..len], priority), (&b"urgent"[..], 9));
//!     Ok(())
//! }
//! ```
//!
//! # Feature flags
//!
//! - `tokio` (off by default; Linux and FreeBSD): `AsyncMessageQueue`, async
//!   send and receive on tokio's readiness for the queue descriptor.
//! - `bytemuck` (off by default): typed copies of plain-old-data values in and
//!   out of a mapping's [`Region`](ipc_common::Region) (`read_obj`, `write_obj`, `read_slice`,
//!   `write_slice`).
//! - `nix` (off by default; Linux and FreeBSD): `SignalNumber` from a `nix`
//!   `Signal`, so that `MessageQueue::notify_signal` takes one directly.
//!
//! The package is `posix-ipc-rs` (`cargo add posix-ipc-rs`; `posix-ipc` on
//! crates.io is an unrelated crate); the library is `posix_ipc`.
//!
//! # Conventions
//!
//! - **Open like [`std::fs::OpenOptions`]**: each primitive has a
//!   `Type::options()` builder whose setters (`create`, `create_new`, `mode`,
//!   ...) take and return `&mut Self`, and whose terminal methods take `&self`:
//!   `open(name)` and `create_unique()`. The posix_ipc flag constants
//!   ([`O_CREAT`], [`O_EXCL`], [`O_CREX`], [`O_TRUNC`], ...) exist too
//!   (`options().flags(..)`), so code ports line by line.
//! - **Short forms named like [`std::fs::File`]'s**: `Type::open(name)` opens an
//!   existing object only; `Type::create(name, ..)` opens or creates
//!   (`O_CREAT`); `Type::create_new(name, ..)` creates exclusively (`O_CREX`,
//!   `AlreadyExists` if the name is taken); `Type::create_unique(..)` creates
//!   under a fresh random name (posix_ipc's `name=None`). What `create` does
//!   with an existing object is the primitive's own semantics, documented on
//!   each: a semaphore keeps its value (`sem_open` ignores the initial value),
//!   shared memory is resized to the given size (as posix_ipc does). It
//!   refuses an existing object of another user (see [Security](#security)),
//!   and `created()` tells whether it created the object.
//! - **Names are validated before any system call** ([`Name`]): `/` + 1 to 255
//!   bytes (251 for semaphores; 29 for both on macOS, see [`NAME_MAX`]), no
//!   further `/`, no NUL.
//! - **Ownership**: a handle closes itself on drop; `close(self)` returns the
//!   error if you want it. Unlinking is always explicit (`unlink(&self)`, the
//!   module `unlink_*` functions), or opt-in: `unlink_on_drop(self)` wraps any
//!   handle in the one guard type, [`UnlinkOnDrop`], which derefs to the
//!   handle, unlinks when it drops, and is disarmed by
//!   [`into_inner`](UnlinkOnDrop::into_inner).
//! - **Blocking calls take `impl Into<`[`Timeout`]`>`**: `Forever`,
//!   `Immediate` (fails with [`ErrorKind::WouldBlock`]) or `After(duration)`
//!   (fails with [`ErrorKind::TimedOut`] when it expires); a plain
//!   [`Duration`](std::time::Duration) means `After`. The `_timeout` suffix
//!   means one thing in both crates: the plain call, which waits as long as
//!   it takes, plus a trailing timeout (`send`/`send_timeout`,
//!   `receive`/`receive_timeout`); a call that takes a timeout anyway
//!   (`acquire(timeout)`) has no `_timeout` twin. A signal handler
//!   interrupting a wait makes it return [`ErrorKind::Interrupted`]; this
//!   crate never retries on its own. That needs a handler installed without
//!   `SA_RESTART`: with `SA_RESTART` (glibc's `signal()` sets it, and so do
//!   many signal-handling libraries) the kernel itself restarts an untimed
//!   semaphore wait and every queue send and receive after the handler
//!   returns, so they keep waiting; only timed semaphore waits return
//!   `Interrupted` regardless.
//! - **Limits are read from the running system** ([`limits`]).
//!
//! Errors are [`Error`]s: a kind, the errno, the operation and a message
//! that says what to do. The [`Error`] page lists the kinds this crate
//! returns and when, and how an `Error` converts into [`std::io::Error`]
//! (keeping the errno).
//!
//! # Security
//!
//! POSIX IPC names are global to the machine. On Linux each object is a file
//! in a directory every user may write to: `/dev/shm` for semaphores
//! (`sem.<name>`) and shared memory, the mqueue file system for queues.
//!
//! - **Name squatting.** Any user can create a name before your program
//!   does, with mode `0o666`. A program that then opens it with an
//!   open-or-create (`Type::create`, `options().create(true)`, `O_CREAT`)
//!   works on that user's object: the squatter reads what it writes, forges
//!   messages, sets the semaphore's value, and can shrink the shared memory or
//!   truncate the semaphore's file under it, which kills it with `SIGBUS`.
//!   Here an open-or-create that finds an object owned by another user
//!   (neither this process's effective user nor root, who can change any
//!   object anyway) refuses it with [`ErrorKind::ForeignOwner`], naming the
//!   owner, and changes nothing. `allow_foreign_owner(true)` on the options
//!   opts in, for objects shared with a user you trust. `created()` on every
//!   handle tells whether this call made the object (and so set its mode,
//!   size or initial value).
//! - **`create_new` and `create_unique`.** An exclusive create
//!   (`Type::create_new`, `options().create_new(true)`, [`O_CREX`]) never
//!   opens an existing object: it fails with [`ErrorKind::AlreadyExists`].
//!   `create_unique` draws the name from the OS random source, so no one can
//!   create it first; pass it to the processes that should open it. A plain
//!   `open` trusts whatever the name refers to: use it for objects a trusted
//!   party created, or check [`SharedMemory::uid`] and the like.
//! - **Modes and the umask.** New objects get mode `0o600` (owner read and
//!   write) unless you give another: only this user and root can open them.
//!   `0o660` or `0o666` share them with a group or with everyone; keep in
//!   mind that write access to a semaphore is write access to its memory
//!   (see [`Semaphore`]) and write access to shared memory includes shrinking
//!   it (see [`Mapping`]). The process umask is applied when creating, as for
//!   files (umask `022` turns `0o666` into `0o644`);
//!   [`SharedMemory::set_mode`] sets exact bits afterwards. Bits above
//!   `0o777` (setuid, setgid, sticky) mean nothing here and are refused.
//!
//! # Crashes
//!
//! What a process killed with `kill -9` (or crashing) leaves behind, and how
//! the others recover. Each row is tested by SIGKILLing a real child process
//! in the middle of the operation (`tests/every_primitive/crash.rs`).
//!
//! | primitive | what the killed process leaves | how to recover |
//! |---|---|---|
//! | [`Semaphore`] | a semaphore it acquired stays decremented: nothing releases it and nothing tells the others, who block (or time out) for ever | guard shared data with a [`RobustMutex`] instead (the next locker learns the holder died), or use a System V semaphore with undo (`sysv_ipc`) |
//! | [`SharedMemory`] | the object and every byte written before the kill, until someone unlinks it; the dead process's mapping is gone | nothing to undo; a write cut short may leave a half-updated record: keep records under a [`RobustMutex`] to know |
//! | [`MessageQueue`] | the messages it sent stay queued, in priority order; the send it was blocked in never happens | receive them as usual; unlink the queue when no one needs it |
//! | [`RobustMutex`] in a [`Mapping`] | the mutex marked "owner died" | the next lock returns [`LockOutcome::OwnerDied`] holding the lock: repair the data, then [`make_consistent`](InconsistentGuard::make_consistent) |
//!
//! The names survive every crash: only `unlink` (or a reboot) removes a POSIX
//! object. [`RobustMutex`] and [`Condvar`] come from `ipc-common` and are
//! re-exported here (Linux and FreeBSD; see [`ROBUST_MUTEX_SUPPORTED`]).
#![cfg_attr(docsrs, feature(doc_cfg))]
// The prose links to items some targets lack (message queues on macOS,
// robust mutexes on macOS, descriptor conversions on FreeBSD); the Linux
// documentation build checks every link.
#![cfg_attr(not(target_os = "linux"), allow(rustdoc::broken_intra_doc_links))]
#![deny(missing_docs)]
// The system calls live in the modules that allow `unsafe` below (limits,
// semaphores, shared memory, message queues); the rest is safe Rust.
#![deny(unsafe_code)]

/// The error of every call of this crate, re-exported from `ipc-common`
/// (its own documentation follows the line below): a [kind](Error::kind),
/// the errno, the failing operation and a message that says what to do.
///
/// # Kinds `posix-ipc` returns
///
/// | [`ErrorKind`] | when |
/// |---|---|
/// | `NotFound` | no object has the name (`open`); `unlink` of a name already gone, or of an adopted object that has no name |
/// | `AlreadyExists` | an exclusive create (`create_new`, `O_CREX`) finds the name taken |
/// | `PermissionDenied` | the object's owner and mode refuse the access; a write through a read-only handle or mapping; a read-only file system |
/// | `ForeignOwner` | an open-or-create finds an object of another user (see [Security](crate#security)) |
/// | `WouldBlock` | the call would have to wait and was asked not to: [`Timeout::Immediate`], `try_acquire`, a non-blocking queue |
/// | `TimedOut` | a [`Timeout::After`] expired |
/// | `Busy` | another process is registered for a queue's notifications; other processes kept removing and re-creating the name during an open-or-create |
/// | `Interrupted` | a signal handler installed without `SA_RESTART` interrupted a wait |
/// | `InvalidInput` | a bad name, flags, mode, size, priority, buffer or signal, refused before any system call; a file under a semaphore's name that is no semaphore |
/// | `LimitExceeded` | a system limit: open files, `RLIMIT_MSGQUEUE`, `RLIMIT_FSIZE`, a full `/dev/shm`, `SEM_VALUE_MAX`, memory |
/// | `Unsupported` | the platform lacks it (a timed semaphore wait on macOS, resizing sized shared memory on macOS, a missing `/proc` file); a named semaphore made by another C library or word size (musl and glibc, 32- and 64-bit glibc), which this program cannot share |
/// | `NotRecoverable` | a [`RobustMutex`] whose dead owner's data was never marked consistent |
/// | `Other` | anything else; [`Error::raw_os_error`] has the errno |
///
/// [`Error::is_busy`] and the other porting helpers group them like
/// posix_ipc's exceptions (`BusyError` is `WouldBlock`, `TimedOut` or `Busy`).
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
/// fn open_config(name: &str) -> std::io::Result<()> {
///     posix_ipc::SharedMemory::open(name)?; // Error into io::Error
///     Ok(())
/// }
/// let e = open_config("/ipcrs-doc-surely-absent").unwrap_err();
/// assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
/// assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
/// ```
///
/// ---
///
pub use ipc_common::Error;
pub use ipc_common::{ErrorKind, IntoMode, Mode, Permissions, Result, Timeout};

mod flags;
mod guard;
#[allow(unsafe_code)]
pub mod limits;
mod name;

pub use flags::{O_CREAT, O_CREX, O_EXCL, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
pub use guard::{Unlink, UnlinkOnDrop};
pub use name::{IntoName, NAME_MAX, Name, SEMAPHORE_NAME_MAX, UNIQUE_NAME_LEN};

/// True where `sem_timedwait` exists, so [`Timeout::After`] works for
/// semaphores (everywhere but macOS).
///
/// On macOS `Semaphore::acquire` still takes a [`Timeout`], so that code
/// reads the same everywhere: `Forever` and `Immediate` work, and a
/// non-zero `After` fails with [`ErrorKind::Unsupported`] before any call
/// (posix_ipc silently waits forever instead). On Linux with musl, which has
/// no `sem_clockwait`, the wait is `sem_timedwait` against the realtime
/// clock, so a wall-clock jump lengthens or shortens it (glibc waits on the
/// monotonic clock).
///
/// ```
/// assert_eq!(posix_ipc::SEMAPHORE_TIMEOUT_SUPPORTED, !cfg!(target_vendor = "apple"));
/// ```
pub const SEMAPHORE_TIMEOUT_SUPPORTED: bool = cfg!(not(target_vendor = "apple"));

/// True where `sem_getvalue` works (everywhere but macOS, where it exists
/// but always fails): `Semaphore::value` is absent on macOS, a compile
/// error rather than a call that always fails.
///
/// ```
/// assert_eq!(posix_ipc::SEMAPHORE_VALUE_SUPPORTED, !cfg!(target_vendor = "apple"));
/// ```
pub const SEMAPHORE_VALUE_SUPPORTED: bool = cfg!(not(target_vendor = "apple"));

/// True where this crate has POSIX message queues ([`MessageQueue`]): Linux
/// and FreeBSD. macOS has none, and there the type is absent.
///
/// On FreeBSD a queue descriptor is a pointer to the C library's record, not a
/// file descriptor: [`MessageQueue`] lends the file descriptor that
/// `mq_getfd_np` returns through `AsFd`/`AsRawFd` (for `poll`, `kqueue` and
/// `AsyncMessageQueue`), and the conversions that treat the queue descriptor
/// as a file descriptor (`OwnedFd`, `IntoRawFd`, `from_fd`, `try_clone`),
/// callback notifications and the Linux limits (`HARD_MSGMAX`,
/// `HARD_MSGSIZEMAX`) are Linux only.
///
/// ```
/// assert_eq!(
///     posix_ipc::MESSAGE_QUEUES_SUPPORTED,
///     cfg!(any(target_os = "linux", target_os = "freebsd"))
/// );
/// ```
pub const MESSAGE_QUEUES_SUPPORTED: bool = cfg!(any(target_os = "linux", target_os = "freebsd"));

// ---- Semaphores (semaphore.rs) ----
#[allow(unsafe_code)]
mod semaphore;
pub use semaphore::{Semaphore, SemaphoreGuard, SemaphoreOptions, unlink_semaphore};

// ---- Shared memory (shm.rs) ----
#[allow(unsafe_code)]
mod shm;
pub use shm::{
    Mapping, SHARED_MEMORY_SIZE_MAX, SharedMemory, SharedMemoryOptions, unlink_shared_memory,
};

// ---- Message queues (mqueue.rs) ----
#[allow(unsafe_code)]
mod mqueue;
#[cfg(all(any(target_os = "linux", target_os = "freebsd"), feature = "tokio"))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(any(target_os = "linux", target_os = "freebsd"), feature = "tokio")))
)]
pub use mqueue::AsyncMessageQueue;
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use mqueue::{HARD_MSGMAX, HARD_MSGSIZEMAX};
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "freebsd"))))]
pub use mqueue::{MessageQueue, MessageQueueOptions, SignalNumber, unlink_message_queue};

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
