#!/usr/bin/env python3
"""What the AOF costs per request in counts that a shared, loaded machine does not move:
user-space instructions (valgrind's callgrind) and system calls (strace -c -f), with
`appendonly yes` + `appendfsync everysec` against `appendonly no`, same binary.

    bench/aof_counts.py BUILD/tessera-server [--only set,incr,lpush,hset] [--pipelines 1,16]
                        [--aof-dir /dev/shm] [--no-callgrind] [--no-strace] [--port P]
                        [-- SERVER_ARGS...]

- instructions per request: the server runs under callgrind (every thread counted together,
  the AOF writer thread included); two redis-benchmark runs of n1 and n2 requests, counters
  zeroed before each and dumped after, are subtracted, leaving (I(n2) - I(n1)) / (n2 - n1);
  the keys (-r 2000) are all created by a warm-up run before, so no table grows meanwhile.
  Also printed without the periodic cron (Worker::Cron), which runs per unit of time.  The
  AOF writer wakes per unit of time too (every few milliseconds), so its share per request is
  larger under valgrind's slowdown than at full speed: an upper bound.
- system calls per request: strace -c -f attached to the running server (at full speed) over
  one redis-benchmark run; `write` includes the AOF writer's, `fsync` is once a second.

--aof-dir puts the server's directory (and so its AOF) under that directory, e.g. /dev/shm
(a tmpfs: no block device behind the writes); the default is the system's temporary
directory.  Default server args: --io-threads 1.
"""
import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import callgrind_totals, wait_for_port  # noqa: E402

MODES = {
    "off": ["--appendonly", "no"],
    "on": ["--appendonly", "yes", "--appendfsync", "everysec"],
}
KEYSPACE = 2000  # keys of the callgrind runs
class Server:
    def __init__(self, binary, port, mode, server_args, aof_dir, callgrind):
        self.dir = tempfile.mkdtemp(prefix="aof-counts-", dir=aof_dir)
        prefix = []
        if callgrind:
            prefix = ["valgrind", "--tool=callgrind",
                      "--callgrind-out-file=" + os.path.join(self.dir, "cg.out.%p")]
        self.proc = subprocess.Popen(
            prefix + [os.path.abspath(binary), "--port", str(port), "--bind", "127.0.0.1",
                      "--dir", self.dir, "--save", ""] + MODES[mode] + server_args,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = port
        wait_for_port(port, binary, self.proc, 60 if callgrind else 10)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        shutil.rmtree(self.dir, ignore_errors=True)


def bench(port, test, pipeline, n, keyspace=100000):
    subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "-c", "50", "-P",
                    str(pipeline), "-t", test, "-r", str(keyspace), "-q"],
                   capture_output=True, timeout=1800, check=True)


def syscalls(server, test, pipeline, n):
    out = os.path.join(server.dir, "strace.txt")
    st = subprocess.Popen(["strace", "-c", "-f", "-p", str(server.proc.pid), "-o", out],
                          stderr=subprocess.DEVNULL)
    time.sleep(1)
    bench(server.port, test, pipeline, n)
    time.sleep(0.3)
    st.send_signal(signal.SIGINT)
    st.wait(30)
    counts = {}
    for line in open(out):
        f = line.split()
        if len(f) >= 5 and f[3].isdigit():
            counts[f[-1]] = int(f[3])
    total = sum(v for k, v in counts.items() if k != "total")
    return counts, total


def instructions(server, test, pipeline, n1, n2, keep=None):
    pid = str(server.proc.pid)
    res = []
    # A small keyspace, filled before counting, so that table growth (which lands on either
    # server's runs at different points) stays out of the difference.
    bench(server.port, test, pipeline, 20000, KEYSPACE)
    for n in (n1, n2):
        before = set(glob.glob(os.path.join(server.dir, "cg.out.*")))
        subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=True)
        bench(server.port, test, pipeline, n, KEYSPACE)
        subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=True)
        new = []
        for _ in range(100):
            new = sorted(set(glob.glob(os.path.join(server.dir, "cg.out.*"))) - before)
            if new:
                break
            time.sleep(0.2)
        time.sleep(1)  # the dump is written
        res.append(callgrind_totals(new[-1]))
        if keep:
            shutil.copy(new[-1], f"{keep}.{n}")
    (t1, c1), (t2, c2) = res
    return (t2 - t1) / (n2 - n1), ((t2 - c2) - (t1 - c1)) / (n2 - n1)


def main():
    argv = sys.argv[1:]
    server_args = ["--io-threads", "1"]
    if "--" in argv:
        i = argv.index("--")
        argv, server_args = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--only", default="set,incr,lpush,hset")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--aof-dir", default=None)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--port", type=int, default=32100)
    ap.add_argument("--keep", help="copy the callgrind dumps to KEEP.<mode>.<test>.P<n>.<N>")
    a = ap.parse_args(argv)
    workloads = [(t, int(p)) for p in a.pipelines.split(",") for t in a.only.split(",")]
    print(f"server args: {' '.join(server_args)}; AOF directory under "
          f"{a.aof_dir or tempfile.gettempdir()}")
    if not a.no_strace:
        print("system calls per request (strace -c -f, full speed):")
        print("| workload | off all | on all | on-off | on write | on fsync | on futex |")
        print("|---|---|---|---|---|---|---|")
        for test, p in workloads:
            n = 100000 if p == 1 else 400000
            row = {}
            for mode in ("off", "on"):
                s = Server(a.binary, a.port, mode, server_args, a.aof_dir, False)
                try:
                    row[mode] = syscalls(s, test, p, n)
                finally:
                    s.stop()
            on, off = row["on"], row["off"]
            print(f"| {test} c50 P{p} | {off[1] / n:.3f} | {on[1] / n:.3f} | "
                  f"{(on[1] - off[1]) / n:+.4f} | {on[0].get('write', 0) / n:.3f} | "
                  f"{on[0].get('fsync', 0) + on[0].get('fdatasync', 0)} in all | "
                  f"{on[0].get('futex', 0) / n:.4f} |", flush=True)
    if a.no_callgrind:
        return
    print("user-space instructions per request (callgrind, difference of two runs):")
    print("| workload | off | on | on-off | off w/o cron | on w/o cron | on-off w/o cron |")
    print("|---|---|---|---|---|---|---|")
    servers = {m: Server(a.binary, a.port + (1 if m == "on" else 0), m, server_args, a.aof_dir,
                         True) for m in ("off", "on")}
    try:
        for test, p in workloads:
            n1, n2 = (2000, 12000) if p == 1 else (4000, 44000)
            r = {}
            for m, s in servers.items():
                keep = f"{a.keep}.{m}.{test}.P{p}" if a.keep else None
                r[m] = instructions(s, test, p, n1, n2, keep)
            print(f"| {test} c50 P{p} | {r['off'][0]:.0f} | {r['on'][0]:.0f} | "
                  f"{r['on'][0] - r['off'][0]:+.0f} | {r['off'][1]:.0f} | {r['on'][1]:.0f} | "
                  f"{r['on'][1] - r['off'][1]:+.0f} |", flush=True)
    finally:
        for s in servers.values():
            s.stop()


if __name__ == "__main__":
    main()
