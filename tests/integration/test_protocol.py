"""The wire protocol on the real binary: pipelining, inline, limits, errors that close."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def test_ping_inline_and_multibulk(binary):
    with Server(binary) as s:
        c = s.connect()
        c.send(b"PING\r\n")
        assert c.read_reply() == b"+PONG\r\n"
        assert c.command("PING", "hi") == b"$2\r\nhi\r\n"
        c.send(b'ECHO "a b"\r\n')
        assert c.read_reply() == b"$3\r\na b\r\n"


def test_pipeline_one_batch(binary):
    with Server(binary) as s:
        c = s.connect()
        n = 1000
        c.send(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n" % (len(b"k%d" % i), i)
                        for i in range(n)))
        for _ in range(n):
            assert c.read_reply() == b"+OK\r\n"
        assert c.command("DBSIZE") == b":%d\r\n" % n


def test_split_reads(binary):
    with Server(binary) as s:
        c = s.connect()
        msg = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"
        for b in msg:
            c.send(bytes([b]))
        assert c.read_reply() == b"+OK\r\n"
        assert c.read_reply() == b"$5\r\nhello\r\n"


def test_big_value(binary):
    with Server(binary) as s:
        c = s.connect()
        v = os.urandom(5 * 1024 * 1024)
        assert c.command("SET", "big", v) == b"+OK\r\n"
        assert c.command("GET", "big") == b"$%d\r\n%s\r\n" % (len(v), v)


def test_protocol_errors_close(binary):
    cases = [
        (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n+foo\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
        (b'SET "abc\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ]
    with Server(binary) as s:
        for data, expected in cases:
            c = s.connect()
            c.send(data)
            assert c.read_reply() == expected, data
            assert c.closed_by_peer(), data
        c = s.connect()
        c.send(b"A" * (70 * 1024))
        assert c.read_reply() == b"-ERR Protocol error: too big inline request\r\n"
        assert c.closed_by_peer()
        # The server is still fine.
        assert s.connect().command("PING") == b"+PONG\r\n"


def test_bulk_over_proto_max_bulk_len(binary):
    with Server(binary, "--proto-max-bulk-len", "1mb") as s:
        c = s.connect()
        c.send(b"*2\r\n$3\r\nGET\r\n$2000000\r\n")
        assert c.read_reply() == b"-ERR Protocol error: invalid bulk length\r\n"
        assert c.closed_by_peer()


def test_unauthenticated_limits(binary):
    with Server(binary, "--requirepass", "secret") as s:
        c = s.connect()
        assert c.command("GET", "x") == b"-NOAUTH Authentication required.\r\n"
        c.send(b"*20\r\n")
        assert c.read_reply() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
        assert c.closed_by_peer()
        c = s.connect()
        c.send(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n")
        assert c.read_reply() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
        assert c.closed_by_peer()
        c = s.connect()
        assert c.command("AUTH", "wrong") == \
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert c.command("AUTH", "secret") == b"+OK\r\n"
        assert c.command("SET", "x", "1") == b"+OK\r\n"


def test_cross_protocol_guard(binary):
    with Server(binary) as s:
        c = s.connect()
        c.send(b"POST / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert c.closed_by_peer()
        assert c.buf == b""
        assert "Possible SECURITY ATTACK detected" in s.read_log()


def test_unknown_command_and_arity(binary):
    with Server(binary) as s:
        c = s.connect()
        assert c.command("NOPE", "a", "b") == \
            b"-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n"
        assert c.command("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
        assert c.command("CLIENT", "NOPE") == \
            b"-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"


def test_hello_resp3(binary):
    with Server(binary) as s:
        c = s.connect()
        r = c.command("HELLO", "3")
        assert r.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.4\r\n")
        assert c.command("GET", "missing") == b"_\r\n"
        assert c.command("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"


def test_quit_closes(binary):
    with Server(binary) as s:
        c = s.connect()
        assert c.command("QUIT") == b"+OK\r\n"
        assert c.closed_by_peer()


def test_maxclients(binary):
    with Server(binary, "--maxclients", "3") as s:
        first = s.connect()
        # The harness's readiness probe has just disconnected; wait until the server has seen
        # that, so the count below is exactly ours.
        deadline = time.time() + 5
        while first.command("CLIENT", "LIST").count(b"id=") != 1 and time.time() < deadline:
            time.sleep(0.05)
        clients = [first] + [s.connect() for _ in range(2)]
        for c in clients:
            assert c.command("PING") == b"+PONG\r\n"
        extra = s.connect()
        assert extra.read_reply() == b"-ERR max number of clients reached\r\n"
        assert extra.closed_by_peer()


def test_idle_timeout(binary):
    with Server(binary, "--timeout", "1") as s:
        c = s.connect()
        assert c.command("PING") == b"+PONG\r\n"
        assert c.closed_by_peer(timeout=4)


if __name__ == "__main__":
    run_tests(dict(globals()))
