//! [`Region`]: a bounds-checked view of memory shared with other processes.
//!
//! POSIX `Mapping`s and System V `Attachment`s both own one and unmap/detach it
//! themselves; this type only knows how to read, write and lend atomics safely.

use std::ptr::NonNull;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize};

use crate::{Error, ErrorKind, Result};

/// A view of `len` bytes of shared memory at a fixed address.
///
/// Other processes may write the same bytes at any time, so a safe `&mut [u8]`
/// (or even `&[u8]`) over them would be unsound. Instead a `Region` offers:
///
/// - bounds-checked copies: [`read_at`](Region::read_at), [`write_at`](Region::write_at).
///   They copy with relaxed atomic loads and stores (word by word where
///   aligned), so a copy racing another process's writes, or this process's
///   atomics on the same bytes, may see torn data but is never undefined
///   behaviour; order them with a semaphore or an acquire/release atomic;
/// - atomics at aligned offsets for lock-free coordination:
///   [`atomic_u32`](Region::atomic_u32), [`atomic_u64`](Region::atomic_u64);
/// - raw pointers, and `unsafe` slices whose `# Safety` sections say what the
///   caller must guarantee.
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
// offers is atomic (copies use relaxed atomic loads/stores), which is fine from
// any thread, and the owner that created it guarantees the memory stays mapped
// while it is reachable.
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
        unsafe { load_bytes(self.ptr.as_ptr().add(offset), buf) };
        Ok(())
    }

    /// Copies `len` bytes starting at `offset` into a new `Vec`.
    ///
    /// ```
    /// # use ipc_common::Region;
    /// # let mut b = *b"abcdef";
    /// # // SAFETY: `b` outlives the region.
    /// # let r = unsafe { Region::from_raw_parts(std::ptr::NonNull::from(&mut b).cast(), 6, false) };
    /// assert_eq!(r.read_vec(4, 2)?, b"ef");
    /// assert!(r.read_vec(4, 3).is_err());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn read_vec(&self, offset: usize, len: usize) -> Result<Vec<u8>> {
        self.range("read_vec", offset, len)?;
        let mut v = vec![0; len];
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
        unsafe { store_bytes(self.ptr.as_ptr().add(offset), data.len(), |i| data[i]) };
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
        unsafe { store_bytes(self.ptr.as_ptr().add(offset), len, |_| byte) };
        Ok(())
    }

    fn aligned<T>(&self, op: &'static str, offset: usize) -> Result<*mut T> {
        self.range(op, offset, size_of::<T>())?;
        // Atomic read-modify-write on read-only memory faults, so refuse it.
        self.ensure_writable(op)?;
        // SAFETY: offset + size_of::<T>() <= len, so the pointer stays in bounds.
        let p = unsafe { self.ptr.as_ptr().add(offset) };
        if !(p as usize).is_multiple_of(align_of::<T>()) {
            return Err(Error::invalid_input(
                op,
                format!(
                    "offset {offset} is not {}-byte aligned; atomics need a multiple of {}",
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
        let p = self.aligned::<AtomicU32>("atomic_u32", offset)?;
        // SAFETY: `p` is in bounds, aligned for AtomicU32 and writable; the
        // region outlives `&self`, and all access through the result is atomic.
        Ok(unsafe { &*p })
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
        let p = self.aligned::<AtomicU64>("atomic_u64", offset)?;
        // SAFETY: as in atomic_u32, for 8-byte alignment.
        Ok(unsafe { &*p })
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

const WORD: usize = size_of::<usize>();

/// Copies `dst.len()` bytes from shared memory at `src` into `dst` with relaxed
/// atomic loads: single bytes until `src` is word-aligned, then words, then the
/// remaining bytes. (Plain atomic loads of at most a word are allowed on
/// read-only memory, see `std::sync::atomic`.)
///
/// # Safety
///
/// `src..src + dst.len()` must be mapped and readable.
unsafe fn load_bytes(src: *const u8, dst: &mut [u8]) {
    let len = dst.len();
    let mut i = 0;
    while i < len && !(src as usize + i).is_multiple_of(WORD) {
        // SAFETY: `src + i` is in the readable range (caller); AtomicU8 has
        // alignment 1.
        dst[i] = unsafe { (*src.add(i).cast::<AtomicU8>()).load(Relaxed) };
        i += 1;
    }
    while len - i >= WORD {
        // SAFETY: `src + i` is word-aligned (loop above) and the word lies in
        // the readable range (caller).
        let word = unsafe { (*src.add(i).cast::<AtomicUsize>()).load(Relaxed) };
        dst[i..i + WORD].copy_from_slice(&word.to_ne_bytes());
        i += WORD;
    }
    while i < len {
        // SAFETY: as for the leading bytes.
        dst[i] = unsafe { (*src.add(i).cast::<AtomicU8>()).load(Relaxed) };
        i += 1;
    }
}

/// Writes `len` bytes, byte `i` being `byte(i)`, into shared memory at `dst`
/// with relaxed atomic stores, byte- and word-wise as [`load_bytes`] reads.
///
/// # Safety
///
/// `dst..dst + len` must be mapped and writable.
#[inline]
unsafe fn store_bytes(dst: *mut u8, len: usize, byte: impl Fn(usize) -> u8) {
    let mut i = 0;
    while i < len && !(dst as usize + i).is_multiple_of(WORD) {
        // SAFETY: `dst + i` is in the writable range (caller).
        unsafe { (*dst.add(i).cast::<AtomicU8>()).store(byte(i), Relaxed) };
        i += 1;
    }
    while len - i >= WORD {
        let word = usize::from_ne_bytes(std::array::from_fn(|k| byte(i + k)));
        // SAFETY: `dst + i` is word-aligned (loop above) and the word lies in
        // the writable range (caller).
        unsafe { (*dst.add(i).cast::<AtomicUsize>()).store(word, Relaxed) };
        i += WORD;
    }
    while i < len {
        // SAFETY: as for the leading bytes.
        unsafe { (*dst.add(i).cast::<AtomicU8>()).store(byte(i), Relaxed) };
        i += 1;
    }
}

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
