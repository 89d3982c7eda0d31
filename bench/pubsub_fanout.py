#!/usr/bin/env python3
"""Pub/Sub fan-out on tessera-server next to the reference redis-server, in one run.

Usage: bench/pubsub_fanout.py [--ref /usr/bin/redis-server] [--deliveries N]
                              BUILD/tessera-server [-- ARGS...]

One publisher (redis-benchmark -c 1 -P 16 PUBLISH) sends to S subscribers of one channel,
S = 1, 50 and 500, until every subscriber has received every message (N deliveries in all per
run, default 1,000,000).  The servers run pinned to CPU 0 (--server-cpus 0,1 lets
`--io-threads 2` use both; ARGS go to tessera only), the publisher and the subscribers (one
Python process reading every socket) to CPU 1.  Output-buffer limits are lifted on both servers, so that a subscriber the reader
falls behind on is slowed, not cut off.  Printed per S: delivered messages per second of each
server, and the server's CPU nanoseconds per delivered message (schedstat), with the ratios
(server/reference).
"""
import argparse, os, selectors, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import wait_for_port, cpu_seconds, free_port  # noqa: E402

PAYLOAD = b"x" * 16
CHANNEL = b"news"
MESSAGE = b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL,
                                                                  len(PAYLOAD), PAYLOAD)


def start(cmd, workdir, pin):
    port = free_port()
    args = cmd[:1] + ["--port", str(port), "--bind", "127.0.0.1", "--save", "",
                      "--appendonly", "no"] + cmd[1:]
    if pin:
        args = ["taskset", "-c", pin] + args
    proc = subprocess.Popen(args, cwd=tempfile.mkdtemp(dir=workdir), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_port(port, "pubsub_fanout: server")
    set_limit = b"pubsub 0 0 0"
    cmd_bytes = b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$26\r\nclient-output-buffer-limit\r\n$%d\r\n%s\r\n" % (
        len(set_limit), set_limit)
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(cmd_bytes)
    assert c.recv(64).startswith(b"+OK"), "CONFIG SET client-output-buffer-limit failed"
    c.close()
    return proc, port


def run(proc, port, subscribers, deliveries):
    per_sub = max(1, deliveries // subscribers)
    socks = []
    sel = selectors.DefaultSelector()
    for _ in range(subscribers):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL))
        socks.append(s)
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL)
    for s in socks:
        got = b""
        while len(got) < len(confirm):
            got += s.recv(len(confirm) - len(got))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, [0])
    want = per_sub * len(MESSAGE)
    before = cpu_seconds(proc.pid)
    t0 = time.monotonic()
    pub = subprocess.Popen(["taskset", "-c", "1", "redis-benchmark", "-p", str(port), "-c", "1",
                            "-P", "16", "-n", str(per_sub), "PUBLISH", CHANNEL.decode(),
                            PAYLOAD.decode()], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    done = 0
    while done < subscribers:
        for key, _ in sel.select(timeout=5):
            data = key.fileobj.recv(1 << 20)
            counter = key.data
            before_count = counter[0]
            counter[0] += len(data)
            if before_count < want <= counter[0]:
                done += 1
        if time.monotonic() - t0 > 300:
            raise SystemExit("pubsub_fanout: deliveries did not complete in 300 s")
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(proc.pid) - before
    pub.wait()
    for s in socks:
        s.close()
    total = per_sub * subscribers
    return total / elapsed, cpu * 1e9 / total


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="/usr/bin/redis-server")
    ap.add_argument("--deliveries", type=int, default=1_000_000)
    ap.add_argument("--server-cpus", default="0",
                    help="CPUs the servers are pinned to (0,1 to let --io-threads 2 use both)")
    ap.add_argument("server")
    ap.add_argument("server_args", nargs="*")
    a = ap.parse_args()
    for tool in ("redis-benchmark", "taskset", a.ref):
        if not shutil.which(tool):
            sys.exit(f"pubsub_fanout: {tool} not found")
    os.sched_setaffinity(0, {1})  # the subscribers' reader shares CPU 1 with the publisher
    workdir = tempfile.mkdtemp(prefix="pubsub-fanout-")
    print(f"{'subscribers':>11} {'ref msg/s':>10} {'srv msg/s':>10} {'ratio':>6} "
          f"{'ref ns/msg':>10} {'srv ns/msg':>10} {'cpu ratio':>9}")
    for subscribers in (1, 50, 500):
        ref, ref_port = start([a.ref], workdir, a.server_cpus)
        ours, our_port = start([os.path.abspath(a.server)] + a.server_args, workdir,
                               a.server_cpus)
        try:
            r = run(ref, ref_port, subscribers, a.deliveries)
            s = run(ours, our_port, subscribers, a.deliveries)
        finally:
            for p in (ref, ours):
                p.terminate()
                p.wait(10)
        print(f"{subscribers:>11} {r[0]:10.0f} {s[0]:10.0f} {s[0] / r[0]:6.2f} {r[1]:10.1f} "
              f"{s[1]:10.1f} {s[1] / r[1]:9.2f}", flush=True)


if __name__ == "__main__":
    main()
