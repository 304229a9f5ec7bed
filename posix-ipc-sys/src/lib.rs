//! Raw FFI declarations for POSIX and System V IPC.
//!
//! This crate is the unsafe floor under [`posix-ipc`](https://docs.rs/posix-ipc) and
//! [`sysv-ipc`](https://docs.rs/sysv-ipc): named semaphores (`sem_*`), message queues
//! (`mq_*`), shared memory (`shm_open`/`shm_unlink`), System V semaphores
//! (`semget`/`semop`/`semtimedop`/`semctl`), shared memory (`shm{get,at,dt,ctl}`),
//! message queues (`msg{get,snd,rcv,ctl}`), `ftok`, and their constants and structs.
//!
//! # How the bindings are made
//!
//! The declarations in [`generated`] are produced **offline** by bindgen from
//! `wrapper.h` with tight allowlists and committed, one file per supported target,
//! so building this crate never needs libclang (nor does docs.rs). Committed
//! targets: `x86_64-unknown-linux-gnu` and `aarch64-unknown-linux-gnu` (the
//! latter from Debian's cross headers, `libc6-dev-arm64-cross`). Regenerate with
//! `cargo xtask bindgen`; `cargo xtask bindgen --check` fails if the committed file
//! differs from what the headers produce. Structs that `libc` already defines
//! (`timespec`, `sigevent`) are re-used from `libc`, and integer typedefs are plain
//! aliases of the same primitive types `libc` uses, so values pass between this
//! crate, `libc` and `nix` without casts.
//!
//! # No C compiler needed
//!
//! What bindgen cannot express is written in Rust, so no target needs a C
//! compiler, not even to type-check:
//! - [`SEM_FAILED`] (a cast pointer macro) is `libc`'s constant;
//! - `sigrtmin`/`sigrtmax` (Linux; function-like macros there) are
//!   `libc::SIGRTMIN()`/`libc::SIGRTMAX()`, which call the C library's own
//!   `__libc_current_sigrtmin`/`max`, exactly what the C macros expand to;
//! - `semctl`'s optional fourth argument, `union semun`, is passed **by value**
//!   through a Rust call of the variadic `semctl` ([`semctl_val`],
//!   [`semctl_buf`], [`semctl_array`]), which is what a C caller does: Rust
//!   lowers a `#[repr(C)]` union in a C-variadic call with the C ABI's rules.
//!
//! The crate's tests compile a small C program with the target's C compiler
//! when there is one and check that these Rust paths return what C returns.
//!
//! # Example
//!
//! ```
//! // Ask the kernel for a private System V semaphore set, read it, remove it.
//! use posix_ipc_sys as sys;
//! // SAFETY: plain system calls on an id this example owns.
//! unsafe {
//!     let id = sys::semget(sys::IPC_PRIVATE, 1, sys::IPC_CREAT | 0o600);
//!     assert!(id >= 0);
//!     assert_eq!(sys::semctl_val(id, 0, sys::SETVAL, 3), 0);
//!     assert_eq!(sys::semctl(id, 0, sys::GETVAL), 3);
//!     assert_eq!(sys::semctl(id, 0, sys::IPC_RMID), 0);
//! }
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case)]

/// Bindgen output for the current target (see the crate docs for how it is made).
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
#[allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
#[rustfmt::skip]
#[path = "generated/x86_64-unknown-linux-gnu.rs"]
pub mod generated;

/// Bindgen output for the current target (see the crate docs for how it is made).
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "aarch64"))]
#[allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
#[rustfmt::skip]
#[path = "generated/aarch64-unknown-linux-gnu.rs"]
pub mod generated;

#[cfg(not(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!(
    "posix-ipc-sys has no committed bindings for this target yet: add it to the \
     TARGETS of posix-ipc-sys/gen and run `cargo xtask bindgen`"
);

pub use generated::*;

mod semctl;
pub use semctl::{semctl, semctl_array, semctl_buf, semctl_val};

/// `IPC_PRIVATE`: the key that always creates a new, unnamed System V object.
///
/// A cast macro (`((key_t) 0)`) in the C headers, so bindgen does not emit it.
///
/// ```
/// assert_eq!(posix_ipc_sys::IPC_PRIVATE, 0);
/// ```
pub const IPC_PRIVATE: key_t = 0;

/// `SEM_FAILED`, what `sem_open` returns on error (a null pointer on Linux):
/// `libc`'s constant, as this crate's type.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert!(posix_ipc_sys::SEM_FAILED.is_null());
/// ```
pub const SEM_FAILED: *mut sem_t = libc::SEM_FAILED.cast();

/// Returns [`SEM_FAILED`], the value `sem_open` returns on error.
///
/// # Safety
///
/// None: calling it has no preconditions. It is `unsafe` only because it
/// replaced a C function of that signature and callers wrap it in `unsafe`;
/// new code should use the [`SEM_FAILED`] constant.
///
/// ```
/// // SAFETY: no preconditions (see above).
/// let failed = unsafe { posix_ipc_sys::sem_failed() };
/// assert_eq!(failed, posix_ipc_sys::SEM_FAILED);
/// ```
#[inline]
pub unsafe fn sem_failed() -> *mut sem_t {
    SEM_FAILED
}

/// Returns `SIGRTMIN`, the lowest real-time signal number available to
/// programs: `libc::SIGRTMIN()`, which asks the C library at run time, as the
/// C macro does (34 on glibc, which keeps two for its threads; 35 on musl).
///
/// # Safety
///
/// None: calling it has no preconditions. It is `unsafe` only because it
/// replaced a C function of that signature and callers wrap it in `unsafe`.
///
/// ```
/// // SAFETY: no preconditions (see above).
/// let (lo, hi) = unsafe { (posix_ipc_sys::sigrtmin(), posix_ipc_sys::sigrtmax()) };
/// assert!(lo < hi);
/// ```
#[inline]
pub unsafe fn sigrtmin() -> libc::c_int {
    libc::SIGRTMIN()
}

/// Returns `SIGRTMAX`, the highest real-time signal number
/// (`libc::SIGRTMAX()`, asked of the C library at run time).
///
/// # Safety
///
/// None: calling it has no preconditions. It is `unsafe` only because it
/// replaced a C function of that signature and callers wrap it in `unsafe`.
///
/// ```
/// // SAFETY: no preconditions (see above).
/// assert!(unsafe { posix_ipc_sys::sigrtmax() } >= 32);
/// ```
#[inline]
pub unsafe fn sigrtmax() -> libc::c_int {
    libc::SIGRTMAX()
}

#[cfg(test)]
mod layout;
