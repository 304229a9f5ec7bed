//! POSIX named semaphores: every posix_ipc semaphore test translated
//! (`test_semaphores.py`, and the semaphore parts of `test_module.py`), the
//! crashes and wrap-arounds of posix_ipc as errors, and real second processes.
//!
//! Every semaphore is created under a `testkit::unique_name` (or, for the
//! unique-name constructor, registered right after creation) and unlinked by an
//! [`Unlink`] guard, also when the test fails.

use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use posix_ipc::{
    ErrorKind, Name, O_CREAT, O_CREX, O_EXCL, O_TRUNC, Semaphore, SemaphoreOptions, Timeout,
    limits, unlink_semaphore,
};

mod support;

/// Unlinks the semaphore called `.0` when dropped (ignoring "already gone").
struct Unlink(Name);

impl Unlink {
    fn new(name: &str) -> Unlink {
        Unlink(Name::new(name).unwrap())
    }
}

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = unlink_semaphore(&self.0);
    }
}

/// posix_ipc's fixture: a new semaphore with value 1 (`Semaphore(None, O_CREX,
/// initial_value=1)`), under a test name.
fn fixture(tag: &str) -> (Semaphore, Unlink) {
    let name = testkit::unique_name(tag);
    let guard = Unlink::new(&name);
    let sem = Semaphore::options()
        .flags(O_CREX)
        .initial_value(1)
        .open(&name)
        .unwrap();
    (sem, guard)
}

/// A test name that is guaranteed unused (with its guard, in case a test creates it).
fn unused(tag: &str) -> (String, Unlink) {
    let name = testkit::unique_name(tag);
    let guard = Unlink::new(&name);
    (name, guard)
}

/// The semaphore's file: `/dev/shm/sem.<name>` for glibc, `/dev/shm/<name>`
/// for musl.
fn backing_file(name: &Name) -> String {
    let prefix = if cfg!(target_env = "musl") {
        "/dev/shm/"
    } else {
        "/dev/shm/sem."
    };
    format!("{prefix}{}", &name.to_str().unwrap()[1..])
}

/// The (device, inode) of the semaphore's file in `/dev/shm`.
fn file_id(name: &Name) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(backing_file(name)).unwrap();
    (meta.dev(), meta.ino())
}

/// Whether this process has the file `id` mapped (a leaked or open handle).
/// By inode, since glibc creates a semaphore under a temporary name and maps
/// that file before linking it to its real name.
fn is_mapped(id: (u64, u64)) -> bool {
    let (dev, ino) = id;
    let dev = format!("{:02x}:{:02x}", libc::major(dev), libc::minor(dev));
    let ino = ino.to_string();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().any(|l| {
        let mut fields = l.split_whitespace().skip(3);
        fields.next() == Some(dev.as_str()) && fields.next() == Some(ino.as_str())
    })
}

fn exists(name: &Name) -> bool {
    std::path::Path::new(&backing_file(name)).exists()
}

/// The process umask, read without changing it.
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
}

/// `TestSemaphoreCreation` (11 tests).
mod creation {
    use super::*;

    #[test]
    fn no_flags() {
        let (sem, _g) = fixture("nofl");
        let opened = Semaphore::open(sem.name()).unwrap();
        assert_eq!(opened.name(), sem.name());
        // Same semaphore: a unit taken through one handle is gone for the other.
        opened.try_acquire().unwrap();
        assert_eq!(sem.try_acquire().unwrap_err().kind(), ErrorKind::WouldBlock);
    }

    #[test]
    fn o_creat_existing() {
        let (sem, _g) = fixture("creex");
        let opened = Semaphore::options()
            .flags(O_CREAT)
            .open(sem.name())
            .unwrap();
        assert_eq!(opened.name(), sem.name());
        assert_eq!(opened.value().unwrap(), 1);
    }

    #[test]
    fn o_creat_new() {
        let (name, _g) = unused("crenew");
        let e = Semaphore::open(&name).unwrap_err();
        assert!(e.is_existential());
        let sem = Semaphore::options().flags(O_CREAT).open(&name).unwrap();
        assert_eq!(sem.name().to_str(), Some(name.as_str()));
    }

    #[test]
    fn o_excl() {
        let (sem, _g) = fixture("oexcl");
        let e = Semaphore::options()
            .flags(O_CREAT | O_EXCL)
            .open(sem.name())
            .unwrap_err();
        assert!(e.is_existential());
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    }

    #[test]
    fn o_crex() {
        let (sem, _g) = fixture("ocrex");
        let e = Semaphore::options()
            .flags(O_CREX)
            .open(sem.name())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert!(e.message().contains("already exists"), "{e}");
        assert!(e.message().contains(sem.name().to_str().unwrap()), "{e}");
    }

    #[test]
    fn randomly_generated_name() {
        let sem = Semaphore::options().flags(O_CREX).create_unique().unwrap();
        let _g = Unlink(sem.name().clone());
        let name = sem.name().to_str().unwrap();
        assert!(name.starts_with('/'));
        assert!(name.len() >= 2);
        assert!(name.len() <= 31, "{name} must fit macOS's limit");
    }

    #[test]
    fn name_as_bytes() {
        let (name, _g) = unused("bytes");
        let bytes = CString::new(name.clone()).unwrap();
        let sem = Semaphore::create_new(bytes.as_c_str(), 0).unwrap();
        assert_eq!(sem.name().to_str(), Some(name.as_str()));
        let via_os = Semaphore::open(OsStr::from_bytes(name.as_bytes())).unwrap();
        assert_eq!(via_os.name(), sem.name());
    }

    #[test]
    fn default_initial_value() {
        let (name, _g) = unused("defval");
        let sem = Semaphore::options().flags(O_CREX).open(&name).unwrap();
        assert_eq!(sem.value().unwrap(), 0);
    }

