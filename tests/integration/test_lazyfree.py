"""Lazy freeing on the real binary (server/lazy_free.h): UNLINK of big values of every
aggregate type and FLUSHALL ASYNC of a big keyspace answer before the memory is released
(shown without timing: DEBUG LAZYFREE-PAUSE holds the free thread, so the values are pending
and still counted in used_memory), then lazyfreed_objects counts them and used_memory drops
back.  SHUTDOWN with values still queued exits cleanly."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

N = 200000  # members per value


def mem(r):
    return r.info("memory")


def wait_drained(r, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if mem(r)["lazyfree_pending_objects"] == 0:
            return
        time.sleep(0.02)
    raise AssertionError("lazy free did not finish")


def fill_big_values(r):
    batch = 10000
    for start in range(0, N, batch):
        p = r.pipeline(transaction=False)
        ids = range(start, start + batch)
        p.sadd("set", *["m%d" % i for i in ids])
        p.hset("hash", mapping={"f%d" % i: "v" for i in ids})
        p.zadd("zset", {"m%d" % i: i for i in ids})
        p.rpush("list", *["e%d" % i for i in ids])
        for i in ids:
            p.xadd("stream", {"f": "v"}, id="%d-1" % (i + 1))
        p.execute()


def test_unlink_big_values_frees_in_the_background(binary):
    with Server(binary, "--enable-debug-command", "yes") as s:
        r = s.redis()
        r.config_set("stream-node-max-entries", "10")  # many stream nodes
        base = mem(r)["used_memory"]
        fill_big_values(r)
        r.xgroup_create("stream", "g", id="0")
        r.xreadgroup("g", "alice", {"stream": ">"}, count=100)
        peak = mem(r)["used_memory"]
        assert peak > base + 20 * 1024 * 1024, (base, peak)
        assert r.execute_command("DEBUG", "LAZYFREE-PAUSE", "1") == b"OK"
        keys = ["set", "hash", "zset", "list", "stream"]
        assert r.unlink(*keys) == 5
        m = mem(r)
        # The reply came back; the five values wait for the thread, still counted.
        assert m["lazyfree_pending_objects"] == 5, m["lazyfree_pending_objects"]
        assert m["used_memory"] > base + 20 * 1024 * 1024, (base, m["used_memory"])
        assert r.exists(*keys) == 0
        r.execute_command("DEBUG", "LAZYFREE-PAUSE", "0")
        wait_drained(r)
        m = mem(r)
        assert m["lazyfreed_objects"] == 5, m["lazyfreed_objects"]
        assert m["used_memory"] < base + 5 * 1024 * 1024, (base, m["used_memory"])


def test_flushall_async_hands_the_keyspace_over(binary):
    with Server(binary, "--enable-debug-command", "yes", "--io-threads", "2") as s:
        r = s.redis()
        base = mem(r)["used_memory"]
        keys = 300000
        r.execute_command("DEBUG", "POPULATE", str(keys), "key", "100")
        r.select(3)
        r.execute_command("DEBUG", "POPULATE", "1000", "key", "10")
        peak = mem(r)["used_memory"]
        assert peak > base + 30 * 1024 * 1024, (base, peak)
        r.execute_command("DEBUG", "LAZYFREE-PAUSE", "1")
        assert r.flushall(asynchronous=True)
        m = mem(r)
        assert m["lazyfree_pending_objects"] == keys + 1000, m["lazyfree_pending_objects"]
        assert m["used_memory"] > base + 30 * 1024 * 1024
        assert r.dbsize() == 0
        r.select(0)
        assert r.dbsize() == 0
        r.execute_command("DEBUG", "LAZYFREE-PAUSE", "0")
        wait_drained(r)
        m = mem(r)
        assert m["lazyfreed_objects"] == keys + 1000, m["lazyfreed_objects"]
        assert m["used_memory"] < base + 5 * 1024 * 1024, (base, m["used_memory"])
        r.config_resetstat()
        assert mem(r)["lazyfreed_objects"] == 0


def test_shutdown_with_values_still_queued(binary):
    with Server(binary, "--enable-debug-command", "yes") as s:
        r = s.redis()
        r.execute_command("DEBUG", "POPULATE", "100000", "key", "10")
        r.sadd("big", *range(100000))
        r.execute_command("DEBUG", "LAZYFREE-PAUSE", "1")
        r.unlink("big")
        r.flushall(asynchronous=True)
        assert mem(r)["lazyfree_pending_objects"] == 100001
        try:
            r.shutdown(nosave=True)
        except Exception:
            pass  # the connection closes
        assert s.proc.wait(timeout=20) == 0
        assert "ready to exit" in s.read_log()


if __name__ == "__main__":
    run_tests(globals())
