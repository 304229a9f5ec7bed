//! The Python module `sysv_ipc`, with the API of sysv_ipc 1.2.0, built with
//! PyO3 on the [`sysv-ipc`](sysv_ipc) crate: the same classes, methods,
//! attributes, constants and exceptions, with semaphore timeouts that work
//! and without the original's crashes and silent wrap-arounds.
//!
//! Each Python method is one thin function over the crate. What differs from
//! the original on purpose is listed in PARITY.md ("Python drop-ins") and
//! named in the harness that runs the upstream test suite (`cargo xtask test`).
//!
//! Build it with maturin (`maturin build -m python/sysv_ipc/Cargo.toml`); the
//! wheel is abi3 for CPython 3.11 and later (the buffer protocol of
//! `SharedMemory` needs 3.11's limited API).

mod msg;
mod sem;
mod shm;

use std::time::{SystemTime, UNIX_EPOCH};

use ipc_python_glue::Exceptions;
pub(crate) use ipc_python_glue::{Truthy, timeout_arg};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyTypeError, PyValueError, PyWarning};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

create_exception!(
    sysv_ipc,
    Error,
    PyException,
    "Base class of the errors of sysv_ipc; raised itself when a signal interrupts a wait."
);
create_exception!(
    sysv_ipc,
    InternalError,
    Error,
    "An impossible state (kept for compatibility; never raised)."
);
create_exception!(
    sysv_ipc,
    PermissionsError,
    Error,
    "The object's mode does not grant the access asked for."
);
create_exception!(
    sysv_ipc,
    ExistentialError,
    Error,
    "The object exists (exclusive create), does not exist, or was removed."
);
create_exception!(
    sysv_ipc,
    BusyError,
    Error,
    "The call would have to wait and may not, or its timeout expired."
);
create_exception!(
    sysv_ipc,
    NotAttachedError,
    Error,
    "The shared memory is not attached."
);

/// The version of sysv_ipc whose API this module offers.
const VERSION: &str = "1.2.0";

/// sysv_ipc's exceptions, for [`to_py`]: an interrupted wait whose handlers
/// raised nothing is sysv_ipc's `Error("Signaled while waiting")`.
static EXCEPTIONS: Exceptions = Exceptions {
    signal: |text| Error::new_err(format!("Signaled while waiting ({text})")),
    existential: ExistentialError::new_err,
    busy: BusyError::new_err,
    permissions: PermissionsError::new_err,
    not_attached: Some(NotAttachedError::new_err),
};

/// Turns an error of the crate into the exception sysv_ipc raises for it.
fn to_py(py: Python<'_>, e: ipc_common::Error) -> PyErr {
    ipc_python_glue::to_py(py, e, &EXCEPTIONS)
}

/// A key argument: `None` (a new random key; needs `IPC_CREX`) or an int in
/// `KEY_MIN..=KEY_MAX`, the range of `key_t`. sysv_ipc took any C long and
/// cut it to 32 bits silently; here a wider key is a `ValueError`.
fn key_arg(key: &Bound<'_, PyAny>) -> PyResult<Option<sysv_ipc::Key>> {
    if key.is_none() {
        return Ok(None);
    }
    if !key.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err("Key must be an integer or None"));
    }
    let key: i128 = key.extract()?;
    i32::try_from(key)
        .map(|k| Some(sysv_ipc::Key::new(k)))
        .map_err(|_| {
            PyValueError::new_err(format!(
                "key {key} does not fit key_t: keys run from KEY_MIN ({}) to KEY_MAX ({}); \
             sysv_ipc would have cut it to 32 bits",
                i32::MIN,
                i32::MAX
            ))
        })
}

/// The flag checks sysv_ipc makes before any system call, with its texts.
fn check_flags(flags: i32, key: Option<sysv_ipc::Key>) -> PyResult<()> {
    if flags & sysv_ipc::IPC_EXCL != 0 && flags & sysv_ipc::IPC_CREAT == 0 {
        return Err(PyValueError::new_err(
            "IPC_EXCL must be combined with IPC_CREAT",
        ));
    }
    if key.is_none() && flags & sysv_ipc::IPC_EXCL == 0 {
        return Err(PyValueError::new_err(
            "Key can only be None if IPC_EXCL is set",
        ));
    }
    Ok(())
}

/// A `mode=` argument: permission bits, `0o777` at most (sysv_ipc ORed a
/// semaphore's mode into the flags unmasked, so `0o1600` created).
fn mode_arg(mode: i64) -> PyResult<u32> {
    u32::try_from(mode)
        .ok()
        .filter(|&m| m <= 0o777)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "mode {mode:#o} is not a set of permission bits (0 to 0o777)"
            ))
        })
}

/// The value of an attribute setter (`mode`, `uid`, `gid`, `max_size`): an
/// int that fits `T`, else `TypeError` (not an int, as sysv_ipc) or
/// `ValueError` (out of range, where sysv_ipc wrapped it).
fn int_attr<T: TryFrom<i128>>(name: &str, value: &Bound<'_, PyAny>) -> PyResult<T> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "attribute '{name}' must be an integer"
        )));
    }
    let v: i128 = value.extract()?;
    T::try_from(v)
        .map_err(|_| PyValueError::new_err(format!("{v} is out of range for attribute '{name}'")))
}

