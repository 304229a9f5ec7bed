//! The walk over `/proc/<pid>`: which live processes hold POSIX objects open
//! (descriptors) or mapped (`maps`), and which tasks are blocked on a System
//! V message queue (`task/<tid>/syscall`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::object::Holder;
use crate::proc;

/// A POSIX object to look for: the link text a descriptor of it shows in
/// this mount namespace (`/dev/shm/x` for shared memory and semaphores,
/// `/x` for queues), and its device and inode.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) link: Vec<u8>,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Per target (same order), the processes holding it.
    pub(crate) holders: Vec<Vec<Holder>>,
    /// Processes fully inspected.
    pub(crate) inspected: usize,
    /// Live processes that could not be inspected (permission, or a
    /// descriptor that cannot be identified).
    pub(crate) uninspected: Vec<libc::pid_t>,
    /// Message queue id → processes with a task blocked in `msgsnd` or
    /// `msgrcv` on it; `None` when not looked for (no queues, or this
    /// architecture's calls are unknown).
    pub(crate) blocked: Option<HashMap<u64, Vec<libc::pid_t>>>,
    /// Processes with a task whose system call could not be read.
    pub(crate) unreadable_tasks: Vec<libc::pid_t>,
}

/// What this process can see of the others, beyond individual processes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visibility {
    /// `/proc` belongs to this process's PID namespace, so the pids it shows
    /// (and `/proc/sysvipc` reports) are the ones `kill` checks.
    pub(crate) proc_is_ours: bool,
    /// `/proc` hides other users' processes from this one (`hidepid`).
    pub(crate) hidden: bool,
    /// This process is in the initial PID namespace: every pid is visible,
    /// so a pid of 0 in `/proc/sysvipc` means "no process", not "a process
    /// outside this namespace".
    pub(crate) initial_pid_ns: bool,
}

impl Visibility {
    /// Looks at `/proc/self`, `/proc/mounts` and the PID namespace.
    pub(crate) fn now() -> Visibility {
        // SAFETY: getpid has no preconditions.
        let me = unsafe { libc::getpid() };
        let proc_self = std::fs::read_link("/proc/self").ok();
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        Visibility {
            proc_is_ours: proc_self.as_deref() == Some(Path::new(&me.to_string())),
            hidden: proc::proc_hides_processes(&mounts) && !has_capability(CAP_SYS_PTRACE),
            initial_pid_ns: in_initial_pid_namespace(),
        }
    }

    /// The reasons some processes may be invisible, in words.
    pub(crate) fn limits(self) -> Vec<String> {
        let mut limits = Vec::new();
        if !self.proc_is_ours {
            limits.push(
                "/proc does not belong to this process's PID namespace (or is not mounted)"
                    .to_owned(),
            );
        }
        if self.hidden {
            limits.push(
                "/proc is mounted with hidepid, which hides other users' processes".to_owned(),
            );
        }
        if !self.initial_pid_ns {
            limits.push(
                "this process runs in a PID namespace other than the initial one (a \
                 container?), so processes outside it are invisible"
                    .to_owned(),
            );
        }
        limits
    }
}

/// Whether this process sees every pid: it lives in the initial PID
/// namespace (whose inode the kernel fixes at `0xEFFFFFFC`).
pub(crate) fn in_initial_pid_namespace() -> bool {
    std::fs::read_link("/proc/self/ns/pid")
        .is_ok_and(|link| link.as_os_str().as_bytes() == b"pid:[4026531836]")
}

pub(crate) const CAP_FOWNER: u32 = 3;
pub(crate) const CAP_SYS_PTRACE: u32 = 19;
pub(crate) const CAP_SYS_ADMIN: u32 = 21;

/// Whether this process has capability `cap` in its effective set.
pub(crate) fn has_capability(cap: u32) -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| proc::effective_capabilities(&s))
        .is_some_and(|mask| mask & (1 << cap) != 0)
}

/// Whether `pid` names a live process (or a zombie, or a process that reused
/// the pid: all of which only ever make objects look in use).
pub(crate) fn alive(pid: libc::pid_t) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 checks for existence and permission only; pid > 0
    // addresses one process, never a group.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || ipc_common::__private::errno() == libc::EPERM
}

/// The command name of `pid`, from `/proc/<pid>/comm`.
pub(crate) fn command(pid: libc::pid_t) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim_end_matches('\n').to_owned())
}

