//! [`SemaphoreSet`]: N semaphores under one key, with atomic batches ([`SemOp`]).

use std::fmt;
use std::mem::MaybeUninit;

use std::time::SystemTime;

use ipc_common::__private::options::OpenOptions;
use ipc_common::{Error, IntoMode, Result, Timeout};
use posix_ipc_sys as sys;

use super::{
    FLAGS, Handle, Init, NOWAIT, SemCtl, SemaphoreGuard, SemaphoreStat, UNDO, check_delta,
    check_value,
};
use crate::ipc;
use crate::key::{self, Key};

/// A System V semaphore set: `len` semaphores under one key, operated on one
/// at a time or in atomic batches (what sysv_ipc users asked for in its issue
/// #18).
///
/// A batch ([`apply`](Self::apply)) is all-or-nothing: the kernel performs
/// every [`SemOp`] of it at once or, if any of them cannot proceed, none (and
/// waits, or fails with `WouldBlock`). That makes lock-ordering problems and
/// half-taken resources impossible, e.g. taking two locks at once, or a
/// single-writer/multi-reader lock (see [`SemOp`]).
///
/// Member indexes are `u16` and checked against the set's size (`InvalidInput`
/// when out of range). A `SemaphoreSet` is `Send + Sync`: the kernel object is
/// named by an integer id and every operation is a single system call.
///
/// Operations without undo ([`SemOp::undo`], [`set_undo`](Self::set_undo))
/// are not reversed when the process that made them dies, undo ones are: see
/// [`Semaphore`](crate::Semaphore#when-a-process-dies).
///
/// # A handle whose set was removed
///
/// A handle keeps the set's id, key and size. Once the set is removed, calls
/// fail with [`Removed`](crate::ErrorKind::Removed); but the kernel may give
/// the id to a new set later. The handle recognises a different set by its
/// key and its number of semaphores (one `IPC_STAT`), and then fails with
/// `Removed` saying that the id now belongs to another object:
///
/// - reads never return the other set's data: [`value`](Self::value),
///   [`last_pid`](Self::last_pid), `waiting_for_*` (checked after the call,
///   which costs them a second system call), [`values`](Self::values),
///   [`stat`](Self::stat) and every attribute getter;
/// - writes never touch the other set: [`set_value`](Self::set_value),
///   [`set_values`](Self::set_values), `set_mode`/`set_uid`/`set_gid`,
///   [`remove`](Self::remove) (and so [`RemoveOnDrop`](crate::RemoveOnDrop)) are checked before;
///   `remove` only when this user may read the set (`IPC_STAT`);
/// - [`acquire`](Self::acquire), [`release`](Self::release),
///   [`wait_zero`](Self::wait_zero) and [`apply`](Self::apply) are checked
///   when they fail the way a reused id makes them fail: an index beyond a
///   smaller set (`EFBIG`), or a timed wait that expired.
///
/// Not detected: a `semop` that succeeds on the new set, or fails at once
/// with `WouldBlock`, or waits with [`Timeout::Forever`] (checking every
/// operation would double its cost), a [`SemaphoreGuard`](crate::SemaphoreGuard)'s
/// release, and a new set with the same key and size, or, for private sets,
/// the same size: these are the handle's set by every measure it has.
///
/// ```
/// use sysv_ipc::{SemOp, SemaphoreSet, Timeout};
/// let set = SemaphoreSet::options().len(3).initial_values(&[1, 0, 5]).create_unique()?.remove_on_drop();
/// assert_eq!(set.values()?, [1, 0, 5]);
/// // Take member 0 and member 2 together, or neither.
/// set.apply(&[SemOp::acquire(0, 1), SemOp::acquire(2, 5)], Timeout::Immediate)?;
/// assert_eq!(set.values()?, [0, 0, 0]);
/// set.set_values(&[2, 2, 2])?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct SemaphoreSet {
    h: Handle,
}

