//! System V shared memory segments: [`SharedMemory`] (a segment handle),
//! [`Attachment`] (one mapping of it), [`SharedMemoryStat`] (one `IPC_STAT`),
//! the module functions [`attach`] and [`remove_shared_memory`], and the
//! size limits of the running system.

mod attachment;

pub use attachment::Attachment;

use std::fmt;
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::time::SystemTime;

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::{Error, ErrorKind, IntoMode, Permissions, Result};
use posix_ipc_sys as sys;

use crate::ipc::{self, Control, Creation, IPC_CREAT, IPC_CREX};
use crate::key::{self, Key};
use crate::limits::max_segment_size;

/// The kind's name in messages.
const WHAT: &str = "shared memory segment";

/// `SHM_HUGETLB`: allocate the segment from huge pages (Linux; the same as
/// [`SharedMemoryOptions::huge_pages`]).
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub const SHM_HUGETLB: i32 = sys::SHM_HUGETLB;

/// `SHM_NORESERVE`: do not reserve swap space for the segment (Linux; the same
/// as [`SharedMemoryOptions::no_reserve`]).
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub const SHM_NORESERVE: i32 = sys::SHM_NORESERVE;

/// `SHM_HUGETLB` where it exists, else 0.
#[cfg(target_os = "linux")]
const HUGETLB_BIT: i32 = SHM_HUGETLB;
#[cfg(not(target_os = "linux"))]
const HUGETLB_BIT: i32 = 0;

/// `SHM_NORESERVE` where it exists, else 0.
#[cfg(target_os = "linux")]
const NORESERVE_BIT: i32 = SHM_NORESERVE;
#[cfg(not(target_os = "linux"))]
const NORESERVE_BIT: i32 = 0;

/// The `shmget` flags besides `IPC_CREAT`/`IPC_EXCL` that `flags()` accepts.
#[cfg(target_os = "linux")]
const EXTRA_FLAGS: i32 = SHM_HUGETLB | SHM_NORESERVE;
#[cfg(not(target_os = "linux"))]
const EXTRA_FLAGS: i32 = 0;

/// What [`SharedMemoryOptions::flags`] accepts.
const FLAGS: FlagBits = ipc::flag_bits(EXTRA_FLAGS, WHAT);

/// `SHMLBA`: the alignment of attach addresses (glibc defines it as the page
/// size on Linux).
fn shmlba() -> usize {
    ipc_common::__private::page_size()
}

/// Options for opening or creating a segment, like [`std::fs::OpenOptions`];
/// made by [`SharedMemory::options`].
///
/// Defaults: open an existing segment, mode `0o600`, any size, no initial fill.
///
/// ```
/// use sysv_ipc::SharedMemory;
/// let seg = SharedMemory::options()
///     .mode(0o640)
///     .size(3333)
///     .init_byte(b'@')
///     .create_unique()?
///     .remove_on_drop();
/// assert_eq!(seg.size()?, 3333);
/// assert_eq!(seg.mode()?.bits(), 0o640);
/// assert_eq!(seg.read_to_end(3330)?, b"@@@");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SharedMemoryOptions {
    open: OpenOptions,
    size: Option<usize>,
    init: Option<u8>,
    huge_pages: bool,
    no_reserve: bool,
    populate: bool,
}

impl Default for SharedMemoryOptions {
    /// Same as [`SharedMemoryOptions::new`].
    fn default() -> Self {
        SharedMemoryOptions::new()
    }
}

impl SharedMemoryOptions {
    /// Options that open an existing segment of any size, asking for mode
    /// `0o600`; when creating: one page of zeros, mode `0o600`. The same as
    /// [`SharedMemory::options`].
    pub fn new() -> Self {
        SharedMemoryOptions {
            open: OpenOptions::new(),
            size: None,
            init: None,
            huge_pages: false,
            no_reserve: false,
            populate: false,
        }
    }

    /// The `shmget` bits of the type's own options.
    fn extra_flags(&self) -> i32 {
        let mut flags = 0;
        if self.huge_pages {
            flags |= HUGETLB_BIT;
        }
        if self.no_reserve {
            flags |= NORESERVE_BIT;
        }
        flags
    }

    /// Create the segment if no segment has the key (`IPC_CREAT`); otherwise
    /// open the existing one.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new segment and fail with [`ErrorKind::AlreadyExists`] if one
    /// has the key (`IPC_CREX`). Wins over [`create`](Self::create), as in
    /// [`std::fs::OpenOptions`].
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// The permission bits of a new segment, and the access asked for when
    /// opening an existing one (the kernel checks them against its mode, as
    /// sysv_ipc's `mode` does). Default `0o600`. Only `0o777` bits are
    /// accepted; anything else fails at `open` with `InvalidInput`. Takes a
    /// `u32` or a [`Mode`](crate::Mode).
    ///
    /// Without owner write permission (`0o200`) the handle's own view
    /// ([`SharedMemory::attachment`]) is read-only, as in sysv_ipc: open with
    /// `mode(0o400)` or `mode(0o444)` to read a segment you may not write.
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// The size in bytes. For a new segment the default is one page
    /// ([`page_size`](crate::limits::page_size)) and 0 is refused; sizes above [`max_segment_size`] are
    /// refused before any system call. When opening an existing segment the
    /// default accepts any size, and a larger size than the segment's fails
    /// with `InvalidInput`. Linux does not round sizes up to whole pages.
    pub fn size(&mut self, size: usize) -> &mut Self {
        self.size = Some(size);
        self
    }

