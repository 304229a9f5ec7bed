#!/usr/bin/env python3
"""Side-by-side benchmark of the posix_ipc/sysv_ipc drop-ins and the originals.

Usage::

    python compare.py ORIGINAL_PYTHON DROPIN_PYTHON [--runs R] [--quick]
                      [--pin] [--check] [scenario ...]

``ORIGINAL_PYTHON`` is an interpreter with the PyPI originals (posix_ipc
1.3.2, sysv_ipc 1.2.0) installed, ``DROPIN_PYTHON`` one with the project's
drop-ins (distributions ``ipc-rs-posix-ipc`` and ``ipc-rs-sysv-ipc``, built by
maturin from ``python/``).  Before measuring, each interpreter is asked which
distribution provides its ``posix_ipc`` and ``sysv_ipc`` modules; a mix-up
(for example a drop-in shadowed by the original, or a module found through
``PYTHONPATH``) stops the run.  The scenarios run under ``python -I``, so
neither ``PYTHONPATH`` nor the user site can change that afterwards.

Each scenario runs ``R`` times (default 3) under each interpreter, the two
sides back to back (which one first alternates), so that both see the same
machine load; every run is a fresh ``scenarios.py`` process.  With ``--pin``
every two-process scenario also runs under ``taskset -c 0`` (both processes
on CPU 0, rows suffixed ``@cpu0``), the rows that compare libraries rather
than this machine's cross-CPU wake-ups.

The table gives, per scenario and unit, the median of each side, the cost
ratio (drop-in / original for times, original / drop-in for rates: above 1
means the drop-in is worse) and each side's spread, (max - min) / 2 / median.
The last column, ``CPU ×``, is the drop-in's median CPU time (user + system,
of the scenario process and its peer, for the whole process: start-up and
setup included; one figure for both sizes of ``posix_mq_throughput``) over
the original's: on a loaded machine wall-clock times mostly measure the
other tenants, CPU time much less so.  ``--check`` exits with status 1 when
a cost ratio exceeds 1.05 and lists those rows.

After the runs, ``/dev/shm``, ``/dev/mqueue`` and ``/proc/sysvipc/*`` are
searched for objects of the runs (their names and keys embed the pid of the
scenario process); any found are reported and removed, and the exit status
is 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scenarios  # noqa: E402  (names and keys only; imports no IPC module)

THRESHOLD = 1.05
"""Highest acceptable cost ratio for --check."""

PINNED = [
    "posix_sem_pingpong",
    "posix_mq_pingpong",
    "posix_mq_throughput",
    "sysv_sem_pingpong",
    "sysv_msg_pingpong",
]
"""Two-process scenarios that also get an @cpu0 row with --pin."""

RATE_UNITS = {"msg/s", "MB/s", "GB/s"}
"""Units where bigger is better; every other unit is a time."""

EXPECTED = {
    "original": {"posix_ipc": ("posix-ipc", "1.3.2"), "sysv_ipc": ("sysv-ipc", "1.2.0")},
    "drop-in": {
        "posix_ipc": ("ipc-rs-posix-ipc", "1.3.2"),
        "sysv_ipc": ("ipc-rs-sysv-ipc", "1.2.0"),
    },
}
"""Per side and module: the distribution that must provide it, and the
``VERSION`` it must report (the drop-ins report the version they mirror)."""

PROBE = r"""
import importlib.metadata as md, json, os, sys
dists = md.packages_distributions()
out = {}
for name in ("posix_ipc", "sysv_ipc"):
    mod = __import__(name)
    out[name] = {
        "file": os.path.realpath(mod.__file__),
        "dists": dists.get(name, []),
        "version": getattr(mod, "VERSION", None),
    }
out["prefix"] = os.path.realpath(sys.prefix)
print(json.dumps(out))
"""


class CompareError(Exception):
    """The comparison cannot run or its results are unusable."""


def normalize(dist: str) -> str:
    """A distribution name in its canonical form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", dist).lower()


