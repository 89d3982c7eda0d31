"""aof-use-rdb-preamble no: BGREWRITEAOF writes the base as commands (appendonly.aof.N.base.aof),
as Redis does; Redis 7.2.4's redis-check-aof accepts it, and both Tessera and redis-server 7.2.4
load the directory back to the same contents (when the reference server is installed)."""
import os
import shutil
import subprocess
import tempfile
import time

from harness import Server, free_port, run_tests

REDIS = "/work/redis-724/src/redis-server"
CHECK_AOF = "/work/redis-724/src/redis-check-aof"
AOF = ("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--enable-debug-command", "yes")
LIBRARY = "#!lua name=aoflib\nredis.register_function('aofping', function() return 'pong' end)"


def populate(r):
    c = r.execute_command
    c("SET", "s:int", "12345")
    c("SET", "s:raw", "x" * 100)
    c("SET", "s:bin", bytes(range(256)))
    c("SET", "s:ttl", "v", "PX", "100000000")
    c("RPUSH", "l:small", "a", "1", "-7", "bcd")
    c("RPUSH", "l:big", *["element-%d" % i for i in range(1000)])
    c("SADD", "set:int", *range(100))
    c("SADD", "set:small", "a", "b", "c")
    c("SADD", "set:big", *["member-%d" % i for i in range(300)])
    c("ZADD", "z:small", "1.5", "a", "-inf", "b", "inf", "c", "0.1", "d")
    c("ZADD", "z:big", *[x for i in range(300) for x in (str(i / 7), "m%d" % i)])
    c("HSET", "h:small", "f1", "v1", "f2", "2")
    c("HSET", "h:big", *[x for i in range(600) for x in ("f%d" % i, "v%d" % i)])
    for i in range(1, 151):
        c("XADD", "x:full", "%d-1" % i, "field", "value%d" % i, "n", str(i))
    c("XDEL", "x:full", "10-1")
    c("XGROUP", "CREATE", "x:full", "g1", "0")
    c("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "x:full", ">")
    c("XGROUP", "CREATECONSUMER", "x:full", "g1", "idle")
    c("XGROUP", "CREATE", "x:full", "g2", "$")
    c("XADD", "x:empty", "MAXLEN", "0", "7-7", "a", "b")
    c("XGROUP", "CREATE", "x:empty", "g", "$")
    c("SELECT", "3")
    c("SET", "in3", "three")
    c("SELECT", "0")
    c("FUNCTION", "LOAD", LIBRARY)


def contents(r):
    """Every key of dbs 0 and 3 read back in a form both servers answer alike."""
    import redis
    r = redis.Redis(**r.connection_pool.connection_kwargs)
    r.response_callbacks.clear()  # raw replies: the same shapes from both servers
    c = r.execute_command
    out = {}
    for db in (0, 3):
        c("SELECT", db)
        for key in sorted(c("KEYS", "*")):
            t = c("TYPE", key)
            if t == b"string":
                v = c("GET", key)
            elif t == b"list":
                v = c("LRANGE", key, 0, -1)
            elif t == b"set":
                v = sorted(c("SMEMBERS", key))
            elif t == b"zset":
                v = c("ZRANGE", key, 0, -1, "WITHSCORES")
            elif t == b"hash":
                v = sorted(c("HGETALL", key))
            else:
                info = c("XINFO", "STREAM", key)
                groups = c("XINFO", "GROUPS", key)
                pending = [c("XPENDING", key, g[1], "-", "+", 100) for g in groups]
                pending = [[p[:2] + [p[3]] for p in ps] for ps in pending]  # not idle times
                consumers = [[cn[1] for cn in c("XINFO", "CONSUMERS", key, g[1])] for g in groups]
                v = (c("XRANGE", key, "-", "+"), info[:14], groups, pending, consumers)
            ttl = c("PTTL", key)
            out[(db, key)] = (t, v, ttl > 0)
    c("SELECT", 0)
    return out


def wait_rewrite(r):
    deadline = time.time() + 30
    while r.info("persistence")["aof_rewrite_in_progress"] == 1:
        assert time.time() < deadline
        time.sleep(0.05)
    assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"


def test_rewrite_without_preamble_writes_commands(binary):
    s = Server(binary, *AOF)
    r = s.redis()
    populate(r)
    r.execute_command("HSET", "h:ttl", "a", "1", "b", "2")
    r.execute_command("HPEXPIREAT", "h:ttl", int(time.time() * 1000) + 10_000_000, "FIELDS", 1, "a")
    before = contents(r)
    digest = r.execute_command("DEBUG", "DIGEST")
    assert r.bgrewriteaof()
    wait_rewrite(r)
    r.set("after", "1")
    d = os.path.join(s.dir, "appendonlydir")
    with open(os.path.join(d, "appendonly.aof.manifest")) as f:
        assert f.read() == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                            "file appendonly.aof.2.incr.aof seq 2 type i\n")
    with open(os.path.join(d, "appendonly.aof.2.base.aof"), "rb") as f:
        base = f.read()
    assert base.startswith(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n")
    assert b"REDIS" not in base[:9]
    for cmd in (b"$5\r\nRPUSH\r\n", b"$4\r\nSADD\r\n", b"$4\r\nZADD\r\n", b"$5\r\nHMSET\r\n",
                b"$4\r\nXADD\r\n", b"$6\r\nXSETID\r\n", b"$6\r\nXCLAIM\r\n",
                b"$14\r\nCREATECONSUMER\r\n", b"$9\r\nPEXPIREAT\r\n", b"$10\r\nHPEXPIREAT\r\n"):
        assert cmd in base, cmd
    # At most 64 elements per command, as Redis writes them: 1000 list elements take 16 RPUSH.
    assert base.count(b"$5\r\nRPUSH\r\n$5\r\nl:big\r\n") == 16
    s.stop()
    s2 = Server(binary, *AOF, dir=s.dir)
    r2 = s2.redis()
    assert r2.get("after") == b"1"
    r2.delete("after")
    assert contents(r2) == before
    assert r2.execute_command("DEBUG", "DIGEST") == digest
    assert r2.execute_command("FCALL", "aofping", 0) == b"pong"
    assert 0 < r2.execute_command("HPTTL", "h:ttl", "FIELDS", 1, "a")[0]
    assert r2.execute_command("HPTTL", "h:ttl", "FIELDS", 1, "b")[0] == -1
    s2.stop()


def test_redis_check_aof_and_redis_load_our_command_base(binary):
    if not (os.path.exists(REDIS) and os.path.exists(CHECK_AOF)):
        print("  (skipped: no reference redis-server 7.2.4)")
        return
    s = Server(binary, *AOF)
    r = s.redis()
    populate(r)
    assert r.bgrewriteaof()
    wait_rewrite(r)
    r.set("after", "1")
    ours = contents(r)
    s.stop()
    d = os.path.join(s.dir, "appendonlydir")
    for name in ("appendonly.aof.2.base.aof", "appendonly.aof.manifest"):
        res = subprocess.run([CHECK_AOF, os.path.join(d, name)], capture_output=True, text=True)
        assert res.returncode == 0 and "is valid" in res.stdout, res.stdout + res.stderr
    ref_dir = tempfile.mkdtemp(prefix="tessera-ref-")
    shutil.copytree(d, os.path.join(ref_dir, "appendonlydir"))
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", ref_dir, "--appendonly", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis
        ref = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.time() + 10
        while True:
            try:
                if ref.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                assert time.time() < deadline
                time.sleep(0.05)
        assert contents(ref) == ours
        assert ref.execute_command("FCALL", "aofping", 0) == b"pong"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(ref_dir, ignore_errors=True)


def test_preamble_yes_still_writes_an_rdb_base(binary):
    s = Server(binary, "--appendonly", "yes")
    r = s.redis()
    r.set("k", "v")
    r.config_set("aof-use-rdb-preamble", "no")
    assert r.bgrewriteaof()
    wait_rewrite(r)
    r.config_set("aof-use-rdb-preamble", "yes")
    assert r.bgrewriteaof()
    wait_rewrite(r)
    d = os.path.join(s.dir, "appendonlydir")
    assert sorted(os.listdir(d)) == ["appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof",
                                     "appendonly.aof.manifest"]
    with open(os.path.join(d, "appendonly.aof.3.base.rdb"), "rb") as f:
        assert f.read(5) == b"REDIS"
    s.stop()


if __name__ == "__main__":
    run_tests(globals())
