//! System V semaphores: [`Semaphore`] (a set of one, like sysv_ipc's) and
//! [`SemaphoreSet`] (N semaphores under one key with atomic multi-operation
//! batches), plus what both share: opening, `semtimedop`, `semctl` and the
//! error messages that go with them.

use ipc_common::__private::TimeoutSpec;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::{Error, ErrorKind, Permissions, Result, Timeout};
use posix_ipc_sys as sys;

use crate::ipc::{self, Control, Creation, IPC_CREAT, IPC_CREX};
use crate::key::{self, Key};
use ipc_common::__private::page_size;

mod set;
mod single;

pub use set::{SemOp, SemaphoreSet, SemaphoreSetOptions};
pub use single::{Semaphore, SemaphoreOptions};

/// The largest value a System V semaphore can hold: the kernel's `SEMVMX`,
/// 32767 on Linux (sysv_ipc's `SEMAPHORE_VALUE_MAX`).
///
/// Values and deltas above it are refused with
/// [`InvalidInput`](ErrorKind::InvalidInput) before any system call; a release
/// that would take a value above it fails with
/// [`LimitExceeded`](ErrorKind::LimitExceeded) (`ERANGE`).
pub const SEMAPHORE_VALUE_MAX: u16 = 32767;

/// True where `semtimedop` exists (Linux), so a semaphore wait honours
/// [`Timeout::After`] (sysv_ipc's Linux wheels were built without it and
/// silently wait forever).
///
/// False on macOS and FreeBSD, which have no `semtimedop` (sysv_ipc's own
/// flag is false there too). There `Timeout::Forever` and
/// `Timeout::Immediate` work as everywhere (`semop`, with `IPC_NOWAIT` for
/// `Immediate`), and a non-zero `Timeout::After` fails with
/// [`Unsupported`](ErrorKind::Unsupported) before any call, instead of
/// waiting forever as sysv_ipc does.
pub const SEMAPHORE_TIMEOUT_SUPPORTED: bool = cfg!(target_os = "linux");

/// `IPC_NOWAIT` and `SEM_UNDO` as `sembuf.sem_flg` bits (both fit an `i16`).
const NOWAIT: i16 = flag_bits(sys::IPC_NOWAIT);
const UNDO: i16 = flag_bits(sys::SEM_UNDO);

#[allow(clippy::cast_possible_truncation)]
const fn flag_bits(bits: i32) -> i16 {
    assert!(bits > 0 && bits <= i16::MAX as i32);
    bits as i16
}

/// The `semctl` side of semaphore sets, for the shared control calls.
pub(crate) struct SemCtl;

impl Control for SemCtl {
    type Ds = sys::semid_ds;
    const WHAT: &'static str = "semaphore set";
    const OP: &'static str = "semctl";
    const GET: &'static str = "semget";

    unsafe fn ctl(id: i32, cmd: libc::c_int, buf: *mut sys::semid_ds) -> libc::c_int {
        // SAFETY: the caller guarantees `buf` is valid for `cmd` (or null for IPC_RMID).
        unsafe { sys::semctl_buf(id, 0, cmd, buf) }
    }

    fn perm(ds: &sys::semid_ds) -> &sys::ipc_perm {
        &ds.sem_perm
    }

    fn perm_mut(ds: &mut sys::semid_ds) -> &mut sys::ipc_perm {
        &mut ds.sem_perm
    }
}

/// Removes the semaphore (or semaphore set) with id `id` from the system
/// (`semctl(id, 0, IPC_RMID)`), like sysv_ipc's `remove_semaphore`. Processes
/// waiting on it wake up with [`ErrorKind::Removed`].
///
/// Fails with `NotFound` when no set has this id (as every call that takes an
/// id does), and with `PermissionDenied` unless the caller owns or created
/// the set or is privileged.
pub fn remove_semaphore(id: i32) -> Result<()> {
    ipc::remove::<SemCtl>(id).map_err(|e| ipc::by_id::<SemCtl>(id, e))
}

