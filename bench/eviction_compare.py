#!/usr/bin/env python3
"""maxmemory and eviction on tessera-server next to redis-server 7.2.4, in one run.

Usage: bench/eviction_compare.py [--ref REDIS-SERVER] [--only a,b,c]
                                 [--quick] BUILD/tessera-server [-- ARGS...]

Servers run pinned to CPU 0, the load to CPU 1; each starts with --save "" --appendonly no.

(a) bound   For maxmemory 64mb and 256mb, allkeys-lru: redis-benchmark SETs new keys
            (key:<random of 10^8>, 100-byte values, -P 16) until 3x maxmemory of key and value
            bytes were written, while a thread reads INFO memory every 10 ms.  Printed: the
            largest used_memory / maxmemory and used_memory_rss / maxmemory seen once the
            limit was first reached (goals: used <= 1.05, RSS < 1.3), and the keys held at
            the end.
(b) hits    maxmemory 32mb, allkeys-lru and allkeys-lfu, over 2,000,000 keys (about 10x what
            Redis holds at 32mb with 100-byte values): memory first filled by SETs of random
            keys of the universe, then 10 GETs for 1 SET, keys drawn from a Zipf distribution
            (s = 0.99, hot ranks scattered over the key names) or a Gaussian (mean N/2, sigma
            N/6).  A warm-up of 2M requests, CONFIG RESETSTAT, then 2M more; the hit ratio is
            keyspace_hits / (hits + misses) of the second part.
(c) cpu     Our server only: CPU per SET (redis-benchmark -c 50 -P 1, new random keys) with
            the server held at maxmemory 64mb allkeys-lru (every SET evicts), against the same
            data with maxmemory 0 (no eviction), alternating A B A B.  Goal: ratio <= 1.1.
"""
import argparse, bisect, itertools, math, os, random, socket, subprocess, sys, tempfile
import threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import wait_for_port, cpu_seconds, free_port, reference_tool  # noqa: E402

MB = 1024 * 1024
VALUE = b"v" * 100
KEY_BYTES = len(b"key:000000000000")


