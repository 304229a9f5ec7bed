//! [`RobustMutex`] and [`Condvar`]: a process-shared, robust `pthread_mutex_t`
//! and a process-shared `pthread_cond_t` that live inside a [`Region`] (a
//! POSIX `Mapping` or a System V `Attachment`), so processes that share the
//! memory can lock it and survive the death of whoever held it.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use crate::{Error, ErrorKind, Region, Result, Timeout};

/// A process-shared, robust mutex (`pthread_mutex_t` with
/// `PTHREAD_PROCESS_SHARED` and `PTHREAD_MUTEX_ROBUST`) stored in shared memory.
///
/// A `RobustMutex` is never a value you own: it is the bytes of a
/// `pthread_mutex_t` at an aligned offset of a [`Region`]. The process that
/// creates the memory initialises it once with [`init_at`](Self::init_at);
/// every other user (another process, or the same one through another
/// mapping) reaches it with [`open_at`](Self::open_at). Both return a
/// `&RobustMutex` that borrows the region, so the memory stays mapped for as
/// long as the mutex is used. Because it is a plain `pthread_mutex_t`, a C
/// program that maps the same memory shares it (`pthread_mutex_lock` on the
/// same address). The sharers must use the same C library and word size: a
/// `pthread_mutex_t`'s layout and lock protocol differ between glibc and musl,
/// and between 32- and 64-bit glibc, so a musl or i686 process cannot share
/// one with a 64-bit glibc process (tested with the C peer on 64-bit glibc).
///
/// # Crashes
///
/// When a process (or thread) dies holding the mutex (a `kill -9`, a crash, an
/// exit without unlocking), the kernel marks it "owner died", and the next
/// [`lock`](Self::lock) gets the lock *and* that news:
/// [`LockOutcome::OwnerDied`] with an [`InconsistentGuard`]. The data the mutex
/// protects may be half-updated; repair it, then call
/// [`make_consistent`](InconsistentGuard::make_consistent) to get a normal
/// [`MutexGuard`]. Dropping the `InconsistentGuard` without that makes the
/// mutex unrecoverable: every later lock fails with
/// [`ErrorKind::NotRecoverable`]. There is no way to turn an owner-died outcome
/// into a normal guard by accident: [`LockOutcome`] is `#[must_use]` and does
/// not deref to a guard.
///
/// # Kind and timeouts
///
/// Mutexes made by `init_at` are error-checking (`PTHREAD_MUTEX_ERRORCHECK`):
/// locking one the calling thread already holds is an error (`EDEADLK`)
/// instead of a deadlock. A mutex made by a C program with the default type
/// deadlocks in that case, as in C. Guards are neither `Send` nor `Sync`:
/// the thread that locked the mutex unlocks it.
///
/// [`lock_timeout`](Self::lock_timeout) follows the crates' [`Timeout`]
/// conventions: `Forever` blocks, `Immediate` fails at once with
/// [`ErrorKind::WouldBlock`] when the mutex is held, `After(d)` waits at most `d`
/// and then fails with [`ErrorKind::TimedOut`] (errno `ETIMEDOUT`). On Linux with glibc the
/// wait is measured on `CLOCK_MONOTONIC` (`pthread_mutex_clocklock`), so a
/// wall-clock change neither stretches nor cuts it; musl and FreeBSD only have
/// `pthread_mutex_timedlock`, whose deadline is on `CLOCK_REALTIME`.
///
/// # Layout convention
///
/// Put a `#[repr(C)]` header at the start of the shared memory (offset 0 of a
/// mapping is page-aligned, so every field of the header is aligned): a
/// "ready" word first, then the mutex, the condition variables and the
/// counters, and after the header a ring of plain-old-data records. Compute
/// offsets with [`offset_of!`](std::mem::offset_of); never build a `Header`
/// value, only use it for its layout. The creator fills the memory, calls
/// `init_at` for each mutex and condvar, and only then stores the ready word
/// with `Release` ordering; openers wait for it with `Acquire` ordering before
/// calling `open_at`. Counters are read and written under the mutex (with
/// `read_obj`/`write_obj`, `bytemuck` feature) or as atomics
/// ([`Region::atomic`]).
///
#[cfg_attr(feature = "bytemuck", doc = "```")]
#[cfg_attr(not(feature = "bytemuck"), doc = "```ignore")]
/// use std::mem::offset_of;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use ipc_common::{Condvar, LockOutcome, Region, RobustMutex};
///
/// #[repr(C)]
/// struct Header {
///     ready: AtomicU32,    // READY once the creator initialised the rest
///     mutex: RobustMutex,  // guards everything below
///     not_empty: Condvar,
///     not_full: Condvar,
///     head: u64,           // next record to read (count since the start)
///     tail: u64,           // next record to write
/// }
///
/// #[repr(C)]
/// #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
/// struct Record {
///     id: u64,
///     value: f64,
/// }
///
/// const READY: u32 = 0x5245_4459;
/// const RING: usize = size_of::<Header>().next_multiple_of(align_of::<Record>());
/// const SLOTS: usize = 8;
/// const SIZE: usize = RING + SLOTS * size_of::<Record>();
///
/// # let mut backing = vec![0u64; SIZE.div_ceil(8)];
/// # // SAFETY: `backing` outlives the region and nothing else touches it.
/// # let region = unsafe {
/// #     Region::from_raw_parts(std::ptr::NonNull::new(backing.as_mut_ptr()).unwrap().cast(), SIZE, true)
/// # };
/// // The creator, on fresh (zeroed) memory:
/// // SAFETY: nobody uses these bytes yet; READY publishes them afterwards.
/// unsafe {
///     RobustMutex::init_at(&region, offset_of!(Header, mutex))?;
///     Condvar::init_at(&region, offset_of!(Header, not_empty))?;
///     Condvar::init_at(&region, offset_of!(Header, not_full))?;
/// }
/// region.atomic::<AtomicU32>(offset_of!(Header, ready))?.store(READY, Ordering::Release);
///
/// // Any process, once it has seen READY:
/// assert_eq!(region.atomic::<AtomicU32>(offset_of!(Header, ready))?.load(Ordering::Acquire), READY);
/// // SAFETY: the creator initialised the mutex and the condvar (READY says so),
/// // and only pthread calls touch their bytes.
/// let (mutex, not_empty) = unsafe {
///     (
///         RobustMutex::open_at(&region, offset_of!(Header, mutex))?,
///         Condvar::open_at(&region, offset_of!(Header, not_empty))?,
///     )
/// };
/// let guard = match mutex.lock()? {
///     LockOutcome::Locked(guard) => guard,
///     LockOutcome::OwnerDied(inconsistent) => {
///         // A holder died mid-update: repair head/tail/records here, then:
///         inconsistent.make_consistent()?
///     }
/// };
/// let tail: u64 = region.read_obj(offset_of!(Header, tail))?;
/// let slot = RING + (tail as usize % SLOTS) * size_of::<Record>();
/// region.write_obj(slot, &Record { id: tail, value: 0.5 })?;
/// region.write_obj(offset_of!(Header, tail), &(tail + 1))?;
/// not_empty.notify_one();
/// drop(guard);
/// assert_eq!(region.read_obj::<Record>(RING)?, Record { id: 0, value: 0.5 });
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[repr(transparent)]
pub struct RobustMutex {
    raw: UnsafeCell<libc::pthread_mutex_t>,
}

