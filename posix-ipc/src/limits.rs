//! Limits of the running system, read at run time.
//!
//! posix_ipc bakes these into its binary at build time, so a wheel carries the
//! build machine's values (its issue #78); here every function asks the running
//! system each time it is called (or once, for values that cannot change while a
//! process runs).

use std::sync::OnceLock;

use ipc_common::__private::sysconf;
#[cfg(target_os = "linux")]
use ipc_common::Result;

/// The largest value a POSIX semaphore can hold (`SEM_VALUE_MAX`, from
/// `sysconf(_SC_SEM_VALUE_MAX)`; 2147483647 on Linux).
///
/// [`Semaphore::release`](crate::Semaphore::release) at this value fails with
/// [`LimitExceeded`](ipc_common::ErrorKind::LimitExceeded).
///
/// ```
/// assert!(posix_ipc::limits::semaphore_value_max() >= 32767); // POSIX minimum
/// ```
pub fn semaphore_value_max() -> u32 {
    static V: OnceLock<u32> = OnceLock::new();
    *V.get_or_init(|| {
        sysconf("sysconf", libc::_SC_SEM_VALUE_MAX)
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(i32::MAX.unsigned_abs())
    })
}

/// The size of a memory page in bytes (`sysconf(_SC_PAGESIZE)`); shared memory
/// is allocated and mapped in whole pages.
///
/// ```
/// assert!(posix_ipc::limits::page_size().is_power_of_two());
/// ```
pub fn page_size() -> usize {
    ipc_common::__private::page_size()
}

/// `MQ_PRIO_MAX` (`sysconf(_SC_MQ_PRIO_MAX)`, 32768 on Linux): message
/// priorities run from 0 to `MQ_PRIO_MAX - 1`.
///
/// ```
/// assert_eq!(posix_ipc::limits::message_priority_max(), posix_ipc::limits::mq_prio_max() - 1);
/// ```
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "freebsd"))))]
pub fn mq_prio_max() -> u32 {
    static V: OnceLock<u32> = OnceLock::new();
    *V.get_or_init(|| {
        sysconf("sysconf", libc::_SC_MQ_PRIO_MAX)
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v > 0)
            .unwrap_or(32)
    })
}

/// The highest priority a message may have: `MQ_PRIO_MAX - 1` (Python's
/// `QUEUE_PRIORITY_MAX`, 32767 on Linux).
///
/// ```
/// assert!(posix_ipc::limits::message_priority_max() >= 31); // POSIX minimum
/// ```
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "freebsd"))))]
pub fn message_priority_max() -> u32 {
    mq_prio_max() - 1
}

/// The smallest signal number free for applications (`SIGRTMIN`; Python's
/// `USER_SIGNAL_MIN`), e.g. for queue notifications by signal.
///
/// ```
/// let (lo, hi) = (posix_ipc::limits::user_signal_min(), posix_ipc::limits::user_signal_max());
/// assert!(lo > 31 && lo < hi);
/// ```
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub fn user_signal_min() -> i32 {
    // SAFETY: the shim function only returns the SIGRTMIN macro's value.
    unsafe { posix_ipc_sys::sigrtmin() }
}

/// The largest real-time signal number (`SIGRTMAX`; Python's `USER_SIGNAL_MAX`).
///
/// ```
/// assert!(posix_ipc::limits::user_signal_max() >= 32);
/// ```
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub fn user_signal_max() -> i32 {
    // SAFETY: the shim function only returns the SIGRTMAX macro's value.
    unsafe { posix_ipc_sys::sigrtmax() }
}