/// Every `IPC_STAT` attribute of a semaphore set, read in one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemaphoreStat {
    /// The key the set was created with ([`Key::PRIVATE`] for private sets).
    pub key: Key,
    /// Owner, creator and permission bits (`sem_perm`).
    pub permissions: Permissions,
    /// Number of semaphores in the set (`sem_nsems`).
    pub len: usize,
    /// Time of the last successful `semop` (`sem_otime`; sysv_ipc's
    /// `o_time`), `None` if there was none.
    pub operation_time: Option<SystemTime>,
    /// Time of creation or of the last `IPC_SET`/`SETVAL`/`SETALL` (`sem_ctime`).
    pub change_time: SystemTime,
}

impl From<&sys::semid_ds> for SemaphoreStat {
    // `sem_nsems` is an `unsigned long` on glibc, an `unsigned short` on musl.
    #[allow(clippy::unnecessary_fallible_conversions)]
    fn from(ds: &sys::semid_ds) -> SemaphoreStat {
        SemaphoreStat {
            key: ipc::key_of(SemCtl::perm(ds)),
            permissions: ipc::permissions(SemCtl::perm(ds)),
            len: usize::try_from(ds.sem_nsems).unwrap_or(usize::MAX),
            operation_time: ipc::time(ds.sem_otime),
            change_time: ipc::change_time(ds.sem_ctime),
        }
    }
}

/// Checks an acquire/release delta: 1..=SEMVMX, never wrapped.
fn check_delta(op: &'static str, delta: u16) -> Result<i16> {
    if delta == 0 || delta > SEMAPHORE_VALUE_MAX {
        return Err(Error::invalid_input(
            op,
            format!(
                "delta {delta} is outside 1..={SEMAPHORE_VALUE_MAX} (SEMVMX); \
                 a semaphore moves by at least 1 and at most SEMVMX"
            ),
        ));
    }
    Ok(i16::try_from(delta).expect("checked against SEMVMX"))
}

/// Checks a value for SETVAL/SETALL/initialisation: 0..=SEMVMX.
fn check_value(op: &'static str, value: u16) -> Result<()> {
    if value > SEMAPHORE_VALUE_MAX {
        return Err(Error::invalid_input(
            op,
            format!(
                "value {value} is outside 0..={SEMAPHORE_VALUE_MAX}; a semaphore's value \
                 must remain between 0 and SEMVMX (32767)"
            ),
        ));
    }
    Ok(())
}

/// One `sembuf`.
fn sembuf(num: u16, op: i16, flags: i16) -> sys::sembuf {
    sys::sembuf {
        sem_num: num,
        sem_op: op,
        sem_flg: flags,
    }
}

/// What `flags()` accepts for semaphores and semaphore sets.
const FLAGS: FlagBits = ipc::flag_bits(0, "semaphore");

/// An open semaphore set: what [`Semaphore`] and [`SemaphoreSet`] share.
///
/// `undo` and `block` are the handle's settings (sysv_ipc's attributes),
/// changed through `&self` so that a handle shared in an `Arc` can change
/// them; each operation reads them once.
#[derive(Debug)]
struct Handle {
    key: Key,
    id: i32,
    len: u16,
    created: bool,
    undo: AtomicBool,
    block: AtomicBool,
}

/// The initial values for a set this call creates: one for every member, or
/// one each.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Init {
    All(u16),
    Each(Vec<u16>),
}

impl Handle {
    fn new(key: Key, id: i32, len: u16, created: bool) -> Handle {
        Handle {
            key,
            id,
            len,
            created,
            undo: AtomicBool::new(false),
            block: AtomicBool::new(true),
        }
    }

    /// Applies the options-level `undo` and `block` to a handle just opened.
    fn with_settings(self, undo: bool, block: bool) -> Handle {
        self.set_undo(undo);
        self.set_block(block);
        self
    }

    fn undo(&self) -> bool {
        self.undo.load(Ordering::Relaxed)
    }

    fn set_undo(&self, undo: bool) {
        self.undo.store(undo, Ordering::Relaxed);
    }

    fn block(&self) -> bool {
        self.block.load(Ordering::Relaxed)
    }

    fn set_block(&self, block: bool) {
        self.block.store(block, Ordering::Relaxed);
    }

