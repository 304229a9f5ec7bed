//! What the Python drop-ins `posix_ipc` and `sysv_ipc` share: how an error of
//! the crates becomes a Python exception, and how the arguments both modules
//! take alike (`timeout=`, truth-valued flags) are read.

use ipc_common::{Error, ErrorKind, Timeout};
use pyo3::exceptions::{PyMemoryError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// The message of every bad timeout (posix_ipc's and sysv_ipc's exact text and
/// type).
pub const TIMEOUT_TYPE_ERROR: &str = "The timeout must be None or a non-negative number";

/// A module's own exception classes, each given the error's text.
#[derive(Debug)]
pub struct Exceptions {
    /// A wait interrupted by a signal whose handlers raised nothing.
    pub signal: fn(String) -> PyErr,
    /// The object exists (exclusive create), does not exist, or was removed.
    pub existential: fn(String) -> PyErr,
    /// The call would have to wait and may not, or its timeout expired.
    pub busy: fn(String) -> PyErr,
    /// Permission denied, or an object owned by another user.
    pub permissions: fn(String) -> PyErr,
    /// Shared memory used after it was detached (sysv_ipc only).
    pub not_attached: Option<fn(String) -> PyErr>,
}

/// Turns an error of the crates into the exception the module raises for it.
///
/// A wait interrupted by a signal first runs the Python signal handlers, so a
/// handler's exception (such as `KeyboardInterrupt`) is what the caller sees;
/// without one it is the module's signal exception. Invalid input is
/// `ValueError`, `ENOMEM` is `MemoryError`, and what no family claims is
/// `OSError(errno, text)`.
pub fn to_py(py: Python<'_>, e: Error, exceptions: &Exceptions) -> PyErr {
    let text = e.to_string();
    if e.is_signal() {
        if let Err(handler) = py.check_signals() {
            return handler;
        }
        return (exceptions.signal)(text);
    }
    if e.is_existential() {
        return (exceptions.existential)(text);
    }
    if e.is_busy() {
        return (exceptions.busy)(text);
    }
    match (e.kind(), exceptions.not_attached) {
        (ErrorKind::PermissionDenied | ErrorKind::ForeignOwner, _) => {
            (exceptions.permissions)(text)
        }
        (ErrorKind::NotAttached, Some(not_attached)) => not_attached(text),
        (ErrorKind::InvalidInput, _) => PyValueError::new_err(text),
        _ if e.raw_os_error() == Some(libc::ENOMEM) => PyMemoryError::new_err(text),
        _ => match e.raw_os_error() {
            Some(errno) => PyOSError::new_err((errno, text)),
            None => PyOSError::new_err(text),
        },
    }
}

/// A `timeout=` argument: `None` waits for ever, 0 never waits, a positive
/// number of seconds (int, float or bool) waits that long. Anything else is
/// the originals' `TypeError`; NaN and values too large for a timeout are a
/// `ValueError` (the originals turned them into a misleading
/// `ExistentialError` or an immediate `BusyError`).
pub fn timeout_arg(timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Timeout> {
    let Some(timeout) = timeout.filter(|t| !t.is_none()) else {
        return Ok(Timeout::Forever);
    };
    let secs: f64 = timeout
        .extract()
        .map_err(|_| PyTypeError::new_err(TIMEOUT_TYPE_ERROR))?;
    if secs < 0.0 {
        return Err(PyTypeError::new_err(TIMEOUT_TYPE_ERROR));
    }
    Timeout::from_secs_f64(secs).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// An argument taken for its truth, as the originals take `read`, `write`,
/// `block` and `undo` (any object: `None`, `0` and `[]` are false).
#[derive(Debug, Clone, Copy)]
pub struct Truthy(pub bool);

impl<'a, 'py> FromPyObject<'a, 'py> for Truthy {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        obj.is_truthy().map(Truthy)
    }
}
