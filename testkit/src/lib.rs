//! Test support for this workspace (not published).
//!
//! - Unique POSIX names (`/ipcrs…`) and System V keys (`0x1C5A_xxxx`) for tests:
//!   the prefix and key range are what `cargo xtask clean` recognises, so a test
//!   that crashes before its guard runs can still be cleaned up.
//! - Real second processes: [`spawn_child`] re-runs the current test binary on a
//!   single test with a role, and [`child_args`] tells that test it is the child
//!   (servo/ipc-channel's pattern). No `fork()` inside the threaded harness.
//!
//! ```no_run
//! #[test]
//! fn ping() {
//!     if let Some(args) = testkit::child_args("ping") {
//!         // Child half: args[0] is whatever the parent passed.
//!         return;
//!     }
//!     let child = testkit::spawn_child("ping", &["/ipcrs-x"]);
//!     child.wait_success(std::time::Duration::from_secs(10));
//! }
//! ```

pub mod posix;
pub use posix::create_with_retry;

use std::ffi::OsString;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod sysv;

#[cfg(target_os = "linux")]
pub mod ns;

/// The prefix of every POSIX name this project's tests, examples, demos and
/// benches create (`cargo xtask clean` removes what carries it).
pub const NAME_PREFIX: &str = "/ipcrs";

/// The top 16 bits of every System V key this project's tests, examples, demos
/// and benches use (`cargo xtask clean` removes objects with such keys).
pub const KEY_PREFIX: i32 = 0x1C5A_0000;

const ROLE_ENV: &str = "IPCRS_TEST_CHILD";
const ARGS_ENV: &str = "IPCRS_TEST_ARGS";

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `b` is a valid, writable 8-byte buffer.
        let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
        assert_eq!(n, 8, "getrandom failed");
    }
    #[cfg(not(target_os = "linux"))]
    {
        // SAFETY: `b` is a valid, writable 8-byte buffer (getentropy takes at
        // most 256 bytes).
        let rc = unsafe { libc::getentropy(b.as_mut_ptr().cast(), b.len()) };
        assert_eq!(rc, 0, "getentropy failed");
    }
    u64::from_ne_bytes(b)
}

/// A fresh POSIX name: `/ipcrs-<tag>-<16 hex digits>`.
///
/// ```
/// let n = testkit::unique_name("sem");
/// assert!(n.starts_with("/ipcrs-sem-"));
/// assert_eq!(n.len(), "/ipcrs-sem-".len() + 16);
/// ```
pub fn unique_name(tag: &str) -> String {
    format!("{NAME_PREFIX}-{tag}-{:016x}", random_u64())
}

/// A fresh System V key in this project's test range (`0x1C5A_0001..=0x1C5A_FFFF`).
///
/// Only 65535 keys exist in the range, so create with an exclusive flag and
/// draw again on "already exists".
///
/// ```
/// let k = testkit::unique_key();
/// assert_eq!(k & !0xFFFF, testkit::KEY_PREFIX);
/// assert_ne!(k & 0xFFFF, 0);
/// ```
pub fn unique_key() -> i32 {
    loop {
        let low = i32::try_from(random_u64() & 0xFFFF).expect("16 bits fit i32");
        if low != 0 {
            return KEY_PREFIX | low;
        }
    }
}

/// How many taken names or keys [`create_fresh`] draws before it gives up.
const FRESH_ATTEMPTS: usize = 16;

