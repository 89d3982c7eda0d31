#!/usr/bin/env python3
"""What the AOF costs our own server: write throughput and server CPU per request with
`appendonly yes` + `appendfsync everysec` against `appendonly no`, same binary, same run
(issue 14's goal: the log costs at most 10% of the write throughput).

For each workload (SET, INCR, LPUSH, HSET; c50 at P1 and P16) a fresh server is started with
the log off, then one with it on, alternating (A B A B ... --rounds times), each in its own
empty directory; the ratios are taken pair by pair and their geometric mean printed.  The
server is pinned to CPU 0 and redis-benchmark to CPU 1 (as bench-compare does).

    bench/aof_cost.py build/tessera-server [--rounds 2] [--port 34300] [-- SERVER_ARGS...]

Default server args: --io-threads 1.
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import cpu_seconds, wait_for_port  # noqa: E402

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


def run_once(binary, port, mode, server_args, bench_args, requests):
    d = tempfile.mkdtemp(prefix="aof-cost-")
    try:
        proc = subprocess.Popen(
            pin(0) + [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                      "--save", ""] + MODES[mode] + server_args,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, binary)
            before = cpu_seconds(proc.pid)
            out = subprocess.run(
                pin(1) + ["redis-benchmark", "-p", str(port), "-n", str(requests), "--csv",
                          "-q"] + bench_args,
                capture_output=True, text=True, check=True).stdout
            cpu = cpu_seconds(proc.pid) - before
        finally:
            proc.terminate()
            proc.wait(30)
        rows = [line.split(",") for line in out.splitlines() if line and not line.startswith('"test"')]
        rps = float(rows[0][1].strip('"'))
        return rps, cpu * 1e6 / requests
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    server_args = ["--io-threads", "1"]
    if "--" in argv:
        i = argv.index("--")
        argv, server_args = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--port", type=int, default=34300)
    ap.add_argument("--only", help="comma-separated workload names")
    a = ap.parse_args(argv)
    only = a.only.split(",") if a.only else None
    print(f"server args: {' '.join(server_args)}; rounds: {a.rounds}")
    print("| workload | off req/s | on req/s | throughput on/off | off us/req | on us/req "
          "| CPU on/off |")
    print("|---|---|---|---|---|---|---|")
    tput_all, cpu_all = [], []
    for name, bench_args, requests in WORKLOADS:
        if only and name not in only:
            continue
        res = {"off": [], "on": []}
        for _ in range(a.rounds):
            for mode in ("off", "on"):
                res[mode].append(run_once(a.binary, a.port, mode, server_args, bench_args,
                                          requests))
        tput = math.exp(sum(math.log(on[0] / off[0]) for off, on in zip(res["off"], res["on"]))
                        / a.rounds)
        cpu = math.exp(sum(math.log(on[1] / off[1]) for off, on in zip(res["off"], res["on"]))
                       / a.rounds)
        tput_all.append(tput)
        cpu_all.append(cpu)
        mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
        print(f"| {name} | {mean([r[0] for r in res['off']]):.0f} | "
              f"{mean([r[0] for r in res['on']]):.0f} | {tput:.3f} | "
              f"{mean([r[1] for r in res['off']]):.2f} | {mean([r[1] for r in res['on']]):.2f} | "
              f"{cpu:.3f} |", flush=True)
    g = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))  # noqa: E731
    print(f"| **geomean** | | | **{g(tput_all):.3f}** | | | **{g(cpu_all):.3f}** |")


if __name__ == "__main__":
    main()
