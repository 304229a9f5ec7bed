//! `cargo xtask clean`: remove the IPC objects this project's tests, examples,
//! demos and benches left behind, identified by the naming convention (POSIX
//! names `/ipcrs…`, SysV keys `0x1C5A_0000..=0x1C5A_FFFF`). Nothing else is
//! touched.

use std::process::Command;

use crate::cmd;
use crate::ipcs::{self, Object};

/// Removes our leftover objects and prints each one; fails if any could not
/// be removed.
pub(crate) fn run() -> Result<(), String> {
    let ours: Vec<Object> = ipcs::snapshot()?
        .into_iter()
        .filter(Object::is_ours)
        .collect();
    if ours.is_empty() {
        println!("no leftover IPC objects of this project");
        return Ok(());
    }
    let mut failures = Vec::new();
    for object in &ours {
        match remove(object) {
            Ok(()) => println!("removed {object}"),
            Err(e) => {
                eprintln!("could not remove {object}: {e}");
                failures.push(object.to_string());
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} objects could not be removed: {}",
            failures.len(),
            ours.len(),
            failures.join(", ")
        ))
    }
}

/// Unlinks a POSIX object (deleting its file is what `shm_unlink`,
/// `sem_unlink` and `mq_unlink` do) or removes a SysV one with `ipcrm`.
fn remove(object: &Object) -> Result<(), String> {
    match object {
        Object::Posix(path) => std::fs::remove_file(path).map_err(|e| e.to_string()),
        Object::Sysv { kind, id, .. } => {
            let mut ipcrm = Command::new("ipcrm");
            ipcrm.args([kind.ipcrm_flag(), &id.to_string()]);
            let shown = cmd::display(&ipcrm);
            let output = ipcrm
                .output()
                .map_err(|e| format!("cannot run `{shown}` (ipcrm comes with util-linux): {e}"))?;
            if output.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "`{shown}` failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ))
            }
        }
    }
}
