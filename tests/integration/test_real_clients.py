"""Real clients against the real binary: redis-cli, redis-benchmark, redis-py."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def test_redis_cli_commands(binary):
    with Server(binary) as s:
        assert s.cli("SET", "greeting", "hello").stdout == b"OK\n"
        assert s.cli("GET", "greeting").stdout == b"hello\n"
        assert s.cli("INCRBY", "n", "41").stdout == b"41\n"
        assert s.cli("INCR", "n").stdout == b"42\n"
        assert s.cli("EXISTS", "greeting", "n", "nope").stdout == b"2\n"
        assert s.cli("GET", "nope").stdout == b"\n"
        out = s.cli("SET", "k", "v", "NX", "XX").stdout
        assert out == b"ERR syntax error\n\n", out  # redis-cli's own layout for errors


def test_redis_cli_resp3(binary):
    with Server(binary) as s:
        s.cli("SET", "a", "1")
        r = s.cli("-3", "GET", "missing")
        assert r.stdout == b"(nil)\n" or r.stdout == b"\n", r.stdout
        r = s.cli("-3", "HELLO", "3")
        assert b"7.2.4" in r.stdout


def test_redis_cli_pipe_mass_insert(binary):
    n = 100_000
    payload = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nvalue:%d\r\n"
                       % (len(b"key:%d" % i), i, len(b"value:%d" % i), i) for i in range(n))
    with Server(binary) as s:
        r = s.cli("--pipe", stdin=payload)
        assert b"errors: 0, replies: %d" % n in r.stdout, r.stdout
        assert s.cli("DBSIZE").stdout == b"%d\n" % n
        assert s.cli("GET", "key:99999").stdout == b"value:99999\n"


def test_redis_benchmark_default_string_tests(binary):
    with Server(binary) as s:
        r = subprocess.run(["redis-benchmark", "-p", str(s.port), "-n", "20000", "-c", "20",
                            "-t", "ping,set,get,incr,mset", "--csv"],
                           capture_output=True, timeout=300, text=True)
        assert r.returncode == 0, r.stderr
        lines = [l for l in r.stdout.splitlines() if l and not l.startswith('"test"')]
        names = [l.split(",")[0].strip('"') for l in lines]
        for t in ("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"):
            assert t in names, (t, names)
        for l in lines:
            assert float(l.split(",")[1].strip('"')) > 0
        assert "ERR" not in r.stderr and "rror" not in r.stdout, (r.stdout, r.stderr)
        # redis-benchmark's SET really wrote the key it uses (no -r: one fixed key).
        assert s.cli("STRLEN", "key:__rand_int__").stdout == b"3\n"
        assert s.cli("GET", "counter:__rand_int__").stdout == b"20000\n"


def test_redis_py(binary):
    import redis
    with Server(binary) as s:
        r = s.redis(decode_responses=True)
        assert r.ping() is True
        assert r.set("user:1", "ann", ex=100) is True
        assert 0 < r.ttl("user:1") <= 100
        assert r.get("user:1") == "ann"
        assert r.mset({"a": "1", "b": "2"}) is True
        assert r.mget("a", "b", "c") == ["1", "2", None]
        assert r.incrbyfloat("f", 1.5) == 1.5
        assert r.getdel("a") == "1"
        assert r.exists("a") == 0
        assert sorted(r.keys("*")) == ["b", "f", "user:1"]
        assert set(r.scan_iter(count=1)) == {"b", "f", "user:1"}
        with r.pipeline(transaction=False) as p:
            for i in range(100):
                p.incr("counter")
            assert p.execute()[-1] == 100
        assert r.client_setname("tester") is True
        assert r.client_getname() == "tester"
        info = r.info()
        assert info["redis_version"] == "7.2.4"
        assert info["connected_clients"] >= 1


if __name__ == "__main__":
    run_tests(dict(globals()))
