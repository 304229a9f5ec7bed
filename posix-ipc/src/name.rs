//! [`Name`]: a validated POSIX IPC object name, and unique-name creation.

use std::borrow::Cow;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use ipc_common::{Error, Result};

/// The longest name after the leading `/` that shared memory and message
/// queues accept: 255 (`NAME_MAX`) on Linux and FreeBSD, 29 on macOS.
///
/// macOS's kernel refuses a shared memory or semaphore name whose length,
/// counted with the `/` and the terminating NUL as it copies the string in,
/// is above `PSHMNAMLEN`/`PSEMNAMLEN` (31): so `/` and at most 29 bytes.
/// Longer names are refused here, before any call, with a message that says
/// so (posix_ipc leaves it to the kernel's bare `ENAMETOOLONG`).
#[cfg(not(target_vendor = "apple"))]
pub const NAME_MAX: usize = 255;

/// The longest name after the leading `/` that shared memory and message
/// queues accept: 255 (`NAME_MAX`) on Linux and FreeBSD, 29 on macOS.
///
/// macOS's kernel refuses a shared memory or semaphore name whose length,
/// counted with the `/` and the terminating NUL as it copies the string in,
/// is above `PSHMNAMLEN`/`PSEMNAMLEN` (31): so `/` and at most 29 bytes.
/// Longer names are refused here, before any call, with a message that says
/// so (posix_ipc leaves it to the kernel's bare `ENAMETOOLONG`).
#[cfg(target_vendor = "apple")]
pub const NAME_MAX: usize = 31 - 2;

/// The longest semaphore name after the leading `/`: on Linux glibc stores
/// a semaphore as `/dev/shm/sem.<name>`, so four bytes of `NAME_MAX` are
/// taken (251); elsewhere it is [`NAME_MAX`] (29 on macOS, whose limit
/// `PSEMNAMLEN` equals `PSHMNAMLEN`).
#[cfg(target_os = "linux")]
pub const SEMAPHORE_NAME_MAX: usize = NAME_MAX - 4;

/// The longest semaphore name after the leading `/`: on Linux glibc stores
/// a semaphore as `/dev/shm/sem.<name>`, so four bytes of `NAME_MAX` are
/// taken (251); elsewhere it is [`NAME_MAX`] (29 on macOS, whose limit
/// `PSEMNAMLEN` equals `PSHMNAMLEN`).
#[cfg(not(target_os = "linux"))]
pub const SEMAPHORE_NAME_MAX: usize = NAME_MAX;

/// The length (including the `/`) of names made by the unique-name
/// constructors: short enough for macOS's limit (see [`NAME_MAX`]).
pub const UNIQUE_NAME_LEN: usize = 22;

/// A POSIX IPC object name: `/` followed by 1 to [`NAME_MAX`] bytes, none of
/// them `/` or NUL, and not `/.` or `/..` (on Linux every name is a file in
/// `/dev/shm` or the mqueue file system, where those two are the directory
/// itself and its parent).
///
/// Every constructor in this crate validates its name through this type before
/// any system call, so a bad name is an [`InvalidInput`](ipc_common::ErrorKind::InvalidInput)
/// error that says which rule it broke (posix_ipc passes names to the OS
/// unchecked, and crashes on an embedded NUL). Accepts `&str`, `String`,
/// `&CStr`, `CString`, `&OsStr`, `OsString`, `&Path`, `PathBuf` and `&Name`
/// (a `Path` is taken byte for byte, so it must be `/name` too, not the
/// object's file in `/dev/shm`).
///
/// On Linux with glibc the file of the named semaphore `/x` is
/// `/dev/shm/sem.x`, which is also the file of the shared memory object
/// `/sem.x`: see [`SharedMemory`](crate::SharedMemory#names-starting-with-sem)
/// for how such names are handled.
///
/// ```
/// use posix_ipc::Name;
/// let n = Name::new("/jobs")?;
/// assert_eq!(n.as_bytes(), b"/jobs");
/// assert_eq!(n.to_string(), "/jobs");
/// let e = Name::new("jobs").unwrap_err();
/// assert_eq!(e.to_string(), "name: \"jobs\" must start with '/' (for example \"/jobs\")");
/// assert!(Name::new("/a/b").unwrap_err().to_string().contains("'/'"));
/// assert!(Name::new("/a\0b").unwrap_err().to_string().contains("NUL"));
/// assert!(Name::new("/").unwrap_err().to_string().contains("empty"));
/// assert!(Name::new("/..").unwrap_err().is_invalid_input());
/// assert!(Name::new("/...").is_ok());
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(CString);

