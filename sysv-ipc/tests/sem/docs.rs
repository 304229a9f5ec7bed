//! The behaviour the API documentation states for each method, checked
//! here rather than in doc examples (which keep one example per concept).

/// The documented behaviour of `SEMAPHORE_VALUE_MAX`.
#[test]
fn semaphore_value_max() -> sysv_ipc::Result<()> {
    assert_eq!(sysv_ipc::SEMAPHORE_VALUE_MAX, 32767);
    Ok(())
}

/// The documented behaviour of `SEMAPHORE_TIMEOUT_SUPPORTED`.
#[test]
fn semaphore_timeout_supported() -> sysv_ipc::Result<()> {
    assert_eq!(
        sysv_ipc::SEMAPHORE_TIMEOUT_SUPPORTED,
        cfg!(target_os = "linux")
    );
    Ok(())
}

/// The documented behaviour of `remove_semaphore`.
#[test]
fn remove_semaphore() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    sysv_ipc::remove_semaphore(sem.id())?;
    assert_eq!(
        sem.value().unwrap_err().kind(),
        sysv_ipc::ErrorKind::Removed
    );
    assert_eq!(
        sysv_ipc::remove_semaphore(sem.id()).unwrap_err().kind(),
        sysv_ipc::ErrorKind::NotFound
    );
    Ok(())
}

/// The documented behaviour of `SemaphoreStat`.
#[test]
fn semaphore_stat() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(3)?.remove_on_drop();
    let st = sem.stat()?;
    assert_eq!(st.key, sem.key());
    assert_eq!(st.len, 1);
    assert_eq!(st.permissions.mode.bits(), 0o600);
    assert!(st.operation_time.is_some()); // the creator's initialising semop
    Ok(())
}

/// The documented behaviour of `SemaphoreLimits`.
#[test]
fn semaphore_limits() -> sysv_ipc::Result<()> {
    let l = sysv_ipc::limits::semaphore_limits()?;
    assert!(l.semmsl >= 1 && l.semopm >= 1 && l.semmni >= 1);
    assert_eq!(l.semvmx, sysv_ipc::SEMAPHORE_VALUE_MAX);
    Ok(())
}

/// The documented behaviour of `semaphore_limits`.
#[test]
fn semaphore_limits_2() -> sysv_ipc::Result<()> {
    let l = sysv_ipc::limits::semaphore_limits()?;
    println!("at most {} operations per batch", l.semopm);
    Ok(())
}

/// The documented behaviour of `SemaphoreGuard`.
#[test]
fn semaphore_guard() -> sysv_ipc::Result<()> {
    use sysv_ipc::{Semaphore, Timeout};
    let sem = Semaphore::create_unique(1)?.remove_on_drop();
    {
        let _held = sem.acquire_guard(1, Timeout::Forever)?;
        assert_eq!(sem.value()?, 0);
    }
    assert_eq!(sem.value()?, 1);
    Ok(())
}

