"""CLIENT PAUSE WRITE as Redis 7.2: what it holds (writes, may-replicate commands, scripts that
may write, EXEC of a transaction holding one) and what it lets through; nothing expires."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def held(s, *args, wait=0.4):
    """True iff the command is still waiting `wait` seconds after being sent."""
    c = s.connect()
    c.send(b"".join([b"*%d\r\n" % len(args)] +
                    [b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args)]))
    c.sock.settimeout(wait)
    try:
        c.read_reply()
        return False
    except OSError:
        return True
    finally:
        c.close()


def test_pause_write_holds_writers_only(binary):
    with Server(binary) as s:
        r = s.redis()
        r.set("k", "v")
        sha = r.script_load("#!lua flags=no-writes\nreturn 1")
        r.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        assert not held(s, "GET", "k")
        assert not held(s, "EVAL", "#!lua flags=no-writes\nreturn 1", "0")
        assert not held(s, "EVALSHA", sha, "0")
        assert held(s, "SET", "k", "2")
        assert held(s, "PUBLISH", "ch", "m")
        assert held(s, "PFCOUNT", "hll")
        assert held(s, "EVAL", "return 1", "0")           # no shebang: may replicate
        assert held(s, "EVAL", "#!lua\nreturn 1", "0")     # a shebang without no-writes
        # A syntax error is answered at once.
        c = s.connect()
        assert c.command("SET", "k") == b"-ERR wrong number of arguments for 'set' command\r\n"
        r.execute_command("CLIENT", "UNPAUSE")
        # The held SET went with its closed connection; writes run again.
        assert r.get("k") == b"v"
        assert r.set("k", "3") and r.get("k") == b"3"


def test_exec_is_held_when_a_queued_command_writes(binary):
    with Server(binary) as s:
        r = s.redis()
        reader = s.redis()
        reader.execute_command("MULTI")
        reader.execute_command("GET", "a")
        writer = s.redis()
        writer.execute_command("MULTI")
        writer.execute_command("INCR", "a")
        r.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        assert reader.execute_command("EXEC") == [None]
        result = []
        t = threading.Thread(target=lambda: result.append(writer.execute_command("EXEC")))
        t.start()
        time.sleep(0.4)
        assert result == [] and r.get("a") is None
        r.execute_command("CLIENT", "UNPAUSE")
        t.join(5)
        assert result == [[1]]


def test_nothing_expires_while_paused(binary):
    with Server(binary) as s:
        r = s.redis()
        before = int(r.info("stats")["expired_keys"])
        r.set("e1", "v", px=50)
        r.set("e2", "v", px=50)
        r.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        time.sleep(0.5)
        assert r.get("e1") is None and r.get("e2") is None   # logically gone
        assert int(r.info("stats")["expired_keys"]) == before  # but not expired yet
        r.execute_command("CLIENT", "UNPAUSE")
        r.get("e1")
        r.get("e2")
        assert int(r.info("stats")["expired_keys"]) == before + 2


def resume_order(s, r, n, unpause, pause_ms=60000):
    """Holds `n` clients' RPUSH in turn, lifts the pause with `unpause()`, and returns the
    list the pushes built: Redis resumes held clients in the order they were held."""
    r.execute_command("CLIENT", "PAUSE", str(pause_ms), "WRITE")
    clients = []
    for i in range(n):
        c = s.connect()
        c.send(b"*3\r\n$5\r\nRPUSH\r\n$5\r\norder\r\n$%d\r\n%d\r\n" % (len(str(i)), i))
        clients.append(c)
        deadline = time.time() + 5
        while int(r.info("clients")["blocked_clients"]) != i + 1:
            assert time.time() < deadline, "client %d was not held" % i
            time.sleep(0.005)
    unpause()
    for c in clients:
        c.sock.settimeout(5)
        assert c.read_reply().startswith(b":")
        c.close()
    return [int(x) for x in r.lrange("order", 0, -1)]


def test_held_clients_resume_in_the_order_they_were_held(binary):
    # Several workers, so that held clients sit on different threads.
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis()
        n = 12
        assert resume_order(s, r, n, lambda: r.execute_command("CLIENT", "UNPAUSE")) == \
            list(range(n))
        r.delete("order")

        # A pause that ends by itself resumes them in the same order.
        assert resume_order(s, r, n, lambda: None, pause_ms=3000) == list(range(n))
        assert int(r.info("clients")["blocked_clients"]) == 0


if __name__ == "__main__":
    run_tests(dict(globals()))
