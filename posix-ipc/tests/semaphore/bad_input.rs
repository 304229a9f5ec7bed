use super::*;

fn assert_rejected(name: &[u8], why: &str) {
    let os = OsStr::from_bytes(name);
    let errors = [
        Semaphore::open(os).unwrap_err(),
        Semaphore::create_new(os, 1).unwrap_err(),
        Semaphore::options().create(true).open(os).unwrap_err(),
        unlink_semaphore(os).unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name:?}: {e}");
        assert_eq!(e.raw_os_error(), None, "rejected before any system call");
        assert!(e.message().contains(why), "{name:?}: {e}");
    }
}

#[test]
fn nul_in_name_is_an_error_not_a_segfault() {
    assert_rejected(b"/ipcrs-sem\0tail", "NUL byte");
    let e = Semaphore::open("/ipcrs-x\0").unwrap_err();
    assert!(e.message().contains("NUL"), "{e}");
}

#[test]
fn name_without_leading_slash() {
    assert_rejected(b"ipcrs-noslash", "must start with '/'");
}

#[test]
fn name_with_inner_slash() {
    assert_rejected(b"/ipcrs/inner", "contains '/' after the first byte");
}

#[test]
fn empty_names() {
    assert_rejected(b"", "must start with '/'");
    assert_rejected(b"/", "empty");
}

/// `/.` and `/..` used to reach glibc and come back as a misleading
/// `AlreadyExists` ("unlink it first") and an unlink that "failed".
#[test]
fn dot_and_dot_dot_are_not_names() {
    assert_rejected(b"/.", "directory entry \".\"");
    assert_rejected(b"/..", "directory entry \"..\"");
}

#[test]
fn too_long_names() {
    let long = format!("/ipcrs-{}", "l".repeat(posix_ipc::SEMAPHORE_NAME_MAX - 5));
    assert_eq!(long.len() - 1, posix_ipc::SEMAPHORE_NAME_MAX + 1);
    assert_rejected(long.as_bytes(), "the limit for a semaphore is 251");
    let very_long = format!("/ipcrs-{}", "l".repeat(400));
    assert_rejected(very_long.as_bytes(), "the limit is 255");
}

#[test]
fn longest_name_works() {
    let name = format!(
        "{}-{}",
        testkit::unique_name("max"),
        "m".repeat(posix_ipc::SEMAPHORE_NAME_MAX - 27)
    );
    assert_eq!(name.len() - 1, posix_ipc::SEMAPHORE_NAME_MAX);
    let sem = Semaphore::create_new(&name, 1).unwrap().unlink_on_drop();
    sem.unlink().unwrap();
}

#[test]
fn non_utf8_name_works_byte_for_byte() {
    let mut bytes = testkit::unique_name("utf").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe");
    let name = Name::new(OsStr::from_bytes(&bytes)).unwrap();
    let sem = Semaphore::create_new(&name, 3).unwrap().unlink_on_drop();
    assert_eq!(sem.name().as_bytes(), &bytes[..]);
    assert_eq!(Semaphore::open(&name).unwrap().value().unwrap(), 3);
}

#[test]
fn bad_flags_create_nothing() {
    let name = fresh_name();
    let n = Name::new(name.as_str()).unwrap();
    let e = Semaphore::options().flags(O_EXCL).open(&name).unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("O_CREAT"),
        "{e}"
    );
    let e = Semaphore::options()
        .flags(O_CREAT | O_TRUNC)
        .open(&name)
        .unwrap_err();
    assert!(e.message().contains("does not accept"), "{e}");
    let e = Semaphore::options().flags(-1).open(&name).unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert!(!exists(&n));
    // A valid `flags` call after a bad one replaces it.
    let sem = Semaphore::options()
        .flags(-1)
        .flags(O_CREX)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert!(exists(sem.name()));
}

/// Setuid, setgid and sticky bits mean nothing for a semaphore (glibc
/// would put them on `/dev/shm/sem.<name>`): refused like higher bits, by
/// every creating form, and nothing is created.
#[test]
fn mode_out_of_range_creates_nothing() {
    let name = fresh_name();
    for bad in [0o4600, 0o2600, 0o1666, 0o7777, 0o10000, u32::MAX] {
        for creation in [O_CREAT, O_CREX] {
            let e = Semaphore::options()
                .flags(creation)
                .mode(bad)
                .open(&name)
                .unwrap_err();
            assert!(e.is_invalid_input(), "{e}");
            assert!(e.message().contains("above 0o777"), "{e}");
            assert_eq!(e.raw_os_error(), None, "refused before any call");
        }
        let e = Semaphore::options().mode(bad).create_unique().unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
    }
    assert!(!exists(&Name::new(name.as_str()).unwrap()));
    let sem = Semaphore::options()
        .create_new(true)
        .mode(0o777)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    // musl's sem_open keeps only the read and write bits (mode & 0o666).
    let c_library_bits = if cfg!(target_env = "musl") {
        0o666
    } else {
        0o777
    };
    assert_eq!(sem.mode().bits(), 0o777 & c_library_bits & !umask());
}

