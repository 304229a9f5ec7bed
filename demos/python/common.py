"""Shared helpers of the Python demo scripts (the same protocols as the Rust
examples of the `demos` crate, so either side can be Rust or Python)."""
import argparse
import hashlib
import os
import signal
import sys


def say(role, text):
    print(f"{role} (pid {os.getpid()}, Python): {text}", flush=True)


def handle_interrupts():
    """Makes Ctrl-C (SIGINT) and SIGTERM raise KeyboardInterrupt, also in a
    process a shell started in the background (which ignores SIGINT), so that
    `try`/`finally` blocks clean up, like the guards of the Rust side."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def md5_hex(text):
    return hashlib.md5(text.encode()).hexdigest()


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("role", choices=["premise", "conclusion"])
    p.add_argument("--iterations", type=int, default=1000)
    return p


def key(text):
    return int(text, 0)


def write_string(write, text):
    """Writes `text` NUL-terminated through `write(offset, bytes)`."""
    write(0, text.encode() + b"\0")


def read_string(data):
    return data.split(b"\0", 1)[0].decode()


def fail(role, text):
    say(role, text)
    sys.exit(1)


def open_retrying(role, what, opener, missing):
    """Calls `opener()` until it stops raising `missing` (the premise may not
    have created the object yet), for at most 10 seconds."""
    import time

    deadline = time.monotonic() + 10
    while True:
        try:
            return opener()
        except missing:
            if time.monotonic() > deadline:
                fail(role, f"{what} did not appear within 10 s; start the premise first")
            time.sleep(0.02)