    /// Opens or creates the set with `key` of `len` semaphores (0: any size,
    /// only when opening), initialising it when this call created it.
    fn open(
        what: &'static str,
        key: Key,
        opts: &OpenOptions,
        len: u16,
        init: &Init,
        mark_initialised: bool,
    ) -> Result<Handle> {
        let mode = ipc::options_mode(opts, what)?;
        let creation = Creation::of(opts);
        let creating = creation.create || key.is_private();
        if creating && len == 0 {
            return Err(Error::invalid_input(
                "semget",
                "a new semaphore set needs at least one semaphore; give len(1..=SEMMSL)",
            ));
        }
        match init {
            Init::All(v) => check_value("initial_value", *v)?,
            Init::Each(values) => {
                if values.len() != usize::from(len) {
                    return Err(Error::invalid_input(
                        "initial_values",
                        format!(
                            "{} initial values were given for a set of {len}; give one per semaphore",
                            values.len()
                        ),
                    ));
                }
                for &v in values.iter() {
                    check_value("initial_values", v)?;
                }
            }
        }
        let (id, created) = if key.is_private() {
            (semget(what, key, len, IPC_CREAT | mode)?, true)
        } else if creation.create && !creation.exclusive {
            ipc::create_or_open::<SemCtl>(
                what,
                key,
                opts.allows_foreign_owner(),
                || semget(what, key, len, IPC_CREX | mode),
                || semget(what, key, len, mode),
            )?
        } else {
            let flags = creation.flags() | mode;
            (semget(what, key, len, flags)?, creation.create)
        };
        let len = if created {
            initialise(id, key, len, init, mark_initialised).inspect_err(|_| {
                // Do not leak the set this call made (sysv_ipc does).
                let _ = ipc::remove::<SemCtl>(id);
            })?;
            len
        } else {
            stat_len(id)?
        };
        Ok(Handle::new(key, id, len, created))
    }

    /// A handle on the existing set with id `id` (checked with `IPC_STAT`).
    fn from_id(id: i32) -> Result<Handle> {
        let ds = ipc::stat_by_id::<SemCtl>(id)?;
        Ok(Handle::new(
            ipc::key_of(&ds.sem_perm),
            id,
            nsems_of(&ds)?,
            false,
        ))
    }

    /// The `sem_flg` bits of the handle's settings, read once per operation.
    #[inline]
    fn flags(&self) -> i16 {
        let mut flags = 0;
        if self.undo() {
            flags |= UNDO;
        }
        if !self.block() {
            flags |= NOWAIT;
        }
        flags
    }

    fn check_index(&self, op: &'static str, index: u16) -> Result<()> {
        if index >= self.len {
            return Err(Error::invalid_input(
                op,
                format!(
                    "index {index} is out of range for a set of {} semaphores (0..{})",
                    self.len, self.len
                ),
            ));
        }
        Ok(())
    }

    /// The error for a handle whose id now names another set, if `IPC_STAT`
    /// shows one: another key, or another number of semaphores. `None` when
    /// the set at the id looks like this handle's, and when it cannot be
    /// examined (removed: the caller's own call reports that; unreadable by
    /// this user: not detectable). One `IPC_STAT`; never on a success path of
    /// `semop`.
    fn reused(&self, op: &'static str) -> Option<Error> {
        let ds = ipc::stat::<SemCtl>(self.id).ok()?;
        if let Err(e) = ipc::check_key::<SemCtl>(self.id, self.key, &ds) {
            return Some(e);
        }
        (!has_len(&ds, usize::from(self.len))).then(|| {
            let found = format!("it has {} semaphores, not {}", ds.sem_nsems, self.len);
            ipc::reused::<SemCtl>(op, self.id, &found)
        })
    }

    /// `semop` on this handle's set. On the errors a reused id causes (an
    /// index beyond a smaller set: `EFBIG`; a timed wait that expired, on a
    /// set nobody releases any more) the set's identity is checked, so the
    /// error says `Removed` then; successful and immediate calls cost no
    /// extra system call.
    fn semop(&self, ops: &mut [sys::sembuf], timeout: Timeout) -> Result<()> {
        semop(self.id, ops, timeout).map_err(|e| {
            let suspicious = e.raw_os_error() == Some(libc::EFBIG)
                || (e.kind() == ErrorKind::TimedOut && matches!(timeout, Timeout::After(_)));
            if suspicious && let Some(reused) = self.reused("semtimedop") {
                return reused;
            }
            e
        })
    }

    fn acquire(&self, index: u16, delta: u16, timeout: Timeout) -> Result<()> {
        let delta = check_delta("acquire", delta)?;
        self.semop(&mut [sembuf(index, -delta, self.flags())], timeout)
    }

