//! `ipc-bench`: the benchmark scenarios of the project's benchmark reference
//! (`bench-scenarios.md`), run with the safe crates `posix-ipc` and
//! `sysv-ipc`. `cargo xtask bench` runs it side by side with the same
//! scenarios in C (`c/bench.c`) and prints the ratios.
//!
//! ```text
//! ipc-bench <scenario> [args] [slice]    run one scenario (the parent)
//! ipc-bench c-path                       print the path of the C executable
//! ```
//!
//! The arguments are those of the C program (`N`, `N S`, `TRIES` or `MIB`).
//! Each result is one stdout line `<scenario> <value> <unit>`; errors go to
//! stderr and the exit status is not 0.
//!
//! Conventions, as in the reference:
//!
//! - The clock is [`Instant`], which is `clock_gettime(CLOCK_MONOTONIC)` on
//!   Linux, and covers only the timed region.
//! - The parent creates every object exclusively (mode 0600) under
//!   `/ipcbench_<tag>_<pid>_<suffix>` or key
//!   `0x49000000 | (pid & 0x3FFFFF) << 2 | idx`, then starts its peer: this
//!   same executable again (`--peer <scenario> <parent pid> [args]`), a fresh
//!   process that opens the objects again by name or key. The peer dies with
//!   the parent (`PR_SET_PDEATHSIG`) and, when it fails, sends the parent
//!   `SIGTERM` so that it cleans up instead of waiting forever.
//! - Two-process loops run `W = 1000` untimed iterations, then `N` timed ones.
//! - Every object is removed at the end, on errors, on SIGINT/SIGTERM/SIGHUP
//!   and when the watchdog `alarm` fires. The signal handler removes them
//!   with raw `libc` calls, because the libraries' functions may allocate
//!   (error messages), which a signal handler must not do.
//!
//! Hot loops allocate nothing: semaphores use `acquire`/`release`, message
//! queues send from and receive into buffers made before the loop
//! (`receive` into a buffer, in both crates), and the robust mutex's `lock` and guard
//! `unlock` return their results without boxing. The shared-memory
//! scenarios run in two variants, because the safe accessors must copy (a
//! concurrent writer in another process may not be undefined behaviour: they
//! are per-byte atomic copies, at `memcpy` speed) where C works in place:
//!
//! - the default metrics (`posix_shm_bandwidth.write` …) use the safe API:
//!   [`Region::fill`](ipc_common::Region::fill) for the writes and
//!   [`Region::read_at`](ipc_common::Region::read_at) into a 64 KiB buffer,
//!   then the same word sum as C, for the read (the C program's `memcpy`
//!   variant does that same read with `memcpy`, for comparison);
//! - the `slice` variant (metrics `….write+slice` …) uses the unsafe slice
//!   accessors (`as_mut_slice().fill`, which is `memset`, and a word sum over
//!   `as_slice()`), exactly the work the C program does. Their safety
//!   condition holds: only one process touches the memory at a time (the
//!   reader starts after the writer is done, released through a pipe).
//!
//! `sysv_shm_first_pass` and `posix_shm_first_pass` (beyond the reference)
//! time an attach or map plus the first pass over it, C with a plain `shmat`
//! or `mmap` and Rust with pre-faulting (the `populate` options), to show
//! what a library can do better than the call a C programmer would write.
//!
//! `posix_shm_lifecycle` creates its object with the library's defaults,
//! which reserve the pages (`posix_fallocate`) so that a full `/dev/shm` is
//! an error at the call instead of a `SIGBUS` at the first touch. The C
//! cycle calls `posix_fallocate` too: a fair comparison is like with like,
//! the safe C program against the safe default (a `sparse(true)` handle
//! makes exactly the plain C calls, minus the reservation). It sizes and maps
//! in one call (`open_mapped`), so the mapping's length is the one the call
//! just gave, as in C; the one system call more than C is
//! `getrlimit(RLIMIT_FSIZE)`, which turns a size the kernel would answer
//! with a fatal `SIGXFSZ` into an error.

use std::error::Error;
use std::ffi::CString;
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ipc_common::{Condvar, LockOutcome, MutexGuard, RobustMutex};
use posix_ipc::{MessageQueue, Semaphore, SharedMemory, Timeout};
use sysv_ipc::{Key, Selector, Wait};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Untimed warm-up iterations of the two-process loops.
const W: u64 = 1000;
/// Seconds after which the parent gives up, cleans up and dies.
const WATCHDOG_SECONDS: u32 = 300;
/// The byte written last in the shared-memory scenarios, checked by the reader.
const PATTERN: u64 = 0xCDCD_CDCD_CDCD_CDCD;
/// The read buffer of the safe shared-memory read.
const CHUNK: usize = 64 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("c-path") => {
            println!("{}", env!("IPC_BENCH_C"));
            Ok(())
        }
        Some("--peer") => run_peer(&args[1..]),
        Some(_) => run_parent(&args),
        None => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipc-bench: {e}");
            kill_peer();
            cleanup();
            if let Some(parent) = PEER_OF.get() {
                // SAFETY: kill only sends a signal; the parent's handler removes its objects.
                unsafe { libc::kill(*parent, libc::SIGTERM) };
            }
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: ipc-bench <scenario> [args] [slice] | ipc-bench c-path\n\
    scenarios: posix_sem_pingpong N, posix_sem_uncontended N, posix_sem_timedwait_timeout TRIES,\n\
    posix_mq_pingpong N, posix_mq_throughput N S, posix_shm_bandwidth MIB [slice],\n\
    posix_shm_lifecycle N, sysv_sem_pingpong N, sysv_msg_pingpong N, sysv_shm_bandwidth MIB [slice],\n\
    robust_mutex_uncontended N, robust_condvar_pingpong N, sysv_shm_first_pass MIB,\n\
    posix_shm_first_pass MIB";

