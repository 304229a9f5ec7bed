//! Workers survive a `kill -9` of one of them: a shared record in POSIX shared
//! memory, updated under a `RobustMutex`.
//!
//! The coordinator creates the memory, initialises the mutex and starts three
//! workers (this program again). Each adds its increments to the record in
//! two steps (mark the update, then finish it), holding the mutex. One worker
//! is SIGKILLed by the coordinator while it holds the mutex between the two
//! steps. With a semaphore the others would now wait for ever; here the next
//! locker gets `LockOutcome::OwnerDied`, sees the half-done update, rolls it
//! back, calls `make_consistent()` and carries on. At the end the total equals
//! the increments that completed, the record was repaired exactly once, and
//! the memory is unlinked.
//!
//! ```text
//! cargo run -p demos --example robust_counter
//! ```

use std::mem::offset_of;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use demos::{Args, KillOnDrop, say};
use posix_ipc::{LockOutcome, Mapping, MutexGuard, RobustMutex, SharedMemory};

const USAGE: &str = "robust_counter [coordinator]\n       \
                     robust_counter worker --memory NAME --index I [--die-at N]";
const WORKERS: usize = 3;
const INCREMENTS: u64 = 1000;

/// What the processes share, at offset 0 of the memory.
#[repr(C)]
struct Shared {
    /// Set by the worker that is about to be killed, once it holds the mutex.
    victim_holding: AtomicU32,
    mutex: RobustMutex,
    record: Record,
}

/// The record the mutex protects, copied in and out whole with
/// `read_obj`/`write_obj`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Record {
    /// The total.
    count: u64,
    /// Worker index + 1 while that worker's update is half done.
    updating: u64,
    /// How often a locker found the previous holder dead and repaired.
    repairs: u64,
    /// Increments each worker completed.
    done: [u64; WORKERS],
}

const RECORD: usize = offset_of!(Shared, record);

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    if std::env::args().len() <= 1 {
        return coordinator();
    }
    let args = Args::parse(USAGE);
    match args.role.as_str() {
        "coordinator" => coordinator(),
        "worker" => worker(&args),
        other => Err(format!("unknown role {other:?}\nusage: {USAGE}")),
    }
}

fn error(e: posix_ipc::Error) -> String {
    e.to_string()
}

