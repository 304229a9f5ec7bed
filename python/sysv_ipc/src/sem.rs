//! `sysv_ipc.Semaphore`.

use std::sync::atomic::{AtomicBool, Ordering};

use ipc_common::Timeout;
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyTuple};
use sysv_ipc::SemOp;

use crate::{Truthy, check_flags, epoch_secs, int_attr, key_arg, mode_arg, to_py};

/// sysv_ipc's exact text for a value outside `0..=SEMVMX` (its tests check it).
const VALUE_RANGE_ERROR: &str = "The semaphore's value must remain between 0 and SEMVMX";

/// A System V semaphore (sysv_ipc's `Semaphore`: a set of one).
///
/// `block` and `undo` belong to this object, as in sysv_ipc, and are applied
/// per call, so they can be changed while another thread waits.
#[pyclass(module = "sysv_ipc", name = "Semaphore", frozen, subclass)]
pub(crate) struct Semaphore {
    /// Opens, reads and changes the semaphore.
    sem: sysv_ipc::Semaphore,
    /// Operates on it, with per-call flags.
    set: sysv_ipc::SemaphoreSet,
    block: AtomicBool,
    undo: AtomicBool,
}

/// A `delta=`: non-zero, its sign ignored (as sysv_ipc), at most SEMVMX.
fn delta_arg(delta: i64) -> PyResult<u16> {
    if delta == 0 {
        return Err(PyValueError::new_err("The delta must be non-zero"));
    }
    u16::try_from(delta.unsigned_abs())
        .ok()
        .filter(|&d| d <= sysv_ipc::SEMAPHORE_VALUE_MAX)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "The delta {delta} is too large: a semaphore's value stays within 0..=SEMVMX \
                 ({})",
                sysv_ipc::SEMAPHORE_VALUE_MAX
            ))
        })
}

impl Semaphore {
    /// Performs `op` with this object's `block` and `undo`, the GIL released.
    fn apply(&self, py: Python<'_>, mut op: SemOp, timeout: Timeout) -> PyResult<()> {
        if !self.block.load(Ordering::Relaxed) {
            op = op.no_wait();
        }
        if self.undo.load(Ordering::Relaxed) {
            op = op.undo();
        }
        let set = &self.set;
        py.detach(|| set.apply(&[op], timeout))
            .map_err(|e| self.error(py, e))
    }

    /// As [`to_py`], with sysv_ipc's text for a value pushed out of range.
    fn error(&self, py: Python<'_>, e: ipc_common::Error) -> PyErr {
        if e.raw_os_error() == Some(libc::ERANGE) {
            return PyValueError::new_err(format!("{VALUE_RANGE_ERROR} ({e})"));
        }
        to_py(py, e)
    }
}

#[pymethods]
impl Semaphore {
    #[new]
    #[pyo3(signature = (key, flags = 0, mode = 0o600, initial_value = 0))]
    fn new(
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        flags: i32,
        mode: i64,
        initial_value: i64,
    ) -> PyResult<Self> {
        let key = key_arg(key)?;
        check_flags(flags, key)?;
        let mode = mode_arg(mode)?;
        let initial_value = u16::try_from(initial_value)
            .ok()
            .filter(|&v| v <= sysv_ipc::SEMAPHORE_VALUE_MAX)
            .ok_or_else(|| PyValueError::new_err(VALUE_RANGE_ERROR))?;
        let mut options = sysv_ipc::Semaphore::options();
        options
            .flags(flags & sysv_ipc::IPC_CREX)
            .mode(mode)
            .initial_value(initial_value)
            // sysv_ipc sets the value with SETVAL alone: o_time stays 0.
            .mark_initialised(false);
        let sem = match key {
            None => options.create_unique(),
            Some(key) => options.open(key),
        }
        .map_err(|e| to_py(py, e))?;
        let set = sysv_ipc::SemaphoreSet::from_id(sem.id()).map_err(|e| to_py(py, e))?;
        Ok(Semaphore {
            sem,
            set,
            block: AtomicBool::new(true),
            undo: AtomicBool::new(false),
        })
    }

    /// Decrements the value by `delta`, waiting for ever (`None`), not at
    /// all (0) or at most `timeout` seconds (unless `block` is False).
    #[pyo3(signature = (timeout = None, delta = 1))]
    fn acquire(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        delta: i64,
    ) -> PyResult<()> {
        let timeout = crate::timeout_arg(timeout)?;
        let delta = delta_arg(delta)?;
        self.apply(py, SemOp::acquire(0, delta), timeout)
    }

    /// Same as `acquire`.
    #[pyo3(name = "P", signature = (timeout = None, delta = 1))]
    fn p(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>, delta: i64) -> PyResult<()> {
        self.acquire(py, timeout, delta)
    }

    /// Increments the value by `delta` (never waits).
    #[pyo3(signature = (delta = 1))]
    fn release(&self, py: Python<'_>, delta: i64) -> PyResult<()> {
        let delta = delta_arg(delta)?;
        let mut op = SemOp::release(0, delta);
        if self.undo.load(Ordering::Relaxed) {
            op = op.undo();
        }
        self.set
            .apply(&[op], Timeout::Forever)
            .map_err(|e| self.error(py, e))
    }

