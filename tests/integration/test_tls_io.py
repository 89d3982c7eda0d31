"""TLS connections' read and write paths (server/net/tls.cc): requests split across TLS records
and TCP segments at any byte, many records in one read, replies of many records to a client
that reads late, clients that leave in the middle of a handshake, Pub/Sub messages and the
query buffer limit over TLS.  The client side is Python's ssl over memory BIOs on a plain
socket, so the test decides where records and segments end.  Skips when the openssl command is
missing (the certificates are made with it)."""
import os
import shutil
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import resp as cmd, run_tests  # noqa: E402
from test_tls import have_openssl, make_certs, tls_server  # noqa: E402

import redis  # noqa: E402


def client_context(certs):
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
    ctx.load_cert_chain(os.path.join(certs, "client.crt"), os.path.join(certs, "client.key"))
    return ctx


class RawTls:
    """A TLS client whose records and TCP segments the test chooses."""

    def __init__(self, port, certs):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = client_context(certs).wrap_bio(self.incoming, self.outgoing,
                                                  server_hostname="localhost")
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(self.outgoing.read())
                data = self.sock.recv(65536)
                assert data, "closed during the handshake"
                self.incoming.write(data)
        self.sock.sendall(self.outgoing.read())

    def records(self, *plaintexts):
        """Ciphertext of one TLS record per plaintext (each under 16 KiB)."""
        for p in plaintexts:
            self.tls.write(p)
        return self.outgoing.read()

    def send_in_pieces(self, data, size, pause=0.0):
        for i in range(0, len(data), size):
            self.sock.sendall(data[i:i + size])
            if pause:
                time.sleep(pause)

    def read_exactly(self, n, timeout=30):
        out = bytearray()
        deadline = time.time() + timeout
        while len(out) < n:
            try:
                out += self.tls.read(n - len(out))
                continue
            except ssl.SSLWantReadError:
                pass
            assert time.time() < deadline, (len(out), n)
            data = self.sock.recv(1 << 20)
            assert data, "closed by the server after %d of %d bytes" % (len(out), n)
            self.incoming.write(data)
        return bytes(out)

    def closed_by_server(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def bulk(value):
    return b"$%d\r\n%s\r\n" % (len(value), value)


def test_requests_split_across_records_and_segments(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        c = RawTls(s.tls_port, certs)
        # One command in three records, sent together.
        req = cmd("SET", "k", "hello")
        c.sock.sendall(c.records(req[:10], req[10:21], req[21:]))
        assert c.read_exactly(5) == b"+OK\r\n"
        # One record sent a byte per segment: the server holds part of a record between reads.
        c.send_in_pieces(c.records(cmd("GET", "k")), 1, pause=0.002)
        assert c.read_exactly(11) == b"$5\r\nhello\r\n"
        # A record per command, a thousand of them in one send: many records in one read.
        c.sock.sendall(c.records(*[cmd("INCR", "n")] * 1000))
        want = b"".join(b":%d\r\n" % i for i in range(1, 1001))
        assert c.read_exactly(len(want)) == want
        # A 300 KB value in 16 KiB records, sent in segments that end mid-record.
        value = os.urandom(300 * 1000)
        req = cmd("SET", "big", value)
        data = c.records(*[req[i:i + 16384] for i in range(0, len(req), 16384)])
        c.send_in_pieces(data, 7001)
        assert c.read_exactly(5) == b"+OK\r\n"
        # A command split in the middle of its bulk length, across two segments and records,
        # with a pause between them.
        req = cmd("GET", "big")
        c.sock.sendall(c.records(req[:12]))
        time.sleep(0.1)
        c.sock.sendall(c.records(req[12:]))
        assert c.read_exactly(len(bulk(value))) == bulk(value)
        c.close()
        assert s.redis().get("k") == b"hello"
    shutil.rmtree(certs)


def test_big_replies_to_a_late_reader(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        r = s.redis()
        big = os.urandom(8 * 1024 * 1024)
        r.set("big", big)
        parts = [os.urandom(100 * 1000 + i) for i in range(3)]
        for i, p in enumerate(parts):
            r.set("p%d" % i, p)
        c = RawTls(s.tls_port, certs)
        # Several records' worth of reply; the client reads nothing for a while, so the
        # socket fills and the rest waits in the server (the write path's second half).
        c.sock.sendall(c.records(cmd("GET", "big") + cmd("MGET", "p0", "p1", "p2") +
                                 cmd("PING")))
        time.sleep(0.5)
        assert c.read_exactly(len(bulk(big))) == bulk(big)
        want = b"*3\r\n" + b"".join(bulk(p) for p in parts) + b"+PONG\r\n"
        assert c.read_exactly(len(want)) == want
        # The connection still works, and a small reply after big ones comes whole.
        c.sock.sendall(c.records(cmd("STRLEN", "big")))
        want = b":%d\r\n" % len(big)
        assert c.read_exactly(len(want)) == want
        c.close()
    shutil.rmtree(certs)


def client_hello(certs):
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(certs).wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def test_clients_leaving_mid_handshake(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        hello = client_hello(certs)
        assert hello[:1] == b"\x16" and len(hello) > 100
        for how in ("half hello", "hello", "hello then reset", "hello then garbage",
                    "garbage"):
            for _ in range(5):
                raw = socket.create_connection(("127.0.0.1", s.tls_port))
                if how == "half hello":
                    raw.sendall(hello[:len(hello) // 2])
                elif how == "garbage":
                    raw.sendall(b"PING\r\n" * 10)
                else:
                    raw.sendall(hello)
                if how == "hello then garbage":
                    raw.sendall(os.urandom(300))
                if how == "hello then reset":
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00"
                                   b"\x00\x00\x00\x00")
                raw.close()
        # A client whose handshake is done leaves without a command; one leaves with a
        # command half sent.
        c = RawTls(s.tls_port, certs)
        c.close()
        c = RawTls(s.tls_port, certs)
        c.sock.sendall(c.records(cmd("SET", "x", "1"))[:20])
        c.close()
        # The server serves on, over TLS and plain, and every one of them is gone.
        c = RawTls(s.tls_port, certs)
        c.sock.sendall(c.records(cmd("PING")))
        assert c.read_exactly(7) == b"+PONG\r\n"
        r = s.redis()
        deadline = time.time() + 5
        while r.info("clients")["connected_clients"] != 2 and time.time() < deadline:
            time.sleep(0.05)
        assert r.info("clients")["connected_clients"] == 2
        assert r.get("x") is None
        c.close()
    shutil.rmtree(certs)


def test_pubsub_over_tls(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs) as s:
        sub = redis.Redis(port=s.tls_port, ssl=True, ssl_ca_certs=os.path.join(certs, "ca.crt"),
                          ssl_certfile=os.path.join(certs, "client.crt"),
                          ssl_keyfile=os.path.join(certs, "client.key"))
        p = sub.pubsub()
        p.subscribe("ch")
        p.psubscribe("pat.*")
        assert p.get_message(timeout=5)["type"] == "subscribe"
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        pub = s.redis()
        sent = [b"m%d" % i for i in range(200)] + [os.urandom(100 * 1000)]
        for m in sent:
            assert pub.publish("ch", m) == 1
        assert pub.publish("pat.x", b"by pattern") == 1
        got = []
        deadline = time.time() + 10
        while len(got) < len(sent) + 1 and time.time() < deadline:
            m = p.get_message(timeout=1)
            if m is not None:
                got.append((m["type"], m["data"]))
        assert got == [("message", m) for m in sent] + [("pmessage", b"by pattern")]
        p.close()
    shutil.rmtree(certs)


def test_query_buffer_limit_over_tls(binary):
    if not have_openssl():
        return
    certs = make_certs()
    with tls_server(binary, certs, "--client-query-buffer-limit", "1mb") as s:
        # A 2 MB argument passes client-query-buffer-limit: the connection is closed without a
        # reply, with the log line, as on the plain port.
        c = RawTls(s.tls_port, certs)
        req = cmd("SET", "v", b"x" * 2000000)
        try:
            c.sock.sendall(c.records(*[req[i:i + 16384] for i in range(0, len(req), 16384)]))
        except (ConnectionResetError, BrokenPipeError):
            pass
        assert c.closed_by_server()
        deadline = time.time() + 5
        while "max query buffer length" not in s.read_log() and time.time() < deadline:
            time.sleep(0.05)
        assert "max query buffer length" in s.read_log()
        # Under the limit is fine, in one send of many records.
        c = RawTls(s.tls_port, certs)
        req = cmd("SET", "v", b"y" * 900000) + cmd("STRLEN", "v")
        c.sock.sendall(c.records(*[req[i:i + 16384] for i in range(0, len(req), 16384)]))
        assert c.read_exactly(5 + 9) == b"+OK\r\n:900000\r\n"
        c.close()
        assert s.redis().exists("v") == 1
    shutil.rmtree(certs)


if __name__ == "__main__":
    run_tests(globals())
