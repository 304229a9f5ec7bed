//! POSIX message queues: [`MessageQueue`], [`MessageQueueOptions`],
//! notifications (`notify.rs`) and, with `tokio`, `AsyncMessageQueue`. Linux
//! and FreeBSD (see [`MESSAGE_QUEUES_SUPPORTED`](crate::MESSAGE_QUEUES_SUPPORTED)).
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
/// The kernel's `HARD_MSGMAX`: the most messages even `CAP_SYS_RESOURCE` gets.
pub const HARD_MSGMAX: usize = 65_536;

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
/// The kernel's `HARD_MSGSIZEMAX`: the largest message even `CAP_SYS_RESOURCE` gets.
pub const HARD_MSGSIZEMAX: usize = 16 * 1024 * 1024;

/// What a closed handle holds in place of its queue descriptor (drop skips it).
#[cfg(target_os = "linux")]
const CLOSED: sys::mqd_t = -1;
/// What a closed handle holds (FreeBSD's `mq_open` never returns NULL).
#[cfg(target_os = "freebsd")]
const CLOSED: sys::mqd_t = ptr::null_mut();

/// The file descriptor behind a queue descriptor: the same on Linux.
/// # Safety
/// `mqd` must be an open queue descriptor (on FreeBSD it is dereferenced).
#[cfg(target_os = "linux")]
#[inline]
unsafe fn raw_fd(mqd: sys::mqd_t) -> RawFd {
    mqd
}

/// The file descriptor behind a queue descriptor: on FreeBSD the one the C
/// library's record owns (`mq_getfd_np`; closed by `mq_close`).
/// # Safety
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

/// `mq_open`'s result as a `Result` (FreeBSD: a pointer, `(mqd_t)-1` on failure).
#[cfg(target_os = "freebsd")]
fn check_mqd(op: &'static str, mqd: sys::mqd_t) -> Result<sys::mqd_t> {
    if mqd.addr() == usize::MAX {
        Err(Error::last_os_error(op))
    } else {
        Ok(mqd)
    }
}

/// An `mq_attr` with these fields and every reserved byte zero.
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
/// receive returns the oldest message of the highest priority. Sending to a
/// full queue ([`max_messages`](Self::max_messages)) and receiving from an
/// empty one wait (see the crate's [conventions](crate#conventions) for
/// timeouts and signals).
///
/// The handle owns its descriptor and closes it on drop (or
/// [`close`](Self::close)); the queue lives until it is unlinked and its last
/// descriptor is closed. It is `Send + Sync`: the kernel serialises
/// operations, so threads may share one handle. [`notify_signal`](Self::notify_signal)
/// and (Linux) [`notify_callback`](Self::notify_callback) report arrivals.
///
/// ```
/// use posix_ipc::{MessageQueue, Timeout};
/// let q = MessageQueue::options().max_messages(4).max_message_size(64).create_unique()?.unlink_on_drop();
/// q.send(b"low", 1)?;
/// q.send(b"high", 9)?;
/// let mut buf = [0u8; 64];
/// let (len, priority) = q.receive(&mut buf)?; // highest priority first
/// assert_eq!((&buf[..len], priority), (&b"high"[..], 9));
/// assert_eq!(q.receive_vec_timeout(Timeout::Immediate)?, (b"low".to_vec(), 1));
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub struct MessageQueue {
    mqd: sys::mqd_t,
    /// `None` for an adopted descriptor of an unlinked queue.
    name: Option<Name>,
    max_messages: usize,
    max_message_size: usize,
    read: bool,
    write: bool,
    created: bool,
    notify: notify::NotifyState,
}

