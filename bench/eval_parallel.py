#!/usr/bin/env python3
"""EVALSHA on disjoint keys with --io-threads 1 and 2: the parallel speed-up of scripts that
lock only their declared keys' shards (server/commands/script_locks.h).

Usage: bench/eval_parallel.py [--requests N] [--clients C] [--pipeline P] [--loop L]
                              [--keys K] [--bench-threads T] [--port-base PORT]
                              SERVER [SERVER...] [-- ARGS...]

For each SERVER binary (ARGS go to every one) and each of --io-threads 1 and 2: start it, load
a script that runs a Lua loop of L additions (the script's own CPU) and INCRBYs and GETs its one
declared key, then drive it with redis-benchmark:
    EVALSHA <sha> 1 k:__rand_int__ 1      (-r K: K keys, so two scripts rarely share a shard)
and print requests/s and server CPU microseconds per request for each thread count, and the
speed-up (requests/s with 2 threads over 1).  Scripts that took every shard, as before issue
12, stay near 1.0x; the goal is >= 1.6x with the client on a core of its own.
On a shared 2-core machine the client competes with the server's two workers: quote such
figures as noisy.  Servers use ports from --port-base upwards (default: free ports).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import benchmark_rps, cpu_seconds, free_port, wait_for_port  # noqa: E402

SCRIPT = ("local s = 0 for i = 1, tonumber(ARGV[1]) do s = s + i end "
          "redis.call('INCRBY', KEYS[1], 1) return redis.call('GET', KEYS[1])")


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                          text=True, timeout=60).stdout.strip()


def run_one(binary, threads, port, opts, extra):
    workdir = tempfile.mkdtemp(prefix="eval-parallel-")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--io-threads", str(threads)] + extra,
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, binary)
        body = SCRIPT.replace("tonumber(ARGV[1])", str(opts.loop))
        sha = cli(port, "SCRIPT", "LOAD", body)
        args = ["-P", str(opts.pipeline), "-r", str(opts.keys),
                "EVALSHA", sha, "1", "k:__rand_int__", "1"]
        cpu0 = cpu_seconds(server.pid)
        # --bench-threads single-threaded processes, not redis-benchmark --threads (see
        # benchutil.benchmark_rps).
        try:
            rps = benchmark_rps(port, args, opts.requests, opts.clients, opts.bench_threads)
        except RuntimeError as e:
            sys.exit(str(e))
        cpu = cpu_seconds(server.pid) - cpu0
        # Every script ran: the keys' counters add up to the requests.
        total = 0
        cursor = "0"
        while True:
            reply = cli(port, "SCAN", cursor, "COUNT", "1000").split("\n")
            cursor, keys = reply[0], [k for k in reply[1:] if k]
            if keys:
                total += sum(int(v) for v in cli(port, "MGET", *keys).split("\n") if v)
            if cursor == "0":
                break
        if total != opts.requests:
            sys.exit(f"counters add up to {total}, not {opts.requests}")
        return rps, cpu * 1e6 / opts.requests
    finally:
        server.terminate()
        server.wait(10)


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=200000)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--pipeline", type=int, default=1)
    p.add_argument("--loop", type=int, default=200)
    p.add_argument("--keys", type=int, default=100000)
    p.add_argument("--bench-threads", type=int, default=1)
    p.add_argument("--port-base", type=int, default=0)
    p.add_argument("servers", nargs="+")
    opts = p.parse_args(argv)
    next_port = opts.port_base
    print(f"EVALSHA, one declared key of {opts.keys}, Lua loop {opts.loop}, "
          f"{opts.clients} clients, pipeline {opts.pipeline}, {opts.requests} requests")
    for binary in opts.servers:
        results = {}
        for threads in (1, 2):
            if opts.port_base:
                port, next_port = next_port, next_port + 1
            else:
                port = free_port()
            results[threads] = run_one(binary, threads, port, opts, extra)
            rps, us = results[threads]
            print(f"{binary}  --io-threads {threads}: {rps:10.0f} req/s  "
                  f"{us:6.1f} us CPU/request")
            time.sleep(0.5)
        print(f"{binary}  speed-up 2 threads / 1: {results[2][0] / results[1][0]:.2f}x")


if __name__ == "__main__":
    main()
