"""The replica side of replication (server/replication/replica.h) on the real binary.

A Tessera replica of a Tessera primary (and, where Redis 7.2.4 is built at /work/redis-724,
of a real redis-server, with both of its snapshot formats) must hold exactly the primary's
data (DEBUG DIGEST) and offset, follow every write, refuse writes while read-only, expire
nothing by itself, reconnect after the link drops, and become a primary again on REPLICAOF
NO ONE.  A fake primary that sends garbage must leave it serving, never crashed or stuck."""
import os
import socket
import subprocess
import sys
import threading
import time

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Redis724, Server, free_port, have_redis_724, run_tests, wait_for  # noqa: E402


def link_up(r):
    return r.info("replication").get("master_link_status") == "up"


def same_data(primary, replica):
    want = primary.execute_command("DEBUG", "DIGEST")
    return replica.execute_command("DEBUG", "DIGEST") == want


def offsets_equal(primary, replica):
    return (primary.info("replication")["master_repl_offset"] ==
            replica.info("replication")["master_repl_offset"])


def fill(r):
    r.set("s", "v")
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.zadd("z", {"m": 1.5, "n": 2})
    r.rpush("l", *range(200))
    r.xadd("x", {"f": "v"}, id="1-1")
    r.sadd("set", 1, 2, 3, "four")
    r.set("ttl", "v", ex=1000)
    r.pfadd("hll", "a", "b")


def test_replica_syncs_follows_and_refuses_writes(binary):
    with Server(binary, "--enable-debug-command", "yes") as p, \
            Server(binary, "--enable-debug-command", "yes") as s:
        pr, sr = p.redis(), s.redis()
        fill(pr)
        sr.set("old", "gone after the sync")
        assert sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port)) == b"OK"
        wait_for(lambda: link_up(sr), "the replica did not sync")
        assert sr.get("old") is None
        # Writes after the sync, in several databases, a transaction and a script.
        pr.incrbyfloat("f", 1.5)
        pr.spop("set")
        pr.lpop("l", 3)
        p.redis(db=4).set("other", "db")
        with pr.pipeline(transaction=True) as t:
            t.incr("n").lpush("l", "x").expire("s", 500)
            t.execute()
        pr.eval("redis.call('set', KEYS[1], 'e'); redis.call('del', 'h')", 1, "ev")
        pr.xadd("x", {"g": "w"})
        # Commands far larger than a read: the master client's query buffer grows unbounded
        # by client-query-buffer-limit (a bound that overflowed once corrupted memory).
        for j in range(30):
            pr.mset({"big:%d:%d" % (j, i): "v" * (i % 200 + 1) for i in range(1000)})
        wait_for(lambda: same_data(pr, sr), "the replica did not follow")
        wait_for(lambda: offsets_equal(pr, sr), "the offsets differ")
        assert sr.get("ev") == b"e"
        assert s.redis(db=4).get("other") == b"db"
        # ROLE on both sides; the primary sees the replica's acknowledged offset.
        role = sr.execute_command("ROLE")
        assert role[0] == b"slave" and role[1] == b"127.0.0.1" and role[2] == p.port
        assert role[3] == b"connected" and role[4] == pr.info("replication")["master_repl_offset"]
        wait_for(lambda: pr.execute_command("ROLE")[2] ==
                 [[b"127.0.0.1", str(s.port).encode(),
                   str(pr.info("replication")["master_repl_offset"]).encode()]],
                 "the primary's ROLE does not show the replica's ACK")
        info = sr.info("replication")
        assert info["role"] == "slave" and info["master_port"] == p.port
        assert info["slave_repl_offset"] == info["master_repl_offset"]
        assert info["master_replid"] == pr.info("replication")["master_replid"]
        # The master client: flag M, type master; never answered.
        masters = sr.client_list(_type="master")
        assert len(masters) == 1 and masters[0]["flags"] == "M", masters
        # Read-only: writes refused with Redis's text, reads served, EXEC with a write too.
        try:
            sr.set("k", "v")
            raise AssertionError("a write on a read-only replica succeeded")
        except redis.ResponseError as e:
            assert str(e) == "You can't write against a read only replica.", str(e)
        readonly = b"READONLY You can't write against a read only replica.\r\n"
        raw = s.connect()
        assert raw.command("MULTI") == b"+OK\r\n"
        assert raw.command("SET", "k", "v") == b"-" + readonly  # refused, not queued
        assert raw.command("EXEC") == \
            b"-EXECABORT Transaction discarded because of previous errors.\r\n"
        # Queued while writable, run once read-only: EXEC itself is refused.
        sr.config_set("replica-read-only", "no")
        assert raw.command("MULTI") == b"+OK\r\n"
        assert raw.command("SET", "k", "v") == b"+QUEUED\r\n"
        sr.config_set("replica-read-only", "yes")
        assert raw.command("EXEC") == b"-EXECABORT Transaction discarded because of: " + readonly
        assert sr.get("k") is None
        # replica-read-only no: local writes allowed, and not sent anywhere.
        sr.config_set("replica-read-only", "no")
        sr.set("local", "1")
        assert pr.get("local") is None