impl Name {
    /// Validates `name` (see the type docs for the rules).
    ///
    /// ```
    /// let n = posix_ipc::Name::new(c"/from-cstr")?;
    /// assert_eq!(n.as_c_str(), c"/from-cstr");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn new(name: impl IntoName) -> Result<Name> {
        name.into_name()
    }

    fn from_bytes(bytes: Cow<'_, [u8]>) -> Result<Name> {
        let bad = |why: String| Err(Error::invalid_input("name", why));
        // Only error messages show the name: escape it only for them.
        let shown = || String::from_utf8_lossy(&bytes).escape_debug().to_string();
        let Some(rest) = bytes.strip_prefix(b"/") else {
            let shown = shown();
            return bad(format!(
                "\"{shown}\" must start with '/' (for example \"/{shown}\")"
            ));
        };
        if rest.is_empty() {
            return bad(format!(
                "\"/\" is empty after the leading '/'; add 1 to {NAME_MAX} bytes"
            ));
        }
        if let Some(i) = rest.iter().position(|&b| b == 0) {
            return bad(format!(
                "\"{}\" contains a NUL byte at index {}; names are C strings",
                shown(),
                i + 1
            ));
        }
        if rest.contains(&b'/') {
            return bad(format!(
                "\"{}\" contains '/' after the first byte; only the leading '/' is allowed",
                shown()
            ));
        }
        if rest == b"." || rest == b".." {
            return bad(format!(
                "\"{}\" is the directory entry \"{}\" of the file system that holds \
                 the objects, not an object name; choose another name",
                shown(),
                String::from_utf8_lossy(rest)
            ));
        }
        if rest.len() > NAME_MAX {
            return bad(format!(
                "the name is {} bytes after the leading '/'; the limit is {NAME_MAX}{}",
                rest.len(),
                if cfg!(target_vendor = "apple") {
                    " on macOS (PSHMNAMLEN and PSEMNAMLEN, 31 bytes with the '/' and the NUL)"
                } else {
                    ""
                }
            ));
        }
        // Room for the NUL, so that CString::new does not reallocate.
        let mut owned = Vec::with_capacity(bytes.len() + 1);
        owned.extend_from_slice(&bytes);
        let c = CString::new(owned).map_err(|_| {
            Error::invalid_input("name", "the name contains a NUL byte; names are C strings")
        })?;
        Ok(Name(c))
    }

    /// A name `prefix` + 16 random hex digits from the OS random source (the
    /// unique-name constructors use it with `prefix` = `/pipc_`).
    pub(crate) fn random(prefix: &str, random: u64) -> Name {
        let text = format!("{prefix}{random:016x}");
        debug_assert!(text.len() <= UNIQUE_NAME_LEN);
        Name(CString::new(text).expect("hex digits contain no NUL"))
    }

    /// Fails with `InvalidInput` when the part after `/` is longer than `max`
    /// bytes (semaphores allow fewer than [`NAME_MAX`]).
    pub(crate) fn check_len(&self, max: usize, what: &str) -> Result<()> {
        let len = self.as_bytes().len() - 1;
        if len > max {
            return Err(Error::invalid_input(
                "name",
                format!(
                    "{what} name is {len} bytes after the leading '/'; the limit for a {what} is {max}"
                ),
            ));
        }
        Ok(())
    }

    /// The name as a C string, for FFI.
    ///
    /// ```
    /// let n = posix_ipc::Name::new("/x")?;
    /// assert_eq!(n.as_c_str().to_bytes_with_nul(), b"/x\0");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn as_c_str(&self) -> &CStr {
        &self.0
    }

    /// The name's bytes, including the leading `/`.
    ///
    /// ```
    /// assert_eq!(posix_ipc::Name::new("/x")?.as_bytes(), b"/x");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The name as `&str`, when it is UTF-8.
    ///
    /// ```
    /// assert_eq!(posix_ipc::Name::new("/é")?.to_str(), Some("/é"));
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn to_str(&self) -> Option<&str> {
        self.0.to_str().ok()
    }

    /// The name as an `OsStr`.
    ///
    /// ```
    /// assert_eq!(posix_ipc::Name::new("/x")?.as_os_str(), "/x");
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(self.as_bytes())
    }
}

