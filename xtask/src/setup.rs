//! What `cargo xtask bindgen` needs on the machine beyond Rust itself: the
//! Debian packages of the other targets' C headers. Each is
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_name_programs_or_absolute_paths() {
        for r in &HEADERS {
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
