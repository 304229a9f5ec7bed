//! POSIX named semaphores ([`Semaphore`]): `sem_open`, the waits, `sem_post`,
//! `sem_getvalue`, `sem_close`, `sem_unlink`; every return code goes through `check`.

#[cfg(not(target_vendor = "apple"))]
use ipc_common::__private::TimeoutSpec;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::__private::{check, check_ptr};
use ipc_common::{Error, ErrorKind, IntoMode, Mode, Result, Timeout};
use posix_ipc_sys as sys;

use crate::flags::{self, Creation};

mod backing;

/// Whether the file at `path` holds a semaphore that glibc's `sem_open` made
/// (of either word size), for shared memory's refusal of `/sem.x` names.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn is_glibc_semaphore_file(path: &std::path::Path) -> bool {
    backing::glibc_layout(path).is_some()
}

use crate::guard::{Sealed, Unlink, UnlinkOnDrop};
use crate::limits;
use crate::name::{IntoName, Name, SEMAPHORE_NAME_MAX, with_unique_name};
use backing::Backing;

/// A POSIX named semaphore (`sem_open`): a counting semaphore that any process
/// on the machine opens by its [`Name`], C programs and Python's `posix_ipc`
/// included. [`acquire`](Self::acquire) decrements the value, waiting while it
/// is zero; [`release`](Self::release) increments it and wakes one waiter;
/// [`lock`](Self::lock) returns a [`SemaphoreGuard`] that releases on drop.
///
/// Open it with [`options`](Self::options) or the short forms
/// [`open`](Self::open), [`create`](Self::create),
/// [`create_new`](Self::create_new) and [`create_unique`](Self::create_unique).
/// Dropping the handle closes it (`sem_close`); the semaphore lives until it
/// is unlinked and every handle is closed. It is `Send + Sync`: a `sem_t` is
/// made for concurrent use. `Debug` shows `Semaphore("/name", mode=0o600)`.
///
/// ```
/// use posix_ipc::{Semaphore, Timeout};
/// let sem = Semaphore::create_unique(1)?.unlink_on_drop();
/// {
///     let _held = sem.lock()?; // released when the guard drops
///     assert!(sem.try_acquire().unwrap_err().is_busy());
/// }
/// sem.acquire(Timeout::Immediate)?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
///
/// # A holder that dies loses its unit
///
/// Nothing gives back a unit that a process acquired when it dies (killed,
/// crashed, or exiting without releasing): a killed process runs no
/// destructors, so a semaphore used as a lock stays locked for good. Where a
/// holder may die, use a System V semaphore with undo
/// (`sysv_ipc::Semaphore::set_undo`).
///
/// # Write access is memory access
///
/// On Linux `sem_open` maps the file `/dev/shm/sem.<name>`, so whoever may
/// write that file may set any value or truncate it, unlike a System V
/// semaphore that the kernel guards on every call.
///
/// - Opening checks the file (Linux): large enough for a `sem_t` and, with
///   glibc, holding what `sem_open` writes; anything else is
///   [`InvalidInput`](ErrorKind::InvalidInput) naming it, never a glibc abort
///   later. Other C libraries get the size check only, other systems none.
/// - A file truncated after the open makes the next wait, release or `value()`
///   die of `SIGBUS`. The default mode `0o600` and the refusal of other users'
///   semaphores ([`SemaphoreOptions::allow_foreign_owner`]) leave that to the
///   owner's own doing.
/// - A value overwritten after the open is an error from
///   [`value`](Self::value), never a made-up 0.
///
/// A closed handle cannot be used:
///
/// ```compile_fail,E0382
/// let sem = posix_ipc::Semaphore::create_unique(0)?;
/// sem.close()?;
/// sem.release()?; // error[E0382]: use of moved value
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub struct Semaphore {
    raw: RawSem,
    name: Name,
    mode: Mode,
    created: bool,
}

/// The `sem_t *` returned by `sem_open`; closed exactly once, by
/// [`RawSem::close`] or on drop.
struct RawSem(NonNull<sys::sem_t>);

// SAFETY: the pointer is a `sem_t` mapped by `sem_open`; the sem_* functions
// are specified for concurrent use on one semaphore from any thread (that is
// their purpose), and `sem_close` happens only once, in `close`/`Drop`, which
// take the handle by value or by `&mut`.
unsafe impl Send for RawSem {}
// SAFETY: every call made through `&RawSem` is one of sem_wait/sem_trywait/
// sem_clockwait/sem_timedwait/sem_post/sem_getvalue, all thread-safe.
unsafe impl Sync for RawSem {}

impl RawSem {
    #[inline]
    fn as_ptr(&self) -> *mut sys::sem_t {
        self.0.as_ptr()
    }

