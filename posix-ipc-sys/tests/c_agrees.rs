//! The Rust replacements of the former C shim return what C returns, and the
//! committed bindings have C's layouts: `tests/c_values.c` is compiled at
//! test time with the target's C compiler (`cc` for x86_64 glibc, `musl-gcc`,
//! `i686-linux-gnu-gcc`, `aarch64-linux-gnu-gcc`; `IPCRS_TARGET_CC` overrides)
//! and run (through `IPCRS_TARGET_RUNNER`, e.g. qemu, when that is set).
//! Linux only: the other targets are type-checked here, not run.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use posix_ipc_sys as sys;

/// The C compiler command for the target these tests were built for:
/// `IPCRS_TARGET_CC` (words split on spaces, e.g. `gcc -m32`) if set, else
/// `musl-gcc` for musl, Debian's `i686-linux-gnu-gcc` for 32-bit x86, else `cc`
/// (a native build; `cargo xtask test` sets `IPCRS_TARGET_CC` for aarch64).
fn target_cc() -> Vec<String> {
    let command = std::env::var("IPCRS_TARGET_CC").unwrap_or_else(|_| {
        let default = if cfg!(target_env = "musl") {
            "musl-gcc"
        } else if cfg!(target_arch = "x86") {
            "i686-linux-gnu-gcc"
        } else {
            "cc"
        };
        default.to_owned()
    });
    command.split_whitespace().map(str::to_owned).collect()
}

/// Compiles `c_values.c` once and returns the executable.
fn c_program() -> &'static PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "c_values-{}-{}",
            std::env::consts::ARCH,
            if cfg!(target_env = "musl") {
                "musl"
            } else {
                "gnu"
            }
        ));
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/c_values.c");
        let cc = target_cc();
        let out = Command::new(&cc[0])
            .args(&cc[1..])
            .args(["-O1", "-Wall", "-Werror", "-o"])
            .arg(&exe)
            .arg(source)
            .args(["-lrt", "-pthread"])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run the C compiler `{}` ({e}): `cargo xtask test` installs the \
                     target's C toolchain; or set IPCRS_TARGET_CC",
                    cc.join(" ")
                )
            });
        assert!(
            out.status.success(),
            "`{}` failed on {source}:\n{}",
            cc.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    })
}

