"""POSIX shared memory guarded by a POSIX semaphore (posix_ipc's demo1).

premise creates both (O_CREX, semaphore value 0) and writes the time; then the
two sides take turns through the semaphore: each reads the NUL-terminated
string, checks it is the MD5 hex of what it last wrote, and writes back the
MD5 of what it read. premise removes both at the end.
"""
import mmap
import time

import posix_ipc

from common import fail, handle_interrupts, open_retrying, parser, read_string, say, shared_memory_conversation

handle_interrupts()
p = parser(__doc__)
p.add_argument("--semaphore", required=True)
p.add_argument("--memory", required=True)
p.add_argument("--size", type=int, default=4096)
a = p.parse_args()
role = a.role

if role == "premise":
    memory = posix_ipc.SharedMemory(a.memory, posix_ipc.O_CREX, 0o600, a.size)
    sem = posix_ipc.Semaphore(a.semaphore, posix_ipc.O_CREX, 0o600, 0)
    say(role, f"created {a.memory} ({a.size} bytes) and {a.semaphore}")
else:
    sem = open_retrying(role, a.semaphore, lambda: posix_ipc.Semaphore(a.semaphore), posix_ipc.ExistentialError)
    memory = posix_ipc.SharedMemory(a.memory)
    say(role, f"opened {a.memory} and {a.semaphore}")
mm = mmap.mmap(memory.fd, memory.size)
memory.close_fd()


def write(text):
    mm[: len(text) + 1] = text.encode() + b"\0"


removed = False
try:
    shared_memory_conversation(
        role, a.iterations, lambda: read_string(bytes(mm[:])), write, sem.acquire, sem.release
    )

    if role == "premise":
        # Let the conclusion finish its last turn, then clean up.
        sem.release()
        time.sleep(0.2)
        sem.acquire()
        mm.close()
        posix_ipc.unlink_shared_memory(a.memory)
        sem.unlink()
        removed = True
        say(role, "removed the memory and the semaphore")
    else:
        sem.release()
        mm.close()
    sem.close()
except KeyboardInterrupt:
    fail(role, "interrupted")
finally:
    if role == "premise" and not removed:
        for remove in (lambda: posix_ipc.unlink_shared_memory(a.memory), lambda: posix_ipc.unlink_semaphore(a.semaphore)):
            try:
                remove()
            except posix_ipc.ExistentialError:
                pass
        say(role, "removed the memory and the semaphore after an interruption")
