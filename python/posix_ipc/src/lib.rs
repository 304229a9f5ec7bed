//! The Python module `posix_ipc`, with the API of posix_ipc 1.3.2, built with
//! PyO3 on the [`posix-ipc`](posix_ipc) crate: the same classes, methods,
//! attributes, constants and exceptions, without the original's crashes.
//!
//! Each Python method is one thin function over the crate. What differs from
//! the original on purpose is listed in PARITY.md ("Python drop-ins") and
//! named in the harness that runs the upstream test suite (`cargo xtask test`).
//!
//! Build it with maturin (`maturin build -m python/posix_ipc/Cargo.toml`); the
//! wheel is abi3 for CPython 3.11 and later.

mod mqueue;
mod semaphore;
mod shm;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use ipc_python_glue::Exceptions;
pub(crate) use ipc_python_glue::{Truthy, timeout_arg};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

create_exception!(
    posix_ipc,
    Error,
    PyException,
    "Base class of the errors of posix_ipc."
);
create_exception!(
    posix_ipc,
    SignalError,
    Error,
    "A signal interrupted a wait (and its handler raised nothing)."
);
create_exception!(
    posix_ipc,
    PermissionsError,
    Error,
    "Permission denied, or the object is not open for this direction."
);
create_exception!(
    posix_ipc,
    ExistentialError,
    Error,
    "The object exists (exclusive create), does not exist, or was closed."
);
create_exception!(
    posix_ipc,
    BusyError,
    Error,
    "The call would have to wait and may not, or its timeout expired."
);

/// The version of posix_ipc whose API this module offers.
const VERSION: &str = "1.3.2";

/// posix_ipc's exceptions, for [`to_py`].
static EXCEPTIONS: Exceptions = Exceptions {
    signal: SignalError::new_err,
    existential: ExistentialError::new_err,
    busy: BusyError::new_err,
    permissions: PermissionsError::new_err,
    not_attached: None,
};

/// Turns an error of the crates into the exception posix_ipc raises for it
/// (`SignalError` for an interrupted wait whose handlers raised nothing).
fn to_py(py: Python<'_>, e: ipc_common::Error) -> PyErr {
    ipc_python_glue::to_py(py, e, &EXCEPTIONS)
}

/// The bytes of a name given as `str` or `bytes` (posix_ipc's rule: anything
/// else is a `TypeError`). A NUL byte is refused by the crate's name check
/// (posix_ipc crashed on one in a `str` and truncated a `bytes` name at it).
fn name_bytes(name: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = name.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    if let Ok(b) = name.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err("Name must be None or a string"))
}

/// The name a handle reports, as posix_ipc's `.name` does (text).
fn name_text(name: &posix_ipc::Name) -> String {
    String::from_utf8_lossy(name.as_bytes()).into_owned()
}

/// The flag checks posix_ipc makes before any system call, with its texts.
fn check_flags(flags: i32, name_is_none: bool) -> PyResult<()> {
    if flags & posix_ipc::O_EXCL != 0 && flags & posix_ipc::O_CREAT == 0 {
        return Err(PyValueError::new_err(
            "O_EXCL must be combined with O_CREAT",
        ));
    }
    if name_is_none && flags & posix_ipc::O_EXCL == 0 {
        return Err(PyValueError::new_err(
            "Name can only be None if O_EXCL is set",
        ));
    }
    Ok(())
}

/// A `mode=` argument: permission bits that fit a `mode_t`.
fn mode_arg(mode: i64) -> PyResult<u32> {
    u32::try_from(mode).map_err(|_| {
        PyValueError::new_err(format!(
            "mode {mode:#o} is not a valid set of permission bits (0 to 0o7777)"
        ))
    })
}

/// A name as the crates take it.
fn os_name(bytes: &[u8]) -> &OsStr {
    OsStr::from_bytes(bytes)
}

/// `unlink_semaphore(name)`: removes the named semaphore.
#[pyfunction]
fn unlink_semaphore(py: Python<'_>, name: &str) -> PyResult<()> {
    posix_ipc::unlink_semaphore(name).map_err(|e| to_py(py, e))
}

