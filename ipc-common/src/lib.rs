//! Types shared by [`posix-ipc`](https://docs.rs/posix-ipc) and
//! [`sysv-ipc`](https://docs.rs/sysv-ipc), so both speak the same language:
//!
//! - [`Error`], [`ErrorKind`], [`Result`]: every failure carries a semantic kind,
//!   the errno (when a system call failed), the operation, and a message that says
//!   what was wrong and what to do. [`check`] is the one way a system call's
//!   return code becomes a `Result` in this family.
//! - [`Mode`] and [`Permissions`]: permission bits (shown in octal) and ownership.
//! - [`Timeout`]: `Forever`, `Immediate` or `After(duration)`, the same for every
//!   blocking call of all six primitives.
//! - [`Region`]: a bounds-checked view of shared memory (copies, atomics of
//!   every width, typed copies of plain-old-data values with the `bytemuck`
//!   feature, raw pointers; never a safe `&mut [u8]` over memory another
//!   process may write).
//! - [`RobustMutex`] and [`Condvar`] (Linux and FreeBSD, see
//!   [`ROBUST_MUTEX_SUPPORTED`]): a process-shared mutex and condition
//!   variable that live in a `Region` and tell the next locker when a holder
//!   died ([`LockOutcome::OwnerDied`]), so a `kill -9` never leaves the other
//!   processes blocked for ever.
//! - [`os_random_u64`] and [`with_unique`]: unique names and keys from the OS
//!   random source.
//! - [`read_proc_numbers`]: kernel limits from `/proc/sys`, read at run time.
//!
//! # Porting from Python
//!
//! | Python exception | here |
//! |---|---|
//! | `ExistentialError` | [`Error::is_existential`] (`NotFound`, `AlreadyExists`, `Removed`) |
//! | `PermissionsError` | [`Error::is_permissions`] (`PermissionDenied`) |
//! | `BusyError` | [`Error::is_busy`] (`WouldBlock`, `TimedOut`, `Busy`) |
//! | `SignalError` | [`Error::is_signal`] (`Interrupted`) |
//! | `ValueError` | [`Error::is_invalid_input`] (`InvalidInput`) |
//! | `NotAttachedError` | [`ErrorKind::NotAttached`] |
//!
//! ```
//! use ipc_common::{check, Error, ErrorKind};
//! // SAFETY: sem_unlink only reads the NUL-terminated name.
//! let rc = unsafe { libc::sem_unlink(c"/ipcrs-doc-surely-absent".as_ptr()) };
//! let err: Error = check("sem_unlink", rc).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::NotFound);
//! assert!(err.is_existential());
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
// The prose links to RobustMutex and Condvar, which macOS lacks; the Linux
// documentation build checks every link.
#![cfg_attr(target_vendor = "apple", allow(rustdoc::broken_intra_doc_links))]
#![deny(missing_docs)]

mod error;
mod options;
mod perm;
mod random;
mod region;
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
mod robust;
mod sysctl;
mod timeout;

pub use error::{Error, ErrorKind, Result, SysReturn, check, check_ptr, errno, errno_name};
pub use perm::{IntoMode, Mode, Permissions, check_owner, is_trusted_owner};
pub use random::{UNIQUE_ATTEMPTS, os_random_u64, with_unique};
pub use region::{Region, SharedAtomic};
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "freebsd"))))]
pub use robust::{
    Condvar, InconsistentGuard, LockOutcome, MutexGuard, RobustMutex, WaitTimeoutResult,
};

/// True where [`RobustMutex`] and [`Condvar`] exist: Linux and FreeBSD, whose
/// C libraries have robust process-shared mutexes. macOS has none, so the
/// types are absent there (a compile error, not a run-time failure).
///
/// ```
/// assert_eq!(ipc_common::ROBUST_MUTEX_SUPPORTED, cfg!(any(target_os = "linux", target_os = "freebsd")));
/// ```
pub const ROBUST_MUTEX_SUPPORTED: bool = cfg!(any(target_os = "linux", target_os = "freebsd"));
pub use sysctl::read_proc_numbers;
pub use timeout::Timeout;

/// Internals that `posix-ipc` and `sysv-ipc` share. **Not public API**: no
/// semver promise covers anything in here; it may change or go away in any
/// release. Use the options builders of the two crates instead.
#[doc(hidden)]
pub mod __private {
    /// The one options core of every `Type::options()` builder.
    pub mod options {
        pub use crate::options::{FlagBits, OpenOptions, check_mode};
    }
}