/// The Linux message-queue limits in `/proc/sys/fs/mqueue/`, as they are now.
///
/// An unprivileged process cannot create a queue with more than `msg_max`
/// messages or messages larger than `msgsize_max` (`EINVAL`); root can (up to
/// `HARD_MSGMAX`). A queue created without attributes gets `msg_default` ×
/// `msgsize_default`. Change them with `sysctl fs.mqueue.msg_max=N` (root).
///
/// ```
/// let l = posix_ipc::limits::message_queue_limits()?;
/// assert!(l.msg_default <= l.msg_max);
/// assert!(l.msgsize_default <= l.msgsize_max);
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageQueueLimits {
    /// `/proc/sys/fs/mqueue/msg_max`: most messages an unprivileged creator may ask for.
    pub msg_max: u64,
    /// `/proc/sys/fs/mqueue/msgsize_max`: largest message size an unprivileged creator may ask for.
    pub msgsize_max: u64,
    /// `/proc/sys/fs/mqueue/msg_default`: capacity of a queue created without attributes.
    pub msg_default: u64,
    /// `/proc/sys/fs/mqueue/msgsize_default`: message size of a queue created without attributes.
    pub msgsize_default: u64,
    /// `/proc/sys/fs/mqueue/queues_max`: most queues on the system.
    pub queues_max: u64,
}

/// Where the message-queue limits live.
#[cfg(target_os = "linux")]
pub(crate) const MQUEUE_PROC_DIR: &str = "/proc/sys/fs/mqueue";

#[cfg(target_os = "linux")]
pub(crate) fn read_proc_u64(file: &str) -> Result<u64> {
    let [v] = ipc_common::__private::read_proc_numbers(
        "message_queue_limits",
        &format!("{MQUEUE_PROC_DIR}/{file}"),
    )?;
    Ok(v)
}

/// Reads the current message-queue limits (see [`MessageQueueLimits`]).
///
/// ```
/// let l = posix_ipc::limits::message_queue_limits()?;
/// println!("a queue may hold up to {} messages of up to {} bytes", l.msg_max, l.msgsize_max);
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub fn message_queue_limits() -> Result<MessageQueueLimits> {
    Ok(MessageQueueLimits {
        msg_max: read_proc_u64("msg_max")?,
        msgsize_max: read_proc_u64("msgsize_max")?,
        msg_default: read_proc_u64("msg_default")?,
        msgsize_default: read_proc_u64("msgsize_default")?,
        queues_max: read_proc_u64("queues_max")?,
    })
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use ipc_common::__private::ResourceLimit;

/// `RLIMIT_MSGQUEUE`: the bytes of message-queue memory this user may have
/// allocated across all queues (each queue counts roughly
/// `max_messages × (max_message_size + overhead)`). `mq_open` fails with
/// `EMFILE` when a new queue would exceed it (posix_ipc issue #21).
///
/// ```
/// let l = posix_ipc::limits::rlimit_msgqueue()?;
/// if let (Some(soft), Some(hard)) = (l.soft, l.hard) { assert!(soft <= hard); }
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub fn rlimit_msgqueue() -> Result<ResourceLimit> {
    ipc_common::__private::rlimit(libc::RLIMIT_MSGQUEUE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_common::ErrorKind;

    #[test]
    fn values_match_the_running_system() {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        assert_eq!(page_size(), usize::try_from(page).unwrap());
        assert_eq!(semaphore_value_max(), i32::MAX.unsigned_abs());
        assert_eq!(mq_prio_max(), 32768);
        assert_eq!(message_priority_max(), 32767);
        let l = message_queue_limits().unwrap();
        let raw = std::fs::read_to_string("/proc/sys/fs/mqueue/msg_max").unwrap();
        assert_eq!(l.msg_max.to_string(), raw.trim());
        assert!(l.queues_max > 0);
        let q = rlimit_msgqueue().unwrap();
        assert!(q.soft.is_some_and(|s| q.hard.is_none_or(|h| s <= h)));
    }

    #[test]
    fn missing_proc_file_is_a_clear_error() {
        let e = read_proc_u64("no_such_limit").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.message().contains("/proc/sys/fs/mqueue/no_such_limit"));
    }
}