impl fmt::Display for Name {
    /// The name, with any non-UTF-8 bytes replaced.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"{}\"",
            String::from_utf8_lossy(self.as_bytes()).escape_debug()
        )
    }
}

impl AsRef<CStr> for Name {
    fn as_ref(&self) -> &CStr {
        &self.0
    }
}

impl TryFrom<&str> for Name {
    type Error = Error;
    fn try_from(s: &str) -> Result<Name> {
        Name::new(s)
    }
}

impl std::str::FromStr for Name {
    type Err = Error;
    fn from_str(s: &str) -> Result<Name> {
        Name::new(s)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Things that can be turned into a validated [`Name`]: `&str`, `String`,
/// `&String`, `&CStr`, `CString`, `&OsStr`, `OsString`, `&Path`, `PathBuf`,
/// `&Name` and `Name`.
///
/// ```
/// use std::ffi::OsStr;
/// use posix_ipc::{IntoName, Name};
/// assert_eq!(OsStr::new("/os").into_name()?, Name::new("/os")?);
/// assert_eq!(String::from("/s").into_name()?, Name::new(c"/s")?);
/// assert_eq!(std::path::Path::new("/p").into_name()?, Name::new("/p")?);
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub trait IntoName: sealed::Sealed {
    /// Validates and converts.
    fn into_name(self) -> Result<Name>;
}

macro_rules! into_name_by_bytes {
    ($($t:ty => |$v:ident| $bytes:expr),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl IntoName for $t {
            fn into_name(self) -> Result<Name> {
                let $v = self;
                Name::from_bytes($bytes)
            }
        }
    )*};
}

into_name_by_bytes! {
    &str => |s| Cow::Borrowed(s.as_bytes()),
    String => |s| Cow::Owned(s.into_bytes()),
    &String => |s| Cow::Borrowed(s.as_bytes()),
    &CStr => |s| Cow::Borrowed(s.to_bytes()),
    CString => |s| Cow::Owned(s.into_bytes()),
    &OsStr => |s| Cow::Borrowed(s.as_bytes()),
    OsString => |s| Cow::Owned(s.into_vec()),
    &OsString => |s| Cow::Borrowed(s.as_bytes()),
    &Path => |s| Cow::Borrowed(s.as_os_str().as_bytes()),
    PathBuf => |s| Cow::Owned(s.into_os_string().into_vec()),
    &PathBuf => |s| Cow::Borrowed(s.as_os_str().as_bytes()),
}

impl sealed::Sealed for Name {}
impl IntoName for Name {
    fn into_name(self) -> Result<Name> {
        Ok(self)
    }
}

impl sealed::Sealed for &Name {}
impl IntoName for &Name {
    fn into_name(self) -> Result<Name> {
        Ok(self.clone())
    }
}

/// The name of the object an adopted descriptor refers to, read from
/// `/proc/self/fd/<fd>` (Linux): the link names the object's file, which is
/// `<dir>/<name>` while the object has a name, with `" (deleted)"` appended
/// once it is unlinked (and for a `memfd`). `dir` is `"/dev/shm/"` for
/// shared memory and `"/"` for message queues (paths inside the mqueue file
/// system). `None` when the object has no name there, or `/proc` is not
/// mounted.
#[cfg(target_os = "linux")]
pub(crate) fn name_of_fd(fd: std::os::fd::RawFd, dir: &str) -> Option<Name> {
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let bytes = target.as_os_str().as_bytes();
    if bytes.ends_with(b" (deleted)") {
        return None;
    }
    let rest = bytes.strip_prefix(dir.as_bytes())?;
    let mut name = Vec::with_capacity(rest.len() + 1);
    name.push(b'/');
    name.extend_from_slice(rest);
    Name::from_bytes(Cow::Owned(name)).ok()
}

/// Elsewhere a descriptor does not tell its object's name.
#[cfg(not(target_os = "linux"))]
pub(crate) fn name_of_fd(_fd: std::os::fd::RawFd, _dir: &str) -> Option<Name> {
    None
}

/// The prefix of names made by the unique-name constructors.
pub(crate) const UNIQUE_PREFIX: &str = "/pipc_";

/// Calls `create` with fresh random names (`/pipc_` + 16 hex digits, from the
/// OS random source) until it succeeds or fails with anything but
/// `AlreadyExists`. `create` must create exclusively (`O_CREAT | O_EXCL`).
pub(crate) fn with_unique_name<T>(
    op: &'static str,
    mut create: impl FnMut(Name) -> Result<T>,
) -> Result<T> {
    ipc_common::__private::with_unique(op, |r| create(Name::random(UNIQUE_PREFIX, r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_message() {
        let cases: [(&[u8], &str); 8] = [
            (b"", "must start with '/'"),
            (b"abc", "must start with '/'"),
            (b"/", "empty"),
            (b"/.", "directory entry \".\""),
            (b"/..", "directory entry \"..\""),
            (b"/a/b", "contains '/'"),
            (b"/a\0b", "NUL byte at index 2"),
            (b"//", "contains '/'"),
        ];
        for (bytes, why) in cases {
            let e = Name::new(OsStr::from_bytes(bytes)).unwrap_err();
            assert!(e.is_invalid_input());
            assert!(e.message().contains(why), "{bytes:?}: {e}");
        }
    }

    #[test]
    fn length_limits() {
        let ok = format!("/{}", "a".repeat(NAME_MAX));
        assert!(Name::new(ok.as_str()).is_ok());
        let long = format!("/{}", "a".repeat(NAME_MAX + 1));
        assert!(
            Name::new(long.as_str())
                .unwrap_err()
                .message()
                .contains("limit is 255")
        );
        let sem_ok = Name::new(format!("/{}", "s".repeat(SEMAPHORE_NAME_MAX))).unwrap();
        assert!(sem_ok.check_len(SEMAPHORE_NAME_MAX, "semaphore").is_ok());
        let sem_long = Name::new(format!("/{}", "s".repeat(SEMAPHORE_NAME_MAX + 1))).unwrap();
        let e = sem_long
            .check_len(SEMAPHORE_NAME_MAX, "semaphore")
            .unwrap_err();
        assert!(e.message().contains("limit for a semaphore is 251"), "{e}");
    }

    #[test]
    fn non_utf8_names_are_kept_byte_for_byte() {
        let n = Name::new(OsStr::from_bytes(b"/\xff\xfe")).unwrap();
        assert_eq!(n.as_bytes(), b"/\xff\xfe");
        assert_eq!(n.to_str(), None);
        assert_eq!(n.to_string(), "/\u{fffd}\u{fffd}");
    }

    #[test]
    fn random_names_are_short_and_valid() {
        let n = Name::random(UNIQUE_PREFIX, u64::MAX);
        assert_eq!(n.as_bytes().len(), UNIQUE_NAME_LEN);
        assert!(n.as_bytes().len() <= 31);
        assert_eq!(Name::new(n.as_c_str()).unwrap(), n);
    }

    #[test]
    fn unique_retries_on_already_exists() {
        let mut seen = Vec::new();
        let got = with_unique_name("t", |n| {
            seen.push(n.clone());
            if seen.len() < 3 {
                Err(Error::new(
                    ipc_common::ErrorKind::AlreadyExists,
                    "t",
                    "taken",
                ))
            } else {
                Ok(n)
            }
        })
        .unwrap();
        assert_eq!(seen.len(), 3);
        assert_ne!(seen[0], seen[1]);
        assert_eq!(got, seen[2]);
    }
}
