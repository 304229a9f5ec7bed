//! The behaviour each method documents, one test per documented case (the
//! checks that used to be doc tests of `Semaphore` and its options).

use super::*;
use posix_ipc::Result;

#[test]
fn handle_is_send_sync() {
    fn assert_traits<T: Send + Sync>() {}
    assert_traits::<Semaphore>();
    assert_traits::<posix_ipc::SemaphoreGuard<'_>>();
}

#[test]
fn options_validate_before_any_call() {
    let name = fresh_name();
    let name = name.as_str();
    let e = Semaphore::options()
        .create_new(true)
        .mode(0o10000)
        .open(name)
        .unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("above 0o777"),
        "{e}"
    );
    let e = Semaphore::options()
        .create(true)
        .initial_value(u32::MAX)
        .open(name)
        .unwrap_err();
    assert!(e.message().contains("SEM_VALUE_MAX"), "{e}");
    let e = Semaphore::options()
        .flags(posix_ipc::O_TRUNC)
        .open(name)
        .unwrap_err();
    assert!(e.message().contains("semaphore does not accept"), "{e}");
    let e = unlink_semaphore(name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn type_example() -> Result<()> {
    use posix_ipc::{Semaphore, Timeout};
    let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    sem.acquire(Timeout::Forever)?;
    assert!(sem.try_acquire().unwrap_err().is_busy()); // value is 0 now
    sem.release()?;
    assert_eq!(sem.value()?, 1);
    assert!(format!("{:?}", *sem).starts_with("Semaphore(\"/pipc_"));
    Ok(())
}

#[test]
fn options_type_example() -> Result<()> {
    use posix_ipc::Semaphore;
    let name = fresh_name();
    let sem = Semaphore::options()
        .create_new(true)
        .mode(0o600)
        .initial_value(3)
        .open(&name)?;
    assert_eq!(sem.value()?, 3);
    sem.unlink()?;
    Ok(())
}

#[test]
fn options_new() -> Result<()> {
    let opts = posix_ipc::SemaphoreOptions::new();
    let e = opts.open(fresh_name().as_str()).unwrap_err();
    assert_eq!(e.kind(), posix_ipc::ErrorKind::NotFound);
    Ok(())
}

#[test]
fn options_create() -> Result<()> {
    use posix_ipc::Semaphore;
    let name = fresh_name();
    let _a = Semaphore::options()
        .create(true)
        .initial_value(2)
        .open(&name)?
        .unlink_on_drop();
    let b = Semaphore::options()
        .create(true)
        .initial_value(9)
        .open(&name)?;
    assert_eq!(b.value()?, 2); // b opened a's semaphore
    Ok(())
}

#[test]
fn options_create_new() -> Result<()> {
    use posix_ipc::{ErrorKind, Semaphore};
    let name = fresh_name();
    let _sem = Semaphore::options()
        .create_new(true)
        .open(&name)?
        .unlink_on_drop();
    let e = Semaphore::options()
        .create_new(true)
        .open(&name)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    Ok(())
}

#[test]
fn options_mode() -> Result<()> {
    use posix_ipc::Mode;
    let sem = posix_ipc::Semaphore::options()
        .mode(0o640)
        .create_unique()?;
    assert_eq!(sem.mode().bits(), 0o640); // with the usual umask 022
    let _again = posix_ipc::Semaphore::options()
        .mode(Mode::OWNER_READ_WRITE)
        .create_unique()?
        .unlink_on_drop();
    sem.unlink()?;
    Ok(())
}

#[test]
fn options_initial_value() -> Result<()> {
    let sem = posix_ipc::Semaphore::options()
        .initial_value(7)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(sem.value()?, 7);
    Ok(())
}

#[test]
fn options_allow_foreign_owner() -> Result<()> {
    use posix_ipc::Semaphore;
    let mine = Semaphore::create_unique(1)?.unlink_on_drop();
    // Our own semaphore is opened either way.
    let again = Semaphore::options()
        .create(true)
        .allow_foreign_owner(false)
        .open(mine.name())?;
    assert!(!again.created());
    Ok(())
}

#[test]
fn options_flags() -> Result<()> {
    use posix_ipc::{O_CREX, O_EXCL, Semaphore};
    let name = fresh_name();
    // posix_ipc.Semaphore(name, O_CREX, 0o600, 1)
    let _sem = Semaphore::options()
        .flags(O_CREX)
        .mode(0o600)
        .initial_value(1)
        .open(&name)?
        .unlink_on_drop();
    assert!(
        Semaphore::options()
            .flags(O_EXCL)
            .open(&name)
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

#[test]
fn options_open() -> Result<()> {
    use posix_ipc::{ErrorKind, Semaphore};
    let e = Semaphore::options()
        .open(fresh_name().as_str())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.message().contains("create it with"));
    let e = Semaphore::options().open("no-slash").unwrap_err();
    assert!(e.is_invalid_input());
    Ok(())
}

#[test]
fn options_create_unique() -> Result<()> {
    let sem = posix_ipc::Semaphore::options()
        .initial_value(1)
        .create_unique()?
        .unlink_on_drop();
    assert!(sem.name().to_str().unwrap().starts_with("/pipc_"));
    Ok(())
}

#[test]
fn options_fn() -> Result<()> {
    let sem = posix_ipc::Semaphore::options()
        .initial_value(1)
        .mode(0o600)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(sem.value()?, 1);
    Ok(())
}

#[test]
fn open() -> Result<()> {
    use posix_ipc::Semaphore;
    let first = Semaphore::create_unique(4)?.unlink_on_drop();
    let second = Semaphore::open(first.name())?;
    assert_eq!(second.value()?, 4);
    Ok(())
}

#[test]
fn create() -> Result<()> {
    use posix_ipc::Semaphore;
    let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    let same = Semaphore::create(sem.name(), 5)?; // opens it; 5 is ignored
    assert_eq!(same.value()?, 1);
    Ok(())
}

#[test]
fn create_new() -> Result<()> {
    use posix_ipc::Semaphore;
    let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    assert!(
        Semaphore::create_new(sem.name(), 1)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

#[test]
fn create_unique() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(0)?.unlink_on_drop();
    assert_eq!(sem.name().as_bytes().len(), posix_ipc::UNIQUE_NAME_LEN);
    Ok(())
}

#[test]
fn acquire() -> Result<()> {
    use posix_ipc::{ErrorKind, Semaphore, Timeout};
    use std::time::Duration;
    let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    sem.acquire(Duration::from_millis(10))?;
    sem.release()?;
    sem.acquire(Timeout::Forever)?;
    assert_eq!(
        sem.acquire(Timeout::Immediate).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let e = sem
        .acquire(Timeout::After(Duration::from_millis(10)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.is_busy()); // Python's BusyError covers both
    Ok(())
}

#[test]
fn try_acquire() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(1)?.unlink_on_drop();
    sem.try_acquire()?;
    assert!(sem.try_acquire().unwrap_err().is_busy());
    Ok(())
}

#[test]
fn acquire_guard() -> Result<()> {
    use posix_ipc::{Semaphore, Timeout};
    let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    {
        let _guard = sem.acquire_guard(Timeout::Immediate)?;
        assert_eq!(sem.value()?, 0);
    }
    assert_eq!(sem.value()?, 1);
    Ok(())
}

#[test]
fn lock() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(1)?.unlink_on_drop();
    {
        let _held = sem.lock()?;
        assert!(sem.try_acquire().is_err());
    }
    sem.try_acquire()?;
    Ok(())
}

#[test]
fn release() -> Result<()> {
    use posix_ipc::{ErrorKind, Semaphore, limits};
    let sem = Semaphore::create_unique(limits::semaphore_value_max() - 1)?.unlink_on_drop();
    sem.release()?;
    let e = sem.release().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert!(e.message().contains("SEM_VALUE_MAX"));
    Ok(())
}

#[test]
fn value() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(2)?.unlink_on_drop();
    assert_eq!(sem.value()?, 2);
    sem.release()?;
    assert_eq!(sem.value()?, 3);
    Ok(())
}

#[test]
fn name() -> Result<()> {
    use posix_ipc::Semaphore;
    let name = fresh_name();
    let sem = Semaphore::create_new(name.as_str(), 0)?.unlink_on_drop();
    assert_eq!(sem.name().to_str(), Some(name.as_str()));
    Ok(())
}

#[test]
fn mode() -> Result<()> {
    use posix_ipc::Semaphore;
    let sem = Semaphore::options()
        .mode(0o640)
        .create_unique()?
        .unlink_on_drop();
    let other = Semaphore::options().mode(0o600).open(sem.name())?;
    assert_eq!(other.mode().bits(), 0o640); // the real mode, not the argument
    Ok(())
}

#[test]
fn created() -> Result<()> {
    use posix_ipc::Semaphore;
    let first = Semaphore::create_unique(1)?.unlink_on_drop();
    let second = Semaphore::create(first.name(), 1)?;
    assert!(first.created() && !second.created());
    assert!(!Semaphore::open(first.name())?.created());
    Ok(())
}

#[test]
fn unlink() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(0)?;
    sem.unlink()?;
    sem.release()?; // still usable
    assert!(
        posix_ipc::Semaphore::open(sem.name())
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

#[test]
fn close() -> Result<()> {
    use posix_ipc::Semaphore;
    let sem = Semaphore::create_unique(1)?;
    let name = sem.name().clone();
    sem.close()?;
    let again = Semaphore::open(&name)?; // still exists
    again.unlink()?;
    Ok(())
}

#[test]
fn unlink_on_drop() -> Result<()> {
    use posix_ipc::Semaphore;
    let name = {
        let sem = Semaphore::create_unique(1)?.unlink_on_drop();
        sem.acquire(posix_ipc::Timeout::Immediate)?; // derefs to Semaphore
        sem.name().clone()
    };
    assert!(Semaphore::open(&name).unwrap_err().is_existential());
    Ok(())
}

#[test]
fn unlink_semaphore_fn() -> Result<()> {
    use posix_ipc::{Semaphore, unlink_semaphore};
    let sem = Semaphore::create_unique(0)?;
    unlink_semaphore(sem.name())?;
    assert_eq!(
        unlink_semaphore(sem.name()).unwrap_err().kind(),
        posix_ipc::ErrorKind::NotFound
    );
    assert!(unlink_semaphore("/a\0b").unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn guard_type_example() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(1)?.unlink_on_drop();
    let guard = sem.lock()?;
    assert_eq!(sem.value()?, 0);
    drop(guard);
    assert_eq!(sem.value()?, 1);
    Ok(())
}

#[test]
fn guard_semaphore() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(1)?.unlink_on_drop();
    let guard = sem.lock()?;
    assert_eq!(guard.semaphore().name(), sem.name());
    drop(guard);
    Ok(())
}

#[test]
fn guard_release() -> Result<()> {
    let sem = posix_ipc::Semaphore::create_unique(1)?.unlink_on_drop();
    sem.lock()?.release()?;
    assert_eq!(sem.value()?, 1);
    Ok(())
}
