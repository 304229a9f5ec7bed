//! Sizes, lengths and timeouts at the 32-bit boundaries. On 32-bit glibc
//! (i686) `off_t`, `long` (`mq_attr`) and `time_t` have 32 bits: a value that
//! does not fit must be `InvalidInput` before any system call, never a
//! wrapped value (2³² + 4096 bytes wrapping to 4096, a deadline wrapping into
//! the past). `cargo xtask test` runs this on x86_64 (glibc, musl), i686 and
//! aarch64; each check states what 32- and 64-bit targets do.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use posix_ipc::{
    ErrorKind, MessageQueue, SHARED_MEMORY_SIZE_MAX, Semaphore, SharedMemory, Timeout,
};

const I32_MAX_SECS: u64 = i32::MAX.unsigned_abs() as u64;

/// Whether this target's `off_t` has 32 bits (i686 glibc without LFS).
fn off_t_is_32_bits() -> bool {
    std::mem::size_of::<libc::off_t>() == 4
}

/// Whether this target's `time_t` has 32 bits.
fn time_t_is_32_bits() -> bool {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    std::mem::size_of_val(&ts.tv_sec) == 4
}

#[test]
fn shared_memory_size_limit_is_off_t_max() {
    if off_t_is_32_bits() {
        assert_eq!(SHARED_MEMORY_SIZE_MAX, (1 << 31) - 1);
    } else {
        assert_eq!(Ok(SHARED_MEMORY_SIZE_MAX), usize::try_from(i64::MAX));
    }
}

#[test]
fn sizes_beyond_off_t_are_refused_before_any_call() {
    let name = crate::support::fresh_name();
    // Just past the limit (2^31 where off_t has 32 bits, 2^63 elsewhere) and
    // the largest size a usize holds. (Sizes are usize, so 2^32, which would
    // wrap to 0 in a 32-bit off_t, cannot even be given on i686.)
    for size in [SHARED_MEMORY_SIZE_MAX + 1, usize::MAX] {
        let e = SharedMemory::create_new(name.as_str(), size).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{size}: {e}");
        assert!(e.message().contains(&size.to_string()), "{e}");
        assert!(
            e.message().contains(&SHARED_MEMORY_SIZE_MAX.to_string()),
            "{e}"
        );
        assert!(
            SharedMemory::open(name.as_str())
                .unwrap_err()
                .is_existential(),
            "{size}: nothing may be created"
        );
    }
    // Resizing an existing object: refused, the object keeps its size.
    let shm = SharedMemory::create_new(name.as_str(), 4096)
        .unwrap()
        .unlink_on_drop();
    let e = shm.set_len(SHARED_MEMORY_SIZE_MAX + 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = shm.set_len(usize::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(shm.size().unwrap(), 4096);
    // A range starting beyond the end is refused, not wrapped: 4 GiB (byte
    // 4096 if it wrapped in 32 bits) where a usize holds it, else the top.
    let far = usize::try_from(1u64 << 32).unwrap_or(usize::MAX - 8);
    let e = shm.map_range(far, 16).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.message().contains(&far.to_string()), "{e}");
}

#[test]
fn queue_sizes_beyond_the_kernels_long_are_refused() {
    let name = crate::support::fresh_name();
    // `mq_attr` holds `long`s: 2^31 does not fit on 32-bit targets.
    let mut too_big = vec![usize::MAX];
    if let Some(past_long) = usize::try_from(libc::c_long::MAX)
        .ok()
        .and_then(|m| m.checked_add(1))
    {
        too_big.push(past_long);
    }
    for n in too_big {
        for (messages, size) in [(n, 8), (1, n)] {
            let e = MessageQueue::options()
                .create_new(true)
                .max_messages(messages)
                .max_message_size(size)
                .open(name.as_str())
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{messages}×{size}: {e}");
            assert!(
                e.message().contains("does not fit the kernel's long"),
                "{e}"
            );
        }
    }
    assert!(
        MessageQueue::open(name.as_str())
            .unwrap_err()
            .is_existential()
    );
}

/// A timeout whose deadline cannot be expressed in this target's `time_t`:
/// past 2038 where it has 32 bits, `Duration::MAX` elsewhere.
fn unrepresentable_timeout() -> Duration {
    if time_t_is_32_bits() {
        Duration::from_secs(I32_MAX_SECS)
    } else {
        Duration::MAX
    }
}

/// The longest timeout whose realtime deadline still fits a 32-bit `time_t`
/// (a minute short of 2038-01-19).
fn timeout_just_before_2038() -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Duration::from_secs(I32_MAX_SECS - now - 60)
}

#[test]
fn semaphore_timeouts_at_the_32_bit_boundary() {
    let name = crate::support::fresh_name();
    let sem = Semaphore::options()
        .create_new(true)
        .initial_value(1)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    // A deadline that fits is accepted (the value is 1: no waiting).
    sem.acquire(Timeout::After(timeout_just_before_2038()))
        .unwrap();
    // One that does not is refused at once, never a wait that ends at once
    // (a wrapped deadline in the past) or never.
    let e = sem
        .acquire(Timeout::After(unrepresentable_timeout()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn queue_timeouts_at_the_32_bit_boundary() {
    let name = crate::support::fresh_name();
    let q = MessageQueue::options()
        .create_new(true)
        .max_messages(1)
        .max_message_size(8)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    q.send_timeout(b"x", 0, Timeout::After(timeout_just_before_2038()))
        .unwrap();
    let mut buf = [0u8; 8];
    let (n, _) = q
        .receive_timeout(&mut buf, Timeout::After(timeout_just_before_2038()))
        .unwrap();
    assert_eq!(&buf[..n], b"x");
    let e = q
        .receive_timeout(&mut buf, Timeout::After(unrepresentable_timeout()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = q
        .send_timeout(b"y", 0, Timeout::After(unrepresentable_timeout()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(q.current_messages().unwrap(), 0);
}
