#!/usr/bin/env python3
"""GET and SET over TLS on tessera-server next to the reference redis-server, in one run.

Usage: bench/tls_compare.py [--ref /usr/bin/redis-server] [-n N] [--rounds R] [--port-base P]
                            [--only set,get] [--pipelines 1,16] BUILD/tessera-server [-- ARGS...]

Certificates (a CA, a server and a client certificate, RSA 2048) are made with the openssl
command in a temporary directory.  Both servers listen on a TLS port with tls-auth-clients yes
and the same certificates; redis-benchmark --tls connects with the client certificate.
Workloads: SET and GET, 50 clients, pipeline 1 and 16.  Run the way
../shared/tools/bench-compare runs its own: servers pinned to CPU 0, redis-benchmark to CPU 1,
reference and server alternating R times (A B A B ..., default 2), server CPU from
/proc/PID/task/*/schedstat.  Printed per workload: requests/s of each and their ratio
(server/reference, higher is better), CPU microseconds per request of each and their ratio
(lower is better).  Each ratio is the geometric mean of the R back-to-back pairs' ratios (a
pair shares the machine's load of the moment); the range of the pairs' ratios follows in
brackets: on a shared machine, more rounds narrow the mean, not the range.  Every run includes
the 50 clients' handshakes (the same certificates and ciphers on both sides).
"""
import argparse, csv, math, os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import wait_for_port, cpu_seconds, free_port  # noqa: E402

def make_certs(d):
    def ssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=bench CA")
    for name in ("server", "client"):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", "/CN=" + name)
        ssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".crt", "-days", "2")


class Server:
    """A server with a plain and a TLS port on the certificates of make_certs, started under
    `prefix` (CPU 0 by default; tls_counts.py runs it under valgrind)."""

    def __init__(self, cmd, certs, ports=None, prefix=("taskset", "-c", "0"), wait=10,
                 workdir=None):
        self.port, self.tls_port = ports if ports else (free_port(), free_port())
        self.dir = workdir if workdir else tempfile.mkdtemp(dir=certs)
        args = list(prefix) + cmd[:1] + [
            "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--tls-port", str(self.tls_port),
            "--tls-cert-file", os.path.join(certs, "server.crt"),
            "--tls-key-file", os.path.join(certs, "server.key"),
            "--tls-ca-cert-file", os.path.join(certs, "ca.crt")] + cmd[1:]
        self.proc = subprocess.Popen(args, cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for_port(self.tls_port, f"tls: {cmd[0]}", self.proc, wait)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def run(server, certs, test, pipeline, n):
    cmd = ["taskset", "-c", "1", "redis-benchmark", "-p", str(server.tls_port), "--tls",
           "--cacert", os.path.join(certs, "ca.crt"), "--cert", os.path.join(certs, "client.crt"),
           "--key", os.path.join(certs, "client.key"), "-n", str(n), "-c", "50",
           "-P", str(pipeline), "-t", test, "--csv"]
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    after = cpu_seconds(server.proc.pid)
    rps = None
    for parts in csv.reader(out.stdout.splitlines()):
        if len(parts) >= 2 and parts[0] != "test":
            rps = float(parts[1])
    if rps is None:
        sys.exit("tls_compare: " + (out.stdout + out.stderr)[-300:])
    return rps, (after - before) * 1e6 / n


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="/usr/bin/redis-server")
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=2,
                    help="reference/server pairs per workload (default 2)")
    ap.add_argument("--port-base", type=int, default=0,
                    help="use ports P..P+3 instead of free ephemeral ones")
    ap.add_argument("--only", default="set,get", help="tests, comma-separated")
    ap.add_argument("--pipelines", default="1,16", help="pipeline depths, comma-separated")
    ap.add_argument("server")
    ap.add_argument("server_args", nargs="*")
    a = ap.parse_args()
    for tool in ("redis-benchmark", "openssl", "taskset", a.ref):
        if not shutil.which(tool):
            sys.exit(f"tls_compare: {tool} not found")
    tests = a.only.split(",")
    pipelines = [int(p) for p in a.pipelines.split(",")]
    workloads = [(f"{t} c50 P{p}", t, p) for p in pipelines for t in tests]
    certs = tempfile.mkdtemp(prefix="tls-compare-")
    make_certs(certs)
    pb = a.port_base
    ref = Server([a.ref], certs, (pb, pb + 1) if pb else None)
    ours = Server([os.path.abspath(a.server)] + a.server_args, certs,
                  (pb + 2, pb + 3) if pb else None)
    print(f"{'workload':14} {'ref req/s':>10} {'srv req/s':>10} {'ratio':>6} {'(range)':>11} "
          f"{'ref us/req':>10} {'srv us/req':>10} {'cpu ratio':>9} {'(range)':>11}")
    geo = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))  # noqa: E731
    tput, cpu = [], []
    try:
        for name, test, pipeline in workloads:
            n = a.n * (4 if pipeline > 1 else 1)
            pairs = [(run(ref, certs, test, pipeline, n), run(ours, certs, test, pipeline, n))
                     for _ in range(a.rounds)]
            t_ratios = [s[0] / r[0] for r, s in pairs]
            c_ratios = [s[1] / r[1] for r, s in pairs]
            r_rps, s_rps = (sum(p[i][0] for p in pairs) / len(pairs) for i in (0, 1))
            r_cpu, s_cpu = (sum(p[i][1] for p in pairs) / len(pairs) for i in (0, 1))
            tput.append(geo(t_ratios))
            cpu.append(geo(c_ratios))
            print(f"{name:14} {r_rps:10.0f} {s_rps:10.0f} {tput[-1]:6.2f} "
                  f"{f'({min(t_ratios):.2f}-{max(t_ratios):.2f})':>11} {r_cpu:10.2f} "
                  f"{s_cpu:10.2f} {cpu[-1]:9.2f} "
                  f"{f'({min(c_ratios):.2f}-{max(c_ratios):.2f})':>11}", flush=True)
    finally:
        ref.stop()
        ours.stop()
        shutil.rmtree(certs, ignore_errors=True)
    print(f"geomean throughput ratio (server/reference, higher is better): {geo(tput):.3f}")
    print(f"geomean CPU-per-request ratio (server/reference, lower is better): {geo(cpu):.3f}")


if __name__ == "__main__":
    main()
