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
//! A small C shim, compiled with `cc` by the build script, exports what bindgen
//! cannot express: [`SEM_FAILED`](sem_failed), [`SIGRTMIN`](sigrtmin) /
//! [`SIGRTMAX`](sigrtmax) (function-like macros on glibc) and `semctl` with
//! `union semun` ([`semctl_val`], [`semctl_buf`], [`semctl_array`]).
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

/// `IPC_PRIVATE`: the key that always creates a new, unnamed System V object.
///
/// A cast macro (`((key_t) 0)`) on glibc, so bindgen does not emit it.
///
/// ```
/// assert_eq!(posix_ipc_sys::IPC_PRIVATE, 0);
/// ```
pub const IPC_PRIVATE: key_t = 0;

unsafe extern "C" {
    /// Returns `SEM_FAILED`, the value `sem_open` returns on error.
    ///
    /// ```
    /// // SAFETY: no arguments, no side effects.
    /// let failed = unsafe { posix_ipc_sys::sem_failed() };
    /// assert!(failed.is_null()); // glibc defines SEM_FAILED as NULL
    /// ```
    #[link_name = "posix_ipc_sem_failed"]
    pub fn sem_failed() -> *mut sem_t;

    /// Returns `SIGRTMIN`, the lowest real-time signal number available to programs.
    ///
    /// ```
    /// // SAFETY: no arguments, no side effects.
    /// let (lo, hi) = unsafe { (posix_ipc_sys::sigrtmin(), posix_ipc_sys::sigrtmax()) };
    /// assert!(lo < hi);
    /// ```
    #[link_name = "posix_ipc_sigrtmin"]
    pub fn sigrtmin() -> libc::c_int;

    /// Returns `SIGRTMAX`, the highest real-time signal number.
    ///
    /// ```
    /// // SAFETY: no arguments, no side effects.
    /// assert!(unsafe { posix_ipc_sys::sigrtmax() } >= 32);
    /// ```
    #[link_name = "posix_ipc_sigrtmax"]
    pub fn sigrtmax() -> libc::c_int;

    /// `semctl(semid, semnum, cmd)` for commands that take no fourth argument
    /// (`GETVAL`, `GETPID`, `GETNCNT`, `GETZCNT`, `IPC_RMID`).
    ///
    /// See the crate-level example.
    #[link_name = "posix_ipc_semctl"]
    pub fn semctl(semid: libc::c_int, semnum: libc::c_int, cmd: libc::c_int) -> libc::c_int;

    /// `semctl` with `union semun { int val }` (`SETVAL`).
    ///
    /// See the crate-level example.
    #[link_name = "posix_ipc_semctl_val"]
    pub fn semctl_val(
        semid: libc::c_int,
        semnum: libc::c_int,
        cmd: libc::c_int,
        val: libc::c_int,
    ) -> libc::c_int;

    /// `semctl` with `union semun { struct semid_ds *buf }` (`IPC_STAT`, `IPC_SET`).
    ///
    /// ```
    /// use posix_ipc_sys as sys;
    /// let mut ds = sys::semid_ds::default();
    /// // SAFETY: `ds` is a valid, writable semid_ds; the set is removed at the end.
    /// unsafe {
    ///     let id = sys::semget(sys::IPC_PRIVATE, 2, sys::IPC_CREAT | 0o640);
    ///     assert_eq!(sys::semctl_buf(id, 0, sys::IPC_STAT, &mut ds), 0);
    ///     assert_eq!(sys::semctl(id, 0, sys::IPC_RMID), 0);
    /// }
    /// assert_eq!(ds.sem_nsems, 2);
    /// assert_eq!(ds.sem_perm.mode & 0o777, 0o640);
    /// ```
    #[link_name = "posix_ipc_semctl_buf"]
    pub fn semctl_buf(
        semid: libc::c_int,
        semnum: libc::c_int,
        cmd: libc::c_int,
        buf: *mut semid_ds,
    ) -> libc::c_int;

    /// `semctl` with `union semun { unsigned short *array }` (`GETALL`, `SETALL`).
    ///
    /// The array must hold as many values as the set has semaphores.
    ///
    /// ```
    /// use posix_ipc_sys as sys;
    /// let mut values = [4u16, 5, 6];
    /// let mut back = [0u16; 3];
    /// // SAFETY: both arrays hold exactly nsems (3) values; the set is removed.
    /// unsafe {
    ///     let id = sys::semget(sys::IPC_PRIVATE, 3, sys::IPC_CREAT | 0o600);
    ///     assert_eq!(sys::semctl_array(id, 0, sys::SETALL, values.as_mut_ptr()), 0);
    ///     assert_eq!(sys::semctl_array(id, 0, sys::GETALL, back.as_mut_ptr()), 0);
    ///     assert_eq!(sys::semctl(id, 0, sys::IPC_RMID), 0);
    /// }
    /// assert_eq!(back, values);
    /// ```
    #[link_name = "posix_ipc_semctl_array"]
    pub fn semctl_array(
        semid: libc::c_int,
        semnum: libc::c_int,
        cmd: libc::c_int,
        array: *mut libc::c_ushort,
    ) -> libc::c_int;
}