/// One operation of a [`SemaphoreSet::apply`] batch: acquire (decrement),
/// release (increment) or wait-for-zero on one member, with optional
/// `IPC_NOWAIT` and `SEM_UNDO` (a `struct sembuf`).
///
/// Deltas and indexes are checked when the batch is applied (delta 1..=32767,
/// index below the set's size), before any system call.
///
/// ```
/// use sysv_ipc::{SemOp, SemaphoreSet, Timeout};
/// // A readers/writer lock: member 0 counts readers, member 1 is the writer flag.
/// let rw = SemaphoreSet::options().len(2).create_unique()?.remove_on_drop();
/// // Reader: wait until no writer, then register (atomically).
/// rw.apply(&[SemOp::wait_zero(1), SemOp::release(0, 1)], Timeout::Forever)?;
/// // A writer now cannot get in: it needs no readers and no writer.
/// let writer = [SemOp::wait_zero(0), SemOp::wait_zero(1), SemOp::release(1, 1)];
/// assert!(rw.apply(&writer, Timeout::Immediate).unwrap_err().is_busy());
/// rw.apply(&[SemOp::acquire(0, 1)], Timeout::Forever)?; // reader leaves
/// rw.apply(&writer, Timeout::Immediate)?;
/// assert_eq!(rw.values()?, [0, 1]);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemOp {
    index: u16,
    kind: Kind,
    delta: u16,
    flags: i16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Acquire,
    Release,
    WaitZero,
}

impl SemOp {
    /// Decrement member `index` by `delta`, waiting while its value is lower.
    pub const fn acquire(index: u16, delta: u16) -> SemOp {
        SemOp {
            index,
            kind: Kind::Acquire,
            delta,
            flags: 0,
        }
    }

    /// Increment member `index` by `delta` (never waits).
    pub const fn release(index: u16, delta: u16) -> SemOp {
        SemOp {
            index,
            kind: Kind::Release,
            delta,
            flags: 0,
        }
    }

    /// Wait until member `index` is 0.
    pub const fn wait_zero(index: u16) -> SemOp {
        SemOp {
            index,
            kind: Kind::WaitZero,
            delta: 0,
            flags: 0,
        }
    }

    /// With `IPC_NOWAIT`: if this operation cannot proceed, the whole batch
    /// fails with `WouldBlock` at once instead of waiting.
    pub const fn no_wait(mut self) -> SemOp {
        self.flags |= NOWAIT;
        self
    }

    /// With `SEM_UNDO`: the kernel reverses this operation when the process
    /// exits.
    ///
    /// # Do not mix undo and plain operations
    ///
    /// The kernel reverses the *sum* of a process's undo operations on a
    /// semaphore. An `acquire(..).undo()` balanced by a plain `release` (or a
    /// plain acquire by an undo release) leaves that sum non-zero, and the
    /// kernel applies it when the process exits, normally or killed: a mutex
    /// taken with undo and given back without it is at 2 afterwards. Put
    /// `.undo()` on both halves, or on neither.
    pub const fn undo(mut self) -> SemOp {
        self.flags |= UNDO;
        self
    }

    /// The member this operation works on.
    pub const fn index(&self) -> u16 {
        self.index
    }

    /// Whether [`undo`](Self::undo) was asked for.
    pub const fn is_undo(&self) -> bool {
        self.flags & UNDO != 0
    }

    /// The `sembuf` for a set of `len` members, with the handle's `flags` added.
    fn to_sembuf(self, len: u16, flags: i16) -> Result<sys::sembuf> {
        if self.index >= len {
            return Err(Error::invalid_input(
                "apply",
                format!(
                    "operation on member {} of a set of {len} semaphores (indexes 0..{len})",
                    self.index
                ),
            ));
        }
        let op = match self.kind {
            Kind::Acquire => -check_delta("apply", self.delta)?,
            Kind::Release => check_delta("apply", self.delta)?,
            Kind::WaitZero => 0,
        };
        Ok(super::sembuf(self.index, op, self.flags | flags))
    }
}

/// Options for opening or creating a [`SemaphoreSet`]. Made by
/// [`SemaphoreSet::options`].
///
/// As for [`SemaphoreOptions`](crate::SemaphoreOptions), the initial values are
/// applied only when the `open` call creates the set.
///
/// ```
/// use sysv_ipc::SemaphoreSet;
/// let set = SemaphoreSet::options().len(4).initial_value(1).create_unique()?.remove_on_drop();
/// assert_eq!(set.values()?, [1, 1, 1, 1]);
/// let same = SemaphoreSet::options().open(set.key())?; // any size
/// assert_eq!(same.len(), 4);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemaphoreSetOptions {
    open: OpenOptions,
    len: u16,
    init: Init,
    undo: bool,
    block: bool,
}