    /// Fill a segment with `byte` when this call created it and may write it
    /// (its mode has owner write, `0o200`); an existing segment is never
    /// touched. Without it a new segment holds zeros, as the kernel makes it
    /// (sysv_ipc fills with `b' '` by default: use `init_byte(b' ')` to get
    /// the same bytes).
    pub fn init_byte(&mut self, byte: u8) -> &mut Self {
        self.init = Some(byte);
        self
    }

    /// Allocate a new segment from huge pages (`SHM_HUGETLB`, Linux). It needs
    /// reserved huge pages (`/proc/sys/vm/nr_hugepages`) and `CAP_IPC_LOCK` or
    /// membership in `/proc/sys/vm/hugetlb_shm_group`; without them `open`
    /// fails with `LimitExceeded` or `PermissionDenied`.
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    pub fn huge_pages(&mut self, on: bool) -> &mut Self {
        self.huge_pages = on;
        self
    }

    /// Do not reserve swap space for a new segment (`SHM_NORESERVE`, Linux):
    /// writing may then fail with `SIGSEGV` when memory runs out.
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    pub fn no_reserve(&mut self, on: bool) -> &mut Self {
        self.no_reserve = on;
        self
    }

    /// Pre-fault every attachment the handle makes (default `false`): each
    /// [`attach`](SharedMemory::attach), [`attach_read_only`](SharedMemory::attach_read_only),
    /// [`attach_at`](SharedMemory::attach_at) and the handle's own
    /// [`attachment`](SharedMemory::attachment) maps all its pages before it
    /// is returned, with [`Region::populate`](ipc_common::Region::populate)
    /// (`madvise(MADV_POPULATE_READ)` on Linux 5.14+, which maps the pages of
    /// a read-write attachment writable too; one byte read per page
    /// elsewhere).
    ///
    /// System V segments have no fault-around: the first pass over a fresh
    /// attachment takes one page fault per 4 KiB page, which costs more than
    /// the copy itself. Pre-faulting does the same work in one system call:
    /// attaching a 64 MiB segment in use and making the first pass over it
    /// ran 2.5-3.5x faster than a plain `shmat` on two cores (the
    /// `sysv_shm_first_pass` benchmark rows), as a segment of 16 MiB or more
    /// is pre-faulted by several threads at once
    /// ([`Region::populate`](ipc_common::Region::populate)). A new segment
    /// gains about 2x: the kernel allocates and zeroes its pages either way,
    /// but on several CPUs.
    /// It pays off when the whole segment will be touched; for a big segment
    /// of which little is used, it maps (and, for a new segment, allocates)
    /// memory for nothing. A page that cannot be backed is an attach error
    /// ([`LimitExceeded`](crate::ErrorKind::LimitExceeded)) instead of a
    /// signal later.
    ///
    /// ```
    /// let seg = sysv_ipc::SharedMemory::options().size(1 << 20).populate(true)
    ///     .create_unique()?.remove_on_drop();
    /// let a = seg.attach()?; // every page already mapped
    /// a.fill(0, a.len(), 0xCD)?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn populate(&mut self, on: bool) -> &mut Self {
        self.populate = on;
        self
    }

    /// sysv_ipc's `flags`: [`IPC_CREAT`](crate::IPC_CREAT),
    /// [`IPC_CREX`](crate::IPC_CREX) and (Linux) [`SHM_HUGETLB`],
    /// [`SHM_NORESERVE`], replacing what `create`, `create_new`, `huge_pages`
    /// and `no_reserve` set, exactly as if those were called (so
    /// `.flags(IPC_CREAT).create(false)` only opens, as for every options
    /// type of both crates). `IPC_EXCL` without `IPC_CREAT`, permission bits and
    /// unknown bits fail at `open` with `InvalidInput` (sysv_ipc passes unknown
    /// bits to the kernel).
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        // Elsewhere than on Linux no extra flag is known, so nothing to set.
        #[cfg_attr(not(target_os = "linux"), allow(clippy::bad_bit_mask))]
        if let Some(extra) = self.open.flags(flags, &FLAGS) {
            self.huge_pages = extra & HUGETLB_BIT != 0;
            self.no_reserve = extra & NORESERVE_BIT != 0;
        }
        self
    }

    /// With `true`, an open-or-create ([`create`](Self::create) without
    /// [`create_new`](Self::create_new)) also adopts an existing segment that
    /// another user owns or created (default `false`: such a segment is refused
    /// with [`ErrorKind::ForeignOwner`], see [Security](crate#security)): its
    /// owner could read everything written to it. Opening without `create`
    /// never checks the owner.
    pub fn allow_foreign_owner(&mut self, yes: bool) -> &mut Self {
        self.open.allow_foreign_owner(yes);
        self
    }

    /// Opens (or creates) the segment with `key`.
    ///
    /// [`Key::PRIVATE`] always creates a new segment that only its id reaches.
    /// With [`create`](Self::create) this first tries to create the segment
    /// exclusively and opens the existing one on `EEXIST`, so it knows whether
    /// it created the segment (only then is [`init_byte`](Self::init_byte)
    /// applied). If filling a segment this call created fails, the segment is
    /// removed again (sysv_ipc leaves it behind).
    ///
    /// Errors: `NotFound` (no segment and no `create`), `AlreadyExists`
    /// (`create_new`), `ForeignOwner` (with `create`, the existing segment
    /// belongs to or was created by another user; it is not attached or
    /// filled), `PermissionDenied` (the mode denies the requested access), `InvalidInput` (bad mode, flags or size), `LimitExceeded`
    /// (memory, `SHMMNI`, `SHMALL`).
    pub fn open(&self, key: impl Into<Key>) -> Result<SharedMemory> {
        let key = key.into();
        let mode = ipc::options_mode(&self.open, WHAT)?;
        let creation = Creation::of(&self.open);
        let extra = self.extra_flags();
        let creating = creation.create || key.is_private();
        let create_size = match self.size {
            Some(0) if creating => {
                return Err(Error::invalid_input(
                    "shmget",
                    "a new segment needs at least 1 byte; give size(n) with n >= 1 (or no size for one page)",
                ));
            }
            Some(n) => n,
            None => ipc_common::__private::page_size(),
        };
        let open_size = self.size.unwrap_or(0);
        check_size(create_size.max(open_size))?;

        let (id, created) = if creation.exclusive || key.is_private() {
            (get(key, create_size, IPC_CREX | mode | extra)?, true)
        } else if creation.create {
            ipc::create_or_open::<ShmCtl>(
                WHAT,
                key,
                self.open.allows_foreign_owner(),
                || get(key, create_size, IPC_CREX | mode | extra),
                || get(key, open_size, mode),
            )?
        } else {
            (get(key, open_size, mode)?, false)
        };
        let mut seg = SharedMemory::from_parts(key, id, mode & 0o200 == 0);
        seg.created = created;
        seg.populate = self.populate;
        if let Some(byte) = self.init.filter(|_| created && !seg.read_only) {
            let filled = seg.attachment().and_then(|a| a.fill(0, a.len(), byte));
            if let Err(e) = filled {
                drop(seg);
                let _ = ipc::remove::<ShmCtl>(id);
                return Err(e);
            }
        }
        Ok(seg)
    }

    /// Creates a new segment under a fresh key drawn from the OS random source
    /// (sysv_ipc's `key=None`), retrying while the key is taken. `create` and
    /// `create_new` are implied; invalid flags are still reported.
    pub fn create_unique(&self) -> Result<SharedMemory> {
        self.open.check()?;
        let mut opts = self.clone();
        opts.open.create_new(true);
        key::with_unique_key("shmget", |k| opts.open(k))
    }
}

