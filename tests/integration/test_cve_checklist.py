"""The CVE checklist of shared/reference/bad-inputs-and-errors.md section 1, as tests (issue 13).

Every pattern there that applies to a feature we have is sent to the real binary: numeric
extremes, declared lengths, glob blow-ups, type confusion, duplicate arguments, serialized
input (RESTORE with a valid checksum), ACL rules and selectors, key extraction, Lua, the
unauthenticated surface and the accept loop.  For each case the test checks:
  - the exact replies Redis 7.2.4 gives (recorded in cve_checklist_replies.json by running
    this file with --record against the reference redis-server, started with
    `sanitize-dump-payload yes` so that it validates RESTORE payloads as deeply as we always do);
  - that the server still answers PING afterwards (no crash, no hang);
  - that the case took bounded time and resident memory stayed within RSS_SLACK_KB.

Cases whose inputs touch protocol framing or connections (declared lengths, unauthenticated
clients, the accept loop) are separate tests below, as they cannot be expressed as commands.

  python3 test_cve_checklist.py build/tessera-server
  python3 test_cve_checklist.py --record /work/redis-724/src/redis-server   # re-record
"""
import hashlib
import json
import re
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_FILE = os.path.join(HERE, "cve_checklist_replies.json")
RSS_SLACK_KB = 48 * 1024
CASE_SECONDS = 5.0

LLONG_MAX = "9223372036854775807"
LLONG_MIN = "-9223372036854775808"
ULLONG_MAX = "18446744073709551615"
BIG_NUMBERS = [LLONG_MIN, LLONG_MAX, "-1", "0", "2147483648", "4294967296", "-2147483649"]


# ---- serialized values with a valid checksum ----

def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected), as DUMP payloads carry it."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def seal(body, version=11):
    """A DUMP payload: the body, the RDB version, and the checksum of both."""
    body += struct.pack("<H", version)
    return body + struct.pack("<Q", crc64(body))


def rdb_string(b):
    assert len(b) < 16384
    if len(b) < 64:
        return bytes([len(b)]) + b
    return bytes([0x40 | (len(b) >> 8), len(b) & 0xFF]) + b


def lp_entry(s):
    if isinstance(s, int):
        assert 0 <= s < 128
        e = bytes([s])
    else:
        assert len(s) < 64
        e = bytes([0x80 | len(s)]) + s
    return e + bytes([len(e)])


def listpack(items, count=None, total_delta=0):
    body = b"".join(lp_entry(s) for s in items)
    total = 6 + len(body) + 1 + total_delta
    return struct.pack("<IH", total, len(items) if count is None else count) + body + b"\xff"


def intset(members, width=2):
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(members)) + b"".join(struct.pack(fmt, m) for m in members)


TYPE_SET_INTSET = 11
TYPE_HASH_LISTPACK = 16
TYPE_ZSET_LISTPACK = 17
TYPE_SET_LISTPACK = 20


def payload(type_byte, blob, version=11):
    return seal(bytes([type_byte]) + rdb_string(blob), version)


