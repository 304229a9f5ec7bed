//! What `cargo xtask test` and `cargo xtask bindgen` need on the machine
//! beyond Rust itself: the extra Rust targets (rustup) and the Debian packages
//! for the C headers, cross linkers, the 32-bit runtime and qemu. Each is
//! checked first, so a prepared machine installs nothing and pays a few
//! `stat`s; what is missing is installed in one `apt-get` call (as root),
//! after one line per package or target saying what and why. With
//! `--no-install` ([`Install::Refused`]) nothing is installed: [`check`] names
//! what is missing and the command that would install it, and the steps that
//! need it are skipped.

use std::path::Path;
use std::process::Command;

use crate::cmd;
use crate::targets;

/// Whether xtask may change the machine (`apt-get install`, `rustup target
/// add`, `mount`); `--no-install` refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Install {
    /// Install (and mount) what is missing, saying what and why first.
    Allowed,
    /// Change nothing; what needs a missing piece is skipped or refused.
    Refused,
}

impl Install {
    /// `Refused` when `flags` has `--no-install`.
    pub(crate) fn from_flags(flags: &[&str]) -> Install {
        if flags.contains(&"--no-install") {
            Install::Refused
        } else {
            Install::Allowed
        }
    }
}

/// Something the machine must have, and the Debian package that provides it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Requirement {
    /// A program in `PATH` (no `/`) or a file that must exist.
    pub(crate) needs: &'static str,
    /// The Debian package that provides it.
    pub(crate) package: &'static str,
    /// What it is for, printed when it gets installed.
    pub(crate) why: &'static str,
    /// The Rust target whose tests (or bindings) need it.
    pub(crate) target: &'static str,
}

impl Requirement {
    fn is_met(&self) -> bool {
        if self.needs.contains('/') {
            Path::new(self.needs).exists()
        } else {
            cmd::in_path(self.needs)
        }
    }
}

/// The C library headers the committed bindings are generated from
/// (`cargo xtask bindgen`).
pub(crate) const HEADERS: [Requirement; 3] = [
    Requirement {
        needs: "/usr/aarch64-linux-gnu/include/semaphore.h",
        package: "libc6-dev-arm64-cross",
        why: "aarch64 glibc headers and libraries (bindings; linking aarch64 tests)",
        target: "aarch64-unknown-linux-gnu",
    },
    Requirement {
        needs: "/usr/i686-linux-gnu/include/semaphore.h",
        package: "libc6-dev-i386-cross",
        why: "i686 glibc headers and libraries (bindings; linking i686 tests)",
        target: "i686-unknown-linux-gnu",
    },
    Requirement {
        needs: "/usr/include/x86_64-linux-musl/semaphore.h",
        package: "musl-dev",
        why: "musl headers (bindings)",
        target: "x86_64-unknown-linux-musl",
    },
];

/// What running the test suite on musl, i686 and aarch64 needs beyond the
/// headers. Debian's `gcc-multilib` would give i686 too, but it conflicts
/// with the cross compilers, so i686 uses its own cross gcc and the `i386`
/// runtime libraries; qemu comes without `qemu-user-binfmt`, which would
/// register it with the kernel for the whole machine.
pub(crate) const CROSS: [Requirement; 6] = [
    Requirement {
        needs: "musl-gcc",
        package: "musl-tools",
        why: "x86_64-unknown-linux-musl: the C compiler of posix-ipc-sys's C-comparison test",
        target: "x86_64-unknown-linux-musl",
    },
    Requirement {
        needs: "i686-linux-gnu-gcc",
        package: "gcc-i686-linux-gnu",
        why: "i686-unknown-linux-gnu: linker and C compiler (co-installs with the aarch64 one)",
        target: "i686-unknown-linux-gnu",
    },
    Requirement {
        needs: "/lib/ld-linux.so.2",
        package: "libc6-i386",
        why: "i686-unknown-linux-gnu: the 32-bit C library that runs the test binaries",
        target: "i686-unknown-linux-gnu",
    },
    Requirement {
        needs: "/usr/lib32/libgcc_s.so.1",
        package: "lib32gcc-s1",
        why: "i686-unknown-linux-gnu: libgcc_s, which Rust's 32-bit std unwinds with",
        target: "i686-unknown-linux-gnu",
    },
    Requirement {
        needs: "aarch64-linux-gnu-gcc",
        package: "gcc-aarch64-linux-gnu",
        why: "aarch64-unknown-linux-gnu: linker and C compiler",
        target: "aarch64-unknown-linux-gnu",
    },
    Requirement {
        needs: "qemu-aarch64",
        package: "qemu-user",
        why: "aarch64-unknown-linux-gnu: runs the test binaries under emulation",
        target: "aarch64-unknown-linux-gnu",
    },
];

