//! [`Key`]: a System V IPC key, [`ftok`], and unique keys.

use std::ffi::CString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use ipc_common::{Error, ErrorKind, Result};
use posix_ipc_sys as sys;

/// A System V IPC key (`key_t`: a 32-bit signed integer on Linux and macOS,
/// a 64-bit `long` on FreeBSD).
///
/// On FreeBSD a key is 64 bits wide, and C's `(key_t) 0xDEADBEEF` and
/// `ftok` with a project id of 128 or more give positive keys above
/// `i32::MAX`: there [`Key::from_bits`] zero-extends (as that C cast does),
/// every `i64` is a key, and `i32::from(key)` does not exist (use
/// `i64::from(key)`, which works everywhere).
///
/// Processes that agree on a key meet on the same semaphore set, segment or
/// queue; C programs usually write keys in hex, which is how `ipcs` shows them
/// and how a `Key` displays. [`Key::PRIVATE`] (`IPC_PRIVATE`, 0) always makes a
/// new object that only its id can reach.
///
/// Conversions never truncate: a number outside `key_t` is an
/// [`InvalidInput`](ipc_common::ErrorKind::InvalidInput) error (sysv_ipc silently
/// keeps the low 32 bits, so `2**32 + 5` became key 5).
///
/// ```
/// use sysv_ipc::Key;
/// let k = Key::new(0x1C5A_0042);
/// assert_eq!(k.to_string(), "0x1c5a0042");
/// assert_eq!(Key::try_from(-5i64)?.as_raw(), -5);
/// assert!(Key::try_from(1i64 << 32).unwrap_err().is_invalid_input());
/// assert_eq!(Key::from_bits(0xDEAD_BEEF).as_raw(), 0xDEAD_BEEFu32 as i32);
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(sys::key_t);

impl Key {
    /// `IPC_PRIVATE`: always creates a new object, reachable only by its id.
    pub const PRIVATE: Key = Key(sys::IPC_PRIVATE);

    /// The key with this value.
    ///
    /// ```
    /// assert_eq!(sysv_ipc::Key::new(42).as_raw(), 42);
    /// ```
    #[allow(clippy::unnecessary_cast)] // widening where `key_t` is a `long`
    pub const fn new(key: i32) -> Key {
        Key(key as sys::key_t)
    }

    /// The key with this raw `key_t` value (`i32`, or `i64` on FreeBSD).
    ///
    /// ```
    /// assert_eq!(sysv_ipc::Key::from_raw(7).as_raw(), 7);
    /// ```
    pub const fn from_raw(key: sys::key_t) -> Key {
        Key(key)
    }

    /// The key whose 32 bits are `bits`, the way C code writes
    /// `(key_t) 0xDEADBEEF`: negative when the top bit is set where `key_t`
    /// is 32 bits (Linux, macOS), zero-extended on FreeBSD.
    ///
    /// ```
    /// # #[cfg(not(target_os = "freebsd"))]
    /// assert_eq!(sysv_ipc::Key::from_bits(0xFFFF_FFFF).as_raw(), -1);
    /// ```
    #[cfg(not(target_os = "freebsd"))]
    pub const fn from_bits(bits: u32) -> Key {
        Key(i32::from_ne_bytes(bits.to_ne_bytes()))
    }

    /// The key whose 32 bits are `bits`, the way C code writes
    /// `(key_t) 0xDEADBEEF`: zero-extended on FreeBSD, whose `key_t` is a
    /// `long` (negative where `key_t` is 32 bits).
    #[cfg(target_os = "freebsd")]
    pub const fn from_bits(bits: u32) -> Key {
        Key(bits as sys::key_t)
    }

    /// The raw `key_t`.
    ///
    /// ```
    /// assert_eq!(sysv_ipc::Key::PRIVATE.as_raw(), 0);
    /// ```
    pub const fn as_raw(self) -> sys::key_t {
        self.0
    }

