//! The two conversations of the demos, shared by their POSIX and System V
//! versions (and spoken by the Python scripts in `demos/python/`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{check_interrupted, md5_hex, say};

/// The premise's first message.
pub fn opening_line() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("the time is {secs} seconds after the epoch")
}

/// The operations of the shared-memory conversation on one side.
pub trait SharedMemorySide {
    /// Reads the NUL-terminated string at the start of the memory.
    fn read(&self) -> Result<String, String>;
    /// Writes `text` NUL-terminated at the start of the memory.
    fn write(&self, text: &str) -> Result<(), String>;
    /// Takes the semaphore, waiting as long as it takes.
    fn acquire(&self) -> Result<(), String>;
    /// Gives the semaphore back.
    fn release(&self) -> Result<(), String>;
}

/// The shared-memory conversation (posix_ipc's demo1, sysv_ipc's
/// sem_and_shm): the premise writes the opening line; then the sides take
/// turns through the semaphore, each reading the string, checking it is the
/// MD5 hex of what it last wrote, and writing back the MD5 of what it read.
/// Each side holds the semaphore when this returns.
pub fn shared_memory_conversation(
    role: &str,
    iterations: i64,
    side: &impl SharedMemorySide,
) -> Result<(), String> {
    let turn = || -> Result<(), String> {
        side.release()?;
        side.acquire()
    };
    let mut what_i_wrote = String::new();
    if role == "premise" {
        what_i_wrote = opening_line();
        side.write(&what_i_wrote)?;
        say(role, format!("wrote {what_i_wrote:?}"));
    } else {
        side.acquire()?;
    }
    for i in 0..iterations {
        if role == "premise" {
            turn()?;
        }
        let mut s = side.read()?;
        while s == what_i_wrote {
            check_interrupted()?;
            turn()?;
            s = side.read()?;
        }
        if !what_i_wrote.is_empty() && s != md5_hex(what_i_wrote.as_bytes()) {
            return Err(format!(
                "shared memory corruption after {i} iterations: read {s:?}"
            ));
        }
        what_i_wrote = md5_hex(s.as_bytes());
        side.write(&what_i_wrote)?;
        if role == "conclusion" {
            turn()?;
        }
    }
    say(role, format!("{iterations} iterations complete"));
    Ok(())
}

/// The message-queue conversation (posix_ipc's demo2, sysv_ipc's
/// message_queues): the premise has sent `first` (the conclusion passes an
/// empty string); each side receives, puts back a message it sent itself,
/// and otherwise checks that it is the MD5 hex of what it sent and replies with
/// the MD5 of what it received.
pub fn queue_conversation(
    role: &str,
    iterations: i64,
    first: String,
    mut send: impl FnMut(&str) -> Result<(), String>,
    mut receive: impl FnMut() -> Result<String, String>,
) -> Result<(), String> {
    let mut what_i_sent = first;
    for i in 0..iterations {
        let mut s = receive()?;
        while s == what_i_sent {
            check_interrupted()?;
            send(&s)?;
            s = receive()?;
        }
        if !what_i_sent.is_empty() && s != md5_hex(what_i_sent.as_bytes()) {
            return Err(format!(
                "message corruption after {i} iterations: received {s:?}"
            ));
        }
        what_i_sent = md5_hex(s.as_bytes());
        send(&what_i_sent)?;
    }
    say(role, format!("{iterations} iterations complete"));
    Ok(())
}
