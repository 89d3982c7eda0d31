#!/usr/bin/env python3
"""Noise-free costs per request over TLS, tessera-server next to the reference redis-server:
system calls (strace -c) and user-space instructions (valgrind's callgrind).

Usage: bench/tls_counts.py [--ref /usr/bin/redis-server] [--only set,get] [--pipelines 1,16]
                           [--no-callgrind] [--port-base P] BUILD/tessera-server [-- ARGS...]

The set-up is tls_compare.py's (same certificates, tls-auth-clients yes, redis-benchmark --tls,
50 clients).  A shared, loaded machine moves time-based figures by +-10% or more; these counts
do not move with the load:

- system calls per request: strace -c -f attached to the running server over one
  redis-benchmark run of N requests (N = 100000, 400000 pipelined); the run's 50 handshakes
  add a few hundred calls in all.
- instructions per request in user space: the server runs under callgrind; two runs of
  redis-benchmark (n1 and n2 requests, counters zeroed before each and dumped after) are
  subtracted, so the handshakes and start-up cancel out, leaving (I(n2) - I(n1)) / (n2 - n1).
  Printed also without the periodic cron (Redis's serverCron, our Worker::Cron), which runs
  per unit of time and so costs far more per request under valgrind's slowdown than at full
  speed.  Kernel time is not in these counts: the system calls stand for it.
"""
import argparse, glob, os, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import callgrind_totals, free_port  # noqa: E402
from tls_compare import Server as TlsServer, make_certs  # noqa: E402


def Server(cmd, certs, ports, callgrind=False):
    """tls_compare's server, unpinned, or under callgrind (which starts slowly)."""
    workdir = tempfile.mkdtemp(dir=certs)
    prefix = ()
    if callgrind:
        prefix = ("valgrind", "--tool=callgrind",
                  "--callgrind-out-file=" + os.path.join(workdir, "cg.out.%p"))
    return TlsServer(cmd, certs, ports, prefix=prefix, wait=60, workdir=workdir)


def bench(server, certs, test, pipeline, n):
    cmd = ["redis-benchmark", "-p", str(server.tls_port), "--tls",
           "--cacert", os.path.join(certs, "ca.crt"), "--cert", os.path.join(certs, "client.crt"),
           "--key", os.path.join(certs, "client.key"), "-n", str(n), "-c", "50",
           "-P", str(pipeline), "-t", test, "-q"]
    subprocess.run(cmd, capture_output=True, timeout=1800, check=True)


def syscalls(server, certs, test, pipeline, n):
    out = os.path.join(server.dir, "strace.txt")
    st = subprocess.Popen(["strace", "-c", "-f", "-p", str(server.proc.pid), "-o", out],
                          stderr=subprocess.DEVNULL)
    time.sleep(1)
    bench(server, certs, test, pipeline, n)
    time.sleep(0.3)
    st.send_signal(signal.SIGINT)
    st.wait(30)
    counts = {}
    for line in open(out):
        f = line.split()
        if len(f) >= 5 and f[3].isdigit():
            counts[f[-1]] = int(f[3])
    total = sum(v for k, v in counts.items() if k != "total")
    return {k: counts.get(k, 0) / n for k in ("read", "write", "epoll_wait")}, total / n


def instructions(server, certs, test, pipeline, n1, n2):
    pid = str(server.proc.pid)
    res = []
    for n in (n1, n2):
        before = set(glob.glob(os.path.join(server.dir, "cg.out.*")))
        subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=True)
        bench(server, certs, test, pipeline, n)
        subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=True)
        new = []
        for _ in range(100):
            new = sorted(set(glob.glob(os.path.join(server.dir, "cg.out.*"))) - before)
            if new:
                break
            time.sleep(0.2)
        time.sleep(1)  # the dump is written
        res.append(callgrind_totals(new[-1]))
    (t1, c1), (t2, c2) = res
    return (t2 - t1) / (n2 - n1), ((t2 - c2) - (t1 - c1)) / (n2 - n1)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="/usr/bin/redis-server")
    ap.add_argument("--only", default="set,get")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--port-base", type=int, default=0)
    ap.add_argument("server")
    ap.add_argument("server_args", nargs="*")
    a = ap.parse_args()
    tools = ["redis-benchmark", "openssl", "strace", a.ref]
    if not a.no_callgrind:
        tools += ["valgrind", "callgrind_control", "callgrind_annotate"]
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"tls_counts: {tool} not found")
    pb = a.port_base
    ports = [(pb + 2 * i, pb + 2 * i + 1) if pb else (free_port(), free_port()) for i in range(4)]
    certs = tempfile.mkdtemp(prefix="tls-counts-")
    make_certs(certs)
    servers = [("ref", [a.ref]), ("srv", [os.path.abspath(a.server)] + a.server_args)]
    workloads = [(t, int(p)) for p in a.pipelines.split(",") for t in a.only.split(",")]
    try:
        print("system calls per request (strace -c -f):")
        for i, (name, cmd) in enumerate(servers):
            s = Server(cmd, certs, ports[i])
            try:
                for test, p in workloads:
                    calls, total = syscalls(s, certs, test, p, 100000 if p == 1 else 400000)
                    print(f"  {name} {test} c50 P{p}: " +
                          " ".join(f"{k} {v:.3f}" for k, v in calls.items()) +
                          f", all {total:.3f}", flush=True)
            finally:
                s.stop()
        if a.no_callgrind:
            return
        print("user-space instructions per request (callgrind, difference of two runs):")
        for i, (name, cmd) in enumerate(servers):
            s = Server(cmd, certs, ports[2 + i], callgrind=True)
            try:
                for test, p in workloads:
                    n1, n2 = (2000, 12000) if p == 1 else (4000, 44000)
                    total, no_cron = instructions(s, certs, test, p, n1, n2)
                    print(f"  {name} {test} c50 P{p}: {total:.0f}, without the cron "
                          f"{no_cron:.0f}", flush=True)
            finally:
                s.stop()
    finally:
        shutil.rmtree(certs, ignore_errors=True)


if __name__ == "__main__":
    main()
