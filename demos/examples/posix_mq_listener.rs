//! Waiting for a POSIX message queue with `poll(2)` (posix_ipc's demo5),
//! speaking the same protocol as `demos/python/posix_mq_listener.py`.
//!
//! On Linux a queue descriptor is a file descriptor ([`MessageQueue`]
//! implements `AsFd`), so `poll`, `epoll` and event loops can wait on it next
//! to sockets and pipes. The listener creates the queue (`O_CREAT`,
//! non-blocking), polls its descriptor until it is readable, receives the
//! message, prints it and its priority, and unlinks the queue (also on any
//! error or Ctrl-C, through a guard). The transmitter opens the queue (waiting
//! up to 10 s for it to appear) and sends "From transmitter" with the priority
//! given by `--priority` (default 0).
//!
//! ```text
//! cargo run -p demos --example posix_mq_listener -- listener --queue /ipcrs-ls &
//! cargo run -p demos --example posix_mq_listener -- transmitter --queue /ipcrs-ls --priority 3
//! ```

use std::os::fd::{AsFd, AsRawFd};

use demos::{Args, open_retrying, say};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use posix_ipc::{ErrorKind, MessageQueue};

const USAGE: &str = "posix_mq_listener listener --queue NAME\n       \
                     posix_mq_listener transmitter --queue NAME [--priority N]";

fn main() -> Result<(), String> {
    demos::install_interrupt_handler();
    let args = Args::parse(USAGE);
    let name = args.required("queue");
    match args.role.as_str() {
        "listener" => listener(name),
        "transmitter" => transmitter(name, &args),
        other => Err(format!("unknown role {other:?}\nusage: {USAGE}")),
    }
}

fn listener(name: &str) -> Result<(), String> {
    let role = "listener";
    let err = |e: posix_ipc::Error| e.to_string();
    // Unlinked when this guard drops: on success, on error and on Ctrl-C.
    let q = MessageQueue::options()
        .create(true)
        .block(false)
        .open(name)
        .map_err(err)?
        .unlink_on_drop();
    say(
        role,
        format!(
            "created {name}; polling descriptor {} until a message arrives",
            q.as_raw_fd()
        ),
    );
    let mut buf = vec![0u8; q.max_message_size()];
    let (n, priority) = loop {
        let mut fds = [PollFd::new(q.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            // Ctrl-C: poll is never restarted after a signal handler.
            Err(Errno::EINTR) => demos::check_interrupted()?,
            Err(e) => return Err(format!("poll: {e}")),
            Ok(_) => {}
        }
        // The descriptor is non-blocking: if another receiver took the message
        // first, this fails with WouldBlock and we poll again.
        match q.receive(&mut buf) {
            Ok(received) => break received,
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => return Err(err(e)),
        }
    };
    say(
        role,
        format!("message: {:?}", String::from_utf8_lossy(&buf[..n])),
    );
    say(role, format!("priority: {priority}"));
    let q = q.into_inner();
    q.unlink().map_err(err)?;
    q.close().map_err(err)?;
    say(role, format!("unlinked {name}"));
    Ok(())
}

fn transmitter(name: &str, args: &Args) -> Result<(), String> {
    let role = "transmitter";
    let err = |e: posix_ipc::Error| e.to_string();
    let priority = u32::try_from(args.number("priority", 0))
        .map_err(|_| "--priority must be 0 or more".to_string())?;
    let q = open_retrying(role, name, || {
        MessageQueue::options().block(false).open(name)
    })
    .map_err(err)?;
    q.send(b"From transmitter", priority).map_err(err)?;
    say(
        role,
        format!("sent \"From transmitter\" with priority {priority} to {name}"),
    );
    q.close().map_err(err)?;
    Ok(())
}
