//! Removing objects: unconditionally ([`remove`]), or only when the stale
//! rule says nobody uses them ([`remove_if_stale`], [`remove_stale`],
//! [`clear_stale`]).

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use ipc_common::__private::check;
use ipc_common::{Error, ErrorKind, Result};

use crate::lease::{self, Lease};
use crate::object::{Kind, Object, Prefix, format_key};
use crate::processes::{CAP_FOWNER, CAP_SYS_ADMIN, has_capability};
use crate::scan::{list, read_sysv};

/// The longest POSIX name after its `/` (`NAME_MAX`).
const NAME_MAX: usize = 255;

fn posix_name(op: &'static str, kind: Kind, name: &OsStr) -> Result<CString> {
    let bytes = name.as_bytes();
    let rest = bytes.strip_prefix(b"/").ok_or_else(|| {
        Error::invalid_input(
            op,
            format!(
                "{} name {name:?} must start with '/' (for example /{})",
                kind.description(),
                name.to_string_lossy()
            ),
        )
    })?;
    if rest.is_empty() || rest.len() > NAME_MAX || rest.contains(&b'/') {
        return Err(Error::invalid_input(
            op,
            format!(
                "{} name {name:?} must be '/' and 1 to {NAME_MAX} bytes without another '/'",
                kind.description()
            ),
        ));
    }
    CString::new(bytes).map_err(|_| {
        Error::invalid_input(
            op,
            format!("{} name {name:?} contains a NUL byte", kind.description()),
        )
    })
}

/// Removes the POSIX object of `kind` named `name` (`shm_unlink`,
/// `sem_unlink` or `mq_unlink`), whoever uses it. Processes that have it
/// open keep using it; the name is free at once.
///
/// # Errors
///
/// `InvalidInput` for a System V kind or a malformed name, `NotFound` when
/// no such object exists, `PermissionDenied` when this user may not remove
/// it.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// use ipc_inventory::{unlink_posix, Kind};
/// let e = unlink_posix(Kind::PosixSemaphore, "/ipcrs-doc-never-made").unwrap_err();
/// assert_eq!(e.kind(), ipc_common::ErrorKind::NotFound);
/// # }
/// ```
pub fn unlink_posix(kind: Kind, name: impl AsRef<OsStr>) -> Result<()> {
    let (op, call): (
        &'static str,
        unsafe extern "C" fn(*const libc::c_char) -> libc::c_int,
    ) = match kind {
        Kind::PosixSharedMemory => ("shm_unlink", libc::shm_unlink),
        // The semaphores listed here are glibc's `sem.<name>` files; a build
        // against another C library (musl keeps its semaphores under the bare
        // name, where shared memory lives) must still remove that file.
        Kind::PosixSemaphore => ("sem_unlink", unlink_glibc_semaphore),
        Kind::PosixMessageQueue => ("mq_unlink", libc::mq_unlink),
        _ => {
            return Err(Error::invalid_input(
                "unlink",
                format!(
                    "{} is not a POSIX kind: use remove_sysv",
                    kind.description()
                ),
            ));
        }
    };
    let name = name.as_ref();
    let c_name = posix_name(op, kind, name)?;
    // SAFETY: `c_name` is NUL-terminated and outlives the call, which only
    // reads it.
    let rc = unsafe { call(c_name.as_ptr()) };
    check(op, rc).map(drop).map_err(|e| {
        let what = format!("{} {:?}", kind.description(), name.to_string_lossy());
        match e.kind() {
            ErrorKind::NotFound => e.with_message(format!("no {what} exists (already removed?)")),
            ErrorKind::PermissionDenied => e.with_message(format!(
                "only the owner of {what} or root may remove it; run as its owner or with sudo"
            )),
            _ => e,
        }
    })
}

/// `sem_unlink` as glibc does it, whatever C library this is built against:
/// removes `/dev/shm/sem.<name without the slash>`.
///
/// # Safety
///
/// `name` is a valid NUL-terminated string starting with `/` (checked by
/// `posix_name`).
unsafe extern "C" fn unlink_glibc_semaphore(name: *const libc::c_char) -> libc::c_int {
    // SAFETY: the caller passes a valid NUL-terminated name.
    let name = unsafe { std::ffi::CStr::from_ptr(name) }.to_bytes();
    let mut path = format!("{}/sem.", crate::scan::SHM_DIR).into_bytes();
    path.extend_from_slice(name.strip_prefix(b"/").unwrap_or(name));
    let Ok(path) = std::ffi::CString::new(path) else {
        // SAFETY: setting errno is always allowed.
        unsafe { *libc::__errno_location() = libc::EINVAL };
        return -1;
    };
    // SAFETY: `path` is NUL-terminated and outlives the call.
    unsafe { libc::unlink(path.as_ptr()) }
}

