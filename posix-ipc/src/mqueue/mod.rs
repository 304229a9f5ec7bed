//! POSIX message queues: [`MessageQueue`], opened through
//! [`MessageQueueOptions`], with notifications ([`MessageQueue::notify_signal`],
//! [`MessageQueue::notify_callback`]) and, with the `tokio` feature, an async
//! wrapper ([`AsyncMessageQueue`]).
//!
//! On Linux a queue descriptor is a file descriptor: [`MessageQueue`]
//! implements [`AsFd`]/[`AsRawFd`], so `poll`, `epoll` and tokio can wait on it.
//!
//! On FreeBSD a queue descriptor (`mqd_t`) is a pointer to the C library's
//! record, which owns a file descriptor (`mq_getfd_np`): [`AsFd`]/[`AsRawFd`]
//! lend that one, for `poll`, `kqueue` and tokio. What assumes that the queue
//! descriptor *is* a file descriptor (into or from an [`OwnedFd`](std::os::fd::OwnedFd),
//! `IntoRawFd`, `MessageQueue::from_fd`, `MessageQueue::try_clone`) is Linux
//! only, and so are callback notifications (`notify_callback`) and the
//! Linux kernel's limits (`HARD_MSGMAX`, `/proc/sys/fs/mqueue`,
//! `RLIMIT_MSGQUEUE`).
#![cfg(any(target_os = "linux", target_os = "freebsd"))]

#[cfg(feature = "tokio")]
mod async_tokio;
mod notify;

#[cfg(feature = "tokio")]
pub use async_tokio::AsyncMessageQueue;
pub use notify::SignalNumber;

use ipc_common::__private::TimeoutSpec;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
#[cfg(target_os = "linux")]
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::ptr;

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::__private::{check, fstat, rlimit};
use ipc_common::{Error, ErrorKind, IntoMode, Mode, Result, Timeout};
use posix_ipc_sys as sys;

use crate::flags::{self, O_NONBLOCK};
use crate::guard::{Sealed, Unlink, UnlinkOnDrop};
use crate::limits;
#[cfg(target_os = "linux")]
use crate::name;
use crate::name::{IntoName, Name, with_unique_name};

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
/// The most messages a privileged process (`CAP_SYS_RESOURCE`) may ask for;
/// the kernel's `HARD_MSGMAX`, which no setting can raise.
pub const HARD_MSGMAX: usize = 65_536;

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
/// The largest message size a privileged process (`CAP_SYS_RESOURCE`) may ask
/// for; the kernel's `HARD_MSGSIZEMAX` (16 MiB), which no setting can raise.
pub const HARD_MSGSIZEMAX: usize = 16 * 1024 * 1024;

/// What a closed handle holds in place of its queue descriptor (drop skips it).
#[cfg(target_os = "linux")]
const CLOSED: sys::mqd_t = -1;
/// What a closed handle holds in place of its queue descriptor (drop skips
/// it): FreeBSD's `mq_open` returns a pointer to a record it allocates, never
/// NULL.
#[cfg(target_os = "freebsd")]
const CLOSED: sys::mqd_t = ptr::null_mut();

/// The file descriptor behind a queue descriptor: on Linux they are the same.
///
/// # Safety
///
/// `mqd` must be an open queue descriptor (on FreeBSD it is dereferenced).
#[cfg(target_os = "linux")]
#[inline]
unsafe fn raw_fd(mqd: sys::mqd_t) -> RawFd {
    mqd
}

/// The file descriptor behind a queue descriptor: on FreeBSD `mqd_t` points to
/// the C library's record, and `mq_getfd_np` returns the descriptor it owns
/// (closed by `mq_close`), for `poll`, `kqueue` and `fstat`.
///
/// # Safety
///
/// `mqd` must be an open queue descriptor (`mq_getfd_np` dereferences it).
#[cfg(target_os = "freebsd")]
#[inline]
unsafe fn raw_fd(mqd: sys::mqd_t) -> RawFd {
    // SAFETY: the caller guarantees `mqd` came from mq_open and is not closed.
    unsafe { sys::mq_getfd_np(mqd) }
}

/// `mq_open`'s result as a `Result`: the descriptor, or the errno for `-1`.
#[cfg(target_os = "linux")]
fn check_mqd(op: &'static str, mqd: sys::mqd_t) -> Result<sys::mqd_t> {
    check(op, mqd)
}

/// `mq_open`'s result as a `Result`: FreeBSD's `mqd_t` is a pointer, and
/// failure is `(mqd_t)-1`.
#[cfg(target_os = "freebsd")]
fn check_mqd(op: &'static str, mqd: sys::mqd_t) -> Result<sys::mqd_t> {
    if mqd.addr() == usize::MAX {
        Err(Error::last_os_error(op))
    } else {
        Ok(mqd)
    }
}

/// An `mq_attr` with these fields and every other (reserved) byte zero.
fn new_attr(flags: libc::c_long, maxmsg: libc::c_long, msgsize: libc::c_long) -> sys::mq_attr {
    // Fields set one by one: FreeBSD's reserved words are private fields
    // of `libc`'s struct, which a struct literal cannot name.
    let mut attr = zeroed_attr();
    attr.mq_flags = flags;
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = msgsize;
    attr
}

/// An all-zero `mq_attr`: the Linux bindings derive `Default`.
#[cfg(target_os = "linux")]
fn zeroed_attr() -> sys::mq_attr {
    sys::mq_attr::default()
}

/// An all-zero `mq_attr`: `libc` declares FreeBSD's without `Default`.
#[cfg(target_os = "freebsd")]
fn zeroed_attr() -> sys::mq_attr {
    // SAFETY: mq_attr holds integers only (four fields and reserved words),
    // for which all-zero bytes are a valid value.
    unsafe { std::mem::zeroed() }
}

