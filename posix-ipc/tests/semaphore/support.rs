//! Helpers of the semaphore tests: the test name, test semaphores in the
//! library's `UnlinkOnDrop`, and the semaphore's file in `/dev/shm`.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
pub(crate) use common::*;

use posix_ipc::{ErrorKind, Name, O_CREX, Semaphore, SemaphoreOptions, UnlinkOnDrop};

/// A semaphore that is unlinked when the test ends.
pub(crate) type Sem = UnlinkOnDrop<Semaphore>;

/// A fresh test name (`/ipcrs-sem-…`); nothing is created. A test that
/// creates a semaphore under it wraps the handle with `unlink_on_drop()`.
pub(crate) fn fresh_name() -> String {
    testkit::unique_name("sem")
}

/// Creates a new semaphore with `options` under a fresh test name
/// (exclusively, drawing another name if one is taken).
pub(crate) fn create(options: &SemaphoreOptions) -> Sem {
    let mut options = options.clone();
    options.create_new(true);
    testkit::create_with_retry(
        "sem",
        |name| options.open(name),
        |e| e.kind() == ErrorKind::AlreadyExists,
    )
    .unlink_on_drop()
}

/// posix_ipc's fixture: a new semaphore with value 1 (`Semaphore(None, O_CREX,
/// initial_value=1)`), under a test name.
pub(crate) fn fixture() -> Sem {
    create(Semaphore::options().flags(O_CREX).initial_value(1))
}

/// The semaphore's file: `/dev/shm/sem.<name>` for glibc, `/dev/shm/<name>`
/// for musl.
pub(crate) fn backing_file(name: &Name) -> String {
    let prefix = if cfg!(target_env = "musl") {
        "/dev/shm/"
    } else {
        "/dev/shm/sem."
    };
    format!("{prefix}{}", &name.to_str().unwrap()[1..])
}

/// The (device, inode) of the semaphore's file, for [`is_mapped`]: by
/// inode, since glibc creates a semaphore under a temporary name and maps
/// that file before linking it to its real name.
pub(crate) fn sem_file_id(name: &Name) -> (u64, u64) {
    file_id(&backing_file(name))
}

/// Whether the semaphore's file exists.
pub(crate) fn exists(name: &Name) -> bool {
    std::path::Path::new(&backing_file(name)).exists()
}
