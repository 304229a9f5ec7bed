//! What the three System V primitives share: flag constants and parsing, and
//! one implementation of `IPC_STAT` / `IPC_SET` / `IPC_RMID` over the
//! [`Control`] trait, with the error messages that go with them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::{Error, ErrorKind, Mode, Permissions, Result};
use posix_ipc_sys as sys;

use crate::Key;

/// Create the object if no object has the key (`IPC_CREAT`).
pub const IPC_CREAT: i32 = sys::IPC_CREAT;
/// With [`IPC_CREAT`]: fail with `AlreadyExists` if an object has the key (`IPC_EXCL`).
pub const IPC_EXCL: i32 = sys::IPC_EXCL;
/// `IPC_CREAT | IPC_EXCL`: create a new object, never open an existing one.
pub const IPC_CREX: i32 = IPC_CREAT | IPC_EXCL;
/// `IPC_PRIVATE`: the key that always creates a new object reachable only by id.
pub const IPC_PRIVATE: Key = Key::PRIVATE;

/// What a `*get` call does about an existing or missing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Creation {
    /// `IPC_CREAT`.
    pub(crate) create: bool,
    /// `IPC_EXCL` (only with `create`).
    pub(crate) exclusive: bool,
}

impl Creation {
    /// The `IPC_CREAT`/`IPC_EXCL` bits.
    pub(crate) fn flags(self) -> libc::c_int {
        match (self.create, self.exclusive) {
            (true, true) => IPC_CREX,
            (true, false) => IPC_CREAT,
            (false, _) => 0,
        }
    }

    /// The creation part of the options core (`create_new` wins over
    /// `create`).
    pub(crate) fn of(options: &OpenOptions) -> Creation {
        let (create, exclusive) = options.creation();
        Creation { create, exclusive }
    }
}

/// What `flags()` accepts for a System V `what`: `IPC_CREAT`, `IPC_EXCL`
/// (with `IPC_CREAT`) and the kind's `extra` bits. Permission bits do not
/// belong in flags (sysv_ipc lets `mode=0o1600` turn on `IPC_CREAT` by
/// accident).
pub(crate) const fn flag_bits(extra: i32, what: &'static str) -> FlagBits {
    FlagBits {
        create: IPC_CREAT,
        exclusive: IPC_EXCL,
        extra,
        names: ["IPC_CREAT", "IPC_EXCL", "IPC_CREX"],
        what,
        hint: " (give permission bits with mode(), not in flags)",
    }
}

/// `IPC_CREAT` without `IPC_EXCL`: the one open-or-create of every System V
/// kind. It is done so that the caller knows whether it created the object
/// (and so whether to initialise it): `create` (a `*get` with `IPC_CREX`)
/// first, `open` (a `*get` without `IPC_CREAT`) on `AlreadyExists`, and again
/// if the object vanished in between. Returns the id and whether `create` made
/// it.
///
/// An object this call did not create is adopted only when its owner and its
/// creator are trusted ([`check_owners`]), unless `allow_foreign_owner`: under
/// a key another user can guess, that user may have created the object first
/// to read or corrupt this program's data ("squatting"). A refused object is
/// left exactly as it was.
pub(crate) fn create_or_open<C: Control>(
    what: &str,
    key: Key,
    allow_foreign_owner: bool,
    create: impl FnMut() -> Result<i32>,
    open: impl FnMut() -> Result<i32>,
) -> Result<(i32, bool)> {
    create_or_open_with(what, key, create, open, |id| {
        if allow_foreign_owner {
            Ok(())
        } else {
            check_owners::<C>(what, key, id)
        }
    })
}

