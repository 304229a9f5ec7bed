//! `cargo xtask clean [--force]`: remove the IPC objects this project's
//! tests, examples, demos and benches left behind, identified by the naming
//! convention (POSIX names `/ipcrs…` and `/ipcbench_…`, SysV keys
//! `0x1C5A_xxxx` and `0x49xxxxxx`). Nothing else is touched.
//!
//! Listing and removal are `ipc_inventory`'s, the library behind the `ipc`
//! command. By default only stale objects go (no live process uses them):
//! another checkout's test run may be using objects of the same convention
//! on this machine right now. `--force` removes them regardless.

use ipc_inventory::Object as Found;

use crate::ipcs::Object;

/// Removes our leftover objects and prints each one; fails if any could not
/// be removed.
pub(crate) fn run(force: bool) -> Result<(), String> {
    let inventory = ipc_inventory::list().map_err(|e| e.to_string())?;
    let ours: Vec<(Object, &Found)> = inventory
        .objects
        .iter()
        .filter_map(|found| Object::from_inventory(found).map(|o| (o, found)))
        .filter(|(o, _)| o.is_ours())
        .collect();
    if ours.is_empty() {
        println!("no leftover IPC objects of this project");
        return Ok(());
    }
    let mut failures = Vec::new();
    let mut kept = 0;
    for (object, found) in &ours {
        if !force && !found.is_stale() {
            println!("kept {object}: {}", found.staleness);
            kept += 1;
            continue;
        }
        let removed = if force {
            ipc_inventory::remove(found)
        } else {
            ipc_inventory::remove_if_stale(found)
        };
        match removed {
            Ok(()) => println!("removed {object}"),
            Err(e) if e.kind() == ipc_common::ErrorKind::NotFound => {}
            Err(e) => {
                eprintln!("could not remove {object}: {e}");
                failures.push(object.to_string());
            }
        }
    }
    if kept > 0 {
        println!(
            "kept {kept} object(s) that may be in use (another test run?); \
             `cargo xtask clean --force` removes them regardless"
        );
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