    fn release(&self, index: u16, delta: u16) -> Result<()> {
        let delta = check_delta("release", delta)?;
        self.semop(
            &mut [sembuf(index, delta, self.flags() | NOWAIT)],
            Timeout::Forever,
        )
    }

    fn wait_zero(&self, index: u16, timeout: Timeout) -> Result<()> {
        self.semop(&mut [sembuf(index, 0, self.flags())], timeout)
    }

    fn acquire_guard(
        &self,
        index: u16,
        delta: u16,
        timeout: Timeout,
    ) -> Result<SemaphoreGuard<'_>> {
        let delta = check_delta("acquire", delta)?;
        // Read once: the release must undo exactly what the acquire did,
        // whatever set_undo another thread calls in between.
        let flags = self.flags();
        self.semop(&mut [sembuf(index, -delta, flags)], timeout)?;
        Ok(SemaphoreGuard {
            id: self.id,
            op: sembuf(index, delta, (flags & UNDO) | NOWAIT),
            _handle: PhantomData,
        })
    }

    /// `semctl(id, index, cmd)` for GETVAL, GETPID, GETNCNT, GETZCNT, then a
    /// check that the id still names this handle's set: a set that was ours
    /// after the call was ours during it (ids never come back to a removed
    /// set), so the answer is never another set's.
    fn get(&self, index: u16, cmd: libc::c_int) -> Result<u32> {
        // SAFETY: these commands take no fourth argument.
        let rc = unsafe { sys::semctl(self.id, libc::c_int::from(index), cmd) };
        let v = ipc_common::__private::check("semctl", rc).map_err(|e| {
            self.reused("semctl")
                .unwrap_or_else(|| ctl_error(self.id, cmd, e))
        })?;
        if let Some(e) = self.reused("semctl") {
            return Err(e);
        }
        u32::try_from(v).map_err(|_| unexpected("semctl", v))
    }

    fn value(&self, index: u16) -> Result<u16> {
        let v = self.get(index, sys::GETVAL)?;
        u16::try_from(v).map_err(|_| unexpected("semctl", v))
    }

    fn set_value(&self, index: u16, value: u16) -> Result<()> {
        check_value("set_value", value)?;
        // Never write into another set that took over the id.
        if let Some(e) = self.reused("semctl") {
            return Err(e);
        }
        set_val(self.id, index, value)
    }

    fn last_pid(&self, index: u16) -> Result<Option<libc::pid_t>> {
        let pid = self.get(index, sys::GETPID)?;
        Ok(ipc::pid(libc::pid_t::try_from(pid).unwrap_or(0)))
    }

    /// `IPC_STAT`, failing with `Removed` when the id names another set.
    fn stat_ds(&self) -> Result<sys::semid_ds> {
        let ds = ipc::stat_checked::<SemCtl>(self.id, self.key)?;
        if !has_len(&ds, usize::from(self.len)) {
            let found = format!("it has {} semaphores, not {}", ds.sem_nsems, self.len);
            return Err(ipc::reused::<SemCtl>("semctl", self.id, &found));
        }
        Ok(ds)
    }

    fn stat(&self) -> Result<SemaphoreStat> {
        Ok(SemaphoreStat::from(&self.stat_ds()?))
    }

    fn values_into(&self, out: &mut [u16]) -> Result<()> {
        get_all(self.id, self.key, out)
    }

    fn set_values(&self, values: &[u16]) -> Result<()> {
        set_all(self.id, self.key, values)
    }
}

/// The error for a value the kernel should never return.
fn unexpected(op: &'static str, v: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Other,
        op,
        format!("the system returned {v}, outside the range it documents"),
    )
}

/// `semget`, with messages that name the key.
fn semget(what: &'static str, key: Key, len: u16, flags: libc::c_int) -> Result<i32> {
    // SAFETY: semget has no memory-safety preconditions.
    let id = unsafe { sys::semget(key.as_raw(), libc::c_int::from(len), flags) };
    ipc_common::__private::check("semget", id).map_err(|e| match e.raw_os_error() {
        Some(libc::EINVAL) => {
            let msg = if flags & IPC_CREAT != 0 {
                format!(
                    "cannot make a {what} of {len} semaphores with key {key}: either more than \
                     SEMMSL (see /proc/sys/kernel/sem), or a set with this key exists with \
                     fewer semaphores"
                )
            } else {
                format!("the {what} with key {key} has fewer than the {len} semaphores asked for")
            };
            e.with_message(msg)
        }
        Some(libc::ENOSPC) => key::get_error(
            what,
            key,
            e.with_message(
                "SEMMNI (sets) or SEMMNS (semaphores) of /proc/sys/kernel/sem is reached",
            ),
        ),
        _ => key::get_error(what, key, e),
    })
}

