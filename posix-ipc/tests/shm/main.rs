//! Integration tests of POSIX shared memory: every posix_ipc memory test
//! translated (`posix_ipc_suite`), real second processes (`processes`), and
//! every bad input (`errors`).

mod api;
mod errors;
mod populate;
mod posix_ipc_suite;
mod processes;
#[path = "../support/mod.rs"]
mod support;

use posix_ipc::{Name, SharedMemory, unlink_shared_memory};

/// Unlinks `name` when dropped (also when the test fails), ignoring "already
/// unlinked".
#[derive(Debug)]
pub struct Cleanup(pub Name);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = unlink_shared_memory(&self.0);
    }
}

/// A fresh test name (`/ipcrs-shm-…`) and the guard that unlinks it.
pub fn fresh_name() -> (Name, Cleanup) {
    let name = Name::new(testkit::unique_name("shm")).expect("valid test name");
    (name.clone(), Cleanup(name))
}

/// Creates a new object of `size` bytes under a fresh test name.
pub fn fresh(size: usize) -> (SharedMemory, Cleanup) {
    let (name, guard) = fresh_name();
    let shm = SharedMemory::create_new(&name, size).expect("create test object");
    (shm, guard)
}

/// Byte `i` of the test pattern `seed`.
pub fn pattern(seed: u8, i: usize) -> u8 {
    u8::try_from(i % 251).expect("below 251") ^ seed.wrapping_mul(37)
}

/// `len` bytes of the test pattern `seed`.
pub fn pattern_vec(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| pattern(seed, i)).collect()
}

/// The page size.
pub fn page() -> usize {
    posix_ipc::limits::page_size()
}
