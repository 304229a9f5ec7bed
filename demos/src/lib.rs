//! What the demo programs share: the MD5 hex digests their conversations
//! exchange, command-line parsing, the line format they print, interruption
//! (Ctrl-C) and child processes.
//!
//! Each two-process demo exists twice, as a Rust example of this crate and as
//! a Python script in `demos/python/`, speaking the same protocol, so a Rust
//! premise talks to a Python conclusion and the other way round. `cargo xtask
//! demo` runs the four conversations in every combination. Run the Python
//! scripts from `demos/python/` (they import `common.py`) with an interpreter
//! that has posix_ipc and sysv_ipc.
//!
//! # The demos
//!
//! Run each with `cargo run -p demos --example NAME -- ARGS`; the module
//! documentation of each example shows its command lines.
//!
//! | example | what it shows | Python counterpart |
//! |---|---|---|
//! | `posix_shm_sem` | POSIX shared memory guarded by a POSIX semaphore: two processes take turns, checking each other's MD5 (posix_ipc's demo1) | `posix_shm_sem.py` (either role) |
//! | `posix_mq` | a POSIX message queue conversation with the same MD5 protocol (posix_ipc's demo2) | `posix_mq.py` (either role) |
//! | `posix_mq_notify` | queue notifications by signal (taken with `sigtimedwait`) or by a callback thread, one-shot or re-armed (posix_ipc's demo3) | none (posix_ipc's demo3 scripts, single-process) |
//! | `posix_sem_guard` | a POSIX semaphore guard that releases when the holder fails; the child is Rust or Python (posix_ipc's demo4) | `posix_sem_guard_child.py` (the child) |
//! | `posix_mq_listener` | waiting for a queue with `poll(2)` on its descriptor (posix_ipc's demo5) | `posix_mq_listener.py` (either role, with `selectors`) |
//! | `sysv_shm_sem` | System V shared memory guarded by a System V semaphore (sysv_ipc's sem_and_shm) | `sysv_shm_sem.py` (either role) |
//! | `sysv_mq` | a System V message queue conversation (sysv_ipc's message_queues) | `sysv_mq.py` (either role) |
//! | `sysv_sem_guard` | a System V semaphore guard that releases when the holder fails; the child is Rust or Python (sysv_ipc's semaphore_context_manager) | `sysv_sem_guard_child.py` (the child) |
//! | `sysv_shm_views` | copies, live attachments, atomics and read-only attachments of one segment (sysv_ipc's buffer_protocol, one process) | none |
//! | `robust_counter` | workers update a shared record under a `RobustMutex`; one is SIGKILLed holding it, a survivor sees owner-died, repairs the record, and the final count is exact | none |

mod md5;
pub mod protocol;

pub use md5::md5_hex;

use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Makes Ctrl-C (SIGINT) and SIGTERM interrupt the demo instead of killing it:
/// the handler only records the signal, and because it is installed without
/// `SA_RESTART`, a blocking IPC call in progress fails with
/// `ErrorKind::Interrupted`. The demo's error path then runs its guards'
/// destructors, which unlink or remove what it created.
pub fn install_interrupt_handler() {
    let action = SigAction::new(
        SigHandler::Handler(note_interrupt),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe.
        unsafe { sigaction(signal, &action) }.expect("install the interrupt handler");
    }
}

/// True once SIGINT or SIGTERM arrived (see [`install_interrupt_handler`]).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Fails once SIGINT or SIGTERM arrived (see [`install_interrupt_handler`]).
/// Loops that may run without ever blocking (a side that keeps getting its
/// own message back while the other side is absent) call it on every turn,
/// since only a blocking call is interrupted by the signal.
pub fn check_interrupted() -> Result<(), String> {
    if interrupted() {
        Err("interrupted".into())
    } else {
        Ok(())
    }
}

/// Sleeps for `d`, or less if interrupted; fails when interrupted so the
/// caller can clean up.
pub fn sleep(d: Duration) -> Result<(), String> {
    let end = Instant::now() + d;
    while Instant::now() < end {
        check_interrupted()?;
        std::thread::sleep(Duration::from_millis(10).min(end - Instant::now()));
    }
    Ok(())
}

