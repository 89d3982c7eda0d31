"""Scripts that lock only their declared keys' shards (server/commands/script_locks.h), run
against concurrent clients on four workers: scripts that move amounts between keys they
declared, between keys whose names they build themselves (so they must take shards they did
not declare, and restart holding every shard when one is busy), with no key declared at all,
next to MULTI/EXEC transfers and plain INCRBY clients.  The totals only add up if no script
interleaved with anything; the keyspace events and the AOF only match if no abandoned attempt
left a trace."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

ACCOUNTS = 16
START = 1000

# GET then SET (not INCRBY): a lost update shows in the total if anything interleaves.
DECLARED = """
local a = tonumber(redis.call('GET', KEYS[1]))
local b = tonumber(redis.call('GET', KEYS[2]))
redis.call('SET', KEYS[1], a - ARGV[1])
redis.call('SET', KEYS[2], b + ARGV[1])
return 1
"""
# Writes its declared key first, then reads and writes one it builds: a busy shard there
# means undoing the first write.
UNDECLARED = """
local a = tonumber(redis.call('GET', KEYS[1]))
redis.call('SET', KEYS[1], a - ARGV[1])
local other = ARGV[2] .. ARGV[3]
local b = tonumber(redis.call('GET', other))
redis.call('SET', other, b + ARGV[1])
return 1
"""
NO_KEYS = """
local k1, k2 = ARGV[2] .. ARGV[3], ARGV[2] .. ARGV[4]
local a = tonumber(redis.call('GET', k1))
local b = tonumber(redis.call('GET', k2))
redis.call('SET', k1, a - ARGV[1])
redis.call('SET', k2, b + ARGV[1])
return 1
"""
# Reads every account through names it builds: the sum it sees must be whole.
SUM_ALL = """
local sum = 0
for i = 0, tonumber(ARGV[1]) - 1 do sum = sum + tonumber(redis.call('GET', 'acct:' .. i)) end
return sum
"""


def acct(i):
    return "acct:%d" % i


def run_mix(s, seconds, with_incrby=True):
    """Runs every kind of client for `seconds`; returns (errors, INCRBYs done, scripts run)."""
    errors = []
    stop = threading.Event()
    incrbys = [0]
    scripts = [0]
    lock = threading.Lock()

    def guard(fn):
        def run(idx):
            try:
                r = s.redis()
                fn(idx, r)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        return run

    @guard
    def declared(idx, r):
        n = 0
        while not stop.is_set():
            a, b = (idx + n) % ACCOUNTS, (idx * 7 + n * 3 + 1) % ACCOUNTS
            if a != b:
                assert r.eval(DECLARED, 2, acct(a), acct(b), 3) == 1
                n += 1
        with lock:
            scripts[0] += n

    @guard
    def undeclared(idx, r):
        n = 0
        while not stop.is_set():
            a, b = (idx * 5 + n) % ACCOUNTS, (idx + n * 7 + 3) % ACCOUNTS
            if a != b:
                # A comment that changes every 50 runs: new shas keep exercising the first
                # run of a script (later runs of one that restarted take every shard).
                body = UNDECLARED + "-- %d" % (n // 50)
                assert r.eval(body, 1, acct(a), 2, "acct:", b) == 1
                n += 1
        with lock:
            scripts[0] += n

    @guard
    def no_keys(idx, r):
        n = 0
        while not stop.is_set():
            a, b = (idx + n * 3) % ACCOUNTS, (idx * 3 + n + 5) % ACCOUNTS
            if a != b:
                assert r.eval(NO_KEYS, 0, 1, "acct:", a, b) == 1
                n += 1
        with lock:
            scripts[0] += n

    @guard
    def multi_exec(idx, r):
        n = 0
        while not stop.is_set():
            a, b = (idx * 11 + n) % ACCOUNTS, (idx + n * 5 + 2) % ACCOUNTS
            if a != b:
                p = r.pipeline(transaction=True)
                p.decrby(acct(a), 4)
                p.incrby(acct(b), 4)
                p.execute()
                n += 1

    @guard
    def incrby(idx, r):
        n = 0
        while not stop.is_set():
            r.incrby(acct((idx * 13 + n) % ACCOUNTS), 1)
            n += 1
        with lock:
            incrbys[0] += n

    @guard
    def summer(idx, r):
        while not stop.is_set():
            total = r.eval(SUM_ALL, 0, ACCOUNTS)
            if not with_incrby and total != ACCOUNTS * START:
                errors.append("torn sum %d" % total)

    kinds = [declared] * 3 + [undeclared] * 3 + [no_keys] + [multi_exec] * 2 + [summer]
    if with_incrby:
        kinds += [incrby] * 2
    threads = [threading.Thread(target=k, args=(i,)) for i, k in enumerate(kinds)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return errors, incrbys[0], scripts[0]


def total(r):
    return sum(int(v) for v in r.mget([acct(i) for i in range(ACCOUNTS)]))


def test_transfers_add_up_with_incrby_clients(binary):
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis()
        r.mset({acct(i): START for i in range(ACCOUNTS)})
        errors, incrbys, scripts = run_mix(s, 4.0)
        assert not errors, errors[:3]
        assert scripts > 100, scripts
        assert total(r) == ACCOUNTS * START + incrbys, (total(r), incrbys)


def test_every_sum_a_script_reads_is_whole(binary):
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis()
        r.mset({acct(i): START for i in range(ACCOUNTS)})
        errors, _, scripts = run_mix(s, 3.0, with_incrby=False)
        assert not errors, errors[:3]
        assert total(r) == ACCOUNTS * START


def test_events_and_aof_carry_each_script_once(binary):
    """Each committed script's two SETs raise two `set` events and reach the AOF once: an
    abandoned attempt raised none and logged nothing (undeclared keys on four workers make
    restarts happen)."""
    args = ["--io-threads", "4", "--appendonly", "yes", "--appendfsync", "no",
            "--notify-keyspace-events", "E$"]
    s = Server(binary, *args)
    try:
        r = s.redis()
        r.mset({acct(i): START for i in range(ACCOUNTS)})
        sub = s.redis().pubsub()
        sub.subscribe("__keyevent@0__:set")
        assert sub.get_message(timeout=2)["type"] == "subscribe"
        errors, _, scripts = run_mix(s, 3.0, with_incrby=False)
        assert not errors, errors[:3]
        sets = 0
        deadline = time.time() + 10
        while sets < 2 * scripts and time.time() < deadline:
            m = sub.get_message(timeout=0.5)
            if m is not None and m["type"] == "message":
                sets += 1
        # Nothing more arrives late.
        while True:
            m = sub.get_message(timeout=0.5)
            if m is None:
                break
            if m["type"] == "message":
                sets += 1
        assert sets == 2 * scripts, (sets, scripts)
        values = r.mget([acct(i) for i in range(ACCOUNTS)])
    finally:
        s.stop()
    s2 = Server(binary, "--io-threads", "4", "--appendonly", "yes", dir=s.dir)
    try:
        assert s2.redis().mget([acct(i) for i in range(ACCOUNTS)]) == values
    finally:
        s2.stop()


def test_scripts_over_the_whole_keyspace_stay_correct(binary):
    """Scripts that declare a key and then call KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHDB or
    SELECT another DB, while other clients write."""
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis()
        stop = threading.Event()
        errors = []

        def writer(idx):
            try:
                w = s.redis()
                n = 0
                while not stop.is_set():
                    w.set("w:%d:%d" % (idx, n % 50), n)
                    n += 1
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        try:
            for i in range(100):
                # DBSIZE and KEYS agree inside one atomic script.
                got = r.eval("redis.call('SET', KEYS[1], 'x') "
                             "return {redis.call('DBSIZE'), #redis.call('KEYS', '*')}",
                             1, "mine:%d" % i)
                assert got[0] == got[1], got
                keys = r.eval("local c, n = '0', 0 repeat local r = redis.call('SCAN', c, "
                              "'COUNT', 1000) c = r[1] n = n + #r[2] until c == '0' "
                              "return {n, redis.call('DBSIZE')}", 1, "mine:%d" % i)
                assert keys[0] == keys[1], keys
                assert r.eval("return redis.call('RANDOMKEY') ~= false", 1, "mine:0") == 1
                # SELECT inside a script changes the script's DB only.
                assert r.eval("redis.call('SELECT', 3) redis.call('SET', KEYS[1], ARGV[1]) "
                              "return redis.call('GET', KEYS[1])", 1, "db3key", i) == str(i).encode()
            assert s.redis(db=3).get("db3key") == b"99"
            assert r.eval("redis.call('SET', KEYS[1], 1) redis.call('FLUSHDB') "
                          "return redis.call('DBSIZE')", 1, "gone") == 0
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert not errors, errors[:3]


def test_functions_with_undeclared_keys(binary):
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis()
        r.function_load(
            "#!lua name=bank\n"
            "redis.register_function('move', function(keys, args)\n"
            "  local a = tonumber(redis.call('GET', keys[1]))\n"
            "  redis.call('SET', keys[1], a - 1)\n"
            "  local other = 'acct:' .. args[1]\n"
            "  redis.call('SET', other, tonumber(redis.call('GET', other)) + 1)\n"
            "  return 1 end)")
        r.mset({acct(i): START for i in range(ACCOUNTS)})
        errors = []

        def mover(idx):
            try:
                c = s.redis()
                for n in range(300):
                    a, b = (idx + n) % ACCOUNTS, (idx * 3 + n * 5 + 1) % ACCOUNTS
                    if a != b:
                        assert c.fcall("move", 1, acct(a), b) == 1
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        def bumper(idx):
            try:
                c = s.redis()
                for n in range(300):
                    c.incrby(acct((idx + n) % ACCOUNTS), 2)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=mover, args=(i,)) for i in range(6)]
        threads += [threading.Thread(target=bumper, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        assert total(r) == ACCOUNTS * START + 2 * 300 * 2



def test_scripts_on_disjoint_shards_run_at_once(binary):
    """A script that never ends holds its one declared key's shard; scripts on other keys,
    from clients of the other workers, still run (when every script held every shard, none
    could until the first was killed)."""
    with Server(binary, "--io-threads", "4") as s:
        runner = s.connect()
        body = b"local a = 0 while true do a = a + 1 end"
        runner.send(b"*4\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n1\r\n$4\r\nspin\r\n"
                    % (len(body), body))
        time.sleep(0.2)
        others = [s.connect() for _ in range(8)]
        for i, c in enumerate(others):
            c.sock.settimeout(2.0)
            c.send(b"EVAL \"return redis.call('INCR', KEYS[1])\" 1 other:%d\r\n" % i)
        answered = 0
        replied = []
        for c in others:
            try:
                reply = c.read_raw_reply()
                replied.append(True)
                answered += reply == b":1\r\n"
            except socket.timeout:
                replied.append(False)  # on the endless script's worker: served once it is busy
        assert answered >= 1, "no script ran beside the endless one"
        # Stop the endless script.  An EVAL not answered yet gets its reply first: -BUSY on
        # the script's worker, once the script passes busy-reply-threshold and its hook serves
        # the worker's clients; :1 on a worker that was waiting, for up to that threshold, for
        # the script's shard on behalf of another client whose key lives there.  The first
        # SCRIPT KILL then always reaches the script.
        first = others[0]
        first.sock.settimeout(15.0)
        first.send(b"SCRIPT KILL\r\n")
        if not replied[0]:
            got = first.read_raw_reply()
            assert got.startswith(b"-BUSY") or got == b":1\r\n", (got, replied)
        assert first.read_raw_reply() == b"+OK\r\n"
        runner.sock.settimeout(5)
        assert runner.read_raw_reply().startswith(b"-ERR Script killed by user")


if __name__ == "__main__":
    run_tests(globals())