/// Refuses sizes the platform cannot have, before any system call.
fn check_size(size: usize) -> Result<()> {
    let max = max_segment_size();
    if size > max {
        return Err(Error::invalid_input(
            "shmget",
            format!(
                "size {size} is larger than the largest segment this system allows, {max} bytes \
                 (SHMMAX, /proc/sys/kernel/shmmax, capped at isize::MAX)"
            ),
        ));
    }
    Ok(())
}

/// `shmget(key, size, flags)` with messages for each error.
// HUGETLB_BIT is 0 elsewhere than on Linux, where huge pages do not exist.
#[cfg_attr(not(target_os = "linux"), allow(clippy::bad_bit_mask))]
fn get(key: Key, size: usize, flags: libc::c_int) -> Result<i32> {
    // SAFETY: shmget takes plain values.
    let rc = unsafe { sys::shmget(key.as_raw(), size, flags) };
    ipc_common::__private::check("shmget", rc).map_err(|e| {
        let creating = flags & IPC_CREAT != 0 || key.is_private();
        let msg = match e.raw_os_error() {
            Some(libc::EINVAL) if creating => format!(
                "the system refused a new {size}-byte segment; sizes run from 1 to SHMMAX \
                 ({} bytes, /proc/sys/kernel/shmmax)",
                max_segment_size()
            ),
            Some(libc::EINVAL) => format!(
                "the {WHAT} with key {key} is smaller than the requested {size} bytes; \
                 open it without a size to accept any size"
            ),
            Some(libc::ENOMEM) if flags & HUGETLB_BIT != 0 => format!(
                "not enough huge pages for a {size}-byte segment; reserve them in \
                 /proc/sys/vm/nr_hugepages to use huge_pages()"
            ),
            Some(libc::ENOMEM) => format!(
                "not enough memory for a {size}-byte segment (RAM + swap, see \
                 /proc/sys/vm/overcommit_memory; no_reserve() skips the swap reservation)"
            ),
            Some(libc::ENOSPC) => "the system's shared memory limits are used up: segment ids \
                 (SHMMNI, /proc/sys/kernel/shmmni) or total pages (SHMALL, /proc/sys/kernel/shmall)"
                .to_owned(),
            Some(libc::EPERM) => "huge_pages() needs CAP_IPC_LOCK or membership in the group of \
                 /proc/sys/vm/hugetlb_shm_group"
                .to_owned(),
            Some(libc::EACCES) => format!(
                "the {WHAT} with key {key} exists but its mode does not grant the requested \
                 access 0o{:o}; ask for less (mode(0o400) reads only) or change its mode",
                flags & 0o777
            ),
            _ => return key::get_error(WHAT, key, e),
        };
        e.with_message(msg)
    })
}

