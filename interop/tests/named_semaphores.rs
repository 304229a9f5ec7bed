//! POSIX named semaphores across C libraries and word sizes: what happens
//! when the Rust side is built for this target and the C peer is the
//! machine's own glibc x86_64 program (`cargo xtask test` runs this file for
//! x86_64 glibc and musl, i686 glibc, and aarch64 glibc under qemu).
//!
//! A shared memory object, a message queue and every System V object are
//! kernel objects, the same for every process. A named semaphore is not: it
//! is a C-library data structure in a file under `/dev/shm`, and glibc and
//! musl disagree on the file's name, and 32- and 64-bit glibc on its layout
//! and waiter protocol. Each test states what was measured, per target, so a
//! change (for the better, or the worse) fails here:
//!
//! | Rust side | file | C sees Rust's value 3 | Rust sees C's 5 | C's post wakes a Rust waiter |
//! |---|---|---|---|---|
//! | x86_64, aarch64 glibc | `sem.<name>`, 32 bytes | 3 | 5 | yes |
//! | i686 glibc | `sem.<name>`, 16 bytes (C's: 32) | 6 | 2 | no: lost wake-up |
//! | x86_64 musl | `<name>`, 32 bytes (C's: `sem.<name>`) | not found | not found | no: another object |
//!
//! On i686, glibc keeps `value << 1` (the low bit flags waiters) in a 32-bit
//! word, 64-bit glibc keeps the value in the low half of a 64-bit word whose
//! high half counts waiters: each side misreads the other's value, a post can
//! be invisible, and a waiter is never woken. musl names the file `/dev/shm/<name>`
//! and glibc `/dev/shm/sem.<name>`, so the two never meet: opening fails, and
//! an open-or-create on each side silently makes two different semaphores.

#![cfg(target_os = "linux")]

use std::time::Duration;

use interop::Peer;

/// Removes a semaphore's files by path when dropped: both C libraries'
/// names, since `sem_unlink` of one C library does not reach the other's file.
struct SemFiles(String);

impl SemFiles {
    fn new() -> SemFiles {
        SemFiles(testkit::unique_name("xsem"))
    }

    fn glibc_file(&self) -> String {
        format!("/dev/shm/sem.{}", &self.0[1..])
    }

    fn musl_file(&self) -> String {
        format!("/dev/shm/{}", &self.0[1..])
    }

    /// The sizes of the glibc and musl files (`None`: no such file).
    fn sizes(&self) -> (Option<u64>, Option<u64>) {
        let size = |path: String| std::fs::metadata(path).ok().map(|m| m.len());
        (size(self.glibc_file()), size(self.musl_file()))
    }
}

impl Drop for SemFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.glibc_file());
        let _ = std::fs::remove_file(self.musl_file());
    }
}

/// The size of the C peer's (glibc x86_64) `sem_t`, and so of its files.
const C_SEM_T: u64 = 32;

#[test]
fn rust_made_semaphore_as_the_c_peer_sees_it() {
    let name = SemFiles::new();
    let sem = posix_ipc::Semaphore::options()
        .create_new(true)
        .mode(0o640)
        .initial_value(3)
        .open(name.0.as_str())
        .unwrap();
    let inspected = Peer::C.try_run(&["psem", "inspect", &name.0]);
    let after_post = sem.value().unwrap();
    let sizes = name.sizes();
    if cfg!(target_env = "musl") {
        assert_eq!(sizes, (None, Some(32)), "musl: /dev/shm/<name>");
        let e = inspected.expect_err("glibc does not see musl's semaphore");
        assert!(e.contains("No such file"), "{e}");
        assert_eq!(after_post, 3);
    } else if cfg!(target_pointer_width = "32") {
        assert_eq!(sizes, (Some(16), None), "i686 glibc: a 16-byte sem_t");
        let report = inspected.unwrap();
        assert_eq!(report.num("value"), 6, "64-bit glibc reads value << 1");
        assert!(report.has_line("posted"));
        assert_eq!(after_post, 3, "the 64-bit post (3 << 1) + 1 reads as 3");
    } else {
        assert_eq!(sizes, (Some(C_SEM_T), None));
        let report = inspected.unwrap();
        assert_eq!(report.num("value"), 3);
        assert!(report.has_line("posted"));
        assert_eq!(after_post, 4);
    }
}

#[test]
fn c_made_semaphore_as_rust_sees_it() {
    let name = SemFiles::new();
    Peer::C.run(&["psem", "make", &name.0, "5", "0640"]);
    assert_eq!(name.sizes(), (Some(C_SEM_T), None));
    let opened = posix_ipc::Semaphore::open(name.0.as_str());
    if cfg!(target_env = "musl") {
        let e = opened.expect_err("musl does not see glibc's semaphore");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::NotFound, "{e}");
    } else if cfg!(target_pointer_width = "32") {
        // The 16-byte sem_t fits in the 32-byte file: nothing detects the
        // mismatch, and the value is misread.
        let sem = opened.unwrap();
        assert_eq!(sem.value().unwrap(), 2, "i686 glibc reads 5 >> 1");
        assert_eq!(sem.mode().bits(), 0o640);
    } else {
        let sem = opened.unwrap();
        assert_eq!(sem.value().unwrap(), 5);
        assert_eq!(sem.mode().bits(), 0o640);
    }
}

#[test]
fn c_post_and_a_waiting_rust_process() {
    let name = SemFiles::new();
    let sem = posix_ipc::Semaphore::options()
        .create_new(true)
        .initial_value(0)
        .open(name.0.as_str())
        .unwrap();
    // Long enough for the C post to arrive where it can; short where it cannot.
    let limit = Duration::from_secs(
        if cfg!(all(target_env = "gnu", target_pointer_width = "64")) {
            20
        } else {
            1
        },
    );
    let (waited, inspected) = std::thread::scope(|s| {
        let waiter = s.spawn(|| sem.acquire(posix_ipc::Timeout::After(limit)));
        std::thread::sleep(Duration::from_millis(200));
        let inspected = Peer::C.try_run(&["psem", "inspect", &name.0]);
        (waiter.join().unwrap(), inspected)
    });
    if cfg!(target_env = "musl") {
        assert!(inspected.is_err(), "glibc does not see musl's semaphore");
        let e = waited.unwrap_err();
        assert_eq!(e.kind(), posix_ipc::ErrorKind::TimedOut, "{e}");
    } else if cfg!(target_pointer_width = "32") {
        // The C side saw the waiter flag as a value of 1, posted, and woke
        // nobody (it counts waiters elsewhere): a lost wake-up. The post
        // itself is there for the next try.
        assert_eq!(inspected.unwrap().num("value"), 1);
        let e = waited.unwrap_err();
        assert_eq!(e.kind(), posix_ipc::ErrorKind::TimedOut, "{e}");
        sem.try_acquire().unwrap();
    } else {
        assert_eq!(inspected.unwrap().num("value"), 0);
        waited.expect("the C post wakes the Rust waiter");
        assert_eq!(sem.value().unwrap(), 0);
    }
}
