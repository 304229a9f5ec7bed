//! Queue notifications (`mq_notify`): by signal, or by a callback on a thread.
//!
//! The semantics are documented on [`MessageQueue::notify_signal`].
//!
//! On FreeBSD only signals are offered (see `notify_callback`), so the
//! callback table below stays empty there; it stays compiled so that
//! registering, cancelling and closing keep one code path on both systems.
#![cfg_attr(target_os = "freebsd", allow(dead_code))]

use std::collections::BTreeMap;
#[cfg(target_os = "linux")]
use std::mem::{offset_of, size_of};
use std::os::fd::BorrowedFd;
#[cfg(target_os = "linux")]
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::AtomicUsize;
#[cfg(target_os = "linux")]
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ipc_common::__private::{check, fstat};
use ipc_common::{Error, ErrorKind, Result};
use posix_ipc_sys as sys;

use super::MessageQueue;
#[cfg(target_os = "linux")]
use crate::limits;

type Callback = Box<dyn FnOnce() + Send + 'static>;
type PanicSlot = Arc<Mutex<Option<String>>>;

/// A registered callback waiting for its notification.
struct Pending {
    callback: Callback,
    panic: PanicSlot,
    /// The queue it was registered on (see [`queue_id`]).
    queue: Option<QueueId>,
}

/// Which queue a descriptor refers to: the device and inode of its file in the
/// mqueue filesystem. The kernel keeps one registration per queue and process,
/// whichever descriptor made it, so callbacks are tracked per queue.
type QueueId = (u64, u64);

// `ino_t` is 32 bits on 32-bit glibc, where the conversion is not useless.
#[allow(clippy::useless_conversion)]
fn queue_id(mqd: sys::mqd_t) -> Result<QueueId> {
    // SAFETY: every caller passes a queue descriptor that stays open for the
    // call (it closes it, if at all, afterwards), so its file descriptor is
    // open while borrowed here.
    let fd = unsafe { BorrowedFd::borrow_raw(super::raw_fd(mqd)) };
    let st = fstat(fd)?;
    Ok((st.st_dev, u64::from(st.st_ino)))
}

/// The signal [`MessageQueue::notify_signal`] asks for: a `nix`
/// [`Signal`](https://docs.rs/nix/latest/nix/sys/signal/enum.Signal.html)
/// (with the `nix` feature), or a raw number (for the real-time
/// signals from [`limits::user_signal_min()`] to
/// [`limits::user_signal_max()`], which `nix` cannot name). A raw number is
/// checked when used: 1 to `SIGRTMAX`, and not a real-time signal the C
/// library keeps for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalNumber(i32);

impl SignalNumber {
    /// The raw signal number (unchecked until used).
    pub const fn as_raw(self) -> i32 {
        self.0
    }
}

impl From<i32> for SignalNumber {
    /// A raw signal number, checked when it is used.
    fn from(signal: i32) -> SignalNumber {
        SignalNumber(signal)
    }
}

#[cfg(feature = "nix")]
#[cfg_attr(docsrs, doc(cfg(feature = "nix")))]
impl From<nix::sys::signal::Signal> for SignalNumber {
    /// A standard signal, as `nix` names it.
    fn from(signal: nix::sys::signal::Signal) -> SignalNumber {
        SignalNumber(signal as i32)
    }
}

/// The first real-time signal of the kernel; the C library reserves those
/// below its `SIGRTMIN`.
#[cfg(target_os = "linux")]
const KERNEL_SIGRTMIN: i32 = 32;

/// The first signal above the standard ones on FreeBSD: 32 (`SIGTHR`) and 33
/// (`SIGLIBRT`) belong to the C library, and 34 to 64 are unassigned, below
/// `SIGRTMIN` (65).
#[cfg(target_os = "freebsd")]
const KERNEL_SIGRTMIN: i32 = 32;

/// `(SIGRTMIN, SIGRTMAX)` as the C library defines them.
#[cfg(target_os = "linux")]
fn user_signal_range() -> (i32, i32) {
    (limits::user_signal_min(), limits::user_signal_max())
}

/// `(SIGRTMIN, SIGRTMAX)` as the C library defines them.
#[cfg(target_os = "freebsd")]
fn user_signal_range() -> (i32, i32) {
    (sys::SIGRTMIN, sys::SIGRTMAX)
}

/// Serialises "cancel, then register" (and closing) across all handles of this
/// process, so that two handles of one queue replace each other's
/// registration instead of one seeing the other's as another process's
/// (`EBUSY`). Never held while a callback runs or is dropped.
static REGISTRATION: Mutex<()> = Mutex::new(());

