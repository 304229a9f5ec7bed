#!/usr/bin/env python3
"""The ten ipc-rs benchmark scenarios in Python, for any posix_ipc/sysv_ipc.

Usage::

    python scenarios.py [--quick] [scenario ...]

Runs the scenarios defined in ``bench-scenarios.md`` (the workspace's
benchmark definitions) against whichever ``posix_ipc`` and ``sysv_ipc`` the
running interpreter imports: the PyPI originals (posix_ipc 1.3.2, sysv_ipc
1.2.0) or the project's drop-ins built on the Rust crates.  The script does
not know or care which; ``compare.py`` runs it under both and compares.

Each result is one stdout line, ``py_<scenario>[.<metric>] <value> <unit>``.
Errors go to stderr and the exit status is not 0.  ``--quick`` divides every
iteration count by 10 (the shm bandwidth size is kept: it is one pass).

Conventions followed (see the scenario definitions for the details):

* POSIX names are ``/ipcbench_<tag>_<pid>_<suffix>``, SysV keys
  ``0x49000000 | (pid & 0x3FFFFF) << 2 | idx``; objects are created
  exclusively with mode 0600 (except the SysV shm segment, see scenario 10).
* Two-process scenarios fork a peer that re-opens every object by name or
  key; a pipe releases it and carries its read timing back.  Loops run
  ``W = 1000`` untimed iterations, then ``N`` timed ones, on both sides.
* Clock: ``time.monotonic_ns()``, covering only the timed region.
* Hygiene: library methods bound to locals, positional arguments, payloads
  built once, ``for _ in range(N)`` loops, cyclic GC disabled.
* Cleanup of every object on every path: normal exit, exceptions, a failed
  child, SIGINT/SIGTERM/SIGHUP and the SIGALRM watchdog.  The child gets
  ``PR_SET_PDEATHSIG = SIGKILL``.

``object_names(pid)`` and ``sysv_keys(pid)`` list everything a run with that
pid may create; ``compare.py`` uses them to look for leftovers.  They need
neither IPC module, which is imported only when scenarios run.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import mmap
import os
import signal
import sys
import time
from typing import Callable, NamedTuple

W = 1000
"""Untimed warm-up iterations of the two-process loops."""

MIB = 1 << 20
WATCHDOG_S = 300
"""Seconds one scenario may take before SIGALRM aborts the run."""

# (tag, suffixes) for every POSIX object the scenarios create.
POSIX_OBJECTS = {
    "sem": ("ssp", ("a", "b")),
    "sem_uncontended": ("ssu", ("s",)),
    "sem_timedwait": ("stw", ("s",)),
    "mq_pingpong": ("mqp", ("q1", "q2")),
    "mq_throughput": ("mqt", ("q",)),
    "shm_bandwidth": ("shb", ("m",)),
    "shm_lifecycle": ("shl", ("m",)),
}
SYSV_KEY_INDICES = range(4)


def posix_name(kind: str, suffix: str, pid: int | None = None) -> str:
    """The POSIX name of object ``suffix`` of scenario family ``kind``."""
    tag = POSIX_OBJECTS[kind][0]
    return f"/ipcbench_{tag}_{os.getpid() if pid is None else pid}_{suffix}"


def object_names(pid: int) -> list[str]:
    """Every POSIX name (with leading slash) a run by ``pid`` may create."""
    return [
        posix_name(kind, suffix, pid)
        for kind, (_, suffixes) in POSIX_OBJECTS.items()
        for suffix in suffixes
    ]


def sysv_key(idx: int, pid: int | None = None) -> int:
    """The SysV key number ``idx`` (0..3) of the run by ``pid``."""
    pid = os.getpid() if pid is None else pid
    return 0x49000000 | (pid & 0x3FFFFF) << 2 | idx


def sysv_keys(pid: int) -> list[int]:
    """Every SysV key a run by ``pid`` may use."""
    return [sysv_key(i, pid) for i in SYSV_KEY_INDICES]


class BenchError(Exception):
    """A scenario failed: a wrong result, a failed child or a bad setup."""


# --------------------------------------------------------------------------
# Cleanup, signals and the child process

_cleanups: list[Callable[[], None]] = []


def on_cleanup(action: Callable[[], None]) -> None:
    """Registers ``action`` to run (once) when the current scenario ends."""
    _cleanups.append(action)


def run_cleanups() -> None:
    """Runs and forgets the registered cleanups, newest first."""
    while _cleanups:
        action = _cleanups.pop()
        try:
            action()
        except Exception as exc:  # keep cleaning the rest
            print(f"cleanup failed: {exc!r}", file=sys.stderr)


class Interrupted(BaseException):
    """Raised by the signal handler so that every ``finally`` runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    # Stop the child first (it would only fail on the removed objects), and
    # clean up right here as well: the exception may be swallowed by a
    # library call that is in the middle of being interrupted.
    global _caught
    _caught = signum
    if _peer is not None:
        _peer.kill()
    run_cleanups()
    raise Interrupted(signum)


