"""INFO memory, MEMORY STATS, client eviction (maxmemory-clients) and oom-score-adj on the real
binary; field names, order and reply shapes compared with the reference redis-server 7.2.4
when it is installed."""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests  # noqa: E402

import redis  # noqa: E402

REFERENCE = "/work/redis-724/src/redis-server"
MB = 1024 * 1024


class Reference:
    """The reference redis-server on a free port, or None when it is not installed."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-ref-")
        self.proc = subprocess.Popen(
            [REFERENCE, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                r = redis.Redis(port=self.port)
                r.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("reference server did not start")

    def redis(self, **kw):
        return redis.Redis(port=self.port, **kw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


def have_reference():
    return os.access(REFERENCE, os.X_OK)


def field_names(text, section):
    names, current = [], None
    for line in text.splitlines():
        if line.startswith("# "):
            current = line[2:].lower()
        elif ":" in line and current == section:
            names.append(line.split(":", 1)[0])
    return names


def map_keys(reply):
    """Keys of a MEMORY STATS reply (RESP2 flat list), nested maps flattened in order."""
    keys = []
    for i in range(0, len(reply), 2):
        keys.append(reply[i].decode())
        if isinstance(reply[i + 1], list):
            keys.extend(map_keys(reply[i + 1]))
    return keys


def test_info_memory_fields_and_order_match_redis(binary):
    with Server(binary) as s:
        ours = raw(s.port, b"INFO memory\r\n").decode()
        assert field_names(ours, "memory")[:3] == ["used_memory", "used_memory_human",
                                                   "used_memory_rss"]
        if have_reference():
            with Reference() as ref:
                theirs = raw(ref.port, b"INFO memory\r\n").decode()
            assert field_names(ours, "memory") == field_names(theirs, "memory")
        info = s.redis().info("memory")
        assert info["used_memory_overhead"] + info["used_memory_dataset"] == info["used_memory"]
        assert 0 < info["used_memory_startup"] <= info["used_memory_overhead"]
        assert info["maxmemory_human"] == "0B" and info["maxmemory_policy"] == "noeviction"
        assert info["mem_allocator"].startswith("jemalloc-")
        # used_memory is live bytes: at start-up it is well under the allocator's resident pages.
        assert info["used_memory"] < info["allocator_resident"]


def test_memory_stats_keys_match_redis_resp2_and_resp3(binary):
    with Server(binary) as s:
        ours = s.redis()
        ours.set("x", "y")
        ours.execute_command("SELECT", "3")
        ours.set("b", "2")
        reply = ours.execute_command("MEMORY", "STATS")
        keys = map_keys(reply)
        assert "db.0" in keys and "db.3" in keys
        if have_reference():
            with Reference() as ref:
                rr = ref.redis()
                rr.set("x", "y")
                rr.execute_command("SELECT", "3")
                rr.set("b", "2")
                assert map_keys(rr.execute_command("MEMORY", "STATS")) == keys
                # RESP3: a map with nested maps, doubles as doubles.
                ref_raw = raw(ref.port, b"HELLO 3\r\nMEMORY STATS\r\n")
            our_raw = raw(s.port, b"HELLO 3\r\nMEMORY STATS\r\n")
            assert shape(our_raw) == shape(ref_raw), (shape(our_raw), shape(ref_raw))


def raw(port, payload):
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(payload)
        time.sleep(0.3)
        c.settimeout(1)
        data = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
    return data


def shape(data):
    """The MEMORY STATS reply (after HELLO's) as type markers and keys: values stripped."""
    start = data.index(b"%2") if data.startswith(b"%") else 0
    # HELLO's own reply is a map too: skip to the second top-level '%'.
    second = data.find(b"\r\n%", start + 1)
    body = data[second + 2:]
    out = []
    lines = body.split(b"\r\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"$"):
            out.append(lines[i + 1].decode())
            i += 2
            continue
        if line:
            out.append(chr(line[0]))
        i += 1
    return out


def test_memory_doctor_and_help_shapes(binary):
    with Server(binary) as s:
        r = s.redis()
        text = r.execute_command("MEMORY", "DOCTOR")
        assert isinstance(text, bytes) and len(text) > 20
        help_lines = [l.decode() for l in r.execute_command("MEMORY", "HELP")]
        if have_reference():
            with Reference() as ref:
                theirs = [l.decode() for l in ref.redis().execute_command("MEMORY", "HELP")]
            # The same subcommands, in the same order (the explanations are our own).
            assert [l for l in help_lines if not l.startswith(" ")] == \
                [l for l in theirs if not l.startswith(" ")]
        assert r.execute_command("MEMORY", "PURGE") == b"OK"
        assert b"jemalloc statistics" in r.execute_command("MEMORY", "MALLOC-STATS")


def tot_mem(r, name):
    for c in r.client_list():
        if c["name"] == name:
            return int(c["tot-mem"])
    return None


def test_client_eviction_takes_the_largest_first(binary):
    with Server(binary, "--io-threads", "2") as s:
        control = s.redis()
        control.client_setname("control")
        control.client_no_evict("on")
        socks = []
        sizes = {"small": 64 * 1024, "big": 1 * MB}
        for name, size in [("small", sizes["small"]), ("big", sizes["big"]), ("big", sizes["big"])]:
            c = socket.create_connection(("127.0.0.1", s.port))
            c.sendall(b"CLIENT SETNAME " + name.encode() + b"\r\n")
            assert c.recv(64) == b"+OK\r\n"
            c.sendall(b"*2\r\n$%d\r\n" % size + b"v" * size)  # never completed
            socks.append(c)
        deadline = time.time() + 5
        while time.time() < deadline and sum(
                1 for c in control.client_list() if c["name"] == "big" and int(c["qbuf"]) >= MB) < 2:
            time.sleep(0.05)
        big = tot_mem(control, "big")
        small = tot_mem(control, "small")
        assert big >= MB and small >= sizes["small"]
        assert control.info("stats")["evicted_clients"] == 0
        # Room for one big client and everything else: exactly one big one must go.
        limit = big + small + tot_mem(control, "control") + 64 * 1024
        control.config_set("maxmemory-clients", str(limit))
        names = [c["name"] for c in control.client_list()]
        assert names.count("big") == 1 and names.count("small") == 1, names
        assert control.info("stats")["evicted_clients"] == 1
        assert "Evicting client: " in s.read_log()
        # A percentage of maxmemory: 1% of 10mb is under the 128kb floor, so the floor holds.
        control.config_set("maxmemory", "10mb")
        control.config_set("maxmemory-clients", "1%")
        assert control.config_get("maxmemory-clients") == {"maxmemory-clients": "1%"}
        names = [c["name"] for c in control.client_list()]
        assert "big" not in names and "control" in names, names
        assert control.info("stats")["evicted_clients"] >= 2
        assert control.info("memory")["mem_clients_normal"] > 0
        for c in socks:
            c.close()


def on_worker_one(unix_path, port, want):
    """`want` TCP connections owned by worker 1 of a two-worker server: worker 0 (which serves
    the unix socket) sleeps while candidates PING; those answered during the sleep are owned
    by the other worker."""
    found = []
    while len(found) < want:
        sleeper = socket.socket(socket.AF_UNIX)
        sleeper.connect(unix_path)
        sleeper.sendall(b"DEBUG SLEEP 1\r\n")
        time.sleep(0.1)
        candidates = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        for c in candidates:
            c.sendall(b"PING\r\n")
        time.sleep(0.3)  # worker 0 sleeps for 0.6 s more
        for c in candidates:
            c.setblocking(False)
            try:
                answered = c.recv(64) == b"+PONG\r\n"
            except BlockingIOError:
                answered = False
            if answered and len(found) < want:
                c.setblocking(True)
                found.append(c)
            else:
                c.close()
        assert recv_lines(sleeper, 1) == [b"+OK"]
        sleeper.close()
    return found


def test_client_eviction_does_not_overshoot_while_the_victims_worker_is_busy(binary):
    # The largest client lives on worker 1, busy in DEBUG SLEEP when a client of worker 0
    # passes the limit: the big client's bytes must leave the clients' total when it is
    # chosen, not when its worker gets round to closing it, or the evicting worker (which
    # waits at most 200 ms for that close) goes on to evict a smaller client that did not
    # need to go.
    unix_path = os.path.join(tempfile.mkdtemp(prefix="tessera-ce-"), "s.sock")
    with Server(binary, "--io-threads", "2", "--unixsocket", unix_path,
                "--enable-debug-command", "yes") as s:
        r = s.redis()
        r.client_no_evict("on")
        big, busy = on_worker_one(unix_path, s.port, 2)
        small = socket.socket(socket.AF_UNIX)  # worker 0
        small.connect(unix_path)
        for sock, name in [(big, b"big"), (small, b"small")]:
            sock.sendall(b"CLIENT SETNAME " + name + b"\r\n")
            assert recv_lines(sock, 1) == [b"+OK"]
        big.sendall(b"*2\r\n$%d\r\n" % MB + b"v" * MB)  # never completed
        deadline = time.time() + 5
        while time.time() < deadline and (tot_mem(r, "big") or 0) < MB:
            time.sleep(0.05)
        total = sum(int(c["tot-mem"]) for c in r.client_list())
        r.config_set("maxmemory-clients", str(total + 128 * 1024))
        busy.sendall(b"DEBUG SLEEP 1\r\n")
        time.sleep(0.2)  # worker 1 is asleep now
        # 256 KiB more on worker 0: over the limit, and evicting "big" alone is enough.
        small.sendall(b"*2\r\n$%d\r\n" % (256 * 1024) + b"v" * 1000)
        assert recv_lines(busy, 1) == [b"+OK"]
        names = [c["name"] for c in r.client_list()]
        assert "big" not in names and "small" in names, names
        assert r.info("stats")["evicted_clients"] == 1
        for c in (big, busy, small):
            c.close()


def test_client_no_evict_protects(binary):
    with Server(binary, "--maxmemory-clients", "200kb") as s:
        control = s.redis()
        control.client_no_evict("on")
        other = socket.create_connection(("127.0.0.1", s.port))
        other.sendall(b"CLIENT SETNAME other\r\n")
        assert recv_lines(other, 1) == [b"+OK"]
        protected = socket.create_connection(("127.0.0.1", s.port))
        protected.sendall(b"CLIENT SETNAME protected\r\nCLIENT NO-EVICT ON\r\n")
        assert recv_lines(protected, 2) == [b"+OK", b"+OK"]
        protected.sendall(b"*2\r\n$%d\r\n" % (400 * 1024) + b"v" * (400 * 1024))
        deadline = time.time() + 5
        while time.time() < deadline and (tot_mem(control, "protected") or 0) < 400 * 1024:
            time.sleep(0.05)
        # Over the limit, and kept; the small client that may be evicted goes, as in Redis,
        # at its next command at the latest.
        assert tot_mem(control, "protected") > 400 * 1024
        try:
            other.sendall(b"PING\r\n")
            other.settimeout(5)
            assert other.recv(64) == b""
        except ConnectionResetError:
            pass
        assert tot_mem(control, "other") is None and tot_mem(control, "protected") is not None
        assert control.info("stats")["evicted_clients"] == 1
        protected.close()
        other.close()


def recv_lines(sock, n):
    data = b""
    sock.settimeout(5)
    while data.count(b"\r\n") < n:
        chunk = sock.recv(4096)
        assert chunk, "connection closed after %r" % data
        data += chunk
    return data.split(b"\r\n")[:n]


def test_config_set_maxmemory_clients_errors_match_redis(binary):
    with Server(binary) as s:
        r = s.redis()
        cases = ["101%", "-1", "x%", "1zz"]
        ours = []
        for v in cases:
            try:
                r.config_set("maxmemory-clients", v)
                ours.append("OK")
            except redis.exceptions.ResponseError as e:
                ours.append(str(e))
        if have_reference():
            with Reference() as ref:
                theirs = []
                for v in cases:
                    try:
                        ref.redis().config_set("maxmemory-clients", v)
                        theirs.append("OK")
                    except redis.exceptions.ResponseError as e:
                        theirs.append(str(e))
            assert ours == theirs, (ours, theirs)


def read_oom(pid):
    with open("/proc/%d/oom_score_adj" % pid) as f:
        return int(f.read())


def test_oom_score_adj_changes_the_process_score(binary):
    with Server(binary) as s:
        r = s.redis()
        pid = r.info("server")["process_id"]
        base = read_oom(pid)
        r.config_set("oom-score-adj-values", "10 20 30")
        r.config_set("oom-score-adj", "yes")
        assert read_oom(pid) == base + 10
        r.config_set("oom-score-adj-values", "15 20 30")
        assert read_oom(pid) == base + 15
        r.config_set("oom-score-adj", "absolute")
        assert read_oom(pid) == 15
        r.config_set("oom-score-adj", "no")
        assert read_oom(pid) == base
        # Off: changing the values leaves the score alone.
        r.config_set("oom-score-adj-values", "1 1 1")
        assert read_oom(pid) == base


if __name__ == "__main__":
    run_tests(globals())
