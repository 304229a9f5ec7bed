//! Randomness from the OS for unique names and keys, and the retry loop around it.

use crate::{Error, ErrorKind, Result};

/// How many fresh random candidates [`with_unique`] tries before giving up.
pub const UNIQUE_ATTEMPTS: u32 = 64;

/// A random `u64` from the operating system's random source (`getrandom(2)` on
/// Linux, `getentropy(3)` elsewhere).
///
/// Unlike a time-seeded `rand()` (which makes the Python packages hand the same
/// "random" names to processes started in the same second), two processes never
/// share a sequence.
///
/// ```
/// let a = ipc_common::__private::os_random_u64()?;
/// let b = ipc_common::__private::os_random_u64()?;
/// assert_ne!(a, b); // 2^-64 chance of a false failure
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn os_random_u64() -> Result<u64> {
    let mut bytes = [0u8; 8];
    fill(&mut bytes)?;
    Ok(u64::from_ne_bytes(bytes))
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn fill(buf: &mut [u8]) -> Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is a valid, writable buffer of `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        match crate::error::check("getrandom", n) {
            Ok(n) => done += n.unsigned_abs(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn fill(buf: &mut [u8]) -> Result<()> {
    // SAFETY: `buf` is valid and writable for its length (at most 256 bytes here).
    crate::error::check("getentropy", unsafe {
        libc::getentropy(buf.as_mut_ptr().cast(), buf.len())
    })?;
    Ok(())
}

/// Calls `attempt` with fresh OS-random numbers until it returns something other
/// than [`ErrorKind::AlreadyExists`], at most [`UNIQUE_ATTEMPTS`] times.
///
/// Both safe crates build their unique-name and unique-key constructors on it:
/// `attempt` turns the number into a name or key and creates the object
/// exclusively.
///
/// ```
/// use ipc_common::{Error, ErrorKind};
/// use ipc_common::__private::with_unique;
/// let mut tries = 0;
/// let n = with_unique("create", |r| {
///     tries += 1;
///     if tries < 3 {
///         Err(Error::new(ErrorKind::AlreadyExists, "create", "taken"))
///     } else {
///         Ok(r)
///     }
/// })?;
/// assert_eq!(tries, 3);
/// # let _ = n;
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn with_unique<T>(op: &'static str, mut attempt: impl FnMut(u64) -> Result<T>) -> Result<T> {
    for _ in 0..UNIQUE_ATTEMPTS {
        match attempt(os_random_u64()?) {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            other => return other,
        }
    }
    Err(Error::new(
        ErrorKind::LimitExceeded,
        op,
        format!(
            "{UNIQUE_ATTEMPTS} random candidates were all taken; the namespace is nearly full, \
             remove unused objects"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_differ() {
        let v: Vec<u64> = (0..16).map(|_| os_random_u64().unwrap()).collect();
        let mut d = v.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), v.len());
    }

    #[test]
    fn with_unique_passes_other_errors_through_and_gives_up() {
        let e = with_unique("t", |_| -> Result<()> {
            Err(Error::new(ErrorKind::PermissionDenied, "t", "no"))
        })
        .unwrap_err();
        assert!(e.is_permissions());
        let mut n = 0;
        let e = with_unique("t", |_| -> Result<()> {
            n += 1;
            Err(Error::new(ErrorKind::AlreadyExists, "t", "taken"))
        })
        .unwrap_err();
        assert_eq!(n, UNIQUE_ATTEMPTS);
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    }
}
