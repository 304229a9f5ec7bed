//! A System V semaphore guard that releases even when the code holding it
//! fails (sysv_ipc's semaphore_context_manager demo).
//!
//! The parent creates a semaphore under a fresh random key with value 1, takes
//! it, and starts a child (this program again, or
//! `demos/python/sysv_sem_guard_child.py` with `--child python --python PYTHON`)
//! that opens the semaphore by key and waits for it in `acquire_guard` (Python:
//! `with sem:`). The parent releases after a countdown; the child holds the
//! semaphore for a moment and, half of the time, fails while holding it: the
//! guard releases it anyway, so the parent's final acquire always succeeds.
//! The parent removes the semaphore at the end (and on any error or Ctrl-C,
//! through a guard, after stopping the child).
//!
//! ```text
//! cargo run -p demos --example sysv_sem_guard -- parent
//! cargo run -p demos --example sysv_sem_guard -- parent --child python --python python3
//! ```

use std::time::Duration;

use demos::{Args, KillOnDrop, say, sleep};
use sysv_ipc::{Key, Semaphore, Timeout};

const USAGE: &str = "sysv_sem_guard parent [--child rust|python] [--python PYTHON]\n       \
                     sysv_sem_guard child --key KEY [--fail 0|1]";

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    let args = Args::parse(USAGE);
    match args.role.as_str() {
        "parent" => parent(&args),
        "child" => child(&args),
        other => Err(format!("unknown role {other:?}\nusage: {USAGE}")),
    }
}

fn parent(args: &Args) -> Result<(), String> {
    let role = "parent";
    let err = |e: sysv_ipc::Error| e.to_string();
    // Removed when this guard drops: on success, on error and on Ctrl-C.
    let sem = Semaphore::create_unique(1).map_err(err)?.remove_on_drop();
    let key = sem.key();
    sem.acquire(1, Timeout::Forever).map_err(err)?;
    say(
        role,
        format!(
            "created semaphore {} with key {key} and acquired it",
            sem.id()
        ),
    );

    // The child fails inside its guard on odd process ids: half of the time.
    let fail = if std::process::id() % 2 == 1 {
        "1"
    } else {
        "0"
    };
    // Declared after the semaphore, so dropped (the child killed) before the
    // semaphore is removed.
    let child = KillOnDrop(
        demos::child_command(args, "sysv_sem_guard_child.py")?
            .args(["--key", &key.to_string(), "--fail", fail])
            .spawn()
            .map_err(|e| format!("cannot start the child: {e}"))?,
    );

    for n in (1..=3).rev() {
        say(role, format!("releasing in {n}..."));
        sleep(Duration::from_millis(300))?;
    }
    sem.release(1).map_err(err)?;
    say(role, "released; waiting until the child has had its turn");
    sleep(Duration::from_millis(100))?;
    sem.acquire(1, Timeout::Forever).map_err(err)?;
    say(role, "acquired it again: the child's guard released it");
    sem.release(1).map_err(err)?;
    let status = child.wait()?;
    say(role, format!("child exited ({status}); removing key {key}"));
    sem.into_inner().remove().map_err(err)?;
    Ok(())
}

/// `--key` as the parent prints it: hex, as `ipcs` shows keys, where a key with
/// the top bit set reads as a number above `i32::MAX` (its 32 bits).
fn key_arg(args: &Args) -> Result<Key, String> {
    let raw = args.get("key").ok_or("--key is required")?;
    let n = demos::parse_number(raw).ok_or_else(|| format!("--key {raw:?} is not a number"))?;
    match u32::try_from(n) {
        Ok(bits) => Ok(Key::from_bits(bits)),
        Err(_) => Key::try_from(n).map_err(|e| e.to_string()),
    }
}

fn child(args: &Args) -> Result<(), String> {
    let role = "child";
    let key = key_arg(args)?;
    let sem = Semaphore::open(key).map_err(|e| e.to_string())?;
    say(
        role,
        format!("waiting for semaphore {} (key {key})", sem.id()),
    );
    let outcome = (|| -> Result<(), String> {
        let _guard = sem
            .acquire_guard(1, Timeout::Forever)
            .map_err(|e| e.to_string())?;
        say(role, "acquired it; working");
        sleep(Duration::from_millis(300))?;
        if args.get("fail") == Some("1") {
            return Err("simulated failure while holding the semaphore".into());
        }
        say(role, "done; the guard releases it");
        Ok(())
    })();
    if let Err(e) = &outcome {
        say(
            role,
            format!("failed ({e}); the guard released the semaphore anyway"),
        );
    }
    Ok(())
}
