//! What the running system says, asked in one place for every crate of the
//! family: numbers under `/proc/sys`, `sysconf` values (the page size),
//! resource limits, and `fstat` of a descriptor.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::OnceLock;

use crate::error::check;
use crate::{Error, ErrorKind, Result};

/// The whitespace-separated numbers in a `/proc/sys` file (one for most
/// limits, four for `/proc/sys/kernel/sem`), read now, since an administrator
/// may change them at any time (`sysctl`).
///
/// A missing or unreadable file is [`ErrorKind::Unsupported`] (the kernel lacks
/// the feature or `/proc` is not mounted); a file that does not hold `count`
/// numbers is [`ErrorKind::Other`]. Both name the file. `op` names the caller
/// in the error.
///
/// ```
/// let [msgmax] = ipc_common::__private::read_proc_numbers("limits", "/proc/sys/kernel/msgmax")?;
/// assert!(msgmax > 0);
/// let [semmsl, _semmns, _semopm, _semmni] =
///     ipc_common::__private::read_proc_numbers("limits", "/proc/sys/kernel/sem")?;
/// assert!(semmsl > 0);
/// let e = ipc_common::__private::read_proc_numbers::<1>("limits", "/proc/sys/kernel/no_such").unwrap_err();
/// assert!(e.message().contains("/proc/sys/kernel/no_such"));
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn read_proc_numbers<const N: usize>(op: &'static str, path: &str) -> Result<[u64; N]> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Unsupported,
            op,
            format!("cannot read {path} ({e}); this kernel may lack the feature, or /proc is not mounted"),
        )
    })?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let mut out = [0u64; N];
    for slot in &mut out {
        match fields.next() {
            Some(Ok(v)) => *slot = v,
            _ => {
                return Err(Error::new(
                    ErrorKind::Other,
                    op,
                    format!("{path} does not hold {N} non-negative number(s): {text:?}"),
                ));
            }
        }
    }
    Ok(out)
}

/// `sysconf(name)`, or [`ErrorKind::Unsupported`] when the system does not
/// report the value (`-1`). `op` names the caller in the error.
///
/// ```
/// let open_max = ipc_common::__private::sysconf("limits", libc::_SC_OPEN_MAX)?;
/// assert!(open_max > 0);
/// # Ok::<(), ipc_common::Error>(())
/// ```
// `c_long` is `i32` on 32-bit targets, where the conversion is not useless.
#[allow(clippy::useless_conversion)]
pub fn sysconf(op: &'static str, name: libc::c_int) -> Result<i64> {
    // SAFETY: sysconf has no memory-safety preconditions.
    let v = unsafe { libc::sysconf(name) };
    if v < 0 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            op,
            "the system does not report this value (sysconf returned -1)",
        ));
    }
    Ok(i64::from(v))
}

/// The size of a memory page in bytes (`sysconf(_SC_PAGESIZE)`, asked once;
/// 4096 if the system does not say). Shared memory is allocated, mapped and
/// attached in whole pages.
///
/// ```
/// assert!(ipc_common::__private::page_size().is_power_of_two());
/// ```
pub fn page_size() -> usize {
    static V: OnceLock<usize> = OnceLock::new();
    *V.get_or_init(|| {
        sysconf("sysconf", libc::_SC_PAGESIZE)
            .ok()
            .and_then(|v| usize::try_from(v).ok())
            .unwrap_or(4096)
    })
}

/// The type of `getrlimit`'s first argument on this target.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub type RlimitResource = libc::__rlimit_resource_t;
/// The type of `getrlimit`'s first argument on this target.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub type RlimitResource = libc::c_int;

/// A resource limit's soft and hard values; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimit {
    /// The limit in force (raise it up to `hard` with `setrlimit` or `ulimit`).
    pub soft: Option<u64>,
    /// The ceiling for `soft` (only root may raise it).
    pub hard: Option<u64>,
}

/// This process's `resource` limit (`getrlimit`), read now: another thread
/// may change it at any time.
///
/// ```
/// let l = ipc_common::__private::rlimit(libc::RLIMIT_FSIZE)?;
/// if let (Some(soft), Some(hard)) = (l.soft, l.hard) { assert!(soft <= hard); }
/// # Ok::<(), ipc_common::Error>(())
/// ```
// `rlim_t` is 32 bits on 32-bit glibc (the conversion is the identity on
// 64-bit Linux) and `i64` on FreeBSD, where the only negative value is
// RLIM_INFINITY, checked first.
#[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
pub fn rlimit(resource: RlimitResource) -> Result<ResourceLimit> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `r` is a valid, writable rlimit.
    check("getrlimit", unsafe { libc::getrlimit(resource, &mut r) })?;
    let conv =
        |v: libc::rlim_t| (v != libc::RLIM_INFINITY).then(|| u64::try_from(v).unwrap_or(u64::MAX));
    Ok(ResourceLimit {
        soft: conv(r.rlim_cur),
        hard: conv(r.rlim_max),
    })
}

/// `fstat(fd)`: the owner, mode and size of the object behind a descriptor.
///
/// ```
/// let file = std::fs::File::open("/proc/self/status").unwrap();
/// let st = ipc_common::__private::fstat(std::os::fd::AsFd::as_fd(&file))?;
/// // SAFETY: geteuid has no preconditions.
/// assert_eq!(st.st_uid, unsafe { libc::geteuid() });
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is writable memory for one `stat`, and `fd` is an open
    // descriptor for the duration of the borrow.
    check("fstat", unsafe {
        libc::fstat(fd.as_raw_fd(), st.as_mut_ptr())
    })?;
    // SAFETY: fstat succeeded, so it filled in `st`.
    Ok(unsafe { st.assume_init() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_and_limits_match_the_running_system() {
        // SAFETY: sysconf has no preconditions.
        let raw = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        assert_eq!(page_size(), usize::try_from(raw).unwrap());
        assert_eq!(
            sysconf("t", libc::_SC_PAGESIZE).unwrap(),
            page_size() as i64
        );
        let e = sysconf("t", -1).unwrap_err();
        assert_eq!((e.kind(), e.operation()), (ErrorKind::Unsupported, "t"));
        let l = rlimit(libc::RLIMIT_NOFILE).unwrap();
        let soft = l.soft.expect("RLIMIT_NOFILE is finite");
        assert!(soft > 0 && l.hard.is_none_or(|h| soft <= h));
        let e = rlimit(100_000 as RlimitResource).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn fstat_reports_the_file() {
        let path = std::env::temp_dir().join(format!("ipc-common-fstat-{}", std::process::id()));
        std::fs::write(&path, b"12345").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let st = fstat(std::os::fd::AsFd::as_fd(&file)).unwrap();
        assert_eq!(st.st_size, 5);
        assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFREG);
    }

    #[test]
    fn reads_one_or_several_numbers_and_names_the_file_on_error() {
        let [v] = read_proc_numbers::<1>("t", "/proc/sys/fs/mqueue/msg_max").unwrap();
        assert_eq!(
            v.to_string(),
            std::fs::read_to_string("/proc/sys/fs/mqueue/msg_max")
                .unwrap()
                .trim()
        );
        let four = read_proc_numbers::<4>("t", "/proc/sys/kernel/sem").unwrap();
        assert!(four.iter().all(|&n| n > 0));
        let e = read_proc_numbers::<5>("t", "/proc/sys/kernel/sem").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(e.message().contains("5 non-negative"));
        let e = read_proc_numbers::<1>("t", "/proc/sys/nope").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(e.operation(), "t");
    }
}