    fn close(self) -> Result<()> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the pointer is live and, as `this` is never dropped, closed only here.
        check("sem_close", unsafe { sys::sem_close(this.as_ptr()) }).map(drop)
    }
}

impl Drop for RawSem {
    fn drop(&mut self) {
        // SAFETY: the pointer is live and never used again. The result is
        // ignored: `Semaphore::close` exists for callers who want it.
        unsafe { sys::sem_close(self.as_ptr()) };
    }
}

/// Options for opening or creating a [`Semaphore`], like
/// [`std::fs::OpenOptions`]; made by [`Semaphore::options`]. Without
/// [`create`](Self::create) or [`create_new`](Self::create_new) it opens an
/// existing semaphore. Every value is checked before any system call.
///
/// ```
/// let sem = posix_ipc::Semaphore::options().mode(0o600).initial_value(3).create_unique()?.unlink_on_drop();
/// assert_eq!(sem.value()?, 3);
/// # Ok::<(), posix_ipc::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SemaphoreOptions {
    open: OpenOptions,
    initial_value: u32,
}

/// What [`SemaphoreOptions::flags`] accepts.
const FLAGS: FlagBits = flags::flag_bits(0, "semaphore");

impl Default for SemaphoreOptions {
    /// Same as [`SemaphoreOptions::new`].
    fn default() -> Self {
        SemaphoreOptions::new()
    }
}

impl SemaphoreOptions {
    /// Options that open an existing semaphore; when creating, mode `0o600` and
    /// initial value 0.
    pub fn new() -> Self {
        SemaphoreOptions {
            open: OpenOptions::new(),
            initial_value: 0,
        }
    }

    /// Create the semaphore if it does not exist (`O_CREAT`); an existing one is
    /// opened as it is, ignoring [`mode`](Self::mode) and
    /// [`initial_value`](Self::initial_value), unless another user owns it (see
    /// [`allow_foreign_owner`](Self::allow_foreign_owner)).
    /// [`Semaphore::created`] tells which happened.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new semaphore, failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if the name is taken
    /// (`O_CREAT | O_EXCL`); wins over [`create`](Self::create).
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// The permission bits of a new semaphore (default `0o600`; a `u32` or a
    /// [`Mode`]), reduced by the umask. Bits above `0o777` are
    /// [`InvalidInput`](ErrorKind::InvalidInput) when opening.
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// The value a new semaphore starts with (default 0); above
    /// [`limits::semaphore_value_max`] it is refused when opening.
    pub fn initial_value(&mut self, value: u32) -> &mut Self {
        self.initial_value = value;
        self
    }

