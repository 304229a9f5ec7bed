//! `cargo xtask test [--no-install]`: every check CI runs, in order,
//! stopping at the first failure. To add a step, add an entry to [`steps`].
//!
//! The machine changes it makes (mounting the mqueue filesystem, `rustup
//! target add`, `apt-get install`) are each announced on a line saying what
//! and why. With `--no-install` it makes none: a step that needs a missing
//! piece is SKIPPED, naming the piece and the command that would install it,
//! and the summary lists it as skipped.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cmd;
use crate::ipcs;
use crate::python;
use crate::setup::{self, Install};
use crate::targets;

/// One named step of `cargo xtask test`.
struct Step {
    name: &'static str,
    run: fn(Install) -> Result<Outcome, String>,
}

/// How a step that did not fail went.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// It carried on, but something is missing (printed, and shown in the
    /// summary).
    Warning(String),
    /// It did not run: a piece it needs is missing and `--no-install` kept
    /// us from installing it (printed with the install command, and shown
    /// in the summary).
    Skipped(String),
}

/// The steps, in the order they run.
fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "mqueue filesystem",
            run: mount_mqueue,
        },
        Step {
            name: "rust targets and cross toolchains",
            run: toolchains,
        },
        Step {
            name: "rustfmt",
            run: |_| plain(cmd::cargo(["fmt", "--all", "--", "--check"])),
        },
        Step {
            name: "clippy",
            run: |_| {
                plain(cmd::cargo([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ]))
            },
        },
        Step {
            name: "bindings up to date",
            run: bindings,
        },
        Step {
            name: "python peers",
            run: |_| python_peers(),
        },
        Step {
            name: "python drop-ins",
            run: |_| match crate::python_dropins::run()? {
                Ok(report) => {
                    println!("    {report}");
                    Ok(Outcome::Ok)
                }
                Err(why) => Ok(Outcome::Warning(format!(
                    "{why}: the Python drop-ins and their upstream suites were SKIPPED"
                ))),
            },
        },
        Step {
            name: "tests x86_64-unknown-linux-gnu (with IPC leak check)",
            run: |_| leak_checked(run_all_tests),
        },
        Step {
            name: "tests x86_64-unknown-linux-musl (with IPC leak check)",
            run: |_| target_tests("x86_64-unknown-linux-musl"),
        },
        Step {
            name: "tests i686-unknown-linux-gnu (with IPC leak check)",
            run: |_| target_tests("i686-unknown-linux-gnu"),
        },
        Step {
            name: "tests aarch64-unknown-linux-gnu under qemu (with IPC leak check)",
            run: |_| target_tests(targets::EMULATED),
        },
        Step {
            name: "check, clippy and rustdoc for macOS and FreeBSD",
            run: |_| checked_targets(),
        },
        Step {
            name: "rustdoc",
            run: |_| {
                let mut doc = cmd::cargo(["doc", "--workspace", "--no-deps", "--all-features"]);
                doc.env("RUSTDOCFLAGS", "-D warnings");
                plain(doc)
            },
        },
        Step {
            name: "package",
            run: |_| package(),
        },
    ]
}

/// Runs every step, stopping at the first failure.
pub(crate) fn run(install: Install) -> Result<(), String> {
    let started = Instant::now();
    let steps = steps();
    let mut summary = Vec::new();
    let mut failure = None;
    let mut skipped = 0;
    for step in &steps {
        if failure.is_some() {
            summary.push(format!("{} not run", step.name));
            continue;
        }
        println!("==> {}", step.name);
        let step_started = Instant::now();
        let result = (step.run)(install);
        let took = seconds(step_started.elapsed());
        match result {
            Ok(Outcome::Ok) => {
                println!("    ok ({took})");
                summary.push(format!("{} ok", step.name));
            }
            Ok(Outcome::Warning(warning)) => {
                println!("    ok with warning ({took}): {warning}");
                summary.push(format!("{} warning", step.name));
            }
            Ok(Outcome::Skipped(why)) => {
                println!("    SKIPPED ({took}): {why}");
                summary.push(format!("{} SKIPPED", step.name));
                skipped += 1;
            }
            Err(message) => {
                println!("    FAILED ({took}): {message}");
                summary.push(format!("{} FAILED", step.name));
                failure = Some(format!("step `{}` failed: {message}", step.name));
            }
        }
    }
    println!(
        "xtask test {} in {}: {}",
        verdict(failure.is_some(), skipped),
        seconds(started.elapsed()),
        summary.join(", ")
    );
    failure.map_or(Ok(()), Err)
}