// SAFETY: a RobustMutex is only ever reached by reference into shared memory,
// and a process-shared pthread mutex is made to be used concurrently from any
// thread of any process; all access goes through pthread calls.
unsafe impl Sync for RobustMutex {}
// SAFETY: as above (on FreeBSD `pthread_mutex_t` is a pointer, which would
// otherwise make the type !Send).
unsafe impl Send for RobustMutex {}

/// Turns a pthread return code (an errno value, 0 for success) into a `Result`.
#[inline]
fn pthread(op: &'static str, rc: libc::c_int) -> Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::from_errno(op, rc))
    }
}

/// Fails unless some byte of the `len` bytes at `offset` is non-zero: every
/// initialised process-shared mutex or condvar has a non-zero kind or flag
/// word, while fresh shared memory is all zeros.
fn ensure_initialised(
    region: &Region,
    op: &'static str,
    offset: usize,
    bytes: &mut [u8],
    message: &'static str,
) -> Result<()> {
    region.read_at(offset, bytes)?;
    if bytes.iter().all(|&b| b == 0) {
        Err(Error::invalid_input(op, message))
    } else {
        Ok(())
    }
}

impl RobustMutex {
    /// Size in bytes of a mutex in shared memory (`size_of::<pthread_mutex_t>()`).
    pub const SIZE: usize = size_of::<libc::pthread_mutex_t>();

    /// Alignment a mutex's offset needs (`align_of::<pthread_mutex_t>()`).
    pub const ALIGN: usize = align_of::<libc::pthread_mutex_t>();

