//! POSIX shared memory: [`SharedMemory`] (a named object opened with
//! `shm_open`), its [`Mapping`]s, and [`unlink_shared_memory`].
//!
//! All system calls of this primitive live here and in `shm/mapping.rs`; their
//! return codes become errors through [`ipc_common::__private::check`] only.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::__private::{check, fstat, rlimit};
use ipc_common::{Error, ErrorKind, IntoMode, Mode, Permissions, Result};
use posix_ipc_sys as sys;

use crate::flags::{self, Creation, O_TRUNC};
use crate::guard::{Sealed, Unlink, UnlinkOnDrop};
use crate::name::{self, IntoName, Name, with_unique_name};

mod mapping;

pub use mapping::Mapping;

/// The largest size a shared memory object can be given here: `off_t::MAX`
/// (2⁶³ − 1 on 64-bit systems), or `usize::MAX` where that is smaller.
/// Sizes are `usize` in both crates, as `size_of::<T>()` is; on a 32-bit
/// target (i686) without large-file support `off_t` is 32 bits, so the limit
/// is 2³¹ − 1 there.
///
/// Larger sizes are rejected with [`ErrorKind::InvalidInput`] before any
/// system call (posix_ipc wraps `2**64` to 0 and deletes the segment for
/// `2**63`).
///
/// ```
/// # #[cfg(target_pointer_width = "64")]
/// assert_eq!(posix_ipc::SHARED_MEMORY_SIZE_MAX, i64::MAX as usize);
/// ```
// off_t is signed and at most 64 bits: its maximum fits u128 and, when
// below usize::MAX, usize.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub const SHARED_MEMORY_SIZE_MAX: usize = if (libc::off_t::MAX as u128) < (usize::MAX as u128) {
    libc::off_t::MAX as usize
} else {
    usize::MAX
};

/// A POSIX shared memory object (`shm_open`), seen through one file
/// descriptor.
///
/// The handle owns the descriptor: dropping it closes the descriptor
/// ([`close`](SharedMemory::close) returns the error, if you want it). The
/// object itself lives on until it is unlinked ([`unlink`](SharedMemory::unlink),
/// [`unlink_shared_memory`], or the opt-in [`UnlinkOnDrop`] guard of
/// [`unlink_on_drop`](SharedMemory::unlink_on_drop)) *and* every
/// descriptor and mapping of it is gone.
///
/// To read and write the memory, [`map`](SharedMemory::map) it (or a range of
/// it) into this process: a [`Mapping`] offers bounds-checked copies, atomics
/// and raw pointers, and stays valid after the handle is closed.
///
/// # Opening
///
/// [`SharedMemory::options`] is the full builder (create, create exclusively,
/// truncate, mode, size, read-only, or posix_ipc's `flags`); the short forms
/// are [`open`](SharedMemory::open) (existing only),
/// [`create`](SharedMemory::create) (open or create, resizing like posix_ipc),
/// [`create_new`](SharedMemory::create_new) (create exclusively) and
/// [`create_unique`](SharedMemory::create_unique) (posix_ipc's `name=None`).
/// Names follow the rules of [`Name`]; [`from_fd`](SharedMemory::from_fd)
/// adopts a descriptor instead.
///
/// # Names starting with `/sem.`
///
/// On Linux, glibc keeps the named semaphore `/x` in the file
/// `/dev/shm/sem.x`, which is also the file of the shared memory object
/// `/sem.x`. A C program or Python's posix_ipc may well name shared memory
/// `/sem.something`, and such objects open, resize and unlink here as any
/// other. Only a name whose file really holds a semaphore (exactly the size
/// of a `sem_t` and the contents glibc's `sem_open` writes) is refused,
/// by [`open`](SharedMemoryOptions::open) and [`unlink_shared_memory`], with
/// an [`InvalidInput`](ErrorKind::InvalidInput) error that names the
/// semaphore and says to use [`Semaphore`](crate::Semaphore) or
/// [`unlink_semaphore`](crate::unlink_semaphore): resizing or writing it as
/// shared memory would corrupt the semaphore (a shrink kills its users with
/// `SIGBUS`). The file is read before the call: this guards against
/// mistakes, not against a process that swaps the file at that moment.
///
/// musl keeps the semaphore `/x` in `/dev/shm/x`, the file of the shared
/// memory object `/x` itself, and its `sem_t` has no word that tells it from
/// 32 bytes of shared memory: there nothing is refused, and a program must
/// not use one name for both (nor open glibc's `/dev/shm/sem.x` semaphores,
/// which musl programs cannot share anyway).
///
/// ```
/// # #[cfg(all(target_os = "linux", target_env = "gnu"))] {
/// use posix_ipc::{Semaphore, SharedMemory};
/// let sem = Semaphore::create_unique(1)?;
/// let alias = format!("/sem.{}", &sem.name().to_string()[1..]);
/// if cfg!(target_env = "gnu") {
///     // glibc: the alias is the semaphore's file.
///     let e = SharedMemory::open(alias.as_str()).unwrap_err();
///     assert!(e.is_invalid_input() && e.message().contains("Semaphore::open"));
/// }
/// sem.unlink()?;
/// // Not a semaphore's file: an ordinary object.
/// let shm = SharedMemory::create_new(alias.as_str(), 4096)?;
/// assert_eq!(SharedMemory::open(alias.as_str())?.size()?, 4096);
/// shm.unlink()?;
/// # }
/// # Ok::<(), posix_ipc::Error>(())
/// ```
///
/// # Memory is reserved
///
/// Whenever this crate gives an object a size (the `size` of
/// [`create`](SharedMemory::create), [`create_new`](SharedMemory::create_new),
/// [`create_unique`](SharedMemory::create_unique),
/// [`SharedMemoryOptions::size`], and [`set_len`](SharedMemory::set_len)),
/// it reserves the pages with `posix_fallocate` before setting the length,
/// as PostgreSQL does for its shared memory. A `/dev/shm` (tmpfs) file sized
/// with `ftruncate` alone is sparse: creating 8 MiB on a `/dev/shm` with 1 MiB
/// free succeeds, and the first write past the free space kills the process
/// with `SIGBUS` (Docker's default `/dev/shm` is 64 MiB). Here that is a
/// [`LimitExceeded`](ErrorKind::LimitExceeded) error at the call that asked
/// for the size, naming the free space; an object the call created is
/// unlinked again, and an existing one keeps its size.
///
/// The cost is that the memory is allocated (and zeroed) at that call, not
/// when first touched. [`SharedMemoryOptions::sparse`] opts out, for large
/// objects of which little is used. Where the file system cannot reserve
/// (macOS, or a file system without `fallocate`), objects are sparse as
/// before. The `SIGBUS` cases that remain are listed on [`Mapping`].
///
/// A size above this process's file size limit (`RLIMIT_FSIZE`) is a
/// [`LimitExceeded`](ErrorKind::LimitExceeded) error before any call: the
/// kernel would kill the process with `SIGXFSZ`.
///
/// # Sharing between threads
///
/// `SharedMemory` is `Send + Sync`: it is a file descriptor, and every method
/// takes `&self` and makes one system call (`fstat`, `ftruncate`, `fchmod`,
/// `mmap`, `shm_unlink`), which the kernel serialises. A
/// [`map`](SharedMemory::map) while another thread resizes the object through
/// the same handle maps either the old or the new size.
///
/// # Differences from posix_ipc
///
/// - `size()`, `mode()`, `uid()`, `gid()` are read from the object with
///   `fstat` (posix_ipc's `mode` echoes the constructor's argument).
/// - A size given when opening resizes like posix_ipc, but a failed resize
///   never unlinks an object that existed before (posix_ipc deletes it).
/// - Using a closed handle is a compile error, not `ExistentialError`.
///
/// ```
/// use posix_ipc::SharedMemory;
/// let shm = SharedMemory::create_unique(4096)?;
/// let map = shm.map()?;
/// map.write_at(0, b"hello")?;
///
/// // Another handle (in this or any other process) sees the same bytes.
/// let other = SharedMemory::open(shm.name().unwrap())?;
/// assert_eq!(other.size()?, 4096);
/// assert_eq!(other.map()?.read_vec(0, 5)?, b"hello");
/// shm.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub struct SharedMemory {
    fd: OwnedFd,
    /// `None` for an adopted descriptor whose object has no name (see
    /// [`SharedMemory::from_fd`]).
    name: Option<Name>,
    read_only: bool,
    created: bool,
    sparse: bool,
    /// Whether mappings are pre-faulted ([`SharedMemoryOptions::populate`]).
    populate: bool,
}

