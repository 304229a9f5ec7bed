//! Timeouts at the edge of `time_t`, which has 32 bits on 32-bit glibc
//! (i686): a timeout or deadline that does not fit must be `InvalidInput`,
//! never a wrapped value (a wrapped deadline lies in the past, so a wait would
//! return at once, or in the far future). `cargo xtask test` runs this on
//! x86_64 (glibc, musl), i686 and aarch64.

// `time_t` and `c_long` are `i32` on i686, where `i64::from` is not useless.
#![allow(clippy::useless_conversion)]

use ipc_common::__private::TimeoutSpec;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipc_common::Timeout;

/// Whether `time_t` (the type of `timespec::tv_sec`) has 32 bits here.
fn time_t_is_32_bits() -> bool {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    std::mem::size_of_val(&ts.tv_sec) == 4
}

const I32_MAX_SECS: u64 = i32::MAX.unsigned_abs() as u64;

#[test]
fn relative_timeouts_at_the_32_bit_boundary() {
    let fits = Timeout::After(Duration::new(I32_MAX_SECS, 999_999_999))
        .relative_timespec()
        .unwrap()
        .unwrap();
    assert_eq!(i64::from(fits.tv_sec), i64::from(i32::MAX));
    assert_eq!(i64::from(fits.tv_nsec), 999_999_999);

    let beyond = Timeout::After(Duration::from_secs(I32_MAX_SECS + 1)).relative_timespec();
    if time_t_is_32_bits() {
        let e = beyond.unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("Timeout::Forever"), "{e}");
    } else {
        assert_eq!(i64::from(beyond.unwrap().unwrap().tv_sec), 1 << 31);
    }
    // 2^32 s would wrap to 0 (an immediate timeout) in 32 bits.
    let wraps = Timeout::After(Duration::from_secs(1 << 32)).relative_timespec();
    assert_eq!(wraps.is_err(), time_t_is_32_bits(), "{wraps:?}");
    assert!(
        Timeout::After(Duration::MAX)
            .relative_timespec()
            .unwrap_err()
            .is_invalid_input()
    );
}

#[test]
fn realtime_deadlines_at_the_32_bit_boundary() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let to_edge = I32_MAX_SECS - now; // until 2038-01-19
    let fits = Timeout::After(Duration::from_secs(to_edge - 60))
        .deadline(libc::CLOCK_REALTIME)
        .unwrap()
        .unwrap();
    assert!(i64::from(fits.tv_sec) <= i64::from(i32::MAX));
    assert!(i64::from(fits.tv_sec) >= i64::from(i32::MAX) - 120);

    let beyond = Timeout::After(Duration::from_secs(to_edge + 60)).deadline(libc::CLOCK_REALTIME);
    if time_t_is_32_bits() {
        let e = beyond.unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("too long for the system clock"), "{e}");
    } else {
        assert!(i64::from(beyond.unwrap().unwrap().tv_sec) > i64::from(i32::MAX));
    }
}

#[test]
fn monotonic_deadlines_at_the_32_bit_boundary() {
    // The monotonic clock starts near 0 (boot), so a wait just under 2^31 s
    // fits and one of 2^31 s plus the uptime does not (in 32 bits).
    let fits = Timeout::After(Duration::from_secs(I32_MAX_SECS / 2))
        .deadline(libc::CLOCK_MONOTONIC)
        .unwrap()
        .unwrap();
    assert!(i64::from(fits.tv_sec) >= i64::from(i32::MAX / 2));
    let beyond = Timeout::After(Duration::from_secs(I32_MAX_SECS)).deadline(libc::CLOCK_MONOTONIC);
    assert_eq!(beyond.is_err(), time_t_is_32_bits(), "{beyond:?}");
}
