//! [`Mode`] (permission bits) and [`Permissions`] (owner, creator and mode).

use std::fmt;

use crate::{Error, Result};

/// Permission bits of an IPC object, like a file's (`0o600` = owner read/write).
///
/// Only the twelve permission bits (`0o7777`) are accepted when a mode is given
/// to a call; anything above is an error instead of being silently dropped. A
/// mode read back from the system may carry status bits above `0o777` (System V
/// shared memory reports `SHM_DEST` and `SHM_LOCKED` there); [`permissions`]
/// masks them off.
///
/// Displayed in octal, the way Python shows it:
///
/// ```
/// use ipc_common::Mode;
/// let m = Mode::new(0o640)?;
/// assert_eq!(m.to_string(), "0o640");
/// assert_eq!(format!("{m:o}"), "640");
/// assert_eq!(m.bits(), 0o640);
/// assert!(Mode::new(0o10000).is_err());
/// # Ok::<(), ipc_common::Error>(())
/// ```
///
/// [`permissions`]: Mode::permissions
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mode(u32);

impl Mode {
    /// Owner read/write (`0o600`): the default of every constructor in this family
    /// and of the Python packages.
    pub const OWNER_READ_WRITE: Mode = Mode(0o600);
    /// Read/write for owner, group and others (`0o666`).
    pub const ALL_READ_WRITE: Mode = Mode(0o666);
    /// The largest value a mode given to a call may have.
    pub const MAX_BITS: u32 = 0o7777;

    /// A mode from permission bits, rejecting anything above `0o7777`.
    ///
    /// ```
    /// let e = ipc_common::Mode::new(0o1_000_000).unwrap_err();
    /// assert!(e.is_invalid_input());
    /// assert!(e.to_string().contains("0o7777"));
    /// ```
    pub fn new(bits: u32) -> Result<Mode> {
        if bits > Mode::MAX_BITS {
            return Err(Error::invalid_input(
                "mode",
                format!(
                    "mode 0o{bits:o} has bits above 0o7777; give permission bits such as 0o600"
                ),
            ));
        }
        Ok(Mode(bits))
    }

    /// A mode as the system reported it, keeping every bit (including status
    /// bits such as System V's `SHM_DEST`).
    ///
    /// ```
    /// let m = ipc_common::Mode::from_raw(0o1600);
    /// assert_eq!(m.bits(), 0o1600);
    /// assert_eq!(m.permissions().bits(), 0o600);
    /// ```
    pub const fn from_raw(bits: u32) -> Mode {
        Mode(bits)
    }

    /// All the bits.
    ///
    /// ```
    /// assert_eq!(ipc_common::Mode::OWNER_READ_WRITE.bits(), 0o600);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Only the nine `rwxrwxrwx` permission bits.
    ///
    /// ```
    /// assert_eq!(ipc_common::Mode::from_raw(0o3644).permissions().bits(), 0o644);
    /// ```
    pub const fn permissions(self) -> Mode {
        Mode(self.0 & 0o777)
    }

    /// True when every bit of `other` is set in `self`.
    ///
    /// ```
    /// use ipc_common::Mode;
    /// assert!(Mode::from_raw(0o640).contains(Mode::from_raw(0o600)));
    /// assert!(!Mode::from_raw(0o640).contains(Mode::from_raw(0o002)));
    /// ```
    pub const fn contains(self, other: Mode) -> bool {
        self.0 & other.0 == other.0
    }
}

mod sealed {
    /// Keeps [`IntoMode`](super::IntoMode) implemented here only.
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for super::Mode {}
}

/// What a `mode(..)` or `set_mode(..)` accepts: permission bits as a `u32`
/// (`0o600`) or a [`Mode`]. The bits are checked by the call that uses them
/// (only `rwxrwxrwx` bits are accepted for IPC objects). Sealed.
///
/// ```
/// use ipc_common::{IntoMode, Mode};
/// fn bits(m: impl IntoMode) -> u32 { m.into_mode_bits() }
/// assert_eq!(bits(0o640), 0o640);
/// assert_eq!(bits(Mode::OWNER_READ_WRITE), 0o600);
/// ```
pub trait IntoMode: sealed::Sealed {
    /// The permission bits.
    fn into_mode_bits(self) -> u32;
}

impl IntoMode for u32 {
    fn into_mode_bits(self) -> u32 {
        self
    }
}

impl IntoMode for Mode {
    fn into_mode_bits(self) -> u32 {
        self.0
    }
}

impl Default for Mode {
    /// `0o600`.
    fn default() -> Self {
        Mode::OWNER_READ_WRITE
    }
}

impl TryFrom<u32> for Mode {
    type Error = Error;
    /// Same as [`Mode::new`].
    fn try_from(bits: u32) -> Result<Mode> {
        Mode::new(bits)
    }
}

impl From<Mode> for u32 {
    fn from(m: Mode) -> u32 {
        m.0
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0o{:o}", self.0)
    }
}

impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mode(0o{:o})", self.0)
    }
}

impl fmt::Octal for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Octal::fmt(&self.0, f)
    }
}

