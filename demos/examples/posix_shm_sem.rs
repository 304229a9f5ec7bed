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

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use demos::{Args, md5_hex, open_retrying, read_c_string, say, sleep};
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
        let size = u64::try_from(args.number("size", 4096)).map_err(|e| e.to_string())?;
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
        converse(role, &sem, &map, iterations)?;
        // Let the conclusion finish its last turn, then clean up explicitly.
        sem.release().map_err(err)?;
        sleep(Duration::from_millis(200))?;
        sem.acquire(Timeout::Forever).map_err(err)?;
        drop(map);
        let memory = memory.into_inner();
        posix_ipc::unlink_shared_memory(memory.name()).map_err(err)?;
        sem.into_inner().unlink().map_err(err)?;
        say(role, "removed the memory and the semaphore");
    } else {
        let sem = open_retrying(role, sem_name, || Semaphore::open(sem_name)).map_err(err)?;
        let memory = SharedMemory::open(mem_name).map_err(err)?;
        // The mapping stays valid after the descriptor is closed.
        let map = memory.map().map_err(err)?;
        memory.close().map_err(err)?;
        say(role, format!("opened {mem_name} and {sem_name}"));
        converse(role, &sem, &map, iterations)?;
        sem.release().map_err(err)?;
    }
    Ok(())
}

/// The turn-taking loop of both roles.
fn converse(role: &str, sem: &Semaphore, map: &Mapping, iterations: i64) -> Result<(), String> {
    let err = |e: posix_ipc::Error| e.to_string();
    let write = |text: &str| -> Result<(), String> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        map.write_at(0, &bytes).map_err(err)
    };
    let read = || -> Result<String, String> {
        // The protocol's strings are at most 32 hex digits or a timestamp.
        Ok(read_c_string(
            &map.read_vec(0, 64.min(map.len())).map_err(err)?,
        ))
    };
    let turn = || -> Result<(), String> {
        sem.release().map_err(err)?;
        sem.acquire(Timeout::Forever).map_err(err)
    };

    let mut what_i_wrote = String::new();
    if role == "premise" {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        what_i_wrote = format!("the time is {secs} seconds after the epoch");
        write(&what_i_wrote)?;
        say(role, format!("wrote {what_i_wrote:?}"));
    } else {
        sem.acquire(Timeout::Forever).map_err(err)?;
    }
    for i in 0..iterations {
        if role == "premise" {
            turn()?;
        }
        let mut s = read()?;
        while s == what_i_wrote {
            demos::check_interrupted()?;
            turn()?;
            s = read()?;
        }
        if !what_i_wrote.is_empty() && s != md5_hex(what_i_wrote.as_bytes()) {
            return Err(format!(
                "shared memory corruption after {i} iterations: read {s:?}"
            ));
        }
        what_i_wrote = md5_hex(s.as_bytes());
        write(&what_i_wrote)?;
        if role == "conclusion" {
            turn()?;
        }
    }
    say(role, format!("{iterations} iterations complete"));
    Ok(())
}
