"""Several workers, many clients: counts are exact and multi-key commands are atomic."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def test_incr_exact_totals_across_workers(binary):
    with Server(binary, "--io-threads", "4") as s:
        clients, per_client, keys = 16, 2000, 4
        errors = []

        def work(idx):
            try:
                c = s.connect()
                batch = b"".join(b"*2\r\n$4\r\nINCR\r\n$5\r\nctr:%d\r\n" % (i % keys)
                                 for i in range(per_client))
                c.send(batch)
                for _ in range(per_client):
                    r = c.read_reply()
                    if not r.startswith(b":"):
                        errors.append(r)
                c.close()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        c = s.connect()
        total = sum(int(c.command("GET", "ctr:%d" % k)[1:-2].split(b"\r\n")[-1]) for k in range(keys))
        assert total == clients * per_client, total
        # Each key got exactly its share.
        for k in range(keys):
            r = c.command("GET", "ctr:%d" % k)
            assert r.endswith(b"\r\n%d\r\n" % (clients * per_client // keys)), r


def test_mset_never_half_applied(binary):
    with Server(binary, "--io-threads", "4") as s:
        keys = ["mk:%d" % i for i in range(10)]
        stop = threading.Event()
        bad = []

        def writer(tag):
            c = s.connect()
            n = 0
            while not stop.is_set():
                n += 1
                val = "%s-%d" % (tag, n)
                args = ["MSET"]
                for k in keys:
                    args += [k, val]
                assert c.command(*args) == b"+OK\r\n"

        def reader():
            c = s.connect()
            for _ in range(3000):
                r = c.command("MGET", *keys)
                parts = r.split(b"\r\n")
                values = [parts[i] for i in range(2, len(parts), 2) if parts[i - 1] != b"$-1"]
                if values and len(set(values)) != 1:
                    bad.append(values)
                    return

        ws = [threading.Thread(target=writer, args=("w%d" % i,)) for i in range(3)]
        rs = [threading.Thread(target=reader) for _ in range(3)]
        for t in ws + rs:
            t.start()
        for t in rs:
            t.join()
        stop.set()
        for t in ws:
            t.join()
        assert not bad, bad[0]


if __name__ == "__main__":
    run_tests(dict(globals()))
