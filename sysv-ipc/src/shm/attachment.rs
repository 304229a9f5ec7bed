//! [`Attachment`]: one mapping (`shmat`) of a System V shared memory segment.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;

use ipc_common::{Error, ErrorKind, Region, Result};
use posix_ipc_sys as sys;

use super::{ShmCtl, WHAT};
use crate::ipc;
use crate::key::Key;

/// One attachment (`shmat`) of a System V shared memory segment to this
/// process: a [`Region`] of the segment's size that detaches itself (`shmdt`)
/// on drop.
///
/// Made by [`SharedMemory::attach`](crate::SharedMemory::attach), [`SharedMemory::attach_read_only`](crate::SharedMemory::attach_read_only),
/// [`SharedMemory::attach_at`](crate::SharedMemory::attach_at) or the module function [`attach`](crate::attach).
/// Each call attaches once and makes one mapping, and each `Attachment`
/// detaches exactly that mapping (sysv_ipc leaks a mapping per extra
/// `attach()` and never detaches on deallocation).
///
/// Everything of [`Region`] is available through `Deref`: bounds-checked
/// copies ([`read_at`](Region::read_at), [`write_at`](Region::write_at),
/// [`read_vec`](Region::read_vec), [`read_to_end`](Region::read_to_end),
/// [`fill`](Region::fill); one rule: a length is exact, `0` reads nothing),
/// aligned atomics
/// ([`atomic_u32`](Region::atomic_u32), [`atomic_u64`](Region::atomic_u64)),
/// raw pointers and `unsafe` slices. A read-only attachment refuses every
/// write with [`ErrorKind::PermissionDenied`] instead of faulting.
///
/// An attachment keeps working after the segment is removed: on Linux the
/// kernel destroys a removed segment only when its last attachment detaches.
///
/// `Attachment` is `Send + Sync`: every shared access is a copy or an atomic
/// operation, and the mapping stays valid until the attachment is dropped.
///
/// ```
/// let seg = sysv_ipc::SharedMemory::create_unique(4096)?.remove_on_drop();
/// use std::sync::atomic::Ordering;
/// let a = seg.attach()?;
/// a.write_at(8, b"hello")?;
/// assert_eq!(a.read_vec(8, 5)?, b"hello");
/// a.atomic_u32(0)?.store(7, Ordering::Release);
/// let b = seg.attach_read_only()?; // a second, independent mapping
/// assert_eq!(b.atomic_u32(0).unwrap_err().kind(), sysv_ipc::ErrorKind::PermissionDenied);
/// assert_eq!(b.read_vec(8, 5)?, b"hello");
/// assert!(b.write_at(0, b"x").unwrap_err().is_permissions());
/// assert_eq!(seg.number_attached()?, 2);
/// a.detach()?;
/// drop(b);
/// assert_eq!(seg.number_attached()?, 0);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Attachment {
    region: Region,
    id: i32,
}

impl Attachment {
    /// `shmat(id, addr, flags)`, then `IPC_STAT` for the size and, for a
    /// handle's attachment (`key` given), to check that the id still names
    /// the segment the handle opened under `key` (else it detaches again and
    /// fails with `Removed`).
    ///
    /// `flags` must not contain `SHM_REMAP`: without it the kernel refuses an
    /// address range that overlaps an existing mapping, so no Rust memory can
    /// be clobbered.
    pub(crate) fn new(
        id: i32,
        key: Option<Key>,
        addr: *const u8,
        flags: libc::c_int,
    ) -> Result<Attachment> {
        #[cfg(target_os = "linux")]
        debug_assert_eq!(flags & sys::SHM_REMAP, 0);
        // SAFETY: shmat maps the segment at an address the kernel chooses (or
        // at `addr`, which without SHM_REMAP must not overlap any existing
        // mapping, else EINVAL); it touches no memory of ours.
        let p = unsafe { sys::shmat(id, addr.cast(), flags) };
        let p = ipc_common::__private::check_ptr(
            "shmat",
            p,
            std::ptr::without_provenance_mut(usize::MAX),
        )
        .map_err(|e| attach_error(id, addr, flags, e))?;
        let stat = ipc::stat::<ShmCtl>(id).and_then(|ds| match key {
            Some(key) => ipc::check_key::<ShmCtl>(id, key, &ds).map(|()| ds),
            None => Ok(ds),
        });
        let ds = match stat {
            Ok(ds) => ds,
            Err(e) => {
                // SAFETY: `p` is the address shmat just returned.
                unsafe { sys::shmdt(p) };
                return Err(e);
            }
        };
        let Some(ptr) = NonNull::new(p.cast::<u8>()) else {
            // SAFETY: `p` is the address shmat just returned; detaching it
            // leaves nothing mapped at address 0.
            unsafe { sys::shmdt(p) };
            return Err(Error::new(
                ErrorKind::Other,
                "shmat",
                "the kernel attached the segment at address 0, which Rust cannot use",
            ));
        };
        // SAFETY: shmat mapped the whole segment (shm_segsz bytes, read-only
        // unless SHM_RDONLY is absent) at `ptr`; it stays mapped until Drop or
        // detach() calls shmdt, and the Region never outlives `self`.
        let region =
            unsafe { Region::from_raw_parts(ptr, ds.shm_segsz, flags & sys::SHM_RDONLY == 0) };
        Ok(Attachment { region, id })
    }