    #[test]
    fn zero_initial_value() {
        let (name, _g) = unused("zeroval");
        let sem = Semaphore::options()
            .flags(O_CREX)
            .initial_value(0)
            .open(&name)
            .unwrap();
        assert_eq!(sem.value().unwrap(), 0);
    }

    #[test]
    fn nonzero_initial_value() {
        let (name, _g) = unused("val42");
        let sem = Semaphore::options()
            .flags(O_CREX)
            .initial_value(42)
            .open(&name)
            .unwrap();
        assert_eq!(sem.value().unwrap(), 42);
    }

    #[test]
    fn kwargs() {
        let sem = Semaphore::options()
            .flags(O_CREX)
            .mode(0x180)
            .initial_value(0)
            .create_unique()
            .unwrap();
        let _g = Unlink(sem.name().clone());
        assert_eq!(sem.mode().bits(), 0o600 & !umask());
        assert_eq!(sem.value().unwrap(), 0);
    }
}

/// `TestSemaphoreAquisitionAndRelease` (6 tests).
mod acquisition {
    use super::*;

    #[test]
    fn simple_acquisition() {
        let (sem, _g) = fixture("simple");
        sem.acquire(Timeout::Forever).unwrap();
        assert_eq!(sem.value().unwrap(), 0);
    }

    #[test]
    fn acquisition_zero_timeout() {
        let (sem, _g) = fixture("zerot");
        sem.acquire(Timeout::from_secs_f64(0.0).unwrap()).unwrap();
        let e = sem.acquire(Timeout::Immediate).unwrap_err();
        assert!(e.is_busy());
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
        assert!(e.message().contains("would block"), "{e}");
        let e = sem.acquire(Timeout::After(Duration::ZERO)).unwrap_err();
        assert!(e.is_busy());
    }

    fn drained_then_timed(tag: &str, secs: f64) {
        let (sem, _g) = fixture(tag);
        sem.acquire(Timeout::Immediate).unwrap();
        let timeout = Timeout::from_secs_f64(secs).unwrap();
        let start = Instant::now();
        let e = sem.acquire(timeout).unwrap_err();
        let waited = start.elapsed();
        assert!(e.is_busy(), "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
        assert!(
            waited >= Duration::from_secs_f64(secs) - Duration::from_millis(5),
            "returned after {waited:?}"
        );
        assert!(
            waited < Duration::from_secs_f64(secs) + Duration::from_secs(3),
            "{waited:?}"
        );
    }

    #[test]
    fn acquisition_nonzero_int_timeout() {
        drained_then_timed("intto", 1.0);
    }

    #[test]
    fn acquisition_nonzero_float_timeout() {
        drained_then_timed("fltto", 1.5);
    }

    #[test]
    fn release() {
        let (sem, _g) = fixture("rel");
        let n = 1_000_000.min(limits::semaphore_value_max() - 1);
        for _ in 0..n {
            sem.release().unwrap();
        }
        assert_eq!(sem.value().unwrap(), n + 1);
    }

    #[test]
    fn context_manager() {
        let (sem, _g) = fixture("ctx");
        {
            let guard = sem.lock().unwrap();
            assert_eq!(guard.semaphore().value().unwrap(), 0);
            assert!(sem.acquire(Timeout::Immediate).unwrap_err().is_busy());
        }
        assert_eq!(sem.value().unwrap(), 1);
        sem.acquire(Timeout::Immediate).unwrap();
    }
}

/// `TestSemaphoreDestruction` (1 test).
mod destruction {
    use super::*;

    #[test]
    fn close_and_unlink() {
        let (sem, _g) = fixture("clunl");
        let name = sem.name().clone();
        let id = file_id(&name);
        assert!(is_mapped(id));
        sem.unlink().unwrap();
        sem.close().unwrap();
        let e = Semaphore::open(&name).unwrap_err();
        assert!(e.is_existential());
        assert!(!is_mapped(id));
    }
}

/// `TestSemaphorePropertiesAndAttributes` (2 tests).
mod properties {
    use super::*;

    #[test]
    fn property_name() {
        let (sem, _g) = fixture("pname");
        let name = sem.name().to_str().unwrap();
        assert!(name.len() >= 2);
        assert!(name.starts_with('/'));
        // Read-only: `name()` hands out `&Name`; there is no setter to call.
    }

    #[test]
    fn property_value() {
        let (sem, _g) = fixture("pvalue");
        assert_eq!(sem.value().unwrap(), 1);
    }
}

/// The semaphore parts of `test_module.py`.
mod module {
    use super::*;

    #[test]
    fn constant_values() {
        assert_eq!(O_CREAT, libc::O_CREAT);
        assert_eq!(O_EXCL, libc::O_EXCL);
        assert_eq!(O_TRUNC, libc::O_TRUNC);
        assert_eq!(O_CREX, O_CREAT | O_EXCL);
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        assert_eq!(limits::page_size(), usize::try_from(page).unwrap());
        let supported = [
            posix_ipc::SEMAPHORE_TIMEOUT_SUPPORTED,
            posix_ipc::SEMAPHORE_VALUE_SUPPORTED,
            posix_ipc::MESSAGE_QUEUES_SUPPORTED,
        ];
        assert_eq!(supported, [true; 3], "everything exists on Linux");
        assert!(limits::semaphore_value_max() >= 1);
        let mq = limits::message_queue_limits().unwrap();
        assert!(mq.msg_max >= 1 && mq.msgsize_max >= 1);
        assert!(mq.msg_default >= 1 && mq.msgsize_default >= 1);
        assert!(limits::message_priority_max() >= 1);
        assert!(limits::user_signal_min() >= 1 && limits::user_signal_max() >= 1);
        let rl = limits::rlimit_msgqueue().unwrap();
        assert!(rl.soft.is_none_or(|s| rl.hard.is_none_or(|h| s <= h)));
    }

