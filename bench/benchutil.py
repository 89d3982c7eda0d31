"""What the whole-server comparison scripts of bench/ share (stream_compare.py,
pubsub_fanout.py, tls_compare.py, the *_icount.py scripts): a free loopback port, waiting for a
server to listen or answer PING, stopping it, and a process's CPU time."""
import os
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
