use super::*;

#[test]
fn failed_opens_leak_nothing() {
    let sem = fixture();
    let name = sem.name().clone();
    let absent = fresh_name();
    let absent = Name::new(absent.as_str()).unwrap();
    for _ in 0..100 {
        assert!(Semaphore::open(&absent).is_err());
        assert!(Semaphore::create_new(&name, 0).is_err());
    }
    assert!(!exists(&absent));
    let id = sem_file_id(&name);
    assert!(is_mapped(id));
    drop(sem.into_inner()); // closed, not unlinked
    assert!(!is_mapped(id), "drop closes the handle");
    let again = Semaphore::open(&name).unwrap().unlink_on_drop();
    assert!(is_mapped(id));
    again.unlink().unwrap();
    again.into_inner().close().unwrap();
    assert!(!is_mapped(id), "close unmaps");
}

/// `created()`: true when this very call made the semaphore (and so gave
/// it its mode and initial value), for every form of open.
#[test]
fn created_tells_whether_this_call_made_it() {
    let name = fresh_name();
    let made = Semaphore::create(&name, 3).unwrap().unlink_on_drop();
    assert!(made.created());
    let again = Semaphore::create(&name, 9).unwrap();
    assert!(!again.created());
    assert_eq!(again.value().unwrap(), 3, "9 was not applied");
    let by_flags = Semaphore::options().flags(O_CREAT).open(&name).unwrap();
    assert!(!by_flags.created());
    assert!(!Semaphore::open(&name).unwrap().created());
    let e = Semaphore::create_new(&name, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    made.unlink().unwrap();
    let by_flags = Semaphore::options()
        .flags(O_CREAT)
        .initial_value(4)
        .open(&name)
        .unwrap();
    assert!(by_flags.created());
    assert_eq!(by_flags.value().unwrap(), 4);
    by_flags.unlink().unwrap();
    assert!(
        Semaphore::options()
            .flags(O_CREX)
            .open(&name)
            .unwrap()
            .created()
    );
    let unique = Semaphore::create_unique(0).unwrap().unlink_on_drop();
    assert!(unique.created());
}

#[test]
fn handles_to_one_name_are_independent() {
    let sem = fixture();
    let other = Semaphore::open(sem.name()).unwrap();
    other.close().unwrap();
    sem.release().unwrap();
    assert_eq!(sem.value().unwrap(), 2);
}

#[test]
fn unlink_keeps_handles_working_and_frees_the_name() {
    let sem = fixture();
    sem.unlink().unwrap();
    sem.release().unwrap();
    assert_eq!(sem.value().unwrap(), 2);
    let fresh = Semaphore::create_new(sem.name(), 7)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(fresh.value().unwrap(), 7);
    assert_eq!(sem.value().unwrap(), 2, "a different semaphore");
    sem.unlink().unwrap(); // unlinks the new one, by name
    assert_eq!(sem.unlink().unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn unlink_after_close_works_by_name() {
    // posix_ipc's USAGE promises it and raises instead.
    let sem = fixture();
    let name = sem.name().clone();
    sem.into_inner().close().unwrap();
    unlink_semaphore(&name).unwrap();
    assert!(!exists(&name));
}

#[test]
fn mode_is_the_real_mode() {
    let name = fresh_name();
    let sem = Semaphore::options()
        .create_new(true)
        .mode(0o666)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.mode().bits(), 0o666 & !umask());
    let opened = Semaphore::open(&name).unwrap();
    assert_eq!(opened.mode(), sem.mode(), "not the default 0o600");
    let created_by_other = Semaphore::options()
        .create(true)
        .mode(0o600)
        .open(&name)
        .unwrap();
    assert_eq!(created_by_other.mode(), sem.mode());
    let expected = format!("Semaphore({name:?}, mode=0o{:o})", 0o666 & !umask());
    assert_eq!(format!("{:?}", *sem), expected);
}

#[test]
fn guard_releases_on_panic_and_on_release() {
    let sem = fixture();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _held = sem.acquire_guard(Timeout::Immediate).unwrap();
        assert_eq!(sem.value().unwrap(), 0);
        panic!("inside the critical section");
    }));
    assert!(r.is_err());
    assert_eq!(sem.value().unwrap(), 1);
    let guard = sem.acquire_guard(Timeout::Forever).unwrap();
    assert!(format!("{guard:?}").starts_with("SemaphoreGuard(Semaphore(\"/ipcrs-sem-"));
    guard.release().unwrap();
    assert_eq!(sem.value().unwrap(), 1);
    let held = sem.lock().unwrap();
    let e = sem
        .acquire_guard(Timeout::After(Duration::from_millis(10)))
        .unwrap_err();
    assert!(e.is_busy());
    drop(held);
    assert_eq!(sem.value().unwrap(), 1);
}

