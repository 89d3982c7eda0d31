"""CONFIG SET appendonly yes at run time, and the shutdown's final save, on the real binary.

As Redis 7.2: turning the AOF on starts a background rewrite and returns at once (the AOF
waits for its first base); the log goes to appendonlydir/temp-appendonly.aof.incr meanwhile,
which becomes appendonly.aof.1.incr.aof only when the base is complete; a shutdown during that
rewrite is refused ("Writing initial AOF, can't exit.") unless forced.  The final save on
SIGINT/SIGTERM writes temp-<pid>.rdb in `dir`, and a second SIGINT during it stops it, removes
the file and exits at once."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests, wait_for  # noqa: E402

DEBUG = ("--enable-debug-command", "yes", "--io-threads", "1")


def aof_files(s):
    d = os.path.join(s.dir, "appendonlydir")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def manifest(s):
    with open(os.path.join(s.dir, "appendonlydir", "appendonly.aof.manifest")) as f:
        return f.read()


def slow_initial_rewrite(s, keys=100000, delay_us=500):
    """Fills the dataset and turns the AOF on with a rewrite that takes seconds; returns how
    long CONFIG SET took."""
    r = s.redis()
    r.execute_command("DEBUG", "POPULATE", keys)
    r.config_set("rdb-key-save-delay", delay_us)
    t0 = time.time()
    assert r.config_set("appendonly", "yes") is True
    return time.time() - t0


def test_enable_returns_at_once_and_keeps_writes_made_during_the_rewrite(binary):
    s = Server(binary, *DEBUG, "--appendfsync", "always")
    r = s.redis()
    took = slow_initial_rewrite(s)
    # The old synchronous enable slept the delay for a whole shard (~6000 keys x 0.5 ms).
    assert took < 1.0, took
    info = r.info("persistence")
    assert info["aof_enabled"] == 1 and info["aof_rewrite_in_progress"] == 1, info
    # Nothing a restart would read yet: no manifest, only the temporary increment and base
    # (the rewrite's thread creates them a moment after CONFIG SET returns).
    wait_for(lambda: "temp-appendonly.aof.incr" in aof_files(s), "the temporary increment")
    files = aof_files(s)
    assert "temp-appendonly.aof.incr" in files and "appendonly.aof.manifest" not in files, files
    # Writes while the base is written: overwrites, new keys, deletes, other types.
    pipe = r.pipeline(transaction=False)
    for i in range(0, 100000, 37):
        pipe.set(f"key:{i}", "during")
    for i in range(1000):
        pipe.set(f"new:{i}", i)
    pipe.delete("key:5", "key:6")
    pipe.incr("counter")
    pipe.hset("h", mapping={"a": 1, "b": 2})
    pipe.rpush("l", "x", "y")
    pipe.execute()
    r.config_set("rdb-key-save-delay", 0)  # the running rewrite keeps its own
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "rewrite ended", 120)
    info = r.info("persistence")
    assert info["aof_last_bgrewrite_status"] == "ok", info
    assert manifest(s) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert aof_files(s) == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof",
                            "appendonly.aof.manifest"], aof_files(s)
    log = s.read_log()
    assert "Creating AOF incr file temp-appendonly.aof.incr on background rewrite" in log
    assert ("Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into "
            "appendonly.aof.1.incr.aof") in log
    r.set("after", "1")
    digest = r.execute_command("DEBUG", "DIGEST")
    s.stop(signal.SIGKILL)  # appendfsync always: every acknowledged write is in the files
    s2 = Server(binary, *DEBUG, "--appendonly", "yes", dir=s.dir)
    r2 = s2.redis()
    assert r2.execute_command("DEBUG", "DIGEST") == digest
    assert r2.get("key:0") == b"during" and r2.exists("key:5") == 0 and r2.get("after") == b"1"
    assert r2.dbsize() == 100000 - 2 + 1000 + 4
    s2.stop()


def test_sigterm_during_the_initial_rewrite_is_refused_unless_forced(binary):
    s = Server(binary, *DEBUG)
    r = s.redis()
    slow_initial_rewrite(s, delay_us=2000)
    assert r.info("persistence")["aof_rewrite_in_progress"] == 1
    s.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "Writing initial AOF, can't exit." in s.read_log(), "refusal logged")
    assert r.ping() is True and s.proc.poll() is None
    assert r.info("persistence")["aof_rewrite_in_progress"] == 1
    # SHUTDOWN is refused the same way.
    try:
        r.shutdown()
        raise AssertionError("SHUTDOWN succeeded")
    except Exception as e:  # redis-py raises ResponseError
        assert "Errors trying to SHUTDOWN" in str(e), e
    r.config_set("shutdown-on-sigterm", "force")
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(10)
    assert s.proc.returncode == 0
    log = s.read_log()
    assert "Writing initial AOF. Exit anyway." in log
    # No manifest: the half-written AOF is not something a restart would load.
    assert "appendonly.aof.manifest" not in aof_files(s), aof_files(s)
    s.stop()


def test_disabling_during_the_initial_rewrite_removes_the_temporary_increment(binary):
    s = Server(binary, *DEBUG)
    r = s.redis()
    slow_initial_rewrite(s, delay_us=2000)
    assert r.config_set("appendonly", "no") is True
    info = r.info("persistence")
    assert info["aof_enabled"] == 0 and info["aof_rewrite_in_progress"] == 0, info
    assert aof_files(s) == [], aof_files(s)
    assert "Removing the temp incr aof file temp-appendonly.aof.incr" in s.read_log()
    # On again: a new first rewrite, which this time completes.
    r.config_set("rdb-key-save-delay", 0)
    assert r.config_set("appendonly", "yes") is True
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "rewrite ended")
    assert manifest(s) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n")
    s.stop()


def test_enable_during_bgsave_schedules_the_rewrite(binary):
    s = Server(binary, *DEBUG)
    r = s.redis()
    r.execute_command("DEBUG", "POPULATE", 1000)
    r.config_set("rdb-key-save-delay", 20000)  # ~60 keys a shard: about a second
    assert r.bgsave()
    assert r.config_set("appendonly", "yes") is True
    info = r.info("persistence")
    assert info["aof_rewrite_scheduled"] == 1 and info["aof_rewrite_in_progress"] == 0, info
    assert aof_files(s) == [], aof_files(s)
    r.config_set("rdb-key-save-delay", 0)
    wait_for(lambda: "AOF was enabled but there is already another background operation"
             in s.read_log(), "scheduling logged")
    wait_for(lambda: manifest_exists(s) and
             r.info("persistence")["aof_rewrite_in_progress"] == 0 and
             r.info("persistence")["aof_rewrite_scheduled"] == 0, "scheduled rewrite ran", 60)
    assert manifest(s) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n")
    s.stop()


def manifest_exists(s):
    return os.path.exists(os.path.join(s.dir, "appendonlydir", "appendonly.aof.manifest"))


def test_second_sigint_stops_the_final_save_and_removes_its_temp_file(binary):
    s = Server(binary, *DEBUG)
    r = s.redis()
    r.execute_command("DEBUG", "POPULATE", 2000)
    r.config_set("save", "900 1")
    r.config_set("rdb-key-save-delay", 1000000)  # a second per key: the save never ends
    temp = os.path.join(s.dir, "temp-%d.rdb" % s.proc.pid)
    s.proc.send_signal(signal.SIGINT)
    wait_for(lambda: os.path.exists(temp), "the final save writes temp-<pid>.rdb", 10)
    assert "Saving the final RDB snapshot before exiting." in s.read_log()
    t0 = time.time()
    s.proc.send_signal(signal.SIGINT)
    s.proc.wait(10)
    assert time.time() - t0 < 5
    assert s.proc.returncode == 1
    assert not os.path.exists(temp)
    assert not os.path.exists(os.path.join(s.dir, "dump.rdb"))
    assert "You insist... exiting now." in s.read_log()
    s.stop()


def test_save_and_bgsave_temp_file_names(binary):
    s = Server(binary, *DEBUG)
    r = s.redis()
    r.execute_command("DEBUG", "POPULATE", 1000)
    r.config_set("rdb-key-save-delay", 20000)
    assert r.bgsave()
    # A background save is written by a thread of ours: temp-<its id>.rdb, not temp-<pid>.
    wait_for(lambda: [f for f in os.listdir(s.dir) if f.startswith("temp-")], "bgsave temp")
    temps = [f for f in os.listdir(s.dir) if f.startswith("temp-") and f.endswith(".rdb")]
    assert len(temps) == 1, temps
    tid = int(temps[0][len("temp-"):-len(".rdb")])
    assert tid != s.proc.pid and os.path.exists("/proc/%d/task/%d" % (s.proc.pid, tid)), temps
    r.config_set("rdb-key-save-delay", 0)
    wait_for(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 0, "bgsave ended")
    assert [f for f in os.listdir(s.dir) if f.startswith("temp-")] == []
    s.stop()


def test_full_sync_during_the_initial_rewrite_starts_it_again_from_the_new_data(binary):
    # As Redis restarts the AOF after a sync: the first base must be of the primary's data.
    with Server(binary) as p, Server(binary, *DEBUG) as s:
        pr, sr = p.redis(), s.redis()
        for i in range(100):
            pr.set(f"p:{i}", i)
        slow_initial_rewrite(s, keys=20000, delay_us=2000)
        assert sr.info("persistence")["aof_rewrite_in_progress"] == 1
        sr.config_set("rdb-key-save-delay", 0)  # for the rewrite that starts after the sync
        sr.replicaof("127.0.0.1", p.port)
        wait_for(lambda: sr.info("replication").get("master_link_status") == "up", "link up")
        wait_for(lambda: manifest_exists(s) and
                 sr.info("persistence")["aof_rewrite_in_progress"] == 0, "first base", 60)
        assert sr.dbsize() == 100
        digest = sr.execute_command("DEBUG", "DIGEST")
        s.stop(signal.SIGKILL)
        s2 = Server(binary, *DEBUG, "--appendonly", "yes", dir=s.dir)
        r2 = s2.redis()
        assert r2.dbsize() == 100 and r2.execute_command("DEBUG", "DIGEST") == digest
        s2.stop()


def test_a_failing_first_rewrite_is_retried_then_held_by_the_limit(binary):
    # As Redis: each failure removes the temporary increment and schedules the rewrite again;
    # after three in a row the cron waits a minute before the next try (BGREWRITEAOF does not).
    from test_aof import small_disk, unmount
    d = small_disk("1m")
    if d is None:
        return
    try:
        s = Server(binary, *DEBUG, "--rdbcompression", "no", dir=d)
        r = s.redis()
        r.execute_command("DEBUG", "POPULATE", 3000, "key", 1000)  # 3 MB: no base fits
        assert r.config_set("appendonly", "yes") is True
        wait_for(lambda: "triggered the limit" in s.read_log(), "the limit", 30)
        info = r.info("persistence")
        assert info["aof_rewrites_consecutive_failures"] == 3, info
        assert info["aof_rewrite_scheduled"] == 1 and info["aof_last_bgrewrite_status"] == "err"
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "attempt ended")
        time.sleep(0.5)  # held: no fourth try
        assert r.info("persistence")["aof_rewrites_consecutive_failures"] == 3
        assert s.read_log().count("Removing the temp incr aof file temp-appendonly.aof.incr") == 3
        assert aof_files(s) == [], aof_files(s)
        assert not [n for n in os.listdir(d) if n.startswith("temp-")]
        # Room again: BGREWRITEAOF runs the first rewrite at once, and the AOF is on.
        r.flushall()
        r.set("k", "v")
        assert r.bgrewriteaof()
        wait_for(lambda: manifest_exists(s) and
                 r.info("persistence")["aof_rewrite_in_progress"] == 0, "first base")
        assert manifest(s) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                               "file appendonly.aof.1.incr.aof seq 1 type i\n")
        r.set("after", "1")
        s.stop()
        s2 = Server(binary, *DEBUG, "--appendonly", "yes", dir=d)
        assert s2.redis().get("after") == b"1" and s2.redis().get("k") == b"v"
        s2.stop()
    finally:
        unmount(d)


if __name__ == "__main__":
    run_tests(globals())