class Server:
    def __init__(self, binary, args):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="evict-")
        cmd = ["taskset", "-c", "0", binary, "--port", str(self.port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", self.dir] + args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, binary)
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.buf = b""

    def call(self, *args):
        self.sock.sendall(resp([a if isinstance(a, bytes) else str(a).encode() for a in args]))
        return self.read_reply()

    def read_reply(self):
        while True:
            r, n = parse_one(self.buf, 0)
            if r is not None:
                self.buf = self.buf[n:]
                return r
            self.buf += self.sock.recv(1 << 20)

    def info(self, section):
        text = self.call("INFO", section).decode()
        out = {}
        for line in text.split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir])


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse_one(buf, pos):
    """(reply, end position) of the reply at pos, or (None, pos) if incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None, pos
    t = buf[pos:pos + 1]
    if t in (b"+", b"-", b":"):
        return buf[pos + 1:end], end + 2
    if t == b"$":
        n = int(buf[pos + 1:end])
        if n < 0:
            return b"", end + 2
        if len(buf) < end + 2 + n + 2:
            return None, pos
        return buf[end + 2:end + 2 + n], end + 4 + n
    raise RuntimeError("unexpected reply %r" % buf[pos:pos + 40])


def count_replies(sock, expected):
    """Reads and discards `expected` simple/bulk replies."""
    buf = b""
    pos = 0
    got = 0
    while got < expected:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("connection closed")
        buf = buf[pos:] + chunk
        pos = 0
        while got < expected:
            r, n = parse_one(buf, pos)
            if r is None:
                break
            pos = n
            got += 1


def benchmark(port, args):
    cmd = ["taskset", "-c", "1", reference_tool("redis-benchmark"), "-p", str(port), "-q"] + args
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


# ---- (a) the bound ------------------------------------------------------------------------

def run_bound(binary, args, maxmemory):
    s = Server(binary, args + ["--maxmemory", str(maxmemory), "--maxmemory-policy", "allkeys-lru"])
    sampler = Server.__new__(Server)
    sampler.sock = socket.create_connection(("127.0.0.1", s.port))
    sampler.buf = b""
    worst = {"used": 0.0, "rss": 0.0, "samples": 0, "over": 0}
    stop = threading.Event()

    def sample():
        reached = False
        while not stop.is_set():
            m = sampler.info("memory")
            used, rss = int(m["used_memory"]), int(m["used_memory_rss"])
            if used >= maxmemory * 0.95:
                reached = True
            if reached:
                worst["samples"] += 1
                worst["used"] = max(worst["used"], used / maxmemory)
                worst["rss"] = max(worst["rss"], rss / maxmemory)
                if used > maxmemory * 1.05:
                    worst["over"] += 1
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    requests = 3 * maxmemory // (KEY_BYTES + len(VALUE))
    start = time.time()
    benchmark(s.port, ["-t", "set", "-n", str(requests), "-r", "100000000", "-d", "100",
                       "-P", "16", "-c", "8"])
    elapsed = time.time() - start
    stop.set()
    t.join()
    keys = int(s.call("DBSIZE"))
    evicted = int(s.info("stats")["evicted_keys"])
    sampler.sock.close()
    s.stop()
    return worst, keys, evicted, requests / elapsed


# ---- (b) hit ratio -------------------------------------------------------------------------

class KeyDist:
    def __init__(self, kind, n, seed):
        self.n = n
        self.rng = random.Random(seed)
        self.kind = kind
        if kind == "zipf":
            weights = [1.0 / (k ** 0.99) for k in range(1, n + 1)]
            self.cdf = list(itertools.accumulate(weights))
            self.total = self.cdf[-1]
            perm = list(range(n))
            random.Random(seed + 1).shuffle(perm)
            self.perm = perm

    def draw(self):
        if self.kind == "zipf":
            rank = bisect.bisect_left(self.cdf, self.rng.random() * self.total)
            return self.perm[min(rank, self.n - 1)]
        while True:
            k = int(self.rng.gauss(self.n / 2, self.n / 6))
            if 0 <= k < self.n:
                return k


def key_name(i):
    return b"key:%012d" % i


def drive(s, dist, requests, batch=1000):
    sock = s.sock
    rng = random.Random(12345)
    done = 0
    while done < requests:
        parts = []
        for _ in range(batch):
            k = key_name(dist.draw())
            if rng.random() < 1.0 / 11:
                parts.append(resp([b"SET", k, VALUE]))
            else:
                parts.append(resp([b"GET", k]))
        sock.sendall(b"".join(parts))
        count_replies(sock, batch)
        done += batch


def run_hits(binary, args, policy, kind, n, maxmemory, requests):
    s = Server(binary, args + ["--maxmemory", str(maxmemory), "--maxmemory-policy", policy])
    # Fill the memory first with keys of the universe in random order (redis-benchmark's
    # __rand_int__ is the same 12-digit name), so the warm-up starts from a full cache.
    benchmark(s.port, ["-t", "set", "-n", str(3 * maxmemory // (KEY_BYTES + len(VALUE))),
                       "-r", str(n), "-d", str(len(VALUE)), "-P", "16", "-c", "8"])
    dist = KeyDist(kind, n, seed=7)
    drive(s, dist, requests)
    s.call("CONFIG", "RESETSTAT")
    drive(s, dist, requests)
    st = s.info("stats")
    hits, misses = int(st["keyspace_hits"]), int(st["keyspace_misses"])
    keys = int(s.call("DBSIZE"))
    s.stop()
    return hits / max(1, hits + misses), keys


# ---- (c) CPU per SET at maxmemory -----------------------------------------------------------

def fill_to_limit(s, maxmemory):
    requests = 2 * maxmemory // (KEY_BYTES + len(VALUE))
    benchmark(s.port, ["-t", "set", "-n", str(requests), "-r", "100000000", "-d", "100",
                       "-P", "16", "-c", "8"])


def run_cpu(binary, args, maxmemory, requests, rounds):
    at_limit = Server(binary, args + ["--maxmemory", str(maxmemory), "--maxmemory-policy",
                                      "allkeys-lru"])
    below = Server(binary, args + ["--maxmemory", str(maxmemory), "--maxmemory-policy",
                                   "allkeys-lru"])
    fill_to_limit(at_limit, maxmemory)
    fill_to_limit(below, maxmemory)
    below.call("CONFIG", "SET", "maxmemory", "0")
    ratios = []
    per = {"below": [], "at": []}
    for _ in range(rounds):
        for name, s in (("below", below), ("at", at_limit)):
            c0 = cpu_seconds(s.proc.pid)
            benchmark(s.port, ["-t", "set", "-n", str(requests), "-r", "100000000", "-d", "100",
                               "-c", "50", "-P", "1"])
            per[name].append((cpu_seconds(s.proc.pid) - c0) / requests * 1e6)
        ratios.append(per["at"][-1] / per["below"][-1])
    evicted = int(at_limit.info("stats")["evicted_keys"])
    at_limit.stop()
    below.stop()
    return per, ratios, evicted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default=reference_tool("redis-server"))
    ap.add_argument("--only", default="a,b,c")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("server")
    ap.add_argument("args", nargs="*")
    o = ap.parse_args()
    os.sched_setaffinity(0, {1})
    only = set(o.only.split(","))
    servers = [("redis", o.ref, []), ("tessera", o.server, o.args)]
    if "a" in only:
        print("## (a) used_memory and RSS under 3x maxmemory of SETs (allkeys-lru)\n")
        print("| maxmemory | server | max used/maxmemory | samples > 1.05 | max RSS/maxmemory "
              "| keys held | evicted | SET/s |")
        print("|---|---|---|---|---|---|---|---|")
        for mm in ([64 * MB] if o.quick else [64 * MB, 256 * MB]):
            for name, binary, args in servers:
                w, keys, evicted, rate = run_bound(binary, args, mm)
                print("| %dmb | %s | %.3f | %d of %d | %.3f | %d | %d | %.0f |" % (
                    mm // MB, name, w["used"], w["over"], w["samples"], w["rss"], keys, evicted,
                    rate), flush=True)
        print()
    if "b" in only:
        n = 2_000_000
        requests = 500_000 if o.quick else 2_000_000
        print("## (b) hit ratio, maxmemory 32mb, %d keys, 10 GET : 1 SET, %d requests measured "
              "after %d of warm-up\n" % (n, requests, requests))
        print("| policy | distribution | redis hit ratio | redis keys | tessera hit ratio "
              "| tessera keys |")
        print("|---|---|---|---|---|---|")
        for policy in ("allkeys-lru", "allkeys-lfu"):
            for kind in ("zipf", "gauss"):
                row = []
                for name, binary, args in servers:
                    ratio, keys = run_hits(binary, args, policy, kind, n, 32 * MB, requests)
                    row += ["%.4f" % ratio, str(keys)]
                print("| %s | %s | %s |" % (policy, kind, " | ".join(row)), flush=True)
        print()
    if "c" in only:
        requests = 100_000 if o.quick else 300_000
        per, ratios, evicted = run_cpu(o.server, o.args, 64 * MB, requests, 4)
        print("## (c) tessera CPU per SET (c50 P1, new keys): at maxmemory 64mb allkeys-lru vs "
              "no limit, same data\n")
        print("| round | below us/req | at-limit us/req | ratio |")
        print("|---|---|---|---|")
        for i, r in enumerate(ratios):
            print("| %d | %.2f | %.2f | %.3f |" % (i + 1, per["below"][i], per["at"][i], r))
        print("| **geomean** | | | **%.3f** |" % math.exp(sum(map(math.log, ratios)) / len(ratios)))
        print("\nevicted during (c): %d" % evicted)


if __name__ == "__main__":
    main()
