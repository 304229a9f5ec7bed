//! sysv_ipc's `tests/test_module.py` for what belongs to keys and semaphores:
//! constants, the error families, `ftok` and `remove_semaphore`. (`attach`,
//! `remove_shared_memory` and `remove_message_queue` are tested with their
//! primitives.)

use crate::support::{new_sem, unused_key};
use sysv_ipc::{
    ErrorKind, IPC_CREAT, IPC_CREX, IPC_EXCL, IPC_PRIVATE, Key, SEMAPHORE_TIMEOUT_SUPPORTED,
    SEMAPHORE_VALUE_MAX, Semaphore, Timeout, ftok,
};

#[test]
fn constant_values() {
    assert_eq!(IPC_CREX, IPC_CREAT | IPC_EXCL);
    assert_eq!((IPC_CREAT, IPC_EXCL, IPC_CREX), (0o1000, 0o2000, 0o3000));
    assert_eq!(IPC_PRIVATE, Key::PRIVATE);
    assert_eq!(IPC_PRIVATE.as_raw(), 0);
    // sysv_ipc's Linux wheels report False here and ignore timeouts.
    const { assert!(SEMAPHORE_TIMEOUT_SUPPORTED) };
    assert_eq!(SEMAPHORE_VALUE_MAX, 32767);
    // The run-time limits match what the kernel publishes.
    let text = std::fs::read_to_string("/proc/sys/kernel/sem").unwrap();
    let want: Vec<u32> = text
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    let l = sysv_ipc::limits::semaphore_limits().unwrap();
    assert_eq!(vec![l.semmsl, l.semmns, l.semopm, l.semmni], want);
    assert_eq!(l.semvmx, SEMAPHORE_VALUE_MAX);
}

#[test]
fn errors_fall_into_sysv_ipc_exception_families() {
    // sysv_ipc: ExistentialError, BusyError, PermissionsError, Error (signal)
    // all derive from sysv_ipc.Error; here they are kinds of one Error type,
    // checked on real failures.
    let (key, _k) = unused_key();
    let e = Semaphore::open(key).unwrap_err();
    assert!(e.is_existential() && e.kind() == ErrorKind::NotFound);
    let sem = new_sem(0);
    let e = Semaphore::create_new(sem.key(), 0).unwrap_err();
    assert!(e.is_existential() && e.kind() == ErrorKind::AlreadyExists);
    let e = sem.acquire(1, Timeout::Immediate).unwrap_err();
    assert!(e.is_busy() && !e.is_existential());
    let e = sem.release(0).unwrap_err();
    assert!(e.is_invalid_input());
    sem.remove().unwrap();
    let e = sem.value().unwrap_err();
    assert!(e.is_existential() && e.kind() == ErrorKind::Removed);
    // Every error converts to std::io::Error keeping its kind.
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    let io: std::io::Error = sysv_ipc::Error::from_errno("semop", libc::EPERM).into();
    assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(sysv_ipc::Error::from_errno("semop", libc::EINTR).is_signal());
}

#[test]
fn ftok_derives_a_stable_key_from_a_file() {
    // test_ftok / test_ftok_kwargs / test_ftok_return_value. There is no
    // warning to silence: the pitfalls are in ftok's documentation.
    let dir = std::env::temp_dir();
    let k = ftok(&dir, 42).unwrap();
    assert_eq!(k, ftok(&dir, 42).unwrap());
    assert_ne!(k, ftok(&dir, 43).unwrap());
    assert_eq!((k.as_raw() >> 24) & 0xff, 42);
    assert!(!k.is_private());
    // Only 8 bits of the project id count, which the type states (u8).
    assert_eq!((ftok(&dir, 200).unwrap().as_raw() >> 24) & 0xff, 200);
}

#[test]
fn ftok_raises_on_a_missing_path() {
    let e = ftok("/surely/not/a/path/ipcrs", 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
    assert!(ftok("/tmp", 0).unwrap_err().is_invalid_input());
}

#[test]
fn a_semaphore_under_an_ftok_key_is_found_again_through_ftok() {
    let file = std::env::temp_dir().join(format!("ipcrs-ftok-{}", std::process::id()));
    std::fs::write(&file, b"").unwrap();
    let _rm = RemoveFile(file.clone());
    let key = ftok(&file, 7).unwrap();
    let _sem = match Semaphore::create_new(key, 3) {
        Ok(s) => s,
        // Another object already uses this derived key (ftok collisions are
        // one of its documented pitfalls): nothing to test on this machine.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return,
        Err(e) => panic!("{e}"),
    }
    .remove_on_drop();
    assert_eq!(
        Semaphore::open(ftok(&file, 7).unwrap())
            .unwrap()
            .value()
            .unwrap(),
        3
    );
}

struct RemoveFile(std::path::PathBuf);

impl Drop for RemoveFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn remove_semaphore_by_id() {
    let sem = new_sem(0);
    sysv_ipc::remove_semaphore(sem.id()).unwrap();
    let e = Semaphore::open(sem.key()).unwrap_err();
    assert!(e.is_existential());
    assert_eq!(e.kind(), ErrorKind::NotFound);
    for id in [sem.id(), -1, i32::MAX] {
        let e = sysv_ipc::remove_semaphore(id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert!(e.message().contains(&id.to_string()), "{e}");
    }
}
