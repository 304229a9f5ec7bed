//! POSIX shared memory: [`SharedMemory`] (a named object opened with
//! `shm_open`), its [`Mapping`]s, and [`unlink_shared_memory`].
//!
//! All system calls of this primitive live here and in `shm/mapping.rs`; their
//! return codes become errors through [`ipc_common::check`] only.

use std::fmt;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use ipc_common::{Error, ErrorKind, Mode, Permissions, Result, check};
use posix_ipc_sys as sys;

use crate::flags::{self, Creation, O_TRUNC};
use crate::guard::{Sealed, Unlink, UnlinkOnDrop};
use crate::name::{IntoName, Name, with_unique_name};

mod mapping;

pub use mapping::Mapping;

/// The largest size a shared memory object can have: `off_t::MAX` (2⁶³ − 1;
/// 2³¹ − 1 on 32-bit glibc, whose `off_t` is 32 bits).
///
/// Larger sizes are rejected with [`ErrorKind::InvalidInput`] before any
/// system call (posix_ipc wraps `2**64` to 0 and deletes the segment for
/// `2**63`).
///
/// ```
/// assert_eq!(posix_ipc::SHARED_MEMORY_SIZE_MAX, libc::off_t::MAX as u64);
/// ```
// `as`: `u64::from` is not const; a positive `off_t` (32 or 64 bits) fits.
#[allow(clippy::cast_sign_loss, clippy::unnecessary_cast)]
pub const SHARED_MEMORY_SIZE_MAX: u64 = libc::off_t::MAX as u64;

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
///
/// # Sharing between threads
///
/// `SharedMemory` is `Send + Sync`: it is a file descriptor, and every method
/// takes `&self` and makes one system call (`fstat`, `ftruncate`, `fchmod`,
/// `mmap`, `shm_unlink`), which the kernel serialises.
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
/// let other = SharedMemory::open(shm.name())?;
/// assert_eq!(other.size()?, 4096);
/// assert_eq!(other.map()?.read_vec(0, 5)?, b"hello");
/// shm.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub struct SharedMemory {
    fd: OwnedFd,
    name: Name,
    read_only: bool,
}

/// Options for opening or creating a [`SharedMemory`] object, in the style of
/// [`std::fs::OpenOptions`]. Get one from [`SharedMemory::options`].
///
/// By default it opens an existing object for reading and writing, with mode
/// `0o600` for a new one and no resize.
///
/// ```
/// use posix_ipc::SharedMemory;
/// # let name = testkit::unique_name("doc");
/// let shm = SharedMemory::options()
///     .create_new(true)
///     .mode(0o640)
///     .size(8192)
///     .open(&name)?;
/// assert_eq!(shm.size()?, 8192);
/// shm.unlink()?;
/// # Ok::<(), posix_ipc::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SharedMemoryOptions {
    create: bool,
    create_new: bool,
    truncate: bool,
    read_only: bool,
    mode: u32,
    size: u64,
    flags_error: Option<Error>,
}

impl SharedMemoryOptions {
    fn new() -> Self {
        SharedMemoryOptions {
            create: false,
            create_new: false,
            truncate: false,
            read_only: false,
            mode: Mode::OWNER_READ_WRITE.bits(),
            size: 0,
            flags_error: None,
        }
    }

