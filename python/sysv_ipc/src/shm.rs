//! `sysv_ipc.SharedMemory` and `sysv_ipc.attach`.

use std::ffi::c_int;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::{PyAttributeError, PyBufferError, PyOSError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};
use sysv_ipc::Attachment;

use crate::{NotAttachedError, check_flags, epoch_secs, int_attr, key_arg, mode_arg, to_py};

/// The attachment of a [`SharedMemory`] object and the views lent out of it.
struct State {
    /// The mapping, while attached.
    attachment: Option<Attachment>,
    /// Buffer-protocol views (`memoryview`) alive over `attachment`: while
    /// there is one, the mapping must stay (sysv_ipc unmapped it under them).
    exports: usize,
    /// The last attach was read-only (sysv_ipc keeps refusing writes after a
    /// detach until a read-write attach).
    read_only: bool,
}

/// A System V shared memory segment (sysv_ipc's `SharedMemory`), attached
/// from construction on. Its bytes are reachable with `read`/`write` and
/// through the buffer protocol (`memoryview(mem)` is a live view).
#[pyclass(module = "sysv_ipc", name = "SharedMemory", frozen, subclass)]
pub(crate) struct SharedMemory {
    /// The segment; its own lazy attachment is never used, so that
    /// `number_attached` counts only this object's mapping.
    seg: sysv_ipc::SharedMemory,
    state: Mutex<State>,
}

/// Maps `seg` (read-only with `SHM_RDONLY`; at `address` if given).
fn attach_segment(
    py: Python<'_>,
    seg: &sysv_ipc::SharedMemory,
    address: Option<&Bound<'_, PyAny>>,
    flags: i32,
) -> PyResult<Attachment> {
    let read_only = flags & libc::SHM_RDONLY != 0;
    let address = match address.filter(|a| !a.is_none()) {
        None => None,
        Some(a) if a.is_instance_of::<PyInt>() => Some(a.extract::<usize>()?),
        Some(_) => return Err(PyTypeError::new_err("address must be a long")),
    };
    match address.and_then(|a| NonNull::new(a as *mut u8)) {
        None if read_only => seg.attach_read_only(),
        None => seg.attach(),
        Some(_) if read_only => {
            return Err(PyValueError::new_err(
                "attaching read-only at a given address is not supported; give address=None",
            ));
        }
        // SAFETY: the Python caller chose the address, as with sysv_ipc's
        // shmat: the kernel refuses one that overlaps a mapping (no
        // SHM_REMAP), and keeping it clear of the stack's growth area is the
        // caller's part of the contract, documented for `attach(address=)`.
        Some(addr) => unsafe { seg.attach_at(addr, flags & libc::SHM_RND != 0) },
    }
    .map_err(|e| to_py(py, e))
}

impl SharedMemory {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A Python object for `seg`, attached as `flags` say.
    fn new_attached(
        py: Python<'_>,
        seg: sysv_ipc::SharedMemory,
        address: Option<&Bound<'_, PyAny>>,
        flags: i32,
    ) -> PyResult<SharedMemory> {
        let attachment = attach_segment(py, &seg, address, flags)?;
        Ok(SharedMemory {
            seg,
            state: Mutex::new(State {
                attachment: Some(attachment),
                exports: 0,
                read_only: flags & libc::SHM_RDONLY != 0,
            }),
        })
    }
}

/// `attach(id, address=None, flags=0)`: a new `SharedMemory` object for the
/// segment with this id, attached.
#[pyfunction]
#[pyo3(signature = (id, address = None, flags = 0))]
pub(crate) fn attach(
    py: Python<'_>,
    id: i32,
    address: Option<&Bound<'_, PyAny>>,
    flags: i32,
) -> PyResult<SharedMemory> {
    let seg = sysv_ipc::SharedMemory::from_id(id).map_err(|e| to_py(py, e))?;
    SharedMemory::new_attached(py, seg, address, flags)
}

