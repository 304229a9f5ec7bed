//! [`Error`], [`ErrorKind`], [`Result`] and the one helper that turns a system
//! call's return code into a `Result` ([`check`]).

use std::borrow::Cow;
use std::fmt;

/// A specialised `Result` whose error is this family's [`Error`].
///
/// ```
/// fn half(x: u32) -> ipc_common::Result<u32> {
///     if x % 2 == 1 {
///         return Err(ipc_common::Error::invalid_input("half", "the value must be even"));
///     }
///     Ok(x / 2)
/// }
/// assert_eq!(half(4).unwrap(), 2);
/// assert!(half(3).unwrap_err().is_invalid_input());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is, independent of the errno that caused it.
///
/// The kinds map onto the Python packages' exception families (see the porting
/// helpers on [`Error`]) and onto [`std::io::ErrorKind`] (see
/// `From<Error> for std::io::Error`).
///
/// ```
/// use ipc_common::{Error, ErrorKind};
/// let e = Error::from_errno("sem_open", libc::ENOENT);
/// assert_eq!(e.kind(), ErrorKind::NotFound);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The named or keyed object does not exist (`ENOENT`; also `ESRCH`, `ENXIO`).
    /// Python: `ExistentialError`.
    NotFound,
    /// An exclusive create found the object already there (`EEXIST`). Python: `ExistentialError`.
    AlreadyExists,
    /// The caller lacks permission (`EACCES`, `EPERM`), or the file system is
    /// read-only (`EROFS`). Python: `PermissionsError`.
    PermissionDenied,
    /// An open-or-create found an existing object owned by another user (neither
    /// this process's effective user nor root) and refused to adopt it: another
    /// user may have planted it to read or corrupt this program's data ("name
    /// squatting"). The message names the owner. Nothing was changed; the caller
    /// can opt in to such objects explicitly. Python: `PermissionsError`.
    ForeignOwner,
    /// The operation would have to wait and was asked not to
    /// ([`Timeout::Immediate`](crate::Timeout::Immediate), a non-blocking
    /// handle: `EAGAIN`; `ENOMSG` from a non-blocking System V receive).
    /// Python: `BusyError`.
    WouldBlock,
    /// The operation waited as long as its [`Timeout`](crate::Timeout)
    /// allowed and could not proceed (`ETIMEDOUT`, or the crates' own deadline
    /// expiring, e.g. a timed System V semaphore wait). Distinct from
    /// [`WouldBlock`](ErrorKind::WouldBlock), which never waited; both are
    /// [`Error::is_busy`]. Python: `BusyError`.
    TimedOut,
    /// The resource is held by someone else, e.g. another process is registered
    /// for a queue's notification (`EBUSY`, `ETXTBSY`). Python: `BusyError`.
    Busy,
    /// A signal interrupted a wait (`EINTR`). Python: `SignalError`.
    Interrupted,
    /// The object was removed while in use (`EIDRM`).
    Removed,
    /// The shared memory segment is not attached to this process.
    NotAttached,
    /// An argument was out of range or malformed; nothing was done (`EINVAL`,
    /// `ENAMETOOLONG`, `E2BIG`, `EMSGSIZE`, `EFBIG`, and path errors: `EISDIR`,
    /// `ENOTDIR`, `ELOOP`, `EXDEV`, `ESPIPE`).
    InvalidInput,
    /// A system limit was reached (`EMFILE`, `ENFILE`, `ENOSPC`, `EDQUOT`, `ENOMEM`,
    /// `ENOBUFS`, `ENOLCK`, `EMLINK`, `EOVERFLOW`, `ERANGE`); the message names the
    /// limit.
    LimitExceeded,
    /// The platform does not support the operation (`ENOSYS`, `EOPNOTSUPP`,
    /// `ENOTSUP`), lacks what it needs (`ENODEV`: e.g. a file system that is not
    /// mounted), or the object does not support it (`ENOTTY`).
    Unsupported,
    /// A robust mutex is permanently unusable (`ENOTRECOVERABLE`): a process
    /// died holding it and the next owner released it without marking it
    /// consistent. The protected data may be half-updated; re-initialise the
    /// mutex (and the data) once no process uses it.
    NotRecoverable,
    /// Any other failure; [`Error::raw_os_error`] has the errno. Errnos this
    /// family has no name for are `Other`, and their error's text includes the
    /// system's own description (`strerror`).
    Other,
}

impl ErrorKind {
    /// The kind an errno value stands for.
    ///
    /// ```
    /// use ipc_common::ErrorKind;
    /// assert_eq!(ErrorKind::from_errno(libc::EEXIST), ErrorKind::AlreadyExists);
    /// assert_eq!(ErrorKind::from_errno(libc::EPERM), ErrorKind::PermissionDenied);
    /// assert_eq!(ErrorKind::from_errno(libc::ETIMEDOUT), ErrorKind::TimedOut);
    /// ```
    pub fn from_errno(errno: i32) -> ErrorKind {
        lookup(errno).map_or(ErrorKind::Other, |e| e.kind)
    }

