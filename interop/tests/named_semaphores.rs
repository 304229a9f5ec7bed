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
//! | i686 glibc | `sem.<name>`, 16 bytes (C's: 32) | 6 | refused at open (`Unsupported`) | no: lost wake-up |
//! | x86_64 musl | `<name>`, 32 bytes (C's: `sem.<name>`) | not found | refused at open (`Unsupported`) | no: another object |
//!
//! On i686, glibc keeps `value << 1` (the low bit flags waiters) in a 32-bit
//! word, 64-bit glibc keeps the value in the low half of a 64-bit word whose
//! high half counts waiters: each side misreads the other's value, a post can
//! be invisible, and a waiter is never woken. musl names the file `/dev/shm/<name>`
//! and glibc `/dev/shm/sem.<name>`, so the two never meet.
//!
//! What can be detected at open is refused with `Unsupported` and a message
//! that explains it: on glibc, a file holding the other word size's `sem_t`
//! (its size and glibc's `private` word tell); on musl, a glibc semaphore
//! file for the same name when musl's own does not exist (an open would
//! fail and an open-or-create would make a second semaphore). What cannot:
//! the glibc peer opening the files this side made (its own C library's
//! choice), and a glibc program facing musl's semaphore file, which looks
//! like a 32-byte shared memory object.

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
        // musl would look for /dev/shm/<name>; it finds glibc's file instead
        // and says why the two cannot share it.
        let e = opened.expect_err("musl does not see glibc's semaphore");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains("64-bit glibc"), "{e}");
        assert!(e.message().contains("musl"), "{e}");
    } else if cfg!(target_pointer_width = "32") {
        // The 16-byte sem_t would fit in the 32-byte file and misread the
        // value (5 >> 1 = 2): the file's size and glibc's `private` word
        // tell who made it, and the open is refused.
        let e = opened.expect_err("a 64-bit glibc semaphore on i686");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains("64-bit glibc"), "{e}");
        assert!(e.message().contains("32-bit glibc"), "{e}");
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

/// Writes `/dev/shm/sem.<name>` as 32-bit glibc's `sem_open` makes it (no
/// 32-bit C peer runs here): 16 bytes, `value << 1` in the first word, then
/// the `private` word glibc always sets (128), then zeros.
fn write_glibc32_semaphore(name: &SemFiles, value: u32) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&(value << 1).to_ne_bytes());
    bytes[4..8].copy_from_slice(&128i32.to_ne_bytes());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(name.glibc_file())
        .unwrap();
    std::io::Write::write_all(&mut file, &bytes).unwrap();
}

#[test]
fn a_32_bit_glibc_semaphore_is_refused_where_it_cannot_be_shared() {
    let name = SemFiles::new();
    write_glibc32_semaphore(&name, 5);
    let opened = posix_ipc::Semaphore::open(name.0.as_str());
    if cfg!(all(target_env = "gnu", target_pointer_width = "32")) {
        // Its own layout: opened and read as i686 glibc made it.
        assert_eq!(opened.unwrap().value().unwrap(), 5);
    } else if cfg!(target_env = "musl") {
        let e = opened.expect_err("musl does not see glibc's semaphore");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains("32-bit glibc"), "{e}");
    } else {
        // 64-bit glibc would map 32 bytes of a 16-byte file: refused for the
        // word size, not merely as a file too small.
        let e = opened.expect_err("a 32-bit glibc semaphore on 64-bit glibc");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::Unsupported, "{e}");
        assert!(e.message().contains("32-bit glibc"), "{e}");
        assert!(e.message().contains("64-bit glibc"), "{e}");
    }
}

#[test]
fn an_open_or_create_never_makes_a_second_semaphore_beside_glibc_s() {
    let name = SemFiles::new();
    Peer::C.run(&["psem", "make", &name.0, "5", "0600"]);
    let created = posix_ipc::Semaphore::create(name.0.as_str(), 1);
    if cfg!(target_env = "musl") {
        let e = created.expect_err("musl would make a second semaphore");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::Unsupported, "{e}");
        let exclusive =
            posix_ipc::Semaphore::create_new(name.0.as_str(), 1).expect_err("nor with create_new");
        assert_eq!(exclusive.kind(), posix_ipc::ErrorKind::Unsupported);
        assert_eq!(name.sizes(), (Some(C_SEM_T), None), "musl made no file");
    } else if cfg!(target_pointer_width = "32") {
        let e = created.expect_err("i686 glibc would misread it");
        assert_eq!(e.kind(), posix_ipc::ErrorKind::Unsupported, "{e}");
    } else {
        let sem = created.unwrap();
        assert!(!sem.created());
        assert_eq!(sem.value().unwrap(), 5);
    }
}

#[test]
fn musl_s_own_semaphore_is_opened_even_beside_a_glibc_one() {
    // Both files exist: this program's C library has its semaphore, which
    // it opens as always (the check is for a name only glibc has).
    let name = SemFiles::new();
    let ours = posix_ipc::Semaphore::create_new(name.0.as_str(), 2).unwrap();
    if cfg!(target_env = "musl") {
        Peer::C.run(&["psem", "make", &name.0, "5", "0600"]);
        assert_eq!(name.sizes(), (Some(C_SEM_T), Some(32)));
    }
    let again = posix_ipc::Semaphore::open(name.0.as_str()).unwrap();
    assert_eq!(again.value().unwrap(), 2);
    drop(ours);
}
