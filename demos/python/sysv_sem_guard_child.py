"""The child of the System V semaphore-guard demo (sysv_ipc's
semaphore_context_manager child), for a Rust parent: `with sem:` releases
the semaphore even when the block raises."""
import argparse
import time

import sysv_ipc

from common import key, say

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--key", type=key, required=True)
p.add_argument("--fail", default="0")
a = p.parse_args()
role = "child"
sem = sysv_ipc.Semaphore(a.key)
say(role, f"waiting for semaphore {sem.id} (key {a.key:#010x})")
try:
    with sem:
        say(role, "acquired it; working")
        time.sleep(0.3)
        if a.fail == "1":
            raise ValueError("simulated failure while holding the semaphore")
        say(role, "done; the with-block releases it")
except ValueError as e:
    say(role, f"failed ({e}); the with-block released the semaphore anyway")
