//! `sysv_ipc.MessageQueue`.

use pyo3::exceptions::{PyAttributeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sysv_ipc::{Selector, Wait};

use crate::{Truthy, check_flags, epoch_secs, int_attr, key_arg, mode_arg, to_py};

/// A System V message queue (sysv_ipc's `MessageQueue`).
#[pyclass(module = "sysv_ipc", name = "MessageQueue", frozen, subclass)]
pub(crate) struct MessageQueue {
    q: sysv_ipc::MessageQueue,
}

#[pymethods]
impl MessageQueue {
    #[new]
    #[pyo3(signature = (key, flags = 0, mode = 0o600, max_message_size = 2048))]
    fn new(
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        flags: i32,
        mode: i64,
        max_message_size: usize,
    ) -> PyResult<Self> {
        let key = key_arg(key)?;
        check_flags(flags, key)?;
        let mode = mode_arg(mode)?;
        let mut options = sysv_ipc::MessageQueue::options();
        options
            .flags(flags & sysv_ipc::IPC_CREX)
            .mode(mode)
            .max_message_size(max_message_size);
        let q = match key {
            None => options.create_unique(),
            Some(key) => options.open(key),
        }
        .map_err(|e| to_py(py, e))?;
        Ok(MessageQueue { q })
    }

    /// Sends `message` (str or bytes-like) with `type` (> 0), waiting for
    /// room unless `block` is false.
    #[pyo3(signature = (message, block = Truthy(true), r#type = 1))]
    fn send(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
        block: Truthy,
        r#type: i64,
    ) -> PyResult<()> {
        let data = crate::data_bytes(message)?;
        if r#type <= 0 {
            return Err(PyValueError::new_err("The type must be > 0"));
        }
        let max = self.q.max_message_size();
        if data.len() > max {
            return Err(PyValueError::new_err(format!(
                "The message length exceeds queue's max_message_size ({max})"
            )));
        }
        let mtype = libc::c_long::try_from(r#type)
            .map_err(|_| PyValueError::new_err(format!("type {type} does not fit a C long")))?;
        let q = &self.q;
        py.detach(|| q.send(&data, mtype, Wait::from(block.0)))
            .map_err(|e| to_py(py, e))
    }

    /// Receives a message as `(bytes, type)`: the first one (`type=0`), the
    /// first of that type (`type>0`), or the first of the lowest type up to
    /// `-type` (`type<0`); waits unless `block` is false.
    #[pyo3(signature = (block = Truthy(true), r#type = 0))]
    fn receive(
        &self,
        py: Python<'_>,
        block: Truthy,
        r#type: i64,
    ) -> PyResult<(Py<PyBytes>, libc::c_long)> {
        let selector = libc::c_long::try_from(r#type)
            .map_err(|_| PyValueError::new_err(format!("type {type} does not fit a C long")))
            .and_then(|t| Selector::from_raw(t).map_err(|e| to_py(py, e)))?;
        let q = &self.q;
        let message = py
            .detach(|| q.receive_vec(selector, Wait::from(block.0)))
            .map_err(|e| to_py(py, e))?;
        Ok((PyBytes::new(py, &message.data).unbind(), message.mtype))
    }

    /// Removes the queue from the system.
    fn remove(&self, py: Python<'_>) -> PyResult<()> {
        self.q.remove().map_err(|e| to_py(py, e))
    }

    /// The key.
    #[getter]
    fn key(&self) -> i32 {
        self.q.key().as_raw()
    }

    /// The identifier.
    #[getter]
    fn id(&self) -> i32 {
        self.q.id()
    }

    #[setter(id)]
    fn set_id(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyAttributeError::new_err("readonly attribute"))
    }

    /// The largest message `send` takes and `receive` accepts (this object's
    /// setting, not the kernel's).
    #[getter]
    fn max_message_size(&self) -> usize {
        self.q.max_message_size()
    }

    /// The most bytes the queue holds (`msg_qbytes`); settable.
    #[getter]
    fn max_size(&self, py: Python<'_>) -> PyResult<u64> {
        self.q.max_size().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_max_size(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = int_attr("max_size", value)?;
        self.q.set_max_size(bytes).map_err(|e| to_py(py, e))
    }

    /// Seconds since the epoch of the last send (0: never).
    #[getter]
    fn last_send_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(self.q.send_time().map_err(|e| to_py(py, e))?))
    }

    /// Seconds since the epoch of the last receive (0: never).
    #[getter]
    fn last_receive_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(self.q.receive_time().map_err(|e| to_py(py, e))?))
    }

    /// Seconds since the epoch of the last change of the attributes.
    #[getter]
    fn last_change_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(Some(
            self.q.change_time().map_err(|e| to_py(py, e))?,
        )))
    }

    /// The pid of the last sender (0: none).
    #[getter]
    fn last_send_pid(&self, py: Python<'_>) -> PyResult<i32> {
        Ok(self
            .q
            .last_send_pid()
            .map_err(|e| to_py(py, e))?
            .unwrap_or(0))
    }

    /// The pid of the last receiver (0: none).
    #[getter]
    fn last_receive_pid(&self, py: Python<'_>) -> PyResult<i32> {
        Ok(self
            .q
            .last_receive_pid()
            .map_err(|e| to_py(py, e))?
            .unwrap_or(0))
    }

    /// How many messages are in the queue.
    #[getter]
    fn current_messages(&self, py: Python<'_>) -> PyResult<u64> {
        self.q.current_messages().map_err(|e| to_py(py, e))
    }

    /// The permission bits.
    #[getter]
    fn mode(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.q.mode().map_err(|e| to_py(py, e))?.bits())
    }

    #[setter]
    fn set_mode(&self, py: Python<'_>, mode: &Bound<'_, PyAny>) -> PyResult<()> {
        let mode: u32 = int_attr("mode", mode)?;
        self.q.set_mode(mode).map_err(|e| to_py(py, e))
    }

    /// The owner's user id.
    #[getter]
    fn uid(&self, py: Python<'_>) -> PyResult<u32> {
        self.q.uid().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_uid(&self, py: Python<'_>, uid: &Bound<'_, PyAny>) -> PyResult<()> {
        let uid = int_attr("uid", uid)?;
        self.q.set_uid(uid).map_err(|e| to_py(py, e))
    }

    /// The owner's group id.
    #[getter]
    fn gid(&self, py: Python<'_>) -> PyResult<u32> {
        self.q.gid().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_gid(&self, py: Python<'_>, gid: &Bound<'_, PyAny>) -> PyResult<()> {
        let gid = int_attr("gid", gid)?;
        self.q.set_gid(gid).map_err(|e| to_py(py, e))
    }

    /// The creator's user id.
    #[getter]
    fn cuid(&self, py: Python<'_>) -> PyResult<u32> {
        self.q.cuid().map_err(|e| to_py(py, e))
    }

    /// The creator's group id.
    #[getter]
    fn cgid(&self, py: Python<'_>) -> PyResult<u32> {
        self.q.cgid().map_err(|e| to_py(py, e))
    }

    fn __str__(&self) -> String {
        format!("Key={}, id={}", self.key(), self.id())
    }

    fn __repr__(&self) -> String {
        format!("sysv_ipc.MessageQueue({})", self.key())
    }
}