/// Calls `create` with fresh candidates from `fresh` (test names or keys)
/// until it succeeds, drawing again while `taken` says the error means the
/// candidate exists already: the one retry loop behind
/// [`posix::create_with_retry`] and [`sysv::with_test_key`].
///
/// # Panics
///
/// On any other error (a test object that cannot be created is a broken
/// test), naming `what`, and after 16 taken candidates in a row (leftovers:
/// run `cargo xtask clean`).
///
/// ```
/// let mut taken = 2;
/// let n = testkit::create_fresh("number", || 7, |n| if taken > 0 { taken -= 1; Err("taken") } else { Ok(*n) }, |e| *e == "taken");
/// assert_eq!((n, taken), (7, 0));
/// ```
pub fn create_fresh<K: std::fmt::Debug, T, E: std::fmt::Debug>(
    what: &str,
    mut fresh: impl FnMut() -> K,
    mut create: impl FnMut(&K) -> Result<T, E>,
    taken: impl Fn(&E) -> bool,
) -> T {
    for _ in 0..FRESH_ATTEMPTS {
        let candidate = fresh();
        match create(&candidate) {
            Ok(object) => return object,
            Err(e) if taken(&e) => {}
            Err(e) => panic!("creating the test {what} {candidate:?}: {e:?}"),
        }
    }
    panic!(
        "{FRESH_ATTEMPTS} fresh test {what} names or keys in a row were taken; run `cargo xtask clean`"
    )
}

/// When this process is the child that [`spawn_child`] started for `test`,
/// returns the arguments the parent passed; otherwise `None`.
pub fn child_args(test: &str) -> Option<Vec<String>> {
    if std::env::var(ROLE_ENV).ok()? != test {
        return None;
    }
    let args = std::env::var(ARGS_ENV).unwrap_or_default();
    Some(if args.is_empty() {
        Vec::new()
    } else {
        args.split('\u{1f}').map(str::to_owned).collect()
    })
}

/// The environment variable naming the program that runs this target's
/// binaries (for example `qemu-aarch64 -L /usr/aarch64-linux-gnu`), which
/// `cargo xtask test` sets when it runs the tests under emulation: the kernel
/// cannot start an aarch64 test binary on an x86_64 machine by itself (no
/// binfmt registration), so [`spawn_child`] starts it through the runner.
pub const RUNNER_ENV: &str = "IPCRS_TARGET_RUNNER";

/// The runner command and its arguments, when [`RUNNER_ENV`] names one.
fn runner() -> Option<Vec<String>> {
    let runner = std::env::var(RUNNER_ENV).ok()?;
    let words: Vec<String> = runner.split_whitespace().map(str::to_owned).collect();
    (!words.is_empty()).then_some(words)
}

