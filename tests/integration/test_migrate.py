"""MIGRATE between Tessera servers, and from Debian's redis-server into Tessera."""
import shutil
import subprocess
import time

import redis

from harness import Server, free_port, run_tests


def test_migrate_between_tessera_servers(binary):
    src = Server(binary)
    dst = Server(binary, "--requirepass", "pw")
    a = src.redis()
    b0 = dst.redis(password="pw")
    b3 = dst.redis(password="pw", db=3)
    a.set("k1", "v1")
    a.rpush("l", "x", "y")
    a.set("t", "v", ex=100)
    a.zadd("z", {"m": 1})
    host, port = "127.0.0.1", dst.port
    # A fresh connection without AUTH (once authenticated, the cached one stays so, as in
    # Redis).
    try:
        a.execute_command("MIGRATE", host, port, "k1", 0, 1000)
        raise AssertionError("NOAUTH expected")
    except redis.ResponseError as e:
        assert str(e) == "Target instance replied with error: NOAUTH Authentication required."
    assert a.get("k1") == b"v1"
    assert a.execute_command("MIGRATE", host, port, "k1", 0, 1000, "AUTH", "pw") == b"OK"
    assert a.exists("k1") == 0 and b0.get("k1") == b"v1"
    # KEYS moves several at once (missing ones are skipped) into another database.
    assert a.execute_command("MIGRATE", host, port, "", 3, 1000, "AUTH2", "default", "pw",
                             "KEYS", "l", "t", "nope") == b"OK"
    assert b3.lrange("l", 0, -1) == [b"x", b"y"] and 95 <= b3.ttl("t") <= 100
    assert a.exists("l", "t") == 0
    # COPY keeps the source; REPLACE overwrites an existing target key.
    b0.zadd("z", {"other": 5})
    try:
        a.execute_command("MIGRATE", host, port, "z", 0, 1000, "AUTH", "pw")
        raise AssertionError("BUSYKEY expected")
    except redis.ResponseError as e:
        assert str(e) == ("Target instance replied with error: BUSYKEY Target key name "
                          "already exists.")
    assert a.exists("z") == 1  # kept: the target refused it
    assert a.execute_command("MIGRATE", host, port, "z", 0, 1000, "COPY", "REPLACE", "AUTH",
                             "pw") == b"OK"
    assert a.zrange("z", 0, -1) == [b"m"] and b0.zrange("z", 0, -1) == [b"m"]
    # Errors as Redis gives them.
    assert a.execute_command("MIGRATE", host, port, "missing", 0, 1000) == b"NOKEY"
    a.set("k2", "v")
    closed = free_port()
    try:
        a.execute_command("MIGRATE", host, closed, "k2", 0, 300)
        raise AssertionError("IOERR expected")
    except redis.ResponseError as e:
        assert str(e) == "IOERR error or timeout connecting to the client"
    for bad, message in ((("k2", 0, 1000, "KEYS", "k2"),
                          "When using MIGRATE KEYS option, the key argument must be set to the "
                          "empty string"),
                         (("k2", 0, 1000, "AUTH"), "syntax error"),
                         (("k2", "x", 1000), "value is not an integer or out of range")):
        try:
            a.execute_command("MIGRATE", host, port, *bad)
            raise AssertionError(f"{bad} accepted")
        except redis.ResponseError as e:
            assert str(e) == message, e
    assert a.get("k2") == b"v"
    # The password never reaches SLOWLOG.
    a.config_set("slowlog-log-slower-than", 0)
    a.execute_command("MIGRATE", host, port, "k2", 0, 1000, "AUTH", "pw")
    entries = [e["command"] for e in a.slowlog_get(10)]
    assert any(b"(redacted)" in c and b"pw" not in c for c in entries if b"MIGRATE" in c.upper())
    src.stop()
    dst.stop()


def test_cached_sockets_are_counted_and_debug_sleep_makes_migrate_time_out(binary):
    with Server(binary) as src, Server(binary, "--enable-debug-command", "yes", "--io-threads",
                                       "4") as dst:
        a, b = src.redis(), dst.redis()
        assert a.info("stats")["migrate_cached_sockets"] == 0
        a.set("k", "v")
        assert a.execute_command("MIGRATE", "127.0.0.1", dst.port, "k", 9, 1000) == b"OK"
        # The connection stays cached for the next MIGRATE to the same target.
        assert a.info("stats")["migrate_cached_sockets"] == 1
        # A target whose server sleeps (DEBUG SLEEP holds every shard) cannot answer
        # RESTORE: MIGRATE gives up after its timeout with IOERR, and the key stays.
        a.set("k2", "v")
        sleeper = dst.connect()
        sleeper.send(b"DEBUG SLEEP 1.5\r\n")
        time.sleep(0.2)
        try:
            a.execute_command("MIGRATE", "127.0.0.1", dst.port, "k2", 9, 300)
            raise AssertionError("IOERR expected")
        except redis.ResponseError as e:
            assert str(e).startswith("IOERR"), str(e)
        assert a.get("k2") == b"v"
        assert sleeper.read_reply() == b"+OK\r\n"
        assert b.ping()


def test_migrate_from_redis_server(binary):
    if shutil.which("redis-server") is None:
        print("redis-server not installed: skipped")
        return
    dst = Server(binary)
    port = free_port()
    ref = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly",
                            "no"], stdout=subprocess.DEVNULL)
    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        r.hset("h", mapping={"a": "1", "b": "2"})
        r.sadd("s", *range(10))
        r.set("t", "v", px=60000)
        assert r.execute_command("MIGRATE", "127.0.0.1", dst.port, "", 0, 2000, "KEYS", "h", "s",
                                 "t") == b"OK"
        d = dst.redis()
        assert d.hgetall("h") == {b"a": b"1", b"b": b"2"}
        assert d.object("encoding", "s") == b"intset" and d.scard("s") == 10
        assert 50000 < d.pttl("t") <= 60000
        assert r.exists("h", "s", "t") == 0
    finally:
        ref.terminate()
        ref.wait()
        dst.stop()


if __name__ == "__main__":
    run_tests(globals())
