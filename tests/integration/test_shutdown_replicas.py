"""Shutting down a primary whose replica lags (server/shutdown.h), on the real binary.

As Redis 7.2: SIGTERM or SHUTDOWN pauses writes and waits up to shutdown-timeout seconds for
every replica to acknowledge the whole stream; the log names each lagging replica and how many
were in sync; SHUTDOWN ABORT ends the wait and the blocked SHUTDOWN clients get an error.  The
replica is stopped with SIGSTOP and the primary's writes fill its socket, so what reaches the
replica after that is only what the primary still sends once the replica runs again."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests, wait_for  # noqa: E402

SHUTDOWN_ERROR = b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"


def attach(primary, replica):
    """The replica follows the primary, has synced, and has acknowledged everything."""
    pr, sr = primary.redis(), replica.redis()
    sr.replicaof("127.0.0.1", primary.port)
    wait_for(lambda: sr.info("replication").get("master_link_status") == "up", "link up")
    pr.set("k", 1)
    wait_for(lambda: sr.get("k") == b"1", "replica got k")
    wait_for(lambda: pr.info("replication").get("slave0", {}).get("offset") ==
             pr.info("replication")["master_repl_offset"], "replica acknowledged")
    return pr, sr


def fill_replica_socket(pr):
    """Writes until the replica's unsent stream passes 2 MB (its socket buffers are full)."""
    i = 0
    while pr.info("memory")["mem_total_replication_buffers"] <= 2 * 1024 * 1024:
        pipe = pr.pipeline(transaction=False)
        for j in range(1024):
            pipe.set("junk%d:%d" % (i, j), "x" * 1024)
        pipe.execute()
        i += 1
        assert i < 200, "the replication buffers never grew"
        time.sleep(0.01)


def exited_within(proc, seconds):
    try:
        proc.wait(seconds)
        return True
    except Exception:
        return False


def test_sigterm_waits_shutdown_timeout_for_a_stopped_replica(binary):
    with Server(binary) as p, Server(binary) as s:
        pr, sr = attach(p, s)
        pr.config_set("shutdown-timeout", 2)
        os.kill(s.proc.pid, signal.SIGSTOP)
        try:
            fill_replica_socket(pr)
            pr.set("last", "v")
            start = time.time()
            p.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: pr.info("server").get("shutdown_in_milliseconds", 0) > 0,
                     "shutdown_in_milliseconds")
            # Writes are paused while it waits; reads are served.
            assert pr.get("last") == b"v"
            assert exited_within(p.proc, 15), "the primary did not exit"
            waited = time.time() - start
        finally:
            os.kill(s.proc.pid, signal.SIGCONT)
        assert 1.8 <= waited < 8, waited
        assert p.proc.returncode == 0
        log = p.read_log()
        assert "Waiting for replicas before shutting down." in log
        assert "Lagging replica 127.0.0.1:%d reported offset" % s.port in log, log
        assert "0 of 1 replicas are in sync when shutting down." in log
        assert "ready to exit, bye bye" in log
        # The primary exited before the replica could take the last write.
        time.sleep(0.5)
        assert sr.get("last") is None


def test_shutdown_waits_until_the_resumed_replica_has_the_last_write(binary):
    with Server(binary) as p, Server(binary) as s:
        pr, sr = attach(p, s)
        pr.config_set("shutdown-timeout", 60)
        os.kill(s.proc.pid, signal.SIGSTOP)
        try:
            fill_replica_socket(pr)
            pr.set("last", "v")
            c = p.connect()
            c.send(b"SHUTDOWN\r\n")
            wait_for(lambda: pr.info("server").get("shutdown_in_milliseconds", 0) > 0,
                     "shutdown_in_milliseconds")
            clients = pr.info("clients")
            assert clients["blocked_clients"] == 1, clients
            assert clients["connected_clients"] == 2, clients
            left = pr.info("server")["shutdown_in_milliseconds"]
            assert 50000 < left <= 60000, left
            time.sleep(0.5)
            assert p.proc.poll() is None, "exited while the replica lagged"
        finally:
            os.kill(s.proc.pid, signal.SIGCONT)
        start = time.time()
        assert exited_within(p.proc, 30), "the primary did not exit"
        assert time.time() - start < 20
        assert p.proc.returncode == 0
        assert c.closed_by_peer(), "SHUTDOWN answered instead of closing"
        assert sr.get("last") == b"v"
        log = p.read_log()
        assert "Lagging replica" not in log
        assert "1 of 1 replicas are in sync when shutting down." in log


def test_shutdown_abort_ends_the_wait_and_fails_the_blocked_clients(binary):
    with Server(binary) as p, Server(binary) as s:
        pr, sr = attach(p, s)
        pr.config_set("shutdown-timeout", 60)
        assert p.connect().command("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
        os.kill(s.proc.pid, signal.SIGSTOP)
        try:
            pr.incr("k")
            c1, c2 = p.connect(), p.connect()
            c1.send(b"SHUTDOWN\r\n")
            c2.send(b"SHUTDOWN NOSAVE\r\n")
            wait_for(lambda: pr.info("clients")["blocked_clients"] == 2, "two blocked")
            assert p.connect().command("SHUTDOWN", "ABORT") == b"+OK\r\n"
            assert c1.read_reply() == SHUTDOWN_ERROR
            assert c2.read_reply() == SHUTDOWN_ERROR
            assert "shutdown_in_milliseconds" not in pr.info("server")
            assert pr.info("clients")["blocked_clients"] == 0
            assert pr.set("after", "1")  # writes are no longer paused
        finally:
            os.kill(s.proc.pid, signal.SIGCONT)
        assert "Shutdown manually aborted." in p.read_log()
        wait_for(lambda: sr.get("after") == b"1", "replica follows again")
        assert p.proc.poll() is None


if __name__ == "__main__":
    run_tests(globals())
