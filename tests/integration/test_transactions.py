"""Concurrent MULTI/EXEC on overlapping keys: each EXEC is one step for every other client.

EXEC locks only the shards of its commands' keys (or every shard when a command names no
key): these tests mix both kinds on several workers and check totals that only add up when
no transaction ever sees another half done.
"""
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

ACCOUNTS = 12
START = 1000


def _transfer_and_audit(binary, audit_extra):
    """Writers move money between random accounts in MULTI/DECRBY/INCRBY/EXEC; auditors read
    every account in one transaction (`audit_extra` commands queued first) and must always see
    the same total."""
    with Server(binary, "--io-threads", "4") as s:
        keys = ["acct:%d" % i for i in range(ACCOUNTS)]
        setup = s.redis()
        setup.mset({k: START for k in keys})
        total = START * ACCOUNTS
        stop = threading.Event()
        errors = []
        audits = [0]

        def writer(seed):
            rng = random.Random(seed)
            r = s.redis()
            try:
                for _ in range(1500):
                    a, b = rng.sample(keys, 2)
                    amount = rng.randint(1, 50)
                    p = r.pipeline(transaction=True)
                    p.decrby(a, amount)
                    p.incrby(b, amount)
                    p.execute()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        def auditor():
            r = s.redis()
            try:
                while not stop.is_set():
                    p = r.pipeline(transaction=True)
                    for cmd in audit_extra:
                        p.execute_command(*cmd)
                    for k in keys:
                        p.get(k)
                    values = p.execute()[len(audit_extra):]
                    seen = sum(int(v) for v in values)
                    if seen != total:
                        errors.append("audit saw %d, expected %d" % (seen, total))
                        return
                    audits[0] += 1
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        ws = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
        aus = [threading.Thread(target=auditor) for _ in range(3)]
        for t in ws + aus:
            t.start()
        for t in ws:
            t.join()
        stop.set()
        for t in aus:
            t.join()
        assert not errors, errors[:3]
        assert audits[0] > 0
        final = setup.mget(keys)
        assert sum(int(v) for v in final) == total, final


def test_transfers_audited_by_key_transactions(binary):
    # Both sides lock only their keys' shards.
    _transfer_and_audit(binary, [])


def test_transfers_audited_by_all_shard_transactions(binary):
    # DBSIZE names no key: the audit locks every shard while writers lock a subset.
    _transfer_and_audit(binary, [("DBSIZE",)])


def test_counters_in_pairs_stay_equal(binary):
    # Every transaction increments two keys by one; a transaction reading both (alone or with
    # a keyspace-wide command) must never see them differ.
    with Server(binary, "--io-threads", "3") as s:
        pairs = [("pa:%d" % i, "pb:%d" % i) for i in range(6)]
        stop = threading.Event()
        errors = []

        def incr(seed):
            rng = random.Random(seed)
            r = s.redis()
            try:
                for _ in range(2000):
                    a, b = rng.choice(pairs)
                    p = r.pipeline(transaction=True)
                    p.incr(a)
                    p.incr(b)
                    p.execute()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        def check(use_keys):
            r = s.redis()
            try:
                while not stop.is_set():
                    p = r.pipeline(transaction=True)
                    if use_keys:
                        p.keys("p*")
                    for a, b in pairs:
                        p.get(a)
                        p.get(b)
                    out = p.execute()[1 if use_keys else 0:]
                    for i in range(0, len(out), 2):
                        if out[i] != out[i + 1]:
                            errors.append("pair differs: %r %r" % (out[i], out[i + 1]))
                            return
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        ts = [threading.Thread(target=incr, args=(i,)) for i in range(6)]
        cs = [threading.Thread(target=check, args=(i % 2 == 0,)) for i in range(2)]
        for t in ts + cs:
            t.start()
        for t in ts:
            t.join()
        stop.set()
        for t in cs:
            t.join()
        assert not errors, errors[:3]
        r = s.redis()
        assert sum(int(r.get(a)) for a, _ in pairs) == 6 * 2000
        for a, b in pairs:
            assert r.get(a) == r.get(b)


if __name__ == "__main__":
    run_tests(dict(globals()))
