//! The stale rule, as pure functions of what the scan saw (documented in the
//! crate docs, "Stale objects").

use crate::object::{Kind, Object, Staleness};

/// What the verdicts may rely on.
pub(crate) struct Rules<'a> {
    /// `None` when every live process was inspected (descriptors and
    /// mappings); otherwise why not.
    pub(crate) incomplete: Option<String>,
    /// `None` when the system call of every live task could be read (to find
    /// tasks blocked on a System V queue); otherwise why not.
    pub(crate) tasks_incomplete: Option<String>,
    /// A pid of 0 reported by System V means "no process" (every pid is
    /// visible from here); otherwise it may be a process outside this PID
    /// namespace.
    pub(crate) zero_is_none: bool,
    /// `None` when pids can be checked with `kill` here; otherwise why not.
    pub(crate) pids_uncheckable: Option<String>,
    /// Whether a pid is alive (pid reuse and zombies count as alive).
    pub(crate) alive: &'a dyn Fn(libc::pid_t) -> bool,
}

/// The verdict for one object.
pub(crate) fn verdict(o: &Object, rules: &Rules<'_>) -> Staleness {
    if let Some(why) = &rules.pids_uncheckable {
        return Staleness::Unknown(why.clone());
    }
    match o.kind {
        Kind::PosixSharedMemory | Kind::PosixSemaphore | Kind::PosixMessageQueue => posix(o, rules),
        Kind::SysvSharedMemory => sysv_shm(o, rules),
        Kind::SysvSemaphoreSet => sysv_sem(o, rules),
        Kind::SysvMessageQueue => sysv_msg(o, rules),
    }
}

fn pid_list(pids: &[libc::pid_t]) -> String {
    let shown: Vec<String> = pids.iter().map(ToString::to_string).collect();
    shown.join(", ")
}

fn posix(o: &Object, rules: &Rules<'_>) -> Staleness {
    let Some(holders) = &o.holders else {
        return Staleness::Unknown("the processes holding it were not inspected".to_owned());
    };
    if !holders.processes.is_empty() {
        let uses: Vec<String> = holders
            .processes
            .iter()
            .map(|h| {
                let how = match (h.open, h.mapped) {
                    (true, true) => "open and mapped",
                    (true, false) => "open",
                    _ => "mapped",
                };
                match &h.command {
                    Some(c) => format!("pid {} ({c}) has it {how}", h.pid),
                    None => format!("pid {} has it {how}", h.pid),
                }
            })
            .collect();
        return Staleness::InUse(uses.join("; "));
    }
    if let Some(n) = o.notification
        && (rules.alive)(n.pid)
    {
        return Staleness::InUse(format!("pid {} is registered for its notifications", n.pid));
    }
    match holders.open_per_kernel {
        Some(true) => Staleness::InUse(
            "a process that could not be inspected has it open or mapped (the kernel refused a \
             write lease)"
                .to_owned(),
        ),
        Some(false) => Staleness::Stale(
            "no process has it open or mapped (the kernel granted a write lease, which it \
             refuses while any other process has it open or mapped)"
                .to_owned(),
        ),
        None => match &rules.incomplete {
            Some(why) => Staleness::Unknown(format!(
                "no inspected process has it open or mapped, but {why}"
            )),
            None => Staleness::Stale("no live process has it open or mapped".to_owned()),
        },
    }
}

fn sysv_shm(o: &Object, rules: &Rules<'_>) -> Staleness {
    match o.attachments {
        None => return Staleness::Unknown("its attach count is unknown".to_owned()),
        Some(n) if n > 0 => return Staleness::InUse(format!("attached {n} time(s)")),
        Some(_) => {}
    }
    for (who, pid) in [
        ("its creator", o.creator_pid),
        ("the last process to attach or detach it", o.last_pid),
    ] {
        if let Some(pid) = pid
            && (rules.alive)(pid)
        {
            return Staleness::InUse(format!("{who}, pid {pid}, is alive"));
        }
    }
    let Some(creator) = o.creator_pid else {
        return Staleness::Unknown(
            "its creator's pid is not visible from this PID namespace".to_owned(),
        );
    };
    let last = match o.last_pid {
        Some(pid) => format!("the last process to attach or detach it (pid {pid})"),
        None if rules.zero_is_none => "no process ever attached it".to_owned(),
        None => {
            return Staleness::Unknown(
                "the pid of its last user is 0, which from this PID namespace may also be a \
                 process outside it"
                    .to_owned(),
            );
        }
    };
    Staleness::Stale(format!(
        "nobody is attached, its creator (pid {creator}) is gone, and {last}{}",
        if o.last_pid.is_some() { " is gone" } else { "" }
    ))
}