    #[test]
    fn unlink_semaphore_by_name() {
        let (sem, _g) = fixture("modunl");
        unlink_semaphore(sem.name()).unwrap();
        let name = sem.name().clone();
        sem.close().unwrap();
        let e = Semaphore::open(&name).unwrap_err();
        assert!(e.is_existential());
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = unlink_semaphore(&name).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.message().contains("no semaphore named"), "{e}");
    }

    #[test]
    fn create_opens_or_creates_and_keeps_an_existing_value() {
        let (name, _g) = unused("create");
        let first = Semaphore::create(&name, 2).unwrap();
        assert_eq!(first.value().unwrap(), 2);
        first.try_acquire().unwrap();
        // An existing semaphore is opened as it is: sem_open ignores the value.
        let second = Semaphore::create(&name, 9).unwrap();
        assert_eq!(second.value().unwrap(), 1);
        let e = Semaphore::create_new(&name, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert!(
            Semaphore::create(&name, u32::MAX)
                .unwrap_err()
                .is_invalid_input()
        );
    }

    #[test]
    fn errors_fall_into_the_python_families() {
        let (sem, _g) = fixture("errs");
        let missing = Semaphore::open(testkit::unique_name("absent")).unwrap_err();
        assert!(missing.is_existential() && !missing.is_busy());
        let taken = Semaphore::create_new(sem.name(), 0).unwrap_err();
        assert!(taken.is_existential());
        sem.try_acquire().unwrap();
        let busy = sem.try_acquire().unwrap_err();
        assert!(busy.is_busy() && !busy.is_existential());
        let io: std::io::Error = busy.into();
        assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
        let io: std::io::Error = missing.into();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }
}

/// Bad input: every rule a name, flag, mode, value or timeout can break, and
/// posix_ipc's crashes and wrap-arounds.
mod bad_input {
    use super::*;

    fn assert_rejected(name: &[u8], why: &str) {
        let os = OsStr::from_bytes(name);
        let errors = [
            Semaphore::open(os).unwrap_err(),
            Semaphore::create_new(os, 1).unwrap_err(),
            Semaphore::options().create(true).open(os).unwrap_err(),
            unlink_semaphore(os).unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name:?}: {e}");
            assert_eq!(e.raw_os_error(), None, "rejected before any system call");
            assert!(e.message().contains(why), "{name:?}: {e}");
        }
    }

    #[test]
    fn nul_in_name_is_an_error_not_a_segfault() {
        assert_rejected(b"/ipcrs-sem\0tail", "NUL byte");
        let e = Semaphore::open("/ipcrs-x\0").unwrap_err();
        assert!(e.message().contains("NUL"), "{e}");
    }

    #[test]
    fn name_without_leading_slash() {
        assert_rejected(b"ipcrs-noslash", "must start with '/'");
    }

    #[test]
    fn name_with_inner_slash() {
        assert_rejected(b"/ipcrs/inner", "contains '/' after the first byte");
    }

    #[test]
    fn empty_names() {
        assert_rejected(b"", "must start with '/'");
        assert_rejected(b"/", "empty");
    }

    /// `/.` and `/..` used to reach glibc and come back as a misleading
    /// `AlreadyExists` ("unlink it first") and an unlink that "failed".
    #[test]
    fn dot_and_dot_dot_are_not_names() {
        assert_rejected(b"/.", "directory entry \".\"");
        assert_rejected(b"/..", "directory entry \"..\"");
    }

    #[test]
    fn too_long_names() {
        let long = format!("/ipcrs-{}", "l".repeat(posix_ipc::SEMAPHORE_NAME_MAX - 5));
        assert_eq!(long.len() - 1, posix_ipc::SEMAPHORE_NAME_MAX + 1);
        assert_rejected(long.as_bytes(), "the limit for a semaphore is 251");
        let very_long = format!("/ipcrs-{}", "l".repeat(400));
        assert_rejected(very_long.as_bytes(), "the limit is 255");
    }

    #[test]
    fn longest_name_works() {
        let name = format!(
            "{}-{}",
            testkit::unique_name("max"),
            "m".repeat(posix_ipc::SEMAPHORE_NAME_MAX - 27)
        );
        assert_eq!(name.len() - 1, posix_ipc::SEMAPHORE_NAME_MAX);
        let _g = Unlink::new(&name);
        let sem = Semaphore::create_new(&name, 1).unwrap();
        sem.unlink().unwrap();
    }

    #[test]
    fn non_utf8_name_works_byte_for_byte() {
        let mut bytes = testkit::unique_name("utf").into_bytes();
        bytes.extend_from_slice(b"\xff\xfe");
        let name = Name::new(OsStr::from_bytes(&bytes)).unwrap();
        let _g = Unlink(name.clone());
        let sem = Semaphore::create_new(&name, 3).unwrap();
        assert_eq!(sem.name().as_bytes(), &bytes[..]);
        assert_eq!(Semaphore::open(&name).unwrap().value().unwrap(), 3);
    }

