"""RDB persistence end to end: SAVE, BGSAVE (fork-less and point-in-time), the final save at
shutdown, loading at start-up, DEBUG RELOAD, MISCONF, and refusing a corrupt file."""
import os
import shutil
import subprocess
import sys
import time

from harness import Server, run_tests


def fill_every_type(r):
    r.set("str", "hello")
    r.set("int", 12345)
    r.set("ttl", "v", ex=1000)
    r.rpush("list", *[f"e{i}" for i in range(5)])
    r.rpush("biglist", *[f"element-{i}" for i in range(2000)])
    r.sadd("intset", 1, 2, 3)
    r.sadd("set", "a", "b", "c")
    r.sadd("bigset", *[f"m{i}" for i in range(1000)])
    r.hset("hash", mapping={"f1": "v1", "f2": "v2"})
    r.hset("bighash", mapping={f"f{i}": f"v{i}" for i in range(1000)})
    r.zadd("zset", {"a": 1, "b": 2.5})
    r.zadd("bigzset", {f"m{i}": i for i in range(500)})
    r.xadd("stream", {"f": "v"}, id="1-1")
    r.xadd("stream", {"f": "w"}, id="2-1")
    r.xgroup_create("stream", "g", id="0")
    r.xreadgroup("g", "alice", {"stream": ">"}, count=1)
    r.pfadd("hll", "a", "b", "c")
    r.execute_command("SELECT", 5)


def snapshot_of(r):
    """Every key of db 0 with its type, encoding, TTL presence and contents."""
    out = {}
    for key in sorted(r.keys("*")):
        t = r.type(key).decode()
        enc = r.object("encoding", key)
        if t == "string":
            v = r.get(key)
        elif t == "list":
            v = r.lrange(key, 0, -1)
        elif t == "set":
            v = sorted(r.smembers(key))
        elif t == "hash":
            v = sorted(r.hgetall(key).items())
        elif t == "zset":
            v = r.zrange(key, 0, -1, withscores=True)
        elif t == "stream":
            v = (r.xrange(key), r.xinfo_groups(key), r.xpending(key, "g"))
        if key == b"hll":
            enc = None  # a short string loads as embstr, as in Redis
        out[key] = (t, enc, r.ttl(key) > 0, v)
    return out


def test_save_and_restart_keep_every_type(binary):
    s = Server(binary)
    r = s.redis()
    fill_every_type(r)
    r.execute_command("SELECT", 0)
    r2 = s.redis(db=3)
    r2.set("in-db-3", "x")
    r.execute_command("FUNCTION", "LOAD",
                      "#!lua name=lib\nredis.register_function('one', function() return 1 end)")
    before = snapshot_of(r)
    assert r.save() is True
    info = r.info("persistence")
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_saves"] == 1
    s.stop()
    s2 = Server(binary, dir=s.dir)
    r = s2.redis()
    assert snapshot_of(r) == before
    assert s2.redis(db=3).get("in-db-3") == b"x"
    assert r.execute_command("FCALL", "one", 0) == 1
    log = s2.read_log()
    assert "DB loaded from disk" in log and "Done loading RDB, keys loaded: 15" in log, log
    s2.stop()


def test_bgsave_is_point_in_time_and_keeps_serving(binary):
    s = Server(binary, "--rdb-key-save-delay", "200")
    r = s.redis()
    pipe = r.pipeline(transaction=False)
    for i in range(5000):
        pipe.set(f"k{i}", "old")
    pipe.execute()
    assert r.bgsave() is True
    # The save runs (slowed by rdb-key-save-delay) while every key is overwritten.
    assert r.info("persistence")["rdb_bgsave_in_progress"] == 1
    start = time.time()
    pipe = r.pipeline(transaction=False)
    for i in range(5000):
        pipe.set(f"k{i}", "new")
    pipe.set("after", "1")
    pipe.execute()
    assert time.time() - start < 5  # writes were served during the save
    # The keys those writes kept aside are the save's cost in memory, shown where Redis shows
    # its child's copy-on-write memory; the progress is the share of keys written.
    info = r.info("persistence")
    assert info["rdb_bgsave_in_progress"] == 1, "the save ended too soon to look at it"
    assert info["current_cow_size"] > 0
    assert info["current_cow_peak"] >= info["current_cow_size"]
    assert 0 <= info["current_fork_perc"] < 100
    assert info["current_save_keys_total"] == 5000
    while r.info("persistence")["rdb_bgsave_in_progress"] == 1:
        time.sleep(0.05)
    info = r.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["current_cow_size"] == 0 and info["current_fork_perc"] == 0
    assert info["rdb_last_cow_size"] >= 5000 * 4  # a key and its 3-byte value, at least
    assert r.get("k0") == b"new"
    s.stop(9)  # no final save: the file is the BGSAVE's
    s2 = Server(binary, dir=s.dir)
    r = s2.redis()
    assert r.dbsize() == 5000
    values = r.mget([f"k{i}" for i in range(5000)])
    assert set(values) == {b"old"}
    assert r.get("after") is None
    s2.stop()