fn sysv_sem(o: &Object, rules: &Rules<'_>) -> Staleness {
    let (Some(pids), Some(waiters)) = (&o.semaphore_pids, o.waiters) else {
        return Staleness::Unknown(
            "the pids of its last operations cannot be read (semctl GETPID needs read \
             permission on the set)"
                .to_owned(),
        );
    };
    if waiters > 0 {
        return Staleness::InUse(format!("{waiters} wait(s) pending on it"));
    }
    for (num, &pid) in pids.iter().enumerate() {
        // A pid of 0 (no operation, or one from outside this PID namespace)
        // is never alive.
        if (rules.alive)(pid) {
            return Staleness::InUse(format!(
                "pid {pid}, the last to operate on semaphore {num}, is alive"
            ));
        }
    }
    let known: Vec<libc::pid_t> = pids.iter().copied().filter(|p| *p > 0).collect();
    if known.is_empty() {
        return Staleness::Unknown(
            "no process has operated on it since it was created, and a semaphore set records \
             no creator pid, so its creator may still be about to use it"
                .to_owned(),
        );
    }
    if known.len() < pids.len() && !rules.zero_is_none {
        return Staleness::Unknown(
            "some of its semaphores show last-operation pid 0, which from this PID namespace \
             may also be a process outside it"
                .to_owned(),
        );
    }
    Staleness::Stale(format!(
        "nobody waits on it and the processes that last operated on it (pid {}) are gone",
        pid_list(&known)
    ))
}

