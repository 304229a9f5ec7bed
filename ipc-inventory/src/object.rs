//! What the inventory reports: [`Kind`], [`Object`], [`Holder`]s and the
//! [`Staleness`] verdict. These types exist on every platform; filling them
//! needs Linux (see the crate docs).

use std::ffi::OsString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::SystemTime;

use ipc_common::{Error, Mode, Result};

/// The six kinds of IPC object.
///
/// ```
/// use ipc_inventory::Kind;
/// assert_eq!(Kind::SysvSharedMemory.as_str(), "sysv-shm");
/// assert_eq!("posix-mq".parse::<Kind>()?, Kind::PosixMessageQueue);
/// assert!(Kind::PosixSemaphore.is_posix());
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A POSIX shared memory object (`shm_open`): a file in `/dev/shm`.
    PosixSharedMemory,
    /// A POSIX named semaphore (`sem_open`): `/dev/shm/sem.<name>` on glibc.
    PosixSemaphore,
    /// A POSIX message queue (`mq_open`): a file in the mqueue filesystem.
    PosixMessageQueue,
    /// A System V semaphore set (`semget`).
    SysvSemaphoreSet,
    /// A System V shared memory segment (`shmget`).
    SysvSharedMemory,
    /// A System V message queue (`msgget`).
    SysvMessageQueue,
}

impl Kind {
    /// Every kind, POSIX first.
    pub const ALL: [Kind; 6] = [
        Kind::PosixSharedMemory,
        Kind::PosixSemaphore,
        Kind::PosixMessageQueue,
        Kind::SysvSemaphoreSet,
        Kind::SysvSharedMemory,
        Kind::SysvMessageQueue,
    ];

    /// The short name used by the `ipc` tool and in JSON: `posix-shm`,
    /// `posix-sem`, `posix-mq`, `sysv-sem`, `sysv-shm`, `sysv-msg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PosixSharedMemory => "posix-shm",
            Kind::PosixSemaphore => "posix-sem",
            Kind::PosixMessageQueue => "posix-mq",
            Kind::SysvSemaphoreSet => "sysv-sem",
            Kind::SysvSharedMemory => "sysv-shm",
            Kind::SysvMessageQueue => "sysv-msg",
        }
    }

    /// A phrase for messages: "POSIX shared memory object", ...
    pub fn description(self) -> &'static str {
        match self {
            Kind::PosixSharedMemory => "POSIX shared memory object",
            Kind::PosixSemaphore => "POSIX semaphore",
            Kind::PosixMessageQueue => "POSIX message queue",
            Kind::SysvSemaphoreSet => "System V semaphore set",
            Kind::SysvSharedMemory => "System V shared memory segment",
            Kind::SysvMessageQueue => "System V message queue",
        }
    }

    /// True for the three POSIX kinds (named objects).
    pub fn is_posix(self) -> bool {
        matches!(
            self,
            Kind::PosixSharedMemory | Kind::PosixSemaphore | Kind::PosixMessageQueue
        )
    }

    /// True for the three System V kinds (objects with a key and an id).
    pub fn is_sysv(self) -> bool {
        !self.is_posix()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Error;

    /// Parses the names of [`Kind::as_str`].
    ///
    /// ```
    /// let e = "shm".parse::<ipc_inventory::Kind>().unwrap_err();
    /// assert!(e.message().contains("posix-shm"));
    /// ```
    fn from_str(s: &str) -> Result<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_input(
                    "kind",
                    format!(
                        "unknown kind {s:?}: use one of posix-shm, posix-sem, posix-mq, \
                         sysv-sem, sysv-shm, sysv-msg"
                    ),
                )
            })
    }
}

/// Whether an object is in use, by the rule documented in the crate docs
/// ("Stale objects"). The string says why, for people.
///
/// ```
/// use ipc_inventory::Staleness;
/// let s = Staleness::Unknown("processes were not inspected".into());
/// assert!(!s.is_stale());
/// assert_eq!(s.as_str(), "unknown");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// A live process uses the object (or may: a pid we cannot rule out).
    InUse(String),
    /// No live process uses the object, by the conservative rule.
    Stale(String),
    /// The system does not tell enough to decide; treated as not stale.
    Unknown(String),
}

impl Staleness {
    /// True only for [`Staleness::Stale`].
    pub fn is_stale(&self) -> bool {
        matches!(self, Staleness::Stale(_))
    }

    /// `"in-use"`, `"stale"` or `"unknown"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Staleness::InUse(_) => "in-use",
            Staleness::Stale(_) => "stale",
            Staleness::Unknown(_) => "unknown",
        }
    }

    /// Why, in words.
    pub fn reason(&self) -> &str {
        match self {
            Staleness::InUse(r) | Staleness::Stale(r) | Staleness::Unknown(r) => r,
        }
    }
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.as_str(), self.reason())
    }
}

