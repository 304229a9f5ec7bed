//! Snapshots of the IPC objects on this machine, for the leak check of
//! `cargo xtask test` and for `cargo xtask clean`.
//!
//! The listing itself is `ipc_inventory`'s (the library behind the `ipc`
//! command), so the project has one way to find IPC objects: every file of
//! `/dev/shm` and of the mqueue filesystem, and every row of
//! `/proc/sysvipc/{sem,shm,msg}`. This module only reduces them to
//! identities that two snapshots can be compared by.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where `cargo xtask test` mounts the mqueue filesystem when it is missing.
pub(crate) use ipc_inventory::MQUEUE_DIR;
/// Where POSIX shared memory objects and named semaphores live.
#[cfg(test)]
pub(crate) use ipc_inventory::SHM_DIR;

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
    /// All kinds.
    #[cfg(test)]
    pub(crate) const ALL: [SysvKind; 3] = [SysvKind::Sem, SysvKind::Shm, SysvKind::Msg];

    /// The `ipcrm` option that removes an object of this kind by id.
    #[cfg(test)]
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

    /// The identity of an object the inventory listed.
    pub(crate) fn from_inventory(o: &ipc_inventory::Object) -> Option<Object> {
        use ipc_inventory::Kind;
        if let Some(path) = &o.path {
            return Some(Object::Posix(path.clone()));
        }
        let kind = match o.kind {
            Kind::SysvSemaphoreSet => SysvKind::Sem,
            Kind::SysvSharedMemory => SysvKind::Shm,
            Kind::SysvMessageQueue => SysvKind::Msg,
            _ => return None,
        };
        Some(Object::Sysv {
            kind,
            key: o.key?,
            id: o.id?,
        })
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

/// Takes a snapshot: every POSIX object in `/dev/shm` and the mqueue
/// filesystem (if mounted) and every System V object. A kernel without
/// System V IPC or a missing mqueue mount list nothing there.
pub(crate) fn snapshot() -> Result<Snapshot, String> {
    let inventory = ipc_inventory::Scan::new()
        .processes(false)
        .run()
        .map_err(|e| e.to_string())?;
    Ok(inventory
        .objects
        .iter()
        .filter_map(Object::from_inventory)
        .collect())
}

/// The objects of `after` that are not in `before`, sorted.
pub(crate) fn leaked(before: &Snapshot, after: &Snapshot) -> Vec<Object> {
    after.difference(before).cloned().collect()
}

/// Where the mqueue filesystem is mounted (`/dev/mqueue` if it is mounted
/// there, else the first mqueue mount in `/proc/mounts`), or `None`.
pub(crate) fn mqueue_dir() -> Option<PathBuf> {
    ipc_inventory::mqueue_mount()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sysv(kind: SysvKind, key: u32, id: i32) -> Object {
        Object::Sysv {
            kind,
            key: key.cast_signed(),
            id,
        }
    }

    #[test]
    fn display() {
        assert_eq!(
            sysv(SysvKind::Sem, 0x1C5A_0001, 0).to_string(),
            "sysv sem key=0x1c5a0001 id=0"
        );
        assert_eq!(
            sysv(SysvKind::Shm, 0xDEAD_BEEF, 32769).to_string(),
            "sysv shm key=0xdeadbeef id=32769"
        );
        assert_eq!(Object::Posix("/dev/shm/x".into()).to_string(), "/dev/shm/x");
    }

    #[test]
    fn inventory_objects_become_identities() {
        let mut o = ipc_inventory::Object::new(ipc_inventory::Kind::SysvMessageQueue);
        (o.key, o.id) = (Some(7), Some(98));
        assert_eq!(Object::from_inventory(&o), Some(sysv(SysvKind::Msg, 7, 98)));
        let mut p = ipc_inventory::Object::new(ipc_inventory::Kind::PosixSemaphore);
        p.path = Some("/dev/shm/sem.x".into());
        assert_eq!(
            Object::from_inventory(&p),
            Some(Object::Posix("/dev/shm/sem.x".into()))
        );
        assert_eq!(
            Object::from_inventory(&ipc_inventory::Object::new(
                ipc_inventory::Kind::PosixSharedMemory
            )),
            None
        );
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
}