// `sem_nsems` is an `unsigned long` on glibc, an `unsigned short` on musl.
#[allow(clippy::useless_conversion)]
fn nsems_of(ds: &sys::semid_ds) -> Result<u16> {
    u16::try_from(ds.sem_nsems).map_err(|_| {
        Error::invalid_input(
            "semctl",
            format!(
                "the set has {} semaphores; sets above 65535 cannot be addressed by semop",
                ds.sem_nsems
            ),
        )
    })
}

fn stat_len(id: i32) -> Result<u16> {
    nsems_of(&ipc::stat::<SemCtl>(id)?)
}

/// Gives a set this call created its values, then (with `mark`) performs one
/// `semop` that leaves every value as it is (a release-and-acquire of a
/// member that is 0, or an acquire-and-release of member 0) so that `o_time`
/// marks the set as initialised for Stevens' recipe. Both need only the
/// alter (write) permission that setting the values needs: a wait-for-zero
/// would need read permission, which a creator's mode such as `0o200` denies.
fn initialise(id: i32, key: Key, len: u16, init: &Init, mark: bool) -> Result<()> {
    let zero_at = match init {
        Init::All(0) => Some(0),
        &Init::All(v) => {
            if len == 1 {
                set_val(id, 0, v)?;
            } else {
                set_all(id, key, &vec![v; usize::from(len)])?;
            }
            None
        }
        Init::Each(values) => {
            if values.iter().any(|&v| v != 0) {
                set_all(id, key, values)?;
            }
            values.iter().position(|&v| v == 0)
        }
    };
    if mark {
        mark_initialised(id, zero_at)?;
    }
    Ok(())
}

/// The `semop` that sets a new set's `o_time` without changing a value: a
/// release-and-acquire of the member `zero_at` (which is 0, so the release
/// cannot overflow), else an acquire-and-release of member 0 (which is not 0).
fn mark_initialised(id: i32, zero_at: Option<usize>) -> Result<()> {
    let mut touch_zero;
    let mut touch_one;
    let ops: &mut [sys::sembuf] = match zero_at {
        Some(i) => {
            let i = u16::try_from(i).expect("index below len");
            touch_zero = [sembuf(i, 1, NOWAIT), sembuf(i, -1, NOWAIT)];
            &mut touch_zero
        }
        None => {
            touch_one = [sembuf(0, -1, NOWAIT), sembuf(0, 1, NOWAIT)];
            &mut touch_one
        }
    };
    match semop(id, ops, Timeout::Immediate) {
        // Someone took member 0 since it was set, which set o_time.
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(()),
        other => other,
    }
}

/// `SETVAL` of member `index` of set `id` (`value` checked by the caller).
fn set_val(id: i32, index: u16, value: u16) -> Result<()> {
    // SAFETY: SETVAL takes an int as its union semun argument.
    let rc = unsafe {
        sys::semctl_val(
            id,
            libc::c_int::from(index),
            sys::SETVAL,
            libc::c_int::from(value),
        )
    };
    ipc_common::__private::check("semctl", rc).map_err(|e| ctl_error(id, sys::SETVAL, e))?;
    Ok(())
}

/// `SETALL` on the set opened as `id` under `key` (`values` must be checked
/// against SEMVMX by the caller).
fn set_all(id: i32, key: Key, values: &[u16]) -> Result<()> {
    // Another set under a reused id must not take our values (a smaller one
    // would take only part of them).
    check_same_set(id, key, values.len())?;
    let mut buf = GuardedBuf::new(values.len())?;
    buf.as_mut_slice().copy_from_slice(values);
    // SAFETY: `buf` holds values.len() u16s followed by an inaccessible page, so
    // even a set that replaced ours under the same id and is larger cannot make
    // the kernel read past our data (it fails with EFAULT instead).
    let rc = unsafe { sys::semctl_array(id, 0, sys::SETALL, buf.as_mut_ptr()) };
    ipc_common::__private::check("semctl", rc).map_err(|e| array_error(id, sys::SETALL, e))?;
    Ok(())
}

