use super::*;

#[test]
fn simple_acquisition() {
    let sem = fixture();
    sem.acquire(Timeout::Forever).unwrap();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn acquisition_zero_timeout() {
    let sem = fixture();
    sem.acquire(Timeout::from_secs_f64(0.0).unwrap()).unwrap();
    let e = sem.acquire(Timeout::Immediate).unwrap_err();
    assert!(e.is_busy());
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    assert!(e.message().contains("would block"), "{e}");
    let e = sem.acquire(Timeout::After(Duration::ZERO)).unwrap_err();
    assert!(e.is_busy());
}

fn drained_then_timed(secs: f64) {
    let sem = fixture();
    sem.acquire(Timeout::Immediate).unwrap();
    let timeout = Timeout::from_secs_f64(secs).unwrap();
    let start = Instant::now();
    let e = sem.acquire(timeout).unwrap_err();
    let waited = start.elapsed();
    assert!(e.is_busy(), "{e}");
    assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
    assert!(
        waited >= Duration::from_secs_f64(secs) - Duration::from_millis(5),
        "returned after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs_f64(secs) + Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn acquisition_nonzero_int_timeout() {
    drained_then_timed(1.0);
}

#[test]
fn acquisition_nonzero_float_timeout() {
    drained_then_timed(1.5);
}

#[test]
fn release() {
    let sem = fixture();
    let n = 1_000_000.min(limits::semaphore_value_max() - 1);
    for _ in 0..n {
        sem.release().unwrap();
    }
    assert_eq!(sem.value().unwrap(), n + 1);
}

#[test]
fn context_manager() {
    let sem = fixture();
    {
        let guard = sem.lock().unwrap();
        assert_eq!(guard.semaphore().value().unwrap(), 0);
        assert!(sem.acquire(Timeout::Immediate).unwrap_err().is_busy());
    }
    assert_eq!(sem.value().unwrap(), 1);
    sem.acquire(Timeout::Immediate).unwrap();
}
