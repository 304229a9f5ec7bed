//! Ways to look at a System V segment (sysv_ipc's buffer_protocol demo, in one
//! process), and why there is no safe `&mut [u8]` over shared memory.
//!
//! 1. create a segment and write the alphabet into it;
//! 2. `read` returns a copy: changing the copy does not change the segment;
//! 3. an `Attachment` is a live view: writes through one attachment are seen
//!    through another (and by every other process attached);
//! 4. aligned atomics coordinate without locks;
//! 5. detach and remove.
//!
//! ```text
//! cargo run -p demos --example sysv_shm_views
//! ```

use std::sync::atomic::Ordering;

use demos::say;
use sysv_ipc::SharedMemory;

fn main() -> Result<(), sysv_ipc::Error> {
    let role = "views";
    let segment = SharedMemory::options()
        .create_new(true)
        .size(sysv_ipc::limits::page_size())
        .mode(0o600)
        .create_unique()?
        .remove_on_drop();
    say(
        role,
        format!(
            "created segment {} with key {} ({} bytes)",
            segment.id(),
            segment.key(),
            segment.size()?
        ),
    );

    segment.write(0, b"abcdefghijklmnopqrstuvwxyz")?;
    let mut copy = segment.read(0, 26)?;
    copy[0] = b'A';
    say(
        role,
        format!("a copy changed to {:?}", String::from_utf8_lossy(&copy)),
    );
    say(
        role,
        format!(
            "the segment still holds {:?}",
            String::from_utf8_lossy(&segment.read(0, 26)?)
        ),
    );

    let one = segment.attach()?;
    let two = segment.attach()?;
    one.write_at(0, b"ABC")?;
    let mut seen = [0u8; 26];
    two.read_at(0, &mut seen)?;
    say(
        role,
        format!(
            "written through one attachment, read through another: {:?}",
            String::from_utf8_lossy(&seen)
        ),
    );
    say(
        role,
        format!(
            "{} attachments now: the handle's own (made by write) and one per attach",
            segment.number_attached()?
        ),
    );

    let counter = one.atomic_u64(64)?;
    for _ in 0..1000 {
        counter.fetch_add(1, Ordering::SeqCst);
    }
    say(
        role,
        format!(
            "an atomic counter at offset 64, seen through the other attachment: {}",
            two.atomic_u64(64)?.load(Ordering::SeqCst)
        ),
    );

    let read_only = segment.attach_read_only()?;
    let refused = read_only.write_at(0, b"x").unwrap_err();
    say(
        role,
        format!("writing through a read-only attachment is an error, not a crash: {refused}"),
    );

    drop((one, two, read_only));
    say(role, "detached; the guard removes the segment");
    Ok(())
}