#[pymethods]
impl SharedMemory {
    #[new]
    #[pyo3(signature = (key, flags = 0, mode = 0o600, size = 0, init_character = None))]
    fn new(
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        flags: i32,
        mode: i64,
        size: usize,
        init_character: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let key = key_arg(key)?;
        check_flags(flags, key)?;
        let mode = mode_arg(mode)?;
        let fill = match init_character {
            None => b' ',
            Some(c) => match c.extract::<Vec<u8>>() {
                Ok(bytes) if bytes.len() == 1 && !c.is_instance_of::<pyo3::types::PyString>() => {
                    bytes[0]
                }
                _ => {
                    return Err(PyTypeError::new_err(
                        "init_character must be a byte string of length 1",
                    ));
                }
            },
        };
        let mut options = sysv_ipc::SharedMemory::options();
        options.flags(flags & !0o777).mode(mode);
        if size != 0 {
            options.size(size);
        }
        let seg = match key {
            None => options.create_unique(),
            Some(key) => options.open(key),
        }
        .map_err(|e| to_py(py, e))?;
        let read_only = mode & 0o200 == 0;
        let created = seg.created();
        let id = seg.id();
        let flags_rdonly = if read_only { libc::SHM_RDONLY } else { 0 };
        let filled = SharedMemory::new_attached(py, seg, None, flags_rdonly).and_then(|shm| {
            if created && flags & sysv_ipc::IPC_CREX == sysv_ipc::IPC_CREX && !read_only {
                let state = shm.state();
                if let Some(a) = &state.attachment {
                    a.fill(0, a.len(), fill).map_err(|e| to_py(py, e))?;
                }
            }
            Ok(shm)
        });
        if filled.is_err() && created {
            // Do not leave behind a segment nobody got (sysv_ipc did).
            let _ = sysv_ipc::remove_shared_memory(id);
        }
        filled
    }

