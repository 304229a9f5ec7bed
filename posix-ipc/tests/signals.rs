//! Notifications by signal (posix_ipc's four signal tests, translated) and
//! signals interrupting waits. Each test uses its own real-time signal, so
//! tests running in parallel threads do not count each other's signals.
//!
//! A binary of its own: these tests install process-wide signal handlers
//! (with and without `SA_RESTART`), which would change how the waits of
//! every other test in the same process end.

#[path = "mqueue/support.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use posix_ipc::{ErrorKind, Semaphore, Timeout, limits};
use support::fixture;

const QUIET: Duration = Duration::from_millis(200);

static COUNTS: [AtomicUsize; 65] = [const { AtomicUsize::new(0) }; 65];

extern "C" fn count(signal: libc::c_int) {
    if let Some(c) = usize::try_from(signal).ok().and_then(|s| COUNTS.get(s)) {
        c.fetch_add(1, Ordering::SeqCst);
    }
}

/// Real-time signal `SIGRTMIN + offset`, with the counting handler installed.
fn signal(offset: i32, restart: bool) -> i32 {
    let sig = limits::user_signal_min() + offset;
    assert!(sig <= limits::user_signal_max());
    // Real-time signals are not in nix's `Signal` enum, so this uses libc.
    // SAFETY: the handler only increments an atomic (async-signal-safe); the
    // sigaction struct is fully initialised (zeroed, then set).
    let rc = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = if restart { libc::SA_RESTART } else { 0 };
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(sig, &action, std::ptr::null_mut())
    };
    assert_eq!(rc, 0);
    sig
}

fn count_of(sig: i32) -> usize {
    COUNTS[usize::try_from(sig).unwrap()].load(Ordering::SeqCst)
}

fn wait_for(sig: i32, n: usize) {
    assert!(
        testkit::eventually(Duration::from_secs(5), || count_of(sig) >= n),
        "signal {sig} arrived {} times, expected {n}",
        count_of(sig)
    );
}

#[test]
fn test_request_notification_signal() {
    let sig = signal(1, true);
    let q = fixture();
    q.notify_signal(sig).unwrap();
    q.send(b"", 0).unwrap();
    wait_for(sig, 1);
    std::thread::sleep(QUIET);
    assert_eq!(count_of(sig), 1);
}

#[test]
fn test_request_notification_signal_one_shot() {
    let sig = signal(2, true);
    let q = fixture();
    q.notify_signal(sig).unwrap();
    q.send(b"", 0).unwrap();
    wait_for(sig, 1);
    // The queue is not empty: no notification.
    q.send(b"", 0).unwrap();
    let mut buf = [0u8; 10];
    q.receive(&mut buf).unwrap();
    q.receive(&mut buf).unwrap();
    // Empty again, but the registration was used up.
    q.send(b"", 0).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(count_of(sig), 1);
}

#[test]
fn test_request_notification_cancel_default() {
    let sig = signal(3, true);
    let q = fixture();
    q.notify_signal(sig).unwrap();
    q.cancel_notification().unwrap();
    q.send(b"", 0).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(count_of(sig), 0);
}

#[test]
fn test_request_notification_cancel_multiple() {
    let q = fixture();
    for _ in 0..1000 {
        q.cancel_notification().unwrap();
    }
}

#[test]
fn registration_on_a_non_empty_queue_waits_for_the_next_empty_to_full_change() {
    let sig = signal(4, true);
    let q = fixture();
    q.send(b"old", 0).unwrap();
    q.notify_signal(sig).unwrap();
    q.send(b"new", 0).unwrap();
    std::thread::sleep(QUIET);
    assert_eq!(count_of(sig), 0, "no signal while the queue was not empty");
    let mut buf = [0u8; 10];
    q.receive(&mut buf).unwrap();
    q.receive(&mut buf).unwrap();
    q.send(b"", 0).unwrap();
    wait_for(sig, 1);
}

