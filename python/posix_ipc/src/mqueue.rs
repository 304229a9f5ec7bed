//! `posix_ipc.MessageQueue`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, PoisonError, RwLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyInt, PyTuple};

use crate::{
    ExistentialError, Truthy, check_flags, mode_arg, name_bytes, name_text, os_name, to_py,
};

/// posix_ipc's defaults for `max_messages` and `max_message_size`: the
/// system's `msg_max` and `msgsize_max`, read when the module is imported
/// (posix_ipc baked the build machine's values in), or Linux's defaults
/// when `/proc/sys/fs/mqueue` cannot be read.
pub(crate) fn default_sizes() -> (u64, u64) {
    posix_ipc::limits::message_queue_limits()
        .map(|l| (l.msg_max, l.msgsize_max))
        .unwrap_or((10, 8192))
}

/// The text of posix_ipc's `ValueError` for a bad notification.
const NOTIFICATION_ERROR: &str =
    "The notification must be None, an integer, or a tuple of (function, parameter)";

/// A POSIX message queue (posix_ipc's `MessageQueue`).
#[pyclass(module = "posix_ipc", name = "MessageQueue", frozen, subclass)]
pub(crate) struct MessageQueue {
    name: String,
    mode: u32,
    max_messages: usize,
    max_message_size: usize,
    read: bool,
    write: bool,
    handle: RwLock<Option<Arc<posix_ipc::MessageQueue>>>,
}

impl MessageQueue {
    fn handle(&self) -> PyResult<Arc<posix_ipc::MessageQueue>> {
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| ExistentialError::new_err("The queue does not exist (it was closed)"))
    }
}

/// The bytes of a message: a `str` (encoded as UTF-8) or any object with the
/// buffer protocol. posix_ipc crashed on anything else.
fn message_bytes<'a>(message: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    ipc_python_glue::bytes_arg(
        message,
        "the message must be a str or a bytes-like object, not ",
    )
}

/// The largest receive buffer a thread keeps between calls (the default
/// queue's 8 KiB messages fit many times over); larger messages get a buffer
/// of their own.
const KEPT_BUFFER: usize = 64 * 1024;

