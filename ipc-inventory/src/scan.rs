//! Building an [`Inventory`]: listing the objects, inspecting the processes
//! and applying the stale rule.

use std::ffi::{CString, OsString};
use std::fs::Metadata;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipc_common::{Error, ErrorKind, Mode, Result};

use crate::lease;
use crate::object::{Holders, Kind, Notification, Object, Staleness, Times};
use crate::proc::{self, SysvTable};
use crate::processes::{self, Target, Visibility};
use crate::rule::{self, Rules};

/// Where POSIX shared memory objects and (glibc's) named semaphores live.
pub const SHM_DIR: &str = "/dev/shm";

/// Where the mqueue filesystem is conventionally mounted.
pub const MQUEUE_DIR: &str = "/dev/mqueue";

/// The objects on this machine and what could be seen of their users; made
/// by [`list`] or [`Scan::run`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Inventory {
    /// Every object found: POSIX ones by name, then System V ones by kind
    /// and id.
    pub objects: Vec<Object>,
    /// Where the mqueue filesystem is mounted; `None` when it is not, in
    /// which case POSIX message queues could not be listed (mount it with
    /// `mount -t mqueue none /dev/mqueue`).
    pub mqueue_mount: Option<PathBuf>,
    /// False when the kernel has no System V IPC (`/proc/sysvipc` missing).
    pub sysv_listed: bool,
    /// What the process walk saw; `None` when processes were not inspected.
    pub processes: Option<ProcessSummary>,
}

/// What the walk over `/proc` could see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessSummary {
    /// Processes inspected fully.
    pub inspected: usize,
    /// Live processes this user may not inspect (their descriptors and
    /// mappings are unknown).
    pub uninspected: Vec<libc::pid_t>,
    /// Reasons some processes may be invisible altogether (a container's
    /// PID namespace, `/proc` mounted with `hidepid`).
    pub limits: Vec<String>,
}

impl ProcessSummary {
    /// True when every live process was seen and inspected.
    pub fn complete(&self) -> bool {
        self.uninspected.is_empty() && self.limits.is_empty()
    }
}

/// Options of a scan. [`list`] is `Scan::new().run()`.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// // Names only, quickly: no process walk, every verdict `Unknown`.
/// let inventory = ipc_inventory::Scan::new().processes(false).run()?;
/// assert!(inventory.processes.is_none());
/// # }
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scan {
    processes: bool,
    assume_idle: Vec<libc::pid_t>,
}

impl Default for Scan {
    fn default() -> Self {
        Scan::new()
    }
}

impl Scan {
    /// A full scan: objects, their users and the stale verdicts.
    pub fn new() -> Scan {
        Scan {
            processes: true,
            assume_idle: Vec::new(),
        }
    }

    /// Whether to find users: walk `/proc` for holders of POSIX objects and
    /// tasks blocked on System V queues, read the per-semaphore pids of
    /// System V sets, and check which pids are alive (default `true`).
    /// Without it every verdict is [`Staleness::Unknown`].
    pub fn processes(mut self, yes: bool) -> Scan {
        self.processes = yes;
        self
    }

    /// Processes the caller vouches make no System V message queue calls:
    /// their tasks are not checked for a blocked `msgsnd`/`msgrcv` (default:
    /// none).
    ///
    /// A queue is stale only when no task is blocked on it, and a task whose
    /// system call cannot be read (`/proc/<pid>/task/<tid>/syscall` needs the
    /// right to trace the process) might be: then every queue is
    /// [`Staleness::Unknown`]. In a container whose init (pid 1) cannot be
    /// traced even by root, that init is the usual culprit; naming it here is
    /// the operator's statement that it does not use System V queues, and
    /// nothing else of the rule changes.
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let inventory = ipc_inventory::Scan::new().assume_idle([1]).run()?;
    /// # let _ = inventory;
    /// # }
    /// # Ok::<(), ipc_common::Error>(())
    /// ```
    pub fn assume_idle(mut self, pids: impl IntoIterator<Item = libc::pid_t>) -> Scan {
        self.assume_idle = pids.into_iter().collect();
        self
    }