#[test]
fn unlinking_guard_unlinks_and_closes() {
    let name = fresh_name();
    let n = Name::new(name.as_str()).unwrap();
    let id;
    {
        let owned = Semaphore::create_new(&name, 1).unwrap().unlink_on_drop();
        id = sem_file_id(&n);
        owned.try_acquire().unwrap();
        assert!(format!("{owned:?}").starts_with("UnlinkOnDrop(Semaphore("));
    }
    assert!(!exists(&n));
    assert!(!is_mapped(id));
    let kept = Semaphore::create_new(&name, 1)
        .unwrap()
        .unlink_on_drop()
        .into_inner();
    assert!(exists(&n));
    drop(kept);
    assert!(exists(&n), "into_inner disarms the guard");
    unlink_semaphore(&name).unwrap();
}

#[test]
fn one_handle_shared_by_threads() {
    let name = fresh_name();
    let sem = std::sync::Arc::new(Semaphore::create_new(&name, 0).unwrap().unlink_on_drop());
    let waiter = {
        let sem = sem.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            sem.acquire(Timeout::After(Duration::from_secs(20)))
                .unwrap();
            start.elapsed()
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    sem.release().unwrap();
    let waited = waiter.join().unwrap();
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn options_are_reusable_and_default() {
    let mut opts = SemaphoreOptions::default();
    opts.create_new(true).initial_value(2);
    let a = opts.create_unique().unwrap().unlink_on_drop();
    let b = opts.create_unique().unwrap().unlink_on_drop();
    assert_ne!(a.name(), b.name());
    assert_eq!((a.value().unwrap(), b.value().unwrap()), (2, 2));
    let c: &CStr = a.name().as_c_str();
    assert_eq!(Semaphore::open(c).unwrap().value().unwrap(), 2);
}

/// EACCES/EPERM: another user opens and unlinks a `0o600` semaphore. As
/// root, a child process drops to `nobody` first; otherwise a `0o000`
/// semaphore denies even its owner.
#[test]
fn permission_denied_says_what_to_do() {
    const TEST: &str = "handles::permission_denied_says_what_to_do";
    if let Some(args) = testkit::child_args(TEST) {
        testkit::become_nobody();
        let e = Semaphore::open(args[0].as_str()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.is_permissions());
        assert!(e.message().contains("read and write access"), "{e}");
        let e = unlink_semaphore(args[0].as_str()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert!(e.message().contains("only its owner"), "{e}");
        println!("denied as uid 65534");
        return;
    }
    let name = fresh_name();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let _sem = Semaphore::create_new(&name, 0).unwrap().unlink_on_drop();
        let out = testkit::spawn_child(TEST, &[&name]).wait_success(Duration::from_secs(30));
        assert!(out.contains("denied as uid 65534"), "{out}");
    } else {
        let _sem = Semaphore::options()
            .create_new(true)
            .mode(0)
            .open(&name)
            .unwrap();
        let e = Semaphore::open(&name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    }
}