    /// A short lower-case description of the kind.
    ///
    /// ```
    /// assert_eq!(ipc_common::ErrorKind::Removed.as_str(), "object removed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::ForeignOwner => "owned by another user",
            ErrorKind::WouldBlock => "would block",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::Busy => "busy",
            ErrorKind::Interrupted => "interrupted by a signal",
            ErrorKind::Removed => "object removed",
            ErrorKind::NotAttached => "not attached",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::LimitExceeded => "limit exceeded",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::NotRecoverable => "state not recoverable",
            ErrorKind::Other => "other error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from an IPC operation.
///
/// It carries the semantic [`ErrorKind`], the raw errno where a system call
/// failed, the operation that failed (`"sem_open"`, `"msgrcv"`, ...) and a message
/// that says what was wrong and, where there is something to do, what to do.
/// Creating an error allocates nothing unless a caller adds a formatted message.
///
/// `Display` shows `operation: message (ENAME, os error N)`. For an errno this
/// family has no name for, it shows the system's description instead of the
/// name (`strerror`, produced when the error is displayed, not when it is
/// created): `operation: message (os error N: description)`.
///
/// ```
/// use ipc_common::{Error, ErrorKind};
/// let e = Error::from_errno("mq_open", libc::EMFILE)
///     .with_message("the per-user message queue memory (RLIMIT_MSGQUEUE) is used up");
/// assert_eq!(e.kind(), ErrorKind::LimitExceeded);
/// assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
/// assert_eq!(e.operation(), "mq_open");
/// let text = e.to_string();
/// assert!(text.starts_with("mq_open: the per-user message queue memory"));
/// assert!(text.contains("EMFILE"));
/// ```
///
/// # With `std`
///
/// - [`source()`](std::error::Error::source) is the operating system's own
///   error (a [`std::io::Error`] made from the errno, allocation-free) when a
///   system call failed, and `None` otherwise, so error reporters such as
///   `anyhow` show the system's description as the cause.
/// - `Error` converts into [`std::io::Error`] (`?` in a function returning
///   `io::Result`); see that `From` impl for what is kept.
///
/// ```
/// use std::error::Error as _;
/// let e = ipc_common::Error::from_errno("shm_open", libc::ENOENT);
/// let os = e.source().unwrap().downcast_ref::<std::io::Error>().unwrap();
/// assert_eq!(os.raw_os_error(), Some(libc::ENOENT));
/// assert!(ipc_common::Error::invalid_input("open", "bad").source().is_none());
/// ```
pub struct Error {
    kind: ErrorKind,
    /// The system's error for the errno (`io::Error::from_raw_os_error`,
    /// which allocates nothing), kept so `source()` can hand it out.
    os: Option<std::io::Error>,
    op: &'static str,
    message: Cow<'static, str>,
}

impl std::error::Error for Error {
    /// The system's error for the errno, when a system call failed.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os.as_ref().map(|e| e as _)
    }
}

impl Clone for Error {
    fn clone(&self) -> Self {
        Error {
            kind: self.kind,
            os: self.raw_os_error().map(std::io::Error::from_raw_os_error),
            op: self.op,
            message: self.message.clone(),
        }
    }
}

impl PartialEq for Error {
    /// Same kind, errno, operation and message.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.raw_os_error() == other.raw_os_error()
            && self.op == other.op
            && self.message == other.message
    }
}

impl Eq for Error {}