impl Default for SemaphoreSetOptions {
    /// Same as [`SemaphoreSetOptions::new`].
    fn default() -> Self {
        SemaphoreSetOptions::new()
    }
}

impl SemaphoreSetOptions {
    /// Options that open an existing set of any size, asking for mode
    /// `0o600`; when creating: mode `0o600`, every value 0 (the size must be
    /// given with [`len`](Self::len)). The same as [`SemaphoreSet::options`].
    pub fn new() -> Self {
        SemaphoreSetOptions {
            open: OpenOptions::new(),
            len: 0,
            init: Init::All(0),
            undo: false,
            block: true,
        }
    }

    /// Create the set if no set has the key (`IPC_CREAT`).
    pub fn create(&mut self, yes: bool) -> &mut Self {
        self.open.create(yes);
        self
    }

    /// Create a new set, failing with `AlreadyExists` if one has the key.
    /// Wins over [`create`](Self::create), as in [`std::fs::OpenOptions`].
    pub fn create_new(&mut self, yes: bool) -> &mut Self {
        self.open.create_new(yes);
        self
    }

    /// The permission bits (`0o777` at most; default `0o600`); a `u32` or a
    /// [`Mode`](crate::Mode).
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// sysv_ipc-style creation flags (`0`, `IPC_CREAT`, `IPC_CREX`), as
    /// [`SemaphoreOptions::flags`](crate::SemaphoreOptions::flags).
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        self.open.flags(flags, &FLAGS);
        self
    }

    /// The number of semaphores: required to create (1..=SEMMSL); when opening,
    /// the existing set must have at least this many (0, the default, accepts
    /// any size).
    pub fn len(&mut self, len: u16) -> &mut Self {
        self.len = len;
        self
    }

    /// The value every member of a set created by this call starts with
    /// (default 0).
    pub fn initial_value(&mut self, value: u16) -> &mut Self {
        self.init = Init::All(value);
        self
    }

    /// One starting value per member (the count must equal [`len`](Self::len)),
    /// for a set created by this call.
    pub fn initial_values(&mut self, values: &[u16]) -> &mut Self {
        self.init = Init::Each(values.to_vec());
        self
    }

    /// With `true`, an open-or-create also adopts an existing set that another
    /// user owns or created (default `false`: refused with
    /// [`ForeignOwner`](crate::ErrorKind::ForeignOwner)), as
    /// [`SemaphoreOptions::allow_foreign_owner`](crate::SemaphoreOptions::allow_foreign_owner).
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

    /// Opens (or creates) the set with `key`.
    ///
    /// Errors as [`SemaphoreOptions::open`](crate::SemaphoreOptions::open), and
    /// `InvalidInput` when creating without a `len`, with more members than
    /// SEMMSL, with the wrong number of initial values, or when the existing
    /// set has fewer members than `len`.
    pub fn open(&self, key: impl Into<Key>) -> Result<SemaphoreSet> {
        Handle::open(
            "semaphore set",
            key.into(),
            &self.open,
            self.len,
            &self.init,
            true,
        )
        .map(|h| SemaphoreSet {
            h: h.with_settings(self.undo, self.block),
        })
    }

    /// Creates a new set under a fresh random key (always exclusively).
    pub fn create_unique(&self) -> Result<SemaphoreSet> {
        self.open.check()?;
        let mut opts = self.clone();
        opts.open.create_new(true);
        key::with_unique_key("semget", |k| opts.open(k))
    }
}

impl SemaphoreSet {
    /// The most operations one [`apply`](Self::apply) call takes (Linux's
    /// default SEMOPM). The running kernel's SEMOPM may be lower (see
    /// [`semaphore_limits`](crate::limits::semaphore_limits)); then bigger batches fail
    /// with `InvalidInput` from the kernel.
    pub const MAX_BATCH: usize = 500;

    /// Options for opening or creating a set (see [`SemaphoreSetOptions`]).
    pub fn options() -> SemaphoreSetOptions {
        SemaphoreSetOptions::new()
    }

    /// Opens the existing set with `key`, whatever its size.
    pub fn open(key: impl Into<Key>) -> Result<SemaphoreSet> {
        SemaphoreSet::options().open(key)
    }