/// Runs the C program with `args` and returns its `key=value` lines.
fn run_c(args: &[&str]) -> HashMap<String, String> {
    let exe = c_program();
    let mut command = match std::env::var("IPCRS_TARGET_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut words = runner.split_whitespace();
            let mut c = Command::new(words.next().expect("non-empty runner"));
            c.args(words).arg(exe);
            c
        }
        _ => Command::new(exe),
    };
    let out = command.args(args).output().expect("run the C program");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "c_values {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn num(values: &HashMap<String, String>, key: &str) -> i64 {
    values
        .get(key)
        .unwrap_or_else(|| panic!("C printed no `{key}=` line: {values:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("`{key}` is not a number: {values:?}"))
}

#[test]
fn macro_replacements_return_what_c_returns() {
    let c = run_c(&[]);
    // SAFETY: none of these has preconditions.
    let (lo, hi, failed) = unsafe { (sys::sigrtmin(), sys::sigrtmax(), sys::sem_failed()) };
    assert_eq!(i64::from(lo), num(&c, "SIGRTMIN"));
    assert_eq!(i64::from(hi), num(&c, "SIGRTMAX"));
    assert_eq!(failed as usize as i64, num(&c, "SEM_FAILED"));
    assert_eq!(sys::SEM_FAILED as usize as i64, num(&c, "SEM_FAILED"));
}

#[test]
fn struct_layouts_are_what_c_compiles() {
    let c = run_c(&[]);
    let check = |key: &str, ours: usize| {
        assert_eq!(
            i64::try_from(ours).unwrap(),
            num(&c, key),
            "{key}: Rust {ours}, C {}",
            num(&c, key)
        );
    };
    check("size_sem_t", size_of::<sys::sem_t>());
    check("size_ipc_perm", size_of::<sys::ipc_perm>());
    check("size_sembuf", size_of::<sys::sembuf>());
    check("size_semid_ds", size_of::<sys::semid_ds>());
    check("size_shmid_ds", size_of::<sys::shmid_ds>());
    check("size_msqid_ds", size_of::<sys::msqid_ds>());
    check("size_mq_attr", size_of::<sys::mq_attr>());
    check("offset_ipc_perm_mode", offset_of!(sys::ipc_perm, mode));
    check(
        "offset_semid_ds_sem_otime",
        offset_of!(sys::semid_ds, sem_otime),
    );
    check(
        "offset_semid_ds_sem_ctime",
        offset_of!(sys::semid_ds, sem_ctime),
    );
    check(
        "offset_semid_ds_sem_nsems",
        offset_of!(sys::semid_ds, sem_nsems),
    );
    check(
        "offset_shmid_ds_shm_segsz",
        offset_of!(sys::shmid_ds, shm_segsz),
    );
    check(
        "offset_shmid_ds_shm_atime",
        offset_of!(sys::shmid_ds, shm_atime),
    );
    check(
        "offset_shmid_ds_shm_ctime",
        offset_of!(sys::shmid_ds, shm_ctime),
    );
    check(
        "offset_shmid_ds_shm_cpid",
        offset_of!(sys::shmid_ds, shm_cpid),
    );
    check(
        "offset_shmid_ds_shm_nattch",
        offset_of!(sys::shmid_ds, shm_nattch),
    );
    check(
        "offset_msqid_ds_msg_stime",
        offset_of!(sys::msqid_ds, msg_stime),
    );
    check(
        "offset_msqid_ds_msg_ctime",
        offset_of!(sys::msqid_ds, msg_ctime),
    );
    check(
        "offset_msqid_ds_msg_qnum",
        offset_of!(sys::msqid_ds, msg_qnum),
    );
    check(
        "offset_msqid_ds_msg_qbytes",
        offset_of!(sys::msqid_ds, msg_qbytes),
    );
    check(
        "offset_msqid_ds_msg_lrpid",
        offset_of!(sys::msqid_ds, msg_lrpid),
    );
    check(
        "offset_mq_attr_mq_curmsgs",
        offset_of!(sys::mq_attr, mq_curmsgs),
    );
}

/// A private System V semaphore set, removed on drop (also when a test fails).
struct SemSet(libc::c_int);

impl SemSet {
    fn new(nsems: libc::c_int) -> SemSet {
        // SAFETY: a plain system call.
        let id = unsafe { sys::semget(sys::IPC_PRIVATE, nsems, sys::IPC_CREAT | 0o640) };
        assert!(id >= 0, "semget: {}", std::io::Error::last_os_error());
        SemSet(id)
    }
}

impl Drop for SemSet {
    fn drop(&mut self) {
        // SAFETY: IPC_RMID reads no fourth argument.
        unsafe { sys::semctl(self.0, 0, sys::IPC_RMID) };
    }
}

#[test]
fn semctl_arguments_pass_by_value_like_c() {
    let set = SemSet::new(3);
    let id = set.0.to_string();

    // Rust's union (array) → C reads the values and the set's status.
    let mut values = [7u16, 8, 9];
    // SAFETY: `values` holds nsems (3) values.
    let rc = unsafe { sys::semctl_array(set.0, 0, sys::SETALL, values.as_mut_ptr()) };
    assert_eq!(rc, 0, "SETALL: {}", std::io::Error::last_os_error());
    let c = run_c(&["get", &id, "3"]);
    assert_eq!(c["values"], "7,8,9");
    assert_eq!(c["nsems"], "3");
    assert_eq!(c["mode"], "640");

    // C's union (val) → Rust reads it back with no argument.
    run_c(&["set", &id, "1", "42"]);
    // SAFETY: GETVAL reads no fourth argument.
    assert_eq!(unsafe { sys::semctl(set.0, 1, sys::GETVAL) }, 42);

    // Rust's union (val) and (buf) → C and Rust agree.
    // SAFETY: SETVAL reads `val`.
    assert_eq!(unsafe { sys::semctl_val(set.0, 2, sys::SETVAL, 300) }, 0);
    assert_eq!(run_c(&["get", &id, "3"])["values"], "7,42,300");
    let mut ds = sys::semid_ds::default();
    // SAFETY: `ds` is a valid, writable semid_ds.
    let rc = unsafe { sys::semctl_buf(set.0, 0, sys::IPC_STAT, &mut ds) };
    assert_eq!(rc, 0);
    assert_eq!(ds.sem_nsems, 3);
    assert_eq!(ds.sem_perm.mode & 0o777, 0o640);
    let mut back = [0u16; 3];
    // SAFETY: `back` holds nsems (3) values.
    let rc = unsafe { sys::semctl_array(set.0, 0, sys::GETALL, back.as_mut_ptr()) };
    assert_eq!(rc, 0);
    assert_eq!(back, [7, 42, 300]);
}