_caught = 0
"""The last signal handled by ``_on_signal`` (0: none).  posix_ipc 1.3.2
replaces the handler's exception with its own ``SignalError``."""


SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


class Peer:
    """A forked child running ``body(read_fd, write_fd)``.

    The child resets the signal handlers (only the parent cleans up), asks to
    be killed with its parent and exits with status 0 when ``body`` returns,
    1 when it raises.  ``recv`` and ``send`` talk to it over two pipes.
    """

    def __init__(self, body: Callable[[int, int], None]) -> None:
        global _peer
        p2c_r, p2c_w = os.pipe()
        c2p_r, c2p_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            status = 1
            try:
                for sig in (*SIGNALS, signal.SIGCHLD):
                    signal.signal(sig, signal.SIG_DFL)
                _cleanups.clear()
                _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                signal.alarm(WATCHDOG_S)
                os.close(p2c_w)
                os.close(c2p_r)
                body(p2c_r, c2p_w)
                status = 0
            except BaseException as exc:
                print(f"child: {type(exc).__name__}: {exc}", file=sys.stderr)
            finally:
                os._exit(status)
        os.close(p2c_r)
        os.close(c2p_w)
        self.pid = pid
        self.status: int | None = None
        self.killed = False
        self.rfd = c2p_r
        self.wfd = p2c_w
        _peer = self

    def recv(self) -> bytes:
        """One line from the child; fails if the child died."""
        return read_line(self.rfd, "the child exited before answering")

    def send(self, data: bytes = b"go") -> None:
        """Sends one line to the child."""
        write_line(self.wfd, data)

    def close_pipes(self) -> None:
        """Closes this side of both pipes (once)."""
        for fd in (self.rfd, self.wfd):
            if fd >= 0:
                os.close(fd)
        self.rfd = self.wfd = -1

    def finish(self) -> None:
        """Waits for the child; fails unless it exited with status 0."""
        self.close_pipes()
        self.reap(0)
        if self.status != 0:
            raise BenchError(f"the child failed (wait status {self.status:#x})")

    def reap(self, flags: int) -> None:
        """``waitpid`` for the child once; records its wait status."""
        if self.pid:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # reaped meanwhile by the SIGCHLD handler
                return
            if pid:
                self.pid, self.status = 0, status

    def kill(self) -> None:
        """Kills and reaps the child if it still runs (error paths)."""
        if self.pid:
            self.killed = True
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.reap(0)
        self.close_pipes()


_peer: Peer | None = None
"""The current child, for the SIGCHLD handler."""


def _on_sigchld(_signum: int, _frame: object) -> None:
    # A child that fails would leave the parent blocked on its next
    # semaphore or queue: interrupt the parent's call instead.
    peer = _peer
    if peer is not None:
        peer.reap(os.WNOHANG)
        if peer.status and not peer.killed:
            raise BenchError(f"the child failed (wait status {peer.status:#x})")


