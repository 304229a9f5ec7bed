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
//! | `SEMVMX` | largest semaphore value (fixed by the kernel, not published) | [`semaphore_limits`]`()?.semvmx`, [`SEMAPHORE_VALUE_MAX`](crate::SEMAPHORE_VALUE_MAX) |
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

pub use crate::sem::{SemaphoreLimits, semaphore_limits};
pub use crate::shm::max_segment_size;

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

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use crate::msg::{MessageQueueLimits, message_queue_limits};
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use crate::shm::{SharedMemoryLimits, shared_memory_limits};

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

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
