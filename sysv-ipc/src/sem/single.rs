//! [`Semaphore`]: a System V semaphore set of one, with sysv_ipc's API.

use std::fmt;
use std::time::SystemTime;

use ipc_common::__private::options::OpenOptions;
use ipc_common::{IntoMode, Result, Timeout};

use super::{FLAGS, Handle, Init, SemCtl, SemaphoreGuard, SemaphoreStat};
use crate::ipc;
use crate::key::{self, Key};

/// A System V semaphore: a semaphore set of one member, member 0 (what
/// sysv_ipc's `Semaphore` is). For several semaphores under one key and atomic
/// batches, see [`SemaphoreSet`](crate::SemaphoreSet).
///
/// Open it by key ([`open`](Self::open), [`options`](Self::options)), by id
/// ([`from_id`](Self::from_id)), create it ([`create`](Self::create): open or
/// create; [`create_new`](Self::create_new): exclusively), or make one under a
/// fresh key ([`create_unique`](Self::create_unique)). Dropping the handle
/// never removes the semaphore; [`remove`](Self::remove) does (or the opt-in
/// [`RemoveOnDrop`](crate::RemoveOnDrop) guard of [`remove_on_drop`](Self::remove_on_drop)).
///
/// A `Semaphore` is `Send + Sync`: the kernel object is named by an integer id
/// and every operation is a single system call. The `undo` and `block`
/// settings belong to the handle, as in sysv_ipc.
///
/// # When a process dies
///
/// The kernel reverses the operations a process made with undo
/// ([`set_undo`](Self::set_undo), [`SemOp::undo`](crate::SemOp::undo)) when
/// it exits for any reason, `SIGKILL` included. Operations without undo stay:
/// a process killed between an acquire and its release, or while a
/// [`SemaphoreGuard`](crate::SemaphoreGuard) is alive (its `Drop` never runs
/// then), leaves the unit taken for good, and whoever waits for it waits
/// forever. Use undo for locks a crash must not leave held; its adjustments
/// belong to the process and the semaphore, and [`set_value`](Self::set_value)
/// clears them.
///
/// A handle whose semaphore was removed, and whose id the kernel gave to
/// another set, recognises it as [`SemaphoreSet`](crate::SemaphoreSet) does
/// (see [there](crate::SemaphoreSet#a-handle-whose-set-was-removed)): reads,
/// writes and `remove` fail with `Removed`, operations only when they fail.
///
/// ```
/// use sysv_ipc::{Semaphore, Timeout};
/// let sem = Semaphore::create_unique(1)?.remove_on_drop();
/// sem.acquire(1, Timeout::Forever)?;          // P
/// assert!(sem.acquire(1, Timeout::Immediate).unwrap_err().is_busy());
/// sem.release(1)?;                            // V
/// assert_eq!(sem.value()?, 1);
/// let other = Semaphore::open(sem.key())?;    // another handle, same semaphore
/// assert_eq!(other.id(), sem.id());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// # Creating and initialising without a race
///
/// `semget` creates a semaphore set and a separate call gives it its values,
/// so another process can open the set in between and see it uninitialised.
/// Here, the initial value is applied **only when the opening call created the
/// set** (sysv_ipc instead resets an existing semaphore's value on every
/// `IPC_CREAT`), and the creator finishes initialising with a `semop`, which
/// sets `o_time`. So a process that may race the creator follows W. Richard
/// Stevens' recipe: open (or fail to create) and wait until
/// [`Semaphore::operation_time`] is not `None`. A C or Python creator following the
/// same recipe (`IPC_CREX`, set the value, then one `semop` such as a
/// release) is waited for in the same way.
///
/// ```
/// use std::time::Duration;
/// use sysv_ipc::{ErrorKind, Key, Semaphore, Timeout};
///
/// fn open_initialised(key: Key) -> sysv_ipc::Result<Semaphore> {
///     match Semaphore::options().create_new(true).initial_value(1).open(key) {
///         Ok(sem) => Ok(sem), // created and initialised (o_time is set)
///         Err(e) if e.kind() == ErrorKind::AlreadyExists => {
///             let sem = Semaphore::open(key)?;
///             // The creator may still be between semget and its first semop.
///             while sem.operation_time()?.is_none() {
///                 std::thread::sleep(Duration::from_millis(1));
///             }
///             Ok(sem)
///         }
///         Err(e) => Err(e),
///     }
/// }
///
/// # let key = { let s = Semaphore::create_unique(0)?; let k = s.key(); s.remove()?; k };
/// let first = open_initialised(key)?.remove_on_drop();
/// let second = open_initialised(key)?;
/// assert!(first.created() && !second.created());
/// second.acquire(1, Timeout::Immediate)?;
/// assert_eq!(first.value()?, 0);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Semaphore {
    h: Handle,
}

