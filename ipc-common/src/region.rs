//! [`Region`]: a bounds-checked view of memory shared with other processes.
//!
//! POSIX `Mapping`s and System V `Attachment`s both own one and unmap/detach it
//! themselves; this type only knows how to read, write and lend atomics safely.

mod copy;
pub(crate) mod populate;

use std::ptr::NonNull;
use std::sync::atomic::{
    AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicIsize, AtomicU8, AtomicU16,
    AtomicU32, AtomicU64, AtomicUsize,
};

use crate::{Error, ErrorKind, Result};

/// A view of `len` bytes of shared memory at a fixed address.
///
/// Other processes may write the same bytes at any time, so a safe `&mut [u8]`
/// (or even `&[u8]`) over them would be unsound. Instead a `Region` offers:
///
/// - bounds-checked copies: [`read_at`](Region::read_at), [`write_at`](Region::write_at),
///   [`fill`](Region::fill), at `memcpy` speed (see [Copies](#copies)). A
///   copy racing another process's writes may see torn data but is never
///   undefined behaviour; order them with a semaphore, a lock or an
///   acquire/release atomic;
/// - atomics at aligned offsets for lock-free coordination:
///   [`atomic`](Region::atomic) for every std atomic type (`AtomicU8` ...
///   `AtomicU64`, the signed ones, `AtomicUsize`, `AtomicIsize`,
///   `AtomicBool`), with the shorthands [`atomic_u32`](Region::atomic_u32) and
///   [`atomic_u64`](Region::atomic_u64);
/// - with the `bytemuck` feature, typed copies of plain-old-data values:
///   `read_obj`/`write_obj` and `read_slice`/`write_slice`;
/// - raw pointers, and `unsafe` slices whose `# Safety` sections say what the
///   caller must guarantee.
///
/// # Copies
///
/// Every copy into or out of a `Region` behaves as a sequence of relaxed
/// atomic byte loads or stores (the semantics of C++'s proposed
/// `atomic_load_per_byte_memcpy`, P1478, and Rust's `AtomicPerByte`, RFC
/// 3301): each byte read is a value that some process wrote to it, the bytes
/// of one copy may come from different writes (torn), and nothing is
/// undefined behaviour when another process writes meanwhile. A plain
/// `memcpy` (`ptr::copy_nonoverlapping`) would be a data race, and
/// compiler-visible atomics cannot be vectorised, so on x86, x86_64 and
/// aarch64 the copies are inline assembly that the compiler must treat as a
/// black box: `rep movsb`/`rep stosb` from 2 KiB on CPUs with fast strings
/// (as glibc's `memcpy`/`memset` at those sizes, avoiding the 4 KiB-aliasing
/// distances where `rep movsb` collapses), SSE2 or NEON vector moves below
/// that. Each instruction reads and writes whole bytes, which is exactly
/// what relaxed byte atomics do; the full argument is in the source of the
/// `region::copy` module. Other targets copy with relaxed atomic loads and
/// stores (byte-wise to a word boundary, then word-wise). A release that
/// follows a copy (a semaphore post, a mutex unlock, a `Release` store)
/// publishes it, as it would publish a `memcpy`. Between threads of one
/// process Rust's own rules apply: a copy racing an atomic of another size
/// ([`atomic`](Region::atomic)) on the same bytes is a mixed-size race, which
/// Rust's memory model leaves undefined, so order those.
///
/// A read-only region refuses writes with
/// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied) instead of
/// faulting. A `Region` does not own the memory: the type that created it
/// (a mapping or attachment) keeps it mapped for as long as the `Region` is
/// reachable through it.
///
/// ```
/// use ipc_common::Region;
/// let mut backing = vec![0u64; 4]; // 32 bytes, 8-aligned
/// let ptr = std::ptr::NonNull::new(backing.as_mut_ptr()).unwrap().cast();
/// // SAFETY: `backing` outlives `region` and is not otherwise accessed meanwhile.
/// let region = unsafe { Region::from_raw_parts(ptr, 32, true) };
/// region.write_at(3, b"hello")?;
/// let mut out = [0u8; 5];
/// region.read_at(3, &mut out)?;
/// assert_eq!(&out, b"hello");
/// region.atomic_u32(8)?.fetch_add(2, std::sync::atomic::Ordering::SeqCst);
/// assert_eq!(region.atomic_u32(8)?.load(std::sync::atomic::Ordering::SeqCst), 2);
/// assert!(region.write_at(30, b"abc").is_err()); // past the end
/// assert!(region.atomic_u64(4).is_err());        // misaligned
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Debug)]
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
    writable: bool,
}