    /// Initialises a process-shared, robust, error-checking mutex at `offset`
    /// of `region` and returns it, unlocked.
    ///
    /// Checks before touching anything: the mutex must fit inside the region
    /// and `offset` must be aligned to [`ALIGN`](Self::ALIGN)
    /// ([`InvalidInput`](ErrorKind::InvalidInput)), and the region must be
    /// writable ([`PermissionDenied`](ErrorKind::PermissionDenied)).
    ///
    /// # Safety
    ///
    /// - No thread of any process may be using a mutex at these bytes while
    ///   they are initialised (re-initialising a mutex in use corrupts the
    ///   lists of robust mutexes that the C library keeps for its holder).
    ///   Publish the mutex (e.g. a "ready" word stored with `Release`
    ///   ordering, see the layout convention on [`RobustMutex`]) only after
    ///   this returns.
    /// - For as long as the mutex is used, its bytes must be touched only by
    ///   pthread calls: no `write_at`, `fill` or atomic over them, in any
    ///   process.
    /// - A thread that holds the mutex must not let its memory be unmapped:
    ///   if a guard is leaked (`std::mem::forget`) and the mapping is then
    ///   dropped, the C library's list of the thread's robust mutexes points
    ///   into unmapped memory.
    ///
    /// ```
    /// # use ipc_common::{Region, RobustMutex, LockOutcome};
    /// # let mut b = vec![0u64; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 128, true) };
    /// // SAFETY: fresh memory that no one else uses yet.
    /// let mutex = unsafe { RobustMutex::init_at(&region, 0)? };
    /// assert!(matches!(mutex.lock()?, LockOutcome::Locked(_)));
    /// // SAFETY: as above. (Offset 1 is misaligned on every target; 4 is
    /// // aligned where pthread_mutex_t is 4-aligned, as on i686.)
    /// assert!(unsafe { RobustMutex::init_at(&region, 1) }.unwrap_err().is_invalid_input());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub unsafe fn init_at(region: &Region, offset: usize) -> Result<&RobustMutex> {
        const OP: &str = "RobustMutex::init_at";
        let mutex = region.aligned_for::<libc::pthread_mutex_t>(OP, "mutexes", offset)?;
        let attr = MutexAttr::new()?;
        // SAFETY: `attr` is an initialised attribute object.
        unsafe {
            pthread(
                "pthread_mutexattr_settype",
                libc::pthread_mutexattr_settype(attr.as_ptr(), libc::PTHREAD_MUTEX_ERRORCHECK),
            )?;
            pthread(
                "pthread_mutexattr_setpshared",
                libc::pthread_mutexattr_setpshared(attr.as_ptr(), libc::PTHREAD_PROCESS_SHARED),
            )?;
            pthread(
                "pthread_mutexattr_setrobust",
                libc::pthread_mutexattr_setrobust(attr.as_ptr(), libc::PTHREAD_MUTEX_ROBUST),
            )?;
        }
        // SAFETY: `mutex` is in bounds, aligned and writable (checked above);
        // the caller guarantees no one uses these bytes meanwhile.
        pthread("pthread_mutex_init", unsafe {
            libc::pthread_mutex_init(mutex, attr.as_ptr())
        })?;
        // SAFETY: the bytes now hold an initialised mutex; `RobustMutex` is a
        // transparent wrapper of `pthread_mutex_t`; the reference borrows the
        // region, which keeps the memory mapped.
        Ok(unsafe { &*mutex.cast::<RobustMutex>() })
    }

    /// The mutex that another process (or this one, through another mapping)
    /// initialised at `offset` of `region`, with [`init_at`](Self::init_at) or
    /// with C's `pthread_mutex_init` and the `PTHREAD_PROCESS_SHARED` and
    /// `PTHREAD_MUTEX_ROBUST` attributes.
    ///
    /// Checks bounds and alignment ([`InvalidInput`](ErrorKind::InvalidInput)),
    /// writability ([`PermissionDenied`](ErrorKind::PermissionDenied): locking
    /// writes to the mutex), and that the bytes are not all zero
    /// (`InvalidInput`: fresh memory that no one initialised).
    ///
    /// # Safety
    ///
    /// - The bytes at `offset` must hold a mutex initialised as above (the
    ///   zero check catches only the commonest mistake: opening before the
    ///   creator initialised it), and no one may re-initialise it while this
    ///   reference is in use.
    /// - The other two rules of [`init_at`](Self::init_at): only pthread calls
    ///   touch its bytes, and a thread holding it never lets the memory be
    ///   unmapped (no leaked guards).
    ///
    /// ```
    /// # use ipc_common::{Region, RobustMutex};
    /// # let mut b = vec![0u64; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 128, true) };
    /// // SAFETY: these bytes are zero, which open_at refuses before any pthread call.
    /// let e = unsafe { RobustMutex::open_at(&region, 0) }.unwrap_err();
    /// assert!(e.message().contains("init_at"));
    /// // SAFETY: fresh memory that no one else uses.
    /// unsafe { RobustMutex::init_at(&region, 0)? };
    /// // SAFETY: initialised just above, and only pthread calls touch it.
    /// let mutex = unsafe { RobustMutex::open_at(&region, 0)? };
    /// assert!(mutex.try_lock().is_ok());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub unsafe fn open_at(region: &Region, offset: usize) -> Result<&RobustMutex> {
        const OP: &str = "RobustMutex::open_at";
        let mutex = region.aligned_for::<libc::pthread_mutex_t>(OP, "mutexes", offset)?;
        ensure_initialised(
            region,
            OP,
            offset,
            &mut [0; Self::SIZE],
            "no mutex was initialised at this offset (its bytes are all zero): the creating \
             process must call RobustMutex::init_at there, and publish that it did, before \
             others open it",
        )?;
        // SAFETY: in bounds, aligned, writable (checked), initialised (the
        // caller's guarantee); the reference borrows the region.
        Ok(unsafe { &*mutex.cast::<RobustMutex>() })
    }

    fn raw(&self) -> *mut libc::pthread_mutex_t {
        self.raw.get()
    }

    /// Locks the mutex, waiting as long as it takes (`pthread_mutex_lock`).
    ///
    /// Returns [`LockOutcome::Locked`] with a guard, or
    /// [`LockOutcome::OwnerDied`] when the previous holder died holding it (the
    /// lock is held in both cases). Fails with
    /// [`NotRecoverable`](ErrorKind::NotRecoverable) when an earlier owner-died
    /// outcome was dropped without [`make_consistent`](InconsistentGuard::make_consistent),
    /// and with `EDEADLK` ([`Other`](ErrorKind::Other)) when this thread
    /// already holds it. Allocates nothing.
    ///
    /// ```
    /// # use ipc_common::{Region, RobustMutex, LockOutcome};
    /// # let mut b = vec![0u64; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 128, true) };
    /// # // SAFETY: fresh memory that no one else uses.
    /// # let mutex = unsafe { RobustMutex::init_at(&region, 0)? };
    /// let guard = match mutex.lock()? {
    ///     LockOutcome::Locked(guard) => guard,
    ///     LockOutcome::OwnerDied(repair) => {
    ///         // ...restore the protected data's invariants here...
    ///         repair.make_consistent()?
    ///     }
    /// };
    /// let again = mutex.lock().unwrap_err();
    /// assert_eq!(again.raw_os_error(), Some(libc::EDEADLK));
    /// drop(guard);
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    #[inline]
    pub fn lock(&self) -> Result<LockOutcome<'_>> {
        // SAFETY: `self` is an initialised process-shared mutex (open_at /
        // init_at contract).
        let rc = unsafe { libc::pthread_mutex_lock(self.raw()) };
        self.outcome("pthread_mutex_lock", rc)
    }

    /// Locks the mutex if no one holds it, else fails at once with
    /// [`WouldBlock`](ErrorKind::WouldBlock) (`is_busy()`, errno `EBUSY`),
    /// allocating nothing. Same outcomes as [`lock`](Self::lock). (On glibc it
    /// is a timed lock whose deadline has passed, because glibc's
    /// `pthread_mutex_trylock` leaves an unrecoverable mutex locked.)
    ///
    /// ```
    /// # use ipc_common::{Region, RobustMutex};
    /// # let mut b = vec![0u64; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 128, true) };
    /// # // SAFETY: fresh memory that no one else uses.
    /// # let mutex = unsafe { RobustMutex::init_at(&region, 0)? };
    /// let held = mutex.try_lock()?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(mutex.try_lock().unwrap_err().is_busy()));
    /// });
    /// # drop(held);
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Result<LockOutcome<'_>> {
        let (op, rc) = try_lock(self.raw());
        self.outcome(op, rc)
    }

    /// Locks the mutex, waiting as `timeout` allows: `Forever` is
    /// [`lock`](Self::lock), `Immediate` (or `After(0)`) is
    /// [`try_lock`](Self::try_lock), `After(d)` waits at most `d` and then
    /// fails with [`TimedOut`](ErrorKind::TimedOut) (errno `ETIMEDOUT`).
    /// Takes a [`Timeout`] or a `Duration`. The clock is `CLOCK_MONOTONIC` on
    /// glibc and `CLOCK_REALTIME` elsewhere (see the type's docs). A duration
    /// too long for the clock is [`InvalidInput`](ErrorKind::InvalidInput)
    /// (use `Forever`).
    ///
    /// ```
    /// # use ipc_common::{Region, RobustMutex};
    /// use std::time::{Duration, Instant};
    /// # let mut b = vec![0u64; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 128, true) };
    /// # // SAFETY: fresh memory that no one else uses.
    /// # let mutex = unsafe { RobustMutex::init_at(&region, 0)? };
    /// let held = mutex.lock()?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let start = Instant::now();
    ///         let e = mutex.lock_timeout(Duration::from_millis(20)).unwrap_err();
    ///         assert_eq!(e.kind(), ipc_common::ErrorKind::TimedOut);
    ///         assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
    ///         assert!(e.is_busy() && start.elapsed() >= Duration::from_millis(15));
    ///     });
    /// });
    /// # drop(held);
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn lock_timeout(&self, timeout: impl Into<Timeout>) -> Result<LockOutcome<'_>> {
        match timeout.into() {
            Timeout::Forever => self.lock(),
            t if t.is_immediate() => self.try_lock(),
            t => {
                let (op, rc) = timed_lock(self.raw(), t)?;
                self.outcome(op, rc)
            }
        }
    }

    #[inline]
    fn outcome(&self, op: &'static str, rc: libc::c_int) -> Result<LockOutcome<'_>> {
        match rc {
            0 => Ok(LockOutcome::Locked(MutexGuard::new(self))),
            libc::EOWNERDEAD => Ok(LockOutcome::OwnerDied(InconsistentGuard {
                mutex: self,
                _not_send: PhantomData,
            })),
            rc => Err(lock_error(op, rc)),
        }
    }
}

