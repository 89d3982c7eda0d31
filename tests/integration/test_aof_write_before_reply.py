"""The AOF is written before the replies go out (Redis's order: it writes its AOF buffer before
it sends the replies of an event-loop iteration): with every appendfsync policy, a write that
was acknowledged is in the incremental file when its reply arrives, for pipelines, for several
connections on two workers, for a blocked client served by another connection, and after a
rewrite switched files.  Only the fsync is left for later (everysec, no)."""
import os
import threading
import time

import redis

from harness import Server, run_tests, resp


def incr_path(s):
    d = os.path.join(s.dir, "appendonlydir")
    with open(os.path.join(d, "appendonly.aof.manifest")) as f:
        names = [line.split()[1] for line in f if line.split()[-1] == "i"]
    return os.path.join(d, names[-1])


def read(path):
    # Lowered: a command's name is logged as the client sent it (redis-py sends "SET").
    with open(path, "rb") as f:
        return f.read().lower()


def check_each_write_is_in_the_file(binary, policy, *extra):
    s = Server(binary, "--appendonly", "yes", "--appendfsync", policy, *extra)
    try:
        r = s.redis()
        path = incr_path(s)
        missing = []
        for i in range(300):
            value = f"{policy}-{i}"
            assert r.set(f"k{i}", value) is True
            if resp("set", f"k{i}", value) not in read(path):
                missing.append(i)
        # A pipeline: every reply of the batch comes after the batch's bytes are written.
        p = r.pipeline(transaction=False)
        for i in range(50):
            p.incr("counter")
        assert p.execute()[-1] == 50
        if read(path).count(resp("incrby", "counter", 1)) != 50:  # redis-py sends INCRBY
            missing.append("pipeline")
        assert missing == [], f"appendfsync {policy}: acknowledged but not in the file: {missing[:10]}"
    finally:
        s.stop()


def test_everysec_acknowledged_write_is_in_the_file(binary):
    check_each_write_is_in_the_file(binary, "everysec")


def test_no_acknowledged_write_is_in_the_file(binary):
    check_each_write_is_in_the_file(binary, "no")


def test_always_acknowledged_write_is_in_the_file(binary):
    check_each_write_is_in_the_file(binary, "always")


def test_many_connections_on_two_workers(binary):
    # Each worker writes what it (and the other) logged before its replies leave; a worker whose
    # bytes the other one took finds them written.  Every acknowledged write is checked.
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "everysec", "--io-threads", "2")
    try:
        path = incr_path(s)
        failures = []

        def client(n):
            r = s.redis()
            for i in range(150):
                value = f"c{n}-{i}"
                r.set(f"c{n}:{i}", value)
                if resp("set", f"c{n}:{i}", value) not in read(path):
                    failures.append((n, i))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == [], failures[:10]
    finally:
        s.stop()


def test_blocked_client_reply_follows_the_effect(binary):
    # BLPOP served by an LPUSH of another connection (maybe another worker): when the blocked
    # client gets its element, the pop is in the file.
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "everysec", "--io-threads", "2")
    try:
        path = incr_path(s)
        for i in range(20):
            waiter = s.redis()
            result = {}

            def wait(i=i, waiter=waiter):
                result["reply"] = waiter.blpop(f"q{i}", timeout=5)
                result["file"] = read(path)

            t = threading.Thread(target=wait)
            t.start()
            deadline = time.time() + 5
            pusher = s.redis()
            while pusher.info("clients")["blocked_clients"] < 1:
                assert time.time() < deadline
                time.sleep(0.005)
            pusher.lpush(f"q{i}", f"e{i}")
            t.join()
            assert result["reply"] == (f"q{i}".encode(), f"e{i}".encode())
            # Redis propagates the served BLPOP as the push then a pop of the element.
            assert resp("lpush", f"q{i}", f"e{i}") in result["file"]
            assert resp("lpop", f"q{i}") in result["file"], result["file"][-200:]
    finally:
        s.stop()


def test_after_a_rewrite_writes_go_to_the_new_file_before_the_reply(binary):
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "everysec")
    try:
        r = s.redis()
        r.set("before", "1")
        r.bgrewriteaof()
        deadline = time.time() + 20
        while r.info("persistence")["aof_rewrite_in_progress"]:
            assert time.time() < deadline
            time.sleep(0.02)
        path = incr_path(s)
        assert path.endswith("appendonly.aof.2.incr.aof")
        for i in range(50):
            r.set(f"after{i}", "x")
            assert resp("set", f"after{i}", "x") in read(path)
    finally:
        s.stop()


if __name__ == "__main__":
    run_tests(globals())
