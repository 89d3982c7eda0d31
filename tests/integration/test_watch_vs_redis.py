"""WATCH side by side with the reference redis-server (when installed): for each write, run on
another connection between WATCH and EXEC, both servers must agree on whether the transaction
still runs.  The writes cover the no-ops Redis does not count as a modification (SET NX on an
existing key, SREM of a missing member...), the ones it counts even though the value is the
same (HSET of the same value, LTRIM of the whole list...), and the consumer-group bookkeeping
of streams that Redis never signals (XREADGROUP, XACK, XCLAIM, XGROUP SETID...)."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import RawClient, Server, run_tests  # noqa: E402

SETUP = [
    ("SET", "s", "v"), ("RPUSH", "l", "a", "b", "c"), ("SADD", "set", "m1", "m2"),
    ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "a", "2", "b"), ("PFADD", "hll", "x"),
    ("SET", "n", "10"), ("SETBIT", "bits", "3", "1"),
    ("XADD", "st", "1-0", "f", "v"), ("XADD", "st", "2-0", "f", "v"),
    ("XGROUP", "CREATE", "st", "g", "0"), ("XGROUP", "CREATECONSUMER", "st", "g", "c0"),
    ("XREADGROUP", "GROUP", "g", "c0", "COUNT", "1", "STREAMS", "st", ">"),
]

# (watched key, the write another client runs).
CASES = [
    ("s", ("SET", "s", "w", "NX")), ("s", ("SET", "s", "v")), ("s", ("SETNX", "s", "x")),
    ("missing", ("SET", "missing", "x", "XX")), ("s", ("APPEND", "s", "")),
    ("s", ("SETRANGE", "s", "0", "")), ("n", ("INCRBY", "n", "0")), ("s", ("GETDEL", "s")),
    ("missing", ("GETDEL", "missing")), ("missing", ("DEL", "missing")),
    ("s", ("EXPIRE", "s", "100")), ("s", ("PERSIST", "s")), ("missing", ("EXPIRE", "missing", "1")),
    ("s", ("EXPIRE", "s", "100", "GT")), ("s", ("RENAME", "s", "s")), ("s", ("COPY", "n", "s")),
    ("s", ("COPY", "n", "s", "REPLACE")), ("s", ("MOVE", "s", "1")),
    ("l", ("LREM", "l", "0", "zz")), ("l", ("LTRIM", "l", "0", "-1")),
    ("l", ("LPUSHX", "missing", "a")), ("l", ("LSET", "l", "0", "a")),
    ("l", ("LINSERT", "l", "BEFORE", "zz", "x")), ("l", ("LPOS", "l", "a")),
    ("missing", ("RPOPLPUSH", "missing", "l")), ("l", ("LMOVE", "l", "l", "LEFT", "LEFT")),
    ("set", ("SREM", "set", "nope")), ("set", ("SADD", "set", "m1")),
    ("set", ("SMOVE", "set", "set2", "nope")), ("set", ("SINTERSTORE", "set", "missing")),
    ("set", ("SPOP", "set", "0")), ("h", ("HSET", "h", "f", "v")), ("h", ("HDEL", "h", "nope")),
    ("h", ("HSETNX", "h", "f", "x")), ("h", ("HINCRBY", "h", "i", "0")),
    ("z", ("ZADD", "z", "1", "a")), ("z", ("ZADD", "z", "NX", "5", "a")),
    ("z", ("ZREM", "z", "nope")), ("z", ("ZINCRBY", "z", "0", "a")),
    ("z", ("ZREMRANGEBYSCORE", "z", "10", "20")), ("z", ("ZUNIONSTORE", "z", "1", "z")),
    ("hll", ("PFADD", "hll", "x")), ("hll", ("PFADD", "hll", "y")),
    ("bits", ("SETBIT", "bits", "3", "1")), ("bits", ("SETBIT", "bits", "3", "0")),
    ("bits", ("SETBIT", "bits", "100", "0")), ("n", ("SETBIT", "n", "0", "0")),
    ("s", ("RENAMENX", "s", "s")), ("s", ("RENAME", "n", "s")), ("bits", ("BITOP", "OR", "bits", "bits")),
    ("st", ("XADD", "st", "3-0", "f", "v")), ("st", ("XDEL", "st", "9-0")),
    ("st", ("XDEL", "st", "1-0")), ("st", ("XTRIM", "st", "MAXLEN", "10")),
    ("st", ("XSETID", "st", "5-0")),
    ("st", ("XGROUP", "CREATE", "st", "g2", "0")),
    ("missing", ("XGROUP", "CREATE", "missing", "g", "$", "MKSTREAM")),
    ("st", ("XGROUP", "SETID", "st", "g", "0")), ("st", ("XGROUP", "DESTROY", "st", "g")),
    ("st", ("XGROUP", "CREATECONSUMER", "st", "g", "c1")),
    ("st", ("XGROUP", "DELCONSUMER", "st", "g", "c0")),
    ("st", ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">")),
    ("st", ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", "0")),
    ("st", ("XACK", "st", "g", "1-0")), ("st", ("XACK", "st", "g", "9-0")),
    ("st", ("XCLAIM", "st", "g", "c2", "0", "1-0")),
    ("st", ("XAUTOCLAIM", "st", "g", "c2", "0", "0")),
    ("s", ("FLUSHDB",)), ("missing", ("FLUSHDB",)), ("missing", ("FLUSHALL",)),
    ("s", ("SWAPDB", "0", "1")), ("missing", ("SWAPDB", "0", "1")),
    ("s", ("SORT", "l", "ALPHA", "STORE", "s")), ("s", ("RESTORE", "s", "0", "x")),
]


def outcome(server, watched, write):
    """Whether MULTI/EXEC still runs after `write` (on another connection) since WATCH."""
    setup = RawClient(server.port)
    setup.command("FLUSHALL")
    for cmd in SETUP:
        reply = setup.command(*cmd)
        assert not reply.startswith(b"-"), (cmd, reply)
    watcher = RawClient(server.port)
    assert watcher.command("WATCH", watched) == b"+OK\r\n"
    writer_reply = setup.command(*write)
    watcher.command("MULTI")
    watcher.command("PING")
    exec_reply = watcher.command("EXEC")
    watcher.close()
    setup.close()
    # The write's own reply is compared too (its error, if any, must be the same).
    return exec_reply, writer_reply


def test_watch_outcomes_same_as_redis(binary):
    ref = shutil.which("redis-server")
    if ref is None:
        print("  (redis-server not installed: skipped the side-by-side comparison)")
        return
    with Server(binary, "--io-threads", "4") as ours, Server(ref) as theirs:
        differ = []
        for watched, write in CASES:
            got, want = outcome(ours, watched, write), outcome(theirs, watched, write)
            # RESTORE's payload is not valid for either: only the error kind must agree.
            if write[0] == "RESTORE":
                got, want = (got[0], got[1][:4]), (want[0], want[1][:4])
            if got != want:
                differ.append((watched, write, got, want))
        assert not differ, "\n".join(repr(d) for d in differ)


if __name__ == "__main__":
    run_tests(globals())
