//! Parsers for the Linux `/proc` files the inventory reads. Each takes the
//! text and returns plain data, so it is tested without a kernel.

use std::path::PathBuf;

/// The mount points of the mqueue filesystems in `/proc/mounts` text, in
/// order.
pub(crate) fn mqueue_mount_points(mounts: &str) -> Vec<PathBuf> {
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let point = fields.nth(1)?;
            (fields.next()? == "mqueue").then(|| PathBuf::from(unescape_mount_point(point)))
        })
        .collect()
}

/// Whether `/proc` is mounted with a `hidepid` option that hides other
/// users' processes (`hidepid=1|2|invisible|noaccess`).
pub(crate) fn proc_hides_processes(mounts: &str) -> bool {
    mounts.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() >= 4
            && fields[1] == "/proc"
            && fields[2] == "proc"
            && fields[3].split(',').any(|option| {
                option
                    .strip_prefix("hidepid=")
                    .is_some_and(|v| v != "0" && v != "off")
            })
    })
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

/// One of `/proc/sysvipc/{sem,shm,msg}`: a header naming the columns, then
/// one row of numbers per object.
#[derive(Debug)]
pub(crate) struct SysvTable<'a> {
    columns: Vec<&'a str>,
    rows: Vec<Vec<&'a str>>,
}

impl<'a> SysvTable<'a> {
    /// Parses the text; the header must start with `key`, and every row must
    /// have as many columns as the header.
    pub(crate) fn parse(text: &'a str) -> Result<SysvTable<'a>, String> {
        let mut lines = text.lines();
        let columns: Vec<&str> = match lines.next() {
            None => Vec::new(),
            Some(header) => header.split_whitespace().collect(),
        };
        if !columns.is_empty() && columns[0] != "key" {
            return Err(format!("unexpected header line {columns:?}"));
        }
        let mut rows = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let row: Vec<&str> = line.split_whitespace().collect();
            if row.len() != columns.len() {
                return Err(format!(
                    "row {line:?} has {} columns, the header {}",
                    row.len(),
                    columns.len()
                ));
            }
            rows.push(row);
        }
        Ok(SysvTable { columns, rows })
    }

    /// The rows, each readable by column name.
    pub(crate) fn rows(&self) -> impl Iterator<Item = SysvRow<'_>> {
        self.rows.iter().map(|values| SysvRow {
            columns: &self.columns,
            values,
        })
    }
}

/// One row of a [`SysvTable`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SysvRow<'t> {
    columns: &'t [&'t str],
    values: &'t [&'t str],
}

impl SysvRow<'_> {
    fn raw(&self, column: &str) -> Option<&str> {
        let at = self.columns.iter().position(|c| *c == column)?;
        self.values.get(at).copied()
    }

    /// A decimal column (`None` when absent or not a number).
    pub(crate) fn num<T: std::str::FromStr>(&self, column: &str) -> Option<T> {
        self.raw(column)?.parse().ok()
    }

    /// The octal `perms` column.
    pub(crate) fn perms(&self) -> Option<u32> {
        u32::from_str_radix(self.raw("perms")?, 8).ok()
    }

    /// A pid column, `None` for 0.
    pub(crate) fn pid(&self, column: &str) -> Option<libc::pid_t> {
        self.num::<libc::pid_t>(column).filter(|p| *p > 0)
    }

    /// A time column in seconds since the epoch, `None` for 0 ("never").
    pub(crate) fn time(&self, column: &str) -> Option<std::time::SystemTime> {
        let secs = self.num::<u64>(column).filter(|s| *s > 0)?;
        std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))
    }
}

/// The fields of a POSIX message queue's file in the mqueue filesystem:
/// `QSIZE:0 NOTIFY:0 SIGNO:0 NOTIFY_PID:0`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MqueueFile {
    pub(crate) qsize: Option<u64>,
    pub(crate) notify: Option<i32>,
    pub(crate) signo: Option<i32>,
    pub(crate) notify_pid: Option<libc::pid_t>,
}

pub(crate) fn parse_mqueue_file(text: &str) -> MqueueFile {
    let mut file = MqueueFile::default();
    for field in text.split_whitespace() {
        let Some((name, value)) = field.split_once(':') else {
            continue;
        };
        match name {
            "QSIZE" => file.qsize = value.parse().ok(),
            "NOTIFY" => file.notify = value.parse().ok(),
            "SIGNO" => file.signo = value.parse().ok(),
            "NOTIFY_PID" => file.notify_pid = value.parse().ok(),
            _ => {}
        }
    }
    file
}