/// A POSIX message queue (`mq_open`), opened for sending and/or receiving.
///
/// Messages are byte strings of up to [`max_message_size`](Self::max_message_size)
/// bytes with a priority from 0 to [`limits::message_priority_max()`]; a
/// receive returns the oldest message of the highest priority (FIFO within a
/// priority). A queue holds at most [`max_messages`](Self::max_messages)
/// messages; sending to a full queue waits, receiving from an empty one waits
/// (or fails with [`ErrorKind::WouldBlock`] for [`Timeout::Immediate`] and
/// non-blocking descriptors).
///
/// The handle owns its descriptor: dropping it closes the descriptor
/// (`mq_close`), [`close`](Self::close) does the same and reports errors. The
/// queue itself lives on until it is unlinked ([`unlink`](Self::unlink),
/// [`unlink_message_queue`]) and its last descriptor is closed.
///
/// `MessageQueue` is `Send + Sync` (on Linux and FreeBSD alike): the kernel serialises operations on a queue,
/// so threads may share one handle (e.g. in an `Arc`) and send and receive
/// concurrently.
///
/// # Signals
///
/// A signal handler that interrupts a waiting send or receive makes it fail
/// with [`ErrorKind::Interrupted`] when the handler was installed without
/// `SA_RESTART`; this crate never retries on its own. With `SA_RESTART`
/// (glibc's `signal()` sets it, and so do many signal-handling libraries) the
/// kernel restarts `mq_send`, `mq_receive` and their timed forms after the
/// handler returns, so they keep waiting (until the deadline, for a timeout)
/// and never return `Interrupted`. Install handlers without `SA_RESTART` where
/// a signal must end a wait.
///
/// # Notifications
///
/// Semantics on Linux (FreeBSD's `mq_notify` follows POSIX too, and differs
/// in details such as which close cancels a registration: see its
/// `mq_notify(2)`; there only [`notify_signal`](Self::notify_signal) exists):
///
/// - A queue has at most one registration, held by one process. Registering
///   while another process holds it fails with [`ErrorKind::Busy`]; registering
///   again in the same process (through any handle of the queue) replaces the
///   earlier registration, whose callback then never runs.
/// - A registration fires **once**, when a message arrives on an **empty**
///   queue and no receiver is waiting in `receive` (a waiting receiver gets the
///   message instead, and the registration stays). After firing it is gone;
///   register again to be told about the next message, also from inside the
///   callback or signal handler. Registering while the queue holds messages
///   fires nothing until it has been emptied and a message arrives.
/// - Closing any descriptor of the queue in the registering process (dropping
///   or [closing](MessageQueue::close) a handle) cancels the registration.
///
/// ## Callbacks
///
/// [`MessageQueue::notify_callback`] registers with `SIGEV_THREAD`: the C
/// library (glibc or musl) starts a new thread that runs the callback. The
/// callback is kept in a process-wide table under a number, and the OS is given
/// that number, never a pointer: a notification that arrives after its callback
/// was cancelled, replaced or dropped (with its handle) finds nothing and does
/// nothing, so dropping a queue with a pending notification is always safe.
///
/// A panic in a callback is caught at the thread boundary. The panic hook
/// prints it as it does for any thread, and its message is kept on the handle:
/// [`MessageQueue::take_notification_panic`] returns it, and the next
/// [`notify_signal`](MessageQueue::notify_signal),
/// [`notify_callback`](MessageQueue::notify_callback) or
/// [`cancel_notification`](MessageQueue::cancel_notification) on that handle
/// returns it as an [`ErrorKind::Other`] error (posix_ipc loses such
/// exceptions silently).
///
/// A callback that captures an `Arc<MessageQueue>` (to receive or re-arm)
/// keeps that queue open until the callback has run or been cancelled; capture
/// a `Weak` if the queue should close when everyone else has dropped it.
///
/// # Example
///
/// ```
/// use posix_ipc::{MessageQueue, Timeout};
/// let q = MessageQueue::options().max_messages(4).max_message_size(64).create_unique()?;
/// q.send(b"low", 1)?;
/// q.send(b"high", 9)?;
/// let mut buf = [0u8; 64];
/// let (len, priority) = q.receive(&mut buf)?;
/// assert_eq!((&buf[..len], priority), (&b"high"[..], 9));
/// assert_eq!(q.receive_vec_timeout(Timeout::Immediate)?, (b"low".to_vec(), 1));
/// assert!(q.receive_timeout(&mut buf, Timeout::Immediate).unwrap_err().is_busy());
/// q.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub struct MessageQueue {
    mqd: sys::mqd_t,
    /// `None` for an adopted descriptor whose queue has no name (see
    /// [`MessageQueue::from_fd`]).
    name: Option<Name>,
    max_messages: usize,
    max_message_size: usize,
    read: bool,
    write: bool,
    created: bool,
    notify: notify::NotifyState,
}

/// Options for opening or creating a [`MessageQueue`], in the manner of
/// [`std::fs::OpenOptions`]. Get one from [`MessageQueue::options`].
///
/// Defaults: open an existing queue for reading and writing, blocking, mode
/// `0o600` if created.
///
/// **Sizes of a new queue.** When neither [`max_messages`](Self::max_messages)
/// nor [`max_message_size`](Self::max_message_size) is set, the queue is created
/// exactly as a C program's `mq_open(name, O_CREAT, mode, NULL)` creates it:
/// the kernel picks `/proc/sys/fs/mqueue/msg_default` messages of
/// `msgsize_default` bytes (10 × 8192 on a stock kernel). When only one is set,
/// the other is the same kernel default (read at run time from
/// [`limits::message_queue_limits`]). posix_ipc uses `msg_max`/`msgsize_max`
/// instead; the defaults are used here because they are what the administrator
/// chose for queues nobody sized, what every C peer gets, and they keep a queue
/// within the per-user memory limit (`RLIMIT_MSGQUEUE`) on systems where the
/// maxima have been raised. The sizes are ignored when an existing queue is
/// opened (the OS keeps the queue's own). On FreeBSD the defaults are the
/// kernel's built-in 10 messages of 1024 bytes, and the maxima the sysctls
/// `kern.mqueue.maxmsg` and `kern.mqueue.maxmsgsize`.
///
/// ```
/// use posix_ipc::MessageQueue;
/// let q = MessageQueue::options()
///     .create_new(true)
///     .mode(0o600)
///     .max_messages(8)
///     .max_message_size(128)
///     .create_unique()?;
/// assert_eq!((q.max_messages(), q.max_message_size()), (8, 128));
/// q.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MessageQueueOptions {
    open: OpenOptions,
    max_messages: Option<usize>,
    max_message_size: Option<usize>,
    read: bool,
    write: bool,
    block: bool,
}

/// What [`MessageQueueOptions::flags`] accepts.
const FLAGS: FlagBits = flags::flag_bits(O_NONBLOCK, "message queue");

impl Default for MessageQueueOptions {
    /// Same as [`MessageQueueOptions::new`].
    fn default() -> Self {
        MessageQueueOptions {
            open: OpenOptions::new(),
            max_messages: None,
            max_message_size: None,
            read: true,
            write: true,
            block: true,
        }
    }
}