/// Options for opening or creating a [`Semaphore`], like
/// [`std::fs::OpenOptions`]. Made by [`Semaphore::options`].
///
/// By default, `open` opens an existing semaphore and asks for mode `0o600`
/// (the kernel checks these bits against the semaphore's mode). The initial
/// value is applied only when the `open` call creates the semaphore: opening
/// an existing one never changes its value (sysv_ipc resets it on `IPC_CREAT`).
///
/// ```
/// use sysv_ipc::Semaphore;
/// let sem = Semaphore::options().mode(0o640).initial_value(3).create_unique()?.remove_on_drop();
/// assert!(sem.created());
/// sem.set_value(7)?;
/// let again = Semaphore::options().create(true).initial_value(3).open(sem.key())?;
/// assert!(!again.created());
/// assert_eq!(again.value()?, 7); // not reset
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemaphoreOptions {
    open: OpenOptions,
    initial_value: u16,
    undo: bool,
    block: bool,
    mark_initialised: bool,
}

impl Default for SemaphoreOptions {
    /// Same as [`SemaphoreOptions::new`].
    fn default() -> Self {
        SemaphoreOptions::new()
    }
}

impl SemaphoreOptions {
    /// Options that open an existing semaphore, asking for mode `0o600`;
    /// when creating: mode `0o600`, initial value 0. The same as
    /// [`Semaphore::options`].
    pub fn new() -> Self {
        SemaphoreOptions {
            open: OpenOptions::new(),
            initial_value: 0,
            undo: false,
            block: true,
            mark_initialised: true,
        }
    }

    /// Create the semaphore if no semaphore has the key (`IPC_CREAT`).
    pub fn create(&mut self, yes: bool) -> &mut Self {
        self.open.create(yes);
        self
    }

    /// Create a new semaphore and fail with
    /// [`AlreadyExists`](crate::ErrorKind::AlreadyExists) if one has the key
    /// (`IPC_CREAT | IPC_EXCL`). Wins over [`create`](Self::create), as in
    /// [`std::fs::OpenOptions`].
    pub fn create_new(&mut self, yes: bool) -> &mut Self {
        self.open.create_new(yes);
        self
    }

    /// The permission bits (`0o777` at most; default `0o600`): those of a new
    /// semaphore, and the access asked for when opening an existing one.
    /// Takes a `u32` or a [`Mode`](crate::Mode); bad bits fail at `open` with
    /// `InvalidInput`.
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// The value a semaphore created by this call starts with (default 0,
    /// at most [`SEMAPHORE_VALUE_MAX`](crate::SEMAPHORE_VALUE_MAX)). Ignored
    /// when the semaphore already exists.
    pub fn initial_value(&mut self, value: u16) -> &mut Self {
        self.initial_value = value;
        self
    }

