//! [`Timeout`]: how long a blocking call may wait, the same for all six primitives.

use std::time::Duration;

use crate::{Error, Result};

/// How long a blocking call (acquire, send, receive, wait-for-zero) may wait.
///
/// - [`Forever`](Timeout::Forever) blocks until the call can proceed (Python's `timeout=None`);
/// - [`Immediate`](Timeout::Immediate) never waits: the call fails with
///   [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) if it cannot proceed at
///   once (Python's `timeout=0`);
/// - [`After(d)`](Timeout::After) waits at most `d`, then fails with
///   [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut).
///   `After(Duration::ZERO)` behaves like `Immediate`.
///
/// Every blocking call of the family takes `impl Into<Timeout>`, so a
/// [`Duration`] works where a `Timeout` is expected (`sem.acquire(Duration::from_millis(10))`),
/// and so does an `Option<Duration>` (Python's `None` or a number).
/// [`Timeout::from_secs`] and [`Timeout::from_millis`] are short forms of
/// `After`.
///
/// ```
/// use std::time::Duration;
/// use ipc_common::Timeout;
/// assert_eq!(Timeout::from(None), Timeout::Forever);
/// assert_eq!(Timeout::from(Some(Duration::from_millis(5))), Timeout::After(Duration::from_millis(5)));
/// assert_eq!(Timeout::from(Duration::ZERO), Timeout::After(Duration::ZERO));
/// assert_eq!(Timeout::from_secs_f64(0.25)?, Timeout::After(Duration::from_millis(250)));
/// assert!(Timeout::from_secs_f64(-1.0).is_err());
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Timeout {
    /// Wait as long as it takes.
    #[default]
    Forever,
    /// Do not wait at all.
    Immediate,
    /// Wait at most this long.
    After(Duration),
}

impl Timeout {
    /// [`After`](Timeout::After) `secs` seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_common::Timeout;
    /// assert_eq!(Timeout::from_secs(2), Timeout::After(Duration::from_secs(2)));
    /// ```
    pub const fn from_secs(secs: u64) -> Timeout {
        Timeout::After(Duration::from_secs(secs))
    }

    /// [`After`](Timeout::After) `millis` milliseconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_common::Timeout;
    /// assert_eq!(Timeout::from_millis(250), Timeout::After(Duration::from_millis(250)));
    /// assert!(Timeout::from_millis(0).is_immediate());
    /// ```
    pub const fn from_millis(millis: u64) -> Timeout {
        Timeout::After(Duration::from_millis(millis))
    }

    /// A timeout from seconds as Python code gives them: `0` is
    /// [`Immediate`](Timeout::Immediate), positive values wait that long, `+inf` is
    /// [`Forever`](Timeout::Forever); negative values and NaN are
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput).
    ///
    /// ```
    /// use ipc_common::Timeout;
    /// assert_eq!(Timeout::from_secs_f64(0.0)?, Timeout::Immediate);
    /// assert_eq!(Timeout::from_secs_f64(f64::INFINITY)?, Timeout::Forever);
    /// assert!(Timeout::from_secs_f64(f64::NAN).unwrap_err().is_invalid_input());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn from_secs_f64(secs: f64) -> Result<Timeout> {
        if secs == f64::INFINITY {
            return Ok(Timeout::Forever);
        }
        if secs == 0.0 {
            return Ok(Timeout::Immediate);
        }
        Duration::try_from_secs_f64(secs)
            .map(Timeout::After)
            .map_err(|_| {
                Error::invalid_input(
                    "timeout",
                    format!("timeout {secs} s is not a non-negative number of seconds"),
                )
            })
    }

    /// True when the call must not wait at all (`Immediate` or `After(0)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_common::Timeout;
    /// assert!(Timeout::Immediate.is_immediate());
    /// assert!(Timeout::After(Duration::ZERO).is_immediate());
    /// assert!(!Timeout::Forever.is_immediate());
    /// ```
    pub fn is_immediate(self) -> bool {
        matches!(self, Timeout::Immediate | Timeout::After(Duration::ZERO))
    }

    /// The timeout as a relative `timespec` (for `semtimedop`): `None` for
    /// `Forever`, zero for `Immediate`. Durations too long for `time_t` are
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_common::Timeout;
    /// use ipc_common::__private::TimeoutSpec;
    /// let ts = Timeout::After(Duration::from_millis(1500)).relative_timespec()?.unwrap();
    /// assert_eq!((ts.tv_sec, ts.tv_nsec), (1, 500_000_000));
    /// assert!(Timeout::Forever.relative_timespec()?.is_none());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub(crate) fn relative_timespec(self) -> Result<Option<libc::timespec>> {
        match self {
            Timeout::Forever => Ok(None),
            Timeout::Immediate => Ok(Some(libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            })),
            Timeout::After(d) => duration_to_timespec(d).map(Some),
        }
    }

    /// The absolute deadline `now + timeout` on `clock` (for `sem_timedwait`,
    /// `sem_clockwait`, `mq_timedsend`, `mq_timedreceive`): `None` for
    /// `Forever`, the current time for `Immediate`. A deadline beyond what
    /// `time_t` can hold is [`InvalidInput`](crate::ErrorKind::InvalidInput).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_common::Timeout;
    /// use ipc_common::__private::TimeoutSpec;
    /// let t = Timeout::After(Duration::from_secs(2));
    /// let deadline = t.deadline(libc::CLOCK_MONOTONIC)?.unwrap();
    /// assert!(deadline.tv_sec >= 2);
    /// assert!(Timeout::After(Duration::MAX).deadline(libc::CLOCK_REALTIME).is_err());
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub(crate) fn deadline(self, clock: libc::clockid_t) -> Result<Option<libc::timespec>> {
        let wait = match self {
            Timeout::Forever => return Ok(None),
            Timeout::Immediate => Duration::ZERO,
            Timeout::After(d) => d,
        };
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable timespec.
        crate::error::check("clock_gettime", unsafe {
            libc::clock_gettime(clock, &mut now)
        })?;
        let wait = duration_to_timespec(wait)?;
        let mut sec = now.tv_sec.checked_add(wait.tv_sec);
        let mut nsec = now.tv_nsec + wait.tv_nsec;
        if nsec >= 1_000_000_000 {
            nsec -= 1_000_000_000;
            sec = sec.and_then(|s| s.checked_add(1));
        }
        let tv_sec = sec.ok_or_else(|| too_long(self))?;
        Ok(Some(libc::timespec {
            tv_sec,
            tv_nsec: nsec,
        }))
    }
}