def read_line(fd: int, eof_message: str) -> bytes:
    """One line from the pipe ``fd``, without its newline."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 256)
        if not chunk:
            raise BenchError(eof_message)
        data += chunk
    return data[:-1]


def write_line(fd: int, data: bytes) -> None:
    """Writes ``data`` and a newline to the pipe ``fd``."""
    os.write(fd, data + b"\n")


def child_recv(rfd: int) -> bytes:
    """In the child: one line from the parent."""
    return read_line(rfd, "the parent closed the pipe")


def child_send(wfd: int, data: bytes = b"ok") -> None:
    """In the child: one line to the parent."""
    write_line(wfd, data)


def with_peer(body: Callable[[int, int], None], parent: Callable[[Peer], None]) -> None:
    """Forks ``body`` as the peer, runs ``parent`` and reaps the peer."""
    peer = Peer(body)
    try:
        parent(peer)
        peer.finish()
    finally:
        peer.kill()


def report(name: str, value: float, unit: str) -> None:
    """Prints one result line."""
    print(f"py_{name} {value:.6g} {unit}", flush=True)


# --------------------------------------------------------------------------
# Scenarios.  Each takes its iteration count (or size) and the two modules.


def unlink_posix(unlink: Callable[[str], None], error: type, name: str) -> Callable[[], None]:
    """A cleanup that unlinks ``name``, ignoring an already-gone object."""

    def action() -> None:
        try:
            unlink(name)
        except error:
            pass

    return action


def remove_sysv(remove: Callable[[int], None], error: type, ident: int) -> Callable[[], None]:
    """A cleanup that removes the SysV object ``ident``, if still there."""

    def action() -> None:
        try:
            remove(ident)
        except error:
            pass

    return action


def posix_sem_pingpong(n: int, pi, si) -> None:
    """1. Two named semaphores; parent post(A)/wait(B), child the mirror."""
    names = [posix_name("sem", s) for s in ("a", "b")]
    for name in names:
        on_cleanup(unlink_posix(pi.unlink_semaphore, pi.ExistentialError, name))
    a = pi.Semaphore(names[0], pi.O_CREX, 0o600, 0)
    b = pi.Semaphore(names[1], pi.O_CREX, 0o600, 0)

    def child(rfd: int, wfd: int) -> None:
        ca, cb = pi.Semaphore(names[0]), pi.Semaphore(names[1])
        wait, post = ca.acquire, cb.release
        child_send(wfd)
        for _ in range(W + n):
            wait()
            post()

    def parent(peer: Peer) -> None:
        post, wait = a.release, b.acquire
        peer.recv()
        for _ in range(W):
            post()
            wait()
        t0 = time.monotonic_ns()
        for _ in range(n):
            post()
            wait()
        t1 = time.monotonic_ns()
        report("posix_sem_pingpong", (t1 - t0) / n, "ns/roundtrip")

    with_peer(child, parent)
    a.close()
    b.close()


def posix_sem_uncontended(n: int, pi, si) -> None:
    """2. One process, one semaphore at 1: acquire/release pairs."""
    name = posix_name("sem_uncontended", "s")
    on_cleanup(unlink_posix(pi.unlink_semaphore, pi.ExistentialError, name))
    s = pi.Semaphore(name, pi.O_CREX, 0o600, 1)
    wait, post = s.acquire, s.release
    for _ in range(min(n // 10, 100_000)):
        wait()
        post()
    t0 = time.monotonic_ns()
    for _ in range(n):
        wait()
        post()
    t1 = time.monotonic_ns()
    if s.value != 1:
        raise BenchError(f"semaphore value is {s.value} at the end, expected 1")
    report("posix_sem_uncontended", (t1 - t0) / n, "ns/pair")
    s.close()


def posix_sem_timedwait_timeout(n: int, pi, si) -> None:
    """3. acquire(0.01) on a semaphore at 0: mean overshoot past 10 ms."""
    name = posix_name("sem_timedwait", "s")
    on_cleanup(unlink_posix(pi.unlink_semaphore, pi.ExistentialError, name))
    s = pi.Semaphore(name, pi.O_CREX, 0o600, 0)
    wait, busy, clock = s.acquire, pi.BusyError, time.monotonic_ns
    total = 0
    for _ in range(n):
        t0 = clock()
        try:
            wait(0.01)
        except busy:
            t1 = clock()
        else:
            raise BenchError("acquire(0.01) succeeded on a semaphore at 0")
        total += t1 - t0 - 10_000_000
    report("posix_sem_timedwait_timeout", total / n / 1000, "us")
    s.close()


def posix_mq_pingpong(n: int, pi, si) -> None:
    """4. Two queues (10 x 8192 B); 64-byte echo round trips."""
    names = [posix_name("mq_pingpong", s) for s in ("q1", "q2")]
    for name in names:
        on_cleanup(unlink_posix(pi.unlink_message_queue, pi.ExistentialError, name))
    q1 = pi.MessageQueue(names[0], pi.O_CREX, 0o600, 10, 8192)
    q2 = pi.MessageQueue(names[1], pi.O_CREX, 0o600, 10, 8192)
    msg = b"m" * 64

    def child(rfd: int, wfd: int) -> None:
        c1, c2 = pi.MessageQueue(names[0]), pi.MessageQueue(names[1])
        recv, send = c1.receive, c2.send
        child_send(wfd)
        for _ in range(W + n):
            send(recv()[0])

    def parent(peer: Peer) -> None:
        send, recv = q1.send, q2.receive
        peer.recv()
        for _ in range(W):
            send(msg)
            recv()
        t0 = time.monotonic_ns()
        for _ in range(n):
            send(msg)
            recv()
        t1 = time.monotonic_ns()
        report("posix_mq_pingpong", (t1 - t0) / n, "ns/roundtrip")

    with_peer(child, parent)
    q1.close()
    q2.close()


def posix_mq_throughput(n: int, size: int, pi, si) -> None:
    """5. Child produces W + n messages of ``size`` bytes; parent consumes."""
    name = posix_name("mq_throughput", "q")
    on_cleanup(unlink_posix(pi.unlink_message_queue, pi.ExistentialError, name))
    q = pi.MessageQueue(name, pi.O_CREX, 0o600, 10, size)
    msg = b"t" * size

    def child(rfd: int, wfd: int) -> None:
        cq = pi.MessageQueue(name, 0, 0o600, 10, size, False, True)  # O_WRONLY
        send = cq.send
        child_send(wfd)
        for _ in range(W + n):
            send(msg)

    def parent(peer: Peer) -> None:
        recv = q.receive
        peer.recv()
        for _ in range(W):
            recv()
        t0 = time.monotonic_ns()
        for _ in range(n):
            got = recv()
        t1 = time.monotonic_ns()
        if len(got[0]) != size:
            raise BenchError(f"last message has {len(got[0])} bytes, expected {size}")
        secs = (t1 - t0) / 1e9
        report(f"posix_mq_throughput.{size}B", n / secs, "msg/s")
        report(f"posix_mq_throughput.{size}B", n * size / secs / 1e6, "MB/s")

    with_peer(child, parent)
    q.close()


def shm_bandwidth(
    scenario: str,
    size: int,
    write: Callable[[bytes], None],
    open_reader: Callable[[], Callable[[], bytes]],
) -> None:
    """6 and 10: timed cold write, warm write, and the child's fresh read.

    ``write(data)`` fills the parent's mapping; ``open_reader()`` runs in the
    child after the writes and returns the function that copies it all out.
    """
    cold, warm = b"\xab" * size, b"\xcd" * size

    def child(rfd: int, wfd: int) -> None:
        child_recv(rfd)  # released after the parent's writes
        read = open_reader()
        t0 = time.monotonic_ns()
        data = read()
        t1 = time.monotonic_ns()
        if data != warm:
            raise BenchError("the reader did not see the 0xCD fill")
        child_send(wfd, str(t1 - t0).encode())

    def parent(peer: Peer) -> None:
        t0 = time.monotonic_ns()
        write(cold)
        t1 = time.monotonic_ns()
        write(warm)
        t2 = time.monotonic_ns()
        peer.send()
        read_ns = int(peer.recv())
        report(f"{scenario}.write", size / (t1 - t0), "GB/s")
        report(f"{scenario}.write_warm", size / (t2 - t1), "GB/s")
        report(f"{scenario}.read", size / read_ns, "GB/s")

    with_peer(child, parent)


def posix_shm_bandwidth(mib: int, pi, si) -> None:
    """6. 64 MiB POSIX segment through stdlib mmap."""
    name = posix_name("shm_bandwidth", "m")
    size = mib * MIB
    on_cleanup(unlink_posix(pi.unlink_shared_memory, pi.ExistentialError, name))
    shm = pi.SharedMemory(name, pi.O_CREX, 0o600, size)
    m = mmap.mmap(shm.fd, size)
    shm.close_fd()

    def write(data: bytes) -> None:
        m[:] = data

    def open_reader() -> Callable[[], bytes]:
        r = pi.SharedMemory(name, 0, 0o600, 0, True)  # read-only
        rm = mmap.mmap(r.fd, size, access=mmap.ACCESS_READ)
        r.close_fd()
        return lambda: rm[:]

    try:
        shm_bandwidth("posix_shm_bandwidth", size, write, open_reader)
    finally:
        m.close()


def posix_shm_lifecycle(n: int, pi, si) -> None:
    """7. create, ftruncate(4096), mmap, munmap, close, unlink: per cycle."""
    name = posix_name("shm_lifecycle", "m")
    on_cleanup(unlink_posix(pi.unlink_shared_memory, pi.ExistentialError, name))
    shared_memory, crex, mapping = pi.SharedMemory, pi.O_CREX, mmap.mmap
    for _ in range(100):
        s = shared_memory(name, crex, 0o600, 4096)
        m = mapping(s.fd, 4096)
        m.close()
        s.close_fd()
        s.unlink()
    t0 = time.monotonic_ns()
    for _ in range(n):
        s = shared_memory(name, crex, 0o600, 4096)
        m = mapping(s.fd, 4096)
        m.close()
        s.close_fd()
        s.unlink()
    t1 = time.monotonic_ns()
    report("posix_shm_lifecycle", (t1 - t0) / n / 1000, "us/cycle")


def sysv_sem_pingpong(n: int, pi, si) -> None:
    """8. Two one-semaphore sets; parent +1 A / -1 B, child the mirror."""
    keys = [sysv_key(0), sysv_key(1)]
    a = si.Semaphore(keys[0], si.IPC_CREX, 0o600, 0)
    on_cleanup(remove_sysv(si.remove_semaphore, si.ExistentialError, a.id))
    b = si.Semaphore(keys[1], si.IPC_CREX, 0o600, 0)
    on_cleanup(remove_sysv(si.remove_semaphore, si.ExistentialError, b.id))

    def child(rfd: int, wfd: int) -> None:
        ca, cb = si.Semaphore(keys[0]), si.Semaphore(keys[1])
        wait, post = ca.acquire, cb.release
        child_send(wfd)
        for _ in range(W + n):
            wait()
            post()

    def parent(peer: Peer) -> None:
        post, wait = a.release, b.acquire
        peer.recv()
        for _ in range(W):
            post()
            wait()
        t0 = time.monotonic_ns()
        for _ in range(n):
            post()
            wait()
        t1 = time.monotonic_ns()
        report("sysv_sem_pingpong", (t1 - t0) / n, "ns/roundtrip")

    with_peer(child, parent)


def sysv_msg_pingpong(n: int, pi, si) -> None:
    """9. One queue; parent sends type 1 and receives type 2, child echoes."""
    key = sysv_key(0)
    q = si.MessageQueue(key, si.IPC_CREX, 0o600, 64)
    on_cleanup(remove_sysv(si.remove_message_queue, si.ExistentialError, q.id))
    msg = b"m" * 64

    def child(rfd: int, wfd: int) -> None:
        cq = si.MessageQueue(key)
        recv, send = cq.receive, cq.send
        child_send(wfd)
        for _ in range(W + n):
            send(recv(True, 1)[0], True, 2)

    def parent(peer: Peer) -> None:
        send, recv = q.send, q.receive
        peer.recv()
        for _ in range(W):
            send(msg, True, 1)
            recv(True, 2)
        t0 = time.monotonic_ns()
        for _ in range(n):
            send(msg, True, 1)
            recv(True, 2)
        t1 = time.monotonic_ns()
        report("sysv_msg_pingpong", (t1 - t0) / n, "ns/roundtrip")

    with_peer(child, parent)


def sysv_shm_bandwidth(mib: int, pi, si) -> None:
    """10. 64 MiB SysV segment, created without IPC_EXCL (no pre-fill)."""
    key = sysv_key(0)
    size = mib * MIB
    try:
        si.SharedMemory(key)
    except si.ExistentialError:
        pass
    else:
        raise BenchError(f"SysV key {key:#x} is already in use")
    mem = si.SharedMemory(key, si.IPC_CREAT, 0o600, size)
    on_cleanup(remove_sysv(si.remove_shared_memory, si.ExistentialError, mem.id))
    if mem.creator_pid != os.getpid() or mem.number_attached != 1:
        raise BenchError(
            f"segment {key:#x} is not fresh: creator_pid {mem.creator_pid}, "
            f"number_attached {mem.number_attached}"
        )

    def open_reader() -> Callable[[], bytes]:
        return si.SharedMemory(key, 0, 0o400).read  # mode without 0200: SHM_RDONLY

    try:
        shm_bandwidth("sysv_shm_bandwidth", size, mem.write, open_reader)
    finally:
        mem.detach()


class Run(NamedTuple):
    """One measured run of a scenario: ``func(count, *args, pi, si)``."""

    count: int
    func: Callable[..., None]
    args: tuple = ()
    scaled: bool = True
    """Whether --quick divides ``count`` (not for the shm sizes in MiB)."""


SCENARIOS: dict[str, list[Run]] = {
    "posix_sem_pingpong": [Run(100_000, posix_sem_pingpong)],
    "posix_sem_uncontended": [Run(1_000_000, posix_sem_uncontended)],
    "posix_sem_timedwait_timeout": [Run(50, posix_sem_timedwait_timeout)],
    "posix_mq_pingpong": [Run(100_000, posix_mq_pingpong)],
    "posix_mq_throughput": [
        Run(200_000, posix_mq_throughput, (64,)),
        Run(100_000, posix_mq_throughput, (8192,)),
    ],
    "posix_shm_bandwidth": [Run(64, posix_shm_bandwidth, scaled=False)],
    "posix_shm_lifecycle": [Run(10_000, posix_shm_lifecycle)],
    "sysv_sem_pingpong": [Run(100_000, sysv_sem_pingpong)],
    "sysv_msg_pingpong": [Run(100_000, sysv_msg_pingpong)],
    "sysv_shm_bandwidth": [Run(64, sysv_shm_bandwidth, scaled=False)],
}


def main(argv: list[str] | None = None) -> int:
    """Runs the scenarios named on the command line (all by default)."""
    parser = argparse.ArgumentParser(
        description="ipc-rs benchmark scenarios against the importable posix_ipc/sysv_ipc."
    )
    parser.add_argument("--quick", action="store_true", help="divide iteration counts by 10")
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"scenarios to run (default: all): {', '.join(SCENARIOS)}",
    )
    args = parser.parse_intermixed_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )

    import posix_ipc
    import sysv_ipc

    for sig in SIGNALS:
        signal.signal(sig, _on_signal)
    signal.signal(signal.SIGCHLD, _on_sigchld)
    gc.disable()
    divisor = 10 if args.quick else 1
    status = 0
    runs = [(name, run) for name in args.scenarios or SCENARIOS for run in SCENARIOS[name]]
    for name, run in runs:
        count = run.count // divisor if run.scaled else run.count
        signal.alarm(WATCHDOG_S)
        try:
            run.func(count, *run.args, posix_ipc, sysv_ipc)
        except Interrupted as exc:
            print(f"{name}: interrupted by {exc}", file=sys.stderr)
            return 128 + exc.signum
        except Exception as exc:
            print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if _caught:
                return 128 + _caught
            status = 1
        finally:
            signal.alarm(0)
            run_cleanups()
            gc.collect()
    return status


if __name__ == "__main__":
    sys.exit(main())