/// A System V shared memory segment: its key and id, and a lazily attached
/// view for sysv_ipc-style [`read`](Self::read)/[`write`](Self::write).
///
/// A handle is not attached by itself. [`attach`](Self::attach),
/// [`attach_read_only`](Self::attach_read_only) and
/// [`attach_at`](Self::attach_at) each return a new [`Attachment`] (one
/// mapping, detached on drop). For ports of Python code the handle also keeps
/// one internal attachment, made on the first [`read`](Self::read),
/// [`write`](Self::write) or [`attachment`](Self::attachment) and detached
/// when the handle drops or on [`detach`](Self::detach); it is read-only when
/// the handle was opened with a mode lacking owner write (`0o200`).
///
/// Getters re-read the kernel's `IPC_STAT` each call; [`stat`](Self::stat)
/// returns every field from one call. Dropping a handle never removes the
/// segment: call [`remove`](Self::remove), or opt in with
/// [`remove_on_drop`](Self::remove_on_drop).
///
/// `SharedMemory` is `Send + Sync`: the kernel object may be used from any
/// thread, and the internal attachment is created once (atomically) and only
/// detached through `&mut self`.
///
/// If the segment is removed and its id given to a new segment, the handle
/// notices by the key (one `IPC_STAT`, which every getter, setter,
/// `remove` and attach already makes) and fails with
/// [`Removed`](ErrorKind::Removed) rather than attaching, describing, changing
/// or removing the other segment. A removed segment that is still attached
/// keeps its id and shows key 0: that is still this handle's segment.
/// Attachments map the segment itself and stay valid whatever happens to the
/// id.
///
/// ```
/// use sysv_ipc::SharedMemory;
/// // Writer
/// let seg = SharedMemory::create_unique(4096)?.remove_on_drop();
/// seg.write(0, b"hello")?;
/// // Reader (usually another process, given the key)
/// let other = SharedMemory::open(seg.key())?;
/// assert_eq!(other.read(0, 5)?, b"hello");
/// assert_eq!(other.size()?, 4096);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct SharedMemory {
    key: Key,
    id: i32,
    created: bool,
    read_only: bool,
    view: OnceLock<Attachment>,
    detached: bool,
    /// Whether attachments are pre-faulted ([`SharedMemoryOptions::populate`]).
    populate: bool,
}

/// The `shmctl` side of segments, for the shared control calls.
pub(crate) struct ShmCtl;

impl Control for ShmCtl {
    type Ds = sys::shmid_ds;
    const WHAT: &'static str = WHAT;
    const OP: &'static str = "shmctl";
    const GET: &'static str = "shmget";
    unsafe fn ctl(id: i32, cmd: libc::c_int, buf: *mut sys::shmid_ds) -> libc::c_int {
        // SAFETY: the caller passes a buffer valid for one shmid_ds (or null
        // for IPC_RMID).
        unsafe { sys::shmctl(id, cmd, buf) }
    }
    fn perm(ds: &sys::shmid_ds) -> &sys::ipc_perm {
        &ds.shm_perm
    }
    fn perm_mut(ds: &mut sys::shmid_ds) -> &mut sys::ipc_perm {
        &mut ds.shm_perm
    }
    /// On Linux a segment removed while still attached keeps its id and
    /// reports key 0 (`IPC_PRIVATE`) with `SHM_DEST`: still the same segment.
    fn same_key(ds: &sys::shmid_ds, key: Key) -> bool {
        let now = ipc::key_of(&ds.shm_perm);
        #[cfg(target_os = "linux")]
        let removed = ds.shm_perm.mode & SHM_DEST != 0;
        #[cfg(not(target_os = "linux"))]
        let removed = false;
        key.is_private() || now == key || (now.is_private() && removed)
    }
}

impl SharedMemory {
    fn from_parts(key: Key, id: i32, read_only: bool) -> SharedMemory {
        SharedMemory {
            key,
            id,
            created: false,
            read_only,
            view: OnceLock::new(),
            detached: false,
            populate: false,
        }
    }

