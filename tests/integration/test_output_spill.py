"""Output that piles up behind a client that does not read is kept in blocks (Connection::Spill)
and counted as the allocator holds it; it reaches the client whole and in order; client
eviction, not key eviction, gives back what such clients hold (the Redis suite's "eviction
due to output buffers of many MGET clients")."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests, resp  # noqa: E402

MB = 1024 * 1024


def read_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(1 << 20, n - len(buf)))
        assert chunk, "connection closed"
        buf += chunk
    return bytes(buf)


def client_field(r, client_id, field):
    line = r.execute_command("CLIENT", "LIST", "ID", client_id)
    line = line.decode() if isinstance(line, bytes) else line
    for part in line.split():
        k, _, v = part.partition("=")
        if k == field:
            return int(v)
    raise KeyError(field)


def test_replies_behind_a_full_socket_arrive_whole_and_in_order(binary):
    with Server(binary, "--io-threads", "2") as s:
        r = s.redis()
        values = {}
        for i in range(40):
            values[i] = (b"%03d" % i) * 10000  # 30 KB each, all different
            r.set("k%d" % i, values[i])
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(resp("CLIENT", "ID"))
        time.sleep(0.2)
        header = sock.recv(64)
        client_id = int(header[1:header.index(b"\r\n")])
        order = [i % 40 for i in range(600)]  # about 18 MB of replies, never read meanwhile
        for start in range(0, len(order), 50):
            sock.sendall(b"".join(resp("GET", "k%d" % i) for i in order[start:start + 50]))
            time.sleep(0.01)
        time.sleep(0.5)
        # Held in blocks and counted at what the allocator holds: CLIENT LIST's tot-mem
        # covers what is pending (omem) and used_memory grew by about as much.
        omem = client_field(r, client_id, "omem")
        tot = client_field(r, client_id, "tot-mem")
        assert omem > 4 * MB, omem
        assert tot >= omem, (tot, omem)
        assert tot < omem * 1.15 + 256 * 1024, (tot, omem)
        for i in order:
            v = values[i]
            expect = b"$%d\r\n%s\r\n" % (len(v), v)
            got = read_exactly(sock, len(expect))
            assert got == expect, (i, got[:20])
        sock.sendall(resp("PING"))
        assert read_exactly(sock, 7) == b"+PONG\r\n"
        # Written out: nothing is held any more.
        deadline = time.time() + 5
        while client_field(r, client_id, "omem") != 0:
            assert time.time() < deadline
            time.sleep(0.05)
        sock.close()


def test_messages_to_a_subscriber_that_does_not_read_arrive_in_order(binary):
    with Server(binary, "--io-threads", "2") as s:
        r = s.redis()
        sub = socket.create_connection(("127.0.0.1", s.port))
        sub.sendall(resp("SUBSCRIBE", "ch"))
        confirm = b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        assert read_exactly(sub, len(confirm)) == confirm
        payloads = [(b"%04d" % i) * 5000 for i in range(600)]  # 20 KB each, 12 MB
        p = r.pipeline(transaction=False)
        for m in payloads:
            p.publish("ch", m)
        assert p.execute() == [1] * len(payloads)
        for m in payloads:
            expect = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$%d\r\n%s\r\n" % (len(m), m)
            assert read_exactly(sub, len(expect)) == expect
        sub.close()


def test_mget_clients_are_evicted_before_keys(binary):
    # The Redis suite's test with client eviction on, several times over: 20 clients that
    # never read send MGETs of a 100 KB value until one is evicted; no key may be.
    with Server(binary, "--io-threads", "2", "--maxmemory", "11mb",
                "--maxmemory-policy", "allkeys-lru") as s:
        r = s.redis()
        for _ in range(5):
            r.flushdb()
            r.config_set("maxmemory-clients", "3mb")
            r.execute_command("CLIENT", "NO-EVICT", "on")
            r.config_resetstat()
            for j in range(50):
                r.setrange(str(j), 100000, "x")
            socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(20)]
            for c in socks:
                c.setblocking(False)
            deadline = time.time() + 20
            while r.info("stats")["evicted_clients"] == 0:
                assert time.time() < deadline, "no client evicted"
                for c in socks:
                    try:
                        c.send(resp("MGET", "1"))
                    except (BlockingIOError, OSError):
                        pass
            stats = r.info("stats")
            assert stats["evicted_keys"] == 0, stats["evicted_keys"]
            assert r.dbsize() == 50
            for c in socks:
                c.close()
            time.sleep(0.2)


if __name__ == "__main__":
    run_tests(globals())
