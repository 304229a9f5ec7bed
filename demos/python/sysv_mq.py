"""A System V message queue conversation (sysv_ipc's message_queues demo).

premise creates the queue under KEY (IPC_CREX) and sends the time; each side
receives, and if the message is the one it sent itself, puts it back;
otherwise it checks that it is the MD5 hex of what it sent and replies with
the MD5 of what it received. premise removes the queue at the end.
"""
import time

import sysv_ipc

from common import fail, handle_interrupts, key, open_retrying, parser, queue_conversation, say

handle_interrupts()

p = parser(__doc__)
p.add_argument("--key", type=key, required=True)
a = p.parse_args()
role = a.role

if role == "premise":
    mq = sysv_ipc.MessageQueue(a.key, sysv_ipc.IPC_CREX, 0o600)
    say(role, f"created queue {mq.id} with key {a.key:#010x}")
    what_i_sent = time.asctime()
    mq.send(what_i_sent.encode())
    say(role, f"sent {what_i_sent!r}")
else:
    mq = open_retrying(role, f"key {a.key:#x}", lambda: sysv_ipc.MessageQueue(a.key), sysv_ipc.ExistentialError)
    say(role, f"opened queue {mq.id}")
    what_i_sent = ""

try:
    queue_conversation(role, a.iterations, what_i_sent, lambda t: mq.send(t.encode()), lambda: mq.receive()[0].decode())
except KeyboardInterrupt:
    fail(role, "interrupted")
finally:
    if role == "premise":
        mq.remove()
        say(role, "removed the queue")
