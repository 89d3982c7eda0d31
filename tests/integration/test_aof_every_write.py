"""Every write command, logged and replayed: a script that runs each write command of the
command table in a form that changes something, then a restart from the AOF must give the
same dataset (DEBUG DIGEST), and a restart from an RDB snapshot too.  A write whose effect
is not logged, or logged in a form that replays differently, fails here."""
import redis

from harness import Server, run_tests

SCRIPT = [
    ("SET", "s", "v"), ("SET", "s2", "v", "EX", "1000"), ("SET", "s3", "v", "GET"),
    ("SETNX", "s4", "v"), ("SETEX", "s5", "1000", "v"), ("PSETEX", "s6", "100000", "v"),
    ("GETSET", "s", "w"), ("GETDEL", "s4"), ("GETEX", "s3", "EX", "500"), ("GETEX", "s3", "PERSIST"),
    ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m3", "3", "m4", "4"), ("APPEND", "s", "xyz"),
    ("SETRANGE", "s", "1", "AB"), ("INCR", "m1"), ("DECR", "m2"), ("INCRBY", "m3", "10"),
    ("DECRBY", "m4", "3"), ("INCRBYFLOAT", "f", "1.25"), ("SETBIT", "b", "7", "1"),
    ("BITFIELD", "b", "SET", "u8", "8", "200", "INCRBY", "u8", "8", "100"),
    ("BITOP", "OR", "b2", "b", "s"), ("PFADD", "hll", "a", "b", "c"), ("PFADD", "hll2", "c", "d"),
    ("PFMERGE", "hll3", "hll", "hll2"),
    ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("LPUSH", "l", "z"), ("LPUSHX", "l", "y"),
    ("RPUSHX", "l", "g"), ("LINSERT", "l", "BEFORE", "c", "bb"), ("LSET", "l", "0", "Y"),
    ("LREM", "l", "1", "a"), ("LTRIM", "l", "0", "7"), ("LPOP", "l"), ("RPOP", "l", "1"),
    ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l2"), ("BLPOP", "l", "1"),
    ("BRPOP", "l", "1"), ("BLMOVE", "l", "l2", "LEFT", "LEFT", "1"),
    ("BRPOPLPUSH", "l2", "l", "1"), ("LMPOP", "2", "l", "l2", "LEFT", "COUNT", "1"),
    ("BLMPOP", "1", "1", "l2", "RIGHT"),
    ("SADD", "set", "a", "b", "c", "d", "1"), ("SREM", "set", "d"), ("SMOVE", "set", "set2", "a"),
    ("SPOP", "set"), ("SADD", "set", "p", "q", "r", "s"), ("SPOP", "set", "2"),
    ("SADD", "set3", "b", "c", "x"), ("SINTERSTORE", "si", "set", "set3"),
    ("SUNIONSTORE", "su", "set", "set3"), ("SDIFFSTORE", "sd", "set3", "set"),
    ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HMSET", "h", "d", "4"), ("HSETNX", "h", "e", "5"),
    ("HDEL", "h", "a"), ("HINCRBY", "h", "b", "5"), ("HINCRBYFLOAT", "h", "c", "0.5"),
    ("HEXPIRE", "h", "1000", "FIELDS", "1", "d"), ("HPEXPIRE", "h", "900000", "FIELDS", "1", "e"),
    ("HPERSIST", "h", "FIELDS", "1", "e"), ("HEXPIREAT", "h", "4000000000", "FIELDS", "1", "b"),
    ("HPEXPIREAT", "h", "4000000000000", "FIELDS", "1", "c"),
    ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("ZINCRBY", "z", "2.5", "a"),
    ("ZREM", "z", "e"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "1"), ("BZPOPMIN", "z", "1"),
    ("BZPOPMAX", "z", "1"), ("ZADD", "z", "1", "x", "2", "y", "3", "w", "4", "v"),
    ("ZMPOP", "1", "z", "MIN"), ("BZMPOP", "1", "1", "z", "MAX", "COUNT", "1"),
    ("ZADD", "z2", "1", "x", "9", "q"), ("ZUNIONSTORE", "zu", "2", "z", "z2"),
    ("ZINTERSTORE", "zi", "2", "z", "z2"), ("ZDIFFSTORE", "zd", "2", "z2", "z"),
    ("ZRANGESTORE", "zr", "z2", "0", "-1"), ("ZADD", "z3", "0", "a", "0", "b", "0", "c", "0", "d"),
    ("ZREMRANGEBYLEX", "z3", "[a", "[b"), ("ZADD", "z4", "1", "a", "2", "b", "3", "c"),
    ("ZREMRANGEBYSCORE", "z4", "1", "1"), ("ZREMRANGEBYRANK", "z4", "0", "0"),
    ("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gr"),
    ("GEORADIUSBYMEMBER", "g", "Palermo", "300", "km", "STOREDIST", "grd"),
    ("GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km"),
    ("XADD", "x", "*", "f", "v"), ("XADD", "x", "MAXLEN", "~", "100", "*", "f", "w"),
    ("XADD", "x", "*", "f", "u"), ("XDEL", "x", "0-1"), ("XTRIM", "x", "MAXLEN", "2"),
    ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATECONSUMER", "x", "g", "c0"),
    ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "x", ">"),
    ("XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", "x", ">"),
    ("XGROUP", "CREATE", "x", "g2", "$", "MKSTREAM"), ("XGROUP", "SETID", "x", "g2", "0"),
    ("XREADGROUP", "GROUP", "g2", "c9", "STREAMS", "x", ">"),
    ("XCLAIM", "x", "g2", "c8", "0", "0-0", "FORCE"), ("XAUTOCLAIM", "x", "g2", "c7", "0", "0"),
    ("XACK", "x", "g", "0-0"), ("XGROUP", "DELCONSUMER", "x", "g", "c0"),
    ("XGROUP", "CREATE", "x", "gone", "0"), ("XGROUP", "DESTROY", "x", "gone"),
    ("XSETID", "x", "99999999999999-0"),
    ("SORT", "l2", "ALPHA", "STORE", "sorted"), ("COPY", "h", "hcopy"), ("RENAME", "m1", "m1r"),
    ("RENAMENX", "m2", "m2r"), ("MOVE", "m3", "4"), ("EXPIRE", "m4", "1000"),
    ("PEXPIRE", "m2r", "900000"), ("EXPIREAT", "m1r", "4000000000"),
    ("PEXPIREAT", "hcopy", "4000000000000"), ("PERSIST", "hcopy"), ("DEL", "sd"),
    ("UNLINK", "zd"), ("SWAPDB", "4", "5"),
    ("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])", "2",
     "ev1", "ev2", "val"),
    ("FUNCTION", "LOAD", "#!lua name=wl\nredis.register_function('wf', function(k) "
     "return redis.call('sadd', k[1], 'fm') end)"),
    ("FCALL", "wf", "1", "fset"),
    ("RESTORE", "restored", "0",
     None),  # filled in with a DUMP payload of "h"
]