/// Options for opening or creating a [`MessageQueue`], like
/// [`std::fs::OpenOptions`]. Defaults: open an existing queue for reading and
/// writing, blocking, mode `0o600` if created.
///
/// A new queue gets the kernel's default sizes for those not set, as C's
/// `mq_open(name, O_CREAT, mode, NULL)` (Linux: `/proc/sys/fs/mqueue`'s
/// `msg_default` × `msgsize_default`, 10 × 8192 on a stock kernel; FreeBSD:
/// 10 × 1024). An existing queue keeps its own sizes.
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
    /// The defaults; the same as [`MessageQueue::options`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Create the queue if it does not exist (`O_CREAT`); an existing one is
    /// opened with its own sizes, unless another user owns it (see
    /// [`allow_foreign_owner`](Self::allow_foreign_owner)).
    /// [`MessageQueue::created`] tells which happened.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new queue, failing with [`ErrorKind::AlreadyExists`] if one
    /// exists (`O_CREAT | O_EXCL`); wins over [`create`](Self::create).
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// Permission bits of a new queue (default `0o600`, a `u32` or a [`Mode`]; the
    /// umask applies). Bits above `0o777` are [`ErrorKind::InvalidInput`].
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// Capacity of a new queue in messages (at least 1).
    pub fn max_messages(&mut self, n: usize) -> &mut Self {
        self.max_messages = Some(n);
        self
    }

    /// Largest message of a new queue in bytes (at least 1).
    pub fn max_message_size(&mut self, bytes: usize) -> &mut Self {
        self.max_message_size = Some(bytes);
        self
    }

    /// Open for receiving (default `true`); `read` or [`write`](Self::write) must
    /// be set.
    pub fn read(&mut self, read: bool) -> &mut Self {
        self.read = read;
        self
    }

    /// Open for sending (default `true`).
    pub fn write(&mut self, write: bool) -> &mut Self {
        self.write = write;
        self
    }

    /// Whether sends and receives may wait (default `true`). With `false` the
    /// descriptor is non-blocking (`O_NONBLOCK`): a full or empty queue is
    /// [`ErrorKind::WouldBlock`] at once, whatever the timeout. The same setting
    /// as [`MessageQueue::set_block`].
    pub fn block(&mut self, block: bool) -> &mut Self {
        self.block = block;
        self
    }

    /// Let an open-or-create ([`create`](Self::create), `O_CREAT`) open a queue
    /// of another user (default `false`). By default that fails with
    /// [`ErrorKind::ForeignOwner`]: a squatter could read the messages and forge
    /// others (see [Security](crate#security)). Queues of this process's
    /// effective user and of root are always accepted; plain opens and
    /// [`create_new`](Self::create_new) do not check.
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.open.allow_foreign_owner(allow);
        self
    }

    /// posix_ipc's flags: [`O_CREAT`](crate::O_CREAT), [`O_EXCL`](crate::O_EXCL)
    /// (with `O_CREAT`), [`O_CREX`](crate::O_CREX), [`O_NONBLOCK`](crate::O_NONBLOCK),
    /// replacing what [`create`](Self::create), [`create_new`](Self::create_new)
    /// and [`block`](Self::block) set. Access is [`read`](Self::read)/
    /// [`write`](Self::write); an access mode or other bits are refused when
    /// opening.
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
    pub fn open(&self, name: impl IntoName) -> Result<MessageQueue> {
        self.open.check()?;
        let name = name.into_name()?;
        self.open_name(name, flags::creation(&self.open))
    }

    /// Creates a new queue under a fresh random name (`/pipc_` and 16 hex digits
    /// from the OS random source, retried if taken; posix_ipc's `name=None`),
    /// whatever the creation settings say.
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

    /// The sizes to create with: `None` lets the kernel choose, else both, checked.
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

/// FreeBSD's compiled-in defaults (`uipc_mqueue.c`): 10 messages of 1024 bytes.
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

/// An `mq_open` failure as an error that says what to do.
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

/// The error of a failed timed send or receive. `Immediate` uses a past
/// deadline, whose `ETIMEDOUT` is reported as `EAGAIN`: only a real wait that
/// expired is [`ErrorKind::TimedOut`].
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

