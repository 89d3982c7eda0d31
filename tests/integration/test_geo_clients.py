"""The geo commands through redis-py, and GEOSEARCHSTORE / GEORADIUS STORE racing writers on
several worker threads (the source and destination keys live in different shards)."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def test_redis_py_geo(binary):
    with Server(binary) as s:
        r = s.redis(decode_responses=True)
        assert r.geoadd("Sicily", [13.361389, 38.115556, "Palermo",
                                   15.087269, 37.502669, "Catania"]) == 2
        assert r.geodist("Sicily", "Palermo", "Catania", unit="km") == 166.2742
        assert r.geohash("Sicily", "Palermo", "nope") == ["sqc8b49rny0", None]
        pos = r.geopos("Sicily", "Palermo", "nope")
        assert pos[0] == (13.361389338970184, 38.1155563954963) and pos[1] is None
        res = r.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km",
                          withdist=True, withcoord=True, withhash=True, sort="ASC")
        assert res == [
            ["Catania", 56.4413, 3479447370796909, (15.087267458438873, 37.50266842333162)],
            ["Palermo", 190.4424, 3479099956230698, (13.361389338970184, 38.1155563954963)]]
        assert r.geosearchstore("dst", "Sicily", member="Palermo", width=400, height=400,
                                unit="km", storedist=True) == 2
        assert r.zrange("dst", 0, -1, withscores=True) == [("Palermo", 0.0),
                                                            ("Catania", 166.27415156960032)]


def test_store_races_writers(binary):
    # Writers keep adding points to `src` while searchers store results in their own keys:
    # every stored set must be a consistent snapshot (all points present at one moment).
    with Server(binary, "--io-threads", "4") as s:
        r = s.redis(decode_responses=True)
        r.geoadd("src", [10.0, 10.0, "seed"])
        errors = []

        def writer(w):
            c = s.redis(decode_responses=True)
            for i in range(300):
                # Points come in pairs in one command: a snapshot holds both or neither.
                c.geoadd("src", [10.0 + i * 1e-4, 10.0, f"w{w}a{i}",
                                 10.0, 10.0 + i * 1e-4, f"w{w}b{i}"])

        def searcher(k):
            c = s.redis(decode_responses=True)
            for i in range(150):
                dest = f"dst{k}"
                if i % 2:
                    n = c.geosearchstore(dest, "src", longitude=10, latitude=10, radius=100,
                                         unit="km")
                else:
                    n = c.georadius("src", 10, 10, 100, unit="km", store=dest)
                members = set(c.zrange(dest, 0, -1))
                if n != len(members):
                    errors.append(("count", n, len(members)))
                for m in members:
                    if m.startswith("w") and "a" in m:
                        if m.replace("a", "b", 1) not in members:
                            errors.append(("torn", m))

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
        threads += [threading.Thread(target=searcher, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:5]
        assert r.zcard("src") == 1 + 3 * 600


if __name__ == "__main__":
    run_tests(dict(globals()))
