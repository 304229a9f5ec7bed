//! The targets beyond the host, in the three tiers of the README's platform
//! table, and how `cargo xtask test` builds, runs or checks each.

use std::ffi::OsString;
use std::process::Command;

use crate::cmd;

/// Targets whose test suite runs natively on an x86_64 Linux machine.
pub(crate) const NATIVE: [&str; 2] = ["x86_64-unknown-linux-musl", "i686-unknown-linux-gnu"];

/// The target whose test suite runs under qemu-user.
pub(crate) const EMULATED: &str = "aarch64-unknown-linux-gnu";

/// Targets that are type-checked, linted and documented only: no C headers,
/// cross compiler or libclang is needed for them.
pub(crate) const CHECKED: [&str; 3] = [
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-unknown-freebsd",
];

/// The crates whose tests run on every Linux target (the others, xtask,
/// the bindings generator, demos and benches, only make sense on the host).
pub(crate) const TESTED_CRATES: [&str; 8] = [
    "ipc-common",
    "posix-ipc-sys",
    "posix-ipc-rs",
    "sysv-ipc",
    "ipc-inventory",
    "ipc-tool",
    "interop",
    "testkit",
];

/// The crates type-checked, linted and documented for macOS and FreeBSD:
/// every crate a user depends on.
pub(crate) const CHECKED_CRATES: [&str; 5] = [
    "ipc-common",
    "posix-ipc-sys",
    "posix-ipc-rs",
    "sysv-ipc",
    "ipc-inventory",
];

/// The checked crates whose tests, examples and benches are type-checked
/// for macOS and FreeBSD too (`--all-targets`). The others' tests exercise
/// Linux itself (`/proc`, `/dev/shm`, mount namespaces, the mqueue file
/// system, real-time signals) and run on the Linux targets only, so for
/// them the library is checked (`--lib`), which is what a dependent
/// program compiles.
pub(crate) const CHECKED_ALL_TARGETS: [&str; 2] = ["ipc-common", "posix-ipc-sys"];

/// Every target `cargo xtask test` needs rustup to have.
pub(crate) fn all() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = NATIVE.to_vec();
    all.push(EMULATED);
    all.extend(CHECKED);
    all
}

/// Why `cargo xtask test` needs `target`, as printed when rustup adds it.
pub(crate) fn purpose(target: &str) -> &'static str {
    if NATIVE.contains(&target) {
        "the test suite runs natively on it"
    } else if target == EMULATED {
        "the test suite runs on it under qemu"
    } else if CHECKED.contains(&target) {
        "the crates are checked, linted and documented for it"
    } else {
        "a target of the suite"
    }
}

/// Where Debian's aarch64 cross C library lives (qemu's `-L`).
const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// Why the POSIX queue notification tests cannot run under qemu-user.
const NO_MQ_NOTIFY: &str = "registers a queue notification: qemu-user 7.2 (Debian 12) does not implement mq_notify (ENOSYS)";

/// Why two System V queue tests cannot run under qemu-user.
const QEMU_MSG_LRPID: &str = "reads msg_lrpid: qemu-user 7.2 converts the IPC_STAT pids of \
                              msqid_ds as 8-byte fields, so the last receiver's pid reads as 0";

/// Why the tests of a robust mutex whose holder dies cannot run under qemu-user.
const NO_ROBUST_LIST: &str = "a holder dies with a robust mutex locked: qemu-user does not pass \
                              set_robust_list to the kernel, so nothing marks the mutex \
                              owner-died and the next locker waits for ever";

/// Why the inventory's blocked-receiver check cannot run under qemu-user.
const QEMU_HOST_SYSCALLS: &str = "finds a task blocked in msgrcv through /proc/<pid>/task/*/syscall: \
                                  under qemu-user the emulated task shows the host's (x86_64) \
                                  system call number, not aarch64's";

/// Why two pre-fault tests of POSIX mappings cannot run under qemu-user.
const QEMU_MADVISE: &str = "counts a mapping's resident pages after pre-faulting: qemu-user \
                            accepts madvise without passing it to the kernel and maps guest \
                            memory its own way, so residency says nothing about the program";

/// Why the address-space-limit tests cannot run under qemu-user.
/// Why the shared attachment-count test cannot run under qemu.
const QEMU_SHM_NATTCH: &str = "counts a segment's attachments after a child process that \
                               attached it has exited: under qemu-user, in two of three full \
                               runs on 2026-11-27, the count came out 2 or 3 instead of 1 (never \
                               natively, never run alone under qemu), as qemu emulates \
                               shmat/shmdt with a table of its own";

