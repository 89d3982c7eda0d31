"""Protected mode, enable-debug-command and enable-protected-configs as Redis 7.2 defines
them, from a real non-loopback address of this host (skipped when it has none).  The replies
are redis-server 7.2.4's, taken the same way.

- protected-mode yes and a default user without a password: a connection from a non-loopback
  address gets the DENIED error and is closed; loopback connections are served; a password
  for the default user, or protected-mode no, lets the outside in.
- "local" for enable-debug-command / enable-protected-configs: DEBUG and CONFIG SET of a
  protected directive work from loopback only, with Redis's errors from elsewhere.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import RawClient, Server, run_tests  # noqa: E402

DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from the "
    b"loopback interface. If you want to connect from external computers to Redis you may adopt "
    b"one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    b"SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    b"host the server is running, however MAKE SURE Redis is not publicly accessible from "
    b"internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    b"you can just disable the protected mode by editing the Redis configuration file, and "
    b"setting the protected mode option to 'no', and then restarting the server. 3) If you "
    b"started the server manually just for testing, restart it with the '--protected-mode no' "
    b"option. 4) Set up an authentication password for the default user. NOTE: You only need to "
    b"do one of the above things in order for the server to start accepting connections from "
    b"the outside.\r\n")
DEBUG_REFUSED = (
    b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you '
    b"can run it from a local connection, otherwise you need to set this option in the "
    b"configuration file, and then restart the server.\r\n")


def outside_address():
    """An IPv4 address of this host that is not loopback, or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


def raw(addr, port, *commands):
    """The bytes received for `commands` sent one by one, and whether the server closed."""
    c = socket.create_connection((addr, port), timeout=5)
    got = []
    closed = False
    for cmd in commands:
        try:
            c.sendall(cmd)
            time.sleep(0.1)
            data = c.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            closed = True
            break
        got.append(data)
    c.close()
    return got, closed


def test_protected_mode(binary):
    addr = outside_address()
    if addr is None:
        print("  (no non-loopback address: skipped)")
        return
    with Server(binary, bind="* -::*") as s:
        got, closed = raw(addr, s.port, b"PING\r\n", b"PING\r\n")
        assert got == [DENIED] and closed, got
        assert RawClient(s.port).command("PING") == b"+PONG\r\n"  # loopback
        local = s.connect()
        assert local.command("CONFIG", "SET", "requirepass", "secret") == b"+OK\r\n"
        got, closed = raw(addr, s.port, b"AUTH secret\r\n", b"PING\r\n")
        assert got == [b"+OK\r\n", b"+PONG\r\n"] and not closed, got
        assert local.command("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
        got, closed = raw(addr, s.port, b"PING\r\n")
        assert got == [DENIED], got
        assert local.command("CONFIG", "SET", "protected-mode", "no") == b"+OK\r\n"
        got, closed = raw(addr, s.port, b"PING\r\n")
        assert got == [b"+PONG\r\n"], got


def test_local_only_debug_and_protected_configs(binary):
    addr = outside_address()
    if addr is None:
        print("  (no non-loopback address: skipped)")
        return
    with Server(binary, "--protected-mode", "no", "--enable-debug-command", "local",
                "--enable-protected-configs", "local", bind="* -::*") as s:
        local = s.connect()
        assert local.command("DEBUG", "SLEEP", "0") == b"+OK\r\n"
        assert local.command("CONFIG", "SET", "dir", s.dir) == b"+OK\r\n"
        got, _ = raw(addr, s.port, b"DEBUG SLEEP 0\r\n", b"CONFIG SET dir /tmp\r\n")
        assert got == [DEBUG_REFUSED,
                       b"-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set "
                       b"protected config\r\n"], got
    # The defaults: "no" refuses DEBUG from loopback too.
    with Server(binary) as s:
        assert s.connect().command("DEBUG", "SLEEP", "0") == DEBUG_REFUSED


if __name__ == "__main__":
    run_tests(globals())
