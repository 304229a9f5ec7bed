"""A POSIX message queue conversation (posix_ipc's demo2).

premise creates the queue (O_CREX) and sends the time; each side receives, and
if the message is the one it sent itself, puts it back; otherwise it checks
that it is the MD5 hex of what it sent and replies with the MD5 of what it
received. premise removes the queue at the end (also on an error or Ctrl-C).
"""
import time

import posix_ipc

from common import fail, handle_interrupts, open_retrying, parser, queue_conversation, say

handle_interrupts()
p = parser(__doc__)
p.add_argument("--queue", required=True)
a = p.parse_args()
role = a.role

if role == "premise":
    mq = posix_ipc.MessageQueue(a.queue, posix_ipc.O_CREX, 0o600, 10, 256)
    say(role, f"created {a.queue}")
else:
    mq = open_retrying(role, a.queue, lambda: posix_ipc.MessageQueue(a.queue), posix_ipc.ExistentialError)
    say(role, f"opened {a.queue}")

try:
    what_i_sent = ""
    if role == "premise":
        what_i_sent = time.asctime()
        mq.send(what_i_sent.encode())
        say(role, f"sent {what_i_sent!r}")

    queue_conversation(role, a.iterations, what_i_sent, lambda t: mq.send(t.encode()), lambda: mq.receive()[0].decode())
except KeyboardInterrupt:
    fail(role, "interrupted")
finally:
    mq.close()
    if role == "premise":
        posix_ipc.unlink_message_queue(a.queue)
        say(role, "removed the queue")
