//! `cargo xtask bindgen [--check]`: lint and run the `posix-ipc-sys-gen`
//! generator (a workspace of its own, outside the project's, so that bindgen
//! and libclang never enter the project's builds), which regenerates `posix-ipc-sys/src/generated/<target>.rs` (or, with
//! `--check`, compares in memory and exits with status 1 on a difference),
//! after making sure libclang and the other targets' C headers are installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd;
use crate::setup::{self, Install};

/// Where Debian/Ubuntu (and most other distributions) put libclang.
const SEARCH_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
];

/// Finds (or, unless `install` is refused, installs) libclang and the other
/// targets' C headers, then lints the generator and runs it with
/// `LIBCLANG_PATH` pointing at libclang.
pub(crate) fn run(check: bool, install: Install) -> Result<(), String> {
    if install == Install::Refused
        && let Some(missing) = missing()
    {
        return Err(format!("{missing} (--no-install: nothing was installed)"));
    }
    let libclang = ensure_libclang()?;
    println!("    libclang: {}", libclang.display());
    // The headers of the other targets (aarch64 and i686 glibc, musl).
    setup::ensure_packages(&setup::HEADERS, install)?;
    // The generator is a workspace of its own (bindgen stays out of the
    // project's builds): lint it here, then run it.
    cmd::run(
        generator_cargo(["clippy", "--quiet", "--all-targets"]).args(["--", "-D", "warnings"]),
    )?;
    let mut generator = generator_cargo(["run", "--quiet"]);
    if check {
        generator.args(["--", "--check"]);
    }
    generator.env("LIBCLANG_PATH", &libclang);
    let shown = cmd::display(&generator);
    println!("    $ {shown}");
    let status = generator
        .status()
        .map_err(|e| format!("could not run `{shown}`: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        // The generator's own "differs" status (cargo uses 101 for its errors).
        Some(1) if check => Err(
            "the committed bindings are out of date: run `cargo xtask bindgen` and commit \
             posix-ipc-sys/src/generated/"
                .to_owned(),
        ),
        _ => Err(format!("`{shown}` failed ({status})")),
    }
}

/// The generator's manifest, relative to the workspace root.
pub(crate) const GENERATOR_MANIFEST: &str = "posix-ipc-sys/gen/Cargo.toml";

/// `cargo <args> --manifest-path posix-ipc-sys/gen/Cargo.toml`, building in
/// the workspace's target directory (unless `CARGO_TARGET_DIR` says
/// otherwise) rather than one of the generator's own.
fn generator_cargo<const N: usize>(args: [&str; N]) -> Command {
    let root = cmd::workspace_root();
    let mut command = cmd::cargo(args);
    command
        .arg("--manifest-path")
        .arg(root.join(GENERATOR_MANIFEST));
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        command.arg("--target-dir").arg(root.join("target"));
    }
    command
}

/// What the generator needs and the machine lacks (libclang, a target's C
/// headers), with the commands that install it; `None` when nothing is
/// missing. Installs nothing.
pub(crate) fn missing() -> Option<String> {
    let libclang = find_libclang().is_none().then(|| {
        format!("missing libclang: install with `{INSTALL_LIBCLANG}` or set LIBCLANG_PATH")
    });
    let headers = setup::check(&setup::HEADERS, &[]);
    let missing: Vec<String> = libclang.into_iter().chain(headers).collect();
    (!missing.is_empty()).then(|| missing.join("; "))
}

/// The command that installs libclang (and clang's builtin headers).
const INSTALL_LIBCLANG: &str = "sudo apt-get install libclang-dev";

/// What `LIBCLANG_PATH` must be (the directory holding libclang, or the
/// library the user named in `LIBCLANG_PATH`), installing `libclang-dev` with apt-get
/// first when it is missing and we are root.
fn ensure_libclang() -> Result<PathBuf, String> {
    let found = find_libclang();
    let dir = found.as_deref().map(|path| {
        if path.is_file() {
            path.parent().unwrap_or(path)
        } else {
            path
        }
    });
    let headers = has_builtin_headers(dir);
    if let (Some(dir), true) = (&found, headers) {
        return Ok(dir.clone());
    }
    let missing = if found.is_none() {
        "libclang not found"
    } else {
        "clang's builtin headers (stddef.h…) not found"
    };
    let can_install = cmd::is_root() && cmd::in_path("apt-get");
    match (found, can_install) {
        (Some(libclang), false) => {
            // The headers may live somewhere we don't look: let bindgen try.
            println!(
                "    warning: {missing} near {}; if bindgen fails, run \
                 `{INSTALL_LIBCLANG}` (Debian/Ubuntu)",
                libclang.display()
            );
            Ok(libclang)
        }
        (None, false) => Err(format!(
            "{missing} (looked in LIBCLANG_PATH, /usr/lib/llvm-*/lib and {}): install it with \
             `{INSTALL_LIBCLANG}` (Debian/Ubuntu) or set LIBCLANG_PATH to the \
             directory that contains libclang.so",
            SEARCH_DIRS.join(", ")
        )),
        (_, true) => {
            apt_install("libclang-dev", missing)?;
            find_libclang().ok_or_else(|| {
                "libclang still not found after installing libclang-dev: set LIBCLANG_PATH \
                 to the directory that contains libclang.so"
                    .to_owned()
            })
        }
    }
}

