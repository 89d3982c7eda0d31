#!/usr/bin/env python3
"""Expiry lag: how late `expired` events come, on tessera-server next to redis-server, in one run.

Usage: bench/expiry_lag.py [--ref REDIS_SERVER] [--keys N] [--spread S] [--server-cpus 0]
                           BUILD/tessera-server [-- ARGS...]

For each server: a baseline GET throughput (redis-benchmark, GET on existing keys, c50 P16,
5 s), then N keys (default 1,000,000) written with PXAT times spread uniformly over the next S
seconds (default 60), starting 5 s after loading ends.  A subscriber to
__keyevent@0__:expired notes when each event arrives; meanwhile redis-benchmark measures GET
throughput again.  Printed: the lag (arrival minus expiry time) at p50, p99 and max, the
number of events received, and GET throughput during expiry as a fraction of the baseline.
Nobody reads the expiring keys, so every event comes from the server's active expiry.  The
servers run on --server-cpus (default CPU 0; ARGS go to tessera only), this script and
redis-benchmark on CPU 1.
"""
import argparse, os, random, re, shutil, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import free_port, reference_tool, wait_for_port  # noqa: E402


def start(cmd, workdir, cpus):
    port = free_port()
    args = cmd[:1] + ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                      "no", "--notify-keyspace-events", "Ex"] + cmd[1:]
    if cpus:
        args = ["taskset", "-c", cpus] + args
    rundir = tempfile.mkdtemp(dir=workdir)
    proc = subprocess.Popen(args, cwd=rundir, stdout=open(os.path.join(rundir, "server.log"), "w"),
                            stderr=subprocess.STDOUT)
    wait_for_port(port, "expiry_lag: server")
    return proc, port


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def send_pipelined(port, commands):
    """Sends every command on one connection while a thread reads the replies."""
    s = socket.create_connection(("127.0.0.1", port))
    total = len(commands)

    def drain():
        # Every reply is one line; a CRLF split across two reads is counted once (the last
        # byte of each read is carried into the next count).
        seen = 0
        carry = b""
        while seen < total:
            data = s.recv(1 << 20)
            if not data:
                return
            seen += (carry + data).count(b"\r\n")
            carry = data[-1:] if data.endswith(b"\r") else b""
    reader = threading.Thread(target=drain)
    reader.start()
    for i in range(0, total, 10000):
        s.sendall(b"".join(commands[i:i + 10000]))
    reader.join()
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
    rates = re.findall(r"rps=[0-9.]+ \(overall: ([0-9.]+)\)", text)
    return float(rates[-1]) if rates else 0.0


class Subscriber(threading.Thread):
    """Reads `message` pushes and notes (arrival ms, key) for each."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(encode("SUBSCRIBE", "__keyevent@0__:expired"))
        self.chunks = []
        self.stop = False

    def run(self):
        # Only receive and stamp here, so the subscriber costs little CPU while GET is
        # measured; the bytes are parsed afterwards.
        self.sock.settimeout(0.5)
        while not self.stop:
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not data:
                return
            self.chunks.append((time.time() * 1000, data))

    def arrivals(self):
        """(arrival ms, key) of each message; a message split over two reads counts at the
        second."""
        out = []
        lines = []
        tail = b""
        for now, data in self.chunks:
            parts = (tail + data).split(b"\r\n")
            tail = parts.pop()
            lines.extend(parts)
            # A message is 7 lines (*3, $n, message, $n, channel, $n, key); the subscribe
            # confirmation 6 (its count is one :n line).
            i = 0
            while i + 6 <= len(lines):
                if lines[i + 2] == b"message":
                    if i + 7 > len(lines):
                        break
                    out.append((now, lines[i + 6]))
                    i += 7
                else:
                    i += 6
            del lines[:i]
        return out


def info_field(port, field):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", "stats"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return "0"


def measure(cmd, workdir, keys, spread, bench_seconds, cpus):
    proc, port = start(cmd, workdir, cpus)
    try:
        send_pipelined(port, [encode("SET", "key:%d" % i, "v") for i in range(100000)])
        baseline = get_throughput(port, bench_seconds)
        sub = Subscriber(port)
        sub.start()
        time.sleep(0.2)
        # The expiry times start once loading is surely over: a trial load of 2% of the keys
        # tells how long that takes.
        rnd = random.Random(1)
        offsets = [int(rnd.random() * spread * 1000) for _ in range(keys)]
        trial = time.time()
        send_pipelined(port, [encode("SET", "trial:%d" % i, "v") for i in range(keys // 50)])
        lead_ms = int((time.time() - trial) * 50 * 1000 * 3) + 3000
        t0 = int(time.time() * 1000) + lead_ms
        commands = []
        for i, off in enumerate(offsets):
            at = t0 + off
            commands.append(encode("SET", b"e:%d:%d" % (i, at), "v", "PXAT", at))
        send_pipelined(port, commands)
        start_wait = t0 / 1000 - time.time()
        if start_wait < 0:
            print(f"  warning: loading ended {-start_wait:.1f} s after the first expiry")
        time.sleep(max(0, start_wait))
        during = get_throughput(port, min(bench_seconds, spread))
        deadline = time.time() + spread + 10
        while time.time() < deadline and int(info_field(port, "expired_keys")) < keys:
            time.sleep(0.5)
        time.sleep(0.5)
        sub.stop = True
        sub.join()
        lags = sorted(now - int(name.rsplit(b":", 1)[1]) for now, name in sub.arrivals())
        pct = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))] if lags else float("nan")
        return {"events": len(lags), "p50": pct(0.5), "p99": pct(0.99),
                "max": lags[-1] if lags else float("nan"), "baseline": baseline, "during": during}
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default=reference_tool("redis-server"))
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--spread", type=int, default=60)
    ap.add_argument("--bench-seconds", type=int, default=5)
    ap.add_argument("--server-cpus", default="0",
                    help="CPUs of the servers (taskset); this script and its clients take CPU 1")
    ap.add_argument("binary")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    ref = a.ref if os.path.exists(a.ref) else shutil.which("redis-server")
    workdir = tempfile.mkdtemp(prefix="expiry-lag-")
    if a.server_cpus and shutil.which("taskset"):
        os.sched_setaffinity(0, {1})  # this process and the redis-benchmark it starts
    cpus = a.server_cpus if shutil.which("taskset") else ""
    rows = [("tessera", measure([os.path.abspath(a.binary)] + a.args, workdir, a.keys, a.spread,
                                a.bench_seconds, cpus)),
            ("redis", measure([ref], workdir, a.keys, a.spread, a.bench_seconds, cpus))]
    print(f"{a.keys} keys expiring over {a.spread} s; lag in ms (event arrival - expiry time)")
    print(f"{'server':8} {'events':>8} {'p50':>8} {'p99':>8} {'max':>8} {'GET/s base':>11} "
          f"{'GET/s during':>12} {'ratio':>6}")
    for name, r in rows:
        ratio = r["during"] / r["baseline"] if r["baseline"] else float("nan")
        print(f"{name:8} {r['events']:8d} {r['p50']:8.0f} {r['p99']:8.0f} {r['max']:8.0f} "
              f"{r['baseline']:11.0f} {r['during']:12.0f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