/// `unlink_shared_memory(name)`: removes the named shared memory object.
#[pyfunction]
fn unlink_shared_memory(py: Python<'_>, name: &str) -> PyResult<()> {
    posix_ipc::unlink_shared_memory(name).map_err(|e| to_py(py, e))
}

/// `unlink_message_queue(name)`: removes the named message queue.
#[pyfunction]
fn unlink_message_queue(py: Python<'_>, name: &str) -> PyResult<()> {
    posix_ipc::unlink_message_queue(name).map_err(|e| to_py(py, e))
}

/// The module: classes, functions, constants and exceptions of posix_ipc.
#[pymodule(name = "posix_ipc")]
fn posix_ipc_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__doc__", "POSIX IPC module")?;
    m.add("VERSION", VERSION)?;
    m.add("__version__", VERSION)?;
    m.add(
        "__author__",
        "The ipc-rs developers (API of Philip Semanchuk's posix_ipc)",
    )?;
    m.add("__license__", "MIT OR Apache-2.0")?;
    m.add(
        "__copyright__",
        "Copyright The ipc-rs developers; posix_ipc's API copyright 2008 - 2025 Philip \
         Semanchuk and contributors",
    )?;
    m.add("IMPLEMENTATION", "ipc-rs")?;
    m.add("IMPLEMENTATION_VERSION", env!("CARGO_PKG_VERSION"))?;

    m.add("O_CREAT", posix_ipc::O_CREAT)?;
    m.add("O_EXCL", posix_ipc::O_EXCL)?;
    m.add("O_CREX", posix_ipc::O_CREX)?;
    m.add("O_TRUNC", posix_ipc::O_TRUNC)?;
    m.add("O_RDONLY", posix_ipc::O_RDONLY)?;
    m.add("O_WRONLY", posix_ipc::O_WRONLY)?;
    m.add("O_RDWR", posix_ipc::O_RDWR)?;
    m.add("O_NONBLOCK", posix_ipc::O_NONBLOCK)?;
    m.add("PAGE_SIZE", posix_ipc::limits::page_size())?;
    m.add(
        "SEMAPHORE_VALUE_MAX",
        posix_ipc::limits::semaphore_value_max(),
    )?;
    m.add(
        "SEMAPHORE_TIMEOUT_SUPPORTED",
        posix_ipc::SEMAPHORE_TIMEOUT_SUPPORTED,
    )?;
    m.add(
        "SEMAPHORE_VALUE_SUPPORTED",
        posix_ipc::SEMAPHORE_VALUE_SUPPORTED,
    )?;
    m.add(
        "MESSAGE_QUEUES_SUPPORTED",
        posix_ipc::MESSAGE_QUEUES_SUPPORTED,
    )?;
    let (messages, size) = mqueue::default_sizes();
    m.add("QUEUE_MESSAGES_MAX_DEFAULT", messages)?;
    m.add("QUEUE_MESSAGE_SIZE_MAX_DEFAULT", size)?;
    m.add(
        "QUEUE_PRIORITY_MAX",
        posix_ipc::limits::message_priority_max(),
    )?;
    m.add("USER_SIGNAL_MIN", posix_ipc::limits::user_signal_min())?;
    m.add("USER_SIGNAL_MAX", posix_ipc::limits::user_signal_max())?;

    m.add("Error", py.get_type::<Error>())?;
    m.add("SignalError", py.get_type::<SignalError>())?;
    m.add("PermissionsError", py.get_type::<PermissionsError>())?;
    m.add("ExistentialError", py.get_type::<ExistentialError>())?;
    m.add("BusyError", py.get_type::<BusyError>())?;

    m.add_class::<semaphore::Semaphore>()?;
    m.add_class::<shm::SharedMemory>()?;
    m.add_class::<mqueue::MessageQueue>()?;
    m.add_function(wrap_pyfunction!(unlink_semaphore, m)?)?;
    m.add_function(wrap_pyfunction!(unlink_shared_memory, m)?)?;
    m.add_function(wrap_pyfunction!(unlink_message_queue, m)?)?;
    Ok(())
}
