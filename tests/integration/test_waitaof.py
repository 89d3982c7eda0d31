"""WAITAOF (Redis 7.2) on the real binary: this server's AOF and its replicas' AOFs.

The local count is 1 once every write this client made is fsynced in our AOF: at once under
appendfsync always, within about a second under everysec, never under no (the timeout
answers).  The replicas' count comes from the FACK of their REPLCONF ACK, which a Tessera
replica sends while its AOF is on.  Where Redis 7.2.4 is built at /work/redis-724, FACK is
also checked both ways against it."""
import os
import signal
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Redis724, Server, have_redis_724, run_tests, wait_for  # noqa: E402

NEEDS_AOF = "WAITAOF cannot be used when numlocal is set but appendonly is disabled."


def link_up(r):
    return r.info("replication").get("master_link_status") == "up"


def timed(call):
    start = time.time()
    result = call()
    return result, time.time() - start


def expect_error(call, message):
    try:
        call()
    except redis.ResponseError as e:
        assert str(e) == message, str(e)
        return
    raise AssertionError("no error, expected: " + message)


def test_local_fsync_per_policy(binary):
    with Server(binary, "--appendonly", "yes") as s:
        r = s.redis()
        # A client that wrote nothing has nothing to wait for.
        assert r.execute_command("WAITAOF", "1", "0", "0") == [1, 0]
        r.config_set("appendfsync", "always")
        r.incr("n")
        (reply, took) = timed(lambda: r.execute_command("WAITAOF", "1", "0", "0"))
        assert reply == [1, 0] and took < 0.5, (reply, took)
        r.config_set("appendfsync", "everysec")
        r.incr("n")
        reply, took = timed(lambda: r.execute_command("WAITAOF", "1", "0", "0"))
        assert reply == [1, 0] and took < 3, (reply, took)  # the once-a-second fsync
        # appendfsync no: nothing is ever fsynced for it, the timeout answers.
        r.config_set("appendfsync", "no")
        r.incr("n")
        reply, took = timed(lambda: r.execute_command("WAITAOF", "1", "0", "200"))
        assert reply == [0, 0] and took >= 0.19, (reply, took)
        # No replica: numreplicas 1 times out with the local count.
        r.config_set("appendfsync", "always")
        r.incr("n")
        reply, took = timed(lambda: r.execute_command("WAITAOF", "1", "1", "200"))
        assert reply == [1, 0] and took >= 0.19, (reply, took)
        # RESP3: the same two integers, byte for byte.
        raw = s.connect()
        raw.command("HELLO", "3")
        assert raw.command("INCR", "n") == b":5\r\n"
        raw.send(b"WAITAOF 1 0 0\r\n")
        assert raw.read_raw_reply() == b"*2\r\n:1\r\n:0\r\n"
        # Inside MULTI it answers at once, whatever it waits for.
        with r.pipeline(transaction=True) as t:
            t.incr("n").execute_command("WAITAOF", "1", "5", "0")
            assert t.execute()[1] == [1, 0]


def test_errors_and_argument_checks(binary):
    with Server(binary) as s:
        r = s.redis()
        for args, message in ((("2", "0", "0"), "value is out of range, value must between 0 and 1"),
                              (("-1", "0", "0"), "value is out of range, value must between 0 and 1"),
                              (("x", "0", "0"), "value is not an integer or out of range"),
                              (("0", "-1", "0"), "value is out of range, must be positive"),
                              (("0", "y", "0"), "value is not an integer or out of range"),
                              (("0", "0", "-1"), "timeout is negative"),
                              (("1", "0", "0"), NEEDS_AOF)):
            expect_error(lambda: r.execute_command("WAITAOF", *args), message)
        expect_error(lambda: r.execute_command("WAITAOF", "0", "0"),
                     "wrong number of arguments for 'waitaof' command")
        # numlocal 0 needs no AOF: the local count is 0 (Redis's fsynced_reploff is -1).
        r.set("k", "v")
        assert r.execute_command("WAITAOF", "0", "0", "0") == [0, 0]
        try:
            r.eval("return redis.call('waitaof', 0, 0, 0)", 0)
            raise AssertionError("WAITAOF ran from a script")
        except redis.ResponseError as e:
            assert str(e).startswith("This Redis command is not allowed from script"), str(e)


