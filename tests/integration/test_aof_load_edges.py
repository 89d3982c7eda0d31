"""AOF start-up cases from Redis's own-mode suite: an increment-only AOF is not given a base of
its own data (a restart would replay it twice), a transaction cut off at the end of the file,
file names with blanks in the manifest, DEBUG AOF-FLUSH-SLEEP, expiries already past while
loading, aof-disable-auto-gc."""
import os
import subprocess
import time

from harness import Server, free_port, run_tests, wait_for


def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def make_aof(d, incr_bytes, name="appendonly.aof"):
    os.makedirs(os.path.join(d, "appendonlydir"), exist_ok=True)
    with open(os.path.join(d, "appendonlydir", name + ".1.incr.aof"), "wb") as f:
        f.write(incr_bytes)
    with open(os.path.join(d, "appendonlydir", name + ".manifest"), "w") as f:
        f.write("file %s.1.incr.aof seq 1 type i\n" % name)


def start_fails(binary, d, *args):
    """Runs the server on `d` expecting it to exit; returns its output."""
    p = subprocess.run([os.path.abspath(binary), "--port", str(free_port()), "--bind",
                        "127.0.0.1", "--save", "", *args], cwd=d, capture_output=True, text=True,
                       timeout=20)
    assert p.returncode != 0
    return p.stdout + p.stderr


def test_increments_without_base_are_replayed_once(binary):
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    make_aof(d, cmd("INCR", "n") * 5)
    for expected in (b"5", b"6", b"7"):
        s = Server(binary, "--appendonly", "yes", dir=d)
        r = s.redis()
        assert r.get("n") == expected
        r.incr("n")
        s.stop()
        with open(os.path.join(d, "appendonlydir", "appendonly.aof.manifest")) as f:
            assert f.read() == "file appendonly.aof.1.incr.aof seq 1 type i\n"


def test_unfinished_multi_is_cut_or_refused(binary):
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    good = cmd("SET", "foo", "hello")
    make_aof(d, good + cmd("MULTI") + cmd("SET", "bar", "world"))
    out = start_fails(binary, d, "--appendonly", "yes", "--aof-load-truncated", "no")
    assert "Unexpected end of file reading the append only file" in out.splitlines()[-1]
    s = Server(binary, "--appendonly", "yes", "--aof-load-truncated", "yes", dir=d)
    r = s.redis()
    assert r.get("foo") == b"hello" and r.get("bar") is None
    incr = os.path.join(d, "appendonlydir", "appendonly.aof.1.incr.aof")
    assert os.path.getsize(incr) == len(good)  # cut back to before the MULTI
    r.set("after", "1")
    s.stop()
    s = Server(binary, "--appendonly", "yes", dir=d)
    r = s.redis()
    assert r.get("after") == b"1" and r.get("bar") is None
    assert "Revert incomplete MULTI/EXEC transaction" in open(os.path.join(d, "server.log")).read()
    s.stop()


def test_file_names_with_blanks_are_quoted_in_the_manifest(binary):
    s = Server(binary, "--appendonly", "yes", "--appendfilename", "my aof")
    r = s.redis()
    r.set("k", "v")
    s.stop()
    with open(os.path.join(s.dir, "appendonlydir", "my aof.manifest")) as f:
        assert f.read() == ('file "my aof.1.base.rdb" seq 1 type b\n'
                            'file "my aof.1.incr.aof" seq 1 type i\n')
    s2 = Server(binary, "--appendonly", "yes", "--appendfilename", "my aof", dir=s.dir)
    assert s2.redis().get("k") == b"v"
    s2.stop()


def test_nothing_expires_while_the_aof_loads(binary):
    # As Redis (server.loading): a past PEXPIREAT sets the expiry instead of deleting, and the
    # next command finds the key, so the file's commands apply to the values they built; the
    # key expires once loading is over.
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    make_aof(d, cmd("RPUSH", "list", "foo") + cmd("PEXPIREAT", "list", "1000") +
             cmd("RPUSH", "list", "bar") + cmd("SET", "s", "v") + cmd("EXPIREAT", "s", "1") +
             cmd("APPEND", "s", "w") + cmd("RPUSH", "live", "a") +
             cmd("PEXPIREAT", "live", "99999999999999") + cmd("RPUSH", "live", "b"))
    s = Server(binary, "--appendonly", "yes", dir=d)
    r = s.redis()
    assert r.llen("list") == 0 and r.exists("s") == 0
    assert r.lrange("live", 0, -1) == [b"a", b"b"]
    assert r.pexpiretime("live") == 99999999999999
    s.stop()