impl Error {
    /// An error of `kind` raised by `op` before or without any system call.
    ///
    /// ```
    /// use ipc_common::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::NotAttached, "read", "the segment is detached");
    /// assert_eq!(e.to_string(), "read: the segment is detached");
    /// assert_eq!(e.raw_os_error(), None);
    /// ```
    pub fn new(kind: ErrorKind, op: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            os: None,
            op,
            message: message.into(),
        }
    }

    /// Shorthand for `Error::new(ErrorKind::InvalidInput, op, message)`: an argument
    /// was rejected before any system call.
    ///
    /// ```
    /// let e = ipc_common::Error::invalid_input("send", "priority 40000 is above MQ_PRIO_MAX - 1 (32767)");
    /// assert!(e.is_invalid_input());
    /// ```
    pub fn invalid_input(op: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::InvalidInput, op, message)
    }

    /// The error for `errno` returned by system call `op`, with a generic message
    /// for that errno. Callers that know more replace it with [`with_message`](Self::with_message).
    ///
    /// ```
    /// let e = ipc_common::Error::from_errno("semop", libc::EIDRM);
    /// assert!(e.to_string().contains("removed"));
    /// ```
    pub fn from_errno(op: &'static str, errno: i32) -> Self {
        Error {
            kind: ErrorKind::from_errno(errno),
            os: Some(std::io::Error::from_raw_os_error(errno)),
            op,
            message: Cow::Borrowed(generic_message(errno)),
        }
    }

    /// The error for the calling thread's current `errno`, raised by `op`.
    ///
    /// ```
    /// // SAFETY: closing an invalid descriptor only sets errno.
    /// let rc = unsafe { libc::close(-1) };
    /// assert_eq!(rc, -1);
    /// let e = ipc_common::Error::last_os_error("close");
    /// assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    /// ```
    pub fn last_os_error(op: &'static str) -> Self {
        Error::from_errno(op, errno())
    }

    /// Replaces the message (keeping kind, errno and operation).
    ///
    /// ```
    /// let e = ipc_common::Error::from_errno("sem_open", libc::ENOENT)
    ///     .with_message("no semaphore named \"/x\" exists; create it first");
    /// assert!(e.to_string().contains("create it first"));
    /// ```
    #[must_use]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = message.into();
        self
    }

    /// Replaces the kind (keeping errno, operation and message), for the rare
    /// errno whose meaning depends on the call (e.g. `EINVAL` from `shmat` on a
    /// removed segment).
    ///
    /// ```
    /// use ipc_common::{Error, ErrorKind};
    /// let e = Error::from_errno("msgsnd", libc::EINVAL).with_kind(ErrorKind::Removed);
    /// assert_eq!(e.kind(), ErrorKind::Removed);
    /// ```
    #[must_use]
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The semantic kind of the error.
    ///
    /// ```
    /// let e = ipc_common::Error::from_errno("sem_timedwait", libc::ETIMEDOUT);
    /// assert_eq!(e.kind(), ipc_common::ErrorKind::TimedOut);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno, when a system call failed.
    ///
    /// ```
    /// assert_eq!(ipc_common::Error::from_errno("x", libc::EAGAIN).raw_os_error(), Some(libc::EAGAIN));
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        self.os.as_ref().and_then(std::io::Error::raw_os_error)
    }

    /// The operation that failed: a system call name (`"sem_open"`) or a method.
    ///
    /// ```
    /// assert_eq!(ipc_common::Error::from_errno("msgrcv", libc::EINTR).operation(), "msgrcv");
    /// ```
    pub fn operation(&self) -> &'static str {
        self.op
    }

    /// The human message alone, without the operation and errno.
    ///
    /// ```
    /// let e = ipc_common::Error::invalid_input("open", "the name is empty");
    /// assert_eq!(e.message(), "the name is empty");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Python's `ExistentialError`: the object does not exist, already exists,
    /// or was removed.
    ///
    /// ```
    /// assert!(ipc_common::Error::from_errno("shm_open", libc::EEXIST).is_existential());
    /// ```
    pub fn is_existential(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::NotFound | ErrorKind::AlreadyExists | ErrorKind::Removed
        )
    }

    /// Python's `PermissionsError`: the system refused access
    /// ([`ErrorKind::PermissionDenied`]), or an open-or-create refused an object
    /// owned by another user ([`ErrorKind::ForeignOwner`]).
    ///
    /// ```
    /// use ipc_common::{Error, ErrorKind};
    /// assert!(Error::from_errno("semop", libc::EACCES).is_permissions());
    /// assert!(Error::new(ErrorKind::ForeignOwner, "sem_open", "owned by uid 65534").is_permissions());
    /// assert!(!Error::from_errno("semop", libc::EINVAL).is_permissions());
    /// ```
    pub fn is_permissions(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::PermissionDenied | ErrorKind::ForeignOwner
        )
    }

    /// Python's `BusyError`: a non-blocking call would block
    /// ([`WouldBlock`](ErrorKind::WouldBlock)), a timeout expired
    /// ([`TimedOut`](ErrorKind::TimedOut)), or the resource is held elsewhere
    /// ([`Busy`](ErrorKind::Busy)).
    ///
    /// ```
    /// assert!(ipc_common::Error::from_errno("mq_send", libc::EAGAIN).is_busy());
    /// assert!(ipc_common::Error::from_errno("mq_timedsend", libc::ETIMEDOUT).is_busy());
    /// ```
    pub fn is_busy(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Busy
        )
    }

    /// Python's `SignalError`: a signal interrupted a wait.
    ///
    /// ```
    /// assert!(ipc_common::Error::from_errno("sem_wait", libc::EINTR).is_signal());
    /// ```
    pub fn is_signal(&self) -> bool {
        self.kind == ErrorKind::Interrupted
    }

    /// True for [`ErrorKind::InvalidInput`] (Python's `ValueError`).
    ///
    /// ```
    /// assert!(ipc_common::Error::from_errno("shmget", libc::EINVAL).is_invalid_input());
    /// ```
    pub fn is_invalid_input(&self) -> bool {
        self.kind == ErrorKind::InvalidInput
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)?;
        match self.raw_os_error() {
            Some(errno) if lookup(errno).is_some() => {
                write!(f, " ({}, os error {errno})", errno_name(errno))
            }
            // An errno without a name here: the system's own description says
            // what it is (produced now, so creating the error stays free).
            Some(errno) => {
                write!(f, " (os error {errno}: ")?;
                describe_errno(f, errno)?;
                f.write_str(")")
            }
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("operation", &self.op);
        if let Some(errno) = self.raw_os_error() {
            d.field("errno", &format_args!("{} ({errno})", errno_name(errno)));
        }
        d.field("message", &self.message).finish()
    }
}

