"""RDB and DUMP payloads between Tessera and the reference redis-server (when installed).

(a) redis-server writes dump.rdb holding every type and encoding it has (created here with
    commands); Tessera's reader (tests/tools/rdb_tool), and the server at start-up, load it
    with the same contents and the OBJECT ENCODING Redis 7.2 reports after loading;
    redis-server's DUMP payloads RESTORE in Tessera likewise.
(b) Tessera DUMPs the same keys and redis-server RESTOREs them with the same contents.
(c) redis-check-rdb accepts a file Tessera's writer produced, and redis-server loads it with
    the contents the writer was given.
Debian ships redis 7.0 (RDB 10): it refuses RDB 11 files and payloads, and types 20 (set
listpack) and 21 (stream listpacks 3).  Against it, (b) rewrites each payload's footer to
version 10 and leaves out those types, and (c) writes a version-10 file without them.  Against
7.2 neither is needed.  Skipped when redis-server is not installed."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests  # noqa: E402

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
CHECK = shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb"


def rdb_tool(binary):
    tool = os.environ.get("RDB_TOOL")
    if not tool:
        tool = os.path.join(os.path.dirname(os.path.abspath(binary)), "tests", "rdb-tool")
    return tool


# ---- CRC64 (Redis's Jones polynomial, reflected) --------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x95AC9329AC4BC9B5 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc64(data):
    crc = 0
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA


def with_version(payload, version):
    body = payload[:-10] + version.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


# ---- The reference server --------------------------------------------------------------------

class Reference:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="tessera-ref-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "no",
             "--save", "", "--dir", self.dir, "--enable-debug-command", "yes"] + list(args),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        self.r = raw_client(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def raw_client(port):
    import redis
    r = redis.Redis(host="127.0.0.1", port=port)
    r.response_callbacks.clear()  # raw replies: the same shapes from both servers
    return r


def version_of(r):
    info = r.execute_command("INFO", "server")
    for line in info.decode().splitlines():
        if line.startswith("redis_version:"):
            return tuple(int(x) for x in line.split(":")[1].split("."))
    return (0, 0, 0)


# ---- The keys: every type and encoding, and what OBJECT ENCODING Redis 7.2 reports ----------

def populate(r, debug=True):
    """Creates the keys; returns {key: expected 7.2 encoding after a load or RESTORE}."""
    exp = {}
    c = r.execute_command
    c("SET", "s:int", "12345"); exp["s:int"] = "int"
    c("SET", "s:embstr", "hello", "PX", "100000000"); exp["s:embstr"] = "embstr"
    c("SET", "s:raw", "x" * 100); exp["s:raw"] = "raw"
    c("SET", "s:bin", bytes(range(256)) * 3); exp["s:bin"] = "raw"
    c("RPUSH", "l:small", "a", "1", "-7", "bcd"); exp["l:small"] = "listpack"
    c("RPUSH", "l:big", *["element-%d" % i for i in range(1000)]); exp["l:big"] = "quicklist"
    if debug:
        c("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000")
        c("RPUSH", "l:plain", "a", "p" * 2000, "b"); exp["l:plain"] = "quicklist"
        c("DEBUG", "QUICKLIST-PACKED-THRESHOLD", str(1 << 30))
    c("SADD", "set:int", "1", "-5", "70000", "9000000000"); exp["set:int"] = "intset"
    c("SADD", "set:manyint", *range(600)); exp["set:manyint"] = "hashtable"
    c("SADD", "set:str", "a", "b", "c12"); exp["set:str"] = "listpack"
    c("SADD", "set:big", *["member:%d" % i for i in range(200)]); exp["set:big"] = "hashtable"
    c("ZADD", "z:small", "1.5", "a", "-3", "b", "0.1", "c", "inf", "d"); exp["z:small"] = "listpack"
    c("ZADD", "z:big", *[x for i in range(200) for x in (i * 0.25 - 7, "m%d" % i)])
    exp["z:big"] = "skiplist"
    c("ZADD", "z:long", "1", "y" * 100); exp["z:long"] = "skiplist"
    c("HSET", "h:small", "f1", "v1", "n", "42"); exp["h:small"] = "listpack"
    c("HSET", "h:mid", *[x for i in range(200) for x in ("f%d" % i, "v%d" % i)])
    exp["h:mid"] = "listpack"  # hash-max-listpack-entries is 512
    c("HSET", "h:big", *[x for i in range(600) for x in ("f%d" % i, "v%d" % i)])
    exp["h:big"] = "hashtable"
    c("HSET", "h:long", "f", "v" * 100); exp["h:long"] = "hashtable"
    c("PEXPIRE", "h:small", "100000000")
    for i in range(1, 40):
        c("XADD", "x", "%d-%d" % (1000 + i, i % 3), "field", "v%d" % i, *(["o", "p"] * (i % 2)))
    c("XDEL", "x", "1005-2", "1020-0")
    c("XGROUP", "CREATE", "x", "g1", "0")
    c("XGROUP", "CREATE", "x", "g2", "$")
    c("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "x", ">")
    c("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "x", ">")
    c("XACK", "x", "g1", "1002-2")
    c("XGROUP", "CREATECONSUMER", "x", "g1", "carol")
    exp["x"] = "stream"
    c("XGROUP", "CREATE", "x:empty", "g", "$", "MKSTREAM"); exp["x:empty"] = "stream"
    return exp


def pairs(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def info_map(flat):
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in pairs(flat)}


def describe_stream(r, key):
    c = r.execute_command
    info = info_map(c("XINFO", "STREAM", key))
    entries = [(i, list(fv)) for i, fv in c("XRANGE", key, "-", "+")]
    groups = []
    for g in c("XINFO", "GROUPS", key):
        g = info_map(g)
        pel = [(p[0], p[1], p[3]) for p in c("XPENDING", key, g["name"], "-", "+", "1000")]
        consumers = sorted((info_map(x)["name"], info_map(x)["pending"])
                           for x in c("XINFO", "CONSUMERS", key, g["name"]))
        groups.append((g["name"], g["last-delivered-id"], g.get("entries-read"), pel, consumers))
    return {"entries": entries, "length": info["length"],
            "last_id": info["last-generated-id"], "entries_added": info.get("entries-added"),
            "max_deleted_id": info.get("max-deleted-entry-id"), "groups": sorted(groups)}


def describe(r, key):
    """(type, contents, absolute expiry or -1) from commands that both servers answer."""
    c = r.execute_command
    t = c("TYPE", key).decode() if isinstance(c("TYPE", key), bytes) else c("TYPE", key)
    if t == "string":
        v = c("GET", key)
    elif t == "list":
        v = c("LRANGE", key, "0", "-1")
    elif t == "set":
        v = sorted(c("SMEMBERS", key))
    elif t == "zset":
        v = [(m, float(s)) for m, s in pairs(c("ZRANGE", key, "0", "-1", "WITHSCORES"))]
    elif t == "hash":
        v = sorted(pairs(c("HGETALL", key)))
    else:
        v = describe_stream(r, key)
    return (t, v, c("PEXPIRETIME", key))


def from_tool(d):
    """rdb_tool's JSON line in describe()'s shape."""
    b = lambda s: s.encode("latin-1")  # noqa: E731
    t, v = d["type"], d["value"]
    if t == "string":
        v = b(v)
    elif t in ("list",):
        v = [b(x) for x in v]
    elif t == "set":
        v = sorted(b(x) for x in v)
    elif t == "zset":
        v = [(b(v[i]), float(v[i + 1])) for i in range(0, len(v), 2)]
    elif t == "hash":
        v = sorted((b(k), b(x)) for k, x in v.items())
    else:
        v = {"entries": [(b(i), [b(x) for x in fv]) for i, fv in v["entries"]],
             "length": v["length"], "last_id": b(v["last_id"]),
             "entries_added": v["entries_added"], "max_deleted_id": b(v["max_deleted_id"]),
             "groups": sorted((b(g["name"]), b(g["last_id"]),
                               None if g["entries_read"] < 0 else g["entries_read"],
                               [(b(i), b(cn), n) for i, cn, n in g["pel"]],
                               sorted((b(cn), n) for cn, n in g["consumers"]))
                              for g in v["groups"])}
    return (t, v, d["expire"])


def load_with_tool(binary, path):
    out = subprocess.run([rdb_tool(binary), "load", path], capture_output=True, timeout=60)
    text = out.stdout.decode()
    assert out.returncode == 0, text[-2000:]
    return {json.loads(line)["key"]: json.loads(line) for line in text.splitlines()}


def same(a, b, what):
    if a != b:
        raise AssertionError("%s differ:\n  %r\n  %r" % (what, a, b))


# ---- Tests -----------------------------------------------------------------------------------

def need_redis():
    if not os.path.exists(REDIS):
        print("  (redis-server not installed: skipped)")
        return False
    return True


def test_redis_rdb_file_loads_with_same_contents_and_encodings(binary):
    if not need_redis():
        return
    ref = Reference()
    try:
        exp = populate(ref.r)
        ref.r.execute_command("SELECT", "3")
        ref.r.execute_command("SET", "in-db-3", "v")
        ref.r.execute_command("SELECT", "0")
        ref.r.execute_command("SAVE")
        loaded = load_with_tool(binary, os.path.join(ref.dir, "dump.rdb"))
        same(sorted(loaded), sorted(list(exp) + ["in-db-3"]), "keys")
        assert loaded["in-db-3"]["db"] == 3
        for key, enc in exp.items():
            same(from_tool(loaded[key]), describe(ref.r, key), key)
            same(loaded[key]["encoding"], enc, key + " encoding")
    finally:
        ref.stop()


def test_tessera_starts_from_redis_dump_rdb(binary):
    """The same file, loaded by the server at start-up (dir/dbfilename)."""
    if not need_redis():
        return
    ref = Reference()
    try:
        exp = populate(ref.r)
        ref.r.execute_command("SAVE")
        d = tempfile.mkdtemp(prefix="tessera-load-")
        shutil.copy(os.path.join(ref.dir, "dump.rdb"), os.path.join(d, "dump.rdb"))
        with Server(binary, "--dir", d, "--dbfilename", "dump.rdb") as srv:
            t = raw_client(srv.port)
            same(t.execute_command("DBSIZE"), len(exp), "DBSIZE")
            for key, enc in exp.items():
                same(describe(t, key), describe(ref.r, key), key)
                same(t.execute_command("OBJECT", "ENCODING", key).decode(), enc, key + " encoding")
        shutil.rmtree(d, ignore_errors=True)
    finally:
        ref.stop()


def test_redis_dump_payloads_restore_in_tessera(binary):
    if not need_redis():
        return
    ref = Reference()
    try:
        with Server(binary) as srv:
            t = raw_client(srv.port)
            exp = populate(ref.r)
            for key, enc in exp.items():
                payload = ref.r.execute_command("DUMP", key)
                ttl = ref.r.execute_command("PEXPIRETIME", key)
                args = ["RESTORE", key, str(max(ttl, 0)), payload]
                if ttl > 0:
                    args.append("ABSTTL")
                assert t.execute_command(*args) == b"OK", key
                same(describe(t, key), describe(ref.r, key), key)
                same(t.execute_command("OBJECT", "ENCODING", key).decode(), enc, key + " encoding")
            # Corrupt payloads are refused, and the server keeps serving.
            payload = ref.r.execute_command("DUMP", "h:small")
            for i in range(len(payload) - 10):
                bad = bytearray(payload[:-10])
                bad[i] ^= 0x5A
                bad = with_version(bytes(bad) + payload[-10:], payload[-10])
                try:
                    t.execute_command("RESTORE", "corrupt", "0", bad, "REPLACE")
                except Exception as e:  # noqa: BLE001
                    assert "Bad data format" in str(e), e
            assert t.execute_command("PING") in (b"PONG", "PONG", True)
    finally:
        ref.stop()


def test_tessera_dump_payloads_restore_in_redis(binary):
    if not need_redis():
        return
    ref = Reference()
    try:
        with Server(binary, "--enable-debug-command", "yes") as srv:
            t = raw_client(srv.port)
            exp = populate(t)
            old = version_of(ref.r) < (7, 2, 0)
            restored = 0
            for key in exp:
                payload = t.execute_command("DUMP", key)
                if old:
                    if payload[0] > 19:  # set listpack / stream listpacks 3: not in 7.0
                        continue
                    payload = with_version(payload, 10)
                ttl = t.execute_command("PEXPIRETIME", key)
                args = ["RESTORE", key, str(max(ttl, 0)), payload]
                if ttl > 0:
                    args.append("ABSTTL")
                assert ref.r.execute_command(*args) == b"OK", key
                same(describe(ref.r, key), describe(t, key), key)
                restored += 1
            assert restored >= len(exp) - 4, restored
    finally:
        ref.stop()


def test_redis_check_rdb_accepts_tessera_files(binary):
    if not need_redis() or not os.path.exists(CHECK):
        return
    ref = Reference()
    version = 11 if version_of(ref.r) >= (7, 2, 0) else 10
    ref.stop()
    d = tempfile.mkdtemp(prefix="tessera-rdb-")
    try:
        path = os.path.join(d, "dump.rdb")
        out = subprocess.run([rdb_tool(binary), "write", path, str(version)], capture_output=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        written = {json.loads(line)["key"]: json.loads(line) for line in out.stdout.decode().splitlines()}
        assert len(written) >= 14, written.keys()
        check = subprocess.run([CHECK, path], capture_output=True, timeout=60)
        assert check.returncode == 0 and b"RDB looks OK" in check.stdout, check.stdout
        # redis-server loads the file with the contents the writer was given.
        ref = Reference("--dbfilename", "dump.rdb", "--dir", d)
        try:
            for key, d_ in written.items():
                same(describe(ref.r, key), from_tool(d_), key)
        finally:
            ref.proc.terminate()
            ref.proc.wait(10)
        # And Tessera's reader reads it back the same.
        loaded = load_with_tool(binary, path)
        same(sorted(loaded), sorted(written), "keys")
        for key in written:
            same(loaded[key], written[key], key)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run_tests(dict(globals()))