def test_aof_disable_auto_gc_keeps_history_until_turned_off(binary):
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    s = Server(binary, "--appendonly", "yes", dir=d)
    r = s.redis()
    aof_dir = os.path.join(d, "appendonlydir")
    manifest = os.path.join(aof_dir, "appendonly.aof.manifest")

    def rewrite():
        r.set("k", "v")
        r.bgrewriteaof()
        wait_for(lambda: not r.info("persistence")["aof_rewrite_in_progress"], "rewrite done", 20)

    assert r.config_get("*auto-gc*") == {}  # hidden, as in Redis
    r.config_set("aof-disable-auto-gc", "yes")
    rewrite()
    rewrite()
    with open(manifest) as f:
        lines = f.read().splitlines()
    assert lines == ["file appendonly.aof.3.base.rdb seq 3 type b",
                     "file appendonly.aof.2.incr.aof seq 2 type h",
                     "file appendonly.aof.2.base.rdb seq 2 type h",
                     "file appendonly.aof.1.incr.aof seq 1 type h",
                     "file appendonly.aof.1.base.rdb seq 1 type h",
                     "file appendonly.aof.3.incr.aof seq 3 type i"], lines
    for name in ("appendonly.aof.1.base.rdb", "appendonly.aof.2.base.rdb",
                 "appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"):
        assert os.path.exists(os.path.join(aof_dir, name))
    r.config_set("aof-disable-auto-gc", "no")
    with open(manifest) as f:
        assert f.read() == ("file appendonly.aof.3.base.rdb seq 3 type b\n"
                            "file appendonly.aof.3.incr.aof seq 3 type i\n")
    assert sorted(os.listdir(aof_dir)) == ["appendonly.aof.3.base.rdb",
                                           "appendonly.aof.3.incr.aof",
                                           "appendonly.aof.manifest"]
    s.stop()
    s = Server(binary, "--appendonly", "yes", dir=d)
    assert s.redis().get("k") == b"v"
    s.stop()


def test_rewrite_with_the_aof_off_leaves_a_base_only(binary):
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    s = Server(binary, "--appendonly", "no", dir=d)
    r = s.redis()
    r.set("k", "v")
    r.bgrewriteaof()
    manifest = os.path.join(d, "appendonlydir", "appendonly.aof.manifest")
    deadline = time.time() + 20
    while r.info("persistence")["aof_rewrite_in_progress"] or not os.path.exists(manifest):
        assert time.time() < deadline
        time.sleep(0.02)
    with open(manifest) as f:
        assert f.read() == "file appendonly.aof.1.base.rdb seq 1 type b\n"
    assert sorted(os.listdir(os.path.join(d, "appendonlydir"))) == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.manifest"]
    # Turning the AOF on starts the next base and a first increment.
    r.config_set("appendonly", "yes")
    deadline = time.time() + 20
    while r.info("persistence")["aof_rewrite_in_progress"]:
        assert time.time() < deadline
        time.sleep(0.02)
    with open(manifest) as f:
        assert f.read() == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                            "file appendonly.aof.1.incr.aof seq 1 type i\n")
    s.stop()


def test_debug_aof_flush_sleep_delays_the_writes(binary):
    s = Server(binary, "--appendonly", "yes", "--enable-debug-command", "yes")
    r = s.redis()
    incr = os.path.join(s.dir, "appendonlydir", "appendonly.aof.1.incr.aof")
    r.set("a", "1")
    time.sleep(0.2)
    before = os.path.getsize(incr)
    assert r.execute_command("DEBUG", "AOF-FLUSH-SLEEP", 400000) == b"OK"
    time.sleep(0.3)  # the cron hands the setting to the writer
    # As in Redis, the sleep comes before the write, and the reply after the write: the SET
    # is answered only after the sleep, with its bytes in the file.
    started = time.time()
    r.set("b", "2")
    assert time.time() - started >= 0.35
    assert os.path.getsize(incr) > before
    r.execute_command("DEBUG", "AOF-FLUSH-SLEEP", 0)
    started = time.time()
    r.set("c", "3")
    assert time.time() - started < 0.35
    s.stop()


def test_a_script_in_the_aof_runs_its_commands(binary):
    # The script's redis.call commands run as the loader's (no -LOADING inside the replay), at
    # start-up and for DEBUG LOADAOF, as in Redis.
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    make_aof(d, cmd("SELECT", "9") +
             cmd("EVAL", "redis.call('set', KEYS[1], 'y'); return redis.call('ping')", "1", "x") +
             cmd("EVAL", "redis.call('incr', KEYS[1])", "1", "n"))
    s = Server(binary, "--appendonly", "yes", "--enable-debug-command", "yes", dir=d)
    r = s.redis(db=9)
    assert r.get("x") == b"y" and r.get("n") == b"1"
    r.set("x", "changed")
    assert r.execute_command("DEBUG", "LOADAOF") == b"OK"
    assert r.get("x") == b"changed" and r.get("n") == b"1"
    s.stop()


