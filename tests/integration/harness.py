"""Starts tessera-server on a free loopback port and talks to it (tier-3 tests, STYLE 13).

Each test file is a script: `python3 test_x.py /path/to/tessera-server`.  It runs its test_*
functions in order and prints "N passed, N failed"; the exit status is non-zero on failure.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback


def resp(*args):
    """One command in RESP, as a client would send it (for raw-socket tests)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def wait_for(cond, what, timeout=30, interval=0.02):
    """Polls cond() until it is true; fails with `what` after `timeout` seconds."""
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, what
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, binary, *args, config_text=None, bind="127.0.0.1", dir=None):
        binary = os.path.abspath(binary)
        self.binary = binary
        self.port = free_port()
        # A restart of the same data passes the first server's dir.
        self.dir = dir if dir is not None else tempfile.mkdtemp(prefix="tessera-it-")
        cmd = [binary]
        if config_text is not None:
            path = os.path.join(self.dir, "tessera.conf")
            with open(path, "w") as f:
                f.write(config_text)
            cmd.append(path)
        cmd += ["--port", str(self.port)]
        if bind is not None:  # None: the config file's bind, or the default
            cmd += ["--bind", bind]
        cmd += ["--save", "", "--appendonly", "no"]
        cmd += list(args)
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early:\n" + self.read_log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not answer PING")

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def connect(self):
        return RawClient(self.port)

    def redis(self, **kw):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def cli(self, *args, stdin=None):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), input=stdin,
                              capture_output=True, timeout=120)

    def stop(self, sig=15, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


REDIS_724 = "/work/redis-724/src/redis-server"


def have_redis_724():
    """Whether Redis 7.2.4 is built at REDIS_724 (never on CI machines); says so when not, for
    the tests that compare with it to skip themselves."""
    if os.path.exists(REDIS_724):
        return True
    print("  (skipped: no Redis 7.2.4 build at %s)" % REDIS_724)
    return False


class Redis724:
    """Redis 7.2.4 on a free loopback port, in a directory of its own, with no save points and
    `args` after them; answering PING (a replica's too) before the constructor returns.
    Stopped and its directory removed on exit."""

    def __init__(self, *args):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="tessera-it-redis724-")
        self.proc = subprocess.Popen([REDIS_724, "--port", str(self.port), "--save", "",
                                      "--dir", self.dir, *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(self._pings, "redis-server 7.2.4 did not start", timeout=10)
        except AssertionError:
            self.stop()
            raise

    def _pings(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def redis(self, **kw):
        import redis
        return redis.Redis(port=self.port, **kw)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class RawClient:
    """A socket that sends bytes and reads whole RESP replies."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def command(self, *args):
        self.send(resp(*args))
        return self.read_reply()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_raw_reply(self):
        """One reply, as the exact bytes received."""
        start_len = len(self.buf)
        del start_len
        parts = []
        self._read_into(parts)
        return b"".join(parts)

    def _read_into(self, parts):
        line = self._line()
        parts.append(line + b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind in (b"$", b"=", b"!"):
            n = int(rest)
            if n >= 0:
                while len(self.buf) < n + 2:
                    self._fill()
                parts.append(self.buf[:n + 2])
                self.buf = self.buf[n + 2:]
        elif kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(rest)
            if kind in (b"%", b"|"):
                n *= 2
            for _ in range(max(n, 0)):
                self._read_into(parts)

    def read_reply(self):
        return self.read_raw_reply()

    def closed_by_peer(self, timeout=3):
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def run_tests(namespace):
    binary = os.path.abspath(sys.argv[1])
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        t0 = time.time()
        try:
            fn(binary)
            passed += 1
            print(f"ok   {name} ({time.time() - t0:.2f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
