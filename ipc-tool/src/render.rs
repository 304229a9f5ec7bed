//! Output: a table and detail blocks for people, JSON for scripts.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use ipc_inventory::{Holders, Inventory, Kind, Object};

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "null".to_owned(), |v| v.to_string())
}

fn opt_str(v: Option<&str>) -> String {
    v.map_or_else(|| "null".to_owned(), json_string)
}

fn list<T: ToString>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(","))
}

fn secs(t: Option<SystemTime>) -> String {
    opt(t
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs()))
}

fn holders_json(h: &Holders) -> String {
    let processes: Vec<String> = h
        .processes
        .iter()
        .map(|p| {
            format!(
                "{{\"pid\":{},\"command\":{},\"open\":{},\"mapped\":{}}}",
                p.pid,
                opt_str(p.command.as_deref()),
                p.open,
                p.mapped
            )
        })
        .collect();
    format!(
        "{{\"processes\":[{}],\"complete\":{},\"open_per_kernel\":{}}}",
        processes.join(","),
        h.complete,
        opt(h.open_per_kernel)
    )
}

/// One object as a JSON object. Every field is present; what the system
/// does not report is `null`.
pub(crate) fn object_json(o: &Object) -> String {
    let t = &o.times;
    let fields = [
        ("kind", json_string(o.kind.as_str())),
        ("label", json_string(&o.label())),
        (
            "name",
            opt_str(o.name.as_ref().map(|n| n.to_string_lossy()).as_deref()),
        ),
        (
            "path",
            opt_str(o.path.as_ref().map(|p| p.to_string_lossy()).as_deref()),
        ),
        (
            "key",
            opt_str(o.key.map(ipc_inventory::format_key).as_deref()),
        ),
        ("id", opt(o.id)),
        ("mode", json_string(&format!("0{:o}", o.mode.bits()))),
        ("uid", o.uid.to_string()),
        ("gid", o.gid.to_string()),
        ("cuid", opt(o.cuid)),
        ("cgid", opt(o.cgid)),
        ("size", opt(o.size)),
        ("semaphores", opt(o.semaphores)),
        ("messages", opt(o.messages)),
        ("queued_bytes", opt(o.queued_bytes)),
        ("max_messages", opt(o.max_messages)),
        ("message_size", opt(o.message_size)),
        (
            "notification",
            o.notification.map_or_else(
                || "null".to_owned(),
                |n| {
                    format!(
                        "{{\"method\":{},\"signal\":{},\"pid\":{}}}",
                        n.method, n.signal, n.pid
                    )
                },
            ),
        ),
        ("attachments", opt(o.attachments)),
        ("creator_pid", opt(o.creator_pid)),
        ("last_pid", opt(o.last_pid)),
        ("last_send_pid", opt(o.last_send_pid)),
        ("last_receive_pid", opt(o.last_receive_pid)),
        ("semaphore_pids", opt(o.semaphore_pids.as_deref().map(list))),
        ("waiters", opt(o.waiters)),
        ("blocked_pids", opt(o.blocked_pids.as_deref().map(list))),
        (
            "times",
            format!(
                "{{\"accessed\":{},\"modified\":{},\"changed\":{},\"attached\":{},\
                 \"detached\":{},\"operated\":{},\"sent\":{},\"received\":{}}}",
                secs(t.accessed),
                secs(t.modified),
                secs(t.changed),
                secs(t.attached),
                secs(t.detached),
                secs(t.operated),
                secs(t.sent),
                secs(t.received)
            ),
        ),
        ("holders", opt(o.holders.as_ref().map(holders_json))),
        ("state", json_string(o.staleness.as_str())),
        ("reason", json_string(o.staleness.reason())),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_string(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// The scan's context as JSON fields (`mqueue_mount`, `sysv_listed`,
/// `processes`).
pub(crate) fn context_json(inv: &Inventory) -> String {
    let processes = inv.processes.as_ref().map(|p| {
        let limits: Vec<String> = p.limits.iter().map(|l| json_string(l)).collect();
        format!(
            "{{\"inspected\":{},\"uninspected\":{},\"limits\":[{}]}}",
            p.inspected,
            list(&p.uninspected),
            limits.join(",")
        )
    });
    format!(
        "\"mqueue_mount\":{},\"sysv_listed\":{},\"processes\":{}",
        opt_str(
            inv.mqueue_mount
                .as_ref()
                .map(|p| p.to_string_lossy())
                .as_deref()
        ),
        inv.sysv_listed,
        opt(processes)
    )
}

/// `{"objects":[...], context...}`.
pub(crate) fn listing_json(inv: &Inventory, objects: &[&Object]) -> String {
    let items: Vec<String> = objects.iter().map(|o| object_json(o)).collect();
    format!(
        "{{\"objects\":[{}],{}}}\n",
        items.join(","),
        context_json(inv)
    )
}

/// A user name for `uid` from the password database, or the number.
pub(crate) fn user_name(uid: libc::uid_t) -> String {
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pwd = std::mem::MaybeUninit::<libc::passwd>::zeroed();
    let mut result = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the sizes given; getpwuid_r writes
    // only into `pwd` and `buf` and sets `result` to `pwd` or null.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            pwd.as_mut_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return uid.to_string();
    }
    // SAFETY: on success pw_name points to a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr((*result).pw_name) };
    name.to_str()
        .map_or_else(|_| uid.to_string(), str::to_owned)
}

fn size_column(o: &Object) -> String {
    match o.kind {
        Kind::PosixSharedMemory | Kind::SysvSharedMemory => opt_dash(o.size),
        Kind::PosixSemaphore => "-".to_owned(),
        Kind::SysvSemaphoreSet => o
            .semaphores
            .map_or_else(|| "-".to_owned(), |n| format!("{n} sem")),
        Kind::PosixMessageQueue | Kind::SysvMessageQueue => match (o.messages, o.max_messages) {
            (Some(n), Some(max)) => format!("{n}/{max} msg"),
            (Some(n), None) => format!("{n} msg"),
            _ => "-".to_owned(),
        },
    }
}

fn opt_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn users_column(o: &Object) -> String {
    let mut pids: Vec<String> = Vec::new();
    if let Some(h) = &o.holders {
        pids.extend(h.processes.iter().map(|p| match &p.command {
            Some(c) => format!("{}({c})", p.pid),
            None => p.pid.to_string(),
        }));
    }
    if let Some(n) = o.attachments.filter(|n| *n > 0) {
        pids.push(format!("{n} attached"));
    }
    if let Some(n) = o.waiters.filter(|n| *n > 0) {
        pids.push(format!("{n} waiting"));
    }
    if let Some(b) = &o.blocked_pids {
        pids.extend(b.iter().map(|p| format!("{p}(blocked)")));
    }
    if pids.is_empty() {
        "-".to_owned()
    } else {
        pids.join(",")
    }
}

/// The table of `ipc ls`.
pub(crate) fn table(objects: &[&Object]) -> String {
    let header = [
        "KIND", "NAME/KEY", "ID", "OWNER", "MODE", "SIZE", "STATE", "USED BY",
    ];
    let rows: Vec<[String; 8]> = objects
        .iter()
        .map(|o| {
            [
                o.kind.as_str().to_owned(),
                o.label(),
                opt_dash(o.id),
                user_name(o.uid),
                format!("0{:o}", o.mode.bits()),
                size_column(o),
                o.staleness.as_str().to_owned(),
                users_column(o),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    out
}

/// A UTC date and time, `2026-11-27 14:19:00 UTC`.
pub(crate) fn utc(t: SystemTime) -> String {
    let Ok(since) = t.duration_since(UNIX_EPOCH) else {
        return "before 1970".to_owned();
    };
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = i64::try_from(days).unwrap_or(i64::MAX / 2) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The detail block of `ipc show`.
pub(crate) fn details(o: &Object) -> String {
    let mut out = format!("{o}\n");
    let mut field = |name: &str, value: String| {
        let _ = writeln!(out, "  {:<18}{value}", format!("{name}:"));
    };
    if let Some(path) = &o.path {
        field("file", path.display().to_string());
    }
    let mut owner = format!("{} (uid {}), gid {}", user_name(o.uid), o.uid, o.gid);
    if let (Some(cuid), Some(cgid)) = (o.cuid, o.cgid) {
        let _ = write!(owner, "; created by uid {cuid}, gid {cgid}");
    }
    field("owner", owner);
    field("mode", format!("0{:o}", o.mode.bits()));
    let counts = [
        ("size", o.size.map(|s| format!("{s} bytes"))),
        ("semaphores", o.semaphores.map(|n| n.to_string())),
        ("messages", o.messages.map(|n| n.to_string())),
        ("queued bytes", o.queued_bytes.map(|n| n.to_string())),
        ("max messages", o.max_messages.map(|n| n.to_string())),
        ("message size", o.message_size.map(|n| format!("{n} bytes"))),
        ("attachments", o.attachments.map(|n| n.to_string())),
        ("creator pid", o.creator_pid.map(|p| p.to_string())),
        ("last pid", o.last_pid.map(|p| p.to_string())),
        ("last send pid", o.last_send_pid.map(|p| p.to_string())),
        (
            "last receive pid",
            o.last_receive_pid.map(|p| p.to_string()),
        ),
        ("semaphore pids", o.semaphore_pids.as_deref().map(list)),
        ("waiters", o.waiters.map(|n| n.to_string())),
        ("blocked pids", o.blocked_pids.as_deref().map(list)),
        (
            "notification",
            o.notification
                .map(|n| format!("pid {} (method {}, signal {})", n.pid, n.method, n.signal)),
        ),
    ];
    for (name, value) in counts {
        if let Some(value) = value {
            field(name, value);
        }
    }
    let t = &o.times;
    for (name, time) in [
        ("accessed", t.accessed),
        ("modified", t.modified),
        ("changed", t.changed),
        ("attached", t.attached),
        ("detached", t.detached),
        ("operated", t.operated),
        ("sent", t.sent),
        ("received", t.received),
    ] {
        if let Some(time) = time {
            field(name, utc(time));
        }
    }
    if let Some(h) = &o.holders {
        let held: Vec<String> = h
            .processes
            .iter()
            .map(|p| {
                let how = match (p.open, p.mapped) {
                    (true, true) => "open, mapped",
                    (true, false) => "open",
                    _ => "mapped",
                };
                format!("{} ({}, {how})", p.pid, p.command.as_deref().unwrap_or("?"))
            })
            .collect();
        field(
            "held by",
            if held.is_empty() {
                "nobody seen".to_owned()
            } else {
                held.join("; ")
            },
        );
    }
    field("state", o.staleness.to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(json_string("é"), "\"é\"");
    }

    #[test]
    fn dates_are_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_789_156);
        assert_eq!(utc(t), "2026-11-27 14:19:16 UTC");
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(utc(leap), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn the_table_aligns_columns() {
        let mut o = Object::new(Kind::SysvSemaphoreSet);
        o.key = Some(0x1c5a_0001);
        o.id = Some(3);
        o.semaphores = Some(2);
        o.mode = ipc_common::Mode::from_raw(0o600);
        let t = table(&[&o]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].starts_with("KIND      NAME/KEY    ID  OWNER"),
            "{t}"
        );
        assert!(lines[1].starts_with("sysv-sem  0x1c5a0001  3   "), "{t}");
        assert!(lines[1].contains("0600  2 sem  unknown  -"), "{t}");
    }
}
