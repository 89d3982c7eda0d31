#!/usr/bin/env python3
"""Stream reads on tessera-server next to the reference redis-server, in one run.

Usage: bench/stream_compare.py [--ref /usr/bin/redis-server] BUILD/tessera-server [-- ARGS...]

Both servers get the same 1000 streams of 500 entries (the mem-compare stream dataset: three
fields, the same names in every entry) and then the same redis-benchmark workloads, run the
way ../shared/tools/bench-compare runs its own: servers pinned to CPU 0, redis-benchmark to
CPU 1, reference and server alternating twice (A B A B), server CPU read from
/proc/PID/task/*/schedstat.  Printed per workload: requests/s of each and their ratio, CPU
microseconds per request of each and their ratio (server/reference, lower is better).

Workloads (random stream among the 1000 each request):
  xrevrange recent  XREVRANGE k + - COUNT 10        the newest entries (the open node)
  xread tail        XREAD COUNT 10 STREAMS k <id>   entries after the 490th (the open node)
  xrange oldest     XRANGE k - + COUNT 10           the oldest entries (a closed node, which
                                                    tessera keeps LZF-packed: a cold read)
  xreadgroup        XREADGROUP GROUP g c COUNT 10 STREAMS k >   a group reading every entry
                    from the start, 10 at a time, recording them as pending
"""
import argparse, csv, math, os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import wait_for_port, cpu_seconds, free_port  # noqa: E402

STREAMS, ENTRIES, BASE_MS = 1000, 500, 1700000000000


def key(i):
    return b"events:%012d" % i  # redis-benchmark's __rand_int__ is 12 digits


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def dataset(with_group):
    for i in range(STREAMS):
        for k in range(ENTRIES):
            yield resp([b"XADD", key(i), b"%d-0" % (BASE_MS + k), b"type", b"click", b"user",
                        b"user%06d" % ((k * 7919) % 100000), b"page", b"/item/%d" % (k % 97)])
        if with_group:
            yield resp([b"XGROUP", b"CREATE", key(i), b"g", b"0"])


WORKLOADS = [
    ("xrevrange recent", ["XREVRANGE", "events:__rand_int__", "+", "-", "COUNT", "10"], 200000),
    ("xread tail", ["XREAD", "COUNT", "10", "STREAMS", "events:__rand_int__",
                    "%d-0" % (BASE_MS + 489)], 200000),
    ("xrange oldest", ["XRANGE", "events:__rand_int__", "-", "+", "COUNT", "10"], 200000),
    # 40 reads of 10 per stream on average: most find entries left (each stream has 50 reads).
    ("xreadgroup", ["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS",
                    "events:__rand_int__", ">"], 40000),
]


class Server:
    def __init__(self, cmd, workdir):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=workdir)
        args = ["taskset", "-c", "0"] + cmd[:1] + ["--port", str(self.port), "--bind",
                                                   "127.0.0.1", "--save", "", "--appendonly",
                                                   "no"] + cmd[1:]
        self.proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for_port(self.port, f"stream_compare: {cmd[0]}")

    def load(self, with_group):
        subprocess.run(["redis-cli", "-p", str(self.port), "flushall"], capture_output=True)
        data = b"".join(dataset(with_group))
        out = subprocess.run(["redis-cli", "-p", str(self.port), "--pipe"], input=data,
                             capture_output=True)
        if b"errors: 0" not in out.stdout:
            sys.exit("stream_compare: loading failed: " + out.stdout.decode()[-300:])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def run(server, args, n):
    server.load(with_group=args[0] == "XREADGROUP")
    cmd = ["taskset", "-c", "1", "redis-benchmark", "-p", str(server.port), "-n", str(n),
           "-c", "50", "-r", str(STREAMS), "--csv"] + args
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    after = cpu_seconds(server.proc.pid)
    rps = None
    for parts in csv.reader(out.stdout.splitlines()):
        if len(parts) >= 2 and parts[0] != "test":
            rps = float(parts[1])
    if rps is None or "ERR" in out.stdout + out.stderr:
        sys.exit("stream_compare: " + (out.stdout + out.stderr)[-300:])
    return rps, (after - before) * 1e6 / n


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="/usr/bin/redis-server")
    ap.add_argument("server")
    ap.add_argument("server_args", nargs="*")
    a = ap.parse_args()
    for tool in ("redis-benchmark", "redis-cli", "taskset", a.ref):
        if not shutil.which(tool):
            sys.exit(f"stream_compare: {tool} not found")
    workdir = tempfile.mkdtemp(prefix="stream-compare-")
    ref = Server([a.ref], workdir)
    ours = Server([os.path.abspath(a.server)] + a.server_args, workdir)
    print(f"{'workload':20} {'ref req/s':>10} {'srv req/s':>10} {'ratio':>6} "
          f"{'ref us/req':>10} {'srv us/req':>10} {'cpu ratio':>9}")
    try:
        for name, args, n in WORKLOADS:
            pairs = [(run(ref, args, n), run(ours, args, n)) for _ in range(2)]
            ratio = math.exp(sum(math.log(s[0] / r[0]) for r, s in pairs) / 2)
            r_rps, s_rps = (sum(p[i][0] for p in pairs) / 2 for i in (0, 1))
            r_cpu, s_cpu = (sum(p[i][1] for p in pairs) / 2 for i in (0, 1))
            print(f"{name:20} {r_rps:10.0f} {s_rps:10.0f} {ratio:6.2f} {r_cpu:10.2f} "
                  f"{s_cpu:10.2f} {s_cpu / r_cpu:9.2f}", flush=True)
    finally:
        ref.stop()
        ours.stop()


if __name__ == "__main__":
    main()
