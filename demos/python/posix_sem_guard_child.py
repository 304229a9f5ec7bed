"""The child of the semaphore-guard demo (posix_ipc's demo4 child), for a Rust
parent: `with posix_ipc.Semaphore(name) as sem:` releases even when the block
raises."""
import argparse
import time

import posix_ipc

from common import say

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--semaphore", required=True)
p.add_argument("--fail", default="0")
a = p.parse_args()
role = "child"
try:
    with posix_ipc.Semaphore(a.semaphore) as sem:
        say(role, "acquired it; working")
        time.sleep(0.3)
        if a.fail == "1":
            raise ValueError("simulated failure while holding the semaphore")
        say(role, "done; the with-block releases it")
except ValueError as e:
    say(role, f"failed ({e}); the with-block released the semaphore anyway")