/// `GETALL` of the set opened as `id` under `key` into `out` (`out.len()` is
/// the set's size as known to the handle).
fn get_all(id: i32, key: Key, out: &mut [u16]) -> Result<()> {
    let mut buf = GuardedBuf::new(out.len())?;
    // SAFETY: as in set_all: a larger set under a reused id makes the kernel
    // fault on the guard page (EFAULT) instead of writing past `buf`.
    let rc = unsafe { sys::semctl_array(id, 0, sys::GETALL, buf.as_mut_ptr()) };
    ipc_common::__private::check("semctl", rc).map_err(|e| array_error(id, sys::GETALL, e))?;
    // Another set under a reused id (a smaller one would leave the tail as
    // zeros): checked after the call, so the values read were ours.
    check_same_set(id, key, out.len())?;
    out.copy_from_slice(buf.as_mut_slice());
    Ok(())
}

/// Fails with `Removed` unless the set at `id` has `key` and `len`
/// semaphores: another key or size there means ours was removed and its id
/// reused.
fn check_same_set(id: i32, key: Key, len: usize) -> Result<()> {
    let ds = ipc::stat_checked::<SemCtl>(id, key)?;
    let nsems = ds.sem_nsems;
    if has_len(&ds, len) {
        return Ok(());
    }
    let found = format!("it has {nsems} semaphores, not {len}");
    Err(ipc::reused::<SemCtl>("semctl", id, &found))
}

/// Whether the set `ds` describes has `len` semaphores (`sem_nsems` is an
/// `unsigned long` on glibc, narrower elsewhere).
#[allow(clippy::unnecessary_fallible_conversions)]
fn has_len(ds: &sys::semid_ds, len: usize) -> bool {
    usize::try_from(ds.sem_nsems).is_ok_and(|nsems| nsems == len)
}

fn array_error(id: i32, cmd: libc::c_int, e: Error) -> Error {
    if e.raw_os_error() == Some(libc::EFAULT) {
        let reused = ipc::reused::<SemCtl>("semctl", id, "it has more semaphores");
        return e
            .with_kind(ErrorKind::Removed)
            .with_message(reused.message().to_owned());
    }
    ctl_error(id, cmd, e)
}

/// A page-aligned anonymous mapping holding `len` `u16`s that end exactly where
/// an inaccessible guard page begins, for `GETALL`/`SETALL`: the kernel copies
/// as many values as the set at the id has, and a stale id may name a bigger set.
struct GuardedBuf {
    map: *mut c_void,
    map_len: usize,
    data: *mut u16,
    len: usize,
}

impl GuardedBuf {
    fn new(len: usize) -> Result<GuardedBuf> {
        let page = page_size();
        let data_pages = (len * 2).div_ceil(page).max(1) * page;
        let map_len = data_pages + page;
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        let map = ipc_common::__private::check_ptr("mmap", map, libc::MAP_FAILED)?;
        // SAFETY: data_pages - 2 * len and data_pages are inside the mapping of
        // map_len = data_pages + page bytes.
        let (data, guard) = unsafe {
            let base = map.cast::<u8>();
            (
                base.add(data_pages - len * 2).cast::<u16>(),
                base.add(data_pages),
            )
        };
        let buf = GuardedBuf {
            map,
            map_len,
            data,
            len,
        };
        // SAFETY: the last page lies inside the mapping made above.
        let rc = unsafe { libc::mprotect(guard.cast(), page, libc::PROT_NONE) };
        ipc_common::__private::check("mprotect", rc)?;
        Ok(buf)
    }

    /// The first of the `len` values, 2-byte aligned (pages and 2 * len are even).
    fn as_mut_ptr(&mut self) -> *mut u16 {
        self.data
    }