def test_a_blocked_waitaof_gets_the_error_when_the_aof_is_turned_off(binary):
    with Server(binary, "--appendonly", "yes", "--appendfsync", "no") as s:
        r = s.redis()
        raw = s.connect()
        raw.send(b"INCR n\r\nWAITAOF 1 0 0\r\n")
        assert raw.read_raw_reply() == b":1\r\n"
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "WAITAOF did not block")
        r.config_set("appendonly", "no")
        assert raw.read_raw_reply() == b"-ERR " + NEEDS_AOF.encode() + b"\r\n"
        assert r.info("clients")["blocked_clients"] == 0
        # A blocked one whose client leaves is forgotten.
        r.config_set("appendonly", "yes")
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "no rewrite end")
        raw2 = s.connect()
        raw2.send(b"INCR n\r\nWAITAOF 1 0 0\r\n")
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "WAITAOF did not block")
        raw2.sock.close()
        wait_for(lambda: r.info("clients")["blocked_clients"] == 0, "the waiter stayed")


def test_client_unblock_answers_wait_and_waitaof(binary):
    # As Redis: CLIENT UNBLOCK ends a WAIT or WAITAOF with the timeout's reply, or -UNBLOCKED.
    with Server(binary, "--appendonly", "yes", "--appendfsync", "no") as s:
        r = s.redis()
        raw = s.connect()
        me = int(raw.command("CLIENT", "ID")[1:-2])
        assert raw.command("INCR", "n") == b":1\r\n"
        for blocked, reason, reply in (
                (b"WAITAOF 1 0 0\r\n", "TIMEOUT", b"*2\r\n:0\r\n:0\r\n"),
                (b"WAITAOF 0 1 0\r\n", "ERROR", b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"),
                (b"WAIT 1 0\r\n", "TIMEOUT", b":0\r\n")):
            raw.send(blocked)
            wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "it did not block")
            assert r.execute_command("CLIENT", "UNBLOCK", me, reason) == 1
            assert raw.read_raw_reply() == reply
            assert r.info("clients")["blocked_clients"] == 0
        assert r.execute_command("CLIENT", "UNBLOCK", me) == 0  # not blocked now


def test_blocked_wait_and_blpop_count_in_commandstats_when_they_end(binary):
    # Redis counts a blocked command when it ends (updateStatsOnUnblock), also by timeout; its
    # quirks included: WAIT ended with an error is counted twice (once failed), and WAITAOF's
    # error for a turned-off AOF counts the error but no failed call.  These counts are what
    # Redis 7.2.4 shows for the same steps.
    with Server(binary, "--appendonly", "yes", "--appendfsync", "no", "--io-threads", "2") as s:
        r = s.redis()
        raw = s.connect()
        me = int(raw.command("CLIENT", "ID")[1:-2])
        r.config_resetstat()
        assert raw.command("BLPOP", "nolist", "0.1") == b"*-1\r\n"
        assert raw.command("WAIT", "1", "100") == b":0\r\n"
        for blocked, reason in ((b"BLPOP nolist 0\r\n", "TIMEOUT"), (b"BLPOP nolist 0\r\n", "ERROR"),
                                (b"WAIT 1 0\r\n", "TIMEOUT"), (b"WAIT 1 0\r\n", "ERROR")):
            raw.send(blocked)
            wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "it did not block")
            assert r.execute_command("CLIENT", "UNBLOCK", me, reason) == 1
            raw.read_raw_reply()
        # Served: counted where it runs, once.
        raw.send(b"BLPOP list 0\r\n")
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "BLPOP did not block")
        r.rpush("list", "x")
        assert raw.read_raw_reply() == b"*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"
        # WAITAOF losing its AOF; then a WAIT whose client leaves (Redis counts it too).
        assert raw.command("INCR", "n") == b":1\r\n"
        raw.send(b"WAITAOF 1 0 0\r\n")
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "WAITAOF did not block")
        r.config_set("appendonly", "no")
        assert raw.read_raw_reply().startswith(b"-ERR WAITAOF cannot be used")
        gone = s.connect()
        gone.send(b"WAIT 1 0\r\n")
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "WAIT did not block")
        gone.close()
        wait_for(lambda: r.info("clients")["blocked_clients"] == 0, "the WAIT stayed")
        stats = r.info("commandstats")
        counts = {name: (stats["cmdstat_" + name]["calls"], stats["cmdstat_" + name]["failed_calls"])
                  for name in ("blpop", "wait", "waitaof")}
        assert counts == {"blpop": (4, 1), "wait": (5, 1), "waitaof": (1, 0)}, counts
        assert stats["cmdstat_wait"]["usec"] >= 0
        errors = raw.command("INFO", "errorstats")
        assert b"errorstat_ERR:count=1\r\n" in errors, errors
        assert b"errorstat_UNBLOCKED:count=2\r\n" in errors, errors


