//! `cargo xtask mutants`: mutation testing of the library crates with
//! cargo-mutants, one crate at a time, and a per-file table of what the tests
//! caught and missed. Not a step of `cargo xtask test`: it takes minutes per
//! file.
//!
//! Which files: those of the library crates changed since a revision
//! (`--since REV`, default `main`: changes since the branch left it,
//! committed or not), the files named on the command line, or `--all`. A
//! library file is a `src/**/*.rs` of [`CRATES`], not a test module file.
//!
//! cargo-mutants works on a copy of the tree (never `--in-place`), builds the
//! mutated crate (`--package`) and runs its tests and those of the `interop`
//! crate that test it (`--test-package`, see [`Crate::tests`]), one
//! mutant at a time on a small machine, and writes its results under
//! `target/mutants/<package>/mutants.out`. Its exclusions (message wording)
//! are in `.cargo/mutants.toml`, where it reads them.
//!
//! cargo-mutants reads source text and ignores `#[cfg]`: a mutant in code
//! that is not compiled on this machine (the macOS or FreeBSD twin of a Linux
//! function) can never fail a test. Such mutants are counted apart, as "not
//! built", and left out of the score: they cannot be excluded by name, since
//! the twins share their names with the Linux functions.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::cmd;
use crate::setup::Install;

/// A library crate whose files may be mutated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Crate {
    /// Its package name (`cargo -p`).
    package: &'static str,
    /// Its directory, relative to the workspace root.
    dir: &'static str,
    /// The packages whose tests run against its mutants: its own, and the
    /// interop tests, which check it against C peers and real leftovers
    /// (and forge other C libraries' semaphore files) where its own cannot.
    tests: &'static [&'static str],
}

/// The library crates under mutation testing, in dependency order.
const CRATES: [Crate; 4] = [
    Crate {
        package: "ipc-common",
        dir: "ipc-common",
        tests: &["ipc-common"],
    },
    Crate {
        package: "posix-ipc-rs",
        dir: "posix-ipc",
        tests: &["posix-ipc-rs", "interop"],
    },
    Crate {
        package: "sysv-ipc",
        dir: "sysv-ipc",
        tests: &["sysv-ipc", "interop"],
    },
    Crate {
        package: "ipc-inventory",
        dir: "ipc-inventory",
        tests: &["ipc-inventory", "interop"],
    },
];

/// The score (caught / (caught + missed)) below which a file fails, unless
/// `--min-score` says otherwise.
const DEFAULT_MIN_SCORE: f64 = 90.0;

/// The floor of cargo-mutants' test timeout, in seconds. It sets the timeout
/// from the unmutated test run; on a loaded two-core machine that run can be
/// quick and a mutant's slower for reasons of its own.
const MINIMUM_TEST_TIMEOUT: &str = "60";

/// How cargo-mutants is installed.
const INSTALL_COMMAND: &str = "cargo install cargo-mutants --locked";

/// Which files to mutate.
#[derive(Debug, PartialEq)]
enum Selection {
    /// The library files changed since this revision's merge base with HEAD,
    /// committed, staged, unstaged or untracked.
    Since(String),
    /// Every library file.
    All,
    /// The files named on the command line.
    Files(Vec<String>),
}

/// The command line of `cargo xtask mutants`.
#[derive(Debug, PartialEq)]
struct Options {
    selection: Selection,
    min_score: f64,
    jobs: usize,
    install: Install,
}