/// The device (major, minor) and inode of a `/proc/<pid>/maps` line that maps
/// a file (`None` for anonymous mappings, inode 0).
pub(crate) fn parse_maps_line(line: &str) -> Option<(u32, u32, u64)> {
    let mut fields = line.split_ascii_whitespace();
    let dev = fields.nth(3)?;
    let inode: u64 = fields.next()?.parse().ok()?;
    if inode == 0 {
        return None;
    }
    let (major, minor) = dev.split_once(':')?;
    Some((
        u32::from_str_radix(major, 16).ok()?,
        u32::from_str_radix(minor, 16).ok()?,
        inode,
    ))
}

/// The system call a task is blocked in, from `/proc/<pid>/task/<tid>/syscall`:
/// its number and first two arguments. `None` when the task is running or not
/// in a system call.
pub(crate) fn parse_syscall(text: &str) -> Option<(i64, u64, u64)> {
    let mut fields = text.split_whitespace();
    let nr: i64 = fields.next()?.parse().ok()?;
    if nr < 0 {
        return None;
    }
    let arg =
        |s: Option<&str>| -> Option<u64> { u64::from_str_radix(s?.strip_prefix("0x")?, 16).ok() };
    Some((nr, arg(fields.next())?, arg(fields.next())?))
}

/// How a system call names a System V message queue, for the architecture
/// of the tasks that may call it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum QueueCall {
    /// `msgsnd`/`msgrcv` with this number: the queue id is the first
    /// argument.
    Direct(i64),
    /// The `ipc()` multiplexer with this number: `MSGSND` (11) or `MSGRCV`
    /// (12) first, the queue id second. (Only x86 has it; arm64 and its
    /// compat mode have direct calls.)
    #[cfg_attr(target_arch = "aarch64", allow(dead_code))]
    Multiplexed(i64),
}

/// The calls that block on a System V message queue, for the tasks this
/// build can see: native ones and 32-bit compat ones (whose numbers
/// `/proc/<pid>/syscall` shows as they are). `None` on architectures not
/// listed here, where blocked tasks cannot be recognised.
pub(crate) fn queue_calls() -> Option<&'static [QueueCall]> {
    #[cfg(target_arch = "x86_64")]
    {
        // 69/70: x86_64 msgsnd/msgrcv; 117: i386 ipc(); 400/401: i386 msgsnd/msgrcv.
        Some(&[
            QueueCall::Direct(69),
            QueueCall::Direct(70),
            QueueCall::Multiplexed(117),
            QueueCall::Direct(400),
            QueueCall::Direct(401),
        ])
    }
    #[cfg(target_arch = "x86")]
    {
        Some(&[
            QueueCall::Multiplexed(117),
            QueueCall::Direct(400),
            QueueCall::Direct(401),
        ])
    }
    #[cfg(target_arch = "aarch64")]
    {
        // 188/189: arm64 msgrcv/msgsnd; 301/302: arm (compat) msgsnd/msgrcv.
        Some(&[
            QueueCall::Direct(188),
            QueueCall::Direct(189),
            QueueCall::Direct(301),
            QueueCall::Direct(302),
        ])
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
    {
        None
    }
}

/// The message queue id a task blocked in `syscall` waits on, if the call is
/// one of `calls`. A false match only ever makes a queue look in use.
pub(crate) fn blocked_queue(syscall: (i64, u64, u64), calls: &[QueueCall]) -> Option<u64> {
    let (nr, arg0, arg1) = syscall;
    calls.iter().find_map(|call| match *call {
        QueueCall::Direct(n) if n == nr => Some(arg0),
        QueueCall::Multiplexed(n) if n == nr && (arg0 == 11 || arg0 == 12) => Some(arg1),
        _ => None,
    })
}