impl MessageQueueOptions {
    /// The defaults (see the type docs); same as [`MessageQueue::options`].
    ///
    /// ```
    /// let o = posix_ipc::MessageQueueOptions::new();
    /// assert!(o.open("/ipcrs-doc-absent-queue").unwrap_err().is_existential());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Create the queue if it does not exist (`O_CREAT`); an existing one is
    /// opened with its own sizes, unless another user owns it (see
    /// [`allow_foreign_owner`](Self::allow_foreign_owner)).
    /// [`MessageQueue::created`] tells which happened.
    ///
    /// ```
    /// let name = format!("/ipcrs-doc-{:x}", ipc_common::__private::os_random_u64()?);
    /// let q = posix_ipc::MessageQueue::options().create(true).max_message_size(16).open(&name)?;
    /// let again = posix_ipc::MessageQueue::options().create(true).open(&name)?; // opens it
    /// assert_eq!(again.max_message_size(), 16);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new queue and fail with [`ErrorKind::AlreadyExists`] if one
    /// exists (`O_CREAT | O_EXCL`); wins over [`create`](Self::create), as in
    /// [`std::fs::OpenOptions`].
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, MessageQueue};
    /// let q = MessageQueue::options().max_message_size(16).create_unique()?;
    /// let e = MessageQueue::options().create_new(true).open(q.name().unwrap()).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// Permission bits of a new queue (default `0o600`; the umask applies).
    /// Bits above `0o777` (setuid, setgid, sticky, which mean nothing for a
    /// queue, and anything higher) are an [`ErrorKind::InvalidInput`] error
    /// when opening. Takes a `u32` or a [`Mode`].
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().mode(0o640).max_message_size(16).create_unique()?;
    /// assert_eq!(q.mode()?.bits() & 0o700, 0o600);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// Capacity of a new queue in messages (at least 1; see the type docs for
    /// the default and the system limits).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_messages(2).max_message_size(8).create_unique()?;
    /// assert_eq!(q.max_messages(), 2);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn max_messages(&mut self, n: usize) -> &mut Self {
        self.max_messages = Some(n);
        self
    }

    /// Largest message of a new queue in bytes (at least 1; see the type docs
    /// for the default and the system limits).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(100).create_unique()?;
    /// assert_eq!(q.max_message_size(), 100);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn max_message_size(&mut self, bytes: usize) -> &mut Self {
        self.max_message_size = Some(bytes);
        self
    }

    /// Open for receiving (default `true`). At least one of `read` and
    /// [`write`](Self::write) must be set.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().read(false).max_message_size(8).create_unique()?;
    /// q.send(b"x", 0)?;
    /// assert!(q.receive_vec_timeout(posix_ipc::Timeout::Immediate).unwrap_err().is_permissions());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn read(&mut self, read: bool) -> &mut Self {
        self.read = read;
        self
    }

    /// Open for sending (default `true`).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().write(false).max_message_size(8).create_unique()?;
    /// assert!(q.send(b"x", 0).unwrap_err().is_permissions());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn write(&mut self, write: bool) -> &mut Self {
        self.write = write;
        self
    }

    /// Whether sends and receives may wait (default `true`). With `false` the
    /// descriptor is opened non-blocking (`O_NONBLOCK`): sends to a full queue
    /// and receives from an empty one fail at once with
    /// [`ErrorKind::WouldBlock`], whatever timeout they are given. The same
    /// setting as [`MessageQueue::block`]/[`MessageQueue::set_block`] (and as
    /// `block(bool)` on System V semaphore options).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().block(false).max_message_size(8).create_unique()?;
    /// assert!(!q.block()?);
    /// assert!(q.receive_vec().unwrap_err().is_busy());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn block(&mut self, block: bool) -> &mut Self {
        self.block = block;
        self
    }

    /// Let an open-or-create ([`create`](Self::create), `O_CREAT`) open an
    /// existing queue that belongs to another user (default `false`).
    ///
    /// By default such an open fails with [`ErrorKind::ForeignOwner`], naming
    /// the owner: anyone can create a name in the mqueue file system before
    /// this program does, with mode `0o666`, then read the messages sent to
    /// it and send forged ones (see the crate's [Security](crate#security)
    /// section). Queues of this process's effective user and of root are
    /// always accepted. Plain opens (without `create`) and
    /// [`create_new`](Self::create_new) do not check the owner: the caller
    /// asked for an existing queue, or a new one.
    ///
    /// ```
    /// let name = format!("/ipcrs-doc-{:x}", ipc_common::__private::os_random_u64()?);
    /// let mine = posix_ipc::MessageQueue::create_new(&name)?;
    /// // Our own queue is opened either way.
    /// let again = posix_ipc::MessageQueue::options()
    ///     .create(true)
    ///     .allow_foreign_owner(false)
    ///     .open(&name)?;
    /// assert!(!again.created());
    /// mine.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.open.allow_foreign_owner(allow);
        self
    }

    /// posix_ipc-style flags: any of [`O_CREAT`](crate::O_CREAT),
    /// [`O_EXCL`](crate::O_EXCL) (with `O_CREAT`), [`O_CREX`](crate::O_CREX) and
    /// [`O_NONBLOCK`](crate::O_NONBLOCK). They replace what
    /// [`create`](Self::create), [`create_new`](Self::create_new) and
    /// [`block`](Self::block) set, exactly as if those were called (so
    /// `.flags(O_CREAT).create(false)` only opens, as for every options type);
    /// later setters change it again. Access is chosen with
    /// [`read`](Self::read)/[`write`](Self::write); other bits are rejected
    /// when opening.
    ///
    /// ```
    /// use posix_ipc::{MessageQueue, O_CREX, O_NONBLOCK, O_WRONLY};
    /// let q = MessageQueue::options().flags(O_CREX | O_NONBLOCK).max_message_size(8).create_unique()?;
    /// assert!(!q.block()?);
    /// let e = MessageQueue::options().flags(O_WRONLY).open(q.name().unwrap()).unwrap_err();
    /// assert!(e.to_string().contains("write(true)"));
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        if flags & libc::O_ACCMODE != 0 {
            self.open.set_error(Error::invalid_input(
                "flags",
                format!(
                    "flags 0x{flags:x} contain an access mode (O_WRONLY/O_RDWR); choose access \
                     with .read(true)/.write(true) instead"
                ),
            ));
        } else if let Some(extra) = self.open.flags(flags, &FLAGS) {
            self.block = extra & O_NONBLOCK == 0;
        }
        self
    }

    /// Opens (or creates, as configured) the queue called `name`.
    ///
    /// ```
    /// use posix_ipc::MessageQueue;
    /// let q = MessageQueue::options().max_message_size(16).create_unique()?;
    /// let reader = MessageQueue::options().write(false).open(q.name().unwrap())?;
    /// q.send(b"hi", 0)?;
    /// assert_eq!(reader.receive_vec()?.0, b"hi");
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open(&self, name: impl IntoName) -> Result<MessageQueue> {
        self.open.check()?;
        let name = name.into_name()?;
        self.open_name(name, flags::creation(&self.open))
    }

    /// Creates a new queue under a fresh random name (`/pipc_` + 16 hex
    /// digits, from the OS random source; retried if taken), whatever
    /// [`create`](Self::create)/[`create_new`](Self::create_new) and the
    /// creation part of [`flags`](Self::flags) say. This
    /// replaces posix_ipc's `name=None`; [`MessageQueue::name`] tells the name
    /// to other processes.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(16).create_unique()?;
    /// assert!(q.name().unwrap().to_str().unwrap().starts_with("/pipc_"));
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique(&self) -> Result<MessageQueue> {
        self.open.check()?;
        with_unique_name("mq_open", |name| {
            self.open_name(name, flags::Creation::EXCLUSIVE)
        })
    }

    fn open_name(&self, name: Name, creation: flags::Creation) -> Result<MessageQueue> {
        let mode = self.open.checked_mode("message queue")?;
        if !self.read && !self.write {
            return Err(Error::invalid_input(
                "mq_open",
                "at least one of read and write must be true",
            ));
        }
        let create = creation.create;
        let mut oflag: libc::c_int = match (self.read, self.write) {
            (true, true) => libc::O_RDWR,
            (true, false) => libc::O_RDONLY,
            _ => libc::O_WRONLY,
        } | libc::O_CLOEXEC;
        if !self.block {
            oflag |= libc::O_NONBLOCK;
        }
        // Checked once, before any call; used only when creating.
        let create_args = if create {
            let sizes = self.sizes()?;
            // Checked in `sizes` to fit the kernel's `long`.
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            let attr = sizes.map(|(n, size)| new_attr(0, n as libc::c_long, size as libc::c_long));
            Some((mode, sizes, attr))
        } else {
            None
        };
        let (mqd, created) = flags::create_or_open("message queue", &name, creation, |c| {
            match (c.create, &create_args) {
                (true, Some((mode, sizes, attr))) => {
                    let attr_ptr = attr
                        .as_ref()
                        .map_or(ptr::null(), |a| a as *const sys::mq_attr);
                    // SAFETY: the name is a NUL-terminated C string; with
                    // O_CREAT the variadic arguments are the mode (as the
                    // promoted unsigned int) and a pointer to a valid mq_attr
                    // or NULL, both living across the call.
                    let rc = unsafe {
                        sys::mq_open(
                            name.as_c_str().as_ptr(),
                            oflag | c.oflag(),
                            libc::c_uint::from(mode.bits()),
                            attr_ptr,
                        )
                    };
                    check_mqd("mq_open", rc).map_err(|e| open_error(e, &name, Some(*sizes)))
                }
                _ => {
                    // SAFETY: the name is a NUL-terminated C string; without
                    // O_CREAT mq_open reads no variadic arguments.
                    let rc = unsafe { sys::mq_open(name.as_c_str().as_ptr(), oflag) };
                    check_mqd("mq_open", rc).map_err(|e| open_error(e, &name, None))
                }
            }
        })?;
        let mut q = MessageQueue {
            mqd,
            name: Some(name),
            max_messages: 0,
            max_message_size: 0,
            read: self.read,
            write: self.write,
            created,
            notify: notify::NotifyState::default(),
        };
        // On failure `q` drops here and closes the descriptor.
        if create && !created && !self.open.allows_foreign_owner() {
            ipc_common::__private::check_owner("mq_open", q.stat()?.st_uid, || {
                format!("message queue {}", q.shown())
            })?;
        }
        let attr = q.attr()?;
        q.max_messages = usize::try_from(attr.mq_maxmsg).unwrap_or(0);
        q.max_message_size = usize::try_from(attr.mq_msgsize).unwrap_or(0);
        Ok(q)
    }

    /// The attributes to create with: `None` lets the kernel choose (like
    /// C's `mq_open(..., NULL)`), otherwise both sizes, checked.
    fn sizes(&self) -> Result<Option<(usize, usize)>> {
        if self.max_messages.is_none() && self.max_message_size.is_none() {
            return Ok(None);
        }
        let n = match self.max_messages {
            Some(n) => n,
            None => default_size("msg_default", "msg_max")?,
        };
        let size = match self.max_message_size {
            Some(s) => s,
            None => default_size("msgsize_default", "msgsize_max")?,
        };
        for (what, v) in [("max_messages", n), ("max_message_size", size)] {
            if v == 0 {
                return Err(Error::invalid_input(
                    "mq_open",
                    format!("{what} must be at least 1"),
                ));
            }
            if libc::c_long::try_from(v).is_err() {
                return Err(Error::invalid_input(
                    "mq_open",
                    format!("{what} = {v} does not fit the kernel's long"),
                ));
            }
        }
        Ok(Some((n, size)))
    }
}