    /// A handle on the existing set with id `id` (checked with `IPC_STAT`;
    /// `NotFound` if there is none, as for every System V `from_id`).
    pub fn from_id(id: i32) -> Result<SemaphoreSet> {
        Handle::from_id(id).map(|h| SemaphoreSet { h })
    }

    /// The number of semaphores in the set (never 0).
    #[allow(clippy::len_without_is_empty)] // the kernel has no empty sets
    pub fn len(&self) -> usize {
        usize::from(self.h.len)
    }

    /// Performs every operation of `ops` atomically (one `semtimedop`): all or
    /// none. Waits up to `timeout` while any of them cannot proceed (unless it
    /// is [`no_wait`](SemOp::no_wait) or [`block`](Self::block) is off). The
    /// handle's [`undo`](Self::undo) setting is added to every operation.
    ///
    /// Allocates nothing: the batch is built on the stack (at most
    /// [`MAX_BATCH`](Self::MAX_BATCH) operations; an empty batch or a bigger
    /// one is `InvalidInput`, as is any bad index or delta). Other errors as
    /// [`Semaphore::acquire`](crate::Semaphore::acquire).
    ///
    /// ```
    /// use sysv_ipc::{SemOp, SemaphoreSet, Timeout};
    /// let set = SemaphoreSet::options().len(2).initial_values(&[1, 0]).create_unique()?.remove_on_drop();
    /// let both = [SemOp::acquire(0, 1), SemOp::acquire(1, 1)];
    /// assert!(set.apply(&both, Timeout::Immediate).unwrap_err().is_busy());
    /// assert_eq!(set.values()?, [1, 0]); // nothing was taken
    /// assert!(set.apply(&[SemOp::acquire(2, 1)], Timeout::Immediate).unwrap_err().is_invalid_input());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn apply(&self, ops: &[SemOp], timeout: impl Into<Timeout>) -> Result<()> {
        if ops.is_empty() || ops.len() > Self::MAX_BATCH {
            return Err(Error::invalid_input(
                "apply",
                format!(
                    "a batch of {} operations; give 1..={} (see also SEMOPM in /proc/sys/kernel/sem)",
                    ops.len(),
                    Self::MAX_BATCH
                ),
            ));
        }
        let flags = self.h.flags();
        let mut buf = [const { MaybeUninit::<sys::sembuf>::uninit() }; Self::MAX_BATCH];
        for (slot, op) in buf.iter_mut().zip(ops) {
            slot.write(op.to_sembuf(self.h.len, flags)?);
        }
        // SAFETY: the first ops.len() elements were initialised just above, and
        // MaybeUninit<sembuf> has the layout of sembuf.
        let raw = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast(), ops.len()) };
        self.h.semop(raw, timeout.into())
    }

    /// Decrements member `index` by `delta`, waiting up to `timeout`.
    #[doc(alias = "P")]
    pub fn acquire(&self, index: u16, delta: u16, timeout: impl Into<Timeout>) -> Result<()> {
        self.h.check_index("acquire", index)?;
        self.h.acquire(index, delta, timeout.into())
    }

    /// Increments member `index` by `delta` (never waits).
    #[doc(alias = "V")]
    pub fn release(&self, index: u16, delta: u16) -> Result<()> {
        self.h.check_index("release", index)?;
        self.h.release(index, delta)
    }

    /// Waits up to `timeout` until member `index` is 0.
    #[doc(alias = "Z")]
    pub fn wait_zero(&self, index: u16, timeout: impl Into<Timeout>) -> Result<()> {
        self.h.check_index("wait_zero", index)?;
        self.h.wait_zero(index, timeout.into())
    }

    /// Acquires `delta` of member `index` and returns a guard that releases it
    /// when dropped.
    pub fn acquire_guard(
        &self,
        index: u16,
        delta: u16,
        timeout: impl Into<Timeout>,
    ) -> Result<SemaphoreGuard<'_>> {
        self.h.check_index("acquire_guard", index)?;
        self.h.acquire_guard(index, delta, timeout.into())
    }

    /// Whether this handle adds `SEM_UNDO` to its operations (default `false`;
    /// [`SemaphoreSetOptions::undo`] sets it when opening).
    pub fn undo(&self) -> bool {
        self.h.undo()
    }

    /// Adds `SEM_UNDO` to every operation through this handle (or stops).
    /// Takes `&self`, so a set shared in an `Arc` can change it; each
    /// operation reads the setting once. Do not mix undo and plain
    /// operations on one semaphore: see the pitfall on
    /// [`SemOp::undo`] and [`Semaphore::set_undo`](crate::Semaphore::set_undo).
    pub fn set_undo(&self, undo: bool) {
        self.h.set_undo(undo);
    }

    /// Whether operations through this handle may wait (default `true`).
    pub fn block(&self) -> bool {
        self.h.block()
    }

    /// With `false`, no operation through this handle waits (`IPC_NOWAIT`).
    /// Takes `&self`, like [`set_undo`](Self::set_undo).
    pub fn set_block(&self, block: bool) {
        self.h.set_block(block);
    }

    /// The value of member `index` (`GETVAL`).
    pub fn value(&self, index: u16) -> Result<u16> {
        self.h.check_index("value", index)?;
        self.h.value(index)
    }

    /// Sets member `index` to `value` (`SETVAL`, 0..=32767).
    pub fn set_value(&self, index: u16, value: u16) -> Result<()> {
        self.h.check_index("set_value", index)?;
        self.h.set_value(index, value)
    }

    /// Every member's value, read atomically (`GETALL`).
    pub fn values(&self) -> Result<Vec<u16>> {
        let mut v = vec![0; self.len()];
        self.values_into(&mut v)?;
        Ok(v)
    }

    /// Every member's value, read atomically (`GETALL`) into `out`, whose
    /// length must equal [`len`](Self::len).
    pub fn values_into(&self, out: &mut [u16]) -> Result<()> {
        self.check_all_len("values_into", out.len())?;
        self.h.values_into(out)
    }

    /// Sets every member's value atomically (`SETALL`); `values` must have
    /// [`len`](Self::len) entries, each at most 32767.
    pub fn set_values(&self, values: &[u16]) -> Result<()> {
        self.check_all_len("set_values", values.len())?;
        for &v in values {
            check_value("set_values", v)?;
        }
        self.h.set_values(values)
    }

    fn check_all_len(&self, op: &'static str, n: usize) -> Result<()> {
        if n != self.len() {
            return Err(Error::invalid_input(
                op,
                format!(
                    "{n} values for a set of {} semaphores; give exactly one per member",
                    self.len()
                ),
            ));
        }
        Ok(())
    }

    /// The process that last operated on member `index` (`GETPID`), `None`
    /// if none has.
    pub fn last_pid(&self, index: u16) -> Result<Option<libc::pid_t>> {
        self.h.check_index("last_pid", index)?;
        self.h.last_pid(index)
    }

    /// How many waiters wait for member `index` to rise (`GETNCNT`).
    pub fn waiting_for_nonzero(&self, index: u16) -> Result<u32> {
        self.h.check_index("waiting_for_nonzero", index)?;
        self.h.get(index, sys::GETNCNT)
    }

    /// How many waiters wait for member `index` to become 0 (`GETZCNT`).
    pub fn waiting_for_zero(&self, index: u16) -> Result<u32> {
        self.h.check_index("waiting_for_zero", index)?;
        self.h.get(index, sys::GETZCNT)
    }

    /// Every `IPC_STAT` attribute (key, owner, creator, mode, size, times).
    pub fn stat(&self) -> Result<SemaphoreStat> {
        self.h.stat()
    }
}

ipc::sysv_object! {
    SemaphoreSet, SemCtl, "semaphore set",
    new = "sysv_ipc::SemaphoreSet::options().len(2).create_unique()",
    id = h.id, key = h.key, created = h.created;
    stat {
        /// When an operation last succeeded on the set (`sem_otime`), `None` if
        /// none has (sets created here are touched once by their creator).
        #[doc(alias = "o_time")]
        operation_time: Option<SystemTime>,
        /// When the set was created or its permissions or values were last set
        /// (`sem_ctime`).
        change_time: SystemTime,
    }
    /// Removes the set from the system (`IPC_RMID`); waiters wake with
    /// `Removed`, and later calls on any handle fail with `Removed`.
    fn remove;
}

impl fmt::Debug for SemaphoreSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreSet")
            .field("key", &format_args!("{}", self.h.key))
            .field("id", &self.h.id)
            .field("len", &self.h.len)
            .field("undo", &self.h.undo())
            .field("block", &self.h.block())
            .finish()
    }
}
