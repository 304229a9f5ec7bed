//! `semctl` with each kind of fourth argument, called from Rust.
//!
//! `semctl(int semid, int semnum, int cmd, ...)` is variadic: commands that
//! take an argument read one `union semun` with `va_arg`. POSIX leaves it to
//! the program to define that union (Linux's headers do not; macOS's and
//! FreeBSD's do, with the same three members), and a C caller passes it by
//! value. These wrappers do exactly that through the C library's own
//! variadic `semctl` (declared by the `libc` crate): Rust passes a
//! `#[repr(C)]` union in a C-variadic call as the platform's C ABI says, so no
//! C shim, and no C compiler, is needed.

use libc::{c_int, c_ushort};

use crate::semid_ds;

/// `union semun` as POSIX describes it: `val` for `SETVAL`, `buf` for
/// `IPC_STAT`/`IPC_SET`, `array` for `GETALL`/`SETALL`. (glibc's manual adds a
/// Linux-only `struct seminfo *__buf` for `IPC_INFO`, a pointer like `buf`,
/// so the union's size and alignment, those of a pointer, are the same.)
#[repr(C)]
#[derive(Clone, Copy)]
union semun {
    val: c_int,
    buf: *mut semid_ds,
    array: *mut c_ushort,
}

/// `semctl(semid, semnum, cmd)` for commands that take no fourth argument
/// (`GETVAL`, `GETPID`, `GETNCNT`, `GETZCNT`, `IPC_RMID`).
///
/// # Safety
///
/// `cmd` must be a command that reads no fourth argument.
///
/// See the crate-level example.
#[inline]
pub unsafe fn semctl(semid: c_int, semnum: c_int, cmd: c_int) -> c_int {
    // SAFETY: the caller passes a command that reads no variadic argument.
    unsafe { libc::semctl(semid, semnum, cmd) }
}

/// `semctl` with `union semun { int val }` (`SETVAL`).
///
/// # Safety
///
/// `cmd` must be a command that reads `val` (or nothing).
///
/// See the crate-level example.
#[inline]
pub unsafe fn semctl_val(semid: c_int, semnum: c_int, cmd: c_int, val: c_int) -> c_int {
    let arg = semun { val };
    // SAFETY: the union is passed by value, as the C prototype's `...` reads
    // it; the caller passes a command that reads `val` or nothing.
    unsafe { libc::semctl(semid, semnum, cmd, arg) }
}

/// `semctl` with `union semun { struct semid_ds *buf }` (`IPC_STAT`, `IPC_SET`).
///
/// # Safety
///
/// `cmd` must be a command that reads `buf` (or nothing), and `buf` must be
/// valid for what the command does with it: writable for `IPC_STAT`,
/// readable for `IPC_SET`.
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
#[inline]
pub unsafe fn semctl_buf(semid: c_int, semnum: c_int, cmd: c_int, buf: *mut semid_ds) -> c_int {
    let arg = semun { buf };
    // SAFETY: the union is passed by value, as the C prototype's `...` reads
    // it; the caller guarantees `buf` suits `cmd`.
    unsafe { libc::semctl(semid, semnum, cmd, arg) }
}

/// `semctl` with `union semun { unsigned short *array }` (`GETALL`, `SETALL`).
///
/// # Safety
///
/// `cmd` must be a command that reads `array` (or nothing), and `array`
/// must hold as many values as the set has semaphores (writable for
/// `GETALL`, readable for `SETALL`).
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
#[inline]
pub unsafe fn semctl_array(semid: c_int, semnum: c_int, cmd: c_int, array: *mut c_ushort) -> c_int {
    let arg = semun { array };
    // SAFETY: the union is passed by value, as the C prototype's `...` reads
    // it; the caller guarantees `array` suits `cmd` and the set's size.
    unsafe { libc::semctl(semid, semnum, cmd, arg) }
}
