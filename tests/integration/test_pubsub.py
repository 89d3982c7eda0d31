"""Pub/Sub against the real binary: delivery across workers, disconnects, output-buffer limits
and real clients (redis-py, redis-cli)."""
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import RawClient, Server, run_tests  # noqa: E402


def bulk(s):
    s = s if isinstance(s, bytes) else s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def message(channel, text, kind=b"message"):
    return b"*3\r\n" + bulk(kind) + bulk(channel) + bulk(text)


def pmessage(pattern, channel, text):
    return b"*4\r\n" + bulk(b"pmessage") + bulk(pattern) + bulk(channel) + bulk(text)


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += bulk(a if isinstance(a, bytes) else str(a).encode())
    return out


def subscribe(s, verb, *names):
    c = s.connect()
    c.send(encode(verb, *names))
    for _ in names:
        c.read_reply()
    return c


def info_field(c, section, field):
    text = c.command("INFO", section).decode()
    return text.split(field + ":")[1].split("\r\n")[0]


def numsub(c, channel):
    reply = c.command("PUBSUB", "NUMSUB", channel)
    return int(reply.split(b"\r\n")[-2][1:])


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_fanout_across_workers_exactly_once_in_order(binary):
    # 24 subscribers (channel, pattern and shard) and 3 concurrent publishers on 4 workers:
    # every subscriber gets every message meant for it once, each publisher's in its order.
    with Server(binary, "--io-threads", "4") as s:
        chan = [subscribe(s, "SUBSCRIBE", "feed") for _ in range(8)]
        pat = [subscribe(s, "PSUBSCRIBE", "fe?d") for _ in range(8)]
        shard = [subscribe(s, "SSUBSCRIBE", "feed") for _ in range(8)]
        control = s.connect()
        assert numsub(control, "feed") == 8
        assert control.command("PUBSUB", "NUMPAT") == b":1\r\n"
        n = 300
        counts = {}

        def publish(p):
            c = s.connect()
            results = []
            for i in range(n):
                verb = "SPUBLISH" if p == 2 else "PUBLISH"
                results.append(c.command(verb, "feed", "p%d-%d" % (p, i)))
            counts[p] = results
            c.close()

        threads = [threading.Thread(target=publish, args=(p,)) for p in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # PUBLISH reaches 8 channel and 8 pattern subscribers; SPUBLISH the 8 shard ones.
        assert counts[0] == [b":16\r\n"] * n and counts[1] == [b":16\r\n"] * n
        assert counts[2] == [b":8\r\n"] * n

        def received(c, count):
            return [c.read_reply() for _ in range(count)]

        for c in chan + pat:
            got = received(c, 2 * n)
            for p in (0, 1):
                mine = [m for m in got if b"p%d-" % p in m]
                if c in chan:
                    want = [message(b"feed", b"p%d-%d" % (p, i)) for i in range(n)]
                else:
                    want = [pmessage(b"fe?d", b"feed", b"p%d-%d" % (p, i)) for i in range(n)]
                assert mine == want
        for c in shard:
            assert received(c, n) == [message(b"feed", b"p2-%d" % i, b"smessage")
                                      for i in range(n)]
        # Nothing more is pending for anyone.
        time.sleep(0.2)
        for c in chan + pat + shard:
            assert c.buf == b""
            c.sock.setblocking(False)
            try:
                c.sock.recv(1)
                raise AssertionError("unexpected extra bytes")
            except BlockingIOError:
                pass


def test_disconnects_mid_stream(binary):
    # Subscribers leave (close, CLIENT KILL, RESET, UNSUBSCRIBE) while a publisher streams;
    # the server keeps serving and the counts follow.
    with Server(binary, "--io-threads", "4") as s:
        subs = [subscribe(s, "SUBSCRIBE", "c") for _ in range(12)]
        control = s.connect()
        stop = threading.Event()
        published = []

        def stream():
            c = s.connect()
            while not stop.is_set():
                published.append(int(c.command("PUBLISH", "c", "x" * 100)[1:-2]))
            c.close()

        t = threading.Thread(target=stream)
        t.start()
        time.sleep(0.2)
        for c in subs[:4]:
            c.close()
        killed = control.command("CLIENT", "KILL", "TYPE", "pubsub")
        assert int(killed[1:-2]) >= 8  # every subscriber still connected
        stop.set()
        t.join()
        assert published and max(published) <= 12
        for _ in range(100):
            if numsub(control, "c") == 0:
                break
            time.sleep(0.02)
        assert numsub(control, "c") == 0
        assert control.command("PUBLISH", "c", "m") == b":0\r\n"
        assert info_field(control, "stats", "pubsub_channels") == "0"

        # RESET and UNSUBSCRIBE without arguments end subscriptions too.
        a = subscribe(s, "SUBSCRIBE", "x", "y")
        b = subscribe(s, "PSUBSCRIBE", "x*")
        assert control.command("PUBLISH", "x", "1") == b":2\r\n"
        assert a.read_reply() == message(b"x", b"1")
        assert b.read_reply() == pmessage(b"x*", b"x", b"1")
        assert a.command("RESET") == b"+RESET\r\n"
        assert b.command("PUNSUBSCRIBE") == b"*3\r\n$12\r\npunsubscribe\r\n$2\r\nx*\r\n:0\r\n"
        assert control.command("PUBLISH", "x", "2") == b":0\r\n"
        assert a.command("GET", "k") == b"$-1\r\n"  # out of the Pub/Sub context
        assert b.command("GET", "k") == b"$-1\r\n"


def test_message_to_oneself_follows_its_reply(binary):
    # Redis 7.2: a RESP3 client's message to itself comes right after the PUBLISH reply, before
    # the next pipelined reply, and after the whole EXEC reply in a transaction.
    with Server(binary, "--io-threads", "2") as s:
        c = s.connect()
        c.command("HELLO", "3")
        assert c.command("SUBSCRIBE", "me") == b">3\r\n" + bulk("subscribe") + bulk("me") + b":1\r\n"
        c.send(encode("PUBLISH", "me", "a") + encode("PING"))
        push = b">3\r\n" + bulk("message") + bulk("me")
        assert c.read_reply() == b":1\r\n"
        assert c.read_reply() == push + bulk("a")
        assert c.read_reply() == b"+PONG\r\n"
        c.send(encode("MULTI") + encode("PUBLISH", "me", "b") + encode("PING", "x") + encode("EXEC"))
        assert [c.read_reply() for _ in range(3)] == [b"+OK\r\n", b"+QUEUED\r\n",
                                                      b"+QUEUED\r\n"]
        assert c.read_reply() == b"*2\r\n:1\r\n$1\r\nx\r\n"
        assert c.read_reply() == push + bulk("b")


def test_client_kill_ends_a_subscriber_that_does_not_read(binary):
    # CLIENT KILL closes another client at once, pending output dropped (Redis's freeClient):
    # a subscriber that never reads must not stay subscribed behind its unsent messages.
    with Server(binary, "--io-threads", "2") as s:
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", s.port))
        slow.sendall(encode("CLIENT", "SETNAME", "slow") + encode("SUBSCRIBE", "c"))
        control = s.connect()
        for _ in range(100):
            if numsub(control, "c") == 1:
                break
            time.sleep(0.01)
        for _ in range(64):
            assert control.command("PUBLISH", "c", "w" * 65536) == b":1\r\n"
        line = [l for l in control.command("CLIENT", "LIST").decode().split("\n") if "name=slow" in l]
        client_id = line[0].split(" ")[0].split("=")[1]
        assert int(line[0].split(" omem=")[1].split(" ")[0]) > 0  # output is pending
        assert control.command("CLIENT", "KILL", "ID", client_id) == b":1\r\n"
        for _ in range(100):
            if numsub(control, "c") == 0:
                break
            time.sleep(0.01)
        assert numsub(control, "c") == 0
        assert control.command("PUBLISH", "c", "x") == b":0\r\n"
        slow.close()


def test_slow_subscriber_is_cut_off_and_memory_stays_bounded(binary):
    # A subscriber that never reads, a publisher that publishes 1 GB: the subscriber is
    # disconnected at the pubsub hard limit (32 MB) and the server's RSS stays bounded.
    with Server(binary, "--io-threads", "4") as s:
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", s.port))
        slow.sendall(encode("SUBSCRIBE", "firehose"))
        control = s.connect()
        for _ in range(100):
            if numsub(control, "firehose") == 1:
                break
            time.sleep(0.01)
        rss_start = rss_kb(s.proc.pid)
        peak = [rss_start]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kb(s.proc.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        pub = s.connect()
        payload = b"z" * (100 * 1024)
        batch = encode("PUBLISH", "firehose", payload) * 16
        receivers = []
        total = 0
        while total < 1024 * 1024 * 1024:
            pub.send(batch)
            for _ in range(16):
                receivers.append(pub.read_reply())
            total += 16 * len(payload)
        done.set()
        sampler.join()
        log = s.read_log()
        print("RSS start %d kB, peak %d kB, published %d MB" % (rss_start, peak[0], total >> 20))
        assert "scheduled to be closed ASAP for overcoming of output buffer limits" in log
        assert "flags=P" in log and "sub=1" in log
        assert receivers[0] == b":1\r\n" and receivers[-1] == b":0\r\n"
        assert numsub(control, "firehose") == 0
        assert int(info_field(control, "stats", "total_net_input_bytes")) > total
        assert peak[0] < 200 * 1024, "RSS peaked at %d kB" % peak[0]
        slow.close()


def test_soft_limit_and_buffer_figures(binary):
    with Server(binary, "--io-threads", "2") as s:
        control = s.connect()
        assert control.command("CONFIG", "SET", "client-output-buffer-limit",
                               "pubsub 0 256kb 2") == b"+OK\r\n"
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", s.port))
        slow.sendall(encode("SUBSCRIBE", "c"))
        for _ in range(100):
            if numsub(control, "c") == 1:
                break
            time.sleep(0.01)
        payload = "y" * 65536
        # Enough to fill the kernel buffers and leave well over 256 KB queued in the server.
        for _ in range(160):
            assert control.command("PUBLISH", "c", payload) == b":1\r\n"
        # Above the soft limit but not for long enough: still connected, and the figures show
        # the pending output.
        line = [l for l in control.command("CLIENT", "LIST", "TYPE", "pubsub").decode().split("\n")
                if "sub=1" in l][0]
        fields = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
        assert int(fields["omem"]) > 256 * 1024
        assert int(fields["tot-mem"]) > int(fields["omem"])
        assert "P" in fields["flags"]
        time.sleep(1.2)  # the cron samples the buffers once a second
        assert int(info_field(control, "clients", "client_recent_max_output_buffer")) > 256 * 1024
        assert int(info_field(control, "memory", "mem_clients_normal")) > 256 * 1024
        # With no more traffic, the cron finds it above the soft limit for more than 2 s.
        for _ in range(300):
            if numsub(control, "c") == 0:
                break
            time.sleep(0.02)
        assert numsub(control, "c") == 0
        assert "closed for overcoming of output buffer limits." in s.read_log()
        # A normal client has no limit by default.
        assert control.command("CONFIG", "GET", "client-output-buffer-limit") == (
            b"*2\r\n" + bulk("client-output-buffer-limit") +
            bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 0 262144 2"))
        slow.close()


def test_redis_py_pubsub(binary):
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis()
        p = r.pubsub()
        p.subscribe("news")
        p.psubscribe("n*")
        assert p.get_message(timeout=2)["type"] == "subscribe"
        assert p.get_message(timeout=2)["type"] == "psubscribe"
        assert r.publish("news", "hello") == 2
        got = [p.get_message(timeout=2) for _ in range(2)]
        assert {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"} in got
        assert {"type": "pmessage", "pattern": b"n*", "channel": b"news", "data": b"hello"} in got
        assert r.pubsub_numsub("news") == [(b"news", 1)]
        assert r.pubsub_numpat() == 1
        assert r.pubsub_channels() == [b"news"]
        p.close()

        received = []
        p2 = r.pubsub(ignore_subscribe_messages=True)
        p2.subscribe(**{"jobs": lambda m: received.append(m["data"])})
        worker = p2.run_in_thread(sleep_time=0.01)
        for _ in range(100):
            if r.pubsub_numsub("jobs") == [(b"jobs", 1)]:
                break
            time.sleep(0.01)
        for i in range(50):
            assert r.publish("jobs", str(i)) == 1
        for _ in range(200):
            if len(received) == 50:
                break
            time.sleep(0.01)
        worker.stop()
        worker.join(2)
        assert received == [str(i).encode() for i in range(50)]

        # Sharded Pub/Sub: redis-py 4.3 has no helpers for it (get_message ignores what it does
        # not track), so read the raw replies through its PubSub connection.
        p3 = r.pubsub()
        p3.execute_command("SSUBSCRIBE", "orders")
        assert p3.parse_response(block=False, timeout=2) == [b"ssubscribe", b"orders", 1]
        assert r.execute_command("SPUBLISH", "orders", "1") == 1
        assert p3.parse_response(block=False, timeout=2) == [b"smessage", b"orders", b"1"]
        p3.close()


def test_redis_cli_csv_and_resp3(binary):
    with Server(binary, "--io-threads", "2") as s:
        control = s.connect()
        csv = subprocess.Popen(["redis-cli", "-p", str(s.port), "--csv", "subscribe", "ch"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        resp3 = subprocess.Popen(["redis-cli", "-p", str(s.port), "-3", "subscribe", "ch"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(200):
            if numsub(control, "ch") == 2:
                break
            time.sleep(0.01)
        # One of them speaks RESP3: it receives pushes.
        clients = control.command("CLIENT", "LIST", "TYPE", "pubsub").decode()
        assert " resp=3 " in clients and " resp=2 " in clients
        assert control.command("PUBLISH", "ch", "hello world") == b":2\r\n"
        time.sleep(0.3)
        csv.terminate()
        resp3.terminate()
        csv_out = csv.communicate(timeout=5)[0].decode()
        resp3_out = resp3.communicate(timeout=5)[0].decode()
        assert '"subscribe","ch",1' in csv_out
        assert '"message","ch","hello world"' in csv_out
        # redis-cli prints the pushes it receives, one element a line when not on a terminal.
        assert resp3_out == "subscribe\nch\n1\nmessage\nch\nhello world\n"
        assert csv_out.endswith('\n"subscribe","ch",1\n"message","ch","hello world"\n')


def test_same_bytes_as_redis_server(binary):
    # The same script to both servers, byte for byte (when the reference server is installed).
    script = [
        ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE",), ("PUBSUB", "NUMSUB", "a"),
        ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "NUMPAT", "x"), ("PUBSUB", "nope"),
        ("SUBSCRIBE", "a", "b", "a"), ("PING",), ("PING", "m"), ("GET", "k"),
        ("CLIENT", "LIST"), ("PSUBSCRIBE", "a*"), ("SSUBSCRIBE", "s"), ("UNSUBSCRIBE", "zz"),
        ("PUNSUBSCRIBE", "a*"), ("SUNSUBSCRIBE", "s"), ("UNSUBSCRIBE", "a"), ("UNSUBSCRIBE", "b"),
        ("PING",), ("HELLO", "3"), ("SUBSCRIBE", "r3"), ("PING",), ("GET", "k"), ("MULTI",), ("SSUBSCRIBE", "x"), ("EXEC",), ("RESET",), ("PING",),
    ]
    port = None
    try:
        import shutil
        if shutil.which("redis-server") is None:
            print("redis-server not installed: skipped")
            return
        from harness import free_port
        port = free_port()
        ref = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        def run(p):
            c = RawClient(p)
            out = []
            for cmd in script:
                c.send(encode(*cmd))
                n = 3 if cmd[0] == "SUBSCRIBE" and len(cmd) == 4 else 1
                out.append(b"".join(c.read_reply() for _ in range(n)))
            c.close()
            return out

        with Server(binary, "--io-threads", "2") as s:
            ours = run(s.port)
        theirs = run(port)
        ref.terminate()
        ref.wait()
        for cmd, a, b in zip(script, ours, theirs):
            if cmd[0] != "HELLO":  # carries the version and the client id
                assert a == b, (cmd, a, b)
    finally:
        pass


if __name__ == "__main__":
    run_tests(globals())