/// A live process that has a POSIX object open (a descriptor in
/// `/proc/<pid>/fd`) or mapped (a line of `/proc/<pid>/maps`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// The process id (in this process's PID namespace).
    pub pid: libc::pid_t,
    /// Its command name (`/proc/<pid>/comm`), when readable.
    pub command: Option<String>,
    /// It holds a descriptor of the object.
    pub open: bool,
    /// It has the object mapped into memory.
    pub mapped: bool,
}

/// Which processes hold a POSIX object.
///
/// `processes` lists the holders that were seen; `complete` says whether
/// every live process could be inspected. An empty list means "nobody" only
/// when `complete` is true or the kernel says so (`open_per_kernel`):
/// otherwise a process we could not look into may hold it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Holders {
    /// The holders seen.
    pub processes: Vec<Holder>,
    /// Every live process was inspected.
    pub complete: bool,
    /// The kernel's answer, where it could be asked: `Some(true)` when some
    /// process (inspected or not, in any namespace) has the object open or
    /// mapped, `Some(false)` when none has. Asked with a write lease, which
    /// the kernel grants only to the sole opener of a file, and only when
    /// the walk could not decide (no holder seen, but some process not
    /// inspected); `None` when not asked or when this user may not take one
    /// (neither the owner nor `CAP_LEASE`).
    pub open_per_kernel: Option<bool>,
}

/// The notification registration of a POSIX message queue (the `NOTIFY`,
/// `SIGNO` and `NOTIFY_PID` fields of its mqueue file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// `SIGEV_SIGNAL` (0), `SIGEV_NONE` (1) or `SIGEV_THREAD` (2).
    pub method: i32,
    /// The signal sent, for `SIGEV_SIGNAL`.
    pub signal: i32,
    /// The registered process.
    pub pid: libc::pid_t,
}

/// Timestamps. `None` means the system records no such time for this kind,
/// or the event never happened (System V reports 0 for "never").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Times {
    /// Last access (POSIX: the file's `atime`).
    pub accessed: Option<SystemTime>,
    /// Last modification (POSIX: the file's `mtime`).
    pub modified: Option<SystemTime>,
    /// Last change of attributes (POSIX `ctime`; System V `ctime`: creation
    /// or last `IPC_SET`).
    pub changed: Option<SystemTime>,
    /// Last `shmat` (System V shared memory).
    pub attached: Option<SystemTime>,
    /// Last `shmdt` (System V shared memory).
    pub detached: Option<SystemTime>,
    /// Last `semop` (System V semaphores).
    pub operated: Option<SystemTime>,
    /// Last `msgsnd` (System V message queues).
    pub sent: Option<SystemTime>,
    /// Last `msgrcv` (System V message queues).
    pub received: Option<SystemTime>,
}

/// One IPC object and everything the system tells about it.
///
/// Which fields are set depends on the [`kind`](Self::kind); a field the
/// system does not report for that kind (or that could not be read, such as
/// a queue's attributes without read permission) is `None`, never a guess.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Object {
    /// What it is.
    pub kind: Kind,
    /// POSIX: the name, with its leading `/` (`/jobs`).
    pub name: Option<OsString>,
    /// POSIX: the file that represents it (`/dev/shm/jobs`,
    /// `/dev/shm/sem.jobs`, `/dev/mqueue/jobs`).
    pub path: Option<PathBuf>,
    /// POSIX: the device of that file (`st_dev`); with the inode, what tells
    /// this object from a later one of the same name.
    pub device: Option<u64>,
    /// POSIX: the inode of that file.
    pub inode: Option<u64>,
    /// System V: the key (`0` is `IPC_PRIVATE`; the kernel also shows 0 for a
    /// segment removed while still attached).
    pub key: Option<i32>,
    /// System V: the identifier the `*ctl` calls and `ipcrm` take.
    pub id: Option<i32>,
    /// Permission bits (System V shared memory adds `SHM_DEST` `0o1000` and
    /// `SHM_LOCKED` `0o2000`).
    pub mode: Mode,
    /// Owner's user id.
    pub uid: libc::uid_t,
    /// Owner's group id.
    pub gid: libc::gid_t,
    /// System V: the creator's user id (POSIX objects record no creator).
    pub cuid: Option<libc::uid_t>,
    /// System V: the creator's group id.
    pub cgid: Option<libc::gid_t>,
    /// Shared memory: the size in bytes.
    pub size: Option<u64>,
    /// System V semaphore sets: the number of semaphores.
    pub semaphores: Option<u64>,
    /// Message queues: the messages queued now.
    pub messages: Option<u64>,
    /// Message queues: the bytes queued now (POSIX `QSIZE`, System V
    /// `cbytes`).
    pub queued_bytes: Option<u64>,
    /// POSIX message queues: the capacity in messages (`mq_maxmsg`).
    pub max_messages: Option<u64>,
    /// POSIX message queues: the largest message (`mq_msgsize`).
    pub message_size: Option<u64>,
    /// POSIX message queues: who is registered for notification, if anyone.
    pub notification: Option<Notification>,
    /// System V shared memory: how many attachments exist (`nattch`).
    pub attachments: Option<u64>,
    /// System V shared memory: the creator's pid (`cpid`).
    pub creator_pid: Option<libc::pid_t>,
    /// System V shared memory: the pid of the last `shmat`/`shmdt` (`lpid`).
    pub last_pid: Option<libc::pid_t>,
    /// System V message queues: the pid of the last `msgsnd` (`lspid`).
    pub last_send_pid: Option<libc::pid_t>,
    /// System V message queues: the pid of the last `msgrcv` (`lrpid`).
    pub last_receive_pid: Option<libc::pid_t>,
    /// System V semaphore sets: the pid of the last operation on each
    /// semaphore (`GETPID`; 0 where none happened or the pid is not visible).
    pub semaphore_pids: Option<Vec<libc::pid_t>>,
    /// System V semaphore sets: processes waiting on the set (`GETNCNT` +
    /// `GETZCNT` summed over its semaphores).
    pub waiters: Option<u64>,
    /// System V message queues: live processes blocked in `msgsnd` or
    /// `msgrcv` on this queue (read from `/proc/<pid>/task/*/syscall`).
    pub blocked_pids: Option<Vec<libc::pid_t>>,
    /// The times the system records.
    pub times: Times,
    /// POSIX: the processes that hold it (`None` when processes were not
    /// inspected).
    pub holders: Option<Holders>,
    /// The verdict of the stale rule.
    pub staleness: Staleness,
}