    /// Reads `byte_count` bytes at `offset` (0 or past the end: to the end).
    #[pyo3(signature = (byte_count = 0, offset = 0))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        byte_count: i64,
        offset: i64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let state = self.state();
        let a = state.attachment.as_ref().ok_or_else(|| {
            NotAttachedError::new_err("Read attempt on unattached memory segment")
        })?;
        let size = a.len();
        let offset = usize::try_from(offset)
            .ok()
            .filter(|&o| o < size)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "The offset must be less than the segment size ({size}), and not negative"
                ))
            })?;
        let byte_count = usize::try_from(byte_count)
            .map_err(|_| PyValueError::new_err("The byte_count cannot be negative"))?;
        let available = size - offset;
        let n = if byte_count == 0 {
            available
        } else {
            byte_count.min(available)
        };
        // Straight from the segment into a new `bytes` object, as sysv_ipc
        // does: one allocation, one copy (`PyBytes::new_with` would zero the
        // buffer first, a second pass over it).
        let len = ffi::Py_ssize_t::try_from(n)
            .map_err(|_| PyValueError::new_err("The byte_count is too large"))?;
        // SAFETY: `offset + n <= a.len()` (checked above), so the bytes lie in
        // the attachment, which `state` keeps attached for the whole call.
        // CPython copies them with memcpy, an opaque C copy: a writer in
        // another process can tear it (as with sysv_ipc, and as with
        // `Region`'s own copies), never make it read outside the range.
        let bytes = unsafe { ffi::PyBytes_FromStringAndSize(a.as_ptr().add(offset).cast(), len) };
        // SAFETY: a new reference (or null with the Python error set).
        let bytes = unsafe { Bound::from_owned_ptr_or_err(py, bytes)? };
        // SAFETY: PyBytes_FromStringAndSize returns a `bytes` object.
        Ok(unsafe { bytes.cast_into_unchecked() })
    }

    /// Writes `s` (str or bytes-like) at `offset`; all of it or nothing.
    #[pyo3(signature = (s, offset = 0))]
    fn write(&self, py: Python<'_>, s: &Bound<'_, PyAny>, offset: i64) -> PyResult<()> {
        let data = crate::data_bytes(s)?;
        let state = self.state();
        if state.read_only {
            return Err(PyOSError::new_err(
                "Write attempt on read-only memory segment",
            ));
        }
        let a = state.attachment.as_ref().ok_or_else(|| {
            NotAttachedError::new_err("Write attempt on unattached memory segment")
        })?;
        let size = a.len();
        usize::try_from(offset)
            .ok()
            .filter(|&o| o <= size && data.len() <= size - o)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "Attempt to write past end of memory segment ({} bytes at offset {offset} \
                     of {size})",
                    data.len()
                ))
            })
            .and_then(|o| a.write_at(o, &data).map_err(|e| to_py(py, e)))
    }

    /// Attaches the segment again (read-only with `flags=SHM_RDONLY`),
    /// replacing this object's attachment.
    #[pyo3(signature = (address = None, flags = 0))]
    fn attach(
        &self,
        py: Python<'_>,
        address: Option<&Bound<'_, PyAny>>,
        flags: i32,
    ) -> PyResult<()> {
        let mut state = self.state();
        if state.exports > 0 {
            return Err(PyBufferError::new_err(format!(
                "cannot attach again while {} memoryview(s) of the current attachment \
                 exist; release them first",
                state.exports
            )));
        }
        let new = attach_segment(py, &self.seg, address, flags)?;
        // One attach, one mapping: the previous one goes (sysv_ipc leaked it).
        state.attachment = Some(new);
        state.read_only = flags & libc::SHM_RDONLY != 0;
        Ok(())
    }

    /// Detaches the segment. Refused while a `memoryview` of it exists.
    fn detach(&self, py: Python<'_>) -> PyResult<()> {
        let mut state = self.state();
        if state.exports > 0 {
            return Err(PyBufferError::new_err(format!(
                "cannot detach while {} memoryview(s) of the segment exist; release them \
                 first (memoryview.release())",
                state.exports
            )));
        }
        let a = state
            .attachment
            .take()
            .ok_or_else(|| NotAttachedError::new_err("The segment is not attached"))?;
        a.detach().map_err(|e| to_py(py, e))
    }

    /// Marks the segment for removal (it goes once nobody is attached).
    fn remove(&self, py: Python<'_>) -> PyResult<()> {
        self.seg.remove().map_err(|e| to_py(py, e))
    }

    /// The key.
    #[getter]
    fn key(&self) -> i32 {
        self.seg.key().as_raw()
    }

    /// The identifier.
    #[getter]
    fn id(&self) -> i32 {
        self.seg.id()
    }

    #[setter(id)]
    fn set_id(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyAttributeError::new_err("readonly attribute"))
    }

    /// The segment's size in bytes.
    #[getter]
    fn size(&self, py: Python<'_>) -> PyResult<usize> {
        self.seg.size().map_err(|e| to_py(py, e))
    }

    /// The address of this object's attachment (0 when detached).
    #[getter]
    fn address(&self) -> usize {
        self.state()
            .attachment
            .as_ref()
            .map_or(0, |a| a.as_ptr() as usize)
    }

    /// Whether this object is attached.
    #[getter]
    fn attached(&self) -> bool {
        self.state().attachment.is_some()
    }

    /// Seconds since the epoch of the last attach (0: never).
    #[getter]
    fn last_attach_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(
            self.seg.attach_time().map_err(|e| to_py(py, e))?,
        ))
    }

    /// Seconds since the epoch of the last detach (0: never).
    #[getter]
    fn last_detach_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(
            self.seg.detach_time().map_err(|e| to_py(py, e))?,
        ))
    }

    /// Seconds since the epoch of the last change of the attributes.
    #[getter]
    fn last_change_time(&self, py: Python<'_>) -> PyResult<i64> {
        Ok(epoch_secs(Some(
            self.seg.change_time().map_err(|e| to_py(py, e))?,
        )))
    }

    /// The pid of the creator.
    #[getter]
    fn creator_pid(&self, py: Python<'_>) -> PyResult<i32> {
        self.seg.creator_pid().map_err(|e| to_py(py, e))
    }

    /// The pid of the last process that attached or detached (0: none).
    #[getter]
    fn last_pid(&self, py: Python<'_>) -> PyResult<i32> {
        Ok(self.seg.last_pid().map_err(|e| to_py(py, e))?.unwrap_or(0))
    }

    /// How many attachments the segment has, in every process.
    #[getter]
    fn number_attached(&self, py: Python<'_>) -> PyResult<u64> {
        self.seg.number_attached().map_err(|e| to_py(py, e))
    }

    /// The permission bits (and the kernel's status bits).
    #[getter]
    fn mode(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.seg.mode().map_err(|e| to_py(py, e))?.bits())
    }

    #[setter]
    fn set_mode(&self, py: Python<'_>, mode: &Bound<'_, PyAny>) -> PyResult<()> {
        let mode: u32 = int_attr("mode", mode)?;
        self.seg.set_mode(mode).map_err(|e| to_py(py, e))
    }

    /// The owner's user id.
    #[getter]
    fn uid(&self, py: Python<'_>) -> PyResult<u32> {
        self.seg.uid().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_uid(&self, py: Python<'_>, uid: &Bound<'_, PyAny>) -> PyResult<()> {
        let uid = int_attr("uid", uid)?;
        self.seg.set_uid(uid).map_err(|e| to_py(py, e))
    }

    /// The owner's group id.
    #[getter]
    fn gid(&self, py: Python<'_>) -> PyResult<u32> {
        self.seg.gid().map_err(|e| to_py(py, e))
    }

    #[setter]
    fn set_gid(&self, py: Python<'_>, gid: &Bound<'_, PyAny>) -> PyResult<()> {
        let gid = int_attr("gid", gid)?;
        self.seg.set_gid(gid).map_err(|e| to_py(py, e))
    }

    /// The creator's user id.
    #[getter]
    fn cuid(&self, py: Python<'_>) -> PyResult<u32> {
        self.seg.cuid().map_err(|e| to_py(py, e))
    }

    /// The creator's group id.
    #[getter]
    fn cgid(&self, py: Python<'_>) -> PyResult<u32> {
        self.seg.cgid().map_err(|e| to_py(py, e))
    }

    fn __str__(&self) -> String {
        format!("Key={}, id={}", self.key(), self.id())
    }

    fn __repr__(&self) -> String {
        format!("sysv_ipc.SharedMemory({})", self.key())
    }

    /// The buffer protocol: a live, one-dimensional view of the attachment,
    /// read-only for a read-only attachment. The attachment stays until the
    /// last view is released (`detach` and `attach` refuse meanwhile).
    ///
    /// # Safety
    ///
    /// Called by Python with a `view` to fill, as the buffer protocol says.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let mut state = this.state();
        let a = state.attachment.as_ref().ok_or_else(|| {
            NotAttachedError::new_err("The segment is not attached: attach() it first")
        })?;
        let len = isize::try_from(a.len())
            .map_err(|_| PyBufferError::new_err("the segment is too large for a buffer"))?;
        let read_only = c_int::from(!a.is_writable());
        // SAFETY: `view` is the buffer Python asked us to fill; the pointer
        // and length describe the live attachment, which stays mapped while
        // the view exists: it counts in `exports`, and detach/attach refuse
        // while that is non-zero. PyBuffer_FillInfo refuses a writable
        // request on a read-only attachment and keeps a reference to `slf`.
        let rc = unsafe {
            ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                a.as_mut_ptr().cast(),
                len,
                read_only,
                flags,
            )
        };
        if rc != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        state.exports += 1;
        Ok(())
    }

    /// Ends a view that `__getbuffer__` lent out.
    ///
    /// # Safety
    ///
    /// Called by Python once for each view `__getbuffer__` filled.
    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {
        let mut state = self.state();
        state.exports = state.exports.saturating_sub(1);
    }
}
