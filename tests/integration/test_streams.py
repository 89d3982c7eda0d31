"""Streams with real clients over several workers: redis-py's stream API, redis-cli's XINFO
output, and a work queue where producers and blocked group consumers on different workers
hand every entry to exactly one consumer, with XACK and XAUTOCLAIM of a dead consumer's
entries."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def test_redis_py_stream_api(binary):
    with Server(binary, "--io-threads", "2") as s:
        r = s.redis(decode_responses=True)
        first = r.xadd("events", {"type": "click", "page": "/a"}, id="1-1")
        assert first == "1-1"
        r.xadd("events", {"type": "view", "page": "/b"}, id="2-0")
        r.xadd("events", {"type": "click", "page": "/c"}, id="3-0", maxlen=10, approximate=False)
        assert r.xlen("events") == 3
        assert r.xrange("events", "-", "+", count=2) == [
            ("1-1", {"type": "click", "page": "/a"}), ("2-0", {"type": "view", "page": "/b"})]
        assert [e[0] for e in r.xrevrange("events", "+", "-")] == ["3-0", "2-0", "1-1"]
        assert r.xread({"events": "2-0"}) == [["events", [("3-0", {"type": "click", "page": "/c"})]]]
        r.xgroup_create("events", "workers", id="0")
        got = r.xreadgroup("workers", "w1", {"events": ">"}, count=2)
        assert [e[0] for e in got[0][1]] == ["1-1", "2-0"]
        pending = r.xpending("events", "workers")
        assert pending["pending"] == 2 and pending["min"] == "1-1" and pending["max"] == "2-0"
        assert pending["consumers"] == [{"name": "w1", "pending": 2}]
        assert r.xack("events", "workers", "1-1") == 1
        claimed = r.xclaim("events", "workers", "w2", 0, ["2-0"])
        assert claimed == [("2-0", {"type": "view", "page": "/b"})]
        cursor, entries, deleted = r.xautoclaim("events", "workers", "w3", 0, "0-0")
        assert cursor == "0-0" and [e[0] for e in entries] == ["2-0"] and deleted == []
        info = r.xinfo_stream("events")
        assert info["length"] == 3 and info["last-generated-id"] == "3-0"
        assert info["first-entry"] == ("1-1", {"type": "click", "page": "/a"})
        groups = r.xinfo_groups("events")
        assert groups[0]["name"] == "workers" and groups[0]["pending"] == 1
        assert groups[0]["lag"] == 1
        consumers = {c["name"]: c for c in r.xinfo_consumers("events", "workers")}
        assert consumers["w3"]["pending"] == 1 and consumers["w1"]["pending"] == 0
        assert r.xtrim("events", maxlen=1, approximate=False) == 2
        assert r.xdel("events", "3-0") == 1
        assert r.xlen("events") == 0 and r.exists("events") == 1


def test_redis_cli_xinfo_and_resp3(binary):
    with Server(binary) as s:
        s.cli("XADD", "s", "5-0", "name", "ada")
        out = s.cli("--no-raw", "XINFO", "STREAM", "s").stdout.decode().split("\n")
        assert out[:4] == [' 1) "length"', " 2) (integer) 1", ' 3) "radix-tree-keys"',
                           " 4) (integer) 1"], out
        assert ' 7) "last-generated-id"' in out and ' 8) "5-0"' in out
        # RESP3: XREAD answers a map, which redis-cli prints as one.
        out3 = s.cli("-3", "--no-raw", "XREAD", "STREAMS", "s", "0").stdout.decode()
        assert out3 == '1# "s" => \n   1) 1) "5-0"\n      2) 1) "name"\n         2) "ada"\n', out3


def test_blocked_xread_on_other_workers(binary):
    # Readers blocked with `$` on four workers all receive the entry added after they blocked.
    with Server(binary, "--io-threads", "4") as s:
        control = s.connect()
        control.command("XADD", "feed", "1-0", "old", "x")
        readers = []
        for _ in range(8):
            c = s.connect()
            c.send(b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$4\r\nfeed\r\n$1\r\n$\r\n")
            readers.append(c)
        for _ in range(200):
            if b"blocked_clients:8" in control.command("INFO", "clients"):
                break
            time.sleep(0.01)
        assert control.command("XADD", "feed", "2-0", "new", "y") == b"$3\r\n2-0\r\n"
        want = b"*1\r\n*2\r\n$4\r\nfeed\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$3\r\nnew\r\n$1\r\ny\r\n"
        for c in readers:
            assert c.read_reply() == want


def test_work_queue_exactly_once(binary):
    # 4 producers and 6 blocked consumers of one group over 4 workers.  A dead consumer read an
    # entry and never acknowledged it; once it has been idle long enough, XAUTOCLAIM hands it to
    # a janitor.  In the end every entry was acknowledged exactly once and nothing is pending.
    with Server(binary, "--io-threads", "4") as s:
        admin = s.redis(decode_responses=True)
        admin.xgroup_create("jobs", "g", id="$", mkstream=True)
        producers, per_producer = 4, 500
        total = producers * per_producer
        acked = {}
        lock = threading.Lock()
        stop = threading.Event()

        dead = s.redis(decode_responses=True)
        admin.xadd("jobs", {"p": "x", "n": "0"})
        lost = dead.xreadgroup("g", "dead", {"jobs": ">"}, count=1)[0][1]
        assert len(lost) == 1
        lost_at = time.monotonic()

        def record(r, eid):
            with lock:
                acked[eid] = acked.get(eid, 0) + 1
            assert r.xack("jobs", "g", eid) == 1

        def consume(name):
            r = s.redis(decode_responses=True)
            while not stop.is_set():
                got = r.xreadgroup("g", name, {"jobs": ">"}, count=20, block=100)
                for eid, _fields in (got[0][1] if got else []):
                    record(r, eid)

        def produce(p):
            r = s.redis(decode_responses=True)
            for n in range(per_producer):
                r.xadd("jobs", {"p": str(p), "n": str(n)})

        consumers = [threading.Thread(target=consume, args=("c%d" % i,)) for i in range(6)]
        for t in consumers:
            t.start()
        producer_threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        for t in producer_threads:
            t.start()
        for t in producer_threads:
            t.join()
        deadline = time.time() + 30
        while time.time() < deadline:
            with lock:
                if len(acked) == total:
                    break
            time.sleep(0.05)
        stop.set()
        for t in consumers:
            t.join()
        assert len(acked) == total, (len(acked), total)
        assert admin.xpending("jobs", "g")["consumers"] == [{"name": "dead", "pending": 1}]
        time.sleep(max(0.0, 1.1 - (time.monotonic() - lost_at)))
        janitor = s.redis(decode_responses=True)
        cursor, entries, deleted = janitor.xautoclaim("jobs", "g", "janitor", 1000, "0-0")
        assert cursor == "0-0" and deleted == [] and [e[0] for e in entries] == [lost[0][0]]
        record(janitor, lost[0][0])
        assert all(v == 1 for v in acked.values()), [k for k, v in acked.items() if v != 1][:5]
        assert admin.xpending("jobs", "g")["pending"] == 0
        assert admin.xlen("jobs") == total + 1


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_hostile_stream_arguments(binary):
    # Counts, limits and IDs at their extremes: each gets Redis's reply (checked byte for byte
    # in test_streams_vs_redis and the command tests), answers at once, allocates nothing in
    # proportion to the number given, and leaves the server serving.
    big = "9223372036854775807"
    top = "18446744073709551615-18446744073709551615"
    with Server(binary, "--io-threads", "2") as s:
        c = s.connect()
        for i in range(300):
            c.command("XADD", "s", "*", "f", "v%d" % i)
        c.command("XGROUP", "CREATE", "s", "g", "0")
        c.command("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
        before = rss_bytes(s.proc.pid)
        cases = [
            # Redis allocates COUNT stream IDs first: 2^59 of them cannot be had (redis-server
            # 7.2.4 answers this on this machine; see XAutoClaimCmd).
            (["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "576460752303423487"],
             b"-ERR Insufficient memory, failed allocating transient memory, COUNT too high.\r\n"),
            (["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "1000000"], b"*3\r\n"),
            (["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "576460752303423488"],
             b"-ERR COUNT must be > 0\r\n"),
            (["XRANGE", "s", "-", "+", "COUNT", big], b"*300\r\n"),
            (["XREVRANGE", "s", "+", "-", "COUNT", "-" + big], b"*-1\r\n"),
            (["XREAD", "COUNT", big, "STREAMS", "s", "0"], b"*1\r\n"),
            (["XINFO", "STREAM", "s", "FULL", "COUNT", big], b"*18\r\n"),
            (["XPENDING", "s", "g", "IDLE", big, "-", "+", big], b"*0\r\n"),
            (["XPENDING", "s", "g", "-", "+", big, "b"], b"*300\r\n"),
            (["XCLAIM", "s", "g", "c", big, "0-1", "IDLE", "-" + big, "RETRYCOUNT", big],
             b"*0\r\n"),
            (["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", big], b":300\r\n"),
            (["XTRIM", "s", "MINID", top], b":0\r\n"),
            (["XADD", "s", top, "f", "v"], b"$41\r\n" + top.encode() + b"\r\n"),
            (["XADD", "s", "*", "f", "v"],
             b"-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"),
            (["XADD", "s", "1-" + "9" * 130, "f", "v"],
             b"-ERR Invalid stream ID specified as stream command argument\r\n"),
            (["XSETID", "s", top, "ENTRIESADDED", big, "MAXDELETEDID", top], b"+OK\r\n"),
            (["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", big], b"+OK\r\n"),
            (["XINFO", "GROUPS", "s"], b"*2\r\n"),
            (["XADD", "wide", "*"] + ["f%d" % i if j == 0 else "v" for i in range(5000) for j in (0, 1)],
             None),
        ]
        for args, want in cases:
            got = c.command(*args)
            if want is not None:
                assert got.startswith(want), (args[:6], got[:120])
        assert c.command("XLEN", "wide") == b":1\r\n"
        assert c.command("PING") == b"+PONG\r\n"
        assert s.proc.poll() is None
        # Nothing above may allocate in proportion to the counts it was given.
        assert rss_bytes(s.proc.pid) - before < 32 * 1024 * 1024, rss_bytes(s.proc.pid) - before


if __name__ == "__main__":
    run_tests(globals())
