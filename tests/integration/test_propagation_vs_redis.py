"""What the replicas and the AOF get for PUBLISH and consumer-group reads, byte for byte.

Each scenario runs on a server with appendonly yes (appendfsync always) and a replica attached
by SYNC, as the Tcl suite's attach_to_replication_stream does; the stream the replica reads,
the AOF's incremental file and the growth of master_repl_offset are checked against what Redis
7.2.4 produces for the same commands (written out below).  When Redis 7.2.4 is built at
/work/redis-724 (not part of CI), the same scenario also runs on it and the bytes must be the
same, except the XCLAIM TIME values, which are clock readings."""
import glob
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

REDIS_724 = "/work/redis-724/src/redis-server"
END = b"*3\r\n$3\r\nSET\r\n$5\r\n__end\r\n$1\r\n1\r\n"


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def decode(data):
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 1] == b"*", data[i:i + 40]
        j = data.index(b"\r\n", i)
        n, i = int(data[i + 1:j]), j + 2
        args = []
        for _ in range(n):
            j = data.index(b"\r\n", i)
            size, i = int(data[i + 1:j]), j + 2
            args.append(data[i:i + size].decode())
            i += size + 2
        out.append(" ".join(args))
    return out


def repl_offset(c):
    info = c.command("INFO", "replication").decode()
    return int(re.search(r"master_repl_offset:(\d+)", info).group(1))


def run(binary, commands):
    """Runs `commands` (a list of argument lists; ["@", ...] sends on a second connection
    without waiting, ["@@"] reads that connection's reply).  Returns the replica's stream and
    the AOF's bytes from the attach on, and master_repl_offset's growth."""
    with Server(binary, "--appendonly", "yes", "--appendfsync", "always",
                "--repl-ping-replica-period", "3600") as s:
        replica = s.connect()
        replica.send(b"SYNC\r\n")
        line = replica._line()
        while line == b"":
            line = replica._line()
        size = int(line[1:])
        while len(replica.buf) < size:
            replica._fill()
        replica.buf = replica.buf[size:]
        c, other = s.connect(), s.connect()
        aof_dir = os.path.join(s.dir, "appendonlydir")
        incr = sorted(glob.glob(aof_dir + "/*.incr.aof"))[-1]
        aof_start = os.path.getsize(incr)
        offset_start = repl_offset(c)
        for cmd in commands:
            if cmd[0] == "@":
                other.send(encode(cmd[1:]))
                time.sleep(0.2)  # blocked before the next command
            elif cmd[0] == "@@":
                other.read_reply()
            else:
                c.command(*cmd)
        c.command("SET", "__end", "1")
        deadline = time.time() + 10
        while END not in replica.buf:
            assert time.time() < deadline, replica.buf
            replica._fill()
        stream = replica.buf[:replica.buf.index(END)]
        growth = repl_offset(c) - offset_start
        with open(incr, "rb") as f:
            aof = f.read()[aof_start:]
        assert aof.endswith(END), aof[-60:]
        replica.close()  # a replica that never acknowledges would delay the shutdown
        return stream, aof[:-len(END)], growth - len(END)


def normalized(data):
    """The commands, with each XCLAIM's TIME value (a clock reading) replaced by T."""
    return [re.sub(r" TIME \d+ ", " TIME T ", c) for c in decode(data)]


def check(binary, commands, want_stream, want_aof):
    stream, aof, growth = run(binary, commands)
    assert normalized(stream) == want_stream, normalized(stream)
    assert normalized(aof) == want_aof, normalized(aof)
    # master_repl_offset counts every byte the replica was sent, PUBLISH included.
    assert growth == len(stream), (growth, len(stream))
    if os.path.exists(REDIS_724):
        r_stream, r_aof, r_growth = run(REDIS_724, commands)
        assert normalized(r_stream) == normalized(stream), (normalized(r_stream), normalized(stream))
        assert normalized(r_aof) == normalized(aof), (normalized(r_aof), normalized(aof))
        assert r_growth == growth, (r_growth, growth)
        # Same bytes, apart from the clock readings (which have the same length here).
        if "TIME" not in " ".join(want_stream):
            assert r_stream == stream and r_aof == aof


def test_publish_reaches_replicas_only(binary):
    check(binary, [
        ["PUBLISH", "c", "m"],
        ["SET", "a", "1"],
        ["SELECT", "1"],
        ["PUBLISH", "c", "m"],
        ["SET", "b", "1"],
        ["SPUBLISH", "c", "m"],
    ], [
        "SELECT 0", "PUBLISH c m", "SET a 1", "SELECT 1", "PUBLISH c m", "SET b 1",
        "SPUBLISH c m",
    ], [
        "SELECT 0", "SET a 1", "SELECT 1", "SET b 1",
    ])


def test_publish_inside_multi(binary):
    check(binary, [
        ["MULTI"], ["PUBLISH", "c", "m"], ["EXEC"],
        ["MULTI"], ["SET", "x", "1"], ["PUBLISH", "c", "m"], ["EXEC"],
        # Only replica-bound commands: the AOF still gets the MULTI/EXEC, empty.
        ["MULTI"], ["PUBLISH", "c", "1"], ["SPUBLISH", "c", "2"], ["EXEC"],
        ["SELECT", "2"],
        ["MULTI"], ["SELECT", "3"], ["PUBLISH", "c", "m"], ["SELECT", "2"], ["SET", "y", "1"],
        ["EXEC"],
    ], [
        "SELECT 0", "PUBLISH c m",
        "MULTI", "SET x 1", "PUBLISH c m", "EXEC",
        "MULTI", "PUBLISH c 1", "SPUBLISH c 2", "EXEC",
        "MULTI", "SELECT 3", "PUBLISH c m", "SELECT 2", "SET y 1", "EXEC",
    ], [
        "MULTI", "SELECT 0", "SET x 1", "EXEC",
        "MULTI", "EXEC",
        "MULTI", "SELECT 2", "SET y 1", "EXEC",
    ])


