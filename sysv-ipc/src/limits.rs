//! Limits of the running system, read at run time (the twin of
//! `posix_ipc::limits`).
//!
//! sysv_ipc fixes `PAGE_SIZE` and `SEMAPHORE_VALUE_MAX` when it is built and
//! cannot query the others; here every function asks the running kernel
//! (`/proc/sys/kernel/*`, `sysconf`) each time it is called, since an
//! administrator may change them at any moment (`sysctl`):
//!
//! | limit | what | here |
//! |---|---|---|
//! | `SEMMSL` | most semaphores in one set | [`semaphore_limits`]`()?.semmsl` |
//! | `SEMMNS` | most semaphores in all sets | [`semaphore_limits`]`()?.semmns` |
//! | `SEMOPM` | most operations in one batch | [`semaphore_limits`]`()?.semopm` |
//! | `SEMMNI` | most semaphore sets | [`semaphore_limits`]`()?.semmni` |
//! | `SEMVMX` | largest semaphore value (fixed by the kernel, not published) | [`semaphore_limits`]`()?.semvmx`, [`SEMAPHORE_VALUE_MAX`] |
//! | `MSGMAX` | largest message | [`message_queue_limits`]`()?.msgmax` |
//! | `MSGMNB` | bytes a new queue holds | [`message_queue_limits`]`()?.msgmnb` |
//! | `MSGMNI` | most queues | [`message_queue_limits`]`()?.msgmni` |
//! | `SHMMAX` | largest segment | [`shared_memory_limits`]`()?.shmmax`, [`max_segment_size`] |
//! | `SHMMNI` | most segments | [`shared_memory_limits`]`()?.shmmni` |
//! | `SHMALL` | pages of all segments | [`shared_memory_limits`]`()?.shmall` |
//! | `PAGE_SIZE` | a memory page | [`page_size`] |
//!
//! ```
//! use sysv_ipc::limits;
//! let sem = limits::semaphore_limits()?;
//! let msg = limits::message_queue_limits()?;
//! let shm = limits::shared_memory_limits()?;
//! println!(
//!     "sets of up to {} semaphores, messages of up to {} bytes, segments of up to {} bytes",
//!     sem.semmsl, msg.msgmax, shm.shmmax
//! );
//! assert!(limits::page_size().is_power_of_two());
//! # Ok::<(), sysv_ipc::Error>(())
//! ```

use ipc_common::Result;

use crate::SEMAPHORE_VALUE_MAX;

/// The size of a memory page (`sysconf(_SC_PAGESIZE)`), read from the running
/// system: the default size of a new segment (sysv_ipc's `PAGE_SIZE`, which it
/// fixes at build time).
///
/// ```
/// assert!(sysv_ipc::limits::page_size().is_power_of_two());
/// ```
pub fn page_size() -> usize {
    ipc_common::__private::page_size()
}

/// Reads `/proc/sys/kernel/<name>` as one number, for `op`.
#[cfg(not(target_vendor = "apple"))]
pub(crate) fn read_kernel_limit(op: &'static str, name: &str) -> Result<u64> {
    let [v] = ipc_common::__private::read_proc_numbers(op, &format!("/proc/sys/kernel/{name}"))?;
    Ok(v)
}

/// The System V semaphore limits of the running system, from
/// `/proc/sys/kernel/sem`, plus `SEMVMX`, which the kernel fixes at 32767 and
/// does not publish (so it is [`SEMAPHORE_VALUE_MAX`], not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SemaphoreLimits {
    /// `SEMMSL`: most semaphores in one set.
    pub semmsl: u32,
    /// `SEMMNS`: most semaphores in all sets together.
    pub semmns: u32,
    /// `SEMOPM`: most operations in one `semop` call (one batch).
    pub semopm: u32,
    /// `SEMMNI`: most semaphore sets.
    pub semmni: u32,
    /// `SEMVMX`: the largest value ([`SEMAPHORE_VALUE_MAX`]).
    pub semvmx: u16,
}

/// Reads the running system's semaphore limits (`/proc/sys/kernel/sem`: SEMMSL,
/// SEMMNS, SEMOPM, SEMMNI), so programs need not bake them in. Administrators
/// change them with `sysctl kernel.sem`.
pub fn semaphore_limits() -> Result<SemaphoreLimits> {
    let [semmsl, semmns, semopm, semmni] =
        ipc_common::__private::read_proc_numbers("semaphore_limits", "/proc/sys/kernel/sem")?;
    let narrow = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(SemaphoreLimits {
        semmsl: narrow(semmsl),
        semmns: narrow(semmns),
        semopm: narrow(semopm),
        semmni: narrow(semmni),
        semvmx: SEMAPHORE_VALUE_MAX,
    })
}