    /// Let an open-or-create ([`create`](Self::create), `O_CREAT`) open a
    /// semaphore of another user (default `false`). By default that fails with
    /// [`ForeignOwner`](ErrorKind::ForeignOwner) and changes nothing: a squatter
    /// could read and set the value and truncate the file (see
    /// [Security](crate#security)). Semaphores of this process's effective user
    /// and of root are always accepted; plain opens and
    /// [`create_new`](Self::create_new) do not check. Where the owner cannot be
    /// learned (not Linux), such an open is [`Unsupported`](ErrorKind::Unsupported)
    /// unless this is set.
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.open.allow_foreign_owner(allow);
        self
    }

    /// Sets [`create`](Self::create) and [`create_new`](Self::create_new) from
    /// posix_ipc's flags (`0`, [`O_CREAT`](crate::O_CREAT),
    /// [`O_CREX`](crate::O_CREX)), replacing what those setters set.
    /// [`O_EXCL`](crate::O_EXCL) without `O_CREAT`, or any other bit, is
    /// [`InvalidInput`](ErrorKind::InvalidInput) when opening.
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        self.open.flags(flags, &FLAGS);
        self
    }

    /// Opens (or creates, as configured) the semaphore called `name`.
    ///
    /// A name breaking the rules of [`Name`] or longer than
    /// [`SEMAPHORE_NAME_MAX`](crate::SEMAPHORE_NAME_MAX), and out-of-range flags,
    /// mode or value, are [`InvalidInput`](ErrorKind::InvalidInput) before any
    /// call. An existing semaphore's file is checked (see
    /// [Write access is memory access](Semaphore#write-access-is-memory-access)):
    /// on Linux a file too small for a `sem_t` (`touch /dev/shm/sem.x`) or, with
    /// glibc, holding what `sem_open` never writes is `InvalidInput` naming it.
    pub fn open(&self, name: impl IntoName) -> Result<Semaphore> {
        self.open.check()?;
        let name = semaphore_name(name)?;
        self.open_name(name, flags::creation(&self.open))
    }

    /// Creates a semaphore under a fresh random name (`/pipc_` and 16 hex digits
    /// from the OS random source, 22 bytes, within macOS's limit), drawing again
    /// while it is taken; posix_ipc's `name=None`. Creation is always exclusive
    /// (the creation settings do not apply; invalid flags are still reported).
    pub fn create_unique(&self) -> Result<Semaphore> {
        self.open.check()?;
        with_unique_name("sem_open", |name| self.open_name(name, Creation::EXCLUSIVE))
    }

    fn open_name(&self, name: Name, creation: Creation) -> Result<Semaphore> {
        let mode = self.open.checked_mode("semaphore")?;
        let allow_foreign_owner = self.open.allows_foreign_owner();
        if creation.create {
            check_initial_value(self.initial_value)?;
        }
        #[cfg(all(target_os = "linux", target_env = "musl"))]
        check_no_glibc_semaphore(&name)?;
        let ((mut sem, backing), created) =
            flags::create_or_open("semaphore", &name, creation, |c| {
                let identity = needs_identity(creation, c, allow_foreign_owner);
                self.sem_open(&name, c, mode, identity)
            })?;
        sem.created = created;
        // Dropping `sem` on an error below closes the handle.
        if creation.create && !created && !allow_foreign_owner {
            check_semaphore_owner(&name, backing.as_ref())?;
        }
        if !created && let Some(backing) = &backing {
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            check_word_size(&name, backing)?;
            check_size(&name, backing)?;
            sem.check_contents(backing)?;
        }
        Ok(sem)
    }

    /// One `sem_open` with `creation`, and what it tells about the file.
    fn sem_open(
        &self,
        name: &Name,
        creation: Creation,
        mode: Mode,
        identity: bool,
    ) -> Result<(Semaphore, Option<Backing>)> {
        // sem_open reads mode_t and unsigned int, promoted to unsigned int.
        let (mode_arg, value_arg): (libc::c_uint, libc::c_uint) = (mode.bits(), self.initial_value);
        // SAFETY: the shim only returns the SEM_FAILED constant.
        let failed = unsafe { sys::sem_failed() };
        // SAFETY: the name is a valid NUL-terminated string; sem_open's
        // variadic arguments (mode_t promoted to unsigned int, unsigned int
        // value) are what it reads when O_CREAT is set, and are ignored otherwise.
        let ptr = unsafe {
            sys::sem_open(
                name.as_c_str().as_ptr(),
                creation.oflag(),
                mode_arg,
                value_arg,
            )
        };
        let ptr = check_ptr("sem_open", ptr, failed).map_err(|e| open_error(e, name, creation))?;
        let sem = NonNull::new(ptr)
            .ok_or_else(|| Error::new(ErrorKind::Other, "sem_open", "sem_open returned NULL"))?;
        // From here on, dropping `opened` closes the handle on every error path.
        let mut opened = Semaphore {
            raw: RawSem(sem),
            name: name.clone(),
            mode,
            created: creation.exclusive,
        };
        let backing = opened.examine_backing_file(identity)?;
        match &backing {
            Some(b) => opened.mode = b.mode,
            // Unlinked or replaced by someone else right after this call
            // created it: the handle is fine, and its mode is the one given.
            None if creation.exclusive => {}
            None if cfg!(not(target_os = "linux")) => {}
            None => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "sem_open",
                    format!(
                        "the semaphore {name:?} was unlinked or replaced by another process \
                         while this call opened it; open it again"
                    ),
                ));
            }
        }
        Ok((opened, backing))
    }
}

/// Whether the `attempt` (one `sem_open`) of an open with `creation` must
/// make sure the file it examines is the one it mapped (see the backing
/// module): only an existing semaphore whose owner is to be checked does.
fn needs_identity(creation: Creation, attempt: Creation, allow_foreign_owner: bool) -> bool {
    creation.create && !attempt.exclusive && !allow_foreign_owner
}

/// The owner check of an open-or-create that found an existing semaphore.
fn check_semaphore_owner(name: &Name, backing: Option<&Backing>) -> Result<()> {
    match backing {
        Some(b) => ipc_common::__private::check_owner("sem_open", b.uid, || {
            format!("semaphore {name:?} ({})", b.path.display())
        }),
        None => Err(Error::new(
            ErrorKind::Unsupported,
            "sem_open",
            format!(
                "semaphore {name:?} already exists, and this system cannot tell who owns a \
                 named semaphore, so an open-or-create refuses it; use create_new or a unique \
                 name, open it deliberately with Semaphore::open, or call \
                 allow_foreign_owner(true) if you trust whoever may have created it"
            ),
        )),
    }
}

