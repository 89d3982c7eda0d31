"""The Lua debugger (SCRIPT DEBUG YES|SYNC, server/commands/script_debug.h): sessions driven
byte by byte, and the real redis-cli --ldb / --ldb-sync-mode.  Every expected byte string
below was first read from Redis 7.2.4 with the same input."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests, resp  # noqa: E402


def logs(*lines):
    """A debugger answer: its log lines as one array of status replies."""
    return b"*%d\r\n" % len(lines) + b"".join(b"+" + l.encode() + b"\r\n" for l in lines)


def dbg(c, line):
    """Sends a debugger command (words split on spaces) and returns its answer."""
    c.send(resp(*line.split(" ")))
    return c.read_raw_reply()


def stopped(line, text, reason="step over", bp=False):
    return logs(f"* Stopped at {line}, stop reason = {reason}",
                f"->{'#' if bp else ' '}{line:<3} {text}")


SCRIPT = ("local a = 1\n"
          "local b = {1,2,'x'}\n"
          "redis.debug('hello', a, b)\n"
          "redis.call('set','k','v')\n"
          "redis.breakpoint()\n"
          "local c = redis.call('get','k')\n"
          "return c\n")
SRC = SCRIPT.rstrip("\n").split("\n")


def start_session(s, script, *args, mode="sync"):
    c = s.connect()
    assert c.command("SCRIPT", "DEBUG", mode) == b"+OK\r\n"
    c.send(resp("EVAL", script, *args))
    return c


def test_script_debug_errors(binary):
    with Server(binary) as s:
        c = s.connect()
        assert c.command("SCRIPT", "DEBUG", "maybe") == b"-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"
        c.send(resp("PING") + resp("SCRIPT", "DEBUG", "yes"))
        assert c.read_raw_reply() == b"+PONG\r\n"
        assert c.read_raw_reply() == b"-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
        assert c.command("SCRIPT", "DEBUG", "sync") == b"+OK\r\n"
        assert c.command("EVALSHA", "a" * 40, "0") == (
            b"-ERR Please use EVAL instead of EVALSHA for debugging\r\n")
        assert c.command("EVALSHA", "abc", "0") == (
            b"-NOSCRIPT No matching script. Please use EVAL.\r\n")
        assert c.command("SCRIPT", "DEBUG", "no") == b"+OK\r\n"
        assert c.command("EVAL", "return 1", "0") == b":1\r\n"  # no session
        assert c.command("MULTI") == b"+OK\r\n"
        assert c.command("SCRIPT", "DEBUG", "sync") == b"+QUEUED\r\n"
        assert c.command("EXEC") == (
            b"*1\r\n-ERR SCRIPT DEBUG must be called outside a pipeline\r\n")


def test_sync_session_commands(binary):
    with Server(binary) as s:
        c = start_session(s, SCRIPT, "0")
        assert c.read_raw_reply() == stopped(1, SRC[0])
        assert dbg(c, "s") == stopped(2, SRC[1])
        assert dbg(c, "p") == logs("<value> a = 1")
        assert dbg(c, "p a") == logs("<value> 1")
        assert dbg(c, "p b") == logs("No such variable.")
        assert dbg(c, "p KEYS") == logs("<value> {}")
        listing = ["   1   local a = 1", "-> 2   local b = {1,2,'x'}"] + [
            f"   {i + 1:<3} {SRC[i]}" for i in range(2, 7)]
        assert dbg(c, "l") == logs(*listing)
        assert dbg(c, "w") == logs(*listing)
        assert dbg(c, "l 2 1") == logs(*listing[0:3])
        assert dbg(c, "b 6") == logs(f"   5   {SRC[4]}", f"  #6   {SRC[5]}", f"   7   {SRC[6]}")
        assert dbg(c, "b") == logs("1 breakpoints set:", f"  #6   {SRC[5]}")
        assert dbg(c, "b 99") == logs("Wrong line number.")
        assert dbg(c, "b -6") == logs("Breakpoint removed.")
        assert dbg(c, "b -6") == logs("No breakpoint in the specified line.")
        assert dbg(c, "b x") == logs("Invalid argument:'x'")
        assert dbg(c, "t") == logs("In top level:", "-> 2   local b = {1,2,'x'}")
        assert dbg(c, "e a+1") == logs(
            "<error> ldb_eval:1: Script attempted to access nonexistent global variable 'a'")
        assert dbg(c, "e nosuch(") == logs("<error> ldb_eval:1: unexpected symbol near '<eof>'")
        assert dbg(c, "e error('boom')") == logs("<error> ldb_eval:1: boom")
        assert dbg(c, "e {1,nil,3}") == logs("<retval> {[1]=1; [3]=3}")
        assert dbg(c, "e {a=1}") == logs('<retval> {["a"]=1}')
        assert dbg(c, "e 1.5") == logs("<retval> 1.5")
        assert dbg(c, "r get k") == logs("<redis> get k", "<reply> NULL")
        assert dbg(c, "r incr n") == logs("<redis> incr n", "<reply> 1")
        assert dbg(c, "r hset h a 1") == logs("<redis> hset h a 1", "<reply> 1")
        assert dbg(c, "r hgetall h") == logs("<redis> hgetall h", '<reply> ["a","1"]')
        assert dbg(c, "r ping") == logs("<redis> ping", '<reply> "+PONG"')
        assert dbg(c, "r set") == logs(
            "<redis> set", "<error> Wrong number of args calling Redis command from script")
        unknown = logs("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
        assert dbg(c, "r") == unknown
        assert dbg(c, "foo") == unknown
        assert dbg(c, "m") == logs("<value> replies are truncated at 256 bytes.")
        assert dbg(c, "m 10") == logs("<value> replies are truncated at 60 bytes.")
        assert dbg(c, "m 0") == logs("<value> replies are unlimited.")
        help_reply = dbg(c, "h")
        assert help_reply.startswith(b"*30\r\n+Redis Lua debugger help:\r\n"), help_reply
        assert b"+[a]bort              Stop the execution of the script. In sync\r\n" in help_reply
        assert dbg(c, "s") == stopped(3, SRC[2])
        assert dbg(c, "s") == (b'*3\r\n+<debug> line 3: "hello", 1, {1; 2; "x"}\r\n'
                               + stopped(4, SRC[3])[4:])
        assert dbg(c, "c") == stopped(6, SRC[5], "redis.breakpoint() called")
        c.send(resp("c"))
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == b"$1\r\nv\r\n"
        assert c.closed_by_peer()
        # SYNC keeps what the session wrote.
        d = s.connect()
        assert d.command("GET", "k") == b"$1\r\nv\r\n"
        assert d.command("GET", "n") == b"$1\r\n1\r\n"


def test_break_and_long_values(binary):
    script = ("local t = {}\nfor i=1,100 do t[i]=string.rep('x', 10) end\n"
              "redis.call('rpush','lst',unpack(t))\nlocal r = redis.call('lrange','lst',0,-1)\n"
              "return #r\n")
    with Server(binary) as s:
        c = start_session(s, script, "0")
        assert c.read_raw_reply() == stopped(1, "local t = {}")
        assert dbg(c, "b 4")[:4] == b"*3\r\n"
        assert dbg(c, "c") == stopped(4, "local r = redis.call('lrange','lst',0,-1)",
                                      "break point", bp=True)
        value = '<value> {' + '; '.join(['"xxxxxxxxxx"'] * 100) + '}'
        hint = "<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming."
        assert dbg(c, "p t") == logs(value[:256] + " ...", hint)
        assert dbg(c, "p t") == logs(value[:256] + " ...")  # the hint is given once
        reply = "<reply> [" + ",".join(['"xxxxxxxxxx"'] * 100) + "]"
        assert dbg(c, "s") == logs("<redis> lrange lst 0 -1", reply[:256] + " ...",
                                   "* Stopped at 5, stop reason = step over", "-> 5   return #r")
        assert dbg(c, "m 0") == logs("<value> replies are unlimited.")
        assert dbg(c, "r lrange lst 0 -1") == logs("<redis> lrange lst 0 -1", reply)
        c.send(resp("c"))
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == b":100\r\n"
        assert c.closed_by_peer()


def test_abort_and_script_errors(binary):
    with Server(binary) as s:
        c = start_session(s, "return 1", "0")
        assert c.read_raw_reply() == stopped(1, "return 1")
        c.send(resp("a"))
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == (
            b"-ERR script aborted for user request script: "
            b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db, on @user_script:1.\r\n")
        assert c.closed_by_peer()

        c = start_session(s, "local x = redis.call('nosuchcmd')\nreturn 1\n", "0")
        assert c.read_raw_reply() == stopped(1, "local x = redis.call('nosuchcmd')")
        c.send(resp("s"))
        assert c.read_raw_reply() == logs("<redis> nosuchcmd",
                                          "<error> Unknown Redis command called from script",
                                          "<endsession>")
        assert c.read_raw_reply() == (
            b"-ERR Unknown Redis command called from script script: "
            b"7a06edcdeda4cdafd277b43bdf63d29014198781, on @user_script:1.\r\n")
        assert c.closed_by_peer()

        assert s.connect().command("SET", "k", "v") == b"+OK\r\n"
        c = start_session(s, "return redis.pcall('incr','k')", "0")
        c.read_raw_reply()
        c.send(resp("s"))
        assert c.read_raw_reply() == logs(
            "<redis> incr k", "<error> -ERR value is not an integer or out of range",
            '<reply> "-ERR value is not an integer or out of range"', "<endsession>")
        assert c.read_raw_reply() == b"-ERR value is not an integer or out of range\r\n"

        # A script that does not compile ends the session at once.
        c = start_session(s, "return +", "0")
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == (b"-ERR Error compiling script (new function): "
                                      b"user_script:1: unexpected symbol near '+'\r\n")
        assert c.closed_by_peer()


def test_protocol_errors(binary):
    with Server(binary) as s:
        c = start_session(s, "return 1", "0")
        c.read_raw_reply()
        c.send(b"xyz\r\n")
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == (b"-ERR protocol error script: "
                                      b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db, "
                                      b"on @user_script:1.\r\n")
        assert c.closed_by_peer()
        # Redis's own-mode test "Test scripting debug protocol parsing": NULs in a name.
        c = start_session(s, "return 'hello'", "0")
        c.read_raw_reply()
        unknown = logs("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
        for name in (b"hello\0world", b"hello\0", b"\0hello", b"\0hello\0"):
            assert dbg(c, name.decode()) == unknown
        # A command split over several reads is waited for.
        c.send(b"*1\r\n$1\r")
        time.sleep(0.1)
        c.send(b"\ns\r\n")
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == b"$5\r\nhello\r\n"
        # "Test scripting debug lua stack overflow": redis.call with 100 arguments.
        c = start_session(s, "return 'hello'", "0")
        c.read_raw_reply()
        c.send(b"*101\r\n$5\r\nredis\r\n" + b"$4\r\ntest\r\n" * 100)
        assert c.read_raw_reply() == logs("<redis> test test test test test test test test "
                                          "test test ... (89 more)",
                                          "<error> Unknown Redis command called from script")
        c.close()
        assert s.connect().command("PING") == b"+PONG\r\n"


def test_yes_mode_undoes_writes(binary):
    with Server(binary) as s:
        d = s.connect()
        assert d.command("SET", "keep", "old") == b"+OK\r\n"
        assert d.command("HSET", "big", *[f"f{i}" for i in range(600)]) == b":300\r\n"
        script = ("redis.call('set','keep','new')\nredis.call('set','fresh','1')\n"
                  "redis.call('hset','big','f0','changed')\nredis.call('del','big')\n"
                  "return redis.call('get','keep')\n")
        c = start_session(s, script, "0", mode="yes")
        assert c.read_raw_reply() == stopped(1, "redis.call('set','keep','new')")
        assert dbg(c, "r flushall") == logs(
            "<redis> flushall", "<error> This command cannot be undone at the end of a SCRIPT "
            "DEBUG YES session (use SCRIPT DEBUG SYNC)")
        assert dbg(c, "r exists big") == logs("<redis> exists big", "<reply> 1")
        c.send(resp("c"))
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == b"$3\r\nnew\r\n"
        assert c.closed_by_peer()
        assert d.command("GET", "keep") == b"$3\r\nold\r\n"
        assert d.command("EXISTS", "fresh") == b":0\r\n"
        assert d.command("HGET", "big", "f0") == b"$2\r\nf1\r\n"
        assert d.command("HLEN", "big") == b":300\r\n"


def test_yes_session_leaves_no_trace_in_the_aof(binary):
    import glob
    with Server(binary, "--appendonly", "yes", "--appendfsync", "always") as s:
        c = start_session(s, "redis.call('set','yeskey','1')\nredis.call('lpush','yeslist','a')\n"
                          "return 1\n", "0", mode="yes")
        c.read_raw_reply()
        c.send(resp("c"))
        assert c.read_raw_reply() == logs("<endsession>")
        assert c.read_raw_reply() == b":1\r\n"
        c = start_session(s, "redis.call('set','synckey','1')\nreturn 1\n", "0")
        c.read_raw_reply()
        c.send(resp("c"))
        c.read_raw_reply()
        assert c.read_raw_reply() == b":1\r\n"
        deadline = time.time() + 5
        while True:
            aof = b"".join(open(f, "rb").read() for f in
                           glob.glob(os.path.join(s.dir, "appendonlydir", "*.incr.aof")))
            if b"synckey" in aof or time.time() > deadline:
                break
            time.sleep(0.05)
        assert b"synckey" in aof, aof
        assert b"yeskey" not in aof and b"yeslist" not in aof, aof


def test_endless_loop_stops_at_the_threshold(binary):
    with Server(binary, "--busy-reply-threshold", "100", "--io-threads", "1") as s:
        c = start_session(s, "local i = 0\nwhile true do\n  i = i + 1\nend\n", "0")
        assert c.read_raw_reply() == stopped(1, "local i = 0")
        c.send(resp("c"))
        got = c.read_raw_reply()
        assert got.startswith(b"*2\r\n+* Stopped at 3, stop reason = timeout reached, "
                              b"infinite loop?\r\n") or got.startswith(
            b"*2\r\n+* Stopped at 2, stop reason = timeout reached, infinite loop?\r\n"), got
        assert dbg(c, "e 1+1") == logs("<retval> 2")
        # The client leaves during a timeout stop: the script is ended, not left running.
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
        d = s.connect()  # one worker: it answers only once the script has ended
        assert d.command("PING") == b"+PONG\r\n"
        assert b"errorstat_ERR:count=1" in d.command("INFO", "errorstats")  # the script's end


def test_client_gone_mid_session(binary):
    with Server(binary) as s:
        c = start_session(s, "redis.call('set','a','1')\nredis.call('set','b','2')\nreturn 1\n",
                          "0")
        c.read_raw_reply()
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
        d = s.connect()
        deadline = time.time() + 5
        while d.command("GET", "b") != b"$1\r\n2\r\n":  # the script ran on to its end
            assert time.time() < deadline
            time.sleep(0.05)
        assert d.command("GET", "a") == b"$1\r\n1\r\n"


def test_other_clients_wait_for_the_session(binary):
    with Server(binary, "--io-threads", "1") as s:
        c = start_session(s, "redis.call('set','x','1')\nreturn 1\n", "0")
        c.read_raw_reply()
        other = s.connect()
        other.send(resp("GET", "x"))
        other.sock.settimeout(0.3)
        try:
            early = other.sock.recv(100)
        except socket.timeout:
            early = None
        assert early is None, early  # nobody is served during a synchronous session
        c.send(resp("c"))
        assert c.read_raw_reply() == logs("<endsession>")
        other.sock.settimeout(5)
        assert other.read_raw_reply() == b"$1\r\n1\r\n"


def redis_cli():
    for path in ("/work/redis-724/src/redis-cli", shutil.which("redis-cli")):
        if path and os.path.exists(path):
            return path
    return None


def test_redis_cli_ldb(binary):
    cli = redis_cli()
    assert cli is not None, "redis-cli is needed"
    script = ("local a = 1\nredis.call('set', KEYS[1], ARGV[1])\nredis.debug('a is', a)\n"
              "return redis.call('get', KEYS[1])\n")
    with Server(binary) as s, tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write(script)
        f.flush()
        for mode, end in (("--ldb-sync-mode", "(Lua debugging session ended)"),
                          ("--ldb", "(Lua debugging session ended -- dataset changes rolled back)")):
            out = subprocess.run([cli, "-p", str(s.port), mode, "--eval", f.name,
                                  "mykey", ",", "hello"], input=b"s\np a\ns\nn\nc\n",
                                 capture_output=True, timeout=30).stdout.decode()
            expected = ["* Stopped at 1, stop reason = step over", "-> 1   local a = 1",
                        "* Stopped at 2, stop reason = step over",
                        "-> 2   redis.call('set', KEYS[1], ARGV[1])", "<value> 1",
                        "<redis> set mykey hello", '<reply> "+OK"',
                        "* Stopped at 3, stop reason = step over",
                        "-> 3   redis.debug('a is', a)", '<debug> line 3: "a is", 1',
                        "* Stopped at 4, stop reason = step over",
                        "-> 4   return redis.call('get', KEYS[1])", '"hello"', end]
            at = 0
            for line in expected:
                found = out.find(line, at)
                assert found >= 0, (line, out)
                at = found + len(line)
            stored = s.connect().command("GET", "mykey")
            if mode == "--ldb":
                assert stored == b"$-1\r\n", stored
            else:
                assert stored == b"$5\r\nhello\r\n", stored
                assert s.connect().command("DEL", "mykey") == b":1\r\n"


def test_session_over_tls(binary):
    from test_tls import have_openssl, make_certs, tls_server
    if not have_openssl() or shutil.which("redis-cli") is None:
        return
    certs = make_certs()
    script = "local a = 1\nredis.call('set', KEYS[1], ARGV[1])\nreturn redis.call('get', KEYS[1])\n"
    with tls_server(binary, certs) as s, tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write(script)
        f.flush()
        # Debian's redis-cli has TLS (Redis 7.0.15's debugger client is 7.2.4's).
        cmd = ["redis-cli", "-p", str(s.tls_port), "--tls", "--cacert",
               os.path.join(certs, "ca.crt"), "--cert", os.path.join(certs, "client.crt"),
               "--key", os.path.join(certs, "client.key"), "--ldb-sync-mode", "--eval", f.name,
               "k", ",", "v"]
        out = subprocess.run(cmd, input=b"s\np a\nr get k\nc\n", capture_output=True,
                             timeout=30).stdout.decode()
        # (redis-cli may die of SIGPIPE after the session: our TLS close sends no close_notify.)
        at = 0
        for line in ["* Stopped at 2, stop reason = step over", "<value> 1", "<redis> get k",
                     "<reply> NULL", '"v"']:
            found = out.find(line, at)
            assert found >= 0, (line, out)
            at = found + len(line)
        assert s.connect().command("GET", "k") == b"$1\r\nv\r\n"


if __name__ == "__main__":
    run_tests(globals())