/// Reads the options; `default_jobs` is used without `--jobs`.
fn parse(args: &[&str], default_jobs: usize) -> Result<Options, String> {
    let mut since = None;
    let mut all = false;
    let mut files = Vec::new();
    let mut min_score = DEFAULT_MIN_SCORE;
    let mut jobs = default_jobs;
    let mut install = Install::Allowed;
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .copied()
                .ok_or_else(|| format!("{arg} needs {what}"))
        };
        match arg {
            "--since" => since = Some(value("a revision (a branch, tag or commit)")?.to_owned()),
            "--all" => all = true,
            "--no-install" => install = Install::Refused,
            "--min-score" => {
                let text = value("a percentage")?;
                min_score = text
                    .trim_end_matches('%')
                    .parse()
                    .ok()
                    .filter(|score| (0.0..=100.0).contains(score))
                    .ok_or_else(|| {
                        format!("--min-score {text}: give a percentage from 0 to 100, e.g. 90")
                    })?;
            }
            "--jobs" => {
                let text = value("a number of jobs")?;
                jobs = text.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    format!("--jobs {text}: give a whole number of parallel jobs, at least 1")
                })?;
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unknown option {flag}: see `cargo xtask help` for the options of `mutants`"
                ));
            }
            file => files.push(file.to_owned()),
        }
    }
    let selection = match (since, all, files.is_empty()) {
        (None, false, true) => Selection::Since("main".to_owned()),
        (Some(rev), false, true) => Selection::Since(rev),
        (None, true, true) => Selection::All,
        (None, false, false) => Selection::Files(files),
        _ => {
            return Err(
                "choose one of --since REV, --all or a list of files (not several)".to_owned(),
            );
        }
    };
    Ok(Options {
        selection,
        min_score,
        jobs,
        install,
    })
}

/// The crate a library file belongs to, for a path relative to the
/// workspace root: `<dir>/src/**/*.rs`, but not a `tests.rs` or a file under
/// a `tests/` folder (test modules), nor `main.rs` or `src/bin/`.
fn crate_of(path: &str) -> Option<&'static Crate> {
    let path = path.strip_prefix("./").unwrap_or(path);
    let found = CRATES.iter().find(|c| {
        path.strip_prefix(c.dir)
            .and_then(|rest| rest.strip_prefix("/src/"))
            .is_some()
    })?;
    let inside = &path[found.dir.len() + "/src/".len()..];
    let parts: Vec<&str> = inside.split('/').collect();
    let file = parts.last().copied().unwrap_or("");
    let is_library = file.ends_with(".rs")
        && file != "tests.rs"
        && file != "main.rs"
        && !parts.iter().any(|part| *part == "tests" || *part == "bin")
        && !parts.iter().any(|part| part.is_empty() || *part == "..");
    is_library.then_some(found)
}