    /// Runs the scan.
    ///
    /// # Errors
    ///
    /// When `/dev/shm`, the mqueue filesystem, `/proc/sysvipc` or `/proc`
    /// cannot be read (a missing `/dev/shm` or `/proc/sysvipc` is not an
    /// error: it lists nothing).
    pub fn run(&self) -> Result<Inventory> {
        let mut objects = Vec::new();
        list_shm_dir(Path::new(SHM_DIR), &mut objects)?;
        let mqueue_mount = mqueue_mount();
        if let Some(dir) = &mqueue_mount {
            list_mqueue_dir(dir, &mut objects)?;
        }
        objects.sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));
        let mut sysv_listed = true;
        for kind in [
            Kind::SysvSemaphoreSet,
            Kind::SysvSharedMemory,
            Kind::SysvMessageQueue,
        ] {
            match read_sysv(kind, self.processes) {
                Ok(found) => objects.extend(found),
                Err(e) if e.kind() == ErrorKind::NotFound => sysv_listed = false,
                Err(e) => return Err(e),
            }
        }
        let processes = if self.processes {
            Some(judge(&mut objects, &self.assume_idle)?)
        } else {
            for o in &mut objects {
                o.staleness = Staleness::Unknown("processes were not inspected".to_owned());
            }
            None
        };
        Ok(Inventory {
            objects,
            mqueue_mount,
            sysv_listed,
            processes,
        })
    }
}

/// Lists every IPC object on this machine with its users and stale verdict:
/// `Scan::new().run()`.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let inventory = ipc_inventory::list()?;
/// for object in &inventory.objects {
///     println!("{object}: {}", object.staleness);
/// }
/// if inventory.mqueue_mount.is_none() {
///     println!("(POSIX message queues not listed: the mqueue filesystem is not mounted)");
/// }
/// # }
/// # Ok::<(), ipc_common::Error>(())
/// ```
///
/// # Errors
///
/// See [`Scan::run`].
pub fn list() -> Result<Inventory> {
    Scan::new().run()
}

/// Where the mqueue filesystem is mounted: `/dev/mqueue` if it is mounted
/// there, else the first mqueue mount in `/proc/mounts`, else `None`.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// if let Some(dir) = ipc_inventory::mqueue_mount() {
///     assert!(dir.is_dir());
/// }
/// ```
pub fn mqueue_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let points = proc::mqueue_mount_points(&mounts);
    points
        .iter()
        .find(|p| p.as_os_str() == MQUEUE_DIR)
        .or(points.first())
        .cloned()
}

/// An `io::Error` as this family's error, attributed to `op`, with what was
/// being read.
pub(crate) fn io_error(op: &'static str, what: &Path, e: &io::Error) -> Error {
    let base = match e.raw_os_error() {
        Some(errno) => Error::from_errno(op, errno),
        None => Error::new(ErrorKind::Other, op, ""),
    };
    base.with_message(format!("cannot read {}: {e}", what.display()))
}

fn time(secs: i64, nanos: i64) -> Option<SystemTime> {
    let secs = u64::try_from(secs).ok()?;
    let nanos = u32::try_from(nanos).unwrap_or(0);
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

fn from_metadata(kind: Kind, name: &[u8], path: PathBuf, meta: &Metadata) -> Object {
    let mut o = Object::new(kind);
    let mut full = Vec::with_capacity(name.len() + 1);
    full.push(b'/');
    full.extend_from_slice(name);
    o.name = Some(OsString::from_vec(full));
    o.path = Some(path);
    o.mode = Mode::from_raw(meta.mode() & 0o7777);
    o.uid = meta.uid();
    o.gid = meta.gid();
    o.device = Some(meta.dev());
    o.inode = Some(meta.ino());
    o.times = Times {
        accessed: time(meta.atime(), meta.atime_nsec()),
        modified: time(meta.mtime(), meta.mtime_nsec()),
        changed: time(meta.ctime(), meta.ctime_nsec()),
        ..Times::default()
    };
    o
}

/// The regular files of `dir` with their metadata (nothing when `dir` does
/// not exist; entries that vanish meanwhile are skipped).
fn files(dir: &Path) -> Result<Vec<(OsString, PathBuf, Metadata)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("read_dir", dir, &e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error("read_dir", dir, &e))?;
        let path = entry.path();
        if let Some(meta) = regular_file(&path)? {
            files.push((entry.file_name(), path, meta));
        }
    }
    Ok(files)
}