/// The error for a failed lock; out of line so the success path stays small.
#[cold]
#[inline(never)]
fn lock_error(op: &'static str, rc: libc::c_int) -> Error {
    let e = Error::from_errno(op, rc);
    match rc {
        libc::ENOTRECOVERABLE => e.with_message(
            "the mutex is unrecoverable: a holder died, and the next owner released it without \
             make_consistent(); the protected data may be inconsistent. Re-initialise the data \
             and the mutex (RobustMutex::init_at) once no process uses them",
        ),
        libc::EBUSY => e
            .with_kind(ErrorKind::WouldBlock)
            .with_message("the mutex is held by another thread or process"),
        libc::ETIMEDOUT => e.with_message("the mutex was still held when the timeout expired"),
        libc::EDEADLK => e.with_message(
            "this thread already holds the mutex; drop its guard before locking it again",
        ),
        libc::EINVAL => e.with_message(
            "the bytes at this offset are not an initialised process-shared mutex \
             (RobustMutex::init_at makes one)",
        ),
        _ => e,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe extern "C" {
    /// glibc 2.30+: `pthread_mutex_timedlock` with a choice of clock.
    fn pthread_mutex_clocklock(
        mutex: *mut libc::pthread_mutex_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

/// One attempt to lock, without waiting (glibc).
///
/// glibc's `pthread_mutex_trylock` on an unrecoverable robust mutex returns
/// `ENOTRECOVERABLE` but leaves the caller's thread id in the lock word, so
/// every later lock, in every process, blocks for ever or fails with
/// `EDEADLK` (seen with glibc 2.36). A timed lock whose deadline has already
/// passed makes the same single attempt and releases such a mutex correctly,
/// so `try_lock` uses it; "would have to wait" comes back as `ETIMEDOUT` and is
/// reported as `EBUSY`, like `pthread_mutex_trylock`'s.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[inline]
fn try_lock(mutex: *mut libc::pthread_mutex_t) -> (&'static str, libc::c_int) {
    const PASSED: libc::timespec = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `mutex` is an initialised mutex (caller); PASSED is a valid
    // timespec.
    let rc = unsafe { pthread_mutex_clocklock(mutex, libc::CLOCK_MONOTONIC, &PASSED) };
    let rc = if rc == libc::ETIMEDOUT {
        libc::EBUSY
    } else {
        rc
    };
    ("pthread_mutex_clocklock", rc)
}

/// One attempt to lock, without waiting (`pthread_mutex_trylock`).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
#[inline]
fn try_lock(mutex: *mut libc::pthread_mutex_t) -> (&'static str, libc::c_int) {
    // SAFETY: `mutex` is an initialised mutex (caller).
    ("pthread_mutex_trylock", unsafe {
        libc::pthread_mutex_trylock(mutex)
    })
}

/// A timed lock on `CLOCK_MONOTONIC` (glibc).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn timed_lock(
    mutex: *mut libc::pthread_mutex_t,
    timeout: Timeout,
) -> Result<(&'static str, libc::c_int)> {
    let Some(deadline) = timeout.deadline(libc::CLOCK_MONOTONIC)? else {
        // SAFETY: `mutex` is an initialised mutex (caller).
        return Ok(("pthread_mutex_lock", unsafe {
            libc::pthread_mutex_lock(mutex)
        }));
    };
    // SAFETY: `mutex` is an initialised mutex; `deadline` is a valid,
    // normalised timespec.
    let rc = unsafe { pthread_mutex_clocklock(mutex, libc::CLOCK_MONOTONIC, &deadline) };
    Ok(("pthread_mutex_clocklock", rc))
}

/// A timed lock on `CLOCK_REALTIME` (musl, FreeBSD: no `pthread_mutex_clocklock`).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn timed_lock(
    mutex: *mut libc::pthread_mutex_t,
    timeout: Timeout,
) -> Result<(&'static str, libc::c_int)> {
    let Some(deadline) = timeout.deadline(libc::CLOCK_REALTIME)? else {
        // SAFETY: `mutex` is an initialised mutex (caller).
        return Ok(("pthread_mutex_lock", unsafe {
            libc::pthread_mutex_lock(mutex)
        }));
    };
    // SAFETY: `mutex` is an initialised mutex; `deadline` is a valid,
    // normalised timespec.
    let rc = unsafe { libc::pthread_mutex_timedlock(mutex, &deadline) };
    Ok(("pthread_mutex_timedlock", rc))
}

impl fmt::Debug for RobustMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RobustMutex")
            .field("address", &self.raw())
            .finish_non_exhaustive()
    }
}

