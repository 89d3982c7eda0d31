"""The primary side of replication (server/replication/primary.h) on the real binary.

SYNC and PSYNC get a snapshot as one bulk and then the write log as it grows; the stream is
checked command by command, and the snapshot plus the stream must rebuild exactly the
primary's data (DEBUG DIGEST), also when writes land while the snapshot is being written.
When Redis 7.2.4 is built at /work/redis-724 (not part of CI), a real redis-server replica
syncs from us and follows."""
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Redis724, Server, have_redis_724, run_tests, wait_for  # noqa: E402

class Stream:
    """A replica's end of the link, read with a RawClient's buffer."""

    def __init__(self, client):
        self.c = client

    def read_bulk_payload(self):
        # Newlines may come first while the snapshot is prepared (Redis's keepalives).
        line = self.c._line()
        while line == b"":
            line = self.c._line()
        assert line.startswith(b"$"), line
        n = int(line[1:])
        while len(self.c.buf) < n:
            self.c._fill()
        payload, self.c.buf = self.c.buf[:n], self.c.buf[n:]
        return payload

    def command(self):
        line = self.c._line()
        assert line.startswith(b"*"), line
        args = []
        for _ in range(int(line[1:])):
            head = self.c._line()
            n = int(head[1:])
            while len(self.c.buf) < n + 2:
                self.c._fill()
            args.append(self.c.buf[:n])
            self.c.buf = self.c.buf[n + 2:]
        return [a.decode() for a in args]

    def commands(self, count):
        return [self.command() for _ in range(count)]


def attach(s):
    """SYNC as the Tcl suite and redis-cli --replica send it: an inline command."""
    c = s.connect()
    c.send(b"SYNC\r\n")
    return c, Stream(c)


