//! `posix_ipc.SharedMemory`.

use std::os::fd::AsRawFd;
use std::sync::{PoisonError, RwLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::{ExistentialError, check_flags, mode_arg, name_bytes, name_text, os_name, to_py};

/// A POSIX shared memory object (posix_ipc's `SharedMemory`): a file
/// descriptor, which Python's `mmap` maps.
#[pyclass(module = "posix_ipc", name = "SharedMemory", frozen, subclass)]
pub(crate) struct SharedMemory {
    name: String,
    mode: u32,
    handle: RwLock<Option<posix_ipc::SharedMemory>>,
}

#[pymethods]
impl SharedMemory {
    #[new]
    #[pyo3(signature = (name, flags = 0, mode = 0o600, size = 0, read_only = false))]
    fn new(
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        flags: i32,
        mode: i64,
        size: usize,
        read_only: bool,
    ) -> PyResult<Self> {
        check_flags(flags, name.is_none())?;
        let mode = mode_arg(mode)?;
        let mut options = posix_ipc::SharedMemory::options();
        options
            .flags(flags)
            .mode(mode)
            .size(size)
            .read_only(read_only);
        let shm = if name.is_none() {
            options.create_unique()
        } else {
            options.open(os_name(&name_bytes(name)?))
        }
        .map_err(|e| to_py(py, e))?;
        Ok(SharedMemory {
            name: shm.name().map(name_text).unwrap_or_default(),
            mode,
            handle: RwLock::new(Some(shm)),
        })
    }

    /// Closes the file descriptor (a mapping made from it stays valid). A
    /// second call does nothing.
    fn close_fd(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .handle
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match taken {
            None => Ok(()),
            Some(shm) => shm.close().map_err(|e| {
                if e.raw_os_error() == Some(libc::EBADF) {
                    PyValueError::new_err(format!("The file descriptor is invalid ({e})"))
                } else {
                    to_py(py, e)
                }
            }),
        }
    }

    /// The file descriptor, as `fd`.
    fn fileno(&self) -> i32 {
        self.fd()
    }

    /// Removes the object's name; works after `close_fd()` too.
    fn unlink(&self, py: Python<'_>) -> PyResult<()> {
        posix_ipc::unlink_shared_memory(self.name.as_str()).map_err(|e| to_py(py, e))
    }

    /// The object's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The mode given when opening.
    #[getter]
    fn mode(&self) -> u32 {
        self.mode
    }

    /// The file descriptor, or -1 after `close_fd()`.
    #[getter]
    fn fd(&self) -> i32 {
        self.handle
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(-1, AsRawFd::as_raw_fd)
    }

    /// The object's current size in bytes (`fstat`).
    #[getter]
    fn size(&self, py: Python<'_>) -> PyResult<usize> {
        let guard = self.handle.read().unwrap_or_else(PoisonError::into_inner);
        let shm = guard.as_ref().ok_or_else(|| {
            ExistentialError::new_err("The segment does not exist (its descriptor was closed)")
        })?;
        shm.size().map_err(|e| to_py(py, e))
    }

    fn __str__(&self) -> &str {
        &self.name
    }

    fn __repr__(&self) -> String {
        format!(
            "posix_ipc.SharedMemory(\"{}\", mode=0{:o})",
            self.name, self.mode
        )
    }
}