    /// `attached`, pre-faulted if the handle was opened with
    /// [`populate(true)`](SharedMemoryOptions::populate); on a failure the
    /// attachment is detached again.
    fn prepared(&self, attached: Result<Attachment>) -> Result<Attachment> {
        let a = attached?;
        if self.populate {
            a.populate()?;
        }
        Ok(a)
    }

    /// A builder for opening or creating a segment.
    pub fn options() -> SharedMemoryOptions {
        SharedMemoryOptions::default()
    }

    /// Opens the existing segment with `key`, asking for read-write access
    /// (mode `0o600`); `NotFound` if there is none.
    pub fn open(key: impl Into<Key>) -> Result<SharedMemory> {
        SharedMemory::options().open(key)
    }

    /// Opens the segment with `key`, creating it with `size` bytes (zeros,
    /// mode `0o600`) if there is none ([`created`](Self::created) tells which).
    /// An existing segment that another user owns or created is refused with
    /// [`ErrorKind::ForeignOwner`] (see [Security](crate#security)).
    pub fn create(key: impl Into<Key>, size: usize) -> Result<SharedMemory> {
        SharedMemory::options().create(true).size(size).open(key)
    }

    /// Creates a new segment with `key` and `size` bytes (zeros, mode
    /// `0o600`); `AlreadyExists` if the key is taken.
    pub fn create_new(key: impl Into<Key>, size: usize) -> Result<SharedMemory> {
        SharedMemory::options()
            .create_new(true)
            .size(size)
            .open(key)
    }

    /// Creates a new segment of `size` bytes under a fresh random key (see
    /// [`SharedMemoryOptions::create_unique`]).
    pub fn create_unique(size: usize) -> Result<SharedMemory> {
        SharedMemory::options().size(size).create_unique()
    }

    /// A handle for the segment with id `id` (as `ipcs -m` shows it, or as
    /// another process passed it), with read-write access for its internal
    /// view. Its key is read from `IPC_STAT` (sysv_ipc's `attach(id)` returns
    /// an object whose key is uninitialised memory). `NotFound` if no such
    /// segment exists, as for every System V `from_id`.
    pub fn from_id(id: i32) -> Result<SharedMemory> {
        let ds = ipc::stat_by_id::<ShmCtl>(id)?;
        Ok(SharedMemory::from_parts(
            ipc::key_of(&ds.shm_perm),
            id,
            false,
        ))
    }

    /// Attaches the segment read-write: a new [`Attachment`] (one mapping).
    /// `PermissionDenied` if the segment's mode does not allow this user to
    /// write it.
    pub fn attach(&self) -> Result<Attachment> {
        self.prepared(Attachment::new(
            self.id,
            Some(self.key),
            std::ptr::null(),
            0,
        ))
    }

    /// Attaches the segment read-only (`SHM_RDONLY`): writes through the
    /// attachment fail with `PermissionDenied` (never a crash).
    pub fn attach_read_only(&self) -> Result<Attachment> {
        self.prepared(Attachment::new(
            self.id,
            Some(self.key),
            std::ptr::null(),
            sys::SHM_RDONLY,
        ))
    }

    /// Attaches the segment read-write at `addr`; with `round` (`SHM_RND`) the
    /// address is rounded down to a multiple of `SHMLBA` (the page size on
    /// most systems), otherwise it must be one.
    ///
    /// Without `SHM_REMAP` (which this crate never passes) the kernel refuses,
    /// with `InvalidInput`, any range that overlaps an existing mapping, and a
    /// rounded address below `SHMLBA` (which would map the segment at address
    /// 0) is refused before the call.
    ///
    /// # Safety
    ///
    /// The range `addr..addr + size` must not be memory the program or its
    /// runtime may start using implicitly while the attachment exists. In
    /// particular it must not lie in the area below a thread's stack into which
    /// the stack grows: the kernel does not keep the stack's guard gap for a
    /// fixed-address mapping, so a growing stack would extend into the segment
    /// (live stack frames in memory other processes can write). Addresses
    /// returned by an earlier [`attach`](Self::attach) of a segment at least as
    /// large, after it was detached, are the usual safe choice.
    ///
    /// ```
    /// let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    /// let first = seg.attach()?;
    /// let addr = std::ptr::NonNull::new(first.as_mut_ptr()).unwrap();
    /// // Occupied: refused instead of replacing the first mapping.
    /// // SAFETY: the address came from an attachment of this very segment.
    /// assert!(unsafe { seg.attach_at(addr, false) }.unwrap_err().is_invalid_input());
    /// first.detach()?;
    /// // Free again, unless another thread mapped memory there meanwhile.
    /// // SAFETY: as above; the range held this segment's mapping a moment ago.
    /// match unsafe { seg.attach_at(addr, false) } {
    ///     Ok(again) => assert_eq!(again.as_ptr(), addr.as_ptr()),
    ///     Err(e) => assert!(e.is_invalid_input()),
    /// }
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub unsafe fn attach_at(&self, addr: NonNull<u8>, round: bool) -> Result<Attachment> {
        if round && (addr.as_ptr() as usize) < shmlba() {
            return Err(Error::invalid_input(
                "attach_at",
                format!(
                    "address {:p} rounds down to 0 with SHM_RND (SHMLBA is {}); \
                     give an address of at least SHMLBA",
                    addr.as_ptr(),
                    shmlba()
                ),
            ));
        }
        let flags = if round { sys::SHM_RND } else { 0 };
        self.prepared(Attachment::new(
            self.id,
            Some(self.key),
            addr.as_ptr(),
            flags,
        ))
    }

