//! POSIX named semaphores ([`Semaphore`]): `sem_open`, `sem_wait` /
//! `sem_trywait` / `sem_clockwait`, `sem_post`, `sem_getvalue`, `sem_close`,
//! `sem_unlink`.
//!
//! All FFI calls for semaphores live in this module, and every return code
//! becomes a `Result` through [`ipc_common::__private::check`] / [`ipc_common::__private::check_ptr`].

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

use crate::guard::{Sealed, Unlink, UnlinkOnDrop};
use crate::limits;
use crate::name::{IntoName, Name, SEMAPHORE_NAME_MAX, with_unique_name};
use backing::Backing;

/// A POSIX named semaphore (`sem_open`), posix_ipc's `Semaphore`.
///
/// A counting semaphore that any process on the machine can open by its
/// [`Name`]; C programs and Python's `posix_ipc` open the same objects.
/// [`acquire`](Self::acquire) decrements the value, waiting while it is zero;
/// [`release`](Self::release) increments it and wakes one waiter.
///
/// - Open it like [`std::fs::OpenOptions`] with [`Semaphore::options`], or with
///   the short forms [`open`](Self::open) (existing only),
///   [`create`](Self::create) (open or create),
///   [`create_new`](Self::create_new) (create exclusively) and
///   [`create_unique`](Self::create_unique) (posix_ipc's `name=None`).
/// - [`acquire_guard`](Self::acquire_guard) / [`lock`](Self::lock) return a
///   [`SemaphoreGuard`] that releases on drop (Python's `with sem:`).
/// - Dropping the handle closes it (`sem_close`); [`close`](Self::close)
///   returns the error instead. The semaphore itself lives on until it is
///   unlinked ([`unlink`](Self::unlink), [`unlink_semaphore`], or the opt-in
///   [`UnlinkOnDrop`] guard of [`unlink_on_drop`](Self::unlink_on_drop)) and
///   every handle is closed.
///
/// A `Semaphore` is `Send + Sync`: the `sem_t` that `sem_open` maps is made for
/// concurrent use by many threads and processes, so one handle can be shared
/// (e.g. in an `Arc`) and acquired or released from several threads at once.
///
/// `Debug` shows what posix_ipc's `repr` shows: `Semaphore("/name", mode=0o600)`.
///
/// ```
/// use posix_ipc::{Semaphore, Timeout};
/// let sem = Semaphore::create_unique(1)?;
/// sem.acquire(Timeout::Forever)?;
/// assert!(sem.try_acquire().unwrap_err().is_busy()); // value is 0 now
/// sem.release()?;
/// assert_eq!(sem.value()?, 1);
/// assert!(format!("{sem:?}").starts_with("Semaphore(\"/pipc_"));
/// sem.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
///
/// # A holder that dies loses its unit
///
/// Nothing gives back a unit that a process acquired when that process dies
/// (killed, crashed, or exits without releasing): not the kernel, not the C
/// library. A [`SemaphoreGuard`] releases when it drops, but a killed process
/// runs no destructors, so a semaphore used as a lock stays locked for good.
/// System V semaphores can undo a dead process's operations (`SEM_UNDO`, see
/// `sysv_ipc::Semaphore::set_undo`); use one of those, with undo on, where a
/// holder may die.
///
/// # Write access is memory access
///
/// A POSIX semaphore is memory: on Linux, `sem_open` maps the file
/// `/dev/shm/sem.<name>` and the `sem_t` lives in it, so whoever may write the
/// file may write the semaphore's memory directly, set any value, or truncate
/// the file. This is unlike a System V semaphore, which lives in the kernel
/// and is changed only through `semop`/`semctl`, with permission checks on
/// every call.
///
/// - Opening checks what can be checked (Linux): the file is large enough to
///   hold a `sem_t`, and with glibc its fields hold what `sem_open` writes
///   (value at most `SEM_VALUE_MAX`, glibc's process-shared word). A file
///   that fails is refused with [`InvalidInput`](ErrorKind::InvalidInput)
///   naming it, never a glibc abort later. With other C libraries only the
///   size is checked; elsewhere than Linux nothing is.
/// - A file truncated by another process after the open makes the next
///   wait, release or `value()` die of `SIGBUS`: the memory is gone, and
///   nothing portable can detect that before touching it. With the default
///   mode `0o600` only the owner (and root) may write or truncate the file,
///   and an open-or-create refuses semaphores of other users
///   ([`SemaphoreOptions::allow_foreign_owner`]), so this takes the owner's
///   own doing (or a mode opened up to others).
/// - A value overwritten after the open is reported by
///   [`value`](Self::value) as an error, never as a made-up 0.
///
/// Using a closed handle does not compile:
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
/// [`std::fs::OpenOptions`]. Made by [`Semaphore::options`].
///
/// Without [`create`](Self::create) or [`create_new`](Self::create_new),
/// [`open`](Self::open) opens an existing semaphore. Every value is checked
/// when [`open`](Self::open) is called, before any system call.
///
/// ```
/// use posix_ipc::Semaphore;
/// # let name = format!("/ipcrs-doc-{}-sem1", std::process::id());
/// let sem = Semaphore::options()
///     .create_new(true)
///     .mode(0o600)
///     .initial_value(3)
///     .open(&name)?;
/// assert_eq!(sem.value()?, 3);
/// sem.unlink()?;
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
    /// Options that open an existing semaphore; when creating: mode `0o600`,
    /// initial value 0 (posix_ipc's defaults).
    ///
    /// ```
    /// let opts = posix_ipc::SemaphoreOptions::new();
    /// let e = opts.open("/ipcrs-doc-surely-absent").unwrap_err();
    /// assert_eq!(e.kind(), posix_ipc::ErrorKind::NotFound);
    /// ```
    pub fn new() -> Self {
        SemaphoreOptions {
            open: OpenOptions::new(),
            initial_value: 0,
        }
    }

    /// Create the semaphore if it does not exist (`O_CREAT`); an existing one
    /// is opened as it is, ignoring [`mode`](Self::mode) and
    /// [`initial_value`](Self::initial_value), unless another user owns it
    /// (see [`allow_foreign_owner`](Self::allow_foreign_owner)).
    /// [`Semaphore::created`] tells which happened.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// # let name = format!("/ipcrs-doc-{}-sem2", std::process::id());
    /// let a = Semaphore::options().create(true).initial_value(2).open(&name)?;
    /// let b = Semaphore::options().create(true).initial_value(9).open(&name)?;
    /// assert_eq!(b.value()?, 2); // b opened a's semaphore
    /// a.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new semaphore, failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if the name is taken
    /// (`O_CREAT | O_EXCL`). Wins over [`create`](Self::create), as in
    /// [`std::fs::OpenOptions`].
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, Semaphore};
    /// # let name = format!("/ipcrs-doc-{}-sem3", std::process::id());
    /// let sem = Semaphore::options().create_new(true).open(&name)?;
    /// let e = Semaphore::options().create_new(true).open(&name).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// The permission bits a new semaphore gets (default `0o600`), reduced by
    /// the process umask. Bits above `0o777` (setuid, setgid, sticky, which
    /// mean nothing for a semaphore, and anything higher) are rejected by
    /// [`open`](Self::open) with [`InvalidInput`](ErrorKind::InvalidInput).
    /// Takes a `u32` or a [`Mode`].
    ///
    /// ```
    /// use posix_ipc::Mode;
    /// let sem = posix_ipc::Semaphore::options().mode(0o640).create_unique()?;
    /// assert_eq!(sem.mode().bits(), 0o640); // with the usual umask 022
    /// let again = posix_ipc::Semaphore::options().mode(Mode::OWNER_READ_WRITE).create_unique()?;
    /// sem.unlink()?;
    /// again.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// The value a new semaphore starts with (default 0). Values above
    /// [`limits::semaphore_value_max`] are rejected by [`open`](Self::open).
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::options().initial_value(7).create_unique()?;
    /// assert_eq!(sem.value()?, 7);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn initial_value(&mut self, value: u32) -> &mut Self {
        self.initial_value = value;
        self
    }

    /// Let an open-or-create ([`create`](Self::create), `O_CREAT`) open an
    /// existing semaphore that belongs to another user (default `false`).
    ///
    /// By default such an open fails with
    /// [`ForeignOwner`](ErrorKind::ForeignOwner), naming the owner, and
    /// changes nothing: anyone can create a name in `/dev/shm` before this
    /// program does, with mode `0o666`, then read and change its semaphore
    /// and truncate the file under it (see the crate's
    /// [Security](crate#security) section). Semaphores of this process's
    /// effective user and of root are always accepted. Plain opens (without
    /// `create`) and [`create_new`](Self::create_new) do not check the
    /// owner: the caller asked for an existing semaphore, or a new one.
    ///
    /// On systems other than Linux the owner of an existing semaphore cannot
    /// be learned: there, an open-or-create that finds one fails with
    /// [`Unsupported`](ErrorKind::Unsupported) unless this is set.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let mine = Semaphore::create_unique(1)?.unlink_on_drop();
    /// // Our own semaphore is opened either way.
    /// let again = Semaphore::options().create(true).allow_foreign_owner(false).open(mine.name())?;
    /// assert!(!again.created());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.open.allow_foreign_owner(allow);
        self
    }

    /// Sets [`create`](Self::create) and [`create_new`](Self::create_new)
    /// from posix_ipc-style flags: `0`, [`O_CREAT`](crate::O_CREAT) or
    /// [`O_CREX`](crate::O_CREX), for line-by-line ports. The flags replace
    /// what those two setters set, exactly as if
    /// `create(flags & O_CREAT != 0).create_new(flags & O_CREX == O_CREX)` were
    /// called, so a later `create(false)` makes the open open only, as for
    /// every options type of both crates.
    /// [`O_EXCL`](crate::O_EXCL) without `O_CREAT` and any other bit make
    /// [`open`](Self::open) fail with [`InvalidInput`](ErrorKind::InvalidInput).
    ///
    /// ```
    /// use posix_ipc::{Semaphore, O_CREX, O_EXCL};
    /// # let name = format!("/ipcrs-doc-{}-sem4", std::process::id());
    /// // posix_ipc.Semaphore(name, O_CREX, 0o600, 1)
    /// let sem = Semaphore::options().flags(O_CREX).mode(0o600).initial_value(1).open(&name)?;
    /// assert!(Semaphore::options().flags(O_EXCL).open(&name).unwrap_err().is_invalid_input());
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        self.open.flags(flags, &FLAGS);
        self
    }

    /// Opens (or creates, as configured) the semaphore called `name`.
    ///
    /// Fails with [`InvalidInput`](ErrorKind::InvalidInput) before any system
    /// call when the name breaks a rule of [`Name`] or is longer than
    /// [`SEMAPHORE_NAME_MAX`](crate::SEMAPHORE_NAME_MAX) bytes after the `/`,
    /// or when the flags, mode or initial value are out of range. System
    /// errors carry a message that says what to do, e.g.
    /// [`NotFound`](ErrorKind::NotFound) names the way to create the
    /// semaphore.
    ///
    /// An existing semaphore's file is checked before the handle is returned
    /// (see [Write access is memory access](Semaphore#write-access-is-memory-access)):
    /// on Linux, a file in `/dev/shm` too small to be a semaphore
    /// (`touch /dev/shm/sem.x`; posix_ipc maps it and dies of `SIGBUS` on
    /// first use, its issue #51) is an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error naming the file, and
    /// so, with glibc, is a file whose `sem_t` holds what `sem_open` never
    /// writes (a value above `SEM_VALUE_MAX`, or a process-shared word other
    /// than glibc's), which would make glibc abort the process.
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, Semaphore};
    /// let e = Semaphore::options().open("/ipcrs-doc-surely-absent").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// assert!(e.message().contains("create it with"));
    /// let e = Semaphore::options().open("no-slash").unwrap_err();
    /// assert!(e.is_invalid_input());
    /// ```
    pub fn open(&self, name: impl IntoName) -> Result<Semaphore> {
        self.open.check()?;
        let name = semaphore_name(name)?;
        self.open_name(name, flags::creation(&self.open))
    }

    /// Creates a semaphore under a fresh unique name (`/pipc_` + 16 random hex
    /// digits from the OS random source, 22 bytes, so it also fits macOS's
    /// 31-byte limit), drawing again while the name is taken. This is
    /// posix_ipc's `Semaphore(None, O_CREX, ...)`; the
    /// [`create`](Self::create)/[`create_new`](Self::create_new)/
    /// [`flags`](Self::flags) settings do not apply (creation is always
    /// exclusive; invalid flags are still reported). Read the name with
    /// [`Semaphore::name`].
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::options().initial_value(1).create_unique()?;
    /// assert!(sem.name().to_str().unwrap().starts_with("/pipc_"));
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
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
                // Only an existing semaphore whose owner is to be checked
                // needs the file's identity (see the backing module).
                let identity = creation.create && !c.exclusive && !allow_foreign_owner;
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

    /// One `sem_open` call with `creation` (exclusive create or plain open),
    /// and what it tells about the semaphore's file.
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