    /// The id of the attached segment.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The whole attachment as a mutable byte slice.
    ///
    /// # Safety
    ///
    /// No one else (no other process, thread, attachment or pointer) may read
    /// or write these bytes while the slice is alive, and the attachment must
    /// be writable ([`is_writable`](Region::is_writable)): writing to a
    /// read-only attachment faults.
    ///
    /// ```
    /// let seg = sysv_ipc::SharedMemory::create_unique(4)?.remove_on_drop();
    /// let mut a = seg.attach()?;
    /// // SAFETY: the attachment is writable and this process is the only user.
    /// unsafe { a.as_mut_slice().copy_from_slice(b"abcd") };
    /// assert_eq!(a.read_to_end(0)?, b"abcd");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub unsafe fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: forwarded to the caller (see `# Safety`).
        unsafe { self.region.as_mut_slice() }
    }

    /// Detaches (`shmdt`), returning the error that dropping would ignore.
    pub fn detach(self) -> Result<()> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the address is the one shmat returned for this attachment,
        // which is still attached; `this` is never used again.
        let rc = unsafe { sys::shmdt(this.region.as_ptr().cast()) };
        ipc_common::__private::check("shmdt", rc)
            .map(drop)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::EINVAL) {
                    e.with_kind(ErrorKind::NotAttached)
                        .with_message("no segment is attached at this address any more")
                } else {
                    e
                }
            })
    }
}

/// The error for a failed `shmat`.
fn attach_error(id: i32, addr: *const u8, flags: libc::c_int, e: Error) -> Error {
    let access = if flags & sys::SHM_RDONLY != 0 {
        "read-only"
    } else {
        "read-write"
    };
    match e.raw_os_error() {
        Some(libc::EACCES) => {
            let hint = if flags & sys::SHM_RDONLY != 0 {
                ""
            } else {
                "; attach_read_only() needs read permission only"
            };
            let msg = format!(
                "the {WHAT} with id {id} does not allow this user to attach it {access}{hint}"
            );
            e.with_message(msg)
        }
        Some(libc::EINVAL) if !addr.is_null() => {
            let msg = format!(
                "cannot attach at address {addr:p}: it must be a multiple of SHMLBA ({}) unless \
                 rounding is asked for, and the segment must not overlap an existing mapping",
                ipc_common::__private::page_size()
            );
            e.with_message(msg)
        }
        Some(libc::EINVAL) | Some(libc::EIDRM) => {
            let msg = format!("no {WHAT} with id {id} exists (it was removed, or the id is wrong)");
            e.with_kind(ErrorKind::Removed).with_message(msg)
        }
        Some(libc::ENOMEM) => {
            let msg = format!("not enough address space to attach the {WHAT} with id {id}");
            e.with_message(msg)
        }
        _ => ipc::name_object(e, format_args!("the {WHAT} with id {id}")),
    }
}

impl Deref for Attachment {
    type Target = Region;
    fn deref(&self) -> &Region {
        &self.region
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        // SAFETY: the address is the one shmat returned for this attachment,
        // still attached; the region is not used after this.
        unsafe { sys::shmdt(self.region.as_ptr().cast()) };
    }
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("id", &self.id)
            .field("address", &self.region.as_ptr())
            .field("size", &self.region.len())
            .field("read_only", &!self.region.is_writable())
            .finish()
    }
}
