//! A handle whose object was removed, and whose id the kernel then gave to a
//! new object, must not silently read, change or remove the new one where a
//! cheap identity check (key, number of semaphores) exists.
//!
//! The kernel hands out an id again only after its sequence number wraps, so
//! the tests provoke the reuse with the `/proc/sys/kernel/{sem,shm,msg}_next_id`
//! knobs (the id the next object gets). They do it in a child process inside a
//! new IPC namespace: its knobs and objects are its own, nothing another
//! process does can take the id first, and everything it made disappears with
//! it (the knob needs no restoring: the namespace dies with the child).

use std::time::Duration;

use sysv_ipc::{
    ErrorKind, Key, MessageQueue, SemOp, Semaphore, SemaphoreSet, SharedMemory, Timeout, Wait,
};

const LIMIT: Duration = Duration::from_secs(30);

/// Moves this thread into a new IPC namespace, or says why it cannot.
fn new_ipc_namespace() -> Result<(), String> {
    // Only the calling thread moves, and it makes every IPC call of the test.
    testkit::ns::unshare(libc::CLONE_NEWIPC)
        .map_err(|e| format!("cannot create an IPC namespace ({e})"))?;
    for knob in ["sem_next_id", "shm_next_id", "msg_next_id"] {
        let path = format!("/proc/sys/kernel/{knob}");
        if std::fs::metadata(&path).is_err() {
            return Err(format!(
                "{path} does not exist (kernel without CHECKPOINT_RESTORE)"
            ));
        }
    }
    Ok(())
}

/// Makes the next object of this kind get `id` (`kind`: sem, shm or msg).
fn next_id(kind: &str, id: i32) {
    std::fs::write(format!("/proc/sys/kernel/{kind}_next_id"), id.to_string()).unwrap();
}

fn assert_reused(e: &sysv_ipc::Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::Removed, "{what}: {e}");
    assert!(
        e.message().contains("now belongs to another object"),
        "{what}: {e}"
    );
}

/// Runs `test`'s child body in a new IPC namespace and checks it ran.
fn run_in_namespace(test: &str) {
    let out = testkit::spawn_child(test, &[]).wait_success(LIMIT);
    if let Some(why) = out.lines().find(|l| l.starts_with("NOT RUN")) {
        eprintln!("\n*** WARNING: {test} could not provoke an id reuse: {why}\n");
        return;
    }
    assert!(out.contains("checked"), "{out}");
}

/// The child side's prologue: `None` when the namespace cannot be had (and
/// says so on stdout for the parent).
fn enter_namespace() -> Option<()> {
    match new_ipc_namespace() {
        Ok(()) => Some(()),
        Err(why) => {
            println!("NOT RUN: {why}");
            None
        }
    }
}

#[test]
fn a_semaphore_set_handle_detects_its_id_in_another_set() {
    const TEST: &str = "stale_ids::a_semaphore_set_handle_detects_its_id_in_another_set";
    if testkit::child_args(TEST).is_some() {
        if enter_namespace().is_none() {
            return;
        }
        let old = SemaphoreSet::options()
            .create_new(true)
            .len(3)
            .initial_values(&[1, 2, 3])
            .open(Key::new(0x1C5A_0001))
            .unwrap();
        let id = old.id();
        old.remove().unwrap();
        next_id("sem", id);
        let new = SemaphoreSet::options()
            .create_new(true)
            .len(2)
            .initial_values(&[5, 0])
            .open(Key::new(0x1C5A_0002))
            .unwrap();
        assert_eq!(new.id(), id, "sem_next_id did not give the id back");

        // Reads: the answer is never the other set's.
        assert_reused(&old.value(1).unwrap_err(), "value(1)");
        assert_reused(&old.value(0).unwrap_err(), "value(0)");
        assert_reused(&old.last_pid(0).unwrap_err(), "last_pid");
        assert_reused(&old.waiting_for_zero(1).unwrap_err(), "waiting_for_zero");
        assert_reused(&old.values().unwrap_err(), "values");
        assert_reused(&old.stat().unwrap_err(), "stat");
        assert_reused(&old.mode().unwrap_err(), "mode");
        // Writes: refused before they touch the other set.
        assert_reused(&old.set_value(0, 9).unwrap_err(), "set_value");
        assert_reused(&old.set_values(&[0, 0, 0]).unwrap_err(), "set_values");
        assert_reused(&old.set_mode(0o666).unwrap_err(), "set_mode");
        assert_reused(&old.remove().unwrap_err(), "remove");
        // Operations that fail the way a reused id makes them fail.
        assert_reused(
            &old.acquire(2, 1, Timeout::Immediate).unwrap_err(),
            "acquire beyond the smaller set",
        );
        assert_reused(
            &old.apply(&[SemOp::release(2, 1)], Timeout::Immediate)
                .unwrap_err(),
            "apply beyond the smaller set",
        );
        let timed = Timeout::After(Duration::from_millis(20));
        assert_reused(&old.acquire(1, 1, timed).unwrap_err(), "expired acquire");
        // Documented as not detected: an operation that succeeds on the new
        // set (no identity check on the success path of semop).
        old.release(1, 1).unwrap();
        new.apply(&[SemOp::acquire(1, 1)], Timeout::Immediate)
            .unwrap();
        // The new set is untouched by everything refused above.
        assert_eq!(new.values().unwrap(), [5, 0]);
        assert_eq!(new.mode().unwrap().bits(), 0o600);

        // A larger set under the id is detected as well.
        new.remove().unwrap();
        next_id("sem", id);
        let larger = SemaphoreSet::options()
            .create_new(true)
            .len(5)
            .open(Key::new(0x1C5A_0003))
            .unwrap();
        assert_eq!(larger.id(), id);
        assert_reused(&old.value(0).unwrap_err(), "value on a larger set");
        assert_reused(&old.values().unwrap_err(), "values on a larger set");
        larger.remove().unwrap();

        // The same key with another size: told apart by the size.
        next_id("sem", id);
        let resized = SemaphoreSet::options()
            .create_new(true)
            .len(2)
            .open(old.key())
            .unwrap();
        assert_eq!(resized.id(), id);
        assert_reused(&old.value(0).unwrap_err(), "value on a resized set");
        assert_reused(&old.values().unwrap_err(), "values on a resized set");
        assert_reused(
            &old.set_value(0, 9).unwrap_err(),
            "set_value on a resized set",
        );
        assert_eq!(resized.values().unwrap(), [0, 0]);
        resized.remove().unwrap();

        // The same key and size again is the same set by every measure.
        next_id("sem", id);
        let again = SemaphoreSet::options()
            .create_new(true)
            .len(3)
            .initial_value(4)
            .open(old.key())
            .unwrap();
        assert_eq!(again.id(), id);
        assert_eq!(old.values().unwrap(), [4, 4, 4]);
        again.remove().unwrap();
        println!("checked");
        return;
    }
    run_in_namespace(TEST);
}