    #[test]
    fn bad_flags_create_nothing() {
        let (name, _g) = unused("flags");
        let n = Name::new(name.as_str()).unwrap();
        let e = Semaphore::options().flags(O_EXCL).open(&name).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("O_CREAT"),
            "{e}"
        );
        let e = Semaphore::options()
            .flags(O_CREAT | O_TRUNC)
            .open(&name)
            .unwrap_err();
        assert!(e.message().contains("does not accept"), "{e}");
        let e = Semaphore::options().flags(-1).open(&name).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(!exists(&n));
        // A valid `flags` call after a bad one replaces it.
        let sem = Semaphore::options()
            .flags(-1)
            .flags(O_CREX)
            .open(&name)
            .unwrap();
        assert!(exists(sem.name()));
    }

    /// Setuid, setgid and sticky bits mean nothing for a semaphore (glibc
    /// would put them on `/dev/shm/sem.<name>`): refused like higher bits, by
    /// every creating form, and nothing is created.
    #[test]
    fn mode_out_of_range_creates_nothing() {
        let (name, _g) = unused("mode");
        for bad in [0o4600, 0o2600, 0o1666, 0o7777, 0o10000, u32::MAX] {
            for creation in [O_CREAT, O_CREX] {
                let e = Semaphore::options()
                    .flags(creation)
                    .mode(bad)
                    .open(&name)
                    .unwrap_err();
                assert!(e.is_invalid_input(), "{e}");
                assert!(e.message().contains("above 0o777"), "{e}");
                assert_eq!(e.raw_os_error(), None, "refused before any call");
            }
            let e = Semaphore::options().mode(bad).create_unique().unwrap_err();
            assert!(e.is_invalid_input(), "{e}");
        }
        assert!(!exists(&Name::new(name.as_str()).unwrap()));
        let sem = Semaphore::options()
            .create_new(true)
            .mode(0o777)
            .open(&name)
            .unwrap();
        // musl's sem_open keeps only the read and write bits (mode & 0o666).
        let c_library_bits = if cfg!(target_env = "musl") {
            0o666
        } else {
            0o777
        };
        assert_eq!(sem.mode().bits(), 0o777 & c_library_bits & !umask());
    }

    #[test]
    fn initial_value_is_range_checked_not_wrapped() {
        let (name, _g) = unused("ival");
        let max = limits::semaphore_value_max();
        // posix_ipc wraps 2**32 to 0 and passes -1 on as EINVAL.
        for bad in [max + 1, u32::MAX] {
            let e = Semaphore::options()
                .create_new(true)
                .initial_value(bad)
                .open(&name)
                .unwrap_err();
            assert!(e.is_invalid_input(), "{e}");
            assert!(
                e.message().contains(&format!("SEM_VALUE_MAX ({max})")),
                "{e}"
            );
        }
        assert!(!exists(&Name::new(name.as_str()).unwrap()));
        let sem = Semaphore::options()
            .create_new(true)
            .initial_value(max)
            .open(&name)
            .unwrap();
        assert_eq!(sem.value().unwrap(), max);
    }

    #[test]
    fn release_at_sem_value_max_is_limit_exceeded() {
        let (name, _g) = unused("ovfl");
        let max = limits::semaphore_value_max();
        let sem = Semaphore::create_new(&name, max).unwrap();
        let e = sem.release().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert_eq!(e.raw_os_error(), Some(libc::EOVERFLOW));
        assert!(
            e.message().contains(&format!("SEM_VALUE_MAX ({max})")),
            "{e}"
        );
        assert_eq!(sem.value().unwrap(), max, "left unchanged");
        sem.try_acquire().unwrap();
        sem.release().unwrap();
    }

    #[test]
    fn timeouts_python_cannot_express() {
        let (sem, _g) = fixture("tmo");
        sem.try_acquire().unwrap();
        // posix_ipc: acquire(1e30) is an immediate BusyError, acquire(inf/nan)
        // an ExistentialError. Here: a clear InvalidInput, without waiting.
        let start = Instant::now();
        let e = sem.acquire(Timeout::After(Duration::MAX)).unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("Forever"),
            "{e}"
        );
        assert!(Timeout::from_secs_f64(f64::NAN).is_err());
        assert!(Timeout::from_secs_f64(-1.0).is_err());
        assert_eq!(
            Timeout::from_secs_f64(f64::INFINITY).unwrap(),
            Timeout::Forever
        );
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(sem.value().unwrap(), 0);
    }

    /// posix_ipc issue #51: `touch /dev/shm/sem.foo` then opening `/foo` dies
    /// of SIGBUS on first use. Here it is an error and nothing stays mapped.
    #[test]
    fn empty_backing_file_is_an_error_not_sigbus() {
        let (name, _g) = unused("bus");
        let n = Name::new(name.as_str()).unwrap();
        let path = backing_file(&n);
        std::fs::File::create(&path).unwrap();
        let id = file_id(&n);
        for result in [
            Semaphore::open(&name),
            Semaphore::options().create(true).open(&name),
        ] {
            let e = result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.message().contains(&path), "{e}");
            assert!(e.message().contains("too small to be a semaphore"), "{e}");
            assert!(!is_mapped(id), "the failed open must not leak its mapping");
        }
        // The stray file is reported, not deleted behind the user's back.
        assert!(exists(&n));
        let e = Semaphore::create_new(&name, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        // The fix the message names works.
        unlink_semaphore(&name).unwrap();
        let sem = Semaphore::create_new(&name, 1).unwrap();
        sem.try_acquire().unwrap();
    }
}

/// Semaphore files with bad contents, and what the file's owner can still do
/// to a semaphore: write access to a POSIX semaphore is access to its memory.
mod contents {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(60);

