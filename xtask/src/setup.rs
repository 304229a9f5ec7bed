//! What `cargo xtask test` and `cargo xtask bindgen` need on the machine
//! beyond Rust itself: the extra Rust targets (rustup) and the Debian packages
//! for the C headers, cross linkers, the 32-bit runtime and qemu. Each is
//! checked first, so a prepared machine installs nothing and pays a few
//! `stat`s; what is missing is installed in one `apt-get` call (as root),
//! saying what and why.

use std::path::Path;
use std::process::Command;

use crate::cmd;

/// Something the machine must have, and the Debian package that provides it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Requirement {
    /// A program in `PATH` (no `/`) or a file that must exist.
    pub(crate) needs: &'static str,
    /// The Debian package that provides it.
    pub(crate) package: &'static str,
    /// What it is for, printed when it gets installed.
    pub(crate) why: &'static str,
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
    },
    Requirement {
        needs: "/usr/i686-linux-gnu/include/semaphore.h",
        package: "libc6-dev-i386-cross",
        why: "i686 glibc headers and libraries (bindings; linking i686 tests)",
    },
    Requirement {
        needs: "/usr/include/x86_64-linux-musl/semaphore.h",
        package: "musl-dev",
        why: "musl headers (bindings)",
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
    },
    Requirement {
        needs: "i686-linux-gnu-gcc",
        package: "gcc-i686-linux-gnu",
        why: "i686-unknown-linux-gnu: linker and C compiler (co-installs with the aarch64 one)",
    },
    Requirement {
        needs: "/lib/ld-linux.so.2",
        package: "libc6-i386",
        why: "i686-unknown-linux-gnu: the 32-bit C library that runs the test binaries",
    },
    Requirement {
        needs: "/usr/lib32/libgcc_s.so.1",
        package: "lib32gcc-s1",
        why: "i686-unknown-linux-gnu: libgcc_s, which Rust's 32-bit std unwinds with",
    },
    Requirement {
        needs: "aarch64-linux-gnu-gcc",
        package: "gcc-aarch64-linux-gnu",
        why: "aarch64-unknown-linux-gnu: linker and C compiler",
    },
    Requirement {
        needs: "qemu-aarch64",
        package: "qemu-user",
        why: "aarch64-unknown-linux-gnu: runs the test binaries under emulation",
    },
];

/// Installs the packages of the `requirements` that are not met, with one
/// `apt-get update` and one `apt-get install --no-install-recommends`, as
/// root. Returns the packages installed (empty when all were there).
pub(crate) fn ensure_packages(requirements: &[Requirement]) -> Result<Vec<&'static str>, String> {
    let missing: Vec<&Requirement> = requirements.iter().filter(|r| !r.is_met()).collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let mut packages: Vec<&'static str> = missing.iter().map(|r| r.package).collect();
    packages.sort_unstable();
    packages.dedup();
    let list: String = missing
        .iter()
        .map(|r| format!("\n      {} ({}): {}", r.package, r.needs, r.why))
        .collect();
    if !(cmd::is_root() && cmd::in_path("apt-get")) {
        return Err(format!(
            "missing:{list}\n    install them with `sudo apt-get install --no-install-recommends {}` \
             (Debian/Ubuntu)",
            packages.join(" ")
        ));
    }
    println!("    installing with apt-get:{list}");
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

/// Adds the Rust `targets` that rustup has not installed yet. Returns the
/// ones added.
pub(crate) fn ensure_rust_targets(targets: &[&'static str]) -> Result<Vec<&'static str>, String> {
    let installed = cmd::output(Command::new("rustup").args(["target", "list", "--installed"]));
    let Some(installed) = installed else {
        let missing: Vec<&str> = targets
            .iter()
            .copied()
            .filter(|t| !sysroot_has(t))
            .collect();
        return if missing.is_empty() {
            Ok(Vec::new())
        } else {
            Err(format!(
                "rustup is not available and the standard library of {} is not installed: \
                 install those targets for this toolchain",
                missing.join(", ")
            ))
        };
    };
    let missing: Vec<&'static str> = targets
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    println!(
        "    adding Rust targets (their standard library) with rustup: {}",
        missing.join(" ")
    );
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
        let sh = Requirement {
            needs: "sh",
            package: "dash",
            why: "",
        };
        let root = Requirement {
            needs: "/",
            package: "base-files",
            why: "",
        };
        let absent = Requirement {
            needs: "/nonexistent/ipcrs-xtask-test",
            package: "none",
            why: "",
        };
        assert!(sh.is_met() && root.is_met());
        assert!(!absent.is_met());
        assert_eq!(ensure_packages(&[sh, root]).unwrap(), Vec::<&str>::new());
    }
}