#[test]
fn rearm_from_the_main_thread_after_each_signal() {
    let sig = signal(5, true);
    let q = fixture();
    let mut buf = [0u8; 10];
    for round in 1..=5 {
        q.notify_signal(sig).unwrap();
        q.send(b"", 0).unwrap();
        wait_for(sig, round);
        q.receive(&mut buf).unwrap();
    }
}

#[test]
fn a_signal_replaces_a_callback_registration() {
    let sig = signal(6, true);
    let q = fixture();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    q.notify_callback(move || tx.send(()).unwrap()).unwrap();
    q.notify_signal(sig).unwrap();
    q.send(b"", 0).unwrap();
    wait_for(sig, 1);
    assert!(rx.recv_timeout(QUIET).is_err(), "the callback was replaced");
}

#[test]
fn invalid_signal_numbers_are_rejected_before_the_call() {
    let q = fixture();
    let max = limits::user_signal_max();
    for bad in [0, -1, max + 1, 1000, i32::MIN] {
        let e = q.notify_signal(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(e.message().contains(&format!("signal {bad}")), "{e}");
        assert!(e.message().contains(&max.to_string()), "{e}");
    }
    // The C library's own real-time signals (32 and 33 with glibc) would be
    // ignored by its handlers: refused.
    for reserved in 32..limits::user_signal_min() {
        let e = q.notify_signal(reserved).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{reserved}");
        assert!(e.message().contains("reserved by the C library"), "{e}");
    }
    // Any valid number is accepted (SIGUSR2 is not raised: nothing is sent).
    q.notify_signal(libc::SIGUSR2).unwrap();
    q.cancel_notification().unwrap();
}

/// A thread's `pthread_t`, to pass to the thread that signals it (a pointer,
/// so not `Send`, on musl).
struct Thread(libc::pthread_t);

// SAFETY: a pthread_t only identifies a thread; any thread may pass it to
// pthread_kill while the identified thread is alive.
unsafe impl Send for Thread {}

/// Sends `sig` to `thread` until `done` reports the blocked call returned.
fn interrupt_until_done(thread: libc::pthread_t, sig: i32, done: &std::sync::atomic::AtomicBool) {
    let start = std::time::Instant::now();
    while !done.load(Ordering::SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never interrupted"
        );
        std::thread::sleep(Duration::from_millis(50));
        // SAFETY: the thread is alive until `done` is set, and joined after.
        unsafe { libc::pthread_kill(thread, sig) };
    }
}

#[test]
fn a_signal_interrupting_a_wait_is_interrupted_not_retried() {
    let sig = signal(7, false);
    let q = support::sized(1, 10);
    let q = std::sync::Arc::new(q);
    for blocking_send in [false, true] {
        if blocking_send {
            q.send(b"full", 0).unwrap();
        }
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = {
            let (q, done) = (q.clone(), done.clone());
            std::thread::spawn(move || {
                // SAFETY: pthread_self has no preconditions.
                tx.send(Thread(unsafe { libc::pthread_self() })).unwrap();
                let mut buf = [0u8; 10];
                let r = if blocking_send {
                    q.send(b"more", 0)
                } else {
                    q.receive_timeout(&mut buf, Timeout::After(Duration::from_secs(30)))
                        .map(drop)
                };
                done.store(true, Ordering::SeqCst);
                r
            })
        };
        let Thread(thread) = rx.recv().unwrap();
        interrupt_until_done(thread, sig, &done);
        let e = worker.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        // is_signal, and no other group (not a permission or busy error).
        support::assert_error_groups(&e);
    }
}

static RESTARTED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_restart(_: libc::c_int) {
    RESTARTED.fetch_add(1, Ordering::SeqCst);
}