/// The given paths grouped by crate (in [`CRATES`] order, each file once,
/// sorted), with the paths that are not library files apart.
fn group<'a>(
    paths: impl IntoIterator<Item = &'a str>,
) -> (Vec<(&'static Crate, Vec<String>)>, Vec<String>) {
    let mut by_crate: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut others = Vec::new();
    for path in paths {
        let path = path.strip_prefix("./").unwrap_or(path);
        match crate_of(path) {
            Some(found) => {
                let index = CRATES.iter().position(|c| c == found).unwrap_or(0);
                by_crate.entry(index).or_default().push(path.to_owned());
            }
            None => others.push(path.to_owned()),
        }
    }
    let grouped = by_crate
        .into_iter()
        .map(|(index, mut files)| {
            files.sort_unstable();
            files.dedup();
            (&CRATES[index], files)
        })
        .collect();
    (grouped, others)
}

/// The library files of the selection, grouped by crate.
fn select(selection: &Selection) -> Result<Vec<(&'static Crate, Vec<String>)>, String> {
    let root = cmd::workspace_root();
    match selection {
        Selection::Files(files) => {
            // Paths from the current directory (or absolute) when they
            // exist, else as given, from the workspace root.
            let canonical_root = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
            let relative: Vec<String> = files
                .iter()
                .map(|file| {
                    std::fs::canonicalize(file)
                        .ok()
                        .and_then(|p| {
                            p.strip_prefix(&canonical_root)
                                .ok()
                                .map(|p| p.to_string_lossy().into_owned())
                        })
                        .unwrap_or_else(|| file.clone())
                })
                .collect();
            let (grouped, others) = group(relative.iter().map(String::as_str));
            if !others.is_empty() {
                return Err(format!(
                    "not a library file of {}: {} (give paths from the workspace root, such as \
                     ipc-common/src/perm.rs; tests are not mutated)",
                    crate_dirs(),
                    others.join(", ")
                ));
            }
            if let Some(missing) = relative.iter().find(|f| !root.join(f).is_file()) {
                return Err(format!("{missing}: no such file"));
            }
            Ok(grouped)
        }
        Selection::All => {
            let mut files = Vec::new();
            for c in &CRATES {
                rust_files(&root, &root.join(c.dir).join("src"), &mut files)?;
            }
            Ok(group(files.iter().map(String::as_str)).0)
        }
        Selection::Since(rev) => {
            let git = |args: &[&str]| {
                let mut command = Command::new("git");
                command.args(args).current_dir(&root);
                cmd::output(&mut command)
                    .ok_or_else(|| format!("`{}` failed", cmd::display(&command)))
            };
            let base = git(&["merge-base", rev, "HEAD"]).map_err(|e| {
                format!("{e}: is {rev} a branch, tag or commit of this repository? (--since REV)")
            })?;
            let changed = git(&["diff", "--name-only", "--diff-filter=d", base.trim()])?;
            let untracked = git(&["ls-files", "--others", "--exclude-standard"])?;
            Ok(group(changed.lines().chain(untracked.lines())).0)
        }
    }
}

/// The crates' directories, for messages.
fn crate_dirs() -> String {
    let dirs: Vec<&str> = CRATES.iter().map(|c| c.dir).collect();
    dirs.join(", ")
}

/// Every `.rs` file under `dir`, as paths relative to `root`.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            rust_files(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            out.push(relative.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Runs `cargo xtask mutants` with its arguments.
pub(crate) fn run(args: &[&str]) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let options = parse(args, if cores <= 2 { 1 } else { 2 })?;
    let selected = select(&options.selection)?;
    if selected.is_empty() {
        let what = match &options.selection {
            Selection::Since(rev) => format!("no library file changed since {rev}"),
            _ => "no library file selected".to_owned(),
        };
        println!(
            "{what}: nothing to mutate (name files, or use --all; library files are the \
             src/**/*.rs of {})",
            crate_dirs()
        );
        return Ok(());
    }
    ensure_cargo_mutants(options.install)?;
    let started = Instant::now();
    let mut results: BTreeMap<String, FileOutcomes> = BTreeMap::new();
    for (found, files) in &selected {
        println!("==> mutating {} file(s) of {}", files.len(), found.package);
        let crate_started = Instant::now();
        let out = mutate(found, files, options.jobs)?;
        println!(
            "    {} in {:.0}s (results in {})",
            found.package,
            crate_started.elapsed().as_secs_f64(),
            out.display()
        );
        let root = cmd::workspace_root();
        for file in files {
            results.entry(file.clone()).or_default();
        }
        for kind in Kind::ALL {
            let path = out.join(kind.file_name());
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            tally(kind, &text, &mut results, |file| {
                std::fs::read_to_string(root.join(file)).ok()
            });
        }
    }
    print!("{}", report(&results));
    println!(
        "mutation testing took {:.0}s",
        started.elapsed().as_secs_f64()
    );
    let below: Vec<String> = results
        .iter()
        .filter_map(|(file, o)| {
            o.score()
                .filter(|&score| score < options.min_score)
                .map(|score| format!("{file} ({score:.0}%)"))
        })
        .collect();
    if below.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} file(s) below the minimum score of {}%: {} (see the missed mutants above: add \
             a test that fails for each, or exclude it in .cargo/mutants.toml with the reason)",
            below.len(),
            options.min_score,
            below.join(", ")
        ))
    }
}

/// Makes sure `cargo mutants` runs, installing it with cargo unless refused.
fn ensure_cargo_mutants(install: Install) -> Result<(), String> {
    if let Some(version) = cmd::output(&mut cmd::cargo(["mutants", "--version"])) {
        println!("    {}", version.trim());
        return Ok(());
    }
    if install == Install::Refused {
        return Err(format!(
            "cargo-mutants is not installed (--no-install: nothing was installed); install it \
             with `{INSTALL_COMMAND}`"
        ));
    }
    println!(
        "    installing cargo-mutants with `{INSTALL_COMMAND}`: cargo xtask mutants runs it \
         (a few minutes, once)"
    );
    cmd::run(&mut cmd::cargo(["install", "cargo-mutants", "--locked"]))
}