    /// True for [`Key::PRIVATE`].
    ///
    /// ```
    /// assert!(sysv_ipc::Key::new(0).is_private());
    /// ```
    pub const fn is_private(self) -> bool {
        self.0 == sys::IPC_PRIVATE
    }
}

impl From<i32> for Key {
    fn from(k: i32) -> Key {
        Key::new(k)
    }
}

/// Where `key_t` is 32 bits (not FreeBSD).
#[cfg(not(target_os = "freebsd"))]
impl From<Key> for i32 {
    fn from(k: Key) -> i32 {
        k.0
    }
}

impl From<Key> for i64 {
    #[allow(clippy::useless_conversion)] // `key_t` is an `i64` on FreeBSD
    fn from(k: Key) -> i64 {
        i64::from(k.0)
    }
}

impl TryFrom<i64> for Key {
    type Error = Error;
    /// Fails with `InvalidInput` outside `key_t`: `i32::MIN..=i32::MAX`,
    /// except on FreeBSD, where every `i64` is a key.
    #[allow(clippy::useless_conversion)] // `key_t` is an `i64` on FreeBSD
    fn try_from(k: i64) -> Result<Key> {
        sys::key_t::try_from(k).map(Key).map_err(|_| {
            Error::invalid_input(
                "key",
                format!(
                    "key {k} does not fit key_t ({}..={}); keys are 32-bit",
                    i32::MIN,
                    i32::MAX
                ),
            )
        })
    }
}

impl TryFrom<u32> for Key {
    type Error = Error;
    /// Fails with `InvalidInput` above `i32::MAX` where `key_t` is 32 bits
    /// (never on FreeBSD); use [`Key::from_bits`] to reinterpret a hex
    /// constant on purpose.
    fn try_from(k: u32) -> Result<Key> {
        Key::try_from(i64::from(k))
    }
}

impl fmt::Display for Key {
    /// Hex, as `ipcs` shows keys: `0x0000002a`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:#010x})", self.0)
    }
}

/// Derives a key from an existing file and a project id, like C's `ftok(3)`.
///
/// Pitfalls (the reasons sysv_ipc warns against it):
///
/// - only the low 8 bits of the project id count, which is why `id` is a `u8`
///   here (sysv_ipc silently maps 0x1ff and 0xff to the same key); 0 is
///   rejected because POSIX leaves it unspecified;
/// - the key is built from the file's device and inode numbers
///   (`(id << 24) | (dev & 0xff) << 16 | (ino & 0xffff)` on Linux), so two
///   different files can give the same key, and deleting and re-creating the
///   file changes it;
/// - the file must exist and be reachable, or this is `NotFound`/`PermissionDenied`.
///
/// ```
/// let k = sysv_ipc::ftok("/tmp", 42)?;
/// assert_eq!(k, sysv_ipc::ftok("/tmp", 42)?);
/// assert_eq!((k.as_raw() >> 24) & 0xff, 42);
/// assert!(sysv_ipc::ftok("/no/such/path", 1).unwrap_err().is_existential());
/// assert!(sysv_ipc::ftok("/tmp", 0).unwrap_err().is_invalid_input());
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn ftok(path: impl AsRef<Path>, id: u8) -> Result<Key> {
    let path = path.as_ref();
    if id == 0 {
        return Err(Error::invalid_input(
            "ftok",
            "project id 0 gives an unspecified key; use 1..=255",
        ));
    }
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::invalid_input("ftok", format!("path {path:?} contains a NUL byte")))?;
    // SAFETY: `c` is a valid NUL-terminated path; ftok only reads it.
    let key = unsafe { sys::ftok(c.as_ptr(), libc::c_int::from(id)) };
    ipc_common::__private::check("ftok", key)
        .map(Key)
        .map_err(|e| {
            let msg = format!("cannot stat {path:?} to derive a key: {}", e.message());
            e.with_message(msg)
        })
}

/// A random key from the OS random source: never [`Key::PRIVATE`].
pub(crate) fn random_key(r: u64) -> Key {
    let bits = u32::try_from(r & 0xFFFF_FFFF).expect("masked to 32 bits");
    let k = Key::from_bits(bits);
    if k.is_private() { Key(1) } else { k }
}