impl From<Error> for std::io::Error {
    /// Makes a [`std::io::Error`] (for `?` in functions returning
    /// `io::Result`).
    ///
    /// A `std::io::Error` holds either an OS error code or a custom payload,
    /// never both, so the conversion chooses:
    ///
    /// - **With an errno** (a system call failed) the result is
    ///   `io::Error::from_raw_os_error(errno)`: [`raw_os_error()`](std::io::Error::raw_os_error)
    ///   returns the errno, as for any `std` error, and the
    ///   [kind](std::io::Error::kind) is std's reading of that errno. This
    ///   error's own message and operation are not carried over (`std`
    ///   shows its `strerror` text); convert into `Box<dyn std::error::Error>`
    ///   or `anyhow::Error` instead to keep them.
    /// - **Without an errno** (input refused before any call, a foreign
    ///   owner, ...), **or with an errno this family reads differently from
    ///   its usual meaning** (an `EINVAL` that means a System V object was
    ///   removed is [`Removed`](ErrorKind::Removed), not invalid input), the
    ///   result carries this error as its payload, so the kind stays right
    ///   (`into_inner()` and `get_ref()` give the error back, with its
    ///   errno; `Display` shows its message) with the kind mapped from
    ///   [`ErrorKind`]: `NotFound` and
    ///   `Removed` → `NotFound`, `AlreadyExists` → `AlreadyExists`,
    ///   `PermissionDenied` and `ForeignOwner` → `PermissionDenied`,
    ///   `WouldBlock` → `WouldBlock`, `TimedOut` → `TimedOut`, `Busy` →
    ///   `ResourceBusy`, `Interrupted` → `Interrupted`, `InvalidInput` and
    ///   `NotAttached` → `InvalidInput`, `LimitExceeded` → `QuotaExceeded`,
    ///   `Unsupported` → `Unsupported`, others → `Other`.
    ///
    /// ```
    /// use ipc_common::{Error, ErrorKind};
    /// let io: std::io::Error = Error::from_errno("sem_open", libc::ENOENT).into();
    /// assert_eq!(io.raw_os_error(), Some(libc::ENOENT));
    /// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    ///
    /// let io: std::io::Error = Error::new(ErrorKind::ForeignOwner, "sem_open", "owned by uid 7").into();
    /// assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
    /// assert!(io.to_string().contains("owned by uid 7"));
    /// let inner = io.into_inner().unwrap().downcast::<Error>().unwrap();
    /// assert_eq!(inner.kind(), ErrorKind::ForeignOwner);
    ///
    /// // EINVAL from semctl on a removed set: Removed, so NotFound here.
    /// let e = Error::from_errno("semctl", libc::EINVAL).with_kind(ErrorKind::Removed);
    /// let io: std::io::Error = e.into();
    /// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    /// let inner = io.get_ref().unwrap().downcast_ref::<Error>().unwrap();
    /// assert_eq!(inner.raw_os_error(), Some(libc::EINVAL));
    /// ```
    fn from(e: Error) -> Self {
        use std::io::ErrorKind as Io;
        if let Some(errno) = e.raw_os_error()
            && ErrorKind::from_errno(errno) == e.kind
        {
            return std::io::Error::from_raw_os_error(errno);
        }
        let kind = match e.kind {
            ErrorKind::NotFound | ErrorKind::Removed => Io::NotFound,
            ErrorKind::AlreadyExists => Io::AlreadyExists,
            ErrorKind::PermissionDenied | ErrorKind::ForeignOwner => Io::PermissionDenied,
            ErrorKind::WouldBlock => Io::WouldBlock,
            ErrorKind::TimedOut => Io::TimedOut,
            ErrorKind::Busy => Io::ResourceBusy,
            ErrorKind::Interrupted => Io::Interrupted,
            ErrorKind::InvalidInput | ErrorKind::NotAttached => Io::InvalidInput,
            ErrorKind::LimitExceeded => Io::QuotaExceeded,
            ErrorKind::Unsupported => Io::Unsupported,
            ErrorKind::NotRecoverable | ErrorKind::Other => Io::Other,
        };
        std::io::Error::new(kind, e)
    }
}

/// The calling thread's current `errno`.
///
/// ```
/// // SAFETY: closing an invalid descriptor only sets errno.
/// unsafe { libc::close(-1) };
/// assert_eq!(ipc_common::__private::errno(), libc::EBADF);
/// ```
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A system call return value with a failure sentinel (`-1` for integers).
///
/// Implemented for the integer types system calls return; [`check`] uses it.
pub trait SysReturn: Copy {
    /// True when the value is the call's failure sentinel.
    fn is_failure(self) -> bool;
}

macro_rules! minus_one_is_failure {
    ($($t:ty),*) => {$(
        impl SysReturn for $t {
            #[inline]
            fn is_failure(self) -> bool {
                self == -1
            }
        }
    )*};
}
minus_one_is_failure!(i16, i32, i64, isize);

/// The one way a return code becomes a `Result` in this family: `Ok(ret)` unless
/// `ret` is the failure sentinel (`-1`), in which case the error for the current
/// `errno`, attributed to `op` (nix's `Errno::result` pattern).
///
/// ```
/// use ipc_common::__private::check;
/// // SAFETY: getpid has no preconditions.
/// let pid = check("getpid", unsafe { libc::getpid() }).unwrap();
/// assert!(pid > 0);
/// // SAFETY: closing an invalid descriptor only sets errno.
/// let e = check("close", unsafe { libc::close(-1) }).unwrap_err();
/// assert_eq!(e.raw_os_error(), Some(libc::EBADF));
/// ```
///
/// The success path inlines to one comparison; building the error is a
/// separate cold function, so hot paths (a semaphore's `sem_post`) pay
/// nothing for it.
#[inline]
pub fn check<T: SysReturn>(op: &'static str, ret: T) -> Result<T> {
    if ret.is_failure() {
        Err(os_failure(op))
    } else {
        Ok(ret)
    }
}

/// The error for the current `errno`: the out-of-line failure path of
/// [`check`] and [`check_ptr`].
#[cold]
#[inline(never)]
fn os_failure(op: &'static str) -> Error {
    Error::last_os_error(op)
}

/// Like [`check`] for calls that return a pointer, with the call's own failure
/// sentinel (`SEM_FAILED` for `sem_open`, `(void *) -1` for `shmat`, `MAP_FAILED`
/// for `mmap`).
///
/// ```
/// let p = ipc_common::__private::check_ptr("malloc-like", std::ptr::null_mut::<u8>(), std::ptr::null_mut());
/// assert!(p.is_err());
/// ```
#[inline]
pub fn check_ptr<T>(op: &'static str, ret: *mut T, failed: *mut T) -> Result<*mut T> {
    if ret == failed {
        Err(os_failure(op))
    } else {
        Ok(ret)
    }
}

/// The symbolic name of an errno value (`"ENOENT"`), or `"E?"` when this
/// family does not know it (the error's text then carries the system's own
/// description, see [`Error`]).
///
/// ```
/// assert_eq!(ipc_common::errno_name(libc::EIDRM), "EIDRM");
/// assert_eq!(ipc_common::errno_name(libc::EROFS), "EROFS");
/// assert_eq!(ipc_common::errno_name(100_000), "E?");
/// ```
pub fn errno_name(errno: i32) -> &'static str {
    lookup(errno).map_or("E?", |e| e.name)
}

