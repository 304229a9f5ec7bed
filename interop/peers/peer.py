"""The Python peer of the interoperability tests.

Speaks the same protocol as peer.c, with Python's posix_ipc and sysv_ipc, so
the tests check that Rust and those packages see the same names, keys, values,
sizes, mode bits, contents, priorities and types. It runs with PyPI's packages
and with the project's drop-ins (python/), and says which (`impl=` line):

    peer.py psem make NAME VALUE MODE      peer.py psem inspect NAME
    peer.py pshm make NAME SIZE MODE       peer.py pshm inspect NAME
    peer.py pmq  make NAME MAXMSG MSGSIZE MODE   peer.py pmq inspect NAME
    peer.py ssem make KEY VALUE MODE       peer.py ssem inspect KEY
    peer.py sshm make KEY SIZE MODE        peer.py sshm inspect KEY
    peer.py smsg make KEY MODE             peer.py smsg inspect KEY
"""
import mmap
import os
import sys

import posix_ipc
import sysv_ipc

MQ_PRIOS = [1, 7, 3, 31, 0, 7]
MSG_TYPES = [3, 1, 2, 1]


def num(s):
    """Parses a number the way C's strtol(s, NULL, 0) does (0640 is octal)."""
    neg = s.startswith("-")
    body = s[1:] if neg else s
    if body[:2].lower() == "0x":
        v = int(body[2:], 16)
    elif body.startswith("0") and len(body) > 1:
        v = int(body[1:], 8)
    else:
        v = int(body)
    return -v if neg else v


def pattern(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


def check_and_invert(data):
    want = pattern(len(data))
    if data == want:
        print("pattern=ok")
    else:
        bad = next(i for i in range(len(data)) if data[i] != want[i])
        print(f"pattern=bad-at-{bad}")
    print(f"inverted={len(data)}")
    return bytes(~b & 0xFF for b in data)


def psem(verb, a):
    if verb == "make":
        s = posix_ipc.Semaphore(a[0], posix_ipc.O_CREX, num(a[2]), num(a[1]))
        s.close()
        print("made")
        return
    s = posix_ipc.Semaphore(a[0])
    print(f"value={s.value}")
    s.release()
    print("posted")
    s.close()


def pshm(verb, a):
    if verb == "make":
        size = num(a[1])
        m = posix_ipc.SharedMemory(a[0], posix_ipc.O_CREX, num(a[2]), size)
        with mmap.mmap(m.fd, size) as mm:
            mm[:] = pattern(size)
        m.close_fd()
        print("made")
        return
    m = posix_ipc.SharedMemory(a[0])
    st = os.fstat(m.fd)
    print(f"size={m.size}")
    print(f"mode=0{st.st_mode & 0o777:o}")
    with mmap.mmap(m.fd, m.size) as mm:
        mm[:] = check_and_invert(bytes(mm[:]))
    m.close_fd()


def pmq(verb, a):
    if verb == "make":
        q = posix_ipc.MessageQueue(a[0], posix_ipc.O_CREX, num(a[3]), num(a[1]), num(a[2]))
        for i, prio in enumerate(MQ_PRIOS):
            q.send(f"py-{i}-prio-{prio}".encode(), priority=prio)
        q.close()
        print("made")
        return
    q = posix_ipc.MessageQueue(a[0])
    print(f"maxmsg={q.max_messages}")
    print(f"msgsize={q.max_message_size}")
    print(f"curmsgs={q.current_messages}")
    while True:
        try:
            data, prio = q.receive(0)
        except posix_ipc.BusyError:
            break
        print(f"recv={prio}:{data.decode()}")
    q.send(b"from-py", priority=9)
    print("sent=9:from-py")
    q.close()


def ssem(verb, a):
    key = num(a[0])
    if verb == "make":
        s = sysv_ipc.Semaphore(key, sysv_ipc.IPC_CREX, num(a[2]), num(a[1]))
        print("made")
        print(f"id={s.id}")
        return
    s = sysv_ipc.Semaphore(key)
    print(f"id={s.id}")
    print("nsems=1")
    print(f"mode=0{s.mode & 0o777:o}")
    print(f"value={s.value}")
    s.release()
    print("posted")


def sshm(verb, a):
    key = num(a[0])
    if verb == "make":
        size = num(a[1])
        m = sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, num(a[2]), size)
        m.write(pattern(size))
        m.detach()
        print("made")
        print(f"id={m.id}")
        return
    m = sysv_ipc.SharedMemory(key)
    print(f"id={m.id}")
    print(f"size={m.size}")
    print(f"mode=0{m.mode & 0o777:o}")
    m.write(check_and_invert(m.read()))
    m.detach()


def smsg(verb, a):
    key = num(a[0])
    if verb == "make":
        q = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, num(a[1]))
        for i, t in enumerate(MSG_TYPES):
            q.send(f"py-{i}-type-{t}".encode(), type=t)
        print("made")
        print(f"id={q.id}")
        return
    q = sysv_ipc.MessageQueue(key)
    print(f"id={q.id}")
    print(f"qnum={q.current_messages}")
    print(f"mode=0{q.mode & 0o777:o}")
    while True:
        try:
            data, t = q.receive(block=False)
        except sysv_ipc.BusyError:
            break
        print(f"recv={t}:{data.decode()}")
    q.send(b"from-py", type=7)
    print("sent=7:from-py")


KINDS = {"psem": psem, "pshm": pshm, "pmq": pmq, "ssem": ssem, "sshm": sshm, "smsg": smsg}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in KINDS or sys.argv[2] not in ("make", "inspect"):
        sys.exit("usage: peer.py (psem|pshm|pmq|ssem|sshm|smsg) (make|inspect) ARGS...")
    # Which posix_ipc/sysv_ipc this is: PyPI's, or the project's drop-ins.
    print(f"impl={getattr(posix_ipc, 'IMPLEMENTATION', 'original')}")
    KINDS[sys.argv[1]](sys.argv[2], sys.argv[3:])
    sys.stdout.flush()
