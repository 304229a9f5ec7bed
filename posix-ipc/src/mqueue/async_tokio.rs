//! [`AsyncMessageQueue`]: send and receive as futures, on tokio's readiness.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use ipc_common::{Error, ErrorKind, Result};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::{MessageQueue, unlink_message_queue};
use crate::guard::{Sealed, Unlink, UnlinkOnDrop};

/// A [`MessageQueue`] whose `send` and `receive` are futures (feature
/// `tokio`).
///
/// It owns the queue, switched to non-blocking, inside tokio's
/// [`AsyncFd`](https://docs.rs/tokio/1/tokio/io/unix/struct.AsyncFd.html)
/// (a link that works in docs built without tokio's, too). A call tries the operation, and while the queue is full
/// (send) or empty (receive) it waits for the descriptor to become writable
/// or readable, without a thread. Input errors (message too long, priority
/// out of range, buffer too short, wrong access) are returned at once.
/// On FreeBSD the descriptor tokio watches (with `kqueue`) is the one
/// `mq_getfd_np` returns, which the queue owns until it closes.
/// `AsyncMessageQueue` is `Send + Sync`; tasks may share one by reference or
/// `Arc`. Wrapped in [`UnlinkOnDrop`] (see
/// [`UnlinkOnDrop::<MessageQueue>::into_async`](UnlinkOnDrop::into_async))
/// it unlinks the queue when it drops.
///
/// # Cancel safety
///
/// [`send`](Self::send), [`receive`](Self::receive) and
/// [`receive_vec`](Self::receive_vec) are cancel-safe: dropping one of their
/// futures before it completes (a `tokio::time::timeout` that expires, the
/// other branch of a `tokio::select!`) loses no message and sends nothing
/// twice. A message leaves the queue only in the very poll that returns it
/// (one `mq_receive` that either takes a message, which the future then
/// returns, or finds the queue empty and takes nothing), and a send puts the
/// whole message in the queue in the poll that returns `Ok`, or nothing. So
/// a dropped `receive` leaves its message for the next receive, and a
/// dropped `send` did not send. (The caller's buffer may have been written
/// only by a receive that completed.)
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().unwrap().block_on(async {
/// use std::time::Duration;
/// let q = posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?.unlink_on_drop().into_async()?;
/// let mut buf = [0u8; 8];
/// // Cancelled while waiting on the empty queue.
/// assert!(tokio::time::timeout(Duration::from_millis(10), q.receive(&mut buf)).await.is_err());
/// q.send(b"kept", 1).await?;
/// assert_eq!(q.receive(&mut buf).await?, (4, 1)); // nothing was lost
/// # Ok::<(), posix_ipc::Error>(())
/// # }).unwrap();
/// ```
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap().block_on(async {
/// use posix_ipc::MessageQueue;
/// let q = MessageQueue::options().max_message_size(32).create_unique()?.unlink_on_drop().into_async()?;
/// q.send(b"async hello", 4).await?;
/// let mut buf = [0u8; 32];
/// let (n, prio) = q.receive(&mut buf).await?;
/// assert_eq!((&buf[..n], prio), (&b"async hello"[..], 4));
/// # Ok::<(), posix_ipc::Error>(())
/// # }).unwrap();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Debug)]
pub struct AsyncMessageQueue {
    inner: AsyncFd<MessageQueue>,
}

fn reactor_error(op: &'static str, e: &std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(errno) => Error::from_errno(op, errno),
        None => Error::new(ErrorKind::Other, op, e.to_string()),
    }
}

impl AsyncMessageQueue {
    /// Registers `queue`'s descriptor with the current tokio runtime's
    /// reactor and makes it non-blocking.
    ///
    /// Outside a tokio runtime this is an [`ErrorKind::Other`] error (tokio's
    /// own I/O types panic there), returned before the descriptor is changed;
    /// the queue is dropped with the error and closed, still blocking. In a
    /// runtime built without I/O (no `enable_io()`/`enable_all()`), tokio's
    /// registration panics; that panic is caught (the panic hook still prints
    /// it) and returned as an error too, the queue closed.
    pub fn new(queue: MessageQueue) -> Result<AsyncMessageQueue> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::new(
                ErrorKind::Other,
                "AsyncMessageQueue::new",
                "no tokio runtime is running on this thread; call into_async from code that \
                 runs on a tokio runtime with I/O enabled (e.g. inside #[tokio::main] or \
                 Runtime::block_on)",
            ));
        }
        let mut interest = None::<Interest>;
        for (on, i) in [
            (queue.can_read(), Interest::READABLE),
            (queue.can_write(), Interest::WRITABLE),
        ] {
            if on {
                interest = Some(interest.map_or(i, |x| x | i));
            }
        }
        // `open` guarantees read or write access.
        let interest = interest.unwrap_or(Interest::READABLE);
        // tokio panics when the runtime has no I/O driver; the queue is
        // dropped (closed) during that unwinding, before anything changed.
        let registered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: `register_with_interest` requires that the descriptor
            // stays open and is not replaced while registered: `MessageQueue`
            // owns its descriptor, returns the same one from `as_raw_fd` until
            // it is dropped, and the `AsyncFd` owns the queue, so the
            // registration ends (on drop or `into_inner`) before the
            // descriptor can close.
            unsafe { AsyncFd::register_with_interest(queue, interest) }
        }));
        let inner = match registered {
            Ok(Ok(inner)) => inner,
            Ok(Err(e)) => {
                return Err(reactor_error(
                    "AsyncFd::register_with_interest",
                    &e.into_parts().1,
                ));
            }
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Other,
                    "AsyncFd::register_with_interest",
                    "the current tokio runtime has no I/O driver; build it with enable_io() \
                     (or enable_all()) to use AsyncMessageQueue",
                ));
            }
        };
        // Non-blocking only once registered, so a failure leaves the queue
        // as it was.
        inner.get_ref().set_block(false)?;
        Ok(AsyncMessageQueue { inner })
    }

    /// Sends `message` with `priority`, waiting (asynchronously) while the
    /// queue is full. Checks as [`MessageQueue::send`] does.
    pub async fn send(&self, message: &[u8], priority: u32) -> Result<()> {
        loop {
            match self.inner.get_ref().send(message, priority) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                other => return other,
            }
            let mut guard = self
                .inner
                .writable()
                .await
                .map_err(|e| reactor_error("mq_send", &e))?;
            guard.clear_ready();
        }
    }

    /// Receives a message into `buf` (at least
    /// [`max_message_size`](MessageQueue::max_message_size) bytes), waiting
    /// (asynchronously) while the queue is empty; returns its length and
    /// priority. Allocates nothing.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// let q = Arc::new(posix_ipc::MessageQueue::options().max_message_size(8).create_unique()?.unlink_on_drop().into_async()?);
    /// let sender = Arc::clone(&q);
    /// let task = async move { sender.send(b"later", 1).await };
    /// let mut buf = [0u8; 8];
    /// let (got, sent) = tokio::join!(q.receive(&mut buf), task);
    /// sent?;
    /// assert_eq!(&buf[..got?.0], b"later");
    /// # Ok::<(), posix_ipc::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn receive(&self, buf: &mut [u8]) -> Result<(usize, u32)> {
        loop {
            match self.inner.get_ref().receive(buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                other => return other,
            }
            let mut guard = self
                .inner
                .readable()
                .await
                .map_err(|e| reactor_error("mq_receive", &e))?;
            guard.clear_ready();
        }
    }

    /// Receives a message into a new `Vec` (see
    /// [`MessageQueue::receive_vec`]).
    pub async fn receive_vec(&self) -> Result<(Vec<u8>, u32)> {
        let mut buf = vec![0u8; self.get_ref().max_message_size()];
        let (n, priority) = self.receive(&mut buf).await?;
        buf.truncate(n);
        buf.shrink_to_fit();
        Ok((buf, priority))
    }

    /// The queue, for its other methods (attributes, notifications, unlink).
    /// Its blocking calls fail with [`ErrorKind::WouldBlock`] instead of
    /// waiting, since the descriptor is non-blocking.
    pub fn get_ref(&self) -> &MessageQueue {
        self.inner.get_ref()
    }

    /// Deregisters from the reactor and gives the queue back (still
    /// non-blocking; [`MessageQueue::set_block`] changes that).
    pub fn into_inner(self) -> MessageQueue {
        self.inner.into_inner()
    }
}