/// Runs cargo-mutants on `files` of `found`, returning its `mutants.out`.
fn mutate(found: &Crate, files: &[String], jobs: usize) -> Result<PathBuf, String> {
    let output = cmd::workspace_root()
        .join("target")
        .join("mutants")
        .join(found.package);
    std::fs::create_dir_all(&output)
        .map_err(|e| format!("cannot create {}: {e}", output.display()))?;
    // A run that finds no mutant writes no lists: never read an earlier
    // run's.
    let out = output.join("mutants.out");
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .map_err(|e| format!("cannot remove the previous {}: {e}", out.display()))?;
    }
    let mut command = cmd::cargo(["mutants", "--package", found.package]);
    for package in found.tests {
        command.args(["--test-package", package]);
    }
    command
        .args(["--all-features", "--jobs"])
        .arg(jobs.to_string())
        .args([
            "--minimum-test-timeout",
            MINIMUM_TEST_TIMEOUT,
            "--colors",
            "never",
        ])
        .arg("--output")
        .arg(&output);
    for file in files {
        command.arg("--file").arg(file);
    }
    // Builds stay in cargo-mutants' scratch copy, not in a target directory
    // the user pointed elsewhere.
    command.env_remove("CARGO_TARGET_DIR");
    let mut command = isolated(command);
    let shown = cmd::display(&command);
    println!("    $ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("could not run `{shown}`: {e}"))?;
    // cargo-mutants: 0 all caught, 2 some missed, 3 some timed out.
    match status.code() {
        Some(0 | 2 | 3) => Ok(out),
        Some(4) => Err(format!(
            "the tests of {} fail without any mutation, so mutants cannot be judged: fix them \
             first (log: {})",
            found.package,
            out.join("log").join("baseline.log").display()
        )),
        _ => Err(format!("`{shown}` failed ({status})")),
    }
}

/// The script that gives cargo-mutants its own `/dev/shm` and mqueue
/// filesystem inside the new namespaces, then runs the command after it.
const PRIVATE_MOUNTS: &str = "mount -t tmpfs -o mode=1777 tmpfs /dev/shm && mkdir -p /dev/mqueue \
                              && mount -t mqueue none /dev/mqueue && exec \"$@\"";

/// `command` in new IPC and mount namespaces with a private `/dev/shm` and
/// mqueue filesystem (`unshare`, as root): a mutant that breaks removal
/// makes objects by the thousand (one filled the machine's 32,000 message
/// queues), and they go with the namespace instead of filling this
/// machine's tables under other programs. Without root or `unshare`, the
/// command runs as it is, saying so.
fn isolated(command: Command) -> Command {
    if !(cfg!(target_os = "linux") && cmd::is_root() && cmd::in_path("unshare")) {
        println!(
            "    (not root, or no unshare: the mutants run in this machine's IPC namespace, \
             and objects a mutant leaks stay; `cargo xtask clean` removes those in the \
             test ranges)"
        );
        return command;
    }
    let mut wrapped = Command::new("unshare");
    wrapped
        .args(["--ipc", "--mount", "--propagation", "private", "sh", "-c"])
        .arg(PRIVATE_MOUNTS)
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

/// How cargo-mutants judged a mutant (one of its `*.txt` lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A test failed: the mutant was caught.
    Caught,
    /// Every test passed with the mutant in place.
    Missed,
    /// The tests did not finish in time (counted apart, as cargo-mutants
    /// does).
    Timeout,
    /// The mutant did not compile.
    Unviable,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Caught, Kind::Missed, Kind::Timeout, Kind::Unviable];

    fn file_name(self) -> &'static str {
        match self {
            Kind::Caught => "caught.txt",
            Kind::Missed => "missed.txt",
            Kind::Timeout => "timeout.txt",
            Kind::Unviable => "unviable.txt",
        }
    }
}

/// What happened to the mutants of one file.
#[derive(Debug, Default, PartialEq)]
struct FileOutcomes {
    caught: usize,
    /// The missed mutants, as cargo-mutants names them (`line:col: what`).
    missed: Vec<String>,
    timeout: usize,
    unviable: usize,
    /// Missed mutants in code not compiled on this machine.
    not_built: Vec<String>,
}