// ---------------------------------------------------------------------------
// Names, keys and cleanup

/// An object the parent creates, as the signal handler removes it.
#[derive(Debug)]
enum Object {
    Sem(CString),
    Mq(CString),
    Shm(CString),
    SysvSem(libc::key_t),
    SysvMsg(libc::key_t),
    SysvShm(libc::key_t),
}

/// The objects of this run, registered before they are created.
static OBJECTS: OnceLock<Vec<Object>> = OnceLock::new();
/// The peer's pid while it runs (0 otherwise).
static PEER: AtomicI32 = AtomicI32::new(0);
/// In a peer: the parent's pid.
static PEER_OF: OnceLock<libc::pid_t> = OnceLock::new();

fn posix_name(tag: &str, pid: libc::pid_t, suffix: &str) -> String {
    format!("/ipcbench_{tag}_{pid}_{suffix}")
}

fn sysv_key(pid: libc::pid_t, idx: i32) -> Key {
    Key::from(0x4900_0000 | ((pid & 0x3F_FFFF) << 2) | idx)
}

fn cstring(name: &str) -> CString {
    CString::new(name).expect("object names have no NUL byte")
}

fn register(objects: Vec<Object>) {
    OBJECTS
        .set(objects)
        .expect("one scenario per process registers its objects once");
}

/// Removes every registered object that still exists; async-signal-safe
/// (system calls only, no allocation).
fn cleanup() {
    let Some(objects) = OBJECTS.get() else { return };
    for object in objects {
        // SAFETY: plain system calls on NUL-terminated names and integer ids;
        // a missing object is an error we ignore.
        unsafe {
            match object {
                Object::Sem(name) => drop(libc::sem_unlink(name.as_ptr())),
                Object::Mq(name) => drop(libc::mq_unlink(name.as_ptr())),
                Object::Shm(name) => drop(libc::shm_unlink(name.as_ptr())),
                Object::SysvSem(key) => {
                    let id = libc::semget(*key, 0, 0);
                    if id != -1 {
                        libc::semctl(id, 0, libc::IPC_RMID);
                    }
                }
                Object::SysvMsg(key) => {
                    let id = libc::msgget(*key, 0);
                    if id != -1 {
                        libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut());
                    }
                }
                Object::SysvShm(key) => {
                    let id = libc::shmget(*key, 0, 0);
                    if id != -1 {
                        libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut());
                    }
                }
            }
        }
    }
}

/// Kills and reaps the peer if it still runs; async-signal-safe.
fn kill_peer() {
    let pid = PEER.swap(0, Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: signals and reaps our own child; no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    kill_peer();
    cleanup();
    // SAFETY: restoring the default action and re-raising ends the process
    // with the signal's usual status; _exit is the fallback.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
        libc::_exit(128 + sig);
    }
}

fn install_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGALRM] {
        // SAFETY: a zeroed sigaction with a valid handler and an empty mask;
        // the handler only makes async-signal-safe calls.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    // SAFETY: alarm only arms a timer.
    unsafe { libc::alarm(WATCHDOG_SECONDS) };
}

// ---------------------------------------------------------------------------
// The peer process

/// The running peer: this executable started with `--peer`.
struct Peer {
    child: Child,
    release: Option<ChildStdin>,
}

impl Peer {
    fn spawn(scenario: &str, args: &[&str]) -> Result<Peer> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("--peer")
            .arg(scenario)
            .arg(std::process::id().to_string())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the peer process: {e}"))?;
        PEER.store(i32::try_from(child.id())?, Ordering::SeqCst);
        let release = child.stdin.take();
        Ok(Peer { child, release })
    }

    /// Lets the peer go on (it waits for a byte on its stdin).
    fn release(&mut self) -> Result<()> {
        let mut pipe = self.release.take().ok_or("the peer was released already")?;
        pipe.write_all(b"g")?;
        Ok(())
    }

    /// Waits for the peer to exit successfully and returns what it printed.
    fn finish(mut self) -> Result<String> {
        drop(self.release.take());
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut out)?;
        }
        let status = self.child.wait()?;
        PEER.store(0, Ordering::SeqCst);
        if !status.success() {
            return Err(format!("the peer process failed ({status})").into());
        }
        Ok(out)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        kill_peer();
    }
}

/// Waits for the parent's release byte on stdin.
fn wait_release() -> Result<()> {
    let mut byte = [0u8; 1];
    std::io::stdin()
        .read_exact(&mut byte)
        .map_err(|e| format!("the parent did not release the peer: {e}"))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Arguments

fn number(args: &[String], i: usize, what: &str) -> Result<u64> {
    let text = args
        .get(i)
        .ok_or_else(|| format!("missing argument {what}\n{USAGE}"))?;
    match text.parse::<u64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("{what} must be a positive integer, not '{text}'").into()),
    }
}