/// Ownership and permission bits of an IPC object.
///
/// For System V objects every field comes from one `IPC_STAT`; POSIX objects
/// have no separate creator, so `cuid`/`cgid` repeat the owner there.
///
/// ```
/// use ipc_common::{Mode, Permissions};
/// let p = Permissions { uid: 1000, gid: 1000, cuid: 0, cgid: 0, mode: Mode::from_raw(0o640) };
/// assert_eq!(p.mode.to_string(), "0o640");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions {
    /// Owner's user id.
    pub uid: libc::uid_t,
    /// Owner's group id.
    pub gid: libc::gid_t,
    /// Creator's user id.
    pub cuid: libc::uid_t,
    /// Creator's group id.
    pub cgid: libc::gid_t,
    /// Permission bits (and, for System V shared memory, status bits above `0o777`).
    pub mode: Mode,
}

/// Whether an open-or-create may adopt an existing object owned by `owner`
/// without the caller's explicit consent: only when it belongs to this
/// process's effective user or to root (who can read and change any object
/// anyway, so trusting it adds no exposure).
///
/// ```
/// // SAFETY: geteuid has no preconditions.
/// let me = unsafe { libc::geteuid() };
/// assert!(ipc_common::__private::is_trusted_owner(me));
/// assert!(ipc_common::__private::is_trusted_owner(0));
/// ```
pub fn is_trusted_owner(owner: libc::uid_t) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    owner == 0 || owner == unsafe { libc::geteuid() }
}

/// The one ownership check of every open-or-create in this family: `Ok` when
/// the existing object's `owner` is trusted ([`is_trusted_owner`]), otherwise an
/// [`ErrorKind::ForeignOwner`](crate::ErrorKind::ForeignOwner) error attributed
/// to `op` that names the object (`what`, e.g. `semaphore "/jobs"`), its owner
/// and the ways out.
///
/// ```
/// use ipc_common::ErrorKind;
/// use ipc_common::__private::check_owner;
/// // SAFETY: geteuid has no preconditions.
/// let me = unsafe { libc::geteuid() };
/// assert!(check_owner("sem_open", me, || "semaphore \"/x\"".into()).is_ok());
/// if me != 65534 {
///     let e = check_owner("sem_open", 65534, || "semaphore \"/x\"".into()).unwrap_err();
///     assert_eq!(e.kind(), ErrorKind::ForeignOwner);
///     assert!(e.message().contains("uid 65534"));
/// }
/// ```
pub fn check_owner(
    op: &'static str,
    owner: libc::uid_t,
    what: impl FnOnce() -> String,
) -> Result<()> {
    if is_trusted_owner(owner) {
        return Ok(());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    Err(Error::new(
        crate::ErrorKind::ForeignOwner,
        op,
        format!(
            "{} already exists and belongs to {}, not to this user ({}); another user may \
             have created it first to read or corrupt this program's data. Use create_new \
             or a unique name, remove the object if it is stale, or call \
             allow_foreign_owner(true) if you trust its owner",
            what(),
            describe_uid(owner),
            describe_uid(me),
        ),
    ))
}

/// `uid 1000 (alice)`, or `uid 1000` when the user database has no name for it.
fn describe_uid(uid: libc::uid_t) -> String {
    match user_name(uid) {
        Some(name) => format!("uid {uid} ({name})"),
        None => format!("uid {uid}"),
    }
}

/// The user name of `uid` from the user database, if it has one.
fn user_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    // SAFETY: an all-zero passwd (null pointers, zero ids) is a valid value to
    // be overwritten by getpwuid_r.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and buf's length is passed.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points to a NUL-terminated string inside buf,
    // which is still alive.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_check_trusts_self_and_root_only() {
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        assert!(check_owner("op", me, || unreachable!()).is_ok());
        assert!(check_owner("op", 0, || unreachable!()).is_ok());
        let stranger = if me == 4242 { 4243 } else { 4242 };
        let e = check_owner("shm_open", stranger, || "shared memory \"/x\"".into()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ForeignOwner);
        assert!(e.is_permissions());
        assert_eq!(e.operation(), "shm_open");
        assert!(e.message().contains("shared memory \"/x\""), "{e}");
        assert!(e.message().contains(&format!("uid {stranger}")), "{e}");
        assert!(e.message().contains("allow_foreign_owner(true)"), "{e}");
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn user_names_come_from_the_user_database() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(describe_uid(0), "uid 0 (root)");
        assert_eq!(describe_uid(3_999_999_999), "uid 3999999999");
    }

    #[test]
    fn mode_bounds() {
        assert_eq!(Mode::new(0).unwrap().bits(), 0);
        assert_eq!(Mode::new(0o7777).unwrap().bits(), 0o7777);
        let e = Mode::new(0o10000).unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.message().contains("0o10000"));
        assert!(Mode::try_from(u32::MAX).is_err());
        assert_eq!(u32::from(Mode::try_from(0o644).unwrap()), 0o644);
    }

    #[test]
    fn mode_formats_in_octal() {
        assert_eq!(Mode::from_raw(0).to_string(), "0o0");
        assert_eq!(format!("{:?}", Mode::default()), "Mode(0o600)");
        assert_eq!(format!("{:#o}", Mode::from_raw(0o755)), "0o755");
    }

    #[test]
    fn permission_bits_and_contains() {
        let m = Mode::from_raw(0o1777);
        assert_eq!(m.permissions(), Mode::from_raw(0o777));
        assert!(m.contains(Mode::from_raw(0o1000)));
        assert!(!Mode::from_raw(0o600).contains(Mode::from_raw(0o060)));
    }
}