def test_replica_expires_nothing_by_itself(binary):
    with Server(binary, "--enable-debug-command", "yes") as p, \
            Server(binary, "--enable-debug-command", "yes") as s:
        pr, sr = p.redis(), s.redis()
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        wait_for(lambda: link_up(sr), "the replica did not sync")
        pr.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        pr.set("short", "v", px=100)
        wait_for(lambda: sr.dbsize() == 1, "the key did not arrive")
        time.sleep(0.3)
        # Past its time: reads as missing on the replica, but stays until the primary's DEL.
        assert sr.get("short") is None
        assert sr.exists("short") == 0
        assert sr.dbsize() == 1
        assert pr.get("short") is None  # the primary expires it lazily, and sends DEL
        wait_for(lambda: sr.dbsize() == 0, "the primary's DEL did not arrive")


def test_replicaof_errors_and_stale_data(binary):
    with Server(binary) as s:
        r = s.redis()
        for bad in ("abc", "65536", "-1"):
            try:
                r.execute_command("REPLICAOF", "127.0.0.1", bad)
                raise AssertionError("port %s accepted" % bad)
            except redis.ResponseError as e:
                assert str(e) == "Invalid master port", str(e)
        assert r.info("replication")["role"] == "master"
        # NO ONE on a primary: OK, nothing changes.
        assert r.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        r.set("x", "1")
        dead = free_port()
        raw = s.connect()
        assert raw.command("SLAVEOF", "127.0.0.1", str(dead)) == b"+OK\r\n"
        assert raw.command("REPLICAOF", "127.0.0.1", str(dead)) == \
            b"+OK Already connected to specified master\r\n"
        assert r.config_get("replicaof") == {"replicaof": "127.0.0.1 %d" % dead}
        info = r.info("replication")
        assert info["master_link_status"] == "down"
        assert info["master_link_down_since_seconds"] == -1  # never up
        role = r.execute_command("ROLE")
        assert role[0] == b"slave" and role[4] == -1 and role[3] in (b"connect", b"connecting")
        assert r.get("x") == b"1"  # stale data served by default
        # SYNC from a would-be sub-replica while the link is down.
        assert s.connect().command("SYNC") == \
            b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"
        assert raw.command("MULTI") == b"+OK\r\n"
        assert raw.command("PING") == b"+QUEUED\r\n"
        r.config_set("replica-serve-stale-data", "no")
        masterdown = (b"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set "
                      b"to 'no'.\r\n")
        raw2 = s.connect()
        assert raw2.command("GET", "x") == b"-" + masterdown
        assert b"# Server" in raw2.command("INFO", "server")  # INFO is stale-allowed
        # A transaction whose commands are not all stale-allowed is discarded at EXEC.
        assert raw.command("EXEC") == b"-EXECABORT Transaction discarded because of: " + masterdown
        assert r.execute_command("REPLICAOF", "no", "one") == b"OK"
        assert r.info("replication")["role"] == "master"
        assert r.config_get("replicaof") == {"replicaof": ""}
        assert r.get("x") == b"1"