impl Object {
    /// An object of `kind` with every optional field empty, its verdict
    /// `Unknown` (for building objects by hand, e.g. in tests).
    ///
    /// ```
    /// use ipc_inventory::{Kind, Object};
    /// let mut o = Object::new(Kind::SysvSemaphoreSet);
    /// o.key = Some(0x1c5a_0001);
    /// o.id = Some(3);
    /// assert_eq!(o.label(), "0x1c5a0001");
    /// ```
    pub fn new(kind: Kind) -> Object {
        Object {
            kind,
            name: None,
            path: None,
            device: None,
            inode: None,
            key: None,
            id: None,
            mode: Mode::from_raw(0),
            uid: 0,
            gid: 0,
            cuid: None,
            cgid: None,
            size: None,
            semaphores: None,
            messages: None,
            queued_bytes: None,
            max_messages: None,
            message_size: None,
            notification: None,
            attachments: None,
            creator_pid: None,
            last_pid: None,
            last_send_pid: None,
            last_receive_pid: None,
            semaphore_pids: None,
            waiters: None,
            blocked_pids: None,
            times: Times::default(),
            holders: None,
            staleness: Staleness::Unknown("not inspected".to_owned()),
        }
    }

    /// How people name the object: the POSIX name (`/jobs`, shown lossily if
    /// it is not UTF-8) or the System V key as eight hex digits
    /// (`0x1c5a0001`).
    pub fn label(&self) -> String {
        match (&self.name, self.key) {
            (Some(name), _) => name.to_string_lossy().into_owned(),
            (None, Some(key)) => format_key(key),
            (None, None) => String::new(),
        }
    }

    /// Whether [`label`](Self::label) starts with `prefix` (see
    /// [`Prefix`]).
    pub fn matches(&self, prefix: &Prefix) -> bool {
        match (prefix, &self.name, self.key) {
            (Prefix::Name(p), Some(name), _) => name.as_bytes().starts_with(p),
            (Prefix::Key(p), None, Some(key)) => format_key(key)[2..].starts_with(p.as_str()),
            _ => false,
        }
    }

    /// Shorthand for `self.staleness.is_stale()`.
    pub fn is_stale(&self) -> bool {
        self.staleness.is_stale()
    }
}

impl fmt::Display for Object {
    /// `posix-shm /jobs`, `sysv-sem 0x1c5a0001 (id 3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.label())?;
        if let Some(id) = self.id {
            write!(f, " (id {id})")?;
        }
        Ok(())
    }
}

/// A System V key as `0x` and eight lower-case hex digits.
///
/// ```
/// assert_eq!(ipc_inventory::format_key(-559038737), "0xdeadbeef");
/// assert_eq!(ipc_inventory::format_key(0), "0x00000000");
/// ```
pub fn format_key(key: i32) -> String {
    format!("0x{:08x}", key.cast_unsigned())
}

