//! POSIX shared memory: [`SharedMemory`] (`shm_open`), its [`Mapping`]s and
//! [`unlink_shared_memory`]; every return code goes through `check`.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::__private::{check, fstat, rlimit};
use ipc_common::{Error, ErrorKind, IntoMode, Mode, Permissions, Result};
use posix_ipc_sys as sys;

use crate::flags::{self, Creation, O_TRUNC};
use crate::guard::{Sealed, Unlink, UnlinkOnDrop};
use crate::name::{self, IntoName, Name, with_unique_name};

mod mapping;

pub use mapping::Mapping;

/// The largest size an object can be given: `off_t::MAX` (2⁶³ − 1 on 64-bit
/// targets; 2³¹ − 1 on i686 without large-file support), or `usize::MAX` if
/// smaller. Larger sizes are [`ErrorKind::InvalidInput`] before any call.
// off_t is signed and at most 64 bits: its maximum fits u128 and, when
// below usize::MAX, usize.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub const SHARED_MEMORY_SIZE_MAX: usize = if (libc::off_t::MAX as u128) < (usize::MAX as u128) {
    libc::off_t::MAX as usize
} else {
    usize::MAX
};

/// A POSIX shared memory object (`shm_open`), seen through one file
/// descriptor that the handle owns and closes on drop.
///
/// The object lives on until it is unlinked ([`unlink`](Self::unlink),
/// [`unlink_shared_memory`], [`unlink_on_drop`](Self::unlink_on_drop)) *and*
/// every descriptor and mapping of it is gone. [`map`](Self::map) it to read
/// and write: a [`Mapping`] offers bounds-checked copies, atomics and raw
/// pointers, and outlives the handle.
///
/// Open it with [`options`](Self::options) (the full builder) or the short
/// forms [`open`](Self::open), [`create`](Self::create) (open or create, and
/// resize), [`create_new`](Self::create_new) and
/// [`create_unique`](Self::create_unique); or adopt a descriptor with
/// [`from_fd`](Self::from_fd). It is `Send + Sync`: every method makes one
/// system call, which the kernel serialises (a `map` racing a resize through
/// the same handle maps the old or the new size).
///
/// ```
/// use posix_ipc::SharedMemory;
/// let shm = SharedMemory::create_unique(4096)?.unlink_on_drop();
/// shm.map()?.write_at(0, b"hello")?;
/// // Another handle, in this or any other process, sees the same bytes.
/// let other = SharedMemory::open(shm.name().unwrap())?;
/// assert_eq!(other.map()?.read_vec(0, 5)?, b"hello");
/// # Ok::<(), posix_ipc::Error>(())
/// ```
///
/// # Names starting with `/sem.`
///
/// glibc keeps the semaphore `/x` in `/dev/shm/sem.x`, the file of the shared
/// memory object `/sem.x`. Such names work as usual unless the file really
/// holds a semaphore (a `sem_t` as `sem_open` writes it): then `open` and
/// [`unlink_shared_memory`] refuse it with [`InvalidInput`](ErrorKind::InvalidInput),
/// since resizing would corrupt the semaphore. musl's `/dev/shm/x` cannot be
/// told from shared memory: never use one name for both.
///
/// # Memory is reserved
///
/// Every size this crate gives an object is reserved with `posix_fallocate`
/// first, as PostgreSQL does, so a full `/dev/shm` is a
/// [`LimitExceeded`](ErrorKind::LimitExceeded) error naming the free space at
/// that call, not a `SIGBUS` at the first touch of a sparse page (a new object
/// is unlinked again, an existing one keeps its size). The pages are allocated
/// then; [`SharedMemoryOptions::sparse`] opts out, and macOS cannot reserve.
/// A size above `RLIMIT_FSIZE` is refused before any call (the kernel would
/// send `SIGXFSZ`). The remaining `SIGBUS` cases are listed on [`Mapping`].
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