thread_local! {
    /// Each thread's receive buffer, so that `receive` allocates only the
    /// `bytes` it returns.
    static RECEIVE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[pymethods]
impl MessageQueue {
    #[new]
    #[pyo3(signature = (
        name, flags = 0, mode = 0o600, max_messages = None, max_message_size = None,
        read = Truthy(true), write = Truthy(true)
    ))]
    #[allow(clippy::too_many_arguments)] // posix_ipc's signature
    fn new(
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        flags: i32,
        mode: i64,
        max_messages: Option<usize>,
        max_message_size: Option<usize>,
        read: Truthy,
        write: Truthy,
    ) -> PyResult<Self> {
        check_flags(flags, name.is_none())?;
        let (Truthy(read), Truthy(write)) = (read, write);
        if !read && !write {
            return Err(PyValueError::new_err(
                "At least one of read or write must be True",
            ));
        }
        let mode = mode_arg(mode)?;
        let (default_messages, default_size) = default_sizes();
        let as_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let mut options = posix_ipc::MessageQueue::options();
        options
            .flags(flags)
            .mode(mode)
            .max_messages(max_messages.unwrap_or(as_usize(default_messages)))
            .max_message_size(max_message_size.unwrap_or(as_usize(default_size)))
            .read(read)
            .write(write);
        let q = if name.is_none() {
            options.create_unique()
        } else {
            options.open(os_name(&name_bytes(name)?))
        }
        .map_err(|e| to_py(py, e))?;
        Ok(MessageQueue {
            name: q.name().map(name_text).unwrap_or_default(),
            mode,
            max_messages: q.max_messages(),
            max_message_size: q.max_message_size(),
            read,
            write,
            handle: RwLock::new(Some(Arc::new(q))),
        })
    }

    /// Sends `message` (str or bytes-like) with `priority`, waiting for room
    /// for ever (`None`), not at all (0) or at most `timeout` seconds.
    #[pyo3(signature = (message, timeout = None, priority = 0))]
    fn send(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
        priority: i64,
    ) -> PyResult<()> {
        let data = message_bytes(message)?;
        let timeout = crate::timeout_arg(timeout)?;
        let max = posix_ipc::limits::message_priority_max();
        let priority = u32::try_from(priority)
            .ok()
            .filter(|&p| p <= max)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "The priority must be a positive number no greater than \
                     QUEUE_PRIORITY_MAX ({max})"
                ))
            })?;
        let q = self.handle()?;
        py.detach(|| q.send_timeout(&data, priority, timeout))
            .map_err(|e| to_py(py, e))
    }

    /// Receives the oldest message of the highest priority as
    /// `(bytes, priority)`, waiting as `send` does.
    #[pyo3(signature = (timeout = None))]
    fn receive(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Py<PyBytes>, u32)> {
        let timeout = crate::timeout_arg(timeout)?;
        let q = self.handle()?;
        let max = q.max_message_size();
        let receive = |buf: &mut Vec<u8>| {
            if buf.len() < max {
                buf.resize(max, 0);
            }
            let slot = &mut buf[..max];
            let (n, priority) = py.detach(|| q.receive_timeout(slot, timeout))?;
            Ok((PyBytes::new(py, &buf[..n]).unbind(), priority))
        };
        // The thread's buffer, unless it is in use further up this thread's
        // stack (Python code run by an allocation, such as a finaliser,
        // called receive again) or the messages are too large to keep.
        let kept = (max <= KEPT_BUFFER)
            .then(|| RECEIVE_BUFFER.with(|b| b.try_borrow_mut().ok().map(|mut b| receive(&mut b))))
            .flatten();
        kept.unwrap_or_else(|| receive(&mut Vec::new()))
            .map_err(|e| to_py(py, e))
    }

    /// Asks to be told when a message arrives in the empty queue: `None`
    /// cancels, an int is a signal to send, `(callable, param)` calls
    /// `callable(param)` in a new thread. One notification, then re-arm.
    #[pyo3(signature = (notification = None))]
    fn request_notification(
        &self,
        py: Python<'_>,
        notification: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let notification = notification.filter(|n| !n.is_none());
        let Some(notification) = notification else {
            // posix_ipc cancels on a closed queue without complaint too.
            return match self.handle() {
                Ok(q) => q.cancel_notification().map_err(|e| to_py(py, e)),
                Err(_) => Ok(()),
            };
        };
        if notification.is_instance_of::<PyInt>() || notification.is_instance_of::<PyBool>() {
            let signal: i32 = notification.extract().map_err(|_| {
                PyValueError::new_err(format!("{NOTIFICATION_ERROR}; this int is no signal"))
            })?;
            return self
                .handle()?
                .notify_signal(signal)
                .map_err(|e| to_py(py, e));
        }
        let pair = notification
            .cast::<PyTuple>()
            .ok()
            .filter(|t| t.len() == 2)
            .ok_or_else(|| PyValueError::new_err(NOTIFICATION_ERROR))?;
        let function = pair.get_item(0)?;
        if !function.is_callable() {
            return Err(PyValueError::new_err(NOTIFICATION_ERROR));
        }
        let function = function.unbind();
        let param = pair.get_item(1)?.unbind();
        let q = self.handle()?;
        q.notify_callback(move || {
            // A thread of the C library, which Python never saw: attach it.
            Python::attach(|py| {
                if let Err(e) = function.call1(py, (param,)) {
                    // posix_ipc swallowed it silently; report it as Python
                    // reports exceptions nobody can catch.
                    e.write_unraisable(py, Some(function.bind(py)));
                }
            });
        })
        .map_err(|e| to_py(py, e))
    }

    /// Closes this handle (the queue stays until unlinked). A second close
    /// is an `ExistentialError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .handle
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| ExistentialError::new_err("The queue does not exist (it was closed)"))?;
        match Arc::try_unwrap(taken) {
            Ok(q) => q.close().map_err(|e| to_py(py, e)),
            // A send or receive in another thread still uses it: it closes
            // when that call returns.
            Err(_shared) => Ok(()),
        }
    }

    /// Removes the queue's name; works after `close()` too.
    fn unlink(&self, py: Python<'_>) -> PyResult<()> {
        posix_ipc::unlink_message_queue(self.name.as_str()).map_err(|e| to_py(py, e))
    }

    /// The queue descriptor, as `mqd`.
    fn fileno(&self) -> i32 {
        self.mqd()
    }

    /// The queue's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The mode given when opening.
    #[getter]
    fn mode(&self) -> u32 {
        self.mode
    }

    /// The queue's capacity in messages.
    #[getter]
    fn max_messages(&self) -> usize {
        self.max_messages
    }

    /// The largest message the queue takes, in bytes.
    #[getter]
    fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The queue descriptor (a pollable file descriptor on Linux), or -1
    /// after `close()`.
    #[getter]
    fn mqd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(-1, |q| q.as_raw_fd())
    }

    /// How many messages are in the queue now.
    #[getter]
    fn current_messages(&self, py: Python<'_>) -> PyResult<usize> {
        self.handle()?.current_messages().map_err(|e| to_py(py, e))
    }

    /// Whether `send` and `receive` may wait (this descriptor's
    /// `O_NONBLOCK`).
    #[getter]
    fn block(&self, py: Python<'_>) -> PyResult<bool> {
        self.handle()?.block().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_block(&self, py: Python<'_>, block: Truthy) -> PyResult<()> {
        let Truthy(block) = block;
        self.handle()?.set_block(block).map_err(|e| to_py(py, e))
    }

    fn __str__(&self) -> &str {
        &self.name
    }

    fn __repr__(&self) -> String {
        let py_bool = |b: bool| if b { "True" } else { "False" };
        format!(
            "posix_ipc.MessageQueue(\"{}\", mode=0{:o}, max_message_size={}, max_messages={}, \
             read={}, write={})",
            self.name,
            self.mode,
            self.max_message_size,
            self.max_messages,
            py_bool(self.read),
            py_bool(self.write)
        )
    }
}
