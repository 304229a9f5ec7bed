"""System V shared memory guarded by a System V semaphore (sysv_ipc's
sem_and_shm demo).

premise creates both under KEY (IPC_CREX, semaphore value 0) and writes the
time; then the two sides take turns through the semaphore: each reads the
NUL-terminated string, checks it is the MD5 hex of what it last wrote, and
writes back the MD5 of what it read. premise removes both at the end with the
module functions remove_shared_memory(id) and remove_semaphore(id).
"""
import time

import sysv_ipc

from common import fail, handle_interrupts, key, open_retrying, parser, read_string, say, shared_memory_conversation

handle_interrupts()
p = parser(__doc__)
p.add_argument("--key", type=key, required=True)
p.add_argument("--size", type=int, default=4096)
a = p.parse_args()
role = a.role

if role == "premise":
    sem = sysv_ipc.Semaphore(a.key, sysv_ipc.IPC_CREX, 0o600, 0)
    memory = sysv_ipc.SharedMemory(a.key, sysv_ipc.IPC_CREX, 0o600, a.size)
    say(role, f"created semaphore and segment with key {a.key:#010x}")
else:
    sem = open_retrying(role, f"key {a.key:#x}", lambda: sysv_ipc.Semaphore(a.key), sysv_ipc.ExistentialError)
    memory = open_retrying(role, f"key {a.key:#x}", lambda: sysv_ipc.SharedMemory(a.key), sysv_ipc.ExistentialError)
    say(role, f"opened semaphore {sem.id} and segment {memory.id}")


def write(text):
    memory.write(text.encode() + b"\0")


removed = False
try:
    shared_memory_conversation(
        role, a.iterations, lambda: read_string(memory.read()), write, sem.acquire, sem.release
    )

    if role == "premise":
        sem.release()
        time.sleep(0.2)
        sem.acquire()
        memory.detach()
        sysv_ipc.remove_shared_memory(memory.id)
        sysv_ipc.remove_semaphore(sem.id)
        removed = True
        say(role, "removed the segment and the semaphore")
    else:
        sem.release()
        memory.detach()
except KeyboardInterrupt:
    fail(role, "interrupted")
finally:
    if role == "premise" and not removed:
        for remove in (memory.remove, sem.remove):
            try:
                remove()
            except sysv_ipc.ExistentialError:
                pass
        say(role, "removed the segment and the semaphore after an interruption")
