#!/usr/bin/env python3
"""What a start-up RDB load costs in CPU, measured two ways that the machine's noise moves
less than wall time (bench/load_compare.py gives the wall times):

  instructions: each SERVER starts under `valgrind --tool=callgrind --separate-threads=yes` on
    a copy of RDB and, once it answers PING (the load is over), the counters are dumped.  The
    figure is user-space instructions (Ir) from start to loaded, per thread: the reading
    thread (the main one) and the decoder threads apart, since on two free cores the wall
    time follows the busier of them.  Start-up without a file costs ~1M Ir, for scale.
  --cpu N: each SERVER starts N times natively; the process's CPU seconds (utime + stime,
    /proc/PID/stat, which keeps the exited decoder threads' share) once it answers PING,
    and the log's "DB loaded" seconds.  Best of N printed.

Usage:
  bench/load_icount.py [--port P] [--cpu N] [--workdir DIR] RDB SERVER [SERVER...]

The dump files stay in the work directory for `callgrind_annotate --inclusive=yes FILE`.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import stop, wait_for_pong  # noqa: E402


def server_args(server, port, workdir):
    return [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "",
            "--appendonly", "no"]


def total_ir(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"(summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(2))
    return 0


def instructions(server, rdb, port, workdir):
    d = tempfile.mkdtemp(prefix="icount-", dir=workdir)
    shutil.copy(rdb, os.path.join(d, "dump.rdb"))
    name = os.path.basename(server)
    out = os.path.join(workdir, f"callgrind.{name}.{port}")
    args = ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--dump-instr=no",
            f"--callgrind-out-file={out}.%p"] + server_args(server, port, d)
    log = open(os.path.join(workdir, f"{name}.{port}.log"), "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_pong(port, proc, 1800, 0.02):
            sys.exit(f"load_icount: {server} did not load (see {log.name})")
        subprocess.run(["callgrind_control", "--dump=loaded", str(proc.pid)], check=True,
                       capture_output=True)
        time.sleep(2)
        # One file per thread: PREFIX.PID.1-01 (the dump's number, then the thread's).
        dumps = sorted(glob.glob(f"{out}.{proc.pid}.1-*"))
        if not dumps:
            sys.exit(f"load_icount: no callgrind dump for {server}")
        per_thread = [(os.path.basename(p).rsplit("-", 1)[1], total_ir(p)) for p in dumps]
        return per_thread, dumps
    finally:
        stop(proc, 120)
        log.close()
        shutil.rmtree(d, ignore_errors=True)


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def cpu(server, rdb, port, workdir, runs):
    best_cpu = best_wall = None
    for _ in range(runs):
        d = tempfile.mkdtemp(prefix="cpu-", dir=workdir)
        shutil.copy(rdb, os.path.join(d, "dump.rdb"))
        logpath = os.path.join(d, "server.log")
        log = open(logpath, "w")
        proc = subprocess.Popen(server_args(server, port, d), stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            if not wait_for_pong(port, proc, 300, 0.02):
                sys.exit(f"load_icount: {server} did not load")
            c = proc_cpu_seconds(proc.pid)
        finally:
            stop(proc, 120)
            log.close()
        with open(logpath) as f:
            m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", f.read())
        shutil.rmtree(d, ignore_errors=True)
        w = float(m.group(1))
        best_cpu = c if best_cpu is None else min(best_cpu, c)
        best_wall = w if best_wall is None else min(best_wall, w)
    return best_cpu, best_wall


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=30100)
    ap.add_argument("--cpu", type=int, default=0, help="CPU seconds over N native starts "
                    "instead of instruction counts")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("rdb")
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    workdir = a.workdir or tempfile.mkdtemp(prefix="load-icount-")
    os.makedirs(workdir, exist_ok=True)
    rdb = os.path.abspath(a.rdb)
    for i, server in enumerate(a.servers):
        server = os.path.abspath(server)
        if a.cpu:
            c, w = cpu(server, rdb, a.port + i, workdir, a.cpu)
            print(f"{server:50} cpu {c:.2f} s  loaded in {w:.3f} s (best of {a.cpu})",
                  flush=True)
            continue
        per_thread, dumps = instructions(server, rdb, a.port + i, workdir)
        total = sum(ir for _, ir in per_thread)
        threads = "  ".join(f"t{t}: {ir / 1e6:.0f}M" for t, ir in per_thread if ir > 1e6)
        print(f"{server:50} {total / 1e6:8.0f}M Ir  ({threads})  {os.path.dirname(dumps[0])}",
              flush=True)


if __name__ == "__main__":
    main()
