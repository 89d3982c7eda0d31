"""Keyspace notifications against the real binary: the events of a long command script
compared with redis-server's, expired events from the active cycle on several workers, and
redis-py as the subscriber."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests  # noqa: E402

import redis  # noqa: E402

# Commands whose events Redis 7.0 and 7.2 agree on; each runs on both servers.
SCRIPT = [
    ("SET", "s", "v"), ("SET", "s", "w", "EX", "100"), ("SET", "s", "x", "NX"),
    ("SETNX", "s2", "1"), ("SETEX", "s3", "100", "v"), ("PSETEX", "s4", "100000", "v"),
    ("GETSET", "s", "y"), ("GETDEL", "s2"), ("GETEX", "s3", "PERSIST"), ("GETEX", "s4", "EX", "50"),
    ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m1", "1", "m3", "3"), ("MSETNX", "m4", "4"),
    ("INCR", "n"), ("DECRBY", "n", "3"), ("INCRBYFLOAT", "n", "1.5"), ("APPEND", "s", "z"),
    ("SETRANGE", "s", "1", "ab"), ("SETRANGE", "s", "0", ""), ("GET", "missing"),
    ("MGET", "s", "missing2"), ("EXISTS", "missing3"), ("TYPE", "s"),
    ("SETBIT", "b", "7", "1"), ("BITFIELD", "b", "SET", "u8", "0", "255"),
    ("BITOP", "AND", "b2", "b", "missing"), ("BITOP", "OR", "b3", "b"),
    ("PFADD", "h1", "a", "b"), ("PFADD", "h1", "a"), ("PFMERGE", "h2", "h1"),
    ("EXPIRE", "s", "100"), ("PEXPIRE", "s", "200000", "GT"), ("EXPIREAT", "m1", "1"),
    ("PERSIST", "s"), ("PERSIST", "s"), ("RENAME", "s", "s5"), ("RENAMENX", "s5", "m2"),
    ("RENAME", "s5", "s5"), ("COPY", "s5", "c1"), ("COPY", "s5", "c1", "DB", "1"),
    ("MOVE", "c1", "2"), ("DEL", "c1", "m2", "nothing"), ("UNLINK", "m3"),
    ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LPUSHX", "nolist", "a"),
    ("RPUSHX", "l", "e"), ("LINSERT", "l", "BEFORE", "a", "q"), ("LSET", "l", "0", "y"),
    ("LREM", "l", "0", "q"), ("LREM", "l", "0", "nothing"), ("LTRIM", "l", "0", "-1"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
    ("RPOPLPUSH", "l", "l2"), ("LMPOP", "2", "nolist", "l2", "LEFT", "COUNT", "5"),
    ("RPUSH", "l3", "a"), ("LTRIM", "l3", "1", "0"), ("RPUSH", "l4", "b", "a"),
    ("SORT", "l4", "ALPHA", "STORE", "l5"), ("SORT", "nolist", "STORE", "l5"),
    ("SADD", "st", "a", "b", "c"), ("SADD", "st", "a"), ("SREM", "st", "a", "zz"),
    ("SREM", "st", "zz"), ("SMOVE", "st", "st2", "b"), ("SMOVE", "st", "st2", "zz"),
    ("SINTERSTORE", "st3", "st", "st2"), ("SUNIONSTORE", "st3", "st", "st2"),
    ("SDIFFSTORE", "st4", "st", "st"), ("SINTERSTORE", "st3", "st", "nothing"),
    ("SPOP", "st2"), ("SADD", "st5", "a", "b"), ("SPOP", "st5", "5"),
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "2", "a"),
    ("ZADD", "z", "XX", "CH", "5", "b"), ("ZREM", "z", "nothing"), ("ZREM", "z", "c"),
    ("ZUNIONSTORE", "z2", "1", "z"), ("ZINTERSTORE", "z3", "2", "z", "nothing"),
    ("ZDIFFSTORE", "z4", "1", "z"), ("ZRANGESTORE", "z5", "z", "0", "0"),
    ("ZRANGESTORE", "z5", "z", "5", "6"), ("ZPOPMIN", "z2"), ("ZPOPMAX", "z2", "5"),
    ("ZMPOP", "1", "z4", "MIN"), ("ZREMRANGEBYRANK", "z", "0", "0"),
    ("ZADD", "z6", "0", "a", "0", "b"), ("ZREMRANGEBYLEX", "z6", "[a", "[a"),
    ("ZREMRANGEBYSCORE", "z6", "-inf", "+inf"),
    ("HSET", "hs", "f1", "1", "f2", "2"), ("HSETNX", "hs", "f1", "x"), ("HSETNX", "hs", "f3", "x"),
    ("HMSET", "hs", "f4", "4"), ("HINCRBY", "hs", "f1", "5"), ("HINCRBYFLOAT", "hs", "f2", "0.5"),
    ("HDEL", "hs", "zz"), ("HDEL", "hs", "f1", "f2", "f3", "f4"),
    ("GEOADD", "g", "13.36", "38.11", "Palermo", "15.08", "37.5", "Catania"),
    ("GEOSEARCHSTORE", "g2", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "ASC"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "g3"),
    ("GEOSEARCHSTORE", "g2", "nothing", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
    ("XADD", "x", "1-1", "f", "v"), ("XADD", "x", "MAXLEN", "1", "2-1", "f", "v"),
    ("XADD", "x", "3-1", "f", "v"), ("XDEL", "x", "3-1", "9-9"), ("XTRIM", "x", "MAXLEN", "0"),
    ("XSETID", "x", "5-0"), ("XGROUP", "CREATE", "x", "grp", "0"),
    ("XGROUP", "CREATE", "x2", "grp", "$", "MKSTREAM"), ("XGROUP", "CREATECONSUMER", "x", "grp", "c1"),
    ("XGROUP", "CREATECONSUMER", "x", "grp", "c1"), ("XGROUP", "SETID", "x", "grp", "0"),
    ("XADD", "x", "6-1", "f", "v"), ("XREADGROUP", "GROUP", "grp", "c2", "STREAMS", "x", ">"),
    ("XCLAIM", "x", "grp", "c3", "0", "6-1"), ("XAUTOCLAIM", "x", "grp", "c1", "0", "0"),
    ("XACK", "x", "grp", "6-1"), ("XGROUP", "DELCONSUMER", "x", "grp", "nobody"),
    ("XGROUP", "DELCONSUMER", "x", "grp", "c2"), ("XGROUP", "DESTROY", "x", "grp"),
    ("SET", "dump-src", "payload"), ("RESTORE", "r1", "0", "DUMP"), ("FLUSHDB",),
    ("SET", "s", "v"), ("SWAPDB", "0", "1"), ("FLUSHALL",),
]


def subscriber(port, patterns=(), channels=()):
    """A redis-py PubSub on `port` whose subscriptions are confirmed (fails after 10 s)."""
    sub = redis.Redis(port=port).pubsub()
    if patterns:
        sub.psubscribe(*patterns)
    if channels:
        sub.subscribe(*channels)
    deadline = time.time() + 10
    for _ in range(len(patterns) + len(channels)):
        while sub.get_message(timeout=1) is None:
            assert time.time() < deadline, "no subscription confirmation"
    return sub


def run_script(port):
    """Runs SCRIPT on a server with every event class on; returns the events received."""
    c = redis.Redis(port=port)
    c.config_set("notify-keyspace-events", "AKEnm")
    c.response_callbacks = {}  # raw replies: the script only needs the commands run
    sub = subscriber(port, patterns=["__key*__:*"], channels=["script-done"])
    for cmd in SCRIPT:
        if cmd == ("RESTORE", "r1", "0", "DUMP"):
            cmd = ("RESTORE", "r1", "0", c.dump("dump-src"))
        try:
            c.execute_command(*cmd)
        except redis.ResponseError:
            pass
    c.publish("script-done", "1")
    events = []
    deadline = time.time() + 10
    while time.time() < deadline:
        m = sub.get_message(timeout=1)
        if m is None:
            continue
        if m["type"] == "message":
            break
        events.append((m["channel"].decode(), m["data"].decode()))
    sub.close()
    return events


def start_reference():
    if shutil.which("redis-server") is None:
        return None, None
    port = free_port()
    ref = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                            "--dir", "/tmp"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return ref, port


def test_events_match_redis_server(binary):
    ref, ref_port = start_reference()
    if ref is None:
        print("redis-server not installed: skipped")
        return
    try:
        theirs = run_script(ref_port)
    finally:
        ref.terminate()
        ref.wait()
    with Server(binary, "--io-threads", "4") as s:
        ours = run_script(s.port)
    assert len(theirs) > 250, len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, (i, "ours", ours[max(0, i - 3):i + 3], "theirs", theirs[max(0, i - 3):i + 3])
    assert len(ours) == len(theirs), (len(ours), len(theirs), ours[len(theirs):], theirs[len(ours):])


def test_expired_events_from_the_active_cycle(binary):
    with Server(binary, "--io-threads", "4", "--notify-keyspace-events", "Ex") as s:
        c = s.redis()
        sub = subscriber(s.port, patterns=["__keyevent@*__:expired"])
        names = ["exp:%d" % i for i in range(200)]
        for n in names:
            c.set(n, "v", px=100)
        got = set()
        deadline = time.time() + 10
        while len(got) < len(names) and time.time() < deadline:
            m = sub.get_message(timeout=1)
            if m is not None and m["type"] == "pmessage":
                assert m["channel"] == b"__keyevent@0__:expired"
                got.add(m["data"].decode())
        # Nobody read the keys: the active cycle found every one, on whichever worker.
        assert got == set(names), len(got)
        assert c.dbsize() == 0


def test_evicted_events(binary):
    with Server(binary, "--io-threads", "2", "--notify-keyspace-events", "Ee") as s:
        c = s.redis()
        sub = subscriber(s.port, patterns=["__keyevent@*__:evicted"])
        c.set("foo", "bar")
        c.config_set("maxmemory-policy", "allkeys-lru")
        c.config_set("maxmemory", "1")
        m = None
        deadline = time.time() + 5
        while m is None and time.time() < deadline:
            m = sub.get_message(timeout=1)
        c.config_set("maxmemory", "0")
        assert m is not None and m["channel"] == b"__keyevent@0__:evicted", m
        assert m["data"] == b"foo"
        assert c.info("stats")["evicted_keys"] >= 1


def test_config_rewrite_keeps_the_classes(binary):
    with Server(binary, config_text="port 0\n") as s:
        c = s.redis()
        c.config_set("notify-keyspace-events", "KEg$")
        assert c.config_get("notify-keyspace-events") == {"notify-keyspace-events": "g$KE"}
        c.config_rewrite()
        with open(os.path.join(s.dir, "tessera.conf")) as f:
            assert 'notify-keyspace-events "g$KE"' in f.read()


if __name__ == "__main__":
    run_tests(globals())