/// The size the kernel gives a queue created without attributes: the
/// `/proc/sys/fs/mqueue` default, capped by the maximum.
#[cfg(target_os = "linux")]
fn default_size(file_default: &str, file_max: &str) -> Result<usize> {
    let d = limits::read_proc_u64(file_default)?;
    let m = limits::read_proc_u64(file_max)?;
    Ok(usize::try_from(d.min(m)).unwrap_or(usize::MAX))
}

/// The size the kernel gives a queue created without attributes. FreeBSD's
/// defaults are compiled into the kernel (`default_maxmsg` = 10 messages,
/// `default_msgsize` = 1024 bytes in `uipc_mqueue.c`), not tunable.
#[cfg(target_os = "freebsd")]
// The Linux version reads files and can fail; keep one signature.
#[allow(clippy::unnecessary_wraps)]
fn default_size(file_default: &str, _file_max: &str) -> Result<usize> {
    Ok(if file_default == "msg_default" {
        10
    } else {
        1024
    })
}

/// Turns an `mq_open` failure into an error that says what to do.
fn open_error(e: Error, name: &Name, sizes: Option<Option<(usize, usize)>>) -> Error {
    let Some(errno) = e.raw_os_error() else {
        return e;
    };
    #[cfg(target_os = "linux")]
    let creating = sizes.is_some();
    let msg = match errno {
        libc::EEXIST => format!(
            "a message queue named {name} already exists; open it without create_new, or unlink it first"
        ),
        libc::ENOENT => format!(
            "no message queue named {name} exists; create it with MessageQueue::options().create(true)"
        ),
        libc::EACCES => format!(
            "permission denied for message queue {name}: its mode does not grant the access asked for \
             (read/write), or the name is not allowed"
        ),
        libc::EINVAL => invalid_sizes_message(sizes.flatten()),
        #[cfg(target_os = "linux")]
        libc::EMFILE if creating => rlimit_message(sizes.flatten()),
        libc::EMFILE => format!(
            "this process has reached its open-file limit (RLIMIT_NOFILE = {}); close descriptors \
             or raise it with `ulimit -n`",
            open_file_limit()
        ),
        #[cfg(target_os = "linux")]
        libc::ENFILE => "the system-wide limit on open files has been reached".to_owned(),
        #[cfg(target_os = "freebsd")]
        libc::ENFILE => "the system-wide number of message queues (sysctl kern.mqueue.maxmq) or \
            of open files is reached; unlink unused queues or raise it with \
            `sysctl kern.mqueue.maxmq=N` (root)"
            .to_owned(),
        #[cfg(target_os = "linux")]
        libc::ENOSPC => format!(
            "the system-wide number of message queues (/proc/sys/fs/mqueue/queues_max = {}) is \
             reached; unlink unused queues or raise it with `sysctl fs.mqueue.queues_max=N` (root)",
            limits::read_proc_u64("queues_max").map_or("?".into(), |v| v.to_string())
        ),
        libc::ENOMEM => "the kernel is out of memory for a new queue".to_owned(),
        _ => return e,
    };
    e.with_message(msg)
}

fn show_limit(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_owned(), |v| v.to_string())
}

/// This process's open-file limit (`RLIMIT_NOFILE`), for messages.
fn open_file_limit() -> String {
    rlimit(libc::RLIMIT_NOFILE).map_or_else(|_| "unknown".to_owned(), |l| show_limit(l.soft))
}

#[cfg(target_os = "linux")]
fn rlimit_message(sizes: Option<(usize, usize)>) -> String {
    let (soft, hard) = limits::rlimit_msgqueue().map_or((None, None), |l| (l.soft, l.hard));
    let need = match sizes {
        Some((n, size)) => format!(
            "this queue needs at least {n} × {size} = {} bytes plus bookkeeping",
            n.saturating_mul(size)
        ),
        None => "this queue needs msg_default × msgsize_default bytes plus bookkeeping".to_owned(),
    };
    format!(
        "creating this queue would exceed RLIMIT_MSGQUEUE, the bytes of message-queue memory all \
         of this user's queues together may use (soft limit {} bytes, hard limit {} bytes; {need}); \
         unlink unused queues, create smaller ones, or raise the limit with `ulimit -q <bytes>` in \
         the shell that starts the program or setrlimit(RLIMIT_MSGQUEUE) (up to the hard limit; \
         root can raise that). EMFILE also means the open-file limit RLIMIT_NOFILE ({}) is reached",
        show_limit(soft),
        show_limit(hard),
        open_file_limit()
    )
}

#[cfg(target_os = "freebsd")]
fn invalid_sizes_message(sizes: Option<(usize, usize)>) -> String {
    let Some((n, size)) = sizes else {
        return "the kernel rejected the queue's parameters".to_owned();
    };
    format!(
        "the kernel rejected max_messages = {n}, max_message_size = {size}: a queue may hold at \
         most `sysctl kern.mqueue.maxmsg` messages (100 unless changed) of at most \
         `sysctl kern.mqueue.maxmsgsize` bytes (16384 unless changed); raise them with \
         `sysctl kern.mqueue.maxmsg=N` as root, or ask for less"
    )
}

#[cfg(target_os = "linux")]
fn invalid_sizes_message(sizes: Option<(usize, usize)>) -> String {
    let Some((n, size)) = sizes else {
        return "the kernel rejected the queue's parameters".to_owned();
    };
    let mut why = Vec::new();
    let checks = [
        ("max_messages", n, "msg_max", HARD_MSGMAX, "HARD_MSGMAX"),
        (
            "max_message_size",
            size,
            "msgsize_max",
            HARD_MSGSIZEMAX,
            "HARD_MSGSIZEMAX",
        ),
    ];
    for (what, v, file, hard, hard_name) in checks {
        let limit = limits::read_proc_u64(file).ok();
        let above_sysctl = limit.is_some_and(|l| v as u64 > l);
        if above_sysctl || v > hard {
            why.push(format!(
                "{what} = {v} is above the system limit: /proc/sys/fs/mqueue/{file} is {} for \
                 processes without CAP_SYS_RESOURCE (raise it with `sysctl fs.mqueue.{file}=N` as \
                 root), and no process may exceed {hard} ({hard_name})",
                limit.map_or("?".into(), |l| l.to_string())
            ));
        }
    }
    if why.is_empty() {
        format!("the kernel rejected max_messages = {n}, max_message_size = {size}")
    } else {
        why.join("; ")
    }
}

/// Direction of a transfer, for error messages.
#[derive(Clone, Copy)]
enum Dir {
    Send,
    Receive,
}

/// The error of a timed send or receive (`op`) that just failed. An
/// immediate one is made with a deadline in the past, whose `ETIMEDOUT`
/// means "would block": it is reported as the `EAGAIN` a non-blocking
/// descriptor gives, so `Immediate` is [`ErrorKind::WouldBlock`] everywhere
/// and only a real wait that expired is [`ErrorKind::TimedOut`].
#[cold]
#[inline(never)]
fn timed_transfer_error(op: &'static str, timeout: Timeout, dir: Dir) -> Error {
    let e = Error::last_os_error(op);
    let e = if timeout.is_immediate() && e.raw_os_error() == Some(libc::ETIMEDOUT) {
        Error::from_errno(op, libc::EAGAIN)
    } else {
        e
    };
    transfer_error(e, dir)
}

/// [`transfer_error`] of `errno` after `op` failed: out of line, so the
/// hot paths keep only the test of the return value.
#[cold]
#[inline(never)]
fn last_transfer_error(op: &'static str, dir: Dir) -> Error {
    transfer_error(Error::last_os_error(op), dir)
}

