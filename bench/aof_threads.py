#!/usr/bin/env python3
"""Where the write log's cost goes, thread by thread, in figures a noisy machine moves little:
per request, each server thread's CPU time, its time waiting for a CPU while runnable, and
its voluntary (it slept: a futex, an empty poll) and involuntary (preempted) context switches,
from /proc/<pid>/task/<tid>/{schedstat,status} before and after one redis-benchmark run.
Optionally (--strace) a second run under `strace -f -c` counts the system calls per request.

`appendonly no` and `appendonly yes` + `appendfsync everysec` are run on the same binary, each
on a fresh server in its own empty directory.  Threads are grouped by name (worker-N,
aof_writer, the rest as "other").

    bench/aof_threads.py BUILD/tessera-server [--io-threads 2] [--only "set c50 P16,..."]
                         [--rounds 1] [--strace] [--aof-dir /dev/shm] [--port 16300]
                         [-- SERVER_ARGS...]
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import benchmark_rps, wait_for_port  # noqa: E402

WORKLOADS = {
    "set c50 P1": (["-t", "set", "-c", "50", "-P", "1", "-r", "100000"], 200000),
    "incr c50 P1": (["-t", "incr", "-c", "50", "-P", "1", "-r", "100000"], 200000),
    "set c50 P16": (["-t", "set", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
    "lpush c50 P16": (["-t", "lpush", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
    "hset c50 P16": (["-t", "hset", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
}
MODES = {
    "off": ["--appendonly", "no"],
    "on": ["--appendonly", "yes", "--appendfsync", "everysec"],
}


def group(name):
    if name.startswith("worker-"):
        return name
    if name == "aof_writer":
        return name
    return "other"


def threads(pid):
    """{tid: (group, run ns, runqueue wait ns, voluntary, involuntary)}"""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            base = f"/proc/{pid}/task/{tid}"
            name = open(f"{base}/comm").read().strip()
            run, wait, _ = (int(x) for x in open(f"{base}/schedstat").read().split())
            vol = inv = 0
            for line in open(f"{base}/status"):
                if line.startswith("voluntary_ctxt_switches"):
                    vol = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    inv = int(line.split()[1])
            out[tid] = (group(name), run, wait, vol, inv)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    return out


def delta(before, after):
    """Per group: [run ns, wait ns, voluntary, involuntary] over the run."""
    res = {}
    for tid, (g, *vals) in after.items():
        prev = before.get(tid, (g, 0, 0, 0, 0))[1:]
        acc = res.setdefault(g, [0, 0, 0, 0])
        for i, v in enumerate(vals):
            acc[i] += v - prev[i]
    return res


def run(a, mode, bench_args, n, server_args, use_strace):
    d = tempfile.mkdtemp(prefix="aof-threads-", dir=a.aof_dir)
    proc = subprocess.Popen(
        [a.binary, "--port", str(a.port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
         "--io-threads", str(a.io_threads)] + MODES[mode] + server_args,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(a.port, a.binary, proc)
        time.sleep(0.2)
        st = None
        if use_strace:
            out = os.path.join(d, "strace.txt")
            st = subprocess.Popen(["strace", "-c", "-f", "-p", str(proc.pid), "-o", out],
                                  stderr=subprocess.DEVNULL)
            time.sleep(1)
        before = threads(proc.pid)
        args = list(bench_args)
        i = args.index("-c")
        clients = int(args[i + 1])
        del args[i:i + 2]
        t0 = time.time()
        rps = benchmark_rps(a.port, args, n, clients, 2)  # not --threads: see benchmark_rps
        elapsed = time.time() - t0
        after = threads(proc.pid)
        calls = {}
        if st is not None:
            time.sleep(0.3)
            st.send_signal(signal.SIGINT)
            st.wait(30)
            for line in open(out):
                f = line.split()
                if len(f) >= 5 and f[3].isdigit() and f[-1] != "total":
                    calls[f[-1]] = int(f[3])
        return rps, elapsed, delta(before, after), calls
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(d, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    server_args = []
    if "--" in argv:
        i = argv.index("--")
        argv, server_args = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--io-threads", type=int, default=2)
    ap.add_argument("--only", default="set c50 P1,set c50 P16")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--strace", action="store_true")
    ap.add_argument("--aof-dir", default=None)
    ap.add_argument("--port", type=int, default=16300)
    a = ap.parse_args(argv)
    print(f"io-threads {a.io_threads}; AOF directory under {a.aof_dir or tempfile.gettempdir()}; "
          f"server args: {' '.join(server_args) or '-'}")
    print("per request: CPU us, runqueue wait us, voluntary and involuntary switches (x1000)")
    print("| workload | mode | req/s | thread | CPU us/req | wait us/req | vol/1k req | "
          "invol/1k req |")
    print("|---|---|---|---|---|---|---|---|")
    for name in a.only.split(","):
        bench_args, n = WORKLOADS[name]
        for _ in range(a.rounds):
            for mode in ("off", "on"):
                rps, _, groups, _ = run(a, mode, bench_args, n, server_args, False)
                tot = [sum(v[i] for v in groups.values()) for i in range(4)]
                for g, v in sorted(groups.items()) + [("all", tot)]:
                    print(f"| {name} | {mode} | {rps:.0f} | {g} | {v[0] / 1e3 / n:.3f} | "
                          f"{v[1] / 1e3 / n:.3f} | {v[2] * 1e3 / n:.2f} | {v[3] * 1e3 / n:.2f} |",
                          flush=True)
    if a.strace:
        print("\nsystem calls per request (strace -c -f; strace slows the server)")
        print("| workload | mode | all | futex | write | read | epoll_wait | other |")
        print("|---|---|---|---|---|---|---|---|")
        for name in a.only.split(","):
            bench_args, n = WORKLOADS[name]
            n = n // 4
            for mode in ("off", "on"):
                _, _, _, calls = run(a, mode, bench_args, n, server_args, True)
                tot = sum(calls.values())
                named = ("futex", "write", "read", "epoll_wait")
                other = tot - sum(calls.get(k, 0) for k in named)
                print(f"| {name} | {mode} | {tot / n:.4f} | " +
                      " | ".join(f"{calls.get(k, 0) / n:.4f}" for k in named) +
                      f" | {other / n:.4f} |", flush=True)


if __name__ == "__main__":
    main()