/// Walks every process in `/proc`. The tasks of the processes in
/// `assume_idle` are not checked for blocked System V queue calls: the
/// caller vouches that they make none.
pub(crate) fn walk(
    targets: &[Target],
    queues: bool,
    assume_idle: &[libc::pid_t],
) -> io::Result<Walk> {
    let index = Index::new(targets);
    let our_mnt_ns = std::fs::read_link("/proc/self/ns/mnt").ok();
    let queue_calls = if queues { proc::queue_calls() } else { None };
    let mut walk = Walk {
        holders: vec![Vec::new(); targets.len()],
        blocked: queues.then(HashMap::new).filter(|_| queue_calls.is_some()),
        ..Walk::default()
    };
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let mut seen = Seen::default();
        let outcome = inspect(pid, &index, our_mnt_ns.as_deref(), &mut seen);
        if let (Some(calls), Some(_)) = (queue_calls, &walk.blocked)
            && !assume_idle.contains(&pid)
            && blocked_tasks(pid, calls, &mut seen).is_err()
        {
            walk.unreadable_tasks.push(pid);
        }
        match outcome {
            Outcome::Gone => continue,
            Outcome::Inspected => walk.inspected += 1,
            Outcome::Uninspectable => walk.uninspected.push(pid),
        }
        record(pid, seen, &mut walk);
    }
    walk.uninspected.sort_unstable();
    walk.unreadable_tasks.sort_unstable();
    Ok(walk)
}

fn record(pid: libc::pid_t, seen: Seen, walk: &mut Walk) {
    if !seen.uses.is_empty() {
        let command = command(pid);
        for (target, (open, mapped)) in seen.uses {
            walk.holders[target].push(Holder {
                pid,
                command: command.clone(),
                open,
                mapped,
            });
        }
    }
    if let Some(blocked) = &mut walk.blocked {
        for queue in seen.blocked_on {
            let pids = blocked.entry(queue).or_default();
            if !pids.contains(&pid) {
                pids.push(pid);
            }
        }
    }
}

/// Lookups from what `/proc` shows to targets.
struct Index {
    by_link: HashMap<Vec<u8>, Vec<usize>>,
    by_dev_ino: HashMap<(u32, u32, u64), Vec<usize>>,
    by_ino: HashMap<u64, Vec<usize>>,
    dev_ino: Vec<(u64, u64)>,
}

impl Index {
    fn new(targets: &[Target]) -> Index {
        let mut index = Index {
            by_link: HashMap::new(),
            by_dev_ino: HashMap::new(),
            by_ino: HashMap::new(),
            dev_ino: Vec::new(),
        };
        for (i, t) in targets.iter().enumerate() {
            index.by_link.entry(t.link.clone()).or_default().push(i);
            let dev = (libc::major(t.dev), libc::minor(t.dev), t.ino);
            index.by_dev_ino.entry(dev).or_default().push(i);
            index.by_ino.entry(t.ino).or_default().push(i);
            index.dev_ino.push((t.dev, t.ino));
        }
        index
    }
}

/// What one process holds: target → (open, mapped); queues it is blocked on.
#[derive(Default)]
struct Seen {
    uses: HashMap<usize, (bool, bool)>,
    blocked_on: Vec<u64>,
}

impl Seen {
    fn open(&mut self, target: usize) {
        self.uses.entry(target).or_default().0 = true;
    }

    fn mapped(&mut self, target: usize) {
        self.uses.entry(target).or_default().1 = true;
    }
}

enum Outcome {
    Gone,
    Inspected,
    Uninspectable,
}

/// Any error but "no such file" (the process or descriptor went away).
fn gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

fn inspect(pid: libc::pid_t, index: &Index, our_mnt_ns: Option<&Path>, seen: &mut Seen) -> Outcome {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let same_mnt_ns = our_mnt_ns.is_some()
        && std::fs::read_link(base.join("ns/mnt")).ok().as_deref() == our_mnt_ns;
    let tables = match fd_tables(pid, &base) {
        Ok(tables) => tables,
        Err(e) if gone(&e) => return Outcome::Gone,
        Err(_) => return Outcome::Uninspectable,
    };
    let mut complete = true;
    for table in tables {
        match scan_fds(&table, index, same_mnt_ns, seen) {
            Ok(identified_all) => complete &= identified_all,
            Err(e) if gone(&e) => {}
            Err(_) => complete = false,
        }
    }
    match std::fs::read_to_string(base.join("maps")) {
        Ok(maps) => {
            for dev_ino in maps.lines().filter_map(proc::parse_maps_line) {
                for &target in index.by_dev_ino.get(&dev_ino).into_iter().flatten() {
                    seen.mapped(target);
                }
            }
        }
        Err(e) if gone(&e) => return Outcome::Gone,
        Err(_) => complete = false,
    }
    if complete {
        Outcome::Inspected
    } else {
        Outcome::Uninspectable
    }
}