/// Removes the System V object of `kind` with identifier `id` (`IPC_RMID`),
/// whoever uses it. A shared memory segment that is still attached is
/// destroyed at its last detach.
///
/// # Errors
///
/// `InvalidInput` for a POSIX kind, `NotFound` when no such object exists,
/// `PermissionDenied` when this user is neither its owner nor its creator
/// and lacks `CAP_SYS_ADMIN`.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// use ipc_inventory::{remove_sysv, Kind};
/// let e = remove_sysv(Kind::SysvMessageQueue, i32::MAX).unwrap_err();
/// assert_eq!(e.kind(), ipc_common::ErrorKind::NotFound);
/// # }
/// ```
pub fn remove_sysv(kind: Kind, id: i32) -> Result<()> {
    let (op, rc) = match kind {
        // SAFETY: IPC_RMID takes no fourth argument.
        Kind::SysvSemaphoreSet => ("semctl", unsafe { libc::semctl(id, 0, libc::IPC_RMID) }),
        Kind::SysvSharedMemory => (
            "shmctl",
            // SAFETY: IPC_RMID ignores the buffer, which may be null.
            unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) },
        ),
        Kind::SysvMessageQueue => (
            "msgctl",
            // SAFETY: IPC_RMID ignores the buffer, which may be null.
            unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) },
        ),
        _ => {
            return Err(Error::invalid_input(
                "remove",
                format!(
                    "{} is not a System V kind: use unlink_posix",
                    kind.description()
                ),
            ));
        }
    };
    check(op, rc).map(drop).map_err(|e| {
        let what = format!("{} with id {id}", kind.description());
        match e.raw_os_error() {
            Some(libc::EINVAL | libc::EIDRM) => e
                .with_kind(ErrorKind::NotFound)
                .with_message(format!("no {what} exists (already removed?)")),
            Some(libc::EPERM | libc::EACCES) => e.with_message(format!(
                "only the owner or creator of the {what}, or root (CAP_SYS_ADMIN), may remove it"
            )),
            _ => e,
        }
    })
}

/// Removes `object` whoever uses it: [`unlink_posix`] by name or
/// [`remove_sysv`] by id.
///
/// # Errors
///
/// As those functions.
pub fn remove(object: &Object) -> Result<()> {
    match (&object.name, object.id) {
        (Some(name), _) => unlink_posix(object.kind, name),
        (None, Some(id)) => remove_sysv(object.kind, id),
        (None, None) => Err(Error::invalid_input(
            "remove",
            "the object has neither a name nor an id",
        )),
    }
}

/// Whether this process may remove `object`, checked before trying: POSIX
/// objects live in sticky directories, so their owner or a process with
/// `CAP_FOWNER` may; System V objects need their owner, their creator or
/// `CAP_SYS_ADMIN`.
///
/// # Errors
///
/// `PermissionDenied`, naming the owner and what to do.
pub fn check_removable(object: &Object) -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    let allowed = if object.kind.is_posix() {
        euid == object.uid || has_capability(CAP_FOWNER) || directory_allows(object, euid)
    } else {
        euid == object.uid || object.cuid == Some(euid) || has_capability(CAP_SYS_ADMIN)
    };
    if allowed {
        return Ok(());
    }
    let owners = match object.cuid {
        Some(cuid) if cuid != object.uid => format!("uid {} (created by uid {cuid})", object.uid),
        _ => format!("uid {}", object.uid),
    };
    Err(Error::new(
        ErrorKind::PermissionDenied,
        "remove",
        format!(
            "{} {} belongs to {owners}, not to this user (uid {euid}): only its owner{} or root \
             may remove it; run as its owner or with sudo",
            object.kind.description(),
            object.label(),
            if object.kind.is_sysv() {
                " or creator"
            } else {
                ""
            }
        ),
    ))
}

/// A non-sticky directory, or one this user owns, lets the kernel decide.
fn directory_allows(object: &Object, euid: libc::uid_t) -> bool {
    let dir = object.path.as_deref().and_then(Path::parent);
    dir.and_then(|d| std::fs::metadata(d).ok())
        .is_some_and(|m| m.mode() & libc::S_ISVTX == 0 || m.uid() == euid)
}