def test_blocked_clients_are_unblocked_when_the_server_becomes_a_replica(binary):
    with Server(binary) as s:
        blpop, wait = s.connect(), s.connect()
        blpop.send(b"BLPOP nothing 0\r\n")
        wait.command("SET", "k", "v")
        wait.send(b"WAIT 1 0\r\n")
        time.sleep(0.2)
        r = s.redis()
        assert r.info("clients")["blocked_clients"] >= 1
        r.execute_command("REPLICAOF", "127.0.0.1", str(free_port()))
        unblocked = (b"-UNBLOCKED force unblock from blocking operation, instance state changed "
                     b"(master -> replica?)\r\n")
        assert blpop.read_reply() == unblocked
        assert wait.read_reply() == unblocked
        assert blpop.closed_by_peer() and wait.closed_by_peer()
        r.execute_command("REPLICAOF", "NO", "ONE")


def test_replicaof_directive_and_config_rewrite(binary):
    dead = free_port()
    with Server(binary, config_text="slaveof 127.0.0.1 %d\n" % dead) as s:
        r = s.redis()
        assert r.config_get("replicaof") == {"replicaof": "127.0.0.1 %d" % dead}
        assert r.info("replication")["role"] == "slave"
        assert b"$4\r\nrole\r\n$7\r\nreplica\r\n" in s.connect().command("HELLO", "2")
        conf = os.path.join(s.dir, "tessera.conf")
        assert r.execute_command("CONFIG", "REWRITE") == b"OK"
        assert "replicaof 127.0.0.1 %d\n" % dead in open(conf).read()
        r.execute_command("REPLICAOF", "NO", "ONE")
        assert r.execute_command("CONFIG", "REWRITE") == b"OK"
        text = open(conf).read()
        assert "replicaof" not in text and "slaveof" not in text, text
    # Start-up errors, as Redis words them.
    for args, err in ((["--replicaof", "127.0.0.1", "abc"], "Invalid master port"),
                      (["--replicaof", "127.0.0.1"], "wrong number of arguments")):
        out = subprocess.run([binary, "--port", str(free_port()), *args], capture_output=True,
                             text=True, timeout=10)
        assert out.returncode != 0 and err in out.stdout + out.stderr, out


def get_unless_loading(r, key):
    """GET, or None while the server answers -LOADING (a replica loading a full sync)."""
    try:
        return r.get(key)
    except redis.exceptions.BusyLoadingError:
        return None


def test_link_drop_reconnects_and_no_one_promotes(binary):
    with Server(binary, "--enable-debug-command", "yes") as p, \
            Server(binary, "--enable-debug-command", "yes") as s:
        pr, sr = p.redis(), s.redis()
        fill(pr)
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        wait_for(lambda: link_up(sr), "the replica did not sync")
        # The primary drops the replica: it reconnects by itself and resyncs.
        assert pr.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
        wait_for(lambda: "Connection with master lost" in s.read_log(), "no loss logged")
        pr.set("after", "drop")
        wait_for(lambda: link_up(sr) and same_data(pr, sr), "no resync after the drop")
        # A sub-replica of the replica follows the chain.
        with Server(binary, "--enable-debug-command", "yes") as sub:
            subr = sub.redis()
            subr.execute_command("REPLICAOF", "127.0.0.1", str(s.port))
            wait_for(lambda: link_up(subr), "the sub-replica did not sync")
            pr.set("chain", "1")
            wait_for(lambda: subr.get("chain") == b"1", "the chain did not follow")
            # Promotion: the replica keeps its data, takes writes, continues the offset.
            old_replid = pr.info("replication")["master_replid"]
            offset = sr.info("replication")["master_repl_offset"]
            assert sr.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
            info = sr.info("replication")
            assert info["role"] == "master"
            assert info["master_replid2"] == old_replid
            assert info["second_repl_offset"] == offset + 1
            assert info["master_repl_offset"] >= offset
            assert sr.get("chain") == b"1"
            sr.set("new", "primary")
            # Its own replica was disconnected, resyncs and gets the new writes (answering
            # -LOADING while it loads the new snapshot, as a Redis replica does).
            wait_for(lambda: get_unless_loading(subr, "new") == b"primary",
                     "the sub-replica did not resync")
            assert "MASTER MODE enabled" in s.read_log()