impl FileOutcomes {
    /// caught / (caught + missed), in percent; `None` without either.
    fn score(&self) -> Option<f64> {
        let judged = self.caught + self.missed.len();
        (judged > 0).then(|| 100.0 * self.caught as f64 / judged as f64)
    }
}

/// Adds one of cargo-mutants' lists (`path:line:col: description` per line)
/// to `results`. A missed mutant whose line is in code not compiled on this
/// machine (per `source`, which reads a file) counts as not built.
fn tally(
    kind: Kind,
    text: &str,
    results: &mut BTreeMap<String, FileOutcomes>,
    source: impl Fn(&str) -> Option<String>,
) {
    let mut sources: BTreeMap<String, Option<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (file, mutant) = line.split_once(':').unwrap_or((line, ""));
        let outcomes = results.entry(file.to_owned()).or_default();
        match kind {
            Kind::Caught => outcomes.caught += 1,
            Kind::Timeout => outcomes.timeout += 1,
            Kind::Unviable => outcomes.unviable += 1,
            Kind::Missed => {
                let line_number = mutant.split(':').next().and_then(|n| n.parse().ok());
                let text = sources
                    .entry(file.to_owned())
                    .or_insert_with(|| source(file));
                let built = match (text, line_number) {
                    (Some(text), Some(number)) => !cfg_excludes(text, number),
                    _ => true,
                };
                let name = mutant.trim().to_owned();
                if built {
                    outcomes.missed.push(name);
                } else {
                    outcomes.not_built.push(name);
                }
            }
        }
    }
}

/// The per-file table, then the missed mutants of each file.
fn report(results: &BTreeMap<String, FileOutcomes>) -> String {
    let width = results.keys().map(String::len).max().unwrap_or(4).max(4);
    let mut out = format!(
        "\n{:<width$}  caught  missed  timeout  unviable  not built  score\n",
        "file"
    );
    for (file, o) in results {
        let score = o
            .score()
            .map_or_else(|| "-".to_owned(), |s| format!("{s:.0}%"));
        let _ = writeln!(
            out,
            "{file:<width$}  {:>6}  {:>6}  {:>7}  {:>8}  {:>9}  {score:>5}",
            o.caught,
            o.missed.len(),
            o.timeout,
            o.unviable,
            o.not_built.len()
        );
    }
    for (file, o) in results {
        if !o.missed.is_empty() {
            let _ = writeln!(out, "\nmissed in {file} (no test failed with these):");
            for mutant in &o.missed {
                let _ = writeln!(out, "  {file}:{mutant}");
            }
        }
        if !o.not_built.is_empty() {
            let _ = writeln!(
                out,
                "\nnot built here in {file} (code for other systems; not scored):"
            );
            for mutant in &o.not_built {
                let _ = writeln!(out, "  {file}:{mutant}");
            }
        }
    }
    out.push('\n');
    out
}

/// Whether line `number` (1-based) of `source` is in code a `#[cfg(...)]`
/// leaves out on this machine: an attribute of the line's own statement,
/// match arm or item, or of an item around it, is false here. A guess from
/// indentation and single-line attributes (rustfmt's layout); in doubt, the
/// code counts as built.
fn cfg_excludes(source: &str, number: usize) -> bool {
    let lines: Vec<&str> = source.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let Some(mut at) = number.checked_sub(1).filter(|&i| i < lines.len()) else {
        return false;
    };
    loop {
        let level = indent(lines[at]);
        let own = lines[at].trim_start();
        let is_attribute = own.starts_with("#[") || own.starts_with("//");
        // The attributes and comments right above the line, at its level.
        let mut above = if is_attribute { 0 } else { at };
        while above > 0 {
            let line = lines[above - 1];
            let trimmed = line.trim_start();
            if indent(line) != level || !(trimmed.starts_with("#[") || trimmed.starts_with("//")) {
                break;
            }
            above -= 1;
            if let Some(predicate) = trimmed
                .strip_prefix("#[cfg(")
                .and_then(|rest| rest.strip_suffix(")]"))
                && cfg_holds(predicate) == Some(false)
            {
                return true;
            }
        }
        // The enclosing item or block: the nearest line above, less indented.
        let Some(mut outer) = (0..at)
            .rev()
            .find(|&i| !lines[i].trim().is_empty() && indent(lines[i]) < level)
        else {
            return false;
        };
        // The last line of a signature rustfmt split over several lines
        // (`) -> T {`, `where`, a lone `{`): go up to the line that starts it.
        let continues = |line: &str| {
            let t = line.trim_start();
            t.starts_with(')') || t.starts_with('{') || t.starts_with("where")
        };
        while continues(lines[outer]) {
            let level = indent(lines[outer]);
            match (0..outer)
                .rev()
                .find(|&i| !lines[i].trim().is_empty() && indent(lines[i]) <= level)
            {
                Some(start) => outer = start,
                None => return false,
            }
        }
        at = outer;
    }
}