/// Callbacks by token. Only map operations run under the lock: callbacks run,
/// and removed entries drop, after it is released.
static PENDING: Mutex<BTreeMap<usize, Pending>> = Mutex::new(BTreeMap::new());

/// The next token (0 means "none").
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the callback registered under `token` out of the table.
fn take_pending(token: usize) -> Option<Pending> {
    if token == 0 {
        return None;
    }
    lock(&PENDING).remove(&token)
}

/// Takes every callback registered on the queue of `mqd` (and the one under
/// `token`) out of the table: the kernel registration they waited for is gone
/// (cancelled, replaced, or ended by a close), so they can never run. The
/// caller drops them after releasing its locks.
fn take_queue(mqd: sys::mqd_t, token: usize) -> Vec<Pending> {
    let queue = if lock(&PENDING).is_empty() {
        None
    } else {
        queue_id(mqd).ok()
    };
    let mut map = lock(&PENDING);
    let stale: Vec<usize> = map
        .iter()
        .filter(|(k, p)| **k == token || (queue.is_some() && p.queue == queue))
        .map(|(k, _)| *k)
        .collect();
    stale.into_iter().filter_map(|k| map.remove(&k)).collect()
}

/// A handle's notification state.
#[derive(Default)]
pub(crate) struct NotifyState {
    /// The token of this handle's registered callback (0: none). Held while a
    /// notification call of this handle runs, so they do not interleave.
    token: Mutex<usize>,
    /// The message of a callback panic not yet reported.
    panic: PanicSlot,
}

impl NotifyState {
    /// Drops this handle's pending callback, if any (when the descriptor leaves
    /// the handle without being closed).
    pub(crate) fn forget_callback(&mut self) {
        let token = std::mem::take(self.token.get_mut().unwrap_or_else(PoisonError::into_inner));
        drop(take_pending(token));
    }

    /// Closes `mqd`. Linux removes this process's registration on the queue
    /// when any of its descriptors of the queue closes, so every callback
    /// waiting on that queue (of any handle) is dropped too.
    pub(crate) fn close(&mut self, mqd: sys::mqd_t) -> libc::c_int {
        let registration = lock(&REGISTRATION);
        let token = std::mem::take(self.token.get_mut().unwrap_or_else(PoisonError::into_inner));
        let stale = take_queue(mqd, token);
        // SAFETY: the caller gives up `mqd`, which is closed exactly once here.
        let rc = unsafe { sys::mq_close(mqd) };
        drop(registration);
        drop(stale);
        rc
    }
}

#[cfg(target_os = "linux")]
/// `struct sigevent` as glibc and musl declare it for `SIGEV_THREAD`: the
/// `libc` crate's `sigevent` only exposes `sigev_notify_thread_id` of the
/// union, where these two members live.
#[repr(C)]
struct ThreadSigevent {
    sigev_value: libc::sigval,
    sigev_signo: libc::c_int,
    sigev_notify: libc::c_int,
    sigev_notify_function: Option<extern "C" fn(libc::sigval)>,
    sigev_notify_attributes: *mut libc::pthread_attr_t,
    _pad: [usize; SIGEV_PAD],
}

#[cfg(target_os = "linux")]
const SIGEV_PAD: usize = (size_of::<libc::sigevent>()
    - offset_of!(libc::sigevent, sigev_notify_thread_id)
    - 2 * size_of::<usize>())
    / size_of::<usize>();

#[cfg(target_os = "linux")]
// The layout must match the C library's, which `libc::sigevent` mirrors.
const _: () = {
    assert!(size_of::<ThreadSigevent>() == size_of::<libc::sigevent>());
    assert!(align_of::<ThreadSigevent>() == align_of::<libc::sigevent>());
    assert!(
        offset_of!(ThreadSigevent, sigev_notify_function)
            == offset_of!(libc::sigevent, sigev_notify_thread_id)
    );
    assert!(offset_of!(ThreadSigevent, sigev_notify) == offset_of!(libc::sigevent, sigev_notify));
};

#[cfg(target_os = "linux")]
/// Runs on the thread the C library starts for a `SIGEV_THREAD` notification.
/// The value is the token, never dereferenced.
extern "C" fn run_callback(value: libc::sigval) {
    let Some(Pending {
        callback, panic, ..
    }) = take_pending(value.sival_ptr.addr())
    else {
        return; // cancelled, replaced or dropped meanwhile
    };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(callback)) {
        let text = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic payload that is not a string".to_owned()
        };
        *lock(&panic) = Some(text);
        // A payload whose drop panics must not unwind into the C library.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
    }
}