/// The requirements of `target`'s test run: its headers and cross tools.
pub(crate) fn requirements_of(target: &str) -> Vec<Requirement> {
    HEADERS
        .iter()
        .chain(&CROSS)
        .filter(|r| r.target == target)
        .copied()
        .collect()
}

/// The command that installs `packages` on Debian/Ubuntu.
fn apt_get_command(packages: &[&str]) -> String {
    format!(
        "sudo apt-get install --no-install-recommends {}",
        packages.join(" ")
    )
}

/// What is missing, and the commands that would install it: one clause for
/// the packages, one for the Rust targets; `None` when nothing is.
fn missing_report(packages: &[&Requirement], rust_targets: &[&str]) -> Option<String> {
    let mut clauses = Vec::new();
    if !packages.is_empty() {
        let needs: Vec<String> = packages
            .iter()
            .map(|r| format!("{} (package {})", r.needs, r.package))
            .collect();
        clauses.push(format!(
            "missing {}: install with `{}`",
            needs.join(", "),
            apt_get_command(&package_names(packages))
        ));
    }
    if !rust_targets.is_empty() {
        clauses.push(format!(
            "missing the Rust target(s) {0}: add with `rustup target add {0}`",
            rust_targets.join(" ")
        ));
    }
    (!clauses.is_empty()).then(|| clauses.join("; "))
}

/// The packages of `requirements`, sorted, each once.
fn package_names(requirements: &[&Requirement]) -> Vec<&'static str> {
    let mut packages: Vec<&'static str> = requirements.iter().map(|r| r.package).collect();
    packages.sort_unstable();
    packages.dedup();
    packages
}

/// Whether the machine has what `requirements` and `rust_targets` name:
/// `None`, or what is missing and the commands that would install it.
/// Installs nothing.
pub(crate) fn check(requirements: &[Requirement], rust_targets: &[&str]) -> Option<String> {
    let packages: Vec<&Requirement> = requirements.iter().filter(|r| !r.is_met()).collect();
    let targets = missing_rust_targets(rust_targets);
    missing_report(&packages, &targets)
}

/// Installs the packages of the `requirements` that are not met, with one
/// `apt-get update` and one `apt-get install --no-install-recommends`, as
/// root, after one line per package saying what and why. Returns the
/// packages installed (empty when all were there). With `Install::Refused`,
/// a missing package is an error naming it and the install command.
pub(crate) fn ensure_packages(
    requirements: &[Requirement],
    install: Install,
) -> Result<Vec<&'static str>, String> {
    let missing: Vec<&Requirement> = requirements.iter().filter(|r| !r.is_met()).collect();
    let Some(report) = missing_report(&missing, &[]) else {
        return Ok(Vec::new());
    };
    if install == Install::Refused {
        return Err(format!("{report} (--no-install: nothing was installed)"));
    }
    if !(cmd::is_root() && cmd::in_path("apt-get")) {
        return Err(format!("{report} (as root on Debian/Ubuntu)"));
    }
    for r in &missing {
        println!(
            "    installing {} with apt-get: {} (needs {})",
            r.package, r.why, r.needs
        );
    }
    let packages = package_names(&missing);
    cmd::run(
        Command::new("apt-get")
            .args(["update", "-qq"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    cmd::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if let Some(still) = requirements.iter().find(|r| !r.is_met()) {
        return Err(format!(
            "{} is still missing after installing {}",
            still.needs, still.package
        ));
    }
    Ok(packages)
}

/// The `targets` whose standard library the active toolchain lacks (asking
/// rustup, or looking in the sysroot when rustup is not there).
fn missing_rust_targets<'a>(targets: &[&'a str]) -> Vec<&'a str> {
    let installed = cmd::output(Command::new("rustup").args(["target", "list", "--installed"]));
    targets
        .iter()
        .copied()
        .filter(|t| match &installed {
            Some(list) => !list.lines().any(|l| l.trim() == *t),
            None => !sysroot_has(t),
        })
        .collect()
}

