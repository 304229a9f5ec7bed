//! System V message queues: [`MessageQueue`], the receive [`Selector`], [`Wait`],
//! owned [`Message`]s, one-call [`MessageQueueStat`], [`remove_message_queue`]
//! and the kernel's limits ([`crate::limits`]).
//!
//! See [`MessageQueue`] for how buffers are staged and why there are no timeouts.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, TryLockError};
use std::time::SystemTime;

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::{Error, ErrorKind, IntoMode, Permissions, Result};
use libc::{c_int, c_long};
use posix_ipc_sys as sys;

use crate::Key;
use crate::ipc::{self, Control, Creation, IPC_CREAT, IPC_CREX};
use crate::key::{get_error, with_unique_key};
use crate::limits::read_kernel_limit;

const WHAT: &str = "message queue";

/// The message-queue kind for the shared `IPC_STAT`/`IPC_SET`/`IPC_RMID` calls.
pub(crate) struct MsgCtl;

impl Control for MsgCtl {
    type Ds = sys::msqid_ds;
    const WHAT: &'static str = WHAT;
    const OP: &'static str = "msgctl";
    const GET: &'static str = "msgget";

    unsafe fn ctl(id: i32, cmd: c_int, buf: *mut sys::msqid_ds) -> c_int {
        // SAFETY: the caller guarantees `buf` is valid for one msqid_ds (or null
        // for IPC_RMID, which ignores it).
        unsafe { sys::msgctl(id, cmd, buf) }
    }

    fn perm(ds: &sys::msqid_ds) -> &sys::ipc_perm {
        &ds.msg_perm
    }

    fn perm_mut(ds: &mut sys::msqid_ds) -> &mut sys::ipc_perm {
        &mut ds.msg_perm
    }
}

/// sysv_ipc's default client-side maximum message size (2048 bytes), used when
/// [`MessageQueueOptions::max_message_size`] is not given.
///
/// Keeping sysv_ipc's default means a Python peer that receives with its own
/// default can take every message this handle sends.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 2048;

/// Messages and receive buffers up to this many bytes are staged on the stack
/// (see [buffers](MessageQueue#buffers-and-allocation)): 8192, the default Linux `msgmax`.
pub const STACK_MESSAGE_SIZE: usize = 8192;

/// `c_long` words of the stack staging buffer: the type plus the text.
const STACK_WORDS: usize = 1 + STACK_MESSAGE_SIZE / size_of::<c_long>();

// The kernel writes the type and up to STACK_MESSAGE_SIZE bytes of text into
// that buffer (`with_msgbuf`): it must hold them all.
const _: () =
    assert!(STACK_WORDS * size_of::<c_long>() >= size_of::<c_long>() + STACK_MESSAGE_SIZE);

/// The largest client-side maximum message size: the kernel's `msgmax` is an `int`.
const MAX_MESSAGE_SIZE_LIMIT: usize = i32::MAX.unsigned_abs() as usize;

/// Whether a send or receive waits when it cannot proceed at once.
///
/// System V queues have no timed operations (see
/// [no timeouts](MessageQueue#no-timeouts)), so
/// this replaces the [`Timeout`](ipc_common::Timeout) other primitives take,
/// in the same place: the last argument of a send or receive. Every such call
/// takes `impl Into<Wait>`: a `Wait`, or a `bool` (`From<bool>` ports
/// sysv_ipc's `block=` argument). Code that holds a `Timeout` converts it with
/// `Wait::try_from`, which refuses a real duration instead of pretending to
/// honour it.
///
/// ```
/// use sysv_ipc::{MessageQueue, Selector, Wait};
/// assert_eq!(Wait::from(true), Wait::Block);
/// assert_eq!(Wait::from(false), Wait::NoWait);
/// let q = MessageQueue::create_unique()?.remove_on_drop();
/// let e = q.receive_vec(Selector::Any, Wait::NoWait).unwrap_err();
/// assert!(e.is_busy());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Wait {
    /// Wait until the call can proceed (sysv_ipc's `block=True`, the default).
    #[default]
    Block,
    /// Fail with [`ErrorKind::WouldBlock`] instead of waiting (`IPC_NOWAIT`).
    NoWait,
}

impl Wait {
    fn flag(self) -> c_int {
        match self {
            Wait::Block => 0,
            Wait::NoWait => sys::IPC_NOWAIT,
        }
    }
}

impl From<bool> for Wait {
    /// `true` → [`Wait::Block`], `false` → [`Wait::NoWait`].
    fn from(block: bool) -> Wait {
        if block { Wait::Block } else { Wait::NoWait }
    }
}

impl TryFrom<ipc_common::Timeout> for Wait {
    type Error = Error;

    /// [`Timeout::Forever`](ipc_common::Timeout::Forever) → [`Wait::Block`],
    /// [`Immediate`](ipc_common::Timeout::Immediate) (or `After(0)`) →
    /// [`Wait::NoWait`]; a non-zero `After` is
    /// [`Unsupported`](ErrorKind::Unsupported): System V queues cannot wait
    /// for a limited time.
    fn try_from(timeout: ipc_common::Timeout) -> Result<Wait> {
        match timeout {
            ipc_common::Timeout::Forever => Ok(Wait::Block),
            t if t.is_immediate() => Ok(Wait::NoWait),
            t => Err(Error::new(
                ErrorKind::Unsupported,
                "msgrcv",
                format!(
                    "{t:?}: System V message queues have no timed send or receive (the kernel \
                     has no msgtimedrcv); use Wait::Block or Wait::NoWait, or a POSIX queue \
                     for real timeouts"
                ),
            )),
        }
    }
}

