//! Project automation for the ipc-rs workspace, run as `cargo xtask <command>`
//! (the alias lives in `.cargo/config.toml`).
//!
//! - `cargo xtask demo`: two-process conversations over all six primitives,
//!   Rust with Rust and Rust with Python's `posix_ipc`/`sysv_ipc`.
//! - `cargo xtask test [--no-install]`: everything CI checks, in order,
//!   stopping at the first failure: the mqueue mount, the Rust targets and
//!   cross toolchains (installed when missing), rustfmt, clippy, the committed
//!   bindings, the Python drop-ins against the upstream suites, the test suite
//!   with an IPC-object leak check on x86_64 glibc, x86_64 musl, i686 glibc
//!   and (under qemu) aarch64 glibc, `check`/`clippy`/`doc` for macOS and
//!   FreeBSD, rustdoc and packaging.
//! - `cargo xtask bindgen [--check] [--no-install]`: lint and run the
//!   generator of the committed bindings of `posix-ipc-sys` (a workspace of
//!   its own, `posix-ipc-sys/gen`) for every Linux target, installing libclang
//!   and the targets' C headers first when needed.
//! - `cargo xtask bench [--quick] [--pin] [--runs R] [--check] [--python]`:
//!   the benchmark scenarios, raw C and the Rust library side by side, with
//!   ratios; `--check` fails when a ratio is above its target; `--python`
//!   compares the Python drop-ins with the PyPI originals instead.
//! - `cargo xtask mutants [--since REV | --all | FILE...] [--min-score N]
//!   [--jobs N] [--no-install]`: mutation testing of the library crates with
//!   cargo-mutants (installed on demand), a per-file table of caught and
//!   missed mutants, and a failure when a file scores below `--min-score`.
//!   Not part of `test`.
//! - `cargo xtask clean [--force]`: remove IPC objects that this project's
//!   tests, examples, demos and benches left behind (and only those; only
//!   stale ones unless `--force`).
//!
//! Every change to the machine (`apt-get install`, `rustup target add`,
//! mounting the mqueue filesystem) is announced first, one line each, with
//! what it is for. `--no-install` makes none: `test` skips the steps whose
//! pieces are missing (naming them and the command that installs them; the
//! summary lists them as SKIPPED), `bindgen` refuses. The Python virtual
//! environments under `target/` are made with pip either way, like the
//! crates cargo downloads: they change nothing outside the worktree.
//!
//! This crate stays light to compile: its one dependency is `ipc-inventory`
//! (itself only `libc` and `ipc-common`), the library behind the `ipc`
//! command, so the leak check, `cargo xtask clean` and `ipc` find and remove
//! IPC objects the same way.

mod bench;
mod bindgen;
mod clean;
mod cmd;
mod demo;
mod ipcs;
#[cfg(test)]
mod leak_check_tests;
mod mutants;
mod python;
mod python_dropins;
mod setup;
mod targets;
mod test;

use std::process::ExitCode;

use setup::Install;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  demo               processes talking through all six primitives: Rust with Rust,
                     and Rust with Python's posix_ipc/sysv_ipc (installed under
                     target/py-venv when python3 is available)
  test [--no-install]
                     run every CI check in order, stopping at the first failure:
                     mqueue mount, Rust targets and cross toolchains (installed
                     if missing), rustfmt, clippy, bindings check, tests with an
                     IPC leak check on x86_64 glibc, x86_64 musl, i686 and aarch64
                     (qemu), check/clippy/doc for macOS and FreeBSD, rustdoc,
                     packaging
  bindgen [--check] [--no-install]
                     lint and run the generator (posix-ipc-sys/gen, a workspace
                     of its own) that regenerates posix-ipc-sys/src/generated/
                     (installs libclang and the targets' C headers if needed);
                     --check fails if the committed bindings are stale
  bench [--quick] [--pin] [--runs R] [--check] [--python]
                     the benchmark scenarios in C and with the Rust library, side by
                     side, with ratios; --quick: N/10, --pin: add @cpu0 rows (taskset
                     -c 0), --runs R: medians of R runs each, --check: list every
                     ratio above its target (1.05 unless a row says otherwise) with
                     the reason, and fail if there is one; --python: the scenarios in
                     Python instead, the drop-ins against the PyPI originals
  mutants [--since REV | --all | FILE...] [--min-score N] [--jobs N] [--no-install]
                     mutation testing with cargo-mutants (installed with `cargo
                     install cargo-mutants --locked` if missing) of the library files
                     of ipc-common, posix-ipc, sysv-ipc and ipc-inventory changed
                     since REV (default main), the FILEs named, or --all; one crate
                     at a time, its own tests only, in a copy of the tree; prints a
                     per-file table (caught, missed, timeout, unviable, score =
                     caught/(caught+missed)) and the missed mutants, and fails if a
                     file scores below N% (default 90); exclusions with reasons in
                     .cargo/mutants.toml; not part of `test` (minutes per file)
  dropins            build the Python drop-ins (python/) with maturin into
                     target/py-dropins and run the upstream posix_ipc and sysv_ipc
                     suites and python/tests against them (a step of `test`)
  clean [--force]    remove IPC objects left behind by this project's tests and
                     examples (POSIX names /ipcrs*, SysV keys 0x1C5A0000..=0x1C5AFFFF)
                     and benches (/ipcbench_*, keys 0x49xxxxxx) that no live process
                     uses; --force: also those in use (or not provably unused)
  help               print this message

Every apt-get install, rustup target add and mount is announced first with its
reason. --no-install makes none of them: `test` SKIPS the steps that need a
missing piece (naming it and the command that installs it; the summary shows
them as SKIPPED), `bindgen` refuses. The Python venvs under target/ are still
made with pip (nothing outside the worktree changes).
";

fn usage() -> ExitCode {
    eprint!("{USAGE}");
    ExitCode::from(2)
}

/// Whether every one of `flags` is one of `allowed`, each at most once.
fn known(flags: &[&str], allowed: &[&str]) -> bool {
    flags
        .iter()
        .enumerate()
        .all(|(i, flag)| allowed.contains(flag) && !flags[..i].contains(flag))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["demo"] => demo::run(),
        ["test", flags @ ..] if known(flags, &["--no-install"]) => {
            test::run(Install::from_flags(flags))
        }
        ["bindgen", flags @ ..] if known(flags, &["--check", "--no-install"]) => {
            bindgen::run(flags.contains(&"--check"), Install::from_flags(flags))
        }
        ["bench", options @ ..] => bench::run(options),
        ["mutants", options @ ..] => mutants::run(options),
        ["clean"] => clean::run(false),
        ["clean", "--force"] => clean::run(true),
        ["dropins"] => python_dropins::run().and_then(|done| {
            done.map(|report| println!("{report}"))
                .map_err(|why| format!("{why}: cannot build the Python drop-ins"))
        }),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::known;

    #[test]
    fn flags_are_known_and_given_once() {
        let allowed = ["--check", "--no-install"];
        assert!(known(&[], &allowed));
        assert!(known(&["--no-install", "--check"], &allowed));
        assert!(!known(&["--check", "--check"], &allowed));
        assert!(!known(&["--no-instal"], &allowed));
        assert!(!known(&["--check"], &["--no-install"]));
    }
}