/// A `pthread_mutexattr_t`, destroyed on drop.
struct MutexAttr(UnsafeCell<MaybeUninit<libc::pthread_mutexattr_t>>);

impl MutexAttr {
    fn new() -> Result<MutexAttr> {
        let attr = UnsafeCell::new(MaybeUninit::<libc::pthread_mutexattr_t>::uninit());
        // SAFETY: the pointer is valid for writes of a pthread_mutexattr_t.
        pthread("pthread_mutexattr_init", unsafe {
            libc::pthread_mutexattr_init(attr.get().cast())
        })?;
        Ok(MutexAttr(attr))
    }

    fn as_ptr(&self) -> *mut libc::pthread_mutexattr_t {
        self.0.get().cast()
    }
}

impl Drop for MutexAttr {
    fn drop(&mut self) {
        // SAFETY: initialised by `new` (which builds no MutexAttr on failure).
        unsafe { libc::pthread_mutexattr_destroy(self.as_ptr()) };
    }
}

/// What [`RobustMutex::lock`] (and the other locks, and [`Condvar::wait`])
/// got: the lock in both cases, plus whether its previous holder died.
///
/// Handle both variants: the compiler warns when the outcome is ignored, and
/// only [`InconsistentGuard::make_consistent`] turns an owner-died outcome into
/// a [`MutexGuard`]. [`recover`](Self::recover) does both in one call.
#[must_use = "the previous holder may have died mid-update: handle LockOutcome::OwnerDied"]
#[derive(Debug)]
pub enum LockOutcome<'a> {
    /// The lock was free or released normally.
    Locked(MutexGuard<'a>),
    /// The previous holder died holding the lock; the caller now holds it,
    /// and must repair the protected data before calling
    /// [`make_consistent`](InconsistentGuard::make_consistent).
    OwnerDied(InconsistentGuard<'a>),
}

impl<'a> LockOutcome<'a> {
    /// True for [`OwnerDied`](LockOutcome::OwnerDied).
    pub fn is_owner_died(&self) -> bool {
        matches!(self, LockOutcome::OwnerDied(_))
    }

    /// The guard, after running `repair` (with the lock held) and
    /// [`make_consistent`](InconsistentGuard::make_consistent) when the
    /// previous holder died; `repair` does not run otherwise.
    ///
    /// ```
    /// # use ipc_common::{Region, RobustMutex};
    /// # let mut b = vec![0u64; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 128, true) };
    /// # // SAFETY: fresh memory that no one else uses.
    /// # let mutex = unsafe { RobustMutex::init_at(&region, 0)? };
    /// let mut repairs = 0;
    /// let guard = mutex.lock()?.recover(|| repairs += 1)?;
    /// assert_eq!(repairs, 0); // nobody died
    /// # drop(guard);
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn recover(self, repair: impl FnOnce()) -> Result<MutexGuard<'a>> {
        match self {
            LockOutcome::Locked(guard) => Ok(guard),
            LockOutcome::OwnerDied(inconsistent) => {
                repair();
                inconsistent.make_consistent()
            }
        }
    }
}