/// Adds the Rust `targets` that rustup has not installed yet, after one line
/// per target saying why. Returns the ones added. With `Install::Refused`, a
/// missing target is an error naming it and the command that adds it.
pub(crate) fn ensure_rust_targets(
    targets: &[&'static str],
    install: Install,
) -> Result<Vec<&'static str>, String> {
    let missing = missing_rust_targets(targets);
    let Some(report) = missing_report(&[], &missing) else {
        return Ok(Vec::new());
    };
    if install == Install::Refused {
        return Err(format!("{report} (--no-install: nothing was installed)"));
    }
    if !cmd::in_path("rustup") {
        return Err(format!(
            "{report}: rustup is not available, so install their standard library for this \
             toolchain another way"
        ));
    }
    for target in &missing {
        println!(
            "    adding Rust target {target} with rustup: {}",
            targets::purpose(target)
        );
    }
    cmd::run(
        Command::new("rustup")
            .args(["target", "add"])
            .args(&missing),
    )?;
    Ok(missing)
}

/// Whether the active toolchain's sysroot has the standard library of
/// `target` (for toolchains not managed by rustup).
fn sysroot_has(target: &str) -> bool {
    cmd::output(Command::new("rustc").args(["--print", "sysroot"])).is_some_and(|root| {
        Path::new(root.trim())
            .join("lib/rustlib")
            .join(target)
            .exists()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_name_programs_or_absolute_paths() {
        for r in HEADERS.iter().chain(&CROSS) {
            assert!(
                r.needs.starts_with('/') || !r.needs.contains('/'),
                "{}",
                r.needs
            );
            assert!(!r.package.is_empty() && !r.why.is_empty());
        }
    }

    #[test]
    fn a_present_program_or_file_is_met() {
        let sh = requirement("sh", "dash");
        let root = requirement("/", "base-files");
        let absent = requirement("/nonexistent/ipcrs-xtask-test", "none");
        assert!(sh.is_met() && root.is_met());
        assert!(!absent.is_met());
        for install in [Install::Allowed, Install::Refused] {
            assert_eq!(
                ensure_packages(&[sh, root], install).unwrap(),
                Vec::<&str>::new()
            );
        }
        assert_eq!(check(&[sh, root], &[]), None);
    }

    fn requirement(needs: &'static str, package: &'static str) -> Requirement {
        Requirement {
            needs,
            package,
            why: "a test",
            target: "x86_64-unknown-linux-gnu",
        }
    }

    /// With --no-install, a missing package is refused (never installed),
    /// and the message names it and the command that installs it.
    #[test]
    fn refused_installs_name_the_missing_piece_and_the_command() {
        let absent = requirement("/nonexistent/ipcrs-xtask-test", "ipcrs-none");
        let error = ensure_packages(&[absent], Install::Refused).unwrap_err();
        assert!(
            error.contains("/nonexistent/ipcrs-xtask-test (package ipcrs-none)"),
            "{error}"
        );
        assert!(
            error.contains("`sudo apt-get install --no-install-recommends ipcrs-none`"),
            "{error}"
        );
        assert!(error.contains("--no-install"), "{error}");
        let checked = check(&[absent], &[]).unwrap();
        assert!(error.starts_with(&checked), "{checked} / {error}");
    }

    #[test]
    fn the_report_lists_packages_once_and_targets() {
        let a = requirement("a-gcc", "gcc-a");
        let b = requirement("/usr/a/lib.so", "gcc-a");
        let c = requirement("c-run", "c-runtime");
        assert_eq!(missing_report(&[], &[]), None);
        assert_eq!(
            missing_report(&[&a, &b, &c], &["t1", "t2"]).unwrap(),
            "missing a-gcc (package gcc-a), /usr/a/lib.so (package gcc-a), c-run (package \
             c-runtime): install with `sudo apt-get install --no-install-recommends c-runtime \
             gcc-a`; missing the Rust target(s) t1 t2: add with `rustup target add t1 t2`"
        );
        assert_eq!(
            missing_report(&[], &["t1"]).unwrap(),
            "missing the Rust target(s) t1: add with `rustup target add t1`"
        );
    }

    #[test]
    fn each_tested_target_has_its_requirements() {
        for target in targets::NATIVE.into_iter().chain([targets::EMULATED]) {
            assert!(!requirements_of(target).is_empty(), "{target}");
        }
        let all: usize = targets::all()
            .iter()
            .map(|t| requirements_of(t).len())
            .sum();
        assert_eq!(all, HEADERS.len() + CROSS.len());
        assert!(requirements_of("x86_64-unknown-linux-gnu").is_empty());
    }

    #[test]
    fn no_install_is_read_from_the_flags() {
        assert_eq!(Install::from_flags(&[]), Install::Allowed);
        assert_eq!(Install::from_flags(&["--check"]), Install::Allowed);
        assert_eq!(
            Install::from_flags(&["--check", "--no-install"]),
            Install::Refused
        );
    }
}
