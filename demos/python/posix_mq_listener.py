"""Waiting for a POSIX message queue with `selectors` (posix_ipc's demo5).

listener creates the queue (O_CREAT, non-blocking), waits until its
descriptor is readable, receives the message, prints it and its priority, and
unlinks the queue (also on an error or Ctrl-C). transmitter opens the queue
(waiting up to 10 s for it to appear) and sends "From transmitter" with
--priority (default 0).
"""
import argparse
import selectors

import posix_ipc

from common import fail, handle_interrupts, open_retrying, say

handle_interrupts()
p = argparse.ArgumentParser(description=__doc__)
p.add_argument("role", choices=["listener", "transmitter"])
p.add_argument("--queue", required=True)
p.add_argument("--priority", type=int, default=0)
a = p.parse_args()
role = a.role

if role == "listener":
    mq = posix_ipc.MessageQueue(a.queue, posix_ipc.O_CREAT)
    try:
        mq.block = False
        say(role, f"created {a.queue}; selecting on descriptor {mq.fileno()} until a message arrives")
        with selectors.DefaultSelector() as selector:
            selector.register(mq, selectors.EVENT_READ)
            while True:
                selector.select()
                try:
                    message, priority = mq.receive()
                    break
                except posix_ipc.BusyError:
                    continue  # another receiver took it first
        say(role, f"message: {message.decode(errors='replace')!r}")
        say(role, f"priority: {priority}")
    except KeyboardInterrupt:
        fail(role, "interrupted")
    finally:
        mq.unlink()
        mq.close()
        say(role, f"unlinked {a.queue}")
else:
    mq = open_retrying(role, a.queue, lambda: posix_ipc.MessageQueue(a.queue), posix_ipc.ExistentialError)
    mq.block = False
    mq.send("From transmitter", priority=a.priority)
    say(role, f'sent "From transmitter" with priority {a.priority} to {a.queue}')
    mq.close()