const QEMU_RLIMIT_AS: &str = "lowers RLIMIT_AS to just above the process's size: qemu-user's \
                              own reservations for the guest count against it, so the limit \
                              does not measure the emulated program's allocations";

/// Tests that cannot run under qemu-user, by exact name (unique in the
/// workspace), with the reason. They run on every native target. Re-executing
/// the test binary works: testkit starts children through the runner.
pub(crate) const SKIPPED_UNDER_QEMU: &[(&str, &str)] = &[
    // ipc-common tests/robust.rs
    (
        "owner_died_then_make_consistent_restores_normal_locking",
        NO_ROBUST_LIST,
    ),
    (
        "dropping_the_inconsistent_guard_makes_the_mutex_unrecoverable",
        NO_ROBUST_LIST,
    ),
    (
        "a_wait_reacquiring_from_a_dead_owner_reports_owner_died",
        NO_ROBUST_LIST,
    ),
    // ipc-inventory tests/inventory.rs
    ("sysv_objects_with_sizes_pids_and_users", QEMU_HOST_SYSCALLS),
    // ipc-inventory tests/container.rs
    (
        "in_a_container_of_only_queues_their_users_are_seen",
        QEMU_HOST_SYSCALLS,
    ),
    // sysv-ipc tests/every_kind/crash.rs
    (
        "crash::a_robust_mutex_in_an_attachment_reports_a_killed_owner",
        NO_ROBUST_LIST,
    ),
    // ipc-common tests/region.rs
    (
        "pre_faulting_maps_every_page_without_changing_it",
        QEMU_MADVISE,
    ),
    (
        "pre_faulting_a_large_region_maps_every_page_of_every_piece",
        QEMU_MADVISE,
    ),
    (
        "pre_faulting_maps_every_page_when_no_thread_can_start",
        QEMU_MADVISE,
    ),
    // posix-ipc tests/shm/populate.rs
    (
        "populate::a_populating_handle_maps_every_page_before_returning_a_mapping",
        QEMU_MADVISE,
    ),
    (
        "populate::a_sparse_object_gets_its_pages_when_a_populating_handle_maps_it",
        QEMU_MADVISE,
    ),
    // sysv-ipc tests/shm/processes.rs
    (
        "processes::segment_removed_while_attached_stays_usable_until_detached",
        QEMU_SHM_NATTCH,
    ),
    // sysv-ipc tests/shm/errors.rs and tests/msg/memory.rs
    (
        "errors::reading_more_than_can_be_allocated_is_an_error_not_an_abort",
        QEMU_RLIMIT_AS,
    ),
    (
        "memory::under_a_small_address_space_limit_a_receive_never_aborts",
        QEMU_RLIMIT_AS,
    ),
    // sysv-ipc tests/shm/populate.rs
    (
        "populate::a_new_segment_created_populating_is_mapped_and_zero",
        QEMU_MADVISE,
    ),
    (
        "populate::a_populating_handle_maps_every_page_before_returning_an_attachment",
        QEMU_MADVISE,
    ),
    (
        "populate::populate_uses_madvise_on_linux_5_14_and_later",
        QEMU_MADVISE,
    ),
    (
        "populate::the_fallback_touches_every_page_and_changes_no_byte",
        QEMU_MADVISE,
    ),
    // posix-ipc tests/signals.rs
    ("a_signal_replaces_a_callback_registration", NO_MQ_NOTIFY),
    (
        "invalid_signal_numbers_are_rejected_before_the_call",
        NO_MQ_NOTIFY,
    ),
    ("rearm_from_the_main_thread_after_each_signal", NO_MQ_NOTIFY),
    (
        "registration_on_a_non_empty_queue_waits_for_the_next_empty_to_full_change",
        NO_MQ_NOTIFY,
    ),
    ("test_request_notification_cancel_default", NO_MQ_NOTIFY),
    ("test_request_notification_cancel_multiple", NO_MQ_NOTIFY),
    ("test_request_notification_signal", NO_MQ_NOTIFY),
    ("test_request_notification_signal_one_shot", NO_MQ_NOTIFY),
    // sysv-ipc tests/msg/sysv_ipc.rs and tests/msg/processes.rs
    ("sysv_ipc::property_last_receive_pid", QEMU_MSG_LRPID),
    (
        "processes::producer_and_consumer_exchange_typed_messages",
        QEMU_MSG_LRPID,
    ),
    // posix-ipc tests/shm/robust.rs, tests/every_primitive/{crash,api_snippets}.rs,
    // tests/mqueue/{posix_ipc_suite,processes,notify,api}.rs
    (
        "robust::four_processes_count_exactly_when_one_is_killed_holding_the_mutex",
        NO_ROBUST_LIST,
    ),
    (
        "robust::a_condvar_wait_reacquiring_from_a_killed_holder_reports_owner_died",
        NO_ROBUST_LIST,
    ),
    (
        "crash::a_robust_mutex_held_by_a_killed_process_reports_owner_died",
        NO_ROBUST_LIST,
    ),
    (
        "api_snippets::notify_signal_takes_a_nix_signal",
        NO_MQ_NOTIFY,
    ),
    (
        "posix_ipc_suite::test_request_notification_threaded_one_shot",
        NO_MQ_NOTIFY,
    ),
    (
        "posix_ipc_suite::test_request_notification_threaded_rearm",
        NO_MQ_NOTIFY,
    ),
    (
        "processes::another_process_gets_busy_while_this_one_is_registered",
        NO_MQ_NOTIFY,
    ),
    (
        "processes::a_registration_ends_with_the_process_that_held_it",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::a_callback_whose_registration_a_close_ended_is_dropped_not_leaked",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::a_panicking_callback_is_reported_by_the_next_registration",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::a_second_handle_in_the_same_process_takes_over",
        NO_MQ_NOTIFY,
    ),
    ("notify::a_str_panic_payload_is_kept_too", NO_MQ_NOTIFY),
    (
        "notify::a_waiting_receiver_gets_the_message_instead_of_the_notification",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::cancel_stops_the_callback_and_drops_it",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::dropping_a_queue_with_a_pending_callback_is_safe",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::dropping_handles_while_notifications_fire_is_safe",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::handles_of_one_queue_racing_to_register_replace_each_other_never_busy",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::take_notification_panic_and_cancel_report_the_panic",
        NO_MQ_NOTIFY,
    ),
    (
        "notify::the_callback_may_hold_the_queue_and_receive",
        NO_MQ_NOTIFY,
    ),
    ("api::notify_callback", NO_MQ_NOTIFY),
    ("api::cancel_notification", NO_MQ_NOTIFY),
    ("api::take_notification_panic", NO_MQ_NOTIFY),
];

