#!/usr/bin/env python3
"""User-space instructions per request of pipelined workloads, counted by callgrind, for one or
more tessera-server builds side by side: the steady figure behind a change to the reply path
(bench-compare's CPU ratios swing by 10% or more on the shared machine).

Usage:
  bench/reply_icount.py [--requests N] [--warmup N] [--port P] SERVER [SERVER...]

Each SERVER runs alone under `valgrind --tool=callgrind` with `--io-threads 1`.  Per workload:
--warmup requests, the counters zeroed, --requests more, the counters dumped; printed: Ir per
request without the timer-driven cron (eval_icount.cron_ir).  Workloads (redis-benchmark,
50 clients, pipeline 16):
  get P16         3-byte values: a batch's replies stay far under 16 KiB;
  lrange_300 P16  300-element replies (about 2.7 KB each): a batch's replies pass 16 KiB, so
                  every flush gives back the grown reply buffer (Connection::ReleaseWrittenOutput).
"""
import argparse, glob, os, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import reference_tool, stop, wait_for_pong  # noqa: E402
from eval_icount import total_ir, cron_ir  # noqa: E402

BENCH = reference_tool("redis-benchmark")
WORKLOADS = [("get P16", "get"), ("lrange_300 P16", "lrange_300")]


def bench(port, test, n):
    cmd = [BENCH, "-p", str(port), "-q", "-t", test, "-n", str(n), "-c", "50", "-P", "16",
           "-d", "3"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=7200)


def measure(server, port, workdir, a):
    prefix = os.path.join(workdir, f"callgrind.{port}")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p",
           "--dump-instr=no", server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--io-threads", "1"]
    log = open(os.path.join(workdir, f"{port}.log"), "w")
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    out = {}
    try:
        if not wait_for_pong(port, proc, 120.0, 0.3):
            sys.exit(f"reply_icount: {server} did not start (see {log.name})")
        for name, test in WORKLOADS:
            bench(port, test, a.warmup)
            subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                           capture_output=True)
            bench(port, test, a.requests)
            tag = test.replace("_", "")
            subprocess.run(["callgrind_control", f"--dump={tag}", str(proc.pid)], check=True,
                           capture_output=True)
            time.sleep(1)
            dump = sorted(glob.glob(f"{prefix}.{proc.pid}.*"), key=os.path.getmtime)[-1]
            out[name] = (total_ir(dump) - cron_ir(dump)) / a.requests
    finally:
        stop(proc)
        log.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--warmup", type=int, default=20000)
    ap.add_argument("--port", type=int, default=12600)
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="reply-icount-")
    results = [measure(os.path.abspath(s), a.port + i, workdir, a)
               for i, s in enumerate(a.servers)]
    print(f"{'workload':16}" + "".join(f"{os.path.basename(s):>18}" for s in a.servers) +
          ("   ratio last/first" if len(a.servers) > 1 else ""))
    for name, _ in WORKLOADS:
        row = [r[name] for r in results]
        line = f"{name:16}" + "".join(f"{v:18.0f}" for v in row)
        if len(row) > 1:
            line += f"   {row[-1] / row[0]:.3f}"
        print(line)
    print(f"({a.requests} requests measured per workload; dumps in {workdir})")


if __name__ == "__main__":
    main()