def test_wait_and_min_replicas_to_write(binary):
    with Server(binary, "--enable-debug-command", "yes") as p, \
            Server(binary, "--enable-debug-command", "yes") as s:
        pr, sr = p.redis(), s.redis()
        assert pr.execute_command("WAIT", "0", "0") == 0
        start = time.time()
        assert pr.execute_command("WAIT", "1", "200") == 0  # no replica: the timeout answers
        assert time.time() - start >= 0.19
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        wait_for(lambda: link_up(sr), "the replica did not sync")
        for i in range(20):
            pr.set("k%d" % i, "v")
            # Answered by the replica's ACK to REPLCONF GETACK, well before the timeout.
            assert pr.execute_command("WAIT", "1", "5000") == 1
            assert sr.get("k%d" % i) == b"v"
        start = time.time()
        assert pr.execute_command("WAIT", "2", "300") == 1  # only one replica exists
        assert time.time() - start >= 0.29
        # A blocked WAIT whose client leaves is forgotten; errors as Redis's.
        raw = p.connect()
        raw.send(b"WAIT 5 0\r\n")
        raw.close()
        for args, err in ((("x", "0"), "value is not an integer or out of range"),
                          (("1", "-1"), "timeout is negative")):
            try:
                pr.execute_command("WAIT", *args)
                raise AssertionError("WAIT %s accepted" % (args,))
            except redis.ResponseError as e:
                assert str(e) == err, str(e)
        try:
            sr.execute_command("WAIT", "1", "0")
            raise AssertionError("WAIT on a replica accepted")
        except redis.ResponseError as e:
            assert str(e).startswith("WAIT cannot be used with replica instances"), str(e)
        # Inside MULTI, WAIT answers at once.
        with pr.pipeline(transaction=True) as t:
            t.set("m", "1").execute_command("WAIT", "5", "0")
            assert t.execute()[1] in (0, 1)
        # min-replicas-to-write: writes (and writing scripts) refused without enough replicas.
        pr.config_set("min-replicas-to-write", "2")
        assert pr.info("replication")["min_slaves_good_slaves"] == 1
        for call in (lambda: pr.set("x", "1"),
                     lambda: pr.eval("#!lua\nreturn redis.call('get', 'x')", 0),
                     lambda: pr.eval("return redis.call('set', 'x', '1')", 0)):
            try:
                call()
                raise AssertionError("a write went through without enough replicas")
            except redis.ResponseError as e:
                assert "NOREPLICAS Not enough good replicas to write." in str(e), str(e)
        assert pr.eval("#!lua flags=no-writes\nreturn redis.call('get', 'k1')", 0) == b"v"
        pr.config_set("min-replicas-to-write", "1")
        assert pr.set("x", "1")


