//! The `ipc` tool against objects made by the peers: the C program and
//! Python's `posix_ipc`/`sysv_ipc` each make a POSIX semaphore, shared
//! memory object and queue and a System V set, segment and queue (the C
//! peer as uid 65534 when run as root, so the owner the tool reports is not
//! just "the user running the tests"); `ipc ls --json` must list them with the right
//! owners, modes, sizes and counts, call them stale (their maker exited),
//! and `ipc clean --stale` must remove them.
//!
//! The tool runs in-process through `ipc_tool::run`, the function its binary
//! wraps. Python scenarios are `#[ignore]`d like those of `peers.rs`:
//! `cargo xtask test` runs them once it has made the virtual environment.

use interop::Peer;
use serde_json::Value;

/// Removes, when dropped (also when a test fails), the objects whose name
/// starts with `prefix` or whose key is `key`.
struct Guard {
    prefix: String,
    key: i32,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Ok(inventory) = ipc_inventory::Scan::new().processes(false).run() else {
            return;
        };
        for o in inventory.objects {
            if o.label().starts_with(&self.prefix) || o.key == Some(self.key) {
                let _ = ipc_inventory::remove(&o);
            }
        }
    }
}

/// Runs `ipc` in-process; returns the exit code and stdout.
fn ipc(args: &[&str]) -> (u8, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = ipc_tool::run(args.iter().map(Into::into), &mut out, &mut err);
    assert!(
        code <= 1,
        "ipc {args:?} exited {code}: {}",
        String::from_utf8_lossy(&err)
    );
    (code, String::from_utf8(out).expect("UTF-8 output"))
}