/// Refuses a semaphore glibc made for the other word size (a 16-byte 32-bit
/// `sem_t` against a 32-byte 64-bit one, whose values and wake-ups the two
/// sides misread), recognised by size and glibc's `private` word.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn check_word_size(name: &Name, backing: &Backing) -> Result<()> {
    use backing::GlibcLayout;
    if backing.len == std::mem::size_of::<sys::sem_t>() as u64 {
        return Ok(());
    }
    let ours = GlibcLayout::NATIVE;
    let found = match backing::glibc_layout(&backing.path) {
        Some(found) if found != ours => found,
        _ => return Ok(()),
    };
    Err(Error::new(
        ErrorKind::Unsupported,
        "sem_open",
        format!(
            "semaphore {name:?} ({}, {} bytes) was made by {}, and this program is {}: the two \
             lay out a named semaphore differently, so each would misread the other's value \
             and miss its wake-ups. Share named semaphores only between programs built for \
             the same C library and word size, or use a System V semaphore (sysv-ipc), a \
             kernel object every program shares",
            backing.path.display(),
            backing.len,
            found.maker(),
            ours.maker(),
        ),
    ))
}

/// Refuses (musl) a name whose semaphore only glibc programs can see: musl
/// keeps `/x` in `/dev/shm/x`, glibc in `/dev/shm/sem.x`, so opening would be
/// a bare `NotFound` and an open-or-create would make a second semaphore.
/// [`Unsupported`](ErrorKind::Unsupported) when glibc's file holds a glibc
/// semaphore and musl's does not exist.
#[cfg(all(target_os = "linux", target_env = "musl"))]
fn check_no_glibc_semaphore(name: &Name) -> Result<()> {
    let glibc = backing::glibc_path(name);
    let Some(layout) = backing::glibc_layout(&glibc) else {
        return Ok(());
    };
    if std::fs::symlink_metadata(backing::path(name)).is_ok() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Unsupported,
        "sem_open",
        format!(
            "semaphore {name:?} exists only as {}, made by {}; this program uses musl, which \
             keeps the semaphore {name:?} in {} instead, so the two C libraries can never share \
             it (an open-or-create would silently make a second semaphore that the glibc \
             programs never see). Build both programs for the same C library, or use a System \
             V semaphore (sysv-ipc), a kernel object every program shares",
            glibc.display(),
            layout.maker(),
            backing::path(name).display(),
        ),
    ))
}

/// A file too small to hold a `sem_t` is not a semaphore (posix_ipc issue
/// #51: glibc maps it and the first access dies of SIGBUS).
fn check_size(name: &Name, backing: &Backing) -> Result<()> {
    let needed = std::mem::size_of::<sys::sem_t>() as u64;
    if backing.len >= needed {
        return Ok(());
    }
    Err(Error::invalid_input(
        "sem_open",
        format!(
            "{} is {} bytes, too small to be a semaphore ({needed} bytes), so using it would \
             crash the process with SIGBUS; it was not made by sem_open. Remove it \
             (unlink_semaphore({name:?})) and create the semaphore again",
            backing.path.display(),
            backing.len,
        ),
    ))
}

/// Validates a semaphore name: the [`Name`] rules plus the semaphore length limit.
fn semaphore_name(name: impl IntoName) -> Result<Name> {
    let name = name.into_name()?;
    name.check_len(SEMAPHORE_NAME_MAX, "semaphore")?;
    Ok(name)
}

fn check_initial_value(value: u32) -> Result<()> {
    let max = limits::semaphore_value_max();
    if value > max {
        return Err(Error::invalid_input(
            "sem_open",
            format!(
                "initial value {value} is above SEM_VALUE_MAX ({max}); give a value from 0 to {max}"
            ),
        ));
    }
    Ok(())
}

