//! Proves the leak check of `cargo xtask test` on real objects: a snapshot
//! taken after creating POSIX and SysV objects reports exactly those objects
//! as leaked, and one taken after removing them reports nothing.
//!
//! This is the only test of the crate that creates IPC objects, so nothing
//! else in this test binary disturbs its snapshots. Other processes on the
//! machine can, though (another developer's test run); a diff polluted that
//! way is retried, while a real bug fails every attempt.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd;
use crate::ipcs::{self, Object, SysvKind};

const ATTEMPTS: usize = 5;

/// Objects created by this test, removed on drop even if an assertion fails.
#[derive(Default)]
struct Created {
    objects: Vec<Object>,
}

impl Created {
    fn posix_file(&mut self, dir: &Path) -> Object {
        let path = dir.join(format!("ipcrs-test-leakcheck-{}", std::process::id()));
        // In /dev/shm a new file is a new POSIX shared memory object (what
        // shm_open("/ipcrs-…", O_CREAT | O_EXCL) makes), and in the mqueue
        // filesystem a new file is a new message queue.
        if let Err(e) = std::fs::File::create_new(&path) {
            panic!("cannot create {}: {e}", path.display());
        }
        let object = Object::Posix(path);
        self.objects.push(object.clone());
        object
    }

    fn sysv(&mut self, kind: SysvKind) -> Object {
        let args: &[&str] = match kind {
            SysvKind::Sem => &["-S", "1"],
            SysvKind::Shm => &["-M", "4096"],
            SysvKind::Msg => &["-Q"],
        };
        let mut ipcmk = Command::new("ipcmk");
        ipcmk.args(args);
        let stdout = cmd::output(&mut ipcmk).unwrap_or_else(|| panic!("`ipcmk` failed"));
        // "Shared memory id: 5", "Semaphore id: 6", "Message queue id: 7"
        let id = stdout
            .split_whitespace()
            .last()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("unexpected ipcmk output {stdout:?}"));
        // ipcmk picks a random key; identity is kind + id, so the key we
        // don't know here does not matter for comparisons.
        let object = Object::Sysv { kind, key: 0, id };
        self.objects.push(object.clone());
        object
    }

    fn remove_all(&mut self) -> Result<(), String> {
        let mut errors = Vec::new();
        for object in self.objects.drain(..) {
            let result = match &object {
                Object::Posix(path) => std::fs::remove_file(path).map_err(|e| e.to_string()),
                Object::Sysv { kind, id, .. } => {
                    cmd::output(Command::new("ipcrm").args([kind.ipcrm_flag(), &id.to_string()]))
                        .map(drop)
                        .ok_or_else(|| "ipcrm failed".to_owned())
                }
            };
            if let Err(e) = result {
                errors.push(format!("cannot remove {object}: {e}"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        if let Err(e) = self.remove_all() {
            eprintln!("{e}");
        }
    }
}

/// What one attempt saw: the diff with the objects present, and after their
/// removal.
struct Observed {
    expected: Vec<Object>,
    with_objects: Vec<Object>,
    after_removal: Vec<Object>,
}

fn attempt(sysv: bool) -> Observed {
    let mut created = Created::default();
    let before = ipcs::snapshot().unwrap();
    let mut expected = vec![created.posix_file(Path::new(ipcs::SHM_DIR))];
    if let Some(dir) = ipcs::mqueue_dir() {
        expected.push(created.posix_file(&dir));
    }
    if sysv {
        for kind in SysvKind::ALL {
            expected.push(created.sysv(kind));
        }
    }
    expected.sort();
    let with_objects = ipcs::leaked(&before, &ipcs::snapshot().unwrap());
    created.remove_all().unwrap();
    let after_removal = ipcs::leaked(&before, &ipcs::snapshot().unwrap());
    Observed {
        expected,
        with_objects,
        after_removal,
    }
}

#[test]
fn leak_check_reports_exactly_the_objects_left_behind() {
    if !Path::new(ipcs::SHM_DIR).is_dir() {
        eprintln!("skipped: no {} on this system", ipcs::SHM_DIR);
        return;
    }
    let sysv = cmd::in_path("ipcmk") && cmd::in_path("ipcrm");
    if !sysv {
        eprintln!("ipcmk/ipcrm (util-linux) not found: checking POSIX objects only");
    }
    if ipcs::mqueue_dir().is_none() {
        eprintln!("mqueue filesystem not mounted: not checking message queues");
    }
    for attempt_number in 1..=ATTEMPTS {
        let seen = attempt(sysv);
        if seen.with_objects == seen.expected && seen.after_removal.is_empty() {
            let shown: Vec<String> = seen.with_objects.iter().map(ToString::to_string).collect();
            let posix = PathBuf::from(ipcs::SHM_DIR)
                .join(format!("ipcrs-test-leakcheck-{}", std::process::id()));
            assert!(shown.contains(&posix.display().to_string()), "{shown:?}");
            if sysv {
                for (kind, name) in [(SysvKind::Sem, "sem"), (SysvKind::Shm, "shm")] {
                    let id = seen
                        .expected
                        .iter()
                        .find_map(|o| match o {
                            Object::Sysv { kind: k, id, .. } if *k == kind => Some(*id),
                            _ => None,
                        })
                        .unwrap();
                    let prefix = format!("sysv {name} key=0x");
                    let suffix = format!(" id={id}");
                    assert!(
                        shown
                            .iter()
                            .any(|s| s.starts_with(&prefix) && s.ends_with(&suffix)),
                        "{shown:?}"
                    );
                }
            }
            assert!(seen.with_objects.iter().filter(|o| o.is_ours()).count() >= 1);
            return;
        }
        if attempt_number == ATTEMPTS {
            assert_eq!(seen.with_objects, seen.expected, "diff with the objects");
            assert_eq!(seen.after_removal, [], "diff after removing them");
        }
        eprintln!(
            "attempt {attempt_number}: expected {:?}, saw {:?} then {:?} (another process \
             may have created or removed IPC objects meanwhile); retrying",
            seen.expected, seen.with_objects, seen.after_removal
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