def stream_with_shared_nack(client):
    """DUMP of a stream whose group's PEL entries are each owned by one consumer, then edited
    so both consumers own the first entry and nobody owns the second (CVE-2026-63639's shape),
    with the checksum fixed up."""
    client.command("DEL", "src")
    client.command("XADD", "src", "1-1", "f", "v")
    client.command("XADD", "src", "2-2", "f", "v")
    client.command("XGROUP", "CREATE", "src", "g", "0")
    client.command("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "src", ">")
    client.command("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "src", ">")
    raw = client.command("DUMP", "src")
    header, rest = raw.split(b"\r\n", 1)
    dump = rest[:int(header[1:])]
    body = dump[:-10]
    first = struct.pack(">QQ", 1, 1)
    second = struct.pack(">QQ", 2, 2)
    at = body.rfind(second)
    assert at > 0
    body = body[:at] + first + body[at + 16:]
    return seal(body)


# ---- the cases: name -> list of commands, run on one connection after FLUSHALL ----

def build_cases(client):
    long_a = "a" * 70000
    cases = {}

    # 1. Numeric arguments at their extremes.
    cases["setrange_offsets"] = [["SET", "k", "v"]] + [
        ["SETRANGE", "k", n, "x"] for n in BIG_NUMBERS + ["536870911", "536870912"]]
    cases["setbit_bitfield_offsets"] = [
        ["SETBIT", "b", n, "1"] for n in BIG_NUMBERS + ["4294967295"]] + [
        ["BITFIELD", "b", "SET", "u8", n, "1"] for n in BIG_NUMBERS] + [
        ["BITFIELD", "b", "GET", "i64", "#" + LLONG_MAX],
        ["BITFIELD", "b", "INCRBY", "i65", "0", "1"],
        ["BITFIELD_RO", "b", "GET", "u64", "0"],
        ["BITCOUNT", "b", LLONG_MIN, LLONG_MAX, "BIT"],
        ["BITPOS", "b", "1", LLONG_MIN, LLONG_MAX, "BIT"]]
    cases["sort_limit"] = [["RPUSH", "l", "3", "1", "2"]] + [
        ["SORT", "l", "LIMIT", a, b] for a in [LLONG_MIN, "0", LLONG_MAX]
        for b in [LLONG_MIN, "-1", LLONG_MAX]] + [
        ["SORT_RO", "l", "LIMIT", "0", LLONG_MAX]]
    cases["random_counts"] = [
        ["HSET", "h", "a", "1", "b", "2"], ["SADD", "s", "a", "b"], ["ZADD", "z", "1", "a"]] + [
        c for n in [LLONG_MIN, "-9223372036854775807", "-4611686018427387904", LLONG_MAX, "0"]
        for c in (["HRANDFIELD", "h", n, "WITHVALUES"], ["ZRANDMEMBER", "z", n, "WITHSCORES"],
                  ["SRANDMEMBER", "s", n] if n != "-9223372036854775807" and
                  n != "-4611686018427387904" else ["SRANDMEMBER", "s", LLONG_MIN],
                  ["SPOP", "s", n])]
    cases["ranges"] = [["RPUSH", "l", "a", "b"], ["SET", "k", "abc"], ["ZADD", "z", "1", "a"]] + [
        c for a in [LLONG_MIN, LLONG_MAX] for b in [LLONG_MIN, LLONG_MAX]
        for c in (["LRANGE", "l", a, b], ["GETRANGE", "k", a, b], ["ZRANGE", "z", a, b],
                  ["LTRIM", "x", a, b])] + [
        ["LINDEX", "l", LLONG_MIN], ["LSET", "l", LLONG_MAX, "v"],
        ["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", LLONG_MIN, LLONG_MIN],
        ["ZRANGESTORE", "d", "z", "0", "1", "BYSCORE", "LIMIT", "0", LLONG_MAX]]
    cases["ttls"] = [["SET", "k", "v"]] + [
        c for n in BIG_NUMBERS
        for c in (["EXPIRE", "k", n], ["PEXPIRE", "k", n], ["EXPIREAT", "k", n],
                  ["SET", "k2", "v", "EX", n], ["SET", "k2", "v", "PXAT", n],
                  ["GETEX", "k", "EX", n], ["RESTORE", "r" + n, n, "x"])] + [["TTL", "k"]]
    cases["counters"] = [
        ["SET", "n", LLONG_MAX], ["INCR", "n"], ["INCRBY", "n", "1"], ["DECRBY", "n", LLONG_MIN],
        ["SET", "m", LLONG_MIN], ["DECR", "m"], ["INCRBY", "m", "-1"],
        ["INCRBYFLOAT", "m", "1e308"], ["SET", "f", "1e308"], ["INCRBYFLOAT", "f", "1e308"],
        ["INCRBYFLOAT", "f", "nan"], ["INCRBYFLOAT", "f", "inf"],
        ["HSET", "h", "f", "1e308"], ["HINCRBYFLOAT", "h", "f", "1e308"],
        ["HINCRBYFLOAT", "h", "f", "5e400"], ["HINCRBYFLOAT", "h", "g", "nan"],
        ["HINCRBYFLOAT", "h", "g", "-inf"], ["HGETALL", "h"], ["HINCRBY", "h", "i", LLONG_MAX],
        ["HINCRBY", "h", "i", "1"],
        ["ZADD", "z", "nan", "a"], ["ZADD", "z", "inf", "a"], ["ZINCRBY", "z", "-inf", "a"],
        ["ZINCRBY", "z", "nan", "a"], ["ZADD", "z", "INCR", "1", "b", "2", "c"]]
    cases["counts_and_limits"] = [
        ["SADD", "s", "1", "2"], ["RPUSH", "l", "a", "a"], ["ZADD", "z", "1", "a"]] + [
        c for n in BIG_NUMBERS
        for c in (["SINTERCARD", n, "s"], ["SINTERCARD", "1", "s", "LIMIT", n],
                  ["LPOS", "l", "a", "RANK", n], ["LPOS", "l", "a", "COUNT", n],
                  ["LPOS", "l", "a", "MAXLEN", n], ["LMPOP", n, "l", "LEFT"],
                  ["LMPOP", "1", "l", "LEFT", "COUNT", n], ["ZMPOP", n, "z", "MIN"],
                  ["SCAN", "0", "COUNT", n], ["ZINTERCARD", n, "z"], ["LPOP", "l", n],
                  ["SRANDMEMBER", "nokey", n])] + [
        ["SINTERCARD", "3", "s"], ["ZUNIONSTORE", "d", "5", "z"],
        ["SCAN", "18446744073709551616"], ["BLPOP", "l", LLONG_MAX],
        ["BLPOP", "l", "-1"], ["BLMPOP", "inf", "1", "l", "LEFT"]]
    cases["lcs"] = [["SET", "a", long_a], ["SET", "b", long_a], ["LCS", "a", "b", "LEN"],
                    ["LCS", "a", "b", "IDX", "MINMATCHLEN", LLONG_MAX]]
    cases["streams_numeric"] = [
        ["XADD", "x", "1-1", "f", "v"], ["XGROUP", "CREATE", "x", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"], ["XDEL", "x", "1-1"]] + [
        ["XAUTOCLAIM", "x", "g", "c", "0", "0-0", "COUNT", n] for n in BIG_NUMBERS] + [
        ["XAUTOCLAIM", "x", "g", "c", LLONG_MAX, "0-0"],
        ["XAUTOCLAIM", "x", "g", "c", "0", "0-0"],
        ["XCLAIM", "x", "g", "c", "0", "1-1", "IDLE", LLONG_MIN, "RETRYCOUNT", LLONG_MAX],
        ["XRANGE", "x", "-", "+", "COUNT", LLONG_MIN], ["XREVRANGE", "x", "+", "-", "COUNT", "-1"],
        ["XPENDING", "x", "g", "-", "+", LLONG_MAX], ["XPENDING", "x", "g", "IDLE", LLONG_MIN,
                                                       "-", "+", "1"],
        ["XTRIM", "x", "MAXLEN", LLONG_MIN], ["XTRIM", "x", "MINID", "~", "0", "LIMIT", "-1"],
        ["XADD", "y", ULLONG_MAX + "-" + ULLONG_MAX, "f", "v"], ["XADD", "y", "*", "f", "v"],
        ["XADD", "y", ULLONG_MAX + "-*", "f", "v"], ["XADD", "z", "0-0", "f", "v"],
        ["XADD", "z", "18446744073709551616-0", "f", "v"], ["XSETID", "y", "0-0"],
        ["XADD", "w", "MAXLEN", LLONG_MIN, "*", "f", "v"]]

    # 3. Globs: exponential patterns and very long ones, everywhere a glob is accepted.
    star20 = "a*" * 20 + "b"
    long_pat = "*?" * 25000
    cases["globs"] = [
        ["SET", "a" * 60, "v"], ["KEYS", star20], ["SCAN", "0", "MATCH", star20, "COUNT", "100"],
        ["KEYS", long_pat], ["SCAN", "0", "MATCH", long_pat], ["KEYS", "[" * 50000],
        ["KEYS", "\\" * 50001], ["COMMAND", "LIST", "FILTERBY", "PATTERN", long_pat],
        ["FUNCTION", "LIST", "LIBRARYNAME", long_pat], ["CONFIG", "GET", long_pat],
        ["PUBSUB", "CHANNELS", long_pat], ["HSET", "h", "a" * 60, "1"],
        ["HSCAN", "h", "0", "MATCH", star20], ["SADD", "s", "a" * 60],
        ["SSCAN", "s", "0", "MATCH", long_pat], ["ACL", "SETUSER", "globber", "on", "nopass",
                                                  "~" + long_pat, "+get"],
        ["ACL", "DRYRUN", "globber", "GET", "a" * 60], ["ACL", "SETUSER", "globber2", "on",
                                                          "nopass", "~" + star20, "+get"],
        ["ACL", "DRYRUN", "globber2", "GET", "a" * 60]]

    # 4. Type confusion: commands of every type on keys of every other type, "create"
    # options included.
    keys = [["SET", "str", "v"], ["RPUSH", "list", "a"], ["HSET", "hash", "f", "v"],
            ["SADD", "set", "a"], ["ZADD", "zset", "1", "a"], ["XADD", "stream", "1-1", "f", "v"],
            ["PFADD", "hll", "a"]]
    probes = [
        ["GET", "K"], ["APPEND", "K", "x"], ["SETRANGE", "K", "0", "x"], ["INCR", "K"],
        ["GETDEL", "K"], ["LPUSH", "K", "x"], ["LPOS", "K", "a"], ["LMOVE", "K", "K", "LEFT",
                                                                    "LEFT"],
        ["HSET", "K", "f", "v"], ["HRANDFIELD", "K"], ["SADD", "K", "x"], ["SMOVE", "K", "set",
                                                                           "a"],
        ["SINTERCARD", "1", "K"], ["ZADD", "K", "1", "x"], ["ZRANGESTORE", "K", "zset", "0", "-1"],
        ["ZUNIONSTORE", "zout", "1", "K"], ["XADD", "K", "*", "f", "v"],
        ["XGROUP", "CREATE", "K", "g", "$"], ["XGROUP", "CREATE", "K", "g", "$", "MKSTREAM"],
        ["XAUTOCLAIM", "K", "g", "c", "0", "0"], ["XINFO", "STREAM", "K"], ["PFADD", "K", "x"],
        ["PFCOUNT", "K"], ["PFMERGE", "K", "hll"], ["SETBIT", "K", "1", "1"],
        ["BITOP", "AND", "bout", "K"], ["GEOADD", "K", "1", "1", "m"], ["SORT", "K"],
        ["LCS", "K", "str"], ["OBJECT", "ENCODING", "K"], ["TYPE", "K"]]
    confusion = list(keys)
    for k in ["str", "list", "hash", "set", "zset", "stream", "hll"]:
        confusion += [[a if a != "K" else k for a in p] for p in probes]
        confusion += keys  # put the values back
    cases["type_confusion"] = confusion

    # 5. The same key twice where a command takes several.
    cases["duplicates"] = [
        ["MSETNX", "a", "1", "a", "2"], ["GET", "a"], ["MSET", "b", "1", "b", "2"], ["GET", "b"],
        ["SADD", "s", "m"], ["SMOVE", "s", "s", "m"], ["SMEMBERS", "s"], ["RENAME", "a", "a"],
        ["RENAMENX", "a", "a"], ["COPY", "a", "a"], ["ZADD", "z", "1", "m"],
        ["ZUNIONSTORE", "z", "2", "z", "z"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZINTERSTORE", "z", "2", "z", "z", "WEIGHTS", "1", "1"], ["SINTERSTORE", "s", "s", "s"],
        ["SDIFFSTORE", "s", "s", "s"], ["SMEMBERS", "s"], ["RPUSH", "l", "1", "2"],
        ["LMOVE", "l", "l", "LEFT", "RIGHT"], ["LRANGE", "l", "0", "-1"],
        ["SORT", "l", "STORE", "l"], ["LRANGE", "l", "0", "-1"], ["XADD", "x", "1-1", "f", "v"],
        ["XGROUP", "CREATE", "x", "g", "$"], ["XGROUP", "CREATE", "x", "g", "$"],
        ["PFADD", "h", "x"], ["PFMERGE", "h", "h", "h"], ["PFCOUNT", "h", "h"],
        ["BITOP", "OR", "a", "a", "a"], ["GET", "a"], ["GEOADD", "g", "1", "1", "m"],
        ["GEOSEARCHSTORE", "g", "g", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
        ["HSET", "hh", "f", "1", "f", "2"], ["HGETALL", "hh"], ["HDEL", "hh", "f", "f"],
        ["SMISMEMBER", "s", "m", "m"], ["ZADD", "zz", "1", "m", "2", "m"],
        ["ZRANGE", "zz", "0", "-1", "WITHSCORES"], ["DEL", "a", "a"], ["EXISTS", "b", "b"]]

    # 6. Serialized input: RESTORE payloads with a valid checksum and a corrupt body.
    good_hash = listpack([b"f", b"v"])
    cases["restore_corrupt"] = [
        ["RESTORE", "ok", "0", payload(TYPE_HASH_LISTPACK, good_hash)], ["HGETALL", "ok"],
        ["RESTORE", "r1", "0", payload(TYPE_HASH_LISTPACK, listpack([b"f", b"v"], count=3))],
        ["RESTORE", "r2", "0", payload(TYPE_HASH_LISTPACK, listpack([b"f", b"v"],
                                                                    total_delta=5))],
        ["RESTORE", "r3", "0", payload(TYPE_HASH_LISTPACK, listpack([b"f", b"v", b"g"]))],
        ["RESTORE", "r4", "0", payload(TYPE_HASH_LISTPACK, listpack([b"f", b"v", b"f", b"w"]))],
        ["RESTORE", "r5", "0", payload(TYPE_HASH_LISTPACK, good_hash[:-3] + b"\x7f" +
                                       good_hash[-2:])],
        ["RESTORE", "r6", "0", payload(TYPE_SET_LISTPACK, listpack([b"a", b"a"]))],
        ["RESTORE", "r7", "0", payload(TYPE_ZSET_LISTPACK, listpack([b"m", b"notafloat"]))],
        ["RESTORE", "r8", "0", payload(TYPE_SET_INTSET, intset([5, 1]))],
        ["RESTORE", "r9", "0", payload(TYPE_SET_INTSET, intset([1, 1]))],
        ["RESTORE", "r10", "0", payload(TYPE_SET_INTSET, intset([1, 2])[:-1])],
        ["RESTORE", "r11", "0", payload(TYPE_SET_INTSET, struct.pack("<II", 3, 1) + b"\x00" * 3)],
        ["RESTORE", "r12", "0", payload(TYPE_HASH_LISTPACK, good_hash, version=12)],
        ["RESTORE", "r13", "0", seal(b"\x00" + b"\xff\xff\xff\xff")],
        ["RESTORE", "r14", "0", seal(b"\x00\x80" + struct.pack(">I", 0xFFFFFFF0) + b"x")],
        ["RESTORE", "r15", "0", seal(b"\x00\xc3\x05\x7f\x01\x00")],
        ["RESTORE", "r16", "0", seal(b"\x63" + b"x")],
        ["RESTORE", "r17", "0", b"\x00\x01a\x0b\x00" + b"\x00" * 8],
        ["RESTORE", "r18", "0", payload(TYPE_HASH_LISTPACK, b"")],
        ["RESTORE", "stream", "0", stream_with_shared_nack(client)],
        ["EXISTS", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
         "r13", "r14", "r15", "r16", "r17", "r18", "stream"]]

    # 7. Stack arrays indexed by a client count: XACKDEL is Redis 8.2's; in 7.2 it does not exist.
    cases["xackdel"] = [["XACKDEL", "x", "g", "IDS", "100000"] + ["1-1"] * 1000]

    # 9. ACL: malformed rules and selectors, and key extraction (COMMAND GETKEYS, SORT_RO).
    bad_rules = ["(", ")", "()", "(~", "(+get", "%", "%X~k", "%R", "%RW", "%~k", "%R~", "%RWX~k",
                 "(%R~k", "((~k))", "(~k) (+get) (", "#xyz", "<" + "a" * 64, "+", "+@",
                 "+get|", "-@nothing", "+get|x|y", "&", "resetpass", "(nopass)", "(on)",
                 "(>pass)", "(reset)", "(clearselectors)", "~" + "\x00" * 10]
    cases["acl_bad_rules"] = [["ACL", "SETUSER", "u", r] for r in bad_rules] + [
        ["ACL", "GETUSER", "u"], ["ACL", "DRYRUN", "u", "GET", "k"]]
    acl = [["ACL", "SETUSER", "u", "on", "nopass", "(~k* +get)", "%R~r* +@read"],
            ["ACL", "GETUSER", "u"], ["ACL", "LIST"],
            ["ACL", "SETUSER", "ro", "on", "nopass", "~a*", "+sort_ro", "+sort"],
            ["ACL", "DRYRUN", "ro", "SORT_RO", "a", "BY", "b*"],
            ["ACL", "DRYRUN", "ro", "SORT_RO", "a", "GET", "b*"],
            ["ACL", "DRYRUN", "ro", "SORT_RO", "a", "BY", "nosort"],
            ["ACL", "DRYRUN", "ro", "SORT", "a", "STORE", "b"],
            ["ACL", "DRYRUN", "ro", "SORT_RO", "a"],
            ["ACL", "DRYRUN", "nobody", "GET", "a"], ["ACL", "DRYRUN", "ro", "NOCMD"],
            ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "9999", "a"],
            ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", LLONG_MAX, "a"],
            ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "-1", "a"],
            ["COMMAND", "GETKEYS", "EVAL", "return 1", "99", "a"],
            ["COMMAND", "GETKEYS", "EVAL", "return 1", "-1"],
            ["COMMAND", "GETKEYS", "LMPOP", "2147483648", "a", "LEFT"],
            ["COMMAND", "GETKEYS", "SINTERCARD", "5", "a"],
            ["COMMAND", "GETKEYS", "XREAD", "STREAMS", "a", "b", "c"],
            ["COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "a"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "KEYS"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a"],
            ["COMMAND", "GETKEYS", "SORT", "a", "STORE"], ["COMMAND", "GETKEYS", "SORT", "a",
                                                           "BY", "x", "STORE", "d"],
            ["COMMAND", "GETKEYS", "GEORADIUS", "g", "1", "1", "1", "km", "STORE"],
            ["COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"],
            ["COMMAND", "GETKEYS", "MSET", "a"], ["COMMAND", "GETKEYS", "GET"],
            ["COMMAND", "GETKEYS", "NOSUCH", "a"], ["COMMAND", "GETKEYS", "PING"]]
    cases["acl_rules_and_keys"] = acl

    # 8. Lua: the sandbox, unpack, bit, cjson, metatables, error_reply with CRLF.
    lua = [
        "return unpack({}, -2147483648, 2147483647)",
        "return unpack({1,2,3}, 0, 2147483647)",
        "return bit.tohex(65535, -2147483648)",
        "return bit.tohex(1, 2147483647)",
        "return redis.error_reply('bad\\r\\n+OK')",
        "return redis.status_reply('ok\\r\\n$1')",
        "return {err='x\\r\\ny'}",
        "return cjson.decode(string.rep('[', 100000))",
        "return cjson.encode(setmetatable({}, {__index=function() return 1 end}))",
        "local t = {} t[1] = t return cjson.encode(t)",
        "getmetatable('').__index = function() return 1 end",
        "return pcall(setmetatable, _G, nil)",
        "package = 1",
        "return type(package)",
        "return type(loadstring)",
        "return loadstring('\\27Lua')",
        "return type(os)",
        "return type(debug)",
        "return string.rep('x', -1)",
        "return redis.call('nosuch')",
        "return redis.pcall('set')",
        "return redis.sha1hex(string.rep('x', 1000))",
        "return type(struct)",
        "return redis.setresp(4)",
        "return redis.set_repl(99)",
        "return redis.acl_check_cmd('nosuch')",
    ]
    cases["lua"] = [["EVAL", s, "0"] for s in lua] + [
        ["EVAL", "return 1", LLONG_MAX], ["EVAL", "return 1", "-1"],
        ["EVAL", "x = ", "0"], ["EVAL", "\x1bLua", "0"], ["SCRIPT", "LOAD", "return ("],
        ["EVAL", "return redis.call('eval', 'return 1', 0)", "0"],
        ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() return 1 end)"
         "\nreturn unpack({}, -2147483648, 2147483647)"],
        ["FUNCTION", "LOAD", "#!lua name=" + "a" * 300 + "\n"],
        ["FUNCTION", "LOAD", "#!nolua name=x\n"], ["FUNCTION", "LOAD", "#!lua\n"],
        ["FUNCTION", "RESTORE", "garbage"], ["FUNCTION", "RESTORE", seal(b"\xf5\xc3")],
        ["PING"]]
    return cases


CLOSED = "<connection closed>"


def run_case(port, commands, revive=None):
    """The replies to `commands` on one connection; CLOSED in place of a reply that never
    came because the server closed the connection (or died).  Without `revive` the case stops
    there; with it (recording from the reference server, which some of these inputs crash),
    revive() starts a server again and returns its port, and the case goes on."""
    from harness import RawClient
    c = RawClient(port)
    c.sock.settimeout(CASE_SECONDS)
    replies = []
    for cmd in commands:
        try:
            replies.append(c.command(*cmd).decode("latin-1"))
        except (ConnectionError, OSError):
            replies.append(CLOSED)
            c.close()
            if revive is None:
                return replies
            c = RawClient(revive())
            c.sock.settimeout(CASE_SECONDS)
    c.close()
    return replies


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def run_all(binary, extra_args=(), tolerate_crashes=False):
    """Runs every case, each after FLUSHALL on the same server.  With tolerate_crashes (the
    reference server, which is vulnerable to some of these inputs) a server that died is
    started again for the next case."""
    results = {}
    timings = {}
    server = [Server(binary, *extra_args)]

    def revive():
        time.sleep(0.5)  # the crash report
        server[0].stop()
        print("  the reference server died; started again")
        server[0] = Server(binary, *extra_args)
        return server[0].port

    try:
        cases = build_cases(server[0].connect())
        base = rss_kb(server[0].proc.pid)
        for name, commands in cases.items():
            admin = server[0].connect()
            for cmd in (["FLUSHALL"], ["SCRIPT", "FLUSH"], ["FUNCTION", "FLUSH"]):
                admin.command(*cmd)
            start = time.time()
            results[name] = run_case(server[0].port, commands,
                                     revive if tolerate_crashes else None)
            timings[name] = time.time() - start
            if tolerate_crashes:
                time.sleep(0.3)
                if server[0].proc.poll() is not None:
                    revive()
                base = rss_kb(server[0].proc.pid)
            admin = server[0].connect()
            assert admin.command("PING") == b"+PONG\r\n", name
            for user in ("u", "ro", "globber", "globber2"):
                admin.command("ACL", "DELUSER", user)
            admin.command("FLUSHALL")
            now = rss_kb(server[0].proc.pid)
            assert now - base <= RSS_SLACK_KB, (name, base, now)
    finally:
        server[0].stop()
    return results, timings


def lua_error(script, text):
    sha = hashlib.sha1(script.encode()).hexdigest()
    return f"-ERR user_script:1: {text} script: {sha}, on @user_script:1.\r\n"


# Where redis-server 7.2.4 is itself vulnerable to an input (it crashed, or accepted what the
# fix refuses, while recording), the reply the fixed Redis gives, from the fix.
FIXED_IN_LATER_REDIS = {
    # CVE-2024-51741 (7.2.7): a bare % is refused.
    ("acl_bad_rules", 5): "-ERR Error in ACL SETUSER modifier '%': Syntax error\r\n",
    # CVE-2024-31227 (7.2.6): % without R or W before ~ is refused.
    ("acl_bad_rules", 9): "-ERR Error in ACL SETUSER modifier '%~k': Syntax error\r\n",
    # 7.2.4 crashed on GETUSER after the rules above; with them refused the user holds the
    # rules that were accepted: "()" (an empty selector), "%R", "%RW", "%R~" (one empty key
    # pattern), "&" (an empty channel pattern) and resetpass.  Filled in below.
    # CVE-2025-46817 (7.2.11): unpack over a range it cannot hold.
    ("lua", 0): lua_error("return unpack({}, -2147483648, 2147483647)",
                          "too many results to unpack"),
    ("lua", 1): lua_error("return unpack({1,2,3}, 0, 2147483647)", "too many results to unpack"),
    # CVE-2024-31449 (7.2.6): INT_MIN digits are taken as INT_MIN + 1, i.e. 8 upper-case ones.
    ("lua", 2): "$8\r\n0000FFFF\r\n",
}
# GETUSER: the key pattern "" was given R, then RW: all permissions, shown as "~"; the
# empty selector "()" shows no keys and no channels.
FIXED_IN_LATER_REDIS[("acl_bad_rules", 30)] = (
    "*12\r\n$5\r\nflags\r\n*2\r\n$3\r\noff\r\n$16\r\nsanitize-payload\r\n"
    "$9\r\npasswords\r\n*0\r\n$8\r\ncommands\r\n$5\r\n-@all\r\n"
    "$4\r\nkeys\r\n$1\r\n~\r\n$8\r\nchannels\r\n$1\r\n&\r\n"
    "$9\r\nselectors\r\n*1\r\n*6\r\n$8\r\ncommands\r\n$5\r\n-@all\r\n"
    "$4\r\nkeys\r\n$0\r\n\r\n$8\r\nchannels\r\n$0\r\n\r\n")
# The server that crashed was started again for the next command: the user is there.
FIXED_IN_LATER_REDIS[("acl_bad_rules", 31)] = (
    "$50\r\nUser u has no permissions to run the 'get' command\r\n")
# CVE-2025-46818 (7.2.11): the string metatable is read-only.
FIXED_IN_LATER_REDIS[("lua", 10)] = lua_error(
    "getmetatable('').__index = function() return 1 end", "Attempt to modify a readonly table")


# Where we answer differently from Redis, on purpose or not yet fixed; each one is asserted as
# it is, so a change shows up here.
DIFFERENT_FROM_REDIS = {
    # On purpose: Redis's listpack validation leaves zset scores unparsed, so a member with
    # the score "notafloat" loads (and reads back as 0); our zsets hold doubles, and a score
    # that is not one is corrupt data.
    ("restore_corrupt", 8): "-ERR Bad data format\r\n",
    ("restore_corrupt", 21): ":1\r\n",
}


def expected_replies():
    with open(EXPECTED_FILE) as f:
        expected = json.load(f)
    for (name, i), reply in FIXED_IN_LATER_REDIS.items():
        expected[name][i] = reply
    for (name, i), reply in DIFFERENT_FROM_REDIS.items():
        expected[name][i] = reply
    return expected


def scan_keys(reply):
    """A SCAN reply as (cursor, sorted keys): the order within a batch follows the hash table,
    which is ours, not Redis's.  Any other reply stays as it is."""
    m = re.fullmatch(r"\*2\r\n\$\d+\r\n(\d+)\r\n\*(\d+)\r\n((?:\$\d+\r\n[^\r]*\r\n)*)", reply)
    if m is None:
        return reply
    keys = re.findall(r"\$\d+\r\n([^\r]*)\r\n", m.group(3))
    return (m.group(1), sorted(keys)) if len(keys) == int(m.group(2)) else reply


def test_cve_inputs_answer_as_redis_724(binary):
    expected = expected_replies()
    got, timings = run_all(binary)
    assert set(got) == set(expected), sorted(set(got) ^ set(expected))
    differ = []
    for name in expected:
        assert timings[name] < CASE_SECONDS, (name, timings[name])
        assert len(got[name]) == len(expected[name]), name
        for i, (g, w) in enumerate(zip(got[name], expected[name])):
            if g != w and scan_keys(g) != scan_keys(w):
                differ.append((name, i, g[:300], w[:300]))
    assert not differ, "\n".join(repr(d) for d in differ[:20]) + f"\n({len(differ)} in all)"


# ---- protocol framing, unauthenticated clients, the accept loop ----

def test_declared_lengths_allocate_nothing(binary):
    """CVE-2021-32675: many connections declaring huge counts and bulks, authenticated or not:
    the server answers Redis's errors (or waits for the data) and memory stays flat."""
    for conf in ("", "requirepass secret\n"):
        with Server(binary, config_text=conf) as s:
            base = rss_kb(s.proc.pid)
            socks = []
            for i in range(200):
                c = socket.create_connection(("127.0.0.1", s.port))
                c.sendall([b"*2147483647\r\n", b"*1048576\r\n$536870912\r\n",
                           b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870911\r\n",
                           b"*2147483648\r\n", b"*1\r\n$-2\r\n"][i % 5])
                socks.append(c)
            time.sleep(0.5)
            assert rss_kb(s.proc.pid) - base < RSS_SLACK_KB
            c = s.connect()
            c.send(b"*2147483648\r\n")
            assert c.read_reply() == b"-ERR Protocol error: invalid multibulk length\r\n"
            c = s.connect()
            c.send(b"*1\r\n$536870913\r\n")
            assert c.read_reply() == b"-ERR Protocol error: invalid bulk length\r\n"
            for c in socks:
                c.close()


def test_big_argument_room_stays_untouched(binary):
    """A client declaring a big bulk gets room for all of it at once, as Redis does (CLIENT
    LIST shows it), but that room costs no resident memory until the data comes: 40 clients
    declaring 512 MB and sending its first bytes must not grow RSS by 20 GB."""
    with Server(binary) as s:
        base = rss_kb(s.proc.pid)
        socks = []
        for i in range(40):
            c = socket.create_connection(("127.0.0.1", s.port))
            c.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870911\r\n")
            c.sendall(b"x" * 1000)
            socks.append(c)
        time.sleep(0.5)
        assert rss_kb(s.proc.pid) - base < RSS_SLACK_KB
        listing = s.connect().command(b"CLIENT", b"LIST").decode()
        rooms = [int(m.group(1)) + int(m.group(2))
                 for m in re.finditer(r"qbuf=(\d+) qbuf-free=(\d+)", listing)]
        assert sum(1 for r in rooms if r >= 536870911) == 40, rooms
        for c in socks:
            c.close()


def test_unauthenticated_pipeline_that_never_reads(binary):
    """CVE-2025-21605: an unauthenticated client pipelining commands (each answered NOAUTH)
    without reading its replies must not grow the server's memory without bound."""
    with Server(binary, config_text="requirepass secret\n") as s:
        base = rss_kb(s.proc.pid)
        c = socket.create_connection(("127.0.0.1", s.port))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.settimeout(0.2)
        chunk = b"PING\r\n" * 10000
        sent = 0
        deadline = time.time() + 10
        try:
            while time.time() < deadline and sent < 200 * 1024 * 1024:
                c.send(chunk)
                sent += len(chunk)
        except (socket.timeout, BrokenPipeError, ConnectionResetError):
            pass
        grown = rss_kb(s.proc.pid) - base
        assert grown < 64 * 1024, (sent, grown)
        c.close()
        ok = s.connect()
        assert ok.command("AUTH", "secret") == b"+OK\r\n"


def test_accept_loop_survives_reset_connections(binary):
    """CVE-2025-48367: connections reset right after accept must not stop the server from
    accepting the next ones."""
    with Server(binary) as s:
        for _ in range(300):
            c = socket.create_connection(("127.0.0.1", s.port))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        for _ in range(20):
            c = s.connect()
            assert c.command("PING") == b"+PONG\r\n"
            c.close()


def record(reference):
    results, _ = run_all(reference, ("--sanitize-dump-payload", "yes"), tolerate_crashes=True)
    with open(EXPECTED_FILE, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"recorded {sum(len(v) for v in results.values())} replies in {EXPECTED_FILE}")


if __name__ == "__main__":
    if sys.argv[1] == "--record":
        record(sys.argv[2])
    else:
        run_tests(globals())