/// A command that runs `program`, a binary built for the target under test:
/// through the runner of [`RUNNER_ENV`] when one is set (emulation), else
/// directly.
pub fn target_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    match runner() {
        Some(runner) => {
            let mut c = Command::new(&runner[0]);
            c.args(&runner[1..]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// A child test process; killed on drop if it is still running.
#[derive(Debug)]
pub struct ChildProcess {
    child: Option<Child>,
    test: String,
}

/// Starts the current test binary again, running only `test` (its full path
/// within the binary, e.g. `"ping"` or `"module::ping"`), where
/// [`child_args`]`(test)` returns `args`.
pub fn spawn_child(test: &str, args: &[&str]) -> ChildProcess {
    spawn_child_with(test, args, |_| {})
}

/// Like [`spawn_child`], letting `configure` adjust the command (environment,
/// stdin, ...) before it starts.
pub fn spawn_child_with(
    test: &str,
    args: &[&str],
    configure: impl FnOnce(&mut Command),
) -> ChildProcess {
    let exe = std::env::current_exe().expect("current test executable");
    let mut cmd = target_command(exe);
    cmd.args([
        OsString::from(test),
        "--exact".into(),
        "--nocapture".into(),
        "--test-threads=1".into(),
        "-q".into(),
    ])
    .env(ROLE_ENV, test)
    .env(ARGS_ENV, args.join("\u{1f}"))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    configure(&mut cmd);
    let child = cmd.spawn().expect("spawn child test process");
    ChildProcess {
        child: Some(child),
        test: test.to_owned(),
    }
}

impl ChildProcess {
    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: i32) {
        let pid = libc::pid_t::try_from(self.id()).expect("pid fits pid_t");
        // SAFETY: kill has no memory-safety preconditions.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    /// Sends `signal` to every thread of the child with `tgkill`. A
    /// process-directed signal usually goes to the harness's main thread, not
    /// to the test thread blocked in the call under test, so tests of
    /// "a signal interrupts a wait" use this (the child must have installed a
    /// handler for `signal`).
    #[cfg(target_os = "linux")]
    pub fn signal_all_threads(&self, signal: i32) {
        let pid = libc::pid_t::try_from(self.id()).expect("pid fits pid_t");
        for entry in
            std::fs::read_dir(format!("/proc/{pid}/task")).expect("read the child's threads")
        {
            let name = entry.expect("thread entry").file_name();
            let tid: libc::pid_t = name
                .to_str()
                .and_then(|t| t.parse().ok())
                .expect("numeric tid");
            // SAFETY: tgkill has no memory-safety preconditions.
            let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, signal) };
            // A thread that exited meanwhile is fine (ESRCH).
            assert!(
                rc == 0 || ipc_errno() == libc::ESRCH,
                "tgkill({pid}, {tid}, {signal}) failed"
            );
        }
    }

    /// Sends `SIGKILL` and checks that `SIGKILL` is what ended the child
    /// (within `limit`), for the crash tests: a child that died of something
    /// else, or exited, fails the test with its output.
    pub fn kill_9(self, limit: Duration) {
        use std::os::unix::process::ExitStatusExt;
        self.signal(libc::SIGKILL);
        let out = self.wait(limit);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGKILL),
            "the child should have died of SIGKILL: {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Waits at most `limit` for the child to exit and returns its output; kills
    /// it and panics (showing its output) if it is still running then.
    pub fn wait(mut self, limit: Duration) -> Output {
        let mut child = self.child.take().expect("child present");
        let start = Instant::now();
        loop {
            if child.try_wait().expect("try_wait").is_some() {
                return child.wait_with_output().expect("child output");
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let out = child.wait_with_output().expect("child output");
                panic!(
                    "child for {} still running after {limit:?}; killed.\nstdout:\n{}\nstderr:\n{}",
                    self.test,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits like [`wait`](Self::wait) and panics, showing the child's output,
    /// unless it exited successfully. Returns its stdout.
    pub fn wait_success(self, limit: Duration) -> String {
        let test = self.test.clone();
        let out = self.wait(limit);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "child for {test} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(target_os = "linux")]
fn ipc_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// This thread's minor page faults so far (`getrusage(RUSAGE_THREAD)`), to
/// tell whether an access had to fault a page in.
#[cfg(target_os = "linux")]
pub fn minor_faults() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills in the rusage it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage: {}", std::io::Error::last_os_error());
    // SAFETY: getrusage succeeded, so it filled in `usage`.
    let faults = unsafe { usage.assume_init() }.ru_minflt;
    // A `long`: 32 bits on i686.
    #[allow(clippy::useless_conversion)]
    i64::from(faults)
}

/// The resident size in KiB (`Rss` in `/proc/self/smaps`) of the mapping
/// that holds address `addr`: how much of it is in this process's page
/// tables, for the pre-faulting tests. Panics if no mapping holds `addr`.
#[cfg(target_os = "linux")]
pub fn resident_kib(addr: usize) -> u64 {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
    let holds = |line: &str| {
        let range = line.split_whitespace().next().unwrap_or("");
        let Some((start, end)) = range.split_once('-') else {
            return false;
        };
        let parse = |hex: &str| usize::from_str_radix(hex, 16).ok();
        matches!((parse(start), parse(end)), (Some(s), Some(e)) if (s..e).contains(&addr))
    };
    let mut lines = smaps.lines().skip_while(|l| !holds(l));
    assert!(
        lines.next().is_some(),
        "no mapping holds {addr:#x} in smaps"
    );
    let rss = lines
        .find_map(|l| l.strip_prefix("Rss:"))
        .expect("an Rss line");
    rss.trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("Rss in kB")
}

/// Polls `cond` every millisecond until it is true or `limit` passes; returns
/// whether it became true. For "wait until the other process is blocked" steps.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// [`eventually`], failing the test naming `what` when `cond` is still
/// false after `limit`.
pub fn wait_until(what: &str, limit: Duration, cond: impl FnMut() -> bool) {
    assert!(eventually(limit, cond), "timed out waiting for {what}");
}

/// A child's last act in a crash test: wait to be killed.
pub fn wait_for_the_kill() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keys_carry_the_project_prefixes() {
        let a = unique_name("t");
        let b = unique_name("t");
        assert_ne!(a, b);
        assert!(a.starts_with("/ipcrs-t-"));
        for _ in 0..100 {
            let k = unique_key();
            assert_eq!(k >> 16, 0x1C5A);
        }
    }

    #[test]
    fn child_round_trip() {
        if let Some(args) = child_args("tests::child_round_trip") {
            println!("child got {}", args.join(","));
            return;
        }
        let out = spawn_child("tests::child_round_trip", &["a", "b c"])
            .wait_success(Duration::from_secs(30));
        assert!(out.contains("child got a,b c"), "{out}");
    }

    #[test]
    fn eventually_times_out() {
        assert!(!eventually(Duration::from_millis(10), || false));
        assert!(eventually(Duration::from_millis(10), || true));
    }
}

/// A global allocator that counts the allocations of the current thread, for
/// tests asserting that hot paths allocate nothing. Install it in a test binary
/// with `#[global_allocator] static A: testkit::CountingAllocator =
/// testkit::CountingAllocator;` and measure with [`allocations_during`].
#[derive(Debug)]
pub struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static LARGEST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one allocation of `size` bytes on this thread.
fn count_allocation(size: usize) {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
    let _ = LARGEST.try_with(|c| c.set(c.get().max(size)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialised thread-local Cell, which never allocates.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_allocation(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        count_allocation(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

/// How many allocations (and reallocations) the current thread made while
/// running `f` (only meaningful with [`CountingAllocator`] installed).
pub fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(std::cell::Cell::get);
    f();
    ALLOCATIONS.with(std::cell::Cell::get) - before
}

/// The size in bytes of the largest allocation (or reallocation) the current
/// thread made while running `f` (only meaningful with [`CountingAllocator`]
/// installed), for tests asserting that a call's memory follows its input.
pub fn largest_allocation_during(f: impl FnOnce()) -> usize {
    let outer = LARGEST.with(|c| c.replace(0));
    f();
    let largest = LARGEST.with(std::cell::Cell::get);
    LARGEST.with(|c| c.set(outer.max(largest)));
    largest
}

/// The uid and gid of `nobody`, the unprivileged user permission tests run as.
pub const NOBODY: libc::uid_t = 65534;

/// Drops this (child) process to user and group `id`, with no supplementary
/// groups (root's group would still open root's objects), for a child whose
/// permission checks must not pass merely because the suite runs as root.
/// Only for a child started with [`spawn_child`] that runs as root (see
/// [`is_root`]): the change is for the whole process and cannot be undone.
/// Panics if it cannot.
pub fn become_user(id: libc::uid_t) {
    // SAFETY: setgroups/setgid/setuid have no memory-safety preconditions;
    // an empty group list needs no pointer.
    unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
        assert_eq!(libc::setgid(id), 0, "setgid");
        assert_eq!(libc::setuid(id), 0, "setuid");
        assert_eq!(libc::geteuid(), id);
    }
}

/// [`become_user`]`(`[`NOBODY`]`)`.
pub fn become_nobody() {
    become_user(NOBODY);
}

/// Whether this process runs as root (and so may start children as
/// [`NOBODY`]).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
