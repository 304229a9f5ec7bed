//! New namespaces and mounts, for tests that need a system of their own
//! (Linux, as root).

use std::ffi::CString;
use std::io;

/// Moves the calling thread into new namespaces (`flags`, `CLONE_NEW*`);
/// with a new mount namespace, makes every mount in it private first, so
/// that nothing mounted there reaches the rest of the system. (A new PID
/// namespace takes the caller's next child, not the caller.) `Err` says
/// why not: not root, or a sandbox without namespaces.
pub fn unshare(flags: libc::c_int) -> Result<(), String> {
    // SAFETY: unshare has no memory-safety preconditions.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(format!("unshare: {}", io::Error::last_os_error()));
    }
    if flags & libc::CLONE_NEWNS != 0 {
        // SAFETY: null pointers and a NUL-terminated literal, as mount(2)
        // allows for a propagation change.
        let rc = unsafe {
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(format!("making / private: {}", io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// Mounts `source` of type `fstype` on `target`, with `flags` (`MS_*`) and
/// `options` (as `mount -o`, or empty).
pub fn mount(
    source: &str,
    target: &str,
    fstype: &str,
    flags: libc::c_ulong,
    options: &str,
) -> io::Result<()> {
    let c = |s: &str| CString::new(s).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    let (source, target, fstype, options) = (c(source)?, c(target)?, c(fstype)?, c(options)?);
    // SAFETY: every string is NUL-terminated and outlives the call, which
    // only reads them.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            options.as_ptr().cast(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Detaches the file system mounted on `target` (`umount2`, `MNT_DETACH`):
/// the one mounted last, when several are.
pub fn unmount(target: &str) -> io::Result<()> {
    let target = CString::new(target).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `target` is NUL-terminated and outlives the call.
    if unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
