//! Message queue notifications (posix_ipc's demo3: one_shot_signal,
//! one_shot_thread, repeating_signal and repeating_thread in one program).
//!
//! The program creates the queue (exclusively) and asks to be told when a
//! message arrives on the empty queue, either by a signal (`signal`:
//! `notify_signal(SIGUSR1)`) or by a callback on a new thread (`thread`:
//! `notify_callback`). Each line read from standard input is sent to the
//! queue; the notification receives it and prints "Ding! ...". A blank line or
//! the end of input stops; the queue is unlinked at the end (and on any error
//! or Ctrl-C, through a guard).
//!
//! A registration fires once. Without `--repeat` only the first message makes
//! a Ding, and later ones stay queued; with `--repeat` the notification
//! re-registers each time (in the callback, or in the main thread after the
//! signal). Linux notifies only when a message arrives on an *empty* queue, so
//! the program waits (at most 5 s) for each Ding before it reads the next
//! line: every Ding is printed, also with piped input.
//!
//! The signal is blocked in every thread (blocked before any thread exists)
//! and taken with `sigtimedwait` in the main thread, which then receives and
//! prints: nothing runs in a signal handler, so nothing has to be
//! async-signal-safe.
//!
//! ```text
//! printf 'a\nb\n\n' | cargo run -p demos --example posix_mq_notify -- thread --repeat --queue /ipcrs-nt
//! printf 'a\nb\n' | cargo run -p demos --example posix_mq_notify -- signal --queue /ipcrs-nt
//! cargo run -p demos --example posix_mq_notify -- signal --repeat --queue /ipcrs-nt   # type lines
//! ```

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use demos::{Args, StdinLines, say};
use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::time::TimeSpec;
use posix_ipc::{MessageQueue, Timeout, UnlinkOnDrop};

const USAGE: &str = "posix_mq_notify signal|thread [--repeat] --queue NAME";

/// How long to wait for a notification that Linux sends at once.
const DING_TIMEOUT: Duration = Duration::from_secs(5);

type Queue = Arc<UnlinkOnDrop<MessageQueue>>;

fn main() -> Result<(), String> {
    let args = Args::parse_with_switches(USAGE, &["repeat"]);
    let role = args.role.as_str();
    let by_signal = match role {
        "signal" => true,
        "thread" => false,
        other => return Err(format!("unknown mode {other:?}\nusage: {USAGE}")),
    };
    if by_signal {
        // Before any thread exists, so that every thread inherits the mask and
        // the signal stays pending until the main thread takes it.
        SigSet::from(Signal::SIGUSR1)
            .thread_block()
            .map_err(|e| format!("cannot block SIGUSR1: {e}"))?;
    }
    demos::install_interrupt_handler();
    let repeat = args.switch("repeat");
    let name = args.required("queue");
    let err = |e: posix_ipc::Error| e.to_string();

    // Unlinked when the last reference drops: on success, on error and on Ctrl-C.
    let queue: Queue = Arc::new(
        MessageQueue::options()
            .create_new(true)
            .open(name)
            .map_err(err)?
            .unlink_on_drop(),
    );
    let mut notifier = if by_signal {
        Notifier::Signal
    } else {
        let (tx, rx) = mpsc::channel();
        Notifier::Thread { tx, rx }
    };
    notifier.arm(&queue, repeat).map_err(err)?;
    say(
        role,
        format!(
            "created {name} and registered for {} notification{}; type lines to send, a blank \
             line or end of input stops",
            if by_signal {
                "SIGUSR1"
            } else {
                "callback-thread"
            },
            if repeat { "s" } else { " (one-shot)" }
        ),
    );

    let mut lines = StdinLines::default();
    let mut armed = true;
    while let Some(line) = lines.next_line()? {
        if line.is_empty() {
            break;
        }
        queue.send(line.as_bytes(), 0).map_err(err)?;
        if armed {
            say(role, format!("sent {line:?}"));
            notifier.wait(role, &queue, repeat)?;
            armed = repeat;
        } else {
            say(
                role,
                format!(
                    "sent {line:?}; no notification is registered any more (one-shot), so it \
                     stays queued"
                ),
            );
        }
    }

    queue.cancel_notification().map_err(err)?;
    let left = queue.current_messages().map_err(err)?;
    say(
        role,
        format!("{left} message(s) left in the queue; unlinking {name}"),
    );
    // The callbacks hold only weak references; if one still has a strong one
    // for a moment, the guard unlinks when that drops instead.
    if let Ok(guard) = Arc::try_unwrap(queue) {
        let q = guard.into_inner();
        q.unlink().map_err(err)?;
        q.close().map_err(err)?;
    }
    Ok(())
}

