#!/usr/bin/env python3
"""User-space instructions per EVAL request, counted by callgrind: noise-free where the
machine has no hardware counters (perf stat -e instructions is <not supported> in our VMs).

Usage:
  bench/eval_icount.py [--requests N] [--warmup N] [--port P] [--perf-out DIR] SERVER [SERVER...]

Each SERVER (ours or a redis-server) runs alone under `valgrind --tool=callgrind`
(`--io-threads 1` is added for tessera-server), gets bench-compare's eval workload
(`EVAL "return redis.call('incr', KEYS[1])" 1 counter:__rand_int__`, c50 P1, -r 100000)
from redis-benchmark: --warmup requests first, then the counters are zeroed, --requests
requests are run, and the counters dumped.  Printed: instructions (Ir) per request without
the timer-driven cron (which runs per second, and valgrind makes a second of requests last
about a minute), the ratio to the first server, the figure with the cron, and the callgrind file for callgrind_annotate (--inclusive=yes
shows which layers cost what).  Kernel work (system calls) is not counted: compare those
with `strace -c -f` if needed.
"""
import argparse, glob, os, re, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import stop, wait_for_pong  # noqa: E402

EVAL = ["EVAL", "return redis.call('incr', KEYS[1])", "1", "counter:__rand_int__"]


def bench(port, n):
    cmd = ["redis-benchmark", "-p", str(port), "-n", str(n), "-c", "50", "-P", "1",
           "-r", "100000", "--csv"] + EVAL
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if "rror" in out.stdout + out.stderr:
        sys.exit(f"eval_icount: errors from redis-benchmark: {out.stdout[-300:]}{out.stderr[-300:]}")


def total_ir(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"(summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(2))
    return None


# Timer-driven work (our Worker::Cron, Redis's serverCron) runs per second, not per request, and
# valgrind stretches a second of requests to about a minute: it is reported apart.
CRON = ("tessera::server::net::Worker::Cron()", "server.c:serverCron ", "???:serverCron ")


def cron_ir(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path], capture_output=True,
                         text=True).stdout
    total = 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*?(" + "|".join(map(re.escape, CRON)) + ")", line)
        if m:
            total += int(m.group(1).replace(",", ""))
    return total


def measure(server, port, workdir, requests, warmup):
    name = os.path.basename(server)
    out_prefix = os.path.join(workdir, f"callgrind.{name}.{port}")
    args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_prefix}.%p",
            "--dump-instr=no", server, "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no"]
    if "tessera" in name:
        args += ["--io-threads", "1"]
    log = open(os.path.join(workdir, f"{name}.{port}.log"), "w")
    proc = subprocess.Popen(args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_pong(port, proc, 120.0, 0.3):
            sys.exit(f"eval_icount: {server} did not start (see {log.name})")
        bench(port, warmup)
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                       capture_output=True)
        bench(port, requests)
        subprocess.run(["callgrind_control", "--dump=measured", str(proc.pid)], check=True,
                       capture_output=True)
        time.sleep(1)
        dumps = sorted(glob.glob(f"{out_prefix}.{proc.pid}.*"))
        if not dumps:
            sys.exit(f"eval_icount: no callgrind dump for {server}")
        # A dump holds every thread's part when --separate-threads is off (the default).
        total = total_ir(dumps[-1])
        return (total - cron_ir(dumps[-1])) / requests, total / requests, dumps[-1]
    finally:
        stop(proc)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=5000)
    ap.add_argument("--port", type=int, default=32100)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    workdir = a.workdir or tempfile.mkdtemp(prefix="eval-icount-")
    os.makedirs(workdir, exist_ok=True)
    first = None
    for i, server in enumerate(a.servers):
        per_req, with_cron, dump = measure(os.path.abspath(server), a.port + i, workdir,
                                           a.requests, a.warmup)
        first = first or per_req
        print(f"{server:45} {per_req:8.0f} Ir/request  ratio {per_req / first:.3f}"
              f"  (with cron {with_cron:.0f})  {dump}", flush=True)


if __name__ == "__main__":
    main()