/// The messages for `sem_open` failures: what was wrong and what to do.
fn open_error(e: Error, name: &Name, creation: Creation) -> Error {
    let Some(errno) = e.raw_os_error() else {
        return e;
    };
    let message = match errno {
        libc::ENOENT => format!(
            "no semaphore named {name:?} exists; create it with Semaphore::create, \
             Semaphore::create_new or Semaphore::options().create(true)"
        ),
        libc::EEXIST => format!(
            "a semaphore named {name:?} already exists; open it with Semaphore::open, or \
             unlink it first with unlink_semaphore"
        ),
        libc::EACCES | libc::EPERM => format!(
            "permission denied for semaphore {name:?}: its owner and mode do not give this \
             user read and write access; ask its owner to open it up (mode 0o660/0o666 when \
             creating) or run as that user"
        ),
        libc::EINVAL if creation.create => format!(
            "the system rejected the name {name:?} or the initial value for a new semaphore"
        ),
        libc::EINVAL => format!("the system rejected the semaphore name {name:?}"),
        libc::ENAMETOOLONG => format!("the semaphore name {name:?} is too long for this system"),
        libc::EMFILE => "this process has the maximum number of files open (RLIMIT_NOFILE); \
                         close some or raise the limit (ulimit -n)"
            .to_owned(),
        libc::ENFILE => "the system-wide limit on open files has been reached \
                         (/proc/sys/fs/file-max); close some files"
            .to_owned(),
        libc::ENOSPC => format!(
            "no space left to create semaphore {name:?} (the /dev/shm file system is full); \
             unlink unused semaphores and shared memory"
        ),
        libc::ENOMEM => format!("not enough memory to map semaphore {name:?}"),
        libc::EISDIR => format!(
            "{} is a directory, not a semaphore (something other than sem_open made it); \
             remove it if it is stale, or choose another name",
            semaphore_file(name)
        ),
        libc::ELOOP => format!(
            "{} is a symbolic link, which sem_open does not follow (something other than \
             sem_open made it); remove it if it is stale, or choose another name",
            semaphore_file(name)
        ),
        libc::EROFS => format!(
            "the file system of {} is mounted read-only, so semaphore {name:?} cannot be \
             created or opened; remount it read-write",
            semaphore_file(name)
        ),
        _ => return e,
    };
    e.with_message(message)
}

/// The semaphore's file, for messages.
fn semaphore_file(name: &Name) -> String {
    #[cfg(target_os = "linux")]
    return backing::path(name).display().to_string();
    #[cfg(not(target_os = "linux"))]
    return format!("the file of semaphore {name:?}");
}

/// The messages for `sem_unlink` failures.
fn unlink_error(e: Error, name: &Name) -> Error {
    let message = match e.raw_os_error() {
        Some(libc::ENOENT) => format!(
            "no semaphore named {name:?} exists (it was never created or is already unlinked)"
        ),
        Some(libc::EACCES | libc::EPERM) => format!(
            "permission denied to unlink semaphore {name:?}: only its owner (or root) may; \
             ask its owner to unlink it"
        ),
        Some(libc::ENAMETOOLONG) => {
            format!("the semaphore name {name:?} is too long for this system")
        }
        Some(libc::EROFS) => format!(
            "the file system of {} is mounted read-only, so semaphore {name:?} cannot be \
             unlinked",
            semaphore_file(name)
        ),
        _ => return e,
    };
    e.with_message(message)
}

/// The error for a wait (`op`) that just returned -1 (reads `errno`).
#[cold]
#[inline(never)]
fn failed_wait(op: &'static str) -> Error {
    wait_error(Error::last_os_error(op))
}

/// The error for a `sem_post` that just returned -1 (reads `errno`).
#[cold]
#[inline(never)]
fn failed_post() -> Error {
    let e = Error::last_os_error("sem_post");
    if e.raw_os_error() != Some(libc::EOVERFLOW) {
        return e;
    }
    let max = limits::semaphore_value_max();
    e.with_message(format!(
        "the semaphore's value is already SEM_VALUE_MAX ({max}); releasing it again would \
         overflow, so it was left unchanged"
    ))
}

/// Turns a failed wait into the error for its cause (static messages: no allocation).
fn wait_error(e: Error) -> Error {
    match e.raw_os_error() {
        Some(libc::EAGAIN) => {
            e.with_message("the semaphore's value is 0; acquiring it would block")
        }
        Some(libc::ETIMEDOUT) => {
            e.with_message("the timeout expired before the semaphore could be acquired")
        }
        Some(libc::EINTR) => e.with_message(
            "a signal interrupted the wait; the semaphore was not acquired (acquire again to retry)",
        ),
        _ => e,
    }
}

impl Semaphore {
    /// A builder for opening or creating a semaphore (see [`SemaphoreOptions`]).
    pub fn options() -> SemaphoreOptions {
        SemaphoreOptions::new()
    }

    /// Opens an existing semaphore; [`NotFound`](ErrorKind::NotFound) if there
    /// is none.
    pub fn open(name: impl IntoName) -> Result<Semaphore> {
        SemaphoreOptions::new().open(name)
    }

    /// Opens `name`, creating it with mode `0o600` and `initial_value` if it does
    /// not exist (`O_CREAT`). As with `sem_open`, an existing semaphore keeps its
    /// value; [`created`](Self::created) tells which happened, and
    /// [`create_new`](Self::create_new) makes sure the value is yours.
    pub fn create(name: impl IntoName, initial_value: u32) -> Result<Semaphore> {
        SemaphoreOptions::new()
            .create(true)
            .initial_value(initial_value)
            .open(name)
    }

