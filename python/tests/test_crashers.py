"""Every crash and silent wrap-around of posix_ipc 1.3.2 and sysv_ipc 1.2.0
listed in the project's reference inventories, run against the drop-ins: each
must end in a clean exception (or, for a wrap-around, an error instead of a
wrong value).

Each probe runs in a child interpreter, so that a regression that crashes the
process fails its own test (with the signal named) instead of killing the
run. A probe prints "PROBE-OK" when it got what it expects; the test asserts
that line and a zero exit status.

Objects are created under this project's names (/ipcrs...) and keys
(0x1C5Axxxx) and removed by the probes, even when they fail (finally blocks),
so `cargo xtask clean` recognises anything a crashed probe leaves.

Run with the drop-ins installed: python -m unittest discover -s python/tests
"""
import os
import signal
import subprocess
import sys
import textwrap
import unittest

PRELUDE = textwrap.dedent(
    """
    import gc, os, random, sys, time, warnings
    import posix_ipc, sysv_ipc
    assert posix_ipc.IMPLEMENTATION == "ipc-rs" and sysv_ipc.IMPLEMENTATION == "ipc-rs"

    def pname():
        return "/ipcrs-py-%016x" % random.getrandbits(64)

    def skey():
        return 0x1C5A0000 | random.getrandbits(16)

    def expect(exc, fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except exc as e:
            return e
        raise AssertionError("%r did not raise %s" % (fn, exc.__name__))

    def sem_key():
        while True:
            k = skey()
            try:
                return sysv_ipc.Semaphore(k, sysv_ipc.IPC_CREX)
            except sysv_ipc.ExistentialError:
                continue

    def shm_key(size=4096, **kw):
        while True:
            k = skey()
            try:
                return sysv_ipc.SharedMemory(k, sysv_ipc.IPC_CREX, size=size, **kw)
            except sysv_ipc.ExistentialError:
                continue

    def mq_key(**kw):
        while True:
            k = skey()
            try:
                return sysv_ipc.MessageQueue(k, sysv_ipc.IPC_CREX, **kw)
            except sysv_ipc.ExistentialError:
                continue

    def free_key(cls):
        while True:
            k = skey()
            try:
                cls(k)
            except sysv_ipc.ExistentialError:
                return k
    """
)