    /// Sets creation from sysv_ipc-style flags (`0`, [`IPC_CREAT`](crate::IPC_CREAT)
    /// or [`IPC_CREX`](crate::IPC_CREX)), for line-by-line ports. They replace
    /// what [`create`](Self::create) and [`create_new`](Self::create_new) set,
    /// exactly as if those were called (so `.flags(IPC_CREAT).create(false)`
    /// only opens, as for every options type of both crates). `IPC_EXCL`
    /// without `IPC_CREAT`, or any other bit (such as permission bits, which
    /// sysv_ipc lets turn `0o1600` into `IPC_CREAT`), makes `open` fail with
    /// `InvalidInput`.
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        self.open.flags(flags, &FLAGS);
        self
    }

    /// With `true`, an open-or-create ([`create`](Self::create) without
    /// [`create_new`](Self::create_new)) also adopts an existing semaphore that
    /// another user owns or created (default `false`: such a semaphore is
    /// refused with [`ForeignOwner`](crate::ErrorKind::ForeignOwner), see
    /// [Security](crate#security)). Use it only for a key shared on purpose
    /// with a user you trust. Opening without `create` never checks the owner.
    pub fn allow_foreign_owner(&mut self, yes: bool) -> &mut Self {
        self.open.allow_foreign_owner(yes);
        self
    }

    /// The handle's `SEM_UNDO` setting from the start (default `false`): the
    /// same as calling `set_undo` on the handle `open` returns, and under the
    /// same rule (do not mix undo and plain operations on one semaphore; see
    /// [`Semaphore::set_undo`](crate::Semaphore::set_undo)).
    pub fn undo(&mut self, undo: bool) -> &mut Self {
        self.undo = undo;
        self
    }

    /// The handle's blocking setting from the start (default `true`; `false`
    /// is `IPC_NOWAIT` on every operation, sysv_ipc's `block = False`): the
    /// same as calling `set_block` on the handle `open` returns.
    pub fn block(&mut self, block: bool) -> &mut Self {
        self.block = block;
        self
    }

    /// With `false`, a semaphore this call creates gets its initial value
    /// (`SETVAL`) but not the `semop` that otherwise follows, so its
    /// [`operation_time`](Semaphore::operation_time) stays `None` until the
    /// first real operation, as with sysv_ipc (default `true`).
    ///
    /// The marking `semop` is what Stevens' recipe for the creation race
    /// relies on: a process that opens the semaphore waits until
    /// `operation_time` is set, which then means "initialised". Turn it off
    /// only when nobody uses that recipe on this key, or when the creator
    /// performs an operation itself once it has finished initialising.
    pub fn mark_initialised(&mut self, yes: bool) -> &mut Self {
        self.mark_initialised = yes;
        self
    }

    /// Opens (or creates) the semaphore with `key`. [`Key::PRIVATE`] always
    /// creates a new semaphore that only its id reaches.
    ///
    /// Errors: `NotFound` (no semaphore and no `create`), `AlreadyExists`
    /// (`create_new`), `ForeignOwner` (with `create`, the existing semaphore
    /// belongs to or was created by another user; nothing was changed),
    /// `PermissionDenied` (the semaphore's mode does not grant
    /// the requested mode), `InvalidInput` (mode, flags or initial value out of
    /// range; nothing is created), `LimitExceeded` (SEMMNI/SEMMNS reached).
    pub fn open(&self, key: impl Into<Key>) -> Result<Semaphore> {
        Handle::open(
            "semaphore",
            key.into(),
            &self.open,
            1,
            &Init::All(self.initial_value),
            self.mark_initialised,
        )
        .map(|h| Semaphore {
            h: h.with_settings(self.undo, self.block),
        })
    }

    /// Creates a new semaphore under a fresh random key from the OS random
    /// source, retrying on collisions (sysv_ipc's `key=None`). The creation
    /// settings are ignored (this always creates exclusively); invalid flags
    /// are still reported.
    pub fn create_unique(&self) -> Result<Semaphore> {
        self.open.check()?;
        let mut opts = self.clone();
        opts.open.create_new(true);
        key::with_unique_key("semget", |k| opts.open(k))
    }
}

impl Semaphore {
    /// Options for opening or creating a semaphore (see [`SemaphoreOptions`]).
    pub fn options() -> SemaphoreOptions {
        SemaphoreOptions::new()
    }

    /// Opens the existing semaphore with `key` (asking for mode `0o600`).
    pub fn open(key: impl Into<Key>) -> Result<Semaphore> {
        Semaphore::options().open(key)
    }

    /// Opens the semaphore with `key`, creating it (mode `0o600`) with
    /// `initial_value` if there is none (`IPC_CREAT`). The initial value
    /// applies only when this call created the semaphore
    /// ([`created`](Self::created) tells): an existing semaphore keeps its value
    /// (sysv_ipc resets it on every `IPC_CREAT`). An existing semaphore that
    /// another user owns or created is refused with
    /// [`ForeignOwner`](crate::ErrorKind::ForeignOwner) (see
    /// [Security](crate#security)).
    pub fn create(key: impl Into<Key>, initial_value: u16) -> Result<Semaphore> {
        Semaphore::options()
            .create(true)
            .initial_value(initial_value)
            .open(key)
    }

