//! The four options builders combine `create`, `create_new`, `flags`, `mode`
//! and `allow_foreign_owner` the same way (one options core, with
//! `std::fs::OpenOptions` semantics, shared with posix-ipc), checked against
//! the real system.

use sysv_ipc::{
    ErrorKind, IPC_CREAT, IPC_CREX, IPC_EXCL, Key, MessageQueue, MessageQueueOptions, Mode,
    Semaphore, SemaphoreOptions, SemaphoreSet, SemaphoreSetOptions, SharedMemory,
    SharedMemoryOptions,
};

/// Runs the same checks on one options type: `$new` makes fresh options,
/// `$open` opens a key with them and returns `created()`, `$unused` is the
/// kind's support `unused_key` (whose guard removes what the checks create).
macro_rules! same_semantics {
    ($new:expr, $open:expr, $unused:path) => {{
        let open = $open;
        let (key, _guard) = $unused();
        // flags(IPC_CREAT).create(false) only opens: nothing is created.
        let e = open($new.flags(IPC_CREAT).create(false), key).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        // flags() replaces: IPC_CREX, then 0, only opens.
        let e = open($new.flags(IPC_CREX).flags(0), key).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        // create_new wins over create, whatever their order.
        assert!(open($new.create_new(true).create(false), key).unwrap());
        let e = open($new.create(true).create_new(true), key).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
        // flags(IPC_CREAT) opens or creates; create_new(false) undoes only itself.
        assert!(!open($new.flags(IPC_CREAT), key).unwrap());
        assert!(!open($new.create(true).create_new(true).create_new(false), key).unwrap());
        // Bad flags and modes are reported by open, as InvalidInput.
        let e = open($new.flags(IPC_EXCL).create(true), key).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("IPC_CREAT"),
            "{e}"
        );
        let e = open($new.flags(0o600), key).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("mode()"),
            "{e}"
        );
        let e = open($new.create(true).mode(0o1600), key).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("0o1600"),
            "{e}"
        );
        // A later good flags() clears a bad one.
        assert!(!open($new.flags(IPC_EXCL).flags(IPC_CREAT), key).unwrap());
        // mode takes a Mode as well as a u32.
        let (other, _other_guard) = $unused();
        let mode = Mode::new(0o640).unwrap();
        assert!(open($new.create_new(true).mode(mode), other).unwrap());
    }};
}

#[test]
fn semaphore_options_follow_the_shared_rules() {
    same_semantics!(
        SemaphoreOptions::new(),
        |o: &mut SemaphoreOptions, k: Key| o.open(k).map(|s| s.created()),
        crate::sem_support::unused_key
    );
    assert_eq!(SemaphoreOptions::default(), Semaphore::options());
}

#[test]
fn semaphore_set_options_follow_the_shared_rules() {
    same_semantics!(
        SemaphoreSetOptions::new(),
        |o: &mut SemaphoreSetOptions, k: Key| o.len(2).open(k).map(|s| s.created()),
        crate::sem_support::unused_key
    );
    assert_eq!(SemaphoreSetOptions::default(), SemaphoreSet::options());
}

#[test]
fn shared_memory_options_follow_the_shared_rules() {
    same_semantics!(
        SharedMemoryOptions::new(),
        |o: &mut SharedMemoryOptions, k: Key| o.size(64).open(k).map(|s| s.created()),
        crate::shm_support::unused_key
    );
    assert_eq!(
        format!("{:?}", SharedMemoryOptions::default()),
        format!("{:?}", SharedMemory::options())
    );
}

#[test]
fn message_queue_options_follow_the_shared_rules() {
    same_semantics!(
        MessageQueueOptions::new(),
        |o: &mut MessageQueueOptions, k: Key| o.open(k).map(|q| q.created()),
        crate::msg_support::unused_key
    );
    assert_eq!(MessageQueueOptions::default(), MessageQueue::options());
}

#[test]
fn set_mode_takes_a_mode_or_bits() {
    let sem = Semaphore::create_unique(0).unwrap().remove_on_drop();
    sem.set_mode(Mode::new(0o640).unwrap()).unwrap();
    assert_eq!(sem.mode().unwrap().bits(), 0o640);
    sem.set_mode(0o600).unwrap();
    assert_eq!(sem.mode().unwrap().bits(), 0o600);
    let q = MessageQueue::create_unique().unwrap().remove_on_drop();
    q.set_mode(Mode::new(0o604).unwrap()).unwrap();
    assert_eq!(q.mode().unwrap().bits(), 0o604);
}