/// Makes send/receive errno errors say what happened (static messages: the
/// non-blocking path creates them often and must not allocate).
fn transfer_error(e: Error, dir: Dir) -> Error {
    let msg = match (e.raw_os_error(), dir) {
        (Some(libc::EAGAIN), Dir::Send) => "the queue is full",
        (Some(libc::EAGAIN), Dir::Receive) => "the queue is empty",
        (Some(libc::ETIMEDOUT), Dir::Send) => "the queue stayed full until the timeout",
        (Some(libc::ETIMEDOUT), Dir::Receive) => "the queue stayed empty until the timeout",
        (Some(libc::EINTR), _) => "a signal interrupted the wait",
        (Some(libc::EBADF), Dir::Send) => "the descriptor is not open for sending",
        (Some(libc::EBADF), Dir::Receive) => "the descriptor is not open for receiving",
        (Some(libc::EMSGSIZE), Dir::Send) => "the message is longer than the queue allows",
        (Some(libc::EMSGSIZE), Dir::Receive) => {
            "the buffer is shorter than the queue's max_message_size"
        }
        _ => return e,
    };
    e.with_message(msg)
}

/// The absolute `CLOCK_REALTIME` deadline for `mq_timed*`, or `None` for
/// [`Timeout::Forever`]. An immediate timeout is the epoch (always past), so
/// the call never waits and no clock is read.
#[inline]
fn deadline(timeout: Timeout) -> Result<Option<libc::timespec>> {
    if timeout.is_immediate() {
        return Ok(Some(libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }));
    }
    timeout.deadline(libc::CLOCK_REALTIME)
}

