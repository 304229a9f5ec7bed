//! A POSIX message queue conversation (posix_ipc's demo2), speaking the same
//! protocol as `demos/python/posix_mq.py`.
//!
//! The premise creates the queue (exclusively, 10 messages of up to 256 bytes)
//! and sends the time; each side receives, puts back a message it sent
//! itself, and otherwise checks that it is the MD5 hex of what it sent and
//! replies with the MD5 of what it received. The premise unlinks the queue at
//! the end (and on any error or Ctrl-C, through a guard).
//!
//! ```text
//! cargo run -p demos --example posix_mq -- premise --queue /ipcrs-mq &
//! cargo run -p demos --example posix_mq -- conclusion --queue /ipcrs-mq
//! ```

use demos::protocol::{opening_line, queue_conversation};
use demos::{Args, open_retrying, say};
use posix_ipc::MessageQueue;

const USAGE: &str = "posix_mq premise|conclusion --queue NAME [--iterations N]";

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    let args = Args::parse(USAGE);
    let role = args.role.as_str();
    let iterations = args.number("iterations", 1000);
    let name = args.required("queue");
    let err = |e: posix_ipc::Error| e.to_string();

    let (queue, first) = match role {
        "premise" => {
            // Unlinked when this guard drops: on success, on error and on Ctrl-C.
            let q = MessageQueue::options()
                .create_new(true)
                .mode(0o600)
                .max_messages(10)
                .max_message_size(256)
                .open(name)
                .map_err(err)?
                .unlink_on_drop();
            say(role, format!("created {name}"));
            let first = opening_line();
            q.send(first.as_bytes(), 0).map_err(err)?;
            say(role, format!("sent {first:?}"));
            (Some(q), first)
        }
        "conclusion" => (None, String::new()),
        other => return Err(format!("unknown role {other:?}\nusage: {USAGE}")),
    };
    let opened;
    let q: &MessageQueue = match &queue {
        Some(guard) => guard,
        None => {
            opened = open_retrying(role, name, || MessageQueue::open(name)).map_err(err)?;
            say(role, format!("opened {name}"));
            &opened
        }
    };

    // One buffer of the queue's message size, reused for every receive.
    let mut buf = vec![0u8; q.max_message_size()];
    let receive = || -> Result<String, String> {
        let (n, _priority) = q.receive(&mut buf).map_err(err)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    };
    let send = |text: &str| q.send(text.as_bytes(), 0).map_err(err);

    queue_conversation(role, iterations, first, send, receive)?;
    if let Some(guard) = queue {
        let q = guard.into_inner();
        q.unlink().map_err(err)?;
        q.close().map_err(err)?;
        say(role, "removed the queue");
    }
    Ok(())
}