def load_payload(binary, payload):
    """Starts a server on the snapshot bytes; the caller stops it."""
    d = tempfile.mkdtemp(prefix="tessera-it-sync-")
    with open(os.path.join(d, "dump.rdb"), "wb") as f:
        f.write(payload)
    return Server(binary, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes", dir=d)


def test_sync_sends_the_snapshot_then_every_write(binary):
    with Server(binary, "--repl-ping-replica-period", "3600") as s:
        r = s.redis()
        r.set("before", "1")
        c, stream = attach(s)
        payload = stream.read_bulk_payload()
        assert payload.startswith(b"REDIS0011"), payload[:9]
        r.set("foo", "bar")
        r.expire("foo", 100)
        r2 = s.redis(db=2)
        r2.set("k", "v")
        p = r.pipeline(transaction=True)
        p.set("x", "1")
        p.incr("x")
        p.execute()
        r.eval("redis.call('set', KEYS[1], 'a'); redis.call('del', KEYS[1])", 1, "s")
        r.set("nx", "1", nx=True)
        r.set("nx", "2", nx=True)  # changed nothing: not logged
        r.spop("nothing")  # changed nothing: not logged
        got = stream.commands(10)
        assert got[0] == ["SELECT", "0"], got
        assert got[1] == ["SET", "foo", "bar"], got
        assert got[2][0] == "PEXPIREAT" and got[2][1] == "foo", got
        assert abs(int(got[2][2]) - (time.time() + 100) * 1000) < 5000, got
        assert got[3:5] == [["SELECT", "2"], ["SET", "k", "v"]], got
        # Redis 7's form: the SELECT goes inside the transaction, after MULTI.
        assert got[5:10] == [["MULTI"], ["SELECT", "0"], ["SET", "x", "1"], ["INCRBY", "x", "1"],
                             ["EXEC"]], got
        assert stream.commands(4) == [["MULTI"], ["set", "s", "a"], ["del", "s"], ["EXEC"]]
        assert stream.command() == ["SET", "nx", "1", "NX"]
        c.close()


def test_snapshot_and_stream_rebuild_the_data_written_during_the_save(binary):
    with Server(binary, "--enable-debug-command", "yes", "--repl-ping-replica-period",
                "3600") as s:
        r = s.redis()
        p = r.pipeline(transaction=False)
        for i in range(2000):
            p.set("k%d" % i, "v%d" % i)
            p.rpush("l%d" % (i % 50), i)
        p.execute()
        # Slow the save down so that the writes below land while it runs.
        r.config_set("rdb-key-save-delay", "200")
        c, stream = attach(s)
        deadline = time.time() + 10
        while r.info("persistence")["rdb_bgsave_in_progress"] != 1:
            assert time.time() < deadline, "no save started"
            time.sleep(0.01)
        for i in range(300):
            r.set("k%d" % i, "new%d" % i)
            r.delete("l%d" % (i % 50))
            r.hset("h", "f%d" % i, i)
        r.set("marker", "end")
        r.config_set("rdb-key-save-delay", "0")
        payload = stream.read_bulk_payload()
        # A write after the snapshot arrived is past the save's point whatever the timing
        # (on a loaded machine all the writes above may precede the point).
        r.set("marker", "after")
        want = r.execute_command("DEBUG", "DIGEST")
        # Everything up to the last write, which is last in the stream too.
        replay = [stream.command()]
        while replay[-1] != ["SET", "marker", "after"]:
            replay.append(stream.command())
        with load_payload(binary, payload) as copy:
            db = 0
            for cmd in replay:
                if cmd[0].upper() == "SELECT":
                    db = int(cmd[1])
                    continue
                copy.redis(db=db).execute_command(*cmd)
            assert copy.redis().execute_command("DEBUG", "DIGEST") == want
        c.close()


def test_psync_answers_fullresync_with_the_offset_of_the_snapshot(binary):
    with Server(binary, "--repl-ping-replica-period", "3600") as s:
        r = s.redis()
        r.set("a", "1")
        c = s.connect()
        assert c.command("REPLCONF", "listening-port", "7777") == b"+OK\r\n"
        assert c.command("REPLCONF", "capa", "eof", "capa", "psync2") == b"+OK\r\n"
        c.send(b"*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")
        line = c._line().decode()
        parts = line.split()
        assert parts[0] == "+FULLRESYNC", line
        assert parts[1] == r.info("replication")["master_replid"], line
        start = int(parts[2])
        stream = Stream(c)
        assert stream.read_bulk_payload().startswith(b"REDIS0011")
        r.set("b", "2")
        assert stream.commands(2) == [["SELECT", "0"], ["SET", "b", "2"]]
        info = r.info("replication")
        assert info["connected_slaves"] == 1
        assert info["slave0"]["port"] == 7777 and info["slave0"]["state"] == "online", info
        # The offset the replica was given plus what it read is the primary's offset.
        read = len(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
        assert info["master_repl_offset"] == start + read, (info, start)
        # ACKs get no reply and show in INFO.
        c.send(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%d\r\n" % (
            len(str(start + read)), start + read))
        deadline = time.time() + 5
        while r.info("replication")["slave0"]["offset"] != start + read:
            assert time.time() < deadline
            time.sleep(0.01)
        assert c.buf == b""
        c.close()


def test_replica_client_is_listed_killed_and_not_counted(binary):
    with Server(binary) as s:
        r = s.redis()
        c, stream = attach(s)
        stream.read_bulk_payload()
        assert r.info("clients")["connected_clients"] == 1  # redis-py only
        replicas = [x for x in r.client_list() if x["flags"] == "S"]
        assert len(replicas) == 1 and replicas[0]["cmd"] == "sync", r.client_list()
        assert len(r.client_list(_type="replica")) == 1
        assert r.client_kill_filter(_type="slave") == 1
        assert c.closed_by_peer()
        deadline = time.time() + 5
        while r.info("replication")["connected_slaves"] != 0:
            assert time.time() < deadline
            time.sleep(0.01)


def test_replconf_errors_and_rdb_only(binary):
    with Server(binary) as s:
        c = s.connect()
        assert c.command("REPLCONF", "listening-port") == b"-ERR syntax error\r\n"
        assert c.command("REPLCONF", "listening-port", "x") == \
            b"-ERR value is not an integer or out of range\r\n"
        assert c.command("REPLCONF", "nope", "1") == b"-ERR Unrecognized REPLCONF option: nope\r\n"
        assert c.command("REPLCONF", "rdb-only", "2") == \
            b"-ERR value is out of range, value must between 0 and 1\r\n"
        assert c.command("REPLCONF") == b"+OK\r\n"
        assert c.command("PSYNC", "?", "x") == b"-ERR value is not an integer or out of range\r\n"
        assert c.command("MULTI") == b"+OK\r\n"
        assert c.command("SYNC") == b"-ERR Command not allowed inside a transaction\r\n"
        assert c.command("DISCARD") == b"+OK\r\n"
        # An ACK from a client that is not a replica: no reply at all.
        c.send(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n5\r\n")
        assert c.command("PING") == b"+PONG\r\n"
        # rdb-only: the snapshot, then the primary closes the link.
        assert c.command("REPLCONF", "rdb-only", "1") == b"+OK\r\n"
        s.redis().set("k", "v")
        c.send(b"SYNC\r\n")
        assert Stream(c).read_bulk_payload().startswith(b"REDIS0011")
        assert c.closed_by_peer()
        assert c.buf == b""


def test_hostile_replicas_are_bounded(binary):
    with Server(binary, "--repl-ping-replica-period", "3600") as s:
        r = s.redis()
        r.config_set("client-output-buffer-limit", "replica 1mb 0 0")
        # A replica that never reads: past the replica class's limit it is closed, and the
        # stream it was owed does not stay in memory.
        c = s.connect()
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send(b"SYNC\r\n")
        deadline = time.time() + 10
        while r.info("replication")["connected_slaves"] != 1:
            assert time.time() < deadline
            time.sleep(0.01)
        base = r.info("memory")["used_memory"]
        big = "x" * 100000
        for i in range(100):  # 10 MB through the log
            r.set("k%d" % (i % 10), big)
        deadline = time.time() + 10
        while r.info("replication")["connected_slaves"] != 0:
            assert time.time() < deadline, "the replica past its limit was not closed"
            time.sleep(0.01)
        # Its buffers go when its connection's close completes, a loop iteration later.
        while r.info("memory")["used_memory"] >= base + 4 * 1024 * 1024:
            assert time.time() < deadline, "the closed replica's stream stayed in memory"
            time.sleep(0.05)
        # Garbage around the handshake: errors, never a crash or a replica.
        junk = s.connect()
        assert junk.command("REPLCONF", "ip-address", "x" * 100000).startswith(
            b"-ERR REPLCONF ip-address provided by replica instance is too long")
        assert junk.command("PSYNC", "?", "99999999999999999999") == \
            b"-ERR value is not an integer or out of range\r\n"
        assert junk.command("SYNC", "extra") == \
            b"-ERR wrong number of arguments for 'sync' command\r\n"
        # Many replicas asking at once share one save or queue for the next.
        links = []
        for _ in range(20):
            l, st = attach(s)
            links.append((l, st))
        for _, st in links:
            assert st.read_bulk_payload().startswith(b"REDIS0011")
        assert r.info("replication")["connected_slaves"] == 20
        for l, _ in links:
            l.close()
        assert r.ping()


def test_redis_replica_syncs_and_follows(binary):
    if not have_redis_724():
        return
    with Server(binary, "--enable-debug-command", "yes") as s:
        r = s.redis()
        r.set("s", "v")
        r.hset("h", mapping={"a": "1", "b": "2"})
        r.zadd("z", {"m": 1.5})
        r.rpush("l", *range(100))
        r.xadd("x", {"f": "v"}, id="1-1")
        r.sadd("set", 1, 2, 3)
        r.set("ttl", "v", ex=1000)
        with Redis724("--replicaof", "127.0.0.1", str(s.port),
                      "--enable-debug-command", "yes") as redis_replica:
            port = redis_replica.port
            rr = redis_replica.redis()
            wait_for(lambda: rr.info("replication")["master_link_status"] == "up",
                     "the replica did not sync", timeout=20, interval=0.1)
            # Writes after the sync arrive through the stream.
            r.incrbyfloat("f", 1.5)
            r.spop("set")
            r.lpop("l", 3)
            s.redis(db=4).set("other", "db")
            r.expire("s", 500)
            want = r.execute_command("DEBUG", "DIGEST")
            deadline = time.time() + 10
            while rr.execute_command("DEBUG", "DIGEST") != want:
                assert time.time() < deadline, "the replica did not follow"
                time.sleep(0.05)
            assert r.info("replication")["slave0"]["port"] == port


if __name__ == "__main__":
    run_tests(globals())
