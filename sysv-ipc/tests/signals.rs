//! What signals and a killed process do to System V waits and holdings, as
//! the docs promise it:
//!
//! - `semop`, `semtimedop`, `msgsnd` and `msgrcv` are never restarted after a
//!   signal handler, even one installed with `SA_RESTART` (Linux signal(7)),
//!   so `Interrupted` is reliable;
//! - on Linux a semaphore wait also ends with `Interrupted` when the process
//!   is stopped and continued, without any handler;
//! - a killed process's undo operations are reversed by the kernel, its plain
//!   ones (and its guards, whose `Drop` never runs) are not.
//!
//! A binary of its own: it installs a process-wide SIGUSR1 handler (with
//! `SA_RESTART`), which would change what signals do to every other test
//! running in the same process.

#[path = "msg/support.rs"]
mod msg_support;
#[path = "sem/support.rs"]
mod sem_support;

use msg_support::{gettid, new_queue, wait_blocked_in_msg};
use sem_support::{CHILD_LIMIT, new_sem, wait_for};
use sysv_ipc::{ErrorKind, Key, MessageQueue, Selector, Semaphore, Timeout, Wait};

extern "C" fn on_sigusr1(_: libc::c_int) {}

/// Installs a do-nothing SIGUSR1 handler WITH `SA_RESTART`, which makes the
/// kernel restart most interrupted calls, but never these.
fn install_restarting_handler() {
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a valid sigset_t to initialise; the handler
    // is async-signal-safe (it does nothing); a null old action is allowed.
    let rc = unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut())
    };
    assert_eq!(rc, 0);
}

fn arg_key(args: &[String], i: usize) -> Key {
    Key::new(args[i].parse().unwrap())
}

#[test]
fn sa_restart_does_not_restart_a_semaphore_wait() {
    const TEST: &str = "sa_restart_does_not_restart_a_semaphore_wait";
    if let Some(args) = testkit::child_args(TEST) {
        install_restarting_handler();
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        let progress = Semaphore::open(arg_key(&args, 1)).unwrap();
        for timeout in [Timeout::Forever, Timeout::After(CHILD_LIMIT)] {
            let e = sem.acquire(1, timeout).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
            println!("interrupted");
            progress.release(1).unwrap();
        }
        return;
    }
    let sem = new_sem(0);
    let progress = new_sem(0);
    let child = testkit::spawn_child(
        TEST,
        &[
            &sem.key().as_raw().to_string(),
            &progress.key().as_raw().to_string(),
        ],
    );
    for round in 1..=2 {
        wait_for("the child's acquire", || {
            sem.waiting_for_nonzero().unwrap() == 1
        });
        child.signal_all_threads(libc::SIGUSR1);
        wait_for("the interrupted acquire", || {
            progress.value().unwrap() == round
        });
    }
    let out = child.wait_success(CHILD_LIMIT);
    assert_eq!(out.matches("interrupted").count(), 2, "{out}");
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn sa_restart_does_not_restart_a_message_receive() {
    const TEST: &str = "sa_restart_does_not_restart_a_message_receive";
    if let Some(args) = testkit::child_args(TEST) {
        install_restarting_handler();
        let q = MessageQueue::open(arg_key(&args, 0)).unwrap();
        q.send(gettid().to_string().as_bytes(), 9, Wait::Block)
            .unwrap();
        let e = q.receive_vec(Selector::Type(1), Wait::Block).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        println!("interrupted");
        return;
    }
    let q = new_queue();
    let child = testkit::spawn_child(TEST, &[&q.key().as_raw().to_string()]);
    let tid: i32 = String::from_utf8(q.receive_vec(Selector::Type(9), Wait::Block).unwrap().data)
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait_blocked_in_msg(child.id(), tid), "child never blocked");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: tgkill has no memory-safety preconditions; the thread has a
    // SIGUSR1 handler.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, libc::SIGUSR1) };
    assert_eq!(rc, 0);
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("interrupted"), "{out}");
}

/// The state letter of process `pid` (`S` sleeping, `T` stopped, ...).
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

#[test]
fn a_stopped_and_continued_semaphore_wait_is_interrupted() {
    const TEST: &str = "a_stopped_and_continued_semaphore_wait_is_interrupted";
    if let Some(args) = testkit::child_args(TEST) {
        // No handler at all.
        let sem = Semaphore::open(arg_key(&args, 0)).unwrap();
        match sem.acquire(1, Timeout::After(CHILD_LIMIT)) {
            Err(e) if e.kind() == ErrorKind::Interrupted => println!("interrupted"),
            other => println!("not interrupted: {other:?}"),
        }
        return;
    }
    let sem = new_sem(0);
    let child = testkit::spawn_child(TEST, &[&sem.key().as_raw().to_string()]);
    wait_for("the child's acquire", || {
        sem.waiting_for_nonzero().unwrap() == 1
    });
    child.signal(libc::SIGSTOP);
    wait_for("the child to stop", || {
        process_state(child.id()) == Some('T')
    });
    child.signal(libc::SIGCONT);
    // If the wait resumed instead, let it finish so the child reports that.
    if !testkit::eventually(std::time::Duration::from_secs(5), || {
        sem.waiting_for_nonzero().unwrap() == 0
    }) {
        sem.release(1).unwrap();
    }
    let out = child.wait_success(CHILD_LIMIT);
    assert!(out.contains("interrupted") && !out.contains("not"), "{out}");
}

#[test]
fn a_killed_holder_loses_plain_units_and_undo_returns_its_own() {
    const TEST: &str = "a_killed_holder_loses_plain_units_and_undo_returns_its_own";
    if let Some(args) = testkit::child_args(TEST) {
        let with_undo = Semaphore::open(arg_key(&args, 0)).unwrap();
        with_undo.set_undo(true);
        let plain = Semaphore::open(arg_key(&args, 1)).unwrap();
        let _a = with_undo.acquire_guard(1, Timeout::Immediate).unwrap();
        let _b = plain.acquire_guard(1, Timeout::Immediate).unwrap();
        println!("holding");
        std::thread::sleep(CHILD_LIMIT);
        return;
    }
    let with_undo = new_sem(1);
    let plain = new_sem(1);
    let child = testkit::spawn_child(
        TEST,
        &[
            &with_undo.key().as_raw().to_string(),
            &plain.key().as_raw().to_string(),
        ],
    );
    wait_for("the child's acquires", || {
        with_undo.value().unwrap() == 0 && plain.value().unwrap() == 0
    });
    child.signal(libc::SIGKILL);
    let out = child.wait(CHILD_LIMIT);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(libc::SIGKILL)
    );
    assert_eq!(with_undo.value().unwrap(), 1, "undo gives the unit back");
    assert_eq!(plain.value().unwrap(), 0, "a plain unit stays taken");
}
