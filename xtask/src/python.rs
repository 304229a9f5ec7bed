//! The Python peers of the interoperability tests: a virtual environment under
//! `target/py-venv` with the pinned `posix_ipc` and `sysv_ipc` from PyPI.

use std::path::PathBuf;
use std::process::Command;

use crate::cmd;

/// The packages the interop tests and demos talk to, pinned.
pub(crate) const PACKAGES: [&str; 2] = ["posix-ipc==1.3.2", "sysv-ipc==1.2.0"];

/// The environment variable through which the tests find the venv's Python.
pub(crate) const PYTHON_ENV: &str = "IPCRS_PYTHON";

/// Where the virtual environment lives.
pub(crate) fn venv_dir() -> PathBuf {
    cmd::workspace_root().join("target").join("py-venv")
}

/// The venv's interpreter.
pub(crate) fn venv_python() -> PathBuf {
    venv_dir().join("bin").join("python")
}

/// True when the venv exists and imports both packages at the pinned versions.
pub(crate) fn venv_ready() -> bool {
    let check = "import posix_ipc, sysv_ipc, sys; \
                 sys.exit(0 if (posix_ipc.VERSION, sysv_ipc.VERSION) == ('1.3.2', '1.2.0') else 1)";
    Command::new(venv_python())
        .args(["-c", check])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Makes sure the venv exists with the pinned packages and returns its
/// interpreter, or (inner `Err`) why there is none when the machine has no
/// `python3`: the Python interop tests are then skipped, and said to be.
pub(crate) fn ensure_venv() -> Result<Result<PathBuf, String>, String> {
    if venv_ready() {
        println!("    {} has {}", venv_dir().display(), PACKAGES.join(" "));
        return Ok(Ok(venv_python()));
    }
    if !cmd::in_path("python3") {
        return Ok(Err("python3 is not installed".to_owned()));
    }
    let dir = venv_dir();
    cmd::run(
        Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg("--clear")
            .arg(&dir),
    )
    .map_err(|e| format!("{e} (on Debian the venv module is in the python3-venv package)"))?;
    println!(
        "    installing {} with pip into {}: the Python peers of the interop tests and \
         the demo",
        PACKAGES.join(" "),
        dir.display()
    );
    cmd::run(
        Command::new(venv_python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PACKAGES),
    )?;
    if !venv_ready() {
        return Err(format!(
            "{} was created but does not import {}",
            dir.display(),
            PACKAGES.join(" and ")
        ));
    }
    Ok(Ok(venv_python()))
}
