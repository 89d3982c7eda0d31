#!/usr/bin/env python3
"""User-space instructions and system calls per request of bench-compare's write workloads,
with the AOF on (`--appendonly yes --appendfsync everysec`), for each server binary given:
issue 14's goal "CPU per request <= 1.0x Redis on every write workload", measured without the
machine's noise (bench-compare's CPU ratios swing by 10% between runs here).

Usage: bench/write_icount.py [--requests F] [--only NAMES] [--aof no] SERVER [SERVER...]

`--aof no` runs the same with `appendonly no`: the difference is what the log costs.

For each workload and each SERVER (ours gets --io-threads 1):
  * instructions: the server runs under `valgrind --tool=callgrind`; after a warm-up the
    counters are zeroed, --requests requests run, and the dump's total over every thread,
    less the timer-driven cron (eval_icount.py's rule), is divided by the requests;
  * system calls: the server runs alone, `strace -c -f` counts them over the same requests.
The requests stay far below auto-aof-rewrite-min-size (64 MB), so neither server rewrites
its AOF: a rewrite is a forked child for Redis, which bench-compare does not count, and a
thread of ours, which it does.  Kernel time is not in the instruction count: the system
calls per request show whether it differs.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import stop, wait_for_pong  # noqa: E402
from eval_icount import cron_ir, total_ir  # noqa: E402

# bench-compare's write workloads (name, redis-benchmark arguments, requests per run / 10 at
# P1, since valgrind runs about 50 times slower).
WORKLOADS = [
    ("set c50 P1", ["-t", "set", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("incr c50 P1", ["-t", "incr", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("lpush c50 P1", ["-t", "lpush", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("hset c50 P1", ["-t", "hset", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("zadd c50 P1", ["-t", "zadd", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("sadd c50 P1", ["-t", "sadd", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("mset10 c50 P1", ["-t", "mset", "-c", "50", "-P", "1", "-r", "100000"], 10000),
    ("set c50 P16", ["-t", "set", "-c", "50", "-P", "16", "-r", "100000"], 50000),
    ("set 1KiB c50 P1", ["-t", "set", "-c", "50", "-P", "1", "-d", "1024", "-r", "100000"],
     10000),
    ("xadd c50 P1", ["-c", "50", "-P", "1", "-r", "1000", "XADD", "stream:__rand_int__", "*",
                     "field", "value"], 10000),
    ("eval c50 P1", ["-c", "50", "-P", "1", "-r", "100000", "EVAL",
                     "return redis.call('incr', KEYS[1])", "1", "counter:__rand_int__"], 10000),
]
AOF = {"yes": ["--appendonly", "yes", "--appendfsync", "everysec"],
       "no": ["--appendonly", "no"]}


def bench(port, args, n):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "--csv"] + args,
                         capture_output=True, text=True, timeout=3600)
    if "rror" in out.stdout + out.stderr:
        sys.exit(f"write_icount: errors from redis-benchmark: {out.stdout[-300:]}"
                 f"{out.stderr[-300:]}")


def server_args(server, port, aof):
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""] + AOF[aof]
    if "tessera" in os.path.basename(server):
        args += ["--io-threads", "1"]
    return args


def instructions(server, port, workdir, args, n, aof):
    prefix = os.path.join(workdir, f"callgrind.{port}")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p",
           "--dump-instr=no"] + server_args(server, port, aof)
    log = open(os.path.join(workdir, f"{port}.log"), "w")
    run_dir = tempfile.mkdtemp(dir=workdir)
    proc = subprocess.Popen(cmd, cwd=run_dir, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_pong(port, proc, 120.0, 0.3):
            sys.exit(f"write_icount: {server} did not start (see {log.name})")
        bench(port, args, max(n // 5, 1000))
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                       capture_output=True)
        bench(port, args, n)
        subprocess.run(["callgrind_control", "--dump=measured", str(proc.pid)], check=True,
                       capture_output=True)
        time.sleep(1)
        dump = f"{prefix}.{proc.pid}.1"
        return (total_ir(dump) - cron_ir(dump)) / n
    finally:
        stop(proc)
        log.close()


def syscalls(server, port, workdir, args, n, aof):
    run_dir = tempfile.mkdtemp(dir=workdir)
    log = open(os.path.join(workdir, f"{port}.strace.log"), "w")
    proc = subprocess.Popen(server_args(server, port, aof), cwd=run_dir, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        if not wait_for_pong(port, proc, 30.0):
            sys.exit(f"write_icount: {server} did not start (see {log.name})")
        bench(port, args, n)
        out = os.path.join(workdir, f"{port}.strace")
        tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(proc.pid), "-o", out],
                                  stderr=subprocess.DEVNULL)
        time.sleep(1)
        bench(port, args, n)
        tracer.send_signal(2)
        tracer.wait()
        with open(out) as f:
            m = re.search(r"100\.00\s+[\d.]+\s+\d+\s+(\d+)", f.read())
        return int(m.group(1)) / n if m else float("nan")
    finally:
        stop(proc)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=float, default=1.0,
                    help="a factor on each workload's requests")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--port", type=int, default=32400)
    ap.add_argument("--aof", choices=("yes", "no"), default="yes")
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    workdir = tempfile.mkdtemp(prefix="write-icount-")
    names = [os.path.basename(s) for s in a.servers]
    print(f"{'workload':18}" + "".join(f" {n[:14] + ' Ir':>17} {'calls':>6}" for n in names)
          + "   Ir ratio (first / last)", flush=True)
    ratios = []
    for name, args, n in WORKLOADS:
        if only and name not in only:
            continue
        n = int(n * a.requests)
        row = []
        for i, server in enumerate(a.servers):
            port = a.port + i
            row.append((instructions(os.path.abspath(server), port, workdir, args, n, a.aof),
                        syscalls(os.path.abspath(server), port, workdir, args, n, a.aof)))
        ratio = row[0][0] / row[-1][0]
        ratios.append(ratio)
        print(f"{name:18}" + "".join(f" {ir:17.0f} {calls:6.2f}" for ir, calls in row)
              + f"   {ratio:.3f}", flush=True)
    if ratios:
        product = 1.0
        for r in ratios:
            product *= r
        print(f"geomean Ir ratio: {product ** (1 / len(ratios)):.3f}, "
              f"max {max(ratios):.3f} over {len(ratios)} workloads")


if __name__ == "__main__":
    main()