def loading_replies_during_debug_loadaof(binary, d, *args):
    """Runs DEBUG LOADAOF from one client while clients opened before it, all on its worker
    (io-threads 1), PING; returns the distinct replies they got, in order, and the server."""
    import threading
    s = Server(binary, "--appendonly", "yes", "--enable-debug-command", "yes", "--io-threads",
               "1", *args, dir=d)
    pingers = [s.connect() for _ in range(3)]
    loader = s.connect()
    loader.send(cmd("DEBUG", "LOADAOF"))
    replies = []
    done = threading.Event()

    def wait_loader():
        loader.sock.settimeout(60)
        replies.append(("loader", loader.read_reply()))
        done.set()

    t = threading.Thread(target=wait_loader)
    t.start()
    while not done.is_set():
        for p in pingers:
            got = p.command("PING")
            if not replies or replies[-1] != got:
                replies.append(got)
        time.sleep(0.01)
    t.join()
    return replies, s


def check_loading_then_ok(replies):
    # PINGs may be answered before the load starts; then -LOADING until the loader's OK.
    loading = b"-LOADING Redis is loading the dataset in memory\r\n"
    assert loading in replies, replies
    ok = replies.index(("loader", b"+OK\r\n"))
    assert replies.index(loading) < ok, replies
    assert all(r == b"+PONG\r\n" for r in replies[ok + 1:]), replies


def test_debug_loadaof_answers_loading_while_a_slow_script_replays(binary):
    # integration/aof "EVAL timeout with slow verbatim Lua script from AOF": the script runs
    # past lua-time-limit, and the other clients of the worker that runs DEBUG LOADAOF get
    # -LOADING from the script's hook until the load is over.
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    make_aof(d, b"")
    s = Server(binary, "--appendonly", "yes", dir=d)  # creates the base and the manifest
    s.stop()
    make_aof(d, cmd("SELECT", "9") + cmd(
        "EVAL", "redis.call('set', KEYS[1], 'y'); for i = 1, 600000 do redis.call('ping') end",
        "1", "x"))
    replies, s = loading_replies_during_debug_loadaof(binary, d, "--lua-time-limit", "1")
    check_loading_then_ok(replies)
    assert "Slow script detected" in s.read_log()
    assert s.redis(db=9).get("x") == b"y"
    assert s.connect().command("PING") == b"+PONG\r\n"
    s.stop()


def test_debug_loadaof_answers_loading_while_commands_replay(binary):
    # A long file of plain commands: the worker's other clients are served every 1024
    # commands, as Redis's loading loop processes events.
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    make_aof(d, b"")
    s = Server(binary, "--appendonly", "yes", dir=d)
    s.stop()
    make_aof(d, b"".join(cmd("SET", "k%d" % i, "v") for i in range(400000)))
    replies, s = loading_replies_during_debug_loadaof(binary, d)
    check_loading_then_ok(replies)
    assert s.redis().dbsize() == 400000
    s.stop()


def test_debug_loadaof_of_a_base_this_process_rewrote_is_not_quadratic(binary):
    # A base rewritten by this process lists its keys in this process's hash order; replayed
    # into tables that grow as keys come, they would crowd the first slots of each table and
    # every insert would probe a long run (seconds per 100k keys, growing with the square).
    # Tables are sized for the keys they held, so DEBUG LOADAOF takes about as long as the
    # start-up load of the same files (another process: another hash seed, random order).
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-")
    s = Server(binary, "--appendonly", "yes", "--aof-use-rdb-preamble", "no",
               "--enable-debug-command", "yes", dir=d)
    r = s.redis()
    r.execute_command("DEBUG", "POPULATE", "300000")
    r.bgrewriteaof()
    deadline = time.time() + 60
    while r.info("persistence")["aof_rewrite_in_progress"] or \
            r.info("persistence")["aof_rewrite_scheduled"]:
        assert time.time() < deadline
        time.sleep(0.05)
    t0 = time.time()
    assert r.execute_command("DEBUG", "LOADAOF") == b"OK"
    debug_load = time.time() - t0
    assert r.dbsize() == 300000 and r.get("key:299999") == b"value:299999"
    s.stop()
    t0 = time.time()
    s = Server(binary, "--appendonly", "yes", "--aof-use-rdb-preamble", "no", dir=d)
    startup_load = time.time() - t0
    assert s.redis().dbsize() == 300000
    s.stop()
    # Before the fix: about 10 s against 0.5 s.  A wide margin for a shared machine.
    assert debug_load < 4 * startup_load + 2, (debug_load, startup_load)


if __name__ == "__main__":
    run_tests(globals())
