//! Helpers shared by the test binaries (each primitive's support module
//! re-exports them): children that run as another user or must die of a
//! signal, descriptors and mappings of a file, a private `/dev/shm`.
#![allow(dead_code)]

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::process::Output;

/// The process umask, read without changing it (another thread's objects
/// would be created under a changed one).
pub(crate) fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("Umask:"))
        .expect("Umask: line");
    u32::from_str_radix(line.split_whitespace().nth(1).expect("a value"), 8).expect("octal")
}

/// Asserts that the porting predicates of `e` say what its kind says, and
/// nothing else: `is_permissions` only for `PermissionDenied` and
/// `ForeignOwner`, `is_signal` only for `Interrupted`, `is_existential`
/// only for `NotFound`, `AlreadyExists` and `Removed`, `is_busy` only for
/// `WouldBlock`, `TimedOut` and `Busy`, `is_invalid_input` only for
/// `InvalidInput`.
pub(crate) fn assert_error_groups(e: &posix_ipc::Error) {
    use posix_ipc::ErrorKind as K;
    let kind = e.kind();
    let expect = [
        (
            "is_permissions",
            e.is_permissions(),
            matches!(kind, K::PermissionDenied | K::ForeignOwner),
        ),
        ("is_signal", e.is_signal(), kind == K::Interrupted),
        (
            "is_existential",
            e.is_existential(),
            matches!(kind, K::NotFound | K::AlreadyExists | K::Removed),
        ),
        (
            "is_busy",
            e.is_busy(),
            matches!(kind, K::WouldBlock | K::TimedOut | K::Busy),
        ),
        (
            "is_invalid_input",
            e.is_invalid_input(),
            kind == K::InvalidInput,
        ),
    ];
    for (predicate, got, want) in expect {
        assert_eq!(got, want, "{predicate}() of a {kind:?} error: {e}");
    }
}

/// Says loudly that a test did not run, and why.
pub(crate) fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
}

/// Sets the umask (e.g. 0 so a child can create objects with mode 0o666).
pub(crate) fn set_umask(mask: u32) {
    // SAFETY: umask only sets the process mask.
    unsafe { libc::umask(mask) };
}

/// No core file for a child that is meant to die of a signal.
pub(crate) fn no_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `none` is a valid rlimit; this only lowers this process's limit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) }, 0);
}

/// Puts `signal` back to its default disposition in this (child) process.
pub(crate) fn default_disposition(signal: libc::c_int) {
    // SAFETY: SIG_DFL is always a valid disposition; no handler is installed.
    let old = unsafe { libc::signal(signal, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);
}

/// Asserts that a child process was killed by `signal`, showing its output
/// otherwise. Returns its stdout.
pub(crate) fn assert_killed_by(out: &Output, signal: libc::c_int) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.signal(),
        Some(signal),
        "expected the child to die of signal {signal}, got {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `(st_dev, st_ino)` of a file.
pub(crate) fn file_id(path: &str) -> (u64, u64) {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("stat {path}: {e}"));
    (meta.dev(), meta.ino())
}

/// How many of this process's descriptors refer to the file `id`.
pub(crate) fn descriptors_of(id: (u64, u64)) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .filter_map(|entry| std::fs::metadata(entry.ok()?.path()).ok())
        .filter(|meta| (meta.dev(), meta.ino()) == id)
        .count()
}

/// Whether this process maps the file `id` (by device and inode, as
/// `/proc/self/maps` shows them).
pub(crate) fn is_mapped(id: (u64, u64)) -> bool {
    let (dev, ino) = id;
    let dev = format!("{:02x}:{:02x}", libc::major(dev), libc::minor(dev));
    let ino = ino.to_string();
    let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
    maps.lines().any(|l| {
        let mut fields = l.split_whitespace().skip(3);
        fields.next() == Some(dev.as_str()) && fields.next() == Some(ino.as_str())
    })
}

/// Puts a fresh tmpfs of `size` (e.g. `"1m"`) over `/dev/shm` for this thread
/// only: a new mount namespace (`unshare(CLONE_NEWNS)`, which applies to the
/// calling thread), made private first so nothing propagates back to the
/// rest of the system. Everything created there disappears with the
/// namespace. `Err` says why it could not be done (not root, no namespaces).
pub(crate) fn private_dev_shm(size: &str) -> Result<(), String> {
    testkit::ns::unshare(libc::CLONE_NEWNS)?;
    testkit::ns::mount(
        "ipcrs-test",
        "/dev/shm",
        "tmpfs",
        libc::MS_NOSUID | libc::MS_NODEV,
        &format!("size={size},mode=1777"),
    )
    .map_err(|e| format!("mounting a tmpfs on /dev/shm: {e}"))
}

/// Makes the private `/dev/shm` of [`private_dev_shm`] read-only.
pub(crate) fn remount_dev_shm_read_only() {
    // Source and type are ignored by a remount.
    testkit::ns::mount(
        "",
        "/dev/shm",
        "",
        libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
        "",
    )
    .expect("remount /dev/shm read-only");
}

/// Removes a file or an empty directory when dropped (for tests that put
/// something other than an IPC object where one would be).
pub(crate) struct RemovePath(pub(crate) String);

impl Drop for RemovePath {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}
