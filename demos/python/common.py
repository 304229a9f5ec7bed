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


def shared_memory_conversation(role, iterations, read, write, acquire, release):
    """The shared-memory conversation (posix_ipc's demo1, sysv_ipc's
    sem_and_shm), the same as the Rust side's: the premise writes the time;
    then the sides take turns through the semaphore, each reading the string,
    checking it is the MD5 hex of what it last wrote, and writing back the MD5
    of what it read. Each side holds the semaphore when this returns."""
    import time

    def turn():
        release()
        acquire()

    what_i_wrote = ""
    if role == "premise":
        what_i_wrote = time.asctime()
        write(what_i_wrote)
        say(role, f"wrote {what_i_wrote!r}")
    else:
        acquire()
    for i in range(iterations):
        if role == "premise":
            turn()
        s = read()
        while s == what_i_wrote:
            turn()
            s = read()
        if what_i_wrote and s != md5_hex(what_i_wrote):
            fail(role, f"shared memory corruption after {i} iterations: read {s!r}")
        what_i_wrote = md5_hex(s)
        write(what_i_wrote)
        if role == "conclusion":
            turn()
    say(role, f"{iterations} iterations complete")


def queue_conversation(role, iterations, first, send, receive):
    """The message-queue conversation (posix_ipc's demo2, sysv_ipc's
    message_queues): the premise has sent `first` (the conclusion passes "");
    each side receives, puts back a message it sent itself, and otherwise
    checks that it is the MD5 hex of what it sent and replies with the MD5 of
    what it received."""
    what_i_sent = first
    for i in range(iterations):
        s = receive()
        while s == what_i_sent:
            send(s)
            s = receive()
        if what_i_sent and s != md5_hex(what_i_sent):
            fail(role, f"message corruption after {i} iterations: received {s!r}")
        what_i_sent = md5_hex(s)
        send(what_i_sent)
    say(role, f"{iterations} iterations complete")