/// Removes `object` only if its verdict is stale and it has not changed
/// since it was inspected: the POSIX name still leads to the same file, or
/// the System V object still has the same key, pids, counts and times.
///
/// A POSIX object is unlinked while holding a write lease on its file when
/// this user may take one (its owner, or root): the kernel grants it only if
/// nobody has the object open or mapped, and holds off any `open` until the
/// name is gone. Otherwise, and for System V objects, the check and the
/// removal are two steps: a process that starts using the object in the
/// microseconds between them loses it, as with `ipcrm`.
///
/// # Errors
///
/// `PermissionDenied` when this user may not remove it ([`check_removable`]),
/// `Busy` when it is in use, may be in use, or changed since it was
/// inspected, `NotFound` when it is gone; the errors of [`remove`].
pub fn remove_if_stale(object: &Object) -> Result<()> {
    check_removable(object)?;
    if !object.is_stale() {
        let state = match object.staleness.as_str() {
            "in-use" => "is in use",
            _ => "may be in use",
        };
        return Err(Error::new(
            ErrorKind::Busy,
            "remove",
            format!(
                "{} {} {state} ({}); not removed (remove it regardless with `remove`, or \
                 `ipc rm --force`)",
                object.kind.description(),
                object.label(),
                object.staleness.reason()
            ),
        ));
    }
    if let (Some(path), Some(dev), Some(ino)) = (&object.path, object.device, object.inode) {
        // Under a write lease nobody can open the object between the check
        // and the unlink: their open waits until the name is gone.
        match lease::try_lease(path, dev, ino) {
            Lease::Held(lease) => {
                let removed = remove(object);
                drop(lease);
                return removed;
            }
            Lease::Refused => return Err(changed(object)),
            Lease::Unavailable => {}
        }
    }
    unchanged(object)?;
    remove(object)
}

fn changed(object: &Object) -> Error {
    Error::new(
        ErrorKind::Busy,
        "remove",
        format!(
            "{} {} changed since it was inspected, so it may be in use; not removed",
            object.kind.description(),
            object.label()
        ),
    )
}

fn gone(object: &Object) -> Error {
    Error::new(
        ErrorKind::NotFound,
        "remove",
        format!(
            "{} {} is gone (removed meanwhile)",
            object.kind.description(),
            object.label()
        ),
    )
}

/// Why a fresh look at `path` failed: [`gone`] when the file is.
fn look_failed(object: &Object, path: &Path, e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        gone(object)
    } else {
        crate::scan::io_error("stat", path, e)
    }
}

/// `Ok` when a fresh look finds the object as it was inspected.
fn unchanged(object: &Object) -> Result<()> {
    if let Some(path) = &object.path {
        return match std::fs::symlink_metadata(path) {
            Ok(m) if Some(m.dev()) == object.device && Some(m.ino()) == object.inode => Ok(()),
            Ok(_) => Err(changed(object)),
            Err(e) => Err(look_failed(object, path, &e)),
        };
    }
    let fresh = read_sysv(object.kind, true)?;
    let Some(now) = fresh.iter().find(|o| o.id == object.id) else {
        return Err(gone(object));
    };
    if sysv_state(now) == sysv_state(object) && now.waiters.unwrap_or(0) == 0 {
        Ok(())
    } else {
        Err(changed(object))
    }
}

/// What a System V object's fresh look must find as it was inspected: its
/// key (an id reused by another object has another), and every pid, count
/// and time the stale rule or a new user would change.
fn sysv_state(o: &Object) -> impl PartialEq + '_ {
    (
        o.key,
        o.creator_pid,
        o.last_pid,
        o.attachments,
        o.last_send_pid,
        o.last_receive_pid,
        o.messages,
        &o.semaphore_pids,
        &o.times,
    )
}

/// What [`remove_stale`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Cleanup {
    /// Removed: stale by the rule.
    pub removed: Vec<Object>,
    /// Left alone: in use, not provably unused, or changed meanwhile.
    pub kept: Vec<Object>,
    /// Stale, but removing failed (typically `PermissionDenied`).
    pub failed: Vec<(Object, Error)>,
}

/// Removes every stale object whose name or key starts with `prefix` (see
/// [`Prefix`]: `/myapp-` for POSIX names, `0x1c5a` for System V keys), and
/// leaves the others alone.
///
/// ```no_run
/// let cleanup = ipc_inventory::remove_stale("/myapp-")?;
/// for object in &cleanup.removed {
///     eprintln!("removed {object}: {}", object.staleness.reason());
/// }
/// for object in &cleanup.kept {
///     eprintln!("kept {object}: {}", object.staleness);
/// }
/// # Ok::<(), ipc_common::Error>(())
/// ```
///
/// # Errors
///
/// `InvalidInput` for an empty or malformed prefix; the errors of [`list`].
/// Failures to remove single objects are in [`Cleanup::failed`].
pub fn remove_stale(prefix: &str) -> Result<Cleanup> {
    let prefix = Prefix::parse(prefix)?;
    let mut cleanup = Cleanup::default();
    for object in list()?.objects {
        if !object.matches(&prefix) {
            continue;
        }
        if !object.is_stale() {
            cleanup.kept.push(object);
            continue;
        }
        let outcome = remove_if_stale(&object);
        cleanup.record(object, outcome);
    }
    Ok(cleanup)
}

