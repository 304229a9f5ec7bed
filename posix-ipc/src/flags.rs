//! The flag constants of posix_ipc (for line-by-line ports) and the one place
//! that turns them into open options.

use ipc_common::{Error, Result};

/// Create the object if it does not exist (`O_CREAT`).
pub const O_CREAT: i32 = libc::O_CREAT;
/// With [`O_CREAT`]: fail with `AlreadyExists` if the object exists (`O_EXCL`).
pub const O_EXCL: i32 = libc::O_EXCL;
/// `O_CREAT | O_EXCL`: create a new object, never open an existing one.
pub const O_CREX: i32 = O_CREAT | O_EXCL;
/// Shared memory only: truncate an existing object to zero length (`O_TRUNC`).
pub const O_TRUNC: i32 = libc::O_TRUNC;
/// Message queues only: open for receiving only.
pub const O_RDONLY: i32 = libc::O_RDONLY;
/// Message queues only: open for sending only.
pub const O_WRONLY: i32 = libc::O_WRONLY;
/// Message queues only: open for sending and receiving.
pub const O_RDWR: i32 = libc::O_RDWR;
/// Message queues only: calls fail with `WouldBlock` instead of waiting.
pub const O_NONBLOCK: i32 = libc::O_NONBLOCK;

/// What an open call does about an object that does (not) exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Creation {
    /// `O_CREAT`.
    pub(crate) create: bool,
    /// `O_EXCL` (only meaningful with `create`).
    pub(crate) exclusive: bool,
}

impl Creation {
    /// The `O_CREAT`/`O_EXCL` bits.
    pub(crate) fn oflag(self) -> libc::c_int {
        let mut f = 0;
        if self.create {
            f |= O_CREAT;
            if self.exclusive {
                f |= O_EXCL;
            }
        }
        f
    }
}

/// Splits posix_ipc-style `flags` into the creation part and the remaining
/// bits, checking them before any system call: `O_EXCL` needs `O_CREAT`, and
/// only bits in `allowed` (besides `O_CREAT | O_EXCL`) may be set.
pub(crate) fn parse(flags: i32, allowed: i32, what: &str) -> Result<(Creation, i32)> {
    if flags & O_EXCL != 0 && flags & O_CREAT == 0 {
        return Err(Error::invalid_input(
            "flags",
            "O_EXCL must be combined with O_CREAT (use O_CREX)",
        ));
    }
    let unknown = flags & !(O_CREX | allowed);
    if unknown != 0 {
        return Err(Error::invalid_input(
            "flags",
            format!("flags 0x{flags:x} contain bits 0x{unknown:x} that a {what} does not accept"),
        ));
    }
    let creation = Creation {
        create: flags & O_CREAT != 0,
        exclusive: flags & O_EXCL != 0,
    };
    Ok((creation, flags & allowed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_values() {
        assert_eq!((O_CREAT, O_EXCL, O_CREX, O_TRUNC), (64, 128, 192, 512));
        assert_eq!((O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK), (0, 1, 2, 2048));
    }

    #[test]
    fn parse_checks_before_any_call() {
        let (c, rest) = parse(O_CREX | O_TRUNC, O_TRUNC, "shared memory object").unwrap();
        assert_eq!(
            c,
            Creation {
                create: true,
                exclusive: true
            }
        );
        assert_eq!(rest, O_TRUNC);
        assert_eq!(c.oflag(), O_CREX);
        assert!(
            parse(O_EXCL, 0, "semaphore")
                .unwrap_err()
                .message()
                .contains("O_CREAT")
        );
        let e = parse(-1, 0, "semaphore").unwrap_err();
        assert!(e.message().contains("semaphore does not accept"), "{e}");
        assert_eq!(parse(0, 0, "semaphore").unwrap().0, Creation::default());
        assert_eq!(
            Creation {
                create: false,
                exclusive: true
            }
            .oflag(),
            0
        );
    }
}