/// Runs `call` on a thread, signals that thread (SIGUSR1) until the handler
/// has run three times while the call stays blocked, then runs `unblock` and
/// returns the call's result.
fn signal_while_blocked(
    call: impl FnOnce() -> posix_ipc::Result<()> + Send + 'static,
    unblock: impl FnOnce(),
) -> posix_ipc::Result<()> {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = {
        let done = done.clone();
        std::thread::spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            tx.send(Thread(unsafe { libc::pthread_self() })).unwrap();
            let r = call();
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    let Thread(thread) = rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(100)); // inside the call by now
    let before = RESTARTED.load(Ordering::SeqCst);
    let start = std::time::Instant::now();
    while RESTARTED.load(Ordering::SeqCst) < before + 3 && !done.load(Ordering::SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no signal arrived"
        );
        // SAFETY: the thread is alive until `done` is set, and joined below.
        unsafe { libc::pthread_kill(thread, libc::SIGUSR1) };
        std::thread::sleep(Duration::from_millis(50));
    }
    if !done.load(Ordering::SeqCst) {
        unblock();
    }
    worker.join().unwrap()
}

/// With a handler installed with `SA_RESTART`, the kernel restarts a blocked
/// `mq_send`/`mq_receive` (timed or not) and an untimed `sem_wait`, so they
/// never return `Interrupted`; a timed semaphore wait is not restarted. What
/// the docs of `Interrupted` say, shown in a child so the handler stays
/// there.
#[test]
fn sa_restart_hides_interruptions_except_from_timed_semaphore_waits() {
    const TEST: &str = "sa_restart_hides_interruptions_except_from_timed_semaphore_waits";
    if testkit::child_args(TEST).is_some() {
        // SAFETY: the handler only increments an atomic (async-signal-safe);
        // the sigaction struct is fully initialised (zeroed, then set).
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = count_restart as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut())
        };
        assert_eq!(rc, 0);
        let q = std::sync::Arc::new(support::sized(1, 8));
        let mut buf = [0u8; 8];
        let (q1, q2) = (q.clone(), q.clone());
        // Blocked receives (untimed and timed): restarted, then get the message.
        for timed in [false, true] {
            let q1 = q1.clone();
            let r = signal_while_blocked(
                move || {
                    let mut buf = [0u8; 8];
                    let t = if timed {
                        Timeout::After(Duration::from_secs(30))
                    } else {
                        Timeout::Forever
                    };
                    q1.receive_timeout(&mut buf, t).map(drop)
                },
                || q2.send(b"go", 0).unwrap(),
            );
            r.unwrap_or_else(|e| panic!("receive (timed: {timed}) was not restarted: {e}"));
            println!("receive restarted (timed: {timed})");
        }
        // A blocked send on a full queue: restarted, then gets room.
        q.send(b"full", 0).unwrap();
        let (q3, q4) = (q.clone(), q.clone());
        signal_while_blocked(
            move || q3.send(b"more", 0),
            move || {
                q4.receive(&mut buf).unwrap();
            },
        )
        .unwrap_or_else(|e| panic!("send was not restarted: {e}"));
        println!("send restarted");
        // An untimed semaphore wait: restarted.
        let sem = std::sync::Arc::new(Semaphore::create_unique(0).unwrap().unlink_on_drop());
        let (s1, s2) = (sem.clone(), sem.clone());
        signal_while_blocked(
            move || s1.acquire(Timeout::Forever),
            move || s2.release().unwrap(),
        )
        .unwrap_or_else(|e| panic!("sem_wait was not restarted: {e}"));
        println!("sem_wait restarted");
        // A timed one is not: Interrupted, even with SA_RESTART.
        let s3 = sem.clone();
        let e = signal_while_blocked(
            move || s3.acquire(Timeout::After(Duration::from_secs(30))),
            || unreachable!("interrupted before"),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        support::assert_error_groups(&e);
        println!("timed wait interrupted");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(60));
    for line in [
        "receive restarted (timed: false)",
        "receive restarted (timed: true)",
        "send restarted",
        "sem_wait restarted",
        "timed wait interrupted",
    ] {
        assert!(out.contains(line), "{line:?} missing from {out}");
    }
}