/// The metadata of `path` if it is a regular file; `None` for any other
/// file, and for one that vanished since its directory was read.
fn regular_file(path: &Path) -> Result<Option<Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.file_type().is_file().then_some(meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("stat", path, &e)),
    }
}

/// `/dev/shm`: `sem.<name>` files are glibc's named semaphores, the others
/// shared memory objects.
fn list_shm_dir(dir: &Path, objects: &mut Vec<Object>) -> Result<()> {
    for (file_name, path, meta) in files(dir)? {
        let bytes = file_name.as_bytes();
        let object = match bytes.strip_prefix(b"sem.") {
            Some(name) if !name.is_empty() => {
                from_metadata(Kind::PosixSemaphore, name, path, &meta)
            }
            _ => {
                let mut o = from_metadata(Kind::PosixSharedMemory, bytes, path, &meta);
                o.size = Some(meta.len());
                o
            }
        };
        objects.push(object);
    }
    Ok(())
}

/// The mqueue filesystem: one file per queue, whose content is the `QSIZE`
/// and notification line; the capacity comes from `mq_getattr`.
fn list_mqueue_dir(dir: &Path, objects: &mut Vec<Object>) -> Result<()> {
    for (file_name, path, meta) in files(dir)? {
        let mut o = from_metadata(Kind::PosixMessageQueue, file_name.as_bytes(), path, &meta);
        if let Ok(text) = std::fs::read_to_string(o.path.as_ref().unwrap_or(&PathBuf::new())) {
            let file = proc::parse_mqueue_file(&text);
            o.queued_bytes = file.qsize;
            o.notification = match (file.notify, file.signo, file.notify_pid) {
                (Some(method), Some(signal), Some(pid)) if pid != 0 => Some(Notification {
                    method,
                    signal,
                    pid,
                }),
                _ => None,
            };
        }
        if let Some(attr) = o.name.as_ref().and_then(|n| queue_attributes(n.as_bytes())) {
            o.max_messages = u64::try_from(attr.mq_maxmsg).ok();
            o.message_size = u64::try_from(attr.mq_msgsize).ok();
            o.messages = u64::try_from(attr.mq_curmsgs).ok();
        }
        objects.push(o);
    }
    Ok(())
}

/// A queue's attributes, by opening it read-only for a moment (`None` when
/// this user may not open it).
fn queue_attributes(name: &[u8]) -> Option<libc::mq_attr> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is NUL-terminated; without O_CREAT mq_open reads no
    // further arguments.
    let mqd = unsafe { libc::mq_open(name.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK) };
    if mqd == -1 {
        return None;
    }
    let mut attr = std::mem::MaybeUninit::<libc::mq_attr>::zeroed();
    // SAFETY: mqd is the descriptor just opened; attr is writable and sized
    // for a struct mq_attr.
    let rc = unsafe { libc::mq_getattr(mqd, attr.as_mut_ptr()) };
    // SAFETY: mqd is open and closed exactly once here.
    unsafe { libc::mq_close(mqd) };
    // SAFETY: mq_getattr filled the struct when it returned 0; the zeroed
    // struct is a valid mq_attr anyway.
    (rc == 0).then(|| unsafe { attr.assume_init() })
}

