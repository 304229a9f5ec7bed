use super::*;

#[test]
fn constant_values() {
    assert_eq!(O_CREAT, libc::O_CREAT);
    assert_eq!(O_EXCL, libc::O_EXCL);
    assert_eq!(O_TRUNC, libc::O_TRUNC);
    assert_eq!(O_CREX, O_CREAT | O_EXCL);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    assert_eq!(limits::page_size(), usize::try_from(page).unwrap());
    let supported = [
        posix_ipc::SEMAPHORE_TIMEOUT_SUPPORTED,
        posix_ipc::SEMAPHORE_VALUE_SUPPORTED,
        posix_ipc::MESSAGE_QUEUES_SUPPORTED,
    ];
    assert_eq!(supported, [true; 3], "everything exists on Linux");
    assert!(limits::semaphore_value_max() >= 1);
    let mq = limits::message_queue_limits().unwrap();
    assert!(mq.msg_max >= 1 && mq.msgsize_max >= 1);
    assert!(mq.msg_default >= 1 && mq.msgsize_default >= 1);
    assert!(limits::message_priority_max() >= 1);
    assert!(limits::user_signal_min() >= 1 && limits::user_signal_max() >= 1);
    let rl = limits::rlimit_msgqueue().unwrap();
    assert!(rl.soft.is_none_or(|s| rl.hard.is_none_or(|h| s <= h)));
}

#[test]
fn unlink_semaphore_by_name() {
    let sem = fixture();
    unlink_semaphore(sem.name()).unwrap();
    let name = sem.name().clone();
    sem.into_inner().close().unwrap();
    let e = Semaphore::open(&name).unwrap_err();
    assert!(e.is_existential());
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = unlink_semaphore(&name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("no semaphore named"), "{e}");
}

#[test]
fn create_opens_or_creates_and_keeps_an_existing_value() {
    let name = fresh_name();
    let first = Semaphore::create(&name, 2).unwrap().unlink_on_drop();
    assert_eq!(first.value().unwrap(), 2);
    first.try_acquire().unwrap();
    // An existing semaphore is opened as it is: sem_open ignores the value.
    let second = Semaphore::create(&name, 9).unwrap();
    assert_eq!(second.value().unwrap(), 1);
    let e = Semaphore::create_new(&name, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(
        Semaphore::create(&name, u32::MAX)
            .unwrap_err()
            .is_invalid_input()
    );
}

#[test]
fn errors_fall_into_the_python_families() {
    let sem = fixture();
    let missing = Semaphore::open(testkit::unique_name("absent")).unwrap_err();
    assert!(missing.is_existential() && !missing.is_busy());
    let taken = Semaphore::create_new(sem.name(), 0).unwrap_err();
    assert!(taken.is_existential());
    sem.try_acquire().unwrap();
    let busy = sem.try_acquire().unwrap_err();
    assert!(busy.is_busy() && !busy.is_existential());
    let io: std::io::Error = busy.into();
    assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
    let io: std::io::Error = missing.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}