/// How messages name an object: `"/name"`, or the descriptor of an adopted
/// one that has no name.
struct Shown<'a> {
    name: Option<&'a Name>,
    fd: RawFd,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(name) => write!(f, "\"{name}\""),
            None => write!(f, "the unnamed object of descriptor {}", self.fd),
        }
    }
}

impl<'a> Shown<'a> {
    /// An object about to be opened by `name`.
    fn named(name: &'a Name) -> Shown<'a> {
        Shown {
            name: Some(name),
            fd: -1,
        }
    }
}

/// Options for opening or creating a [`SharedMemory`] object, in the style of
/// [`std::fs::OpenOptions`]. Get one from [`SharedMemory::options`].
///
/// By default it opens an existing object for reading and writing, with mode
/// `0o600` for a new one and no resize.
///
/// ```
/// use posix_ipc::SharedMemory;
/// let shm = SharedMemory::options()
///     .mode(0o640)
///     .size(8192)
///     .create_unique()?
///     .unlink_on_drop();
/// assert_eq!(shm.size()?, 8192);
/// # Ok::<(), posix_ipc::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SharedMemoryOptions {
    open: OpenOptions,
    truncate: bool,
    read_only: bool,
    size: usize,
    sparse: bool,
    populate: bool,
}

/// What [`SharedMemoryOptions::flags`] accepts.
const FLAGS: FlagBits = flags::flag_bits(O_TRUNC, "shared memory object");

impl SharedMemoryOptions {
    /// Options that open an existing object for reading and writing, with
    /// mode `0o600` for a new one and no resize; the same as
    /// [`SharedMemory::options`].
    ///
    /// ```
    /// let gone = posix_ipc::SharedMemory::create_unique(0)?;
    /// let name = gone.name().unwrap().clone();
    /// gone.unlink()?;
    /// let e = posix_ipc::SharedMemoryOptions::new().open(&name).unwrap_err();
    /// assert_eq!(e.kind(), posix_ipc::ErrorKind::NotFound);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn new() -> Self {
        SharedMemoryOptions {
            open: OpenOptions::new(),
            truncate: false,
            read_only: false,
            size: 0,
            sparse: false,
            populate: false,
        }
    }

    /// Create the object if it does not exist (`O_CREAT`); an existing one is
    /// opened, unless another user owns it (see
    /// [`allow_foreign_owner`](Self::allow_foreign_owner)).
    /// [`SharedMemory::created`] tells which happened.
    ///
    /// ```
    /// let a = posix_ipc::SharedMemory::create_unique(100)?.unlink_on_drop();
    /// let name = a.name().unwrap();
    /// let b = posix_ipc::SharedMemory::options().create(true).open(name)?; // opens `a`'s object
    /// assert_eq!(b.size()?, 100);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new object and fail with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if one exists
    /// (`O_CREAT | O_EXCL`). When set, [`create`](Self::create) is ignored
    /// (as in [`std::fs::OpenOptions`]).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    /// let opts = posix_ipc::SharedMemory::options().create_new(true).clone();
    /// let e = opts.open(shm.name().unwrap()).unwrap_err();
    /// assert_eq!(e.kind(), posix_ipc::ErrorKind::AlreadyExists);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// Truncate an existing object to 0 bytes on open (`O_TRUNC`), before the
    /// optional [`size`](Self::size) is applied. Needs write access, so it
    /// cannot be combined with [`read_only`](Self::read_only). macOS does not
    /// support `O_TRUNC` for shared memory.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(10)?.unlink_on_drop();
    /// let again = posix_ipc::SharedMemory::options().truncate(true).open(shm.name().unwrap())?;
    /// assert_eq!(shm.size()?, 0);
    /// # drop(again);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut Self {
        self.truncate = truncate;
        self
    }

    /// Open for reading only (`O_RDONLY`): mappings are read-only, and writes
    /// through them are [`PermissionDenied`](ErrorKind::PermissionDenied)
    /// errors, never a crash. A read-only open cannot change the size, so
    /// combining it with [`size`](Self::size) or [`truncate`](Self::truncate)
    /// is an [`InvalidInput`](ErrorKind::InvalidInput) error.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// let ro = posix_ipc::SharedMemory::options().read_only(true).open(shm.name().unwrap())?;
    /// assert!(ro.is_read_only());
    /// assert!(ro.map()?.write_at(0, b"x").unwrap_err().is_permissions());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn read_only(&mut self, read_only: bool) -> &mut Self {
        self.read_only = read_only;
        self
    }

    /// Permission bits for a newly created object (default `0o600`). The
    /// process umask applies, as for files; use [`SharedMemory::set_mode`]
    /// for exact bits. Bits above `0o777` (setuid, setgid, sticky, which mean
    /// nothing for shared memory, and anything higher) are an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error when opening. Takes a
    /// `u32` or a [`Mode`].
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::options().mode(0o600).create_unique()?.unlink_on_drop();
    /// assert_eq!(shm.mode()?.bits(), 0o600);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// Resize the object to `size` bytes once it is open (`ftruncate`), new or
    /// existing, up or down, like posix_ipc. As in posix_ipc, `0` (the
    /// default) leaves the size alone, so ported code that passes `size=0`
    /// never empties an object by accident; use [`truncate`](Self::truncate)
    /// or [`SharedMemory::set_len`]`(0)` for that.
    ///
    /// Sizes above [`SHARED_MEMORY_SIZE_MAX`] are rejected before any system
    /// call, and so are sizes above this process's file size limit
    /// (`RLIMIT_FSIZE`, `ulimit -f`), with
    /// [`LimitExceeded`](ErrorKind::LimitExceeded) naming the limit: growing a
    /// file past it makes the kernel kill the process with `SIGXFSZ`. If the
    /// resize fails, the error is returned and the object is left
    /// as it was: it is never unlinked, except when this very call created it
    /// (see [`SharedMemory::created`]), in which case the new, empty object is
    /// removed again.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(3333)?;
    /// let other = posix_ipc::SharedMemory::options().size(8192).open(shm.name().unwrap())?;
    /// assert_eq!(shm.size()?, 8192); // both handles see the new size
    /// assert!(posix_ipc::SharedMemory::options().size(usize::MAX).open(shm.name().unwrap()).is_err());
    /// # drop(other);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn size(&mut self, size: usize) -> &mut Self {
        self.size = size;
        self
    }

    /// Resize without reserving memory (default `false`): the object is
    /// sized with `ftruncate` alone, as C programs and posix_ipc do, and stays
    /// sparse, its pages allocated when first touched.
    ///
    /// By default every resize of this handle (here and in
    /// [`SharedMemory::set_len`]) reserves the pages with `posix_fallocate`
    /// first, so that a full `/dev/shm` is a
    /// [`LimitExceeded`](ErrorKind::LimitExceeded) error at that call. With
    /// `sparse(true)` the call succeeds whatever the free space, and touching
    /// a page that the file system then cannot allocate kills the process
    /// with `SIGBUS` (see [`Mapping`]). Use it for large objects of which
    /// only a small part is ever touched, and accept that risk.
    ///
    /// ```
    /// // 1 TiB (1 GiB on 32-bit targets), nothing allocated until touched.
    /// let size = 1usize << if cfg!(target_pointer_width = "64") { 40 } else { 30 };
    /// let shm = posix_ipc::SharedMemory::options().sparse(true).size(size).create_unique()?;
    /// assert_eq!(shm.size()?, size);
    /// shm.map_range(0, 4096)?.write_at(0, b"only this page is allocated")?;
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn sparse(&mut self, sparse: bool) -> &mut Self {
        self.sparse = sparse;
        self
    }

    /// Pre-fault every mapping the handle makes (default `false`):
    /// [`map`](SharedMemory::map) and [`map_range`](SharedMemory::map_range)
    /// map all pages of the new [`Mapping`] before returning it, with
    /// [`Region::populate`](ipc_common::Region::populate)
    /// (`madvise(MADV_POPULATE_READ)` on Linux 5.14+, one byte read per page
    /// elsewhere).
    ///
    /// It pays off for writing to an object in use: the first write pass
    /// through a fresh mapping takes one page fault per page, and
    /// pre-faulting made it 2-3x faster on a 64 MiB object (about 2 GB/s
    /// plain, 4-7 GB/s pre-faulted; the `posix_shm_first_pass` benchmark).
    /// Pages never written yet are zeroed by the kernel at their first touch
    /// either way, which dominates and leaves little to gain. Reading gains
    /// nothing: read faults on POSIX objects already map 16 pages at a time
    /// (fault-around). A page that cannot be
    /// allocated (a [sparse](Self::sparse) object on a full `/dev/shm`) is a
    /// [`LimitExceeded`](ErrorKind::LimitExceeded) error from `map` instead
    /// of a `SIGBUS` at the first touch.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::options().populate(true).size(1 << 20).create_unique()?;
    /// let map = shm.map()?; // every page already mapped
    /// map.fill(0, map.len(), 0xCD)?;
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn populate(&mut self, populate: bool) -> &mut Self {
        self.populate = populate;
        self
    }

    /// Let an open-or-create ([`create`](Self::create), `O_CREAT`) open an
    /// existing object that belongs to another user (default `false`).
    ///
    /// By default such an open fails with
    /// [`ForeignOwner`](ErrorKind::ForeignOwner), naming the owner, before
    /// anything is resized or truncated: anyone can create a name in
    /// `/dev/shm` before this program does, with mode `0o666`, then read
    /// everything written to it and shrink it under the program's mappings
    /// (see the crate's [Security](crate#security) section). Objects of this
    /// process's effective user and of root are always accepted. Plain opens
    /// (without `create`) and [`create_new`](Self::create_new) do not check
    /// the owner: the caller asked for an existing object, or a new one.
    ///
    /// ```
    /// let mine = posix_ipc::SharedMemory::create_unique(64)?.unlink_on_drop();
    /// // Our own object is opened either way.
    /// let again = posix_ipc::SharedMemory::options()
    ///     .create(true)
    ///     .allow_foreign_owner(false)
    ///     .open(mine.name().unwrap())?;
    /// assert!(!again.created());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.open.allow_foreign_owner(allow);
        self
    }

    /// Sets create, create-exclusively and truncate from posix_ipc-style flags
    /// ([`O_CREAT`](crate::O_CREAT), [`O_EXCL`](crate::O_EXCL),
    /// [`O_CREX`](crate::O_CREX), [`O_TRUNC`]), so code ports line by line.
    /// The flags replace what [`create`](Self::create),
    /// [`create_new`](Self::create_new) and [`truncate`](Self::truncate) set,
    /// as if those were called; later setters change it again.
    /// `O_EXCL` without `O_CREAT` and any other bit are an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error when opening (posix_ipc
    /// passes them to the OS).
    ///
    /// ```
    /// use posix_ipc::{SharedMemory, O_CREX};
    /// // posix_ipc.SharedMemory(None, posix_ipc.O_CREX, size=1024)
    /// let shm = SharedMemory::options().flags(O_CREX).size(1024).create_unique()?.unlink_on_drop();
    /// let name = shm.name().unwrap();
    /// assert!(SharedMemory::options().flags(-1).open(name).unwrap_err().is_invalid_input());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        if let Some(extra) = self.open.flags(flags, &FLAGS) {
            self.truncate = extra & O_TRUNC != 0;
        }
        self
    }

    /// Opens (or creates) the object called `name` with these options.
    ///
    /// Everything that can be checked before a system call is checked first:
    /// the name, the flags, the mode, the size, and read-only combined with a
    /// size or truncation. Errors from `shm_open` say which name failed and
    /// what to do.
    ///
    /// ```
    /// let gone = posix_ipc::SharedMemory::create_unique(0)?;
    /// let name = gone.name().unwrap().to_str().unwrap().to_owned();
    /// gone.unlink()?;
    /// let missing = posix_ipc::SharedMemory::options().open(&name).unwrap_err();
    /// assert_eq!(missing.kind(), posix_ipc::ErrorKind::NotFound);
    /// assert!(missing.to_string().contains(&name));
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open(&self, name: impl IntoName) -> Result<SharedMemory> {
        self.open.check()?;
        let name = shm_name("shm_open", name)?;
        self.open_name(name, flags::creation(&self.open))
    }

    fn open_name(&self, name: Name, creation: Creation) -> Result<SharedMemory> {
        let mode = self.open.checked_mode("shared memory object")?;
        let len = check_size("shm_open", self.size)?;
        if self.read_only && self.size != 0 {
            return Err(Error::invalid_input(
                "shm_open",
                format!(
                    "cannot resize \"{name}\" to {} bytes through a read-only handle; \
                     drop read_only(true) or the size",
                    self.size
                ),
            ));
        }
        if self.read_only && self.truncate {
            return Err(Error::invalid_input(
                "shm_open",
                format!(
                    "cannot truncate \"{name}\" through a read-only handle; \
                     drop read_only(true) or truncate(true)"
                ),
            ));
        }
        if self.size != 0 {
            // Before anything is created (see check_file_size_limit).
            check_file_size_limit(Shown::named(&name), self.size)?;
        }
        let access = if self.read_only {
            libc::O_RDONLY
        } else {
            libc::O_RDWR
        };
        // Truncation (O_TRUNC) is done with ftruncate once the owner is
        // checked, so that a refused object is left as it was.
        let (mut shm, created) =
            flags::create_or_open("shared memory object", &name, creation, |c| {
                let oflag = c.oflag() | access;
                // SAFETY: the name is a valid NUL-terminated C string; shm_open only reads it.
                let rc = unsafe { sys::shm_open(name.as_c_str().as_ptr(), oflag, raw_mode(mode)) };
                let fd = check("shm_open", rc).map_err(|e| open_error(e, &name, self.truncate))?;
                // SAFETY: shm_open succeeded, so `fd` is a fresh descriptor nobody else owns.
                let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                Ok(SharedMemory {
                    fd,
                    // Set below, once `create_or_open` no longer borrows it.
                    name: None,
                    read_only: self.read_only,
                    created: false,
                    sparse: self.sparse,
                    populate: self.populate,
                })
            })?;
        shm.created = created;
        shm.name = Some(name);
        // Dropping `shm` on an error below closes the descriptor.
        if creation.create && !created && !self.open.allows_foreign_owner() {
            ipc_common::__private::check_owner("shm_open", shm.stat()?.st_uid, || {
                format!("shared memory object {}", shm.shown())
            })?;
        }
        if self.truncate && !created {
            shm.resize_checked(0, 0)?;
        }
        // The size passed both checks above, before the object was opened.
        if self.size != 0
            && let Err(e) = shm.resize_checked(len, self.size)
        {
            if created {
                // This call created the object and nobody has seen its
                // contents: take it away again instead of leaving an
                // unusable, empty object behind.
                let _ = shm.unlink();
            }
            return Err(e);
        }
        Ok(shm)
    }
}

