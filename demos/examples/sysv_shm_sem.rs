//! System V shared memory guarded by a System V semaphore (sysv_ipc's
//! sem_and_shm demo), speaking the same protocol as `demos/python/sysv_shm_sem.py`.
//!
//! The premise creates both under KEY (exclusively; the semaphore at 0) and
//! writes the time into the segment; then the two sides take turns through the
//! semaphore: each reads the NUL-terminated string, checks that it is the MD5
//! hex of what it last wrote, and writes back the MD5 of what it read. The
//! premise removes both at the end with the module functions
//! `remove_shared_memory(id)` and `remove_semaphore(id)` (and on any error or
//! Ctrl-C, through guards).
//!
//! ```text
//! cargo run -p demos --example sysv_shm_sem -- premise --key 0x1c5a0042 &
//! cargo run -p demos --example sysv_shm_sem -- conclusion --key 0x1c5a0042
//! ```

use std::time::Duration;

use demos::protocol::{SharedMemorySide, shared_memory_conversation};
use demos::{Args, open_retrying, read_c_string, say, sleep};
use sysv_ipc::{Key, Semaphore, SharedMemory, Timeout};

const USAGE: &str = "sysv_shm_sem premise|conclusion --key KEY [--size BYTES] [--iterations N]";

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    let args = Args::parse(USAGE);
    let role = args.role.as_str();
    if role != "premise" && role != "conclusion" {
        return Err(format!("unknown role {role:?}\nusage: {USAGE}"));
    }
    let iterations = args.number("iterations", 1000);
    let key = Key::try_from(args.number("key", 0)).map_err(|e| e.to_string())?;
    let err = |e: sysv_ipc::Error| e.to_string();

    if role == "premise" {
        let size = usize::try_from(args.number("size", 4096)).map_err(|e| e.to_string())?;
        // The guards remove both if anything below fails or is interrupted.
        let sem = Semaphore::options()
            .create_new(true)
            .mode(0o600)
            .initial_value(0)
            .open(key)
            .map_err(err)?
            .remove_on_drop();
        let memory = SharedMemory::options()
            .create_new(true)
            .mode(0o600)
            .size(size)
            .open(key)
            .map_err(err)?
            .remove_on_drop();
        say(
            role,
            format!(
                "created semaphore {} and segment {} with key {key}",
                sem.id(),
                memory.id()
            ),
        );
        shared_memory_conversation(
            role,
            iterations,
            &Side {
                sem: &sem,
                memory: &memory,
            },
        )?;
        // Let the conclusion finish its last turn, then clean up explicitly.
        sem.release(1).map_err(err)?;
        sleep(Duration::from_millis(200))?;
        sem.acquire(1, Timeout::Forever).map_err(err)?;
        let (sem, memory) = (sem.into_inner(), memory.into_inner());
        sysv_ipc::remove_shared_memory(memory.id()).map_err(err)?;
        sysv_ipc::remove_semaphore(sem.id()).map_err(err)?;
        say(role, "removed the segment and the semaphore");
    } else {
        let what = format!("key {key}");
        let sem = open_retrying(role, &what, || Semaphore::open(key)).map_err(err)?;
        let memory = open_retrying(role, &what, || SharedMemory::open(key)).map_err(err)?;
        say(
            role,
            format!("opened semaphore {} and segment {}", sem.id(), memory.id()),
        );
        shared_memory_conversation(
            role,
            iterations,
            &Side {
                sem: &sem,
                memory: &memory,
            },
        )?;
        sem.release(1).map_err(err)?;
    }
    Ok(())
}

/// One side of the conversation: the segment and the semaphore.
struct Side<'a> {
    sem: &'a Semaphore,
    memory: &'a SharedMemory,
}

impl SharedMemorySide for Side<'_> {
    fn read(&self) -> Result<String, String> {
        // The protocol's strings are at most 32 hex digits or a timestamp.
        Ok(read_c_string(
            &self.memory.read(0, 64).map_err(|e| e.to_string())?,
        ))
    }

    fn write(&self, text: &str) -> Result<(), String> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.memory.write(0, &bytes).map_err(|e| e.to_string())
    }

    fn acquire(&self) -> Result<(), String> {
        self.sem
            .acquire(1, Timeout::Forever)
            .map_err(|e| e.to_string())
    }

    fn release(&self) -> Result<(), String> {
        self.sem.release(1).map_err(|e| e.to_string())
    }
}