def test_wait_after_a_served_blpop_waits_for_the_pop(binary):
    # The pop a served BLPOP made is its client's last write: a WAIT after it counts only the
    # replicas that have it, as WAIT promises.  Deliberately not as Redis 7.2.4, which answers
    # 1 here at once: it propagates a served command only after call() has taken c->woff
    # (handleClientsBlockedOnKeys runs it inside an execution unit), so its WAIT waits for
    # the client's write before the BLPOP.
    with Server(binary, "--io-threads", "2") as p, Server(binary) as s:
        pr, sr = p.redis(), s.redis()
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        wait_for(lambda: link_up(sr), "the replica did not sync")
        popper = p.connect()
        popper.send(b"BLPOP list 0\r\n")
        wait_for(lambda: pr.info("clients")["blocked_clients"] == 1, "BLPOP did not block")
        pr.set("before", "1")
        assert pr.execute_command("WAIT", "1", "5000") == 1  # the replica is up to date
        s.proc.send_signal(signal.SIGSTOP)
        try:
            pr.rpush("list", "x")
            assert popper.read_raw_reply() == b"*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"
            # The stopped replica has the RPUSH, not the pop.
            assert popper.command("WAIT", "1", "300") == b":0\r\n"
        finally:
            s.proc.send_signal(signal.SIGCONT)
        assert popper.command("WAIT", "1", "10000") == b":1\r\n"
        wait_for(lambda: sr.llen("list") == 0, "the replica did not pop")


def test_hostile_facks_are_ignored_and_bounded(binary):
    # A replica's REPLCONF ACK ... FACK with garbage: no reply, nothing counted, the server
    # alive and its memory bounded; a valid FACK then counts.
    from test_replication_primary import attach  # noqa: E402
    with Server(binary, "--appendonly", "yes", "--appendfsync", "always",
                "--repl-ping-replica-period", "3600") as s:
        r = s.redis()
        link, stream = attach(s)
        assert stream.read_bulk_payload().startswith(b"REDIS0011")
        r.set("k", "v")
        base = r.info("memory")["used_memory"]
        hostile = [b"x", b"", b"-5", b"99999999999999999999", b"1e9", b"9" * 100000]
        for _ in range(200):
            for fack in hostile:
                link.send(b"*5\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n$4\r\nFACK\r\n$" +
                          str(len(fack)).encode() + b"\r\n" + fack + b"\r\n")
        link.send(b"*4\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n$4\r\nFACK\r\n")  # no value
        assert r.ping()
        assert r.info("replication")["connected_slaves"] == 1
        assert r.execute_command("WAITAOF", "1", "1", "100") == [1, 0]
        assert r.info("memory")["used_memory"] < base + 8 * 1024 * 1024
        # A well-formed FACK past the write counts at once.
        link.send(b"REPLCONF ACK 0 FACK 9223372036854775807\r\n")
        wait_for(lambda: r.execute_command("WAITAOF", "1", "1", "100") == [1, 1],
                 "a valid FACK was not counted")
        link.sock.close()