/// Proof that this thread holds a [`RobustMutex`]; unlocks it when dropped.
///
/// The mutex protects whatever the processes agree it protects (bytes of the
/// same region, read and written with the region's copies or atomics); the
/// guard gives no access of its own. Neither `Send` nor `Sync`: the locking
/// thread unlocks.
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a> {
    mutex: &'a RobustMutex,
    _not_send: PhantomData<*const ()>,
}

impl<'a> MutexGuard<'a> {
    fn new(mutex: &'a RobustMutex) -> MutexGuard<'a> {
        MutexGuard {
            mutex,
            _not_send: PhantomData,
        }
    }

    /// The mutex this guard holds.
    pub fn mutex(&self) -> &'a RobustMutex {
        self.mutex
    }

    /// Unlocks now, returning the error `pthread_mutex_unlock` reported (drop
    /// ignores it). Allocates nothing.
    #[inline]
    pub fn unlock(self) -> Result<()> {
        let mutex = self.mutex;
        std::mem::forget(self);
        // SAFETY: this thread holds the initialised mutex (the guard proved it).
        match unsafe { libc::pthread_mutex_unlock(mutex.raw()) } {
            0 => Ok(()),
            rc => Err(unlock_error(rc)),
        }
    }
}

/// The error for a failed unlock; out of line so that `unlock` inlines to
/// the call and a test.
#[cold]
#[inline(never)]
fn unlock_error(rc: libc::c_int) -> Error {
    Error::from_errno("pthread_mutex_unlock", rc)
}

impl Drop for MutexGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this thread holds the initialised mutex (the guard proves it).
        unsafe { libc::pthread_mutex_unlock(self.mutex.raw()) };
    }
}

impl fmt::Debug for MutexGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexGuard")
            .field("mutex", &self.mutex)
            .finish()
    }
}

/// The lock of a [`RobustMutex`] whose previous holder died holding it.
///
/// The protected data may be half-updated. Repair it, then call
/// [`make_consistent`](Self::make_consistent) to get a normal [`MutexGuard`].
/// Dropping this guard instead unlocks the mutex in the inconsistent state,
/// which makes it permanently unrecoverable: every later lock, in every
/// process, fails with [`ErrorKind::NotRecoverable`]. That is the right
/// choice only when the data cannot be repaired.
#[must_use = "dropping it makes the mutex unrecoverable: repair the data, then make_consistent()"]
pub struct InconsistentGuard<'a> {
    mutex: &'a RobustMutex,
    _not_send: PhantomData<*const ()>,
}

impl<'a> InconsistentGuard<'a> {
    /// Marks the mutex consistent again (`pthread_mutex_consistent`) and
    /// returns the normal guard. Call it once the protected data is repaired.
    ///
    /// If the call fails (it cannot for a robust mutex in this state), the
    /// lock is released as by dropping this guard, and the error is returned.
    pub fn make_consistent(self) -> Result<MutexGuard<'a>> {
        // SAFETY: this thread holds the initialised robust mutex, which is in
        // the owner-died state (that is how this guard was made).
        let rc = unsafe { libc::pthread_mutex_consistent(self.mutex.raw()) };
        pthread("pthread_mutex_consistent", rc)?;
        let mutex = self.mutex;
        std::mem::forget(self);
        Ok(MutexGuard::new(mutex))
    }

    /// The mutex this guard holds.
    pub fn mutex(&self) -> &'a RobustMutex {
        self.mutex
    }
}

impl Drop for InconsistentGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: this thread holds the initialised mutex (the guard proves
        // it); unlocking without pthread_mutex_consistent makes it
        // unrecoverable, as documented.
        unsafe { libc::pthread_mutex_unlock(self.mutex.raw()) };
    }
}

impl fmt::Debug for InconsistentGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InconsistentGuard")
            .field("mutex", &self.mutex)
            .finish()
    }
}

