//! A System V message queue conversation (sysv_ipc's message_queues demo),
//! speaking the same protocol as `demos/python/sysv_mq.py`.
//!
//! The premise creates the queue under KEY (exclusively) and sends the time;
//! each side receives, puts back a message it sent itself, and otherwise
//! checks that it is the MD5 hex of what it sent and replies with the MD5 of
//! what it received. The premise removes the queue at the end (and on any error
//! or Ctrl-C, through a guard).
//!
//! ```text
//! cargo run -p demos --example sysv_mq -- premise --key 0x1c5a0042 &
//! cargo run -p demos --example sysv_mq -- conclusion --key 0x1c5a0042
//! ```

use demos::protocol::{opening_line, queue_conversation};
use demos::{Args, open_retrying, say};
use sysv_ipc::{Key, MessageQueue, Selector, Wait};

const USAGE: &str = "sysv_mq premise|conclusion --key KEY [--iterations N]";

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    let args = Args::parse(USAGE);
    let role = args.role.as_str();
    let iterations = args.number("iterations", 1000);
    let key = Key::try_from(args.number("key", 0)).map_err(|e| e.to_string())?;
    let err = |e: sysv_ipc::Error| e.to_string();
    let send = |q: &MessageQueue, text: &str| q.send(text.as_bytes(), 1, Wait::Block).map_err(err);
    let receive = |q: &MessageQueue| -> Result<String, String> {
        let m = q.receive_vec(Selector::Any, Wait::Block).map_err(err)?;
        Ok(String::from_utf8_lossy(&m.data).into_owned())
    };

    let (queue, first) = match role {
        "premise" => {
            let q = MessageQueue::options()
                .create_new(true)
                .mode(0o600)
                .open(key)
                .map_err(err)?
                .remove_on_drop();
            say(role, format!("created queue {} with key {key}", q.id()));
            let first = opening_line();
            send(&q, &first)?;
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
            opened = open_retrying(role, &format!("key {key}"), || MessageQueue::open(key))
                .map_err(err)?;
            say(role, format!("opened queue {}", opened.id()));
            &opened
        }
    };

    queue_conversation(role, iterations, first, |text| send(q, text), || receive(q))?;
    if let Some(guard) = queue {
        guard.into_inner().remove().map_err(err)?;
        say(role, "removed the queue");
    }
    Ok(())
}