    /// Creates `name` with mode `0o600` and `initial_value`, failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if it exists (`O_CREX`).
    pub fn create_new(name: impl IntoName, initial_value: u32) -> Result<Semaphore> {
        SemaphoreOptions::new()
            .create_new(true)
            .initial_value(initial_value)
            .open(name)
    }

    /// Creates a semaphore with mode `0o600` and `initial_value` under a fresh
    /// random name (see [`SemaphoreOptions::create_unique`]).
    pub fn create_unique(initial_value: u32) -> Result<Semaphore> {
        SemaphoreOptions::new()
            .initial_value(initial_value)
            .create_unique()
    }

    /// Decrements the semaphore, waiting while its value is 0 as `timeout`
    /// allows: [`Timeout::Forever`] (`sem_wait`); [`Timeout::Immediate`]
    /// (`sem_trywait`; [`WouldBlock`](ErrorKind::WouldBlock) at 0);
    /// [`Timeout::After`] ([`TimedOut`](ErrorKind::TimedOut) when it expires).
    /// Takes a [`Timeout`], a `Duration` or an `Option<Duration>` (`None` waits
    /// for ever). Allocates nothing, also when it fails.
    ///
    /// Timed waits use `CLOCK_MONOTONIC` with glibc (`sem_clockwait`) and the wall
    /// clock elsewhere (`sem_timedwait`, which clock changes move); a duration too
    /// long for the clock is [`InvalidInput`](ErrorKind::InvalidInput); on macOS
    /// ([`SEMAPHORE_TIMEOUT_SUPPORTED`](crate::SEMAPHORE_TIMEOUT_SUPPORTED)) a
    /// non-zero `After` is [`Unsupported`](ErrorKind::Unsupported). A signal
    /// handler interrupts the wait with [`Interrupted`](ErrorKind::Interrupted)
    /// as the crate's [conventions](crate#conventions) describe (under
    /// `SA_RESTART` only timed waits return it).
    ///
    /// ```
    /// use std::time::Duration;
    /// let sem = posix_ipc::Semaphore::create_unique(0)?.unlink_on_drop();
    /// let e = sem.acquire(Duration::from_millis(10)).unwrap_err();
    /// assert!(e.is_busy()); // TimedOut (or WouldBlock): nothing to take
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[inline]
    pub fn acquire(&self, timeout: impl Into<Timeout>) -> Result<()> {
        let sem = self.raw.as_ptr();
        let (op, rc) = match timeout.into() {
            // SAFETY: `sem` is a live semaphore from sem_open (closed only on drop).
            Timeout::Forever => ("sem_wait", unsafe { sys::sem_wait(sem) }),
            // SAFETY: as above.
            t if t.is_immediate() => ("sem_trywait", unsafe { sys::sem_trywait(sem) }),
            t => return timed_wait(sem, t).map(drop).map_err(wait_error),
        };
        // The failure branch is one out-of-line call, so the success path
        // stays as small as the C call it wraps. Not `check` and then
        // `wait_error`: two calls on the failure path make the caller save a
        // register on the success path as well (2 more instructions per
        // acquire/release pair under callgrind, about 0.3 ns in
        // `ipc-bench posix_sem_uncontended`); `release` is the same.
        if rc == 0 {
            Ok(())
        } else {
            Err(failed_wait(op))
        }
    }

    /// [`acquire`](Self::acquire) with [`Timeout::Immediate`].
    #[inline]
    pub fn try_acquire(&self) -> Result<()> {
        self.acquire(Timeout::Immediate)
    }