/// The ownership check of an open-or-create that opened an existing
/// semaphore (see [`SemaphoreOptions::allow_foreign_owner`]).
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

/// Refuses a semaphore that glibc made for the other word size: a 32-bit
/// glibc `sem_t` is 16 bytes and a 64-bit one 32, with different layouts and
/// waiter protocols, so the two sides misread each other's value and lose
/// wake-ups. Recognised by the file's size and glibc's `private` word (see
/// `backing::glibc_layout`), before anything reads the `sem_t`.
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

/// Refuses a name whose semaphore only glibc programs can see. musl keeps
/// the semaphore `/x` in `/dev/shm/x` and glibc in `/dev/shm/sem.x`, so the
/// two never share one: opening glibc's would fail with a bare `NotFound`,
/// and an open-or-create would silently make a second semaphore that the
/// glibc programs never see. When glibc's file holds a glibc semaphore
/// (`backing::glibc_layout`) and musl's file does not exist, this is an
/// [`Unsupported`](ErrorKind::Unsupported) error that explains it. (A
/// glibc program cannot tell musl's semaphore file from a shared memory
/// object of 32 bytes, so the reverse is not detected.)
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
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::options().initial_value(1).mode(0o600).create_unique()?;
    /// assert_eq!(sem.value()?, 1);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn options() -> SemaphoreOptions {
        SemaphoreOptions::new()
    }

    /// Opens an existing semaphore (posix_ipc's `Semaphore(name)`); fails with
    /// [`NotFound`](ErrorKind::NotFound) if there is none.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let first = Semaphore::create_unique(4)?;
    /// let second = Semaphore::open(first.name())?;
    /// assert_eq!(second.value()?, 4);
    /// first.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open(name: impl IntoName) -> Result<Semaphore> {
        SemaphoreOptions::new().open(name)
    }

    /// Opens the semaphore `name`, creating it with mode `0o600` and
    /// `initial_value` if it does not exist (`O_CREAT`; posix_ipc's
    /// `Semaphore(name, O_CREAT, initial_value=...)`).
    ///
    /// As with `sem_open`, `initial_value` applies only when this call creates
    /// the semaphore: an existing one is opened with the value it has.
    /// [`created`](Self::created) tells which happened; use
    /// [`create_new`](Self::create_new) to be sure the value is yours.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    /// let same = Semaphore::create(sem.name(), 5)?; // opens it; 5 is ignored
    /// assert_eq!(same.value()?, 1);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(name: impl IntoName, initial_value: u32) -> Result<Semaphore> {
        SemaphoreOptions::new()
            .create(true)
            .initial_value(initial_value)
            .open(name)
    }

    /// Creates a new semaphore with mode `0o600` and `initial_value`, failing
    /// with [`AlreadyExists`](ErrorKind::AlreadyExists) if the name is taken
    /// (`O_CREAT | O_EXCL`; posix_ipc's `Semaphore(name, O_CREX,
    /// initial_value=...)`).
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    /// assert!(Semaphore::create_new(sem.name(), 1).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(name: impl IntoName, initial_value: u32) -> Result<Semaphore> {
        SemaphoreOptions::new()
            .create_new(true)
            .initial_value(initial_value)
            .open(name)
    }

    /// Creates a new semaphore with mode `0o600` and `initial_value` under a
    /// fresh unique name (see [`SemaphoreOptions::create_unique`]).
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(0)?;
    /// assert_eq!(sem.name().as_bytes().len(), posix_ipc::UNIQUE_NAME_LEN);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique(initial_value: u32) -> Result<Semaphore> {
        SemaphoreOptions::new()
            .initial_value(initial_value)
            .create_unique()
    }

    /// Decrements the semaphore, waiting while its value is 0 as `timeout`
    /// allows (posix_ipc's `acquire(timeout)`):
    ///
    /// - [`Timeout::Forever`]: `sem_wait`, waits as long as it takes;
    /// - [`Timeout::Immediate`] (or `After(0)`): `sem_trywait`, fails at once
    ///   with [`WouldBlock`](ErrorKind::WouldBlock) if the value is 0;
    /// - [`Timeout::After`]`(d)`: waits at most `d`, then fails with
    ///   [`TimedOut`](ErrorKind::TimedOut) (errno `ETIMEDOUT`). On
    ///   Linux/glibc the deadline is on `CLOCK_MONOTONIC` (`sem_clockwait`),
    ///   so changing the wall clock does not stretch or cut the wait; elsewhere
    ///   (Linux/musl, which has no `sem_clockwait`, and FreeBSD)
    ///   `sem_timedwait` measures it on `CLOCK_REALTIME`, so setting the wall
    ///   clock forward ends the wait early and setting it back lengthens it
    ///   by as much. A duration too long
    ///   for the clock is [`InvalidInput`](ErrorKind::InvalidInput) (use
    ///   `Forever`). Where [`SEMAPHORE_TIMEOUT_SUPPORTED`](crate::SEMAPHORE_TIMEOUT_SUPPORTED)
    ///   is false (macOS), a non-zero `After` is
    ///   [`Unsupported`](ErrorKind::Unsupported) instead of blocking forever as
    ///   in posix_ipc.
    ///
    /// A signal handler interrupting the wait makes it fail with
    /// [`Interrupted`](ErrorKind::Interrupted) (posix_ipc's `SignalError`);
    /// this crate never retries it, so Ctrl-C handlers get their chance to
    /// run. That holds for handlers installed without `SA_RESTART`. With
    /// `SA_RESTART` (glibc's `signal()` sets it, and so do many
    /// signal-handling libraries) the kernel restarts a `Forever` wait
    /// (`sem_wait`) after the handler returns, so it keeps waiting and never
    /// returns `Interrupted`; an `After` wait (`sem_clockwait`,
    /// `sem_timedwait`) is not restarted and still returns it.
    ///
    /// Takes a [`Timeout`], or a `Duration` (`After`) or `Option<Duration>`
    /// (`None` is `Forever`). Allocates nothing, also when it fails.
    ///
    /// ```
    /// use std::time::Duration;
    /// use posix_ipc::{ErrorKind, Semaphore, Timeout};
    /// let sem = Semaphore::create_unique(1)?;
    /// sem.acquire(Duration::from_millis(10))?;
    /// sem.release()?;
    /// sem.acquire(Timeout::Forever)?;
    /// assert_eq!(sem.acquire(Timeout::Immediate).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// let e = sem.acquire(Timeout::After(Duration::from_millis(10))).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// assert!(e.is_busy()); // Python's BusyError covers both
    /// sem.unlink()?;
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

    /// [`acquire`](Self::acquire) with [`Timeout::Immediate`]: takes the
    /// semaphore if its value is above 0, else fails with
    /// [`WouldBlock`](ErrorKind::WouldBlock) (`is_busy()`).
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(1)?;
    /// sem.try_acquire()?;
    /// assert!(sem.try_acquire().unwrap_err().is_busy());
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<()> {
        self.acquire(Timeout::Immediate)
    }

    /// Acquires like [`acquire`](Self::acquire) and returns a guard that
    /// releases the semaphore when dropped (Python's `with sem:`), also when
    /// the code in between returns early or panics.
    ///
    /// ```
    /// use posix_ipc::{Semaphore, Timeout};
    /// let sem = Semaphore::create_unique(1)?;
    /// {
    ///     let _guard = sem.acquire_guard(Timeout::Immediate)?;
    ///     assert_eq!(sem.value()?, 0);
    /// }
    /// assert_eq!(sem.value()?, 1);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn acquire_guard(&self, timeout: impl Into<Timeout>) -> Result<SemaphoreGuard<'_>> {
        self.acquire(timeout)?;
        Ok(SemaphoreGuard { sem: self })
    }

    /// [`acquire_guard`](Self::acquire_guard) with [`Timeout::Forever`]: use a
    /// semaphore with value 1 as a lock between processes.
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(1)?;
    /// {
    ///     let _held = sem.lock()?;
    ///     assert!(sem.try_acquire().is_err());
    /// }
    /// sem.try_acquire()?;
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn lock(&self) -> Result<SemaphoreGuard<'_>> {
        self.acquire_guard(Timeout::Forever)
    }

    /// Increments the semaphore (`sem_post`), waking one waiter if any
    /// (posix_ipc's `release()`).
    ///
    /// At [`limits::semaphore_value_max`] it fails with
    /// [`LimitExceeded`](ErrorKind::LimitExceeded) and leaves the value
    /// unchanged (posix_ipc raises a bare `OSError [Errno 75]`). Allocates
    /// nothing unless it fails.
    ///
    /// ```
    /// use posix_ipc::{ErrorKind, Semaphore, limits};
    /// let sem = Semaphore::create_unique(limits::semaphore_value_max() - 1)?;
    /// sem.release()?;
    /// let e = sem.release().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    /// assert!(e.message().contains("SEM_VALUE_MAX"));
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[inline]
    pub fn release(&self) -> Result<()> {
        // SAFETY: `self.raw` is a live semaphore from sem_open.
        let rc = unsafe { sys::sem_post(self.raw.as_ptr()) };
        if rc == 0 { Ok(()) } else { Err(failed_post()) }
    }

    /// The current value (`sem_getvalue`; posix_ipc's `value`). Other
    /// processes may change it at any moment, so it is a snapshot.
    ///
    /// Absent where [`SEMAPHORE_VALUE_SUPPORTED`](crate::SEMAPHORE_VALUE_SUPPORTED)
    /// is false (macOS). POSIX lets a system report waiters as a negative
    /// value; Linux never does, so there a negative value means the
    /// semaphore's memory holds an impossible value (someone with write
    /// access to its file overwrote it) and is an
    /// [`Other`](ErrorKind::Other) error, never a made-up 0. Elsewhere a
    /// negative value is reported as 0 (taken, with waiters).
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(2)?;
    /// assert_eq!(sem.value()?, 2);
    /// sem.release()?;
    /// assert_eq!(sem.value()?, 3);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
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

    /// The semaphore's name (posix_ipc's `name`).
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// # let name = format!("/ipcrs-doc-{}-sem5", std::process::id());
    /// let sem = Semaphore::create_new(name.as_str(), 0)?;
    /// assert_eq!(sem.name().to_str(), Some(name.as_str()));
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The semaphore's permission bits (posix_ipc's `mode`).
    ///
    /// On Linux this is the real mode of the semaphore's file
    /// `/dev/shm/sem.<name>`, read when this handle was opened: after the
    /// umask for a semaphore this call created, and the creator's mode for one
    /// it opened (posix_ipc returns the constructor's `mode` argument in both
    /// cases). If the file was already unlinked when it was examined, and on
    /// other systems, it is the mode given to [`SemaphoreOptions::mode`].
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let sem = Semaphore::options().mode(0o640).create_unique()?;
    /// let other = Semaphore::options().mode(0o600).open(sem.name())?;
    /// assert_eq!(other.mode().bits(), 0o640); // the real mode, not the argument
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether the call that opened this handle created the semaphore (and
    /// so gave it its mode and initial value): always true for
    /// [`create_new`](Self::create_new) and
    /// [`create_unique`](Self::create_unique), false for [`open`](Self::open),
    /// and for an open-or-create ([`create`](Self::create),
    /// [`SemaphoreOptions::create`], `O_CREAT`) whichever happened. An
    /// open-or-create learns it by trying an exclusive create first and
    /// opening on `AlreadyExists`.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let first = Semaphore::create_unique(1)?.unlink_on_drop();
    /// let second = Semaphore::create(first.name(), 1)?;
    /// assert!(first.created() && !second.created());
    /// assert!(!Semaphore::open(first.name())?.created());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn created(&self) -> bool {
        self.created
    }

    /// Unlinks the semaphore's name (`sem_unlink`; posix_ipc's `unlink()`).
    ///
    /// The name becomes free at once (a new semaphore created under it is a
    /// different one); the semaphore itself lives on until every handle to it
    /// is closed, so this handle keeps working. Fails with
    /// [`NotFound`](ErrorKind::NotFound) if the name is already gone.
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(0)?;
    /// sem.unlink()?;
    /// sem.release()?; // still usable
    /// assert!(posix_ipc::Semaphore::open(sem.name()).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn unlink(&self) -> Result<()> {
        unlink_name(&self.name)
    }

    /// Closes the handle (`sem_close`) and returns the error, if any; dropping
    /// the handle does the same and ignores it. Does not unlink.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let sem = Semaphore::create_unique(1)?;
    /// let name = sem.name().clone();
    /// sem.close()?;
    /// let again = Semaphore::open(&name)?; // still exists
    /// again.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn close(self) -> Result<()> {
        self.raw.close()
    }

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the
    /// semaphore when it drops (and then closes it): the opt-in clean-up
    /// posix_ipc's issue #17 asked for. [`UnlinkOnDrop::into_inner`] disarms it.
    ///
    /// ```
    /// use posix_ipc::Semaphore;
    /// let name = {
    ///     let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    ///     sem.acquire(posix_ipc::Timeout::Immediate)?; // derefs to Semaphore
    ///     sem.name().clone()
    /// };
    /// assert!(Semaphore::open(&name).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
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