/// [`transfer_error`] of `errno`, out of line to keep the hot paths small.
#[cold]
#[inline(never)]
fn last_transfer_error(op: &'static str, dir: Dir) -> Error {
    transfer_error(Error::last_os_error(op), dir)
}

/// Send/receive errors that say what happened (static messages: the
/// non-blocking path must not allocate).
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

/// The absolute `CLOCK_REALTIME` deadline for `mq_timed*`; `None` for
/// `Forever`, the epoch for `Immediate` (no clock read).
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
    pub fn options() -> MessageQueueOptions {
        MessageQueueOptions::default()
    }

    /// Opens an existing queue for sending and receiving (blocking).
    pub fn open(name: impl IntoName) -> Result<MessageQueue> {
        Self::options().open(name)
    }

    /// Opens `name`, creating it with the kernel's default sizes and mode `0o600`
    /// if it does not exist (`O_CREAT`).
    pub fn create(name: impl IntoName) -> Result<MessageQueue> {
        Self::options().create(true).open(name)
    }

    /// Creates `name` with the kernel's default sizes and mode `0o600`, failing
    /// with [`AlreadyExists`](ErrorKind::AlreadyExists) if it exists (`O_CREX`).
    pub fn create_new(name: impl IntoName) -> Result<MessageQueue> {
        Self::options().create_new(true).open(name)
    }

    /// Creates a queue with the kernel's default sizes under a fresh random name
    /// (see [`MessageQueueOptions::create_unique`]).
    pub fn create_unique() -> Result<MessageQueue> {
        Self::options().create_unique()
    }

    /// The queue's name; `None` only for an adopted descriptor whose queue has
    /// none (see [`from_fd`](Self::from_fd)).
    pub fn name(&self) -> Option<&Name> {
        self.name.as_ref()
    }

    /// How messages name this queue.
    fn shown(&self) -> String {
        match &self.name {
            Some(name) => format!("\"{name}\""),
            None => format!("the unnamed queue of descriptor {}", self.as_raw_fd()),
        }
    }

    /// Whether the call that opened this handle created the queue (and gave it
    /// its mode and sizes): true for `create_new` and `create_unique`, false for
    /// `open` and clones, whichever happened for an open-or-create.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The capacity in messages (`mq_maxmsg`, fixed when the queue was created).
    pub fn max_messages(&self) -> usize {
        self.max_messages
    }

    /// The longest message in bytes (`mq_msgsize`, fixed); receive buffers must
    /// be at least this long.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Whether this handle may receive.
    pub fn can_read(&self) -> bool {
        self.read
    }

    /// Whether this handle may send.
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

    /// How many messages are in the queue now (`mq_getattr`).
    pub fn current_messages(&self) -> Result<usize> {
        Ok(usize::try_from(self.attr()?.mq_curmsgs).unwrap_or(0))
    }

    /// Whether this descriptor blocks (no `O_NONBLOCK`), read live.
    pub fn block(&self) -> Result<bool> {
        Ok(self.attr()?.mq_flags & libc::c_long::from(libc::O_NONBLOCK) == 0)
    }

    /// Makes this descriptor blocking or not (`mq_setattr`); other handles of the
    /// queue keep their own setting.
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

    /// The queue's permission bits as they are now (`fstat`).
    pub fn mode(&self) -> Result<Mode> {
        // `mode_t` is 16 bits on FreeBSD.
        #[allow(clippy::useless_conversion)]
        let mode = u32::from(self.stat()?.st_mode);
        Ok(Mode::from_raw(mode).permissions())
    }

    /// `fstat` of the queue descriptor.
    fn stat(&self) -> Result<libc::stat> {
        fstat(self.as_fd())
    }

    /// Refuses what the kernel would refuse or misread, before `mq_send`.
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

    /// Refuses a handle not open for reading or a buffer shorter than the largest
    /// message, before `mq_receive`; errors built out of line.
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
    /// higher first), waiting for room; allocates nothing. A message above
    /// [`max_message_size`](Self::max_message_size) or a priority above the
    /// maximum is [`ErrorKind::InvalidInput`], a read-only handle [`ErrorKind::PermissionDenied`].
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
    /// [`Timeout::Immediate`] fails at once with [`ErrorKind::WouldBlock`],
    /// `After` with [`ErrorKind::TimedOut`] when it expires. The deadline is on
    /// `CLOCK_REALTIME` (`mq_timedsend`), so setting the clock moves it.
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
    /// its length and priority; waits on an empty queue. `buf` must hold
    /// [`max_message_size`](Self::max_message_size) bytes
    /// ([`ErrorKind::InvalidInput`] otherwise). Allocates nothing.
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

    /// [`receive`](Self::receive) waiting at most `timeout` (the rules of
    /// [`send_timeout`](Self::send_timeout)).
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

    /// Receives a message into a new `Vec` of `max_message_size` bytes, shrunk to
    /// the message (Python's `receive()`); [`receive`](Self::receive) reuses a buffer.
    pub fn receive_vec(&self) -> Result<(Vec<u8>, u32)> {
        self.receive_vec_timeout(Timeout::Forever)
    }

    /// [`receive_vec`](Self::receive_vec) waiting at most `timeout`.
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

    /// Removes the queue's name (`mq_unlink`); the queue lives until its last
    /// descriptor closes, and this handle keeps working.
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

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the queue when
    /// it drops.
    #[must_use = "the guard unlinks when it drops: dropped at once, it unlinks at once"]
    pub fn unlink_on_drop(self) -> UnlinkOnDrop<MessageQueue> {
        UnlinkOnDrop::new(self)
    }

    /// Closes the descriptor (`mq_close`) and reports any error, unlike drop;
    /// cancels this process's notification registration on the queue.
    pub fn close(mut self) -> Result<()> {
        check("mq_close", self.close_fd())?;
        Ok(())
    }

    /// Closes the descriptor once, dropping the callbacks the close cancels.
    fn close_fd(&mut self) -> libc::c_int {
        let mqd = std::mem::replace(&mut self.mqd, CLOSED);
        if mqd == CLOSED {
            return 0;
        }
        self.notify.close(mqd)
    }

    #[cfg(target_os = "linux")]
    /// Takes the descriptor out (leaving `CLOSED`) and forgets the pending callback.
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
    /// The queue descriptor, for `poll`/`epoll` (FreeBSD: `mq_getfd_np`'s, for
    /// `poll`/`kqueue`): readable when the queue holds a message, writable when
    /// it has room.
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` lives.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl AsRawFd for MessageQueue {
    /// The queue descriptor (Python's `mqd`/`fileno()`).
    fn as_raw_fd(&self) -> RawFd {
        // SAFETY: `self.mqd` is open as long as `self` lives.
        unsafe { raw_fd(self.mqd) }
    }
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
impl From<MessageQueue> for OwnedFd {
    /// The queue descriptor, still open; a pending callback is forgotten.
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
    /// Adopts a queue descriptor (received over `SCM_RIGHTS`, made by C code).
    /// `mq_getattr` checks it (anything else is
    /// [`InvalidInput`](ErrorKind::InvalidInput), closed) and gives the sizes;
    /// access comes from its open flags, the name from `/proc/self/fd` (`None`
    /// once unlinked, and `unlink` is [`NotFound`](ErrorKind::NotFound)).
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

    /// A second handle with its own descriptor (`F_DUPFD_CLOEXEC`) on the same
    /// open file description, so [`set_block`](Self::set_block) affects both.
    /// Closing it cancels this process's notification registration.
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
    /// Gives up the descriptor (the caller must `mq_close` it); a pending
    /// callback is forgotten.
    fn into_raw_fd(mut self) -> RawFd {
        self.take_fd()
    }
}

/// Removes the queue called `name` (`mq_unlink`): the name at once, the queue
/// when its last descriptor closes. A missing one is [`ErrorKind::NotFound`].
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