impl MessageQueue {
    /// Options for opening or creating a queue (see [`MessageQueueOptions`]).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_messages(3).max_message_size(32).create_unique()?;
    /// assert_eq!(q.max_messages(), 3);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn options() -> MessageQueueOptions {
        MessageQueueOptions::default()
    }

    /// Opens an existing queue for sending and receiving (blocking).
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, MessageQueue};
    /// let q = MessageQueue::options().max_message_size(16).create_unique()?;
    /// let same = MessageQueue::open(q.name().unwrap())?;
    /// assert_eq!(same.max_message_size(), 16);
    /// q.unlink()?;
    /// assert_eq!(MessageQueue::open(q.name().unwrap()).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open(name: impl IntoName) -> Result<MessageQueue> {
        Self::options().open(name)
    }

    /// Opens the queue called `name`, creating it with the kernel's default
    /// sizes if it does not exist (`O_CREAT`, mode `0o600`).
    ///
    /// ```
    /// let name = format!("/ipcrs-doc-{:x}", ipc_common::__private::os_random_u64()?);
    /// let q = posix_ipc::MessageQueue::create(&name)?;
    /// assert!(q.max_messages() >= 1);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(name: impl IntoName) -> Result<MessageQueue> {
        Self::options().create(true).open(name)
    }

    /// Creates a new queue called `name` with the kernel's default sizes and
    /// mode `0o600`, failing with [`AlreadyExists`](ErrorKind::AlreadyExists)
    /// if the name is taken (`O_CREAT | O_EXCL`; posix_ipc's `O_CREX`).
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, MessageQueue};
    /// let name = format!("/ipcrs-doc-{:x}", ipc_common::__private::os_random_u64()?);
    /// let q = MessageQueue::create_new(&name)?;
    /// assert_eq!(MessageQueue::create_new(&name).unwrap_err().kind(), ErrorKind::AlreadyExists);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(name: impl IntoName) -> Result<MessageQueue> {
        Self::options().create_new(true).open(name)
    }

    /// Creates a new queue with the kernel's default sizes under a fresh random
    /// name (see [`MessageQueueOptions::create_unique`]).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::create_unique()?;
    /// assert_eq!(q.current_messages()?, 0);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique() -> Result<MessageQueue> {
        Self::options().create_unique()
    }

    /// The queue's name: `None` only for a handle adopted from a descriptor
    /// whose queue has no name (see [`from_fd`](Self::from_fd)); every
    /// handle opened by name has one.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// assert!(q.name().unwrap().as_bytes().starts_with(b"/pipc_"));
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn name(&self) -> Option<&Name> {
        self.name.as_ref()
    }

    /// How messages name this queue: `"/name"`, or the descriptor of an
    /// adopted queue without a name.
    fn shown(&self) -> String {
        match &self.name {
            Some(name) => format!("\"{name}\""),
            None => format!("the unnamed queue of descriptor {}", self.as_raw_fd()),
        }
    }

    /// Whether the call that opened this handle created the queue (and so
    /// gave it its mode and sizes): always true for
    /// [`create_new`](Self::create_new) and
    /// [`create_unique`](Self::create_unique), false for [`open`](Self::open),
    /// and for an open-or-create ([`create`](Self::create),
    /// [`MessageQueueOptions::create`], `O_CREAT`) whichever happened. An
    /// open-or-create learns it by trying an exclusive create first and
    /// opening on `AlreadyExists`.
    ///
    /// ```
    /// let name = format!("/ipcrs-doc-{:x}", ipc_common::__private::os_random_u64()?);
    /// let first = posix_ipc::MessageQueue::create(&name)?;
    /// let second = posix_ipc::MessageQueue::create(&name)?;
    /// assert!(first.created() && !second.created());
    /// first.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn created(&self) -> bool {
        self.created
    }

    /// The most messages the queue holds (`mq_maxmsg`, read once when opened;
    /// it cannot change).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_messages(5).max_message_size(8).create_unique()?;
    /// assert_eq!(q.max_messages(), 5);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn max_messages(&self) -> usize {
        self.max_messages
    }

    /// The longest message in bytes (`mq_msgsize`, read once when opened; it
    /// cannot change). Receive buffers must be at least this long.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(42).create_unique()?;
    /// assert_eq!(q.max_message_size(), 42);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// True when this handle may receive.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().write(false).max_message_size(8).create_unique()?;
    /// assert!(q.can_read() && !q.can_write());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn can_read(&self) -> bool {
        self.read
    }

    /// True when this handle may send.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().read(false).max_message_size(8).create_unique()?;
    /// assert!(q.can_write() && !q.can_read());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn can_write(&self) -> bool {
        self.write
    }

    fn attr(&self) -> Result<sys::mq_attr> {
        let mut attr = zeroed_attr();
        // SAFETY: `attr` is a valid, writable mq_attr; the descriptor is ours.
        check("mq_getattr", unsafe {
            sys::mq_getattr(self.mqd, &mut attr)
        })?;
        Ok(attr)
    }

    /// How many messages are in the queue now (live `mq_getattr`).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// q.send(b"a", 0)?;
    /// assert_eq!(q.current_messages()?, 1);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn current_messages(&self) -> Result<usize> {
        Ok(usize::try_from(self.attr()?.mq_curmsgs).unwrap_or(0))
    }

    /// Whether this descriptor blocks (no `O_NONBLOCK`), read live.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// assert!(q.block()?);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn block(&self) -> Result<bool> {
        Ok(self.attr()?.mq_flags & libc::c_long::from(libc::O_NONBLOCK) == 0)
    }

    /// Makes this descriptor blocking or not (`mq_setattr` with `O_NONBLOCK`).
    /// It affects only this handle (and descriptors duplicated from it), not
    /// other handles of the same queue.
    ///
    /// ```
    /// use posix_ipc::{MessageQueue, Timeout};
    /// let q = MessageQueue::options().max_message_size(8).create_unique()?;
    /// let other = MessageQueue::open(q.name().unwrap())?;
    /// q.set_block(false)?;
    /// assert!(!q.block()? && other.block()?);
    /// assert!(q.receive_vec().unwrap_err().is_busy());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn set_block(&self, block: bool) -> Result<()> {
        let flags = if block {
            0
        } else {
            libc::c_long::from(libc::O_NONBLOCK)
        };
        let attr = new_attr(flags, 0, 0);
        // SAFETY: `attr` is a valid mq_attr; a NULL old-attributes pointer is allowed.
        check("mq_setattr", unsafe {
            sys::mq_setattr(self.mqd, &attr, ptr::null_mut())
        })?;
        Ok(())
    }

    /// The queue's permission bits as they are now (`fstat`; unlike posix_ipc's
    /// `mode`, which echoes the constructor argument).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().mode(0o600).max_message_size(8).create_unique()?;
    /// assert_eq!(q.mode()?.bits(), 0o600);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&self) -> Result<Mode> {
        // `mode_t` is 16 bits on FreeBSD.
        #[allow(clippy::useless_conversion)]
        let mode = u32::from(self.stat()?.st_mode);
        Ok(Mode::from_raw(mode).permissions())
    }

    /// `fstat` of the queue descriptor (a file in the mqueue file system).
    fn stat(&self) -> Result<libc::stat> {
        fstat(self.as_fd())
    }

    /// Refuses what the kernel would refuse or misread, before `mq_send`.
    /// The test is inlined into the hot path; the errors are built out of
    /// line ([`send_refused`](Self::send_refused)).
    #[inline]
    fn check_send(&self, message: &[u8], priority: u32) -> Result<()> {
        // Every system allows priorities below 32 (POSIX's smallest
        // MQ_PRIO_MAX), so the common ones skip the limit lookup.
        if self.write
            && message.len() <= self.max_message_size
            && (priority < 32 || priority <= limits::message_priority_max())
        {
            Ok(())
        } else {
            Err(self.send_refused(message.len(), priority))
        }
    }

    #[cold]
    #[inline(never)]
    fn send_refused(&self, len: usize, priority: u32) -> Error {
        if !self.write {
            return Error::new(
                ErrorKind::PermissionDenied,
                "mq_send",
                "the queue is not open for writing; open it with .write(true)",
            );
        }
        if len > self.max_message_size {
            return Error::invalid_input(
                "mq_send",
                format!(
                    "the message is {len} bytes; this queue's messages may be at most {} bytes \
                     (max_message_size)",
                    self.max_message_size
                ),
            );
        }
        let max = limits::message_priority_max();
        Error::invalid_input(
            "mq_send",
            format!("priority {priority} is above the highest allowed, MQ_PRIO_MAX - 1 = {max}"),
        )
    }

    /// Refuses a handle not open for reading or a buffer shorter than the
    /// largest message, before `mq_receive`; errors built out of line.
    #[inline]
    fn check_receive(&self, buf: &[u8]) -> Result<()> {
        if self.read && buf.len() >= self.max_message_size {
            Ok(())
        } else {
            Err(self.receive_refused(buf.len()))
        }
    }

    #[cold]
    #[inline(never)]
    fn receive_refused(&self, len: usize) -> Error {
        if !self.read {
            return Error::new(
                ErrorKind::PermissionDenied,
                "mq_receive",
                "the queue is not open for reading; open it with .read(true)",
            );
        }
        Error::invalid_input(
            "mq_receive",
            format!(
                "the buffer is {len} bytes; this queue's messages may be up to {} bytes, so \
                 receive needs a buffer of at least {} bytes (max_message_size())",
                self.max_message_size, self.max_message_size
            ),
        )
    }

    /// Sends `message` with `priority` (0 to [`limits::message_priority_max()`],
    /// higher is received first). On a full queue it waits until there is room
    /// (blocking descriptor) or fails with [`ErrorKind::WouldBlock`]
    /// (non-blocking). Allocates nothing.
    ///
    /// Errors: [`ErrorKind::InvalidInput`] for a message longer than
    /// [`max_message_size`](Self::max_message_size) or a priority above the
    /// maximum; [`ErrorKind::PermissionDenied`] when not open for writing;
    /// [`ErrorKind::Interrupted`] when a signal handler interrupts the wait,
    /// if it was installed without `SA_RESTART` (see
    /// [Signals](MessageQueue#signals)).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(4).create_unique()?;
    /// q.send(b"ping", 0)?;
    /// let e = q.send(b"too long", 0).unwrap_err();
    /// assert!(e.to_string().contains("at most 4 bytes"));
    /// assert!(q.send(b"", 1 << 20).unwrap_err().is_invalid_input());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[inline]
    pub fn send(&self, message: &[u8], priority: u32) -> Result<()> {
        self.check_send(message, priority)?;
        // SAFETY: the pointer and length describe `message`, which the kernel only reads.
        let rc =
            unsafe { sys::mq_send(self.mqd, message.as_ptr().cast(), message.len(), priority) };
        if rc != 0 {
            return Err(last_transfer_error("mq_send", Dir::Send));
        }
        Ok(())
    }

    /// [`send`](Self::send) waiting at most `timeout` for room:
    /// [`Timeout::Forever`] waits like `send`, [`Timeout::Immediate`] never
    /// waits (a full queue fails with [`ErrorKind::WouldBlock`], errno
    /// `EAGAIN`), [`Timeout::After`] waits up to the duration (then
    /// [`ErrorKind::TimedOut`], errno `ETIMEDOUT`). A non-blocking descriptor
    /// never waits, whatever the timeout.
    ///
    /// The wait uses `mq_timedsend`, whose deadline is absolute on
    /// `CLOCK_REALTIME` (POSIX defines no other clock for it), so setting the
    /// wall clock during a wait lengthens or shortens it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use posix_ipc::{MessageQueue, Timeout};
    /// let q = MessageQueue::options().max_messages(1).max_message_size(8).create_unique()?;
    /// q.send_timeout(b"1", 0, Timeout::Immediate)?;
    /// let e = q.send_timeout(b"2", 0, Timeout::After(Duration::from_millis(10))).unwrap_err();
    /// assert_eq!(e.kind(), posix_ipc::ErrorKind::TimedOut);
    /// assert!(e.is_busy());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn send_timeout(
        &self,
        message: &[u8],
        priority: u32,
        timeout: impl Into<Timeout>,
    ) -> Result<()> {
        let timeout = timeout.into();
        self.check_send(message, priority)?;
        let Some(ts) = deadline(timeout)? else {
            return self.send(message, priority);
        };
        // SAFETY: the pointer and length describe `message`; `ts` is a valid timespec.
        let rc = unsafe {
            sys::mq_timedsend(
                self.mqd,
                message.as_ptr().cast(),
                message.len(),
                priority,
                &ts,
            )
        };
        if rc != 0 {
            return Err(timed_transfer_error("mq_timedsend", timeout, Dir::Send));
        }
        Ok(())
    }

    /// Receives the oldest message of the highest priority into `buf`, returning
    /// its length and priority. Waits while the queue is empty (blocking
    /// descriptor) or fails with [`ErrorKind::WouldBlock`] (non-blocking);
    /// [`ErrorKind::Interrupted`] when a signal handler installed without
    /// `SA_RESTART` interrupts the wait (see [Signals](MessageQueue#signals)).
    /// Allocates nothing.
    ///
    /// `buf` must be at least [`max_message_size`](Self::max_message_size)
    /// bytes ([`ErrorKind::InvalidInput`] otherwise, before any system call).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(16).create_unique()?;
    /// q.send(b"hello", 3)?;
    /// let mut buf = [0u8; 16];
    /// let (n, prio) = q.receive(&mut buf)?;
    /// assert_eq!((&buf[..n], prio), (&b"hello"[..], 3));
    /// let e = q.receive(&mut [0u8; 4]).unwrap_err();
    /// assert!(e.to_string().contains("at least 16 bytes"));
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[inline]
    pub fn receive(&self, buf: &mut [u8]) -> Result<(usize, u32)> {
        self.check_receive(buf)?;
        let mut priority: libc::c_uint = 0;
        // SAFETY: the pointer and length describe `buf`, which is writable;
        // `priority` is a valid, writable unsigned int.
        let n =
            unsafe { sys::mq_receive(self.mqd, buf.as_mut_ptr().cast(), buf.len(), &mut priority) };
        // mq_receive returns the length, or -1 with errno set.
        let Ok(n) = usize::try_from(n) else {
            return Err(last_transfer_error("mq_receive", Dir::Receive));
        };
        Ok((n, priority))
    }

    /// [`receive`](Self::receive) waiting at most `timeout` for a message (see
    /// [`send_timeout`](Self::send_timeout) for the timeout rules and the
    /// `CLOCK_REALTIME` deadline of `mq_timedreceive`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use posix_ipc::{MessageQueue, Timeout};
    /// let q = MessageQueue::options().max_message_size(8).create_unique()?;
    /// let mut buf = [0u8; 8];
    /// let e = q.receive_timeout(&mut buf, Timeout::After(Duration::from_millis(10))).unwrap_err();
    /// assert!(e.is_busy());
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn receive_timeout(
        &self,
        buf: &mut [u8],
        timeout: impl Into<Timeout>,
    ) -> Result<(usize, u32)> {
        let timeout = timeout.into();
        self.check_receive(buf)?;
        let Some(ts) = deadline(timeout)? else {
            return self.receive(buf);
        };
        let mut priority: libc::c_uint = 0;
        // SAFETY: the pointer and length describe `buf`, which is writable;
        // `priority` and `ts` are valid.
        let n = unsafe {
            sys::mq_timedreceive(
                self.mqd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut priority,
                &ts,
            )
        };
        if n < 0 {
            return Err(timed_transfer_error(
                "mq_timedreceive",
                timeout,
                Dir::Receive,
            ));
        }
        Ok((n.unsigned_abs(), priority))
    }

    /// Receives a message into a new `Vec` (Python's `receive()`), waiting
    /// as [`receive`](Self::receive) does: the allocating twin of `receive`,
    /// named like [`Region::read_vec`](ipc_common::Region::read_vec) and
    /// sysv-ipc's `receive_vec`. It allocates
    /// [`max_message_size`](Self::max_message_size) bytes, receives, and
    /// shrinks the vector to the message. Use [`receive`](Self::receive) with
    /// a reused buffer where allocation matters.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(64).create_unique()?;
    /// q.send(b"owned", 2)?;
    /// let (msg, prio) = q.receive_vec()?;
    /// assert_eq!((msg.as_slice(), prio), (&b"owned"[..], 2));
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn receive_vec(&self) -> Result<(Vec<u8>, u32)> {
        self.receive_vec_timeout(Timeout::Forever)
    }

    /// [`receive_vec`](Self::receive_vec) waiting at most `timeout` (Python's
    /// `receive(timeout)`; the timeout rules of
    /// [`receive_timeout`](Self::receive_timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let q = posix_ipc::MessageQueue::options().max_message_size(64).create_unique()?;
    /// assert!(q.receive_vec_timeout(Duration::from_millis(5)).unwrap_err().is_busy());
    /// q.send(b"owned", 2)?;
    /// assert_eq!(q.receive_vec_timeout(posix_ipc::Timeout::Immediate)?, (b"owned".to_vec(), 2));
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn receive_vec_timeout(&self, timeout: impl Into<Timeout>) -> Result<(Vec<u8>, u32)> {
        if !self.read {
            // Report before allocating.
            self.check_receive(&[])?;
        }
        let mut buf = vec![0u8; self.max_message_size];
        let (n, priority) = self.receive_timeout(&mut buf, timeout)?;
        buf.truncate(n);
        buf.shrink_to_fit();
        Ok((buf, priority))
    }

    /// Removes the queue's name (`mq_unlink`); the queue itself lives until its
    /// last descriptor is closed, and this handle keeps working.
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, MessageQueue};
    /// let q = MessageQueue::options().max_message_size(8).create_unique()?;
    /// q.unlink()?;
    /// q.send(b"still works", 0).ok();
    /// assert_eq!(q.unlink().unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn unlink(&self) -> Result<()> {
        match &self.name {
            Some(name) => unlink_message_queue(name),
            None => Err(Error::new(
                ErrorKind::NotFound,
                "mq_unlink",
                format!(
                    "{} was adopted from a descriptor and has no name (it was unlinked), so \
                     there is no name to unlink",
                    self.shown()
                ),
            )),
        }
    }

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the queue
    /// when it drops (and then closes the descriptor).
    /// [`UnlinkOnDrop::into_inner`] disarms it.
    ///
    /// ```
    /// let guard = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?.unlink_on_drop();
    /// guard.send(b"x", 0)?; // the guard derefs to the queue
    /// let name = guard.name().unwrap().clone();
    /// drop(guard);
    /// assert!(posix_ipc::unlink_message_queue(&name).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[must_use = "the guard unlinks when it drops: dropped at once, it unlinks at once"]
    pub fn unlink_on_drop(self) -> UnlinkOnDrop<MessageQueue> {
        UnlinkOnDrop::new(self)
    }

    /// Closes the descriptor (`mq_close`) and reports any error, unlike drop.
    /// A pending notification of this process on the queue is cancelled (Linux
    /// removes it when any of the registering process's descriptors of the
    /// queue is closed).
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// q.unlink()?;
    /// q.close()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn close(mut self) -> Result<()> {
        check("mq_close", self.close_fd())?;
        Ok(())
    }

    /// Closes the descriptor (once: the handle is left with `-1`, which drop
    /// skips), dropping the callbacks whose registration the close ends.
    fn close_fd(&mut self) -> libc::c_int {
        let mqd = std::mem::replace(&mut self.mqd, CLOSED);
        if mqd == CLOSED {
            return 0;
        }
        self.notify.close(mqd)
    }

    #[cfg(target_os = "linux")]
    /// Takes the descriptor out of the handle (leaving `-1`, which drop skips)
    /// and forgets this handle's pending callback.
    fn take_fd(&mut self) -> sys::mqd_t {
        self.notify.forget_callback();
        std::mem::replace(&mut self.mqd, CLOSED)
    }
}

