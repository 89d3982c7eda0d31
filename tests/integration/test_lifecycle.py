"""Start-up, configuration errors and shutdown of the real binary."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests  # noqa: E402


def test_version_and_help(binary):
    r = subprocess.run([binary, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "redis_compat=7.2.4" in r.stdout, r.stdout
    r = subprocess.run([binary, "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "Usage" in r.stderr


def test_bad_directive_stops_startup(binary):
    d = tempfile.mkdtemp()
    conf = os.path.join(d, "bad.conf")
    with open(conf, "w") as f:
        f.write("port 7000\nnot-a-directive yes\n")
    r = subprocess.run([binary, conf], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***" in r.stderr, r.stderr
    assert "Reading the configuration file, at line 2" in r.stderr
    assert ">>> 'not-a-directive yes'" in r.stderr
    assert "Bad directive or wrong number of arguments" in r.stderr


def test_sigterm_exits_zero(binary):
    s = Server(binary)
    c = s.connect()
    assert c.command("SET", "a", "b") == b"+OK\r\n"
    assert s.stop(signal.SIGTERM) == 0
    assert "Received SIGTERM scheduling shutdown" in s.read_log()


def test_sigint_exits_zero(binary):
    s = Server(binary)
    assert s.stop(signal.SIGINT) == 0


def test_shutdown_command(binary):
    s = Server(binary)
    c = s.connect()
    c.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$8\r\nSHUTDOWN\r\n")
    assert c.read_reply() == b"+PONG\r\n"
    assert c.closed_by_peer(timeout=5)
    assert s.proc.wait(10) == 0
    s.log.close()


def test_port_in_use(binary):
    with Server(binary) as s:
        r = subprocess.run([binary, "--port", str(s.port), "--bind", "127.0.0.1"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1
        assert "Address already in use" in r.stdout + r.stderr


def test_unix_socket(binary):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "t.sock")
    with Server(binary, "--unixsocket", path, "--unixsocketperm", "700") as s:
        assert oct(os.stat(path).st_mode & 0o777) == "0o700"
        u = socket.socket(socket.AF_UNIX)
        u.connect(path)
        u.sendall(b"PING\r\n")
        assert u.recv(100) == b"+PONG\r\n"
        u.close()
        del s


def test_config_file_and_overrides(binary):
    with Server(binary, "--databases", "4", config_text="timeout 7\nhz 20\n") as s:
        c = s.connect()
        assert c.command("CONFIG", "GET", "timeout") == b"*2\r\n$7\r\ntimeout\r\n$1\r\n7\r\n"
        assert c.command("CONFIG", "GET", "databases") == \
            b"*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n"
        assert c.command("SELECT", "4") == b"-ERR DB index is out of range\r\n"


def test_ipv6_and_optional_bind(binary):
    # Started by hand: the harness binds 127.0.0.1 only.
    port = free_port()
    d = tempfile.mkdtemp()
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "::1",
                             "-2001:db8::99", "--save", ""], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 5
        ok = False
        while time.time() < deadline and not ok:
            try:
                with socket.create_connection(("::1", port), timeout=0.5) as c:
                    c.sendall(b"CLIENT INFO\r\n")
                    reply = c.recv(4096)
                    ok = b"addr=[::1]:" in reply and b"laddr=[::1]:%d" % port in reply
            except OSError:
                time.sleep(0.05)
        assert ok
        with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
            c.sendall(b"PING\r\n")
            assert c.recv(16) == b"+PONG\r\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        log.close()


if __name__ == "__main__":
    run_tests(dict(globals()))