impl Cleanup {
    /// Files `object` by the outcome of [`remove_if_stale`]: removed; kept
    /// when busy (in use, or changed since it was inspected); left out when
    /// it is gone already; failed otherwise.
    fn record(&mut self, object: Object, outcome: Result<()>) {
        match outcome {
            Ok(()) => self.removed.push(object),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) if e.kind() == ErrorKind::Busy => self.kept.push(object),
            Err(e) => self.failed.push((object, e)),
        }
    }
}

/// What [`clear_stale`] found.
#[derive(Debug)]
pub enum Cleared {
    /// No such object: the name or key is free.
    Absent,
    /// A stale object was there (a crashed run's) and is now removed.
    Removed(Box<Object>),
}

/// Frees a POSIX name a crashed run may have left behind: removes the
/// object of `kind` named `name` if it is stale, so that a following
/// exclusive create succeeds. See the crate docs for the recipe.
///
/// # Errors
///
/// `Busy` when the object is (or may be) in use: another instance may be
/// running. `PermissionDenied` when it belongs to another user.
/// `InvalidInput` for a System V kind or a malformed name.
pub fn clear_stale(kind: Kind, name: impl AsRef<OsStr>) -> Result<Cleared> {
    let name = name.as_ref();
    if !kind.is_posix() {
        return Err(Error::invalid_input(
            "clear_stale",
            format!(
                "{} has a key, not a name: use clear_stale_key",
                kind.description()
            ),
        ));
    }
    posix_name("clear_stale", kind, name)?;
    clear(|o| o.kind == kind && o.name.as_deref() == Some(name))
}

/// Like [`clear_stale`] for a System V object of `kind` with `key`.
///
/// # Errors
///
/// As [`clear_stale`]; `InvalidInput` for a POSIX kind or `IPC_PRIVATE` (0),
/// which is never shared by key.
pub fn clear_stale_key(kind: Kind, key: i32) -> Result<Cleared> {
    if !kind.is_sysv() || key == libc::IPC_PRIVATE {
        return Err(Error::invalid_input(
            "clear_stale_key",
            format!(
                "clear_stale_key takes a System V kind and a key other than IPC_PRIVATE, not {} \
                 and {}",
                kind.description(),
                format_key(key)
            ),
        ));
    }
    clear(|o| o.kind == kind && o.key == Some(key))
}

fn clear(wanted: impl Fn(&Object) -> bool) -> Result<Cleared> {
    let Some(object) = list()?.objects.into_iter().find(wanted) else {
        return Ok(Cleared::Absent);
    };
    let outcome = remove_if_stale(&object);
    cleared(object, outcome)
}

/// What [`remove_if_stale`]'s `outcome` on `object` means to [`clear`]: an
/// object gone meanwhile leaves the name or key free too.
fn cleared(object: Object, outcome: Result<()>) -> Result<Cleared> {
    match outcome {
        Ok(()) => Ok(Cleared::Removed(Box::new(object))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Cleared::Absent),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ErrorKind) -> Result<()> {
        Err(Error::new(kind, "remove", "for the test"))
    }

    #[test]
    fn removal_outcomes_are_filed_by_kind() {
        let mut cleanup = Cleanup::default();
        let object = |id| {
            let mut o = Object::new(Kind::SysvSharedMemory);
            o.id = Some(id);
            o
        };
        cleanup.record(object(1), Ok(()));
        cleanup.record(object(2), error(ErrorKind::NotFound));
        cleanup.record(object(3), error(ErrorKind::Busy));
        cleanup.record(object(4), error(ErrorKind::PermissionDenied));
        let ids = |objects: &[Object]| objects.iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(ids(&cleanup.removed), [Some(1)]);
        assert_eq!(ids(&cleanup.kept), [Some(3)]);
        assert_eq!(cleanup.failed.len(), 1);
        assert_eq!(cleanup.failed[0].0.id, Some(4));
        assert_eq!(cleanup.failed[0].1.kind(), ErrorKind::PermissionDenied);

        let o = Object::new(Kind::PosixSemaphore);
        assert!(matches!(
            cleared(o.clone(), Ok(())),
            Ok(Cleared::Removed(_))
        ));
        assert!(matches!(
            cleared(o.clone(), error(ErrorKind::NotFound)),
            Ok(Cleared::Absent)
        ));
        let e = cleared(o, error(ErrorKind::Busy)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Busy);
    }
}
