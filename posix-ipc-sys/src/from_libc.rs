//! The declarations for macOS and FreeBSD, where this project has no C headers
//! to run bindgen on: re-exported from the `libc` crate, whose CI checks them
//! against each system's real headers, under the names the Linux bindings use.
//!
//! Each system gets what it has and `libc` declares:
//! - **Both**: POSIX named semaphores (`sem_open`, `sem_wait`, `sem_trywait`,
//!   `sem_post`, `sem_close`, `sem_unlink`), POSIX shared memory, System V
//!   semaphores (no `semtimedop`) and shared memory, `ftok`.
//! - **macOS** has no `sem_timedwait`, `sem_getvalue` always fails (so neither
//!   is offered), no POSIX message queues, and no real-time signals. Its System
//!   V message queues exist, but `libc` declares neither `msgget` & co. nor
//!   `struct msqid_ds`, and this crate writes no struct layout by hand, so
//!   they are absent here.
//! - **FreeBSD** adds `sem_timedwait`, `sem_getvalue`, POSIX message queues
//!   (with `mq_getfd_np`, the descriptor to poll or kqueue) and System V
//!   message queues (no `MSG_EXCEPT`). `libc` lacks FreeBSD's `semctl` command
//!   numbers and `SEM_UNDO`, so those few integers are declared here, with
//!   the values of FreeBSD's `<sys/sem.h>` (the System V values, which macOS
//!   shares).

pub use libc::{
    IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, SHM_RDONLY, SHM_RND, ftok,
    ipc_perm, key_t, mode_t, sem_close, sem_open, sem_post, sem_t, sem_trywait, sem_unlink,
    sem_wait, sembuf, semget, semid_ds, semop, shm_unlink, shmat, shmctl, shmdt, shmget, shmid_ds,
};

#[cfg(target_os = "macos")]
pub use libc::{GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, SEM_UNDO, SETALL, SETVAL, SHMLBA};

#[cfg(target_os = "freebsd")]
pub use libc::{
    IPC_INFO, MSG_NOERROR, SHM_LOCK, SHM_UNLOCK, mq_attr, mq_close, mq_getattr, mq_getfd_np,
    mq_notify, mq_open, mq_receive, mq_send, mq_setattr, mq_timedreceive, mq_timedsend, mq_unlink,
    mqd_t, msgctl, msgget, msgrcv, msgsnd, msqid_ds, sem_getvalue, sem_timedwait, shm_open,
};

/// `shm_open(name, oflag, mode)`: macOS declares it variadic
/// (`int shm_open(const char *, int, ...)`), so this passes `mode` as the
/// `unsigned int` it is promoted to, giving every target the same signature.
///
/// # Safety
///
/// `name` must point to a NUL-terminated string.
#[cfg(target_os = "macos")]
#[cfg_attr(docsrs, doc(cfg(target_os = "macos")))]
#[inline]
pub unsafe fn shm_open(name: *const libc::c_char, oflag: libc::c_int, mode: mode_t) -> libc::c_int {
    // SAFETY: the caller passes a valid name; shm_open reads one variadic
    // `mode_t`, promoted to `unsigned int` as in a C call.
    unsafe { libc::shm_open(name, oflag, libc::c_uint::from(mode)) }
}

/// FreeBSD `<sys/sem.h>`: `semctl` returns `semncnt`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const GETNCNT: libc::c_int = 3;
/// FreeBSD `<sys/sem.h>`: `semctl` returns `sempid`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const GETPID: libc::c_int = 4;
/// FreeBSD `<sys/sem.h>`: `semctl` returns `semval`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const GETVAL: libc::c_int = 5;
/// FreeBSD `<sys/sem.h>`: `semctl` copies every value into `arg.array`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const GETALL: libc::c_int = 6;
/// FreeBSD `<sys/sem.h>`: `semctl` returns `semzcnt`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const GETZCNT: libc::c_int = 7;
/// FreeBSD `<sys/sem.h>`: `semctl` sets `semval` to `arg.val`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const SETVAL: libc::c_int = 8;
/// FreeBSD `<sys/sem.h>`: `semctl` sets every value from `arg.array`.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const SETALL: libc::c_int = 9;
/// FreeBSD `<sys/sem.h>`: undo the operation when the process exits.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const SEM_UNDO: libc::c_int = 0o10000;

/// FreeBSD `<sys/signal.h>`: the first real-time signal (`libc` declares
/// FreeBSD's `SIGRTMIN` nowhere).
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const SIGRTMIN: libc::c_int = 65;
/// FreeBSD `<sys/signal.h>`: the last real-time signal.
#[cfg(target_os = "freebsd")]
#[cfg_attr(docsrs, doc(cfg(target_os = "freebsd")))]
pub const SIGRTMAX: libc::c_int = 126;
