"""What the whole-server comparison scripts of bench/ share (stream_compare.py,
pubsub_fanout.py, tls_compare.py, the *_icount.py scripts): a free loopback port, waiting for a
server to listen or answer PING, stopping it, and a process's CPU time."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time


def reference_tool(name):
    """A Redis program for comparisons: the Redis 7.2.4 built from source in /work/redis-724
    when this machine has one, else the installed one (Debian's redis-server and redis-tools)."""
    built = f"/work/redis-724/src/{name}"
    if os.access(built, os.X_OK):
        return built
    return shutil.which(name) or f"/usr/bin/{name}"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    """CPU time of every live thread of the process, from schedstat (nanosecond counters)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1e9


def wait_for_port(port, what, proc=None, timeout=10):
    """Returns once 127.0.0.1:port accepts a connection; exits naming `what` after `timeout`
    seconds, or as soon as `proc` (the server's Popen, if given) has exited."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"{what} exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not start")


def wait_for_pong(port, proc, timeout, interval=0.1):
    """True once 127.0.0.1:port answers PING with +PONG (a loading server answers -LOADING);
    False as soon as `proc` exits, or after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(interval)
    return False


def stop(proc, timeout=60):
    """Terminates `proc`, and kills it if it has not exited after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def benchmark_rps(port, bench_args, requests, clients, processes=1, prefix=()):
    """Requests per second of `redis-benchmark -p port -n requests -c clients bench_args`.

    With processes > 1 the clients and requests are split over that many single-threaded
    redis-benchmark processes started together, and the rate is all the requests over the wall
    time from their start to the last one's exit.  Not `--threads N`: a threaded
    redis-benchmark notices that its run is over only at its 250 ms progress tick, so the rate
    it prints for a run of 2-3 s moves in steps of about 10% (a run of 2.26 s reads as 2.51 s).
    `prefix` goes before each command (taskset).  Raises RuntimeError if one fails."""
    procs = []
    start = time.monotonic()
    for i in range(processes):
        n = requests // processes + (1 if i < requests % processes else 0)
        c = clients // processes + (1 if i < clients % processes else 0)
        procs.append(subprocess.Popen(
            list(prefix) + ["redis-benchmark", "-p", str(port), "-n", str(n), "-c", str(c),
                            "--csv", "-q"] + list(bench_args),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate()[0] for p in procs]
    elapsed = time.monotonic() - start
    for p, out in zip(procs, outs):
        if p.returncode != 0 or '","' not in out:
            raise RuntimeError(f"redis-benchmark {' '.join(bench_args)} failed: {out[-300:]}")
    if processes == 1:
        # Its own timing, which leaves out its start-up and connection set-up.
        return float(outs[0].strip().splitlines()[-1].split(",")[1].strip('"'))
    return requests / elapsed


# The timer-driven cron of either server, which the callgrind counts leave out.
CRON = re.compile(r":(serverCron|tessera::server::net::Worker::Cron\(\)) ")


def callgrind_totals(path):
    """(all instructions, those under the cron) of a callgrind dump file."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=yes", path],
                         capture_output=True, text=True).stdout
    total = cron = 0
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$", line)
        if not m:
            continue
        v = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in m.group(2):
            total = v
        elif CRON.search(m.group(2)):
            cron = max(cron, v)
    return total, cron