def verify(side: str, python: str) -> str:
    """Checks that ``python`` imports the ``side`` modules; returns a summary."""
    try:
        proc = subprocess.run(
            [python, "-I", "-c", PROBE], capture_output=True, text=True, timeout=60
        )
    except OSError as exc:
        raise CompareError(f"{side} interpreter {python!r} cannot run: {exc}") from exc
    if proc.returncode != 0:
        raise CompareError(
            f"{side} interpreter {python} cannot import posix_ipc and sysv_ipc:\n{proc.stderr}"
        )
    info = json.loads(proc.stdout)
    prefix = info["prefix"]
    summary = []
    for module, (dist, version) in EXPECTED[side].items():
        got = info[module]
        dists = [normalize(d) for d in got["dists"]]
        problems = []
        if dists != [dist]:
            problems.append(f"is provided by {dists or 'no distribution'}, expected [{dist!r}]")
        if not got["file"].startswith(prefix + os.sep):
            problems.append(f"is loaded from {got['file']}, outside the environment {prefix}")
        if got["version"] != version:
            problems.append(f"reports VERSION {got['version']!r}, expected {version!r}")
        if problems:
            raise CompareError(
                f"{side} interpreter {python}: {module} "
                + "; ".join(problems)
                + ". Pass the interpreters in the order ORIGINAL DROPIN, each from an "
                "environment with only that implementation installed."
            )
        summary.append(f"{module} {version} from {dist} ({got['file']})")
    return "; ".join(summary)


def run_once(python: str, names: list[str], quick: bool, pin: bool) -> tuple[int, dict, float]:
    """Runs scenarios.py once; returns its pid, {(row, unit): value} and the
    CPU seconds (user + system) of the process and its peers."""
    cmd = [python, "-I", str(HERE / "scenarios.py")]
    if quick:
        cmd.append("--quick")
    cmd += names
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]  # taskset execs: the pid stays
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if err:
        sys.stderr.write(err)
    if proc.returncode != 0:
        raise CompareError(f"{' '.join(cmd)} failed with status {proc.returncode}")
    results = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[0].startswith("py_"):
            raise CompareError(f"unexpected output line from {python}: {line!r}")
        row = parts[0][3:] + ("@cpu0" if pin else "")
        results[(row, parts[2])] = float(parts[1])
    return proc.pid, results, cpu


def spread(values: list[float]) -> float:
    """(max - min) / 2 / median."""
    med = statistics.median(values)
    return (max(values) - min(values)) / 2 / med if med else 0.0


