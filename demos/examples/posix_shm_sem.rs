//! POSIX shared memory guarded by a POSIX semaphore (posix_ipc's demo1),
//! speaking the same protocol as `demos/python/posix_shm_sem.py`.
//!
//! The premise creates both (exclusively; the semaphore at 0) and writes the
//! time into the memory; then the two sides take turns through the semaphore:
//! each reads the NUL-terminated string, checks that it is the MD5 hex of what
//! it last wrote, and writes back the MD5 of what it read. The premise unlinks
//! both at the end (and on any error or Ctrl-C, through guards).
//!
//! ```text
//! cargo run -p demos --example posix_shm_sem -- premise --semaphore /ipcrs-s --memory /ipcrs-m &
//! cargo run -p demos --example posix_shm_sem -- conclusion --semaphore /ipcrs-s --memory /ipcrs-m
//! ```

use std::time::Duration;

use demos::protocol::{SharedMemorySide, shared_memory_conversation};
use demos::{Args, open_retrying, read_c_string, say, sleep};
use posix_ipc::{Mapping, Semaphore, SharedMemory, Timeout};

const USAGE: &str = "posix_shm_sem premise|conclusion --semaphore NAME --memory NAME \
                     [--size BYTES] [--iterations N]";

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    let args = Args::parse(USAGE);
    let role = args.role.as_str();
    if role != "premise" && role != "conclusion" {
        return Err(format!("unknown role {role:?}\nusage: {USAGE}"));
    }
    let iterations = args.number("iterations", 1000);
    let sem_name = args.required("semaphore");
    let mem_name = args.required("memory");
    let err = |e: posix_ipc::Error| e.to_string();

    if role == "premise" {
        let size = usize::try_from(args.number("size", 4096)).map_err(|e| e.to_string())?;
        // The guards unlink both names if anything below fails or is interrupted.
        let memory = SharedMemory::create_new(mem_name, size)
            .map_err(err)?
            .unlink_on_drop();
        let sem = Semaphore::create_new(sem_name, 0)
            .map_err(err)?
            .unlink_on_drop();
        say(
            role,
            format!("created {mem_name} ({size} bytes) and {sem_name}"),
        );
        let map = memory.map().map_err(err)?;
        shared_memory_conversation(
            role,
            iterations,
            &Side {
                sem: &sem,
                map: &map,
            },
        )?;
        // Let the conclusion finish its last turn, then clean up explicitly.
        sem.release().map_err(err)?;
        sleep(Duration::from_millis(200))?;
        sem.acquire(Timeout::Forever).map_err(err)?;
        drop(map);
        let memory = memory.into_inner();
        posix_ipc::unlink_shared_memory(memory.name().unwrap()).map_err(err)?;
        sem.into_inner().unlink().map_err(err)?;
        say(role, "removed the memory and the semaphore");
    } else {
        let sem = open_retrying(role, sem_name, || Semaphore::open(sem_name)).map_err(err)?;
        let memory = SharedMemory::open(mem_name).map_err(err)?;
        // The mapping stays valid after the descriptor is closed.
        let map = memory.map().map_err(err)?;
        memory.close().map_err(err)?;
        say(role, format!("opened {mem_name} and {sem_name}"));
        shared_memory_conversation(
            role,
            iterations,
            &Side {
                sem: &sem,
                map: &map,
            },
        )?;
        sem.release().map_err(err)?;
    }
    Ok(())
}

/// One side of the conversation: the mapping and the semaphore.
struct Side<'a> {
    sem: &'a Semaphore,
    map: &'a Mapping,
}

impl SharedMemorySide for Side<'_> {
    fn read(&self) -> Result<String, String> {
        // The protocol's strings are at most 32 hex digits or a timestamp.
        let bytes = self.map.read_vec(0, 64.min(self.map.len()));
        Ok(read_c_string(&bytes.map_err(|e| e.to_string())?))
    }

    fn write(&self, text: &str) -> Result<(), String> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.map.write_at(0, &bytes).map_err(|e| e.to_string())
    }

    fn acquire(&self) -> Result<(), String> {
        self.sem
            .acquire(Timeout::Forever)
            .map_err(|e| e.to_string())
    }

    fn release(&self) -> Result<(), String> {
        self.sem.release().map_err(|e| e.to_string())
    }
}
