"""The append-only file end to end: replay at start-up, rewrites without fork, acknowledged
writes surviving kill -9 with appendfsync always (also during a rewrite), truncated and corrupt
files, turning it on at run time, and Redis 6's single-file AOF."""
import os
import shutil
import signal
import subprocess
import threading
import time

import redis

from harness import Server, run_tests

AOF = ("--appendonly", "yes")


def aof_dir(s):
    return os.path.join(s.dir, "appendonlydir")


def manifest(s):
    with open(os.path.join(aof_dir(s), "appendonly.aof.manifest")) as f:
        return f.read()


def test_writes_are_replayed_after_restart(binary):
    s = Server(binary, *AOF)
    r = s.redis()
    r.set("a", "1")
    r.set("ttl", "v", ex=1000)
    r.incrbyfloat("f", "1.5")
    r.sadd("s", "x", "y", "z")
    popped = r.spop("s")
    r.rpush("l", "a", "b", "c")
    r.blpop("l", 1)
    with r.pipeline(transaction=True) as p:
        p.incr("n").incr("n").execute()
    r.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('hset', KEYS[2], 'f', 'v')", 2,
           "e1", "e2", "val")
    r.execute_command("SELECT", 0)
    s2db = s.redis(db=2)
    s2db.set("in2", "yes")
    r.xadd("st", {"f": "v"})
    r.set("gone", "x", px=1)
    time.sleep(0.01)
    r.get("gone")  # expires lazily: logged as DEL
    s.stop()
    assert manifest(s) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                           "file appendonly.aof.1.incr.aof seq 1 type i\n")
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    assert r.get("a") == b"1" and r.get("f") == b"1.5"
    assert 990 < r.ttl("ttl") <= 1000
    assert popped not in r.smembers("s") and r.scard("s") == 2
    assert r.lrange("l", 0, -1) == [b"b", b"c"]
    assert r.get("n") == b"2" and r.get("e1") == b"val" and r.hget("e2", "f") == b"v"
    assert s2.redis(db=2).get("in2") == b"yes"
    assert r.xlen("st") == 1 and r.exists("gone") == 0
    assert "DB loaded from append only file" in s2.read_log()
    # redis-check-aof (Debian's, Redis 7.0) accepts the incremental file we wrote.
    if shutil.which("redis-check-aof"):
        incr = os.path.join(aof_dir(s), "appendonly.aof.1.incr.aof")
        res = subprocess.run(["redis-check-aof", incr], capture_output=True, text=True)
        assert res.returncode == 0 and "is valid" in res.stdout, res.stdout + res.stderr
    s2.stop()


def test_rewrite_replaces_the_files_and_keeps_writes_made_during_it(binary):
    s = Server(binary, *AOF, "--rdb-key-save-delay", "100", "--appendfsync", "always")
    r = s.redis()
    pipe = r.pipeline(transaction=False)
    for i in range(3000):
        pipe.set(f"k{i}", "before")
    pipe.execute()
    assert r.bgrewriteaof() is True
    assert r.info("persistence")["aof_rewrite_in_progress"] == 1
    pipe = r.pipeline(transaction=False)
    for i in range(3000):
        pipe.set(f"k{i}", "during")
    pipe.execute()
    while r.info("persistence")["aof_rewrite_in_progress"] == 1:
        time.sleep(0.05)
    info = r.info("persistence")
    assert info["aof_last_bgrewrite_status"] == "ok" and info["aof_rewrites"] == 1
    r.set("after", "1")
    assert manifest(s) == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                           "file appendonly.aof.2.incr.aof seq 2 type i\n")
    assert sorted(os.listdir(aof_dir(s))) == ["appendonly.aof.2.base.rdb",
                                              "appendonly.aof.2.incr.aof",
                                              "appendonly.aof.manifest"]
    s.stop(signal.SIGKILL)
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    assert set(r.mget([f"k{i}" for i in range(3000)])) == {b"during"}
    assert r.get("after") == b"1"
    s2.stop()


def test_bgrewriteaof_inside_exec_is_scheduled_then_run_by_the_cron(binary):
    # As Redis 7.2's bgrewriteaofCommand: inside EXEC the rewrite is only scheduled.
    s = Server(binary, *AOF)
    try:
        r = s.redis()
        c = s.connect()
        assert c.command("MULTI") == b"+OK\r\n"
        assert c.command("SET", "foo", "bar") == b"+QUEUED\r\n"
        assert c.command("BGREWRITEAOF") == b"+QUEUED\r\n"
        assert c.command("EXEC") == (b"*2\r\n+OK\r\n"
                                     b"+Background append only file rewriting scheduled\r\n")
        c.close()
        deadline = time.time() + 10
        while r.info("persistence")["aof_rewrites"] < 1:
            assert time.time() < deadline, "the scheduled rewrite ran"
            time.sleep(0.05)
        while r.info("persistence")["aof_rewrite_in_progress"] == 1:
            time.sleep(0.05)
        assert r.info("persistence")["aof_rewrite_scheduled"] == 0
        assert "appendonly.aof.2.base.rdb" in manifest(s)
        # Outside a transaction it starts at once.
        c = s.connect()
        assert c.command("BGREWRITEAOF") == b"+Background append only file rewriting started\r\n"
        c.close()
    finally:
        s.stop()