/// Evaluates a `cfg` predicate for this machine: `Some(true)`/`Some(false)`,
/// or `None` when it names something this does not know (features, custom
/// cfgs), which then counts as true.
fn cfg_holds(predicate: &str) -> Option<bool> {
    let predicate = predicate.trim();
    for (op, combine) in [("not(", 0), ("any(", 1), ("all(", 2)] {
        if let Some(inner) = predicate
            .strip_prefix(op)
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let parts = split_top_level(inner);
            let values: Vec<Option<bool>> = parts.iter().map(|p| cfg_holds(p)).collect();
            return match combine {
                0 => values.first().copied().flatten().map(|v| !v),
                1 if values.contains(&Some(true)) => Some(true),
                1 => values.iter().all(Option::is_some).then_some(false),
                _ if values.contains(&Some(false)) => Some(false),
                _ => values.iter().all(Option::is_some).then_some(true),
            };
        }
    }
    let (key, value) = match predicate.split_once('=') {
        Some((key, value)) => (key.trim(), Some(value.trim().trim_matches('"'))),
        None => (predicate, None),
    };
    let here = |actual: &str| value.map(|v| v == actual);
    match key {
        "unix" => Some(cfg!(unix)),
        "windows" => Some(cfg!(windows)),
        "test" | "docsrs" | "miri" => Some(false),
        "target_os" => here(std::env::consts::OS),
        "target_family" => here(std::env::consts::FAMILY),
        "target_arch" => here(std::env::consts::ARCH),
        "target_vendor" => here(if cfg!(target_vendor = "apple") {
            "apple"
        } else if cfg!(target_vendor = "pc") {
            "pc"
        } else {
            "unknown"
        }),
        "target_env" => here(if cfg!(target_env = "gnu") {
            "gnu"
        } else if cfg!(target_env = "musl") {
            "musl"
        } else {
            ""
        }),
        "target_pointer_width" => here(&usize::BITS.to_string()),
        _ => None,
    }
}