    /// Creates a new semaphore with `key` (exclusively, `IPC_CREX`, mode
    /// `0o600`) holding `initial_value`; `AlreadyExists` if the key is taken.
    pub fn create_new(key: impl Into<Key>, initial_value: u16) -> Result<Semaphore> {
        Semaphore::options()
            .create_new(true)
            .initial_value(initial_value)
            .open(key)
    }

    /// Creates a new semaphore (mode `0o600`) under a fresh random key.
    pub fn create_unique(initial_value: u16) -> Result<Semaphore> {
        Semaphore::options()
            .initial_value(initial_value)
            .create_unique()
    }

    /// A handle on the existing semaphore set with id `id` (checked with
    /// `IPC_STAT`; `NotFound` if there is none, as for every System V
    /// `from_id`). Member 0 is used.
    pub fn from_id(id: i32) -> Result<Semaphore> {
        Handle::from_id(id).map(|h| Semaphore { h })
    }

    /// Decrements the value by `delta` (1..=32767), waiting up to `timeout`
    /// while the value is below `delta` (sysv_ipc's `acquire`/`P`). With
    /// [`block`](Self::block) off it never waits.
    ///
    /// Errors: `InvalidInput` (delta 0 or above SEMVMX), `WouldBlock` (would
    /// wait and was asked not to: `Immediate`, or [`block`](Self::block)
    /// off), `TimedOut` (the timeout expired; errno `EAGAIN`, as Linux
    /// reports it), `Interrupted` (a signal handler ran,
    /// with or without `SA_RESTART`, or, on Linux, the process was stopped and
    /// continued; the wait is never resumed silently), `Removed` (the
    /// semaphore was removed before or during the wait), `PermissionDenied`,
    /// and on macOS and FreeBSD `Unsupported` for a non-zero `After` (no
    /// `semtimedop` there; see
    /// [`SEMAPHORE_TIMEOUT_SUPPORTED`](crate::SEMAPHORE_TIMEOUT_SUPPORTED)).
    #[doc(alias = "P")]
    pub fn acquire(&self, delta: u16, timeout: impl Into<Timeout>) -> Result<()> {
        self.h.acquire(0, delta, timeout.into())
    }

    /// Increments the value by `delta` (1..=32767); never waits (sysv_ipc's
    /// `release`/`V`). `LimitExceeded` if the value would pass SEMVMX (32767).
    #[doc(alias = "V")]
    pub fn release(&self, delta: u16) -> Result<()> {
        self.h.release(0, delta)
    }

    /// Waits up to `timeout` until the value is 0 (sysv_ipc's `Z`).
    #[doc(alias = "Z")]
    pub fn wait_zero(&self, timeout: impl Into<Timeout>) -> Result<()> {
        self.h.wait_zero(0, timeout.into())
    }