    /// A new attachment for the handle's internal view.
    fn new_view(&self) -> Result<Attachment> {
        if self.read_only {
            self.attach_read_only()
        } else {
            self.attach()
        }
    }

    /// The handle's own attachment, attached on first use (read-only if the
    /// handle was opened with a mode lacking `0o200`). Everything of
    /// [`Region`](ipc_common::Region) works through it, e.g.
    /// [`read_at`](ipc_common::Region::read_at) into a caller's buffer without
    /// allocating. After [`detach`](Self::detach) it fails with
    /// [`ErrorKind::NotAttached`] until [`reattach`](Self::reattach).
    ///
    /// ```
    /// let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    /// seg.attachment()?.write_at(4, b"abc")?;
    /// let mut buf = [0u8; 3];
    /// seg.attachment()?.read_at(4, &mut buf)?;
    /// assert_eq!(&buf, b"abc");
    /// assert_eq!(seg.number_attached()?, 1); // one mapping, however often used
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn attachment(&self) -> Result<&Attachment> {
        self.view("attachment")
    }

    fn view(&self, op: &'static str) -> Result<&Attachment> {
        if let Some(a) = self.view.get() {
            return Ok(a);
        }
        if self.detached {
            return Err(Error::new(
                ErrorKind::NotAttached,
                op,
                "the handle's own attachment was detached with detach(); call reattach() \
                 or use attach() for a new attachment",
            ));
        }
        // If another thread won the race, its attachment is kept and this one
        // is dropped (detached) here: still one mapping.
        let _ = self.view.set(self.new_view()?);
        Ok(self.view.get().expect("set above"))
    }

    /// True while the handle's own attachment exists (sysv_ipc's `attached`).
    /// It is made on first use, not by opening.
    pub fn is_attached(&self) -> bool {
        self.view.get().is_some()
    }

    /// sysv_ipc's `read(byte_count, offset)` through the handle's own
    /// attachment: `len` bytes from `offset` (offset first here, as in
    /// [`Region::read_vec`](ipc_common::Region::read_vec), with the same rule
    /// as every read of this family: the length is exact, so `0` reads
    /// nothing and a range past the end is `InvalidInput`). sysv_ipc's
    /// `read()`, `read(0, offset)` and reads past the end (which it cuts at
    /// the end) are [`read_to_end`](Self::read_to_end). `NotAttached` after
    /// [`detach`](Self::detach).
    ///
    /// ```
    /// let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    /// seg.write(0, b"abcdefgh")?;
    /// assert_eq!(seg.read(2, 3)?, b"cde");
    /// assert_eq!(seg.read(0, 0)?, b""); // 0 bytes: read_to_end reads to the end
    /// assert!(seg.read(6, 3).unwrap_err().is_invalid_input());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read(&self, offset: usize, len: usize) -> Result<Vec<u8>> {
        self.view("read")?.read_vec(offset, len)
    }

    /// Everything from `offset` to the end of the segment, through the
    /// handle's own attachment (sysv_ipc's `read()` and `read(0, offset)`);
    /// see [`Region::read_to_end`](ipc_common::Region::read_to_end).
    pub fn read_to_end(&self, offset: usize) -> Result<Vec<u8>> {
        self.view("read_to_end")?.read_to_end(offset)
    }

    /// sysv_ipc's `write(bytes, offset)` through the handle's own attachment:
    /// copies all of `data` to `offset`, or nothing. `InvalidInput` if it does
    /// not fit (no offset wraps around), `PermissionDenied` if the handle is
    /// read-only, `NotAttached` after [`detach`](Self::detach).
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.view("write")?.write_at(offset, data)
    }

    /// Detaches the handle's own attachment (sysv_ipc's `detach()`); later
    /// [`read`](Self::read)/[`write`](Self::write) fail with
    /// [`ErrorKind::NotAttached`] until [`reattach`](Self::reattach). A second
    /// `detach()` fails with `NotAttached` too. If the handle's attachment was
    /// not made yet, this only stops it from being made. Attachments returned
    /// by [`attach`](Self::attach) are not affected.
    ///
    /// ```
    /// use sysv_ipc::ErrorKind;
    /// let mut seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    /// seg.write(0, b"x")?;
    /// seg.detach()?;
    /// assert_eq!(seg.read(0, 1).unwrap_err().kind(), ErrorKind::NotAttached);
    /// assert_eq!(seg.detach().unwrap_err().kind(), ErrorKind::NotAttached);
    /// seg.reattach()?;
    /// assert_eq!(seg.read(0, 1)?, b"x");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn detach(&mut self) -> Result<()> {
        if self.detached {
            return Err(Error::new(
                ErrorKind::NotAttached,
                "detach",
                "the handle's own attachment is already detached",
            ));
        }
        self.detached = true;
        self.view.take().map_or(Ok(()), Attachment::detach)
    }

    /// Attaches the handle's own view again after [`detach`](Self::detach)
    /// (sysv_ipc's `attach()` on the object). Does nothing when it is already
    /// attached: one handle never holds more than one mapping (sysv_ipc leaks
    /// one per extra `attach()`).
    pub fn reattach(&mut self) -> Result<()> {
        if self.view.get().is_none() {
            self.view = OnceLock::from(self.new_view()?);
        }
        self.detached = false;
        Ok(())
    }

    /// Drops the handle, detaching its own attachment and returning the error
    /// that dropping would ignore.
    pub fn close(mut self) -> Result<()> {
        self.view.take().map_or(Ok(()), Attachment::detach)
    }

    /// Every attribute from one `IPC_STAT`.
    pub fn stat(&self) -> Result<SharedMemoryStat> {
        ipc::stat_checked::<ShmCtl>(self.id, self.key).map(|ds| SharedMemoryStat::from(&ds))
    }
}

