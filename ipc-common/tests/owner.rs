//! Which owners an open-or-create trusts, seen from a process that is not
//! root: as root every object is "ours or root's", so the suite checks the
//! rule in a child that drops to `nobody`.

use std::time::Duration;

use ipc_common::__private::{check_owner, is_trusted_owner};
use ipc_common::ErrorKind;

const TEST: &str = "an_unprivileged_process_trusts_itself_and_root_only";

#[test]
fn an_unprivileged_process_trusts_itself_and_root_only() {
    if testkit::child_args(TEST).is_some() {
        testkit::become_nobody();
        the_rule_holds_for(testkit::NOBODY);
    } else if testkit::is_root() {
        testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(30));
    } else {
        // SAFETY: geteuid has no preconditions.
        the_rule_holds_for(unsafe { libc::geteuid() });
    }
}

/// The checks, in a process whose effective uid is `me` (not root).
fn the_rule_holds_for(me: libc::uid_t) {
    let stranger = if me == 1234 { 4321 } else { 1234 };
    assert!(is_trusted_owner(me), "its own objects");
    assert!(is_trusted_owner(0), "root's objects");
    assert!(!is_trusted_owner(stranger), "another user's objects");
    let what = || "semaphore \"/x\"".to_owned();
    assert!(check_owner("sem_open", me, what).is_ok());
    let e = check_owner("sem_open", stranger, what).unwrap_err();
    assert_eq!(
        (e.kind(), e.operation()),
        (ErrorKind::ForeignOwner, "sem_open")
    );
    assert!(e.message().contains("/x"), "{e}");
}