fn coordinator() -> Result<(), String> {
    let role = "coordinator";
    let name = format!("/ipcrs-demo-robust-{}", std::process::id());
    // Unlinked when this guard drops: on success, on error and on Ctrl-C.
    let shm = SharedMemory::options()
        .create_new(true)
        .size(4096)
        .open(name.as_str())
        .map_err(error)?
        .unlink_on_drop();
    let map = shm.map().map_err(error)?;
    // SAFETY: the memory is fresh and no worker has started yet.
    let mutex = unsafe { RobustMutex::init_at(&map, offset_of!(Shared, mutex)) }.map_err(error)?;
    say(
        role,
        format!("created {name} with a robust mutex and a record"),
    );

    let victim = 1;
    let die_at =
        INCREMENTS / 3 + ipc_common::__private::os_random_u64().unwrap_or(0) % (INCREMENTS / 3);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut workers = Vec::new();
    for index in 0..WORKERS {
        let mut command = Command::new(&exe);
        command.args(["worker", "--memory", &name, "--index", &index.to_string()]);
        if index == victim {
            command.args(["--die-at", &die_at.to_string()]);
        }
        let child = command.spawn().map_err(|e| e.to_string())?;
        workers.push(Some(KillOnDrop(child)));
    }
    say(
        role,
        format!("started {WORKERS} workers, {INCREMENTS} increments each"),
    );

    let holding = map
        .atomic::<AtomicU32>(offset_of!(Shared, victim_holding))
        .map_err(error)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while holding.load(Ordering::Acquire) == 0 {
        demos::check_interrupted()?;
        if Instant::now() > deadline {
            return Err("the worker to kill never got to its increment".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut killed = workers[victim].take().ok_or("no victim")?;
    say(
        role,
        format!(
            "kill -9 worker {victim} (pid {}) while it holds the mutex mid-update",
            killed.0.id()
        ),
    );
    killed.0.kill().map_err(|e| e.to_string())?;
    let status = killed.0.wait().map_err(|e| e.to_string())?;
    say(role, format!("worker {victim} is gone ({status})"));
    for worker in workers.into_iter().flatten() {
        worker.wait()?;
    }

    let guard = lock_repairing(role, mutex, &map)?;
    let record: Record = map.read_obj(RECORD).map_err(error)?;
    drop(guard);
    let completed: u64 = record.done.iter().sum();
    say(
        role,
        format!(
            "final count {} = increments that completed {} ({:?}); repaired {} time(s)",
            record.count, completed, record.done, record.repairs
        ),
    );
    let survivors_done = (0..WORKERS)
        .filter(|&w| w != victim)
        .all(|w| record.done[w] == INCREMENTS);
    if record.count != completed || record.repairs != 1 || !survivors_done {
        return Err(format!("the record is wrong: {record:?}"));
    }
    say(role, format!("exact; unlinking {name}"));
    Ok(())
}

/// Locks the mutex; if its holder died, repairs the record first: a
/// half-done update is rolled back, so the count is the sum of completed
/// increments again.
fn lock_repairing<'a>(
    role: &str,
    mutex: &'a RobustMutex,
    map: &Mapping,
) -> Result<MutexGuard<'a>, String> {
    match mutex.lock().map_err(error)? {
        LockOutcome::Locked(guard) => Ok(guard),
        LockOutcome::OwnerDied(inconsistent) => {
            let mut record: Record = map.read_obj(RECORD).map_err(error)?;
            say(
                role,
                format!(
                    "owner died! the record says count {} with worker {} mid-update",
                    record.count,
                    record.updating.wrapping_sub(1)
                ),
            );
            if record.updating != 0 {
                record.count = record.done.iter().sum();
                record.updating = 0;
            }
            record.repairs += 1;
            map.write_obj(RECORD, &record).map_err(error)?;
            let guard = inconsistent.make_consistent().map_err(error)?;
            say(
                role,
                format!(
                    "rolled the half-done update back to count {}; mutex consistent again",
                    record.count
                ),
            );
            Ok(guard)
        }
    }
}

fn worker(args: &Args) -> Result<(), String> {
    let index = usize::try_from(args.number("index", 0)).map_err(|e| e.to_string())?;
    let role = format!("worker {index}");
    let die_at = args.get("die-at").and_then(|v| v.parse::<u64>().ok());
    let shm = SharedMemory::open(args.required("memory")).map_err(error)?;
    let map = shm.map().map_err(error)?;
    // SAFETY: the coordinator initialised the mutex before starting workers,
    // and only pthread calls touch its bytes.
    let mutex = unsafe { RobustMutex::open_at(&map, offset_of!(Shared, mutex)) }.map_err(error)?;
    for i in 0..INCREMENTS {
        demos::check_interrupted()?;
        let guard = lock_repairing(&role, mutex, &map)?;
        let mut record: Record = map.read_obj(RECORD).map_err(error)?;
        // Step 1: mark the update and bump the total.
        record.updating = index as u64 + 1;
        record.count += 1;
        map.write_obj(RECORD, &record).map_err(error)?;
        if die_at == Some(i) {
            say(
                &role,
                format!("holding the mutex in the middle of increment {i}"),
            );
            map.atomic::<AtomicU32>(offset_of!(Shared, victim_holding))
                .map_err(error)?
                .store(1, Ordering::Release);
            // The coordinator kills this process here; the guard is never
            // dropped, as after a real crash.
            std::mem::forget(guard);
            loop {
                demos::sleep(Duration::from_secs(1))?;
            }
        }
        // Step 2: finish it.
        record.done[index] += 1;
        record.updating = 0;
        map.write_obj(RECORD, &record).map_err(error)?;
        drop(guard);
    }
    say(&role, format!("done: {INCREMENTS} increments"));
    Ok(())
}