ipc::sysv_object! {
    SharedMemory, ShmCtl, "shared memory segment",
    new = "sysv_ipc::SharedMemory::create_unique(8)",
    id = id, key = key, created = created;
    stat {
        /// The size in bytes (`shm_segsz`).
        size: usize,
        /// When a process last attached the segment (`shm_atime`; sysv_ipc's
        /// `last_attach_time`), `None` if never.
        attach_time: Option<SystemTime>,
        /// When a process last detached the segment (`shm_dtime`; sysv_ipc's
        /// `last_detach_time`), `None` if never.
        detach_time: Option<SystemTime>,
        /// When the segment was created or its permissions last changed
        /// (`shm_ctime`; sysv_ipc's `last_change_time`).
        change_time: SystemTime,
        /// The id of the process that created the segment (`shm_cpid`).
        creator_pid: libc::pid_t,
        /// The id of the process that last attached or detached the segment
        /// (`shm_lpid`), `None` if none has.
        last_pid: Option<libc::pid_t>,
        /// How many attachments the segment has, in all processes (`shm_nattch`).
        number_attached: u64,
    }
    /// Marks the segment for removal (`IPC_RMID`).
    ///
    /// On Linux the segment lives on until its last attachment detaches:
    /// attachments keep reading and writing, `IPC_STAT` by id still works,
    /// its key becomes [`Key::PRIVATE`] (0) so opening by key fails with
    /// `NotFound` and the key is free for a new segment, its mode shows
    /// `SHM_DEST` ([`SharedMemoryStat::is_removed`]), removing it again
    /// succeeds, and other processes may still attach it by id. Once nothing
    /// is attached the id is gone (`Removed`).
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Key, SharedMemory};
    /// let seg = SharedMemory::create_unique(8)?.remove_on_drop();
    /// let a = seg.attach()?;
    /// seg.remove()?;
    /// a.write_at(0, b"still")?;
    /// assert_eq!(seg.stat()?.key, Key::PRIVATE);
    /// drop(a);
    /// assert_eq!(seg.size().unwrap_err().kind(), ErrorKind::Removed);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    fn remove;
}

impl fmt::Debug for SharedMemory {
    /// `SharedMemory { key: Key(0x1c5a0001), id: 32769, attached: false, .. }`,
    /// what sysv_ipc's `repr` and `str` show plus the attachment state.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMemory")
            .field("key", &self.key)
            .field("id", &self.id)
            .field("attached", &self.is_attached())
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl fmt::Display for SharedMemory {
    /// sysv_ipc's `str()`: `Key=0x1c5a0001, id=32769`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key={}, id={}", self.key, self.id)
    }
}

/// Every attribute of a segment from one `IPC_STAT` ([`SharedMemory::stat`]).
///
/// ```
/// let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
/// let st = seg.stat()?;
/// assert_eq!((st.key, st.size, st.number_attached), (seg.key(), 8, 0));
/// assert!(!st.is_removed() && !st.is_locked());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedMemoryStat {
    /// The key; [`Key::PRIVATE`] for private segments and, on Linux, for
    /// segments removed while still attached.
    pub key: Key,
    /// Owner, creator and mode (with the `SHM_DEST`/`SHM_LOCKED` status bits).
    pub permissions: Permissions,
    /// Size in bytes (`shm_segsz`).
    pub size: usize,
    /// Last attach (`shm_atime`), `None` if never.
    pub attach_time: Option<SystemTime>,
    /// Last detach (`shm_dtime`), `None` if never.
    pub detach_time: Option<SystemTime>,
    /// Creation or last `IPC_SET` (`shm_ctime`).
    pub change_time: SystemTime,
    /// Creator's process id (`shm_cpid`).
    pub creator_pid: libc::pid_t,
    /// Process id of the last attach or detach (`shm_lpid`), `None` if none
    /// has happened.
    pub last_pid: Option<libc::pid_t>,
    /// Number of attachments in all processes (`shm_nattch`).
    pub number_attached: u64,
}