/// `apt-get update` then `apt-get install -y package`, saying why.
fn apt_install(package: &str, why: &str) -> Result<(), String> {
    println!("    installing {package} with apt-get: {why}, which bindgen needs");
    cmd::run(Command::new("apt-get").arg("update"))?;
    cmd::run(
        Command::new("apt-get")
            .args(["install", "-y", package])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// `LIBCLANG_PATH` if it names a libclang shared library or a directory
/// holding one, else the first directory holding one among
/// `/usr/lib/llvm-*/lib` (newest LLVM first) and the usual library
/// directories.
fn find_libclang() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LIBCLANG_PATH").map(PathBuf::from) {
        if path.is_file() && is_libclang(&path) {
            return Some(path);
        }
        if has_libclang(&path) {
            return Some(path);
        }
        println!(
            "    warning: LIBCLANG_PATH={} holds no libclang; searching elsewhere",
            path.display()
        );
    }
    llvm_lib_dirs()
        .into_iter()
        .chain(SEARCH_DIRS.iter().map(PathBuf::from))
        .find(|dir| has_libclang(dir))
}

/// `/usr/lib/llvm-<version>/lib`, highest version first.
fn llvm_lib_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/usr/lib") else {
        return Vec::new();
    };
    let mut versioned: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version = llvm_version(&name)?;
            Some((version, entry.path().join("lib")))
        })
        .collect();
    versioned.sort_by(|a, b| b.0.cmp(&a.0));
    versioned.into_iter().map(|(_, dir)| dir).collect()
}

/// `llvm-14` → `[14]`, `llvm-3.9` → `[3, 9]`; anything else → `None`.
fn llvm_version(dir_name: &str) -> Option<Vec<u32>> {
    dir_name
        .strip_prefix("llvm-")?
        .split('.')
        .map(|part| part.parse().ok())
        .collect()
}

fn has_libclang(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|entry| is_libclang(&entry.path()))
    })
}

/// The file names clang-sys loads: `libclang.so`, `libclang.so.<v>`,
/// `libclang-<v>.so` and `libclang-<v>.so.<v>` (not `libclang-cpp.so…`).
fn is_libclang(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    if name == "libclang.so" || name.starts_with("libclang.so.") {
        return true;
    }
    name.strip_prefix("libclang-")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains(".so"))
}

/// Whether clang's own headers (`stddef.h`, from `libclang-common-*-dev`),
/// which the system headers in `wrapper.h` include, can be found near the
/// library or in the usual places.
fn has_builtin_headers(libclang_dir: Option<&Path>) -> bool {
    let mut clang_dirs: Vec<PathBuf> = libclang_dir
        .map(|dir| dir.join("clang"))
        .into_iter()
        .collect();
    clang_dirs.extend(llvm_lib_dirs().into_iter().map(|dir| dir.join("clang")));
    clang_dirs.push(PathBuf::from("/usr/lib/clang"));
    clang_dirs.push(PathBuf::from("/usr/lib64/clang"));
    clang_dirs.iter().any(|clang| {
        std::fs::read_dir(clang).is_ok_and(|versions| {
            versions
                .filter_map(Result::ok)
                .any(|version| version.path().join("include/stddef.h").is_file())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `[workspace.lints.*]` tables and the `key = value` lines of
    /// `keys`, from a manifest's text.
    fn shared_settings(manifest: &str, keys: &[&str]) -> Vec<String> {
        let mut settings = Vec::new();
        let mut in_lints = false;
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                in_lints = line.starts_with("[workspace.lints.");
            }
            let key = line.split('=').next().unwrap_or("").trim();
            let inherited = line.contains(".workspace");
            if in_lints && !line.is_empty() || keys.contains(&key) && !inherited {
                settings.push(line.to_owned());
            }
        }
        settings
    }

    /// The generator, a workspace of its own, keeps the project's lints and
    /// edition (it cannot inherit them).
    #[test]
    fn the_generator_keeps_the_project_lints_and_edition() {
        let root = cmd::workspace_root();
        let read = |path: PathBuf| std::fs::read_to_string(&path).unwrap();
        let project = read(root.join("Cargo.toml"));
        let generator = read(root.join(GENERATOR_MANIFEST));
        let keys = ["edition", "rust-version", "license"];
        let project = shared_settings(&project, &keys);
        assert!(project.len() > keys.len() + 4, "{project:?}");
        assert_eq!(shared_settings(&generator, &keys), project);
    }

    #[test]
    fn recognises_libclang_file_names() {
        for name in [
            "libclang.so",
            "libclang.so.1",
            "libclang-14.so",
            "libclang-14.so.1",
            "libclang-14.0.6.so",
            "libclang-14.so.14.0.6",
        ] {
            assert!(is_libclang(Path::new(name)), "{name}");
        }
        for name in [
            "libclang-cpp.so.14",
            "libclangAST.a",
            "libclang.a",
            "libclang-14.a",
            "libLLVM-14.so",
        ] {
            assert!(!is_libclang(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn parses_llvm_versions() {
        assert_eq!(llvm_version("llvm-14"), Some(vec![14]));
        assert_eq!(llvm_version("llvm-3.9"), Some(vec![3, 9]));
        assert_eq!(llvm_version("llvm-14-dev"), None);
        assert_eq!(llvm_version("llvm"), None);
        assert!(llvm_version("llvm-19") > llvm_version("llvm-3.9"));
    }
}