/// Prints `role (pid N, Rust): text`, the line format of every demo.
pub fn say(role: &str, text: impl std::fmt::Display) {
    println!("{role} (pid {}, Rust): {text}", std::process::id());
}

/// The parsed command line of a demo: a role, `--name value` options and
/// `--switch`es without a value.
#[derive(Debug)]
pub struct Args {
    /// The first positional argument (`premise`, `conclusion`, `parent`, ...).
    pub role: String,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    /// Parses `ROLE [--name value]...` from the process arguments, exiting
    /// with `usage` on a malformed command line.
    pub fn parse(usage: &str) -> Args {
        Args::parse_with_switches(usage, &[])
    }

    /// Like [`Args::parse`], where the names in `switches` are options
    /// without a value (`--repeat`); [`Args::switch`] tells whether one was given.
    pub fn parse_with_switches(usage: &str, switches: &[&str]) -> Args {
        Args::from_iter(std::env::args().skip(1), switches).unwrap_or_else(|e| {
            eprintln!("{e}\nusage: {usage}");
            std::process::exit(2)
        })
    }

    fn from_iter(
        args: impl IntoIterator<Item = String>,
        switch_names: &[&str],
    ) -> Result<Args, String> {
        let mut it = args.into_iter();
        let role = it.next().ok_or("missing the role")?;
        let mut options = Vec::new();
        let mut switches = Vec::new();
        while let Some(flag) = it.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {flag:?}"))?;
            if switch_names.contains(&name) {
                switches.push(name.to_owned());
                continue;
            }
            let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
            options.push((name.to_owned(), value));
        }
        Ok(Args {
            role,
            options,
            switches,
        })
    }

    /// True if the switch `--name` was given (see [`Args::parse_with_switches`]).
    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `--name`; exits with a message if it is missing.
    pub fn required(&self, name: &str) -> &str {
        self.get(name).unwrap_or_else(|| {
            eprintln!("--{name} is required");
            std::process::exit(2)
        })
    }

    /// `--name` as a number (C syntax: `0x1c5a0001`, `0600`, `42`), or `default`.
    pub fn number(&self, name: &str, default: i64) -> i64 {
        self.get(name).map_or(default, |v| {
            parse_number(v).unwrap_or_else(|| {
                eprintln!("--{name} {v:?} is not a number");
                std::process::exit(2)
            })
        })
    }
}

/// Parses a number the way C's `strtol(s, NULL, 0)` does.
pub fn parse_number(s: &str) -> Option<i64> {
    let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

/// The NUL-terminated string at the start of `bytes` (lossy UTF-8).
pub fn read_c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Calls `open` until it stops failing with a not-found error (the premise
/// may not have created the object yet), for at most 10 seconds.
pub fn open_retrying<T>(
    role: &str,
    what: &str,
    mut open: impl FnMut() -> ipc_common::Result<T>,
) -> ipc_common::Result<T> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match open() {
            Err(e) if e.kind() == ipc_common::ErrorKind::NotFound && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) if e.kind() == ipc_common::ErrorKind::NotFound => {
                say(
                    role,
                    format!("{what} did not appear within 10 s; start the premise first"),
                );
                return Err(e);
            }
            other => return other,
        }
    }
}

/// The command that starts a demo's child process: this program again with
/// the role `child` (`--child rust`, the default), or the script
/// `demos/python/{script}` under `--python PYTHON` (default `python3`) for
/// `--child python`. The caller adds the child's options.
pub fn child_command(args: &Args, script: &str) -> Result<Command, String> {
    match args.get("child").unwrap_or("rust") {
        "python" => {
            let mut c = Command::new(args.get("python").unwrap_or("python3"));
            c.arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("python")
                    .join(script),
            );
            Ok(c)
        }
        "rust" => {
            let exe = std::env::current_exe()
                .map_err(|e| format!("cannot find this program to start the child: {e}"))?;
            let mut c = Command::new(exe);
            c.arg("child");
            Ok(c)
        }
        other => Err(format!("--child {other:?}: expected rust or python")),
    }
}