/// The summary's first word(s): a run with skipped steps is not simply "ok".
fn verdict(failed: bool, skipped: usize) -> String {
    match (failed, skipped) {
        (true, _) => "FAILED".to_owned(),
        (false, 0) => "ok".to_owned(),
        (false, n) => format!("ok but {n} step(s) SKIPPED"),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

fn plain(mut command: Command) -> Result<Outcome, String> {
    cmd::run(&mut command).map(|()| Outcome::Ok)
}

/// Makes sure the mqueue filesystem is mounted so the leak check sees POSIX
/// message queues: mounts it at `/dev/mqueue` if we may.
fn mount_mqueue(install: Install) -> Result<Outcome, String> {
    if let Some(dir) = ipcs::mqueue_dir() {
        println!("    mounted at {}", dir.display());
        return Ok(Outcome::Ok);
    }
    let cannot_see = "the leak check cannot see POSIX message queues";
    if install == Install::Refused {
        return Ok(Outcome::Skipped(format!(
            "the mqueue filesystem is not mounted and --no-install does not mount it, so \
             {cannot_see} (as root: mkdir -p {0} && mount -t mqueue none {0})",
            ipcs::MQUEUE_DIR
        )));
    }
    if !cmd::is_root() {
        return Ok(Outcome::Warning(format!(
            "the mqueue filesystem is not mounted and we are not root, so {cannot_see} \
             (as root: mkdir -p {0} && mount -t mqueue none {0})",
            ipcs::MQUEUE_DIR
        )));
    }
    println!(
        "    mounting the mqueue filesystem at {}: the leak check lists POSIX message queues \
         there",
        ipcs::MQUEUE_DIR
    );
    let mounted = std::fs::create_dir_all(ipcs::MQUEUE_DIR)
        .map_err(|e| format!("cannot create {}: {e}", ipcs::MQUEUE_DIR))
        .and_then(|()| {
            cmd::run(Command::new("mount").args(["-t", "mqueue", "none", ipcs::MQUEUE_DIR]))
        })
        .and_then(|()| {
            ipcs::mqueue_dir()
                .map(drop)
                .ok_or_else(|| "mount reported success but /proc/mounts lacks it".to_owned())
        });
    match mounted {
        Ok(()) => Ok(Outcome::Ok),
        Err(e) => Ok(Outcome::Warning(format!(
            "could not mount the mqueue filesystem ({e}), so {cannot_see}"
        ))),
    }
}

/// The Python interpreter of the interop tests, once `python_peers` ran:
/// `Ok(path)`, or why there is none.
static PYTHON: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();

/// Creates (or checks) the virtual environment with Python's `posix_ipc` and
/// `sysv_ipc`, for the interop tests.
fn python_peers() -> Result<Outcome, String> {
    let found = python::ensure_venv()?;
    let outcome = match &found {
        Ok(_) => Outcome::Ok,
        Err(why) => Outcome::Warning(format!(
            "{why}: the Python interop tests will be SKIPPED (install python3 and python3-venv)"
        )),
    };
    let _ = PYTHON.set(found);
    Ok(outcome)
}

/// The whole suite: the workspace's tests, then the Python interop tests (they
/// are `#[ignore]`d so that a plain `cargo test` without the venv reports them
/// as ignored, never as passed).
fn run_all_tests() -> Result<Option<String>, String> {
    cmd::run(&mut cmd::cargo(["test", "--workspace", "--all-features"]))?;
    match PYTHON.get() {
        Some(Ok(python)) => {
            let mut interop = cmd::cargo(["test", "--package", "interop", "--", "--ignored"]);
            interop.env(python::PYTHON_ENV, python);
            cmd::run(&mut interop)?;
            Ok(None)
        }
        Some(Err(why)) => Ok(Some(format!("Python interop tests SKIPPED: {why}"))),
        None => Ok(Some(
            "Python interop tests SKIPPED: the python peers step did not run".to_owned(),
        )),
    }
}

/// Adds the Rust targets and installs the cross toolchains that the musl,
/// i686 and aarch64 runs and the macOS/FreeBSD checks need (nothing when
/// they are there). With `--no-install`, only says what is missing: the
/// steps that need it are skipped.
fn toolchains(install: Install) -> Result<Outcome, String> {
    let mut requirements = setup::HEADERS.to_vec();
    requirements.extend(setup::CROSS);
    if install == Install::Refused {
        if let Some(missing) = setup::check(&requirements, &targets::all()) {
            return Ok(Outcome::Skipped(format!(
                "{missing} (--no-install: nothing was installed; the steps that need them \
                 are skipped)"
            )));
        }
    } else {
        let added = setup::ensure_rust_targets(&targets::all(), install)?;
        let installed = setup::ensure_packages(&requirements, install)?;
        if !(added.is_empty() && installed.is_empty()) {
            return Ok(Outcome::Ok);
        }
    }
    println!("    all there: {}", targets::all().join(" "));
    Ok(Outcome::Ok)
}

/// The committed bindings' check, skipped when `--no-install` leaves
/// libclang or a target's C headers missing.
fn bindings(install: Install) -> Result<Outcome, String> {
    if install == Install::Refused
        && let Some(missing) = crate::bindgen::missing()
    {
        return Ok(Outcome::Skipped(missing));
    }
    crate::bindgen::run(true, install).map(|()| Outcome::Ok)
}

/// The test suite on `target` with the leak check, skipped when its Rust
/// target, headers or cross tools are missing (which only `--no-install`
/// leaves so: otherwise the toolchains step installed them).
fn target_tests(target: &'static str) -> Result<Outcome, String> {
    match setup::check(&setup::requirements_of(target), &[target]) {
        Some(missing) => Ok(Outcome::Skipped(missing)),
        None => leak_checked(|| cross_tests(target)),
    }
}

/// The test suite of the crates that make sense on every Linux target, built
/// for `target` (natively run, or under qemu for aarch64), against the
/// machine's own glibc C and Python peers; then the Python interop tests.
fn cross_tests(target: &'static str) -> Result<Option<String>, String> {
    let crates = &targets::TESTED_CRATES;
    // Word sizes and C libraries differ here: what is a no-op conversion on
    // x86_64 glibc may truncate or fail to compile on this target.
    let mut lint = targets::cargo_for(
        "clippy",
        target,
        crates,
        &["--all-features", "--all-targets", "--", "-D", "warnings"],
    );
    cmd::run(&mut lint)?;
    let mut skip = Vec::new();
    if target == targets::EMULATED {
        println!("    SKIPPED under qemu, by name (they run on every native target):");
        for (name, why) in targets::SKIPPED_UNDER_QEMU {
            println!("      {name}: {why}");
        }
        for (file, why) in targets::SKIPPED_DOCTESTS_UNDER_QEMU {
            println!("      every doctest of {file}: {why}");
        }
        skip = targets::qemu_skip_args();
        // Exact names for the unit and integration tests, file names for
        // the doctests: two runs, as libtest's --exact applies to all skips.
        let mut tests = targets::cargo_for("test", target, crates, &["--all-features", "--tests"]);
        tests.arg("--").args(&skip);
        cmd::run(&mut tests)?;
        let mut doctests = targets::cargo_for("test", target, crates, &["--all-features", "--doc"]);
        doctests.arg("--").args(targets::qemu_doctest_skip_args());
        cmd::run(&mut doctests)?;
    } else {
        cmd::run(&mut targets::cargo_for(
            "test",
            target,
            crates,
            &["--all-features"],
        ))?;
    }
    match PYTHON.get() {
        Some(Ok(python)) => {
            let mut interop = targets::cargo_for("test", target, &["interop"], &[]);
            interop.arg("--").arg("--ignored").args(&skip);
            interop.env(python::PYTHON_ENV, python);
            cmd::run(&mut interop)?;
            Ok(None)
        }
        Some(Err(why)) => Ok(Some(format!("Python interop tests SKIPPED: {why}"))),
        None => Ok(Some(
            "Python interop tests SKIPPED: the python peers step did not run".to_owned(),
        )),
    }
}

/// `cargo check`, `cargo clippy -D warnings` and `cargo doc -D warnings` (all
/// features) of the crates users depend on, for macOS and FreeBSD: no C
/// headers, cross compiler or libclang involved. Every target of
/// `CHECKED_ALL_TARGETS`, the libraries of the others (their tests run on
/// Linux only).
fn checked_targets() -> Result<Outcome, String> {
    if let Some(missing) = setup::check(&[], &targets::CHECKED) {
        return Ok(Outcome::Skipped(missing));
    }
    let libs_only: Vec<&str> = targets::CHECKED_CRATES
        .into_iter()
        .filter(|c| !targets::CHECKED_ALL_TARGETS.contains(c))
        .collect();
    let groups: [(&[&str], &str); 2] = [
        (&targets::CHECKED_ALL_TARGETS, "--all-targets"),
        (&libs_only, "--lib"),
    ];
    for target in targets::CHECKED {
        for (crates, which) in groups {
            cmd::run(&mut targets::cargo_for(
                "check",
                target,
                crates,
                &["--all-features", which],
            ))?;
            cmd::run(&mut targets::cargo_for(
                "clippy",
                target,
                crates,
                &["--all-features", which, "--", "-D", "warnings"],
            ))?;
        }
        let crates = &targets::CHECKED_CRATES;
        let mut doc = targets::cargo_for("doc", target, crates, &["--all-features", "--no-deps"]);
        doc.env("RUSTDOCFLAGS", "-D warnings");
        cmd::run(&mut doc)?;
    }
    Ok(Outcome::Ok)
}

/// Runs `tests` between two snapshots of the IPC objects and fails if the
/// second has objects the first lacked.
fn leak_checked(tests: impl FnOnce() -> Result<Option<String>, String>) -> Result<Outcome, String> {
    let before = ipcs::snapshot()?;
    let tests = tests();
    let after = ipcs::snapshot()?;
    let leaks = ipcs::leaked(&before, &after);
    let leak_report = (!leaks.is_empty()).then(|| leak_report(&leaks));
    if let Some(report) = &leak_report {
        println!("{report}");
    }
    match (tests, leak_report) {
        (Err(e), None) => Err(e),
        (Err(e), Some(_)) => Err(format!(
            "{e}, and the tests left {} IPC object(s) behind (listed above)",
            leaks.len()
        )),
        (Ok(_), Some(_)) => Err(format!(
            "the tests left {} IPC object(s) behind (listed above)",
            leaks.len()
        )),
        (Ok(Some(skipped)), None) => {
            println!("    {skipped}");
            Ok(Outcome::Warning(skipped))
        }
        (Ok(None), None) if ipcs::mqueue_dir().is_none() => Ok(Outcome::Warning(
            "no leaks, but POSIX message queues were not checked (mqueue not mounted)".to_owned(),
        )),
        (Ok(None), None) => Ok(Outcome::Ok),
    }
}

fn leak_report(leaks: &[ipcs::Object]) -> String {
    let mut report = format!(
        "    IPC objects created during the tests and still present ({}):\n",
        leaks.len()
    );
    for object in leaks {
        let note = if object.is_ours() {
            ""
        } else {
            "  (outside this project's naming convention)"
        };
        let _ = writeln!(report, "      {object}{note}");
    }
    report.push_str(
        "    Every test must remove what it creates, even when it fails (use a guard).\n    \
         Remove them with `cargo xtask clean`",
    );
    if leaks.iter().any(|object| !object.is_ours()) {
        let _ = write!(
            report,
            " (it only removes this project's objects: POSIX names /ipcrs*, SysV keys \
             0x{:04X}xxxx; the others were made by a test that breaks that naming convention \
             or by another process running at the same time)",
            ipcs::SYSV_KEY_PREFIX
        );
    }
    report.push('.');
    report
}

/// `cargo package` for every publishable member, then each package unpacked
/// on its own, outside the workspace, built and its tests compiled: what a
/// user of crates.io gets. `--workspace` packages the members in dependency
/// order and resolves the not-yet-published local path dependencies
/// (posix-ipc-sys, ipc-common) itself (checked with cargo 1.95), but it also
/// packages `publish = false` members, so those are excluded.
fn package() -> Result<Outcome, String> {
    let mut args: Vec<String> = ["package", "--workspace", "--no-verify", "--allow-dirty"]
        .map(String::from)
        .into();
    for name in unpublished_members()? {
        args.push("--exclude".to_owned());
        args.push(name);
    }
    cmd::run(&mut cmd::cargo(args))?;
    check_unpacked(&published_members()?).map(|()| Outcome::Ok)
}

/// Unpacks the `.crate` of every package in `names` into a scratch folder
/// outside the workspace, and runs `cargo build` and `cargo test --no-run
/// --all-features` in each, with the not-yet-published sibling packages
/// patched in from their unpacked copies. Offline: the dependencies are those
/// the workspace build already fetched, at the versions of each package's
/// `Cargo.lock`.
fn check_unpacked(names: &[String]) -> Result<(), String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cmd::workspace_root().join("target"));
    let packages = target.join("package");
    let scratch = std::env::temp_dir().join(format!("ipc-rs-packages-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let mut unpacked = Vec::new();
    for name in names {
        let file = newest_crate_file(&packages, name)?;
        cmd::run(
            Command::new("tar")
                .arg("xzf")
                .arg(&file)
                .arg("-C")
                .arg(&scratch),
        )?;
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        unpacked.push((name.clone(), scratch.join(stem)));
    }
    let mut patches = Vec::new();
    for (name, dir) in &unpacked {
        patches.push("--config".to_owned());
        patches.push(format!(
            "patch.crates-io.{name}.path={:?}",
            dir.display().to_string()
        ));
    }
    let result = unpacked.iter().try_for_each(|(_, dir)| {
        for step in [&["build"][..], &["test", "--no-run", "--all-features"][..]] {
            let mut command = cmd::cargo(step.iter().copied());
            command
                .args(["--offline", "--quiet"])
                .args(&patches)
                .current_dir(dir)
                .env("CARGO_TARGET_DIR", scratch.join("target"));
            cmd::run(&mut command)?;
        }
        Ok::<(), String>(())
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// The newest `target/package/<name>-<version>.crate`.
fn newest_crate_file(packages: &Path, name: &str) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(packages)
        .map_err(|e| format!("cannot list {}: {e}", packages.display()))?;
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            file.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|rest| {
                    rest.starts_with(|c: char| c.is_ascii_digit()) && rest.ends_with(".crate")
                })
        })
        .max_by_key(|entry| entry.metadata().and_then(|m| m.modified()).ok())
        .map(|entry| entry.path())
        .ok_or_else(|| format!("no {name}-<version>.crate in {}", packages.display()))
}

/// The names of the workspace members that may be published.
fn published_members() -> Result<Vec<String>, String> {
    Ok(member_manifests()?
        .iter()
        .filter_map(|text| package_name(text).filter(|_| unpublished_package_name(text).is_none()))
        .collect())
}

/// The text of every workspace member's manifest.
fn member_manifests() -> Result<Vec<String>, String> {
    let mut metadata = cmd::cargo(["metadata", "--no-deps", "--format-version", "1"]);
    let json = cmd::output(&mut metadata)
        .ok_or_else(|| format!("`{}` failed", cmd::display(&metadata)))?;
    json_string_values(&json, "manifest_path")
        .into_iter()
        .map(|manifest| {
            std::fs::read_to_string(manifest).map_err(|e| format!("cannot read {manifest}: {e}"))
        })
        .collect()
}

/// The `name` of a manifest's `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line: String = line.split('#').next()?.split_whitespace().collect();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let Some(value) = line.strip_prefix("name=").filter(|_| in_package) {
            return Some(value.trim_matches(['"', '\'']).to_owned());
        }
    }
    None
}