    /// Acquires like [`acquire`](Self::acquire) and returns a guard that releases
    /// when dropped, also on an early return or a panic.
    pub fn acquire_guard(&self, timeout: impl Into<Timeout>) -> Result<SemaphoreGuard<'_>> {
        self.acquire(timeout)?;
        Ok(SemaphoreGuard { sem: self })
    }

    /// [`acquire_guard`](Self::acquire_guard) waiting for ever: a semaphore of
    /// value 1 as a lock between processes.
    pub fn lock(&self) -> Result<SemaphoreGuard<'_>> {
        self.acquire_guard(Timeout::Forever)
    }

    /// Increments the semaphore (`sem_post`), waking one waiter. At
    /// [`limits::semaphore_value_max`] it fails with
    /// [`LimitExceeded`](ErrorKind::LimitExceeded), value unchanged. Allocates
    /// nothing unless it fails.
    #[inline]
    pub fn release(&self) -> Result<()> {
        // SAFETY: `self.raw` is a live semaphore from sem_open.
        let rc = unsafe { sys::sem_post(self.raw.as_ptr()) };
        if rc == 0 { Ok(()) } else { Err(failed_post()) }
    }

    /// The current value (`sem_getvalue`), a snapshot. Absent on macOS
    /// ([`SEMAPHORE_VALUE_SUPPORTED`](crate::SEMAPHORE_VALUE_SUPPORTED)). Linux
    /// never reports waiters as a negative value, so there a negative value means
    /// an overwritten `sem_t` and is an [`Other`](ErrorKind::Other) error;
    /// elsewhere it is 0.
    #[cfg(not(target_vendor = "apple"))]
    #[cfg_attr(docsrs, doc(cfg(not(target_vendor = "apple"))))]
    pub fn value(&self) -> Result<u32> {
        let mut v: libc::c_int = 0;
        // SAFETY: `self.raw` is a live semaphore; `v` is a valid, writable int.
        check("sem_getvalue", unsafe {
            sys::sem_getvalue(self.raw.as_ptr(), &mut v)
        })?;
        match u32::try_from(v) {
            Ok(v) => Ok(v),
            Err(_) if cfg!(not(target_os = "linux")) => Ok(0),
            Err(_) => Err(Error::new(
                ErrorKind::Other,
                "sem_getvalue",
                format!(
                    "semaphore {:?} reports the value {v}, which no semaphore can have (values \
                     run from 0 to SEM_VALUE_MAX): its memory was overwritten by a process with \
                     write access to its file; unlink it and create it again",
                    self.name
                ),
            )),
        }
    }

    /// The semaphore's name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The permission bits: on Linux the real mode of `/dev/shm/sem.<name>` when
    /// this handle was opened (after the umask, or the creator's); if the file
    /// was gone by then, and elsewhere, the mode given to
    /// [`SemaphoreOptions::mode`].
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the call that opened this handle created the semaphore (and gave
    /// it its mode and value): true for `create_new` and `create_unique`, false
    /// for `open`, whichever happened for an open-or-create.
    pub fn created(&self) -> bool {
        self.created
    }

    /// Unlinks the name (`sem_unlink`): it is free at once, while the semaphore
    /// lives until every handle is closed, this one included.
    /// [`NotFound`](ErrorKind::NotFound) if the name is gone.
    pub fn unlink(&self) -> Result<()> {
        unlink_name(&self.name)
    }

    /// Closes the handle (`sem_close`) and returns the error, which drop ignores.
    /// Does not unlink.
    pub fn close(self) -> Result<()> {
        self.raw.close()
    }

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the semaphore
    /// when it drops.
    #[must_use = "the guard unlinks when it drops: dropped at once, it unlinks at once"]
    pub fn unlink_on_drop(self) -> UnlinkOnDrop<Semaphore> {
        UnlinkOnDrop::new(self)
    }

    /// On Linux, examines `/dev/shm/sem.<name>`, the file this handle maps
    /// (see the `backing` module): `None` when the name no longer refers to
    /// it.
    #[cfg(target_os = "linux")]
    fn examine_backing_file(&self, identity: bool) -> Result<Option<Backing>> {
        backing::examine(&self.name, self.raw.as_ptr().cast_const().cast(), identity)
    }

    /// Elsewhere there is no file to examine.
    #[cfg(not(target_os = "linux"))]
    fn examine_backing_file(&self, _identity: bool) -> Result<Option<Backing>> {
        Ok(None)
    }

    /// With glibc, checks the fields of the `sem_t` this handle maps, whose
    /// file `backing` is large enough to hold one (see `backing::check_contents`).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn check_contents(&self, backing: &Backing) -> Result<()> {
        // SAFETY: `self.raw` is the live mapping sem_open made of the file
        // `backing` describes (same st_dev/st_ino), which check_size found to
        // hold at least size_of::<sem_t>() bytes.
        unsafe {
            backing::check_contents(&self.name, self.raw.as_ptr().cast_const().cast(), backing)
        }
    }

    /// Other C libraries lay out `sem_t` differently: only the size is checked.
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    fn check_contents(&self, _backing: &Backing) -> Result<()> {
        Ok(())
    }
}

/// `sem_clockwait` on `CLOCK_MONOTONIC` (glibc).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn timed_wait(sem: *mut sys::sem_t, timeout: Timeout) -> Result<libc::c_int> {
    let deadline = timeout.deadline(libc::CLOCK_MONOTONIC)?;
    let Some(deadline) = deadline else {
        // SAFETY: `sem` is a live semaphore from sem_open.
        return check("sem_wait", unsafe { sys::sem_wait(sem) });
    };
    // SAFETY: `sem` is live; `deadline` is a valid, normalised timespec.
    check("sem_clockwait", unsafe {
        sys::sem_clockwait(sem, libc::CLOCK_MONOTONIC, &deadline)
    })
}