def test_publish_inside_eval(binary):
    check(binary, [
        ["EVAL", "redis.call('publish', 'c', 'm')", "0"],
        ["EVAL", "redis.call('set', 'z', '1'); redis.call('publish', 'c', 'm')", "0"],
        ["EVAL", "redis.call('publish', 'c', 'm'); redis.call('spublish', 'c', 'm')", "0"],
    ], [
        "SELECT 0", "publish c m",
        "MULTI", "set z 1", "publish c m", "EXEC",
        "MULTI", "publish c m", "spublish c m", "EXEC",
    ], [
        "MULTI", "SELECT 0", "set z 1", "EXEC",
        "MULTI", "EXEC",
    ])


CLAIM = "XCLAIM s g %s 0 %s TIME T RETRYCOUNT %d FORCE JUSTID LASTID %s"


def test_consumer_group_reads_and_claims(binary):
    both = [
        "SELECT 0",
        "XADD s 1-0 f v", "XADD s 2-0 f v", "XADD s 3-0 f v", "XADD s 4-0 f v",
        "XGROUP CREATE s g 0",
        "MULTI", CLAIM % ("alice", "1-0", 1, "1-0"), CLAIM % ("alice", "2-0", 1, "2-0"), "EXEC",
        "MULTI", "XGROUP CREATECONSUMER s g bob", "XGROUP SETID s g 3-0 ENTRIESREAD 3", "EXEC",
        "XGROUP CREATECONSUMER s g dave",
        CLAIM % ("erin", "4-0", 1, "4-0"),
        "XDEL s 1-0",
        "MULTI", CLAIM % ("alice", "1", 2, "4-0"), CLAIM % ("frank", "2-0", 3, "4-0"),
        CLAIM % ("frank", "4-0", 2, "4-0"), "EXEC",
        CLAIM % ("frank", "2-0", 4, "9-0"),
        "XGROUP SETID s g 10-0 ENTRIESREAD 4",
        "MULTI", CLAIM % ("gina", "2-0", 5, "10-0"), CLAIM % ("gina", "4-0", 3, "10-0"), "EXEC",
        "MULTI", "XADD s 11-0 f v", "XGROUP SETID s g 11-0 ENTRIESREAD 5", "EXEC",
    ]
    check(binary, [
        ["XADD", "s", "1-0", "f", "v"], ["XADD", "s", "2-0", "f", "v"],
        ["XADD", "s", "3-0", "f", "v"], ["XADD", "s", "4-0", "f", "v"],
        ["XGROUP", "CREATE", "s", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
        ["XREADGROUP", "GROUP", "g", "dave", "NOACK", "STREAMS", "s", "0"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        ["XREADGROUP", "GROUP", "g", "erin", "STREAMS", "s", ">"],
        ["XDEL", "s", "1-0"],
        ["XCLAIM", "s", "g", "frank", "0", "1", "2-0", "4-0"],
        ["XCLAIM", "s", "g", "frank", "0", "2-0", "LASTID", "9-0"],
        ["XCLAIM", "s", "g", "frank", "0", "3-0", "LASTID", "10-0"],
        ["XAUTOCLAIM", "s", "g", "gina", "0", "0-0"],
        ["MULTI"],
        ["XREADGROUP", "GROUP", "g", "hal", "STREAMS", "s", ">"],
        ["XADD", "s", "11-0", "f", "v"],
        ["XREADGROUP", "GROUP", "g", "hal", "NOACK", "STREAMS", "s", ">"],
        ["EXEC"],
    ], both, both)


def test_blocked_and_multi_stream_group_reads(binary):
    both = [
        "SELECT 0",
        "XGROUP CREATE s g $ MKSTREAM", "XADD t 1-0 f v", "XGROUP CREATE t g 0",
        # The consumer a blocking NOACK read creates is logged when it blocks.
        "XGROUP CREATECONSUMER s g bob",
        "XADD s 1-0 f v", "XGROUP SETID s g 1-0 ENTRIESREAD 1",
        "XADD s 2-0 f v", "XCLAIM s g amy 0 2-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 2-0",
        "XCLAIM t g cy 0 1-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-0",
        "XADD s 3-0 f v", "XADD t 2-0 f v",
        "MULTI", "XGROUP SETID s g 3-0 ENTRIESREAD 3", "XGROUP SETID t g 2-0 ENTRIESREAD 2",
        "EXEC",
    ]
    check(binary, [
        ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        ["XADD", "t", "1-0", "f", "v"],
        ["XGROUP", "CREATE", "t", "g", "0"],
        ["@", "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "NOACK", "STREAMS", "s", ">"],
        ["XADD", "s", "1-0", "f", "v"],
        ["@@"],
        ["@", "XREADGROUP", "GROUP", "g", "amy", "BLOCK", "0", "STREAMS", "s", ">"],
        ["XADD", "s", "2-0", "f", "v"],
        ["@@"],
        ["XREADGROUP", "GROUP", "g", "cy", "COUNT", "5", "STREAMS", "s", "t", ">", ">"],
        ["XADD", "s", "3-0", "f", "v"],
        ["XADD", "t", "2-0", "f", "v"],
        ["XREADGROUP", "GROUP", "g", "cy", "NOACK", "STREAMS", "s", "t", ">", ">"],
        ["XREADGROUP", "GROUP", "g", "cy", "STREAMS", "s", "t", ">", ">"],
        ["XREADGROUP", "GROUP", "g", "newguy", "STREAMS", "s", ">"],
    ], both, both)


if __name__ == "__main__":
    run_tests(globals())
