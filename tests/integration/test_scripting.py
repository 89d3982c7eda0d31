"""Scripting with real clients: redis-py's register_script, redis-cli --eval, scripts that are
atomic across workers (totals that only add up without interleaving), busy scripts."""
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import RawClient, Server, run_tests  # noqa: E402


def test_redis_py_register_script_and_eval(binary):
    with Server(binary, "--io-threads", "2") as s:
        r = s.redis()
        incr_by = r.register_script(
            "local v = redis.call('incrby', KEYS[1], ARGV[1]) return {v, ARGV[2]}")
        # The first call gets NOSCRIPT from EVALSHA, redis-py then loads the script.
        assert incr_by(keys=["counter"], args=[5, "tag"]) == [5, b"tag"]
        assert incr_by(keys=["counter"], args=[2, "x"]) == [7, b"x"]
        assert r.script_exists(incr_by.sha) == [True]
        assert r.eval("return redis.call('get', KEYS[1])", 1, "counter") == b"7"
        sha = r.script_load("return ARGV[1] .. ARGV[2]")
        assert r.evalsha(sha, 0, "a", "b") == b"ab"
        assert r.eval_ro("return redis.call('get', KEYS[1])", 1, "counter") == b"7"
        try:
            r.eval("return redis.call('nosuch')", 0)
            raise AssertionError("no error")
        except Exception as e:  # noqa: BLE001
            assert "Unknown Redis command called from script" in str(e), e
        r.script_flush()
        assert r.script_exists(sha) == [False]
        # Functions through redis-py.
        lib = ("#!lua name=itlib\n"
               "redis.register_function('hello', function(keys, args) "
               "return 'hello ' .. args[1] end)")
        assert r.function_load(lib) == b"itlib"
        assert r.fcall("hello", 0, "world") == b"hello world"


def test_time_stands_still_inside_a_script(binary):
    with Server(binary, "--enable-debug-command", "yes") as s:
        c = s.connect()
        assert c.command("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1") == b"+OK\r\n"
        # The key expires 1 ms after it is set; the script then sleeps 10 ms.
        script = ("redis.call('set', KEYS[1], 'v', 'PX', '1') "
                  "local t1 = redis.call('time') "
                  "redis.call('debug', 'sleep', '0.01') "
                  "local t2 = redis.call('time') "
                  "return {redis.call('exists', KEYS[1]), t1[1] == t2[1] and t1[2] == t2[2]}")
        assert c.command("EVAL", script, "1", "e") == b"*2\r\n:1\r\n:1\r\n"
        assert c.command("EXISTS", "e") == b":0\r\n"


def test_redis_cli_eval_file(binary):
    with Server(binary) as s:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write("redis.call('set', KEYS[1], ARGV[1])\nreturn redis.call('get', KEYS[1])\n")
            path = f.name
        try:
            out = s.cli("--eval", path, "k1", ",", "v1")
            assert out.stdout.strip() == b"v1", out
            assert s.cli("get", "k1").stdout.strip() == b"v1"
        finally:
            os.unlink(path)


# Reads two keys (one declared, one built inside the script), writes both back incremented:
# lost updates unless every script runs alone.
RMW = """
local a = tonumber(redis.call('get', KEYS[1]) or '0')
local name = 'undeclared:' .. ARGV[1]
local b = tonumber(redis.call('get', name) or '0')
redis.call('set', KEYS[1], a + 1)
redis.call('set', name, b + 1)
return a + 1
"""

# Moves one unit from one key to another in two commands: the sum is invariant only if no
# other command ever sees the state between them.
TRANSFER = """
redis.call('decrby', KEYS[1], 1)
redis.call('incrby', KEYS[2], 1)
return 1
"""