def test_shutdown_saves_when_save_points_are_set(binary):
    s = Server(binary, "--save", "3600 1")
    r = s.redis()
    r.set("a", "1")
    s.stop()  # SIGTERM: the save points ask for a final save
    assert "Saving the final RDB snapshot before exiting." in s.read_log()
    s2 = Server(binary, "--save", "3600 1", dir=s.dir)
    r = s2.redis()
    assert r.get("a") == b"1"
    r.set("b", "2")
    try:
        r.shutdown(nosave=True)
    except Exception:
        pass
    s2.proc.wait(10)
    s3 = Server(binary, dir=s.dir)
    r = s3.redis()
    assert r.get("a") == b"1" and r.get("b") is None  # NOSAVE kept the old file
    r.set("c", "3")
    try:
        r.shutdown(save=True)
    except Exception:
        pass
    s3.proc.wait(10)
    s4 = Server(binary, dir=s.dir)
    assert s4.redis().get("c") == b"3"
    s4.stop()


def test_save_points_trigger_a_background_save(binary):
    s = Server(binary, "--save", "1 3")
    r = s.redis()
    for i in range(3):
        r.set(f"x{i}", i)
    deadline = time.time() + 10
    while time.time() < deadline and r.info("persistence")["rdb_changes_since_last_save"] != 0:
        time.sleep(0.1)
    info = r.info("persistence")
    assert info["rdb_changes_since_last_save"] == 0 and info["rdb_saves"] >= 1, info
    assert "3 changes in 1 seconds. Saving..." in s.read_log()
    s.stop(9)


def test_debug_reload_keeps_the_data(binary):
    s = Server(binary, "--enable-debug-command", "yes")
    r = s.redis()
    fill_every_type(r)
    r.execute_command("SELECT", 0)
    before = snapshot_of(r)
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert snapshot_of(r) == before
    s.stop()


def test_failed_bgsave_refuses_writes_with_misconf(binary):
    s = Server(binary, "--save", "3600 1")
    r = s.redis()
    r.set("a", "1")
    shutil.rmtree(s.dir)  # the working directory goes: the temp file cannot be created
    r.bgsave()
    while r.info("persistence")["rdb_bgsave_in_progress"] == 1:
        time.sleep(0.05)
    assert r.info("persistence")["rdb_last_bgsave_status"] == "err"
    try:
        r.set("b", "2")
        raise AssertionError("write accepted")
    except Exception as e:
        assert str(e).startswith("MISCONF Redis is configured to save RDB snapshots"), e
    assert r.get("a") == b"1"  # reads go on
    r.config_set("stop-writes-on-bgsave-error", "no")
    assert r.set("b", "2") is True
    s.proc.kill()
    s.proc.wait()


def test_corrupt_file_stops_the_start_and_is_kept(binary):
    s = Server(binary)
    r = s.redis()
    r.set("a", "1" * 100)
    r.save()
    s.stop()
    path = os.path.join(s.dir, "dump.rdb")
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(path, "wb").write(bytes(data))
    res = subprocess.run([binary, "--port", "0", "--dir", s.dir], capture_output=True, text=True,
                         timeout=20)
    assert res.returncode != 0
    assert "Fatal error loading the DB" in res.stdout + res.stderr
    assert open(path, "rb").read() == bytes(data)  # never rewritten


def test_clients_get_loading_until_the_dataset_is_in(binary):
    s = Server(binary)
    r = s.redis()
    pipe = r.pipeline(transaction=False)
    for i in range(20000):
        pipe.set(f"k{i}", "v")
    pipe.execute()
    r.save()
    s.stop()
    # 100 us per key: about two seconds of loading.
    port = __import__("harness").free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--dir", s.dir, "--save", "",
                             "--key-load-delay", "100"], stdout=subprocess.DEVNULL)
    import redis
    c = redis.Redis(port=port)
    seen_loading = seen_info = False
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if c.get("k1") == b"v":
                break
        except redis.BusyLoadingError as e:
            assert str(e) == "Redis is loading the dataset in memory"
            seen_loading = True
            info = c.info("persistence")  # INFO is allowed while loading
            if info["loading"] == 1 and "loading_loaded_perc" in info:
                seen_info = True
        except redis.ConnectionError:
            pass
        time.sleep(0.05)
    assert seen_loading and seen_info
    assert c.dbsize() == 20000
    proc.terminate()
    proc.wait()


def test_shutdown_on_sigterm_and_protected_configs(binary):
    s = Server(binary, "--save", "3600 1", "--shutdown-on-sigterm", "nosave")
    r = s.redis()
    r.set("a", "1")
    try:
        r.config_set("dir", "/tmp")
        raise AssertionError("protected config changed")
    except Exception as e:
        assert "can't set protected config" in str(e), e
    s.stop()  # SIGTERM with nosave: no final save
    assert not os.path.exists(os.path.join(s.dir, "dump.rdb"))
    s2 = Server(binary, "--shutdown-on-sigterm", "save", "--enable-protected-configs", "yes",
                dir=s.dir)
    r = s2.redis()
    r.set("b", "2")
    assert r.config_get("shutdown-on-sigterm") == {"shutdown-on-sigterm": "save"}
    assert r.config_set("dbfilename", "other.rdb") is True  # allowed now
    s2.stop()  # SIGTERM with save, though no save points are set
    assert os.path.exists(os.path.join(s.dir, "other.rdb"))


if __name__ == "__main__":
    run_tests(globals())
