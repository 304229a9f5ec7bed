//! Shared helpers of the shared memory integration tests: segments under
//! testkit keys, removed by a guard even when a test fails.

#![allow(dead_code, unreachable_pub)]

use std::ops::{Deref, DerefMut};

use sysv_ipc::{ErrorKind, Key, SharedMemory, SharedMemoryOptions};

/// A test segment; removed by id when dropped (also on panic).
#[derive(Debug)]
pub struct Seg(pub SharedMemory);

impl Deref for Seg {
    type Target = SharedMemory;
    fn deref(&self) -> &SharedMemory {
        &self.0
    }
}

impl DerefMut for Seg {
    fn deref_mut(&mut self) -> &mut SharedMemory {
        &mut self.0
    }
}

impl Drop for Seg {
    fn drop(&mut self) {
        let _ = sysv_ipc::remove_shared_memory(self.0.id());
    }
}

/// A new segment made with `opts` + `create_new(true)` under a fresh testkit key.
pub fn new_segment(opts: &SharedMemoryOptions) -> Seg {
    let mut opts = opts.clone();
    opts.create_new(true);
    loop {
        match opts.open(testkit::unique_key()) {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            r => return Seg(r.expect("create a test segment")),
        }
    }
}

/// The fixture of sysv_ipc's memory tests: 3333 bytes filled with blanks.
pub fn fixture() -> Seg {
    new_segment(SharedMemory::options().size(3333).init_byte(b' '))
}

/// A testkit key that no segment has right now.
pub fn unused_key() -> Key {
    loop {
        let k = Key::new(testkit::unique_key());
        if matches!(SharedMemory::open(k), Err(e) if e.kind() == ErrorKind::NotFound) {
            return k;
        }
    }
}

/// Wraps a segment made by the code under test in the guard.
pub fn guard(r: sysv_ipc::Result<SharedMemory>) -> Seg {
    Seg(r.expect("open segment"))
}

/// The test pattern: not periodic at any small stride.
pub fn pattern(i: usize) -> u8 {
    (i % 251).to_le_bytes()[0] ^ (i >> 8).to_le_bytes()[0] ^ (i >> 16).to_le_bytes()[0]
}