/// Whether the shared-memory scenarios use the unsafe slice accessors.
fn slice_variant(args: &[String], i: usize) -> Result<bool> {
    match args.get(i).map(String::as_str) {
        None => Ok(false),
        Some("slice") => Ok(true),
        Some(other) => Err(format!("unknown variant '{other}' (only 'slice')").into()),
    }
}

fn per(elapsed: Duration, n: u64) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

fn run_parent(args: &[String]) -> Result<()> {
    install_handlers();
    let pid = libc::pid_t::try_from(std::process::id())?;
    let result = match args[0].as_str() {
        "posix_sem_pingpong" => posix_sem_pingpong(pid, number(args, 1, "N")?),
        "posix_sem_uncontended" => posix_sem_uncontended(pid, number(args, 1, "N")?),
        "posix_sem_timedwait_timeout" => posix_sem_timedwait(pid, number(args, 1, "TRIES")?),
        "posix_mq_pingpong" => posix_mq_pingpong(pid, number(args, 1, "N")?),
        "posix_mq_throughput" => {
            posix_mq_throughput(pid, number(args, 1, "N")?, number(args, 2, "S")?)
        }
        "posix_shm_bandwidth" => {
            posix_shm_bandwidth(pid, number(args, 1, "MIB")?, slice_variant(args, 2)?)
        }
        "posix_shm_lifecycle" => posix_shm_lifecycle(pid, number(args, 1, "N")?),
        "sysv_sem_pingpong" => sysv_sem_pingpong(pid, number(args, 1, "N")?),
        "sysv_msg_pingpong" => sysv_msg_pingpong(pid, number(args, 1, "N")?),
        "sysv_shm_bandwidth" => {
            sysv_shm_bandwidth(pid, number(args, 1, "MIB")?, slice_variant(args, 2)?)
        }
        "sysv_shm_first_pass" => sysv_shm_first_pass(pid, number(args, 1, "MIB")?),
        "posix_shm_first_pass" => posix_shm_first_pass(pid, number(args, 1, "MIB")?),
        "robust_mutex_uncontended" => robust_mutex_uncontended(pid, number(args, 1, "N")?),
        "robust_condvar_pingpong" => robust_condvar_pingpong(pid, number(args, 1, "N")?),
        other => Err(format!("unknown scenario '{other}'\n{USAGE}").into()),
    };
    cleanup();
    result
}

fn run_peer(args: &[String]) -> Result<()> {
    let (Some(scenario), Some(parent)) = (args.first(), args.get(1)) else {
        return Err("--peer needs a scenario and the parent's pid".into());
    };
    let parent: libc::pid_t = parent.parse()?;
    let _ = PEER_OF.set(parent);
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a process attribute.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    if rc == -1 {
        return Err(format!("prctl: {}", std::io::Error::last_os_error()).into());
    }
    // SAFETY: getppid has no preconditions.
    if unsafe { libc::getppid() } != parent {
        return Err("the parent exited before the peer started".into());
    }
    let rest = &args[1..];
    match scenario.as_str() {
        "posix_sem_pingpong" => posix_sem_pingpong_peer(parent, number(rest, 1, "N")?),
        "posix_mq_pingpong" => posix_mq_pingpong_peer(parent, number(rest, 1, "N")?),
        "posix_mq_throughput" => {
            posix_mq_throughput_peer(parent, number(rest, 1, "N")?, number(rest, 2, "S")?)
        }
        "posix_shm_bandwidth" => {
            posix_shm_bandwidth_peer(parent, number(rest, 1, "MIB")?, slice_variant(rest, 2)?)
        }
        "sysv_sem_pingpong" => sysv_sem_pingpong_peer(parent, number(rest, 1, "N")?),
        "sysv_msg_pingpong" => sysv_msg_pingpong_peer(parent, number(rest, 1, "N")?),
        "sysv_shm_bandwidth" => {
            sysv_shm_bandwidth_peer(parent, number(rest, 1, "MIB")?, slice_variant(rest, 2)?)
        }
        "robust_condvar_pingpong" => robust_condvar_pingpong_peer(parent, number(rest, 1, "N")?),
        other => Err(format!("no peer for scenario '{other}'").into()),
    }
}

/// Runs `step` W times untimed, then `n` times timed; returns the timed duration.
fn warm_then_time(n: u64, mut step: impl FnMut() -> Result<()>) -> Result<Duration> {
    for _ in 0..W {
        step()?;
    }
    let t0 = Instant::now();
    for _ in 0..n {
        step()?;
    }
    Ok(t0.elapsed())
}

// ---------------------------------------------------------------------------
// 1. posix_sem_pingpong

fn posix_sem_names(pid: libc::pid_t) -> (String, String) {
    (posix_name("psem", pid, "a"), posix_name("psem", pid, "b"))
}

fn posix_sem_pingpong(pid: libc::pid_t, n: u64) -> Result<()> {
    let (na, nb) = posix_sem_names(pid);
    register(vec![Object::Sem(cstring(&na)), Object::Sem(cstring(&nb))]);
    let create = |name: &str| {
        Semaphore::options()
            .create_new(true)
            .mode(0o600)
            .initial_value(0)
            .open(name)
    };
    let a = create(&na)?;
    let b = create(&nb)?;
    let peer = Peer::spawn("posix_sem_pingpong", &[&n.to_string()])?;
    let elapsed = warm_then_time(n, || {
        a.release()?;
        b.acquire(Timeout::Forever)?;
        Ok(())
    })?;
    peer.finish()?;
    a.unlink()?;
    b.unlink()?;
    println!("posix_sem_pingpong {:.1} ns/roundtrip", per(elapsed, n));
    Ok(())
}

