//! POSIX named semaphores, shared memory and message queues for Rust,
//! with everything Python's [`posix_ipc`](https://pypi.org/project/posix-ipc/)
//! offers, its crashes turned into typed errors, and objects that C programs and
//! Python's `posix_ipc` open as their own.
//!
//! # Conventions
//!
//! - **Open like [`std::fs::OpenOptions`]**: each primitive has an `options()`
//!   builder (create, create exclusively, mode, ...) and short forms (`open`,
//!   `create`, and a unique-name constructor that replaces posix_ipc's
//!   `name=None`). The posix_ipc flag constants ([`O_CREAT`], [`O_EXCL`],
//!   [`O_CREX`], [`O_TRUNC`], ...) exist too, so code ports line by line.
//! - **Names are validated before any system call** ([`Name`]): `/` + 1 to 255
//!   bytes (251 for semaphores), no further `/`, no NUL.
//! - **Ownership**: a handle closes itself on drop; `close(self)` returns the
//!   error if you want it. Unlinking is always explicit (`unlink()`, the module
//!   `unlink_*` functions), or opt-in through a guard.
//! - **Blocking calls take a [`Timeout`]**: `Forever`, `Immediate` (fails with
//!   [`ErrorKind::WouldBlock`]) or `After(duration)`. A signal interrupting a
//!   wait returns [`ErrorKind::Interrupted`]; it is never silently retried.
//! - **Limits are read from the running system** ([`limits`]).
//!
//! Errors are [`ipc_common::Error`]s: a kind, the errno, the operation and a
//! message that says what to do.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub use ipc_common::{Error, ErrorKind, Mode, Permissions, Result, Timeout};

mod flags;
mod guard;
pub mod limits;
mod name;

pub use flags::{O_CREAT, O_CREX, O_EXCL, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
pub use guard::{Unlink, UnlinkOnDrop};
pub use name::{IntoName, NAME_MAX, Name, SEMAPHORE_NAME_MAX, UNIQUE_NAME_LEN};

/// True where `sem_timedwait` exists, so [`Timeout::After`] works for
/// semaphores (everywhere but macOS).
pub const SEMAPHORE_TIMEOUT_SUPPORTED: bool = cfg!(not(target_vendor = "apple"));

/// True where `sem_getvalue` works (everywhere but macOS).
pub const SEMAPHORE_VALUE_SUPPORTED: bool = cfg!(not(target_vendor = "apple"));

/// True where POSIX message queues exist (everywhere but macOS).
pub const MESSAGE_QUEUES_SUPPORTED: bool = cfg!(not(target_vendor = "apple"));

// ---- Semaphores (semaphore.rs) ----
mod semaphore;
pub use semaphore::{Semaphore, SemaphoreGuard, SemaphoreOptions, unlink_semaphore};

// ---- Shared memory (shm.rs) ----
mod shm;
pub use shm::{
    Mapping, SHARED_MEMORY_SIZE_MAX, SharedMemory, SharedMemoryOptions, unlink_shared_memory,
};

// ---- Message queues (mqueue.rs) ----
mod mqueue;
// (message queue exports)