fn too_long(t: Timeout) -> Error {
    Error::invalid_input(
        "timeout",
        format!(
            "{t:?} is too long for the system clock; use Timeout::Forever to wait without limit"
        ),
    )
}

/// `d` as a `timespec`: the seconds must fit `time_t`, which is 32 bits on
/// 32-bit glibc (about 68 years).
fn duration_to_timespec(d: Duration) -> Result<libc::timespec> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Converted to the field's type, `time_t` (not named: the `libc` crate
    // deprecates it on musl).
    ts.tv_sec = d
        .as_secs()
        .try_into()
        .map_err(|_| too_long(Timeout::After(d)))?;
    // Below 10^9, so it fits `c_long` on every target (32 or 64 bits): the
    // cast neither truncates nor wraps.
    #[allow(clippy::cast_possible_wrap)]
    let nsec = d.subsec_nanos() as libc::c_long;
    ts.tv_nsec = nsec;
    Ok(ts)
}

impl From<Duration> for Timeout {
    /// `After(d)`.
    fn from(d: Duration) -> Timeout {
        Timeout::After(d)
    }
}

impl From<Option<Duration>> for Timeout {
    /// `None` → `Forever`, `Some(d)` → `After(d)` (Python's `timeout=None` / number).
    fn from(d: Option<Duration>) -> Timeout {
        d.map_or(Timeout::Forever, Timeout::After)
    }
}

/// The `timespec` forms of a [`Timeout`] that the system calls take, for the
/// crates of this family (re-exported from `ipc_common::__private`; not
/// public API).
pub trait TimeoutSpec {
    /// The timeout as a relative `timespec` (for `semtimedop`): `None` for
    /// `Forever`, zero for `Immediate`; too long for `time_t` is
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput).
    fn relative_timespec(self) -> Result<Option<libc::timespec>>;
    /// The absolute deadline `now + timeout` on `clock`: `None` for
    /// `Forever`, the current time for `Immediate`; beyond `time_t` is
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput).
    fn deadline(self, clock: libc::clockid_t) -> Result<Option<libc::timespec>>;
}

impl TimeoutSpec for Timeout {
    fn relative_timespec(self) -> Result<Option<libc::timespec>> {
        Timeout::relative_timespec(self)
    }

    fn deadline(self, clock: libc::clockid_t) -> Result<Option<libc::timespec>> {
        Timeout::deadline(self, clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(Timeout::default(), Timeout::Forever);
        assert_eq!(
            Timeout::from(Duration::from_secs(1)),
            Timeout::After(Duration::from_secs(1))
        );
        assert_eq!(
            Timeout::from_secs_f64(1.5).unwrap(),
            Timeout::After(Duration::from_millis(1500))
        );
        for bad in [-0.5, f64::NAN, f64::NEG_INFINITY, 1e300] {
            let e = Timeout::from_secs_f64(bad).unwrap_err();
            assert!(e.is_invalid_input(), "{bad}");
        }
    }

    #[test]
    fn relative_timespec_splits_seconds() {
        let ts = Timeout::After(Duration::new(3, 7))
            .relative_timespec()
            .unwrap()
            .unwrap();
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
        let ts = Timeout::Immediate.relative_timespec().unwrap().unwrap();
        assert_eq!((ts.tv_sec, ts.tv_nsec), (0, 0));
        assert!(Timeout::After(Duration::MAX).relative_timespec().is_err());
    }

    #[test]
    fn deadline_is_in_the_future_and_normalised() {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid timespec.
        unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
        let d = Timeout::After(Duration::new(10, 999_999_999))
            .deadline(libc::CLOCK_REALTIME)
            .unwrap()
            .unwrap();
        assert!((0..1_000_000_000).contains(&d.tv_nsec));
        // The deadline is the wait after `now`, to the nanosecond but for the
        // time this test took: a carry into the seconds that lost or doubled
        // the nanoseconds would be off by up to a second.
        let ns = |t: libc::timespec| i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec);
        let ahead = ns(d) - ns(now);
        let wait = 10_999_999_999;
        assert!((wait..wait + 100_000_000).contains(&ahead), "{ahead}");
        assert!(
            Timeout::Forever
                .deadline(libc::CLOCK_MONOTONIC)
                .unwrap()
                .is_none()
        );
        let imm = Timeout::Immediate
            .deadline(libc::CLOCK_MONOTONIC)
            .unwrap()
            .unwrap();
        assert!(imm.tv_sec >= 0);
        let e = Timeout::After(Duration::from_secs(i64::MAX as u64))
            .deadline(libc::CLOCK_REALTIME)
            .unwrap_err();
        assert!(e.message().contains("Forever"));
    }
}
