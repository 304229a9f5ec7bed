//! [`Mapping`]: shared memory mapped into this process, unmapped on drop.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;

use ipc_common::__private::{check, check_ptr};
use ipc_common::{Error, ErrorKind, Region, Result};

use crate::limits::page_size;

/// A shared memory object (or a range of it) mapped into this process with
/// `mmap(MAP_SHARED)`; made by [`SharedMemory::map`](super::SharedMemory::map)
/// and [`SharedMemory::map_range`](super::SharedMemory::map_range).
///
/// A `Mapping` derefs to [`Region`], which is how you touch the memory:
/// [`read_at`](Region::read_at) / [`write_at`](Region::write_at) /
/// [`read_vec`](Region::read_vec) / [`fill`](Region::fill) (bounds-checked
/// copies), [`atomic_u32`](Region::atomic_u32) /
/// [`atomic_u64`](Region::atomic_u64) (lock-free flags and counters shared with
/// other processes), [`as_ptr`](Region::as_ptr) / [`as_mut_ptr`](Region::as_mut_ptr),
/// [`len`](Region::len), and the `unsafe` [`as_slice`](Region::as_slice) and
/// [`as_mut_slice`](Mapping::as_mut_slice). There is no safe `&mut [u8]`:
/// other processes may write the same bytes at any time.
///
/// # Lifetime
///
/// The mapping is independent of the [`SharedMemory`](super::SharedMemory)
/// handle that made it: it stays valid after the handle is closed or dropped,
/// and after the object is unlinked (the memory lives until the last mapping
/// and descriptor are gone). Dropping the `Mapping` unmaps it;
/// [`unmap`](Mapping::unmap) does the same and reports a failure.
///
/// # Read-only mappings
///
/// A mapping made through a read-only handle is mapped `PROT_READ`. Writes
/// through the safe API ([`write_at`](Region::write_at), [`fill`](Region::fill),
/// the atomics) are [`PermissionDenied`](ErrorKind::PermissionDenied) errors
/// instead of a `SIGSEGV`; only writing through [`as_mut_ptr`](Region::as_mut_ptr)
/// would fault.
///
/// # When `SIGBUS` can still happen
///
/// Touching a mapped page that the object's file cannot back raises `SIGBUS`,
/// which kills the process; no check on this side of `mmap` can see it
/// coming. That leaves these cases:
///
/// - **Shrinking.** If anyone shrinks the object
///   ([`set_len`](super::SharedMemory::set_len), `ftruncate`, `O_TRUNC`)
///   below the end of a mapping, touching the bytes past the new end raises
///   `SIGBUS`, in every process that maps them. Shrink only when every
///   process has agreed to stop using the tail. Only users with write access
///   can shrink an object: keep the default mode `0o600` unless others must
///   write, and let an open-or-create refuse other users' objects (the
///   default, see
///   [`allow_foreign_owner`](super::SharedMemoryOptions::allow_foreign_owner)).
/// - **Sparse objects on a full file system.** An object sized without
///   reserving its pages (created with
///   [`sparse(true)`](super::SharedMemoryOptions::sparse), by another program
///   with a plain `ftruncate`, by posix_ipc, or on a system without
///   `posix_fallocate`) gets its pages when they are first touched; when
///   `/dev/shm` is full by then, that touch raises `SIGBUS`. Objects this
///   crate sizes are reserved, so this does not happen to them.
///
/// # Threads
///
/// `Mapping` is `Send + Sync`: every access through `&Mapping` is a copy or an
/// atomic operation.
///
/// ```
/// use std::sync::atomic::Ordering;
/// let shm = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
/// let map = shm.map()?;
/// drop(shm); // the mapping stays valid, even unlinked and closed
/// map.write_at(8, b"payload")?;
/// map.atomic_u32(0)?.store(1, Ordering::Release); // "payload ready"
/// assert_eq!(map.read_vec(8, 7)?, b"payload");
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub struct Mapping {
    region: Region,
    /// Bytes between the page-aligned start `mmap` returned and `region`.
    delta: usize,
    /// The length given to `mmap` (`delta + region.len()`).
    map_len: usize,
    /// The object offset of the region's first byte.
    offset: usize,
}