fn sysv_file(kind: Kind) -> &'static str {
    match kind {
        Kind::SysvSemaphoreSet => "/proc/sysvipc/sem",
        Kind::SysvSharedMemory => "/proc/sysvipc/shm",
        _ => "/proc/sysvipc/msg",
    }
}

/// The System V objects of `kind`, from `/proc/sysvipc`. A missing file is
/// `NotFound` (no System V IPC in this kernel).
pub(crate) fn read_sysv(kind: Kind, semaphore_pids: bool) -> Result<Vec<Object>> {
    let file = sysv_file(kind);
    let text = std::fs::read_to_string(file).map_err(|e| io_error("read", Path::new(file), &e))?;
    let table = SysvTable::parse(&text).map_err(|e| {
        Error::new(
            ErrorKind::Other,
            "read",
            format!("{file}: {e}; this kernel's format is not understood"),
        )
    })?;
    let mut objects = Vec::new();
    for row in table.rows() {
        let id_column = match kind {
            Kind::SysvSemaphoreSet => "semid",
            Kind::SysvSharedMemory => "shmid",
            _ => "msqid",
        };
        let mut o = Object::new(kind);
        let (Some(key), Some(id), Some(perms), Some(uid), Some(gid)) = (
            row.num::<i32>("key"),
            row.num::<i32>(id_column),
            row.perms(),
            row.num("uid"),
            row.num("gid"),
        ) else {
            return Err(Error::new(
                ErrorKind::Other,
                "read",
                format!("{file}: a row lacks key, {id_column}, perms, uid or gid"),
            ));
        };
        (o.key, o.id, o.mode, o.uid, o.gid) =
            (Some(key), Some(id), Mode::from_raw(perms), uid, gid);
        o.cuid = row.num("cuid");
        o.cgid = row.num("cgid");
        o.times.changed = row.time("ctime");
        match kind {
            Kind::SysvSemaphoreSet => {
                o.semaphores = row.num("nsems");
                o.times.operated = row.time("otime");
                if semaphore_pids {
                    (o.semaphore_pids, o.waiters) = semaphore_users(id, o.semaphores.unwrap_or(0));
                }
            }
            Kind::SysvSharedMemory => {
                o.size = row.num("size");
                o.creator_pid = row.pid("cpid");
                o.last_pid = row.pid("lpid");
                o.attachments = row.num("nattch");
                o.times.attached = row.time("atime");
                o.times.detached = row.time("dtime");
            }
            _ => {
                o.queued_bytes = row.num("cbytes");
                o.messages = row.num("qnum");
                o.last_send_pid = row.pid("lspid");
                o.last_receive_pid = row.pid("lrpid");
                o.times.sent = row.time("stime");
                o.times.received = row.time("rtime");
            }
        }
        objects.push(o);
    }
    Ok(objects)
}

/// Per semaphore of set `id`: the pid of the last operation (`GETPID`), and
/// the number of waiters (`GETNCNT` + `GETZCNT`) over the set. `None` when
/// this user may not read the set.
fn semaphore_users(id: i32, count: u64) -> (Option<Vec<libc::pid_t>>, Option<u64>) {
    let mut pids = Vec::new();
    let mut waiters = 0u64;
    for num in 0..count {
        let Ok(num) = libc::c_int::try_from(num) else {
            return (None, None);
        };
        let get = |cmd| {
            // SAFETY: GETPID, GETNCNT and GETZCNT take no fourth argument.
            let rc = unsafe { libc::semctl(id, num, cmd) };
            (rc >= 0).then_some(rc)
        };
        let (Some(pid), Some(ncnt), Some(zcnt)) =
            (get(libc::GETPID), get(libc::GETNCNT), get(libc::GETZCNT))
        else {
            return (None, None);
        };
        pids.push(pid);
        waiters += u64::try_from(ncnt).unwrap_or(0) + u64::try_from(zcnt).unwrap_or(0);
    }
    (Some(pids), Some(waiters))
}