/// How messages name an object: `"/name"`, or an adopted descriptor's number.
enum Shown<'a> {
    Named(&'a Name),
    Unnamed(RawFd),
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Named(name) => write!(f, "\"{name}\""),
            Shown::Unnamed(fd) => write!(f, "the unnamed object of descriptor {fd}"),
        }
    }
}

/// Options for opening or creating a [`SharedMemory`], like
/// [`std::fs::OpenOptions`]. By default it opens an existing object for
/// reading and writing, with mode `0o600` for a new one and no resize.
///
/// ```
/// use posix_ipc::SharedMemory;
/// let shm = SharedMemory::options().mode(0o640).size(8192).create_unique()?.unlink_on_drop();
/// let same = SharedMemory::options().read_only(true).open(shm.name().unwrap())?;
/// assert_eq!(same.size()?, 8192);
/// assert!(same.map()?.write_at(0, b"x").unwrap_err().is_permissions());
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
    /// The default options; the same as [`SharedMemory::options`].
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

    /// Create the object if it does not exist (`O_CREAT`). An existing one is
    /// opened, unless another user owns it (see
    /// [`allow_foreign_owner`](Self::allow_foreign_owner));
    /// [`SharedMemory::created`] tells which happened.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.open.create(create);
        self
    }

    /// Create a new object, failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if the name is taken
    /// (`O_CREAT | O_EXCL`). When set, [`create`](Self::create) is ignored, as in
    /// [`std::fs::OpenOptions`].
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.open.create_new(create_new);
        self
    }

    /// Truncate an existing object to 0 bytes on open (`O_TRUNC`), before any
    /// [`size`](Self::size) is applied. Not with [`read_only`](Self::read_only);
    /// not supported by macOS.
    pub fn truncate(&mut self, truncate: bool) -> &mut Self {
        self.truncate = truncate;
        self
    }

    /// Open for reading only (`O_RDONLY`): mappings are read-only, and writes
    /// through them are [`PermissionDenied`](ErrorKind::PermissionDenied) errors,
    /// never a crash. Combined with [`size`](Self::size) or
    /// [`truncate`](Self::truncate) it is an [`InvalidInput`](ErrorKind::InvalidInput)
    /// error.
    pub fn read_only(&mut self, read_only: bool) -> &mut Self {
        self.read_only = read_only;
        self
    }

    /// Permission bits for a new object (default `0o600`; a `u32` or a [`Mode`]).
    /// The umask applies, as for files; [`SharedMemory::set_mode`] sets exact
    /// bits. Bits above `0o777` are [`InvalidInput`](ErrorKind::InvalidInput)
    /// when opening.
    pub fn mode(&mut self, mode: impl IntoMode) -> &mut Self {
        self.open.mode(mode.into_mode_bits());
        self
    }

    /// Resize the object, new or existing, up or down, to `size` bytes once it is
    /// open (reserving the pages, see
    /// [Memory is reserved](SharedMemory#memory-is-reserved)). `0`, the default,
    /// leaves the size alone, so ported code passing `size=0` never empties an
    /// object; use [`truncate`](Self::truncate) or [`SharedMemory::set_len`] for
    /// that.
    /// Sizes are checked as by [`SharedMemory::set_len`]. A failed resize leaves
    /// the object as it was; only an object this very call created is unlinked.
    pub fn size(&mut self, size: usize) -> &mut Self {
        self.size = size;
        self
    }

    /// Resize with `ftruncate` alone, without reserving the pages (default
    /// `false`), as C programs and posix_ipc do: the object stays sparse and any
    /// size succeeds, but touching a page that `/dev/shm` cannot allocate then
    /// kills the process with `SIGBUS` (see [`Mapping`]). For large objects of
    /// which little is ever touched.
    pub fn sparse(&mut self, sparse: bool) -> &mut Self {
        self.sparse = sparse;
        self
    }

    /// Pre-fault every mapping this handle makes (default `false`): `map` and
    /// `map_range` map all pages before returning, with
    /// [`Region::populate`](ipc_common::Region::populate). A page that cannot be
    /// allocated is then a [`LimitExceeded`](ErrorKind::LimitExceeded) error from
    /// `map` instead of a `SIGBUS` at the first touch.
    /// It makes a first write pass 3-4x faster (`posix_shm_first_pass`
    /// benchmark); reads gain nothing (faults already map 16 pages).
    pub fn populate(&mut self, populate: bool) -> &mut Self {
        self.populate = populate;
        self
    }

    /// Let an open-or-create ([`create`](Self::create), `O_CREAT`) open an object
    /// of another user (default `false`). By default that fails with
    /// [`ForeignOwner`](ErrorKind::ForeignOwner) before anything is resized or
    /// truncated (see the crate's [Security](crate#security) section); objects of
    /// this process's effective user and of root are always accepted. Plain opens
    /// and [`create_new`](Self::create_new) do not check the owner.
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.open.allow_foreign_owner(allow);
        self
    }

    /// Sets create, create-exclusively and truncate from posix_ipc's flags
    /// ([`O_CREAT`](crate::O_CREAT), [`O_EXCL`](crate::O_EXCL),
    /// [`O_CREX`](crate::O_CREX), [`O_TRUNC`]), replacing what those setters set.
    /// `O_EXCL` without `O_CREAT`, or any other bit, is an
    /// [`InvalidInput`](ErrorKind::InvalidInput) error when opening.
    pub fn flags(&mut self, flags: i32) -> &mut Self {
        if let Some(extra) = self.open.flags(flags, &FLAGS) {
            self.truncate = extra & O_TRUNC != 0;
        }
        self
    }

    /// Opens (or creates) the object `name` with these options. The name, flags,
    /// mode and size are checked before any system call; errors name the object
    /// and say what to do.
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
            check_file_size_limit(Shown::Named(&name), self.size)?;
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
    /// Creates a new object under a fresh random name (see
    /// [`SharedMemory::create_unique`]) with these options; creation is always
    /// exclusive, so `create`, `create_new`, `truncate` and the creation flags do
    /// not apply.
    pub fn create_unique(&self) -> Result<SharedMemory> {
        self.open.check()?;
        let mut options = self.clone();
        options.truncate = false;
        with_unique_name("shm_open", |name| {
            options.open_name(name, Creation::EXCLUSIVE)
        })
    }

    /// [`open`](Self::open), then maps the whole object in the same call. With
    /// a [`size`](Self::size), the mapping has the size this call just gave the
    /// object, without asking the kernel again (nothing of this process runs
    /// between the resize and the `mmap`, as in C's `ftruncate` then `mmap`);
    /// without one, the current size (`fstat`). If mapping fails and this call
    /// created the object, it is unlinked again.
    ///
    /// ```
    /// let (shm, map) = posix_ipc::SharedMemory::options().size(4096).create_unique_mapped()?;
    /// let shm = shm.unlink_on_drop();
    /// map.write_at(0, b"hi")?;
    /// assert_eq!((map.len(), shm.map()?.read_vec(0, 2)?), (4096, b"hi".to_vec()));
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn open_mapped(&self, name: impl IntoName) -> Result<(SharedMemory, Mapping)> {
        self.mapped(self.open(name)?)
    }

    /// [`create_unique`](Self::create_unique), then maps the whole object in
    /// the same call (see [`open_mapped`](Self::open_mapped)).
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