/// A process-shared condition variable (`pthread_cond_t` with
/// `PTHREAD_PROCESS_SHARED`) stored in shared memory, waited on with a
/// [`RobustMutex`].
///
/// Like the mutex, it is the bytes of a `pthread_cond_t` at an aligned offset
/// of a [`Region`]: the creator calls [`init_at`](Self::init_at) once, others
/// [`open_at`](Self::open_at). Its clock is `CLOCK_MONOTONIC`
/// (`pthread_condattr_setclock`, on Linux and FreeBSD), so
/// [`wait_timeout`](Self::wait_timeout) is not stretched or cut by wall-clock
/// changes. Use one mutex with a condvar at a time.
///
/// Waits can wake up spuriously (and a notification can be consumed by
/// another waiter): always wait in a loop that re-checks the condition
/// under the lock. A wait re-acquires the mutex before it returns; if the
/// mutex's holder died meanwhile, the wait returns
/// [`LockOutcome::OwnerDied`], exactly as a lock does.
///
/// See [`RobustMutex`]'s docs for the layout convention and an example.
#[repr(transparent)]
pub struct Condvar {
    raw: UnsafeCell<libc::pthread_cond_t>,
}

// SAFETY: only reached by reference into shared memory; a process-shared
// condition variable is made for concurrent use from any thread of any
// process, through pthread calls only.
unsafe impl Sync for Condvar {}
// SAFETY: as above (FreeBSD's `pthread_cond_t` is a pointer).
unsafe impl Send for Condvar {}

/// Whether [`Condvar::wait_timeout`] returned because its timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True when the wait ended because the timeout expired (the condition
    /// may still have become true meanwhile: check it).
    pub fn timed_out(self) -> bool {
        self.0
    }
}

impl Condvar {
    /// Size in bytes of a condvar in shared memory (`size_of::<pthread_cond_t>()`).
    pub const SIZE: usize = size_of::<libc::pthread_cond_t>();

    /// Alignment a condvar's offset needs (`align_of::<pthread_cond_t>()`).
    pub const ALIGN: usize = align_of::<libc::pthread_cond_t>();

    /// Initialises a process-shared condvar on `CLOCK_MONOTONIC` at `offset`
    /// of `region`. Checks bounds, alignment and writability first, like
    /// [`RobustMutex::init_at`].
    ///
    /// # Safety
    ///
    /// No thread of any process may be waiting on or signalling a condvar at
    /// these bytes while they are initialised; publish it only after this
    /// returns; and while it is used only pthread calls may touch its bytes.
    pub unsafe fn init_at(region: &Region, offset: usize) -> Result<&Condvar> {
        const OP: &str = "Condvar::init_at";
        let cond = region.aligned_for::<libc::pthread_cond_t>(OP, "condition variables", offset)?;
        let attr = CondAttr::new()?;
        // SAFETY: `attr` is an initialised attribute object.
        unsafe {
            pthread(
                "pthread_condattr_setpshared",
                libc::pthread_condattr_setpshared(attr.as_ptr(), libc::PTHREAD_PROCESS_SHARED),
            )?;
            pthread(
                "pthread_condattr_setclock",
                libc::pthread_condattr_setclock(attr.as_ptr(), libc::CLOCK_MONOTONIC),
            )?;
        }
        // SAFETY: in bounds, aligned and writable (checked); no one uses the
        // bytes meanwhile (caller).
        pthread("pthread_cond_init", unsafe {
            libc::pthread_cond_init(cond, attr.as_ptr())
        })?;
        // SAFETY: initialised; `Condvar` is a transparent `pthread_cond_t`;
        // the reference borrows the region.
        Ok(unsafe { &*cond.cast::<Condvar>() })
    }

    /// The condvar [`init_at`](Self::init_at) initialised at `offset` of
    /// `region` (in this or another process). Checks bounds, alignment,
    /// writability, and that the bytes are not all zero.
    ///
    /// # Safety
    ///
    /// The bytes must hold a condvar made by `init_at` (or by C with
    /// `PTHREAD_PROCESS_SHARED` and `CLOCK_MONOTONIC`), not re-initialised
    /// while this reference is used, and touched only by pthread calls.
    pub unsafe fn open_at(region: &Region, offset: usize) -> Result<&Condvar> {
        const OP: &str = "Condvar::open_at";
        let cond = region.aligned_for::<libc::pthread_cond_t>(OP, "condition variables", offset)?;
        ensure_initialised(
            region,
            OP,
            offset,
            &mut [0; Self::SIZE],
            "no condition variable was initialised at this offset (its bytes are all zero): \
             the creating process must call Condvar::init_at there, and publish that it did, \
             before others open it",
        )?;
        // SAFETY: in bounds, aligned, writable (checked), initialised (caller).
        Ok(unsafe { &*cond.cast::<Condvar>() })
    }

    fn raw(&self) -> *mut libc::pthread_cond_t {
        self.raw.get()
    }

