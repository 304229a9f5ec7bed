//! The flag constants of posix_ipc (for line-by-line ports) and the one place
//! that turns them into open options.

use ipc_common::__private::options::{FlagBits, OpenOptions};
use ipc_common::{Error, ErrorKind, Mode, Result};

use crate::name::Name;

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

impl Creation {
    /// `O_CREAT | O_EXCL`: create, never open.
    pub(crate) const EXCLUSIVE: Creation = Creation {
        create: true,
        exclusive: true,
    };
    /// Neither flag: open an existing object only.
    pub(crate) const OPEN: Creation = Creation {
        create: false,
        exclusive: false,
    };
}

/// The one way every primitive opens: `attempt` makes one open call with the
/// creation flags it is given ([`Creation::EXCLUSIVE`] or [`Creation::OPEN`]),
/// and this returns its result and whether that call created the object.
///
/// `O_CREAT` without `O_EXCL` would not tell; so an open-or-create is done as
/// an exclusive create first, then, on `AlreadyExists`, a plain open, and
/// again if the object vanished in between (`NotFound`), at most
/// [`UNIQUE_ATTEMPTS`](ipc_common::__private::UNIQUE_ATTEMPTS) times. An exclusive
/// create only creates; a plain open only opens.
pub(crate) fn create_or_open<T>(
    what: &str,
    name: &Name,
    creation: Creation,
    mut attempt: impl FnMut(Creation) -> Result<T>,
) -> Result<(T, bool)> {
    if !creation.create {
        return attempt(Creation::OPEN).map(|t| (t, false));
    }
    if creation.exclusive {
        return attempt(Creation::EXCLUSIVE).map(|t| (t, true));
    }
    for _ in 0..ipc_common::__private::UNIQUE_ATTEMPTS {
        match attempt(Creation::EXCLUSIVE) {
            Ok(t) => return Ok((t, true)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) if creating_refused(&e) => {
                // No right to create here (a directory this user cannot
                // write, a read-only file system), or glibc's temporary file
                // for a new semaphore was refused: the object may exist all
                // the same, and O_CREAT alone would open it.
                return match attempt(Creation::OPEN) {
                    Ok(t) => Ok((t, false)),
                    Err(open) if open.kind() == ErrorKind::NotFound => Err(e),
                    Err(open) => Err(open),
                };
            }
            Err(e) => return Err(e),
        }
        match attempt(Creation::OPEN) {
            Ok(t) => return Ok((t, false)),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(
        ErrorKind::Busy,
        "create_or_open",
        format!(
            "the {what} {name:?} was removed and created again by other processes {} times \
             while this call tried to open it; try again",
            ipc_common::__private::UNIQUE_ATTEMPTS
        ),
    ))
}

/// Whether an exclusive create failed because creating is not allowed there,
/// rather than because of the object: `EACCES`, `EPERM` or `EROFS`, all
/// [`PermissionDenied`](ErrorKind::PermissionDenied).
fn creating_refused(e: &Error) -> bool {
    e.kind() == ErrorKind::PermissionDenied
}

/// Checks the permission bits given for a POSIX `what` (a new object's mode, or
/// `set_mode`): only the nine `rwxrwxrwx` bits mean anything for these objects.
/// The setuid, setgid and sticky bits (`0o7000`) would only be copied onto the
/// object's file in `/dev/shm` or the mqueue file system, so they are refused
/// like any higher bit.
pub(crate) fn object_mode(mode: u32, what: &str) -> Result<Mode> {
    ipc_common::__private::options::check_mode(mode, what)
}

/// What `flags()` accepts for a POSIX `what`: `O_CREAT`, `O_EXCL` (with
/// `O_CREAT`) and the type's `extra` bits.
pub(crate) const fn flag_bits(extra: i32, what: &'static str) -> FlagBits {
    FlagBits {
        create: O_CREAT,
        exclusive: O_EXCL,
        extra,
        names: ["O_CREAT", "O_EXCL", "O_CREX"],
        what,
        hint: "",
    }
}

/// The creation part of the options core: what `open` does about an object
/// that does (not) exist.
pub(crate) fn creation(options: &OpenOptions) -> Creation {
    let (create, exclusive) = options.creation();
    Creation { create, exclusive }
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
    fn create_or_open_reports_who_created_and_gives_up_on_churn() {
        let name = Name::new("/x").unwrap();
        let create = Creation {
            create: true,
            exclusive: false,
        };
        let exists = || Err(Error::from_errno("open", libc::EEXIST));
        let gone = || Err(Error::from_errno("open", libc::ENOENT));
        // Open only, exclusive only, and open-or-create that creates.
        let mut calls = Vec::new();
        let got = create_or_open("thing", &name, Creation::OPEN, |c| {
            calls.push(c);
            Ok(1)
        });
        assert_eq!((got.unwrap(), calls), ((1, false), vec![Creation::OPEN]));
        let got = create_or_open("thing", &name, Creation::EXCLUSIVE, |_| exists());
        assert_eq!(got.unwrap_err().kind(), ErrorKind::AlreadyExists);
        let got = create_or_open("thing", &name, create, |c| {
            assert_eq!(c, Creation::EXCLUSIVE);
            Ok(2)
        });
        assert_eq!(got.unwrap(), (2, true));
        // It exists: opened, not created.
        let got = create_or_open("thing", &name, create, |c| {
            if c.exclusive { exists() } else { Ok(3) }
        });
        assert_eq!(got.unwrap(), (3, false));
        // Created and removed by others, over and over: Busy, not a hang.
        let mut n = 0;
        let e = create_or_open("thing", &name, create, |c| {
            n += 1;
            if c.exclusive { exists() } else { gone() }
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Busy);
        assert!(e.message().contains("thing \"/x\""), "{e}");
        assert_eq!(n, 2 * ipc_common::__private::UNIQUE_ATTEMPTS);
        // Other errors end the loop at once.
        let e = create_or_open("thing", &name, create, |_| {
            Err::<(), _>(Error::from_errno("open", libc::ENOSPC))
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        // Not allowed to create: an existing object is opened all the same;
        // a missing one reports why it could not be created.
        for refused in [libc::EACCES, libc::EROFS] {
            let got = create_or_open("thing", &name, create, |c| {
                if c.exclusive {
                    Err(Error::from_errno("open", refused))
                } else {
                    Ok(4)
                }
            });
            assert_eq!(got.unwrap(), (4, false));
            let e = create_or_open("thing", &name, create, |c| {
                if c.exclusive {
                    Err::<(), _>(Error::from_errno("open", refused))
                } else {
                    Err(Error::from_errno("open", libc::ENOENT))
                }
            })
            .unwrap_err();
            assert_eq!(e.raw_os_error(), Some(refused));
        }
    }

    #[test]
    fn modes_above_0o777_are_refused() {
        assert_eq!(object_mode(0o777, "semaphore").unwrap().bits(), 0o777);
        assert_eq!(object_mode(0, "semaphore").unwrap().bits(), 0);
        for bad in [0o1000, 0o2600, 0o4600, 0o7777, 0o10000, u32::MAX] {
            let e = object_mode(bad, "message queue").unwrap_err();
            assert!(e.is_invalid_input(), "{e}");
            assert!(e.message().contains(&format!("0o{bad:o}")), "{e}");
            assert!(e.message().contains("above 0o777"), "{e}");
            assert!(e.message().contains("message queue"), "{e}");
        }
    }

    #[test]
    fn flags_fill_the_options_core() {
        let bits = flag_bits(O_TRUNC, "shared memory object");
        let mut o = OpenOptions::new();
        assert_eq!(o.flags(O_CREX | O_TRUNC, &bits), Some(O_TRUNC));
        assert_eq!(creation(&o), Creation::EXCLUSIVE);
        assert_eq!(creation(&o).oflag(), O_CREX);
        assert_eq!(o.flags(O_EXCL, &bits), None);
        assert!(o.check().unwrap_err().message().contains("O_CREAT"));
        assert_eq!(o.flags(-1, &bits), None);
        let e = o.check().unwrap_err();
        assert!(
            e.message().contains("shared memory object does not accept"),
            "{e}"
        );
        assert_eq!(o.flags(0, &bits), Some(0));
        assert_eq!(creation(&o), Creation::OPEN);
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