def hammer(port, name, acked, stop, times=None):
    """INCRs a counter of its own, recording every acknowledged value (and, given `times`,
    when each was acknowledged)."""
    c = redis.Redis(port=port, socket_timeout=5)
    try:
        while not stop.is_set():
            acked[name] = c.incr(name)
            if times is not None:
                times.setdefault(name, []).append((time.time(), acked[name]))
    except Exception:
        pass  # the server was killed


def kill_during_load(binary, rewrite):
    s = Server(binary, *AOF, "--appendfsync", "always")
    acked = {}
    stop = threading.Event()
    threads = [threading.Thread(target=hammer, args=(s.port, f"c{i}", acked, stop))
               for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    if rewrite:
        s.redis().bgrewriteaof()
        time.sleep(0.05)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    s.log.close()
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    lost = 0
    for name, value in acked.items():
        stored = int(r.get(name) or 0)
        if stored < value:
            lost += 1
    total = sum(acked.values())
    s2.stop()
    return lost, total


def test_always_loses_no_acknowledged_write_on_kill_9(binary):
    lost, total = kill_during_load(binary, rewrite=False)
    print(f"appendfsync always, kill -9: {total} acknowledged INCRs, {lost} counters behind")
    assert total > 100 and lost == 0


def test_always_loses_nothing_when_killed_during_a_rewrite(binary):
    lost, total = kill_during_load(binary, rewrite=True)
    print(f"kill -9 during BGREWRITEAOF: {total} acknowledged INCRs, {lost} counters behind")
    assert total > 100 and lost == 0


def test_everysec_loses_at_most_the_last_moments_on_kill_9(binary):
    s = Server(binary, *AOF, "--appendfsync", "everysec")
    acked = {}
    times = {}
    stop = threading.Event()

    threads = [threading.Thread(target=hammer, args=(s.port, f"e{i}", acked, stop, times))
               for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    killed_at = time.time()
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    s.log.close()
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    worst = 0.0
    for name, history in times.items():
        stored = int(r.get(name) or 0)
        # The oldest acknowledged value that did not survive: how long before the kill it was.
        lost = [t for t, v in history if v > stored]
        if lost:
            worst = max(worst, killed_at - min(lost))
    print(f"appendfsync everysec, kill -9: oldest lost acknowledgement {worst * 1000:.0f} ms "
          f"before the kill")
    assert worst < 2.0
    s2.stop()


def test_truncated_tail_is_cut_or_refused(binary):
    s = Server(binary, *AOF)
    r = s.redis()
    r.set("a", "1")
    r.set("b", "2")
    s.stop()
    incr = os.path.join(aof_dir(s), "appendonly.aof.1.incr.aof")
    good = os.path.getsize(incr)
    with open(incr, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$2\r\n3")  # cut mid-command
    res = subprocess.run([binary, "--port", "0", "--dir", s.dir, "--appendonly", "yes",
                          "--aof-load-truncated", "no"], capture_output=True, text=True,
                         timeout=20)
    assert res.returncode != 0 and "Unexpected end of file" in res.stdout
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    assert r.get("b") == b"2" and r.get("c") is None
    assert os.path.getsize(incr) == good  # cut back to the last whole command
    assert "aof-load-truncated is enabled" in s2.read_log()
    s2.stop()


def test_corrupt_aof_stops_the_start(binary):
    s = Server(binary, *AOF)
    s.redis().set("a", "1")
    s.stop()
    incr = os.path.join(aof_dir(s), "appendonly.aof.1.incr.aof")
    with open(incr, "ab") as f:
        f.write(b"garbage that is not RESP\r\n")
    res = subprocess.run([binary, "--port", "0", "--dir", s.dir, "--appendonly", "yes"],
                         capture_output=True, text=True, timeout=20)
    assert res.returncode != 0 and "Bad file format reading the append only file" in res.stdout
    # A length far past the file's end is a truncation, refused before any allocation (a
    # 60 GB buffer would have been asked for); with aof-load-truncated no it stops the start.
    good = open(incr, "rb").read().split(b"garbage")[0]
    with open(incr, "wb") as f:
        f.write(good + b"*2\r\n$3\r\nGET\r\n$60000000000\r\nab")
    res = subprocess.run([binary, "--port", "0", "--dir", s.dir, "--appendonly", "yes",
                          "--aof-load-truncated", "no"], capture_output=True, text=True,
                         timeout=20)
    assert res.returncode != 0 and "Unexpected end of file" in res.stdout, res.stdout[-500:]


def test_config_set_appendonly_at_run_time(binary):
    # always: every acknowledged write is in the file when the kill -9 comes.
    s = Server(binary, "--appendfsync", "always")
    r = s.redis()
    r.set("before", "1")
    assert r.config_set("appendonly", "yes") is True
    r.set("after", "2")
    assert r.info("persistence")["aof_enabled"] == 1
    # The first base is written in the background (as Redis): until it is complete no
    # manifest names the new files, so the kill waits for it.
    deadline = time.time() + 20
    while r.info("persistence")["aof_rewrite_in_progress"] or not os.path.exists(
            os.path.join(aof_dir(s), "appendonly.aof.manifest")):
        assert time.time() < deadline
        time.sleep(0.02)
    s.stop(signal.SIGKILL)
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    assert r.get("before") == b"1" and r.get("after") == b"2"
    assert r.config_set("appendonly", "no") is True
    r.set("unlogged", "x")
    s2.stop(signal.SIGKILL)
    s3 = Server(binary, *AOF, dir=s.dir)
    assert s3.redis().get("unlogged") is None
    s3.stop()


def test_redis6_single_file_is_upgraded(binary):
    s = Server(binary)
    s.stop()
    with open(os.path.join(s.dir, "appendonly.aof"), "wb") as f:
        f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$3\r\nyes\r\n")
    s2 = Server(binary, *AOF, dir=s.dir)
    r = s2.redis()
    assert r.get("old") == b"yes"
    r.set("new", "1")
    s2.stop()
    assert manifest(s2).startswith("file appendonly.aof seq 1 type b\n")
    s3 = Server(binary, *AOF, dir=s.dir)
    assert s3.redis().mget("old", "new") == [b"yes", b"1"]
    s3.stop()


def small_disk(size="1m"):
    """A tmpfs of `size` mounted for the test, or None when mounting is not allowed."""
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-full-")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", d],
                         capture_output=True)
    if res.returncode != 0:
        print("cannot mount a tmpfs here: skipped")
        return None
    return d


def unmount(d):
    subprocess.run(["umount", d], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def test_full_disk_stops_writes_and_keeps_good_files(binary):
    d = small_disk()
    if d is None:
        return
    try:
        s = Server(binary, *AOF, "--save", "3600 1", dir=d)
        r = s.redis()
        r.set("small", "1")
        assert r.save() is True
        good_rdb = open(os.path.join(d, "dump.rdb"), "rb").read()
        # Fill the disk with a file of our own, then write until the AOF cannot grow.
        with open(os.path.join(d, "filler"), "wb") as f:
            try:
                f.write(b"x" * (2 << 20))
            except OSError:
                pass
        error = None
        for i in range(2000):
            try:
                r.set(f"k{i}", "v" * 1000)
            except redis.ResponseError as e:
                error = str(e)
                break
            time.sleep(0.002)
        assert error is not None and error.startswith("MISCONF Errors writing to the AOF file"), error
        assert r.info("persistence")["aof_last_write_status"] == "err"
        assert r.get("small") == b"1"  # reads go on
        # A snapshot fails too, and never replaces the good file.
        r.bgsave()
        while r.info("persistence")["rdb_bgsave_in_progress"] == 1:
            time.sleep(0.05)
        assert r.info("persistence")["rdb_last_bgsave_status"] == "err"
        assert open(os.path.join(d, "dump.rdb"), "rb").read() == good_rdb
        assert not [n for n in os.listdir(d) if n.startswith("temp-")]
        # Space comes back: the AOF catches up and writes are accepted again.
        os.unlink(os.path.join(d, "filler"))
        deadline = time.time() + 10
        while time.time() < deadline and r.info("persistence")["aof_last_write_status"] != "ok":
            time.sleep(0.1)
        r.config_set("stop-writes-on-bgsave-error", "no")
        assert r.set("after", "1") is True
        s.stop()
        # What was acknowledged before the disk filled, and after, is all in the AOF.
        s2 = Server(binary, *AOF, dir=d)
        r = s2.redis()
        assert r.get("small") == b"1" and r.get("after") == b"1"
        res = subprocess.run(["redis-check-aof",
                              os.path.join(d, "appendonlydir", "appendonly.aof.1.incr.aof")],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stdout
        s2.stop()
    finally:
        unmount(d)


if __name__ == "__main__":
    run_tests(globals())
