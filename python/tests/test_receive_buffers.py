"""The drop-ins' receive paths reuse a per-thread buffer (POSIX queues) and
read shared memory straight into the returned bytes (System V): every call
must still return exactly the bytes sent or written, whatever sizes came
before it on the same thread and whatever other threads receive meanwhile.
(Messages above the kept buffer's 64 KiB take a fresh buffer; queues that
large need a raised fs.mqueue.msgsize_max, so that path is not run here.)

Run with the drop-ins installed: python -m unittest discover -s python/tests
"""
import random
import threading
import unittest

import posix_ipc
import sysv_ipc


def pname():
    return "/ipcrs-py-%016x" % random.getrandbits(64)


class PosixReceive(unittest.TestCase):
    def queue(self, size):
        q = posix_ipc.MessageQueue(pname(), posix_ipc.O_CREX, 0o600, 4, size)
        self.addCleanup(q.unlink)
        self.addCleanup(q.close)
        return q

    def test_each_receive_returns_exactly_its_message(self):
        small, large = self.queue(64), self.queue(8192)
        for q, payload in [(large, bytes(range(256)) * 32), (small, b"ab"), (large, b"x"),
                           (small, b""), (large, b"\xff" * 8192), (small, "text")]:
            q.send(payload, priority=3)
            want = payload.encode() if isinstance(payload, str) else payload
            self.assertEqual(q.receive(0), (want, 3))

    def test_threads_receive_their_own_messages(self):
        q = self.queue(1024)
        results = []

        def worker(n):
            q.send(bytes([n]) * 1000)
            results.append(q.receive(5))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(m[:1] * 1000 for m, _ in results),
                         sorted(bytes([n]) * 1000 for n in range(4)))
        self.assertTrue(all(len(set(m)) == 1 for m, _ in results))


class SysvRead(unittest.TestCase):
    def test_read_returns_exactly_the_bytes_asked_for(self):
        while True:
            try:
                shm = sysv_ipc.SharedMemory(0x1C5A0000 | random.getrandbits(16),
                                            sysv_ipc.IPC_CREX, size=3 * 4096)
                break
            except sysv_ipc.ExistentialError:
                continue
        self.addCleanup(shm.remove)
        self.addCleanup(shm.detach)
        data = bytes(random.getrandbits(8) for _ in range(3 * 4096))
        shm.write(data)
        self.assertEqual(shm.read(), data)
        self.assertEqual(shm.read(10, 4095), data[4095:4105])
        self.assertEqual(shm.read(0, 3 * 4096 - 5), data[-5:])
        with self.assertRaises(ValueError):
            shm.read(1, 3 * 4096)


if __name__ == "__main__":
    unittest.main()
