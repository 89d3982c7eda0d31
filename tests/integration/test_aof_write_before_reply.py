"""The AOF is written before the replies go out (Redis's order: it writes its AOF buffer before
it sends the replies of an event-loop iteration): with every appendfsync policy, a write that
was acknowledged is in the incremental file when its reply arrives, for pipelines, for several
connections on two workers, for a blocked client served by another connection, and after a
rewrite switched files.  Only the fsync is left for later (everysec, no).  And the order of the
log's two ways in (per-worker lanes, the lock once a replica attached) is one order."""
import os
import subprocess
import threading
import time

import redis

from harness import Server, resp, run_tests, wait_for


def incr_path(s):
    d = os.path.join(s.dir, "appendonlydir")
    with open(os.path.join(d, "appendonly.aof.manifest")) as f:
        names = [line.split()[1] for line in f if line.split()[-1] == "i"]
    return os.path.join(d, names[-1])


def read(path):
    # Lowered: a command's name is logged as the client sent it (redis-py sends "SET").
    with open(path, "rb") as f:
        return f.read().lower()


def check_each_write_is_in_the_file(binary, policy, *extra):
    s = Server(binary, "--appendonly", "yes", "--appendfsync", policy, *extra)
    try:
        r = s.redis()
        path = incr_path(s)
        missing = []
        for i in range(300):
            value = f"{policy}-{i}"
            assert r.set(f"k{i}", value) is True
            if resp("set", f"k{i}", value) not in read(path):
                missing.append(i)
        # A pipeline: every reply of the batch comes after the batch's bytes are written.
        p = r.pipeline(transaction=False)
        for i in range(50):
            p.incr("counter")
        assert p.execute()[-1] == 50
        if read(path).count(resp("incrby", "counter", 1)) != 50:  # redis-py sends INCRBY
            missing.append("pipeline")
        assert missing == [], f"appendfsync {policy}: acknowledged but not in the file: {missing[:10]}"
    finally:
        s.stop()


def test_everysec_acknowledged_write_is_in_the_file(binary):
    check_each_write_is_in_the_file(binary, "everysec")


def test_no_acknowledged_write_is_in_the_file(binary):
    check_each_write_is_in_the_file(binary, "no")


def test_always_acknowledged_write_is_in_the_file(binary):
    check_each_write_is_in_the_file(binary, "always")


def test_many_connections_on_two_workers(binary):
    # Each worker writes what it (and the other) logged before its replies leave; a worker whose
    # bytes the other one took finds them written.  Every acknowledged write is checked.
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "everysec", "--io-threads", "2")
    try:
        path = incr_path(s)
        failures = []

        def client(n):
            r = s.redis()
            for i in range(150):
                value = f"c{n}-{i}"
                r.set(f"c{n}:{i}", value)
                if resp("set", f"c{n}:{i}", value) not in read(path):
                    failures.append((n, i))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == [], failures[:10]
    finally:
        s.stop()


def test_blocked_client_reply_follows_the_effect(binary):
    # BLPOP served by an LPUSH of another connection (maybe another worker): when the blocked
    # client gets its element, the pop is in the file.
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "everysec", "--io-threads", "2")
    try:
        path = incr_path(s)
        for i in range(20):
            waiter = s.redis()
            result = {}

            def wait(i=i, waiter=waiter):
                result["reply"] = waiter.blpop(f"q{i}", timeout=5)
                result["file"] = read(path)

            t = threading.Thread(target=wait)
            t.start()
            pusher = s.redis()
            wait_for(lambda: pusher.info("clients")["blocked_clients"] >= 1, "BLPOP blocked", 5,
                     interval=0.005)
            pusher.lpush(f"q{i}", f"e{i}")
            t.join()
            assert result["reply"] == (f"q{i}".encode(), f"e{i}".encode())
            # Redis propagates the served BLPOP as the push then a pop of the element.
            assert resp("lpush", f"q{i}", f"e{i}") in result["file"]
            assert resp("lpop", f"q{i}") in result["file"], result["file"][-200:]
    finally:
        s.stop()


def test_after_a_rewrite_writes_go_to_the_new_file_before_the_reply(binary):
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "everysec")
    try:
        r = s.redis()
        r.set("before", "1")
        r.bgrewriteaof()
        wait_for(lambda: not r.info("persistence")["aof_rewrite_in_progress"], "rewrite done", 20)
        path = incr_path(s)
        assert path.endswith("appendonly.aof.2.incr.aof")
        for i in range(50):
            r.set(f"after{i}", "x")
            assert resp("set", f"after{i}", "x") in read(path)
    finally:
        s.stop()


def attach_a_replica_under_load(binary):
    debug = ("--enable-debug-command", "yes", "--io-threads", "2")
    p = Server(binary, *debug, "--appendonly", "yes")
    s = Server(binary, *debug)
    try:
        pr, sr = p.redis(), s.redis()
        # redis-benchmark keeps both workers busy (long pipelines: lanes hold records not yet
        # merged at any moment), pushing to 64 lists from 8 connections.
        load = subprocess.Popen(
            ["redis-benchmark", "-p", str(p.port), "-c", "8", "-P", "64", "-n", "1000000000",
             "-r", "64", "-q", "rpush", "list:__rand_int__", "__rand_int__"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: pr.dbsize() >= 64, "load started", 10)
            sr.replicaof("127.0.0.1", p.port)
            wait_for(lambda: sr.info("replication").get("master_link_status") == "up", "link up")
            time.sleep(0.3)  # writes go on through the replica's stream
        finally:
            load.kill()
            load.wait()
        offset = pr.info("replication")["master_repl_offset"]
        # (>=: the replication PING may follow)
        wait_for(lambda: sr.info("replication").get("slave_repl_offset", 0) >= offset,
                 "replica caught up")
        assert pr.llen("list:000000000001") > 100
        digest = pr.execute_command("DEBUG", "DIGEST")
        assert sr.execute_command("DEBUG", "DIGEST") == digest, "the replica's data"
        # The AOF holds the same order: a restart from it gives the same data.
        p.stop()
        p = Server(binary, *debug, "--appendonly", "yes", dir=p.dir)
        assert p.redis().execute_command("DEBUG", "DIGEST") == digest, "the AOF's data"
    finally:
        s.stop()
        p.stop()


def test_replica_attaching_under_load_gets_the_order_the_aof_has(binary):
    # While the AOF is the write log's only reader, each worker appends into a lane of its own
    # and the lanes are merged by ticket; the first replica attaching switches the log, for
    # good, to appending under its lock.  Writes from eight connections on two workers race the
    # switch: the replica must end with the primary's data (list pushes from every connection
    # interleave, so an append merged out of order or twice changes a list), and so must the
    # AOF replayed.  Five fresh primaries: five races (a switch that dropped the merge at the
    # point failed 2 of 3 runs of three).
    for _ in range(5):
        attach_a_replica_under_load(binary)


if __name__ == "__main__":
    run_tests(globals())
