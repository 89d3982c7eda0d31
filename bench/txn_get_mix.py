#!/usr/bin/env python3
"""GET throughput while other clients run small transactions, for one or more servers.

Usage: bench/txn_get_mix.py [--requests N] [--txn-clients 50] [--get-clients 50]
                            [--txn-rate R] [--port-base P] SERVER [SERVER...] [-- ARGS...]

For each SERVER binary (ARGS, e.g. `--io-threads 2`, go to every one): start it, fill 1000
keys, then
  1. GET alone: redis-benchmark -c GET_CLIENTS -t get -r 1000 -n N;
  2. the same GET run while TXN_CLIENTS other connections each loop on
     MULTI / INCR own:i / INCR own:i / EXEC (one round trip per transaction, driven by one
     Python process over non-blocking sockets),
and print GET requests/s of both runs, their ratio, and the transactions per second completed
during run 2 (--txn-rate caps them, so that every server gets the same transaction load).
Transactions that lock every shard stall the GET clients of every worker;
transactions that lock only their key's shard should leave GET throughput to CPU sharing.
Servers use ports from --port-base upwards (default: free ports).
"""
import argparse, os, re, selectors, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import wait_for_port, free_port  # noqa: E402


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class TxnLoad(threading.Thread):
    """TXN_CLIENTS connections, each with one transaction in flight at a time."""

    def __init__(self, port, clients, rate=0):
        super().__init__(daemon=True)
        self.rate = rate  # transactions per second in all; 0 = as fast as they complete
        self.stop = threading.Event()
        self.done = 0
        self.socks = []
        for i in range(clients):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setblocking(False)
            key = b"own:%d" % i
            self.socks.append((s, resp("MULTI") + resp("INCR", key) + resp("INCR", key) +
                               resp("EXEC")))

    def run(self):
        sel = selectors.DefaultSelector()
        pending = {}
        for s, req in self.socks:
            s.sendall(req)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ, req)
        waiting = []  # (socket, request) held back by the rate cap
        t0 = time.time()
        while not self.stop.is_set():
            if self.rate:
                allowed = int((time.time() - t0) * self.rate) - self.done - len(self.socks)
                while waiting and allowed > 0:
                    s, req = waiting.pop()
                    s.sendall(req)
                    allowed -= 1
            for key, _ in sel.select(timeout=0.001 if waiting else 0.2):
                s = key.fileobj
                data = pending[s] + s.recv(65536)
                # A complete reply: +OK, +QUEUED, +QUEUED, then *2 :n :n.
                if data.count(b"\r\n") >= 6:
                    self.done += 1
                    pending[s] = b""
                    if self.rate:
                        waiting.append((s, key.data))
                    else:
                        s.sendall(key.data)
                else:
                    pending[s] = data
        for s, _ in self.socks:
            s.close()


def get_rps(port, clients, requests):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", str(clients), "-t", "get",
                          "-r", "1000", "-n", str(requests), "-q"],
                         capture_output=True, text=True, check=True).stdout
    m = re.findall(r"GET: ([0-9.]+) requests per second", out.replace("\r", "\n"))
    return float(m[-1])


def measure(binary, extra, port, args):
    workdir = tempfile.mkdtemp()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"] + extra, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, "txn_get_mix: server")
        subprocess.run(["redis-benchmark", "-p", str(port), "-c", "10", "-t", "set", "-r", "1000",
                        "-n", "20000", "-q"], capture_output=True, check=True)
        alone = get_rps(port, args.get_clients, args.requests)
        load = TxnLoad(port, args.txn_clients, args.txn_rate)
        load.start()
        time.sleep(0.3)
        before, t0 = load.done, time.time()
        mixed = get_rps(port, args.get_clients, args.requests)
        txn_rate = (load.done - before) / (time.time() - t0)
        load.stop.set()
        load.join()
        return alone, mixed, txn_rate
    finally:
        proc.terminate()
        proc.wait()


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=400000)
    p.add_argument("--txn-clients", type=int, default=50)
    p.add_argument("--get-clients", type=int, default=50)
    p.add_argument("--txn-rate", type=int, default=0,
                   help="cap on transactions/s (same load on every server); 0: no cap")
    p.add_argument("--port-base", type=int, default=0)
    p.add_argument("servers", nargs="+")
    args = p.parse_args(argv)
    print(f"{'server':<40} {'GET alone/s':>12} {'GET+txn/s':>12} {'ratio':>6} {'txn/s':>9}")
    for n, binary in enumerate(args.servers):
        port = args.port_base + n if args.port_base else free_port()
        alone, mixed, txn = measure(binary, extra, port, args)
        print(f"{binary:<40} {alone:>12.0f} {mixed:>12.0f} {mixed / alone:>6.2f} {txn:>9.0f}",
              flush=True)


if __name__ == "__main__":
    main()