/// The largest segment this system lets a process create: `SHMMAX`
/// (`/proc/sys/kernel/shmmax`, read now, since an administrator may change it)
/// capped at `isize::MAX`, the most a Rust slice can span.
///
/// Sizes above it are refused with
/// [`InvalidInput`](crate::ErrorKind::InvalidInput) before any system call
/// (sysv_ipc wraps sizes modulo 2⁶⁴, so `size=2**64` created a page).
pub fn max_segment_size() -> usize {
    let cap = isize::MAX.unsigned_abs();
    #[cfg(target_os = "linux")]
    if let Ok(v) = read_kernel_limit("max_segment_size", "shmmax") {
        return usize::try_from(v).map_or(cap, |v| v.min(cap));
    }
    cap
}

/// The kernel's System V shared memory limits, as they are now
/// (`/proc/sys/kernel/shm*`; sysv_ipc cannot query them).
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedMemoryLimits {
    /// `kernel.shmmax`: the largest segment, in bytes (see
    /// [`max_segment_size`], which caps it at what a process can address).
    pub shmmax: u64,
    /// `kernel.shmmni`: the most segments the system (IPC namespace) may have.
    pub shmmni: u64,
    /// `kernel.shmall`: the most pages all segments together may use.
    pub shmall: u64,
}

/// Reads the current shared memory limits (see [`SharedMemoryLimits`]).
/// Change them with `sysctl kernel.shmmax=N` (root).
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub fn shared_memory_limits() -> Result<SharedMemoryLimits> {
    let read = |name| read_kernel_limit("shared_memory_limits", name);
    Ok(SharedMemoryLimits {
        shmmax: read("shmmax")?,
        shmmni: read("shmmni")?,
        shmall: read("shmall")?,
    })
}

/// The kernel's System V message-queue limits, as they are now
/// (`/proc/sys/kernel/msg*`; sysv_ipc cannot query them).
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageQueueLimits {
    /// `kernel.msgmax`: the largest message, in bytes (8192 by default); longer
    /// sends fail with `InvalidInput`.
    pub msgmax: u64,
    /// `kernel.msgmnb`: the [`max_size`](crate::MessageQueue::max_size) of new
    /// queues (16384 by default), and the most an unprivileged owner may raise
    /// it to.
    pub msgmnb: u64,
    /// `kernel.msgmni`: the most queues the system (IPC namespace) may have.
    pub msgmni: u64,
}

/// Reads the current message-queue limits (see [`MessageQueueLimits`]).
/// Change them with `sysctl kernel.msgmax=N` (root).
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub fn message_queue_limits() -> Result<MessageQueueLimits> {
    let read = |name| read_kernel_limit("message_queue_limits", name);
    Ok(MessageQueueLimits {
        msgmax: read("msgmax")?,
        msgmnb: read("msgmnb")?,
        msgmni: read("msgmni")?,
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn kernel_limits_are_read() {
        let l = message_queue_limits().unwrap();
        assert!(l.msgmax >= 1 && l.msgmnb >= 1 && l.msgmni >= 1);
        let e = read_kernel_limit("t", "no_such_limit").unwrap_err();
        assert_eq!(e.kind(), ipc_common::ErrorKind::Unsupported);
        assert!(e.message().contains("/proc/sys/kernel/no_such_limit"));
    }

    #[test]
    fn every_limit_matches_proc() {
        let read = |f: &str| -> u64 {
            std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        let shm = shared_memory_limits().unwrap();
        assert_eq!(
            (shm.shmmax, shm.shmmni, shm.shmall),
            (read("shmmax"), read("shmmni"), read("shmall"))
        );
        let msg = message_queue_limits().unwrap();
        assert_eq!(
            (msg.msgmax, msg.msgmnb, msg.msgmni),
            (read("msgmax"), read("msgmnb"), read("msgmni"))
        );
        let sem = semaphore_limits().unwrap();
        let raw = std::fs::read_to_string("/proc/sys/kernel/sem").unwrap();
        let fields: Vec<u64> = raw.split_whitespace().map(|v| v.parse().unwrap()).collect();
        assert_eq!(
            [sem.semmsl, sem.semmns, sem.semopm, sem.semmni].map(u64::from),
            [fields[0], fields[1], fields[2], fields[3]].map(|v| v.min(u64::from(u32::MAX)))
        );
        assert_eq!(sem.semvmx, crate::SEMAPHORE_VALUE_MAX);
        let cap = isize::MAX.unsigned_abs();
        assert_eq!(
            max_segment_size(),
            usize::try_from(shm.shmmax).map_or(cap, |v| v.min(cap))
        );
    }
}