/// Documentation tests that cannot run under qemu-user: every example in a
/// source file (named by path, since a doctest's name carries its line
/// number), with the reason.
pub(crate) const SKIPPED_DOCTESTS_UNDER_QEMU: &[(&str, &str)] = &[
    ("posix-ipc/src/mqueue/notify.rs", NO_MQ_NOTIFY),
    (
        "interop/src/lib.rs",
        "holds the README, PORTING.md and RECOVERY.md examples, one of which registers a \
         queue notification: qemu-user 7.2 does not implement mq_notify (ENOSYS)",
    ),
];

/// Sets `key` to `value` on `command` unless the user's environment already
/// sets it (their linker or runner wins).
fn default_env(command: &mut Command, key: &str, value: &str) {
    if std::env::var_os(key).is_none() {
        command.env(key, value);
    }
}

/// The environment a Linux `target`'s build and test run need: its linker,
/// the C compiler of posix-ipc-sys's C-comparison test, and for aarch64 the
/// qemu runner (also told to that test, which runs a C program built for the
/// target).
pub(crate) fn configure(command: &mut Command, target: &str) {
    let upper = target.to_uppercase().replace('-', "_");
    match target {
        "i686-unknown-linux-gnu" => {
            default_env(
                command,
                &format!("CARGO_TARGET_{upper}_LINKER"),
                "i686-linux-gnu-gcc",
            );
            default_env(command, "IPCRS_TARGET_CC", "i686-linux-gnu-gcc");
        }
        "x86_64-unknown-linux-musl" => default_env(command, "IPCRS_TARGET_CC", "musl-gcc"),
        "aarch64-unknown-linux-gnu" => {
            let runner = format!("qemu-aarch64 -L {AARCH64_SYSROOT}");
            default_env(
                command,
                &format!("CARGO_TARGET_{upper}_LINKER"),
                "aarch64-linux-gnu-gcc",
            );
            default_env(command, &format!("CARGO_TARGET_{upper}_RUNNER"), &runner);
            default_env(command, "IPCRS_TARGET_CC", "aarch64-linux-gnu-gcc");
            default_env(command, "IPCRS_TARGET_RUNNER", &runner);
        }
        _ => {}
    }
}