/// The effective capability mask from `/proc/self/status` text.
pub(crate) fn effective_capabilities(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// The `ino:` field of a `/proc/<pid>/fdinfo/<fd>` file (Linux 5.14+).
pub(crate) fn fdinfo_inode(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("ino:"))
        .and_then(|v| v.trim().parse().ok())
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
 475725823         98   644          12          3   77     0     0     0     0     0          0          0 1795462733
";

    #[test]
    fn sysv_tables_are_read_by_column_name() {
        let sem = SysvTable::parse(SEM).unwrap();
        let rows: Vec<_> = sem.rows().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].num::<i32>("key"), Some(0x1C5A_0001));
        assert_eq!(rows[0].perms(), Some(0o600));
        assert_eq!(rows[0].time("otime"), None);
        assert_eq!(rows[1].num::<u64>("nsems"), Some(4));
        assert_eq!(rows[1].num::<u32>("cuid"), Some(1000));
        let shm = SysvTable::parse(SHM).unwrap();
        let row = shm.rows().nth(1).unwrap();
        assert_eq!(row.num::<i32>("key"), Some(0xDEAD_BEEF_u32.cast_signed()));
        assert_eq!(row.perms(), Some(0o1600));
        assert_eq!(row.pid("cpid"), Some(3850));
        assert_eq!(row.num::<u64>("nattch"), Some(2));
        assert_eq!(shm.rows().next().unwrap().pid("lpid"), None);
        let msg = SysvTable::parse(MSG).unwrap();
        let row = msg.rows().next().unwrap();
        assert_eq!(row.num::<u64>("cbytes"), Some(12));
        assert_eq!(row.pid("lspid"), Some(77));
        assert_eq!(row.pid("lrpid"), None);
        assert!(row.time("ctime").is_some());
    }

    #[test]
    fn sysv_tables_reject_garbage() {
        assert!(SysvTable::parse("").unwrap().rows().next().is_none());
        assert!(SysvTable::parse("nonsense\n").is_err());
        let short = "key semid perms\n 1 2\n";
        assert!(SysvTable::parse(short).unwrap_err().contains("columns"));
    }

    #[test]
    fn finds_mqueue_mount_points_and_hidepid() {
        let mounts = "\
proc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=invisible 0 0
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
        assert!(proc_hides_processes(mounts));
        assert!(!proc_hides_processes("proc /proc proc rw,hidepid=0 0 0\n"));
        assert!(!proc_hides_processes("proc /proc proc rw,relatime 0 0\n"));
    }

    #[test]
    fn reads_mqueue_files() {
        let f = parse_mqueue_file("QSIZE:129        NOTIFY:2     SIGNO:0     NOTIFY_PID:4242 \n");
        assert_eq!(
            f,
            MqueueFile {
                qsize: Some(129),
                notify: Some(2),
                signo: Some(0),
                notify_pid: Some(4242)
            }
        );
        assert_eq!(parse_mqueue_file("garbage"), MqueueFile::default());
    }

    #[test]
    fn reads_maps_lines() {
        let line =
            "7fee313c5000-7fee313c6000 rw-s 00000000 00:1b 615                        /dev/shm/x";
        assert_eq!(parse_maps_line(line), Some((0, 0x1b, 615)));
        let deleted = "7f00-7f01 rw-s 00000000 fd:01 1234 /dev/shm/y (deleted)";
        assert_eq!(parse_maps_line(deleted), Some((0xfd, 1, 1234)));
        assert_eq!(parse_maps_line("7f00-7f01 rw-p 00000000 00:00 0 "), None);
        assert_eq!(parse_maps_line("junk"), None);
    }

    #[test]
    fn reads_syscall_files() {
        let blocked = "70 0x5 0x7ffd2a0 0x2000 0x0 0x0 0x0 0x7ffd1f8 0x7f11d5e\n";
        assert_eq!(parse_syscall(blocked), Some((70, 5, 0x7ffd2a0)));
        assert_eq!(parse_syscall("running\n"), None);
        // System call 0 (read on x86_64) is a system call like any other.
        assert_eq!(
            parse_syscall("0 0x3 0x7ffd2a0 0x2000\n"),
            Some((0, 3, 0x7ffd2a0))
        );
        assert_eq!(parse_syscall("-1 0x7ffd1f8 0x7f11d5e\n"), None);
        let calls = [QueueCall::Direct(70), QueueCall::Multiplexed(117)];
        assert_eq!(blocked_queue((70, 5, 9), &calls), Some(5));
        assert_eq!(blocked_queue((117, 12, 9), &calls), Some(9));
        assert_eq!(blocked_queue((117, 1, 9), &calls), None, "semop via ipc()");
        assert_eq!(blocked_queue((0, 5, 9), &calls), None);
        assert!(queue_calls().is_some(), "this build knows its queue calls");
    }

    #[test]
    fn reads_capabilities_and_fdinfo() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\n";
        assert_eq!(effective_capabilities(status), Some(0x1ff_feff_ffff));
        assert_eq!(effective_capabilities("Name: x\n"), None);
        assert_eq!(
            fdinfo_inode("pos:\t0\nflags:\t02100002\nmnt_id:\t30\nino:\t615\n"),
            Some(615)
        );
        assert_eq!(fdinfo_inode("pos:\t0\nflags:\t0\nmnt_id:\t30\n"), None);
    }
}