/// Seconds since the epoch, 0 for "never" (sysv_ipc's convention).
fn epoch_secs(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The bytes of data to write or send: a `str` (encoded as UTF-8) or any
/// object with the buffer protocol. sysv_ipc could crash on a wrong argument.
fn data_bytes<'a>(data: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    ipc_python_glue::bytes_arg(data, "a str or a bytes-like object is required, not ")
}

/// `ftok(path, id, silence_warning=False)`: a key derived from a file's
/// identity and the low byte of `id`, with sysv_ipc's warning.
#[pyfunction]
#[pyo3(signature = (path, id, silence_warning = false))]
fn ftok(py: Python<'_>, path: &str, id: i64, silence_warning: bool) -> PyResult<i32> {
    if !silence_warning {
        let category = py.get_type::<PyWarning>();
        PyErr::warn(
            py,
            &category,
            c"Use of ftok() is not recommended; see sysv_ipc documentation",
            1,
        )?;
    }
    let id = u8::try_from(id).map_err(|_| {
        PyValueError::new_err(format!(
            "id {id} is outside 0..=255: ftok uses only the low 8 bits, and sysv_ipc \
             dropped the others silently"
        ))
    })?;
    if path.contains('\0') {
        return Err(PyValueError::new_err("embedded null character"));
    }
    // A path that cannot be examined is an OSError with its errno (so
    // FileNotFoundError for a missing one), as sysv_ipc raises.
    sysv_ipc::ftok(path, id).map(i32::from).map_err(|e| {
        let text = e.to_string();
        match e.raw_os_error() {
            Some(errno) => PyOSError::new_err((errno, text)),
            None => to_py(py, e),
        }
    })
}

/// `remove_semaphore(id)`.
#[pyfunction]
fn remove_semaphore(py: Python<'_>, id: i32) -> PyResult<()> {
    sysv_ipc::remove_semaphore(id).map_err(|e| to_py(py, e))
}

/// `remove_shared_memory(id)`.
#[pyfunction]
fn remove_shared_memory(py: Python<'_>, id: i32) -> PyResult<()> {
    sysv_ipc::remove_shared_memory(id).map_err(|e| to_py(py, e))
}

/// `remove_message_queue(id)`.
#[pyfunction]
fn remove_message_queue(py: Python<'_>, id: i32) -> PyResult<()> {
    sysv_ipc::remove_message_queue(id).map_err(|e| to_py(py, e))
}

/// The module: classes, functions, constants and exceptions of sysv_ipc.
#[pymodule(name = "sysv_ipc")]
fn sysv_ipc_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__doc__", "SYSV IPC module")?;
    m.add("VERSION", VERSION)?;
    m.add("__version__", VERSION)?;
    m.add(
        "__author__",
        "The ipc-rs developers (API of Philip Semanchuk's sysv_ipc)",
    )?;
    m.add("__license__", "MIT OR Apache-2.0")?;
    m.add(
        "__copyright__",
        "Copyright The ipc-rs developers; sysv_ipc's API copyright 2008 - 2026, Philip \
         Semanchuk and contributors",
    )?;
    m.add("IMPLEMENTATION", "ipc-rs")?;
    m.add("IMPLEMENTATION_VERSION", env!("CARGO_PKG_VERSION"))?;

    m.add("IPC_CREAT", sysv_ipc::IPC_CREAT)?;
    m.add("IPC_EXCL", sysv_ipc::IPC_EXCL)?;
    m.add("IPC_CREX", sysv_ipc::IPC_CREX)?;
    m.add("IPC_PRIVATE", sysv_ipc::IPC_PRIVATE.as_raw())?;
    m.add("KEY_MIN", i32::MIN)?;
    m.add("KEY_MAX", i32::MAX)?;
    m.add("SEMAPHORE_VALUE_MAX", sysv_ipc::SEMAPHORE_VALUE_MAX)?;
    m.add(
        "SEMAPHORE_TIMEOUT_SUPPORTED",
        sysv_ipc::SEMAPHORE_TIMEOUT_SUPPORTED,
    )?;
    m.add("PAGE_SIZE", sysv_ipc::limits::page_size())?;
    m.add("SHM_RDONLY", libc::SHM_RDONLY)?;
    m.add("SHM_RND", libc::SHM_RND)?;
    #[cfg(target_os = "linux")]
    {
        m.add("SHM_HUGETLB", sysv_ipc::SHM_HUGETLB)?;
        m.add("SHM_NORESERVE", sysv_ipc::SHM_NORESERVE)?;
        m.add("SHM_REMAP", libc::SHM_REMAP)?;
    }

    m.add("Error", py.get_type::<Error>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("PermissionsError", py.get_type::<PermissionsError>())?;
    m.add("ExistentialError", py.get_type::<ExistentialError>())?;
    m.add("BusyError", py.get_type::<BusyError>())?;
    m.add("NotAttachedError", py.get_type::<NotAttachedError>())?;

    m.add_class::<sem::Semaphore>()?;
    m.add_class::<shm::SharedMemory>()?;
    m.add_class::<msg::MessageQueue>()?;
    m.add_function(wrap_pyfunction!(shm::attach, m)?)?;
    m.add_function(wrap_pyfunction!(ftok, m)?)?;
    m.add_function(wrap_pyfunction!(remove_semaphore, m)?)?;
    m.add_function(wrap_pyfunction!(remove_shared_memory, m)?)?;
    m.add_function(wrap_pyfunction!(remove_message_queue, m)?)?;
    Ok(())
}