impl AsFd for AsyncMessageQueue {
    /// The queue descriptor.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}

impl AsRawFd for AsyncMessageQueue {
    /// The queue descriptor.
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl Sealed for AsyncMessageQueue {}

impl Unlink for AsyncMessageQueue {
    /// Unlinks the queue's name, as [`MessageQueue::unlink`].
    fn unlink(&self) -> Result<()> {
        self.get_ref().unlink()
    }
}

impl UnlinkOnDrop<MessageQueue> {
    /// Makes the guarded queue async and keeps the guard: the
    /// [`AsyncMessageQueue`] it returns unlinks the queue when it drops, as
    /// the queue's guard would have (see [`AsyncMessageQueue::new`]). If
    /// that fails (no tokio runtime with I/O here), the queue is closed and,
    /// as the guard was going to, unlinked, and the error returned.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap().block_on(async {
    /// use posix_ipc::MessageQueue;
    /// let q = MessageQueue::create_unique()?.unlink_on_drop().into_async()?;
    /// q.send(b"hi", 1).await?; // derefs to AsyncMessageQueue
    /// let name = q.get_ref().name().unwrap().clone();
    /// drop(q);
    /// assert!(MessageQueue::open(&name).unwrap_err().is_existential()); // unlinked
    /// # Ok::<(), posix_ipc::Error>(())
    /// # }).unwrap();
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn into_async(self) -> Result<UnlinkOnDrop<AsyncMessageQueue>> {
        let queue = self.into_inner();
        let name = queue.name().cloned();
        match AsyncMessageQueue::new(queue) {
            Ok(q) => Ok(UnlinkOnDrop::new(q)),
            Err(e) => {
                // The queue is closed; unlink it as its guard would have.
                if let Some(name) = name {
                    let _ = unlink_message_queue(&name);
                }
                Err(e)
            }
        }
    }
}

impl MessageQueue {
    /// Wraps the queue for async use (see [`AsyncMessageQueue::new`]); an
    /// error outside a tokio runtime with I/O. A queue in an
    /// [`UnlinkOnDrop`] guard has its own
    /// [`into_async`](UnlinkOnDrop::into_async) that keeps the guard.
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub fn into_async(self) -> Result<AsyncMessageQueue> {
        AsyncMessageQueue::new(self)
    }
}