fn the_tool_lists_and_cleans_what_the_peer_made(peer: &Peer) {
    // SAFETY: geteuid and getegid have no preconditions.
    let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
    // The C peer runs as uid 65534 when we are root. The Python one runs as
    // us: its interpreter may live where only root may enter (pyenv under
    // /root), so another user could not start it.
    let other_user = euid == 0 && matches!(peer, Peer::C);
    let (uid, gid) = if other_user {
        (65534, 65534)
    } else {
        (euid, egid)
    };
    let make = |args: &[&str]| {
        if other_user {
            peer.run_as(uid, args)
        } else {
            peer.run(args)
        }
    };
    let guard = Guard {
        prefix: testkit::unique_name("left"),
        key: testkit::unique_key(),
    };
    let run = guard.prefix.clone();
    let key = format!("{:#x}", guard.key);
    let (sem, shm, mq) = (
        format!("{run}-sem"),
        format!("{run}-shm"),
        format!("{run}-mq"),
    );
    make(&["psem", "make", &sem, "2", "0640"]);
    make(&["pshm", "make", &shm, "1000", "0640"]);
    let queues = ipc_inventory::mqueue_mount().is_some();
    if queues {
        make(&["pmq", "make", &mq, "8", "64", "0640"]);
    }
    make(&["ssem", "make", &key, "3", "0640"]);
    make(&["sshm", "make", &key, "4096", "0640"]);
    make(&["smsg", "make", &key, "0640"]);

    let k = ipc_inventory::format_key(guard.key);
    let (code, out) = ipc(&["ls", "--json", "--prefix", &run, "--prefix", &k]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    let objects = listed["objects"].as_array().unwrap();
    let get = |kind: &str, label: &str| -> &Value {
        objects
            .iter()
            .find(|o| o["kind"] == kind && o["label"] == label)
            .unwrap_or_else(|| panic!("{kind} {label} not listed by ipc ls:\n{out}"))
    };
    let tag_len = peer.tag().len() as u64;
    let mut expected = vec![
        ("posix-sem", sem.as_str()),
        ("posix-shm", shm.as_str()),
        ("sysv-sem", k.as_str()),
        ("sysv-shm", k.as_str()),
        ("sysv-msg", k.as_str()),
    ];
    if queues {
        expected.push(("posix-mq", mq.as_str()));
    }
    assert_eq!(objects.len(), expected.len(), "{out}");
    for (kind, label) in &expected {
        let o = get(kind, label);
        assert_eq!(o["uid"], Value::from(uid), "owner of {kind} {label}");
        assert_eq!(o["gid"], Value::from(gid), "group of {kind} {label}");
        assert_eq!(o["mode"], "0640", "{kind} {label}");
        if kind.starts_with("sysv") {
            assert_eq!(o["cuid"], Value::from(uid), "creator of {kind} {label}");
        }
    }
    assert_eq!(get("posix-shm", &shm)["size"], Value::from(1000));
    assert_eq!(get("posix-sem", &sem)["size"], Value::Null);
    let set = get("sysv-sem", &k);
    assert_eq!(set["semaphores"], Value::from(1));
    let segment = get("sysv-shm", &k);
    assert_eq!(segment["size"], Value::from(4096));
    assert_eq!(segment["attachments"], Value::from(0));
    let queue = get("sysv-msg", &k);
    assert_eq!(queue["messages"], Value::from(4));
    // "c-0-type-3" / "py-0-type-3": four payloads of 9 bytes plus the tag.
    assert_eq!(queue["queued_bytes"], Value::from(4 * (9 + tag_len)));
    if queues {
        let q = get("posix-mq", &mq);
        assert_eq!(q["max_messages"], Value::from(8));
        assert_eq!(q["message_size"], Value::from(64));
        assert_eq!(q["messages"], Value::from(6));
        // Payloads "c-0-prio-1" ... "c-3-prio-31": 61 bytes from C, 67 from
        // Python; the kernel's QSIZE adds its own bookkeeping.
        let payload = 61 + 6 * (tag_len - 1);
        assert!(q["queued_bytes"].as_u64().unwrap() >= payload, "{q}");
    }

    // Their makers exited: stale, except a System V queue where not every
    // task's system call can be read (a blocked receiver could hide there).
    for (kind, label) in &expected {
        let o = get(kind, label);
        let provable_here = *kind != "sysv-msg" || o["state"] != "unknown";
        if provable_here {
            assert_eq!(o["state"], "stale", "{kind} {label}: {o}");
        }
    }
    let (code, out) = ipc(&[
        "clean", "--stale", "--json", "--prefix", &run, "--prefix", &k,
    ]);
    assert_eq!(code, 0);
    let cleaned: Value = serde_json::from_str(&out).unwrap();
    let removed = cleaned["removed"].as_array().unwrap().len();
    let kept = cleaned["kept"].as_array().unwrap().len();
    assert_eq!(removed + kept, expected.len(), "{out}");
    assert!(removed >= expected.len() - 1, "{out}");
    if kept == 1 {
        // The queue whose waiters could not all be checked: once the
        // operator vouches for the processes that could not be traced, the
        // rest of the rule proves it stale and it goes too.
        let kept = &cleaned["kept"][0]["object"];
        assert_eq!(kept["kind"], "sysv-msg", "{out}");
        let mut args = vec!["clean", "--stale", "--json", "--prefix", &k];
        let untraced = untraced_pids();
        for pid in &untraced {
            args.extend(["--assume-idle", pid.as_str()]);
        }
        let (code, out) = ipc(&args);
        assert_eq!(code, 0, "{out}");
        let cleaned: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(cleaned["removed"].as_array().unwrap().len(), 1, "{out}");
        assert_eq!(cleaned["removed"][0]["kind"], "sysv-msg", "{out}");
    }
    let (code, _) = ipc(&["ls", "--prefix", &run, "--prefix", &k, "--kind", "posix"]);
    assert_eq!(code, 1, "every POSIX object the peer made is gone");
}

/// The processes whose tasks' system calls cannot be read here (as the
/// inventory finds them: `/proc/<pid>/task/<tid>/syscall` refused).
fn untraced_pids() -> Vec<String> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(tasks) = std::fs::read_dir(entry.path().join("task")) else {
            continue;
        };
        let refused = tasks.flatten().any(|t| {
            std::fs::read_to_string(t.path().join("syscall"))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
        });
        if refused {
            pids.push(name);
        }
    }
    pids
}

#[test]
fn c_peer_objects_are_listed_and_cleaned() {
    the_tool_lists_and_cleans_what_the_peer_made(&Peer::C);
}

#[test]
#[ignore = "needs Python's posix_ipc/sysv_ipc: `cargo xtask test` runs it"]
fn python_peer_objects_are_listed_and_cleaned() {
    the_tool_lists_and_cleans_what_the_peer_made(&Peer::python_required());
}