impl SharedMemoryOptions {
    /// Creates a new object with these options under a fresh random name
    /// (`/pipc_` + 16 hex digits from the OS random source, retried if taken;
    /// posix_ipc's `name=None`), like [`SharedMemory::create_unique`] with
    /// the other options (mode, size, sparse, read-only). The
    /// [`create`](Self::create)/[`create_new`](Self::create_new)/
    /// [`truncate`](Self::truncate) settings and the creation part of
    /// [`flags`](Self::flags) do not apply: creation is always exclusive.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::options().mode(0o640).size(64).create_unique()?;
    /// assert!(shm.name().unwrap().to_str().unwrap().starts_with("/pipc_"));
    /// assert_eq!((shm.size()?, shm.mode()?.bits()), (64, 0o640));
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique(&self) -> Result<SharedMemory> {
        self.open.check()?;
        let mut options = self.clone();
        options.truncate = false;
        with_unique_name("shm_open", |name| {
            options.open_name(name, Creation::EXCLUSIVE)
        })
    }

    /// [`open`](Self::open), then maps the whole object
    /// ([`SharedMemory::map`]) in the same call: the handle and its mapping.
    ///
    /// With a [`size`](Self::size), the mapping has that size, the one this
    /// call just gave the object, without asking the kernel again (as a C
    /// program maps the length it passed to `ftruncate`): no other code of
    /// this process runs between the resize and the `mmap`, so the size is
    /// as current as an `fstat` would be. A later
    /// [`SharedMemory::map`] reads the size again, since by then another
    /// process may have resized the object. Without a size, the object's
    /// current size is read (`fstat`), as `map` does.
    ///
    /// If mapping fails (an empty object, for one) and this call created
    /// the object, the object is unlinked again, as when sizing it fails.
    ///
    /// ```
    /// let (shm, map) = posix_ipc::SharedMemory::options()
    ///     .create_new(true)
    ///     .size(4096)
    ///     .open_mapped(format!("/ipcrs-doc-open-mapped-{}", std::process::id()))?;
    /// map.write_at(0, b"hi")?;
    /// assert_eq!((map.len(), shm.map()?.read_vec(0, 2)?), (4096, b"hi".to_vec()));
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open_mapped(&self, name: impl IntoName) -> Result<(SharedMemory, Mapping)> {
        self.mapped(self.open(name)?)
    }