/// The names of the workspace members whose manifest says `publish = false`.
fn unpublished_members() -> Result<Vec<String>, String> {
    Ok(member_manifests()?
        .iter()
        .filter_map(|text| unpublished_package_name(text))
        .collect())
}

/// Every string value of `"key":"…"` in `cargo metadata` output (enough for
/// `manifest_path`, which only packages have; paths with `"` or `\` are not
/// supported).
fn json_string_values<'a>(json: &'a str, key: &str) -> Vec<&'a str> {
    let pattern = format!("\"{key}\":\"");
    json.match_indices(&pattern)
        .filter_map(|(at, _)| {
            let rest = &json[at + pattern.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The package name of a manifest whose `[package]` table says
/// `publish = false` (or `publish = []`), else `None`.
fn unpublished_package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    let mut name = None;
    let mut unpublished = false;
    for line in manifest.lines() {
        let line: String = line.split('#').next()?.split_whitespace().collect();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some(value) = line.strip_prefix("name=") {
            name = Some(value.trim_matches(['"', '\'']).to_owned());
        } else if line == "publish=false" || line == "publish=[]" {
            unpublished = true;
        }
    }
    if unpublished { name } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unpublished_packages() {
        let xtask = "[package]\nname = \"xtask\"\nversion = \"0.0.0\"\npublish = false # never\n\n[dependencies]\n";
        assert_eq!(unpublished_package_name(xtask), Some("xtask".to_owned()));
        let lib = "[package]\nname = \"posix-ipc\"\nversion.workspace = true\n\n[dependencies]\npublish = false\n";
        assert_eq!(unpublished_package_name(lib), None);
        let empty = "[package]\nname='gen'\npublish=[]\n";
        assert_eq!(unpublished_package_name(empty), Some("gen".to_owned()));
    }

    #[test]
    fn excludes_exactly_the_unpublished_members_of_this_workspace() {
        let names = unpublished_members().unwrap();
        assert!(names.iter().any(|n| n == "xtask"), "{names:?}");
        let published = published_members().unwrap();
        for name in [
            "ipc-common",
            "posix-ipc-sys",
            "posix-ipc-rs",
            "sysv-ipc",
            "ipc-inventory",
            "ipc-tool",
        ] {
            assert!(!names.iter().any(|n| n == name), "{names:?}");
            assert!(published.iter().any(|n| n == name), "{published:?}");
        }
        assert!(!published.iter().any(|n| n == "xtask"), "{published:?}");
    }

    #[test]
    fn extracts_manifest_paths() {
        let json = r#"{"packages":[{"name":"a","dependencies":[{"name":"libc","path":"/x"}],"manifest_path":"/w/a/Cargo.toml","publish":null},{"name":"b","manifest_path":"/w/b/Cargo.toml","publish":[]}]}"#;
        assert_eq!(
            json_string_values(json, "manifest_path"),
            ["/w/a/Cargo.toml", "/w/b/Cargo.toml"]
        );
    }

    #[test]
    fn skipped_steps_show_in_the_verdict() {
        assert_eq!(verdict(false, 0), "ok");
        assert_eq!(verdict(false, 2), "ok but 2 step(s) SKIPPED");
        assert_eq!(verdict(true, 2), "FAILED");
    }

    /// A target whose Rust standard library is missing is skipped, naming
    /// the command that adds it, before anything is built.
    #[test]
    fn a_missing_target_skips_its_tests() {
        let target = "x86_64-ipcrs-none";
        match target_tests(target) {
            Ok(Outcome::Skipped(why)) => {
                assert!(
                    why.contains(&format!("`rustup target add {target}`")),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_steps_have_distinct_names() {
        let steps = steps();
        let mut names: Vec<_> = steps.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), steps.len());
    }

    #[test]
    fn leak_report_lists_objects_and_suggests_clean() {
        let leaks = [
            ipcs::Object::Posix("/dev/shm/ipcrs-a".into()),
            ipcs::Object::Sysv {
                kind: ipcs::SysvKind::Sem,
                key: 0x1C5A_0003,
                id: 4,
            },
        ];
        let report = leak_report(&leaks);
        assert!(report.contains("      /dev/shm/ipcrs-a\n"), "{report}");
        assert!(
            report.contains("      sysv sem key=0x1c5a0003 id=4\n"),
            "{report}"
        );
        assert!(report.contains("cargo xtask clean"), "{report}");
        assert!(!report.contains("naming convention"), "{report}");
        let foreign = [ipcs::Object::Posix("/dev/shm/other".into())];
        let report = leak_report(&foreign);
        assert!(
            report.contains("      /dev/shm/other  (outside this project's naming convention)\n"),
            "{report}"
        );
    }
}

/// PORTING.md names every public name of the two Python packages, as listed
/// in the reference inventories of posix_ipc 1.3.2 and sysv_ipc 1.2.0.
#[cfg(test)]
mod porting_guide {
    const POSIX_IPC: &[&str] = &[
        "BusyError",
        "Error",
        "ExistentialError",
        "MESSAGE_QUEUES_SUPPORTED",
        "MessageQueue",
        "O_CREAT",
        "O_CREX",
        "O_EXCL",
        "O_NONBLOCK",
        "O_RDONLY",
        "O_RDWR",
        "O_TRUNC",
        "O_WRONLY",
        "PAGE_SIZE",
        "PermissionsError",
        "QUEUE_MESSAGES_MAX_DEFAULT",
        "QUEUE_MESSAGE_SIZE_MAX_DEFAULT",
        "QUEUE_PRIORITY_MAX",
        "SEMAPHORE_TIMEOUT_SUPPORTED",
        "SEMAPHORE_VALUE_MAX",
        "SEMAPHORE_VALUE_SUPPORTED",
        "Semaphore",
        "SharedMemory",
        "SignalError",
        "USER_SIGNAL_MAX",
        "USER_SIGNAL_MIN",
        "VERSION",
        "__author__",
        "__copyright__",
        "__enter__",
        "__exit__",
        "__license__",
        "__version__",
        "acquire",
        "block",
        "close",
        "close_fd",
        "current_messages",
        "fd",
        "fileno",
        "max_messages",
        "max_message_size",
        "mode",
        "mqd",
        "name",
        "read_only",
        "receive",
        "release",
        "request_notification",
        "send",
        "size",
        "unlink",
        "unlink_message_queue",
        "unlink_semaphore",
        "unlink_shared_memory",
        "value",
    ];
    const SYSV_IPC: &[&str] = &[
        "BusyError",
        "Error",
        "ExistentialError",
        "IPC_CREAT",
        "IPC_CREX",
        "IPC_EXCL",
        "IPC_NOWAIT",
        "IPC_PRIVATE",
        "InternalError",
        "KEY_MAX",
        "KEY_MIN",
        "MSG_NOERROR",
        "MessageQueue",
        "NotAttachedError",
        "PAGE_SIZE",
        "PermissionsError",
        "SEMAPHORE_TIMEOUT_SUPPORTED",
        "SEMAPHORE_VALUE_MAX",
        "SEM_UNDO",
        "SHM_EXEC",
        "SHM_HUGETLB",
        "SHM_NORESERVE",
        "SHM_RDONLY",
        "SHM_REMAP",
        "SHM_RND",
        "Semaphore",
        "SharedMemory",
        "VERSION",
        "Z",
        "__author__",
        "__copyright__",
        "__enter__",
        "__exit__",
        "__license__",
        "__version__",
        "acquire",
        "address",
        "attach",
        "attached",
        "block",
        "cgid",
        "creator_pid",
        "cuid",
        "current_messages",
        "detach",
        "ftok",
        "get_random_key",
        "gid",
        "id",
        "key",
        "last_attach_time",
        "last_change_time",
        "last_detach_time",
        "last_pid",
        "last_receive_pid",
        "last_receive_time",
        "last_send_pid",
        "last_send_time",
        "max_size",
        "mode",
        "number_attached",
        "o_time",
        "read",
        "receive",
        "release",
        "remove",
        "remove_message_queue",
        "remove_semaphore",
        "remove_shared_memory",
        "send",
        "size",
        "uid",
        "undo",
        "value",
        "waiting_for_nonzero",
        "waiting_for_zero",
        "write",
    ];

    /// Whether `text` has `name` as a whole word (between non-identifier
    /// characters).
    fn mentions(text: &str, name: &str) -> bool {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        text.match_indices(name).any(|(at, _)| {
            !text[..at].ends_with(ident) && !text[at + name.len()..].starts_with(ident)
        })
    }

    #[test]
    fn porting_guide_names_every_python_name() {
        let path = crate::cmd::workspace_root().join("PORTING.md");
        let guide = std::fs::read_to_string(&path).unwrap();
        let missing: Vec<String> = [("posix_ipc", POSIX_IPC), ("sysv_ipc", SYSV_IPC)]
            .iter()
            .flat_map(|(module, names)| {
                let section = guide
                    .split(&format!("## {module}, name by name"))
                    .nth(1)
                    .unwrap_or("");
                let section = section.split("\n## ").next().unwrap_or("");
                names
                    .iter()
                    .filter(|name| !mentions(section, name))
                    .map(move |name| format!("{module}.{name}"))
            })
            .collect();
        assert!(missing.is_empty(), "PORTING.md does not map: {missing:?}");
    }

    /// Where the reference inventories sit beside the workspace (the team's
    /// shared folder), every name listed here is one of theirs.
    #[test]
    fn the_names_come_from_the_inventories() {
        let reference = crate::cmd::workspace_root().join("../shared/reference");
        for (file, names) in [("posix_ipc.md", POSIX_IPC), ("sysv_ipc.md", SYSV_IPC)] {
            let Ok(inventory) = std::fs::read_to_string(reference.join(file)) else {
                continue;
            };
            for name in names {
                assert!(mentions(&inventory, name), "{name} is not in {file}");
            }
        }
    }

    #[test]
    fn mentions_whole_words_only() {
        assert!(mentions("`Z(timeout)`", "Z"));
        assert!(!mentions("`SHM_RND`", "SHM_R"));
        assert!(!mentions("`last_pid`", "pid"));
    }
}
