#!/usr/bin/env python3
"""Snapshots side by side with redis-server, in one run (issue 14's goals):

  * memory during BGSAVE under a steady stream of overwrites: the peak rise of the server's
    proportional set size (PSS, summed over the process and any child it forked, so Redis's
    copy-on-write pages count once each), sampled every 10 ms, over the PSS before;
  * SAVE time and load time (the "DB loaded from disk: X seconds" line) of the same dataset.

Usage: bench/snapshot_compare.py BUILD/tessera-server [--keys N] [--value-size B]
Prints one line per figure and the ratios (Tessera / Redis; lower is better).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import free_port  # noqa: E402


def pss_kb(pid):
    """PSS of `pid` and its children (a forked save), in kB."""
    total = 0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    def __init__(self, binary, workdir, extra=()):
        self.port = free_port()
        self.dir = workdir
        self.log = os.path.join(workdir, "log")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir, "--logfile", self.log, *extra])
        self.r = redis.Redis(port=self.port, socket_timeout=600)
        deadline = time.time() + 600
        while True:
            try:
                if self.r.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.time() > deadline:
                    raise
                time.sleep(0.01)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def fill(port, keys, size):
    value = b"x" * size
    proto = bytearray()
    for i in range(keys):
        k = b"key:%012d" % i
        proto += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, size, value)
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=bytes(proto),
                   stdout=subprocess.DEVNULL, check=True)


def measure(binary, keys, size):
    work = tempfile.mkdtemp(prefix="snapbench-")
    try:
        s = Server(binary, work)
        fill(s.port, keys, size)
        assert s.r.dbsize() == keys
        time.sleep(0.5)
        before = pss_kb(s.proc.pid)
        # Steady overwrites of random existing keys while the snapshot is written.
        load = subprocess.Popen(
            ["redis-benchmark", "-p", str(s.port), "-t", "set", "-r", str(keys), "-d", str(size),
             "-n", "1000000000", "-c", "20", "-P", "4", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        peak = before
        done = threading.Event()

        def sampler():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, pss_kb(s.proc.pid))
                time.sleep(0.01)

        t = threading.Thread(target=sampler)
        t.start()
        writes_before = s.r.info("stats")["total_commands_processed"]
        start = time.time()
        s.r.bgsave()
        while s.r.info("persistence")["rdb_bgsave_in_progress"] == 1 or time.time() - start < 0.2:
            time.sleep(0.02)
        bgsave_s = time.time() - start
        writes = s.r.info("stats")["total_commands_processed"] - writes_before
        done.set()
        t.join()
        load.terminate()
        load.wait()
        assert s.r.info("persistence")["rdb_last_bgsave_status"] == "ok"
        start = time.time()
        s.r.save()
        save_s = time.time() - start
        s.stop()
        s2 = Server(binary, work)
        with open(s2.log) as f:
            m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", f.read())
        load_s = float(m.group(1))
        assert s2.r.dbsize() == keys
        s2.stop()
        return {"pss_before_mb": before / 1024, "pss_peak_mb": peak / 1024,
                "rise": (peak - before) / before, "bgsave_s": bgsave_s,
                "writes_during_bgsave": writes, "save_s": save_s, "load_s": load_s}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--ref", default="/usr/bin/redis-server")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--value-size", type=int, default=100)
    a = ap.parse_args()
    ours = measure(a.server, a.keys, a.value_size)
    theirs = measure(a.ref, a.keys, a.value_size)
    print(f"{a.keys} keys of {a.value_size} B, BGSAVE under overwrites (redis-benchmark SET "
          f"c20 P4 on random keys)")
    for name, res in (("tessera", ours), ("redis", theirs)):
        print(f"{name:8} PSS {res['pss_before_mb']:.0f} MB -> peak {res['pss_peak_mb']:.0f} MB "
              f"(+{res['rise'] * 100:.1f}%), BGSAVE {res['bgsave_s']:.2f} s with "
              f"{res['writes_during_bgsave']} commands served meanwhile, SAVE "
              f"{res['save_s']:.2f} s, load {res['load_s']:.3f} s")
    print(f"ratios tessera/redis: SAVE time {ours['save_s'] / theirs['save_s']:.2f}, "
          f"load time {ours['load_s'] / max(theirs['load_s'], 1e-3):.2f}, memory rise "
          f"{ours['rise'] * 100:.1f}% vs {theirs['rise'] * 100:.1f}%")


if __name__ == "__main__":
    main()
