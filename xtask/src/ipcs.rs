//! Snapshots of the IPC objects on this machine, for the leak check of
//! `cargo xtask test` and for `cargo xtask clean`.
//!
//! On Linux every POSIX shared memory object and named semaphore is a file in
//! `/dev/shm` (semaphores are `sem.<name>`), every POSIX message queue is a
//! file in the mqueue filesystem (usually mounted at `/dev/mqueue`), and every
//! System V object is a row of `/proc/sysvipc/{sem,shm,msg}`.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Where POSIX shared memory objects and named semaphores live.
pub(crate) const SHM_DIR: &str = "/dev/shm";

/// Where `cargo xtask test` mounts the mqueue filesystem when it is missing.
pub(crate) const MQUEUE_DIR: &str = "/dev/mqueue";

/// Prefix of the POSIX names this project's tests, examples, demos and
/// benches use (`/ipcrs…`), as it appears in file names.
pub(crate) const POSIX_PREFIX: &str = "ipcrs";

/// The top 16 bits of every SysV key this project's tests, examples, demos
/// and benches use: keys `0x1C5A_0000..=0x1C5A_FFFF`.
pub(crate) const SYSV_KEY_PREFIX: u32 = 0x1C5A;

/// Prefix of the POSIX names of `cargo xtask bench`'s objects
/// (`/ipcbench_<tag>_<pid>_<suffix>`, the benchmark reference's convention).
pub(crate) const BENCH_POSIX_PREFIX: &str = "ipcbench_";

/// The top 8 bits of the SysV keys of `cargo xtask bench`'s objects
/// (`0x49000000 | (pid & 0x3FFFFF) << 2 | idx`).
pub(crate) const BENCH_KEY_TOP_BYTE: u32 = 0x49;

/// The three kinds of System V object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SysvKind {
    /// A semaphore set (`/proc/sysvipc/sem`).
    Sem,
    /// A shared memory segment (`/proc/sysvipc/shm`).
    Shm,
    /// A message queue (`/proc/sysvipc/msg`).
    Msg,
}

impl SysvKind {
    /// All kinds, in the order snapshots read them.
    pub(crate) const ALL: [SysvKind; 3] = [SysvKind::Sem, SysvKind::Shm, SysvKind::Msg];

    /// The file under `/proc/sysvipc/` that lists objects of this kind.
    pub(crate) fn proc_file(self) -> &'static str {
        match self {
            SysvKind::Sem => "/proc/sysvipc/sem",
            SysvKind::Shm => "/proc/sysvipc/shm",
            SysvKind::Msg => "/proc/sysvipc/msg",
        }
    }

    /// The `ipcrm` option that removes an object of this kind by id.
    pub(crate) fn ipcrm_flag(self) -> &'static str {
        match self {
            SysvKind::Sem => "-s",
            SysvKind::Shm => "-m",
            SysvKind::Msg => "-q",
        }
    }

    fn name(self) -> &'static str {
        match self {
            SysvKind::Sem => "sem",
            SysvKind::Shm => "shm",
            SysvKind::Msg => "msg",
        }
    }
}

/// One IPC object.
///
/// Two objects are the same object when they have the same path (POSIX) or
/// the same kind and id (System V): the key of a SysV object is carried for
/// display only, because the kernel sets it to `IPC_PRIVATE` when a segment
/// that is still attached gets removed.
#[derive(Clone, Debug)]
pub(crate) enum Object {
    /// A POSIX object: a file in `/dev/shm` or in the mqueue filesystem.
    Posix(PathBuf),
    /// A System V object.
    Sysv {
        /// Semaphore set, shared memory segment or message queue.
        kind: SysvKind,
        /// The key it was created with (0 for `IPC_PRIVATE`).
        key: i32,
        /// The identifier `ipcrm` and the `*ctl` calls take.
        id: i32,
    },
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Identity<'a> {
    Posix(&'a Path),
    Sysv(SysvKind, i32),
}

impl Object {
    fn identity(&self) -> Identity<'_> {
        match self {
            Object::Posix(path) => Identity::Posix(path),
            Object::Sysv { kind, id, .. } => Identity::Sysv(*kind, *id),
        }
    }

    /// Whether this project's naming convention says the object is ours:
    /// a POSIX name starting with `/ipcrs` or a SysV key `0x1C5Axxxx` (tests,
    /// examples, demos), or `/ipcbench_` / `0x49xxxxxx` (benchmarks).
    pub(crate) fn is_ours(&self) -> bool {
        match self {
            Object::Posix(path) => path.file_name().is_some_and(|name| {
                let name = name.to_string_lossy();
                let name = name.strip_prefix("sem.").unwrap_or(&name);
                name.starts_with(POSIX_PREFIX) || name.starts_with(BENCH_POSIX_PREFIX)
            }),
            Object::Sysv { key, .. } => {
                let key = key.cast_unsigned();
                key >> 16 == SYSV_KEY_PREFIX || key >> 24 == BENCH_KEY_TOP_BYTE
            }
        }
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        self.identity() == other.identity()
    }
}

