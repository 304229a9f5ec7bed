use super::*;

const LIMIT: Duration = Duration::from_secs(60);

/// Writes `bytes` as the file of the semaphore `name` (mode 0o600), as
/// something other than sem_open would.
#[cfg(target_env = "gnu")]
fn forge(name: &str, bytes: &[u8]) -> RemovePath {
    let path = backing_file(&Name::new(name).unwrap());
    std::fs::write(&path, bytes).unwrap();
    RemovePath(path)
}

/// The audit's reproducer: a full-size file of 32 bytes of 0x01 passed
/// the size check, and the first release made glibc abort. The opens run
/// in a child, so a regression shows as that child's SIGABRT. glibc
/// only: musl's `sem_t` has no such word to check. On 32-bit glibc the
/// value is stored shifted left by one, so it cannot exceed
/// `SEM_VALUE_MAX` (`INT_MAX`): only the first file applies there.
#[cfg(target_env = "gnu")]
#[test]
fn a_file_of_0x01_bytes_is_refused_at_open_not_an_abort() {
    const TEST: &str = "contents::a_file_of_0x01_bytes_is_refused_at_open_not_an_abort";
    if let Some(args) = testkit::child_args(TEST) {
        support::no_core_dumps();
        for (name, why) in [
            (&args[0], "process-shared word"),
            (&args[1], "SEM_VALUE_MAX"),
        ]
        .into_iter()
        .take(if cfg!(target_pointer_width = "64") {
            2
        } else {
            1
        }) {
            let attempts = [
                Semaphore::open(name.as_str()),
                Semaphore::create(name.as_str(), 1),
                Semaphore::options()
                    .create(true)
                    .allow_foreign_owner(true)
                    .open(name.as_str()),
            ];
            for attempt in attempts {
                let sem = match attempt {
                    Err(e) => {
                        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
                        assert!(e.message().contains(why), "{e}");
                        assert!(e.message().contains("/dev/shm/sem."), "{e}");
                        assert!(e.message().contains("unlink_semaphore"), "{e}");
                        continue;
                    }
                    Ok(sem) => sem,
                };
                // Accepted by mistake: this is what the refusal prevents.
                let _ = sem.release();
                let _ = sem.try_acquire();
                panic!("{name}: a forged semaphore was opened");
            }
        }
        println!("refused");
        return;
    }
    let a = fresh_name();
    let b = fresh_name();
    let size = std::mem::size_of::<libc::sem_t>();
    let forged = forge(&a, &vec![0x01; size]);
    // A valid `private` word, and a value above SEM_VALUE_MAX (64-bit
    // glibc; unused on 32-bit).
    let mut too_big = [0u8; 32];
    too_big[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
    too_big[8..12].copy_from_slice(&128i32.to_ne_bytes());
    let _forged = forge(&b, &too_big[..size]);
    let out = testkit::spawn_child(TEST, &[&a, &b]).wait_success(LIMIT);
    assert!(out.contains("refused"), "{out}");
    // Reported, not deleted behind the user's back; nothing was written.
    assert_eq!(std::fs::read(&forged.0).unwrap(), vec![0x01; size]);
}

/// A directory or a symbolic link where the semaphore's file would be:
/// the error names the file and what it is.
#[test]
fn directories_and_links_are_named() {
    let name = fresh_name();
    let path = backing_file(&Name::new(name.as_str()).unwrap());
    let _remove = support::RemovePath(path.clone());
    std::fs::create_dir(&path).unwrap();
    for e in [
        Semaphore::open(&name).unwrap_err(),
        Semaphore::create(&name, 0).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR), "{e}");
        assert!(
            e.message().contains(&format!("{path} is a directory")),
            "{e}"
        );
    }
    std::fs::remove_dir(&path).unwrap();
    std::os::unix::fs::symlink("/dev/null", &path).unwrap();
    for e in [
        Semaphore::open(&name).unwrap_err(),
        Semaphore::create(&name, 0).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{e}");
        assert!(
            e.message().contains(&format!("{path} is a symbolic link")),
            "{e}"
        );
    }
}

