"""A busy script (past busy-reply-threshold) and the other clients, above all those of its own
worker: with --io-threads 1 every client shares the script's worker, which serves them from
the script's hook (server/commands/script_runner.h).  Replies are Redis 7.2's bytes."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests, resp  # noqa: E402

BUSY_EVAL = (b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
             b"SHUTDOWN NOSAVE.\r\n")
BUSY_FUNCTION = (b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 b"SHUTDOWN NOSAVE.\r\n")
UNKILLABLE = (b"-UNKILLABLE Sorry the script already executed write commands against the "
              b"dataset. You can either wait the script termination or kill the server in a "
              b"hard way using the SHUTDOWN NOSAVE command.\r\n")
LOOP = "while true do end"


def start(binary, threads=1, threshold=50):
    return Server(binary, "--io-threads", str(threads), "--busy-reply-threshold", str(threshold))


def wait_busy(client, expected=BUSY_EVAL, timeout=5.0):
    """PINGs until the script is past the threshold; returns the BUSY reply."""
    deadline = time.time() + timeout
    while True:
        reply = client.command("PING")
        if reply != b"+PONG\r\n" or time.time() > deadline:
            assert reply == expected, reply
            return reply
        time.sleep(0.02)


def script_error(err, sha, line=1):
    return b"-%s script: %s, on @user_script:%d.\r\n" % (err, sha.encode(), line)


def test_eval_loop_on_one_worker_busy_then_script_kill(binary):
    with start(binary) as s:
        before = s.connect()  # connected before the script starts
        runner = s.connect()
        # EVAL then PING in one write: the PING waits for the script.
        runner.send(resp("EVAL", LOOP, "0") + resp("PING"))
        wait_busy(before)
        after = s.connect()  # accepted while the script runs
        assert after.command("PING") == BUSY_EVAL
        assert after.command("GET", "x") == BUSY_EVAL
        assert after.command("FUNCTION", "KILL") == BUSY_EVAL  # FUNCTION KILL on an EVAL
        assert after.command("FUNCTION", "STATS") == BUSY_EVAL
        assert after.command("SHUTDOWN") == BUSY_EVAL  # only SHUTDOWN NOSAVE goes on
        gone = s.connect()
        gone.close()  # a client that disconnects while the script runs
        assert before.command("SCRIPT", "KILL") == b"+OK\r\n"
        runner.sock.settimeout(5)
        killed = runner.read_raw_reply()
        assert killed == script_error(b"ERR Script killed by user with SCRIPT KILL...",
                                      sha1(LOOP)), killed
        assert runner.read_raw_reply() == b"+PONG\r\n"
        assert after.command("PING") == b"+PONG\r\n"
        assert after.command("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
        assert "Slow script detected" in s.read_log()


def sha1(text):
    import hashlib
    return hashlib.sha1(text.encode()).hexdigest()


def test_fcall_loop_on_one_worker_function_kill(binary):
    with start(binary) as s:
        c = s.connect()
        lib = "#!lua name=busy\nredis.register_function('spin', function() while true do end end)"
        assert c.command("FUNCTION", "LOAD", lib) == b"$4\r\nbusy\r\n"
        runner = s.connect()
        runner.send(resp("FCALL", "spin", "0"))
        wait_busy(c, BUSY_FUNCTION)
        assert c.command("SCRIPT", "KILL") == BUSY_FUNCTION  # SCRIPT KILL on a function
        assert c.command("FUNCTION", "KILL") == b"+OK\r\n"
        runner.sock.settimeout(5)
        killed = runner.read_raw_reply()
        assert killed.startswith(b"-ERR Script killed by user with SCRIPT KILL..."), killed
        assert c.command("PING") == b"+PONG\r\n"


def test_writing_script_unkillable_and_shutdown_nosave(binary):
    s = start(binary)
    try:
        c = s.connect()
        runner = s.connect()
        runner.send(resp("EVAL", "redis.call('set', KEYS[1], 'y') while true do end", "1", "x"))
        wait_busy(c)
        assert c.command("SCRIPT", "KILL") == UNKILLABLE
        assert c.command("FUNCTION", "KILL") == UNKILLABLE
        assert c.command("SHUTDOWN") == BUSY_EVAL
        assert c.command("SHUTDOWN", "SAVE") == BUSY_EVAL
        c.send(resp("SHUTDOWN", "NOSAVE"))
        s.proc.wait(10)
        assert s.proc.returncode == 0, s.read_log()
    finally:
        s.stop()


def test_multi_exec_during_busy_script(binary):
    """unit/multi's "... and script timeout" cases, on the script's own worker."""
    with start(binary) as s:
        c = s.connect()
        assert c.command("SET", "xx", "1") == b"+OK\r\n"
        queued_before = s.connect()  # MULTI and INCR queued before the script
        assert queued_before.command("MULTI") == b"+OK\r\n"
        assert queued_before.command("INCR", "xx") == b"+QUEUED\r\n"
        dirty_before = s.connect()
        assert dirty_before.command("MULTI") == b"+OK\r\n"
        assert dirty_before.command("INCR", "xx") == b"+QUEUED\r\n"
        runner = s.connect()
        runner.send(resp("EVAL", LOOP, "0"))
        wait_busy(c)
        # MULTI is allowed while busy; a command queued then is refused and dooms EXEC.
        late = s.connect()
        assert late.command("MULTI") == b"+OK\r\n"
        assert late.command("INCR", "xx") == BUSY_EVAL
        assert dirty_before.command("INCR", "xx") == BUSY_EVAL
        # EXEC itself is refused: the transaction is discarded with the reason.
        exec_busy = (b"-EXECABORT Transaction discarded because of: BUSY Redis is busy running a "
                     b"script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        assert dirty_before.command("EXEC") == exec_busy
        assert queued_before.command("EXEC") == exec_busy
        assert c.command("SCRIPT", "KILL") == b"+OK\r\n"
        runner.sock.settimeout(5)
        assert runner.read_raw_reply().startswith(b"-ERR Script killed by user")
        assert queued_before.command("PING", "asdf") == b"$4\r\nasdf\r\n"  # not in MULTI
        assert dirty_before.command("PING", "asdf") == b"$4\r\nasdf\r\n"
        assert late.command("INCR", "xx") == b"+QUEUED\r\n"
        assert late.command("EXEC") == (
            b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        assert c.command("GET", "xx") == b"$1\r\n1\r\n"


def test_commands_waiting_for_a_busy_scripts_shards_answer_busy(binary):
    """On several workers: a command (EXEC, GET, KEYS-free writes) that meets the script's
    locks answers -BUSY once the threshold passes, even if it began waiting before the
    script did; none waits for the script to end."""
    with start(binary, threads=4, threshold=300) as s:
        clients = [s.connect() for _ in range(8)]
        runner = s.connect()
        runner.send(resp("EVAL", LOOP, "0"))
        time.sleep(0.05)  # the script runs, not yet past the threshold
        for i, c in enumerate(clients):
            c.sock.settimeout(5)
            if i % 2 == 0:
                c.send(resp("MULTI") + resp("INCR", "n%d" % i) + resp("EXEC"))
            else:
                c.send(resp("GET", "k%d" % i))
        waited = 0
        for i, c in enumerate(clients):
            if i % 2 == 0:
                assert c.read_raw_reply() == b"+OK\r\n"
                incr = c.read_raw_reply()
                exec_reply = c.read_raw_reply()
                # On another worker EXEC waited for the script's shards, then gave up; on the
                # script's own, the pipeline was read only once the script was busy.
                if incr == b"+QUEUED\r\n":
                    waited += 1
                else:
                    assert incr == BUSY_EVAL, incr
                assert exec_reply == (
                    b"-EXECABORT Transaction discarded because of: " + BUSY_EVAL[1:]), exec_reply
            else:
                assert c.read_raw_reply() == BUSY_EVAL
        print("  EXECs that waited on another worker: %d of 4" % waited)
        assert clients[0].command("SCRIPT", "KILL") == b"+OK\r\n"
        runner.sock.settimeout(5)
        assert runner.read_raw_reply().startswith(b"-ERR Script killed by user")
        for i in range(0, 8, 2):
            assert clients[1].command("GET", "n%d" % i) == b"$-1\r\n"


def test_script_client_disconnecting_while_busy(binary):
    with start(binary) as s:
        c = s.connect()
        runner = s.connect()
        runner.send(resp("EVAL", LOOP, "0"))
        wait_busy(c)
        runner.sock.shutdown(socket.SHUT_RDWR)
        runner.close()
        time.sleep(0.1)
        assert c.command("PING") == BUSY_EVAL
        assert c.command("SCRIPT", "KILL") == b"+OK\r\n"
        deadline = time.time() + 5
        while c.command("PING") != b"+PONG\r\n":
            assert time.time() < deadline
            time.sleep(0.02)
        clients = c.command("CLIENT", "LIST")
        assert clients.count(b"id=") == 1, clients


if __name__ == "__main__":
    run_tests(globals())
