#!/usr/bin/env python3
"""Memory per idle connection: tessera-server beside redis-server, in one run.

Usage: bench/idle_conns.py [--ref REDIS-SERVER] [--conns N] [--settle S]
                           [--port-base P] BUILD/tessera-server [-- ARGS...]

Raises this process's open-file limit to its hard limit, then for each server: starts it with
maxclients above N, opens N connections (default: as many as the limit allows, minus a
margin), sends one PING on each and reads the reply, waits S seconds (default 7: both servers
give back idle buffers from their cron, Redis's reply-buffer peak resets every 5 s), and reads
the server's resident memory (VmRSS) before and after.  Prints the growth per connection and
the ratio tessera/redis.  ARGS go to tessera only (e.g. --io-threads 1).
"""
import argparse, os, resource, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import wait_for_port, free_port, reference_tool  # noqa: E402


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(cmd, port, conns, settle):
    workdir = tempfile.mkdtemp()
    args = cmd[:1] + ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                      "no", "--maxclients", str(conns + 100)] + cmd[1:]
    proc = subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    socks = []
    try:
        wait_for_port(port, "idle_conns: server")
        time.sleep(1)
        before = rss_bytes(proc.pid)
        for _ in range(conns):
            s = socket.create_connection(("127.0.0.1", port))
            socks.append(s)
        for s in socks:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
        for s in socks:
            buf = b""
            while not buf.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    sys.exit("idle_conns: a connection was closed (maxclients?)")
                buf += chunk
            assert buf == b"+PONG\r\n", buf
        time.sleep(settle)
        after = rss_bytes(proc.pid)
        return before, after
    finally:
        for s in socks:
            s.close()
        proc.terminate()
        proc.wait()


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("--ref", default=reference_tool("redis-server"))
    p.add_argument("--conns", type=int, default=0)
    p.add_argument("--settle", type=float, default=7.0)
    p.add_argument("--port-base", type=int, default=0)
    p.add_argument("server")
    args = p.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # Each connection costs this process one descriptor and the server one.
    conns = args.conns or max(100, hard - 200)
    print(f"open-file limit {hard}: {conns} connections, {args.settle:.0f} s to settle")
    rows = []
    for n, (name, cmd) in enumerate([("redis-server", [args.ref]),
                                     ("tessera-server", [args.server] + extra)]):
        port = args.port_base + n if args.port_base else free_port()
        before, after = measure(cmd, port, conns, args.settle)
        per = (after - before) / conns
        rows.append(per)
        print(f"{name:<16} rss before {before / 1e6:8.1f} MB  after {after / 1e6:8.1f} MB  "
              f"{per:8.0f} bytes/connection", flush=True)
    print(f"ratio tessera/redis: {rows[1] / rows[0]:.2f}")


if __name__ == "__main__":
    main()