/// A semaphore made by sem_open passes the same checks, whatever its value.
#[test]
fn real_semaphores_pass_the_checks() {
    let name = fresh_name();
    let max = limits::semaphore_value_max();
    for value in [0, 1, max] {
        let sem = Semaphore::create_new(&name, value)
            .unwrap()
            .unlink_on_drop();
        let again = Semaphore::open(&name).unwrap();
        assert_eq!(again.value().unwrap(), value);
        let created = Semaphore::create(&name, 0).unwrap();
        assert!(!created.created());
        sem.unlink().unwrap();
    }
}

/// `value()` on a semaphore whose memory was overwritten after the open
/// reports an error; it used to return a made-up `Ok(0)`. 64-bit glibc
/// only: 32-bit glibc returns the stored word shifted right by one, and
/// musl clamps, so neither can report a negative value.
#[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
#[test]
fn value_of_an_overwritten_semaphore_is_an_error() {
    use std::os::unix::fs::FileExt;
    let name = fresh_name();
    let sem = Semaphore::create_new(&name, 5).unwrap().unlink_on_drop();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(backing_file(sem.name()))
        .unwrap();
    // The value word, through the file: the mapping sees it at once.
    file.write_all_at(&0x8000_0001u32.to_ne_bytes(), 0).unwrap();
    let e = sem.value().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    assert!(e.message().contains("no semaphore can have"), "{e}");
    file.write_all_at(&3u32.to_ne_bytes(), 0).unwrap();
    assert_eq!(sem.value().unwrap(), 3);
}

/// The default mode 0o600 keeps every other user from writing (or
/// truncating) a semaphore's file; the child tries as `nobody`.
#[test]
fn another_user_cannot_truncate_a_default_mode_semaphore() {
    const TEST: &str = "contents::another_user_cannot_truncate_a_default_mode_semaphore";
    if let Some(args) = testkit::child_args(TEST) {
        testkit::become_nobody();
        let path = &args[0];
        let e = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
        let e = nix::unistd::truncate(path.as_str(), 0).unwrap_err();
        assert_eq!(e, nix::errno::Errno::EACCES);
        println!("denied");
        return;
    }
    if !testkit::is_root() {
        support::skip(TEST, "needs root to start the child as uid 65534");
        return;
    }
    let name = fresh_name();
    let sem = Semaphore::create_new(&name, 2).unwrap().unlink_on_drop();
    let path = backing_file(sem.name());
    let out = testkit::spawn_child(TEST, &[&path]).wait_success(LIMIT);
    assert!(out.contains("denied"), "{out}");
    let size = std::mem::size_of::<libc::sem_t>() as u64;
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
    sem.try_acquire().unwrap();
    assert_eq!(sem.value().unwrap(), 1);
}

/// What nothing portable prevents: the file's owner (or root) truncates it
/// under an open handle, and the next wait dies of SIGBUS. Documented on
/// `Semaphore`; here the child is meant to die.
#[test]
fn truncation_by_the_owner_is_the_documented_sigbus() {
    const TEST: &str = "contents::truncation_by_the_owner_is_the_documented_sigbus";
    if let Some(args) = testkit::child_args(TEST) {
        support::no_core_dumps();
        let sem = Semaphore::open(args[0].as_str()).unwrap();
        sem.try_acquire().unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(backing_file(sem.name()))
            .unwrap()
            .set_len(0)
            .unwrap();
        println!("truncated");
        let _ = sem.release();
        println!("survived");
        return;
    }
    let name = fresh_name();
    let _sem = Semaphore::create_new(&name, 1).unwrap().unlink_on_drop();
    let out = testkit::spawn_child(TEST, &[&name]).wait(LIMIT);
    let stdout = support::assert_killed_by(&out, libc::SIGBUS);
    assert!(stdout.contains("truncated"), "{stdout}");
    assert!(!stdout.contains("survived"), "{stdout}");
}