/// The checked conversion of a size to `off_t`.
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

/// A size as `u64`, to compare with `rlim_t`.
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

/// The directory of the objects' files, to read an adopted descriptor's name.
const SHM_DIR_PREFIX: &str = "/dev/shm/";

/// Where the system keeps shared memory objects, for messages.
const SHM_DIR: &str = if cfg!(target_os = "linux") {
    "/dev/shm"
} else {
    "the shared memory file system"
};

/// Refuses a size above `RLIMIT_FSIZE` before any call: growing a file past it
/// makes the kernel send `SIGXFSZ`, which kills the process before `ftruncate`
/// could return `EFBIG`, and the signal's disposition is the program's. (A
/// limit lowered by another thread meanwhile can still raise it.)
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

/// `mode` as a `mode_t` (`u16` on macOS and the BSDs).
#[allow(clippy::useless_conversion)]
fn raw_mode(mode: Mode) -> libc::mode_t {
    libc::mode_t::try_from(mode.bits() & Mode::MAX_BITS).unwrap_or(0)
}

/// The permission bits of a `stat`.
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

/// Whether the object's file (Linux) is a directory.
fn is_directory(name: &Name) -> bool {
    cfg!(target_os = "linux")
        && std::fs::symlink_metadata(format!("{SHM_DIR}{name}")).is_ok_and(|m| m.is_dir())
}