def run_script(r):
    r.response_callbacks.clear()  # raw replies: redis-py's GEO callbacks want its own options
    for cmd in SCRIPT:
        if None in cmd:
            payload = r.execute_command("DUMP", "h")
            cmd = tuple(payload if a is None else a for a in cmd)
        try:
            r.execute_command(*cmd)
        except redis.ResponseError as e:
            raise AssertionError(f"{cmd[0]} failed: {e}")
    with r.pipeline(transaction=True) as p:
        p.set("tx1", "a").incr("tx2").lpush("tx3", "x").execute()


def digest_all(r):
    out = []
    for db in (0, 4, 5):
        r.execute_command("SELECT", db)
        out.append((db, r.execute_command("DEBUG", "DIGEST"), r.dbsize()))
    r.execute_command("SELECT", 0)
    return out


def test_every_write_replays_to_the_same_dataset(binary):
    s = Server(binary, "--appendonly", "yes", "--appendfsync", "always",
               "--enable-debug-command", "yes")
    r = redis.Redis(port=s.port, single_connection_client=True)
    run_script(r)
    before = digest_all(r)
    assert before[0][2] > 40  # a real dataset
    functions = r.execute_command("FUNCTION", "LIST")
    r.close()
    s.stop()
    s2 = Server(binary, "--appendonly", "yes", "--enable-debug-command", "yes", dir=s.dir)
    r = redis.Redis(port=s2.port, single_connection_client=True)
    assert digest_all(r) == before
    assert r.execute_command("FUNCTION", "LIST") == functions
    # The same dataset through an RDB snapshot (SAVE, restart without the AOF).
    assert r.save() is True
    r.close()
    s2.stop()
    s3 = Server(binary, "--enable-debug-command", "yes", dir=s.dir)
    r = redis.Redis(port=s3.port, single_connection_client=True)
    assert digest_all(r) == before
    r.close()
    s3.stop()


if __name__ == "__main__":
    run_tests(globals())