/// Walks the processes and gives every object its verdict.
fn judge(objects: &mut [Object], assume_idle: &[libc::pid_t]) -> Result<ProcessSummary> {
    let mut targets = Vec::new();
    let mut target_of = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if let (Some(name), Some(path), Some(dev), Some(ino)) =
            (&o.name, &o.path, o.device, o.inode)
        {
            let link = if o.kind == Kind::PosixMessageQueue {
                name.as_bytes().to_vec()
            } else {
                path.as_os_str().as_bytes().to_vec()
            };
            targets.push(Target { link, dev, ino });
            target_of.push(i);
        }
    }
    let queues = objects.iter().any(|o| o.kind == Kind::SysvMessageQueue);
    let walk = processes::walk(&targets, queues, assume_idle)
        .map_err(|e| io_error("read_dir", Path::new("/proc"), &e))?;
    let visibility = Visibility::now();
    let summary = ProcessSummary {
        inspected: walk.inspected,
        uninspected: walk.uninspected,
        limits: visibility.limits(),
    };
    let complete = summary.complete();
    for (t, holders) in walk.holders.into_iter().enumerate() {
        let Target { dev, ino, .. } = targets[t];
        let o = &mut objects[target_of[t]];
        // Ask the kernel only when the walk cannot decide: nobody was seen
        // holding it, but some process could not be inspected. (The probe
        // briefly holds a lease, which delays an open of the object by
        // microseconds, so a scan does not take one needlessly.)
        let open_per_kernel = match &o.path {
            Some(path) if holders.is_empty() && !complete => {
                lease::opened_elsewhere(path, dev, ino)
            }
            _ => None,
        };
        o.holders = Some(Holders {
            processes: holders,
            complete,
            open_per_kernel,
        });
    }
    let rules = Rules {
        incomplete: incomplete_reason(&summary.limits, &summary.uninspected, "inspected"),
        tasks_incomplete: incomplete_reason(&summary.limits, &walk.unreadable_tasks, "checked"),
        zero_is_none: visibility.initial_pid_ns && visibility.proc_is_ours,
        pids_uncheckable: (!visibility.proc_is_ours).then(|| {
            "/proc does not belong to this process's PID namespace, so pids cannot be checked"
                .to_owned()
        }),
        alive: &processes::alive,
    };
    for o in objects.iter_mut() {
        if o.kind == Kind::SysvMessageQueue {
            let id = o.id.and_then(|id| u64::try_from(id).ok());
            o.blocked_pids = walk.blocked.as_ref().map(|blocked| {
                id.and_then(|id| blocked.get(&id).cloned())
                    .unwrap_or_default()
            });
        }
        o.staleness = rule::verdict(o, &rules);
    }
    Ok(summary)
}

/// Why the walk did not see everything: `limits`, and the processes it
/// could not look into.
fn incomplete_reason(limits: &[String], unseen: &[libc::pid_t], verb: &str) -> Option<String> {
    let mut reasons = limits.to_vec();
    if !unseen.is_empty() {
        let shown: Vec<String> = unseen.iter().take(5).map(ToString::to_string).collect();
        // SAFETY: geteuid has no preconditions.
        let advice = if unsafe { libc::geteuid() } == 0 {
            "not even by root here"
        } else {
            "run as root to see them"
        };
        reasons.push(format!(
            "{} process(es) could not be {verb} (pid {}{}); {advice}",
            unseen.len(),
            shown.join(", "),
            if unseen.len() > 5 { ", ..." } else { "" }
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_complete_only_without_unseen_processes_or_limits() {
        assert!(ProcessSummary::default().complete());
        let unseen = ProcessSummary {
            uninspected: vec![1],
            ..ProcessSummary::default()
        };
        assert!(!unseen.complete());
        let limited = ProcessSummary {
            limits: vec!["/proc is mounted with hidepid".to_owned()],
            ..ProcessSummary::default()
        };
        assert!(!limited.complete());
    }
}
