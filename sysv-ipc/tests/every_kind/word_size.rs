//! Sizes and timeouts at the 32-bit boundaries. On 32-bit glibc (i686)
//! `size_t`, `unsigned long` (`msg_qbytes`) and `time_t` have 32 bits: a value
//! that does not fit must be `InvalidInput`, never a wrapped one (sysv_ipc
//! turned `2**64 + 7` into 7). `cargo xtask test` runs this on x86_64 (glibc,
//! musl), i686 and aarch64; each check states what 32- and 64-bit targets do.

use std::time::Duration;

use sysv_ipc::{ErrorKind, SharedMemory, Timeout};

const I32_MAX_SECS: u64 = i32::MAX.unsigned_abs() as u64;

/// Whether this target's `time_t` has 32 bits.
fn time_t_is_32_bits() -> bool {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    std::mem::size_of_val(&ts.tv_sec) == 4
}

#[test]
fn queue_max_size_beyond_unsigned_long_is_refused_not_truncated() {
    let q = crate::msg_support::new_queue();
    let before = q.max_size().unwrap();
    // `unsigned long` is `u32` on i686 (where `try_from` cannot fail) and
    // `u64` elsewhere (where it is the same type).
    #[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
    let past_ulong = u64::try_from(libc::c_ulong::MAX)
        .ok()
        .and_then(|m| m.checked_add(1));
    match past_ulong {
        // 32 bits: 2^32 would be 0, 2^32 + 2048 would be 2048.
        Some(first) => {
            for bytes in [first, first + 2048, u64::MAX] {
                let e = q.set_max_size(bytes).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bytes}: {e}");
                assert!(e.message().contains(&bytes.to_string()), "{e}");
                assert!(e.message().contains("4294967295"), "{e}");
            }
        }
        // 64 bits: every u64 is a valid msg_qbytes; the kernel decides.
        None => assert_eq!(libc::c_ulong::BITS, 64),
    }
    assert_eq!(q.max_size().unwrap(), before);
    // Lowering to a value that fits works everywhere.
    q.set_max_size(2048).unwrap();
    assert_eq!(q.max_size().unwrap(), 2048);
}

#[test]
fn segment_sizes_are_capped_at_isize_max() {
    // 2^31 on i686: a size_t the kernel would take, a mapping no 32-bit
    // process can make.
    let (key, _guard) = crate::shm_support::unused_key();
    let too_big = isize::MAX.unsigned_abs() + 1;
    let e = SharedMemory::create_new(key, too_big).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.message().contains(&too_big.to_string()), "{e}");
    assert!(e.message().contains("isize::MAX"), "{e}");
    assert_eq!(
        SharedMemory::open(key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn semaphore_timeouts_at_the_32_bit_boundary() {
    let sem = crate::sem_support::new_sem(1);
    // semtimedop takes a relative timespec: 2^31 - 1 s fits everywhere (the
    // value is 1, so nothing waits).
    sem.acquire(1, Timeout::After(Duration::from_secs(I32_MAX_SECS)))
        .unwrap();
    // 2^31 s does not fit a 32-bit time_t: refused, never a wrapped (negative
    // or zero) timeout. Duration::MAX fits nowhere.
    if time_t_is_32_bits() {
        let e = sem
            .acquire(1, Timeout::After(Duration::from_secs(I32_MAX_SECS + 1)))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    let e = sem.acquire(1, Timeout::After(Duration::MAX)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(sem.value().unwrap(), 0);
}