/// The documented behaviour of `SemaphoreGuard::release`.
#[test]
fn guard_release() -> sysv_ipc::Result<()> {
    use sysv_ipc::{Semaphore, Timeout};
    let sem = Semaphore::create_unique(2)?.remove_on_drop();
    let held = sem.acquire_guard(2, Timeout::Immediate)?;
    held.release()?;
    assert_eq!(sem.value()?, 2);
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::new`.
#[test]
fn sem_options_new() -> sysv_ipc::Result<()> {
    let gone = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    let key = gone.key();
    gone.remove()?;
    let e = sysv_ipc::SemaphoreOptions::new().open(key).unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::create`.
#[test]
fn sem_options_create() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let sem = sysv_ipc::Semaphore::options()
        .create(true)
        .open(key)?
        .remove_on_drop();
    assert!(sem.created());
    let again = sysv_ipc::Semaphore::options().create(true).open(key)?;
    assert_eq!((again.id(), again.created()), (sem.id(), false));
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::create_new`.
#[test]
fn sem_options_create_new() -> sysv_ipc::Result<()> {
    use sysv_ipc::{ErrorKind, Semaphore};
    let (key, _key_guard) = crate::support::unused_key();
    let _sem = Semaphore::options()
        .create_new(true)
        .open(key)?
        .remove_on_drop();
    let e = Semaphore::options().create_new(true).open(key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::mode`.
#[test]
fn sem_options_mode() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let sem = sysv_ipc::Semaphore::options()
        .create_new(true)
        .mode(0o644)
        .open(key)?;
    assert_eq!(sem.mode()?.bits(), 0o644);
    assert!(
        sysv_ipc::Semaphore::options()
            .mode(0o1600)
            .open(sem.key())
            .unwrap_err()
            .is_invalid_input()
    );
    sem.remove()?;
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::initial_value`.
#[test]
fn sem_options_initial_value() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let sem = sysv_ipc::Semaphore::options()
        .create_new(true)
        .initial_value(42)
        .open(key)?;
    assert_eq!(sem.value()?, 42);
    sem.remove()?;
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::flags`.
#[test]
fn sem_options_flags() -> sysv_ipc::Result<()> {
    use sysv_ipc::{IPC_CREX, IPC_EXCL, Semaphore};
    let (key, _key_guard) = crate::support::unused_key();
    let _sem = Semaphore::options()
        .flags(IPC_CREX)
        .initial_value(1)
        .open(key)?
        .remove_on_drop();
    assert!(
        Semaphore::options()
            .flags(IPC_EXCL)
            .open(key)
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        Semaphore::options()
            .flags(0o1600)
            .open(key)
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::allow_foreign_owner`.
#[test]
fn sem_options_allow_foreign_owner() -> sysv_ipc::Result<()> {
    use sysv_ipc::Semaphore;
    let sem = Semaphore::create_unique(0)?.remove_on_drop();
    let same = Semaphore::options()
        .create(true)
        .allow_foreign_owner(true)
        .open(sem.key())?
        .remove_on_drop();
    assert!(!same.created());
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::undo`.
#[test]
fn sem_options_undo() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::options()
        .undo(true)
        .create_unique()?
        .remove_on_drop();
    assert!(sem.undo());
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::block`.
#[test]
fn sem_options_block() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::options()
        .block(false)
        .create_unique()?
        .remove_on_drop();
    assert!(!sem.block());
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::mark_initialised`.
#[test]
fn sem_options_mark_initialised() -> sysv_ipc::Result<()> {
    use sysv_ipc::Semaphore;
    let sem = Semaphore::options()
        .mark_initialised(false)
        .initial_value(1)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(sem.value()?, 1);
    assert_eq!(sem.operation_time()?, None);
    sem.release(1)?;
    assert!(sem.operation_time()?.is_some());
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::open`.
#[test]
fn sem_options_open() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let e = sysv_ipc::Semaphore::options().open(key).unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `SemaphoreOptions::create_unique`.
#[test]
fn sem_options_create_unique() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::options()
        .mode(0o600)
        .initial_value(2)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(sem.value()?, 2);
    Ok(())
}

/// The documented behaviour of `Semaphore::options`.
#[test]
fn semaphore_options() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let sem = sysv_ipc::Semaphore::options()
        .create_new(true)
        .initial_value(1)
        .open(key)?;
    sem.remove()?;
    Ok(())
}

/// The documented behaviour of `Semaphore::open`.
#[test]
fn semaphore_open() -> sysv_ipc::Result<()> {
    use sysv_ipc::Semaphore;
    let sem = Semaphore::create_unique(0)?.remove_on_drop();
    assert_eq!(Semaphore::open(sem.key())?.id(), sem.id());
    sem.remove()?;
    assert!(Semaphore::open(sem.key()).unwrap_err().is_existential());
    Ok(())
}

/// The documented behaviour of `Semaphore::create`.
#[test]
fn semaphore_create() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    use sysv_ipc::Semaphore;
    let sem = Semaphore::create(key, 5)?.remove_on_drop();
    assert!(sem.created());
    sem.release(1)?;
    let same = Semaphore::create(sem.key(), 5)?.remove_on_drop();
    assert!(!same.created());
    assert_eq!(same.value()?, 6); // not reset
    Ok(())
}

/// The documented behaviour of `Semaphore::create_new`.
#[test]
fn semaphore_create_new() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    use sysv_ipc::Semaphore;
    let sem = Semaphore::create_new(key, 5)?.remove_on_drop();
    assert_eq!(sem.value()?, 5);
    assert!(
        Semaphore::create_new(sem.key(), 5)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

/// The documented behaviour of `Semaphore::create_unique`.
#[test]
fn semaphore_create_unique() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(1)?.remove_on_drop();
    assert!(!sem.key().is_private());
    Ok(())
}

/// The documented behaviour of `Semaphore::from_id`.
#[test]
fn semaphore_from_id() -> sysv_ipc::Result<()> {
    use sysv_ipc::Semaphore;
    let sem = Semaphore::create_unique(4)?.remove_on_drop();
    let same = Semaphore::from_id(sem.id())?;
    assert_eq!((same.key(), same.value()?), (sem.key(), 4));
    sem.remove()?;
    assert_eq!(
        Semaphore::from_id(sem.id()).unwrap_err().kind(),
        sysv_ipc::ErrorKind::NotFound
    );
    Ok(())
}

/// The documented behaviour of `Semaphore::acquire`.
#[test]
fn semaphore_acquire() -> sysv_ipc::Result<()> {
    use std::time::Duration;
    use sysv_ipc::{Semaphore, Timeout};
    let sem = Semaphore::create_unique(42)?.remove_on_drop();
    sem.acquire(10, Timeout::Forever)?;
    assert_eq!(sem.value()?, 32);
    let e = sem
        .acquire(40, Timeout::After(Duration::from_millis(10)))
        .unwrap_err();
    assert!(e.is_busy());
    assert!(
        sem.acquire(0, Timeout::Forever)
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `Semaphore::release`.
#[test]
fn semaphore_release() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    sem.release(5)?;
    assert_eq!(sem.value()?, 5);
    assert_eq!(
        sem.release(32767).unwrap_err().kind(),
        sysv_ipc::ErrorKind::LimitExceeded
    );
    Ok(())
}

/// The documented behaviour of `Semaphore::wait_zero`.
#[test]
fn semaphore_wait_zero() -> sysv_ipc::Result<()> {
    use sysv_ipc::{Semaphore, Timeout};
    let sem = Semaphore::create_unique(0)?.remove_on_drop();
    sem.wait_zero(Timeout::Forever)?;
    sem.release(1)?;
    assert!(sem.wait_zero(Timeout::Immediate).unwrap_err().is_busy());
    Ok(())
}

/// The documented behaviour of `Semaphore::undo`.
#[test]
fn semaphore_undo() -> sysv_ipc::Result<()> {
    assert!(!sysv_ipc::Semaphore::create_unique(0).map(|s| {
        let u = s.undo();
        s.remove().unwrap();
        u
    })?);
    Ok(())
}

/// The documented behaviour of `Semaphore::block`.
#[test]
fn semaphore_block() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    assert!(sem.block());
    Ok(())
}

/// The documented behaviour of `Semaphore::set_block`.
#[test]
fn semaphore_set_block() -> sysv_ipc::Result<()> {
    let sem = std::sync::Arc::new(sysv_ipc::Semaphore::create_unique(0)?);
    sem.set_block(false);
    assert!(
        sem.acquire(1, sysv_ipc::Timeout::Forever)
            .unwrap_err()
            .is_busy()
    );
    sem.remove()?;
    Ok(())
}

/// The documented behaviour of `Semaphore::value`.
#[test]
fn semaphore_value() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(3)?.remove_on_drop();
    assert_eq!(sem.value()?, 3);
    Ok(())
}

/// The documented behaviour of `Semaphore::set_value`.
#[test]
fn semaphore_set_value() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    sem.set_value(42)?;
    assert_eq!(sem.value()?, 42);
    assert!(sem.set_value(40000).unwrap_err().is_invalid_input());
    Ok(())
}

/// The documented behaviour of `Semaphore::last_pid`.
#[test]
fn semaphore_last_pid() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    sem.release(1)?;
    assert_eq!(sem.last_pid()?, Some(std::process::id() as i32));
    Ok(())
}

/// The documented behaviour of `Semaphore::waiting_for_nonzero`.
#[test]
fn semaphore_waiting_for_nonzero() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    assert_eq!(sem.waiting_for_nonzero()?, 0);
    Ok(())
}

/// The documented behaviour of `Semaphore::waiting_for_zero`.
#[test]
fn semaphore_waiting_for_zero() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(1)?.remove_on_drop();
    assert_eq!(sem.waiting_for_zero()?, 0);
    Ok(())
}

/// The documented behaviour of `Semaphore::operation_time`.
#[test]
fn semaphore_operation_time() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    assert!(sem.operation_time()?.is_some());
    Ok(())
}

/// The documented behaviour of `Semaphore::change_time`.
#[test]
fn semaphore_change_time() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    assert!(sem.change_time()?.elapsed().unwrap_or_default().as_secs() < 60);
    Ok(())
}

/// The documented behaviour of `Semaphore::stat`.
#[test]
fn semaphore_stat_2() -> sysv_ipc::Result<()> {
    let sem = sysv_ipc::Semaphore::create_unique(0)?.remove_on_drop();
    assert_eq!(sem.stat()?.permissions.mode.bits(), 0o600);
    Ok(())
}

/// The documented behaviour of `SemOp::acquire`.
#[test]
fn sem_op_acquire() -> sysv_ipc::Result<()> {
    let op = sysv_ipc::SemOp::acquire(2, 1);
    assert_eq!(op.index(), 2);
    Ok(())
}

/// The documented behaviour of `SemOp::release`.
#[test]
fn sem_op_release() -> sysv_ipc::Result<()> {
    let op = sysv_ipc::SemOp::release(0, 3);
    assert_eq!(op.index(), 0);
    Ok(())
}

/// The documented behaviour of `SemOp::wait_zero`.
#[test]
fn sem_op_wait_zero() -> sysv_ipc::Result<()> {
    let op = sysv_ipc::SemOp::wait_zero(1);
    assert_eq!(op.index(), 1);
    Ok(())
}

/// The documented behaviour of `SemOp::no_wait`.
#[test]
fn sem_op_no_wait() -> sysv_ipc::Result<()> {
    use sysv_ipc::{SemOp, SemaphoreSet, Timeout};
    let set = SemaphoreSet::options()
        .len(1)
        .create_unique()?
        .remove_on_drop();
    let e = set
        .apply(&[SemOp::acquire(0, 1).no_wait()], Timeout::Forever)
        .unwrap_err();
    assert!(e.is_busy());
    Ok(())
}

/// The documented behaviour of `SemOp::undo`.
#[test]
fn sem_op_undo() -> sysv_ipc::Result<()> {
    use sysv_ipc::{SemOp, SemaphoreSet, Timeout};
    const MUTEX: u16 = 0;
    let set = SemaphoreSet::options()
        .len(1)
        .initial_value(1)
        .create_unique()?
        .remove_on_drop();
    // Balanced: the undo sum goes -1, then back to 0; nothing is reversed at exit.
    set.apply(&[SemOp::acquire(MUTEX, 1).undo()], Timeout::Forever)?;
    set.apply(&[SemOp::release(MUTEX, 1).undo()], Timeout::Forever)?;
    // Unbalanced (don't): the sum stays -1, so at exit the kernel adds 1
    // and the mutex, already 1, becomes 2.
    // set.apply(&[SemOp::acquire(MUTEX, 1).undo()], Timeout::Forever)?;
    // set.release(MUTEX, 1)?;
    assert!(SemOp::acquire(MUTEX, 1).undo().is_undo());
    Ok(())
}

/// The documented behaviour of `SemOp::index`.
#[test]
fn sem_op_index() -> sysv_ipc::Result<()> {
    assert_eq!(sysv_ipc::SemOp::release(7, 1).index(), 7);
    Ok(())
}

/// The documented behaviour of `SemOp::is_undo`.
#[test]
fn sem_op_is_undo() -> sysv_ipc::Result<()> {
    assert!(!sysv_ipc::SemOp::release(0, 1).is_undo());
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::new`.
#[test]
fn set_options_new() -> sysv_ipc::Result<()> {
    let gone = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .create_unique()?
        .remove_on_drop();
    let key = gone.key();
    gone.remove()?;
    let e = sysv_ipc::SemaphoreSetOptions::new().open(key).unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::create`.
#[test]
fn set_options_create() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let set = sysv_ipc::SemaphoreSet::options()
        .create(true)
        .len(2)
        .open(key)?;
    set.remove()?;
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::create_new`.
#[test]
fn set_options_create_new() -> sysv_ipc::Result<()> {
    use sysv_ipc::SemaphoreSet;
    let (key, _key_guard) = crate::support::unused_key();
    let _set = SemaphoreSet::options()
        .create_new(true)
        .len(2)
        .open(key)?
        .remove_on_drop();
    assert!(
        SemaphoreSet::options()
            .create_new(true)
            .len(2)
            .open(key)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::mode`.
#[test]
fn set_options_mode() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .mode(0o660)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.stat()?.permissions.mode.bits(), 0o660);
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::flags`.
#[test]
fn set_options_flags() -> sysv_ipc::Result<()> {
    let (key, _key_guard) = crate::support::unused_key();
    let set = sysv_ipc::SemaphoreSet::options()
        .flags(sysv_ipc::IPC_CREX)
        .len(2)
        .open(key)?;
    set.remove()?;
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::len`.
#[test]
fn set_options_len() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(5)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.len(), 5);
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::initial_value`.
#[test]
fn set_options_initial_value() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .initial_value(3)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.values()?, [3, 3]);
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::initial_values`.
#[test]
fn set_options_initial_values() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .initial_values(&[4, 0])
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.values()?, [4, 0]);
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::allow_foreign_owner`.
#[test]
fn set_options_allow_foreign_owner() -> sysv_ipc::Result<()> {
    use sysv_ipc::SemaphoreSet;
    let set = SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    let same = SemaphoreSet::options()
        .create(true)
        .len(2)
        .allow_foreign_owner(true)
        .open(set.key())?;
    assert!(!same.created());
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::undo`.
#[test]
fn set_options_undo() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .undo(true)
        .create_unique()?
        .remove_on_drop();
    assert!(set.undo());
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::block`.
#[test]
fn set_options_block() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .block(false)
        .create_unique()?
        .remove_on_drop();
    assert!(!set.block());
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::open`.
#[test]
fn set_options_open() -> sysv_ipc::Result<()> {
    use sysv_ipc::SemaphoreSet;
    let (key, _key_guard) = crate::support::unused_key();
    assert!(
        SemaphoreSet::options()
            .create(true)
            .open(key)
            .unwrap_err()
            .is_invalid_input()
    );
    let _set = SemaphoreSet::options()
        .create(true)
        .len(2)
        .open(key)?
        .remove_on_drop();
    assert!(
        SemaphoreSet::options()
            .len(3)
            .open(key)
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `SemaphoreSetOptions::create_unique`.
#[test]
fn set_options_create_unique() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(8)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.values()?, [0; 8]);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::MAX_BATCH`.
#[test]
fn set_max_batch() -> sysv_ipc::Result<()> {
    assert_eq!(sysv_ipc::SemaphoreSet::MAX_BATCH, 500);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::options`.
#[test]
fn set_options() -> sysv_ipc::Result<()> {
    let _set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::open`.
#[test]
fn set_open() -> sysv_ipc::Result<()> {
    use sysv_ipc::SemaphoreSet;
    let set = SemaphoreSet::options()
        .len(3)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(SemaphoreSet::open(set.key())?.len(), 3);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::from_id`.
#[test]
fn set_from_id() -> sysv_ipc::Result<()> {
    use sysv_ipc::SemaphoreSet;
    let set = SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(SemaphoreSet::from_id(set.id())?.len(), 2);
    set.remove()?;
    assert_eq!(
        SemaphoreSet::from_id(set.id()).unwrap_err().kind(),
        sysv_ipc::ErrorKind::NotFound
    );
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::len`.
#[test]
fn set_len() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(6)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.len(), 6);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::acquire`.
#[test]
fn set_acquire() -> sysv_ipc::Result<()> {
    use sysv_ipc::{SemaphoreSet, Timeout};
    let set = SemaphoreSet::options()
        .len(2)
        .initial_value(2)
        .create_unique()?
        .remove_on_drop();
    set.acquire(1, 2, Timeout::Immediate)?;
    assert_eq!(set.values()?, [2, 0]);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::release`.
#[test]
fn set_release() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    set.release(0, 4)?;
    assert_eq!(set.value(0)?, 4);
    assert!(set.release(2, 1).unwrap_err().is_invalid_input());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::wait_zero`.
#[test]
fn set_wait_zero() -> sysv_ipc::Result<()> {
    use sysv_ipc::{SemaphoreSet, Timeout};
    let set = SemaphoreSet::options()
        .len(2)
        .initial_values(&[0, 1])
        .create_unique()?
        .remove_on_drop();
    set.wait_zero(0, Timeout::Immediate)?;
    assert!(set.wait_zero(1, Timeout::Immediate).unwrap_err().is_busy());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::acquire_guard`.
#[test]
fn set_acquire_guard() -> sysv_ipc::Result<()> {
    use sysv_ipc::{SemaphoreSet, Timeout};
    let set = SemaphoreSet::options()
        .len(2)
        .initial_value(1)
        .create_unique()?
        .remove_on_drop();
    {
        let _g = set.acquire_guard(1, 1, Timeout::Forever)?;
        assert_eq!(set.values()?, [1, 0]);
    }
    assert_eq!(set.values()?, [1, 1]);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::undo`.
#[test]
fn set_undo() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .create_unique()?
        .remove_on_drop();
    assert!(!set.undo());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::set_undo`.
#[test]
fn set_set_undo() -> sysv_ipc::Result<()> {
    let set = std::sync::Arc::new(sysv_ipc::SemaphoreSet::options().len(1).create_unique()?);
    set.set_undo(true);
    assert!(set.undo());
    set.remove()?;
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::block`.
#[test]
fn set_block() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .create_unique()?
        .remove_on_drop();
    assert!(set.block());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::set_block`.
#[test]
fn set_set_block() -> sysv_ipc::Result<()> {
    use sysv_ipc::Timeout;
    let set = sysv_ipc::SemaphoreSet::options()
        .len(1)
        .create_unique()?
        .remove_on_drop();
    set.set_block(false);
    assert!(set.acquire(0, 1, Timeout::Forever).unwrap_err().is_busy());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::value`.
#[test]
fn set_value() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .initial_values(&[5, 6])
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.value(1)?, 6);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::set_value`.
#[test]
fn set_set_value() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    set.set_value(1, 9)?;
    assert_eq!(set.values()?, [0, 9]);
    assert!(set.set_value(0, 32768).unwrap_err().is_invalid_input());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::values`.
#[test]
fn set_values() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(3)
        .initial_value(1)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.values()?, vec![1, 1, 1]);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::values_into`.
#[test]
fn set_values_into() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .initial_value(4)
        .create_unique()?
        .remove_on_drop();
    let mut out = [0u16; 2];
    set.values_into(&mut out)?;
    assert_eq!(out, [4, 4]);
    assert!(
        set.values_into(&mut [0u16; 3])
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::set_values`.
#[test]
fn set_set_values() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    set.set_values(&[3, 4])?;
    assert_eq!(set.values()?, [3, 4]);
    assert!(set.set_values(&[1]).unwrap_err().is_invalid_input());
    assert!(set.set_values(&[1, 40000]).unwrap_err().is_invalid_input());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::last_pid`.
#[test]
fn set_last_pid() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    set.release(1, 1)?;
    assert_eq!(set.last_pid(1)?, Some(std::process::id() as i32));
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::waiting_for_nonzero`.
#[test]
fn set_waiting_for_nonzero() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.waiting_for_nonzero(1)?, 0);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::waiting_for_zero`.
#[test]
fn set_waiting_for_zero() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(set.waiting_for_zero(0)?, 0);
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::stat`.
#[test]
fn set_stat() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(3)
        .create_unique()?
        .remove_on_drop();
    let st = set.stat()?;
    assert_eq!((st.key, st.len), (set.key(), 3));
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::operation_time`.
#[test]
fn set_operation_time() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    assert!(set.operation_time()?.is_some());
    Ok(())
}

/// The documented behaviour of `SemaphoreSet::change_time`.
#[test]
fn set_change_time() -> sysv_ipc::Result<()> {
    let set = sysv_ipc::SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    assert!(set.change_time()?.elapsed().unwrap_or_default().as_secs() < 60);
    Ok(())
}