/// A validated name that is not a semaphore's file (see
/// [`SharedMemory`](SharedMemory#names-starting-with-sem)).
fn shm_name(op: &'static str, name: impl IntoName) -> Result<Name> {
    let name = name.into_name()?;
    refuse_semaphore_file(op, &name)?;
    Ok(name)
}

/// Refuses `/sem.x` when glibc's semaphore `/x` lives in its file (see
/// [`SharedMemory`](SharedMemory#names-starting-with-sem)).
fn refuse_semaphore_file(op: &'static str, name: &Name) -> Result<()> {
    let Some(semaphore) = name.as_bytes().strip_prefix(b"/sem.") else {
        return Ok(());
    };
    if !is_semaphore_file(name) {
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

/// Whether the file of `name` holds a semaphore that glibc's `sem_open` made
/// (musl's semaphore files cannot be told from shared memory).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn is_semaphore_file(name: &Name) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let mut path = SHM_DIR.as_bytes().to_vec();
    path.extend_from_slice(name.as_bytes());
    crate::semaphore::is_glibc_semaphore_file(std::path::Path::new(std::ffi::OsStr::from_bytes(
        &path,
    )))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn is_semaphore_file(_: &Name) -> bool {
    false
}

fn unlink_name(name: &Name) -> Result<()> {
    // SAFETY: the name is a valid NUL-terminated C string; shm_unlink only reads it.
    let rc = unsafe { sys::shm_unlink(name.as_c_str().as_ptr()) };
    check("shm_unlink", rc).map(drop).map_err(|e| {
        // EROFS is PermissionDenied too: it goes first.
        let msg = match e.kind() {
            _ if e.raw_os_error() == Some(libc::EROFS) => {
                format!("{SHM_DIR} is mounted read-only, so \"{name}\" cannot be unlinked")
            }
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

/// Removes the name of the shared memory object `name` (`shm_unlink`;
/// posix_ipc's `unlink_shared_memory`). Processes that have it open or
/// mapped keep the memory until they let go. A missing name is
/// [`NotFound`](ErrorKind::NotFound).
pub fn unlink_shared_memory(name: impl IntoName) -> Result<()> {
    unlink_name(&shm_name("shm_unlink", name)?)
}

impl SharedMemory {
    /// A builder with every option; see [`SharedMemoryOptions`].
    pub fn options() -> SharedMemoryOptions {
        SharedMemoryOptions::new()
    }

    /// Opens the existing object `name` for reading and writing, without resizing
    /// it.
    pub fn open(name: impl IntoName) -> Result<SharedMemory> {
        SharedMemory::options().open(name)
    }

    /// Opens or creates `name` (`O_CREAT`) and resizes it to `size` bytes, like
    /// posix_ipc: a new object is zero-filled, an **existing one is grown or
    /// shrunk** (keeping its bytes). `size == 0` leaves the size alone;
    /// [`create_new`](Self::create_new) never touches an existing object.
    pub fn create(name: impl IntoName, size: usize) -> Result<SharedMemory> {
        SharedMemory::options().create(true).size(size).open(name)
    }

    /// Creates `name` with `size` zero bytes, failing with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) if it exists (`O_CREAT | O_EXCL`).
    pub fn create_new(name: impl IntoName, size: usize) -> Result<SharedMemory> {
        SharedMemory::options()
            .create_new(true)
            .size(size)
            .open(name)
    }

    /// Creates an object of `size` bytes under a fresh random name (`/pipc_` and
    /// 16 hex digits from the OS random source, retried if taken; posix_ipc's
    /// `name=None`). Pass [`name`](Self::name) to the processes that should open it.
    pub fn create_unique(size: usize) -> Result<SharedMemory> {
        SharedMemory::options().size(size).create_unique()
    }

    /// The object's name; `None` for an adopted descriptor without one.
    pub fn name(&self) -> Option<&Name> {
        self.name.as_ref()
    }

    /// How messages name this object.
    fn shown(&self) -> Shown<'_> {
        match &self.name {
            Some(name) => Shown::Named(name),
            None => Shown::Unnamed(self.fd.as_raw_fd()),
        }
    }

    /// Whether the call that opened this handle created the object: true for
    /// `create_new` and `create_unique`, false for `open` and clones, and for an
    /// open-or-create whichever happened (it tries an exclusive create first).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Whether this handle was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn stat(&self) -> Result<libc::stat> {
        fstat(self.fd.as_fd())
    }

    /// The current size in bytes (`fstat`), including resizes by other handles;
    /// works after the object was unlinked.
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

    /// Checks `size`, reserves the pages (unless sparse) and sets the length.
    fn resize(&self, size: usize) -> Result<()> {
        let len = check_size("ftruncate", size)?;
        #[cfg(target_vendor = "apple")]
        if self.sized_once(size)? {
            return Ok(());
        }
        check_file_size_limit(self.shown(), size)?;
        self.resize_checked(len, size)
    }

    /// [`resize`](Self::resize) once `size` (as `len`) passed the checks: reserves,
    /// then sets the length.
    fn resize_checked(&self, len: libc::off_t, size: usize) -> Result<()> {
        if !self.sparse && len > 0 {
            self.reserve(len, size)?;
        }
        self.ftruncate(len, size)?;
        Ok(())
    }

    /// Allocates bytes `0..len` (`posix_fallocate`), so that touching them cannot
    /// raise `SIGBUS` on a full tmpfs; tmpfs allocates all or nothing. `EINTR` is
    /// retried; where the file system cannot reserve (`EOPNOTSUPP`, `ENODEV`,
    /// `ENOSYS`, `EINVAL`) the object stays sparse.
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

    /// "`/dev/shm` is N bytes with M free" (`fstatvfs`), for messages.
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

    /// macOS sizes an object once (a second `ftruncate` is a bare `EINVAL`):
    /// `true` when it already has `size` bytes, an
    /// [`Unsupported`](ErrorKind::Unsupported) error when it has another non-zero
    /// size.
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

    /// Resizes the object to `size` bytes (growing adds zeros) for every handle
    /// and process, reserving the pages first (see
    /// [Memory is reserved](SharedMemory#memory-is-reserved)).
    /// [`PermissionDenied`](ErrorKind::PermissionDenied) on a read-only handle,
    /// [`InvalidInput`](ErrorKind::InvalidInput) above [`SHARED_MEMORY_SIZE_MAX`]
    /// and [`LimitExceeded`](ErrorKind::LimitExceeded) above `RLIMIT_FSIZE`, all
    /// before any call. Shrinking under [`Mapping`]s is allowed, but touching
    /// their bytes past the new end raises `SIGBUS`: agree on sizes first. On
    /// macOS an object is sized once: another non-zero size (truncation included)
    /// is [`Unsupported`](ErrorKind::Unsupported), the same size does nothing.
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

    /// Owner, group and mode as the system reports them (`fstat`); `cuid`/`cgid`
    /// repeat the owner (POSIX objects have no separate creator).
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

    /// The permission bits (after the umask and any [`set_mode`](Self::set_mode)).
    pub fn mode(&self) -> Result<Mode> {
        Ok(self.permissions()?.mode)
    }

    /// The owner's user id.
    pub fn uid(&self) -> Result<libc::uid_t> {
        Ok(self.stat()?.st_uid)
    }

    /// The owner's group id.
    pub fn gid(&self) -> Result<libc::gid_t> {
        Ok(self.stat()?.st_gid)
    }

    /// Sets the permission bits exactly (`fchmod`, no umask); only the owner or
    /// root may. Bits above `0o777` are [`InvalidInput`](ErrorKind::InvalidInput).
    pub fn set_mode(&self, mode: impl IntoMode) -> Result<()> {
        let mode = flags::object_mode(mode.into_mode_bits(), "shared memory object")?;
        // SAFETY: fchmod on a descriptor this handle owns; no memory is passed.
        let rc = unsafe { libc::fchmod(self.fd.as_raw_fd(), raw_mode(mode)) };
        check("fchmod", rc).map(drop)
    }

    /// Maps the whole object (`mmap`, shared; read-only for a read-only handle).
    /// An empty object is an [`InvalidInput`](ErrorKind::InvalidInput) error.
    ///
    /// What is mapped is the object's current size, read with `fstat`, never
    /// a size this handle remembers: another handle or process may have resized
    /// it, and a mapping longer than the object raises `SIGBUS` when its tail is
    /// touched. To size and map in one call, open with
    /// [`SharedMemoryOptions::open_mapped`]. Touching bytes another process cuts
    /// off by shrinking later raises `SIGBUS`, as with any mapping.
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

    /// `mapped`, pre-faulted if the handle asked for it; unmapped on failure.
    fn prepared(&self, mapped: Result<Mapping>) -> Result<Mapping> {
        let map = mapped?;
        if self.populate {
            map.populate()?;
        }
        Ok(map)
    }

    /// Maps `len` bytes from byte `offset`: the [`Mapping`]'s byte 0 is the
    /// object's byte `offset`, which need not be page-aligned (atomics need
    /// offsets aligned relative to it). `len == 0` and ranges past the current
    /// size are [`InvalidInput`](ErrorKind::InvalidInput).
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(10_000)?.unlink_on_drop();
    /// shm.map()?.write_at(9000, b"tail")?;
    /// assert_eq!(shm.map_range(9000, 1000)?.read_vec(0, 4)?, b"tail");
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

    /// Removes the object's name (`shm_unlink`); this handle and all mappings
    /// stay usable. A second unlink, or one of an unnamed adopted object, is
    /// [`NotFound`](ErrorKind::NotFound).
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

    /// Wraps the handle in an [`UnlinkOnDrop`] guard that unlinks the name when
    /// it drops; mappings stay valid.
    #[must_use = "the guard unlinks when it drops: dropped at once, it unlinks at once"]
    pub fn unlink_on_drop(self) -> UnlinkOnDrop<SharedMemory> {
        UnlinkOnDrop::new(self)
    }

    /// Adopts a descriptor of a shared memory object (received over `SCM_RIGHTS`,
    /// made by C code, a `memfd`). The name is read from `/proc/self/fd` (Linux)
    /// while the object has one in `/dev/shm`; otherwise it is `None` and
    /// [`unlink`](Self::unlink) is [`NotFound`](ErrorKind::NotFound). An
    /// `O_RDONLY` descriptor gives a read-only handle; a write-only one, or
    /// anything but a regular file, is [`InvalidInput`](ErrorKind::InvalidInput)
    /// (and closed). [`created`](Self::created) is `false`. Adopting is sound for
    /// any descriptor: mapping fails rather than hand out memory that is not there.
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use posix_ipc::SharedMemory;
    /// let shm = SharedMemory::create_unique(64)?.unlink_on_drop().into_inner();
    /// let fd: OwnedFd = shm.into(); // e.g. sent to another process
    /// let adopted = SharedMemory::from_fd(fd)?.unlink_on_drop();
    /// assert_eq!(adopted.size()?, 64);
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

    /// A second handle with its own descriptor (`F_DUPFD_CLOEXEC`), name and
    /// access; [`created`](Self::created) is `false` for it.
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

    /// Closes the descriptor and reports a failure (dropping closes silently).
    /// [`Mapping`]s stay valid. A closed handle cannot be used:
    ///
    /// ```compile_fail
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?;
    /// shm.close()?;
    /// shm.size()?; // error: use of moved value
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