    /// Writes `bytes` as the file of the semaphore `name` (mode 0o600), as
    /// something other than sem_open would.
    #[cfg(target_env = "gnu")]
    fn forge(name: &str, bytes: &[u8]) -> String {
        let path = backing_file(&Name::new(name).unwrap());
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The audit's reproducer: a full-size file of 32 bytes of 0x01 passed
    /// the size check, and the first release made glibc abort. The opens run
    /// in a child, so a regression shows as that child's SIGABRT. glibc
    /// only: musl's `sem_t` has no such word to check. On 32-bit glibc the
    /// value is stored shifted left by one, so it cannot exceed
    /// `SEM_VALUE_MAX` (`INT_MAX`): only the first file applies there.
    #[cfg(target_env = "gnu")]
    #[test]
    fn a_file_of_0x01_bytes_is_refused_at_open_not_an_abort() {
        const TEST: &str = "contents::a_file_of_0x01_bytes_is_refused_at_open_not_an_abort";
        if let Some(args) = testkit::child_args(TEST) {
            support::no_core_dumps();
            for (name, why) in [
                (&args[0], "process-shared word"),
                (&args[1], "SEM_VALUE_MAX"),
            ]
            .into_iter()
            .take(if cfg!(target_pointer_width = "64") {
                2
            } else {
                1
            }) {
                let attempts = [
                    Semaphore::open(name.as_str()),
                    Semaphore::create(name.as_str(), 1),
                    Semaphore::options()
                        .create(true)
                        .allow_foreign_owner(true)
                        .open(name.as_str()),
                ];
                for attempt in attempts {
                    let sem = match attempt {
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
                            assert!(e.message().contains(why), "{e}");
                            assert!(e.message().contains("/dev/shm/sem."), "{e}");
                            assert!(e.message().contains("unlink_semaphore"), "{e}");
                            continue;
                        }
                        Ok(sem) => sem,
                    };
                    // Accepted by mistake: this is what the refusal prevents.
                    let _ = sem.release();
                    let _ = sem.try_acquire();
                    panic!("{name}: a forged semaphore was opened");
                }
            }
            println!("refused");
            return;
        }
        let (a, _ga) = unused("forged");
        let (b, _gb) = unused("forged");
        let size = std::mem::size_of::<libc::sem_t>();
        let path = forge(&a, &vec![0x01; size]);
        // A valid `private` word, and a value above SEM_VALUE_MAX (64-bit
        // glibc; unused on 32-bit).
        let mut too_big = [0u8; 32];
        too_big[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        too_big[8..12].copy_from_slice(&128i32.to_ne_bytes());
        forge(&b, &too_big[..size]);
        let out = testkit::spawn_child(TEST, &[&a, &b]).wait_success(LIMIT);
        assert!(out.contains("refused"), "{out}");
        // Reported, not deleted behind the user's back; nothing was written.
        assert_eq!(std::fs::read(&path).unwrap(), vec![0x01; size]);
    }

    /// A directory or a symbolic link where the semaphore's file would be:
    /// the error names the file and what it is.
    #[test]
    fn directories_and_links_are_named() {
        let (name, _g) = unused("dir");
        let path = backing_file(&Name::new(name.as_str()).unwrap());
        let _remove = support::RemovePath(path.clone());
        std::fs::create_dir(&path).unwrap();
        for e in [
            Semaphore::open(&name).unwrap_err(),
            Semaphore::create(&name, 0).unwrap_err(),
        ] {
            assert_eq!(e.raw_os_error(), Some(libc::EISDIR), "{e}");
            assert!(
                e.message().contains(&format!("{path} is a directory")),
                "{e}"
            );
        }
        std::fs::remove_dir(&path).unwrap();
        std::os::unix::fs::symlink("/dev/null", &path).unwrap();
        for e in [
            Semaphore::open(&name).unwrap_err(),
            Semaphore::create(&name, 0).unwrap_err(),
        ] {
            assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{e}");
            assert!(
                e.message().contains(&format!("{path} is a symbolic link")),
                "{e}"
            );
        }
    }

    /// A semaphore made by sem_open passes the same checks, whatever its value.
    #[test]
    fn real_semaphores_pass_the_checks() {
        let (name, _g) = unused("valid");
        let max = limits::semaphore_value_max();
        for value in [0, 1, max] {
            let sem = Semaphore::create_new(&name, value).unwrap();
            let again = Semaphore::open(&name).unwrap();
            assert_eq!(again.value().unwrap(), value);
            let created = Semaphore::create(&name, 0).unwrap();
            assert!(!created.created());
            sem.unlink().unwrap();
        }
    }

    /// `value()` on a semaphore whose memory was overwritten after the open
    /// reports an error; it used to return a made-up `Ok(0)`. 64-bit glibc
    /// only: 32-bit glibc returns the stored word shifted right by one, and
    /// musl clamps, so neither can report a negative value.
    #[cfg(all(target_env = "gnu", target_pointer_width = "64"))]
    #[test]
    fn value_of_an_overwritten_semaphore_is_an_error() {
        use std::os::unix::fs::FileExt;
        let (name, _g) = unused("overw");
        let sem = Semaphore::create_new(&name, 5).unwrap();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(backing_file(sem.name()))
            .unwrap();
        // The value word, through the file: the mapping sees it at once.
        file.write_all_at(&0x8000_0001u32.to_ne_bytes(), 0).unwrap();
        let e = sem.value().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Other, "{e}");
        assert!(e.message().contains("no semaphore can have"), "{e}");
        file.write_all_at(&3u32.to_ne_bytes(), 0).unwrap();
        assert_eq!(sem.value().unwrap(), 3);
    }