/// [`create_or_open`] with the check of an existing object as a parameter.
fn create_or_open_with(
    what: &str,
    key: Key,
    mut create: impl FnMut() -> Result<i32>,
    mut open: impl FnMut() -> Result<i32>,
    check_existing: impl FnOnce(i32) -> Result<()>,
) -> Result<(i32, bool)> {
    for _ in 0..ipc_common::__private::UNIQUE_ATTEMPTS {
        match create() {
            Ok(id) => return Ok((id, true)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        match open() {
            Ok(id) => {
                check_existing(id)?;
                return Ok((id, false));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(
        ErrorKind::Busy,
        "create_or_open",
        format!(
            "the {what} with key {key} was removed and re-created by other processes {} \
             times while this call tried to open it; try again",
            ipc_common::__private::UNIQUE_ATTEMPTS
        ),
    ))
}

/// Refuses the existing object `id` (found under `key`) unless both its owner
/// (`uid`) and its creator (`cuid`) are trusted ([`ipc_common::__private::check_owner`]:
/// this process's effective user or root). Both matter: the creator keeps the
/// right to change and remove the object, and may hand the ownership to anyone
/// with `IPC_SET`, so an object "given" to this user by another one is still
/// the other user's.
///
/// The owner is read with `IPC_STAT`, which needs read permission; an object
/// whose mode denies this user reading cannot be checked, and is refused too.
fn check_owners<C: Control>(what: &str, key: Key, id: i32) -> Result<()> {
    let ds = stat::<C>(id).map_err(|e| {
        if e.kind() == ErrorKind::PermissionDenied {
            let msg = format!(
                "the {what} with key {key} already exists, and its mode does not let this user \
                 read its attributes (IPC_STAT), so who owns it cannot be checked; ask its \
                 owner for read permission, or call allow_foreign_owner(true) if you trust \
                 whoever created it"
            );
            Error::new(ErrorKind::PermissionDenied, C::GET, msg)
        } else {
            e
        }
    })?;
    let p = C::perm(&ds);
    let (uid, cuid) = (p.uid, p.cuid);
    ipc_common::__private::check_owner(C::GET, uid, || format!("the {what} with key {key}"))?;
    ipc_common::__private::check_owner(C::GET, cuid, || {
        format!("the {what} with key {key} (created by another user, who handed it to uid {uid})")
    })
}

/// Prefixes the message of a system call's error with the object it concerns
/// (`the semaphore set with id 5: ...`), for errnos a call site has no
/// specific message for. Errors raised without a system call are kept as they
/// are.
pub(crate) fn name_object(e: Error, object: impl std::fmt::Display) -> Error {
    if e.raw_os_error().is_none() {
        return e;
    }
    let msg = format!("{object}: {}", e.message());
    e.with_message(msg)
}

/// Checks a mode given to a System V call for a `what`: only the nine
/// permission bits mean anything there, and higher bits would be read as
/// flags by the kernel.
pub(crate) fn check_mode(mode: u32, what: &str) -> Result<libc::c_int> {
    let mode = ipc_common::__private::options::check_mode(mode, what)?;
    Ok(libc::c_int::try_from(mode.bits()).expect("0o777 fits c_int"))
}

/// The mode of the options core, checked (after any stored `flags()`
/// error) for a `what`.
pub(crate) fn options_mode(options: &OpenOptions, what: &str) -> Result<libc::c_int> {
    options.check()?;
    check_mode(options.mode_bits(), what)
}

/// One System V object kind, for the shared control calls.
pub(crate) trait Control {
    /// The `*id_ds` structure of `IPC_STAT`/`IPC_SET`.
    type Ds: Copy;
    /// The kind's name in messages ("semaphore", "shared memory segment", ...).
    const WHAT: &'static str;
    /// The control call's name in errors ("semctl", "shmctl", "msgctl").
    const OP: &'static str;
    /// The `*get` call's name in errors ("semget", "shmget", "msgget").
    const GET: &'static str;
    /// Calls the kind's `*ctl` with `cmd` and `buf`.
    ///
    /// # Safety
    ///
    /// `buf` must be valid for reads and writes of one `Ds` (or null for `IPC_RMID`).
    unsafe fn ctl(id: i32, cmd: libc::c_int, buf: *mut Self::Ds) -> libc::c_int;
    /// The permissions inside `Ds`.
    fn perm(ds: &Self::Ds) -> &sys::ipc_perm;
    /// The permissions inside `Ds`, writable.
    fn perm_mut(ds: &mut Self::Ds) -> &mut sys::ipc_perm;
    /// Whether `ds` (an `IPC_STAT` of a handle's id) can be the object the
    /// handle opened under `key`: the key is the identity a System V object
    /// keeps for life. A private key tells nothing, so it always matches.
    fn same_key(ds: &Self::Ds, key: Key) -> bool {
        key.is_private() || key_of(Self::perm(ds)) == key
    }
}

/// The error for a handle whose id now names another object: its object was
/// removed, and the kernel gave the id to a new one. `found` says how the new
/// one differs.
pub(crate) fn reused<C: Control>(op: &'static str, id: i32, found: &str) -> Error {
    Error::new(
        ErrorKind::Removed,
        op,
        format!(
            "the {} with id {id} is not the one this handle opened ({found}): that one was \
             removed, and the id now belongs to another object; open it again by key",
            C::WHAT
        ),
    )
}

/// Fails with [`reused`] unless `ds`, from an `IPC_STAT` of `id`, can be the
/// object a handle opened under `key` ([`Control::same_key`]).
pub(crate) fn check_key<C: Control>(id: i32, key: Key, ds: &C::Ds) -> Result<()> {
    if C::same_key(ds, key) {
        return Ok(());
    }
    let found = format!("it has key {}, not {key}", key_of(C::perm(ds)));
    Err(reused::<C>(C::OP, id, &found))
}

/// `IPC_STAT` of the object a handle opened as `id` under `key`, failing with
/// `Removed` if the id now names another object ([`check_key`]).
pub(crate) fn stat_checked<C: Control>(id: i32, key: Key) -> Result<C::Ds> {
    let ds = stat::<C>(id)?;
    check_key::<C>(id, key, &ds)?;
    Ok(ds)
}

/// `IPC_RMID` of the object a handle opened as `id` under `key`, refusing
/// (with `Removed`) to remove another object that took over the id. The
/// check needs read permission (`IPC_STAT`); a user who may remove but not
/// read the object (its owner, with a mode without read) removes unchecked.
pub(crate) fn remove_checked<C: Control>(id: i32, key: Key) -> Result<()> {
    match stat::<C>(id) {
        Ok(ds) => check_key::<C>(id, key, &ds)?,
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
        Err(e) => return Err(e),
    }
    remove::<C>(id)
}

/// The error for a failed control call on object `id`, with a message saying
/// what it means for this kind.
pub(crate) fn ctl_error<C: Control>(id: i32, cmd: libc::c_int, e: Error) -> Error {
    let what = C::WHAT;
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::EIDRM) => {
            let msg = format!("no {what} with id {id} exists (it was removed, or the id is wrong)");
            e.with_kind(ErrorKind::Removed).with_message(msg)
        }
        Some(libc::EPERM) => {
            let action = if cmd == sys::IPC_RMID {
                "remove"
            } else {
                "change"
            };
            let msg = format!(
                "only the {what}'s owner, its creator or a privileged user may {action} it"
            );
            e.with_message(msg)
        }
        Some(libc::EACCES) => {
            let msg = format!("the {what}'s mode does not allow this user to read its attributes");
            e.with_message(msg)
        }
        _ => name_object(e, format_args!("the {what} with id {id}")),
    }
}

/// The error of a call that takes an id from the caller rather than from a
/// handle (`from_id`, `open_id`, the module `attach(id)` and `remove_*(id)`
/// functions): an id that names no object is
/// [`NotFound`](ErrorKind::NotFound), the kind a key that names none gives
/// (the caller cannot tell "never existed" from "removed" either), for all
/// three kinds alike. [`Removed`](ErrorKind::Removed) is for a handle whose
/// object went away while it held it.
pub(crate) fn by_id<C: Control>(id: i32, e: Error) -> Error {
    if e.kind() != ErrorKind::Removed {
        return e;
    }
    let msg = format!(
        "no {} with id {id} exists (it was never created, or was removed); ids come from \
         `id()` of a handle or from `ipcs`",
        C::WHAT
    );
    e.with_kind(ErrorKind::NotFound).with_message(msg)
}

/// `IPC_STAT` of the object with the caller's id `id`, for `from_id`: a
/// missing id is `NotFound` ([`by_id`]).
pub(crate) fn stat_by_id<C: Control>(id: i32) -> Result<C::Ds> {
    stat::<C>(id).map_err(|e| by_id::<C>(id, e))
}

/// `IPC_STAT`: every attribute of object `id`.
pub(crate) fn stat<C: Control>(id: i32) -> Result<C::Ds> {
    // SAFETY: every `*id_ds` is a C struct of integers (and, on FreeBSD, a
    // pointer the kernel ignores here), for which all-zero bytes are valid.
    let mut ds: C::Ds = unsafe { std::mem::zeroed() };
    // SAFETY: `ds` is a valid, writable Ds.
    let rc = unsafe { C::ctl(id, sys::IPC_STAT, &mut ds) };
    ipc_common::__private::check(C::OP, rc).map_err(|e| ctl_error::<C>(id, sys::IPC_STAT, e))?;
    Ok(ds)
}

/// `IPC_STAT` (checking that `id` still names the object opened under
/// `key`), let `change` edit the permissions, then `IPC_SET`.
pub(crate) fn set_perm<C: Control>(
    id: i32,
    key: Key,
    change: impl FnOnce(&mut sys::ipc_perm),
) -> Result<()> {
    let mut ds = stat_checked::<C>(id, key)?;
    change(C::perm_mut(&mut ds));
    // SAFETY: `ds` is a valid Ds filled by IPC_STAT.
    let rc = unsafe { C::ctl(id, sys::IPC_SET, &mut ds) };
    ipc_common::__private::check(C::OP, rc).map_err(|e| ctl_error::<C>(id, sys::IPC_SET, e))?;
    Ok(())
}

/// Sets the permission bits of object `id`, opened under `key` (only `0o777`
/// are accepted).
pub(crate) fn set_mode<C: Control>(id: i32, key: Key, mode: u32) -> Result<()> {
    let bits = check_mode(mode, C::WHAT)?;
    let bits = libc::mode_t::try_from(bits).expect("checked above");
    set_perm::<C>(id, key, |p| p.mode = (p.mode & !0o777) | bits)
}

/// Sets the owner's user id of object `id`, opened under `key`.
pub(crate) fn set_uid<C: Control>(id: i32, key: Key, uid: libc::uid_t) -> Result<()> {
    set_perm::<C>(id, key, |p| p.uid = uid)
}

/// Sets the owner's group id of object `id`, opened under `key`.
pub(crate) fn set_gid<C: Control>(id: i32, key: Key, gid: libc::gid_t) -> Result<()> {
    set_perm::<C>(id, key, |p| p.gid = gid)
}

/// `IPC_RMID`: removes object `id` from the system.
pub(crate) fn remove<C: Control>(id: i32) -> Result<()> {
    // SAFETY: IPC_RMID ignores the buffer; null is allowed.
    let rc = unsafe { C::ctl(id, sys::IPC_RMID, std::ptr::null_mut()) };
    ipc_common::__private::check(C::OP, rc).map_err(|e| ctl_error::<C>(id, sys::IPC_RMID, e))?;
    Ok(())
}

/// The ownership and permission fields of an `ipc_perm`.
pub(crate) fn permissions(p: &sys::ipc_perm) -> Permissions {
    Permissions {
        uid: p.uid,
        gid: p.gid,
        cuid: p.cuid,
        cgid: p.cgid,
        // `mode_t` is u16 on macOS and FreeBSD.
        #[allow(clippy::useless_conversion)]
        mode: Mode::from_raw(u32::from(p.mode)),
    }
}

/// A kernel timestamp (`*_otime`, `shm_atime`, `msg_stime`, ...): `None` for
/// 0, the kernel's "never".
/// Takes any `time_t` (32 or 64 bits).
pub(crate) fn time(secs: impl Into<i64>) -> Option<SystemTime> {
    u64::try_from(secs.into())
        .ok()
        .filter(|&s| s != 0)
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// A `*_ctime`, which the kernel sets at creation, so it is never 0.
pub(crate) fn change_time(secs: impl Into<i64>) -> SystemTime {
    time(secs).unwrap_or(UNIX_EPOCH)
}

/// A process id the kernel records (`sem` `GETPID`, `shm_lpid`, `msg_lspid`,
/// ...): `None` for 0, "no process yet".
pub(crate) fn pid(p: libc::pid_t) -> Option<libc::pid_t> {
    (p > 0).then_some(p)
}

/// The key stored in an `ipc_perm`.
#[cfg(target_os = "linux")]
pub(crate) fn key_of(p: &sys::ipc_perm) -> Key {
    Key::new(p.__key)
}

/// The key stored in an `ipc_perm`.
#[cfg(target_vendor = "apple")]
pub(crate) fn key_of(p: &sys::ipc_perm) -> Key {
    Key::new(p._key)
}

/// The key stored in an `ipc_perm` (a `long` on FreeBSD).
#[cfg(target_os = "freebsd")]
pub(crate) fn key_of(p: &sys::ipc_perm) -> Key {
    Key::from_raw(p.key)
}

/// Emits what every System V handle shares, written once: the inherent
/// accessors `key id created permissions mode set_mode uid set_uid gid set_gid
/// cuid cgid remove remove_on_drop` (docs with the kind's name spliced in), a
/// getter for each listed field of the kind's stat struct,
/// and the `Sealed` and `Remove` implementations behind [`RemoveOnDrop`].
///
/// `$ty` is the handle, `$ctl` its [`Control`], `$what` its name in docs
/// ("semaphore"), `$new` an expression making one for the examples;
/// `id`, `key` and `created` name the handle's fields; each `field: Type` of
/// `stat { .. }` becomes a getter of that field of the handle's `stat()`
/// (with the docs written before it); the doc comments before `fn remove` say
/// what removing this kind means. The handle must have a checked `stat()`
/// whose result has a `permissions` field.
///
/// [`RemoveOnDrop`]: crate::RemoveOnDrop
macro_rules! sysv_object {
    (
        $ty:ident, $ctl:ty, $what:literal, new = $new:literal,
        id = $($id:ident).+, key = $($key:ident).+, created = $($created:ident).+;
        stat { $( $(#[$field_doc:meta])* $field:ident: $field_ty:ty ),* $(,)? }
        $(#[$remove_doc:meta])*
        fn remove;
    ) => {
        impl $ty {
            $(
                $(#[$field_doc])*
                pub fn $field(&self) -> $crate::Result<$field_ty> {
                    Ok(self.stat()?.$field)
                }
            )*

            #[doc = concat!(
                "The key this handle was opened with ([`Key::PRIVATE`](crate::Key::PRIVATE) ",
                "for a private ", $what, "). The handle keeps it: after the ", $what,
                " is removed the kernel may report another key (Linux reports 0 for a ",
                "removed segment that is still attached), this stays the original."
            )]
            pub fn key(&self) -> $crate::Key {
                self.$($key).+
            }

            #[doc = concat!(
                "The kernel's id of the ", $what, " (what `ipcs` shows). Do not assume it ",
                "is non-negative: macOS hands out negative ids."
            )]
            pub fn id(&self) -> i32 {
                self.$($id).+
            }

            #[doc = concat!(
                "True when the call that opened this handle created the ", $what,
                " (and so applied its initial values, size or fill); false when it opened ",
                "an existing one, and for `from_id`."
            )]
            pub fn created(&self) -> bool {
                self.$($created).+
            }

            #[doc = concat!("Owner, creator and mode of the ", $what, ", from one `IPC_STAT`.")]
            pub fn permissions(&self) -> $crate::Result<$crate::Permissions> {
                Ok(self.stat()?.permissions)
            }

            /// The mode as the kernel reports it: the `0o777` permission bits,
            /// plus, for a shared memory segment on Linux, the status bits
            /// `SHM_DEST` (`0o1000`, removed but still attached) and
            /// `SHM_LOCKED` (`0o2000`). [`Mode::permissions`](crate::Mode::permissions)
            /// masks them off.
            pub fn mode(&self) -> $crate::Result<$crate::Mode> {
                Ok(self.stat()?.permissions.mode)
            }

            #[doc = concat!(
                "Replaces the permission bits of the ", $what, " (`IPC_SET`): bits ",
                "can be taken away as well as given. Only the nine `0o777` bits are ",
                "accepted ([`InvalidInput`](crate::ErrorKind::InvalidInput) otherwise, ",
                "before any call), and only the owner, the creator or a privileged user ",
                "may change them ([`PermissionDenied`](crate::ErrorKind::PermissionDenied)).\n\n",
                "```\n",
                "let x = ", $new, "?.remove_on_drop();\n",
                "x.set_mode(0o640)?;\n",
                "assert_eq!(x.mode()?.bits(), 0o640);\n",
                "assert!(x.set_mode(0o1640).unwrap_err().is_invalid_input());\n",
                "# Ok::<(), sysv_ipc::Error>(())\n",
                "```"
            )]
            pub fn set_mode(&self, mode: impl $crate::IntoMode) -> $crate::Result<()> {
                $crate::ipc::set_mode::<$ctl>(self.$($id).+, self.$($key).+, mode.into_mode_bits())
            }

            /// The owner's user id.
            pub fn uid(&self) -> $crate::Result<libc::uid_t> {
                Ok(self.stat()?.permissions.uid)
            }

            #[doc = concat!(
                "Gives the ", $what, " to another owner (`IPC_SET`; owner, creator or ",
                "privileged user only)."
            )]
            pub fn set_uid(&self, uid: libc::uid_t) -> $crate::Result<()> {
                $crate::ipc::set_uid::<$ctl>(self.$($id).+, self.$($key).+, uid)
            }

            /// The owner's group id.
            pub fn gid(&self) -> $crate::Result<libc::gid_t> {
                Ok(self.stat()?.permissions.gid)
            }

            /// Changes the owner's group id (`IPC_SET`; owner, creator or
            /// privileged user only).
            pub fn set_gid(&self, gid: libc::gid_t) -> $crate::Result<()> {
                $crate::ipc::set_gid::<$ctl>(self.$($id).+, self.$($key).+, gid)
            }

            /// The creator's user id (it never changes).
            pub fn cuid(&self) -> $crate::Result<libc::uid_t> {
                Ok(self.stat()?.permissions.cuid)
            }

            /// The creator's group id (it never changes).
            pub fn cgid(&self) -> $crate::Result<libc::gid_t> {
                Ok(self.stat()?.permissions.cgid)
            }

            $(#[$remove_doc])*
            pub fn remove(&self) -> $crate::Result<()> {
                $crate::ipc::remove_checked::<$ctl>(self.$($id).+, self.$($key).+)
            }

            #[doc = concat!(
                "Wraps the handle in a [`RemoveOnDrop`](crate::RemoveOnDrop) guard that ",
                "removes the ", $what, " when it drops (ignoring errors, e.g. \"already ",
                "removed\"). The guard derefs to the handle; ",
                "[`RemoveOnDrop::into_inner`](crate::RemoveOnDrop::into_inner) disarms it.\n\n",
                "```\n",
                "let x = ", $new, "?.remove_on_drop();\n",
                "let id = x.id();\n",
                "drop(x);\n",
                "assert!(sysv_ipc::", stringify!($ty), "::from_id(id).is_err());\n",
                "# Ok::<(), sysv_ipc::Error>(())\n",
                "```"
            )]
            #[must_use = "the guard removes when it drops: dropped at once, it removes at once"]
            pub fn remove_on_drop(self) -> $crate::RemoveOnDrop<$ty> {
                $crate::RemoveOnDrop::new(self)
            }
        }

        impl $crate::guard::Sealed for $ty {}

        impl $crate::Remove for $ty {
            fn remove(&self) -> $crate::Result<()> {
                $ty::remove(self)
            }
        }
    };
}