#[test]
fn initial_value_is_range_checked_not_wrapped() {
    let name = fresh_name();
    let max = limits::semaphore_value_max();
    // posix_ipc wraps 2**32 to 0 and passes -1 on as EINVAL.
    for bad in [max + 1, u32::MAX] {
        let e = Semaphore::options()
            .create_new(true)
            .initial_value(bad)
            .open(&name)
            .unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(
            e.message().contains(&format!("SEM_VALUE_MAX ({max})")),
            "{e}"
        );
    }
    assert!(!exists(&Name::new(name.as_str()).unwrap()));
    let sem = Semaphore::options()
        .create_new(true)
        .initial_value(max)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.value().unwrap(), max);
}

#[test]
fn release_at_sem_value_max_is_limit_exceeded() {
    let name = fresh_name();
    let max = limits::semaphore_value_max();
    let sem = Semaphore::create_new(&name, max).unwrap().unlink_on_drop();
    let e = sem.release().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert_eq!(e.raw_os_error(), Some(libc::EOVERFLOW));
    assert!(
        e.message().contains(&format!("SEM_VALUE_MAX ({max})")),
        "{e}"
    );
    assert_eq!(sem.value().unwrap(), max, "left unchanged");
    sem.try_acquire().unwrap();
    sem.release().unwrap();
}

#[test]
fn timeouts_python_cannot_express() {
    let sem = fixture();
    sem.try_acquire().unwrap();
    // posix_ipc: acquire(1e30) is an immediate BusyError, acquire(inf/nan)
    // an ExistentialError. Here: a clear InvalidInput, without waiting.
    let start = Instant::now();
    let e = sem.acquire(Timeout::After(Duration::MAX)).unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("Forever"),
        "{e}"
    );
    assert!(Timeout::from_secs_f64(f64::NAN).is_err());
    assert!(Timeout::from_secs_f64(-1.0).is_err());
    assert_eq!(
        Timeout::from_secs_f64(f64::INFINITY).unwrap(),
        Timeout::Forever
    );
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(sem.value().unwrap(), 0);
}

/// posix_ipc issue #51: `touch /dev/shm/sem.foo` then opening `/foo` dies
/// of SIGBUS on first use. Here it is an error and nothing stays mapped.
#[test]
fn empty_backing_file_is_an_error_not_sigbus() {
    let name = fresh_name();
    let n = Name::new(name.as_str()).unwrap();
    let path = backing_file(&n);
    std::fs::File::create(&path).unwrap();
    let _stray = RemovePath(path.clone());
    let id = sem_file_id(&n);
    for result in [
        Semaphore::open(&name),
        Semaphore::options().create(true).open(&name),
    ] {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.message().contains(&path), "{e}");
        assert!(e.message().contains("too small to be a semaphore"), "{e}");
        assert!(!is_mapped(id), "the failed open must not leak its mapping");
    }
    // The stray file is reported, not deleted behind the user's back.
    assert!(exists(&n));
    let e = Semaphore::create_new(&name, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    // The fix the message names works.
    unlink_semaphore(&name).unwrap();
    let sem = Semaphore::create_new(&name, 1).unwrap().unlink_on_drop();
    sem.try_acquire().unwrap();
}

/// The porting predicates of the errors semaphores build say what the kind
/// says, and nothing else.
#[test]
fn error_predicates_match_the_kind() {
    let sem = fixture();
    sem.try_acquire().unwrap();
    let full = Semaphore::options()
        .initial_value(limits::semaphore_value_max())
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    let errors = [
        Semaphore::create_new(sem.name(), 0).unwrap_err(),
        Semaphore::open(fresh_name().as_str()).unwrap_err(),
        Semaphore::open("no-slash").unwrap_err(),
        sem.try_acquire().unwrap_err(),
        sem.acquire(Duration::from_millis(5)).unwrap_err(),
        full.release().unwrap_err(),
        Semaphore::options()
            .mode(0o4600)
            .create_unique()
            .unwrap_err(),
    ];
    for e in &errors {
        assert_error_groups(e);
    }
    assert!(!errors[4].is_signal() && !errors[4].is_permissions());
}