    fn as_mut_slice(&mut self) -> &mut [u16] {
        // SAFETY: `data` points to `len` u16s in the readable, writable part of
        // this private mapping (zero-filled when mapped), which nothing else
        // references while `self` is borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }
}

impl Drop for GuardedBuf {
    fn drop(&mut self) {
        // SAFETY: `map`/`map_len` describe the mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.map, self.map_len) };
    }
}

/// The error for a failed `semctl` on set `id`: the shared control messages,
/// plus what `EACCES` means for value changes.
fn ctl_error(id: i32, cmd: libc::c_int, e: Error) -> Error {
    if e.raw_os_error() == Some(libc::EACCES) && (cmd == sys::SETVAL || cmd == sys::SETALL) {
        return e.with_message(
            "the semaphore set's mode does not allow this user to alter it (write permission needed)",
        );
    }
    ipc::ctl_error::<SemCtl>(id, cmd, e)
}

/// Runs the operations `ops` on set `id` atomically with `semtimedop`: all of
/// them or none. `Timeout::Immediate` adds `IPC_NOWAIT`; `After(d)` passes a
/// relative timeout. Allocates nothing unless it fails.
fn semop(id: i32, ops: &mut [sys::sembuf], timeout: Timeout) -> Result<()> {
    let ts = if timeout.is_immediate() {
        for op in ops.iter_mut() {
            op.sem_flg |= NOWAIT;
        }
        None
    } else {
        timeout.relative_timespec().map_err(|e| {
            let msg = e.message().to_owned();
            Error::invalid_input("semtimedop", msg)
        })?
    };
    let rc = call_semop(id, ops, ts.as_ref())?;
    match ipc_common::__private::check("semtimedop", rc) {
        Ok(_) => Ok(()),
        Err(e) => {
            let timed = ts.is_some() && ops.iter().all(|op| op.sem_flg & NOWAIT == 0);
            Err(semop_error(id, timed, e))
        }
    }
}

/// `semtimedop(id, ops, ts)`, the one call that honours a timeout.
#[cfg(target_os = "linux")]
fn call_semop(id: i32, ops: &mut [sys::sembuf], ts: Option<&libc::timespec>) -> Result<i32> {
    let ts_ptr = ts.map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: `ops` is valid for ops.len() sembufs and `ts_ptr` is null or points
    // to a valid timespec; the kernel only reads both.
    Ok(unsafe { sys::semtimedop(id, ops.as_mut_ptr(), ops.len(), ts_ptr) })
}

/// `semop(id, ops)`: macOS and FreeBSD have no `semtimedop`, so a timeout
/// (`Timeout::After`) is `Unsupported` before any call
/// ([`SEMAPHORE_TIMEOUT_SUPPORTED`] is false).
#[cfg(not(target_os = "linux"))]
fn call_semop(id: i32, ops: &mut [sys::sembuf], ts: Option<&libc::timespec>) -> Result<i32> {
    if ts.is_some() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "semtimedop",
            "this system has no semtimedop, so a System V semaphore wait cannot time out \
             (SEMAPHORE_TIMEOUT_SUPPORTED is false); use Timeout::Forever, or poll with \
             Timeout::Immediate",
        ));
    }
    // SAFETY: `ops` is valid for ops.len() sembufs; the kernel only reads them.
    Ok(unsafe { sys::semop(id, ops.as_mut_ptr(), ops.len()) })
}

fn semop_error(id: i32, timed: bool, e: Error) -> Error {
    let msg = match e.raw_os_error() {
        // Linux reports an expired semtimedop as EAGAIN: the kind tells it
        // apart from "would block" (IPC_NOWAIT).
        Some(libc::EAGAIN) if timed => {
            return e
                .with_kind(ErrorKind::TimedOut)
                .with_message("the timeout expired before the operation could proceed");
        }
        Some(libc::EAGAIN) => {
            "the operation would have to wait (a value too low to acquire, or not zero for \
             wait_zero) and was asked not to"
        }
        Some(libc::EIDRM) => "the semaphore set was removed while this call waited",
        Some(libc::EINVAL) => return ipc::ctl_error::<SemCtl>(id, sys::IPC_STAT, e),
        Some(libc::EACCES) => {
            "the semaphore set's mode does not allow this user this operation (acquire and \
             release need write permission, wait_zero needs read permission)"
        }
        Some(libc::ERANGE) => {
            "the operation would take a semaphore's value (or its undo adjustment) above \
             SEMVMX (32767)"
        }
        Some(libc::E2BIG) => {
            "the batch has more operations than SEMOPM allows (see /proc/sys/kernel/sem)"
        }
        Some(libc::EFBIG) => {
            "an operation names a semaphore beyond the end of the set (the id may have been \
             reused by a smaller set)"
        }
        Some(libc::EINTR) => "a signal interrupted the wait; nothing was done",
        Some(libc::ENOSPC) => {
            "the system limit on undo structures (SEMMNU) is reached; use fewer undo operations"
        }
        _ => return ipc::name_object(e, format_args!("the semaphore set with id {id}")),
    };
    e.with_message(msg)
}

