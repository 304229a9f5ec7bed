use super::*;

const LIMIT: Duration = Duration::from_secs(60);
const LONG: Timeout = Timeout::After(Duration::from_secs(20));

#[test]
fn ping_pong() {
    const TEST: &str = "processes::ping_pong";
    const ROUNDS: u32 = 2000;
    if let Some(args) = testkit::child_args(TEST) {
        let ping = Semaphore::open(args[0].as_str()).unwrap();
        let pong = Semaphore::open(args[1].as_str()).unwrap();
        for _ in 0..ROUNDS {
            ping.acquire(LONG).unwrap();
            pong.release().unwrap();
        }
        return;
    }
    let a = fresh_name();
    let b = fresh_name();
    let ping = Semaphore::create_new(&a, 0).unwrap().unlink_on_drop();
    let pong = Semaphore::create_new(&b, 0).unwrap().unlink_on_drop();
    let child = testkit::spawn_child(TEST, &[&a, &b]);
    for _ in 0..ROUNDS {
        ping.release().unwrap();
        pong.acquire(LONG).unwrap();
    }
    child.wait_success(LIMIT);
    assert_eq!((ping.value().unwrap(), pong.value().unwrap()), (0, 0));
}

#[test]
fn blocked_acquire_is_woken_by_another_process() {
    const TEST: &str = "processes::blocked_acquire_is_woken_by_another_process";
    if let Some(args) = testkit::child_args(TEST) {
        let ready = Semaphore::open(args[0].as_str()).unwrap();
        let go = Semaphore::open(args[1].as_str()).unwrap();
        ready.release().unwrap();
        let start = Instant::now();
        go.acquire(Timeout::Forever).unwrap();
        println!("waited_ms={}", start.elapsed().as_millis());
        return;
    }
    let r = fresh_name();
    let g = fresh_name();
    let ready = Semaphore::create_new(&r, 0).unwrap().unlink_on_drop();
    let go = Semaphore::create_new(&g, 0).unwrap().unlink_on_drop();
    let child = testkit::spawn_child(TEST, &[&r, &g]);
    ready.acquire(LONG).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    go.release().unwrap();
    let out = child.wait_success(LIMIT);
    let waited: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("waited_ms="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(waited >= 200, "the child was blocked only {waited} ms");
    assert_eq!(go.value().unwrap(), 0);
}

#[test]
fn timed_acquire_expires_then_is_woken_in_time() {
    const TEST: &str = "processes::timed_acquire_expires_then_is_woken_in_time";
    if let Some(args) = testkit::child_args(TEST) {
        let ready = Semaphore::open(args[0].as_str()).unwrap();
        let go = Semaphore::open(args[1].as_str()).unwrap();
        let start = Instant::now();
        let e = go.acquire(Duration::from_millis(300)).unwrap_err();
        let waited = start.elapsed();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
        assert!(waited >= Duration::from_millis(295), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        ready.release().unwrap();
        let start = Instant::now();
        go.acquire(Duration::from_secs(20)).unwrap();
        assert!(start.elapsed() < Duration::from_secs(19));
        return;
    }
    let r = fresh_name();
    let g = fresh_name();
    let ready = Semaphore::create_new(&r, 0).unwrap().unlink_on_drop();
    let go = Semaphore::create_new(&g, 0).unwrap().unlink_on_drop();
    let child = testkit::spawn_child(TEST, &[&r, &g]);
    ready.acquire(LONG).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    go.release().unwrap();
    child.wait_success(LIMIT);
    assert_eq!(go.value().unwrap(), 0);
}

static SIGNALS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

extern "C" fn on_sigusr1(_: libc::c_int) {
    SIGNALS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn signal_interrupts_a_wait() {
    const TEST: &str = "processes::signal_interrupts_a_wait";
    if let Some(args) = testkit::child_args(TEST) {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        // No SA_RESTART: the wait must come back with EINTR.
        let action = SigAction::new(
            SigHandler::Handler(on_sigusr1),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler only increments an atomic (async-signal-safe).
        unsafe { sigaction(Signal::SIGUSR1, &action) }.unwrap();
        let ready = Semaphore::open(args[0].as_str()).unwrap();
        let never = Semaphore::open(args[1].as_str()).unwrap();
        let done = Semaphore::open(args[2].as_str()).unwrap();
        for timeout in [Timeout::Forever, LONG] {
            ready.release().unwrap();
            let e = never.acquire(timeout).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Interrupted, "{timeout:?}: {e}");
            assert!(e.is_signal());
            assert_eq!(e.raw_os_error(), Some(libc::EINTR));
            assert!(e.message().contains("signal"), "{e}");
        }
        assert!(SIGNALS.load(std::sync::atomic::Ordering::SeqCst) >= 2);
        done.release().unwrap();
        return;
    }
    let r = fresh_name();
    let n = fresh_name();
    let d = fresh_name();
    let ready = Semaphore::create_new(&r, 0).unwrap().unlink_on_drop();
    let never = Semaphore::create_new(&n, 0).unwrap().unlink_on_drop();
    let done = Semaphore::create_new(&d, 0).unwrap().unlink_on_drop();
    let child = testkit::spawn_child(TEST, &[&r, &n, &d]);
    // Two waits to interrupt (Forever, then timed). A signal that lands
    // before the child is inside sem_wait is absorbed by the handler, so
    // keep signalling until the child moves on.
    ready.acquire(LONG).unwrap();
    let mut phase = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while phase < 2 {
        assert!(
            Instant::now() < deadline,
            "the child never returned from its wait"
        );
        std::thread::sleep(Duration::from_millis(50));
        child.signal_all_threads(libc::SIGUSR1);
        let next = if phase == 0 { &ready } else { &done };
        if next.acquire(Duration::from_millis(100)).is_ok() {
            phase += 1;
        }
    }
    child.wait_success(LIMIT);
    assert_eq!(never.value().unwrap(), 0);
}

#[test]
fn unique_name_is_shared_with_a_child() {
    const TEST: &str = "processes::unique_name_is_shared_with_a_child";
    if let Some(args) = testkit::child_args(TEST) {
        let sem = Semaphore::open(args[0].as_str()).unwrap();
        assert_eq!(sem.value().unwrap(), 5);
        let _held = sem.lock().unwrap();
        sem.release().unwrap();
        sem.release().unwrap();
        return;
    }
    let sem = Semaphore::create_unique(5).unwrap().unlink_on_drop();
    let child = testkit::spawn_child(TEST, &[sem.name().to_str().unwrap()]);
    child.wait_success(LIMIT);
    assert_eq!(sem.value().unwrap(), 7);
}

/// The mode given when creating is the semaphore's mode, exactly. Checked
/// as `nobody`, since root opens anything whatever the mode. A semaphore is
/// opened for reading and writing, so nobody needs both bits: root's 0o600
/// and 0o644 semaphores are refused, a 0o666 one opens. A root child with
/// umask 0 creates them, so that 0o666 is not cut down by this process's
/// umask (changing it here would affect the tests running beside).
#[test]
fn created_modes_are_exact_for_another_user() {
    const TEST: &str = "processes::created_modes_are_exact_for_another_user";
    if let Some(args) = testkit::child_args(TEST) {
        let names = &args[1..];
        if args[0] == "create" {
            set_umask(0);
            for (name, mode) in names.iter().zip([0o600, 0o644, 0o666]) {
                let sem = Semaphore::options()
                    .create_new(true)
                    .mode(mode)
                    .initial_value(1)
                    .open(name.as_str())
                    .unwrap();
                assert_eq!(sem.mode().bits(), mode);
            }
            println!("created");
            return;
        }
        testkit::become_nobody();
        for name in &names[..2] {
            let e = Semaphore::open(name.as_str()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{name}: {e}");
            assert_error_groups(&e);
        }
        let shared = Semaphore::open(names[2].as_str()).unwrap();
        shared.try_acquire().unwrap();
        shared.release().unwrap();
        println!("modes-exact");
        return;
    }
    if !testkit::is_root() {
        skip(TEST, "needs root to start a child as uid 65534");
        return;
    }
    let names = [fresh_name(), fresh_name(), fresh_name()];
    let args = |role| {
        let mut args = vec![role];
        args.extend(names.iter().map(String::as_str));
        args
    };
    let out = testkit::spawn_child(TEST, &args("create")).wait_success(LIMIT);
    assert!(out.contains("created"), "{out}");
    let sems: Vec<_> = names
        .iter()
        .map(|n| Semaphore::open(n.as_str()).unwrap().unlink_on_drop())
        .collect();
    let modes: Vec<u32> = sems.iter().map(|s| s.mode().bits()).collect();
    assert_eq!(modes, [0o600, 0o644, 0o666]);
    let out = testkit::spawn_child(TEST, &args("open")).wait_success(LIMIT);
    assert!(out.contains("modes-exact"), "{out}");
}