    /// Acquires `delta` like [`acquire`](Self::acquire) and returns a guard that
    /// releases it when dropped (sysv_ipc's `with sem:`).
    ///
    /// ```
    /// use sysv_ipc::{Semaphore, Timeout};
    /// let sem = Semaphore::create_unique(1)?.remove_on_drop();
    /// {
    ///     let _g = sem.acquire_guard(1, Timeout::Forever)?;
    ///     assert!(sem.acquire(1, Timeout::Immediate).is_err());
    /// }
    /// assert_eq!(sem.value()?, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn acquire_guard(
        &self,
        delta: u16,
        timeout: impl Into<Timeout>,
    ) -> Result<SemaphoreGuard<'_>> {
        self.h.acquire_guard(0, delta, timeout.into())
    }

    /// Whether this handle's operations use `SEM_UNDO` (default `false`;
    /// [`SemaphoreOptions::undo`] sets it when opening).
    pub fn undo(&self) -> bool {
        self.h.undo()
    }

    /// Turns `SEM_UNDO` on or off for this handle's operations: with it on, the
    /// kernel reverses this process's acquires and releases when it exits.
    /// Takes `&self`, so a handle shared in an `Arc` can change it; each
    /// operation reads the setting once.
    ///
    /// # Do not mix undo and plain operations
    ///
    /// The kernel keeps, per process and semaphore, the sum of that process's
    /// undo operations, and reverses exactly that sum when the process exits.
    /// An acquire made with undo and released without it (or the other way
    /// round) leaves the sum unbalanced, so the kernel "gives back" a unit
    /// that was already given back: a mutex at 1 ends up at 2 when the
    /// process exits, normally or not. Use undo for both halves (an
    /// [`acquire_guard`](Self::acquire_guard) releases with the undo setting
    /// it acquired with) or for neither.
    ///
    /// ```
    /// use sysv_ipc::{Semaphore, Timeout};
    /// let sem = Semaphore::options().undo(true).initial_value(1).create_unique()?.remove_on_drop(); // a mutex
    /// // Balanced: both halves with undo (the handle's setting), so the
    /// // kernel has nothing to reverse when this process exits.
    /// sem.acquire(1, Timeout::Forever)?;
    /// sem.release(1)?;
    /// // Balanced too: a guard releases with the setting it acquired with.
    /// drop(sem.acquire_guard(1, Timeout::Forever)?);
    /// // Unbalanced (don't): acquired with undo, released without it. The
    /// // value is 1 after the release, and 2 once this process exits.
    /// // sem.acquire(1, Timeout::Forever)?;
    /// // sem.set_undo(false);
    /// // sem.release(1)?;
    /// assert_eq!(sem.value()?, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_undo(&self, undo: bool) {
        self.h.set_undo(undo);
    }

    /// Whether acquire and wait-for-zero may wait (default `true`;
    /// [`SemaphoreOptions::block`] sets it when opening).
    pub fn block(&self) -> bool {
        self.h.block()
    }

    /// With `false`, acquire and wait-for-zero never wait, whatever the timeout
    /// (`IPC_NOWAIT`, as sysv_ipc's `block = False`). Takes `&self`, like
    /// [`set_undo`](Self::set_undo).
    pub fn set_block(&self, block: bool) {
        self.h.set_block(block);
    }

    /// The current value (`GETVAL`).
    pub fn value(&self) -> Result<u16> {
        self.h.value(0)
    }

    /// Sets the value (`SETVAL`, 0..=32767; `InvalidInput` above SEMVMX).
    /// Wakes waiters as appropriate and clears every process's undo adjustment.
    pub fn set_value(&self, value: u16) -> Result<()> {
        self.h.set_value(0, value)
    }

    /// The process that last operated on the semaphore (`GETPID`); Linux also
    /// counts `set_value`. `None` if no process has.
    pub fn last_pid(&self) -> Result<Option<libc::pid_t>> {
        self.h.last_pid(0)
    }

    /// How many processes (threads) wait for the value to rise (`GETNCNT`).
    pub fn waiting_for_nonzero(&self) -> Result<u32> {
        self.h.get(0, posix_ipc_sys::GETNCNT)
    }

    /// How many processes (threads) wait for the value to become 0 (`GETZCNT`).
    pub fn waiting_for_zero(&self) -> Result<u32> {
        self.h.get(0, posix_ipc_sys::GETZCNT)
    }

    /// Every `IPC_STAT` attribute in one call.
    pub fn stat(&self) -> Result<SemaphoreStat> {
        self.h.stat()
    }
}

ipc::sysv_object! {
    Semaphore, SemCtl, "semaphore", new = "sysv_ipc::Semaphore::create_unique(0)",
    id = h.id, key = h.key, created = h.created;
    stat {
        /// When an operation last succeeded on the semaphore set (`sem_otime`,
        /// 1-second resolution; sysv_ipc's `o_time`), `None` if none has. Sets
        /// created here get one when their creator has initialised them, which is
        /// what Stevens' recipe waits for (see
        /// [`Semaphore`](Semaphore#creating-and-initialising-without-a-race)).
        #[doc(alias = "o_time")]
        operation_time: Option<SystemTime>,
        /// When the semaphore was created or its permissions or value were last
        /// set (`sem_ctime`).
        change_time: SystemTime,
    }
    /// Removes the semaphore from the system (`IPC_RMID`). Waiters wake with
    /// `Removed`; later calls on any handle fail with `Removed`, and so does a
    /// second `remove`.
    ///
    /// ```
    /// let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    /// sem.remove()?;
    /// assert!(sem.remove().unwrap_err().is_existential());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    fn remove;
}

impl fmt::Debug for Semaphore {
    /// Like sysv_ipc's `repr`, plus the id and the handle's settings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("key", &format_args!("{}", self.h.key))
            .field("id", &self.h.id)
            .field("undo", &self.h.undo())
            .field("block", &self.h.block())
            .finish()
    }
}
