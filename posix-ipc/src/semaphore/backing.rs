//! The file behind a named semaphore. On Linux, glibc and musl keep the
//! semaphore `/name` in the file `/dev/shm/sem.name`: `sem_open` opens it,
//! maps it with `mmap(MAP_SHARED)` and closes the descriptor, and the
//! `sem_t *` it returns points into that mapping. Whoever can write the file
//! can write the semaphore's memory.
//!
//! A semaphore has no descriptor to `fstat`, so what this module learns
//! (owner, mode, size) comes from the path. Stat'ing the path alone races:
//! between `sem_open` and the `stat`, the name could be unlinked and another
//! file put in its place. `/dev/shm` is sticky, so only the owner of the first
//! file (or root) can do that, and that owner could as well truncate or
//! rewrite the file it owns: for the size and contents checks of a plain
//! open, the path is enough. The ownership decision of an open-or-create is
//! different: a squatter who owns the mapped file could put a link to a
//! trusted user's semaphore under the name (where `fs.protected_hardlinks` is
//! off) and pass the check. There the file's identity (`st_dev`, `st_ino`) is
//! compared with that of the mapping that holds the `sem_t`, read from
//! `/proc/self/maps`: when they match, the owner is that of the very file
//! this handle maps. (Where `/proc` is not mounted the path is trusted alone,
//! with the race above.) Reading `/proc/self/maps` costs tens of
//! microseconds, so it is done only there.

use std::path::PathBuf;

use ipc_common::Mode;

#[cfg(target_os = "linux")]
use crate::name::Name;

/// What opening learned about a semaphore's file.
#[derive(Debug, Clone)]
pub(super) struct Backing {
    /// Where the file is (`/dev/shm/sem.<name>`).
    pub(super) path: PathBuf,
    /// The file's owner.
    pub(super) uid: libc::uid_t,
    /// The file's permission bits.
    pub(super) mode: Mode,
    /// The file's size in bytes.
    pub(super) len: u64,
}

/// Where the C library keeps the semaphore called `name`: glibc in
/// `/dev/shm/sem.<name without the slash>`, musl in `/dev/shm/<name without
/// the slash>` (the file `shm_open` would use for that name).
#[cfg(target_os = "linux")]
pub(super) fn path(name: &Name) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let prefix: &[u8] = if cfg!(target_env = "musl") {
        b"/dev/shm/"
    } else {
        b"/dev/shm/sem."
    };
    let mut path = prefix.to_vec();
    path.extend_from_slice(&name.as_bytes()[1..]);
    std::ffi::OsStr::from_bytes(&path).into()
}

/// Examines the file of the semaphore `name`, whose `sem_t` this process maps
/// at `sem`. `Ok(None)` when the name no longer refers to a file (unlinked
/// since `sem_open`), or, with `identity`, to the very file mapped at `sem`
/// (replaced by another file).
#[cfg(target_os = "linux")]
pub(super) fn examine(
    name: &Name,
    sem: *const libc::c_void,
    identity: bool,
) -> ipc_common::Result<Option<Backing>> {
    use std::os::unix::fs::MetadataExt;
    let path = path(name);
    // No symlinks: glibc opens the file with O_NOFOLLOW.
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            return Err(
                ipc_common::Error::from_errno("stat", errno).with_message(format!(
                    "cannot examine {}, the file of semaphore {name:?}: {e}",
                    path.display()
                )),
            );
        }
    };
    if identity
        && let Some(mapped) = mapped_file(sem.addr())
        && mapped != (meta.dev(), meta.ino())
    {
        return Ok(None);
    }
    Ok(Some(Backing {
        uid: meta.uid(),
        mode: Mode::from_raw(meta.mode() & Mode::MAX_BITS),
        len: meta.len(),
        path,
    }))
}

