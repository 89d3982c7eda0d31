"""Client-side caching (CLIENT TRACKING) against the real binary with several workers:
invalidations that cross workers, RESP3 pushes, the RESP2 redirect to __redis__:invalidate,
BCAST, OPTIN/OPTOUT, NOLOOP, broken redirects, flushes, expiry, the table bound, and real
clients (redis-py 4.3's tracking commands with its PubSub, redis-cli -3 showing pushes)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

WORKERS = ("--io-threads", "4")


def bulk(s):
    s = s if isinstance(s, bytes) else s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def keys(*names):
    return b"*%d\r\n" % len(names) + b"".join(bulk(n) for n in names)


def push(*names):
    return b">2\r\n" + bulk(b"invalidate") + keys(*names)


def message(*names):
    return b"*3\r\n" + bulk(b"message") + bulk(b"__redis__:invalidate") + keys(*names)


def resp3(s):
    c = s.connect()
    assert c.command("HELLO", "3").startswith(b"%")
    return c


def writers(s, n=8):
    # With 4 workers, 8 connections all landing on the tracker's worker is a 1 in 65536 event.
    return [s.connect() for _ in range(n)]


def info_field(c, field):
    text = c.command("INFO", "everything").decode()
    return text.split("\r\n" + field + ":")[1].split("\r\n")[0]


def test_resp3_invalidations_cross_workers(binary):
    with Server(binary, *WORKERS) as s:
        tracker = resp3(s)
        assert tracker.command("CLIENT", "TRACKING", "on") == b"+OK\r\n"
        ws = writers(s)
        for i, _ in enumerate(ws):
            assert tracker.command("GET", "k%d" % i) == b"_\r\n"
        assert info_field(ws[0], "tracking_total_keys") == str(len(ws))
        for i, w in enumerate(ws):
            assert w.command("SET", "k%d" % i, "v") == b"+OK\r\n"
            # Exactly one push per key, delivered by the tracker's own worker.
            assert tracker.read_reply() == push("k%d" % i)
        # Invalidated keys left the table: writing them again sends nothing.
        for i, w in enumerate(ws):
            assert w.command("SET", "k%d" % i, "w") == b"+OK\r\n"
        assert tracker.command("PING") == b"+PONG\r\n"
        assert info_field(ws[0], "tracking_total_keys") == "0"
        assert info_field(ws[0], "tracking_clients") == "1"


def test_resp2_redirect_to_subscriber(binary):
    with Server(binary, *WORKERS) as s:
        sink = s.connect()
        sink_id = int(sink.command("CLIENT", "ID")[1:-2])
        assert sink.command("SUBSCRIBE", "__redis__:invalidate").startswith(b"*3\r\n")
        tracker = s.connect()  # RESP2
        assert tracker.command("CLIENT", "TRACKING", "on", "REDIRECT", sink_id) == b"+OK\r\n"
        assert b"redir=%d " % sink_id in tracker.command("CLIENT", "INFO")
        assert tracker.command("MGET", "a", "b") == b"*2\r\n$-1\r\n$-1\r\n"
        for w in writers(s, 4):
            w.command("INCR", "a")
        # One message for "a": the key left the table with the first change.
        assert sink.read_reply() == message("a")
        tracker.command("SET", "b", "1")  # its own change goes to the redirect target too
        assert sink.read_reply() == message("b")
        assert sink.command("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def test_bcast_prefixes_cross_workers(binary):
    with Server(binary, *WORKERS) as s:
        tracker = resp3(s)
        assert tracker.command("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:",
                               "PREFIX", "cart:") == b"+OK\r\n"
        assert info_field(tracker, "tracking_total_prefixes") == "2"
        ws = writers(s, 4)
        for i, w in enumerate(ws):
            assert w.command("MSET", "user:%d" % i, "x", "other:%d" % i, "x") == b"+OK\r\n"
            assert tracker.read_reply() == push("user:%d" % i)
        # A transaction's keys arrive together, one message per prefix.
        w = ws[1]
        w.command("MULTI")
        for k in ("cart:2", "user:9", "cart:1", "nope"):
            w.command("SET", k, "1")
        assert w.command("EXEC").startswith(b"*4\r\n")
        got = {tracker.read_reply(), tracker.read_reply()}
        assert got == {push("cart:1", "cart:2"), push("user:9")}


def test_optin_optout_and_noloop(binary):
    with Server(binary, *WORKERS) as s:
        ws = writers(s, 2)
        optin = resp3(s)
        assert optin.command("CLIENT", "TRACKING", "on", "OPTIN") == b"+OK\r\n"
        optin.command("GET", "a")
        assert optin.command("CLIENT", "CACHING", "yes") == b"+OK\r\n"
        optin.command("GET", "b")
        optout = resp3(s)
        assert optout.command("CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP") == b"+OK\r\n"
        optout.command("GET", "a")
        assert optout.command("CLIENT", "CACHING", "no") == b"+OK\r\n"
        optout.command("GET", "b")
        optout.command("GET", "c")
        assert ws[0].command("MSET", "a", "1", "b", "1") == b"+OK\r\n"
        assert optin.read_reply() == push("b")
        assert optout.read_reply() == push("a")
        # NOLOOP: its own write of "c" is not reported; another client's is.
        assert optout.command("SET", "c", "1") == b"+OK\r\n"
        optout.command("GET", "c")
        assert ws[1].command("SET", "c", "2") == b"+OK\r\n"
        assert optout.read_reply() == push("c")
        assert optin.command("PING") == b"+PONG\r\n"


def test_broken_redirect_and_flush(binary):
    with Server(binary, *WORKERS) as s:
        sink = s.connect()
        sink_id = int(sink.command("CLIENT", "ID")[1:-2])
        tracker = resp3(s)
        assert tracker.command("CLIENT", "TRACKING", "on", "REDIRECT", sink_id) == b"+OK\r\n"
        tracker.command("GET", "k")
        sink.command("QUIT")
        sink.close()
        w = s.connect()
        deadline = time.time() + 5
        while b"id=%d " % sink_id in w.command("CLIENT", "LIST") and time.time() < deadline:
            time.sleep(0.01)
        w.command("SET", "k", "1")
        assert tracker.read_reply() == (b">2\r\n" + bulk("tracking-redir-broken") +
                                        b":%d\r\n" % sink_id)
        info = tracker.command("CLIENT", "TRACKINGINFO")
        assert bulk("broken_redirect") in info
        assert b" flags=tR " in tracker.command("CLIENT", "INFO")
        # FLUSHALL: a null invalidation to every tracking client, wherever it is.
        plain = resp3(s)
        assert plain.command("CLIENT", "TRACKING", "on", "BCAST") == b"+OK\r\n"
        assert w.command("FLUSHALL") == b"+OK\r\n"
        assert plain.read_reply() == b">2\r\n" + bulk("invalidate") + b"_\r\n"
        # ...and its own FLUSHDB's follows its reply.
        assert plain.command("FLUSHDB") == b"+OK\r\n"
        assert plain.read_reply() == b">2\r\n" + bulk("invalidate") + b"_\r\n"


def test_expired_keys_are_invalidated(binary):
    with Server(binary, *WORKERS) as s:
        tracker = resp3(s)
        tracker.command("CLIENT", "TRACKING", "on")
        w = s.connect()
        for i in range(20):
            w.command("SET", "e%d" % i, "v", "PX", "50")
            tracker.command("GET", "e%d" % i)
        got = set()
        deadline = time.time() + 5
        while len(got) < 20 and time.time() < deadline:
            got.add(tracker.read_reply())  # the active cycle reclaims them on any worker
        assert got == {push("e%d" % i) for i in range(20)}


def test_table_is_bounded(binary):
    with Server(binary, *WORKERS) as s:
        tracker = s.connect()
        tracker.command("CLIENT", "TRACKING", "on")
        w = s.connect()
        assert w.command("CONFIG", "SET", "tracking-table-max-keys", "100") == b"+OK\r\n"
        for i in range(0, 2000, 100):
            tracker.command("MGET", *["m%d" % j for j in range(i, i + 100)])
        tracker.command("PING")
        assert int(info_field(w, "tracking_total_keys")) <= 100
        assert int(info_field(w, "tracking_total_items")) <= 100


def test_redis_py_tracking_with_pubsub(binary):
    # redis-py 4.3 has no RESP3: its caching recipe is the RESP2 redirect to a PubSub.
    with Server(binary, *WORKERS) as s:
        sink = s.redis(client_name="sink").pubsub()
        sink.subscribe("__redis__:invalidate")
        assert sink.get_message(timeout=2)["type"] == "subscribe"
        admin = s.redis()
        sink_id = next(c["id"] for c in admin.client_list() if c["name"] == "sink")
        r = s.redis(single_connection_client=True)
        assert r.client_tracking_on(clientid=int(sink_id))
        assert r.client_trackinginfo()[3] == int(sink_id)
        r.get("cached")
        admin.set("cached", "new")
        msg = sink.get_message(timeout=5)
        assert msg["type"] == "message" and msg["channel"] == b"__redis__:invalidate"
        assert msg["data"] == [b"cached"]
        admin.flushall()
        msg = sink.get_message(timeout=5)
        assert msg["channel"] == b"__redis__:invalidate" and msg["data"] is None
        assert r.client_tracking_off()
        sink.close()


def test_redis_cli_resp3_shows_pushes(binary):
    with Server(binary, *WORKERS) as s:
        out = s.cli("-3", "--show-pushes", "yes",
                    stdin=b"CLIENT TRACKING on\nGET k\nSET k 1\nPING\n").stdout
        assert out == b"OK\n\nOK\ninvalidate\nk\nPONG\n", out


def client_field(c, client_id, field):
    for line in c.command("CLIENT", "LIST").decode().splitlines():
        if (" id=%d " % client_id) in (" " + line):
            return line.split(" " + field + "=")[1].split(" ")[0]
    raise AssertionError("no client %d" % client_id)


def test_written_invalidations_release_the_output_buffer(binary):
    # 300 invalidations of 1 KB key names at once (every key evicted in one run): about 300 KB
    # of pushes for the tracker.  Once they are written out, what held them is given back (as
    # Redis frees its reply blocks once written), so the tracker's memory, which counts in
    # used_memory and so against maxmemory, does not keep the peak of its last burst.
    with Server(binary, *WORKERS) as s:
        tracker = resp3(s)
        tracker_id = int(tracker.command("CLIENT", "ID")[1:-2])
        assert tracker.command("CLIENT", "TRACKING", "on") == b"+OK\r\n"
        w = s.connect()
        names = ["%d%s" % (i, "x" * 1000) for i in range(300)]
        for n in names:
            assert w.command("SET", n, "v") == b"+OK\r\n"
            assert tracker.command("GET", n) == bulk("v")
        # Evicting them all (maxmemory 1) invalidates them in one burst.
        assert w.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == b"+OK\r\n"
        assert w.command("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
        got = set()
        while len(got) < 300:
            got.add(tracker.read_reply())
        assert got == {push(n) for n in names}
        assert w.command("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
        assert w.command("DBSIZE") == b":0\r\n"
        assert tracker.command("PING") == b"+PONG\r\n"
        assert client_field(w, tracker_id, "omem") == "0"
        # The query buffer (16 KiB), a reply buffer of at most 16 KiB and the connection.
        tot = int(client_field(w, tracker_id, "tot-mem"))
        assert tot < 48 * 1024, tot


run_tests(globals())