/// Calls `create` with fresh random keys until it succeeds or fails with
/// anything but `AlreadyExists`. `create` must use `IPC_CREAT | IPC_EXCL`.
pub(crate) fn with_unique_key<T>(
    op: &'static str,
    mut create: impl FnMut(Key) -> Result<T>,
) -> Result<T> {
    ipc_common::__private::with_unique(op, |r| create(random_key(r)))
}

/// The error for a failed `*get` call (`semget`, `shmget`, `msgget`), with a
/// message that names the object and the key.
pub(crate) fn get_error(what: &str, key: Key, e: Error) -> Error {
    let msg = match e.kind() {
        ErrorKind::NotFound => {
            format!("no {what} with key {key} exists; create it (create(true)) or check the key")
        }
        ErrorKind::AlreadyExists => {
            format!("a {what} with key {key} already exists and exclusive creation was asked for")
        }
        ErrorKind::PermissionDenied => {
            format!("the {what} with key {key} exists but its mode does not allow this user access")
        }
        ErrorKind::LimitExceeded => format!(
            "creating a {what} would exceed a system limit ({})",
            e.message()
        ),
        _ => return crate::ipc::name_object(e, format_args!("the {what} with key {key}")),
    };
    e.with_message(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_never_truncate() {
        assert_eq!(
            Key::try_from(i64::from(i32::MAX)).unwrap().as_raw(),
            i32::MAX
        );
        assert_eq!(
            Key::try_from(i64::from(i32::MIN)).unwrap().as_raw(),
            i32::MIN
        );
        for bad in [
            i64::from(i32::MAX) + 1,
            i64::from(i32::MIN) - 1,
            1 << 32,
            (1 << 32) + 5,
            1 << 40,
        ] {
            let e = Key::try_from(bad).unwrap_err();
            assert!(e.is_invalid_input());
            assert!(e.message().contains(&bad.to_string()));
        }
        assert!(Key::try_from(u32::MAX).is_err());
        assert_eq!(Key::try_from(7u32).unwrap(), Key::new(7));
        assert_eq!(i32::from(Key::from(9)), 9);
    }

    #[test]
    fn raw_keys_round_trip_and_widen_without_loss() {
        assert_eq!(Key::from_raw(-7).as_raw(), -7);
        assert_eq!(Key::from_raw(sys::IPC_PRIVATE), Key::PRIVATE);
        // Where key_t is 32 bits a hex constant with the top bit set is a
        // negative key, and widening keeps it negative (as C's cast does).
        assert_eq!(i64::from(Key::from_bits(0xFFFF_FFFF)), -1);
        assert_eq!(i64::from(Key::new(i32::MIN)), i64::from(i32::MIN));
        assert_eq!(
            Key::try_from(i64::from(Key::new(0x1C5A))).unwrap(),
            Key::new(0x1C5A)
        );
    }

    #[test]
    fn display_is_hex() {
        assert_eq!(Key::new(42).to_string(), "0x0000002a");
        assert_eq!(format!("{:?}", Key::new(-1)), "Key(0xffffffff)");
    }

    #[test]
    fn ftok_matches_the_linux_formula() {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata("/tmp").unwrap();
        let expect =
            (200u32 << 24) | (((meta.dev() & 0xff) as u32) << 16) | ((meta.ino() & 0xffff) as u32);
        assert_eq!(ftok("/tmp", 200).unwrap(), Key::from_bits(expect));
        assert!(ftok("/tmp", 200).unwrap().as_raw() < 0);
        let e = ftok("/tmp/a\0b", 1).unwrap_err();
        assert!(e.message().contains("NUL"));
        let e = ftok("/definitely/not/here", 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.message().contains("/definitely/not/here"));
    }

    #[test]
    fn random_keys_are_never_private() {
        assert_eq!(random_key(0), Key(1));
        assert_eq!(random_key(0x1_0000_0000), Key(1));
        assert_eq!(random_key(5), Key(5));
    }
}