#[test]
fn a_semaphore_handle_detects_its_id_in_another_semaphore() {
    const TEST: &str = "stale_ids::a_semaphore_handle_detects_its_id_in_another_semaphore";
    if testkit::child_args(TEST).is_some() {
        if enter_namespace().is_none() {
            return;
        }
        let old = Semaphore::create_new(Key::new(0x1C5A_0011), 1).unwrap();
        let id = old.id();
        old.remove().unwrap();
        next_id("sem", id);
        let new = Semaphore::create_new(Key::new(0x1C5A_0012), 7).unwrap();
        assert_eq!(new.id(), id, "sem_next_id did not give the id back");
        assert_reused(&old.value().unwrap_err(), "value");
        assert_reused(&old.set_value(0).unwrap_err(), "set_value");
        assert_reused(&old.operation_time().unwrap_err(), "operation_time");
        assert_reused(&old.set_uid(0).unwrap_err(), "set_uid");
        assert_reused(&old.remove().unwrap_err(), "remove");
        assert_eq!(new.value().unwrap(), 7);
        // Also through the removal guard: it leaves the new semaphore alone.
        drop(old.remove_on_drop());
        assert_eq!(new.value().unwrap(), 7);
        new.remove().unwrap();
        println!("checked");
        return;
    }
    run_in_namespace(TEST);
}

#[test]
fn segment_and_queue_handles_detect_their_id_in_another_object() {
    const TEST: &str = "stale_ids::segment_and_queue_handles_detect_their_id_in_another_object";
    if testkit::child_args(TEST).is_some() {
        if enter_namespace().is_none() {
            return;
        }
        let old = SharedMemory::create_new(Key::new(0x1C5A_0021), 4096).unwrap();
        let id = old.id();
        old.remove().unwrap();
        next_id("shm", id);
        let new = SharedMemory::options()
            .create_new(true)
            .size(8192)
            .init_byte(b'N')
            .open(Key::new(0x1C5A_0022))
            .unwrap();
        assert_eq!(new.id(), id, "shm_next_id did not give the id back");
        // `new` holds one attachment: its own view, made by init_byte.
        let attached = new.number_attached().unwrap();
        assert_reused(&old.stat().unwrap_err(), "stat");
        assert_reused(&old.size().unwrap_err(), "size");
        assert_reused(&old.attach().unwrap_err(), "attach");
        assert_reused(&old.read(0, 1).unwrap_err(), "read");
        assert_reused(&old.set_mode(0o666).unwrap_err(), "set_mode");
        assert_reused(&old.remove().unwrap_err(), "remove");
        assert_eq!(
            new.number_attached().unwrap(),
            attached,
            "a refused attach must not stay attached"
        );
        assert!(new.read_to_end(0).unwrap().iter().all(|&b| b == b'N'));
        // A segment removed while attached keeps its id and reports key 0:
        // still the same segment, not a reused id.
        let view = new.attach().unwrap();
        new.remove().unwrap();
        assert!(new.stat().unwrap().is_removed());
        new.remove().unwrap();
        drop(view);
        drop(new); // its own view: the segment goes with the last detach
        // But a private segment (key 0, not removed) that takes the id is
        // another segment.
        next_id("shm", id);
        let private = SharedMemory::options()
            .create_new(true)
            .open(Key::PRIVATE)
            .unwrap();
        assert_eq!(private.id(), id);
        assert_reused(&old.stat().unwrap_err(), "stat on a private segment");
        private.remove().unwrap();

        let old = MessageQueue::create_new(Key::new(0x1C5A_0031)).unwrap();
        let id = old.id();
        old.remove().unwrap();
        next_id("msg", id);
        let new = MessageQueue::create_new(Key::new(0x1C5A_0032)).unwrap();
        assert_eq!(new.id(), id, "msg_next_id did not give the id back");
        assert_reused(&old.stat().unwrap_err(), "stat");
        assert_reused(&old.current_messages().unwrap_err(), "current_messages");
        assert_reused(&old.set_max_size(10).unwrap_err(), "set_max_size");
        assert_reused(&old.remove().unwrap_err(), "remove");
        // A send that finds the (new) queue full checks whose queue it is.
        new.set_max_size(4).unwrap();
        new.send(b"full", 1, Wait::NoWait).unwrap();
        assert_reused(&old.send(b"x", 1, Wait::NoWait).unwrap_err(), "send");
        assert_eq!(new.max_size().unwrap(), 4);
        assert_eq!(new.current_messages().unwrap(), 1);
        new.remove().unwrap();
        println!("checked");
        return;
    }
    run_in_namespace(TEST);
}