// SAFETY: a Region is an address and a length; every access its safe API
// offers is atomic (copies are relaxed per-byte atomic, see `copy`), which is
// fine from any thread, and the owner that created it guarantees the memory
// stays mapped while it is reachable.
unsafe impl Send for Region {}
// SAFETY: as above: shared access through the safe API is atomic.
unsafe impl Sync for Region {}

impl Region {
    /// A view of `len` bytes at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` must be mapped and readable (and writable when `writable`
    /// is true) for as long as the returned `Region` is used, and the memory must
    /// not be unmapped before it is dropped. For `len == 0` any non-null,
    /// suitably aligned pointer will do.
    pub unsafe fn from_raw_parts(ptr: NonNull<u8>, len: usize, writable: bool) -> Region {
        Region { ptr, len, writable }
    }

    /// Length in bytes.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u8; 16];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 16, false) };
    /// assert_eq!(r.len(), 16);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the region has no bytes.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// // SAFETY: an empty region never dereferences its pointer.
    /// let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::dangling(), 0, false) };
    /// assert!(r.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when writes are allowed.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u8; 4];
    /// # // SAFETY: `b` outlives the region.
    /// let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 4, false) };
    /// assert!(!r.is_writable());
    /// assert!(r.write_at(0, b"x").unwrap_err().is_permissions());
    /// ```
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// The first byte's address, for FFI or `unsafe` code.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [7u8; 4];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 4, false) };
    /// // SAFETY: offset 0 is inside the region and nobody writes it concurrently here.
    /// assert_eq!(unsafe { *r.as_ptr() }, 7);
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// The first byte's address as a mutable pointer. Writing through it into a
    /// read-only region faults (`SIGSEGV`); check [`is_writable`](Region::is_writable).
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u8; 4];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 4, true) };
    /// // SAFETY: offset 1 is inside the writable region; no one else accesses it.
    /// unsafe { r.as_mut_ptr().add(1).write(9) };
    /// let mut one = [0u8];
    /// r.read_at(1, &mut one)?;
    /// assert_eq!(one, [9]);
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    fn range(&self, op: &'static str, offset: usize, len: usize) -> Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::invalid_input(
                op,
                format!(
                    "offset {offset} + length {len} is past the end of the {}-byte region; \
                     keep offset + length <= {}",
                    self.len, self.len
                ),
            )),
        }
    }

    /// Copies `buf.len()` bytes starting at `offset` into `buf`.
    ///
    /// Fails with `InvalidInput` (and copies nothing) when the range does not
    /// fit inside the region. Allocates nothing.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = *b"abcdef";
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 6, false) };
    /// let mut out = [0u8; 3];
    /// r.read_at(2, &mut out)?;
    /// assert_eq!(&out, b"cde");
    /// assert!(r.read_at(usize::MAX, &mut out).unwrap_err().is_invalid_input());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.range("read_at", offset, buf.len())?;
        // SAFETY: offset + buf.len() <= self.len (checked above), so the source
        // lies in the mapped, readable region.
        unsafe { copy::load(self.ptr.as_ptr().add(offset), buf) };
        Ok(())
    }

    /// Copies `len` bytes starting at `offset` into a new `Vec`.
    ///
    /// One rule for every read of this family: `len` bytes exactly, so `0`
    /// reads nothing, and a range past the end is
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput) (nothing is read);
    /// [`read_to_end`](Self::read_to_end) reads everything from an offset.
    /// Memory that cannot be allocated for the copy is
    /// [`LimitExceeded`](crate::ErrorKind::LimitExceeded), never an abort.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = *b"abcdef";
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 6, false) };
    /// assert_eq!(r.read_vec(4, 2)?, b"ef");
    /// assert_eq!(r.read_vec(4, 0)?, b"");
    /// assert!(r.read_vec(4, 3).is_err());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn read_vec(&self, offset: usize, len: usize) -> Result<Vec<u8>> {
        self.range("read_vec", offset, len)?;
        self.copy_out("read_vec", offset, len)
    }

    /// Copies everything from `offset` to the end into a new `Vec`
    /// (`offset` may be the length: that reads nothing); an offset past the
    /// end is [`InvalidInput`](crate::ErrorKind::InvalidInput). Python
    /// `sysv_ipc`'s `read(0, offset)`.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = *b"abcdef";
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 6, false) };
    /// assert_eq!(r.read_to_end(2)?, b"cdef");
    /// assert_eq!(r.read_to_end(6)?, b"");
    /// assert!(r.read_to_end(7).unwrap_err().is_invalid_input());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn read_to_end(&self, offset: usize) -> Result<Vec<u8>> {
        let Some(len) = self.len.checked_sub(offset) else {
            return Err(Error::invalid_input(
                "read_to_end",
                format!(
                    "offset {offset} is past the end of the {}-byte region; keep it <= {}",
                    self.len, self.len
                ),
            ));
        };
        self.copy_out("read_to_end", offset, len)
    }

    /// Copies the checked range `offset..offset + len` into a new `Vec`,
    /// allocated fallibly: shared memory can be far larger than what this
    /// process may allocate.
    fn copy_out(&self, op: &'static str, offset: usize, len: usize) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        v.try_reserve_exact(len).map_err(|_| {
            Error::new(
                ErrorKind::LimitExceeded,
                op,
                format!(
                    "cannot allocate {len} bytes to copy the memory into (out of memory, or \
                     RLIMIT_AS/RLIMIT_DATA); read a smaller range, or read_at into a buffer \
                     of your own"
                ),
            )
        })?;
        v.resize(len, 0);
        self.read_at(offset, &mut v)?;
        Ok(v)
    }

    fn ensure_writable(&self, op: &'static str) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::PermissionDenied,
                op,
                "the memory is mapped read-only; open/attach it with write access to write",
            ))
        }
    }

    /// Copies `data` into the region starting at `offset`.
    ///
    /// Fails with `InvalidInput` when the range does not fit, and with
    /// `PermissionDenied` when the region is read-only; nothing is written then.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u8; 4];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 4, true) };
    /// r.write_at(1, b"xyz")?;
    /// assert!(r.write_at(2, b"xyz").unwrap_err().is_invalid_input());
    /// assert_eq!(r.read_vec(0, 4)?, b"\0xyz");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn write_at(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.range("write_at", offset, data.len())?;
        self.ensure_writable("write_at")?;
        // SAFETY: the destination range is inside the writable mapped region
        // (checked above).
        unsafe { copy::store(self.ptr.as_ptr().add(offset), data) };
        Ok(())
    }

    /// Sets `len` bytes starting at `offset` to `byte`.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u8; 4];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 4, true) };
    /// r.fill(1, 2, b'-')?;
    /// assert_eq!(r.read_vec(0, 4)?, b"\0--\0");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn fill(&self, offset: usize, len: usize, byte: u8) -> Result<()> {
        self.range("fill", offset, len)?;
        self.ensure_writable("fill")?;
        // SAFETY: the range is inside the writable mapped region (checked above).
        unsafe { copy::fill(self.ptr.as_ptr().add(offset), len, byte) };
        Ok(())
    }

    /// Pre-faults the whole region: maps every page into this process's page
    /// tables now, so that the first pass over fresh shared memory does not
    /// take one page fault per page (System V segments have no fault-around,
    /// so each 4 KiB page of a new attachment faults on its own).
    ///
    /// On Linux 5.14+ this is one `madvise(MADV_POPULATE_READ)` call, also for
    /// a writable region: on shared memory a read fault allocates a missing
    /// page and maps it writable, and it maps neighbouring pages too where
    /// the file has fault-around (POSIX objects), so it was measured faster
    /// than `MADV_POPULATE_WRITE`, which takes one write fault per page
    /// (6-7 against 3.5 GB/s for the first write pass through a 64 MiB POSIX
    /// mapping). A region of 16 MiB or more is split among up to four
    /// threads (one per 8 MiB, no more than the CPUs this process may use),
    /// which fault their pieces in at once: the kernel faults pages under a
    /// shared lock, and two threads pre-faulted a 64 MiB SysV attachment in
    /// half the time of one. The threads are scoped and have ended when this
    /// returns; where none can start (a thread limit), the calling thread
    /// does all the work. Where the kernel lacks the advice (`EINVAL`), and on
    /// other systems, it reads one byte per page instead, with atomic loads,
    /// on the calling thread. The contents are never changed.
    ///
    /// Pages that cannot be backed are an error here instead of a `SIGBUS`
    /// later, where `madvise` reports them:
    /// [`LimitExceeded`](ErrorKind::LimitExceeded) when memory or the file
    /// system is full, [`Interrupted`](ErrorKind::Interrupted) when a signal
    /// interrupts it.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = vec![7u8; 3 * 4096];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::new(b.as_mut_ptr()).unwrap(), b.len(), true) };
    /// r.populate()?;
    /// assert_eq!(r.read_vec(0, 3)?, [7, 7, 7]); // contents unchanged
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn populate(&self) -> Result<()> {
        populate::populate(self).map(drop)
    }

    fn aligned<T>(&self, op: &'static str, offset: usize) -> Result<*mut T> {
        self.aligned_for(op, "atomics", offset)
    }

    /// A pointer to a `T` at `offset` for in-place shared objects (atomics,
    /// process-shared mutexes): in bounds, aligned for `T` (`what` names the
    /// kind of object in the error), and writable.
    pub(crate) fn aligned_for<T>(
        &self,
        op: &'static str,
        what: &'static str,
        offset: usize,
    ) -> Result<*mut T> {
        self.range(op, offset, size_of::<T>())?;
        // Atomic read-modify-write on read-only memory faults, so refuse it.
        self.ensure_writable(op)?;
        // SAFETY: offset + size_of::<T>() <= len, so the pointer stays in bounds.
        let p = unsafe { self.ptr.as_ptr().add(offset) };
        if !(p as usize).is_multiple_of(align_of::<T>()) {
            return Err(Error::invalid_input(
                op,
                format!(
                    "offset {offset} is not {}-byte aligned; {what} need a multiple of {}",
                    align_of::<T>(),
                    align_of::<T>()
                ),
            ));
        }
        Ok(p.cast())
    }

    /// The `u32` at `offset` as an atomic, for lock-free flags and counters
    /// shared between processes. `offset` must be 4-byte aligned and the region
    /// writable.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// use std::sync::atomic::Ordering;
    /// # let mut b = [0u32; 2];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 8, true) };
    /// let flag = r.atomic_u32(4)?;
    /// flag.store(1, Ordering::Release);
    /// assert_eq!(flag.load(Ordering::Acquire), 1);
    /// assert!(r.atomic_u32(2).is_err());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn atomic_u32(&self, offset: usize) -> Result<&AtomicU32> {
        self.atomic_as("atomic_u32", offset)
    }

    /// The `u64` at `offset` as an atomic. `offset` must be 8-byte aligned and
    /// the region writable.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// use std::sync::atomic::Ordering;
    /// # let mut b = [0u64; 2];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 16, true) };
    /// assert_eq!(r.atomic_u64(8)?.fetch_add(5, Ordering::SeqCst), 0);
    /// assert!(r.atomic_u64(12).is_err());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn atomic_u64(&self, offset: usize) -> Result<&AtomicU64> {
        self.atomic_as("atomic_u64", offset)
    }

    /// The bytes at `offset` as the atomic type `A`: any of std's
    /// `AtomicU8`, `AtomicU16`, `AtomicU32`, `AtomicU64`, `AtomicUsize`, their
    /// signed counterparts and `AtomicBool` (the types implementing
    /// [`SharedAtomic`]). `offset` must be a multiple of `A`'s alignment
    /// (its size), `offset + size_of::<A>()` must fit in the region, and the
    /// region must be writable (a read-modify-write on read-only memory
    /// faults); otherwise the error says which rule was broken.
    ///
    /// An `AtomicBool` accepts only the bytes 0 and 1: every other process
    /// must store a `bool` there, never another byte value.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// use std::sync::atomic::{AtomicBool, AtomicI16, AtomicU8, Ordering};
    /// # let mut b = [0u64; 2];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 16, true) };
    /// r.atomic::<AtomicI16>(2)?.store(-5, Ordering::Release);
    /// assert_eq!(r.atomic::<AtomicI16>(2)?.load(Ordering::Acquire), -5);
    /// r.atomic::<AtomicBool>(15)?.store(true, Ordering::Release);
    /// assert_eq!(r.atomic::<AtomicU8>(15)?.load(Ordering::Acquire), 1);
    /// assert!(r.atomic::<AtomicI16>(3).unwrap_err().is_invalid_input()); // misaligned
    /// assert!(r.atomic::<AtomicI16>(16).unwrap_err().is_invalid_input()); // past the end
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn atomic<A: SharedAtomic>(&self, offset: usize) -> Result<&A> {
        self.atomic_as(A::OP, offset)
    }

    fn atomic_as<A: SharedAtomic>(&self, op: &'static str, offset: usize) -> Result<&A> {
        let p = self.aligned::<A>(op, offset)?;
        // SAFETY: `p` is in bounds, aligned for `A` and writable; the region
        // outlives `&self`; `A` is one of std's atomic types (sealed trait),
        // which have the size and validity of their integer (every bit
        // pattern valid, or 0/1 for AtomicBool, see `atomic`'s docs), and
        // all access through the result is atomic.
        Ok(unsafe { &*p })
    }

    /// Copies the `T` stored at `offset` out of the region (`bytemuck`
    /// feature).
    ///
    /// `offset` need not be aligned: the value is copied with the region's
    /// per-byte atomic copy (see [Copies](Region#copies)) into a local `T`
    /// (never through a `&T` into shared memory). A writer in
    /// another process racing the copy can therefore produce a torn value (some
    /// bytes old, some new) but never undefined behaviour, because a
    /// [`Pod`](bytemuck::Pod) type accepts every bit pattern. Order the copy
    /// with a lock ([`RobustMutex`](crate::RobustMutex), a semaphore) or an
    /// acquire/release atomic when you need a consistent value.
    ///
    /// Fails with `InvalidInput` when `offset + size_of::<T>()` is past the
    /// end. Allocates nothing.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u64; 4];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 32, true) };
    /// r.write_obj(3, &[1.5f32, -2.0])?;          // unaligned is fine
    /// assert_eq!(r.read_obj::<[f32; 2]>(3)?, [1.5, -2.0]);
    /// r.write_obj(24, &u64::MAX)?;
    /// assert_eq!(r.read_obj::<u64>(24)?, u64::MAX);
    /// assert!(r.read_obj::<u64>(25).unwrap_err().is_invalid_input()); // past the end
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    #[cfg(feature = "bytemuck")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bytemuck")))]
    pub fn read_obj<T: bytemuck::Pod>(&self, offset: usize) -> Result<T> {
        self.range("read_obj", offset, size_of::<T>())?;
        let mut value = T::zeroed();
        // SAFETY: the source range is inside the region (checked above).
        unsafe {
            copy::load(
                self.ptr.as_ptr().add(offset),
                bytemuck::bytes_of_mut(&mut value),
            );
        }
        Ok(value)
    }

    /// Copies `value` into the region at `offset` (`bytemuck` feature).
    ///
    /// `offset` need not be aligned; the copy is per-byte atomic (see
    /// [Copies](Region#copies)), so a reader racing it may
    /// see a torn value but never undefined behaviour. Fails with
    /// `InvalidInput` when the value does not fit and with `PermissionDenied`
    /// when the region is read-only; nothing is written then. Allocates
    /// nothing.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u64; 2];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 16, true) };
    /// r.write_obj(0, &0x0102_0304u32)?;
    /// assert_eq!(r.read_vec(0, 4)?, 0x0102_0304u32.to_ne_bytes());
    /// assert!(r.write_obj(9, &0u64).unwrap_err().is_invalid_input());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    #[cfg(feature = "bytemuck")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bytemuck")))]
    pub fn write_obj<T: bytemuck::Pod>(&self, offset: usize, value: &T) -> Result<()> {
        self.write_bytes_at("write_obj", offset, bytemuck::bytes_of(value))
    }

    /// Copies `out.len()` consecutive `T`s starting at `offset` into `out`
    /// (`bytemuck` feature): [`read_obj`](Region::read_obj) for a run of
    /// records, e.g. a ring of them after a header. Same rules: any offset,
    /// bounds-checked (`InvalidInput`, nothing copied), torn values possible
    /// under concurrent writes, no allocation.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = [0u64; 4];
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 32, true) };
    /// r.write_slice(8, &[1u16, 2, 3])?;
    /// let mut out = [0u16; 3];
    /// r.read_slice(8, &mut out)?;
    /// assert_eq!(out, [1, 2, 3]);
    /// assert!(r.read_slice(8, &mut [0u64; 4]).is_err());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    #[cfg(feature = "bytemuck")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bytemuck")))]
    pub fn read_slice<T: bytemuck::Pod>(&self, offset: usize, out: &mut [T]) -> Result<()> {
        let len = size_of_val(out);
        // SAFETY: a `Pod` slice has no padding and accepts every bit pattern,
        // so its `len` bytes may be viewed and written as `u8`s (done this way
        // rather than with `cast_slice_mut`, which panics for zero-sized `T`).
        let bytes = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), len) };
        self.range("read_slice", offset, len)?;
        // SAFETY: the source range is inside the region (checked above).
        unsafe { copy::load(self.ptr.as_ptr().add(offset), bytes) };
        Ok(())
    }

    /// Copies the `T`s of `values` into the region starting at `offset`
    /// (`bytemuck` feature); the counterpart of
    /// [`read_slice`](Region::read_slice), with
    /// [`write_obj`](Region::write_obj)'s rules.
    #[cfg(feature = "bytemuck")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bytemuck")))]
    pub fn write_slice<T: bytemuck::Pod>(&self, offset: usize, values: &[T]) -> Result<()> {
        // SAFETY: a `Pod` slice has no padding or uninitialised bytes, so its
        // bytes may be read as `u8`s (`cast_slice` would panic for zero-sized `T`).
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values))
        };
        self.write_bytes_at("write_slice", offset, bytes)
    }

    #[cfg(feature = "bytemuck")]
    fn write_bytes_at(&self, op: &'static str, offset: usize, data: &[u8]) -> Result<()> {
        self.range(op, offset, data.len())?;
        self.ensure_writable(op)?;
        // SAFETY: the destination range is inside the writable mapped region
        // (checked above).
        unsafe { copy::store(self.ptr.as_ptr().add(offset), data) };
        Ok(())
    }

    /// The whole region as a byte slice.
    ///
    /// # Safety
    ///
    /// No one (no other process, thread or pointer) may write these bytes while
    /// the slice is alive; otherwise the read is a data race. Use it only under
    /// a protocol that guarantees this (e.g. a semaphore held by the reader).
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = *b"abc";
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 3, false) };
    /// // SAFETY: nothing writes `b` while the slice lives.
    /// assert_eq!(unsafe { r.as_slice() }, b"abc");
    /// ```
    pub unsafe fn as_slice(&self) -> &[u8] {
        // SAFETY: in bounds and mapped (constructor contract); the caller
        // guarantees no concurrent writes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The whole region as a mutable byte slice.
    ///
    /// # Safety
    ///
    /// No one else (no other process, thread or pointer) may read or write these
    /// bytes while the slice is alive, and the region must be writable
    /// (writing to a read-only mapping faults).
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = *b"abc";
    /// # // SAFETY: `b` outlives the region.
    /// # let mut r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 3, true) };
    /// // SAFETY: the region is writable and nothing else touches `b` meanwhile.
    /// unsafe { r.as_mut_slice()[0] = b'X' };
    /// assert_eq!(r.read_vec(0, 3)?, b"Xbc");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub unsafe fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: in bounds and mapped (constructor contract); the caller
        // guarantees exclusivity and writability.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// The std atomic types a [`Region`] lends out at aligned offsets
/// ([`Region::atomic`]): `AtomicU8`, `AtomicU16`, `AtomicU32`, `AtomicU64`,
/// `AtomicUsize`, `AtomicI8`, `AtomicI16`, `AtomicI32`, `AtomicI64`,
/// `AtomicIsize` and `AtomicBool`. Sealed: only these types implement it.
pub trait SharedAtomic: sealed::Sealed + Sync {
    /// The operation name errors carry (`"atomic::<AtomicU16>"`).
    const OP: &'static str;
}

mod sealed {
    /// Keeps [`SharedAtomic`](super::SharedAtomic) closed to std's atomics.
    pub trait Sealed {}
}

macro_rules! shared_atomics {
    ($($t:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl SharedAtomic for $t {
            const OP: &'static str = concat!("atomic::<", stringify!($t), ">");
        }
    )*};
}

shared_atomics!(
    AtomicU8,
    AtomicU16,
    AtomicU32,
    AtomicU64,
    AtomicUsize,
    AtomicI8,
    AtomicI16,
    AtomicI32,
    AtomicI64,
    AtomicIsize,
    AtomicBool,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_copies_are_exact_at_every_alignment_and_length() {
        let mut backing = [0u64; 8];
        let r = region(&mut backing, true);
        let data: Vec<u8> = (0..40u8)
            .map(|b| b.wrapping_mul(37).wrapping_add(1))
            .collect();
        for offset in 0..9 {
            for len in 0..=data.len() {
                r.fill(0, 64, 0xEE).unwrap();
                r.write_at(offset, &data[..len]).unwrap();
                let mut back = vec![0u8; len];
                r.read_at(offset, &mut back).unwrap();
                assert_eq!(back, data[..len], "offset {offset} len {len}");
                let all = r.read_vec(0, 64).unwrap();
                assert!(all[..offset].iter().all(|&b| b == 0xEE), "before {offset}");
                assert!(
                    all[offset + len..].iter().all(|&b| b == 0xEE),
                    "after {offset}+{len}"
                );
            }
        }
    }

    #[test]
    fn copies_and_atomics_on_the_same_bytes_from_threads() {
        let mut backing = [0u64; 2];
        let r = region(&mut backing, true);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..10_000 {
                    r.atomic_u64(0)
                        .unwrap()
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
            s.spawn(|| {
                let mut buf = [0u8; 16];
                for _ in 0..10_000 {
                    r.read_at(0, &mut buf).unwrap();
                    r.write_at(8, &buf[..8]).unwrap();
                }
            });
        });
        assert_eq!(
            r.atomic_u64(0)
                .unwrap()
                .load(std::sync::atomic::Ordering::SeqCst),
            10_000
        );
    }

    fn region(buf: &mut [u64], writable: bool) -> Region {
        let len = buf.len() * 8;
        // SAFETY: the tests keep `buf` alive while the region is used.
        unsafe { Region::from_raw_parts(NonNull::from(buf).cast(), len, writable) }
    }

    #[test]
    fn bounds_are_checked_without_overflow() {
        let mut b = [0u64; 2];
        let r = region(&mut b, true);
        let mut out = [0u8; 4];
        for (offset, len) in [(13, 4), (16, 1), (usize::MAX, 1), (1, usize::MAX)] {
            let e = r.range("t", offset, len).unwrap_err();
            assert!(e.is_invalid_input());
            assert!(e.message().contains("16-byte region"));
        }
        assert!(r.read_at(12, &mut out).is_ok());
        assert!(r.read_at(13, &mut out).is_err());
        assert!(r.write_at(16, b"").is_ok());
        assert!(r.fill(10, 7, 0).is_err());
    }

    #[test]
    fn read_only_refuses_every_write() {
        let mut b = [0u64; 2];
        let r = region(&mut b, false);
        assert!(r.write_at(0, b"x").unwrap_err().is_permissions());
        assert!(r.fill(0, 1, 1).unwrap_err().is_permissions());
        assert!(r.atomic_u32(0).unwrap_err().is_permissions());
        assert!(r.atomic_u64(0).unwrap_err().is_permissions());
        assert_eq!(b, [0, 0]);
    }

    #[test]
    fn every_atomic_width_checks_alignment_and_room_at_each_offset() {
        fn probe<A: SharedAtomic>(r: &Region) {
            let size = size_of::<A>();
            for offset in 0..=r.len() {
                let fits = offset + size <= r.len();
                let aligned = offset % align_of::<A>() == 0;
                match r.atomic::<A>(offset) {
                    Ok(_) => assert!(fits && aligned, "{} at {offset}", A::OP),
                    Err(e) => {
                        assert!(!(fits && aligned), "{} at {offset}: {e}", A::OP);
                        assert!(e.is_invalid_input());
                        assert_eq!(e.operation(), A::OP);
                        let why = if fits { "aligned" } else { "past the end" };
                        assert!(e.message().contains(why), "{e}");
                    }
                }
            }
        }
        let mut b = [0u64; 3];
        let r = region(&mut b, true);
        probe::<AtomicU8>(&r);
        probe::<AtomicU16>(&r);
        probe::<AtomicU32>(&r);
        probe::<AtomicU64>(&r);
        probe::<AtomicUsize>(&r);
        probe::<AtomicI8>(&r);
        probe::<AtomicI16>(&r);
        probe::<AtomicI32>(&r);
        probe::<AtomicI64>(&r);
        probe::<AtomicIsize>(&r);
        probe::<AtomicBool>(&r);
        let ro = region(&mut b, false);
        assert!(ro.atomic::<AtomicU8>(0).unwrap_err().is_permissions());
        assert!(ro.atomic::<AtomicBool>(0).unwrap_err().is_permissions());
    }

    #[test]
    fn atomics_of_each_width_touch_exactly_their_bytes() {
        use std::sync::atomic::Ordering::SeqCst;
        // 8-aligned for AtomicI64 also where u64 is only 4-aligned (i686).
        #[repr(align(8))]
        struct Aligned([u64; 2]);
        let mut b = Aligned([0; 2]);
        let r = region(&mut b.0, true);
        r.atomic::<AtomicI8>(1).unwrap().store(-1, SeqCst);
        r.atomic::<AtomicU16>(2).unwrap().store(0x0202, SeqCst);
        r.atomic::<AtomicI32>(4).unwrap().store(-2, SeqCst);
        r.atomic::<AtomicIsize>(8).unwrap().fetch_sub(1, SeqCst);
        let all = r.read_vec(0, 16).unwrap();
        assert_eq!(all[..8], [0, 0xff, 2, 2, 0xfe, 0xff, 0xff, 0xff]);
        // An isize is 8 bytes on 64-bit targets and 4 on 32-bit ones.
        let isize_end = 8 + size_of::<isize>();
        assert!(all[8..isize_end].iter().all(|&x| x == 0xff), "{all:?}");
        assert!(all[isize_end..].iter().all(|&x| x == 0), "{all:?}");
        assert_eq!(r.atomic::<AtomicI64>(0).unwrap().load(SeqCst), {
            i64::from_ne_bytes(all[..8].try_into().unwrap())
        });
        r.fill(0, 16, 0).unwrap();
        r.atomic::<AtomicBool>(3).unwrap().store(true, SeqCst);
        assert_eq!(r.read_vec(0, 5).unwrap(), [0, 0, 0, 1, 0]);
        assert!(r.atomic::<AtomicBool>(3).unwrap().load(SeqCst));
        assert_eq!(r.atomic::<AtomicUsize>(0).unwrap().load(SeqCst), {
            usize::from_ne_bytes(
                r.read_vec(0, size_of::<usize>())
                    .unwrap()
                    .try_into()
                    .unwrap(),
            )
        });
    }

    #[cfg(feature = "bytemuck")]
    #[test]
    fn typed_copies_at_every_offset_up_to_the_end() {
        #[repr(C)]
        #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
        struct Rec {
            a: u64,
            b: u32,
            c: [u8; 4],
        }
        let rec = Rec {
            a: 0x0102_0304_0506_0708,
            b: 0xA0B0_C0D0,
            c: *b"rec!",
        };
        let mut b = [0u64; 8];
        let r = region(&mut b, true);
        let size = size_of::<Rec>();
        for offset in 0..=r.len() {
            r.fill(0, 64, 0xEE).unwrap();
            let fits = offset + size <= r.len();
            assert_eq!(r.write_obj(offset, &rec).is_ok(), fits, "write at {offset}");
            let back = r.read_obj::<Rec>(offset);
            if fits {
                assert_eq!(back.unwrap(), rec, "read at {offset}");
                let all = r.read_vec(0, 64).unwrap();
                assert!(all[..offset].iter().all(|&x| x == 0xEE));
                assert!(all[offset + size..].iter().all(|&x| x == 0xEE));
            } else {
                let e = back.unwrap_err();
                assert!(e.is_invalid_input() && e.message().contains("64-byte region"));
                assert!(r.read_vec(0, 64).unwrap().iter().all(|&x| x == 0xEE));
            }
        }
        // Offsets near usize::MAX do not overflow.
        assert!(r.read_obj::<u8>(usize::MAX).unwrap_err().is_invalid_input());
        assert!(r.write_obj(usize::MAX - 1, &0u16).is_err());
        // Slices: the whole region, one element too many, empty at the end.
        let words: Vec<u32> = (0..16).collect();
        r.write_slice(0, &words).unwrap();
        let mut back = [0u32; 16];
        r.read_slice(0, &mut back).unwrap();
        assert_eq!(back[..], words[..]);
        assert!(r.read_slice(4, &mut back).unwrap_err().is_invalid_input());
        assert!(r.write_slice(4, &words).unwrap_err().is_invalid_input());
        r.write_slice::<u32>(64, &[]).unwrap();
        r.read_slice::<u32>(64, &mut []).unwrap();
        // Zero-sized types are fine (and never panic).
        r.write_slice(64, &[(); 3]).unwrap();
        r.read_slice(64, &mut [(); 3]).unwrap();
        r.read_obj::<()>(64).unwrap();
        // Read-only: reads work, writes are refused and write nothing.
        let ro = region(&mut b, false);
        assert_eq!(ro.read_obj::<u32>(0).unwrap(), 0);
        assert!(ro.write_obj(0, &7u32).unwrap_err().is_permissions());
        assert!(ro.write_slice(0, &[7u8]).unwrap_err().is_permissions());
        assert_eq!(ro.read_obj::<u32>(0).unwrap(), 0);
    }

    #[cfg(feature = "bytemuck")]
    #[test]
    fn typed_copies_racing_atomic_writers_are_whole_or_torn_never_ub() {
        // Each writer stores a u64 made of one repeated byte; a reader sees
        // every byte come from one of the stores (torn across them at
        // worst), and exact values once the writers stop.
        let mut b = [0u64; 4];
        let r = region(&mut b, true);
        std::thread::scope(|s| {
            for k in 1..=2u8 {
                let r = &r;
                s.spawn(move || {
                    for _ in 0..20_000 {
                        r.write_obj(3, &u64::from_ne_bytes([k; 8])).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..20_000 {
                    let v: [u8; 8] = r.read_obj(3).unwrap();
                    assert!(v.iter().all(|&x| x <= 2), "{v:?}");
                }
            });
        });
        let v: u64 = r.read_obj(3).unwrap();
        assert!(v == u64::from_ne_bytes([1; 8]) || v == u64::from_ne_bytes([2; 8]));
    }

    #[test]
    fn atomics_need_alignment_and_room() {
        let mut b = [0u64; 2];
        let r = region(&mut b, true);
        assert!(r.atomic_u32(12).is_ok());
        assert!(r.atomic_u32(14).is_err());
        assert!(r.atomic_u32(9).unwrap_err().message().contains("aligned"));
        assert!(r.atomic_u64(8).is_ok());
        assert!(r.atomic_u64(16).is_err());
        r.atomic_u64(0)
            .unwrap()
            .store(u64::MAX, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(r.read_vec(0, 8).unwrap(), [0xff; 8]);
    }
}
