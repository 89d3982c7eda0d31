#!/usr/bin/env python3
"""What the AOF costs our own server: write throughput and server CPU per request with
`appendonly yes` + `appendfsync everysec` against `appendonly no`, same binary, same run
(issue 14's goal: the log costs at most 10% of the write throughput).

For each workload (SET, INCR, LPUSH, HSET; c50 at P1 and P16) a fresh server is started with
the log off, then one with it on, alternating (A B A B ... --rounds times), each in its own
empty directory; the ratios are taken pair by pair and their geometric mean printed.

For each --io-threads value (default "1,2") and each --aof-dir (default: the system's
temporary directory, i.e. the disk; give "/dev/shm" or another tmpfs to take the block
device's writeback out) the whole table is printed, then a summary: throughput on/off and
CPU on/off at P1 and P16, and the scaling from 1 to 2 io-threads with and without the log.
With one io-thread the server is pinned to CPU 0 and redis-benchmark to CPU 1 (as
bench-compare does); with more, neither is pinned and two redis-benchmark processes share the
clients and requests (benchutil.benchmark_rps: not --threads, whose rate moves in 10% steps).

    bench/aof_cost.py build/tessera-server [--rounds 2] [--port 32300] [--io-threads 1,2]
                      [--aof-dir /tmp,/dev/shm] [--only "set c50 P1,..."] [-- SERVER_ARGS...]
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import benchmark_rps, cpu_seconds, wait_for_port  # noqa: E402

WORKLOADS = [
    ("set c50 P1", ["-t", "set", "-c", "50", "-P", "1", "-r", "100000"], 200000),
    ("incr c50 P1", ["-t", "incr", "-c", "50", "-P", "1", "-r", "100000"], 200000),
    ("lpush c50 P1", ["-t", "lpush", "-c", "50", "-P", "1", "-r", "100000"], 200000),
    ("hset c50 P1", ["-t", "hset", "-c", "50", "-P", "1", "-r", "100000"], 200000),
    ("set c50 P16", ["-t", "set", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
    ("incr c50 P16", ["-t", "incr", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
    ("lpush c50 P16", ["-t", "lpush", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
    ("hset c50 P16", ["-t", "hset", "-c", "50", "-P", "16", "-r", "100000"], 1500000),
]

MODES = {
    "off": ["--appendonly", "no"],
    "on": ["--appendonly", "yes", "--appendfsync", "everysec"],
}


def pin(cpu):
    return ["taskset", "-c", str(cpu)] if (os.cpu_count() or 1) >= 2 else []


def run_once(*args):
    """One measurement; a failed redis-benchmark run is reported and tried once more."""
    try:
        return run_one(*args)
    except RuntimeError as e:
        print(f"(retrying: {e})", file=sys.stderr, flush=True)
        return run_one(*args)


def run_one(binary, port, mode, server_args, bench_args, requests, io_threads, aof_dir):
    d = tempfile.mkdtemp(prefix="aof-cost-", dir=aof_dir)
    pinned = io_threads == 1
    try:
        proc = subprocess.Popen(
            (pin(0) if pinned else []) +
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
             "--io-threads", str(io_threads)] + MODES[mode] + server_args,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, binary, proc)
            before = cpu_seconds(proc.pid)
            args = list(bench_args)
            i = args.index("-c")
            clients = int(args[i + 1])
            del args[i:i + 2]
            try:
                rps = benchmark_rps(port, args, requests, clients, 1 if pinned else 2,
                                    pin(1) if pinned else [])
            except RuntimeError as e:
                alive = "alive" if proc.poll() is None else f"exited {proc.returncode}"
                raise RuntimeError(f"{e} (server {alive})")
            cpu = cpu_seconds(proc.pid) - before
        finally:
            proc.terminate()
            proc.wait(30)
        return rps, cpu * 1e6 / requests
    finally:
        shutil.rmtree(d, ignore_errors=True)


def gmean(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs))


def table(a, io_threads, aof_dir, server_args, only):
    """Prints one table; returns {workload: (off rps, on rps, tput ratio, cpu ratio)}."""
    print(f"\n### io-threads {io_threads}, AOF directory under {aof_dir or tempfile.gettempdir()}"
          f" (server args: {' '.join(server_args) or '-'}; rounds: {a.rounds})\n")
    print("| workload | off req/s | on req/s | throughput on/off | off us/req | on us/req "
          "| CPU on/off |")
    print("|---|---|---|---|---|---|---|")
    out = {}
    for name, bench_args, requests in WORKLOADS:
        if only and name not in only:
            continue
        res = {"off": [], "on": []}
        for _ in range(a.rounds):
            for mode in ("off", "on"):
                res[mode].append(run_once(a.binary, a.port, mode, server_args, bench_args,
                                          requests, io_threads, aof_dir))
        tput = gmean([on[0] / off[0] for off, on in zip(res["off"], res["on"])])
        cpu = gmean([on[1] / off[1] for off, on in zip(res["off"], res["on"])])
        mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
        off_rps, on_rps = mean([r[0] for r in res["off"]]), mean([r[0] for r in res["on"]])
        out[name] = (off_rps, on_rps, tput, cpu)
        print(f"| {name} | {off_rps:.0f} | {on_rps:.0f} | {tput:.3f} | "
              f"{mean([r[1] for r in res['off']]):.2f} | {mean([r[1] for r in res['on']]):.2f} | "
              f"{cpu:.3f} |", flush=True)
    print(f"| **geomean** | | | **{gmean([v[2] for v in out.values()]):.3f}** | | | "
          f"**{gmean([v[3] for v in out.values()]):.3f}** |", flush=True)
    return out


def main():
    argv = sys.argv[1:]
    server_args = []
    if "--" in argv:
        i = argv.index("--")
        argv, server_args = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--port", type=int, default=32300)
    ap.add_argument("--io-threads", default="1,2")
    ap.add_argument("--aof-dir", default="", help="comma-separated; '' is the system's tmp dir")
    ap.add_argument("--only", help="comma-separated workload names")
    a = ap.parse_args(argv)
    only = a.only.split(",") if a.only else None
    threads = [int(t) for t in a.io_threads.split(",")]
    dirs = [d or None for d in a.aof_dir.split(",")]
    results = {}
    for aof_dir in dirs:
        for t in threads:
            results[(aof_dir, t)] = table(a, t, aof_dir, server_args, only)
    print("\n### Summary: geomean over the workloads of each pipeline depth\n")
    print("| AOF directory | io-threads | pipeline | throughput on/off | CPU on/off |")
    print("|---|---|---|---|---|")
    for (aof_dir, t), rows in results.items():
        for p in ("P1", "P16"):
            sel = [v for k, v in rows.items() if k.endswith(" " + p)]
            if sel:
                print(f"| {aof_dir or tempfile.gettempdir()} | {t} | {p} | "
                      f"{gmean([v[2] for v in sel]):.3f} | {gmean([v[3] for v in sel]):.3f} |")
    if 1 in threads and 2 in threads:
        print("\n### Scaling from 1 to 2 io-threads (req/s with 2 / req/s with 1, geomean)\n")
        print("| AOF directory | pipeline | appendonly no | appendonly yes everysec |")
        print("|---|---|---|---|")
        for aof_dir in dirs:
            one, two = results[(aof_dir, 1)], results[(aof_dir, 2)]
            for p in ("P1", "P16"):
                names = [k for k in one if k.endswith(" " + p) and k in two]
                if names:
                    off = gmean([two[k][0] / one[k][0] for k in names])
                    on = gmean([two[k][1] / one[k][1] for k in names])
                    print(f"| {aof_dir or tempfile.gettempdir()} | {p} | {off:.2f} | {on:.2f} |")


if __name__ == "__main__":
    main()