def run_probe(test, body, timeout=60):
    """Runs PRELUDE + body in a child interpreter and checks it printed
    PROBE-OK and exited 0; a death by signal fails with the signal's name."""
    code = PRELUDE + textwrap.dedent(body) + '\nprint("PROBE-OK")\n'
    proc = subprocess.run(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode < 0:
        test.fail(
            "the probe was killed by %s (the original's crash came back)\nstderr:\n%s"
            % (signal.Signals(-proc.returncode).name, proc.stderr)
        )
    test.assertEqual(
        proc.returncode, 0, "the probe failed:\nstdout:\n%s\nstderr:\n%s" % (proc.stdout, proc.stderr)
    )
    test.assertIn("PROBE-OK", proc.stdout.splitlines(), proc.stderr)


class PosixIpcCrashers(unittest.TestCase):
    """posix_ipc 1.3.2, inventory section 1.11 and the wrap-arounds of 1.4."""

    def test_nul_in_a_str_name_is_a_value_error(self):
        # posix_ipc: SIGSEGV for all three classes.
        run_probe(self, """
            for cls in (posix_ipc.Semaphore, posix_ipc.SharedMemory, posix_ipc.MessageQueue):
                e = expect(ValueError, cls, "/ipcrs-a\\x00b", posix_ipc.O_CREX)
                assert "NUL" in str(e) or "nul" in str(e), e
            # A bytes name is refused too (posix_ipc truncated it at the NUL).
            expect(ValueError, posix_ipc.Semaphore, b"/ipcrs-a\\x00b", posix_ipc.O_CREX)
        """)

    def test_send_of_a_non_buffer_is_a_type_error(self):
        # posix_ipc: SIGSEGV for send(5), send(None), send() and send('\\udcff').
        run_probe(self, """
            q = posix_ipc.MessageQueue(pname(), posix_ipc.O_CREX, max_messages=2, max_message_size=16)
            try:
                expect(TypeError, q.send, 5)
                expect(TypeError, q.send, None)
                expect(TypeError, q.send)
                expect(UnicodeEncodeError, q.send, "\\udcff")
                assert q.current_messages == 0
                q.send(bytearray(b"ok"))
                q.send(memoryview(b"view"))
                assert q.receive(0) == (b"ok", 0) and q.receive(0) == (b"view", 0)
            finally:
                q.close()
                q.unlink()
        """)

    def test_del_block_is_an_attribute_error(self):
        # posix_ipc: SIGSEGV (the setter was called with NULL).
        run_probe(self, """
            q = posix_ipc.MessageQueue(pname(), posix_ipc.O_CREX, max_messages=2, max_message_size=16)
            try:
                expect(AttributeError, delattr, q, "block")
                assert q.block is True
            finally:
                q.close()
                q.unlink()
        """)

    def test_repr_of_an_uninitialised_object_cannot_happen(self):
        # posix_ipc: repr(Semaphore.__new__(Semaphore)) is a SIGSEGV.
        run_probe(self, """
            for cls in (posix_ipc.Semaphore, posix_ipc.SharedMemory, posix_ipc.MessageQueue):
                expect(TypeError, cls.__new__, cls)
        """)

    def test_an_empty_semaphore_file_is_an_error_not_sigbus(self):
        # posix_ipc issue #51: `touch /dev/shm/sem.foo`, then release() is a bus error.
        run_probe(self, """
            name = pname()
            path = "/dev/shm/sem." + name[1:]
            open(path, "wb").close()
            try:
                try:
                    s = posix_ipc.Semaphore(name)
                    s.release()
                except (posix_ipc.Error, ValueError, OSError) as e:
                    print("refused:", type(e).__name__, e)
                else:
                    raise AssertionError("an empty semaphore file was accepted")
            finally:
                os.unlink(path)
        """)

    def test_collecting_a_queue_with_a_pending_thread_notification(self):
        # posix_ipc: use-after-free risk (the callback dereferenced the freed object).
        run_probe(self, """
            import threading
            name = pname()
            fired = threading.Event()
            q = posix_ipc.MessageQueue(name, posix_ipc.O_CREX, max_messages=2, max_message_size=16)
            try:
                q.request_notification((lambda _: fired.set(), None))
                del q
                gc.collect()
                other = posix_ipc.MessageQueue(name)
                other.send(b"x")
                fired.wait(1)  # fired or not (the handle closed), never a crash
                other.close()
            finally:
                posix_ipc.unlink_message_queue(name)
        """)

    def test_numbers_are_range_checked_not_wrapped(self):
        # posix_ipc wrapped size=2**64 to 0, size=-1 to 2**64-1, initial_value=2**32 to 0,
        # SharedMemory flags=-1 to 0xFFFFFFFF, and turned 1e30/nan timeouts into wrong errors.
        run_probe(self, """
            for size in (2**64, -1):
                expect(OverflowError, posix_ipc.SharedMemory, pname(), posix_ipc.O_CREX, size=size)
            expect(OverflowError, posix_ipc.Semaphore, pname(), posix_ipc.O_CREX, initial_value=2**32)
            expect(ValueError, posix_ipc.SharedMemory, pname(), -1, size=16)
            s = posix_ipc.Semaphore(None, posix_ipc.O_CREX)
            try:
                expect(ValueError, s.acquire, float("nan"))
                expect(ValueError, s.acquire, 1e30)
                expect(TypeError, s.acquire, -1)
                expect(TypeError, s.acquire, "1")
            finally:
                s.unlink()
                s.close()
            q = posix_ipc.MessageQueue(None, posix_ipc.O_CREX, max_messages=2, max_message_size=16)
            try:
                expect(ValueError, q.send, b"x", priority=posix_ipc.QUEUE_PRIORITY_MAX + 1)
                expect(ValueError, q.send, b"x", priority=-1)
                expect(ValueError, q.send, b"x" * 17)
                expect(ValueError, q.request_notification, 0)
                expect(ValueError, q.request_notification, [print, None])
            finally:
                q.close()
                q.unlink()
        """)

    def test_closed_handles_raise_existential_error(self):
        run_probe(self, """
            s = posix_ipc.Semaphore(None, posix_ipc.O_CREX, initial_value=1)
            s.close()
            expect(posix_ipc.ExistentialError, s.acquire, 0)
            expect(posix_ipc.ExistentialError, s.release)
            expect(posix_ipc.ExistentialError, s.close)
            s.unlink()  # allowed after close, as posix_ipc's documentation says
            q = posix_ipc.MessageQueue(None, posix_ipc.O_CREX, max_messages=2, max_message_size=16)
            q.close()
            expect(posix_ipc.ExistentialError, q.send, b"x")
            expect(posix_ipc.ExistentialError, q.receive, 0)
            assert q.mqd == -1
            q.unlink()
            m = posix_ipc.SharedMemory(None, posix_ipc.O_CREX, size=64)
            m.close_fd()
            m.close_fd()  # a second call does nothing
            assert m.fd == -1
            expect(posix_ipc.ExistentialError, getattr, m, "size")
            m.unlink()
        """)


class SysvIpcCrashers(unittest.TestCase):
    """sysv_ipc 1.2.0, inventory sections 1.4, 1.6, 1.8 and the checklist of 7."""

    def test_del_of_a_writable_attribute_is_an_attribute_error(self):
        # sysv_ipc: SIGSEGV for each of these (the setter got NULL).
        run_probe(self, """
            s, m, q = sem_key(), shm_key(), mq_key()
            try:
                for obj, names in ((s, ("value", "block", "undo", "mode", "uid", "gid")),
                                   (m, ("uid", "gid", "mode")),
                                   (q, ("max_size", "uid", "gid", "mode"))):
                    for name in names:
                        expect(AttributeError, delattr, obj, name)
                for obj, name in ((s, "key"), (m, "size"), (q, "id")):
                    expect(AttributeError, delattr, obj, name)
            finally:
                s.remove(); m.detach(); m.remove(); q.remove()
        """)

    def test_wrong_arguments_to_write_and_send_are_type_errors(self):
        # sysv_ipc: write(some_bytes=...) and send(message=None) segfaulted
        # (a Py_buffer released before it was filled); write(5) sometimes too.
        run_probe(self, """
            m, q = shm_key(), mq_key()
            try:
                expect(TypeError, m.write, some_bytes=b"x")
                expect(TypeError, m.write, 5)
                expect(TypeError, m.write)
                expect(TypeError, q.send, message=None)
                expect(TypeError, q.send, 5)
                expect(TypeError, q.send)
                m.write(s=b"ok")
                q.send(message=b"ok")
                assert m.read(2) == b"ok" and q.receive() == (b"ok", 1)
            finally:
                m.detach(); m.remove(); q.remove()
        """)

    def test_memoryview_across_detach_is_refused(self):
        # sysv_ipc: `mv = memoryview(m); m.detach(); mv[0]` read unmapped memory.
        run_probe(self, """
            m = shm_key(size=64)
            try:
                m.write(b"abc")
                mv = memoryview(m)
                expect(BufferError, m.detach)
                expect(BufferError, m.attach)
                assert mv[0] == ord("a") and m.attached
                mv[1] = ord("B")
                assert m.read(3) == b"aBc"
                mv.release()
                m.detach()
                assert not m.attached
            finally:
                m.remove()
        """)

    def test_memoryview_of_a_detached_segment_is_refused(self):
        # sysv_ipc: a NULL buffer; mv[0] was a SystemError and bytes(mv) a SIGSEGV.
        run_probe(self, """
            m = shm_key(size=64)
            try:
                m.detach()
                expect(sysv_ipc.NotAttachedError, memoryview, m)
                expect(sysv_ipc.NotAttachedError, bytes, m)
            finally:
                m.remove()
        """)

    def test_a_read_only_attachment_gives_read_only_views(self):
        # sysv_ipc: memoryview.readonly was False, and mv[0] = 65 a SIGSEGV.
        run_probe(self, """
            m = shm_key(size=64)
            try:
                m.write(b"x")
                m.attach(None, sysv_ipc.SHM_RDONLY)
                mv = memoryview(m)
                assert mv.readonly
                expect(TypeError, mv.__setitem__, 0, 65)
                assert bytes(mv[:1]) == b"x"
                mv.release()
                expect(OSError, m.write, b"y")
            finally:
                m.detach(); m.remove()
        """)

    def test_keys_sizes_offsets_and_values_are_not_wrapped(self):
        # sysv_ipc cut keys to 32 bits, wrapped size=2**64 to one page, offset=2**64 to 0,
        # max_size=2**64+7 to 7, value=2**32+5 to 5, and ftok ids to their low byte.
        run_probe(self, """
            k = free_key(sysv_ipc.SharedMemory)
            e = expect(ValueError, sysv_ipc.SharedMemory, 2**32 + k, sysv_ipc.IPC_CREX, size=16)
            assert "KEY_MAX" in str(e), e
            expect(sysv_ipc.ExistentialError, sysv_ipc.SharedMemory, k)  # nothing was made at k
            expect(ValueError, sysv_ipc.Semaphore, 2**40 + 777)
            expect(ValueError, sysv_ipc.MessageQueue, -2**31 - 1, sysv_ipc.IPC_CREX)
            assert (sysv_ipc.KEY_MIN, sysv_ipc.KEY_MAX) == (-2**31, 2**31 - 1)
            expect(OverflowError, sysv_ipc.SharedMemory, None, sysv_ipc.IPC_CREX, size=2**64)
            m = shm_key(size=16)
            try:
                expect(OverflowError, m.write, b"x", 2**64)
                expect(ValueError, m.write, b"x", -1)
                assert m.read(1) == b" "
            finally:
                m.detach(); m.remove()
            q = mq_key()
            try:
                before = q.max_size
                expect(ValueError, setattr, q, "max_size", 2**64 + 7)
                assert q.max_size == before
            finally:
                q.remove()
            s = sem_key()
            try:
                e = expect(ValueError, setattr, s, "value", 2**32 + 5)
                assert str(e) == "The semaphore's value must remain between 0 and SEMVMX"
                assert s.value == 0
                expect(ValueError, s.acquire, None, 40000)
                expect(ValueError, s.release, 0)
            finally:
                s.remove()
            expect(ValueError, sysv_ipc.ftok, ".", 0x1FF, silence_warning=True)
        """)

    def test_a_bad_initial_value_creates_nothing(self):
        # sysv_ipc created the semaphore, then SETVAL failed and it was left behind.
        run_probe(self, """
            for cls, kw in ((sysv_ipc.Semaphore, {"initial_value": 40000}),
                            (sysv_ipc.Semaphore, {"initial_value": -1}),
                            (sysv_ipc.Semaphore, {"mode": 0o1600})):
                k = free_key(cls)
                expect(ValueError, cls, k, sysv_ipc.IPC_CREX, **kw)
                expect(sysv_ipc.ExistentialError, cls, k)
        """)

    def test_attach_twice_keeps_one_mapping_and_collection_detaches(self):
        # sysv_ipc leaked a mapping per extra attach() and never detached on dealloc.
        run_probe(self, """
            m = shm_key(size=64)
            try:
                m.attach()
                m.attach()
                assert m.number_attached == 1, m.number_attached
                other = sysv_ipc.attach(m.id)
                assert m.number_attached == 2 and other.key == m.key
                del other
                gc.collect()
                assert m.number_attached == 1, m.number_attached
            finally:
                m.detach(); m.remove()
        """)

    def test_ftok_with_warnings_as_errors_raises_the_warning(self):
        # sysv_ipc: SystemError ("returned a result with an exception set").
        run_probe(self, """
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                expect(Warning, sysv_ipc.ftok, ".", 42)
            assert isinstance(sysv_ipc.ftok(".", 42, silence_warning=True), int)
        """)

    def test_semaphore_timeouts_work(self):
        # sysv_ipc's Linux wheel had no semtimedop: acquire(0) and acquire(t) blocked for ever.
        run_probe(self, """
            assert sysv_ipc.SEMAPHORE_TIMEOUT_SUPPORTED is True
            s = sem_key()
            try:
                start = time.monotonic()
                expect(sysv_ipc.BusyError, s.acquire, 0)
                expect(sysv_ipc.BusyError, s.acquire, 0.3)
                took = time.monotonic() - start
                assert 0.25 <= took < 3, took
                expect(ValueError, s.acquire, float("nan"))
                expect(TypeError, s.acquire, -1)
                assert s.o_time == 0  # no operation yet, as in sysv_ipc
            finally:
                s.remove()
        """)


if __name__ == "__main__":
    unittest.main()
