//! The `ipc` binary against real objects and real processes: usage errors,
//! exit codes, table and JSON output, `clean --stale` after a run killed
//! with SIGKILL, and another user's refused removal.
#![cfg(target_os = "linux")]

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Output;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use sysv_ipc::{Key, Wait};

const IPC: &str = env!("CARGO_BIN_EXE_ipc");

/// Removes, when dropped (also when a test fails), every object named here
/// or carrying one of these keys.
#[derive(Default)]
struct Guard {
    names: Vec<String>,
    keys: Vec<i32>,
}

impl Guard {
    fn key(&mut self) -> i32 {
        let key = testkit::unique_key();
        self.keys.push(key);
        key
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let Ok(inventory) = ipc_inventory::Scan::new().processes(false).run() else {
            return;
        };
        for o in inventory.objects {
            let label = o.label();
            let named = o.name.is_some() && self.names.iter().any(|n| label.starts_with(n));
            if named || o.key.is_some_and(|k| self.keys.contains(&k)) {
                let _ = ipc_inventory::remove(&o);
            }
        }
    }
}

/// Serialises the tests that judge objects: `ipc` briefly opens the objects
/// it asks the kernel about, which a parallel test's `ipc` would see as a
/// holder.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ipc(args: &[&str]) -> Output {
    testkit::target_command(IPC)
        .args(args)
        .output()
        .expect("run ipc")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `ipc` and checks its exit code; returns stdout.
fn ipc_expect(args: &[&str], code: i32) -> String {
    let out = ipc(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "ipc {args:?}: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn labels(v: &Value) -> Vec<String> {
    let mut labels: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let o = o.get("object").unwrap_or(o);
            format!(
                "{} {}",
                o["kind"].as_str().unwrap(),
                o["label"].as_str().unwrap()
            )
        })
        .collect();
    labels.sort();
    labels
}

