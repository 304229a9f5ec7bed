//! POSIX named semaphores: every posix_ipc semaphore test translated
//! (`test_semaphores.py`, and the semaphore parts of `test_module.py`), the
//! crashes and wrap-arounds of posix_ipc as errors, and real second processes.
//!
//! Every semaphore is created under a test name (`support::fresh_name`) or a
//! unique one and held in the library's `UnlinkOnDrop`, so it is unlinked also
//! when a test fails.

use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use posix_ipc::{
    ErrorKind, Name, O_CREAT, O_CREX, O_EXCL, O_TRUNC, Semaphore, SemaphoreOptions, Timeout,
    limits, unlink_semaphore,
};

mod support;
use support::*;

/// What each method documents, one test per documented case.
mod api;

/// `TestSemaphoreCreation` (11 tests).
mod creation;

/// `TestSemaphoreAquisitionAndRelease` (6 tests).
mod acquisition;

/// `TestSemaphoreDestruction` (1 test).
mod destruction;

/// `TestSemaphorePropertiesAndAttributes` (2 tests).
mod properties;

/// The semaphore parts of `test_module.py`.
mod module;

/// Bad input: every rule a name, flag, mode, value or timeout can break, and
/// posix_ipc's crashes and wrap-arounds.
mod bad_input;

/// Semaphore files with bad contents, and what the file's owner can still do
/// to a semaphore: write access to a POSIX semaphore is access to its memory.
mod contents;

/// Ownership, guards, modes and threads: what posix_ipc lacks or gets wrong.
mod handles;

/// Real second processes (the test binary re-run as a child with a role).
mod processes;