/// What this family knows about one errno value.
struct Errno {
    code: i32,
    name: &'static str,
    kind: ErrorKind,
    /// A generic message, used until a caller supplies a precise one.
    text: &'static str,
}

const fn entry(code: i32, name: &'static str, kind: ErrorKind, text: &'static str) -> Errno {
    Errno {
        code,
        name,
        kind,
        text,
    }
}

const DENIED: &str = "permission denied: the object's owner and mode bits do not allow this";
const UNSUPPORTED: &str = "the system does not support this operation";
const DOES_NOT_FIT: &str = "the message does not fit";

/// The errno values a user of these calls (IPC system calls, the file system
/// calls behind POSIX names, memory mapping, locks, signals) can meet. On
/// platforms where two names share a value (`ENOTSUP` and `EOPNOTSUPP` on
/// Linux) the first entry wins.
const ERRNOS: &[Errno] = &[
    entry(libc::EPERM, "EPERM", ErrorKind::PermissionDenied, DENIED),
    entry(libc::EACCES, "EACCES", ErrorKind::PermissionDenied, DENIED),
    entry(
        libc::EROFS,
        "EROFS",
        ErrorKind::PermissionDenied,
        "the file system is read-only, so nothing can be created or changed on it",
    ),
    entry(
        libc::ENOENT,
        "ENOENT",
        ErrorKind::NotFound,
        "no object exists with that name or key",
    ),
    entry(
        libc::ESRCH,
        "ESRCH",
        ErrorKind::NotFound,
        "no such process (it may have exited)",
    ),
    entry(
        libc::ENXIO,
        "ENXIO",
        ErrorKind::NotFound,
        "no such device or address",
    ),
    entry(
        libc::EEXIST,
        "EEXIST",
        ErrorKind::AlreadyExists,
        "an object with that name or key already exists",
    ),
    entry(
        libc::EAGAIN,
        "EAGAIN",
        ErrorKind::WouldBlock,
        "the operation would block",
    ),
    entry(
        libc::ETIMEDOUT,
        "ETIMEDOUT",
        ErrorKind::TimedOut,
        "the timeout expired",
    ),
    entry(
        libc::ENOMSG,
        "ENOMSG",
        ErrorKind::WouldBlock,
        "no message of the requested type is waiting",
    ),
    entry(
        libc::EBUSY,
        "EBUSY",
        ErrorKind::Busy,
        "the resource is busy",
    ),
    entry(
        libc::ETXTBSY,
        "ETXTBSY",
        ErrorKind::Busy,
        "the file is busy (it is being executed)",
    ),
    entry(
        libc::EINTR,
        "EINTR",
        ErrorKind::Interrupted,
        "a signal interrupted the call",
    ),
    entry(
        libc::EIDRM,
        "EIDRM",
        ErrorKind::Removed,
        "the object was removed while in use",
    ),
    entry(
        libc::EINVAL,
        "EINVAL",
        ErrorKind::InvalidInput,
        "an argument was rejected by the system",
    ),
    entry(
        libc::ENAMETOOLONG,
        "ENAMETOOLONG",
        ErrorKind::InvalidInput,
        "the name is too long",
    ),
    entry(libc::E2BIG, "E2BIG", ErrorKind::InvalidInput, DOES_NOT_FIT),
    entry(
        libc::EMSGSIZE,
        "EMSGSIZE",
        ErrorKind::InvalidInput,
        DOES_NOT_FIT,
    ),
    entry(
        libc::EFBIG,
        "EFBIG",
        ErrorKind::InvalidInput,
        "the size or index is larger than the system allows for this object",
    ),
    entry(
        libc::EISDIR,
        "EISDIR",
        ErrorKind::InvalidInput,
        "the name refers to a directory",
    ),
    entry(
        libc::ENOTDIR,
        "ENOTDIR",
        ErrorKind::InvalidInput,
        "a component of the path is not a directory",
    ),
    entry(
        libc::ELOOP,
        "ELOOP",
        ErrorKind::InvalidInput,
        "too many symbolic links (or a loop of them) in the path",
    ),
    entry(
        libc::EXDEV,
        "EXDEV",
        ErrorKind::InvalidInput,
        "the operation cannot cross from one file system to another",
    ),
    entry(
        libc::ESPIPE,
        "ESPIPE",
        ErrorKind::InvalidInput,
        "the object does not support seeking",
    ),
    entry(
        libc::EMFILE,
        "EMFILE",
        ErrorKind::LimitExceeded,
        "this process has too many such objects open",
    ),
    entry(
        libc::ENFILE,
        "ENFILE",
        ErrorKind::LimitExceeded,
        "the system has too many such objects open",
    ),
    entry(
        libc::ENOSPC,
        "ENOSPC",
        ErrorKind::LimitExceeded,
        "a system-wide limit on such objects has been reached, or the file system is full",
    ),
    entry(
        libc::EDQUOT,
        "EDQUOT",
        ErrorKind::LimitExceeded,
        "this user's disk quota on the file system is used up",
    ),
    entry(
        libc::ENOMEM,
        "ENOMEM",
        ErrorKind::LimitExceeded,
        "not enough memory",
    ),
    entry(
        libc::ENOBUFS,
        "ENOBUFS",
        ErrorKind::LimitExceeded,
        "the system has no buffer space left",
    ),
    entry(
        libc::ENOLCK,
        "ENOLCK",
        ErrorKind::LimitExceeded,
        "the system has no locks left",
    ),
    entry(
        libc::EMLINK,
        "EMLINK",
        ErrorKind::LimitExceeded,
        "the object has too many links",
    ),
    entry(
        libc::EOVERFLOW,
        "EOVERFLOW",
        ErrorKind::LimitExceeded,
        "the value would exceed its maximum",
    ),
    entry(
        libc::ERANGE,
        "ERANGE",
        ErrorKind::LimitExceeded,
        "a value is outside the range the system allows",
    ),
    entry(libc::ENOSYS, "ENOSYS", ErrorKind::Unsupported, UNSUPPORTED),
    entry(
        libc::EOPNOTSUPP,
        "EOPNOTSUPP",
        ErrorKind::Unsupported,
        UNSUPPORTED,
    ),
    entry(
        libc::ENOTSUP,
        "ENOTSUP",
        ErrorKind::Unsupported,
        UNSUPPORTED,
    ),
    entry(
        libc::ENODEV,
        "ENODEV",
        ErrorKind::Unsupported,
        "the file system or device this needs is not available (not mounted, or not \
         supported by this kernel)",
    ),
    entry(
        libc::ENOTTY,
        "ENOTTY",
        ErrorKind::Unsupported,
        "this kind of object does not support the operation",
    ),
    entry(
        libc::EBADF,
        "EBADF",
        ErrorKind::Other,
        "the descriptor is not valid for this operation",
    ),
    entry(
        libc::EFAULT,
        "EFAULT",
        ErrorKind::Other,
        "an address given to the system was not valid (a bug in the caller or in this library)",
    ),
    entry(
        libc::EIO,
        "EIO",
        ErrorKind::Other,
        "an input/output error occurred",
    ),
    entry(
        libc::EPIPE,
        "EPIPE",
        ErrorKind::Other,
        "the other end is closed",
    ),
    entry(
        libc::ECHILD,
        "ECHILD",
        ErrorKind::Other,
        "there is no child process to wait for",
    ),
    entry(
        libc::EDEADLK,
        "EDEADLK",
        ErrorKind::Other,
        "the operation would deadlock",
    ),
    entry(
        libc::ENOTEMPTY,
        "ENOTEMPTY",
        ErrorKind::Other,
        "the directory is not empty",
    ),
    entry(
        libc::EBADMSG,
        "EBADMSG",
        ErrorKind::Other,
        "a message is malformed",
    ),
    entry(
        libc::ESTALE,
        "ESTALE",
        ErrorKind::Other,
        "the file handle is stale (the file was removed on a network file system)",
    ),
    entry(
        libc::ECANCELED,
        "ECANCELED",
        ErrorKind::Other,
        "the operation was canceled",
    ),
    entry(
        libc::EOWNERDEAD,
        "EOWNERDEAD",
        ErrorKind::Other,
        "the previous owner of the lock died while holding it",
    ),
    entry(
        libc::ENOTRECOVERABLE,
        "ENOTRECOVERABLE",
        ErrorKind::NotRecoverable,
        "the lock's protected state is not recoverable",
    ),
];