/// `cargo <subcommand> --target <target>` on `crates`, with `extra`
/// arguments (before any `--`), configured for the target.
pub(crate) fn cargo_for(
    subcommand: &str,
    target: &str,
    crates: &[&str],
    extra: &[&str],
) -> Command {
    let mut args: Vec<OsString> = vec![subcommand.into(), "--target".into(), target.into()];
    for name in crates {
        args.push("--package".into());
        args.push(name.into());
    }
    args.extend(extra.iter().map(OsString::from));
    let mut command = cmd::cargo(args);
    configure(&mut command, target);
    command
}

/// The `--skip` arguments (after `--`) for the unit and integration tests
/// that cannot run under qemu, exact names only.
pub(crate) fn qemu_skip_args() -> Vec<String> {
    let mut args = vec!["--exact".to_owned()];
    for (name, _) in SKIPPED_UNDER_QEMU {
        args.push("--skip".to_owned());
        args.push((*name).to_owned());
    }
    args
}

/// The `--skip` arguments (after `--`) for the documentation tests that
/// cannot run under qemu: substrings of their names (the source file).
pub(crate) fn qemu_doctest_skip_args() -> Vec<String> {
    let mut args = Vec::new();
    for (file, _) in SKIPPED_DOCTESTS_UNDER_QEMU {
        args.push("--skip".to_owned());
        args.push((*file).to_owned());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `targets` list of a manifest's `[package.metadata.docs.rs]`.
    fn docs_rs_targets(manifest: &str) -> Vec<String> {
        let table = manifest
            .split("[package.metadata.docs.rs]")
            .nth(1)
            .expect("a [package.metadata.docs.rs] table");
        let list = table
            .split("targets = [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .expect("a targets list");
        list.split(',')
            .map(|t| t.trim().trim_matches('"').to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }

    #[test]
    fn docs_rs_lists_exactly_the_targets_that_build() {
        let root = cmd::workspace_root();
        let mut linux = vec!["x86_64-unknown-linux-gnu"];
        linux.extend(NATIVE);
        linux.push(EMULATED);
        // (directory, package): the POSIX crate's package name differs.
        for (dir, krate) in [
            ("ipc-common", "ipc-common"),
            ("posix-ipc-sys", "posix-ipc-sys"),
            ("posix-ipc", "posix-ipc-rs"),
            ("sysv-ipc", "sysv-ipc"),
            ("ipc-inventory", "ipc-inventory"),
        ] {
            let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap();
            let mut listed = docs_rs_targets(&manifest);
            let mut expected: Vec<String> = linux.iter().map(|t| (*t).to_owned()).collect();
            if CHECKED_CRATES.contains(&krate) {
                expected.extend(CHECKED.iter().map(|t| (*t).to_owned()));
            }
            listed.sort_unstable();
            expected.sort_unstable();
            assert_eq!(listed, expected, "{krate}/Cargo.toml");
        }
    }

    #[test]
    fn fully_checked_crates_are_checked_crates() {
        for krate in CHECKED_ALL_TARGETS {
            assert!(CHECKED_CRATES.contains(&krate), "{krate}");
        }
    }

    #[test]
    fn every_target_is_in_one_tier() {
        let all = all();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len());
        assert!(
            !all.contains(&"x86_64-unknown-linux-gnu"),
            "the host is not a cross target"
        );
    }

    #[test]
    fn aarch64_gets_its_linker_and_runner() {
        let command = cargo_for("test", EMULATED, &["posix-ipc-rs"], &["--all-features"]);
        let shown = cmd::display(&command);
        assert!(
            shown.contains("--target aarch64-unknown-linux-gnu"),
            "{shown}"
        );
        assert!(
            shown.contains("--package posix-ipc-rs --all-features"),
            "{shown}"
        );
        if std::env::var_os("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER").is_none() {
            assert!(
                shown.contains("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER='qemu-aarch64 -L /usr/aarch64-linux-gnu'"),
                "{shown}"
            );
        }
    }

    #[test]
    fn skipped_tests_have_reasons_and_exact_names() {
        let args = qemu_skip_args();
        assert_eq!(args[0], "--exact");
        assert_eq!(args.len(), 1 + 2 * SKIPPED_UNDER_QEMU.len());
        for (name, why) in SKIPPED_UNDER_QEMU {
            assert!(!name.contains(' ') && !why.is_empty(), "{name}");
        }
        let root = cmd::workspace_root();
        for (file, why) in SKIPPED_DOCTESTS_UNDER_QEMU {
            assert!(root.join(file).is_file(), "{file}");
            assert!(!why.is_empty());
        }
        assert_eq!(
            qemu_doctest_skip_args().len(),
            2 * SKIPPED_DOCTESTS_UNDER_QEMU.len()
        );
    }
}