    /// The default mode 0o600 keeps every other user from writing (or
    /// truncating) a semaphore's file; the child tries as `nobody`.
    #[test]
    fn another_user_cannot_truncate_a_default_mode_semaphore() {
        const TEST: &str = "contents::another_user_cannot_truncate_a_default_mode_semaphore";
        if let Some(args) = testkit::child_args(TEST) {
            support::become_nobody();
            let path = &args[0];
            let e = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
            let e = nix::unistd::truncate(path.as_str(), 0).unwrap_err();
            assert_eq!(e, nix::errno::Errno::EACCES);
            println!("denied");
            return;
        }
        if !support::is_root() {
            support::skip(TEST, "needs root to start the child as uid 65534");
            return;
        }
        let (name, _g) = unused("trunc");
        let sem = Semaphore::create_new(&name, 2).unwrap();
        let path = backing_file(sem.name());
        let out = testkit::spawn_child(TEST, &[&path]).wait_success(LIMIT);
        assert!(out.contains("denied"), "{out}");
        let size = std::mem::size_of::<libc::sem_t>() as u64;
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        sem.try_acquire().unwrap();
        assert_eq!(sem.value().unwrap(), 1);
    }

    /// What nothing portable prevents: the file's owner (or root) truncates it
    /// under an open handle, and the next wait dies of SIGBUS. Documented on
    /// `Semaphore`; here the child is meant to die.
    #[test]
    fn truncation_by_the_owner_is_the_documented_sigbus() {
        const TEST: &str = "contents::truncation_by_the_owner_is_the_documented_sigbus";
        if let Some(args) = testkit::child_args(TEST) {
            support::no_core_dumps();
            let sem = Semaphore::open(args[0].as_str()).unwrap();
            sem.try_acquire().unwrap();
            std::fs::OpenOptions::new()
                .write(true)
                .open(backing_file(sem.name()))
                .unwrap()
                .set_len(0)
                .unwrap();
            println!("truncated");
            let _ = sem.release();
            println!("survived");
            return;
        }
        let (name, _g) = unused("sigbus");
        drop(Semaphore::create_new(&name, 1).unwrap());
        let out = testkit::spawn_child(TEST, &[&name]).wait(LIMIT);
        let stdout = support::assert_killed_by(&out, libc::SIGBUS);
        assert!(stdout.contains("truncated"), "{stdout}");
        assert!(!stdout.contains("survived"), "{stdout}");
    }
}

/// Ownership, guards, modes and threads: what posix_ipc lacks or gets wrong.
mod handles {
    use super::*;

    #[test]
    fn failed_opens_leak_nothing() {
        let (sem, _g) = fixture("leak");
        let name = sem.name().clone();
        let (absent, _g2) = unused("leak");
        let absent = Name::new(absent.as_str()).unwrap();
        for _ in 0..100 {
            assert!(Semaphore::open(&absent).is_err());
            assert!(Semaphore::create_new(&name, 0).is_err());
        }
        assert!(!exists(&absent));
        let id = file_id(&name);
        assert!(is_mapped(id));
        drop(sem);
        assert!(!is_mapped(id), "drop closes the handle");
        let again = Semaphore::open(&name).unwrap();
        assert!(is_mapped(id));
        again.close().unwrap();
        assert!(!is_mapped(id), "close unmaps");
    }