fn panic_error(text: String) -> Error {
    Error::new(
        ErrorKind::Other,
        "mq_notify",
        format!("a notification callback of this queue panicked: {text}"),
    )
}

impl MessageQueue {
    /// Reports an unreported callback panic, cancels this process's
    /// registration, and takes the queue's waiting callbacks out of the table
    /// (the caller drops them after releasing its locks).
    fn begin_notification(&self, token: &mut usize) -> Result<Vec<Pending>> {
        if let Some(text) = lock(&self.notify.panic).take() {
            return Err(panic_error(text));
        }
        self.cancel_registration()?;
        Ok(take_queue(self.mqd, std::mem::take(token)))
    }

    fn cancel_registration(&self) -> Result<()> {
        // SAFETY: a NULL notification asks to cancel; the descriptor is ours.
        check("mq_notify", unsafe {
            sys::mq_notify(self.mqd, ptr::null())
        })?;
        Ok(())
    }

    fn register(&self, sev: *const libc::sigevent) -> Result<()> {
        // SAFETY: `sev` points to a valid sigevent (or the C library's larger
        // view of the same layout) that lives across the call.
        let rc = unsafe { sys::mq_notify(self.mqd, sev) };
        check("mq_notify", rc).map_err(|e| {
            if e.kind() == ErrorKind::Busy {
                e.with_message(
                    "another process is registered for this queue's notifications (one process \
                     at a time); it must cancel, close the queue or receive its notification first",
                )
            } else {
                e
            }
        })?;
        Ok(())
    }

    /// Asks the OS to send `signal` to this process when a message arrives on the
    /// empty queue (`SIGEV_SIGNAL`). Install a handler first: the default action
    /// of most signals ends the process. Takes a `nix`
    /// [`Signal`](https://docs.rs/nix/latest/nix/sys/signal/enum.Signal.html)
    /// (with the `nix` feature) or a raw number ([`SignalNumber`]);
    /// real-time signals from [`limits::user_signal_min()`] suit best. A number
    /// outside 1 to `SIGRTMAX` is [`ErrorKind::InvalidInput`].
    ///
    /// # Notifications
    ///
    /// How `mq_notify` registrations behave on Linux (FreeBSD follows POSIX too,
    /// see its `mq_notify(2)`), for this method and
    /// [`notify_callback`](Self::notify_callback):
    ///
    /// - A queue has one registration, held by one process: registering while
    ///   another process holds it is [`ErrorKind::Busy`]; registering again in this
    ///   process, through any handle, replaces the earlier one.
    /// - It fires **once**, when a message arrives on an **empty** queue with no
    ///   receiver waiting (a waiting receiver gets the message and the
    ///   registration stays). Register again, also from the handler or callback.
    /// - Closing any descriptor of the queue in the registering process cancels it.
    ///
    /// A handler installed without `SA_RESTART`, as below, makes a send or
    /// receive it interrupts return [`ErrorKind::Interrupted`] (see the crate's
    /// [conventions](crate#conventions)).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    /// static GOT: AtomicBool = AtomicBool::new(false);
    /// extern "C" fn on_signal(_: libc::c_int) { GOT.store(true, Ordering::SeqCst); }
    /// let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    /// // SAFETY: the handler only stores to an atomic.
    /// unsafe { sigaction(Signal::SIGUSR1, &action) }.unwrap();
    ///
    /// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?.unlink_on_drop();
    /// q.notify_signal(libc::SIGUSR1)?; // or Signal::SIGUSR1 with the `nix` feature
    /// q.send(b"wake", 0)?;
    /// let start = std::time::Instant::now();
    /// while !GOT.load(Ordering::SeqCst) && start.elapsed().as_secs() < 5 {
    ///     std::thread::yield_now();
    /// }
    /// assert!(GOT.load(Ordering::SeqCst));
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn notify_signal(&self, signal: impl Into<SignalNumber>) -> Result<()> {
        let signal = signal.into().as_raw();
        let (min, max) = user_signal_range();
        if !(1..=max).contains(&signal) {
            return Err(Error::invalid_input(
                "mq_notify",
                format!(
                    "signal {signal} is not a signal number (1 to SIGRTMAX = {max}); the \
                     real-time signals {min} to {max} suit notifications best"
                ),
            ));
        }
        // The kernel's real-time signals below SIGRTMIN (32 and 33 with glibc)
        // are the C library's own (thread cancellation, setxid): it ignores a
        // notification sent with them, and programs cannot handle them.
        if (KERNEL_SIGRTMIN..min).contains(&signal) {
            return Err(Error::invalid_input(
                "mq_notify",
                format!(
                    "signal {signal} is reserved by the C library (signals {KERNEL_SIGRTMIN} to \
                     {} are its own); use SIGRTMIN ({min}) to SIGRTMAX ({max}) or a standard \
                     signal such as SIGUSR1",
                    min - 1
                ),
            ));
        }
        let registration = lock(&REGISTRATION);
        let mut token = lock(&self.notify.token);
        let old = self.begin_notification(&mut token)?;
        // SAFETY: sigevent is plain data (integers, a pointer, padding), for
        // which all-zero bytes are a valid value.
        let mut sev: libc::sigevent = unsafe { std::mem::zeroed() };
        sev.sigev_notify = libc::SIGEV_SIGNAL;
        sev.sigev_signo = signal;
        let result = self.register(&sev);
        drop(token);
        drop(registration);
        drop(old);
        result
    }

