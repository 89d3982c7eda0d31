#!/usr/bin/env python3
"""Start-up load time of the same RDB file, written by redis-server 7.2.4, in Tessera and in
redis-server: (a) 1M string keys of 100 bytes (DEBUG POPULATE), (b) a mixed dataset of small
and large aggregates (hashes, lists, sets, sorted sets, streams; the large ones past the
listpack limits).  Each server is started on a copy of the file and its own log line
"DB loaded from disk: X seconds" is read; the best of --runs starts is kept.

    bench/load_compare.py build/tessera-server [--reference REDIS-SERVER]
        [--files DIR]

With --files, the RDB files are kept in DIR (strings.rdb, mixed.rdb) and reused by later runs,
so that runs compare the same bytes and a profiler can load them by hand.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import reference_tool  # noqa: E402

MIXED = """
local n = tonumber(ARGV[1])
for i = 1, n do
  local k = tostring(i)
  local f = {}
  for j = 1, 10 do f[#f+1] = 'field' .. j; f[#f+1] = 'value' .. j .. ':' .. k end
  redis.call('HSET', 'h:' .. k, unpack(f))
  if i % 2 == 0 then
    local l = {}
    for j = 1, 30 do l[#l+1] = 'item-' .. j end
    redis.call('RPUSH', 'l:' .. k, unpack(l))
    local s = {}
    for j = 1, 20 do s[#s+1] = 'member-' .. j end
    redis.call('SADD', 's:' .. k, unpack(s))
    local si = {}
    for j = 1, 20 do si[#si+1] = j * 7 end
    redis.call('SADD', 'si:' .. k, unpack(si))
    local z = {}
    for j = 1, 20 do z[#z+1] = j * 1.5; z[#z+1] = 'm' .. j end
    redis.call('ZADD', 'z:' .. k, unpack(z))
  end
  if i % 10 == 0 then
    for j = 1, 20 do redis.call('XADD', 'x:' .. k, '*', 'a', j, 'b', 'text') end
  end
end
return n
"""

BIG = """
local m = tonumber(ARGV[1])
for b = 1, 20 do
  local base = 'big' .. b
  for j = 1, m, 500 do
    local f, l, s, z = {}, {}, {}, {}
    for q = j, math.min(j + 499, m) do
      f[#f+1] = 'f' .. q; f[#f+1] = 'v' .. q
      l[#l+1] = 'element-' .. q
      s[#s+1] = 'member-' .. q
      z[#z+1] = q; z[#z+1] = 'm' .. q
    end
    redis.call('HSET', base .. ':h', unpack(f))
    redis.call('RPUSH', base .. ':l', unpack(l))
    redis.call('SADD', base .. ':s', unpack(s))
    redis.call('ZADD', base .. ':z', unpack(z))
  end
end
return m
"""


PORT_BASE = [0]  # --port-base: take ports from there up instead of ephemeral ones


def free_port():
    for _ in range(200):
        want = PORT_BASE[0]
        if want:
            PORT_BASE[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", want))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def start(binary, workdir, extra=()):
    port = free_port()
    log = open(os.path.join(workdir, "server.log"), "w")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             workdir, "--save", "", "--appendonly", "no",
                             "--enable-debug-command", "yes", *extra],
                            stdout=log, stderr=subprocess.STDOUT)
    r = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if r.ping():
                return proc, r
        except (redis.ConnectionError, redis.BusyLoadingError):
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def stop(proc):
    proc.terminate()
    proc.wait(60)


def make_file(reference, kind, path):
    d = tempfile.mkdtemp(prefix="load-make-")
    proc, r = start(reference, d)
    try:
        if kind == "strings":
            r.execute_command("DEBUG", "POPULATE", 1000000, "key", 100)
        else:
            r.eval(MIXED, 0, 100000)
            r.eval(BIG, 0, 20000)
        r.save()
        shutil.copy(os.path.join(d, "dump.rdb"), path)
        return r.dbsize()
    finally:
        stop(proc)
        shutil.rmtree(d, ignore_errors=True)


def load_seconds(binary, rdb, runs):
    best = None
    for _ in range(runs):
        d = tempfile.mkdtemp(prefix="load-run-")
        shutil.copy(rdb, os.path.join(d, "dump.rdb"))
        proc, r = start(binary, d)
        keys = r.dbsize()
        stop(proc)
        with open(os.path.join(d, "server.log")) as f:
            m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", f.read())
        shutil.rmtree(d, ignore_errors=True)
        s = float(m.group(1))
        best = s if best is None else min(best, s)
    return best, keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--reference", default=reference_tool("redis-server"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kinds", default="strings,mixed")
    ap.add_argument("--files", help="keep (and reuse) the RDB files in this directory")
    ap.add_argument("--port-base", type=int, default=0,
                    help="servers listen on ports from this one up (default: ephemeral)")
    a = ap.parse_args()
    PORT_BASE[0] = a.port_base
    work = a.files or tempfile.mkdtemp(prefix="load-compare-")
    os.makedirs(work, exist_ok=True)
    try:
        for kind in a.kinds.split(","):
            path = os.path.join(work, kind + ".rdb")
            if os.path.exists(path + ".keys"):
                with open(path + ".keys") as f:
                    n = int(f.read())
            else:
                n = make_file(a.reference, kind, path)
                with open(path + ".keys", "w") as f:
                    f.write(str(n))
            size = os.path.getsize(path) / 1e6
            ours, k1 = load_seconds(a.binary, path, a.runs)
            theirs, k2 = load_seconds(a.reference, path, a.runs)
            assert k1 == k2 == n, (k1, k2, n)
            print(f"{kind}: {n} keys, {size:.0f} MB file: tessera {ours:.3f} s, "
                  f"redis {theirs:.3f} s, ratio {ours / max(theirs, 1e-3):.2f}")
    finally:
        if not a.files:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
