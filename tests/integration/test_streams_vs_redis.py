"""Streams side by side with the reference redis-server (when installed): seeded random runs of
XADD (every ID form, MAXLEN/MINID exact and approximate, LIMIT), XDEL, XTRIM, XRANGE,
XREVRANGE, XREAD, consumer groups (XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, XPENDING, XINFO
GROUPS), under node limits from 2 entries to Redis's defaults, so that node splitting and
approximate trimming must agree with Redis entry for entry; every other run speaks RESP3.
Every reply must be the same bytes.

Left out because Redis 7.2 changed them after the 7.0 reference Debian ships: XSETID's order
of checks, and XCLAIM creating its consumer when it claims nothing (the command tests cover
both as 7.2 does them)."""
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def commands(rng, n):
    top = [1]
    out = []

    def rid():
        return "%d-%d" % (rng.randint(0, top[0] + 2), rng.randint(0, 3))

    def ordered_pair():
        a, b = rid(), rid()
        key = lambda x: tuple(map(int, x.split("-")))  # noqa: E731
        return sorted([a, b], key=key)

    for _ in range(n):
        k = rng.choice(["s1", "s2"])
        g = rng.choice(["g1", "g2"])
        r = rng.random()
        if r < 0.35:
            top[0] += rng.randint(0, 2)
            id_arg = rng.choice(["%d-%d" % (top[0], rng.randint(0, 3)), "%d-*" % top[0],
                                 "%d" % top[0]])
            fields = rng.choice([["a", "1"], ["a", "2", "b", "x" * rng.randint(0, 30)],
                                 ["type", "click", "user", "u%d" % rng.randint(0, 9)]])
            trim = []
            if rng.random() < 0.2:
                trim = [rng.choice(["MAXLEN", "MINID"])]
                trim += [op for op in [rng.choice(["~", "=", None])] if op]
                trim.append(str(rng.randint(0, 30)) if trim[0] == "MAXLEN" else rid())
                if "~" in trim and rng.random() < 0.5:
                    trim += ["LIMIT", str(rng.randint(0, 20))]
            out.append(["XADD", k] + trim + [id_arg] + fields)
        elif r < 0.45:
            out.append(["XDEL", k] + [rid() for _ in range(rng.randint(1, 4))])
        elif r < 0.5:
            t = [rng.choice(["MAXLEN", "MINID"])] + (["~"] if rng.random() < 0.5 else [])
            t.append(str(rng.randint(0, 30)) if t[0] == "MAXLEN" else rid())
            out.append(["XTRIM", k] + t)
        elif r < 0.6:
            count = ["COUNT", str(rng.randint(0, 5))] if rng.random() < 0.5 else []
            a, b = ordered_pair()
            if rng.random() < 0.5:
                out.append(["XRANGE", k, a, b] + count)
            else:
                out.append(["XREVRANGE", k, b, a] + count)
        elif r < 0.65:
            out.append(["XRANGE", k, "-", "+"])
        elif r < 0.7:
            out.append(["XGROUP", "CREATE", k, g, rng.choice(["0", "$", rid()]), "MKSTREAM"])
            for c in ("c1", "c2", "c3", "c4"):
                out.append(["XGROUP", "CREATECONSUMER", k, g, c])
        elif r < 0.8:
            out.append(["XREADGROUP", "GROUP", g, rng.choice(["c1", "c2"]), "COUNT",
                        str(rng.randint(1, 4)), "STREAMS", k, rng.choice([">", ">", "0"])])
        elif r < 0.85:
            out.append(["XACK", k, g, rid(), rid()])
        elif r < 0.88:
            out.append(["XCLAIM", k, g, "c3", "0", rid(), rid(), "JUSTID"])
        elif r < 0.91:
            out.append(["XAUTOCLAIM", k, g, "c4", "0", "0", "COUNT", str(rng.randint(1, 5)),
                        "JUSTID"])
        elif r < 0.93:
            out.append(["XPENDING", k, g])
        elif r < 0.96:
            out.append(["XINFO", "GROUPS", k])
        elif r < 0.98:
            out.append(["XREAD", "COUNT", "3", "STREAMS", k, rid()])
        else:
            out.append(["XLEN", k])
    out += [["XRANGE", "s1", "-", "+"], ["XRANGE", "s2", "-", "+"]]
    return out


def replies(port_server, settings, cmds, resp):
    c = port_server.connect()
    if resp == 3:
        c.command("HELLO", "3")  # its reply names the server: not compared
    c.command("FLUSHALL")
    for name, value in settings:
        assert c.command("CONFIG", "SET", name, value) == b"+OK\r\n"
    return [c.command(*cmd) for cmd in cmds]


def test_random_stream_commands_same_as_redis(binary):
    ref = shutil.which("redis-server")
    if ref is None:
        print("  (redis-server not installed: skipped the side-by-side comparison)")
        return
    with Server(binary) as ours, Server(ref) as theirs:
        for seed in range(40):
            rng = random.Random(seed)
            settings = [("stream-node-max-entries", str(rng.choice([2, 5, 10, 20, 100]))),
                        ("stream-node-max-bytes", str(rng.choice([64, 200, 4096])))]
            cmds = commands(rng, 400)
            resp = 3 if seed % 2 else 2
            got = replies(ours, settings, cmds, resp)
            want = replies(theirs, settings, cmds, resp)
            for cmd, g, w in zip(cmds, got, want):
                assert g == w, (seed, resp, settings, cmd, g[:300], w[:300])


if __name__ == "__main__":
    run_tests(globals())
