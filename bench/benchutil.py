"""What the whole-server comparison scripts of bench/ share (stream_compare.py,
pubsub_fanout.py, tls_compare.py): a free loopback port, waiting for a server to listen, and a
process's CPU time."""
import os
import socket
import sys
import time


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