#[test]
fn bad_arguments_are_usage_errors_that_say_what_to_do() {
    let cases: &[(&[&str], &str)] = &[
        (&["frob"], "unknown command \"frob\""),
        (&["ls", "--bogus"], "unknown option --bogus"),
        (&["show"], "needs what to show"),
        (&["rm", "/a", "/b"], "takes one object"),
        (&["rm", "0xcafe_f00d"], "not a System V key"),
        (&["rm", "/a/b"], "not a POSIX name"),
        (&["clean", "--stale"], "needs --prefix"),
        (
            &["clean", "--prefix", "/", "--stale"],
            "not a POSIX name prefix",
        ),
        (&["clean", "--prefix", "/x"], "exactly one of --stale"),
        (&["ls", "--kind", "shm"], "unknown kind"),
    ];
    for (args, expected) in cases {
        let out = ipc(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("usage: ipc ls"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let help = ipc_expect(&["help"], 0);
    assert!(
        help.contains("exit codes: 0 ok, 1 nothing matched"),
        "{help}"
    );
}

#[test]
fn nothing_matched_is_exit_code_1() {
    let absent = testkit::unique_name("absent");
    let key = format!("{:#010x}", testkit::unique_key());
    for args in [
        vec!["show", absent.as_str()],
        vec!["rm", absent.as_str()],
        vec!["rm", key.as_str(), "--force"],
        vec!["ls", "--prefix", absent.as_str()],
        vec!["clean", "--prefix", absent.as_str(), "--stale"],
    ] {
        let out = ipc(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = ipc_expect(&["ls", "--prefix", &absent, "--json"], 1);
    assert_eq!(json(&out)["objects"], Value::Array(vec![]));
}

/// The child half of the killed-run test: one object of each kind under
/// the run's name and key, each used once, then wait for SIGKILL.
fn make_and_hang(args: &[String]) -> ! {
    let (run, key) = (&args[0], args[1].parse::<i32>().unwrap());
    let sem = posix_ipc::Semaphore::create_new(format!("{run}-sem").as_str(), 1).unwrap();
    sem.acquire(posix_ipc::Timeout::Immediate).unwrap();
    let shm = posix_ipc::SharedMemory::create_new(format!("{run}-shm").as_str(), 4096).unwrap();
    let _map = shm.map().unwrap();
    let _mq = ipc_inventory::mqueue_mount().map(|_| {
        let q = posix_ipc::MessageQueue::create_new(format!("{run}-mq").as_str()).unwrap();
        q.send(b"left", 0).unwrap();
        q
    });
    let set = sysv_ipc::SemaphoreSet::options()
        .create_new(true)
        .len(2)
        .open(Key::new(key))
        .unwrap();
    set.release(0, 1).unwrap();
    let seg = sysv_ipc::SharedMemory::create_new(Key::new(key), 4096).unwrap();
    let _attachment = seg.attach().unwrap();
    let q = sysv_ipc::MessageQueue::create_new(Key::new(key)).unwrap();
    q.send(b"left behind", 1, Wait::NoWait).unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn clean_stale_after_a_killed_run_removes_exactly_its_objects() {
    const TEST: &str = "clean_stale_after_a_killed_run_removes_exactly_its_objects";
    if let Some(args) = testkit::child_args(TEST) {
        make_and_hang(&args);
    }
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let run = testkit::unique_name("kill");
    guard.names.push(run.clone());
    let (key, busy_key) = (guard.key(), guard.key());
    let child = testkit::spawn_child(TEST, &[&run, &key.to_string()]);
    let made = testkit::eventually(Duration::from_secs(30), || {
        sysv_ipc::MessageQueue::open(Key::new(key))
            .is_ok_and(|q| q.current_messages().unwrap_or(0) == 1)
    });
    child.signal(libc::SIGKILL);
    let out = child.wait(Duration::from_secs(30));
    assert!(made, "the child made its objects: {out:?}");
    assert_eq!(out.status.signal(), Some(libc::SIGKILL));

    // Objects of the same prefixes that this live process uses.
    let busy_name = format!("{run}-busy");
    let held = posix_ipc::SharedMemory::create_new(busy_name.as_str(), 64).unwrap();
    let busy_set = sysv_ipc::SemaphoreSet::options()
        .create_new(true)
        .len(1)
        .open(Key::new(busy_key))
        .unwrap();
    busy_set.release(0, 1).unwrap();
    let busy_seg = sysv_ipc::SharedMemory::create_new(Key::new(busy_key), 64).unwrap();
    let attached = busy_seg.attach().unwrap();

    let (k, bk) = (
        ipc_inventory::format_key(key),
        ipc_inventory::format_key(busy_key),
    );
    let prefixes = [
        "--prefix",
        run.as_str(),
        "--prefix",
        k.as_str(),
        "--prefix",
        bk.as_str(),
    ];
    let listed = json(&ipc_expect(
        &[&["ls", "--json"][..], &prefixes[..]].concat(),
        0,
    ));
    let states: Vec<(String, String)> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                format!(
                    "{} {}",
                    o["kind"].as_str().unwrap(),
                    o["label"].as_str().unwrap()
                ),
                o["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let state = |label: &str| {
        states
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("{label} not listed: {states:?}"))
            .1
            .clone()
    };
    // A System V queue is provably unused only where every task's system
    // call can be read (some sandboxes hide one even from root).
    let queue_label = format!("sysv-msg {k}");
    let queue_provable = state(&queue_label) != "unknown";
    // musl keeps the semaphore "/x" in /dev/shm/x, the file of the shared
    // memory object "/x", so the inventory lists it as shared memory there.
    let sem_kind = if cfg!(target_env = "musl") {
        "posix-shm"
    } else {
        "posix-sem"
    };
    let mut expected = vec![
        format!("{sem_kind} {run}-sem"),
        format!("posix-shm {run}-shm"),
        format!("sysv-sem {k}"),
        format!("sysv-shm {k}"),
    ];
    if ipc_inventory::mqueue_mount().is_some() {
        expected.push(format!("posix-mq {run}-mq"));
    }
    if queue_provable {
        expected.push(queue_label.clone());
    }
    expected.sort();
    for label in &expected {
        assert_eq!(state(label), "stale", "{label}: {listed:#}");
    }
    let busy = [
        format!("posix-shm {busy_name}"),
        format!("sysv-sem {bk}"),
        format!("sysv-shm {bk}"),
    ];
    for label in &busy {
        assert_eq!(state(label), "in-use", "{label}: {listed:#}");
    }

    // A dry run says what would go and removes nothing.
    let dry = json(&ipc_expect(
        &[
            &["clean", "--stale", "--dry-run", "--json"][..],
            &prefixes[..],
        ]
        .concat(),
        0,
    ));
    assert_eq!(dry["dry_run"], Value::Bool(true));
    assert_eq!(labels(&dry["removed"]), expected);
    assert!(posix_ipc::Semaphore::open(format!("{run}-sem").as_str()).is_ok());

    let cleaned = json(&ipc_expect(
        &[&["clean", "--stale", "--json"][..], &prefixes[..]].concat(),
        0,
    ));
    assert_eq!(labels(&cleaned["removed"]), expected);
    let mut kept = busy.to_vec();
    if !queue_provable {
        kept.push(queue_label.clone());
    }
    kept.sort();
    assert_eq!(labels(&cleaned["kept"]), kept);
    assert_eq!(cleaned["failed"], Value::Array(vec![]));
    let left = json(&ipc_expect(
        &[&["ls", "--json"][..], &prefixes[..]].concat(),
        0,
    ));
    assert_eq!(labels(&left["objects"]), kept);

    // `rm` refuses what is in use (exit 4) unless forced.
    let out = ipc(&["rm", &busy_name]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("add --force"),
        "{}",
        text(&out.stderr)
    );
    let removed = ipc_expect(&["rm", &busy_name, "--force"], 0);
    assert!(
        removed.starts_with(&format!("removed posix-shm {busy_name}")),
        "{removed}"
    );
    drop((held, attached));
}

#[test]
fn ls_and_show_for_people() {
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = testkit::unique_name("show");
    guard.names.push(name.clone());
    let key = guard.key();
    let shm = posix_ipc::SharedMemory::options()
        .create_new(true)
        .mode(0o640)
        .size(5000)
        .open(name.as_str())
        .unwrap();
    let q = sysv_ipc::MessageQueue::create_new(Key::new(key)).unwrap();
    q.send(b"twelve bytes", 3, Wait::NoWait).unwrap();
    let k = ipc_inventory::format_key(key);

    let table = ipc_expect(&["ls", "--prefix", &name, "--prefix", &k], 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("KIND ") && lines[0].ends_with("USED BY"),
        "{table}"
    );
    let row = lines.iter().find(|l| l.contains(&name)).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    assert_eq!(
        cells[..7],
        ["posix-shm", &name, "-", "root", "0640", "5000", "in-use"]
    );
    assert!(cells[7].starts_with(&format!("{me}(")), "{row}");

    let shown = ipc_expect(&["show", &k], 0);
    assert!(
        shown.starts_with(&format!("sysv-msg {k} (id {})\n", q.id())),
        "{shown}"
    );
    for line in [
        "  messages:         1",
        "  queued bytes:     12",
        "  mode:             0600",
    ] {
        assert!(shown.contains(line), "{line:?} in\n{shown}");
    }
    assert!(
        shown.contains(&format!("  last send pid:    {me}")),
        "{shown}"
    );
    assert!(
        shown.contains("  state:            in-use: its last sender"),
        "{shown}"
    );
    let by_id = json(&ipc_expect(
        &["show", &q.id().to_string(), "--kind", "sysv-msg", "--json"],
        0,
    ));
    assert_eq!(by_id["objects"][0]["key"], Value::String(k.clone()));
    assert_eq!(by_id["objects"][0]["messages"], Value::from(1));
    drop(shm);
}

/// Another user (uid 65534) may not remove root's objects: exit code 3, with
/// or without --force, and the objects stay.
#[test]
fn another_users_removal_is_refused_with_exit_code_3() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run ipc as another user");
        return;
    }
    let _serial = one_at_a_time();
    let mut guard = Guard::default();
    let name = testkit::unique_name("perm");
    guard.names.push(name.clone());
    let key = guard.key();
    drop(posix_ipc::SharedMemory::create_new(name.as_str(), 16).unwrap());
    let q = sysv_ipc::MessageQueue::options()
        .create_new(true)
        .mode(0o644)
        .open(Key::new(key))
        .unwrap();
    let k = ipc_inventory::format_key(key);
    let as_nobody = |args: &[&str]| {
        testkit::target_command(IPC)
            .args(args)
            .uid(65534)
            .gid(65534)
            .output()
            .expect("run ipc as uid 65534")
    };
    for args in [
        vec!["rm", name.as_str()],
        vec!["rm", name.as_str(), "--force"],
        vec!["rm", k.as_str(), "--force"],
        vec!["clean", "--prefix", name.as_str(), "--stale"],
        vec!["clean", "--prefix", k.as_str(), "--force"],
    ] {
        let out = as_nobody(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains("belongs to uid 0"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("run as its owner or with sudo"),
            "{args:?}: {stderr}"
        );
    }
    // It still sees them, as unknown (it may not inspect root's processes).
    let listed = as_nobody(&["show", &name, "--json"]);
    let listed = json(&text(&listed.stdout));
    assert_eq!(listed["objects"][0]["state"], Value::from("unknown"));
    assert_eq!(listed["objects"][0]["uid"], Value::from(0));
    assert!(posix_ipc::SharedMemory::open(name.as_str()).is_ok());
    assert!(sysv_ipc::MessageQueue::open(Key::new(key)).is_ok());
    drop(q);
}