/// What `remove_stale` and `ipc clean --prefix` match: a POSIX name prefix
/// (`/app-` or `app-`: the leading `/` is implied) or, starting with `0x`, a
/// System V key prefix in hex against the eight-digit key (`0x1c5a` matches
/// keys `0x1c5a0000..=0x1c5affff`).
///
/// An empty prefix (`""`, `"/"`, `"0x"`) is refused: cleaning by prefix must
/// name something, never everything.
///
/// ```
/// use ipc_inventory::Prefix;
/// assert_eq!(Prefix::parse("app-")?, Prefix::Name(b"/app-".to_vec()));
/// assert_eq!(Prefix::parse("0x1C5A")?, Prefix::Key("1c5a".into()));
/// assert!(Prefix::parse("/").is_err());
/// assert!(Prefix::parse("0x1c5a00001").is_err());
/// # Ok::<(), ipc_common::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prefix {
    /// The first bytes of a POSIX name, with its leading `/`.
    Name(Vec<u8>),
    /// The first hex digits (lower case, without `0x`) of a System V key.
    Key(String),
}

impl Prefix {
    /// Parses a prefix (see the type's docs).
    pub fn parse(prefix: &str) -> Result<Prefix> {
        if let Some(hex) = prefix
            .strip_prefix("0x")
            .or_else(|| prefix.strip_prefix("0X"))
        {
            if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::invalid_input(
                    "prefix",
                    format!(
                        "{prefix:?} is not a System V key prefix: give 1 to 8 hex digits after \
                         0x (0x1c5a matches keys 0x1c5a0000 to 0x1c5affff)"
                    ),
                ));
            }
            return Ok(Prefix::Key(hex.to_ascii_lowercase()));
        }
        let body = prefix.strip_prefix('/').unwrap_or(prefix);
        if body.is_empty() || body.contains('/') || body.contains('\0') {
            return Err(Error::invalid_input(
                "prefix",
                format!(
                    "{prefix:?} is not a POSIX name prefix: give the start of a name such as \
                     /myapp- (at least one character, no '/' after the first)"
                ),
            ));
        }
        let mut name = Vec::with_capacity(body.len() + 1);
        name.push(b'/');
        name.extend_from_slice(body.as_bytes());
        Ok(Prefix::Name(name))
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prefix::Name(name) => f.write_str(&String::from_utf8_lossy(name)),
            Prefix::Key(hex) => write!(f, "0x{hex}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posix(name: &str) -> Object {
        let mut o = Object::new(Kind::PosixSharedMemory);
        o.name = Some(name.into());
        o
    }

    fn sysv(key: i32, id: i32) -> Object {
        let mut o = Object::new(Kind::SysvSharedMemory);
        o.key = Some(key);
        o.id = Some(id);
        o
    }

    #[test]
    fn prefixes_match_names_or_keys_never_both() {
        let name = Prefix::parse("/ipcrs-a").unwrap();
        let bare = Prefix::parse("ipcrs-a").unwrap();
        assert_eq!(name, bare);
        assert!(posix("/ipcrs-abc").matches(&name));
        assert!(!posix("/ipcrs-b").matches(&name));
        assert!(!sysv(0x1c5a_0001, 1).matches(&name));
        let key = Prefix::parse("0x1c5a").unwrap();
        assert!(sysv(0x1c5a_0001, 1).matches(&key));
        assert!(
            !sysv(0x0001_c5a0, 1).matches(&key),
            "matched against 8 digits"
        );
        assert!(!posix("/0x1c5a").matches(&key));
        let full = Prefix::parse("0xDEADBEEF").unwrap();
        assert!(sysv(0xDEAD_BEEF_u32.cast_signed(), 2).matches(&full));
        assert!(!sysv(0xDEAD_BEE0_u32.cast_signed(), 2).matches(&full));
    }

    #[test]
    fn empty_or_malformed_prefixes_are_refused() {
        for bad in ["", "/", "0x", "0X", "0xg", "0x123456789", "/a/b", "a\0b"] {
            let e = Prefix::parse(bad).unwrap_err();
            assert!(e.is_invalid_input(), "{bad:?}");
            assert!(e.message().contains("give"), "{e}");
        }
    }

    #[test]
    fn labels_and_display() {
        assert_eq!(posix("/x").to_string(), "posix-shm /x");
        assert_eq!(sysv(5, 7).to_string(), "sysv-shm 0x00000005 (id 7)");
        assert_eq!(sysv(-1, 7).label(), "0xffffffff");
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>().unwrap(), kind);
            assert_ne!(kind.is_posix(), kind.is_sysv());
        }
    }

    #[test]
    fn staleness_words() {
        let s = Staleness::Stale("nobody".into());
        assert!(s.is_stale());
        assert_eq!(s.to_string(), "stale: nobody");
        assert!(!Staleness::InUse("x".into()).is_stale());
    }
}