impl Mapping {
    /// Maps `len > 0` bytes at object offset `offset` of `fd`; the caller has
    /// checked that the range lies inside the object.
    pub(super) fn new(
        fd: BorrowedFd<'_>,
        offset: usize,
        len: usize,
        writable: bool,
    ) -> Result<Self> {
        debug_assert!(len > 0);
        let page = page_size();
        let aligned = offset - offset % page;
        let delta = offset - aligned;
        let too_big = || {
            Error::invalid_input(
                "mmap",
                format!("offset {offset} + length {len} does not fit this process's address space"),
            )
        };
        let map_len = len.checked_add(delta).ok_or_else(too_big)?;
        let file_offset = libc::off_t::try_from(aligned).map_err(|_| too_big())?;
        let prot = if writable {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh shared mapping chosen by the kernel (null hint)
        // cannot overlap memory Rust knows about; the descriptor is open.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                file_offset,
            )
        };
        let ptr = check_ptr("mmap", ptr, libc::MAP_FAILED).map_err(|e| {
            let msg = match e.raw_os_error().unwrap_or(0) {
                libc::EACCES => format!(
                    "cannot map {len} bytes {}: the descriptor's access mode does not allow it",
                    if writable {
                        "for writing"
                    } else {
                        "for reading"
                    }
                ),
                libc::ENOMEM => {
                    return e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
                        "not enough address space to map {len} bytes (RLIMIT_AS or \
                         vm.max_map_count); map a smaller range"
                    ));
                }
                _ => format!("cannot map {len} bytes at offset {offset}"),
            };
            e.with_message(msg)
        })?;
        // SAFETY: mmap succeeded, so `ptr` is the start of `map_len > delta`
        // mapped bytes and `ptr + delta` is inside them.
        let start = unsafe { ptr.cast::<u8>().add(delta) };
        let start = NonNull::new(start).ok_or_else(|| {
            Error::new(
                ErrorKind::Other,
                "mmap",
                "the system mapped memory at address 0",
            )
        })?;
        // SAFETY: `start..start + len` is mapped with `prot` until Drop unmaps
        // the whole `map_len` bytes, and the Region never outlives `self`
        // (it is only reachable through `&self`).
        let region = unsafe { Region::from_raw_parts(start, len, writable) };
        Ok(Mapping {
            region,
            delta,
            map_len,
            offset,
        })
    }

    /// The offset in the object of this mapping's first byte (0 for
    /// [`SharedMemory::map`](super::SharedMemory::map)).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The mapped bytes as a mutable slice.
    ///
    /// # Safety
    ///
    /// While the slice lives, no one else may read or write these bytes: no
    /// other process (through its own mapping or descriptor), no other thread,
    /// and no pointer or other `Mapping` of the same object in this process.
    /// Use it only under a protocol that guarantees exclusive access (e.g. a
    /// semaphore held for the whole time). The mapping must be writable
    /// ([`is_writable`](Region::is_writable)); writing to a read-only mapping
    /// faults. No one may shrink the object below this mapping meanwhile.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?.unlink_on_drop();
    /// let mut map = shm.map()?;
    /// // SAFETY: the object is new and its name unknown to anyone else;
    /// // nothing else touches it while the slice lives.
    /// unsafe { map.as_mut_slice()[..3].copy_from_slice(b"abc") };
    /// assert_eq!(map.read_vec(0, 3)?, b"abc");
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub unsafe fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the caller upholds Region::as_mut_slice's contract, which
        // this method's # Safety section repeats.
        unsafe { self.region.as_mut_slice() }
    }

    fn munmap(&self) -> Result<()> {
        let base = self.region.as_mut_ptr().wrapping_sub(self.delta);
        // SAFETY: `base..base + map_len` is exactly the range mmap returned in
        // `new`; callers ensure it is unmapped once and never used afterwards.
        check("munmap", unsafe { libc::munmap(base.cast(), self.map_len) }).map(drop)
    }

    /// Unmaps now and reports a failure (dropping the mapping does the same,
    /// silently).
    pub fn unmap(self) -> Result<()> {
        let this = ManuallyDrop::new(self);
        this.munmap()
    }
}

impl Deref for Mapping {
    type Target = Region;

    /// The mapped bytes; see [`Region`] for what you can do with them.
    fn deref(&self) -> &Region {
        &self.region
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        let _ = self.munmap();
    }
}

impl fmt::Debug for Mapping {
    /// `Mapping { offset: 0, len: 4096, writable: true, ptr: 0x7f... }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("offset", &self.offset)
            .field("len", &self.region.len())
            .field("writable", &self.region.is_writable())
            .field("ptr", &self.region.as_ptr())
            .finish()
    }
}