def fake_primary(script):
    """A listener that serves one replica: answers the handshake, then sends `script`."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except socket.timeout:
                continue
            except OSError:  # closed by the test
                return
            c.settimeout(5)
            try:
                buf = b""
                while b"PSYNC" not in buf:  # "+OK" to each handshake command until PSYNC
                    data = c.recv(4096)
                    if not data:
                        break
                    buf += data
                    if b"PSYNC" not in data:
                        c.sendall(b"+OK\r\n" * data.count(b"*"))
                c.sendall(script)
                time.sleep(0.3)
            except OSError:
                pass
            finally:
                c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return port, stop, srv


def test_a_hostile_primary_leaves_the_replica_serving(binary):
    bad = [
        b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$100\r\n" + b"x" * 100,  # not an RDB
        b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$-5\r\n",
        b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$abc\r\n",
        b"+FULLRESYNC\r\n",
        b"-ERR go away\r\n-ERR no sync either\r\n",
        b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$EOF:" + b"m" * 40 + b"\r\nREDIS0011" + b"m" * 40,
        b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$999999999\r\nREDIS",  # then the link closes
    ]
    with Server(binary) as s:
        r = s.redis()
        r.set("mine", "1")
        for script in bad:
            port, stop, srv = fake_primary(script)
            try:
                r.execute_command("REPLICAOF", "127.0.0.1", str(port))
                time.sleep(1.5)
                assert r.ping()
                assert r.info("replication")["master_link_status"] == "down"
                assert r.info("persistence")["loading"] == 0
            finally:
                r.execute_command("REPLICAOF", "NO", "ONE")
                stop.set()
                srv.close()
        log = s.read_log()
        assert "Bad protocol from MASTER" in log or "MASTER aborted" in log, log[-2000:]
        assert "Failed trying to load the MASTER synchronization DB" in log
        # The server still works, and a write goes through.
        r.set("after", "1")
        assert r.get("after") == b"1"


def test_masterauth(binary):
    with Server(binary, "--requirepass", "secret", "--enable-debug-command", "yes") as p, \
            Server(binary, "--enable-debug-command", "yes") as s:
        pr = p.redis(password="secret")
        pr.set("a", "1")
        sr = s.redis()
        sr.config_set("masterauth", "wrong")
        sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
        wait_for(lambda: "Unable to AUTH to MASTER" in s.read_log(), "no AUTH failure logged")
        assert not link_up(sr)
        sr.config_set("masterauth", "secret")
        wait_for(lambda: link_up(sr), "the replica did not sync with the right password")
        assert sr.get("a") == b"1"


def test_replica_of_redis_724_both_snapshot_formats(binary):
    if not have_redis_724():
        return
    for diskless in ("yes", "no"):
        with Redis724("--enable-debug-command", "yes", "--repl-diskless-sync", diskless,
                      "--repl-diskless-sync-delay", "0") as redis_server:
            port = redis_server.port
            pr = redis_server.redis()
            fill(pr)
            with Server(binary, "--enable-debug-command", "yes") as s:
                sr = s.redis()
                sr.execute_command("REPLICAOF", "127.0.0.1", str(port))
                wait_for(lambda: link_up(sr), "no sync from redis (diskless %s)" % diskless)
                pr.incrbyfloat("f", 2.5)
                pr.spop("set")
                pr.blpop("l", 1)
                redis.Redis(port=port, db=3).set("db3", "v")
                with pr.pipeline(transaction=True) as t:
                    t.incr("n").set("m", "v", px=100000)
                    t.execute()
                pr.eval("redis.call('set', 'scripted', ARGV[1])", 0, "x")
                wait_for(lambda: same_data(pr, sr), "did not follow redis (diskless %s)" % diskless)
                wait_for(lambda: offsets_equal(pr, sr), "offsets differ (diskless %s)" % diskless)
                # WAIT: Redis asks for an ACK (REPLCONF GETACK) and gets ours.
                assert pr.execute_command("WAIT", "1", "5000") == 1
                log = s.read_log()
                if diskless == "yes":
                    assert "receiving streamed RDB from master with EOF to disk" in log
                else:
                    assert "bytes from master to disk" in log


if __name__ == "__main__":
    run_tests(globals())
