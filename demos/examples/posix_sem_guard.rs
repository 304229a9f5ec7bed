//! A semaphore guard that releases even when the code holding it fails
//! (posix_ipc's demo4).
//!
//! The parent creates a semaphore under a unique name with value 1, takes it,
//! and starts a child (this program again, or `demos/python/posix_sem_guard_child.py`
//! with `--child python --python PYTHON`) that waits for it inside a guard. The parent
//! releases after a countdown; the child holds the semaphore for a moment and,
//! half of the time, fails while holding it: the guard releases it anyway, so
//! the parent's final acquire always succeeds. The parent unlinks the semaphore.
//!
//! ```text
//! cargo run -p demos --example posix_sem_guard -- parent
//! ```

use std::time::Duration;

use demos::{Args, KillOnDrop, say, sleep};
use posix_ipc::{Semaphore, Timeout};

const USAGE: &str = "posix_sem_guard parent [--child rust|python] [--python PYTHON]\n       \
                     posix_sem_guard child --semaphore NAME [--fail 0|1]";

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
    // Unlinked when this guard drops: on success, on error and on Ctrl-C.
    let sem = Semaphore::create_unique(1)
        .map_err(|e| e.to_string())?
        .unlink_on_drop();
    let name = sem.name().to_string();
    sem.acquire(Timeout::Forever).map_err(|e| e.to_string())?;
    say(role, format!("created {name} and acquired it"));

    // The child fails inside its guard on odd process ids: half of the time.
    let fail = if std::process::id() % 2 == 1 {
        "1"
    } else {
        "0"
    };
    let child = KillOnDrop(
        demos::child_command(args, "posix_sem_guard_child.py")?
            .args(["--semaphore", &name, "--fail", fail])
            .spawn()
            .map_err(|e| format!("cannot start the child: {e}"))?,
    );

    for n in (1..=3).rev() {
        say(role, format!("releasing in {n}..."));
        sleep(Duration::from_millis(300))?;
    }
    sem.release().map_err(|e| e.to_string())?;
    say(role, "released; waiting until the child has had its turn");
    sleep(Duration::from_millis(100))?;
    sem.acquire(Timeout::Forever).map_err(|e| e.to_string())?;
    say(role, "acquired it again: the child's guard released it");
    sem.release().map_err(|e| e.to_string())?;
    let status = child.wait()?;
    say(role, format!("child exited ({status}); unlinking {name}"));
    Ok(())
}

fn child(args: &Args) -> Result<(), String> {
    let role = "child";
    let sem = Semaphore::open(args.required("semaphore")).map_err(|e| e.to_string())?;
    say(role, format!("waiting for {}", sem.name()));
    let outcome = (|| -> Result<(), String> {
        let _guard = sem.lock().map_err(|e| e.to_string())?;
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