pub(crate) use sysv_object;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_values() {
        assert_eq!((IPC_CREAT, IPC_EXCL, IPC_CREX), (512, 1024, 1536));
        assert_eq!(IPC_PRIVATE.as_raw(), 0);
    }

    #[test]
    fn flags_fill_the_options_core() {
        let bits = flag_bits(sys::SHM_HUGETLB, "segment");
        let mut o = OpenOptions::new();
        assert_eq!(o.flags(IPC_EXCL, &bits), None);
        assert!(o.check().unwrap_err().message().contains("IPC_CREAT"));
        assert_eq!(o.flags(0o600, &bits), None);
        let e = o.check().unwrap_err();
        assert!(e.message().contains("mode()"), "{e}");
        let extra = o.flags(IPC_CREX | sys::SHM_HUGETLB, &bits);
        assert_eq!(extra, Some(sys::SHM_HUGETLB));
        assert_eq!(Creation::of(&o).flags(), IPC_CREX);
        assert_eq!(o.flags(0, &bits), Some(0));
        assert_eq!(Creation::of(&o).flags(), 0);
    }

    #[test]
    fn zero_times_and_pids_mean_never() {
        assert_eq!(time(0), None);
        assert_eq!(time(-5), None);
        assert_eq!(time(7), Some(UNIX_EPOCH + Duration::from_secs(7)));
        assert_eq!(change_time(0), UNIX_EPOCH);
        assert_eq!((pid(0), pid(42)), (None, Some(42)));
    }

    #[test]
    fn create_or_open_reports_who_created_and_gives_up_on_churn() {
        let key = Key::new(5);
        let never = |_| unreachable!("only existing objects are checked");
        let created = create_or_open_with("x", key, || Ok(3), || unreachable!(), never);
        assert_eq!(created.unwrap(), (3, true));
        let exists = || Err(Error::from_errno("semget", libc::EEXIST));
        let mut checked = None;
        let opened = create_or_open_with(
            "x",
            key,
            exists,
            || Ok(4),
            |id| {
                checked = Some(id);
                Ok(())
            },
        );
        assert_eq!((opened.unwrap(), checked), ((4, false), Some(4)));
        let refused = create_or_open_with(
            "x",
            key,
            exists,
            || Ok(4),
            |_| Err(Error::new(ErrorKind::ForeignOwner, "semget", "not yours")),
        );
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::ForeignOwner);
        let gone = || Err(Error::from_errno("semget", libc::ENOENT));
        let e = create_or_open_with("x", key, exists, gone, never).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Busy);
        assert!(e.message().contains("re-created"), "{e}");
        let denied = || Err(Error::from_errno("semget", libc::EACCES));
        let e = create_or_open_with("x", key, exists, denied, never).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    }

    #[test]
    fn errors_without_a_specific_message_name_the_object() {
        struct Sem;
        impl Control for Sem {
            type Ds = sys::semid_ds;
            const WHAT: &'static str = "semaphore set";
            const OP: &'static str = "semctl";
            const GET: &'static str = "semget";
            unsafe fn ctl(_: i32, _: libc::c_int, _: *mut sys::semid_ds) -> libc::c_int {
                unreachable!()
            }
            fn perm(ds: &sys::semid_ds) -> &sys::ipc_perm {
                &ds.sem_perm
            }
            fn perm_mut(ds: &mut sys::semid_ds) -> &mut sys::ipc_perm {
                &mut ds.sem_perm
            }
        }
        let e = ctl_error::<Sem>(
            5,
            sys::IPC_STAT,
            Error::from_errno("semctl", libc::EHOSTDOWN),
        );
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(
            e.message().starts_with("the semaphore set with id 5: "),
            "{e}"
        );
        let system = std::io::Error::from_raw_os_error(libc::EHOSTDOWN).to_string();
        assert!(
            e.to_string().contains(system.split(" (os").next().unwrap()),
            "{e}"
        );
        let e = crate::key::get_error(
            "semaphore",
            Key::new(0x1c5a_0001),
            Error::from_errno("semget", libc::ELOOP),
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("key 0x1c5a0001"), "{e}");
        assert!(e.to_string().contains("ELOOP"), "{e}");
        // Errors made without a system call keep their message.
        let e = name_object(Error::invalid_input("x", "bad"), "the queue");
        assert_eq!(e.message(), "bad");
    }

    #[test]
    fn modes_above_0o777_are_refused() {
        assert_eq!(check_mode(0o640, "queue").unwrap(), 0o640);
        let e = check_mode(0o1600, "queue").unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.message().contains("0o1600"));
    }
}