impl Eq for Object {}

impl PartialOrd for Object {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Object {
    fn cmp(&self, other: &Self) -> Ordering {
        self.identity().cmp(&other.identity())
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Posix(path) => write!(f, "{}", path.display()),
            Object::Sysv { kind, key, id } => write!(
                f,
                "sysv {} key=0x{:08x} id={id}",
                kind.name(),
                key.cast_unsigned()
            ),
        }
    }
}

/// All IPC objects on the machine, as far as we can see them.
pub(crate) type Snapshot = BTreeSet<Object>;

/// Takes a snapshot: every entry of `/dev/shm`, of the mqueue filesystem if
/// it is mounted, and every row of `/proc/sysvipc/{sem,shm,msg}`. Missing
/// directories and files (no mqueue mount, a kernel without SysV IPC) count
/// as empty.
pub(crate) fn snapshot() -> Result<Snapshot, String> {
    let mut objects = Snapshot::new();
    let mut dirs = vec![PathBuf::from(SHM_DIR)];
    dirs.extend(mqueue_dir());
    for dir in dirs {
        objects.extend(
            list_dir(&dir)
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
                .into_iter()
                .map(Object::Posix),
        );
    }
    for kind in SysvKind::ALL {
        let file = kind.proc_file();
        match std::fs::read_to_string(file) {
            Ok(text) => objects.extend(parse_sysvipc(kind, &text)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {file}: {e}")),
        }
    }
    Ok(objects)
}

/// The objects of `after` that are not in `before`, sorted.
pub(crate) fn leaked(before: &Snapshot, after: &Snapshot) -> Vec<Object> {
    after.difference(before).cloned().collect()
}

/// The entries of `dir`, or nothing if it does not exist.
fn list_dir(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    entries.map(|entry| entry.map(|e| e.path())).collect()
}

/// Parses one of `/proc/sysvipc/{sem,shm,msg}`: a header line, then one row
/// per object whose first two columns are the key and the id, in decimal
/// (keys above `i32::MAX` show up negative, as `key_t` is an `int`).
pub(crate) fn parse_sysvipc(kind: SysvKind, text: &str) -> Result<Vec<Object>, String> {
    let mut lines = text.lines();
    match lines.next() {
        None => return Ok(Vec::new()),
        Some(header) if header.split_whitespace().next() == Some("key") => {}
        Some(header) => {
            return Err(format!(
                "{}: unexpected header line {header:?}",
                kind.proc_file()
            ));
        }
    }
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut columns = line.split_whitespace();
            let key = columns.next().and_then(|c| c.parse::<i32>().ok());
            let id = columns.next().and_then(|c| c.parse::<i32>().ok());
            match (key, id) {
                (Some(key), Some(id)) => Ok(Object::Sysv { kind, key, id }),
                _ => Err(format!("{}: cannot parse row {line:?}", kind.proc_file())),
            }
        })
        .collect()
}

/// Where the mqueue filesystem is mounted (`/dev/mqueue` if it is mounted
/// there, else the first mqueue mount in `/proc/mounts`), or `None`.
pub(crate) fn mqueue_dir() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let points = mqueue_mount_points(&mounts);
    points
        .iter()
        .find(|p| p.as_os_str() == MQUEUE_DIR)
        .or(points.first())
        .cloned()
}

/// The mount points of the mqueue filesystems listed in `/proc/mounts` text.
fn mqueue_mount_points(mounts: &str) -> Vec<PathBuf> {
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let point = fields.nth(1)?;
            (fields.next()? == "mqueue").then(|| PathBuf::from(unescape_mount_point(point)))
        })
        .collect()
}