    /// Create the object if it does not exist (`O_CREAT`).
    ///
    /// ```
    /// # let name = testkit::unique_name("doc");
    /// let a = posix_ipc::SharedMemory::options().create(true).size(100).open(&name)?;
    /// let b = posix_ipc::SharedMemory::options().create(true).open(&name)?; // opens `a`'s object
    /// assert_eq!(b.size()?, 100);
    /// a.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.create = create;
        self
    }

    /// Create a new object and fail with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if one exists
    /// (`O_CREAT | O_EXCL`). When set, [`create`](Self::create) is ignored.
    ///
    /// ```
    /// # let name = testkit::unique_name("doc");
    /// let opts = posix_ipc::SharedMemory::options().create_new(true).clone();
    /// let shm = opts.open(&name)?;
    /// assert_eq!(opts.open(&name).unwrap_err().kind(), posix_ipc::ErrorKind::AlreadyExists);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.create_new = create_new;
        self
    }

    /// Truncate an existing object to 0 bytes on open (`O_TRUNC`), before the
    /// optional [`size`](Self::size) is applied. Needs write access, so it
    /// cannot be combined with [`read_only`](Self::read_only). macOS does not
    /// support `O_TRUNC` for shared memory.
    ///
    /// ```
    /// # let name = testkit::unique_name("doc");
    /// let shm = posix_ipc::SharedMemory::options().create_new(true).size(10).open(&name)?;
    /// let again = posix_ipc::SharedMemory::options().truncate(true).open(&name)?;
    /// assert_eq!(shm.size()?, 0);
    /// # drop(again);
    /// shm.unlink()?;
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
    /// let ro = posix_ipc::SharedMemory::options().read_only(true).open(shm.name())?;
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
    /// for exact bits. Bits above `0o7777` are an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error when opening.
    ///
    /// ```
    /// # let name = testkit::unique_name("doc");
    /// let shm = posix_ipc::SharedMemory::options().create_new(true).mode(0o600).open(&name)?;
    /// assert_eq!(shm.mode()?.bits(), 0o600);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Resize the object to `size` bytes once it is open (`ftruncate`), new or
    /// existing, up or down, like posix_ipc. As in posix_ipc, `0` (the
    /// default) leaves the size alone, so ported code that passes `size=0`
    /// never empties an object by accident; use [`truncate`](Self::truncate)
    /// or [`SharedMemory::set_len`]`(0)` for that.
    ///
    /// Sizes above [`SHARED_MEMORY_SIZE_MAX`] are rejected before any system
    /// call. If the resize fails, the error is returned and the object is left
    /// as it was: it is never unlinked, except when this very call created it
    /// exclusively ([`create_new`](Self::create_new)), in which case the new,
    /// empty object is removed again. (With plain [`create`](Self::create)
    /// the call cannot tell whether it created the object, so it stays.)
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(3333)?;
    /// let other = posix_ipc::SharedMemory::options().size(8192).open(shm.name())?;
    /// assert_eq!(shm.size()?, 8192); // both handles see the new size
    /// assert!(posix_ipc::SharedMemory::options().size(u64::MAX).open(shm.name()).is_err());
    /// # drop(other);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn size(&mut self, size: u64) -> &mut Self {
        self.size = size;
        self
    }

    /// Sets create, create-exclusively and truncate from posix_ipc-style flags
    /// ([`O_CREAT`](crate::O_CREAT), [`O_EXCL`](crate::O_EXCL),
    /// [`O_CREX`](crate::O_CREX), [`O_TRUNC`]), so code ports line by line.
    /// `O_EXCL` without `O_CREAT` and any other bit are an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error when opening (posix_ipc
    /// passes them to the OS).
    ///
    /// ```
    /// use posix_ipc::{SharedMemory, O_CREX};
    /// # let name = testkit::unique_name("doc");
    /// // posix_ipc.SharedMemory(name, posix_ipc.O_CREX, size=1024)
    /// let shm = SharedMemory::options().flags(O_CREX).size(1024).open(&name)?;
    /// assert!(SharedMemory::options().flags(-1).open(&name).unwrap_err().is_invalid_input());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        match flags::parse(flags, O_TRUNC, "shared memory object") {
            Ok((Creation { create, exclusive }, rest)) => {
                self.create = create;
                self.create_new = create && exclusive;
                self.truncate = rest & O_TRUNC != 0;
                self.flags_error = None;
            }
            Err(e) => self.flags_error = Some(e),
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
    /// # let name = testkit::unique_name("doc");
    /// let missing = posix_ipc::SharedMemory::options().open(&name).unwrap_err();
    /// assert_eq!(missing.kind(), posix_ipc::ErrorKind::NotFound);
    /// assert!(missing.to_string().contains(&name));
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open(&self, name: impl IntoName) -> Result<SharedMemory> {
        if let Some(e) = &self.flags_error {
            return Err(e.clone());
        }
        let name = shm_name("shm_open", name)?;
        let mode = Mode::new(self.mode)?;
        check_size("shm_open", self.size)?;
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
        let creation = Creation {
            create: self.create || self.create_new,
            exclusive: self.create_new,
        };
        let mut oflag = creation.oflag();
        oflag |= if self.read_only {
            libc::O_RDONLY
        } else {
            libc::O_RDWR
        };
        if self.truncate {
            oflag |= O_TRUNC;
        }
        // SAFETY: the name is a valid NUL-terminated C string; shm_open only reads it.
        let rc =
            unsafe { sys::shm_open(name.as_c_str().as_ptr(), oflag, mode.bits() as libc::mode_t) };
        let fd = check("shm_open", rc).map_err(|e| open_error(e, &name, self.truncate))?;
        // SAFETY: shm_open succeeded, so `fd` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let shm = SharedMemory {
            fd,
            name,
            read_only: self.read_only,
        };
        if self.size != 0
            && let Err(e) = shm.ftruncate(self.size)
        {
            if creation.exclusive {
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

impl Default for SharedMemoryOptions {
    /// Same as [`SharedMemory::options`].
    fn default() -> Self {
        SharedMemoryOptions::new()
    }
}

fn check_size(op: &'static str, size: u64) -> Result<libc::off_t> {
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
        libc::EINVAL => format!("the system rejected the name \"{name}\" or the flags"),
        libc::ENAMETOOLONG => format!("the name \"{name}\" is too long for this system"),
        libc::EMFILE => "this process has the maximum number of files open \
                         (RLIMIT_NOFILE, `ulimit -n`); close some descriptors"
            .to_owned(),
        libc::ENFILE => "the system limit on open files has been reached \
                         (/proc/sys/fs/file-max)"
            .to_owned(),
        _ => return e,
    };
    e.with_message(msg)
}

/// Validates a shared memory name. On Linux/glibc a named semaphore `/x`
/// lives in `/dev/shm/sem.x`, which is also the shared memory object
/// `/sem.x`: opening (and resizing or writing) it as shared memory would
/// corrupt a live semaphore (a shrink makes every user of the semaphore die of
/// SIGBUS), so such names are refused.
fn shm_name(op: &'static str, name: impl IntoName) -> Result<Name> {
    let name = name.into_name()?;
    if cfg!(target_os = "linux") && name.as_bytes().starts_with(b"/sem.") {
        return Err(Error::invalid_input(
            op,
            format!(
                "\"{name}\" is where glibc keeps the named semaphore \"/{}\"; \
                 shared memory names must not start with \"/sem.\"",
                String::from_utf8_lossy(&name.as_bytes()[5..])
            ),
        ));
    }
    Ok(name)
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
/// let name = SharedMemory::create_unique(16)?.name().clone();
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
    /// # let name = testkit::unique_name("doc");
    /// let shm = posix_ipc::SharedMemory::options().create(true).size(4096).open(&name)?;
    /// shm.unlink()?;
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
    /// let same = posix_ipc::SharedMemory::open(shm.name())?;
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
    /// # let name = testkit::unique_name("doc");
    /// let shm = posix_ipc::SharedMemory::create(&name, 4096)?;
    /// shm.map()?.write_at(0, b"kept")?;
    /// let same = posix_ipc::SharedMemory::create(&name, 8192)?; // opens and resizes
    /// assert_eq!(shm.size()?, 8192);
    /// assert_eq!(same.map()?.read_vec(0, 4)?, b"kept");
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create(name: impl IntoName, size: u64) -> Result<SharedMemory> {
        SharedMemory::options().create(true).size(size).open(name)
    }

    /// Creates a new object `name` of `size` bytes (zero-filled), failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if the name is taken
    /// (`O_CREAT | O_EXCL`; posix_ipc's `SharedMemory(name, O_CREX, size=size)`).
    ///
    /// ```
    /// # let name = testkit::unique_name("doc");
    /// let shm = posix_ipc::SharedMemory::create_new(&name, 4096)?;
    /// assert_eq!(shm.map()?.read_vec(0, 4)?, [0, 0, 0, 0]);
    /// assert!(posix_ipc::SharedMemory::create_new(&name, 4096).unwrap_err().is_existential());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_new(name: impl IntoName, size: u64) -> Result<SharedMemory> {
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
    /// assert!(shm.name().to_str().unwrap().starts_with("/pipc_"));
    /// assert_eq!(shm.size()?, 1024);
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn create_unique(size: u64) -> Result<SharedMemory> {
        let mut options = SharedMemory::options();
        options.create_new(true).size(size);
        with_unique_name("shm_open", |name| options.open(name))
    }

    /// The object's name.
    ///
    /// ```
    /// # let name = testkit::unique_name("doc");
    /// let shm = posix_ipc::SharedMemory::create_new(&name, 0)?;
    /// assert_eq!(shm.name().to_str(), Some(name.as_str()));
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn name(&self) -> &Name {
        &self.name
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
        let mut st = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: the descriptor is open (owned by self) and `st` is writable
        // memory for one `struct stat`.
        check("fstat", unsafe {
            libc::fstat(self.fd.as_raw_fd(), st.as_mut_ptr())
        })?;
        // SAFETY: fstat succeeded, so it filled in `st`.
        Ok(unsafe { st.assume_init() })
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
    // `off_t` is 32 bits on 32-bit glibc, where the conversion is not useless.
    #[allow(clippy::useless_conversion)]
    pub fn size(&self) -> Result<u64> {
        let st = self.stat()?;
        Ok(u64::from(st.st_size.unsigned_abs()))
    }

    fn ftruncate(&self, size: u64) -> Result<()> {
        let len = check_size("ftruncate", size)?;
        // SAFETY: ftruncate on a descriptor this handle owns; no memory is passed.
        let rc = unsafe { libc::ftruncate(self.fd.as_raw_fd(), len) };
        check("ftruncate", rc).map(drop).map_err(|e| {
            let name = &self.name;
            let msg = match e.raw_os_error().unwrap_or(0) {
                libc::EFBIG => {
                    return e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
                        "cannot resize \"{name}\" to {size} bytes: that exceeds this \
                         process's file size limit (RLIMIT_FSIZE, `ulimit -f`)"
                    ));
                }
                libc::EINVAL => format!(
                    "cannot resize \"{name}\" to {size} bytes: the size is invalid or \
                     the handle is not open for writing"
                ),
                libc::EPERM | libc::EACCES | libc::EROFS => {
                    return e
                        .with_kind(ErrorKind::PermissionDenied)
                        .with_message(format!(
                            "cannot resize \"{name}\": the object is read-only or sealed"
                        ));
                }
                _ => format!("cannot resize \"{name}\" to {size} bytes"),
            };
            e.with_message(msg)
        })
    }

    /// Resizes the object to `size` bytes (`ftruncate`). Growing adds zero
    /// bytes; every handle and process sees the new size.
    ///
    /// Fails with [`PermissionDenied`](ErrorKind::PermissionDenied) on a
    /// read-only handle and [`InvalidInput`](ErrorKind::InvalidInput) above
    /// [`SHARED_MEMORY_SIZE_MAX`], both before any system call.
    ///
    /// Shrinking under existing [`Mapping`]s (here or in other processes) is
    /// allowed by the OS, but touching their bytes past the new end then
    /// raises `SIGBUS`; agree on sizes before shrinking.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// shm.set_len(4096)?;
    /// assert_eq!(shm.size()?, 4096);
    /// assert!(shm.set_len(u64::MAX).unwrap_err().is_invalid_input());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn set_len(&self, size: u64) -> Result<()> {
        if self.read_only {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                "ftruncate",
                format!(
                    "cannot resize \"{}\" through a read-only handle; open it without \
                     read_only(true)",
                    self.name
                ),
            ));
        }
        self.ftruncate(size)
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
    /// other users open the object. Only the owner (or root) may.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(0)?;
    /// shm.set_mode(0o664)?;
    /// assert_eq!(shm.mode()?.bits(), 0o664);
    /// assert!(shm.set_mode(0o70000).unwrap_err().is_invalid_input());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn set_mode(&self, mode: u32) -> Result<()> {
        let mode = Mode::new(mode)?;
        // SAFETY: fchmod on a descriptor this handle owns; no memory is passed.
        let rc = unsafe { libc::fchmod(self.fd.as_raw_fd(), mode.bits() as libc::mode_t) };
        check("fchmod", rc).map(drop)
    }

    /// Maps the whole object into this process (`mmap`, shared; read-write,
    /// or read-only for a [read-only](SharedMemoryOptions::read_only) handle).
    ///
    /// An empty object cannot be mapped: that is an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error telling you to set a
    /// size first. The mapping has the size the object has now; map again
    /// after a resize to see the new extent.
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
        let size = self.size()?;
        if size == 0 {
            return Err(Error::invalid_input(
                "mmap",
                format!(
                    "\"{}\" is 0 bytes and an empty object cannot be mapped; give it a \
                     size first (options().size(n) or set_len(n))",
                    self.name
                ),
            ));
        }
        let len = usize::try_from(size).map_err(|_| {
            Error::invalid_input(
                "mmap",
                format!(
                    "\"{}\" is {size} bytes, more than this process can address; map a \
                     range of it with map_range",
                    self.name
                ),
            )
        })?;
        Mapping::new(self.as_fd(), 0, len, !self.read_only)
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
    pub fn map_range(&self, offset: u64, len: usize) -> Result<Mapping> {
        if len == 0 {
            return Err(Error::invalid_input(
                "mmap",
                "a mapping cannot be 0 bytes long; ask for at least 1 byte",
            ));
        }
        let size = self.size()?;
        let fits = u64::try_from(len)
            .ok()
            .and_then(|l| offset.checked_add(l))
            .is_some_and(|end| end <= size);
        if !fits {
            return Err(Error::invalid_input(
                "mmap",
                format!(
                    "offset {offset} + length {len} is past the end of the {size}-byte object \
                     \"{}\"; keep offset + length <= {size} or resize it first",
                    self.name
                ),
            ));
        }
        Mapping::new(self.as_fd(), offset, len, !self.read_only)
    }

    /// Removes the object's name (`shm_unlink`); see [`unlink_shared_memory`].
    /// This handle and all mappings stay usable. A second unlink is
    /// [`NotFound`](ErrorKind::NotFound).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// shm.unlink()?;
    /// assert!(posix_ipc::SharedMemory::open(shm.name()).unwrap_err().is_existential());
    /// assert!(shm.unlink().unwrap_err().is_existential());
    /// assert_eq!(shm.size()?, 16);
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn unlink(&self) -> Result<()> {
        unlink_name(&self.name)
    }

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the object
    /// when it drops (and then closes the descriptor; mappings stay valid).
    /// [`UnlinkOnDrop::into_inner`] disarms it.
    ///
    /// ```
    /// let guard = posix_ipc::SharedMemory::create_unique(16)?.unlink_on_drop();
    /// let name = guard.name().clone();
    /// drop(guard);
    /// assert!(posix_ipc::unlink_shared_memory(&name).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn unlink_on_drop(self) -> UnlinkOnDrop<SharedMemory> {
        UnlinkOnDrop::new(self)
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
    /// let name = shm.name().clone();
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
        d.field("name", &self.name.to_string())
            .field("fd", &self.fd.as_raw_fd());
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
    /// The name, like posix_ipc's `str()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.name, f)
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
        assert!(o.create && o.create_new && o.truncate && o.flags_error.is_none());
        o.flags(0);
        assert!(!o.create && !o.create_new && !o.truncate);
        o.flags(crate::O_EXCL);
        assert!(
            o.flags_error
                .as_ref()
                .unwrap()
                .message()
                .contains("O_CREAT")
        );
        o.flags(crate::O_CREAT);
        assert!(o.flags_error.is_none() && o.create && !o.create_new);
    }
}
