#!/usr/bin/env python3
"""Expiry lag: how late `expired` events come, on tessera-server next to redis-server, in one run.

Usage: bench/expiry_lag.py [--ref /work/redis-724/src/redis-server] [--keys N] [--spread S]
                           BUILD/tessera-server [-- ARGS...]

For each server: a baseline GET throughput (redis-benchmark, GET on existing keys, c50 P16,
5 s), then N keys (default 1,000,000) written with PXAT times spread uniformly over the next S
seconds (default 60), starting 5 s after loading ends.  A subscriber to
__keyevent@0__:expired notes when each event arrives; meanwhile redis-benchmark measures GET
throughput again.  Printed: the lag (arrival minus expiry time) at p50, p99 and max, the
number of events received, and GET throughput during expiry as a fraction of the baseline.
Nobody reads the expiring keys, so every event comes from the server's active expiry.
"""
import argparse, os, random, re, shutil, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import free_port, wait_for_port  # noqa: E402


def start(cmd, workdir):
    port = free_port()
    args = cmd[:1] + ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                      "no", "--notify-keyspace-events", "Ex"] + cmd[1:]
    proc = subprocess.Popen(args, cwd=tempfile.mkdtemp(dir=workdir), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_port(port, "expiry_lag: server")
    return proc, port


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def send_pipelined(port, commands, batch=2000):
    s = socket.create_connection(("127.0.0.1", port))
    pending = 0
    buf = b""
    for i in range(0, len(commands), batch):
        chunk = commands[i:i + batch]
        s.sendall(b"".join(chunk))
        pending += len(chunk)
        while pending > 0:
            data = s.recv(1 << 20)
            buf += data
            n = buf.count(b"\r\n")
            buf = buf[buf.rfind(b"\r\n") + 2:] if n else buf
            pending -= n
    s.close()


def get_throughput(port, seconds):
    """GET requests per second over `seconds` (redis-benchmark has no duration option: it runs
    until stopped, and its last progress line has the overall rate)."""
    proc = subprocess.Popen(["redis-benchmark", "-p", str(port), "-c", "50", "-P", "16", "-t",
                             "get", "-n", "1000000000", "-r", "100000", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(seconds)
    proc.terminate()
    text = proc.communicate()[0]
    rates = re.findall(r"overall: ([0-9.]+)", text)
    return float(rates[-1]) if rates else 0.0


class Subscriber(threading.Thread):
    """Reads `message` pushes and notes (arrival ms, key) for each."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(encode("SUBSCRIBE", "__keyevent@0__:expired"))
        self.arrivals = []
        self.stop = False

    def run(self):
        lines = []
        tail = b""
        self.sock.settimeout(0.5)
        while not self.stop:
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not data:
                return
            now = time.time() * 1000
            parts = (tail + data).split(b"\r\n")
            tail = parts.pop()
            lines.extend(parts)
            # Every push (and the subscribe confirmation) is 7 lines: *3, $n, kind, $n,
            # channel, $n or :n, key or count.
            n = len(lines) - len(lines) % 7
            for i in range(0, n, 7):
                if lines[i + 2] == b"message":
                    self.arrivals.append((now, lines[i + 6]))
            del lines[:n]


def measure(cmd, workdir, keys, spread, bench_seconds):
    proc, port = start(cmd, workdir)
    try:
        send_pipelined(port, [encode("SET", "key:%d" % i, "v") for i in range(100000)])
        baseline = get_throughput(port, bench_seconds)
        sub = Subscriber(port)
        sub.start()
        time.sleep(0.2)
        t0 = int(time.time() * 1000) + 5000 + int(keys / 200)  # loading takes about keys/200k s
        due = {}
        commands = []
        rnd = random.Random(1)
        for i in range(keys):
            at = t0 + int(rnd.random() * spread * 1000)
            name = b"e:%d:%d" % (i, at)
            commands.append(encode("SET", name, "v", "PXAT", at))
        send_pipelined(port, commands)
        start_wait = t0 / 1000 - time.time()
        if start_wait < 0:
            print(f"  warning: loading ended {-start_wait:.1f} s after the first expiry")
        time.sleep(max(0, start_wait))
        during = get_throughput(port, min(bench_seconds, spread))
        deadline = time.time() + spread + 10
        while len(sub.arrivals) < keys and time.time() < deadline:
            time.sleep(0.5)
        sub.stop = True
        lags = sorted(now - int(name.rsplit(b":", 1)[1]) for now, name in sub.arrivals)
        pct = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))] if lags else float("nan")
        return {"events": len(lags), "p50": pct(0.5), "p99": pct(0.99),
                "max": lags[-1] if lags else float("nan"), "baseline": baseline, "during": during}
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="/work/redis-724/src/redis-server")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--spread", type=int, default=60)
    ap.add_argument("--bench-seconds", type=int, default=5)
    ap.add_argument("binary")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    ref = a.ref if os.path.exists(a.ref) else shutil.which("redis-server")
    workdir = tempfile.mkdtemp(prefix="expiry-lag-")
    rows = [("tessera", measure([os.path.abspath(a.binary)] + a.args, workdir, a.keys, a.spread,
                                a.bench_seconds)),
            ("redis", measure([ref], workdir, a.keys, a.spread, a.bench_seconds))]
    print(f"{a.keys} keys expiring over {a.spread} s; lag in ms (event arrival - expiry time)")
    print(f"{'server':8} {'events':>8} {'p50':>8} {'p99':>8} {'max':>8} {'GET/s base':>11} "
          f"{'GET/s during':>12} {'ratio':>6}")
    for name, r in rows:
        ratio = r["during"] / r["baseline"] if r["baseline"] else float("nan")
        print(f"{name:8} {r['events']:8d} {r['p50']:8.0f} {r['p99']:8.0f} {r['max']:8.0f} "
              f"{r['baseline']:11.0f} {r['during']:12.0f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
