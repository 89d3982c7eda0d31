"""CONFIG SET port, bind and tls-port on a running server (Redis 7.2's changeListener), and
the listener lines of INFO: the new sockets serve at once, the old ones stop, a port another
process holds or an address that cannot be bound fails the CONFIG SET with Redis's error and
leaves the server listening where it was.  Two io-threads, so the swap reaches a worker other
than the one running CONFIG SET."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import RawClient, Server, free_port, run_tests  # noqa: E402
from test_tls import have_openssl, make_certs, peer_common_name  # noqa: E402


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def ping(port):
    c = RawClient(port)
    try:
        return c.command("PING")
    finally:
        c.close()


def info_fields(c):
    raw = c.command("INFO", "server").decode()
    return dict(line.split(":", 1) for line in raw.split("\r\n")[1:] if ":" in line)


def test_config_set_port(binary):
    with Server(binary, "--io-threads", "2") as s:
        c = s.connect()
        new = free_port()
        assert c.command("CONFIG", "SET", "port", str(new)) == b"+OK\r\n"
        for _ in range(8):  # each connection may land on either worker
            assert ping(new) == b"+PONG\r\n"
        assert refused(s.port)
        # The connection that changed it stays.
        assert c.command("PING") == b"+PONG\r\n"
        info = info_fields(c)
        assert info["tcp_port"] == str(new)
        assert info["listener0"] == f"name=tcp,bind=127.0.0.1,port={new}"
        assert c.command("CONFIG", "GET", "port") == b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (
            len(str(new)), new)

        # A port another process listens on: Redis's error, and nothing changes.
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        busy = holder.getsockname()[1]
        assert c.command("CONFIG", "SET", "port", str(busy)) == (
            b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on "
            b"this port. Check server logs.\r\n")
        holder.close()
        assert ping(new) == b"+PONG\r\n"
        assert info_fields(c)["tcp_port"] == str(new)
        assert c.command("CONFIG", "GET", "port").endswith(b"%d\r\n" % new)

        # Port 0: no TCP listener at all.
        assert c.command("CONFIG", "SET", "port", "0") == b"+OK\r\n"
        assert refused(new)
        assert "listener0" not in info_fields(c)
        s.port = new  # for the harness's shutdown


def test_config_set_bind(binary):
    with Server(binary, "--io-threads", "2") as s:
        c = s.connect()
        assert c.command("CONFIG", "SET", "bind", "999.999.999.999") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to "
            b"specified addresses.\r\n")
        assert ping(s.port) == b"+PONG\r\n"
        assert c.command("CONFIG", "GET", "bind") == b"*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n"

        # No address: no new connection gets in; the existing one still works.
        assert c.command("CONFIG", "SET", "bind", "") == b"+OK\r\n"
        assert refused(s.port)
        assert info_fields(c)["listener0"] == f"name=tcp,port={s.port}"
        assert c.command("CONFIG", "SET", "bind", "* -::*") == b"+OK\r\n"
        for _ in range(8):
            assert ping(s.port) == b"+PONG\r\n"
        assert info_fields(c)["listener0"] == f"name=tcp,bind=*,bind=-::*,port={s.port}"
        # The same port again on other addresses (our own sockets hold it meanwhile).
        assert c.command("CONFIG", "SET", "bind", "127.0.0.1") == b"+OK\r\n"
        assert ping(s.port) == b"+PONG\r\n"


def test_config_set_tls_port(binary):
    if not have_openssl():
        return
    certs = make_certs()
    # Started without TLS: setting the files, then tls-port, turns it on.
    with Server(binary, "--io-threads", "2") as s:
        c = s.connect()
        for name, value in (("tls-cert-file", "server.crt"), ("tls-key-file", "server.key"),
                            ("tls-ca-cert-file", "ca.crt")):
            assert c.command("CONFIG", "SET", name, os.path.join(certs, value)) == b"+OK\r\n"
        first = free_port()
        assert c.command("CONFIG", "SET", "tls-port", str(first)) == b"+OK\r\n"
        for _ in range(4):
            assert peer_common_name(first, certs) == "server"
        info = info_fields(c)
        assert info["listener2"] == f"name=tls,bind=127.0.0.1,port={first}"
        assert info["tcp_port"] == str(s.port)

        second = free_port()
        assert c.command("CONFIG", "SET", "tls-port", str(second)) == b"+OK\r\n"
        assert peer_common_name(second, certs) == "server"
        assert refused(first)
        assert ping(s.port) == b"+PONG\r\n"

        # With the plain port gone, INFO's tcp_port is the TLS one, as in Redis.
        assert c.command("CONFIG", "SET", "port", "0") == b"+OK\r\n"
        assert info_fields(c)["tcp_port"] == str(second)
        assert c.command("CONFIG", "SET", "tls-port", "0") == b"+OK\r\n"
        assert refused(second)
        assert "listener2" not in info_fields(c)
        time.sleep(0.1)


if __name__ == "__main__":
    run_tests(globals())