/// A child process that is killed (and reaped) if it is still running when
/// this drops, so a parent leaving early (an error, Ctrl-C) does not leave it
/// waiting on an object that is about to disappear. [`KillOnDrop::wait`]
/// waits for a normal exit instead.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Waits for the child to exit and fails unless it exited with status 0.
    pub fn wait(mut self) -> Result<ExitStatus, String> {
        let status = self
            .0
            .wait()
            .map_err(|e| format!("cannot wait for the child: {e}"))?;
        if status.success() {
            Ok(status)
        } else {
            Err(format!("the child failed ({status})"))
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Reads standard input line by line without ever blocking for long, so that
/// Ctrl-C ([`interrupted`]) ends a demo that waits for input, whichever thread
/// the signal was delivered to (std's `read_line` retries interrupted reads).
#[derive(Debug, Default)]
pub struct StdinLines {
    pending: Vec<u8>,
    eof: bool,
}

impl StdinLines {
    /// The next line without its line end, `None` at end of input, or an
    /// error when interrupted or the read fails.
    pub fn next_line(&mut self) -> Result<Option<String>, String> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Ok(Some(line_text(&line[..end])));
            }
            if self.eof {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                let line = std::mem::take(&mut self.pending);
                return Ok(Some(line_text(&line)));
            }
            check_interrupted()?;
            let stdin = std::io::stdin();
            let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(100u16)) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(e) => return Err(format!("cannot poll standard input: {e}")),
            }
            let mut chunk = [0u8; 4096];
            // SAFETY: the pointer and length describe `chunk`, which is
            // writable; descriptor 0 stays open for the life of the process.
            let n =
                unsafe { libc::read(libc::STDIN_FILENO, chunk.as_mut_ptr().cast(), chunk.len()) };
            match usize::try_from(n) {
                Ok(0) => self.eof = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(_) => {
                    let e = std::io::Error::last_os_error();
                    if e.kind() != std::io::ErrorKind::Interrupted {
                        return Err(format!("cannot read standard input: {e}"));
                    }
                }
            }
        }
    }
}

fn line_text(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roles_and_options() {
        let a = Args::from_iter(
            ["premise", "--key", "0x1c5a0001", "--iterations", "10"].map(String::from),
            &[],
        )
        .unwrap();
        assert_eq!(a.role, "premise");
        assert_eq!(a.number("key", 0), 0x1c5a_0001);
        assert_eq!(a.number("iterations", 5), 10);
        assert_eq!(a.number("missing", 5), 5);
        assert!(!a.switch("repeat"));
        assert!(Args::from_iter(["x", "key"].map(String::from), &[]).is_err());
        assert!(Args::from_iter(["x", "--key"].map(String::from), &[]).is_err());
    }

    #[test]
    fn switches_take_no_value() {
        let a = Args::from_iter(
            ["thread", "--repeat", "--queue", "/ipcrs-q"].map(String::from),
            &["repeat"],
        )
        .unwrap();
        assert_eq!(a.role, "thread");
        assert!(a.switch("repeat"));
        assert_eq!(a.get("queue"), Some("/ipcrs-q"));
        // Not declared as a switch: it takes the next word as its value.
        let b = Args::from_iter(["x", "--repeat", "--queue"].map(String::from), &[]).unwrap();
        assert_eq!(b.get("repeat"), Some("--queue"));
        assert!(!b.switch("repeat"));
    }

    #[test]
    fn numbers_follow_strtol() {
        assert_eq!(parse_number("0600"), Some(0o600));
        assert_eq!(parse_number("0"), Some(0));
        assert_eq!(parse_number("-12"), Some(-12));
        assert_eq!(parse_number("0x10"), Some(16));
        assert_eq!(parse_number("09"), None);
    }

    #[test]
    fn c_strings_stop_at_nul() {
        assert_eq!(read_c_string(b"abc\0def"), "abc");
        assert_eq!(read_c_string(b"abc"), "abc");
    }
}