/// `/proc/mounts` writes space, tab, newline and backslash in mount points as
/// `\040`, `\011`, `\012` and `\134`.
fn unescape_mount_point(point: &str) -> String {
    point
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEM: &str =
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime
 475660289          0   600          1     0     0     0     0          0 1700000000
         0          1   666          4  1000  1000  1000  1000 1700000001 1700000000
";

    const SHM: &str = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
1938074972          0   644                  4096  3845     0      0     0     0     0     0          0          0 1795462733                     0                     0
-559038737      32769  1600                 65536  3850  3851      2  1000  1000  1000  1000 1795462740          0 1795462733                  4096                     0
";

    const MSG: &str = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime
 475725823         98   644           0          0     0     0     0     0     0     0          0          0 1795462733
";

    const EMPTY_SEM: &str =
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n";

    fn sysv(kind: SysvKind, key: u32, id: i32) -> Object {
        Object::Sysv {
            kind,
            key: key.cast_signed(),
            id,
        }
    }

    #[test]
    fn parses_sem_rows() {
        let objects = parse_sysvipc(SysvKind::Sem, SEM).unwrap();
        assert_eq!(
            objects,
            [
                sysv(SysvKind::Sem, 0x1C5A_0001, 0),
                sysv(SysvKind::Sem, 0, 1)
            ]
        );
        assert_eq!(objects[0].to_string(), "sysv sem key=0x1c5a0001 id=0");
        assert_eq!(objects[1].to_string(), "sysv sem key=0x00000000 id=1");
    }

    #[test]
    fn parses_shm_rows_with_negative_keys() {
        let objects = parse_sysvipc(SysvKind::Shm, SHM).unwrap();
        assert_eq!(
            objects,
            [
                sysv(SysvKind::Shm, 1_938_074_972, 0),
                sysv(SysvKind::Shm, 0xDEAD_BEEF, 32769)
            ]
        );
        assert_eq!(objects[1].to_string(), "sysv shm key=0xdeadbeef id=32769");
    }

    #[test]
    fn parses_msg_rows() {
        let objects = parse_sysvipc(SysvKind::Msg, MSG).unwrap();
        assert_eq!(objects, [sysv(SysvKind::Msg, 0x1C5A_FFFF, 98)]);
        assert_eq!(objects[0].to_string(), "sysv msg key=0x1c5affff id=98");
    }

    #[test]
    fn parses_header_only_and_empty_text() {
        assert!(parse_sysvipc(SysvKind::Sem, EMPTY_SEM).unwrap().is_empty());
        assert!(parse_sysvipc(SysvKind::Sem, "").unwrap().is_empty());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_sysvipc(SysvKind::Shm, "nonsense\n").is_err());
        let bad_row = format!("{EMPTY_SEM}  12 abc 600\n");
        let error = parse_sysvipc(SysvKind::Sem, &bad_row).unwrap_err();
        assert!(error.contains("/proc/sysvipc/sem"), "{error}");
    }

    #[test]
    fn sysv_identity_ignores_the_key() {
        // A removed segment that is still attached keeps its id but its key
        // becomes IPC_PRIVATE: it is the same object.
        assert_eq!(
            sysv(SysvKind::Shm, 0x1C5A_0001, 7),
            sysv(SysvKind::Shm, 0, 7)
        );
        assert_ne!(sysv(SysvKind::Shm, 1, 7), sysv(SysvKind::Sem, 1, 7));
    }

    #[test]
    fn leaked_lists_new_objects_only() {
        let kept = Object::Posix("/dev/shm/kept".into());
        let gone = Object::Posix("/dev/shm/gone".into());
        let new_file = Object::Posix("/dev/mqueue/ipcrs-q".into());
        let new_sem = sysv(SysvKind::Sem, 0x1C5A_0002, 3);
        let before: Snapshot = [kept.clone(), gone, sysv(SysvKind::Shm, 5, 1)].into();
        let after: Snapshot = [
            kept,
            new_sem.clone(),
            new_file.clone(),
            sysv(SysvKind::Shm, 0, 1),
        ]
        .into();
        assert_eq!(leaked(&before, &after), [new_file, new_sem]);
        assert!(leaked(&after, &after).is_empty());
        assert!(leaked(&after, &Snapshot::new()).is_empty());
    }

    #[test]
    fn naming_convention() {
        let ours = [
            Object::Posix("/dev/shm/ipcrs-x".into()),
            Object::Posix("/dev/shm/sem.ipcrs_1".into()),
            Object::Posix("/dev/mqueue/ipcrsq".into()),
            sysv(SysvKind::Sem, 0x1C5A_0000, 1),
            sysv(SysvKind::Msg, 0x1C5A_FFFF, 2),
            Object::Posix("/dev/shm/ipcbench_psem_12_a".into()),
            Object::Posix("/dev/shm/sem.ipcbench_psem_12_a".into()),
            sysv(SysvKind::Sem, 0x4900_0031, 6),
        ];
        let theirs = [
            Object::Posix("/dev/shm/pulse-shm-1".into()),
            Object::Posix("/dev/shm/sem.other".into()),
            Object::Posix("/dev/shm/xipcrs".into()),
            sysv(SysvKind::Shm, 0, 3),
            sysv(SysvKind::Shm, 0x1C59_FFFF, 4),
            sysv(SysvKind::Shm, 0x1C5B_0000, 5),
            Object::Posix("/dev/shm/ipcbench".into()),
            sysv(SysvKind::Shm, 0x4A00_0000, 7),
        ];
        for object in ours {
            assert!(object.is_ours(), "{object}");
        }
        for object in theirs {
            assert!(!object.is_ours(), "{object}");
        }
    }

    #[test]
    fn finds_mqueue_mount_points() {
        let mounts = "\
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /dev/shm tmpfs rw,relatime 0 0
none /mnt/my\\040queues mqueue rw,relatime 0 0
mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0
";
        assert_eq!(
            mqueue_mount_points(mounts),
            [
                PathBuf::from("/mnt/my queues"),
                PathBuf::from("/dev/mqueue")
            ]
        );
        assert!(mqueue_mount_points("tmpfs /dev/shm tmpfs rw 0 0\n").is_empty());
    }
}
