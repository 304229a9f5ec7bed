//! `ls`, `show`, `rm` and `clean` on top of `ipc_inventory`.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;

use ipc_common::{Error, ErrorKind};
use ipc_inventory::{Inventory, Object};

use crate::args::{Args, Command, Target};
use crate::render;
use crate::{EXIT_ERROR, EXIT_NOTHING_MATCHED, EXIT_OK, EXIT_PERMISSION_DENIED, EXIT_REFUSED};

/// Runs a parsed command (anything but `help`).
pub(crate) fn run(a: &Args, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let scan = ipc_inventory::Scan::new().assume_idle(a.assume_idle.iter().copied());
    let inventory = match scan.run() {
        Ok(inventory) => inventory,
        Err(e) => {
            let _ = writeln!(err, "ipc: {e}");
            return EXIT_ERROR;
        }
    };
    if !a.json {
        notes(&inventory, err);
    }
    let selected: Vec<&Object> = inventory
        .objects
        .iter()
        .filter(|o| a.wants(o.kind))
        .filter(|o| a.prefixes.is_empty() || a.prefixes.iter().any(|p| o.matches(p)))
        .filter(|o| match &a.command {
            Command::Show(t) | Command::Rm(t) => is_target(o, t),
            Command::Ls => !a.stale || o.is_stale(),
            Command::Clean | Command::Help => true,
        })
        .collect();
    match &a.command {
        Command::Ls => ls(a, &inventory, &selected, out),
        Command::Show(target) => show(a, target, &inventory, &selected, out, err),
        Command::Rm(target) => {
            if selected.is_empty() {
                let _ = writeln!(
                    err,
                    "ipc: nothing is named {} (see `ipc ls`)",
                    shown(target)
                );
            }
            remove(a, &selected, true, out, err)
        }
        Command::Clean => {
            if selected.is_empty() {
                let prefixes: Vec<String> = a.prefixes.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    err,
                    "ipc: no object's name or key starts with {}",
                    prefixes.join(" or ")
                );
            }
            remove(a, &selected, false, out, err)
        }
        Command::Help => EXIT_OK,
    }
}

fn is_target(o: &Object, target: &Target) -> bool {
    match target {
        Target::Name(name) => o.name.as_ref().is_some_and(|n| n.as_bytes() == name),
        Target::Key(key) => o.key == Some(*key),
        Target::Id(id) => o.id == Some(*id),
    }
}

fn shown(target: &Target) -> String {
    match target {
        Target::Name(name) => String::from_utf8_lossy(name).into_owned(),
        Target::Key(key) => format!("key {}", ipc_inventory::format_key(*key)),
        Target::Id(id) => format!("id {id}"),
    }
}

/// What the scan could not see, for people (scripts find it in the JSON).
fn notes(inventory: &Inventory, err: &mut dyn Write) {
    if inventory.mqueue_mount.is_none() {
        let _ = writeln!(
            err,
            "note: POSIX message queues are not listed: the mqueue filesystem is not mounted \
             (mount -t mqueue none /dev/mqueue)"
        );
    }
    if !inventory.sysv_listed {
        let _ = writeln!(
            err,
            "note: System V objects are not listed: this kernel has no /proc/sysvipc"
        );
    }
    if let Some(p) = &inventory.processes {
        if !p.uninspected.is_empty() {
            // SAFETY: geteuid has no preconditions.
            let advice = if unsafe { libc::geteuid() } == 0 {
                "not even root may inspect them here"
            } else {
                "run as root to see them"
            };
            let _ = writeln!(
                err,
                "note: {} process(es) could not be inspected, so objects they might use are \
                 judged without them (or left unknown); {advice}",
                p.uninspected.len()
            );
        }
        for limit in &p.limits {
            let _ = writeln!(err, "note: {limit}");
        }
    }
}

fn ls(a: &Args, inventory: &Inventory, selected: &[&Object], out: &mut dyn Write) -> u8 {
    let text = if a.json {
        render::listing_json(inventory, selected)
    } else if selected.is_empty() {
        String::new()
    } else {
        render::table(selected)
    };
    let _ = out.write_all(text.as_bytes());
    if selected.is_empty() {
        EXIT_NOTHING_MATCHED
    } else {
        EXIT_OK
    }
}

