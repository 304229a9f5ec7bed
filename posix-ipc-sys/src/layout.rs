//! The generated declarations must match `libc`'s wherever both define an
//! item: two independent readings of the same C headers (bindgen's of ours,
//! the `libc` crate's maintainers' of theirs, checked by its CI). These run on
//! every Linux target `cargo xtask test` runs (x86_64 glibc and musl, i686,
//! aarch64 under emulation).
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

/// The size of a field's type, from a projection closure.
fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// Same offset and same size for each named field (named alike on both
/// sides, or `ours => theirs`).
macro_rules! same_fields {
    ($ours:ty, $theirs:ty, [$($field:ident),* $(,)?]) => {
        $( same_fields!(@one $ours, $theirs, $field => $field); )*
    };
    (@one $ours:ty, $theirs:ty, $a:ident => $b:ident) => {
        assert_eq!(
            offset_of!($ours, $a),
            offset_of!($theirs, $b),
            "offset of {}.{}",
            stringify!($ours),
            stringify!($a)
        );
        assert_eq!(
            field_size(|s: &$ours| &s.$a),
            field_size(|s: &$theirs| &s.$b),
            "size of {}.{}",
            stringify!($ours),
            stringify!($a)
        );
    };
}

#[test]
fn structs_match_libc() {
    same_layout!(crate::mq_attr, libc::mq_attr);
    same_layout!(crate::ipc_perm, libc::ipc_perm);
    same_layout!(crate::sembuf, libc::sembuf);
    #[cfg(target_env = "gnu")] // the `libc` crate has no musl `semid_ds`
    same_layout!(crate::semid_ds, libc::semid_ds);
    same_layout!(crate::shmid_ds, libc::shmid_ds);
    same_layout!(crate::msqid_ds, libc::msqid_ds);
    same_layout!(crate::sem_t, libc::sem_t);
    same_layout!(crate::key_t, libc::key_t);
    same_layout!(crate::mqd_t, libc::mqd_t);
    same_layout!(crate::mode_t, libc::mode_t);
}

#[test]
fn fields_match_libc() {
    same_fields!(
        crate::mq_attr,
        libc::mq_attr,
        [mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs]
    );
    same_fields!(crate::sembuf, libc::sembuf, [sem_num, sem_op, sem_flg]);
    // `mode`: glibc declares a `mode_t` (4 bytes) where `libc` has a
    // `c_ushort` and a padding `c_ushort`; only the offset can agree.
    same_fields!(crate::ipc_perm, libc::ipc_perm, [uid, gid, cuid, cgid]);
    assert_eq!(
        offset_of!(crate::ipc_perm, mode),
        offset_of!(libc::ipc_perm, mode)
    );
    #[cfg(target_env = "gnu")]
    same_fields!(
        crate::semid_ds,
        libc::semid_ds,
        [sem_perm, sem_otime, sem_ctime, sem_nsems]
    );
    same_fields!(
        crate::shmid_ds,
        libc::shmid_ds,
        [
            shm_perm, shm_segsz, shm_atime, shm_dtime, shm_ctime, shm_cpid, shm_lpid, shm_nattch
        ]
    );
    same_fields!(
        crate::msqid_ds,
        libc::msqid_ds,
        [
            msg_perm,
            msg_stime,
            msg_rtime,
            msg_ctime,
            __msg_cbytes,
            msg_qnum,
            msg_qbytes,
            msg_lspid,
            msg_lrpid
        ]
    );
}

#[cfg(target_env = "gnu")]
#[test]
fn glibc_only_fields_match_libc() {
    same_fields!(crate::ipc_perm, libc::ipc_perm, [__key, __seq]);
}

#[test]
fn constants_match_libc() {
    assert_eq!(crate::IPC_CREAT, libc::IPC_CREAT);
    assert_eq!(crate::IPC_EXCL, libc::IPC_EXCL);
    assert_eq!(crate::IPC_NOWAIT, libc::IPC_NOWAIT);
    assert_eq!(crate::IPC_RMID, libc::IPC_RMID);
    assert_eq!(crate::IPC_STAT, libc::IPC_STAT);
    assert_eq!(crate::IPC_SET, libc::IPC_SET);
    assert_eq!(crate::IPC_INFO, libc::IPC_INFO);
    assert_eq!(crate::IPC_PRIVATE, libc::IPC_PRIVATE);
    assert_eq!(crate::SEM_UNDO, libc::SEM_UNDO);
    assert_eq!(crate::GETPID, libc::GETPID);
    assert_eq!(crate::GETVAL, libc::GETVAL);
    assert_eq!(crate::GETALL, libc::GETALL);
    assert_eq!(crate::GETNCNT, libc::GETNCNT);
    assert_eq!(crate::GETZCNT, libc::GETZCNT);
    assert_eq!(crate::SETVAL, libc::SETVAL);
    assert_eq!(crate::SETALL, libc::SETALL);
    assert_eq!(crate::SEM_STAT, libc::SEM_STAT);
    assert_eq!(crate::SEM_INFO, libc::SEM_INFO);
    assert_eq!(crate::SHM_RDONLY, libc::SHM_RDONLY);
    assert_eq!(crate::SHM_RND, libc::SHM_RND);
    assert_eq!(crate::SHM_REMAP, libc::SHM_REMAP);
    assert_eq!(crate::SHM_EXEC, libc::SHM_EXEC);
    assert_eq!(crate::SHM_LOCK, libc::SHM_LOCK);
    assert_eq!(crate::SHM_UNLOCK, libc::SHM_UNLOCK);
    assert_eq!(crate::SHM_HUGETLB, libc::SHM_HUGETLB);
    assert_eq!(crate::SHM_NORESERVE, libc::SHM_NORESERVE);
    assert_eq!(crate::MSG_NOERROR, libc::MSG_NOERROR);
    assert_eq!(crate::MSG_EXCEPT, libc::MSG_EXCEPT);
    assert_eq!(crate::MSG_STAT, libc::MSG_STAT);
    assert_eq!(crate::MSG_INFO, libc::MSG_INFO);
}

#[cfg(target_env = "gnu")]
#[test]
fn glibc_only_constants_match_libc() {
    assert_eq!(crate::MSG_COPY, libc::MSG_COPY);
}

#[test]
fn macro_replacements_match_libc() {
    assert_eq!(crate::SEM_FAILED, libc::SEM_FAILED.cast());
    // SAFETY: no preconditions (the functions are `unsafe` for old callers only).
    unsafe {
        assert_eq!(crate::sem_failed(), crate::SEM_FAILED);
        assert_eq!(crate::sigrtmin(), libc::SIGRTMIN());
        assert_eq!(crate::sigrtmax(), libc::SIGRTMAX());
    }
}