    /// Runs `callback` on a new thread (started by the C library, `SIGEV_THREAD`)
    /// when a message arrives on the empty queue; one-shot, see
    /// the rules on [`notify_signal`](Self::notify_signal).
    ///
    /// The callback waits in a process-wide table under a number, and the OS is
    /// given the number, never a pointer: a notification that arrives after its
    /// callback was cancelled, replaced or dropped finds nothing, so dropping a
    /// queue with a pending notification is safe. A callback that captures an
    /// `Arc<MessageQueue>` keeps the queue open until it has run or been
    /// cancelled; capture a `Weak` to avoid that.
    ///
    /// A panic in the callback is caught at the thread boundary (the panic hook
    /// prints it) and kept on the handle: [`take_notification_panic`](Self::take_notification_panic)
    /// returns it, and the next `notify_*` or
    /// [`cancel_notification`](Self::cancel_notification) call returns it as an
    /// [`ErrorKind::Other`] error, registering nothing (call again). Another
    /// process's registration is [`ErrorKind::Busy`].
    ///
    /// Linux only: the `libc` crate's FreeBSD `sigevent` does not expose the
    /// union members `SIGEV_THREAD` needs, and this crate writes no layout it
    /// cannot check; use [`notify_signal`](Self::notify_signal) there.
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    pub fn notify_callback<F>(&self, callback: F) -> Result<()>
    where
        F: FnOnce() + Send + 'static,
    {
        let registration = lock(&REGISTRATION);
        let mut token = lock(&self.notify.token);
        let old = self.begin_notification(&mut token)?;
        let new = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        let previous = lock(&PENDING).insert(
            new,
            Pending {
                callback: Box::new(callback),
                panic: Arc::clone(&self.notify.panic),
                queue: queue_id(self.mqd).ok(),
            },
        );
        debug_assert!(previous.is_none());
        let sev = ThreadSigevent {
            sigev_value: libc::sigval {
                sival_ptr: ptr::without_provenance_mut(new),
            },
            sigev_signo: 0,
            sigev_notify: libc::SIGEV_THREAD,
            sigev_notify_function: Some(run_callback),
            sigev_notify_attributes: ptr::null_mut(),
            _pad: [0; SIGEV_PAD],
        };
        let result = self.register((&raw const sev).cast());
        let failed = match result {
            Ok(()) => {
                *token = new;
                None
            }
            Err(_) => take_pending(new),
        };
        drop(token);
        drop(registration);
        drop(old);
        drop(failed);
        result
    }

    /// Cancels this process's registration on the queue and forgets this handle's
    /// callback (posix_ipc's `request_notification()` without argument); nothing
    /// to cancel, or another process's registration, is not an error. Reports an
    /// unreported callback panic (after cancelling) as [`ErrorKind::Other`].
    pub fn cancel_notification(&self) -> Result<()> {
        let registration = lock(&REGISTRATION);
        let mut token = lock(&self.notify.token);
        self.cancel_registration()?;
        let old = take_queue(self.mqd, std::mem::take(&mut *token));
        drop(token);
        drop(registration);
        drop(old);
        match lock(&self.notify.panic).take() {
            Some(text) => Err(panic_error(text)),
            None => Ok(()),
        }
    }

    /// The message of a notification callback's panic not reported yet, clearing
    /// it. Linux only, like [`notify_callback`](Self::notify_callback).
    #[cfg(target_os = "linux")]
    #[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
    pub fn take_notification_panic(&self) -> Option<String> {
        lock(&self.notify.panic).take()
    }
}