// SAFETY: on FreeBSD `mqd_t` is a pointer to the C library's record of the
// queue (its descriptor and notification node), which the handle owns alone.
// librt's `mq_*` functions only read the descriptor from it, and `mq_notify`
// updates the record under librt's own lock, so the handle may move to and
// be shared by other threads, as on Linux where `mqd_t` is the descriptor.
#[cfg(target_os = "freebsd")]
unsafe impl Send for MessageQueue {}
// SAFETY: see `Send` above: every `&self` call is thread-safe in librt.
#[cfg(target_os = "freebsd")]
unsafe impl Sync for MessageQueue {}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; `close` reports them.
        self.close_fd();
    }
}

impl Sealed for MessageQueue {}

impl Unlink for MessageQueue {
    fn unlink(&self) -> Result<()> {
        MessageQueue::unlink(self)
    }
}

impl fmt::Debug for MessageQueue {
    /// Like posix_ipc's `repr`: name, sizes and access.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MessageQueue");
        match &self.name {
            Some(name) => d.field("name", name),
            None => d.field("name", &format_args!("None")),
        };
        d.field("fd", &self.mqd)
            .field("max_messages", &self.max_messages)
            .field("max_message_size", &self.max_message_size)
            .field("read", &self.read)
            .field("write", &self.write)
            .finish()
    }
}

