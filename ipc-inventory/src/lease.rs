//! The kernel's own answer to "does any process have this file open or
//! mapped?": a write lease (`F_SETLEASE`, `F_WRLCK`), which the kernel grants
//! only while the caller's open file is the only one of the inode, in any
//! process or namespace (a mapping holds an open file, and so does a
//! descriptor in flight in a Unix socket).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// The outcome of asking for a write lease.
#[derive(Debug)]
pub(crate) enum Lease {
    /// Granted: nobody else has the file open or mapped. While it is held,
    /// another process's `open` of the file waits (or fails with `EAGAIN`
    /// under `O_NONBLOCK`) until it is released on drop.
    Held(HeldLease),
    /// Refused with `EAGAIN`: another open file of the inode exists.
    Refused,
    /// Not asked: the file is gone or replaced, this user neither owns it
    /// nor has `CAP_LEASE`, or the filesystem has no leases.
    Unavailable,
}

/// A granted write lease, released on drop: closing the only open file of
/// a lease releases it.
#[derive(Debug)]
pub(crate) struct HeldLease {
    _file: File,
}

/// Asks for a write lease on the file at `path`, if it still is the inode
/// (`dev`, `ino`). A lease break (someone opening the file while the lease
/// is held) is signalled with `SIGURG`, whose default action is to ignore
/// it, instead of the default `SIGIO`, which would terminate this process.
pub(crate) fn try_lease(path: &Path, dev: u64, ino: u64) -> Lease {
    let Ok(file) = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
    else {
        return Lease::Unavailable;
    };
    match file.metadata() {
        Ok(meta) if (meta.dev(), meta.ino()) == (dev, ino) => {}
        _ => return Lease::Unavailable,
    }
    let fd = file.as_raw_fd();
    /// `F_SETSIG` (10 in asm-generic/fcntl.h, which x86 and arm use; not in
    /// the `libc` crate).
    const F_SETSIG: libc::c_int = 10;
    // SAFETY: F_SETSIG takes an int signal number; fd is open.
    if unsafe { libc::fcntl(fd, F_SETSIG, libc::SIGURG) } == -1 {
        return Lease::Unavailable;
    }
    // Another scanner's probe holds the file open for a few microseconds;
    // a real holder keeps it open across the retries.
    for attempt in 0..LEASE_ATTEMPTS {
        // SAFETY: F_SETLEASE takes an int lease type; fd is open.
        if unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_WRLCK) } == 0 {
            return Lease::Held(HeldLease { _file: file });
        }
        if ipc_common::__private::errno() != libc::EAGAIN {
            return Lease::Unavailable;
        }
        if attempt + 1 < LEASE_ATTEMPTS {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
    Lease::Refused
}

/// How many times a refused lease is asked for again.
const LEASE_ATTEMPTS: u32 = 3;

/// `Some(true)` when another process (or this one, elsewhere) has the file
/// open or mapped, `Some(false)` when nobody has, `None` when the kernel
/// could not be asked.
pub(crate) fn opened_elsewhere(path: &Path, dev: u64, ino: u64) -> Option<bool> {
    match try_lease(path, dev, ino) {
        Lease::Held(_) => Some(false),
        Lease::Refused => Some(true),
        Lease::Unavailable => None,
    }
}