/// Which message a receive takes.
///
/// Every type given here must be > 0 (an [`InvalidInput`](ErrorKind::InvalidInput)
/// error otherwise). Within the messages a selector matches, the first one sent
/// is taken, except for [`UpTo`](Selector::UpTo) (see there).
///
/// ```
/// use sysv_ipc::{MessageQueue, Selector, Wait};
/// let q = MessageQueue::create_unique()?.remove_on_drop();
/// for t in [4, 3, 2, 1] {
///     q.send(format!("type{t}").as_bytes(), t, Wait::Block)?;
/// }
/// assert_eq!(q.receive_vec(Selector::Type(3), Wait::NoWait)?.mtype, 3);
/// assert_eq!(q.receive_vec(Selector::UpTo(2), Wait::NoWait)?.mtype, 1); // lowest type <= 2
/// assert_eq!(q.receive_vec(Selector::Except(4), Wait::NoWait)?.mtype, 2);
/// assert_eq!(q.receive_vec(Selector::Any, Wait::NoWait)?.data, b"type4");
/// assert!(Selector::Type(0).validate().is_err());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// The first message on the queue, whatever its type (`msgtyp = 0`).
    Any,
    /// The first message of exactly this type (`msgtyp = t`).
    Type(c_long),
    /// A message whose type is at most `t` (`msgtyp = -t`).
    ///
    /// On Linux the kernel takes the first message of the **lowest** type
    /// `<= t`, which is how POSIX words it: with types 4, 3, 2, 1 queued in that
    /// order, `UpTo(2)` returns the type-1 message. sysv_ipc's test for this
    /// (skipped on Linux, its issue #38) expects the BSD/macOS result instead,
    /// the first message in queue order whose type is `<= t` (the type-2
    /// message). Code that must behave the same everywhere should use
    /// [`Type`](Selector::Type) in a loop over the wanted types.
    UpTo(c_long),
    /// The first message whose type is not `t` (`MSG_EXCEPT`, Linux only;
    /// sysv_ipc issue #54).
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    Except(c_long),
}

impl Selector {
    /// The selector for sysv_ipc's `type=` argument of `receive`: 0 is
    /// [`Any`](Selector::Any), `t > 0` is [`Type(t)`](Selector::Type), `t < 0`
    /// is [`UpTo(-t)`](Selector::UpTo). `c_long::MIN` has no positive
    /// counterpart and is [`InvalidInput`](ErrorKind::InvalidInput).
    pub fn from_raw(msgtyp: c_long) -> Result<Selector> {
        match msgtyp {
            0 => Ok(Selector::Any),
            t if t > 0 => Ok(Selector::Type(t)),
            t => t.checked_neg().map(Selector::UpTo).ok_or_else(|| {
                Error::invalid_input(
                    "msgrcv",
                    format!(
                        "message type {t} has no positive counterpart; use -{}",
                        c_long::MAX
                    ),
                )
            }),
        }
    }

    /// Checks the selector and returns the `msgtyp` and flag bits for `msgrcv`.
    pub fn validate(self) -> Result<(c_long, c_int)> {
        let (t, msgtyp, flags) = match self {
            Selector::Any => return Ok((0, 0)),
            Selector::Type(t) => (t, t, 0),
            Selector::UpTo(t) => (t, t.wrapping_neg(), 0),
            #[cfg(target_os = "linux")]
            Selector::Except(t) => (t, t, sys::MSG_EXCEPT),
        };
        if t <= 0 {
            return Err(Error::invalid_input(
                "msgrcv",
                format!(
                    "{self:?} is not a valid selector: message types must be > 0 \
                     (use Selector::Any for any type, Selector::from_raw for sysv_ipc's type=)"
                ),
            ));
        }
        Ok((msgtyp, flags))
    }
}

impl fmt::Display for Selector {
    /// What the selector matches, in words (used in error messages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Any => f.write_str("any type"),
            Selector::Type(t) => write!(f, "type {t}"),
            Selector::UpTo(t) => write!(f, "a type <= {t}"),
            #[cfg(target_os = "linux")]
            Selector::Except(t) => write!(f, "any type but {t}"),
        }
    }
}

/// A received message with its type (sysv_ipc's `(bytes, type)` tuple).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The message type (always > 0).
    pub mtype: c_long,
    /// The message text.
    pub data: Vec<u8>,
}

/// Every attribute of a queue, from one `IPC_STAT`.
///
/// ```
/// use sysv_ipc::{MessageQueue, Wait};
/// let q = MessageQueue::create_unique()?.remove_on_drop();
/// q.send(b"abc", 1, Wait::Block)?;
/// let s = q.stat()?;
/// assert_eq!((s.current_messages, s.current_bytes), (1, 3));
/// assert_eq!(s.key, q.key());
/// assert_eq!(s.last_send_pid, Some(std::process::id() as i32));
/// assert!(s.receive_time.is_none());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageQueueStat {
    /// The key the queue was created with.
    pub key: Key,
    /// Owner, creator and mode.
    pub permissions: Permissions,
    /// Time of the last send (`msg_stime`); `None` before the first.
    pub send_time: Option<SystemTime>,
    /// Time of the last receive (`msg_rtime`); `None` before the first.
    pub receive_time: Option<SystemTime>,
    /// Time of creation or of the last `IPC_SET` (`msg_ctime`).
    pub change_time: SystemTime,
    /// Messages on the queue (`msg_qnum`).
    pub current_messages: u64,
    /// Bytes of message text on the queue (`__msg_cbytes`).
    pub current_bytes: u64,
    /// Most bytes of text the queue holds (`msg_qbytes`; see [`MessageQueue::max_size`]).
    pub max_size: u64,
    /// The process that sent last (`msg_lspid`); `None` before the first send.
    pub last_send_pid: Option<libc::pid_t>,
    /// The process that received last (`msg_lrpid`); `None` before the first receive.
    pub last_receive_pid: Option<libc::pid_t>,
}

impl From<&sys::msqid_ds> for MessageQueueStat {
    // The counters are `unsigned long`: 32 bits on 32-bit targets, where
    // the conversions are not useless.
    #[allow(clippy::useless_conversion)]
    fn from(ds: &sys::msqid_ds) -> MessageQueueStat {
        MessageQueueStat {
            key: ipc::key_of(MsgCtl::perm(ds)),
            permissions: ipc::permissions(MsgCtl::perm(ds)),
            send_time: ipc::time(ds.msg_stime),
            receive_time: ipc::time(ds.msg_rtime),
            change_time: ipc::change_time(ds.msg_ctime),
            current_messages: u64::from(ds.msg_qnum),
            #[cfg(target_os = "linux")]
            current_bytes: u64::from(ds.__msg_cbytes),
            #[cfg(target_os = "freebsd")]
            current_bytes: u64::from(ds.msg_cbytes),
            max_size: u64::from(ds.msg_qbytes),
            last_send_pid: ipc::pid(ds.msg_lspid),
            last_receive_pid: ipc::pid(ds.msg_lrpid),
        }
    }
}

/// How to open a [`MessageQueue`], like [`std::fs::OpenOptions`].
///
/// Defaults: open an existing queue, mode `0o600`, a client-side maximum
/// message size of [`DEFAULT_MAX_MESSAGE_SIZE`].
///
/// ```
/// use sysv_ipc::{MessageQueue, IPC_CREX};
/// let q = MessageQueue::options().mode(0o640).max_message_size(256).create_unique()?.remove_on_drop();
/// assert_eq!(q.mode()?.bits(), 0o640);
/// assert_eq!(q.max_message_size(), 256);
/// // sysv_ipc-style flags work too:
/// let e = MessageQueue::options().flags(IPC_CREX).open(q.key()).unwrap_err();
/// assert_eq!(e.kind(), sysv_ipc::ErrorKind::AlreadyExists);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageQueueOptions {
    open: OpenOptions,
    max_message_size: usize,
}

