"""Admin commands that involve several connections or the process: MONITOR, CLIENT KILL,
CLIENT PAUSE, CLIENT LIST, daemonize with pidfile."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests  # noqa: E402


def test_monitor_sees_other_clients_commands(binary):
    with Server(binary, "--io-threads", "2") as s:
        mon = s.connect()
        assert mon.command("MONITOR") == b"+OK\r\n"
        others = [s.connect() for _ in range(4)]  # spread over both workers
        for i, c in enumerate(others):
            assert c.command("SET", "mk%d" % i, "v") == b"+OK\r\n"
        seen = b""
        deadline = time.time() + 5
        while time.time() < deadline and seen.count(b'"SET"') < 4:
            mon.sock.settimeout(1)
            try:
                seen += mon.sock.recv(65536)
            except OSError:
                pass
        for i in range(4):
            assert b'"SET" "mk%d" "v"' % i in seen, seen
        assert b"[0 127.0.0.1:" in seen


def test_client_kill_across_workers(binary):
    with Server(binary, "--io-threads", "2") as s:
        victims = [s.connect() for _ in range(4)]
        ids = [int(v.command("CLIENT", "ID")[1:-2]) for v in victims]
        for v, i in zip(victims, ids):
            assert v.command("CLIENT", "SETNAME", "victim%d" % i) == b"+OK\r\n"
        admin = s.connect()
        listing = admin.command("CLIENT", "LIST")
        for i in ids:
            assert b"id=%d " % i in listing and b"name=victim%d " % i in listing
        for v, i in zip(victims, ids):
            assert admin.command("CLIENT", "KILL", "ID", str(i)) == b":1\r\n"
            assert v.closed_by_peer(), i
        assert admin.command("CLIENT", "KILL", "ID", "999999") == b":0\r\n"
        assert admin.command("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
        # The victims are gone from the list.
        listing = admin.command("CLIENT", "LIST")
        for i in ids:
            assert b"id=%d " % i not in listing


def test_client_pause_write_holds_writes_only(binary):
    with Server(binary) as s:
        admin, writer = s.connect(), s.connect()
        assert admin.command("SET", "k", "before") == b"+OK\r\n"
        assert admin.command("CLIENT", "PAUSE", "500", "WRITE") == b"+OK\r\n"
        t0 = time.time()
        assert writer.command("GET", "k") == b"$6\r\nbefore\r\n"
        assert time.time() - t0 < 0.3  # reads are not held
        assert writer.command("SET", "k", "after") == b"+OK\r\n"
        assert time.time() - t0 >= 0.4  # the write waited for the pause to end
        assert admin.command("GET", "k") == b"$5\r\nafter\r\n"


def test_client_unpause_releases_waiters(binary):
    with Server(binary) as s:
        admin, writer = s.connect(), s.connect()
        # WRITE: under ALL, Redis holds every command, CLIENT UNPAUSE included.
        assert admin.command("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
        writer.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        writer.sock.settimeout(0.3)
        try:
            got = writer.sock.recv(100)
        except OSError:
            got = b""
        assert got == b""  # held
        assert admin.command("CLIENT", "UNPAUSE") == b"+OK\r\n"
        writer.sock.settimeout(5)
        assert writer.read_reply() == b"+OK\r\n"


def test_daemonize_and_pidfile(binary):
    d = tempfile.mkdtemp()
    pidfile = os.path.join(d, "t.pid")
    port = free_port()
    r = subprocess.run([binary, "--port", str(port), "--daemonize", "yes", "--pidfile", pidfile,
                        "--logfile", os.path.join(d, "log"), "--dir", d], timeout=10)
    assert r.returncode == 0
    # Generous waits: under a loaded machine start-up and exit can take seconds.
    deadline = time.time() + 20
    # The file appears before its line is written: wait for the line.
    while time.time() < deadline and not (os.path.exists(pidfile) and
                                          open(pidfile).read().endswith("\n")):
        time.sleep(0.05)
    pid = int(open(pidfile).read())
    os.kill(pid, 0)  # alive
    out = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True).stdout
    assert out == b"PONG\n"
    subprocess.run(["redis-cli", "-p", str(port), "SHUTDOWN"], capture_output=True)
    deadline = time.time() + 20
    while time.time() < deadline and os.path.exists(pidfile):
        time.sleep(0.05)
    assert not os.path.exists(pidfile)  # removed on clean exit
    assert "Ready to accept connections" in open(os.path.join(d, "log")).read()


if __name__ == "__main__":
    run_tests(dict(globals()))