/// Unlinks the semaphore called `name` (`sem_unlink`; posix_ipc's module
/// function `unlink_semaphore`).
///
/// The name is validated first ([`InvalidInput`](ErrorKind::InvalidInput)
/// for a bad one); a name that does not exist is
/// [`NotFound`](ErrorKind::NotFound). Open handles keep working.
///
/// ```
/// use posix_ipc::{Semaphore, unlink_semaphore};
/// let sem = Semaphore::create_unique(0)?;
/// unlink_semaphore(sem.name())?;
/// assert_eq!(unlink_semaphore(sem.name()).unwrap_err().kind(), posix_ipc::ErrorKind::NotFound);
/// assert!(unlink_semaphore("/a\0b").unwrap_err().is_invalid_input());
/// # Ok::<(), posix_ipc::Error>(())
/// ```
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

/// Holds one unit of a [`Semaphore`] and releases it when dropped; made by
/// [`Semaphore::acquire_guard`] and [`Semaphore::lock`] (Python's `with sem:`).
///
/// It releases on drop, also during a panic's unwinding, but not when the
/// process dies (killed by a signal, `abort`, a panic with `panic = "abort"`,
/// `std::process::exit`): then the unit is lost for good, and other processes
/// waiting for it wait forever (see
/// [A holder that dies loses its unit](Semaphore#a-holder-that-dies-loses-its-unit);
/// System V semaphores with undo restore it).
///
/// ```
/// let sem = posix_ipc::Semaphore::create_unique(1)?;
/// let guard = sem.lock()?;
/// assert_eq!(sem.value()?, 0);
/// drop(guard);
/// assert_eq!(sem.value()?, 1);
/// sem.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
#[must_use = "dropping the guard releases the semaphore at once"]
pub struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
}

