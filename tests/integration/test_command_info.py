"""COMMAND's facts beside Redis 7.2.4's, command by command and subcommand by subcommand:
arity, flags, first/last/step, ACL categories, tips and key specs.  Cluster clients route by
the tips and key specs, redis-cli and client libraries read the rest.

command_info_724.json holds what 7.2.4's COMMAND printed (one entry per command and
subcommand; a key spec's "notes" text is kept only as present or not, since ours are in our
own words).  Commands of replication, which is not built yet, are the only ones allowed to be
missing; a command Redis 7.2.4 does not have fails the test, except 7.4's hash field expiry."""
import json
import os
import sys

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

EXPECTED = os.path.join(os.path.dirname(__file__), "command_info_724.json")
# Commands not built yet: FAILOVER (replication), RESTORE-ASKING (cluster).
NOT_YET = {"failover", "restore-asking"}
# Redis 7.4's hash field expiry, which we have beside 7.2's commands.
FROM_74 = {"hexpire", "hexpireat", "hexpiretime", "hpersist", "hpexpire", "hpexpireat",
           "hpexpiretime", "hpttl", "httl"}


def text(x):
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, list):
        return [text(i) for i in x]
    return x


def entry(e):
    e = text(e)
    specs = []
    for spec in e[8]:
        d = dict(zip(spec[0::2], spec[1::2]))
        if "notes" in d:
            assert d["notes"], (e[0], "empty notes")
            d["notes"] = True
        specs.append(d)
    return {"arity": e[1], "flags": e[2], "first": e[3], "last": e[4], "step": e[5],
            "acl": e[6], "tips": e[7], "key_specs": specs}


def ours(port):
    c = redis.Connection(port=port)
    c.connect()
    c.send_command("COMMAND")
    out = {}
    for e in c.read_response():
        out[e[0].decode()] = entry(e)
        for s in e[9]:
            out[s[0].decode()] = entry(s)
    c.disconnect()
    return out


def test_command_facts_match_redis_724(binary):
    with open(EXPECTED) as f:
        expected = json.load(f)
    with Server(binary) as s:
        got = ours(s.port)
    extra = sorted(set(got) - set(expected) - FROM_74)
    assert not extra, "commands Redis 7.2.4 does not have: %s" % extra
    missing = sorted(n for n in set(expected) - set(got) if n.split("|")[0] not in NOT_YET)
    assert not missing, "missing: %s" % missing
    differ = []
    for name in sorted(set(got) - FROM_74):
        for field, want in expected[name].items():
            if got[name][field] != want:
                differ.append("%s %s:\n  ours  %s\n  redis %s" % (name, field, got[name][field],
                                                                   want))
    assert not differ, "%d differences:\n%s" % (len(differ), "\n".join(differ))


if __name__ == "__main__":
    run_tests(globals())
