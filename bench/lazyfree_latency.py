#!/usr/bin/python3
"""Latency of deleting a 1M-member set, with and without lazy freeing, beside redis-server.

    flock /work/bench.lock bench/lazyfree_latency.py build/tessera-server \
        [--redis REDIS-SERVER] [--members 1000000] [--runs 3]

For each server and each way of deleting (DEL, UNLINK, DEL with lazyfree-lazy-user-del yes):
builds a set of --members members (SADD in batches), waits until nothing is pending, then
times the command's round trip from a client on loopback, and how long it takes from the reply
until used_memory is back near where it was before the set (the free thread's work for the
lazy ways).  Prints the median of --runs per case.  Ports: 36100 (ours) and 36101 (Redis).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from benchutil import reference_tool, wait_for_port  # noqa: E402

import redis  # noqa: E402


def start(binary, port, is_redis):
    d = tempfile.mkdtemp(prefix="lazyfree-bench-")
    args = [os.path.abspath(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if not is_redis:
        args += ["--io-threads", "1"]
    proc = subprocess.Popen(args, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, binary)
    return proc


def build_set(r, members):
    batch = 10000
    for start in range(0, members, batch):
        r.sadd("big", *range(start, min(members, start + batch)))


def settle(r):
    while r.info("memory").get("lazyfree_pending_objects", 0) != 0:
        time.sleep(0.01)


def one_run(r, members, way):
    settle(r)
    base = r.info("memory")["used_memory"]
    build_set(r, members)
    peak = r.info("memory")["used_memory"]
    r.config_set("lazyfree-lazy-user-del", "yes" if way == "DEL lazy-user-del" else "no")
    cmd = "UNLINK" if way == "UNLINK" else "DEL"
    t0 = time.perf_counter()
    assert r.execute_command(cmd, "big") == 1
    reply_ms = (time.perf_counter() - t0) * 1000
    # Until the memory is back within 10% of what the set took.
    target = base + (peak - base) * 0.1
    while r.info("memory")["used_memory"] > target:
        time.sleep(0.001)
    released_ms = (time.perf_counter() - t0) * 1000
    return reply_ms, released_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tessera")
    ap.add_argument("--redis", default=reference_tool("redis-server"))
    ap.add_argument("--members", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    servers = [("tessera", a.tessera, 36100, False), ("redis 7.2.4", a.redis, 36101, True)]
    ways = ["DEL", "UNLINK", "DEL lazy-user-del"]
    results = {}
    for name, binary, port, is_redis in servers:
        proc = start(binary, port, is_redis)
        try:
            r = redis.Redis(port=port)
            for way in ways:
                runs = [one_run(r, a.members, way) for _ in range(a.runs)]
                print(name, way, " ".join(f"{x[0]:.2f}/{x[1]:.1f}" for x in runs), file=sys.stderr)
                results[(name, way)] = (statistics.median(x[0] for x in runs),
                                        statistics.median(x[1] for x in runs))
        finally:
            proc.terminate()
            proc.wait()
    print(f"set of {a.members} members, median of {a.runs} runs (ms)")
    print(f"{'server':<12} {'command':<20} {'reply':>9} {'memory back':>12}")
    for (name, way), (reply, released) in results.items():
        print(f"{name:<12} {way:<20} {reply:>9.2f} {released:>12.1f}")
    for way in ways:
        ours, theirs = results[("tessera", way)][0], results[("redis 7.2.4", way)][0]
        print(f"reply latency ratio tessera/redis, {way}: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
