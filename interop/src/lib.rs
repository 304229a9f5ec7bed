//! Drives the peers of the interoperability tests: the C program
//! (`peers/peer.c`, built by this crate's build script) and the Python script
//! (`peers/peer.py`), run twice: with the interpreter of the virtual
//! environment that `cargo xtask test` creates with the PyPI `posix_ipc` and
//! `sysv_ipc`, and with the one that has this project's drop-ins (`python/`).
//!
//! Both peers speak one protocol (see `peers/peer.c`): `make` creates an object
//! exclusively and fills it with the shared test content, `inspect` opens an
//! existing one, prints what it sees as `key=value` lines and changes it. The
//! constants here are that shared content, so the Rust side of each test
//! checks exactly what the peers wrote and the other way round.

use std::path::PathBuf;
use std::process::Command;

/// The environment variable naming the Python interpreter that has the peers'
/// packages (set by `cargo xtask test`).
pub const PYTHON_ENV: &str = "IPCRS_PYTHON";

/// The environment variable naming the Python interpreter that has this
/// project's drop-in `posix_ipc` and `sysv_ipc` (set by `cargo xtask test`).
pub const DROPINS_PYTHON_ENV: &str = "IPCRS_PYTHON_DROPINS";

/// Priorities of the POSIX queue messages `make` sends, in sending order.
pub const MQ_PRIOS: [u32; 6] = [1, 7, 3, 31, 0, 7];

/// Types of the System V queue messages `make` sends, in sending order.
pub const MSG_TYPES: [std::ffi::c_long; 4] = [3, 1, 2, 1];

/// Byte `i` of the shared-memory test pattern.
pub fn pattern(i: usize) -> u8 {
    u8::try_from((i * 31 + 7) & 0xff).expect("masked to a byte")
}

/// The first `n` bytes of the test pattern.
pub fn pattern_bytes(n: usize) -> Vec<u8> {
    (0..n).map(pattern).collect()
}

/// A peer program.
#[derive(Debug, Clone)]
pub enum Peer {
    /// The C program.
    C,
    /// The Python script, run by this interpreter (PyPI's packages).
    Python(PathBuf),
    /// The Python script, run by this interpreter (the project's drop-ins).
    DropIns(PathBuf),
}

impl Peer {
    /// The Python peer, when `IPCRS_PYTHON` names an interpreter.
    pub fn python() -> Option<Peer> {
        std::env::var_os(PYTHON_ENV).map(|p| Peer::Python(PathBuf::from(p)))
    }

    /// The Python peer, or a panic that says how to get one (for the
    /// `#[ignore]`d Python tests, which `cargo xtask test` runs with it set).
    pub fn python_required() -> Peer {
        Peer::python().unwrap_or_else(|| {
            panic!(
                "{PYTHON_ENV} is not set: run these tests through `cargo xtask test`, which \
                 creates target/py-venv with posix_ipc and sysv_ipc"
            )
        })
    }

    /// The Python peer on the drop-ins, or a panic that says how to get one
    /// (for the `#[ignore]`d drop-in tests, which `cargo xtask test` runs with
    /// it set).
    pub fn dropins_required() -> Peer {
        std::env::var_os(DROPINS_PYTHON_ENV)
            .map(|p| Peer::DropIns(PathBuf::from(p)))
            .unwrap_or_else(|| {
                panic!(
                    "{DROPINS_PYTHON_ENV} is not set: run these tests through `cargo xtask \
                     test`, which builds the drop-ins into target/py-dropins"
                )
            })
    }