/// `a, any(b, c), d` → `["a", "any(b, c)", "d"]`.
fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(list[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Result<Options, String> {
        parse(args, 1)
    }

    #[test]
    fn parses_the_selection_and_settings() {
        let default = options(&[]).unwrap();
        assert_eq!(default.selection, Selection::Since("main".to_owned()));
        assert_eq!((default.min_score, default.jobs), (90.0, 1));
        assert_eq!(default.install, Install::Allowed);
        let since = options(&["--since", "v1", "--min-score", "75%", "--jobs", "2"]).unwrap();
        assert_eq!(since.selection, Selection::Since("v1".to_owned()));
        assert_eq!((since.min_score, since.jobs), (75.0, 2));
        let all = options(&["--all", "--no-install"]).unwrap();
        assert_eq!(
            (all.selection, all.install),
            (Selection::All, Install::Refused)
        );
        let files = options(&["a.rs", "b.rs"]).unwrap();
        assert_eq!(
            files.selection,
            Selection::Files(vec!["a.rs".to_owned(), "b.rs".to_owned()])
        );
    }

    #[test]
    fn rejects_bad_options_with_a_reason() {
        for (args, says) in [
            (&["--all", "a.rs"][..], "choose one of"),
            (&["--since", "main", "--all"][..], "choose one of"),
            (&["--since"][..], "--since needs a revision"),
            (&["--min-score", "120"][..], "from 0 to 100"),
            (&["--min-score", "high"][..], "from 0 to 100"),
            (&["--jobs", "0"][..], "at least 1"),
            (&["--in-place"][..], "unknown option --in-place"),
        ] {
            let error = options(args).unwrap_err();
            assert!(error.contains(says), "{args:?}: {error}");
        }
    }

    #[test]
    fn library_files_are_the_crates_src_without_tests() {
        assert_eq!(crate_of("ipc-common/src/perm.rs"), Some(&CRATES[0]));
        assert_eq!(crate_of("./posix-ipc/src/mqueue/mod.rs"), Some(&CRATES[1]));
        assert_eq!(crate_of("ipc-inventory/src/scan.rs"), Some(&CRATES[3]));
        for path in [
            "ipc-common/tests/robust.rs",
            "ipc-common/src/tests.rs",
            "sysv-ipc/src/tests/helpers.rs",
            "sysv-ipc/src/bin/tool.rs",
            "ipc-common/src/README.md",
            "ipc-common/Cargo.toml",
            "posix-ipc-sys/src/lib.rs",
            "xtask/src/main.rs",
            "testkit/src/lib.rs",
            "bench/src/lib.rs",
            "python/posix_ipc/src/lib.rs",
            "ipc-common-extra/src/lib.rs",
            "ipc-common/src/../../xtask/src/main.rs",
        ] {
            assert_eq!(crate_of(path), None, "{path}");
        }
    }

    #[test]
    fn groups_by_crate_in_dependency_order() {
        let (grouped, others) = group([
            "sysv-ipc/src/key.rs",
            "README.md",
            "ipc-common/src/timeout.rs",
            "ipc-common/src/perm.rs",
            "./ipc-common/src/perm.rs",
        ]);
        assert_eq!(others, ["README.md"]);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].0.package, "ipc-common");
        assert_eq!(
            grouped[0].1,
            ["ipc-common/src/perm.rs", "ipc-common/src/timeout.rs"]
        );
        assert_eq!(grouped[1].0.package, "sysv-ipc");
    }

    #[test]
    fn all_selects_library_files_only() {
        let all = select(&Selection::All).unwrap();
        assert_eq!(all.len(), CRATES.len());
        for (found, files) in &all {
            assert!(!files.is_empty(), "{}", found.package);
            assert!(
                files.iter().all(|f| crate_of(f) == Some(found)),
                "{files:?}"
            );
        }
        let named = select(&Selection::Files(vec!["xtask/src/main.rs".to_owned()]));
        assert!(named.unwrap_err().contains("not a library file"));
        let absent = select(&Selection::Files(vec!["ipc-common/src/none.rs".to_owned()]));
        assert!(absent.unwrap_err().contains("no such file"));
    }

    /// Lists as cargo-mutants writes them, for two files; the last line of
    /// `a.rs` is in a function compiled on FreeBSD only.
    #[test]
    fn tallies_outcomes_per_file_and_sets_other_systems_apart() {
        let source = "fn f() {\n    1\n}\n\n#[cfg(target_os = \"freebsd\")]\nfn f() {\n    2\n}\n";
        let mut results = BTreeMap::new();
        let read = |file: &str| (file == "x/src/a.rs").then(|| source.to_owned());
        tally(
            Kind::Caught,
            "x/src/a.rs:2:5: replace f -> u32 with 0\nx/src/b.rs:9:1: replace g with ()\n",
            &mut results,
            read,
        );
        tally(
            Kind::Missed,
            "x/src/a.rs:2:5: replace f -> u32 with 1\nx/src/a.rs:7:5: replace f -> u32 with 0\n",
            &mut results,
            read,
        );
        tally(
            Kind::Timeout,
            "x/src/b.rs:3:1: replace h with ()\n",
            &mut results,
            read,
        );
        tally(
            Kind::Unviable,
            "x/src/b.rs:4:1: replace i -> T with Default::default()\n\n",
            &mut results,
            read,
        );
        let a = &results["x/src/a.rs"];
        assert_eq!(a.caught, 1);
        assert_eq!(a.missed, ["2:5: replace f -> u32 with 1"]);
        assert_eq!(a.not_built, ["7:5: replace f -> u32 with 0"]);
        assert_eq!(a.score(), Some(50.0));
        let b = &results["x/src/b.rs"];
        assert_eq!((b.caught, b.timeout, b.unviable), (1, 1, 1));
        assert_eq!(b.score(), Some(100.0));
        let table = report(&results);
        assert!(
            table.contains("x/src/a.rs       1       1        0         0          1    50%"),
            "{table}"
        );
        assert!(
            table.contains("x/src/b.rs       1       0        1         1          0   100%"),
            "{table}"
        );
        assert!(table.contains("missed in x/src/a.rs (no test failed with these):\n  x/src/a.rs:2:5: replace f -> u32 with 1\n"), "{table}");
        assert!(
            table.contains("  x/src/a.rs:7:5: replace f -> u32 with 0\n"),
            "{table}"
        );
        assert!(!table.contains("missed in x/src/b.rs"), "{table}");
    }

    #[test]
    fn scores_caught_over_caught_and_missed() {
        let mut o = FileOutcomes::default();
        assert_eq!(o.score(), None);
        o.timeout = 3;
        o.unviable = 2;
        assert_eq!(o.score(), None);
        o.caught = 9;
        assert_eq!(o.score(), Some(100.0));
        o.missed.push("1:1: m".to_owned());
        assert_eq!(o.score(), Some(90.0));
        o.not_built.push("2:1: n".to_owned());
        assert_eq!(o.score(), Some(90.0));
    }

    #[test]
    fn evaluates_cfg_predicates_for_this_machine() {
        // The mutants run where the tests run: x86_64 Linux with glibc.
        assert_eq!(cfg_holds("target_os = \"linux\""), Some(true));
        assert_eq!(cfg_holds("target_os = \"freebsd\""), Some(false));
        assert_eq!(cfg_holds("not(target_vendor = \"apple\")"), Some(true));
        assert_eq!(
            cfg_holds("any(target_os = \"macos\", target_os = \"linux\")"),
            Some(true)
        );
        assert_eq!(
            cfg_holds(
                "not(any(target_os = \"linux\", target_os = \"android\", target_os = \"freebsd\"))"
            ),
            Some(false)
        );
        assert_eq!(
            cfg_holds(
                "not(any(all(target_os = \"linux\", target_env = \"gnu\"), target_vendor = \"apple\"))"
            ),
            Some(false)
        );
        assert_eq!(
            cfg_holds("all(unix, target_pointer_width = \"64\")"),
            Some(true)
        );
        assert_eq!(cfg_holds("test"), Some(false));
        assert_eq!(cfg_holds("feature = \"tokio\""), None);
        assert_eq!(
            cfg_holds("any(feature = \"tokio\", target_os = \"linux\")"),
            Some(true)
        );
        assert_eq!(
            cfg_holds("all(feature = \"tokio\", target_os = \"macos\")"),
            Some(false)
        );
        assert_eq!(cfg_holds("not(feature = \"tokio\")"), None);
    }

    #[test]
    fn finds_code_left_out_by_cfg() {
        let source = "\
impl Q {
    #[cfg(target_os = \"freebsd\")]
    /// Doc.
    fn raw(&self) -> i32 {
        if self.0 {
            1
        } else {
            2
        }
    }

    fn size(&self) -> usize {
        match e {
            #[cfg(target_os = \"freebsd\")]
            libc::ENFILE => 1,
            _ => 2,
        }
    }

    #[cfg(target_os = \"linux\")]
    fn linux(&self) -> i32 {
        #[cfg(not(target_os = \"linux\"))]
        return 0;
        3
    }
}

#[cfg(target_os = \"freebsd\")]
fn split(
    a: i32,
) -> i32 {
    a
}
";
        let excluded: Vec<usize> = (1..=source.lines().count() + 1)
            .filter(|&n| cfg_excludes(source, n))
            .collect();
        assert_eq!(excluded, [4, 5, 6, 7, 8, 9, 15, 23, 29, 30, 32]);
    }
}
