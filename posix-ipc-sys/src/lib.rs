//! Raw FFI declarations for POSIX and System V IPC.
//!
//! This crate is the unsafe floor under [`posix-ipc`](https://docs.rs/posix-ipc-rs) and
//! [`sysv-ipc`](https://docs.rs/sysv-ipc): named semaphores (`sem_*`), message queues
//! (`mq_*`), shared memory (`shm_open`/`shm_unlink`), System V semaphores
//! (`semget`/`semop`/`semtimedop`/`semctl`), shared memory (`shm{get,at,dt,ctl}`),
//! message queues (`msg{get,snd,rcv,ctl}`), `ftok`, and their constants and structs.
//! Each target gets exactly what its C library has: an item missing on a
//! target is absent there, never a stub that fails at run time.
//!
//! ```
//! use posix_ipc_sys as sys;
//! // SAFETY: ftok only reads the NUL-terminated path.
//! let key = unsafe { sys::ftok(c"/".as_ptr(), 1) };
//! assert_ne!(key, -1);
//! // SAFETY: sem_unlink only reads the NUL-terminated name; the name is
//! // not a valid one, so nothing is removed.
//! let rc = unsafe { sys::sem_unlink(c"/no/such/semaphore".as_ptr()) };
//! assert_eq!(rc, -1);
//! ```
//!
//! No feature flags: the crate is declarations only, and has no dependency
//! but `libc`.
//!
//! # Where the declarations come from
//!
//! | Target | Source |
//! |---|---|
//! | `x86_64-unknown-linux-gnu` | bindgen, host glibc headers |
//! | `aarch64-unknown-linux-gnu` | bindgen, Debian `libc6-dev-arm64-cross` |
//! | `i686-unknown-linux-gnu` (and other 32-bit x86 glibc) | bindgen, Debian `libc6-dev-i386-cross` |
//! | `x86_64-unknown-linux-musl` | bindgen, Debian `musl-dev` |
//! | macOS (`x86_64`/`aarch64-apple-darwin`) | the [`libc`] crate |
//! | FreeBSD (`x86_64-unknown-freebsd`) | the [`libc`] crate |
//!
//! Where this project has the target's C library headers, the declarations in
//! `generated` are produced **offline** by bindgen from `wrapper.h` with tight
//! allowlists and committed, one file per target, so building this crate never
//! needs libclang (nor does docs.rs). Regenerate with `cargo xtask bindgen`;
//! `cargo xtask bindgen --check` fails if a committed file differs from what
//! the headers produce. Structs that `libc` already defines (`timespec`,
//! `sigevent`) are re-used from `libc`, and integer typedefs are plain aliases
//! of the same primitive types `libc` uses, so values pass between this crate,
//! `libc` and `nix` without casts. On musl, three fields that musl's headers
//! rename with a macro keep glibc's spelling (`ipc_perm::__key`,
//! `ipc_perm::__seq`, `msqid_ds::__msg_cbytes`), which musl's headers accept
//! too.
//!
//! Where it has none (macOS, FreeBSD), the declarations are re-exported from
//! the `libc` crate, whose own CI checks them against the real headers, under
//! the names used here. No struct layout is written by hand. See the
//! `from_libc` module's source for what each of those systems gets.
//!
//! Any other operating system is a compile error, and so is a Linux target
//! without committed bindings (add it to `posix-ipc-sys/gen` and run
//! `cargo xtask bindgen`).
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

/// Bindgen output for the current target (see the crate docs for how it is
/// made). To add a target, add its file here and to the `compile_error!`
/// below, and to `TARGETS` in `posix-ipc-sys/gen`.
#[cfg(target_os = "linux")]
#[cfg_attr(
    all(target_env = "gnu", target_arch = "x86_64"),
    path = "generated/x86_64-unknown-linux-gnu.rs"
)]
#[cfg_attr(
    all(target_env = "gnu", target_arch = "aarch64"),
    path = "generated/aarch64-unknown-linux-gnu.rs"
)]
#[cfg_attr(
    all(target_env = "gnu", target_arch = "x86"),
    path = "generated/i686-unknown-linux-gnu.rs"
)]
#[cfg_attr(
    all(target_env = "musl", target_arch = "x86_64"),
    path = "generated/x86_64-unknown-linux-musl.rs"
)]
#[allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
#[rustfmt::skip]
pub mod generated;

#[cfg(all(
    target_os = "linux",
    not(any(
        all(target_env = "gnu", target_arch = "x86_64"),
        all(target_env = "gnu", target_arch = "aarch64"),
        all(target_env = "gnu", target_arch = "x86"),
        all(target_env = "musl", target_arch = "x86_64"),
    ))
))]
compile_error!(
    "posix-ipc-sys has no committed bindings for this Linux target (it has them for \
     x86_64, aarch64 and i686 glibc and x86_64 musl): add the target and its C library \
     headers to TARGETS in posix-ipc-sys/gen and run `cargo xtask bindgen`"
);

#[cfg(target_os = "linux")]
pub use generated::*;

#[cfg(any(target_os = "macos", target_os = "freebsd"))]
mod from_libc;
#[cfg(any(target_os = "macos", target_os = "freebsd"))]
pub use from_libc::*;

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
compile_error!(
    "posix-ipc-sys supports Linux, macOS and FreeBSD: this operating system is not one of \
     them (POSIX and System V IPC as posix_ipc and sysv_ipc use them are Unix interfaces; \
     Windows has neither)"
);

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

/// `SEM_FAILED`, what `sem_open` returns on error: a null pointer on Linux and
/// FreeBSD, `(sem_t *)-1` on macOS. `libc`'s constant, as this crate's type.
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
/// Linux only: macOS has no real-time signals, and the `libc` crate does not
/// declare FreeBSD's.
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
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
#[inline]
pub unsafe fn sigrtmin() -> libc::c_int {
    libc::SIGRTMIN()
}

/// Returns `SIGRTMAX`, the highest real-time signal number
/// (`libc::SIGRTMAX()`, asked of the C library at run time).
///
/// Linux only, like [`sigrtmin`].
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
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
#[inline]
pub unsafe fn sigrtmax() -> libc::c_int {
    libc::SIGRTMAX()
}

#[cfg(all(test, target_os = "linux"))]
mod layout;