def test_concurrent_scripts_are_atomic_across_workers(binary):
    with Server(binary, "--io-threads", "4") as s:
        clients, per_client = 8, 300
        c = s.connect()
        sha_rmw = c.command("SCRIPT", "LOAD", RMW).split(b"\r\n")[1].decode()
        sha_tr = c.command("SCRIPT", "LOAD", TRANSFER).split(b"\r\n")[1].decode()
        assert c.command("MSET", "acct:a", "1000000", "acct:b", "0") == b"+OK\r\n"
        errors = []
        stop = threading.Event()

        def rmw(idx):
            try:
                cl = s.connect()
                for _ in range(per_client):
                    # Declared key shared by all; undeclared key shared by half the clients.
                    r = cl.command("EVALSHA", sha_rmw, "1", "shared", str(idx % 2))
                    if not r.startswith(b":"):
                        errors.append(r)
                    r = cl.command("EVALSHA", sha_tr, "2", "acct:a", "acct:b")
                    if r != b":1\r\n":
                        errors.append(r)
                cl.close()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        def reader():
            cl = s.connect()
            while not stop.is_set():
                r = cl.command("MGET", "acct:a", "acct:b")
                vals = [int(x) for x in r.split(b"\r\n")[2::2] if x]
                if sum(vals) != 1000000:
                    errors.append(("torn read", r))
            cl.close()

        readers = [threading.Thread(target=reader) for _ in range(2)]
        for t in readers:
            t.start()
        threads = [threading.Thread(target=rmw, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        for t in readers:
            t.join()
        assert not errors, errors[:3]
        total = clients * per_client
        assert c.command("GET", "shared") == b"$%d\r\n%d\r\n" % (len(str(total)), total)
        half = total // 2
        for k in ("undeclared:0", "undeclared:1"):
            assert c.command("GET", k) == b"$%d\r\n%d\r\n" % (len(str(half)), half), k
        assert c.command("GET", "acct:b") == b"$%d\r\n%d\r\n" % (len(str(total)), total)


def open_clients(s, n):
    return [s.connect() for _ in range(n)]


def answering_client(clients, command, timeout=1.0):
    """The first client that answers `command` (every one does: the script's own worker
    serves its clients from the script's hook, test_busy_script.py)."""
    for c in clients:
        c.sock.settimeout(timeout)
        try:
            c.send(command)
            return c, c.read_raw_reply()
        except socket.timeout:
            continue
    raise AssertionError("no client answered")


def test_busy_script_gets_busy_and_script_kill(binary):
    with Server(binary, "--io-threads", "4", "--busy-reply-threshold", "50") as s:
        runner = s.connect()
        runner.send(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n")
        time.sleep(0.3)
        others = open_clients(s, 12)
        c, reply = answering_client(others, b"PING\r\n")
        assert reply.startswith(b"-BUSY Redis is busy running a script. You can only call "
                                b"SCRIPT KILL or SHUTDOWN NOSAVE."), reply
        c.send(b"SCRIPT KILL\r\n")
        assert c.read_raw_reply() == b"+OK\r\n"
        runner.sock.settimeout(5)
        killed = runner.read_raw_reply()
        assert killed.startswith(b"-ERR Script killed by user with SCRIPT KILL..."), killed
        c.send(b"PING\r\n")
        assert c.read_raw_reply() == b"+PONG\r\n"
        assert runner.command("PING") == b"+PONG\r\n"


def test_shutdown_nosave_stops_a_script_that_wrote(binary):
    s = Server(binary, "--io-threads", "4", "--busy-reply-threshold", "50")
    try:
        runner = s.connect()
        script = b"redis.call('set','x','1') while true do end"
        runner.send(b"*3\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(script), script))
        time.sleep(0.3)
        others = open_clients(s, 12)
        c, reply = answering_client(others, b"SCRIPT KILL\r\n")
        assert reply.startswith(b"-UNKILLABLE Sorry the script already executed write"), reply
        c.send(b"SHUTDOWN NOSAVE\r\n")
        s.proc.wait(10)
        assert s.proc.returncode == 0, s.read_log()
    finally:
        s.stop()


if __name__ == "__main__":
    run_tests(globals())
