//! The `ipc` command as a library function: [`run`] takes the arguments and
//! two writers and returns the exit code, so the binary is a thin wrapper
//! and test suites can drive the command in-process.
//!
//! ```text
//! ipc ls [--prefix P]... [--kind K]... [--stale] [--json]
//! ipc show NAME|KEY|ID [--kind K]... [--json]
//! ipc rm NAME|KEY|ID [--kind K]... [--force] [--dry-run] [--json]
//! ipc clean --prefix P [--prefix P]... (--stale | --force) [--kind K]... [--dry-run] [--json]
//! ```
//!
//! `ls` prints a table for people (`--json`: one JSON document for
//! scripts). `rm` and `clean --stale` remove only objects that the
//! [stale rule](ipc_inventory#stale-objects) proves unused; `--force`
//! removes them regardless. Exit codes are the `EXIT_*` constants.
//!
//! ```no_run
//! let mut out = Vec::new();
//! let code = ipc_tool::run(["ls", "--json"].map(Into::into), &mut out, &mut std::io::stderr());
//! assert!(code == ipc_tool::EXIT_OK || code == ipc_tool::EXIT_NOTHING_MATCHED);
//! ```
//!
//! No feature flags. The binary is `ipc` (`cargo install ipc-tool`).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod args;
#[cfg(target_os = "linux")]
mod commands;
#[cfg(target_os = "linux")]
mod render;

use std::ffi::OsString;
use std::io::Write;

/// Success.
pub const EXIT_OK: u8 = 0;
/// No object matched the name, key, id, prefix or filters.
pub const EXIT_NOTHING_MATCHED: u8 = 1;
/// The command line is wrong; the message says how.
pub const EXIT_USAGE: u8 = 2;
/// This user may not remove (part of) what matched.
pub const EXIT_PERMISSION_DENIED: u8 = 3;
/// Not removed: in use, or not provably unused (`--force` removes it).
pub const EXIT_REFUSED: u8 = 4;
/// Anything else: the system could not be read, a removal failed.
pub const EXIT_ERROR: u8 = 5;

/// Runs `ipc` with `args` (without the program name), writing results to
/// `out` and diagnostics to `err`; returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let parsed = match args::parse(args) {
        Ok(parsed) => parsed,
        Err(message) => {
            let _ = writeln!(
                err,
                "ipc: {message}\n{}\nRun `ipc help` for details.",
                args::USAGE
            );
            return EXIT_USAGE;
        }
    };
    if parsed.command == args::Command::Help {
        let _ = writeln!(out, "{}\n\n{}", args::HELP, args::USAGE);
        return EXIT_OK;
    }
    #[cfg(target_os = "linux")]
    {
        commands::run(&parsed, out, err)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = writeln!(
            err,
            "ipc: listing IPC objects is implemented for Linux only (it reads /proc)"
        );
        EXIT_ERROR
    }
}