def test_replicas_fsync_is_counted(binary):
    with Server(binary, "--appendonly", "yes", "--appendfsync", "always") as p, \
            Server(binary, "--appendonly", "yes") as s:
        pr, sr = p.redis(), s.redis()
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        wait_for(lambda: link_up(sr), "the replica did not sync")
        wait_for(lambda: sr.info("persistence")["aof_rewrite_in_progress"] == 0, "no rewrite end")
        for i in range(3):
            pr.set("k%d" % i, "v")
            reply, took = timed(lambda: pr.execute_command("WAITAOF", "1", "1", "0"))
            assert reply == [1, 1] and took < 5, (reply, took)
        # PUBLISH is logged for the replicas only: no AOF byte to fsync, yet its mark counts
        # once every AOF byte before it is fsynced (Redis's "all data is fsync'd already").
        pr.config_set("appendfsync", "everysec")
        time.sleep(1.2)
        pr.publish("ch", "x")
        reply, took = timed(lambda: pr.execute_command("WAITAOF", "1", "0", "3000"))
        assert reply[0] == 1 and took < 2, (reply, took)
        pr.config_set("appendfsync", "always")
        expect_error(lambda: sr.execute_command("WAITAOF", "0", "0", "0"),
                     "WAITAOF cannot be used with replica instances. Please also note that "
                     "writes to replicas are just local and are not propagated.")
        # A replica that never fsyncs acknowledges nothing new.
        sr.config_set("appendfsync", "no")
        time.sleep(1.2)  # an fsync already due is done
        pr.set("k", "after no")
        reply, took = timed(lambda: pr.execute_command("WAITAOF", "0", "1", "300"))
        assert reply == [1, 0] and took >= 0.29, (reply, took)
        # Once it fsyncs again, its next acknowledgement counts.
        sr.config_set("appendfsync", "everysec")
        assert pr.execute_command("WAITAOF", "0", "1", "10000") == [1, 1]
        # A replica without an AOF sends no FACK at all.
        sr.config_set("appendonly", "no")
        pr.set("k", "no aof")
        assert pr.execute_command("WAITAOF", "0", "1", "300") == [1, 0]
        # Turned on again: its first rewrite counts what it holds.
        sr.config_set("appendonly", "yes")
        assert pr.execute_command("WAITAOF", "1", "1", "10000") == [1, 1]
        assert sr.get("k") == b"no aof"


def test_a_full_sync_counts_once_the_replica_rewrote_its_aof(binary):
    # Redis's "WAITAOF master without backlog, wait is released when the replica finishes
    # full-sync": a write waits for a replica that is not attached yet, and is answered by the
    # acknowledgement of the replica's restarted AOF after its sync, even with appendfsync no.
    with Server(binary, "--appendonly", "yes", "--appendfsync", "always") as p, \
            Server(binary, "--appendonly", "yes", "--appendfsync", "no") as s:
        pr, sr = p.redis(), s.redis()
        raw = p.connect()
        raw.send(b"INCR n\r\nWAITAOF 0 1 0\r\n")
        assert raw.read_raw_reply() == b":1\r\n"
        wait_for(lambda: pr.info("clients")["blocked_clients"] == 1, "WAITAOF did not block")
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        assert raw.read_raw_reply() == b"*2\r\n:1\r\n:1\r\n"
        assert sr.get("n") == b"1"


def test_fack_both_ways_with_redis_724(binary):
    if not have_redis_724():
        return
    with Redis724("--appendonly", "yes", "--appendfsync", "always",
                  "--repl-diskless-sync-delay", "0") as redis_server:
        rr = redis_server.redis()
        # Redis primary, Tessera replica: Redis counts our FACK.
        with Server(binary, "--appendonly", "yes") as s:
            sr = s.redis()
            sr.execute_command("REPLICAOF", "127.0.0.1", str(redis_server.port))
            wait_for(lambda: link_up(sr), "no sync from redis")
            rr.set("a", "1")
            assert rr.execute_command("WAITAOF", "1", "1", "10000") == [1, 1]
            sr.config_set("appendonly", "no")
            rr.set("a", "2")
            assert rr.execute_command("WAITAOF", "1", "1", "300") == [1, 0]
        # Tessera primary, Redis replica: we count Redis's FACK.
        with Server(binary, "--appendonly", "yes", "--appendfsync", "always") as p:
            pr = p.redis()
            rr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
            wait_for(lambda: link_up(rr), "redis did not sync from us")
            pr.set("b", "1")
            assert pr.execute_command("WAITAOF", "1", "1", "10000") == [1, 1]
            rr.config_set("appendonly", "no")
            pr.set("b", "2")
            assert pr.execute_command("WAITAOF", "1", "1", "300") == [1, 0]


if __name__ == "__main__":
    run_tests(globals())
