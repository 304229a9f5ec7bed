//! `posix_ipc.Semaphore`.

use std::sync::{Arc, PoisonError, RwLock};

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::{ExistentialError, check_flags, mode_arg, name_bytes, name_text, os_name, to_py};

/// A POSIX named semaphore (posix_ipc's `Semaphore`).
///
/// The handle is shared with the waits in progress: `close()` only drops this
/// object's reference, so a wait in another thread keeps the semaphore open
/// until it returns (posix_ipc closed it under that thread).
#[pyclass(module = "posix_ipc", name = "Semaphore", frozen, subclass)]
pub(crate) struct Semaphore {
    name: String,
    mode: u32,
    handle: RwLock<Option<Arc<posix_ipc::Semaphore>>>,
}

impl Semaphore {
    fn handle(&self) -> PyResult<Arc<posix_ipc::Semaphore>> {
        self.with_handle(Arc::clone)
    }

    /// Runs `f` on the open semaphore under the read lock (for calls that
    /// never wait: the GIL stays held).
    fn with_handle<T>(&self, f: impl FnOnce(&Arc<posix_ipc::Semaphore>) -> T) -> PyResult<T> {
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(f)
            .ok_or_else(|| ExistentialError::new_err("The semaphore has been closed"))
    }
}

#[pymethods]
impl Semaphore {
    #[new]
    #[pyo3(signature = (name, flags = 0, mode = 0o600, initial_value = 0))]
    fn new(
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        flags: i32,
        mode: i64,
        initial_value: u32,
    ) -> PyResult<Self> {
        check_flags(flags, name.is_none())?;
        let mode = mode_arg(mode)?;
        let mut options = posix_ipc::Semaphore::options();
        options.flags(flags).mode(mode).initial_value(initial_value);
        let sem = if name.is_none() {
            options.create_unique()
        } else {
            options.open(os_name(&name_bytes(name)?))
        }
        .map_err(|e| to_py(py, e))?;
        Ok(Semaphore {
            name: name_text(sem.name()),
            mode,
            handle: RwLock::new(Some(Arc::new(sem))),
        })
    }

    /// Waits until the semaphore can be decremented: for ever (`None`), not
    /// at all (0), or at most `timeout` seconds; `BusyError` when it cannot.
    #[pyo3(signature = (timeout = None))]
    fn acquire(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let timeout = crate::timeout_arg(timeout)?;
        // An uncontended acquire does not wait: try it with the GIL held and
        // no reference-count traffic, and release the GIL only to wait.
        match self.with_handle(|sem| sem.acquire(posix_ipc::Timeout::Immediate))? {
            Err(e) if e.is_busy() && !timeout.is_immediate() => {}
            done => return done.map_err(|e| to_py(py, e)),
        }
        let sem = self.handle()?;
        py.detach(|| sem.acquire(timeout)).map_err(|e| to_py(py, e))
    }

    /// Increments the semaphore.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        self.with_handle(|sem| sem.release())?
            .map_err(|e| to_py(py, e))
    }

    /// Closes this handle (the semaphore itself stays until unlinked).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .handle
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| ExistentialError::new_err("The semaphore has been closed"))?;
        match Arc::try_unwrap(taken) {
            Ok(sem) => sem.close().map_err(|e| to_py(py, e)),
            // A wait in another thread still uses it: it closes when that
            // wait returns.
            Err(_shared) => Ok(()),
        }
    }

    /// Removes the semaphore's name; works after `close()` too.
    fn unlink(&self, py: Python<'_>) -> PyResult<()> {
        posix_ipc::unlink_semaphore(self.name.as_str()).map_err(|e| to_py(py, e))
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().acquire(slf.py(), None)?;
        Ok(slf)
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.release(py)
    }

    /// The semaphore's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The mode given when opening.
    #[getter]
    fn mode(&self) -> u32 {
        self.mode
    }

    /// The semaphore's current value.
    #[getter]
    fn value(&self, py: Python<'_>) -> PyResult<u32> {
        self.handle()?.value().map_err(|e| to_py(py, e))
    }

    fn __str__(&self) -> &str {
        &self.name
    }

    fn __repr__(&self) -> String {
        format!(
            "posix_ipc.Semaphore(\"{}\", mode=0{:o})",
            self.name, self.mode
        )
    }
}