fn sysv_msg(o: &Object, rules: &Rules<'_>) -> Staleness {
    let Some(blocked) = &o.blocked_pids else {
        return Staleness::Unknown(
            "the tasks blocked on it were not looked for (processes not inspected, or an \
             architecture whose system calls this crate does not know)"
                .to_owned(),
        );
    };
    if !blocked.is_empty() {
        return Staleness::InUse(format!(
            "pid {} blocked in msgsnd or msgrcv on it",
            pid_list(blocked)
        ));
    }
    for (who, pid) in [
        ("its last sender", o.last_send_pid),
        ("its last receiver", o.last_receive_pid),
    ] {
        if let Some(pid) = pid
            && (rules.alive)(pid)
        {
            return Staleness::InUse(format!("{who}, pid {pid}, is alive"));
        }
    }
    if let Some(why) = &rules.tasks_incomplete {
        return Staleness::Unknown(format!(
            "no checked task is blocked on it, but {why} (reading \
             /proc/<pid>/task/<tid>/syscall needs the right to trace the process); if \
             those processes make no System V queue calls, say so with `--assume-idle PID` \
             (Scan::assume_idle)"
        ));
    }
    let describe = |who: &str, pid: Option<libc::pid_t>| match pid {
        Some(pid) => format!("{who} (pid {pid}) is gone"),
        None => format!("there was no {who}"),
    };
    match (o.last_send_pid, o.last_receive_pid) {
        (None, None) => Staleness::Unknown(
            "no message has been sent or received since it was created, and a queue records \
             no creator pid, so its creator may still be about to use it"
                .to_owned(),
        ),
        (s, r) if (s.is_none() || r.is_none()) && !rules.zero_is_none => Staleness::Unknown(
            "a last sender or receiver pid of 0, from this PID namespace, may also be a \
             process outside it"
                .to_owned(),
        ),
        (s, r) => Staleness::Stale(format!(
            "no process is blocked on it, {} and {}",
            describe("last sender", s),
            describe("last receiver", r)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{Holder, Holders, Notification};

    const LIVE: libc::pid_t = 100;
    const DEAD: libc::pid_t = 200;

    fn alive(pid: libc::pid_t) -> bool {
        pid == LIVE
    }

    fn rules() -> Rules<'static> {
        Rules {
            incomplete: None,
            tasks_incomplete: None,
            zero_is_none: true,
            pids_uncheckable: None,
            alive: &alive,
        }
    }

    fn posix(holders: Vec<Holder>, complete: bool) -> Object {
        let mut o = Object::new(Kind::PosixSharedMemory);
        o.holders = Some(Holders {
            processes: holders,
            complete,
            open_per_kernel: None,
        });
        o
    }

    #[test]
    fn posix_is_stale_only_when_nobody_holds_it_and_everyone_was_seen() {
        let holder = Holder {
            pid: LIVE,
            command: Some("app".into()),
            open: true,
            mapped: true,
        };
        let v = verdict(&posix(vec![holder], true), &rules());
        assert_eq!(
            v,
            Staleness::InUse("pid 100 (app) has it open and mapped".into())
        );
        assert!(verdict(&posix(vec![], true), &rules()).is_stale());
        let incomplete = Rules {
            incomplete: Some("3 processes could not be inspected".into()),
            ..rules()
        };
        let v = verdict(&posix(vec![], false), &incomplete);
        assert!(
            matches!(v, Staleness::Unknown(ref r) if r.contains("3 processes")),
            "{v}"
        );
        // The kernel's answer beats an incomplete walk, both ways.
        let mut asked = posix(vec![], false);
        asked.holders.as_mut().unwrap().open_per_kernel = Some(false);
        assert!(verdict(&asked, &incomplete).is_stale());
        asked.holders.as_mut().unwrap().open_per_kernel = Some(true);
        let v = verdict(&asked, &incomplete);
        assert!(
            matches!(v, Staleness::InUse(ref r) if r.contains("write lease")),
            "{v}"
        );
        let mut unscanned = posix(vec![], true);
        unscanned.holders = None;
        assert!(matches!(
            verdict(&unscanned, &rules()),
            Staleness::Unknown(_)
        ));
        let uncheckable = Rules {
            pids_uncheckable: Some("no /proc".into()),
            ..rules()
        };
        assert_eq!(
            verdict(&posix(vec![], true), &uncheckable),
            Staleness::Unknown("no /proc".into())
        );
    }

    #[test]
    fn a_live_notification_registration_is_a_use() {
        let mut q = posix(vec![], true);
        q.kind = Kind::PosixMessageQueue;
        q.notification = Some(Notification {
            method: 0,
            signal: 10,
            pid: LIVE,
        });
        assert!(matches!(verdict(&q, &rules()), Staleness::InUse(_)));
        q.notification = Some(Notification {
            method: 0,
            signal: 10,
            pid: DEAD,
        });
        assert!(verdict(&q, &rules()).is_stale());
    }

    fn shm(nattch: u64, cpid: Option<i32>, lpid: Option<i32>) -> Object {
        let mut o = Object::new(Kind::SysvSharedMemory);
        (o.attachments, o.creator_pid, o.last_pid) = (Some(nattch), cpid, lpid);
        o
    }

    #[test]
    fn sysv_shm_needs_no_attachment_and_dead_creator_and_last_user() {
        assert!(verdict(&shm(0, Some(DEAD), Some(DEAD)), &rules()).is_stale());
        assert!(verdict(&shm(0, Some(DEAD), None), &rules()).is_stale());
        for in_use in [
            shm(1, Some(DEAD), Some(DEAD)),
            shm(0, Some(LIVE), Some(DEAD)),
            shm(0, Some(DEAD), Some(LIVE)),
        ] {
            assert!(matches!(verdict(&in_use, &rules()), Staleness::InUse(_)));
        }
        assert!(matches!(
            verdict(&shm(0, None, Some(DEAD)), &rules()),
            Staleness::Unknown(_)
        ));
        let container = Rules {
            zero_is_none: false,
            ..rules()
        };
        assert!(matches!(
            verdict(&shm(0, Some(DEAD), None), &container),
            Staleness::Unknown(_)
        ));
        assert!(verdict(&shm(0, Some(DEAD), Some(DEAD)), &container).is_stale());
    }

    fn sem(pids: &[i32], waiters: u64) -> Object {
        let mut o = Object::new(Kind::SysvSemaphoreSet);
        o.semaphore_pids = Some(pids.to_vec());
        o.waiters = Some(waiters);
        o
    }

    #[test]
    fn sysv_sem_needs_dead_last_operators_and_no_waiters() {
        assert!(verdict(&sem(&[DEAD, DEAD], 0), &rules()).is_stale());
        assert!(verdict(&sem(&[DEAD, 0], 0), &rules()).is_stale());
        assert!(matches!(
            verdict(&sem(&[DEAD, LIVE], 0), &rules()),
            Staleness::InUse(_)
        ));
        assert!(matches!(
            verdict(&sem(&[DEAD], 1), &rules()),
            Staleness::InUse(_)
        ));
        assert!(matches!(
            verdict(&sem(&[0, 0], 0), &rules()),
            Staleness::Unknown(_)
        ));
        let container = Rules {
            zero_is_none: false,
            ..rules()
        };
        assert!(matches!(
            verdict(&sem(&[DEAD, 0], 0), &container),
            Staleness::Unknown(_)
        ));
        // Every pid known and dead: stale in a container too.
        assert!(verdict(&sem(&[DEAD, DEAD], 0), &container).is_stale());
        let mut unreadable = sem(&[], 0);
        unreadable.semaphore_pids = None;
        assert!(matches!(
            verdict(&unreadable, &rules()),
            Staleness::Unknown(_)
        ));
    }

    fn msg(lspid: Option<i32>, lrpid: Option<i32>, blocked: Option<Vec<i32>>) -> Object {
        let mut o = Object::new(Kind::SysvMessageQueue);
        (o.last_send_pid, o.last_receive_pid, o.blocked_pids) = (lspid, lrpid, blocked);
        o
    }

    #[test]
    fn sysv_msg_needs_dead_users_and_nobody_blocked() {
        assert!(verdict(&msg(Some(DEAD), Some(DEAD), Some(vec![])), &rules()).is_stale());
        assert!(verdict(&msg(Some(DEAD), None, Some(vec![])), &rules()).is_stale());
        for in_use in [
            msg(Some(DEAD), None, Some(vec![LIVE])),
            msg(Some(LIVE), None, Some(vec![])),
            msg(Some(DEAD), Some(LIVE), Some(vec![])),
        ] {
            assert!(matches!(verdict(&in_use, &rules()), Staleness::InUse(_)));
        }
        for unknown in [msg(None, None, Some(vec![])), msg(Some(DEAD), None, None)] {
            assert!(matches!(verdict(&unknown, &rules()), Staleness::Unknown(_)));
        }
        let incomplete = Rules {
            tasks_incomplete: Some("pid 1 could not be checked".into()),
            ..rules()
        };
        assert!(matches!(
            verdict(&msg(Some(DEAD), Some(DEAD), Some(vec![])), &incomplete),
            Staleness::Unknown(_)
        ));
        assert!(matches!(
            verdict(&msg(Some(DEAD), None, Some(vec![LIVE])), &incomplete),
            Staleness::InUse(_)
        ));
        // In a container a pid of 0 may be a process outside: unknown,
        // unless both pids are known (and dead).
        let container = Rules {
            zero_is_none: false,
            ..rules()
        };
        for unknown in [
            msg(Some(DEAD), None, Some(vec![])),
            msg(None, Some(DEAD), Some(vec![])),
        ] {
            assert!(matches!(
                verdict(&unknown, &container),
                Staleness::Unknown(_)
            ));
        }
        assert!(verdict(&msg(Some(DEAD), Some(DEAD), Some(vec![])), &container).is_stale());
    }
}
