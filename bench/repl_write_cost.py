#!/usr/bin/env python3
"""Write throughput and the primary's CPU per request with one replica attached (the write
log then appends under its lock and hands each append to the replica's tap), for comparing
two binaries: SET c50 P16 on a primary at --io-threads 2, alternating the binaries --runs
times.

    bench/repl_write_cost.py OLD_BIN NEW_BIN [--runs 3] [--requests 2000000]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import benchmark_rps, cpu_seconds, free_port, wait_for_port  # noqa: E402


def start(binary, port, directory, io_threads):
    return subprocess.Popen(
        [binary, "--port", str(port), "--dir", directory, "--save", "", "--appendonly", "no",
         "--io-threads", str(io_threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, check=False).stdout


def run_one(binary, requests):
    pa, pb = free_port(), free_port()
    da, db = tempfile.mkdtemp(), tempfile.mkdtemp()
    primary = start(binary, pa, da, 2)
    replica = start(binary, pb, db, 1)
    try:
        wait_for_port(pa, "primary", primary)
        wait_for_port(pb, "replica", replica)
        cli(pb, "replicaof", "127.0.0.1", str(pa))
        deadline = time.time() + 30
        while "master_link_status:up" not in cli(pb, "info", "replication"):
            if time.time() > deadline:
                raise RuntimeError("the replica did not attach")
            time.sleep(0.05)
        cpu0 = cpu_seconds(primary.pid)
        # Two redis-benchmark processes, not --threads 2 (see benchutil.benchmark_rps).
        rps = benchmark_rps(pa, ["-t", "set", "-P", "16", "-r", "100000"], requests, 50, 2)
        cpu = cpu_seconds(primary.pid) - cpu0
        return rps, cpu * 1e6 / requests
    finally:
        for proc in (replica, primary):
            proc.terminate()
            proc.wait()
        shutil.rmtree(da, ignore_errors=True)
        shutil.rmtree(db, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=2000000)
    a = ap.parse_args()
    results = {"old": [], "new": []}
    for _ in range(a.runs):
        for name, binary in (("old", a.old), ("new", a.new)):
            rps, us = run_one(os.path.abspath(binary), a.requests)
            results[name].append((rps, us))
            print(f"{name}: {rps:.0f} req/s, {us:.3f} us CPU per request", flush=True)
    for name, rows in results.items():
        print(f"{name} mean: {sum(r for r, _ in rows) / len(rows):.0f} req/s, "
              f"{sum(u for _, u in rows) / len(rows):.3f} us CPU per request")


if __name__ == "__main__":
    main()