impl<'a> SemaphoreGuard<'a> {
    /// The semaphore this guard holds.
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(1)?;
    /// let guard = sem.lock()?;
    /// assert_eq!(guard.semaphore().name(), sem.name());
    /// # drop(guard);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn semaphore(&self) -> &'a Semaphore {
        self.sem
    }

    /// Releases now and returns the error, if any (dropping the guard
    /// releases too, ignoring errors).
    ///
    /// ```
    /// let sem = posix_ipc::Semaphore::create_unique(1)?;
    /// sem.lock()?.release()?;
    /// assert_eq!(sem.value()?, 1);
    /// sem.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
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
    fn options_validate_before_any_call() {
        let name = "/ipcrs-unit-never-created";
        let e = Semaphore::options()
            .create_new(true)
            .mode(0o10000)
            .open(name)
            .unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("above 0o777"),
            "{e}"
        );
        let e = Semaphore::options()
            .create(true)
            .initial_value(u32::MAX)
            .open(name)
            .unwrap_err();
        assert!(e.message().contains("SEM_VALUE_MAX"), "{e}");
        let e = Semaphore::options()
            .flags(crate::O_TRUNC)
            .open(name)
            .unwrap_err();
        assert!(e.message().contains("semaphore does not accept"), "{e}");
        let e = unlink_semaphore(name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

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

    #[test]
    fn handle_is_send_sync() {
        fn assert_traits<T: Send + Sync>() {}
        assert_traits::<Semaphore>();
        assert_traits::<SemaphoreGuard<'_>>();
    }
}
