#!/usr/bin/env python3
"""User-space instructions per SET at maxmemory (allkeys-lru, every SET evicts) against below
it, on our server, counted by callgrind: the steady figure behind eviction_compare.py (c),
whose CPU-time ratio swings +-15% on the shared machine.

Usage:
  bench/eviction_icount.py [--maxmemory MB] [--requests N] [--warmup N] [--port P]
                           [--policy allkeys-lru] [--keep] SERVER [-- ARGS...]

Two runs of SERVER (`--io-threads 1` added), each alone under `valgrind --tool=callgrind`:
  below  maxmemory MB with the policy, filled with 2x MB of new keys (100-byte values, as in
         eviction_compare.py), then CONFIG SET maxmemory 0: the same data, no eviction;
  at     the same fill, the limit kept: every new key evicts about one.
Then --warmup SETs of new random keys (redis-benchmark -c 50 -P 1 -r 10^8 -d 100), the
counters zeroed, --requests more SETs, the counters dumped.  Printed: instructions (Ir) per
SET without the timer-driven cron, the at/below ratio, evicted_keys of the measured part,
and the callgrind files (callgrind_annotate --inclusive=yes shows where the difference goes).

Left out as time-driven, like the cron: MemoryMeter::Recalibrate (jemalloc's stats epoch,
about 200k instructions a call), which eviction runs at most every 10 ms while over the
limit.  Natively that is about 100 calls a second, some 150 instructions per SET at 130k
SET/s; under valgrind, where a second of requests lasts about a minute, it would be 30 times
that per request.  callgrind's --toggle-collect stops counting inside it (and must come
before --collect-atstart=yes, which it would otherwise turn off).
"""
import argparse, glob, os, re, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import reference_tool, stop, wait_for_pong  # noqa: E402
from eval_icount import total_ir, cron_ir  # noqa: E402

BENCH = reference_tool("redis-benchmark")


def call(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        s.sendall(b"".join(out))
        buf = b""
        while not buf.endswith(b"\r\n") or (buf.startswith(b"$") and buf.count(b"\r\n") < 2):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            buf += chunk
        return buf


def info_field(port, section, field):
    text = call(port, "INFO", section).decode()
    m = re.search(r"^%s:(\S+)" % re.escape(field), text, re.M)
    return m.group(1) if m else None


def sets(port, n, clients, pipeline):
    cmd = [BENCH, "-p", str(port), "-q", "-t", "set", "-n", str(n), "-r", "100000000",
           "-d", "100", "-c", str(clients), "-P", str(pipeline)]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=7200)


def measure(mode, server, args, port, workdir, a):
    maxmemory = a.maxmemory * 1024 * 1024
    prefix = os.path.join(workdir, f"callgrind.{mode}")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p",
           "--dump-instr=no", "--toggle-collect=*MemoryMeter::Recalibrate*",
           "--collect-atstart=yes", server, "--port", str(port),
           "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--io-threads", "1",
           "--maxmemory", str(maxmemory), "--maxmemory-policy", a.policy] + args
    log = open(os.path.join(workdir, f"{mode}.log"), "w")
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_pong(port, proc, 120.0, 0.3):
            sys.exit(f"eviction_icount: {server} did not start (see {log.name})")
        sets(port, 2 * maxmemory // 116, 8, 16)
        if mode == "below":
            call(port, "CONFIG", "SET", "maxmemory", "0")
        sets(port, a.warmup, 50, 1)
        evicted0 = int(info_field(port, "stats", "evicted_keys"))
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True,
                       capture_output=True)
        sets(port, a.requests, 50, 1)
        subprocess.run(["callgrind_control", "--dump=measured", str(proc.pid)], check=True,
                       capture_output=True)
        evicted = int(info_field(port, "stats", "evicted_keys")) - evicted0
        time.sleep(1)
        dumps = sorted(glob.glob(f"{prefix}.{proc.pid}.*"))
        if not dumps:
            sys.exit("eviction_icount: no callgrind dump")
        total = total_ir(dumps[-1])
        return (total - cron_ir(dumps[-1])) / a.requests, evicted, dumps[-1]
    finally:
        stop(proc)
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maxmemory", type=int, default=16, help="MB")
    ap.add_argument("--policy", default="allkeys-lru")
    ap.add_argument("--requests", type=int, default=50000)
    ap.add_argument("--warmup", type=int, default=10000)
    ap.add_argument("--port", type=int, default=34100)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("server")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    workdir = a.workdir or tempfile.mkdtemp(prefix="evict-icount-")
    os.makedirs(workdir, exist_ok=True)
    server = os.path.abspath(a.server)
    below, ev_below, dump_below = measure("below", server, a.args, a.port, workdir, a)
    at, ev_at, dump_at = measure("at", server, a.args, a.port + 1, workdir, a)
    print(f"below maxmemory: {below:8.0f} Ir/SET  evicted {ev_below}  {dump_below}")
    print(f"at maxmemory:    {at:8.0f} Ir/SET  evicted {ev_at}  {dump_at}")
    print(f"ratio at/below:  {at / below:.3f}  ({a.policy}, maxmemory {a.maxmemory}mb, "
          f"{a.requests} SETs measured)")


if __name__ == "__main__":
    main()