def fmt(value: float) -> str:
    """A value with about three significant digits and thousands separators."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def leftovers(pids: list[int]) -> list[str]:
    """Finds and removes objects of the scenario processes ``pids``."""
    found = []
    for pid in pids:
        for name in scenarios.object_names(pid):
            base = name[1:]
            for path in (f"/dev/shm/{base}", f"/dev/shm/sem.{base}", f"/dev/mqueue/{base}"):
                if os.path.lexists(path):
                    found.append(path)
                    os.unlink(path)
    keys = {key for pid in pids for key in scenarios.sysv_keys(pid)}
    for kind, flag in (("shm", "-m"), ("sem", "-s"), ("msg", "-q")):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            key, ident = int(fields[0]), fields[1]
            if key in keys:
                found.append(f"SysV {kind} key {key:#x} id {ident}")
                subprocess.run(["ipcrm", flag, ident], check=False)
    return found


def main() -> int:
    """Verifies the interpreters, runs, prints the table, checks for leaks."""
    parser = argparse.ArgumentParser(
        description="Compare the posix_ipc/sysv_ipc drop-ins with the originals."
    )
    parser.add_argument(
        "original", metavar="ORIGINAL_PYTHON", help="interpreter with the PyPI modules"
    )
    parser.add_argument("dropin", metavar="DROPIN_PYTHON", help="interpreter with the drop-ins")
    parser.add_argument("--runs", type=int, default=3, help="runs per interpreter (default 3)")
    parser.add_argument("--quick", action="store_true", help="pass --quick: N / 10")
    parser.add_argument("--pin", action="store_true", help="add @cpu0 rows (taskset -c 0)")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 if a cost ratio exceeds {THRESHOLD}"
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"scenarios to run (default: all): {', '.join(scenarios.SCENARIOS)}",
    )
    args = parser.parse_intermixed_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    unknown = [s for s in args.scenarios if s not in scenarios.SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    names = args.scenarios or list(scenarios.SCENARIOS)
    pinned = [s for s in names if s in PINNED] if args.pin else []

    sides = {"original": args.original, "drop-in": args.dropin}
    try:
        for side, python in sides.items():
            print(f"{side}: {verify(side, python)}", file=sys.stderr)
    except CompareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    load_before = os.getloadavg()
    samples: dict[str, dict[tuple[str, str], list[float]]] = {s: {} for s in sides}
    cpu: dict[str, dict[str, list[float]]] = {s: {} for s in sides}
    order: list[tuple[str, str]] = []
    pids: list[int] = []
    status = 0
    try:
        for i in range(args.runs):
            print(f"run {i + 1}/{args.runs}", file=sys.stderr)
            jobs = [(name, False) for name in names] + [(name, True) for name in pinned]
            for j, (name, pin) in enumerate(jobs):
                # The two sides of a row run back to back, so that they see
                # the same machine load; which goes first alternates.
                for side in list(sides)[:: 1 if (i + j) % 2 == 0 else -1]:
                    pid, results, seconds = run_once(sides[side], [name], args.quick, pin)
                    pids.append(pid)
                    cpu[side].setdefault(name + ("@cpu0" if pin else ""), []).append(seconds)
                    for key, value in results.items():
                        samples[side].setdefault(key, []).append(value)
                        if key not in order:
                            order.append(key)
    except CompareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        status = 2
    finally:
        leaked = leftovers(pids)
        if leaked:
            print("error: leaked ipcbench objects (removed):", file=sys.stderr)
            for item in leaked:
                print(f"  {item}", file=sys.stderr)
            status = 2
        elif pids:
            print("no leaked ipcbench objects", file=sys.stderr)
    if status:
        return status

    rows = []
    over = []
    for key in sorted(order, key=lambda k: (k[0].split("@")[0], "@" in k[0], order.index(k))):
        row, unit = key
        orig, drop = samples["original"][key], samples["drop-in"][key]
        mo, md = statistics.median(orig), statistics.median(drop)
        ratio = mo / md if unit in RATE_UNITS else md / mo
        job = row.split(".")[0].split("@")[0] + ("@cpu0" if row.endswith("@cpu0") else "")
        cpu_ratio = statistics.median(cpu["drop-in"][job]) / statistics.median(cpu["original"][job])
        rows.append(
            [
                row,
                unit,
                fmt(mo),
                fmt(md),
                f"{ratio:.2f}",
                f"±{spread(orig):.0%}",
                f"±{spread(drop):.0%}",
                f"{cpu_ratio:.2f}",
            ]
        )
        if ratio > THRESHOLD:
            over.append(f"{row} [{unit}]: {ratio:.2f}")
    header = [
        "scenario",
        "unit",
        "original",
        "drop-in",
        "cost ×",
        "orig spread",
        "drop-in spread",
        "CPU ×",
    ]
    print(f"| {' | '.join(header)} |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {' | '.join(r)} |")
    print(
        f"\nruns: {args.runs}{' (quick)' if args.quick else ''}; load average (1/5/15 min) "
        f"before: {' '.join(f'{x:.2f}' for x in load_before)}, "
        f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.check and over:
        print(f"\ncost ratio above {THRESHOLD}:", file=sys.stderr)
        for item in over:
            print(f"  {item}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