impl AsFd for MessageQueue {
    /// The queue descriptor, for `poll`/`epoll`: readable when the queue holds
    /// a message, writable when it has room.
    ///
    /// On FreeBSD this is the file descriptor `mq_getfd_np` returns, for
    /// `poll` and `kqueue`; it stays owned by the queue, which closes it in
    /// `mq_close`.
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// q.send(b"x", 0)?;
    /// let mut fds = [PollFd::new(q.as_fd(), PollFlags::POLLIN)];
    /// assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 1);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` lives.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl AsRawFd for MessageQueue {
    /// The queue descriptor (Python's `mqd`/`fileno()`); on FreeBSD the file
    /// descriptor of `mq_getfd_np`, still owned by the queue.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// assert!(q.as_raw_fd() >= 0);
    /// q.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    fn as_raw_fd(&self) -> RawFd {
        // SAFETY: `self.mqd` is open as long as `self` lives.
        unsafe { raw_fd(self.mqd) }
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl From<MessageQueue> for OwnedFd {
    /// The queue descriptor, still open (on Linux a queue descriptor is a
    /// file descriptor, closed by `close`). A pending callback notification
    /// of this handle is forgotten and will not run, as with
    /// [`IntoRawFd`].
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// let mq = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// mq.unlink()?;
    /// let fd: OwnedFd = mq.into();
    /// drop(fd); // closes the queue
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    fn from(mut q: MessageQueue) -> OwnedFd {
        let fd = q.take_fd();
        // SAFETY: `take_fd` hands over the open descriptor and leaves the
        // handle without it, so the OwnedFd is its only owner.
        unsafe { OwnedFd::from_raw_fd(fd) }
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl TryFrom<OwnedFd> for MessageQueue {
    type Error = Error;

    /// Same as [`MessageQueue::from_fd`].
    fn try_from(fd: OwnedFd) -> Result<MessageQueue> {
        MessageQueue::from_fd(fd)
    }
}

/// Linux only: on FreeBSD a queue descriptor (`mqd_t`) is a pointer to the C
/// library's own record, which no file descriptor can be turned back into.
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl MessageQueue {
    /// Adopts a queue descriptor, e.g. one received from another process
    /// over a Unix socket (`SCM_RIGHTS`) or one made by C code; the handle
    /// owns it from then on.
    ///
    /// The descriptor is checked with `mq_getattr` (anything but a queue is
    /// [`InvalidInput`](ErrorKind::InvalidInput), and is closed with the
    /// error), which also gives the queue's sizes. Access (read, write) comes
    /// from the descriptor's open flags. The name is read from
    /// `/proc/self/fd`: a queue that still has one gets it, so
    /// [`unlink`](Self::unlink) works; an unlinked one has none
    /// ([`name`](Self::name) is `None`, `unlink` is
    /// [`NotFound`](ErrorKind::NotFound)). [`created`](Self::created) is
    /// `false`.
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use posix_ipc::MessageQueue;
    /// let mq = MessageQueue::options().max_message_size(16).create_unique()?;
    /// let name = mq.name().unwrap().clone();
    /// mq.send(b"passed on", 1)?;
    /// let fd: OwnedFd = mq.into(); // e.g. sent to another process
    /// let adopted = MessageQueue::from_fd(fd)?;
    /// assert_eq!((adopted.name(), adopted.max_message_size()), (Some(&name), 16));
    /// assert_eq!(adopted.receive_vec()?, (b"passed on".to_vec(), 1));
    /// adopted.unlink()?;
    /// let pipe = OwnedFd::from(std::io::stdin().as_fd().try_clone_to_owned().unwrap());
    /// assert!(MessageQueue::from_fd(pipe).unwrap_err().is_invalid_input());
    /// # use std::os::fd::AsFd;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<MessageQueue> {
        let mqd = fd.as_raw_fd();
        let mut attr = zeroed_attr();
        // SAFETY: `attr` is a valid, writable mq_attr; `fd` owns the descriptor.
        check("mq_getattr", unsafe { sys::mq_getattr(mqd, &mut attr) }).map_err(|e| {
            if matches!(e.raw_os_error(), Some(libc::EBADF | libc::EINVAL)) {
                e.with_kind(ErrorKind::InvalidInput).with_message(format!(
                    "descriptor {mqd} is not a POSIX message queue; adopt a descriptor \
                     from mq_open"
                ))
            } else {
                e
            }
        })?;
        // SAFETY: F_GETFL on a descriptor `fd` owns; no memory is passed.
        let status = check("fcntl", unsafe { libc::fcntl(mqd, libc::F_GETFL) })?;
        let (read, write) = match status & libc::O_ACCMODE {
            libc::O_RDONLY => (true, false),
            libc::O_WRONLY => (false, true),
            _ => (true, true),
        };
        Ok(MessageQueue {
            name: name::name_of_fd(mqd, "/"),
            mqd: fd.into_raw_fd(),
            max_messages: usize::try_from(attr.mq_maxmsg).unwrap_or(0),
            max_message_size: usize::try_from(attr.mq_msgsize).unwrap_or(0),
            read,
            write,
            created: false,
            notify: notify::NotifyState::default(),
        })
    }

    /// A second handle on the same queue, with its own descriptor
    /// (`fcntl(F_DUPFD_CLOEXEC)`), sharing this one's open file description
    /// (so [`set_block`](Self::set_block) on either affects both). Its
    /// notification state starts empty; as with any descriptor of the
    /// queue, closing it cancels this process's notification registration
    /// (see [Notifications](Self#notifications)).
    /// [`created`](Self::created) is `false` for the clone.
    ///
    /// ```
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// let clone = q.try_clone()?;
    /// q.send(b"one", 0)?;
    /// q.close()?;
    /// assert_eq!(clone.receive_vec()?, (b"one".to_vec(), 0));
    /// clone.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<MessageQueue> {
        let fd = self
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| match e.raw_os_error() {
                Some(errno) => Error::from_errno("fcntl", errno),
                None => Error::new(ErrorKind::Other, "fcntl", e.to_string()),
            })?;
        Ok(MessageQueue {
            mqd: fd.into_raw_fd(),
            name: self.name.clone(),
            max_messages: self.max_messages,
            max_message_size: self.max_message_size,
            read: self.read,
            write: self.write,
            created: false,
            notify: notify::NotifyState::default(),
        })
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl IntoRawFd for MessageQueue {
    /// Gives up ownership of the descriptor (the caller must `mq_close` it). A
    /// pending callback notification of this handle is forgotten and will not
    /// run.
    ///
    /// ```
    /// use std::os::fd::IntoRawFd;
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?;
    /// q.unlink()?;
    /// let fd = q.into_raw_fd();
    /// // SAFETY: `fd` is a queue descriptor we own.
    /// assert_eq!(unsafe { libc::close(fd) }, 0);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    fn into_raw_fd(mut self) -> RawFd {
        self.take_fd()
    }
}

/// Removes the queue called `name` (`mq_unlink`): the name disappears at once,
/// the queue when its last descriptor closes. Missing queue →
/// [`ErrorKind::NotFound`].
///
/// ```
/// use posix_ipc::{unlink_message_queue, ErrorKind, MessageQueue};
/// let q = MessageQueue::options().max_message_size(8).create_unique()?;
/// unlink_message_queue(q.name().unwrap())?;
/// assert_eq!(unlink_message_queue(q.name().unwrap()).unwrap_err().kind(), ErrorKind::NotFound);
/// assert!(unlink_message_queue("no-slash").unwrap_err().is_invalid_input());
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub fn unlink_message_queue(name: impl IntoName) -> Result<()> {
    let name = name.into_name()?;
    // SAFETY: the name is a NUL-terminated C string.
    let rc = unsafe { sys::mq_unlink(name.as_c_str().as_ptr()) };
    check("mq_unlink", rc).map_err(|e| match e.raw_os_error() {
        Some(libc::ENOENT) => {
            let m = format!("no message queue named {name} exists");
            e.with_message(m)
        }
        Some(libc::EACCES) => {
            let m = format!("permission denied to unlink message queue {name}");
            e.with_message(m)
        }
        _ => e,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<MessageQueue>();
        assert::<MessageQueueOptions>();
    }

    #[test]
    fn immediate_deadline_is_the_epoch() {
        let ts = deadline(Timeout::Immediate).unwrap().unwrap();
        assert_eq!((ts.tv_sec, ts.tv_nsec), (0, 0));
        assert!(deadline(Timeout::Forever).unwrap().is_none());
        let later = deadline(Timeout::After(std::time::Duration::from_secs(5)))
            .unwrap()
            .unwrap();
        assert!(later.tv_sec > 1_000_000_000);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn size_messages_name_the_limits() {
        let m = invalid_sizes_message(Some((100_000, 8)));
        assert!(m.contains("max_messages = 100000"), "{m}");
        assert!(m.contains("HARD_MSGMAX"), "{m}");
        assert!(!m.contains("max_message_size ="), "{m}");
        let m = invalid_sizes_message(Some((1, HARD_MSGSIZEMAX + 1)));
        assert!(m.contains("fs.mqueue.msgsize_max"), "{m}");
    }
}