/// Holds an acquired amount of a semaphore and releases it when dropped (the
/// RAII form of sysv_ipc's `with sem:`). Made by [`Semaphore::acquire_guard`]
/// and [`SemaphoreSet::acquire_guard`].
///
/// The release uses the same undo setting as the acquire (read once, when it
/// acquired, whatever `set_undo` is called meanwhile), so with undo on the
/// kernel's adjustment cancels out and nothing is left for the kernel to
/// reverse when the process exits (see the pitfall on
/// [`SemOp::undo`](crate::SemOp::undo)). [`release`](Self::release) reports
/// errors that `Drop` has to ignore (e.g. the semaphore was removed
/// meanwhile).
///
/// A killed process runs no `Drop`: without undo its guards' units stay taken
/// (see [`Semaphore`](crate::Semaphore#when-a-process-dies)).
#[must_use = "dropping the guard releases the semaphore at once"]
#[derive(Debug)]
pub struct SemaphoreGuard<'a> {
    id: i32,
    op: sys::sembuf,
    _handle: PhantomData<&'a ()>,
}

impl SemaphoreGuard<'_> {
    /// Releases now, reporting any error.
    pub fn release(mut self) -> Result<()> {
        let r = self.release_once();
        std::mem::forget(self);
        r
    }

    fn release_once(&mut self) -> Result<()> {
        let mut op = self.op;
        semop(self.id, std::slice::from_mut(&mut op), Timeout::Forever)
    }
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        let _ = self.release_once();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_and_values_are_checked_not_wrapped() {
        assert_eq!(check_delta("t", 1).unwrap(), 1);
        assert_eq!(check_delta("t", 32767).unwrap(), 32767);
        for bad in [0, 32768, u16::MAX] {
            let e = check_delta("t", bad).unwrap_err();
            assert!(e.is_invalid_input());
            assert!(e.message().contains(&bad.to_string()));
        }
        assert!(check_value("t", 0).is_ok());
        assert!(check_value("t", 32767).is_ok());
        let e = check_value("t", 32768).unwrap_err();
        assert!(e.message().contains("SEMVMX (32767)"));
    }

    #[test]
    fn flag_bits_match_the_kernel() {
        assert_eq!(i32::from(NOWAIT), libc::IPC_NOWAIT);
        assert_eq!(i32::from(UNDO), libc::SEM_UNDO);
    }

    #[test]
    fn guarded_buffer_ends_at_the_guard_page() {
        for len in [1usize, 3, 2048, 2049, 5000] {
            let mut b = GuardedBuf::new(len).unwrap();
            let page = page_size();
            let end = b.as_mut_ptr() as usize + len * 2;
            assert_eq!(end % page, 0, "len {len}");
            assert!(b.as_mut_slice().iter().all(|&v| v == 0));
            b.as_mut_slice().fill(7);
        }
    }

    #[test]
    fn semop_errors_say_what_happened() {
        let e = semop_error(5, false, Error::from_errno("semtimedop", libc::EIDRM));
        assert_eq!(e.kind(), ErrorKind::Removed);
        let e = semop_error(5, false, Error::from_errno("semtimedop", libc::EINVAL));
        assert_eq!(e.kind(), ErrorKind::Removed);
        assert!(e.message().contains("id 5"));
        let e = semop_error(5, true, Error::from_errno("semtimedop", libc::EAGAIN));
        assert!(e.message().contains("timeout"));
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        let e = semop_error(5, false, Error::from_errno("semtimedop", libc::EAGAIN));
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        let e = semop_error(5, false, Error::from_errno("semtimedop", libc::ERANGE));
        assert!(e.message().contains("SEMVMX (32767)"));
        let e = semop_error(5, false, Error::from_errno("semtimedop", libc::EPERM));
        assert!(e.is_permissions());
    }
}