    /// `created()`: true when this very call made the semaphore (and so gave
    /// it its mode and initial value), for every form of open.
    #[test]
    fn created_tells_whether_this_call_made_it() {
        let (name, _g) = unused("crtd");
        let made = Semaphore::create(&name, 3).unwrap();
        assert!(made.created());
        let again = Semaphore::create(&name, 9).unwrap();
        assert!(!again.created());
        assert_eq!(again.value().unwrap(), 3, "9 was not applied");
        let by_flags = Semaphore::options().flags(O_CREAT).open(&name).unwrap();
        assert!(!by_flags.created());
        assert!(!Semaphore::open(&name).unwrap().created());
        let e = Semaphore::create_new(&name, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        made.unlink().unwrap();
        let by_flags = Semaphore::options()
            .flags(O_CREAT)
            .initial_value(4)
            .open(&name)
            .unwrap();
        assert!(by_flags.created());
        assert_eq!(by_flags.value().unwrap(), 4);
        by_flags.unlink().unwrap();
        assert!(
            Semaphore::options()
                .flags(O_CREX)
                .open(&name)
                .unwrap()
                .created()
        );
        let unique = Semaphore::create_unique(0).unwrap();
        let _gu = Unlink(unique.name().clone());
        assert!(unique.created());
    }

    #[test]
    fn handles_to_one_name_are_independent() {
        let (sem, _g) = fixture("twoh");
        let other = Semaphore::open(sem.name()).unwrap();
        other.close().unwrap();
        sem.release().unwrap();
        assert_eq!(sem.value().unwrap(), 2);
    }

    #[test]
    fn unlink_keeps_handles_working_and_frees_the_name() {
        let (sem, _g) = fixture("unlk");
        sem.unlink().unwrap();
        sem.release().unwrap();
        assert_eq!(sem.value().unwrap(), 2);
        let fresh = Semaphore::create_new(sem.name(), 7).unwrap();
        assert_eq!(fresh.value().unwrap(), 7);
        assert_eq!(sem.value().unwrap(), 2, "a different semaphore");
        sem.unlink().unwrap(); // unlinks the new one, by name
        assert_eq!(sem.unlink().unwrap_err().kind(), ErrorKind::NotFound);
    }

    #[test]
    fn unlink_after_close_works_by_name() {
        // posix_ipc's USAGE promises it and raises instead.
        let (sem, _g) = fixture("unlcl");
        let name = sem.name().clone();
        sem.close().unwrap();
        unlink_semaphore(&name).unwrap();
        assert!(!exists(&name));
    }

    #[test]
    fn mode_is_the_real_mode() {
        let (name, _g) = unused("mode");
        let sem = Semaphore::options()
            .create_new(true)
            .mode(0o666)
            .open(&name)
            .unwrap();
        assert_eq!(sem.mode().bits(), 0o666 & !umask());
        let opened = Semaphore::open(&name).unwrap();
        assert_eq!(opened.mode(), sem.mode(), "not the default 0o600");
        let created_by_other = Semaphore::options()
            .create(true)
            .mode(0o600)
            .open(&name)
            .unwrap();
        assert_eq!(created_by_other.mode(), sem.mode());
        let expected = format!("Semaphore({name:?}, mode=0o{:o})", 0o666 & !umask());
        assert_eq!(format!("{sem:?}"), expected);
    }

    #[test]
    fn guard_releases_on_panic_and_on_release() {
        let (sem, _g) = fixture("gpanic");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = sem.acquire_guard(Timeout::Immediate).unwrap();
            assert_eq!(sem.value().unwrap(), 0);
            panic!("inside the critical section");
        }));
        assert!(r.is_err());
        assert_eq!(sem.value().unwrap(), 1);
        let guard = sem.acquire_guard(Timeout::Forever).unwrap();
        assert!(format!("{guard:?}").starts_with("SemaphoreGuard(Semaphore(\"/ipcrs-gpanic-"));
        guard.release().unwrap();
        assert_eq!(sem.value().unwrap(), 1);
        let held = sem.lock().unwrap();
        let e = sem
            .acquire_guard(Timeout::After(Duration::from_millis(10)))
            .unwrap_err();
        assert!(e.is_busy());
        drop(held);
        assert_eq!(sem.value().unwrap(), 1);
    }

    #[test]
    fn unlinking_guard_unlinks_and_closes() {
        let (name, _g) = unused("owned");
        let n = Name::new(name.as_str()).unwrap();
        let id;
        {
            let owned = Semaphore::create_new(&name, 1).unwrap().unlink_on_drop();
            id = file_id(&n);
            owned.try_acquire().unwrap();
            assert!(format!("{owned:?}").starts_with("UnlinkOnDrop(Semaphore("));
        }
        assert!(!exists(&n));
        assert!(!is_mapped(id));
        let kept = Semaphore::create_new(&name, 1)
            .unwrap()
            .unlink_on_drop()
            .into_inner();
        assert!(exists(&n));
        drop(kept);
        assert!(exists(&n), "into_inner disarms the guard");
    }

    #[test]
    fn one_handle_shared_by_threads() {
        let (name, _g) = unused("thr");
        let sem = std::sync::Arc::new(Semaphore::create_new(&name, 0).unwrap());
        let waiter = {
            let sem = sem.clone();
            std::thread::spawn(move || {
                let start = Instant::now();
                sem.acquire(Timeout::After(Duration::from_secs(20)))
                    .unwrap();
                start.elapsed()
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        sem.release().unwrap();
        let waited = waiter.join().unwrap();
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
        assert_eq!(sem.value().unwrap(), 0);
    }

    #[test]
    fn options_are_reusable_and_default() {
        let mut opts = SemaphoreOptions::default();
        opts.create_new(true).initial_value(2);
        let a = opts.create_unique().unwrap();
        let _ga = Unlink(a.name().clone());
        let b = opts.create_unique().unwrap();
        let _gb = Unlink(b.name().clone());
        assert_ne!(a.name(), b.name());
        assert_eq!((a.value().unwrap(), b.value().unwrap()), (2, 2));
        let c: &CStr = a.name().as_c_str();
        assert_eq!(Semaphore::open(c).unwrap().value().unwrap(), 2);
    }

    /// EACCES/EPERM: another user opens and unlinks a `0o600` semaphore. As
    /// root, a child process drops to `nobody` first; otherwise a `0o000`
    /// semaphore denies even its owner.
    #[test]
    fn permission_denied_says_what_to_do() {
        const TEST: &str = "handles::permission_denied_says_what_to_do";
        if let Some(args) = testkit::child_args(TEST) {
            // SAFETY: setgid/setuid have no memory-safety preconditions.
            unsafe {
                assert_eq!(libc::setgid(65534), 0);
                assert_eq!(libc::setuid(65534), 0);
            }
            let e = Semaphore::open(args[0].as_str()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            assert!(e.is_permissions());
            assert!(e.message().contains("read and write access"), "{e}");
            let e = unlink_semaphore(args[0].as_str()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            assert!(e.message().contains("only its owner"), "{e}");
            println!("denied as uid 65534");
            return;
        }
        let (name, _g) = unused("perm");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let _sem = Semaphore::create_new(&name, 0).unwrap();
            let out = testkit::spawn_child(TEST, &[&name]).wait_success(Duration::from_secs(30));
            assert!(out.contains("denied as uid 65534"), "{out}");
        } else {
            let _sem = Semaphore::options()
                .create_new(true)
                .mode(0)
                .open(&name)
                .unwrap();
            let e = Semaphore::open(&name).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        }
    }
}

/// Real second processes (the test binary re-run as a child with a role).
mod processes {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(60);
    const LONG: Timeout = Timeout::After(Duration::from_secs(20));

    #[test]
    fn ping_pong() {
        const TEST: &str = "processes::ping_pong";
        const ROUNDS: u32 = 2000;
        if let Some(args) = testkit::child_args(TEST) {
            let ping = Semaphore::open(args[0].as_str()).unwrap();
            let pong = Semaphore::open(args[1].as_str()).unwrap();
            for _ in 0..ROUNDS {
                ping.acquire(LONG).unwrap();
                pong.release().unwrap();
            }
            return;
        }
        let (a, _ga) = unused("ping");
        let (b, _gb) = unused("pong");
        let ping = Semaphore::create_new(&a, 0).unwrap();
        let pong = Semaphore::create_new(&b, 0).unwrap();
        let child = testkit::spawn_child(TEST, &[&a, &b]);
        for _ in 0..ROUNDS {
            ping.release().unwrap();
            pong.acquire(LONG).unwrap();
        }
        child.wait_success(LIMIT);
        assert_eq!((ping.value().unwrap(), pong.value().unwrap()), (0, 0));
    }

    #[test]
    fn blocked_acquire_is_woken_by_another_process() {
        const TEST: &str = "processes::blocked_acquire_is_woken_by_another_process";
        if let Some(args) = testkit::child_args(TEST) {
            let ready = Semaphore::open(args[0].as_str()).unwrap();
            let go = Semaphore::open(args[1].as_str()).unwrap();
            ready.release().unwrap();
            let start = Instant::now();
            go.acquire(Timeout::Forever).unwrap();
            println!("waited_ms={}", start.elapsed().as_millis());
            return;
        }
        let (r, _gr) = unused("ready");
        let (g, _gg) = unused("go");
        let ready = Semaphore::create_new(&r, 0).unwrap();
        let go = Semaphore::create_new(&g, 0).unwrap();
        let child = testkit::spawn_child(TEST, &[&r, &g]);
        ready.acquire(LONG).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        go.release().unwrap();
        let out = child.wait_success(LIMIT);
        let waited: u64 = out
            .lines()
            .find_map(|l| l.strip_prefix("waited_ms="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(waited >= 200, "the child was blocked only {waited} ms");
        assert_eq!(go.value().unwrap(), 0);
    }

    #[test]
    fn timed_acquire_expires_then_is_woken_in_time() {
        const TEST: &str = "processes::timed_acquire_expires_then_is_woken_in_time";
        if let Some(args) = testkit::child_args(TEST) {
            let ready = Semaphore::open(args[0].as_str()).unwrap();
            let go = Semaphore::open(args[1].as_str()).unwrap();
            let start = Instant::now();
            let e = go.acquire(Duration::from_millis(300)).unwrap_err();
            let waited = start.elapsed();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT));
            assert!(waited >= Duration::from_millis(295), "{waited:?}");
            assert!(waited < Duration::from_secs(5), "{waited:?}");
            ready.release().unwrap();
            let start = Instant::now();
            go.acquire(Duration::from_secs(20)).unwrap();
            assert!(start.elapsed() < Duration::from_secs(19));
            return;
        }
        let (r, _gr) = unused("ready");
        let (g, _gg) = unused("go");
        let ready = Semaphore::create_new(&r, 0).unwrap();
        let go = Semaphore::create_new(&g, 0).unwrap();
        let child = testkit::spawn_child(TEST, &[&r, &g]);
        ready.acquire(LONG).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        go.release().unwrap();
        child.wait_success(LIMIT);
        assert_eq!(go.value().unwrap(), 0);
    }

    static SIGNALS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    extern "C" fn on_sigusr1(_: libc::c_int) {
        SIGNALS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    #[test]
    fn signal_interrupts_a_wait() {
        const TEST: &str = "processes::signal_interrupts_a_wait";
        if let Some(args) = testkit::child_args(TEST) {
            use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
            // No SA_RESTART: the wait must come back with EINTR.
            let action = SigAction::new(
                SigHandler::Handler(on_sigusr1),
                SaFlags::empty(),
                SigSet::empty(),
            );
            // SAFETY: the handler only increments an atomic (async-signal-safe).
            unsafe { sigaction(Signal::SIGUSR1, &action) }.unwrap();
            let ready = Semaphore::open(args[0].as_str()).unwrap();
            let never = Semaphore::open(args[1].as_str()).unwrap();
            let done = Semaphore::open(args[2].as_str()).unwrap();
            for timeout in [Timeout::Forever, LONG] {
                ready.release().unwrap();
                let e = never.acquire(timeout).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Interrupted, "{timeout:?}: {e}");
                assert!(e.is_signal());
                assert_eq!(e.raw_os_error(), Some(libc::EINTR));
                assert!(e.message().contains("signal"), "{e}");
            }
            assert!(SIGNALS.load(std::sync::atomic::Ordering::SeqCst) >= 2);
            done.release().unwrap();
            return;
        }
        let (r, _gr) = unused("ready");
        let (n, _gn) = unused("never");
        let (d, _gd) = unused("done");
        let ready = Semaphore::create_new(&r, 0).unwrap();
        let never = Semaphore::create_new(&n, 0).unwrap();
        let done = Semaphore::create_new(&d, 0).unwrap();
        let child = testkit::spawn_child(TEST, &[&r, &n, &d]);
        // Two waits to interrupt (Forever, then timed). A signal that lands
        // before the child is inside sem_wait is absorbed by the handler, so
        // keep signalling until the child moves on.
        ready.acquire(LONG).unwrap();
        let mut phase = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while phase < 2 {
            assert!(
                Instant::now() < deadline,
                "the child never returned from its wait"
            );
            std::thread::sleep(Duration::from_millis(50));
            child.signal_all_threads(libc::SIGUSR1);
            let next = if phase == 0 { &ready } else { &done };
            if next.acquire(Duration::from_millis(100)).is_ok() {
                phase += 1;
            }
        }
        child.wait_success(LIMIT);
        assert_eq!(never.value().unwrap(), 0);
    }

    #[test]
    fn unique_name_is_shared_with_a_child() {
        const TEST: &str = "processes::unique_name_is_shared_with_a_child";
        if let Some(args) = testkit::child_args(TEST) {
            let sem = Semaphore::open(args[0].as_str()).unwrap();
            assert_eq!(sem.value().unwrap(), 5);
            let _held = sem.lock().unwrap();
            sem.release().unwrap();
            sem.release().unwrap();
            return;
        }
        let sem = Semaphore::create_unique(5).unwrap();
        let _g = Unlink(sem.name().clone());
        let child = testkit::spawn_child(TEST, &[sem.name().to_str().unwrap()]);
        child.wait_success(LIMIT);
        assert_eq!(sem.value().unwrap(), 7);
    }
}