fn posix_sem_pingpong_peer(parent: libc::pid_t, n: u64) -> Result<()> {
    let (na, nb) = posix_sem_names(parent);
    let a = Semaphore::open(&na)?;
    let b = Semaphore::open(&nb)?;
    for _ in 0..W + n {
        a.acquire(Timeout::Forever)?;
        b.release()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 2. posix_sem_uncontended

fn posix_sem_uncontended(pid: libc::pid_t, n: u64) -> Result<()> {
    let name = posix_name("psemu", pid, "s");
    register(vec![Object::Sem(cstring(&name))]);
    let sem = Semaphore::options()
        .create_new(true)
        .mode(0o600)
        .initial_value(1)
        .open(&name)?;
    let pair = || -> Result<()> {
        sem.acquire(Timeout::Forever)?;
        sem.release()?;
        Ok(())
    };
    for _ in 0..(n / 10).min(100_000) {
        pair()?;
    }
    let t0 = Instant::now();
    for _ in 0..n {
        pair()?;
    }
    let elapsed = t0.elapsed();
    let value = sem.value()?;
    if value != 1 {
        return Err(format!("the semaphore's value is {value} at the end, not 1").into());
    }
    sem.unlink()?;
    println!("posix_sem_uncontended {:.2} ns/pair", per(elapsed, n));
    Ok(())
}

// ---------------------------------------------------------------------------
// 3. posix_sem_timedwait_timeout

fn posix_sem_timedwait(pid: libc::pid_t, tries: u64) -> Result<()> {
    let name = posix_name("psemt", pid, "s");
    register(vec![Object::Sem(cstring(&name))]);
    let sem = Semaphore::options()
        .create_new(true)
        .mode(0o600)
        .initial_value(0)
        .open(&name)?;
    let timeout = Timeout::After(Duration::from_millis(10));
    let mut total = 0.0;
    for _ in 0..tries {
        let t0 = Instant::now();
        let result = sem.acquire(timeout);
        let elapsed = t0.elapsed();
        match result {
            Err(e) if e.is_busy() => {}
            Err(e) => return Err(e.into()),
            Ok(()) => return Err("the timed wait succeeded instead of timing out".into()),
        }
        total += elapsed.as_nanos() as f64 - 10e6;
    }
    sem.unlink()?;
    println!(
        "posix_sem_timedwait_timeout {:.1} us",
        total / tries as f64 / 1e3
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// 4. posix_mq_pingpong

const MQ_PINGPONG_SIZE: usize = 8192;

fn posix_mq_names(pid: libc::pid_t) -> (String, String) {
    (posix_name("pmq", pid, "q1"), posix_name("pmq", pid, "q2"))
}

fn posix_mq_pingpong(pid: libc::pid_t, n: u64) -> Result<()> {
    let (n1, n2) = posix_mq_names(pid);
    register(vec![Object::Mq(cstring(&n1)), Object::Mq(cstring(&n2))]);
    let create = |name: &str| {
        MessageQueue::options()
            .create_new(true)
            .mode(0o600)
            .max_messages(10)
            .max_message_size(MQ_PINGPONG_SIZE)
            .open(name)
    };
    let q1 = create(&n1)?;
    let q2 = create(&n2)?;
    let msg = [b'x'; 64];
    let mut buf = vec![0u8; MQ_PINGPONG_SIZE];
    let peer = Peer::spawn("posix_mq_pingpong", &[&n.to_string()])?;
    let elapsed = warm_then_time(n, || {
        q1.send(&msg, 0)?;
        let (len, _) = q2.receive(&mut buf)?;
        if len != msg.len() {
            return Err(format!("received {len} bytes instead of {}", msg.len()).into());
        }
        Ok(())
    })?;
    peer.finish()?;
    q1.unlink()?;
    q2.unlink()?;
    println!("posix_mq_pingpong {:.1} ns/roundtrip", per(elapsed, n));
    Ok(())
}

fn posix_mq_pingpong_peer(parent: libc::pid_t, n: u64) -> Result<()> {
    let (n1, n2) = posix_mq_names(parent);
    let q1 = MessageQueue::open(&n1)?;
    let q2 = MessageQueue::open(&n2)?;
    let mut buf = vec![0u8; MQ_PINGPONG_SIZE];
    for _ in 0..W + n {
        let (len, _) = q1.receive(&mut buf)?;
        q2.send(&buf[..len], 0)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 5. posix_mq_throughput

fn posix_mq_throughput(pid: libc::pid_t, n: u64, s: u64) -> Result<()> {
    let name = posix_name("pmqt", pid, "q");
    register(vec![Object::Mq(cstring(&name))]);
    let size = usize::try_from(s)?;
    let q = MessageQueue::options()
        .create_new(true)
        .mode(0o600)
        .max_messages(10)
        .max_message_size(size)
        .read(true)
        .write(false)
        .open(&name)?;
    let mut buf = vec![0u8; size];
    let peer = Peer::spawn("posix_mq_throughput", &[&n.to_string(), &s.to_string()])?;
    // One loop with the length check inline, as C's: no call per message
    // beyond the library's.
    let mut receive = |count: u64| -> Result<()> {
        for _ in 0..count {
            let (len, _) = q.receive(&mut buf)?;
            if len != size {
                return Err(format!("received {len} bytes instead of {size}").into());
            }
        }
        Ok(())
    };
    receive(W)?;
    let t0 = Instant::now();
    receive(n)?;
    let secs = t0.elapsed().as_secs_f64();
    peer.finish()?;
    q.unlink()?;
    println!("posix_mq_throughput.{s}B {:.0} msg/s", n as f64 / secs);
    println!(
        "posix_mq_throughput.{s}B {:.1} MB/s",
        (n * s) as f64 / secs / 1e6
    );
    Ok(())
}

fn posix_mq_throughput_peer(parent: libc::pid_t, n: u64, s: u64) -> Result<()> {
    let name = posix_name("pmqt", parent, "q");
    let q = MessageQueue::options()
        .read(false)
        .write(true)
        .open(&name)?;
    let msg = vec![b'x'; usize::try_from(s)?];
    for _ in 0..W + n {
        q.send(&msg, 0)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 6. and 10. shared-memory bandwidth

/// Sums the native-endian 64-bit words of `bytes` (a multiple of 32 bytes)
/// with 4 accumulators, as the C program does.
fn sum_words(bytes: &[u8]) -> u64 {
    let mut acc = [0u64; 4];
    for chunk in bytes.chunks_exact(32) {
        for (k, a) in acc.iter_mut().enumerate() {
            let word: [u8; 8] = chunk[k * 8..k * 8 + 8].try_into().unwrap_or_default();
            *a = a.wrapping_add(u64::from_ne_bytes(word));
        }
    }
    acc.iter().fold(0, |s, a| s.wrapping_add(*a))
}

/// The expected [`sum_words`] of `size` bytes of 0xCD.
fn expected_sum(size: usize) -> u64 {
    PATTERN.wrapping_mul((size / 8) as u64)
}

/// The warm write is the best of this many passes, as in C: one pass over
/// 64 MiB takes a few milliseconds, short enough for a neighbour's burst to
/// skew it by 20%.
const WARM_PASSES: usize = 5;

/// The two timed writes: first touch with 0xAB, then warm with 0xCD (the
/// best of [`WARM_PASSES`]).
fn timed_writes(region: &mut impl WriteTarget, slice: bool) -> Result<(Duration, Duration)> {
    let t0 = Instant::now();
    region.fill_all(0xAB, slice)?;
    let write = t0.elapsed();
    let mut warm = Duration::MAX;
    for _ in 0..WARM_PASSES {
        let t1 = Instant::now();
        region.fill_all(0xCD, slice)?;
        warm = warm.min(t1.elapsed());
    }
    Ok((write, warm))
}

/// What the bandwidth scenarios do with a mapping or attachment.
trait WriteTarget {
    /// Sets every byte to `byte`: with `Region::fill`, or `memset` through the
    /// unsafe slice when `slice`.
    fn fill_all(&mut self, byte: u8, slice: bool) -> Result<()>;
}

macro_rules! write_target {
    ($t:ty) => {
        impl WriteTarget for $t {
            fn fill_all(&mut self, byte: u8, slice: bool) -> Result<()> {
                if slice {
                    // SAFETY: only this process touches the memory now: the
                    // reader is released after both writes.
                    unsafe { self.as_mut_slice() }.fill(byte);
                } else {
                    self.fill(0, self.len(), byte)?;
                }
                Ok(())
            }
        }
    };
}
write_target!(posix_ipc::Mapping);
write_target!(sysv_ipc::Attachment);

/// The timed read: sums every word of the region and checks the result.
fn timed_read(region: &ipc_common::Region, slice: bool) -> Result<Duration> {
    let size = region.len();
    let t0 = Instant::now();
    let sum = if slice {
        // SAFETY: the writer finished before it released us and writes no more.
        sum_words(unsafe { region.as_slice() })
    } else {
        let mut buf = [0u8; CHUNK];
        let mut sum = 0u64;
        let mut offset = 0;
        while offset < size {
            let len = CHUNK.min(size - offset);
            region.read_at(offset, &mut buf[..len])?;
            sum = sum.wrapping_add(sum_words(&buf[..len]));
            offset += len;
        }
        sum
    };
    let elapsed = t0.elapsed();
    if sum != expected_sum(size) {
        return Err("the reader summed the wrong bytes".into());
    }
    Ok(elapsed)
}

fn print_bandwidth(scenario: &str, slice: bool, size: usize, times: [Duration; 3]) {
    let variant = if slice { "+slice" } else { "" };
    for (metric, t) in ["write", "write_warm", "read"].iter().zip(times) {
        println!(
            "{scenario}.{metric}{variant} {:.2} GB/s",
            size as f64 / t.as_nanos() as f64
        );
    }
}

fn mib_to_bytes(mib: u64) -> Result<usize> {
    Ok(usize::try_from(mib)?
        .checked_mul(1 << 20)
        .ok_or("size too large")?)
}

fn variant_args(mib: u64, slice: bool) -> Vec<String> {
    let mut args = vec![mib.to_string()];
    if slice {
        args.push("slice".to_owned());
    }
    args
}

fn read_time(peer: Peer) -> Result<Duration> {
    let out = peer.finish()?;
    let ns: u64 = out.trim().parse().map_err(|_| {
        format!(
            "the peer reported '{}' instead of its read time",
            out.trim()
        )
    })?;
    Ok(Duration::from_nanos(ns))
}

fn posix_shm_bandwidth(pid: libc::pid_t, mib: u64, slice: bool) -> Result<()> {
    let size = mib_to_bytes(mib)?;
    let name = posix_name("pshm", pid, "m");
    register(vec![Object::Shm(cstring(&name))]);
    let args = variant_args(mib, slice);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut peer = Peer::spawn("posix_shm_bandwidth", &args)?;
    let shm = SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(size)
        .open(&name)?;
    let mut map = shm.map()?;
    shm.close()?;
    let (write, write_warm) = timed_writes(&mut map, slice)?;
    peer.release()?;
    let read = read_time(peer)?;
    map.unmap()?;
    posix_ipc::unlink_shared_memory(&name)?;
    print_bandwidth(
        "posix_shm_bandwidth",
        slice,
        size,
        [write, write_warm, read],
    );
    Ok(())
}

fn posix_shm_bandwidth_peer(parent: libc::pid_t, mib: u64, slice: bool) -> Result<()> {
    let size = mib_to_bytes(mib)?;
    wait_release()?;
    let shm = SharedMemory::options()
        .read_only(true)
        .open(posix_name("pshm", parent, "m"))?;
    let map = shm.map()?;
    shm.close()?;
    if map.len() != size {
        return Err(format!("the object is {} bytes, not {size}", map.len()).into());
    }
    let elapsed = timed_read(&map, slice)?;
    println!("{}", elapsed.as_nanos());
    Ok(())
}

fn sysv_shm_bandwidth(pid: libc::pid_t, mib: u64, slice: bool) -> Result<()> {
    let size = mib_to_bytes(mib)?;
    let key = sysv_key(pid, 0);
    register(vec![Object::SysvShm(key.as_raw())]);
    let args = variant_args(mib, slice);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut peer = Peer::spawn("sysv_shm_bandwidth", &args)?;
    let seg = sysv_ipc::SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(size)
        .open(key)?;
    let mut attachment = seg.attach()?;
    let (write, write_warm) = timed_writes(&mut attachment, slice)?;
    peer.release()?;
    let read = read_time(peer)?;
    attachment.detach()?;
    seg.remove()?;
    print_bandwidth("sysv_shm_bandwidth", slice, size, [write, write_warm, read]);
    Ok(())
}

fn sysv_shm_bandwidth_peer(parent: libc::pid_t, mib: u64, slice: bool) -> Result<()> {
    let size = mib_to_bytes(mib)?;
    wait_release()?;
    let seg = sysv_ipc::SharedMemory::open(sysv_key(parent, 0))?;
    let attachment = seg.attach_read_only()?;
    if attachment.len() != size {
        return Err(format!("the segment is {} bytes, not {size}", attachment.len()).into());
    }
    let elapsed = timed_read(&attachment, slice)?;
    println!("{}", elapsed.as_nanos());
    Ok(())
}

// ---------------------------------------------------------------------------
// sysv_shm_first_pass (beyond the reference)

/// The first pass over a fresh attachment, with pre-faulting
/// ([`SharedMemoryOptions::populate`](sysv_ipc::SharedMemoryOptions::populate)),
/// each time covering the attach and the pass: `write_new` fills a new
/// segment (`Region::fill`), `write` fills it again through a second
/// attachment, `read` sums its words in place through a read-only one. C
/// does the same with a plain `shmat`, so every page faults on its first
/// touch in each attachment (SysV shared memory has no fault-around).
fn sysv_shm_first_pass(pid: libc::pid_t, mib: u64) -> Result<()> {
    let size = mib_to_bytes(mib)?;
    let key = sysv_key(pid, 0);
    register(vec![Object::SysvShm(key.as_raw())]);
    let seg = sysv_ipc::SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(size)
        .populate(true)
        .open(key)?;
    let mut times = [Duration::ZERO; 3];
    for (pass, time) in times.iter_mut().enumerate() {
        let t0 = Instant::now();
        if pass < 2 {
            let a = seg.attach()?;
            a.fill(0, size, if pass == 0 { 0xAB } else { 0xCD })?;
            *time = t0.elapsed();
            a.detach()?;
        } else {
            let a = seg.attach_read_only()?;
            // SAFETY: nothing writes the segment any more.
            let sum = sum_words(unsafe { a.as_slice() });
            *time = t0.elapsed();
            if sum != expected_sum(size) {
                return Err("read back the wrong bytes".into());
            }
            a.detach()?;
        }
    }
    seg.remove()?;
    for (metric, t) in ["write_new", "write", "read"].iter().zip(times) {
        println!(
            "sysv_shm_first_pass.{metric} {:.2} GB/s",
            size as f64 / t.as_nanos() as f64
        );
    }
    Ok(())
}

/// The first write pass through a fresh mapping of an object in use
/// (written once before, untimed, through another mapping), with
/// pre-faulting ([`SharedMemoryOptions::populate`](posix_ipc::SharedMemoryOptions::populate)),
/// timed from the `map`: C maps plainly, and each page write-faults on its
/// own. (On pages never written, both sides pay the kernel's zeroing, which
/// dominates and which pre-faulting cannot avoid.) Reads are not measured:
/// fault-around already maps 16 pages per read fault, and pre-faulting does
/// not speed them up.
fn posix_shm_first_pass(pid: libc::pid_t, mib: u64) -> Result<()> {
    let size = mib_to_bytes(mib)?;
    let name = posix_name("pshmf", pid, "m");
    register(vec![Object::Shm(cstring(&name))]);
    let shm = SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(size)
        .open(&name)?;
    shm.map()?.fill(0, size, 0xAB)?;
    let shm = SharedMemory::options().populate(true).open(&name)?;
    let t0 = Instant::now();
    let map = shm.map()?;
    map.fill(0, size, 0xCD)?;
    let write = t0.elapsed();
    map.unmap()?;
    shm.unlink()?;
    println!(
        "posix_shm_first_pass.write {:.2} GB/s",
        size as f64 / write.as_nanos() as f64
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// 7. posix_shm_lifecycle

fn posix_shm_lifecycle(pid: libc::pid_t, n: u64) -> Result<()> {
    let name = posix_name("pshml", pid, "m");
    register(vec![Object::Shm(cstring(&name))]);
    let cycle = || -> Result<()> {
        let (shm, map) = SharedMemory::options()
            .create_new(true)
            .mode(0o600)
            .size(4096)
            .open_mapped(&name)?;
        map.unmap()?;
        shm.unlink()?;
        shm.close()?;
        Ok(())
    };
    for _ in 0..100 {
        cycle()?;
    }
    let t0 = Instant::now();
    for _ in 0..n {
        cycle()?;
    }
    let elapsed = t0.elapsed();
    println!("posix_shm_lifecycle {:.2} us/cycle", per(elapsed, n) / 1e3);
    Ok(())
}

// ---------------------------------------------------------------------------
// 8. sysv_sem_pingpong

fn sysv_sem_pingpong(pid: libc::pid_t, n: u64) -> Result<()> {
    let (ka, kb) = (sysv_key(pid, 0), sysv_key(pid, 1));
    register(vec![
        Object::SysvSem(ka.as_raw()),
        Object::SysvSem(kb.as_raw()),
    ]);
    let create = |key: Key| {
        sysv_ipc::Semaphore::options()
            .create_new(true)
            .mode(0o600)
            .initial_value(0)
            .open(key)
    };
    let a = create(ka)?;
    let b = create(kb)?;
    let peer = Peer::spawn("sysv_sem_pingpong", &[&n.to_string()])?;
    let elapsed = warm_then_time(n, || {
        a.release(1)?;
        b.acquire(1, Timeout::Forever)?;
        Ok(())
    })?;
    peer.finish()?;
    a.remove()?;
    b.remove()?;
    println!("sysv_sem_pingpong {:.1} ns/roundtrip", per(elapsed, n));
    Ok(())
}

fn sysv_sem_pingpong_peer(parent: libc::pid_t, n: u64) -> Result<()> {
    let a = sysv_ipc::Semaphore::open(sysv_key(parent, 0))?;
    let b = sysv_ipc::Semaphore::open(sysv_key(parent, 1))?;
    for _ in 0..W + n {
        a.acquire(1, Timeout::Forever)?;
        b.release(1)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 9. sysv_msg_pingpong

const SYSV_MSG_SIZE: usize = 64;

fn sysv_msg_pingpong(pid: libc::pid_t, n: u64) -> Result<()> {
    let key = sysv_key(pid, 0);
    register(vec![Object::SysvMsg(key.as_raw())]);
    let q = sysv_ipc::MessageQueue::options()
        .create_new(true)
        .mode(0o600)
        .max_message_size(SYSV_MSG_SIZE)
        .open(key)?;
    let msg = [b'x'; SYSV_MSG_SIZE];
    let mut buf = [0u8; SYSV_MSG_SIZE];
    let peer = Peer::spawn("sysv_msg_pingpong", &[&n.to_string()])?;
    let elapsed = warm_then_time(n, || {
        q.send(&msg, 1, Wait::Block)?;
        let (len, _) = q.receive(&mut buf, Selector::Type(2), Wait::Block)?;
        if len != SYSV_MSG_SIZE {
            return Err(format!("received {len} bytes instead of {SYSV_MSG_SIZE}").into());
        }
        Ok(())
    })?;
    peer.finish()?;
    q.remove()?;
    println!("sysv_msg_pingpong {:.1} ns/roundtrip", per(elapsed, n));
    Ok(())
}

fn sysv_msg_pingpong_peer(parent: libc::pid_t, n: u64) -> Result<()> {
    let q = sysv_ipc::MessageQueue::options()
        .max_message_size(SYSV_MSG_SIZE)
        .open(sysv_key(parent, 0))?;
    let mut buf = [0u8; SYSV_MSG_SIZE];
    for _ in 0..W + n {
        let (len, _) = q.receive(&mut buf, Selector::Type(1), Wait::Block)?;
        q.send(&buf[..len], 2, Wait::Block)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 11. robust_mutex_uncontended and 12. robust_condvar_pingpong (beyond the
// reference's ten): ipc_common's RobustMutex and Condvar in a POSIX
// shared-memory page, against the same pthread calls in C (an error-checking,
// process-shared, robust mutex; process-shared condvars on CLOCK_MONOTONIC).

/// The size of the robust scenarios' shared-memory page.
const ROBUST_PAGE: usize = 4096;

/// The guard of a lock that reported no dead owner (a dead owner is an
/// error here: nobody dies in these scenarios).
fn locked(outcome: LockOutcome<'_>) -> Result<MutexGuard<'_>> {
    match outcome {
        LockOutcome::Locked(guard) => Ok(guard),
        LockOutcome::OwnerDied(_) => Err("a process died holding the robust mutex".into()),
    }
}

fn robust_mutex_uncontended(pid: libc::pid_t, n: u64) -> Result<()> {
    let name = posix_name("rmtx", pid, "m");
    register(vec![Object::Shm(cstring(&name))]);
    let shm = SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(ROBUST_PAGE)
        .open(&name)?;
    let map = shm.map()?;
    shm.close()?;
    // SAFETY: the page was just created; no other process or thread uses it,
    // and only pthread calls touch the mutex's bytes.
    let mutex = unsafe { RobustMutex::init_at(&map, 0)? };
    // The same work as C: lock, unlock, and check both results.
    for _ in 0..(n / 10).min(100_000) {
        locked(mutex.lock()?)?.unlock()?;
    }
    let t0 = Instant::now();
    for _ in 0..n {
        locked(mutex.lock()?)?.unlock()?;
    }
    let elapsed = t0.elapsed();
    map.unmap()?;
    posix_ipc::unlink_shared_memory(&name)?;
    println!("robust_mutex_uncontended {:.2} ns/pair", per(elapsed, n));
    Ok(())
}

/// Offsets in the condvar ping-pong page (the C program uses the same).
const RCV_MUTEX: usize = 0;
const RCV_PING: usize = 64;
const RCV_PONG: usize = 128;
const RCV_TURN: usize = 192;

/// The parent sets `turn` to 1 and signals `ping`, then waits on `pong`
/// until the peer has set it back to 0 (one round trip); the mutex is held
/// throughout except inside the waits.
fn robust_condvar_pingpong(pid: libc::pid_t, n: u64) -> Result<()> {
    let name = posix_name("rcv", pid, "m");
    register(vec![Object::Shm(cstring(&name))]);
    let shm = SharedMemory::options()
        .create_new(true)
        .mode(0o600)
        .size(ROBUST_PAGE)
        .open(&name)?;
    let map = shm.map()?;
    shm.close()?;
    // SAFETY: the page was just created and the peer starts only after the
    // mutex and condvars are initialised; only pthread calls touch them.
    let (mutex, ping, pong) = unsafe {
        (
            RobustMutex::init_at(&map, RCV_MUTEX)?,
            Condvar::init_at(&map, RCV_PING)?,
            Condvar::init_at(&map, RCV_PONG)?,
        )
    };
    let turn = map.atomic::<AtomicU32>(RCV_TURN)?;
    let peer = Peer::spawn("robust_condvar_pingpong", &[&n.to_string()])?;
    let mut guard = locked(mutex.lock()?)?;
    let mut t0 = Instant::now();
    for i in 0..W + n {
        if i == W {
            t0 = Instant::now();
        }
        // Relaxed: `turn` is only read and written under the mutex.
        turn.store(1, Ordering::Relaxed);
        ping.notify_one();
        while turn.load(Ordering::Relaxed) != 0 {
            guard = locked(pong.wait(guard)?)?;
        }
    }
    let elapsed = t0.elapsed();
    guard.unlock()?;
    peer.finish()?;
    map.unmap()?;
    posix_ipc::unlink_shared_memory(&name)?;
    println!(
        "robust_condvar_pingpong {:.1} ns/roundtrip",
        per(elapsed, n)
    );
    Ok(())
}

fn robust_condvar_pingpong_peer(parent: libc::pid_t, n: u64) -> Result<()> {
    let shm = SharedMemory::open(posix_name("rcv", parent, "m"))?;
    let map = shm.map()?;
    shm.close()?;
    // SAFETY: the parent initialised them before starting this process, and
    // only pthread calls touch them.
    let (mutex, ping, pong) = unsafe {
        (
            RobustMutex::open_at(&map, RCV_MUTEX)?,
            Condvar::open_at(&map, RCV_PING)?,
            Condvar::open_at(&map, RCV_PONG)?,
        )
    };
    let turn = map.atomic::<AtomicU32>(RCV_TURN)?;
    let mut guard = locked(mutex.lock()?)?;
    for _ in 0..W + n {
        while turn.load(Ordering::Relaxed) != 1 {
            guard = locked(ping.wait(guard)?)?;
        }
        turn.store(0, Ordering::Relaxed);
        pong.notify_one();
    }
    guard.unlock()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_sum_matches_the_pattern_check() {
        let bytes = vec![0xCDu8; 4096];
        assert_eq!(sum_words(&bytes), expected_sum(4096));
        let mut other = bytes.clone();
        other[17] = 0xAB;
        assert_ne!(sum_words(&other), expected_sum(4096));
    }

    #[test]
    fn keys_follow_the_reference_formula() {
        assert_eq!(sysv_key(0x12_3456, 1).as_raw(), 0x4948_D159);
        assert_eq!(posix_name("psem", 42, "a"), "/ipcbench_psem_42_a");
    }
}
