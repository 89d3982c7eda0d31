#!/usr/bin/python3
"""Write latency while a BGSAVE runs, for one server binary (ours or redis-server).

1M keys of 100 B (DEBUG POPULATE), a steady SET load from redis-benchmark (50 clients, random
keys), and one probe client timing its own SETs: before the save, and from BGSAVE until
rdb_bgsave_in_progress is 0.  Prints the save's duration, the probe's p50 / p99 / max during
it, and the server's RSS rise (a forking server's child is not in it).  The server is pinned
to CPU 0 and redis-benchmark to CPU 1, as bench-compare does; NOPIN=1 pins neither.

    /usr/bin/python3 bench/snapshot_stall.py BIN PORT [SERVER_ARGS...]
"""
import os, random, shutil, subprocess, sys, tempfile, threading, time
import redis
binary, port = sys.argv[1], int(sys.argv[2])
extra = sys.argv[3:]
d = tempfile.mkdtemp()
srv = subprocess.Popen(([] if os.environ.get("NOPIN") else ["taskset", "-c", "0"]) + [binary, "--port", str(port), "--save", "",
                        "--appendonly", "no", "--enable-debug-command", "yes", "--dir", d] + extra,
                       stdout=open(d + "/log", "w"), stderr=subprocess.STDOUT)
r = redis.Redis(port=port)
for _ in range(100):
    try:
        r.ping(); break
    except Exception:
        time.sleep(0.1)
r.execute_command("DEBUG", "POPULATE", 1000000, "key", 100)
rss0 = int(r.info("memory")["used_memory_rss"])
bench = subprocess.Popen(([] if os.environ.get("NOPIN") else ["taskset", "-c", "1"]) + ["redis-benchmark", "-p", str(port), "-t", "set",
                          "-c", "50", "-n", "100000000", "-r", "1000000", "-d", "100", "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.0)
lat = []
stop = False
def probe():
    p = redis.Redis(port=port)
    while not stop:
        t0 = time.perf_counter()
        p.set("key:%012d" % random.randrange(1000000), "y" * 100)
        lat.append((t0, time.perf_counter() - t0))
th = threading.Thread(target=probe); th.start()
time.sleep(1.0)
t_save = time.perf_counter()
r.bgsave()
peak = rss0
while True:
    i = r.info("persistence")
    peak = max(peak, int(r.info("memory")["used_memory_rss"]))
    if not i.get("rdb_bgsave_in_progress") and time.perf_counter() - t_save > 0.2:
        break
    time.sleep(0.01)
t_end = time.perf_counter()
time.sleep(0.5)
stop = True; th.join(); bench.kill()
during = sorted(l for t, l in lat if t_save <= t <= t_end)
before = sorted(l for t, l in lat if t < t_save)
def pct(a, q): return a[min(len(a) - 1, int(q * len(a)))] * 1000 if a else float("nan")
print(f"{os.path.basename(binary)}: save {t_end - t_save:.2f}s; probe before: n={len(before)} p50 {pct(before,.5):.2f} ms max {pct(before,1):.2f} ms; "
      f"during: n={len(during)} p50 {pct(during,.5):.2f} p99 {pct(during,.99):.1f} max {pct(during,1):.1f} ms; RSS rise (server only) {100*(peak-rss0)/rss0:.1f}%")
try: r.execute_command("SHUTDOWN", "NOSAVE")
except Exception: pass
srv.wait()
shutil.rmtree(d, ignore_errors=True)