impl From<&sys::shmid_ds> for SharedMemoryStat {
    // `shm_nattch` is an `unsigned long`: 32 bits on 32-bit targets, where
    // the conversion is not useless.
    #[allow(clippy::useless_conversion)]
    fn from(ds: &sys::shmid_ds) -> SharedMemoryStat {
        SharedMemoryStat {
            key: ipc::key_of(ShmCtl::perm(ds)),
            permissions: ipc::permissions(ShmCtl::perm(ds)),
            size: ds.shm_segsz,
            attach_time: ipc::time(ds.shm_atime),
            detach_time: ipc::time(ds.shm_dtime),
            change_time: ipc::change_time(ds.shm_ctime),
            creator_pid: ds.shm_cpid,
            last_pid: ipc::pid(ds.shm_lpid),
            number_attached: u64::from(ds.shm_nattch),
        }
    }
}

impl SharedMemoryStat {
    /// True when the segment was removed but is still attached somewhere
    /// (`SHM_DEST` in the mode).
    ///
    /// Linux only: the BSDs and macOS keep no such bit in the mode.
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    pub fn is_removed(&self) -> bool {
        self.permissions.mode.bits() & SHM_DEST != 0
    }

    /// True when the segment is locked in memory (`SHM_LOCKED`, after
    /// `shmctl(SHM_LOCK)`). Linux only: the BSDs and macOS keep no such bit
    /// in the mode.
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    pub fn is_locked(&self) -> bool {
        self.permissions.mode.bits() & SHM_LOCKED != 0
    }
}

#[cfg(target_os = "linux")]
const SHM_DEST: u32 = sys::SHM_DEST.unsigned_abs();
#[cfg(target_os = "linux")]
const SHM_LOCKED: u32 = sys::SHM_LOCKED.unsigned_abs();

/// Attaches the segment with id `id` read-write (sysv_ipc's module
/// `attach(id)`). For a read-only attachment, or the segment's attributes,
/// use [`SharedMemory::from_id`].
///
/// ```
/// let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
/// let a = sysv_ipc::attach(seg.id())?;
/// a.write_at(0, b"by id")?;
/// assert_eq!(seg.read(0, 5)?, b"by id");
/// assert_eq!(sysv_ipc::attach(-1).unwrap_err().kind(), sysv_ipc::ErrorKind::NotFound);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn attach(id: i32) -> Result<Attachment> {
    Attachment::new(id, None, std::ptr::null(), 0).map_err(|e| ipc::by_id::<ShmCtl>(id, e))
}

/// Removes the segment with id `id` (`IPC_RMID`); see [`SharedMemory::remove`]
/// for what happens while it is still attached. `NotFound` if there is no
/// such segment (as for every call that takes an id).
pub fn remove_shared_memory(id: i32) -> Result<()> {
    ipc::remove::<ShmCtl>(id).map_err(|e| ipc::by_id::<ShmCtl>(id, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SharedMemory>();
        check::<Attachment>();
        check::<crate::RemoveOnDrop<SharedMemory>>();
    }

    #[test]
    fn sizes_beyond_the_platform_are_refused_with_the_numbers() {
        let max = max_segment_size();
        for size in [isize::MAX.unsigned_abs() + 1, usize::MAX] {
            let e = check_size(size).unwrap_err();
            assert!(e.is_invalid_input());
            assert!(e.message().contains(&size.to_string()), "{e}");
            assert!(e.message().contains(&max.to_string()), "{e}");
        }
        assert!(check_size(1).is_ok());
    }

    #[test]
    fn options_builders_set_and_clear_flag_bits() {
        let mut o = SharedMemory::options();
        assert_eq!(Creation::of(&o.create_new(true).open).flags(), IPC_CREX);
        assert_eq!(Creation::of(&o.create_new(false).open).flags(), 0);
        let o = o.create(false).huge_pages(true).no_reserve(true);
        assert_eq!(o.extra_flags(), SHM_HUGETLB | SHM_NORESERVE);
        assert_eq!(o.huge_pages(false).extra_flags(), SHM_NORESERVE);
        // flags() replaces them, as if the setters were called.
        let o = o.flags(IPC_CREAT | SHM_HUGETLB);
        assert_eq!(o.extra_flags(), SHM_HUGETLB);
        assert_eq!(Creation::of(&o.open).flags(), IPC_CREAT);
        assert_eq!(Creation::of(&o.create(false).open).flags(), 0);
    }
}