/// The descriptor directories of a process: its own, and those of threads
/// that unshared their descriptor table (`kcmp` says whether they differ; a
/// thread it cannot compare is scanned too).
fn fd_tables(pid: libc::pid_t, base: &Path) -> io::Result<Vec<PathBuf>> {
    let mut tables = vec![base.join("fd")];
    for task in std::fs::read_dir(base.join("task"))? {
        let task = task?;
        let Some(tid) = task
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if tid != pid && !same_descriptor_table(pid, tid) {
            tables.push(task.path().join("fd"));
        }
    }
    Ok(tables)
}

fn same_descriptor_table(pid: libc::pid_t, tid: libc::pid_t) -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64"))]
    {
        const KCMP_FILES: libc::c_long = 2;
        // SAFETY: kcmp compares two tasks' kernel objects; it takes no
        // pointers and has no effect on either task.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_kcmp,
                libc::c_long::from(pid),
                libc::c_long::from(tid),
                KCMP_FILES,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        };
        rc == 0
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
    {
        let _ = (pid, tid);
        false
    }
}

/// Records the targets among the descriptors in `dir`; `Ok(false)` when a
/// descriptor could not be identified.
fn scan_fds(dir: &Path, index: &Index, same_mnt_ns: bool, seen: &mut Seen) -> io::Result<bool> {
    let mut identified_all = true;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let fd_path = entry.path();
        let link: OsString = match std::fs::read_link(&fd_path) {
            Ok(link) => link.into_os_string(),
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        let link = link.as_bytes();
        if same_mnt_ns {
            // The link names the file as this process sees it; confirm by
            // device and inode (a regular file "/x" looks like queue "/x").
            for &target in index.by_link.get(link).into_iter().flatten() {
                match std::fs::metadata(&fd_path) {
                    Ok(meta) if (meta.dev(), meta.ino()) != index.dev_ino[target] => {}
                    Err(e) if gone(&e) => {}
                    _ => seen.open(target),
                }
            }
        } else if link.starts_with(b"/") && !link.ends_with(b" (deleted)") {
            // Another mount namespace: paths differ. stat() through the
            // descriptor's link reaches the file itself, so its device and
            // inode identify it exactly.
            match std::fs::metadata(&fd_path) {
                Ok(meta) => {
                    for &target in index.by_ino.get(&meta.ino()).into_iter().flatten() {
                        if index.dev_ino[target] == (meta.dev(), meta.ino()) {
                            seen.open(target);
                        }
                    }
                    continue;
                }
                Err(e) if gone(&e) => continue,
                Err(_) => {}
            }
            // Not reachable: compare inode numbers from fdinfo (an equal
            // number on another filesystem only ever makes an object look in
            // use).
            let fdinfo = dir
                .parent()
                .map(|p| p.join("fdinfo").join(entry.file_name()));
            match fdinfo.map(std::fs::read_to_string) {
                Some(Ok(text)) => match proc::fdinfo_inode(&text) {
                    Some(ino) => {
                        for &target in index.by_ino.get(&ino).into_iter().flatten() {
                            seen.open(target);
                        }
                    }
                    None => identified_all = false,
                },
                Some(Err(e)) if gone(&e) => {}
                _ => identified_all = false,
            }
        }
    }
    Ok(identified_all)
}

/// Records the message queues the tasks of `pid` are blocked on.
fn blocked_tasks(pid: libc::pid_t, calls: &[proc::QueueCall], seen: &mut Seen) -> io::Result<()> {
    let tasks = match std::fs::read_dir(format!("/proc/{pid}/task")) {
        Ok(tasks) => tasks,
        Err(e) if gone(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for task in tasks {
        let task = task?;
        match std::fs::read_to_string(task.path().join("syscall")) {
            Ok(text) => {
                if let Some(queue) =
                    proc::parse_syscall(&text).and_then(|call| proc::blocked_queue(call, calls))
                {
                    seen.blocked_on.push(queue);
                }
            }
            Err(e) if gone(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_of_visibility_is_explained() {
        let all = Visibility {
            proc_is_ours: true,
            hidden: false,
            initial_pid_ns: true,
        };
        assert!(all.limits().is_empty());
        let none = Visibility {
            proc_is_ours: false,
            hidden: true,
            initial_pid_ns: false,
        };
        let limits = none.limits();
        assert_eq!(limits.len(), 3, "{limits:?}");
        for (limit, says) in
            limits
                .iter()
                .zip(["/proc does not belong", "hidepid", "PID namespace"])
        {
            assert!(limit.contains(says), "{limit}");
        }
    }
}
