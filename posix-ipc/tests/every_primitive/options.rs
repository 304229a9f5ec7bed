//! The three options builders combine `create`, `create_new`, `flags`,
//! `mode` and `allow_foreign_owner` the same way (one options core, with
//! `std::fs::OpenOptions` semantics), checked against the real system.

use posix_ipc::{
    ErrorKind, MessageQueue, MessageQueueOptions, Mode, O_CREAT, O_CREX, O_EXCL, Semaphore,
    SemaphoreOptions, SharedMemory, SharedMemoryOptions,
};

use crate::support::fresh_name;

/// Runs the same checks on one options type: `$new` makes fresh options,
/// `$open` opens a name with them and returns the handle. The first object
/// created is held in its `UnlinkOnDrop` guard until the end.
macro_rules! same_semantics {
    ($new:expr, $open:expr) => {{
        let open = $open;
        // flags(O_CREAT).create(false) only opens: nothing is created.
        let name = fresh_name();
        let e = open($new.flags(O_CREAT).create(false), &name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        // flags() replaces: O_CREX, then 0, only opens.
        let e = open($new.flags(O_CREX).flags(0), &name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        // create_new wins over create, whatever their order.
        let first = open($new.create_new(true).create(false), &name)
            .unwrap()
            .unlink_on_drop();
        assert!(first.created());
        let e = open($new.create(true).create_new(true), &name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
        // flags(O_CREAT) opens or creates; create_new(false) undoes only itself.
        assert!(!open($new.flags(O_CREAT), &name).unwrap().created());
        assert!(
            !open($new.create(true).create_new(true).create_new(false), &name)
                .unwrap()
                .created()
        );
        // Bad flags and modes are reported by open, as InvalidInput.
        let e = open($new.flags(O_EXCL).create(true), &name).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("O_CREAT"),
            "{e}"
        );
        let e = open($new.create(true).mode(0o1600), &name).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("0o1600"),
            "{e}"
        );
        // A later good flags() clears a bad one.
        assert!(
            !open($new.flags(O_EXCL).flags(O_CREAT), &name)
                .unwrap()
                .created()
        );
        // mode takes a Mode as well as a u32.
        let other = fresh_name();
        let second = open(
            $new.create_new(true).mode(Mode::new(0o640).unwrap()),
            &other,
        )
        .unwrap()
        .unlink_on_drop();
        assert!(second.created());
    }};
}

#[test]
fn semaphore_options_follow_the_shared_rules() {
    same_semantics!(
        SemaphoreOptions::new(),
        |o: &mut SemaphoreOptions, n: &str| o.open(n)
    );
    assert_eq!(
        format!("{:?}", SemaphoreOptions::default()),
        format!("{:?}", Semaphore::options())
    );
}

#[test]
fn shared_memory_options_follow_the_shared_rules() {
    same_semantics!(
        SharedMemoryOptions::new(),
        |o: &mut SharedMemoryOptions, n: &str| o.open(n)
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
        |o: &mut MessageQueueOptions, n: &str| o.max_message_size(16).max_messages(2).open(n)
    );
    assert_eq!(
        format!("{:?}", MessageQueueOptions::default()),
        format!("{:?}", MessageQueue::options())
    );
}

#[test]
fn modes_given_as_mode_reach_the_object() {
    let mode = Mode::new(0o640).unwrap();
    let sem = Semaphore::options()
        .mode(mode)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.mode().permissions().bits() & 0o700, 0o600);
    let shm = SharedMemory::options()
        .mode(mode)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    shm.set_mode(Mode::new(0o604).unwrap()).unwrap();
    assert_eq!(shm.mode().unwrap().bits(), 0o604);
    shm.set_mode(0o600).unwrap();
    assert_eq!(shm.mode().unwrap().bits(), 0o600);
}

#[test]
fn flags_replace_the_message_queue_block_setting() {
    let name = fresh_name();
    let q = MessageQueue::options()
        .flags(O_CREX | posix_ipc::O_NONBLOCK)
        .max_message_size(8)
        .open(name.as_str())
        .unwrap()
        .unlink_on_drop();
    assert!(!q.block().unwrap());
    // A later flags() without O_NONBLOCK replaces it, as block(true) would.
    let q = MessageQueue::options()
        .block(false)
        .flags(O_CREAT)
        .open(name.as_str())
        .unwrap();
    assert!(q.block().unwrap());
    let e = MessageQueue::options()
        .flags(posix_ipc::O_RDWR)
        .open(name.as_str())
        .unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("write(true)"),
        "{e}"
    );
}