fn lookup(errno: i32) -> Option<&'static Errno> {
    ERRNOS.iter().find(|e| e.code == errno)
}

/// The message for an errno this family does not know: the error's `Display`
/// adds the system's own description (`strerror`).
const UNKNOWN_ERRNO: &str = "the system call failed";

/// A generic message for errno values, used until a caller supplies a precise one.
fn generic_message(errno: i32) -> &'static str {
    lookup(errno).map_or(UNKNOWN_ERRNO, |e| e.text)
}

/// The system's description of `errno` (`strerror`, through the thread-safe
/// `std::io::Error`), without std's ` (os error N)` suffix.
fn describe_errno(f: &mut fmt::Formatter<'_>, errno: i32) -> fmt::Result {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    let suffix = format!(" (os error {errno})");
    f.write_str(text.strip_suffix(suffix.as_str()).unwrap_or(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_python_family_predicate_holds_for_its_kinds_only() {
        use ErrorKind::*;
        // (kind, existential, permissions, busy, signal, invalid input)
        let table = [
            (NotFound, true, false, false, false, false),
            (AlreadyExists, true, false, false, false, false),
            (Removed, true, false, false, false, false),
            (PermissionDenied, false, true, false, false, false),
            (ForeignOwner, false, true, false, false, false),
            (WouldBlock, false, false, true, false, false),
            (TimedOut, false, false, true, false, false),
            (Busy, false, false, true, false, false),
            (Interrupted, false, false, false, true, false),
            (InvalidInput, false, false, false, false, true),
            (NotAttached, false, false, false, false, false),
            (LimitExceeded, false, false, false, false, false),
            (Unsupported, false, false, false, false, false),
            (NotRecoverable, false, false, false, false, false),
            (Other, false, false, false, false, false),
        ];
        for (kind, existential, permissions, busy, signal, invalid) in table {
            let e = Error::new(kind, "op", "message");
            let got = (
                e.is_existential(),
                e.is_permissions(),
                e.is_busy(),
                e.is_signal(),
                e.is_invalid_input(),
            );
            assert_eq!(
                got,
                (existential, permissions, busy, signal, invalid),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn every_documented_errno_maps_to_its_kind() {
        let table = [
            (libc::ENOENT, ErrorKind::NotFound),
            (libc::EEXIST, ErrorKind::AlreadyExists),
            (libc::EACCES, ErrorKind::PermissionDenied),
            (libc::EPERM, ErrorKind::PermissionDenied),
            (libc::EAGAIN, ErrorKind::WouldBlock),
            (libc::ETIMEDOUT, ErrorKind::TimedOut),
            (libc::EBUSY, ErrorKind::Busy),
            (libc::EINTR, ErrorKind::Interrupted),
            (libc::EIDRM, ErrorKind::Removed),
            (libc::EINVAL, ErrorKind::InvalidInput),
            (libc::ENAMETOOLONG, ErrorKind::InvalidInput),
            (libc::E2BIG, ErrorKind::InvalidInput),
            (libc::EMSGSIZE, ErrorKind::InvalidInput),
            (libc::EMFILE, ErrorKind::LimitExceeded),
            (libc::ENFILE, ErrorKind::LimitExceeded),
            (libc::ENOSPC, ErrorKind::LimitExceeded),
            (libc::ENOMEM, ErrorKind::LimitExceeded),
            (libc::EOVERFLOW, ErrorKind::LimitExceeded),
            (libc::ERANGE, ErrorKind::LimitExceeded),
            (libc::ENOSYS, ErrorKind::Unsupported),
            (libc::EBADF, ErrorKind::Other),
            (libc::EROFS, ErrorKind::PermissionDenied),
            (libc::ESRCH, ErrorKind::NotFound),
            (libc::ENXIO, ErrorKind::NotFound),
            (libc::ENOMSG, ErrorKind::WouldBlock),
            (libc::ETXTBSY, ErrorKind::Busy),
            (libc::EISDIR, ErrorKind::InvalidInput),
            (libc::ENOTDIR, ErrorKind::InvalidInput),
            (libc::ELOOP, ErrorKind::InvalidInput),
            (libc::EXDEV, ErrorKind::InvalidInput),
            (libc::ESPIPE, ErrorKind::InvalidInput),
            (libc::EFBIG, ErrorKind::InvalidInput),
            (libc::EDQUOT, ErrorKind::LimitExceeded),
            (libc::ENOLCK, ErrorKind::LimitExceeded),
            (libc::ENOBUFS, ErrorKind::LimitExceeded),
            (libc::ENOTSUP, ErrorKind::Unsupported),
            (libc::EOPNOTSUPP, ErrorKind::Unsupported),
            (libc::ENODEV, ErrorKind::Unsupported),
            (libc::ENOTTY, ErrorKind::Unsupported),
            (libc::ECHILD, ErrorKind::Other),
            (libc::EDEADLK, ErrorKind::Other),
            (libc::EPIPE, ErrorKind::Other),
            (libc::ENOTEMPTY, ErrorKind::Other),
            (libc::EOWNERDEAD, ErrorKind::Other),
            (libc::ENOTRECOVERABLE, ErrorKind::NotRecoverable),
        ];
        for (errno, kind) in table {
            let e = Error::from_errno("op", errno);
            assert_eq!(e.kind(), kind, "{}", errno_name(errno));
            assert_ne!(errno_name(errno), "E?");
            assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn the_table_is_consistent() {
        for (i, e) in ERRNOS.iter().enumerate() {
            assert!(e.name.starts_with('E'), "{}", e.name);
            assert!(!e.text.is_empty() && e.text != UNKNOWN_ERRNO, "{}", e.name);
            assert_eq!(ErrorKind::from_errno(e.code), lookup(e.code).unwrap().kind);
            // A later entry with the same value (ENOTSUP on Linux) is shadowed
            // by the first, which must then agree on the kind.
            for later in &ERRNOS[i + 1..] {
                assert!(later.name != e.name, "{} listed twice", e.name);
                if later.code == e.code {
                    assert_eq!(later.kind, e.kind, "{} vs {}", e.name, later.name);
                }
            }
        }
    }

    #[test]
    fn errors_named_in_the_issue_have_names_and_specific_messages() {
        for errno in [
            libc::EISDIR,
            libc::ELOOP,
            libc::ENOTDIR,
            libc::EROFS,
            libc::ENODEV,
            libc::ENXIO,
            libc::ESRCH,
            libc::ECHILD,
            libc::EDEADLK,
            libc::ENOTSUP,
            libc::ENOTTY,
            libc::EPIPE,
            libc::ESPIPE,
            libc::ETXTBSY,
            libc::EXDEV,
            libc::ENOLCK,
            libc::EDQUOT,
            libc::ENOTEMPTY,
        ] {
            let e = Error::from_errno("op", errno);
            assert_ne!(e.message(), UNKNOWN_ERRNO, "{}", errno_name(errno));
            let text = e.to_string();
            assert!(text.contains(errno_name(errno)), "{text}");
            assert!(!text.contains("E?"), "{text}");
        }
        let e = Error::from_errno("shm_open", libc::EROFS);
        assert!(e.message().contains("read-only"), "{e}");
        assert!(e.is_permissions());
        let e = Error::from_errno("write", libc::EDQUOT);
        assert!(e.message().contains("quota"), "{e}");
    }

    #[test]
    fn unknown_errnos_show_the_system_description() {
        // EHOSTDOWN has nothing to do with IPC, so the table leaves it out.
        let e = Error::from_errno("semop", libc::EHOSTDOWN);
        assert_eq!(e.kind(), ErrorKind::Other);
        assert_eq!(errno_name(libc::EHOSTDOWN), "E?");
        let text = e.to_string();
        let system = std::io::Error::from_raw_os_error(libc::EHOSTDOWN).to_string();
        let description = system.split(" (os error").next().unwrap();
        assert!(!description.is_empty());
        assert_eq!(
            text,
            format!(
                "semop: the system call failed (os error {}: {description})",
                libc::EHOSTDOWN
            )
        );
        // A call site's message (naming the object) keeps the description.
        let e = e.with_message("the semaphore set with key 0x1c5a0001 could not be used");
        assert!(e.to_string().contains(description), "{e}");
        assert!(e.to_string().contains("0x1c5a0001"), "{e}");
        // Values no system knows still display.
        let e = Error::from_errno("op", 100_000);
        assert!(
            e.to_string()
                .starts_with("op: the system call failed (os error 100000: ")
        );
        assert!(format!("{e:?}").contains("100000"));
    }

    #[test]
    fn display_names_operation_message_and_errno() {
        let e = Error::from_errno("sem_open", libc::ENOENT);
        assert_eq!(
            e.to_string(),
            "sem_open: no object exists with that name or key (ENOENT, os error 2)"
        );
        let e = Error::invalid_input("open", "the name must start with '/'");
        assert_eq!(e.to_string(), "open: the name must start with '/'");
        assert!(format!("{e:?}").contains("InvalidInput"));
    }

    #[test]
    fn io_error_keeps_the_errno_or_the_error() {
        use std::error::Error as _;
        use std::io::ErrorKind as Io;
        // With an errno: std's own error for it, so raw_os_error() works.
        let cases = [
            (libc::ENOENT, Io::NotFound),
            (libc::EEXIST, Io::AlreadyExists),
            (libc::EACCES, Io::PermissionDenied),
            (libc::EAGAIN, Io::WouldBlock),
            (libc::ETIMEDOUT, Io::TimedOut),
            (libc::EBUSY, Io::ResourceBusy),
            (libc::EINTR, Io::Interrupted),
            (libc::EINVAL, Io::InvalidInput),
        ];
        for (errno, kind) in cases {
            let e = Error::from_errno("op", errno).with_message("a precise message");
            let source = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
            assert_eq!(source.and_then(std::io::Error::raw_os_error), Some(errno));
            let io: std::io::Error = e.into();
            assert_eq!(io.raw_os_error(), Some(errno), "{}", errno_name(errno));
            assert_eq!(io.kind(), kind, "{}", errno_name(errno));
        }
        // Without one: this error as the payload, with a mapped kind.
        let cases = [
            (ErrorKind::NotAttached, Io::InvalidInput),
            (ErrorKind::ForeignOwner, Io::PermissionDenied),
            (ErrorKind::TimedOut, Io::TimedOut),
            (ErrorKind::WouldBlock, Io::WouldBlock),
            (ErrorKind::Removed, Io::NotFound),
            (ErrorKind::LimitExceeded, Io::QuotaExceeded),
            (ErrorKind::Unsupported, Io::Unsupported),
            (ErrorKind::Other, Io::Other),
        ];
        for (kind, io_kind) in cases {
            let e = Error::new(kind, "read", "no errno here");
            assert!(e.source().is_none());
            let io: std::io::Error = e.clone().into();
            assert_eq!(io.kind(), io_kind, "{kind:?}");
            assert_eq!(io.raw_os_error(), None);
            assert!(io.to_string().contains("no errno here"), "{io}");
            let inner = io.into_inner().unwrap().downcast::<Error>().unwrap();
            assert_eq!(*inner, e);
        }
        // An errno read differently from its usual meaning keeps the kind.
        let e = Error::from_errno("msgsnd", libc::EINVAL).with_kind(ErrorKind::Removed);
        let io: std::io::Error = e.clone().into();
        assert_eq!(io.kind(), Io::NotFound);
        assert_eq!(io.raw_os_error(), None);
        let inner = io.into_inner().unwrap().downcast::<Error>().unwrap();
        assert_eq!((*inner).raw_os_error(), Some(libc::EINVAL));
        assert_eq!(*inner, e);
    }

    #[test]
    fn clones_compare_equal_and_keep_the_source() {
        use std::error::Error as _;
        let e = Error::from_errno("semop", libc::EIDRM).with_message("gone");
        let c = e.clone();
        assert_eq!(c, e);
        assert_eq!(c.raw_os_error(), Some(libc::EIDRM));
        assert!(c.source().is_some());
        assert_ne!(c, e.clone().with_kind(ErrorKind::NotFound));
        assert_ne!(
            Error::from_errno("op", libc::EINVAL),
            Error::from_errno("op", libc::EINVAL).with_message("other")
        );
    }

    #[test]
    fn porting_helpers_follow_python_exception_families() {
        let k = |e: i32| Error::from_errno("op", e);
        assert!(k(libc::ENOENT).is_existential());
        assert!(k(libc::EEXIST).is_existential());
        assert!(!k(libc::EACCES).is_existential());
        assert!(k(libc::EPERM).is_permissions());
        assert!(k(libc::EAGAIN).is_busy());
        assert!(k(libc::ETIMEDOUT).is_busy());
        assert!(k(libc::EBUSY).is_busy());
        assert!(!k(libc::EINTR).is_busy());
        assert!(k(libc::EINTR).is_signal());
        assert!(k(libc::EINVAL).is_invalid_input());
    }

    #[test]
    fn check_passes_values_and_reads_errno() {
        assert_eq!(check("x", 5i32).unwrap(), 5);
        assert_eq!(check("x", 0isize).unwrap(), 0);
        // SAFETY: closing an invalid descriptor only sets errno.
        let e = check("close", unsafe { libc::close(-1) }).unwrap_err();
        assert_eq!(e.operation(), "close");
        assert_eq!(e.raw_os_error(), Some(libc::EBADF));
        let mut x = 1u8;
        let p: *mut u8 = &mut x;
        assert_eq!(check_ptr("p", p, std::ptr::null_mut()).unwrap(), p);
    }

    #[test]
    fn with_message_and_with_kind_keep_the_rest() {
        let e = Error::from_errno("msgsnd", libc::EINVAL)
            .with_kind(ErrorKind::Removed)
            .with_message(format!("queue {} was removed", 7));
        assert_eq!(e.kind(), ErrorKind::Removed);
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
        assert_eq!(e.message(), "queue 7 was removed");
        assert_eq!(e.clone(), e);
    }

    #[test]
    fn error_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + 'static + std::error::Error>() {}
        assert_traits::<Error>();
    }
}