    /// [`create_unique`](Self::create_unique), then maps the whole object
    /// in the same call, with the size just given (see
    /// [`open_mapped`](Self::open_mapped)).
    ///
    /// ```
    /// let (shm, map) = posix_ipc::SharedMemory::options().size(100).create_unique_mapped()?;
    /// assert_eq!(map.len(), 100);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique_mapped(&self) -> Result<(SharedMemory, Mapping)> {
        self.mapped(self.create_unique()?)
    }

    /// Maps `shm`, which [`open`](Self::open) or
    /// [`create_unique`](Self::create_unique) with these options returned
    /// just now: a size given in the options is the object's size (the
    /// opening call set it, or failed).
    fn mapped(&self, shm: SharedMemory) -> Result<(SharedMemory, Mapping)> {
        let size = if self.size != 0 {
            Ok(self.size)
        } else {
            shm.size()
        };
        match size.and_then(|size| shm.map_whole(size)) {
            Ok(map) => Ok((shm, map)),
            Err(e) => {
                if shm.created {
                    // As in open_name: nobody has seen the new object yet.
                    let _ = shm.unlink();
                }
                Err(e)
            }
        }
    }
}

impl Default for SharedMemoryOptions {
    /// Same as [`SharedMemory::options`].
    fn default() -> Self {
        SharedMemoryOptions::new()
    }
}

/// The checked conversion of a size to `off_t`, which is narrower than
/// `usize` on 32-bit targets without large-file support.
fn check_size(op: &'static str, size: usize) -> Result<libc::off_t> {
    libc::off_t::try_from(size).map_err(|_| {
        Error::invalid_input(
            op,
            format!(
                "size {size} is larger than the largest object size {SHARED_MEMORY_SIZE_MAX} \
                 (off_t::MAX)"
            ),
        )
    })
}

/// A size as `u64`, for comparisons with `rlim_t` (`usize` fits on every
/// supported target).
fn as_u64(size: usize) -> u64 {
    u64::try_from(size).unwrap_or(u64::MAX)
}

/// The error for a descriptor that could not be duplicated.
fn dup_error(e: &std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(errno) => Error::from_errno("fcntl", errno),
        None => Error::new(ErrorKind::Other, "fcntl", e.to_string()),
    }
}

/// The directory (with its trailing `/`) whose files are the shared memory
/// objects, for reading an adopted descriptor's name from `/proc`.
const SHM_DIR_PREFIX: &str = "/dev/shm/";

/// Where the system keeps shared memory objects, for messages.
const SHM_DIR: &str = if cfg!(target_os = "linux") {
    "/dev/shm"
} else {
    "the shared memory file system"
};

/// Refuses a size above this process's file size limit (`RLIMIT_FSIZE`,
/// `ulimit -f`, systemd's `LimitFSIZE=`) before any call: growing a file past
/// it makes the kernel send `SIGXFSZ`, whose default action kills the
/// process, before `ftruncate` or `fallocate` could return `EFBIG`. The
/// signal's disposition is a process-wide setting that this library leaves
/// to the program, so the limit is read first instead. (If another thread
/// lowers the limit between this check and the call, the signal can still
/// come.) A size of exactly the limit is allowed, as by the kernel.
fn check_file_size_limit(name: Shown<'_>, size: usize) -> Result<()> {
    // An unreadable limit is no reason to refuse: the kernel still checks.
    let Ok(ipc_common::__private::ResourceLimit {
        soft: Some(soft),
        hard,
    }) = rlimit(libc::RLIMIT_FSIZE)
    else {
        return Ok(());
    };
    if as_u64(size) <= soft {
        return Ok(());
    }
    let hard = hard.map_or_else(|| "unlimited".to_owned(), |h| format!("{h} bytes"));
    Err(Error::new(
        ErrorKind::LimitExceeded,
        "ftruncate",
        format!(
            "cannot make {name} {size} bytes: that is above this process's file size limit \
             RLIMIT_FSIZE (soft limit {soft} bytes, hard limit {hard}), and the kernel would \
             kill the process with SIGXFSZ, so nothing was changed. Raise the limit where the \
             program starts (`ulimit -f unlimited` in its shell, LimitFSIZE= in a systemd \
             unit) or with setrlimit(RLIMIT_FSIZE) up to the hard limit"
        ),
    ))
}

/// `mode` as the `mode_t` of a call (`u16` on macOS and the BSDs, where the
/// bits `Mode::MAX_BITS` allows still fit).
#[allow(clippy::useless_conversion)]
fn raw_mode(mode: Mode) -> libc::mode_t {
    libc::mode_t::try_from(mode.bits() & Mode::MAX_BITS).unwrap_or(0)
}

/// The permission bits of a `stat` (`mode_t` is `u16` on macOS and the BSDs).
#[allow(clippy::useless_conversion)]
fn mode_of(st: &libc::stat) -> Mode {
    Mode::from_raw(u32::from(st.st_mode) & Mode::MAX_BITS)
}

fn open_error(e: Error, name: &Name, truncate: bool) -> Error {
    let msg = match e.raw_os_error().unwrap_or(0) {
        libc::ENOENT => format!(
            "no shared memory object named \"{name}\" exists; create it first \
             (SharedMemory::create, create_new or options().create(true))"
        ),
        libc::EEXIST => format!(
            "shared memory named \"{name}\" already exists; open it without \
             create_new, or unlink it first"
        ),
        libc::EACCES if truncate => format!(
            "no permission to truncate \"{name}\": its owner and mode bits do not \
             allow writing"
        ),
        libc::EACCES => format!(
            "no permission to access \"{name}\": its owner and mode bits do not allow \
             this; try read_only(true) or ask its owner to change the mode"
        ),
        // glibc reports a directory as EINVAL (not EISDIR); names and flags
        // are checked before the call, so look.
        libc::EINVAL | libc::EISDIR if is_directory(name) => format!(
            "{SHM_DIR}{name} is a directory, not a shared memory object (something other than \
             shm_open made it); remove it if it is stale, or choose another name"
        ),
        libc::EINVAL => format!("the system rejected the name \"{name}\" or the flags"),
        libc::ENAMETOOLONG => format!("the name \"{name}\" is too long for this system"),
        libc::EMFILE => "this process has the maximum number of files open \
                         (RLIMIT_NOFILE, `ulimit -n`); close some descriptors"
            .to_owned(),
        libc::ENFILE => "the system limit on open files has been reached \
                         (/proc/sys/fs/file-max)"
            .to_owned(),
        libc::ELOOP => format!(
            "{SHM_DIR}{name} is a symbolic link, which shm_open does not follow (something \
             other than shm_open made it); remove it if it is stale, or choose another name"
        ),
        libc::ENOTDIR => format!(
            "{SHM_DIR} is not a directory on this system, so no shared memory object can be \
             opened; mount a tmpfs there"
        ),
        libc::EROFS => format!(
            "{SHM_DIR} is mounted read-only, so \"{name}\" cannot be created or opened for \
             writing; remount it read-write, or open an existing object with read_only(true)"
        ),
        _ => return e,
    };
    e.with_message(msg)
}

/// Whether the object's file (on Linux, `/dev/shm/<name>`) is a directory.
fn is_directory(name: &Name) -> bool {
    cfg!(target_os = "linux")
        && std::fs::symlink_metadata(format!("{SHM_DIR}{name}")).is_ok_and(|m| m.is_dir())
}

/// Validates a shared memory name, and refuses one whose file is a named
/// semaphore's (see [`SharedMemory`](SharedMemory#names-starting-with-sem)).
fn shm_name(op: &'static str, name: impl IntoName) -> Result<Name> {
    let name = name.into_name()?;
    refuse_semaphore_file(op, &name)?;
    Ok(name)
}