/// What [`MessageQueueOptions::flags`] accepts.
const FLAGS: FlagBits = ipc::flag_bits(0, WHAT);

impl Default for MessageQueueOptions {
    /// Same as [`MessageQueueOptions::new`].
    fn default() -> Self {
        MessageQueueOptions {
            open: OpenOptions::new(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

impl MessageQueueOptions {
    /// The defaults (same as [`MessageQueue::options`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Create the queue if no queue has the key (`IPC_CREAT`).
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new queue and fail with `AlreadyExists` if one has the key
    /// (`IPC_CREAT | IPC_EXCL`). Wins over [`create`](Self::create), as in
    /// [`std::fs::OpenOptions`].
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// Permission bits (`0o600` by default; at most `0o777`). They set the mode
    /// of a queue this call creates; when opening an existing queue the kernel
    /// checks that its mode grants them (as sysv_ipc does), so open another
    /// user's read-only queue with `mode(0o444)`. Takes a `u32` or a
    /// [`Mode`](crate::Mode).
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// The client-side maximum message size: [`send`](MessageQueue::send)
    /// refuses longer messages and [`receive_vec`](MessageQueue::receive_vec) accepts
    /// messages up to this size (its buffer is no larger than the kernel's
    /// `msgmax`, however large this is). Not a kernel setting (that is
    /// [`MessageQueue::set_max_size`] for the whole queue and `msgmax` for one
    /// message); at most `i32::MAX`.
    pub fn max_message_size(&mut self, bytes: usize) -> &mut Self {
        self.max_message_size = bytes;
        self
    }

    /// sysv_ipc-style creation flags: 0, [`IPC_CREAT`](crate::IPC_CREAT) or
    /// [`IPC_CREX`](crate::IPC_CREX). They replace what
    /// [`create`](Self::create) and [`create_new`](Self::create_new) set,
    /// exactly as if those were called (so `.flags(IPC_CREAT).create(false)`
    /// only opens, as for every options type). `IPC_EXCL` alone and any other bit
    /// (e.g. permission bits, which belong in [`mode`](Self::mode)) are
    /// rejected by `open`.
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        self.open.flags(flags, &FLAGS);
        self
    }

    /// With `true`, an open-or-create ([`create`](Self::create) without
    /// [`create_new`](Self::create_new)) also adopts an existing queue that
    /// another user owns or created (default `false`: such a queue is refused
    /// with [`ErrorKind::ForeignOwner`], see [Security](crate#security)): its
    /// owner could read the messages sent to it and inject its own. Opening
    /// without `create` never checks the owner.
    pub fn allow_foreign_owner(&mut self, yes: bool) -> &mut Self {
        self.open.allow_foreign_owner(yes);
        self
    }

    fn checked(&self) -> Result<(Creation, c_int)> {
        let mode = ipc::options_mode(&self.open, WHAT)?;
        check_max_message_size(self.max_message_size)?;
        Ok((Creation::of(&self.open), mode))
    }

    /// Opens (or creates, as configured) the queue with `key` (`msgget`).
    ///
    /// [`Key::PRIVATE`] always creates a new queue that only its id reaches.
    /// With [`create`](Self::create) (and not [`create_new`](Self::create_new))
    /// this first tries to create the queue exclusively and opens the existing
    /// one on `EEXIST`, so [`MessageQueue::created`] tells which happened; an
    /// existing queue that another user owns or created is then refused with
    /// [`ErrorKind::ForeignOwner`] unless
    /// [`allow_foreign_owner`](Self::allow_foreign_owner).
    pub fn open(&self, key: impl Into<Key>) -> Result<MessageQueue> {
        let key = key.into();
        let (creation, mode) = self.checked()?;
        let (id, created) = if key.is_private() {
            (msgget(key, IPC_CREAT | mode)?, true)
        } else if creation.create && !creation.exclusive {
            ipc::create_or_open::<MsgCtl>(
                WHAT,
                key,
                self.open.allows_foreign_owner(),
                || msgget(key, IPC_CREX | mode),
                || msgget(key, mode),
            )?
        } else {
            (msgget(key, creation.flags() | mode)?, creation.create)
        };
        let mut q = MessageQueue::new(key, id, self.max_message_size);
        q.created = created;
        Ok(q)
    }

    /// Creates a new queue under a fresh random key from the OS random source
    /// (sysv_ipc's `key=None`), retrying while the key is taken. The creation
    /// settings are ignored: this always creates exclusively.
    pub fn create_unique(&self) -> Result<MessageQueue> {
        self.open.check()?;
        let mut options = self.clone();
        options.create_new(true);
        with_unique_key("msgget", |key| options.open(key))
    }

    /// Opens the queue with this id (as `ipcs -q` shows it) after checking,
    /// with `IPC_STAT`, that it exists (`NotFound` otherwise) and reading its
    /// key. `IPC_STAT` needs read permission on the queue. Only
    /// [`max_message_size`](Self::max_message_size) applies.
    pub fn open_id(&self, id: i32) -> Result<MessageQueue> {
        check_max_message_size(self.max_message_size)?;
        let ds = ipc::stat_by_id::<MsgCtl>(id)?;
        Ok(MessageQueue::new(
            ipc::key_of(MsgCtl::perm(&ds)),
            id,
            self.max_message_size,
        ))
    }
}

fn check_max_message_size(bytes: usize) -> Result<()> {
    if bytes > MAX_MESSAGE_SIZE_LIMIT {
        return Err(Error::invalid_input(
            "max_message_size",
            format!(
                "max_message_size {bytes} is above {MAX_MESSAGE_SIZE_LIMIT}; the kernel's \
                 limit on one message (msgmax) is an int"
            ),
        ));
    }
    Ok(())
}

/// `msgget(key, flags)`, with messages that name the key.
fn msgget(key: Key, flags: c_int) -> Result<i32> {
    // SAFETY: msgget has no memory-safety preconditions.
    let rc = unsafe { sys::msgget(key.as_raw(), flags) };
    ipc_common::__private::check("msgget", rc).map_err(|e| msgget_error(key, e))
}

fn msgget_error(key: Key, e: Error) -> Error {
    let e = if e.raw_os_error() == Some(libc::ENOSPC) {
        let limit =
            read_kernel_limit("msgget", "msgmni").map_or_else(|e| e.to_string(), |n| n.to_string());
        e.with_message(format!(
            "the system-wide number of message queues (kernel.msgmni = {limit}) is reached; \
             remove unused queues (ipcs -q, ipcrm) or raise /proc/sys/kernel/msgmni"
        ))
    } else {
        e
    };
    get_error(WHAT, key, e)
}

/// A System V message queue (`msgget`, `msgsnd`, `msgrcv`, `msgctl`).
///
/// A handle is the queue's id and key plus a client-side maximum message size;
/// it holds no file descriptor, so dropping it releases nothing in the kernel,
/// and the queue lives until [`remove`](Self::remove)d (or
/// [`remove_on_drop`](Self::remove_on_drop)). Attribute getters re-read the
/// kernel each time (one `IPC_STAT`; [`stat`](Self::stat) returns them all).
///
/// `MessageQueue` is `Send + Sync`: the kernel serialises operations on a
/// queue, so threads may share one handle (see below for how staging buffers
/// are shared).
///
/// If the queue is removed and its id given to a new queue, the handle notices
/// by the key wherever it makes an `IPC_STAT` anyway (getters, `stat`,
/// setters, `remove`, and a send that finds the queue full) and fails with
/// [`Removed`](ErrorKind::Removed) instead of describing, changing or removing
/// the other queue. Sends and receives that succeed are not checked: they
/// would need a second system call each.
///
/// # Buffers and allocation
///
/// `msgsnd`/`msgrcv` take a `struct msgbuf { long mtype; char mtext[]; }`, so
/// the type and the bytes must sit side by side in one buffer. Sending from a
/// `&[u8]` and receiving into a `&mut [u8]` therefore go through a staging
/// buffer, and that buffer is never allocated per call:
///
/// - messages (or receive buffers) of up to [`STACK_MESSAGE_SIZE`] bytes (8192,
///   the default Linux `msgmax`, so every message on a default system) are
///   staged on the stack;
/// - larger ones use a scratch buffer owned by the handle, grown once to the
///   largest size used. When another thread holds that scratch buffer (two
///   large calls on one handle at the same time, e.g. one blocked in a send),
///   the second call stages in a temporary allocation instead of waiting, so
///   [`Wait::NoWait`] never blocks on the handle itself. Open one handle per
///   thread to avoid even that.
///
/// A receive stages only what can arrive: the kernel never delivers more than
/// its `msgmax` (`/proc/sys/kernel/msgmax`, 8192 by default, read at run time),
/// so a receive buffer larger than that is staged at `msgmax` bytes, and grows
/// only if a longer message is really queued (one sent before an administrator
/// lowered `msgmax`). Staging memory is never zeroed (the kernel writes it), and
/// memory that cannot be had is a [`LimitExceeded`](ErrorKind::LimitExceeded)
/// error, never an abort. A send longer than `msgmax` is refused before any
/// buffer is staged.
///
/// [`MessageQueue::receive_vec`] returns an owned [`Message`] and allocates its
/// `Vec` by design: the message is received straight into it, and its capacity
/// is what can arrive, [`max_message_size`](MessageQueue::max_message_size) or
/// `msgmax`, whichever is smaller. So `max_message_size(1 << 30)` does not make
/// a 5-byte message cost a gigabyte.
///
/// # No timeouts
///
/// System V queues have no timed send or receive (there is no `msgtimedrcv`):
/// a call either blocks until it can proceed ([`Wait::Block`]) or fails at once
/// with [`ErrorKind::WouldBlock`] ([`Wait::NoWait`], `IPC_NOWAIT`). That is why
/// queue calls take a [`Wait`] (or a `bool`), in the place where other
/// primitives take a [`Timeout`](ipc_common::Timeout), rather than a timeout:
/// a timeout the kernel cannot honour is not offered (and not emulated with a
/// polling loop). POSIX message queues (`mq_timedreceive`) have real timeouts.
///
/// # Example
///
/// ```
/// use sysv_ipc::{MessageQueue, Selector, Wait};
/// let q = MessageQueue::create_unique()?.remove_on_drop();
/// q.send(b"hello", 2, Wait::Block)?;
/// let mut buf = [0u8; 64];
/// let (len, mtype) = q.receive(&mut buf, Selector::Type(2), Wait::NoWait)?;
/// assert_eq!((&buf[..len], mtype), (&b"hello"[..], 2));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct MessageQueue {
    key: Key,
    id: i32,
    created: bool,
    max_message_size: usize,
    /// Staging buffer for messages above [`STACK_MESSAGE_SIZE`].
    scratch: Mutex<Vec<c_long>>,
}

impl fmt::Debug for MessageQueue {
    /// Shows what sysv_ipc's `repr`/`str` show: key and id (plus the
    /// client-side maximum message size).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageQueue")
            .field("key", &self.key)
            .field("id", &self.id)
            .field("max_message_size", &self.max_message_size)
            .finish()
    }
}

impl MessageQueue {
    fn new(key: Key, id: i32, max_message_size: usize) -> MessageQueue {
        MessageQueue {
            key,
            id,
            created: false,
            max_message_size,
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// The options builder (see [`MessageQueueOptions`]).
    pub fn options() -> MessageQueueOptions {
        MessageQueueOptions::new()
    }

    /// Opens the existing queue with `key` (fails with `NotFound` if there is none).
    pub fn open(key: impl Into<Key>) -> Result<MessageQueue> {
        Self::options().open(key)
    }

    /// Opens the queue with `key`, creating it (mode `0o600`) if there is none
    /// ([`created`](Self::created) tells which). An existing queue that another
    /// user owns or created is refused with [`ErrorKind::ForeignOwner`] (see
    /// [Security](crate#security)).
    pub fn create(key: impl Into<Key>) -> Result<MessageQueue> {
        Self::options().create(true).open(key)
    }

    /// Creates a new queue with `key` (mode `0o600`), failing with
    /// `AlreadyExists` if one exists.
    pub fn create_new(key: impl Into<Key>) -> Result<MessageQueue> {
        Self::options().create_new(true).open(key)
    }

    /// Creates a new queue (mode `0o600`) under a fresh random key (see
    /// [`MessageQueueOptions::create_unique`]).
    pub fn create_unique() -> Result<MessageQueue> {
        Self::options().create_unique()
    }

    /// Opens the queue with this id (see [`MessageQueueOptions::open_id`]).
    pub fn from_id(id: i32) -> Result<MessageQueue> {
        Self::options().open_id(id)
    }

    /// This handle's client-side maximum message size (see
    /// [`MessageQueueOptions::max_message_size`]).
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Runs `f` with a `struct msgbuf` staging buffer (a pointer to the `mtype`
    /// word, followed by room for `len` bytes of text), without allocating for
    /// `len <= STACK_MESSAGE_SIZE` or when the handle's scratch buffer is free
    /// and already large enough. The buffer is not initialised: `f` may read
    /// only what it or the kernel wrote. `LimitExceeded` when the memory for a
    /// larger buffer cannot be had (never an abort).
    fn with_msgbuf<R>(
        &self,
        op: &'static str,
        len: usize,
        f: impl FnOnce(*mut c_long) -> Result<R>,
    ) -> Result<R> {
        if len <= STACK_MESSAGE_SIZE {
            let mut stack = MaybeUninit::<[c_long; STACK_WORDS]>::uninit();
            return f(stack.as_mut_ptr().cast());
        }
        // len <= isize::MAX (it is the length of a slice, or bounded by one),
        // so this cannot overflow.
        let words = 1 + len.div_ceil(size_of::<c_long>());
        let mut temporary = Vec::new();
        let mut guard = match self.scratch.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        let buf: &mut Vec<c_long> = guard.as_deref_mut().unwrap_or(&mut temporary);
        // The length stays 0: the capacity is the staging area, and nothing
        // is zeroed that the kernel (or the send's copy) will overwrite.
        buf.try_reserve_exact(words)
            .map_err(|_| alloc_error(op, words.saturating_mul(size_of::<c_long>())))?;
        f(buf.as_mut_ptr())
    }

    /// Sends `data` as a message of type `mtype` (`msgsnd`). The arguments
    /// come in the order of every send of both crates: the message, its
    /// type (a POSIX queue's priority), then how to wait; `wait` is a
    /// [`Wait`] or a `bool` (sysv_ipc's `block=`).
    ///
    /// `mtype` must be > 0 and `data` at most
    /// [`max_message_size`](Self::max_message_size) bytes
    /// ([`InvalidInput`](ErrorKind::InvalidInput) otherwise, before any system
    /// call); empty messages are allowed. When the queue is full
    /// ([`max_size`](Self::max_size) bytes, or as many messages), [`Wait::Block`]
    /// waits for room and [`Wait::NoWait`] fails with `WouldBlock`.
    ///
    /// Errors: `InvalidInput` for a message above the kernel's `msgmax`;
    /// `Removed` when the queue is gone (removed before or during the call;
    /// `msgsnd` reports the first as `EINVAL`, which sysv_ipc leaves a raw
    /// `OSError`); `Interrupted` when a signal handler runs while waiting (even
    /// one installed with `SA_RESTART`: Linux never restarts `msgsnd`);
    /// `PermissionDenied` without write permission. Allocates nothing (see
    /// [buffers](MessageQueue#buffers-and-allocation)).
    pub fn send(&self, data: &[u8], mtype: c_long, wait: impl Into<Wait>) -> Result<()> {
        let wait = wait.into();
        if mtype <= 0 {
            return Err(Error::invalid_input(
                "msgsnd",
                format!(
                    "message type {mtype} is not allowed: types must be > 0 \
                     (0 and negative numbers are receive selectors)"
                ),
            ));
        }
        if data.len() > self.max_message_size {
            return Err(Error::invalid_input(
                "msgsnd",
                format!(
                    "the message is {} bytes, above this handle's max_message_size ({}); \
                     open the queue with a larger max_message_size",
                    data.len(),
                    self.max_message_size
                ),
            ));
        }
        if data.len() > STACK_MESSAGE_SIZE {
            // Before staging a large message, refuse one the kernel would
            // refuse anyway (re-reading msgmax, which may have been raised).
            if let Some(msgmax) = msgmax_hint(false)
                .filter(|&m| data.len() > m)
                .and_then(|_| msgmax_hint(true))
                .filter(|&m| data.len() > m)
            {
                // The error msgsnd itself would give (EINVAL), without the call.
                let e = Error::from_errno("msgsnd", libc::EINVAL);
                return Err(e.with_message(too_long(data.len(), msgmax)));
            }
        }
        let attempt = |flags: c_int| {
            self.with_msgbuf("msgsnd", data.len(), |buf| {
                // SAFETY: `buf` points to an aligned c_long followed by room for
                // at least `data.len()` bytes (with_msgbuf's contract); `data` is
                // valid for reads of its length and cannot overlap the staging
                // buffer. msgsnd reads exactly the type and `data.len()` bytes.
                let rc = unsafe {
                    buf.write(mtype);
                    std::ptr::copy_nonoverlapping(data.as_ptr(), buf.add(1).cast(), data.len());
                    sys::msgsnd(self.id, buf.cast(), data.len(), flags)
                };
                ipc_common::__private::check("msgsnd", rc).map(drop)
            })
        };
        // Even a blocking send first tries without waiting: when the queue
        // has no room, a message larger than the queue's whole capacity
        // (msg_qbytes) would wait forever, so that is reported instead.
        match attempt(sys::IPC_NOWAIT) {
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                if let Some(too_big) = self.never_fits(data.len()) {
                    return Err(too_big);
                }
                match wait {
                    Wait::Block => attempt(0),
                    Wait::NoWait => Err(e),
                }
            }
            other => other,
        }
        .map_err(|e| self.send_error(e, data.len()))
    }

    /// The error for a message of `len` bytes that can never fit the queue,
    /// whose capacity (`msg_qbytes`, [`max_size`](Self::max_size)) is smaller,
    /// or for a full queue that is not this handle's (its id was reused).
    fn never_fits(&self, len: usize) -> Option<Error> {
        let ds = ipc::stat::<MsgCtl>(self.id).ok()?;
        if let Err(e) = ipc::check_key::<MsgCtl>(self.id, self.key, &ds) {
            return Some(e);
        }
        // `unsigned long`: 32 bits on 32-bit targets.
        #[allow(clippy::useless_conversion)]
        let qbytes = u64::from(ds.msg_qbytes);
        (u64::try_from(len).ok()? > qbytes).then(|| {
            Error::invalid_input(
                "msgsnd",
                format!(
                    "the message is {len} bytes but the queue holds at most {qbytes} bytes in all \
                     (its max_size, msg_qbytes), so it can never be sent; raise max_size \
                     (set_max_size) or send smaller messages"
                ),
            )
        })
    }

    fn send_error(&self, e: Error, len: usize) -> Error {
        let id = self.id;
        match e.raw_os_error() {
            Some(libc::EAGAIN) => e.with_message(
                "the queue is full (its max_size in bytes or in messages is reached); \
                 receive messages, send with Wait::Block, or raise max_size",
            ),
            Some(libc::EIDRM) => e.with_message(format!(
                "the message queue (id {id}) was removed while the send waited"
            )),
            Some(libc::EINVAL) => match msgmax_hint(true) {
                Some(msgmax) if len > msgmax => e.with_message(too_long(len, msgmax)),
                _ => e.with_kind(ErrorKind::Removed).with_message(format!(
                    "no message queue with id {id} exists (it was removed)"
                )),
            },
            Some(libc::EACCES) => {
                e.with_message("the queue's mode does not allow this user to send (write) to it")
            }
            Some(libc::EINTR) => {
                e.with_message("a signal arrived while the send waited for room in the queue")
            }
            _ => ipc::name_object(e, format_args!("the {WHAT} with id {id}")),
        }
    }

    /// Receives one message with a staging buffer sized by what can arrive,
    /// and hands its text and type to `take` (while the buffer is alive).
    ///
    /// `limit` is the most text the caller accepts. The kernel does not send
    /// messages above `msgmax`, so the first attempt stages at most
    /// `min(limit, msgmax)` bytes (at least [`STACK_MESSAGE_SIZE`], which
    /// costs nothing): a 5-byte message never costs a `max_message_size`
    /// buffer. A queued message can still be longer (`msgmax` lowered after
    /// it was sent, or raised since it was read here); the kernel then
    /// refuses with `E2BIG` and leaves it queued, and the buffer grows
    /// (doubling, and to the re-read `msgmax`) up to `limit`. Only the attempt
    /// at `limit` truncates (`MSG_NOERROR`) when `truncate`, so truncation
    /// happens exactly where the caller asked for it.
    ///
    /// `attempt(size, flags)` does one `msgrcv` with room for `size` bytes.
    fn receive_growing<R>(
        &self,
        limit: usize,
        selector: Selector,
        wait: Wait,
        truncate: bool,
        mut attempt: impl FnMut(usize, c_long, c_int) -> Result<R>,
    ) -> Result<R> {
        let (msgtyp, select_flags) = selector.validate()?;
        let mut size = if limit <= STACK_MESSAGE_SIZE {
            limit
        } else {
            let msgmax = msgmax_hint(false).unwrap_or(STACK_MESSAGE_SIZE);
            limit.min(msgmax.max(STACK_MESSAGE_SIZE))
        };
        loop {
            let last = size >= limit;
            let mut flags = wait.flag() | select_flags;
            if truncate && last {
                flags |= sys::MSG_NOERROR;
            }
            match attempt(size, msgtyp, flags) {
                Err(e) if !last && e.raw_os_error() == Some(libc::E2BIG) => {
                    let msgmax = msgmax_hint(true).unwrap_or(0);
                    size = limit.min(size.saturating_mul(2).max(msgmax));
                }
                r => return r.map_err(|e| self.receive_error(e, limit, selector)),
            }
        }
    }

    /// One `msgrcv` into the `struct msgbuf` at `mb` with room for `size`
    /// bytes of text; returns the text's length and the type.
    ///
    /// # Safety
    ///
    /// `mb` must be aligned for `c_long` and valid for writes of one `c_long`
    /// followed by `size` bytes.
    unsafe fn msgrcv(
        &self,
        mb: *mut c_long,
        size: usize,
        msgtyp: c_long,
        flags: c_int,
    ) -> Result<(usize, c_long)> {
        // SAFETY: the caller guarantees `mb` has room for the type and `size`
        // bytes; msgrcv writes the type and at most `size` bytes of text.
        let n = unsafe { sys::msgrcv(self.id, mb.cast(), size, msgtyp, flags) };
        let n = ipc_common::__private::check("msgrcv", n)?
            .unsigned_abs()
            .min(size);
        // SAFETY: msgrcv succeeded, so it wrote the (aligned) type word.
        Ok((n, unsafe { mb.read() }))
    }

    fn receive_raw(
        &self,
        buf: &mut [u8],
        selector: Selector,
        wait: Wait,
        truncate: bool,
    ) -> Result<(usize, c_long)> {
        self.receive_growing(
            buf.len(),
            selector,
            wait,
            truncate,
            |size, msgtyp, flags| {
                self.with_msgbuf("msgrcv", size, |mb| {
                    // SAFETY: `mb` is an aligned c_long followed by room for
                    // `size` bytes (with_msgbuf's contract).
                    let (n, mtype) = unsafe { self.msgrcv(mb, size, msgtyp, flags) }?;
                    // SAFETY: msgrcv wrote `n <= size <= buf.len()` bytes of text
                    // after the type; `buf` is valid for writes of `n` bytes and
                    // does not overlap the staging buffer.
                    unsafe {
                        std::ptr::copy_nonoverlapping(mb.add(1).cast::<u8>(), buf.as_mut_ptr(), n);
                    }
                    Ok((n, mtype))
                })
            },
        )
    }

    fn receive_error(&self, e: Error, len: usize, selector: Selector) -> Error {
        let id = self.id;
        match e.raw_os_error() {
            Some(libc::E2BIG) => e.with_message(format!(
                "the first message of {selector} is longer than the {len}-byte buffer and stays \
                 on the queue; receive into a larger buffer (or open with a larger \
                 max_message_size), or use a truncating receive (MSG_NOERROR)"
            )),
            // Static messages: polling with Wait::NoWait hits this path often
            // and must not allocate.
            Some(libc::ENOMSG) => e
                .with_kind(ErrorKind::WouldBlock)
                .with_message(match selector {
                    Selector::Any => "no message of any type is waiting",
                    Selector::Type(_) => "no message of the selected type is waiting",
                    Selector::UpTo(_) => "no message with a type up to the selected one is waiting",
                    #[cfg(target_os = "linux")]
                    Selector::Except(_) => "no message of any type but the excluded one is waiting",
                }),
            Some(libc::EIDRM) | Some(libc::EINVAL) => e.with_kind(ErrorKind::Removed).with_message(
                format!("the message queue (id {id}) no longer exists (it was removed)"),
            ),
            Some(libc::EACCES) => e.with_message(
                "the queue's mode does not allow this user to receive (read) from it",
            ),
            Some(libc::EINTR) => {
                e.with_message("a signal arrived while the receive waited for a message")
            }
            _ => ipc::name_object(e, format_args!("the {WHAT} with id {id}")),
        }
    }

    /// Receives the message `selector` picks into `buf` (`msgrcv`), returning
    /// `(length, type)`; allocates nothing.
    ///
    /// A matching message longer than `buf` is an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error (`E2BIG`) and stays on
    /// the queue (see [`receive_truncating`](Self::receive_truncating)).
    /// With nothing matching, [`Wait::Block`] waits and [`Wait::NoWait`] fails
    /// with `WouldBlock`. A queue removed before or during the call gives
    /// `Removed`; a signal handler running while it waits gives `Interrupted`
    /// (even with `SA_RESTART`: Linux never restarts `msgrcv`).
    ///
    /// ```
    /// use sysv_ipc::{MessageQueue, Selector, Wait};
    /// let q = MessageQueue::create_unique()?.remove_on_drop();
    /// q.send(b"abcdef", 3, Wait::Block)?;
    /// let mut small = [0u8; 4];
    /// let e = q.receive(&mut small, Selector::Any, Wait::NoWait).unwrap_err();
    /// assert!(e.is_invalid_input());
    /// assert_eq!(q.current_messages()?, 1); // still queued
    /// let mut buf = [0u8; 16];
    /// assert_eq!(q.receive(&mut buf, Selector::Any, Wait::NoWait)?, (6, 3));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn receive(
        &self,
        buf: &mut [u8],
        selector: Selector,
        wait: impl Into<Wait>,
    ) -> Result<(usize, c_long)> {
        self.receive_raw(buf, selector, wait.into(), false)
    }

    /// Like [`receive`](Self::receive), but a message longer than
    /// `buf` is cut to `buf.len()` bytes and the rest discarded (`MSG_NOERROR`,
    /// sysv_ipc issue #53). The kernel does not say whether it cut anything: a
    /// returned length equal to `buf.len()` may be a cut message.
    pub fn receive_truncating(
        &self,
        buf: &mut [u8],
        selector: Selector,
        wait: impl Into<Wait>,
    ) -> Result<(usize, c_long)> {
        self.receive_raw(buf, selector, wait.into(), true)
    }

    /// The owned receive: the message is received straight into the `Vec`
    /// it is returned in (no staging copy, nothing zeroed), whose capacity is
    /// what can arrive (see [`receive_growing`](Self::receive_growing)),
    /// allocated before the message is taken off the queue, so a failed
    /// allocation loses no message.
    fn receive_alloc(&self, selector: Selector, wait: Wait, truncate: bool) -> Result<Message> {
        const WORD: usize = size_of::<c_long>();
        let limit = self.max_message_size;
        self.receive_growing(limit, selector, wait, truncate, |size, msgtyp, flags| {
            let mut data: Vec<u8> = Vec::new();
            // Room for an aligned type word before the text.
            let room = size.saturating_add(2 * WORD);
            data.try_reserve_exact(room)
                .map_err(|_| alloc_error("msgrcv", room))?;
            let base = data.as_mut_ptr();
            let offset = (base as usize).wrapping_neg() % WORD;
            // SAFETY: offset < WORD, and the capacity holds offset + WORD +
            // size bytes, so `mb` is an aligned c_long followed by room for
            // `size` bytes inside the allocation.
            let mb = unsafe { base.add(offset) }.cast::<c_long>();
            // SAFETY: as just said.
            let (n, mtype) = unsafe { self.msgrcv(mb, size, msgtyp, flags) }?;
            // SAFETY: msgrcv wrote `n` bytes of text at offset + WORD; moving
            // them to the start (the ranges may overlap) leaves the first `n`
            // bytes of the Vec initialised, within its capacity.
            unsafe {
                std::ptr::copy(base.add(offset + WORD), base, n);
                data.set_len(n);
            }
            Ok(Message { mtype, data })
        })
    }

    /// Receives the message `selector` picks into a new [`Message`] (sysv_ipc's
    /// `receive`; the allocating twin of [`receive`](Self::receive), named
    /// like posix-ipc's `receive_vec`) of at most [`max_message_size`](Self::max_message_size)
    /// bytes. Its buffer is allocated before the message is taken off the
    /// queue, with room for what can arrive (`max_message_size` or the kernel's
    /// `msgmax`, whichever is smaller; see
    /// [buffers](MessageQueue#buffers-and-allocation)). Errors as
    /// [`receive`](Self::receive): a longer message is `InvalidInput`
    /// and stays queued; memory that cannot be allocated is `LimitExceeded`
    /// (and the message stays queued).
    pub fn receive_vec(&self, selector: Selector, wait: impl Into<Wait>) -> Result<Message> {
        self.receive_alloc(selector, wait.into(), false)
    }

    /// Like [`receive_vec`](Self::receive_vec), cutting a longer message to
    /// [`max_message_size`](Self::max_message_size) bytes (`MSG_NOERROR`).
    pub fn receive_vec_truncating(
        &self,
        selector: Selector,
        wait: impl Into<Wait>,
    ) -> Result<Message> {
        self.receive_alloc(selector, wait.into(), true)
    }

    /// Every attribute from one `IPC_STAT` (see [`MessageQueueStat`]).
    pub fn stat(&self) -> Result<MessageQueueStat> {
        Ok(MessageQueueStat::from(&ipc::stat_checked::<MsgCtl>(
            self.id, self.key,
        )?))
    }

    /// Sets [`max_size`](Self::max_size) (`IPC_SET` of `msg_qbytes`). Lowering
    /// it is allowed to the owner and creator; raising it above
    /// `kernel.msgmnb` needs `CAP_SYS_RESOURCE` (being root is not enough), or
    /// fails with `PermissionDenied` saying so. The value is a `u64`, so
    /// nothing wraps (sysv_ipc turned `2**64 + 7` into 7).
    pub fn set_max_size(&self, bytes: u64) -> Result<()> {
        let id = self.id;
        let mut ds = ipc::stat_checked::<MsgCtl>(id, self.key)?;
        // `msg_qbytes` is an `unsigned long`: 32 bits on 32-bit targets,
        // where a larger value must not wrap.
        #[allow(clippy::useless_conversion)]
        let qbytes = bytes.try_into().map_err(|_| {
            Error::invalid_input(
                "msgctl",
                format!(
                    "max_size {bytes} is more than a queue can hold on this system \
                     (msg_qbytes is a {}-bit unsigned long, at most {})",
                    libc::c_ulong::BITS,
                    libc::c_ulong::MAX
                ),
            )
        })?;
        ds.msg_qbytes = qbytes;
        // SAFETY: `ds` is a valid msqid_ds filled by IPC_STAT.
        let rc = unsafe { MsgCtl::ctl(id, sys::IPC_SET, &mut ds) };
        ipc_common::__private::check("msgctl", rc)
            .map(drop)
            .map_err(|e| {
                let msgmnb = read_kernel_limit("msgctl", "msgmnb");
                match msgmnb {
                    Ok(mnb) if e.raw_os_error() == Some(libc::EPERM) && bytes > mnb => e
                        .with_message(format!(
                            "raising max_size to {bytes} bytes, above kernel.msgmnb ({mnb}), needs \
                         the CAP_SYS_RESOURCE capability"
                        )),
                    _ => ipc::ctl_error::<MsgCtl>(id, sys::IPC_SET, e),
                }
            })
    }
}

ipc::sysv_object! {
    MessageQueue, MsgCtl, "message queue", new = "sysv_ipc::MessageQueue::create_unique()",
    id = id, key = key, created = created;
    stat {
        /// Most bytes of message text the queue may hold (`msg_qbytes`; sysv_ipc's
        /// `max_size`). New queues get `kernel.msgmnb` (16384 by default).
        max_size: u64,
        /// Time of the last send (sysv_ipc's `last_send_time`); `None` before the first.
        send_time: Option<SystemTime>,
        /// Time of the last receive (sysv_ipc's `last_receive_time`); `None` before the first.
        receive_time: Option<SystemTime>,
        /// Time of creation or of the last attribute change (`msg_ctime`;
        /// sysv_ipc's `last_change_time`). The kernel sets it at creation, so
        /// there is always one.
        change_time: SystemTime,
        /// The process that sent last (sysv_ipc's `last_send_pid`); `None` before the first send.
        last_send_pid: Option<libc::pid_t>,
        /// The process that received last (sysv_ipc's `last_receive_pid`); `None`
        /// before the first receive.
        last_receive_pid: Option<libc::pid_t>,
        /// Messages on the queue now (`msg_qnum`).
        current_messages: u64,
    }
    /// Removes the queue from the system (`IPC_RMID`). Waiting senders and
    /// receivers wake with `Removed`; messages still queued are lost. Removing
    /// twice is `Removed`.
    fn remove;
}

/// Removes the queue with this id (`msgctl(IPC_RMID)`; sysv_ipc's
/// `remove_message_queue`). A missing id is `NotFound` (as for every call
/// that takes an id).
pub fn remove_message_queue(id: i32) -> Result<()> {
    ipc::remove::<MsgCtl>(id).map_err(|e| ipc::by_id::<MsgCtl>(id, e))
}

/// The kernel's `msgmax` (the longest message it accepts), as last read from
/// `/proc/sys/kernel/msgmax`; 0 before the first read, `usize::MAX` where it
/// cannot be read.
static MSGMAX: AtomicUsize = AtomicUsize::new(0);

/// The kernel's `msgmax`, read at the first need and again with `refresh`
/// (an administrator may change it at any time, so callers refresh when a
/// message turns out longer than the cached value); `None` where it cannot be
/// read. A hint only: receives grow their buffer when it is stale.
fn msgmax_hint(refresh: bool) -> Option<usize> {
    let mut v = MSGMAX.load(Ordering::Relaxed);
    if v == 0 || refresh {
        v = read_kernel_limit("msgsnd", "msgmax")
            .ok()
            .and_then(|m| usize::try_from(m).ok())
            .filter(|&m| m > 0 && m < usize::MAX)
            .unwrap_or(usize::MAX);
        MSGMAX.store(v, Ordering::Relaxed);
    }
    (v != usize::MAX).then_some(v)
}

/// The message for a message of `len` bytes above the kernel's `msgmax`.
fn too_long(len: usize, msgmax: usize) -> String {
    format!(
        "the message is {len} bytes, above the kernel's limit for one message \
         (kernel.msgmax = {msgmax})"
    )
}

/// The error for a staging or receive buffer of `bytes` that cannot be allocated.
fn alloc_error(op: &'static str, bytes: usize) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        op,
        format!(
            "cannot allocate {bytes} bytes for the message buffer (out of memory, or \
             RLIMIT_AS/RLIMIT_DATA); free memory, or use a smaller max_message_size or buffer"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_message_size_is_range_checked() {
        assert!(check_max_message_size(0).is_ok());
        assert!(check_max_message_size(MAX_MESSAGE_SIZE_LIMIT).is_ok());
        let e = check_max_message_size(MAX_MESSAGE_SIZE_LIMIT + 1).unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.message().contains("2147483647"), "{e}");
    }

    #[test]
    fn staging_memory_that_cannot_be_had_is_limit_exceeded() {
        let q = MessageQueue::new(Key::PRIVATE, -1, DEFAULT_MAX_MESSAGE_SIZE);
        // On 64-bit targets no allocator has isize::MAX - 64 bytes to give.
        // A 32-bit process may well get those 2 GiB, so there the size is
        // one whose staging words (header included) exceed isize::MAX.
        let huge = if cfg!(target_pointer_width = "64") {
            isize::MAX.unsigned_abs() - 64
        } else {
            isize::MAX.unsigned_abs()
        };
        let e = q
            .with_msgbuf("msgrcv", huge, |_| -> Result<()> {
                unreachable!("no buffer")
            })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert_eq!(e.operation(), "msgrcv");
        assert!(e.message().contains("cannot allocate"), "{e}");
        // Small sizes stage on the stack, larger ones in the handle's buffer.
        assert_eq!(q.with_msgbuf("t", 10, |_| Ok(1)).unwrap(), 1);
        assert_eq!(q.with_msgbuf("t", 100_000, |_| Ok(2)).unwrap(), 2);
        assert!(q.scratch.lock().unwrap().capacity() >= 100_000 / size_of::<c_long>());
    }

    #[test]
    fn msgmax_hint_matches_the_kernel() {
        let [msgmax] =
            ipc_common::__private::read_proc_numbers("t", "/proc/sys/kernel/msgmax").unwrap();
        assert_eq!(msgmax_hint(true), Some(usize::try_from(msgmax).unwrap()));
        assert_eq!(msgmax_hint(false), Some(usize::try_from(msgmax).unwrap()));
        // Nothing cached yet: the first call reads the kernel's value too.
        MSGMAX.store(0, Ordering::Relaxed);
        assert_eq!(msgmax_hint(false), Some(usize::try_from(msgmax).unwrap()));
        assert!(too_long(9000, 8192).contains("kernel.msgmax = 8192"));
    }
}