#[cfg(test)]
mod layout {
    //! The generated structs must match `libc`'s where both define them.
    extern crate std;
    use core::mem::{align_of, offset_of, size_of};

    macro_rules! same_layout {
        ($ours:ty, $theirs:ty) => {
            assert_eq!(
                size_of::<$ours>(),
                size_of::<$theirs>(),
                "size of {}",
                stringify!($ours)
            );
            assert_eq!(
                align_of::<$ours>(),
                align_of::<$theirs>(),
                "align of {}",
                stringify!($ours)
            );
        };
    }

    #[test]
    fn structs_match_libc() {
        same_layout!(crate::mq_attr, libc::mq_attr);
        same_layout!(crate::ipc_perm, libc::ipc_perm);
        same_layout!(crate::sembuf, libc::sembuf);
        same_layout!(crate::semid_ds, libc::semid_ds);
        same_layout!(crate::shmid_ds, libc::shmid_ds);
        same_layout!(crate::msqid_ds, libc::msqid_ds);
        same_layout!(crate::sem_t, libc::sem_t);
    }

    #[test]
    fn field_offsets_match_libc() {
        assert_eq!(
            offset_of!(crate::ipc_perm, mode),
            offset_of!(libc::ipc_perm, mode)
        );
        assert_eq!(
            offset_of!(crate::shmid_ds, shm_segsz),
            offset_of!(libc::shmid_ds, shm_segsz)
        );
        assert_eq!(
            offset_of!(crate::shmid_ds, shm_nattch),
            offset_of!(libc::shmid_ds, shm_nattch)
        );
        assert_eq!(
            offset_of!(crate::msqid_ds, msg_qbytes),
            offset_of!(libc::msqid_ds, msg_qbytes)
        );
        assert_eq!(
            offset_of!(crate::mq_attr, mq_curmsgs),
            offset_of!(libc::mq_attr, mq_curmsgs)
        );
    }

    #[test]
    fn constants_match_libc() {
        assert_eq!(crate::IPC_CREAT, libc::IPC_CREAT);
        assert_eq!(crate::IPC_EXCL, libc::IPC_EXCL);
        assert_eq!(crate::IPC_NOWAIT, libc::IPC_NOWAIT);
        assert_eq!(crate::IPC_RMID, libc::IPC_RMID);
        assert_eq!(crate::IPC_STAT, libc::IPC_STAT);
        assert_eq!(crate::IPC_SET, libc::IPC_SET);
        assert_eq!(crate::SEM_UNDO, libc::SEM_UNDO);
        assert_eq!(crate::SHM_RDONLY, libc::SHM_RDONLY);
        assert_eq!(crate::SHM_RND, libc::SHM_RND);
        assert_eq!(crate::SHM_HUGETLB, libc::SHM_HUGETLB);
        assert_eq!(crate::MSG_NOERROR, libc::MSG_NOERROR);
        assert_eq!(crate::MSG_EXCEPT, libc::MSG_EXCEPT);
        assert_eq!(crate::GETVAL, libc::GETVAL);
        assert_eq!(crate::SETALL, libc::SETALL);
    }

    #[test]
    fn shim_values_match_libc() {
        // SAFETY: the shim functions take no arguments and have no side effects.
        unsafe {
            assert_eq!(crate::sigrtmin(), libc::SIGRTMIN());
            assert_eq!(crate::sigrtmax(), libc::SIGRTMAX());
            assert_eq!(crate::sem_failed(), libc::SEM_FAILED.cast());
        }
    }
}