/// `sem_timedwait` on `CLOCK_REALTIME`: musl and FreeBSD have no
/// `sem_clockwait`, so a wall-clock jump moves the deadline (documented on
/// `acquire`).
#[cfg(not(any(all(target_os = "linux", target_env = "gnu"), target_vendor = "apple")))]
fn timed_wait(sem: *mut sys::sem_t, timeout: Timeout) -> Result<libc::c_int> {
    let deadline = timeout.deadline(libc::CLOCK_REALTIME)?;
    let Some(deadline) = deadline else {
        // SAFETY: `sem` is a live semaphore from sem_open.
        return check("sem_wait", unsafe { sys::sem_wait(sem) });
    };
    // SAFETY: `sem` is live; `deadline` is a valid, normalised timespec.
    check("sem_timedwait", unsafe {
        sys::sem_timedwait(sem, &deadline)
    })
}

/// macOS has no timed semaphore wait.
#[cfg(target_vendor = "apple")]
fn timed_wait(_sem: *mut sys::sem_t, _timeout: Timeout) -> Result<libc::c_int> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "sem_timedwait",
        "this system has no timed semaphore wait (SEMAPHORE_TIMEOUT_SUPPORTED is false); \
         use Timeout::Forever or poll with Timeout::Immediate",
    ))
}

fn unlink_name(name: &Name) -> Result<()> {
    // SAFETY: the name is a valid NUL-terminated string.
    check("sem_unlink", unsafe {
        sys::sem_unlink(name.as_c_str().as_ptr())
    })
    .map(drop)
    .map_err(|e| unlink_error(e, name))
}

/// Unlinks the semaphore called `name` (`sem_unlink`): a bad name is
/// [`InvalidInput`](ErrorKind::InvalidInput), a missing one
/// [`NotFound`](ErrorKind::NotFound). Open handles keep working.
pub fn unlink_semaphore(name: impl IntoName) -> Result<()> {
    unlink_name(&semaphore_name(name)?)
}

impl Sealed for Semaphore {}

impl Unlink for Semaphore {
    fn unlink(&self) -> Result<()> {
        Semaphore::unlink(self)
    }
}

impl fmt::Debug for Semaphore {
    /// `Semaphore("/name", mode=0o600)`, like posix_ipc's `repr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Semaphore({:?}, mode={})", self.name, self.mode)
    }
}

/// Holds one unit of a [`Semaphore`] and releases it when dropped, also while
/// a panic unwinds; made by [`Semaphore::acquire_guard`] and
/// [`Semaphore::lock`]. A process that dies holding it loses the unit (see
/// [A holder that dies loses its unit](Semaphore#a-holder-that-dies-loses-its-unit)).
#[must_use = "dropping the guard releases the semaphore at once"]
pub struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
}

impl<'a> SemaphoreGuard<'a> {
    /// The semaphore this guard holds.
    pub fn semaphore(&self) -> &'a Semaphore {
        self.sem
    }

    /// Releases now and returns the error, which drop ignores.
    pub fn release(self) -> Result<()> {
        let sem = self.sem;
        std::mem::forget(self);
        sem.release()
    }
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        // The guard holds one unit, so the value is below SEM_VALUE_MAX unless
        // others released beyond it; nothing useful can be done with an error here.
        let _ = self.sem.release();
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SemaphoreGuard").field(self.sem).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_onto_creation() {
        let mut o = SemaphoreOptions::new();
        o.flags(crate::O_CREX);
        assert_eq!(flags::creation(&o.open), Creation::EXCLUSIVE);
        o.flags(crate::O_EXCL);
        assert!(o.open.check().is_err());
        o.flags(0);
        assert_eq!(flags::creation(&o.open), Creation::OPEN);
        assert!(o.open.check().is_ok());
        // std::fs::OpenOptions semantics: create_new does not set create.
        o.create_new(true).create_new(false);
        assert_eq!(flags::creation(&o.open), Creation::OPEN);
        o.flags(crate::O_CREAT).create(false);
        assert_eq!(flags::creation(&o.open), Creation::OPEN);
    }

    #[test]
    fn wait_errors_keep_kind_and_errno() {
        for (errno, kind) in [
            (libc::EAGAIN, ErrorKind::WouldBlock),
            (libc::ETIMEDOUT, ErrorKind::TimedOut),
            (libc::EINTR, ErrorKind::Interrupted),
        ] {
            let e = wait_error(Error::from_errno("sem_wait", errno));
            assert_eq!((e.kind(), e.raw_os_error()), (kind, Some(errno)));
            assert!(e.message().contains("semaphore") || e.message().contains("signal"));
        }
    }
}