/// The `(st_dev, st_ino)` of the file this process maps at `addr`, from
/// `/proc/self/maps` (read line by line, up to the mapping); `None` when
/// `/proc` is not available or `addr` is not in a mapping of a file.
#[cfg(target_os = "linux")]
fn mapped_file(addr: usize) -> Option<(u64, u64)> {
    use std::io::BufRead;
    let maps = std::io::BufReader::new(std::fs::File::open("/proc/self/maps").ok()?);
    let addr = u64::try_from(addr).ok()?;
    maps.split(b'\n')
        .map_while(|line| line.ok())
        .find_map(|line| {
            // start-end perms offset major:minor inode [path]
            let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
            let (start, end) = split_pair(fields.next()?, b'-')?;
            if !(hex(start)? <= addr && addr < hex(end)?) {
                return None;
            }
            let (major, minor) = split_pair(fields.nth(2)?, b':')?;
            let inode = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
            let major = u32::try_from(hex(major)?).ok()?;
            let minor = u32::try_from(hex(minor)?).ok()?;
            (inode != 0).then(|| (libc::makedev(major, minor), inode))
        })
}

#[cfg(target_os = "linux")]
fn split_pair(field: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = field.iter().position(|&b| b == sep)?;
    Some((&field[..i], &field[i + 1..]))
}

#[cfg(target_os = "linux")]
fn hex(digits: &[u8]) -> Option<u64> {
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// The value glibc's `sem_open` writes into the `private` field of every
/// semaphore it creates: `FUTEX_SHARED`, which is the kernel's
/// `FUTEX_PRIVATE_FLAG` (128), because glibc builds the futex operation as
/// `op | FUTEX_PRIVATE_FLAG ^ private`. Any other value makes every futex
/// call on the semaphore an invalid operation, and glibc aborts the process
/// on the unexpected error.
#[cfg(target_os = "linux")]
const FUTEX_SHARED: i32 = 128;

/// The two layouts of glibc's `sem_t` (see [`read_fields`]), which is all a
/// semaphore file holds: programs of one C library and word size share a
/// named semaphore, others misread it (see the README's platform table).
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GlibcLayout {
    /// 16 bytes: `value << 1` in a 32-bit word, `private` at offset 4
    /// (32-bit glibc: i686, armv7, ...).
    Bits32,
    /// 32 bytes: the value in the low half of a 64-bit word whose high half
    /// counts waiters, `private` at offset 8 (64-bit glibc, and x32).
    Bits64,
}

#[cfg(target_os = "linux")]
impl GlibcLayout {
    /// This target's layout.
    #[cfg(target_env = "gnu")]
    pub(super) const NATIVE: GlibcLayout =
        if cfg!(any(target_pointer_width = "64", target_arch = "x86_64")) {
            GlibcLayout::Bits64
        } else {
            GlibcLayout::Bits32
        };

    /// Who makes semaphores of this layout, for messages.
    pub(super) fn maker(self) -> &'static str {
        match self {
            GlibcLayout::Bits32 => "a 32-bit glibc program (i686, armv7), whose sem_t is 16 bytes",
            GlibcLayout::Bits64 => {
                "a 64-bit glibc program (x86_64, aarch64), whose sem_t is 32 bytes"
            }
        }
    }
}

/// Which glibc made the file at `path`, if it is a glibc semaphore: its size
/// is one of the two `sem_t` sizes and its `private` word (where that size's
/// layout has it) is the value glibc's `sem_open` always writes. `None` for
/// anything else (musl writes 0 there), a symlink, or a file this process
/// cannot read.
#[cfg(target_os = "linux")]
pub(super) fn glibc_layout(path: &std::path::Path) -> Option<GlibcLayout> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    let (layout, len, at) = match meta.len() {
        16 if meta.is_file() => (GlibcLayout::Bits32, 16, 4),
        32 if meta.is_file() => (GlibcLayout::Bits64, 32, 8),
        _ => return None,
    };
    let mut bytes = [0u8; 32];
    (&file).read_exact(bytes.get_mut(..len)?).ok()?;
    let private = i32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
    (private == FUTEX_SHARED).then_some(layout)
}

/// Where glibc keeps the semaphore `name`: `/dev/shm/sem.<name without the
/// slash>` (for musl's check of a glibc semaphore of the same name).
#[cfg(all(target_os = "linux", target_env = "musl"))]
pub(super) fn glibc_path(name: &Name) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let mut path = b"/dev/shm/sem.".to_vec();
    path.extend_from_slice(&name.as_bytes()[1..]);
    std::ffi::OsStr::from_bytes(&path).into()
}