/// With glibc the named semaphore `/x` lives in `/dev/shm/sem.x`, which is
/// also the file of the shared memory object `/sem.x` (musl: see
/// [`SharedMemory`](SharedMemory#names-starting-with-sem)).
/// Opening a semaphore's file as shared memory and resizing or writing it
/// would corrupt a live semaphore (a shrink makes every user of the
/// semaphore die of `SIGBUS`), so such a name is refused, but only when its
/// file really is a semaphore: exactly `size_of::<sem_t>()` bytes and, with
/// glibc, holding the process-shared word `sem_open` writes. Shared memory
/// objects named `/sem.x` made by C programs or Python (any other size, or
/// other contents) open and unlink as usual, and so does a name with no
/// file yet. The check reads the file before the call; it guards against
/// mistakes, not against a process racing to swap the file. glibc only.
fn refuse_semaphore_file(op: &'static str, name: &Name) -> Result<()> {
    let Some(semaphore) = name.as_bytes().strip_prefix(b"/sem.") else {
        return Ok(());
    };
    if !cfg!(all(target_os = "linux", target_env = "gnu")) || !is_semaphore_file(name) {
        return Ok(());
    }
    let semaphore = String::from_utf8_lossy(semaphore);
    Err(Error::invalid_input(
        op,
        format!(
            "{SHM_DIR}{name} is the file of the named semaphore \"/{semaphore}\" (it holds \
             a sem_t made by sem_open), so it is not opened or unlinked as shared memory: \
             resizing or writing it would corrupt the semaphore. Use \
             Semaphore::open(\"/{semaphore}\"), or unlink_semaphore(\"/{semaphore}\") to \
             remove it; shared memory objects named \"/sem.*\" that are not semaphores \
             are opened as usual"
        ),
    ))
}

/// Whether the file of shared memory object `name` (`/dev/shm<name>`) holds
/// a named semaphore: a regular file of exactly `size_of::<sem_t>()` bytes
/// and, with glibc, the process-shared word `sem_open` writes (the word the
/// semaphore module checks too).
fn is_semaphore_file(name: &Name) -> bool {
    use std::io::Read;
    let mut path = b"/dev/shm".to_vec();
    path.extend_from_slice(name.as_bytes());
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(&path));
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let size = std::mem::size_of::<sys::sem_t>();
    if !meta.is_file() || usize::try_from(meta.len()).ok() != Some(size) {
        return false;
    }
    if cfg!(not(target_env = "gnu")) {
        return true;
    }
    let mut bytes = [0u8; 64];
    let Some(buf) = bytes.get_mut(..size) else {
        return true;
    };
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(buf));
    // An unreadable file of a semaphore's size: assume the worst.
    read.is_err() || glibc_private_word(buf) == GLIBC_FUTEX_SHARED
}

/// What `sem_open` writes in the `private` word of a glibc `sem_t` (see the
/// semaphore module's `backing`).
const GLIBC_FUTEX_SHARED: i32 = 128;

/// The `private` word of a glibc `sem_t` in `sem` (its bytes): after a
/// 64-bit `data` word where glibc has 64-bit atomics, after a 32-bit
/// `value` elsewhere.
fn glibc_private_word(sem: &[u8]) -> i32 {
    let at = if cfg!(any(target_pointer_width = "64", target_arch = "x86_64")) {
        8
    } else {
        4
    };
    sem.get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, i32::from_ne_bytes)
}

fn unlink_name(name: &Name) -> Result<()> {
    // SAFETY: the name is a valid NUL-terminated C string; shm_unlink only reads it.
    let rc = unsafe { sys::shm_unlink(name.as_c_str().as_ptr()) };
    check("shm_unlink", rc).map(drop).map_err(|e| {
        let msg = match e.kind() {
            ErrorKind::NotFound => {
                format!("no shared memory object named \"{name}\" exists (already unlinked?)")
            }
            ErrorKind::PermissionDenied => format!(
                "no permission to unlink \"{name}\": only its owner (or root) may, \
                 and /dev/shm must be writable"
            ),
            _ if e.raw_os_error() == Some(libc::EROFS) => {
                format!("{SHM_DIR} is mounted read-only, so \"{name}\" cannot be unlinked")
            }
            _ => return e,
        };
        e.with_message(msg)
    })
}

/// Removes the name of the shared memory object `name` (`shm_unlink`), like
/// posix_ipc's `unlink_shared_memory`.
///
/// Processes that have it open or mapped keep using the memory; it is freed
/// when the last of them lets go. A missing object is
/// [`NotFound`](ErrorKind::NotFound).
///
/// ```
/// use posix_ipc::{SharedMemory, unlink_shared_memory};
/// let name = SharedMemory::create_unique(16)?.name().unwrap().clone();
/// unlink_shared_memory(&name)?;
/// assert_eq!(unlink_shared_memory(&name).unwrap_err().kind(), posix_ipc::ErrorKind::NotFound);
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub fn unlink_shared_memory(name: impl IntoName) -> Result<()> {
    unlink_name(&shm_name("shm_unlink", name)?)
}

