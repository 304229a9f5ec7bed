//! Types shared by [`posix-ipc-rs`](https://docs.rs/posix-ipc-rs) (library
//! `posix_ipc`) and [`sysv-ipc`](https://docs.rs/sysv-ipc), which re-export
//! them: you rarely depend on this crate directly.
//!
//! ```
//! use std::time::Duration;
//! use ipc_common::{Error, ErrorKind, Mode, Timeout};
//!
//! // One timeout type for every blocking call of the six primitives.
//! assert_eq!(Timeout::from(None::<Duration>), Timeout::Forever);
//! assert_eq!(Timeout::from(Duration::from_millis(250)), Timeout::After(Duration::from_millis(250)));
//!
//! // Permission bits, validated and shown in octal.
//! assert_eq!(Mode::new(0o640)?.to_string(), "0o640");
//! assert!(Mode::new(0o10000).is_err());
//!
//! // Every failure has a kind (Python's exception families), the errno and
//! // the operation, and converts into std::io::Error keeping its kind.
//! let err = Error::from_errno("sem_open", libc::ENOENT);
//! assert_eq!(err.kind(), ErrorKind::NotFound);
//! assert!(err.is_existential());
//! let io: std::io::Error = err.into();
//! assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
//! # Ok::<(), Error>(())
//! ```
//!
//! - [`Error`], [`ErrorKind`], [`Result`]: every failure carries a semantic kind,
//!   the errno (when a system call failed; [`errno_name`] spells it), the
//!   operation, and a message that says what was wrong and what to do.
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
//!
//! # Feature flags
//!
//! - `bytemuck` (off by default): typed copies of plain-old-data values in and
//!   out of a [`Region`] (`read_obj`, `write_obj`, `read_slice`, `write_slice`).
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
#![cfg_attr(docsrs, feature(doc_cfg))]
// The prose links to RobustMutex and Condvar, which macOS lacks; the Linux
// documentation build checks every link.
#![cfg_attr(target_vendor = "apple", allow(rustdoc::broken_intra_doc_links))]
#![deny(missing_docs)]

mod error;
mod guard;
mod options;
mod os;
mod perm;
mod random;
mod region;
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
mod robust;
mod timeout;

pub use error::{Error, ErrorKind, Result, errno_name};
pub use perm::{IntoMode, Mode, Permissions};
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
pub use timeout::Timeout;

/// Internals that `posix-ipc` and `sysv-ipc` (and the other crates of this
/// workspace) share. **Not public API**: no semver promise covers anything in
/// here; it may change or go away in any release. Use the two crates' types
/// instead.
#[doc(hidden)]
pub mod __private {
    pub use crate::__drop_guard as drop_guard;
    pub use crate::error::{SysReturn, check, check_ptr, errno};
    pub use crate::os::{
        ResourceLimit, RlimitResource, fstat, page_size, read_proc_numbers, rlimit, sysconf,
    };
    pub use crate::perm::{check_owner, is_trusted_owner};
    pub use crate::random::{UNIQUE_ATTEMPTS, os_random_u64, with_unique};
    pub use crate::timeout::TimeoutSpec;

    /// The one options core of every `Type::options()` builder.
    pub mod options {
        pub use crate::options::{FlagBits, OpenOptions, check_mode};
    }
    /// The two ways [`Region::populate`](crate::Region::populate) pre-faults,
    /// each on its own, so that tests can run the fallback on any kernel.
    pub mod populate {
        use crate::{Region, Result};

        pub use crate::region::populate::Populated;

        /// [`Region::populate`](crate::Region::populate), saying which way
        /// it went.
        pub fn populate(region: &Region) -> Result<Populated> {
            crate::region::populate::populate(region)
        }

        /// The fallback of [`Region::populate`](crate::Region::populate):
        /// one atomic access per page.
        pub fn touch(region: &Region) {
            crate::region::populate::touch(region)
        }
    }
}