/// How the program is told about a message, and how it waits for that.
enum Notifier {
    /// SIGUSR1, blocked and taken with `sigtimedwait` by the main thread.
    Signal,
    /// A callback on a notification thread, which reports through `tx`.
    Thread {
        tx: Sender<Result<(), String>>,
        rx: Receiver<Result<(), String>>,
    },
}

impl Notifier {
    fn arm(&self, queue: &Queue, repeat: bool) -> posix_ipc::Result<()> {
        match self {
            Notifier::Signal => queue.notify_signal(libc::SIGUSR1),
            Notifier::Thread { tx, .. } => arm_callback(Arc::downgrade(queue), tx.clone(), repeat),
        }
    }

    /// Waits until the notification for the message just sent has printed
    /// its Ding (and re-registered with `--repeat`).
    fn wait(&mut self, role: &str, queue: &Queue, repeat: bool) -> Result<(), String> {
        let deadline = Instant::now() + DING_TIMEOUT;
        let late = || format!("no notification within {} s", DING_TIMEOUT.as_secs());
        match self {
            Notifier::Signal => {
                wait_for_sigusr1(deadline)?.then_some(()).ok_or_else(late)?;
                // Taken: no handler ran. Receive (emptying the queue), then
                // register again for the next message.
                ding(role, queue)?;
                if repeat {
                    self.arm(queue, repeat).map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Notifier::Thread { rx, .. } => loop {
                // In short steps, so that Ctrl-C is noticed whichever thread
                // the signal interrupted.
                demos::check_interrupted()?;
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(outcome) => return outcome,
                    Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                    Err(RecvTimeoutError::Timeout) => return Err(late()),
                    Err(RecvTimeoutError::Disconnected) => {
                        return Err("the notification callback was dropped".into());
                    }
                }
            },
        }
    }
}

/// Registers a callback that receives the message, registers itself again
/// with `--repeat` (before telling the main thread, so the next message is
/// not missed), prints the Ding, and reports to the main thread.
fn arm_callback(
    queue: Weak<UnlinkOnDrop<MessageQueue>>,
    tx: Sender<Result<(), String>>,
    repeat: bool,
) -> posix_ipc::Result<()> {
    let Some(q) = queue.upgrade() else {
        return Ok(()); // the program is ending
    };
    q.notify_callback(move || {
        // The strong reference ends before the report, so the main thread
        // holds the only one when it goes on to clean up.
        let outcome = match queue.upgrade() {
            Some(q) => ding("thread", &q).and_then(|()| {
                if repeat {
                    arm_callback(queue, tx.clone(), repeat).map_err(|e| e.to_string())
                } else {
                    Ok(())
                }
            }),
            None => return,
        };
        let _ = tx.send(outcome);
    })
}

/// Receives the message that caused the notification and prints it.
fn ding(role: &str, queue: &MessageQueue) -> Result<(), String> {
    let (message, priority) = queue
        .receive_vec_timeout(Timeout::Immediate)
        .map_err(|e| e.to_string())?;
    say(
        role,
        format!(
            "Ding! Message with priority {priority} received: {:?}",
            String::from_utf8_lossy(&message)
        ),
    );
    Ok(())
}

/// Takes a pending SIGUSR1 (`sigtimedwait`), waiting until `deadline`:
/// `Ok(true)` when it came, `Ok(false)` at the deadline, an error when
/// interrupted (Ctrl-C).
fn wait_for_sigusr1(deadline: Instant) -> Result<bool, String> {
    let set = SigSet::from(Signal::SIGUSR1);
    loop {
        let left = TimeSpec::from(deadline.saturating_duration_since(Instant::now()));
        // SAFETY: `set` and `left` are valid for the call; a null info pointer
        // asks for no details.
        let rc = unsafe { libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), left.as_ref()) };
        if rc == libc::SIGUSR1 {
            return Ok(true);
        }
        match Errno::last() {
            Errno::EAGAIN => return Ok(false),
            Errno::EINTR => demos::check_interrupted()?,
            e => return Err(format!("sigtimedwait: {e}")),
        }
    }
}