fn show(
    a: &Args,
    target: &Target,
    inventory: &Inventory,
    selected: &[&Object],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if a.json {
        let _ = out.write_all(render::listing_json(inventory, selected).as_bytes());
    } else {
        let blocks: Vec<String> = selected.iter().map(|o| render::details(o)).collect();
        let _ = write!(out, "{}", blocks.join("\n"));
    }
    if selected.is_empty() {
        let _ = writeln!(
            err,
            "ipc: nothing is named {} (see `ipc ls`)",
            shown(target)
        );
        return EXIT_NOTHING_MATCHED;
    }
    EXIT_OK
}

/// What happened to each selected object.
enum Fate<'a> {
    Removed(&'a Object),
    Kept(&'a Object, String),
    Failed(&'a Object, Error),
}

/// Removes `selected`: stale ones only, unless `--force`. `rm` (`refusing`)
/// treats a kept object as a failure (exit 4); `clean --stale` keeps objects
/// in use as a matter of course.
fn remove(
    a: &Args,
    selected: &[&Object],
    refusing: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let fates: Vec<Fate<'_>> = selected.iter().map(|o| fate(a, o)).collect();
    let mut code = if selected.is_empty() {
        EXIT_NOTHING_MATCHED
    } else {
        EXIT_OK
    };
    let mut raise = |c: u8| {
        // Permission denied outranks refusal, which outranks other errors.
        let rank = |c: u8| match c {
            EXIT_PERMISSION_DENIED => 3,
            EXIT_REFUSED => 2,
            EXIT_ERROR => 1,
            _ => 0,
        };
        if rank(c) > rank(code) {
            code = c;
        }
    };
    for fate in &fates {
        match fate {
            Fate::Removed(_) => {}
            Fate::Kept(..) if refusing => raise(EXIT_REFUSED),
            Fate::Kept(..) => {}
            Fate::Failed(_, e) if e.kind() == ErrorKind::PermissionDenied => {
                raise(EXIT_PERMISSION_DENIED);
            }
            Fate::Failed(_, e) if e.kind() == ErrorKind::NotFound => {}
            Fate::Failed(..) => raise(EXIT_ERROR),
        }
    }
    if a.json {
        let _ = out.write_all(removal_json(a, &fates).as_bytes());
    }
    for fate in &fates {
        match fate {
            Fate::Removed(o) if !a.json => {
                let verb = if a.dry_run { "would remove" } else { "removed" };
                let _ = writeln!(out, "{verb} {o} ({})", o.staleness);
            }
            Fate::Kept(o, why) if refusing => {
                let _ = writeln!(
                    err,
                    "ipc: not removing {o}: {why}; add --force to remove it anyway"
                );
            }
            Fate::Kept(o, why) if !a.json => {
                let _ = writeln!(out, "kept {o}: {why}");
            }
            Fate::Failed(o, e) if e.kind() == ErrorKind::NotFound => {
                let _ = writeln!(err, "ipc: {o} is already gone");
            }
            Fate::Failed(o, e) => {
                let _ = writeln!(err, "ipc: cannot remove {o}: {}", e.message());
            }
            _ => {}
        }
    }
    code
}

fn fate<'a>(a: &Args, o: &'a Object) -> Fate<'a> {
    if let Err(e) = ipc_inventory::check_removable(o) {
        return Fate::Failed(o, e);
    }
    if !a.force && !o.is_stale() {
        return Fate::Kept(o, o.staleness.to_string());
    }
    if a.dry_run {
        return Fate::Removed(o);
    }
    let result = if a.force {
        ipc_inventory::remove(o)
    } else {
        ipc_inventory::remove_if_stale(o)
    };
    match result {
        Ok(()) => Fate::Removed(o),
        Err(e) if e.kind() == ErrorKind::Busy => Fate::Kept(o, e.message().to_owned()),
        Err(e) => Fate::Failed(o, e),
    }
}

fn removal_json(a: &Args, fates: &[Fate<'_>]) -> String {
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    let mut failed = Vec::new();
    for fate in fates {
        match fate {
            Fate::Removed(o) => removed.push(render::object_json(o)),
            Fate::Kept(o, why) => kept.push(format!(
                "{{\"object\":{},\"reason\":{}}}",
                render::object_json(o),
                render::json_string(why)
            )),
            Fate::Failed(o, e) => failed.push(format!(
                "{{\"object\":{},\"error\":{},\"error_kind\":{}}}",
                render::object_json(o),
                render::json_string(&e.to_string()),
                render::json_string(e.kind().as_str())
            )),
        }
    }
    format!(
        "{{\"dry_run\":{},\"removed\":[{}],\"kept\":[{}],\"failed\":[{}]}}\n",
        a.dry_run,
        removed.join(","),
        kept.join(","),
        failed.join(",")
    )
}