/// The two fields of a glibc `sem_t` that can be checked: the value and the
/// `private` (futex sharing) word.
///
/// glibc's `struct new_sem` (32 bytes, `sizeof(sem_t)`): where it has 64-bit
/// atomics (64-bit targets and x32), a `u64 data` holding the value in its low
/// 32 bits and the number of waiters in its high 32 bits, then `int private`
/// and `int pad`; elsewhere `unsigned value` holding `value << 1` and a
/// "there are waiters" bit, then `int private`, `int pad` and
/// `unsigned nwaiters`.
///
/// # Safety
///
/// `sem` must point to the start of a live `sem_t` mapping that is backed by
/// at least `size_of::<sem_t>()` bytes of its file.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe fn read_fields(sem: *const libc::c_void) -> (u32, i32) {
    use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
    if cfg!(any(target_pointer_width = "64", target_arch = "x86_64")) {
        // SAFETY: `sem` is the page-aligned start of the mapping (so 8-aligned)
        // with at least 32 valid bytes (the caller's contract); glibc and other
        // processes access these words atomically, so atomic loads are how to
        // read them while they may change.
        let data = unsafe { &*sem.cast::<AtomicU64>() }.load(Ordering::Relaxed);
        // SAFETY: as above; bytes 8..12 are the 4-aligned `private` field.
        let private = unsafe { &*sem.byte_add(8).cast::<AtomicI32>() }.load(Ordering::Relaxed);
        ((data & 0xFFFF_FFFF) as u32, private)
    } else {
        // SAFETY: as above, for the 32-bit layout: `value` at 0, `private` at 4.
        let value = unsafe { &*sem.cast::<AtomicU32>() }.load(Ordering::Relaxed);
        // SAFETY: as above.
        let private = unsafe { &*sem.byte_add(4).cast::<AtomicI32>() }.load(Ordering::Relaxed);
        (value >> 1, private)
    }
}

/// Checks what can be checked of a glibc `sem_t` that this process maps at
/// `sem` (the file described by `backing`, at least `size_of::<sem_t>()`
/// bytes): the `private` word must be the one `sem_open` writes, and the value
/// at most `SEM_VALUE_MAX`. A file that fails is not a semaphore glibc made
/// (32 bytes of `0x01` make glibc abort the process at the first release),
/// and is refused with `InvalidInput` naming the file.
///
/// # Safety
///
/// As for [`read_fields`].
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(super) unsafe fn check_contents(
    name: &Name,
    sem: *const libc::c_void,
    backing: &Backing,
) -> ipc_common::Result<()> {
    // SAFETY: the caller's contract.
    let (value, private) = unsafe { read_fields(sem) };
    let max = crate::limits::semaphore_value_max();
    let why = if private != FUTEX_SHARED {
        format!(
            "its process-shared word (glibc's `private` field) is {private:#x}, where sem_open \
             always writes {FUTEX_SHARED:#x}: glibc would abort the process at the first \
             acquire or release"
        )
    } else if value > max {
        format!("its value is {value}, above SEM_VALUE_MAX ({max})")
    } else {
        return Ok(());
    };
    Err(ipc_common::Error::invalid_input(
        "sem_open",
        format!(
            "{} is not a valid semaphore: {why}. Something other than sem_open wrote it (any \
             process with write access to the file can); remove it (unlink_semaphore({name:?})) \
             and create the semaphore again",
            backing.path.display()
        ),
    ))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn path_strips_the_slash() {
        let n = Name::new("/abc").unwrap();
        let expected = if cfg!(target_env = "musl") {
            "/dev/shm/abc"
        } else {
            "/dev/shm/sem.abc"
        };
        assert_eq!(path(&n), std::path::Path::new(expected));
    }

    #[test]
    fn mapped_file_finds_a_file_mapping_and_nothing_else() {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::AsRawFd;
        let file = std::fs::File::open("/proc/self/exe").unwrap();
        let meta = file.metadata().unwrap();
        // SAFETY: a fresh private read-only mapping of one page of an open
        // file, unmapped below; nothing else refers to it.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED);
        assert_eq!(
            mapped_file(ptr.addr() + 100),
            Some((meta.dev(), meta.ino()))
        );
        let on_stack = 0u8;
        assert_eq!(mapped_file((&raw const on_stack).addr()), None);
        // SAFETY: the mapping made above, unmapped once.
        assert_eq!(unsafe { libc::munmap(ptr, 4096) }, 0);
    }
}