    /// Releases the guard's mutex, waits for a notification, and re-acquires
    /// the mutex (`pthread_cond_wait`). Returns the re-acquired lock:
    /// [`LockOutcome::OwnerDied`] when a holder died while this thread waited.
    /// The wake-up may be spurious: re-check the condition in a loop.
    ///
    /// On error the mutex is no longer held by the caller (a
    /// [`NotRecoverable`](ErrorKind::NotRecoverable) mutex cannot be re-acquired).
    pub fn wait<'a>(&self, guard: MutexGuard<'a>) -> Result<LockOutcome<'a>> {
        self.wait_until(guard, None).map(|(outcome, _)| outcome)
    }

    /// Like [`wait`](Self::wait), for at most `timeout` ([`Timeout`] or
    /// `Duration`; `Forever` waits without limit, `Immediate` releases and
    /// re-acquires the mutex and reports a timeout). Returns the re-acquired
    /// lock and whether the timeout expired; an owner-died outcome takes
    /// precedence (then `timed_out()` is false). A duration too long for the
    /// clock is [`InvalidInput`](ErrorKind::InvalidInput), with the lock
    /// released.
    ///
    /// ```
    /// # use ipc_common::{Condvar, LockOutcome, Region, RobustMutex};
    /// use std::time::{Duration, Instant};
    /// # let mut b = vec![0u64; 32];
    /// # // SAFETY: `b` outlives the region.
    /// # let region = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap().cast(), 256, true) };
    /// // SAFETY: fresh memory that no one else uses.
    /// let (mutex, cond) = unsafe { (RobustMutex::init_at(&region, 0)?, Condvar::init_at(&region, 128)?) };
    /// let guard = mutex.lock()?.recover(|| {})?;
    /// let start = Instant::now();
    /// let (outcome, result) = cond.wait_timeout(guard, Duration::from_millis(20))?;
    /// assert!(result.timed_out() && start.elapsed() >= Duration::from_millis(15));
    /// assert!(matches!(outcome, LockOutcome::Locked(_))); // the lock is held again
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn wait_timeout<'a>(
        &self,
        guard: MutexGuard<'a>,
        timeout: impl Into<Timeout>,
    ) -> Result<(LockOutcome<'a>, WaitTimeoutResult)> {
        let deadline = timeout.into().deadline(libc::CLOCK_MONOTONIC)?;
        self.wait_until(guard, deadline)
            .map(|(outcome, timed_out)| (outcome, WaitTimeoutResult(timed_out)))
    }

    fn wait_until<'a>(
        &self,
        guard: MutexGuard<'a>,
        deadline: Option<libc::timespec>,
    ) -> Result<(LockOutcome<'a>, bool)> {
        let mutex = guard.mutex;
        // The wait releases and re-acquires the mutex itself; the guard is
        // rebuilt from the result.
        std::mem::forget(guard);
        let (op, rc) = match deadline {
            // SAFETY: both are initialised process-shared objects and this
            // thread holds the mutex (the guard proved it).
            None => ("pthread_cond_wait", unsafe {
                libc::pthread_cond_wait(self.raw(), mutex.raw())
            }),
            // SAFETY: as above; `deadline` is a valid, normalised timespec on
            // the condvar's clock (CLOCK_MONOTONIC).
            Some(deadline) => ("pthread_cond_timedwait", unsafe {
                libc::pthread_cond_timedwait(self.raw(), mutex.raw(), &deadline)
            }),
        };
        match rc {
            0 => Ok((LockOutcome::Locked(MutexGuard::new(mutex)), false)),
            libc::ETIMEDOUT => Ok((LockOutcome::Locked(MutexGuard::new(mutex)), true)),
            libc::EOWNERDEAD => Ok((
                LockOutcome::OwnerDied(InconsistentGuard {
                    mutex,
                    _not_send: PhantomData,
                }),
                false,
            )),
            // Re-acquiring failed: the mutex is not held.
            libc::ENOTRECOVERABLE => Err(lock_error(op, rc)),
            rc => {
                // The wait failed before releasing the mutex: release it.
                drop(MutexGuard::new(mutex));
                Err(Error::from_errno(op, rc))
            }
        }
    }

    /// Wakes one thread waiting on the condvar, in any process
    /// (`pthread_cond_signal`); nothing happens when no one waits.
    pub fn notify_one(&self) {
        // SAFETY: an initialised process-shared condvar.
        unsafe { libc::pthread_cond_signal(self.raw()) };
    }

    /// Wakes every thread waiting on the condvar, in every process
    /// (`pthread_cond_broadcast`).
    pub fn notify_all(&self) {
        // SAFETY: an initialised process-shared condvar.
        unsafe { libc::pthread_cond_broadcast(self.raw()) };
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("address", &self.raw())
            .finish_non_exhaustive()
    }
}

/// A `pthread_condattr_t`, destroyed on drop.
struct CondAttr(UnsafeCell<MaybeUninit<libc::pthread_condattr_t>>);

impl CondAttr {
    fn new() -> Result<CondAttr> {
        let attr = UnsafeCell::new(MaybeUninit::<libc::pthread_condattr_t>::uninit());
        // SAFETY: the pointer is valid for writes of a pthread_condattr_t.
        pthread("pthread_condattr_init", unsafe {
            libc::pthread_condattr_init(attr.get().cast())
        })?;
        Ok(CondAttr(attr))
    }

    fn as_ptr(&self) -> *mut libc::pthread_condattr_t {
        self.0.get().cast()
    }
}

impl Drop for CondAttr {
    fn drop(&mut self) {
        // SAFETY: initialised by `new`.
        unsafe { libc::pthread_condattr_destroy(self.as_ptr()) };
    }
}