    /// The name used in messages ("C", "Python" or "Python drop-ins").
    pub fn label(&self) -> &'static str {
        match self {
            Peer::C => "C",
            Peer::Python(_) => "Python",
            Peer::DropIns(_) => "Python drop-ins",
        }
    }

    /// The tag of message payloads this peer sends ("c" or "py").
    pub fn tag(&self) -> &'static str {
        match self {
            Peer::C => "c",
            Peer::Python(_) | Peer::DropIns(_) => "py",
        }
    }

    /// The `impl=` line the Python peer prints: which `posix_ipc` and
    /// `sysv_ipc` it imported.
    fn python_implementation(&self) -> Option<&'static str> {
        match self {
            Peer::C => None,
            Peer::Python(_) => Some("original"),
            Peer::DropIns(_) => Some("ipc-rs"),
        }
    }

    fn command(&self) -> Command {
        match self {
            Peer::C => Command::new(env!("IPCRS_C_PEER")),
            Peer::Python(python) | Peer::DropIns(python) => {
                let mut c = Command::new(python);
                c.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/peers/peer.py"));
                c
            }
        }
    }

    /// Runs the peer with `args`: what it printed if it succeeded, else
    /// (`Err`) what it wrote to stderr. For calls expected to fail.
    pub fn try_run(&self, args: &[&str]) -> Result<Report, String> {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot start the {} peer: {e}", self.label()));
        if out.status.success() {
            Ok(Report {
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            })
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs the peer with `args` and returns what it printed; panics with its
    /// output if it fails.
    pub fn run(&self, args: &[&str]) -> Report {
        self.run_with(args, |_| {})
    }

    /// Like [`run`](Self::run), as user and group `id` (which needs root), so
    /// that what the peer makes belongs to that user.
    pub fn run_as(&self, id: u32, args: &[&str]) -> Report {
        use std::os::unix::process::CommandExt;
        self.run_with(args, |c| {
            c.uid(id).gid(id);
        })
    }

    fn run_with(&self, args: &[&str], configure: impl FnOnce(&mut Command)) -> Report {
        let mut command = self.command();
        configure(&mut command);
        let out = command
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot start the {} peer: {e}", self.label()));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "the {} peer failed on {args:?} ({}):\nstdout:\n{stdout}\nstderr:\n{}",
            self.label(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let report = Report { stdout };
        if let Some(implementation) = self.python_implementation() {
            assert_eq!(
                report.get("impl"),
                implementation,
                "the {} peer imported the wrong posix_ipc/sysv_ipc",
                self.label()
            );
        }
        report
    }
}

/// What a peer printed: `key=value` lines.
#[derive(Debug, Clone)]
pub struct Report {
    /// The raw output.
    pub stdout: String,
}

impl Report {
    /// The value of the first `key=` line; panics if there is none.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.all(key)
            .next()
            .unwrap_or_else(|| panic!("no `{key}=` line in:\n{}", self.stdout))
    }

    /// The first `key=` value parsed as a number; panics otherwise.
    pub fn num(&self, key: &str) -> i64 {
        let v = self.get(key);
        v.parse()
            .unwrap_or_else(|_| panic!("`{key}={v}` is not a number in:\n{}", self.stdout))
    }

    /// Every `key=` value, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.stdout
            .lines()
            .filter_map(move |l: &'a str| l.strip_prefix(key)?.strip_prefix('='))
    }

    /// True when a line is exactly `line`.
    pub fn has_line(&self, line: &str) -> bool {
        self.stdout.lines().any(|l| l == line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_parses_key_value_lines() {
        let r = Report {
            stdout: "made\nvalue=3\nrecv=1:a\nrecv=2:b=c\n".into(),
        };
        assert_eq!(r.num("value"), 3);
        assert_eq!(r.all("recv").collect::<Vec<_>>(), ["1:a", "2:b=c"]);
        assert!(r.has_line("made"));
        assert!(!r.has_line("value"));
    }

    #[test]
    fn pattern_matches_the_peers() {
        assert_eq!(pattern_bytes(3), [7, 38, 69]);
        assert_eq!(pattern(8), ((8 * 31 + 7) & 0xff) as u8);
    }
}

/// The workspace README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;

/// The porting guide's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../PORTING.md")]
struct PortingDoctests;

/// The crash-recovery guide's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../RECOVERY.md")]
struct RecoveryDoctests;