impl SharedMemory {
    /// A builder with every option; see [`SharedMemoryOptions`].
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::options().size(4096).create_unique()?.unlink_on_drop();
    /// assert_eq!(shm.size()?, 4096);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn options() -> SharedMemoryOptions {
        SharedMemoryOptions::new()
    }

    /// Opens the existing object `name` for reading and writing, without
    /// changing its size (posix_ipc's `SharedMemory(name)`).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(100)?;
    /// let same = posix_ipc::SharedMemory::open(shm.name().unwrap())?;
    /// assert_eq!(same.size()?, 100);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open(name: impl IntoName) -> Result<SharedMemory> {
        SharedMemory::options().open(name)
    }

    /// Opens the object `name`, creating it if it does not exist (`O_CREAT`;
    /// posix_ipc's `SharedMemory(name, O_CREAT, size=size)`), and resizes it
    /// to `size` bytes (`ftruncate`), like posix_ipc: a new object is
    /// zero-filled, an **existing one is grown or shrunk** to `size` (bytes it
    /// keeps are unchanged). `size == 0` leaves the size alone. Use
    /// [`create_new`](Self::create_new) to never touch an existing object.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
    /// shm.map()?.write_at(0, b"kept")?;
    /// let same = posix_ipc::SharedMemory::create(shm.name().unwrap(), 8192)?; // opens and resizes
    /// assert_eq!(shm.size()?, 8192);
    /// assert_eq!(same.map()?.read_vec(0, 4)?, b"kept");
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(name: impl IntoName, size: usize) -> Result<SharedMemory> {
        SharedMemory::options().create(true).size(size).open(name)
    }

    /// Creates a new object `name` of `size` bytes (zero-filled), failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if the name is taken
    /// (`O_CREAT | O_EXCL`; posix_ipc's `SharedMemory(name, O_CREX, size=size)`).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
    /// assert_eq!(shm.map()?.read_vec(0, 4)?, [0, 0, 0, 0]);
    /// let name = shm.name().unwrap();
    /// assert!(posix_ipc::SharedMemory::create_new(name, 4096).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(name: impl IntoName, size: usize) -> Result<SharedMemory> {
        SharedMemory::options()
            .create_new(true)
            .size(size)
            .open(name)
    }

    /// Creates a new object of `size` bytes under a fresh random name
    /// (`/pipc_` + 16 hex digits from the OS random source, retried if taken;
    /// posix_ipc's `name=None`). Pass [`name`](SharedMemory::name) to the
    /// processes that should open it.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(1024)?;
    /// assert!(shm.name().unwrap().to_str().unwrap().starts_with("/pipc_"));
    /// assert_eq!(shm.size()?, 1024);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique(size: usize) -> Result<SharedMemory> {
        SharedMemory::options().size(size).create_unique()
    }

    /// The object's name.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    /// let name = shm.name().unwrap();
    /// assert!(name.to_str().unwrap().starts_with('/'));
    /// assert_eq!(posix_ipc::SharedMemory::open(name)?.name(), Some(name));
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn name(&self) -> Option<&Name> {
        self.name.as_ref()
    }

    /// How messages name this object.
    fn shown(&self) -> Shown<'_> {
        Shown {
            name: self.name.as_ref(),
            fd: self.fd.as_raw_fd(),
        }
    }

    /// Whether the call that opened this handle created the object: always
    /// true for [`create_new`](Self::create_new) and
    /// [`create_unique`](Self::create_unique), false for [`open`](Self::open),
    /// and for an open-or-create ([`create`](Self::create),
    /// [`SharedMemoryOptions::create`], `O_CREAT`) whichever happened. An
    /// open-or-create learns it by trying an exclusive create first and
    /// opening on `AlreadyExists`.
    ///
    /// ```
    /// let first = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
    /// let name = first.name().unwrap();
    /// let second = posix_ipc::SharedMemory::create(name, 4096)?;
    /// assert!(first.created() && !second.created());
    /// assert!(!posix_ipc::SharedMemory::open(name)?.created());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn created(&self) -> bool {
        self.created
    }

    /// True when this handle was opened read-only.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(8)?;
    /// assert!(!shm.is_read_only());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn stat(&self) -> Result<libc::stat> {
        fstat(self.fd.as_fd())
    }

    /// The object's current size in bytes, read with `fstat` each time, so
    /// resizes through other handles and processes show at once. Still works
    /// after the object was unlinked.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(3333)?;
    /// assert_eq!(shm.size()?, 3333); // exact on Linux
    /// shm.unlink()?;
    /// assert_eq!(shm.size()?, 3333);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn size(&self) -> Result<usize> {
        let st = self.stat()?;
        usize::try_from(st.st_size).map_err(|_| {
            Error::new(
                ErrorKind::LimitExceeded,
                "fstat",
                format!(
                    "{} is {} bytes, more than this process can address",
                    self.shown(),
                    st.st_size
                ),
            )
        })
    }

    /// Gives the object `size` bytes: checks the size, reserves the pages
    /// (unless this handle is sparse), then sets the length.
    fn resize(&self, size: usize) -> Result<()> {
        let len = check_size("ftruncate", size)?;
        #[cfg(target_vendor = "apple")]
        if self.sized_once(size)? {
            return Ok(());
        }
        check_file_size_limit(self.shown(), size)?;
        self.resize_checked(len, size)
    }

    /// [`resize`](Self::resize) once `size` (as `len`) has passed
    /// [`check_size`] and [`check_file_size_limit`]: reserves, then sets
    /// the length.
    fn resize_checked(&self, len: libc::off_t, size: usize) -> Result<()> {
        if !self.sparse && len > 0 {
            self.reserve(len, size)?;
        }
        self.ftruncate(len, size)?;
        Ok(())
    }

    /// Allocates the pages of bytes `0..len` (`posix_fallocate`), growing the
    /// object to `len` if it is shorter, so that touching them later cannot
    /// fail: on tmpfs (`/dev/shm`) an `ftruncate` alone leaves a hole, and
    /// touching a hole when the file system is full raises `SIGBUS`
    /// (PostgreSQL reserves its shared memory this way for that reason).
    /// tmpfs allocates all or nothing: on failure the object is as it was.
    ///
    /// `posix_fallocate` returns its error instead of setting `errno`; `EINTR`
    /// (a signal during a long allocation) is retried. Where the file system
    /// cannot reserve (`EOPNOTSUPP`, `ENODEV`, `ENOSYS`, `EINVAL`), the
    /// object is sized by `ftruncate` alone and stays sparse.
    #[cfg(not(target_vendor = "apple"))]
    fn reserve(&self, len: libc::off_t, size: usize) -> Result<()> {
        loop {
            // SAFETY: posix_fallocate on a descriptor this handle owns; no
            // memory is passed.
            let rc = unsafe { libc::posix_fallocate(self.fd.as_raw_fd(), 0, len) };
            match rc {
                0 => return Ok(()),
                libc::EINTR => {}
                libc::EOPNOTSUPP | libc::ENODEV | libc::ENOSYS | libc::EINVAL => return Ok(()),
                errno => return Err(self.reserve_error(errno, size)),
            }
        }
    }

    /// macOS has no `posix_fallocate`: objects stay sparse there.
    #[cfg(target_vendor = "apple")]
    fn reserve(&self, _len: libc::off_t, _size: usize) -> Result<()> {
        Ok(())
    }

    #[cfg(not(target_vendor = "apple"))]
    fn reserve_error(&self, errno: i32, size: usize) -> Error {
        let e = Error::from_errno("posix_fallocate", errno);
        let name = self.shown();
        match errno {
            libc::ENOSPC | libc::ENOMEM => {
                e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
                    "not enough {} to reserve {size} bytes for {name}: {}. Unlink shared memory \
                 that is no longer used, make {SHM_DIR} larger (`mount -o remount,size=...`, \
                 `docker run --shm-size=...`), or ask for less; sparse(true) skips the \
                 reservation, but then touching pages beyond the free space kills the process \
                 with SIGBUS",
                    if errno == libc::ENOSPC {
                        "space"
                    } else {
                        "memory"
                    },
                    self.space()
                ))
            }
            libc::EFBIG => e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
                "cannot reserve {size} bytes for {name}: the file system's largest file \
                 size or this process's file size limit (RLIMIT_FSIZE) is smaller"
            )),
            _ => e.with_message(format!("cannot reserve {size} bytes for {name}")),
        }
    }

    /// "`/dev/shm` is N bytes with M free" (`fstatvfs` of the object's file
    /// system), for messages.
    #[cfg(not(target_vendor = "apple"))]
    fn space(&self) -> String {
        fn bytes(blocks: impl TryInto<u64>, unit: impl TryInto<u64>) -> u64 {
            let (b, u) = (blocks.try_into(), unit.try_into());
            b.ok().zip(u.ok()).map_or(0, |(b, u)| b.saturating_mul(u))
        }
        let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: the descriptor is open and `st` is writable memory for one
        // `struct statvfs`.
        let rc = unsafe { libc::fstatvfs(self.fd.as_raw_fd(), st.as_mut_ptr()) };
        if check("fstatvfs", rc).is_err() {
            return format!("{SHM_DIR} is full");
        }
        // SAFETY: fstatvfs succeeded, so it filled in `st`.
        let st = unsafe { st.assume_init() };
        format!(
            "{SHM_DIR} is {} bytes with {} free",
            bytes(st.f_blocks, st.f_frsize),
            bytes(st.f_bavail, st.f_frsize)
        )
    }

    /// macOS gives a shared memory object its size once: a second
    /// `ftruncate` fails with a bare `EINVAL`, even to the same size. Returns
    /// `true` when the object already has `size` bytes (nothing to do), and
    /// an [`Unsupported`](ErrorKind::Unsupported) error that says so when it
    /// has another non-zero size.
    #[cfg(target_vendor = "apple")]
    fn sized_once(&self, size: usize) -> Result<bool> {
        let now = self.size()?;
        if now == 0 {
            return Ok(false);
        }
        if now == size {
            return Ok(true);
        }
        Err(Error::new(
            ErrorKind::Unsupported,
            "ftruncate",
            format!(
                "cannot resize {} from {now} to {size} bytes: macOS sets a shared memory \
                 object's size only once, when it is first sized. Create a new object of \
                 the size you need (and unlink this one), or open it without a size",
                self.shown()
            ),
        ))
    }

    /// `ftruncate` to `len` (= `size`, checked).
    fn ftruncate(&self, len: libc::off_t, size: usize) -> Result<()> {
        // SAFETY: ftruncate on a descriptor this handle owns; no memory is passed.
        let rc = unsafe { libc::ftruncate(self.fd.as_raw_fd(), len) };
        check("ftruncate", rc).map(drop).map_err(|e| {
            let name = self.shown();
            let msg = match e.raw_os_error().unwrap_or(0) {
                libc::EFBIG => {
                    return e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
                        "cannot resize {name} to {size} bytes: that exceeds this \
                         process's file size limit (RLIMIT_FSIZE, `ulimit -f`)"
                    ));
                }
                libc::EINVAL => format!(
                    "cannot resize {name} to {size} bytes: the size is invalid or \
                     the handle is not open for writing"
                ),
                libc::EPERM | libc::EACCES | libc::EROFS => {
                    return e
                        .with_kind(ErrorKind::PermissionDenied)
                        .with_message(format!(
                            "cannot resize {name}: the object is read-only or sealed"
                        ));
                }
                _ => format!("cannot resize {name} to {size} bytes"),
            };
            e.with_message(msg)
        })
    }

    /// Resizes the object to `size` bytes. Growing adds zero bytes; every
    /// handle and process sees the new size.
    ///
    /// The pages are reserved first (`posix_fallocate`, then `ftruncate`), so
    /// a full `/dev/shm` is a [`LimitExceeded`](ErrorKind::LimitExceeded)
    /// error naming its size and free space here, with the object left as it
    /// was, not a `SIGBUS` when the memory is touched later; a handle opened
    /// with [`sparse(true)`](SharedMemoryOptions::sparse) skips that (see
    /// [Memory is reserved](SharedMemory#memory-is-reserved)).
    ///
    /// Fails with [`PermissionDenied`](ErrorKind::PermissionDenied) on a
    /// read-only handle, [`InvalidInput`](ErrorKind::InvalidInput) above
    /// [`SHARED_MEMORY_SIZE_MAX`], and
    /// [`LimitExceeded`](ErrorKind::LimitExceeded) above this process's file
    /// size limit (`RLIMIT_FSIZE`; the kernel would kill the process with
    /// `SIGXFSZ`), all before any system call.
    ///
    /// Shrinking under existing [`Mapping`]s (here or in other processes) is
    /// allowed by the OS, but touching their bytes past the new end then
    /// raises `SIGBUS`; agree on sizes before shrinking.
    ///
    /// On macOS an object is sized once: setting the size of an object that
    /// already has a different non-zero size (including truncating it to 0)
    /// fails with [`Unsupported`](ErrorKind::Unsupported), and setting the
    /// size it already has does nothing. The same holds for the size given
    /// to `SharedMemory::create` for an existing object, and for
    /// `truncate(true)`.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// shm.set_len(4096)?;
    /// assert_eq!(shm.size()?, 4096);
    /// assert!(shm.set_len(usize::MAX).unwrap_err().is_invalid_input());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn set_len(&self, size: usize) -> Result<()> {
        if self.read_only {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                "ftruncate",
                format!(
                    "cannot resize {} through a read-only handle; open it without \
                     read_only(true)",
                    self.shown()
                ),
            ));
        }
        self.resize(size)
    }

    /// Owner, group and permission bits as the system reports them (`fstat`).
    /// POSIX objects have no separate creator, so `cuid`/`cgid` repeat the
    /// owner.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// let p = shm.permissions()?;
    /// // SAFETY: geteuid has no preconditions.
    /// assert_eq!(p.uid, unsafe { libc::geteuid() });
    /// assert_eq!((p.cuid, p.cgid), (p.uid, p.gid));
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn permissions(&self) -> Result<Permissions> {
        let st = self.stat()?;
        Ok(Permissions {
            uid: st.st_uid,
            gid: st.st_gid,
            cuid: st.st_uid,
            cgid: st.st_gid,
            mode: mode_of(&st),
        })
    }

    /// The object's permission bits, read from the system (after the umask,
    /// and after any [`set_mode`](SharedMemory::set_mode) by anyone).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// assert_eq!(shm.mode()?.to_string(), "0o600");
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&self) -> Result<Mode> {
        Ok(self.permissions()?.mode)
    }

    /// The owner's user id.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// // SAFETY: geteuid has no preconditions.
    /// assert_eq!(shm.uid()?, unsafe { libc::geteuid() });
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn uid(&self) -> Result<libc::uid_t> {
        Ok(self.stat()?.st_uid)
    }

    /// The owner's group id.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// // SAFETY: getegid has no preconditions.
    /// assert_eq!(shm.gid()?, unsafe { libc::getegid() });
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn gid(&self) -> Result<libc::gid_t> {
        Ok(self.stat()?.st_gid)
    }

    /// Sets the permission bits exactly (`fchmod`; no umask), e.g. to let
    /// other users open the object. Only the owner (or root) may. Bits above
    /// `0o777` (setuid, setgid, sticky) mean nothing for shared memory and are
    /// an [`InvalidInput`](ErrorKind::InvalidInput) error. Takes a `u32` or a
    /// [`Mode`].
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// shm.set_mode(posix_ipc::Mode::new(0o640)?)?;
    /// assert_eq!(shm.mode()?.bits(), 0o640);
    /// shm.set_mode(0o664)?;
    /// assert_eq!(shm.mode()?.bits(), 0o664);
    /// assert!(shm.set_mode(0o4664).unwrap_err().is_invalid_input());
    /// assert!(shm.set_mode(0o70000).unwrap_err().is_invalid_input());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn set_mode(&self, mode: impl IntoMode) -> Result<()> {
        let mode = flags::object_mode(mode.into_mode_bits(), "shared memory object")?;
        // SAFETY: fchmod on a descriptor this handle owns; no memory is passed.
        let rc = unsafe { libc::fchmod(self.fd.as_raw_fd(), raw_mode(mode)) };
        check("fchmod", rc).map(drop)
    }

    /// Maps the whole object into this process (`mmap`, shared; read-write,
    /// or read-only for a [read-only](SharedMemoryOptions::read_only) handle).
    ///
    /// An empty object cannot be mapped: that is an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error telling you to set a
    /// size first. Map again after a resize to see the new extent.
    ///
    /// # What is mapped
    ///
    /// The size the object has now, read with `fstat`, never a size this
    /// handle remembers: another handle or process may have resized the
    /// object since this handle last sized it, and a mapping longer than
    /// the object raises `SIGBUS` when its tail is touched. To size and map
    /// in one call without asking the kernel again, open with
    /// [`SharedMemoryOptions::open_mapped`]. As with any mapping, touching
    /// bytes that another process cuts off by shrinking the object later
    /// raises `SIGBUS`; agree on sizes before shrinking (see
    /// [`set_len`](Self::set_len)).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(3333)?;
    /// let map = shm.map()?;
    /// assert_eq!(map.len(), 3333);
    /// map.fill(0, 3333, 0xAB)?;
    /// assert_eq!(map.read_vec(3330, 3)?, [0xAB; 3]);
    /// shm.set_len(0)?;
    /// # drop(map);
    /// assert!(shm.map().unwrap_err().is_invalid_input());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn map(&self) -> Result<Mapping> {
        self.map_whole(self.size()?)
    }

    /// Maps bytes `0..size`, `size` being the object's size as of the
    /// caller's last system call on it (an `fstat`, or its own `ftruncate`).
    fn map_whole(&self, size: usize) -> Result<Mapping> {
        if size == 0 {
            return Err(Error::invalid_input(
                "mmap",
                format!(
                    "{} is 0 bytes and an empty object cannot be mapped; give it a \
                     size first (options().size(n) or set_len(n))",
                    self.shown()
                ),
            ));
        }
        self.prepared(Mapping::new(self.as_fd(), 0, size, !self.read_only))
    }

    /// `mapped`, pre-faulted if the handle was opened with
    /// [`populate(true)`](SharedMemoryOptions::populate); on a failure the
    /// mapping is unmapped again.
    fn prepared(&self, mapped: Result<Mapping>) -> Result<Mapping> {
        let map = mapped?;
        if self.populate {
            map.populate()?;
        }
        Ok(map)
    }

    /// Maps `len` bytes starting at byte `offset` of the object.
    ///
    /// `offset` need not be page-aligned: the mapping starts at the page
    /// containing `offset` and the returned [`Mapping`] begins exactly at
    /// `offset` (its byte 0 is the object's byte `offset`). Atomics then need
    /// offsets aligned relative to the address, so prefer 8-aligned offsets.
    ///
    /// `len == 0` and ranges that end past the object's current size are
    /// [`InvalidInput`](ErrorKind::InvalidInput) errors naming the numbers.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(10_000)?;
    /// shm.map()?.write_at(9000, b"tail")?;
    /// let part = shm.map_range(9000, 1000)?;
    /// assert_eq!(part.offset(), 9000);
    /// assert_eq!(part.read_vec(0, 4)?, b"tail");
    /// let e = shm.map_range(9500, 1000).unwrap_err();
    /// assert!(e.to_string().contains("10000-byte"));
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn map_range(&self, offset: usize, len: usize) -> Result<Mapping> {
        if len == 0 {
            return Err(Error::invalid_input(
                "mmap",
                "a mapping cannot be 0 bytes long; ask for at least 1 byte",
            ));
        }
        let size = self.size()?;
        let fits = offset.checked_add(len).is_some_and(|end| end <= size);
        if !fits {
            return Err(Error::invalid_input(
                "mmap",
                format!(
                    "offset {offset} + length {len} is past the end of the {size}-byte object \
                     {}; keep offset + length <= {size} or resize it first",
                    self.shown()
                ),
            ));
        }
        self.prepared(Mapping::new(self.as_fd(), offset, len, !self.read_only))
    }

    /// Removes the object's name (`shm_unlink`); see [`unlink_shared_memory`].
    /// This handle and all mappings stay usable. A second unlink is
    /// [`NotFound`](ErrorKind::NotFound).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// shm.unlink()?;
    /// assert!(posix_ipc::SharedMemory::open(shm.name().unwrap()).unwrap_err().is_existential());
    /// assert!(shm.unlink().unwrap_err().is_existential());
    /// assert_eq!(shm.size()?, 16);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn unlink(&self) -> Result<()> {
        match &self.name {
            Some(name) => unlink_name(name),
            None => Err(Error::new(
                ErrorKind::NotFound,
                "shm_unlink",
                format!(
                    "{} was adopted from a descriptor and has no name (it was unlinked, or \
                     never had one), so there is no name to unlink",
                    self.shown()
                ),
            )),
        }
    }

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the object
    /// when it drops (and then closes the descriptor; mappings stay valid).
    /// [`UnlinkOnDrop::into_inner`] disarms it.
    ///
    /// ```
    /// let guard = posix_ipc::SharedMemory::create_unique(16)?.unlink_on_drop();
    /// let name = guard.name().unwrap().clone();
    /// drop(guard);
    /// assert!(posix_ipc::unlink_shared_memory(&name).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[must_use = "the guard unlinks when it drops: dropped at once, it unlinks at once"]
    pub fn unlink_on_drop(self) -> UnlinkOnDrop<SharedMemory> {
        UnlinkOnDrop::new(self)
    }

    /// Adopts a descriptor of a shared memory object, e.g. one received
    /// from another process over a Unix socket (`SCM_RIGHTS`), one made by C
    /// code, or a `memfd`. The handle owns it from then on.
    ///
    /// What such a descriptor does not tell is modelled honestly:
    ///
    /// - **The name.** On Linux it is read from `/proc/self/fd`: a
    ///   descriptor of an object that still has a name in `/dev/shm` gets
    ///   it, so [`unlink`](Self::unlink) works; one whose name was unlinked
    ///   (or a `memfd`, or a file elsewhere) has none: [`name`](Self::name)
    ///   is `None` and `unlink` fails with [`NotFound`](ErrorKind::NotFound).
    ///   Elsewhere the name is never known.
    /// - **Access.** Read from the descriptor's open flags: an `O_RDONLY`
    ///   descriptor gives a [read-only](Self::is_read_only) handle. A
    ///   descriptor open for writing only cannot be mapped and is refused.
    /// - [`created`](Self::created) is `false`, and resizes reserve their
    ///   pages as usual (see [Memory is reserved](Self#memory-is-reserved)).
    ///
    /// Anything but a regular file (a pipe, a socket, a directory) is an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error; the descriptor is
    /// closed with it. Adopting is sound for any descriptor: mapping it
    /// fails, and never hands out memory that is not there.
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use posix_ipc::SharedMemory;
    /// let shm = SharedMemory::create_unique(64)?;
    /// let name = shm.name().unwrap().clone();
    /// shm.map()?.write_at(0, b"passed on")?;
    /// let fd: OwnedFd = shm.into(); // e.g. sent to another process
    /// let adopted = SharedMemory::from_fd(fd)?;
    /// assert_eq!(adopted.name(), Some(&name));
    /// assert_eq!(adopted.map()?.read_vec(0, 9)?, b"passed on");
    /// adopted.unlink()?;
    /// // The descriptor outlives the name: adopted again, it has none.
    /// let unnamed = SharedMemory::try_from(OwnedFd::from(adopted))?;
    /// assert_eq!(unnamed.name(), None);
    /// assert_eq!(unnamed.size()?, 64);
    /// assert_eq!(unnamed.unlink().unwrap_err().kind(), posix_ipc::ErrorKind::NotFound);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<SharedMemory> {
        let raw = fd.as_raw_fd();
        let st = fstat(fd.as_fd())?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(Error::invalid_input(
                "from_fd",
                format!(
                    "descriptor {raw} is not a shared memory object (it is not a regular \
                     file: st_mode 0o{:o}); adopt a descriptor from shm_open, memfd_create \
                     or open",
                    st.st_mode
                ),
            ));
        }
        // SAFETY: F_GETFL on a descriptor `fd` owns; no memory is passed.
        let status = check("fcntl", unsafe { libc::fcntl(raw, libc::F_GETFL) })?;
        let read_only = match status & libc::O_ACCMODE {
            libc::O_RDONLY => true,
            libc::O_RDWR => false,
            _ => {
                return Err(Error::invalid_input(
                    "from_fd",
                    format!(
                        "descriptor {raw} is open for writing only, and shared memory cannot \
                         be mapped without read access; pass a descriptor opened O_RDWR or \
                         O_RDONLY"
                    ),
                ));
            }
        };
        Ok(SharedMemory {
            name: name::name_of_fd(raw, SHM_DIR_PREFIX),
            fd,
            read_only,
            created: false,
            sparse: false,
            populate: false,
        })
    }

    /// A second handle on the same object, with its own descriptor
    /// (`fcntl(F_DUPFD_CLOEXEC)`), the same name and access. Closing
    /// either leaves the other open. [`created`](Self::created) is `false`
    /// for the clone: it was not made by the call that created the object.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// let clone = shm.try_clone()?;
    /// shm.map()?.write_at(0, b"same")?;
    /// shm.close()?;
    /// assert_eq!(clone.map()?.read_vec(0, 4)?, b"same");
    /// clone.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<SharedMemory> {
        let fd = self.fd.try_clone().map_err(|e| dup_error(&e))?;
        Ok(SharedMemory {
            fd,
            name: self.name.clone(),
            read_only: self.read_only,
            created: false,
            sparse: self.sparse,
            populate: self.populate,
        })
    }

    /// Closes the descriptor and reports a failure (dropping the handle
    /// closes it too, silently). Existing [`Mapping`]s stay valid. Using the
    /// handle afterwards does not compile:
    ///
    /// ```compile_fail
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// shm.close()?;
    /// shm.size()?; // error: use of moved value
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// let map = shm.map()?;
    /// let name = shm.name().unwrap().clone();
    /// shm.close()?;
    /// map.write_at(0, b"still mapped")?;
    /// posix_ipc::unlink_shared_memory(&name)?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn close(self) -> Result<()> {
        let fd = self.fd.into_raw_fd();
        // SAFETY: `fd` came out of the OwnedFd above, so this is its only close.
        check("close", unsafe { libc::close(fd) }).map(drop)
    }
}