    /// Same as `release`.
    #[pyo3(name = "V", signature = (delta = 1))]
    fn v(&self, py: Python<'_>, delta: i64) -> PyResult<()> {
        self.release(py, delta)
    }

    /// Waits until the value is 0, as `acquire` waits.
    #[pyo3(name = "Z", signature = (timeout = None))]
    fn z(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let timeout = crate::timeout_arg(timeout)?;
        self.apply(py, SemOp::wait_zero(0), timeout)
    }

    /// Removes the semaphore from the system.
    fn remove(&self, py: Python<'_>) -> PyResult<()> {
        self.sem.remove().map_err(|e| to_py(py, e))
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().acquire(slf.py(), None, 1)?;
        Ok(slf)
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.release(py, 1)
    }

    /// The key.
    #[getter]
    fn key(&self) -> i32 {
        self.sem.key().as_raw()
    }

    /// The identifier.
    #[getter]
    fn id(&self) -> i32 {
        self.sem.id()
    }

    #[setter(id)]
    fn set_id(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyAttributeError::new_err("readonly attribute"))
    }

    /// The value (`GETVAL`); setting it is `SETVAL`.
    #[getter]
    fn value(&self, py: Python<'_>) -> PyResult<u16> {
        self.sem.value().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_value(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if !value.is_instance_of::<PyInt>() {
            return Err(PyTypeError::new_err("Attribute 'value' must be an integer"));
        }
        let value: i128 = value.extract()?;
        let value = u16::try_from(value)
            .ok()
            .filter(|&v| v <= sysv_ipc::SEMAPHORE_VALUE_MAX)
            .ok_or_else(|| PyValueError::new_err(VALUE_RANGE_ERROR))?;
        self.sem.set_value(value).map_err(|e| self.error(py, e))
    }

    /// Whether `acquire` and `Z` may wait (default True).
    #[getter]
    fn block(&self) -> bool {
        self.block.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_block(&self, block: Truthy) {
        self.block.store(block.0, Ordering::Relaxed);
    }

    /// Whether operations are undone when this process exits (`SEM_UNDO`).
    #[getter]
    fn undo(&self) -> bool {
        self.undo.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_undo(&self, undo: Truthy) {
        self.undo.store(undo.0, Ordering::Relaxed);
    }

    /// The permission bits.
    #[getter]
    fn mode(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.sem.mode().map_err(|e| to_py(py, e))?.bits())
    }

    #[setter]
    fn set_mode(&self, py: Python<'_>, mode: &Bound<'_, PyAny>) -> PyResult<()> {
        let mode: u32 = int_attr("mode", mode)?;
        self.sem.set_mode(mode).map_err(|e| to_py(py, e))
    }

    /// The owner's user id.
    #[getter]
    fn uid(&self, py: Python<'_>) -> PyResult<u32> {
        self.sem.uid().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_uid(&self, py: Python<'_>, uid: &Bound<'_, PyAny>) -> PyResult<()> {
        let uid = int_attr("uid", uid)?;
        self.sem.set_uid(uid).map_err(|e| to_py(py, e))
    }

    /// The owner's group id.
    #[getter]
    fn gid(&self, py: Python<'_>) -> PyResult<u32> {
        self.sem.gid().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_gid(&self, py: Python<'_>, gid: &Bound<'_, PyAny>) -> PyResult<()> {
        let gid = int_attr("gid", gid)?;
        self.sem.set_gid(gid).map_err(|e| to_py(py, e))
    }

    /// The creator's user id.
    #[getter]
    fn cuid(&self, py: Python<'_>) -> PyResult<u32> {
        self.sem.cuid().map_err(|e| to_py(py, e))
    }

    /// The creator's group id.
    #[getter]
    fn cgid(&self, py: Python<'_>) -> PyResult<u32> {
        self.sem.cgid().map_err(|e| to_py(py, e))
    }

    /// The pid of the last process that operated on the value (0: none).
    #[getter]
    fn last_pid(&self, py: Python<'_>) -> PyResult<i32> {
        Ok(self.sem.last_pid().map_err(|e| to_py(py, e))?.unwrap_or(0))
    }

    /// How many processes wait for the value to grow.
    #[getter]
    fn waiting_for_nonzero(&self, py: Python<'_>) -> PyResult<u32> {
        self.sem.waiting_for_nonzero().map_err(|e| to_py(py, e))
    }

    /// How many processes wait for the value to reach 0.
    #[getter]
    fn waiting_for_zero(&self, py: Python<'_>) -> PyResult<u32> {
        self.sem.waiting_for_zero().map_err(|e| to_py(py, e))
    }

    /// The time of the last operation, in seconds since the epoch (0: none).
    #[getter]
    fn o_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(
            self.sem.operation_time().map_err(|e| to_py(py, e))?,
        ))
    }

    fn __str__(&self) -> String {
        format!("Key={}, id={}", self.key(), self.id())
    }

    fn __repr__(&self) -> String {
        format!("sysv_ipc.Semaphore({})", self.key())
    }
}
