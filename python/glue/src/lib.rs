//! What the Python drop-ins `posix_ipc` and `sysv_ipc` share: how an error of
//! the crates becomes a Python exception, and how the arguments both modules
//! take alike (`timeout=`, truth-valued flags) are read.

use std::borrow::Cow;

use ipc_common::{Error, ErrorKind, Timeout};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyMemoryError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

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

/// The bytes of data to send or write: a `str` (encoded as UTF-8) or any
/// object with the buffer protocol; anything else is a `TypeError` whose text
/// is `what` followed by the type's name. The originals crashed on some
/// wrong types.
///
/// `str` and `bytes` are borrowed, not copied: both are immutable, so the
/// borrow stays valid (and may be read with the GIL released) for as long as
/// `data` lives. Other buffers (a `bytearray`, a `memoryview`) may change
/// under a released GIL, so they are copied.
pub fn bytes_arg<'a>(data: &'a Bound<'_, PyAny>, what: &str) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(s) = data.cast::<PyString>() {
        return Ok(Cow::Borrowed(s.to_str()?.as_bytes()));
    }
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    let buffer = PyBuffer::<u8>::get(data).map_err(|_| {
        let name = data
            .get_type()
            .name()
            .map_or_else(|_| "?".into(), |n| n.to_string());
        PyTypeError::new_err(format!("{what}{name}"))
    })?;
    buffer.to_vec(data.py()).map(Cow::Owned)
}