impl Sealed for SharedMemory {}

impl Unlink for SharedMemory {
    fn unlink(&self) -> Result<()> {
        SharedMemory::unlink(self)
    }
}

impl fmt::Debug for SharedMemory {
    /// Like posix_ipc's `repr`, plus the live mode, size and access:
    /// `SharedMemory { name: "/x", fd: 3, mode: 0o600, size: 4096, read_only: false }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("SharedMemory");
        match &self.name {
            Some(name) => d.field("name", &name.to_string()),
            None => d.field("name", &format_args!("None")),
        };
        d.field("fd", &self.fd.as_raw_fd());
        match self.stat() {
            Ok(st) => {
                d.field("mode", &format_args!("{}", mode_of(&st)))
                    .field("size", &st.st_size);
            }
            Err(e) => {
                d.field("stat_error", &e.to_string());
            }
        }
        d.field("read_only", &self.read_only).finish()
    }
}

impl fmt::Display for SharedMemory {
    /// The name, like posix_ipc's `str()`; `(unnamed, fd N)` for an adopted
    /// object without one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => fmt::Display::fmt(name, f),
            None => write!(f, "(unnamed, fd {})", self.fd.as_raw_fd()),
        }
    }
}

impl AsFd for SharedMemory {
    /// The descriptor, for `fstat`, `mmap` with other flags, `poll`, ...
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SharedMemory {
    /// posix_ipc's `fd` / `fileno()`.
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl IntoRawFd for SharedMemory {
    /// Gives up ownership of the descriptor (the caller must close it).
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

impl From<SharedMemory> for OwnedFd {
    /// The descriptor, still open.
    fn from(shm: SharedMemory) -> OwnedFd {
        shm.fd
    }
}

impl TryFrom<OwnedFd> for SharedMemory {
    type Error = Error;

    /// Same as [`SharedMemory::from_fd`].
    fn try_from(fd: OwnedFd) -> Result<SharedMemory> {
        SharedMemory::from_fd(fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn assert_traits<T: Send + Sync>() {}
        assert_traits::<SharedMemory>();
        assert_traits::<Mapping>();
        assert_traits::<SharedMemoryOptions>();
    }

    #[test]
    fn size_limit_is_off_t_max() {
        assert_eq!(
            check_size("t", SHARED_MEMORY_SIZE_MAX).unwrap(),
            libc::off_t::MAX
        );
        let e = check_size("t", SHARED_MEMORY_SIZE_MAX + 1).unwrap_err();
        assert!(e.is_invalid_input());
        let too_big = (SHARED_MEMORY_SIZE_MAX + 1).to_string();
        assert!(e.message().contains(&too_big), "{e}");
    }

    #[test]
    fn flags_set_the_options_and_remember_errors() {
        let mut o = SharedMemory::options();
        o.flags(crate::O_CREX | O_TRUNC);
        assert_eq!(flags::creation(&o.open), Creation::EXCLUSIVE);
        assert!(o.truncate && o.open.check().is_ok());
        o.flags(0);
        assert_eq!(flags::creation(&o.open), Creation::OPEN);
        assert!(!o.truncate);
        o.flags(crate::O_EXCL);
        assert!(o.open.check().unwrap_err().message().contains("O_CREAT"));
        o.flags(crate::O_CREAT);
        assert!(o.open.check().is_ok());
        assert_eq!(flags::creation(&o.open).oflag(), crate::O_CREAT);
    }
}
