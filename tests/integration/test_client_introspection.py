"""CLIENT LIST/INFO fields and buffers as Redis 7.2 shows them, MODULE, LOLWUT, maxclients."""
import os
import re
import resource
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

FIELDS = ("id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem "
          "multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name lib-ver").split()


def fields_of(line):
    return dict(kv.split("=", 1) for kv in line.strip().split(" "))


def line_named(r, name):
    for line in r.execute_command("CLIENT", "LIST").decode().splitlines():
        if "name=%s " % name in line:
            return fields_of(line)
    raise AssertionError("no client named " + name)


def test_client_info_has_every_field_in_order(binary):
    with Server(binary) as s:
        r = s.redis()
        info = r.execute_command("CLIENT", "INFO").decode().strip()
        assert [kv.split("=", 1)[0] for kv in info.split(" ")] == FIELDS, info
        f = fields_of(info)
        # The running command is in the query buffer and in argv-mem, as in Redis.
        assert f["qbuf"] == "26" and f["argv-mem"] == "10", info
        assert f["multi"] == "-1" and f["redir"] == "-1" and f["events"] == "r", info
        assert f["cmd"] == "client|info" and f["flags"] == "N", info
        assert int(f["rbs"]) >= 1024 and int(f["tot-mem"]) > 0, info


def test_multi_counts_queued_commands(binary):
    with Server(binary) as s:
        r = s.redis()
        c = s.redis()
        c.execute_command("CLIENT", "SETNAME", "tx")
        c.execute_command("MULTI")
        c.execute_command("SET", "k", "value")
        c.execute_command("INCR", "n")
        f = line_named(r, "tx")
        assert f["multi"] == "2" and "x" in f["flags"], f
        # Argument bytes plus one pointer per argument, per queued command.
        assert int(f["multi-mem"]) == (3 + 1 + 5 + 3 * 8) + (4 + 1 + 2 * 8), f
        c.execute_command("EXEC")
        f = line_named(r, "tx")
        assert f["multi"] == "-1" and f["multi-mem"] == "0" and "x" not in f["flags"], f


def test_idle_buffers_are_given_back(binary):
    with Server(binary, "--enable-debug-command", "yes") as s:
        r = s.redis()
        c = s.redis()
        c.execute_command("CLIENT", "SETNAME", "idle")
        f = line_named(r, "idle")
        assert 16384 <= int(f["qbuf"]) + int(f["qbuf-free"]) < 32768, f
        assert f["rbs"] == "16384", f
        r.execute_command("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100")
        deadline = time.time() + 12
        while time.time() < deadline:
            f = line_named(r, "idle")
            if int(f["qbuf"]) + int(f["qbuf-free"]) == 0 and int(f["rbs"]) < 2048:
                break
            time.sleep(0.2)
        assert int(f["qbuf"]) + int(f["qbuf-free"]) == 0, f
        assert 1024 <= int(f["rbs"]) < 2048, f
        # A large reply grows the reply buffer back, one doubling per cron pass.
        r.set("big", "x" * 40000)
        r.execute_command("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never")
        deadline = time.time() + 10
        while time.time() < deadline:
            c.get("big")
            f = line_named(r, "idle")
            if int(f["rbs"]) >= 16384:
                break
            time.sleep(0.1)
        assert int(f["rbs"]) == 16384, f
        # With the cron paused nothing is resized.
        r.execute_command("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset")
        assert r.execute_command("DEBUG", "PAUSE-CRON", "1") == b"OK"
        # Many small commands (a big argument's buffer is never kept, as in Redis), sent while
        # writes are paused: they wait in the query buffer, which grows past 32 KiB whatever
        # the timing of the reads.
        r.execute_command("CLIENT", "PAUSE", "10000", "WRITE")
        conn = c.connection_pool.get_connection("SET")
        conn.send_packed_command(conn.pack_commands([("SET", "x", "y" * 20)] * 3000))
        deadline = time.time() + 5
        while time.time() < deadline:
            f = line_named(r, "idle")
            if int(f["qbuf"]) > 100000:
                break
            time.sleep(0.05)
        assert int(f["qbuf"]) + int(f["qbuf-free"]) > 32768, f
        r.execute_command("CLIENT", "UNPAUSE")
        assert all(conn.read_response() == b"OK" for _ in range(3000))
        c.connection_pool.release(conn)
        time.sleep(0.3)
        f = line_named(r, "idle")
        assert int(f["qbuf"]) + int(f["qbuf-free"]) > 32768, f  # kept: the cron is paused
        r.execute_command("DEBUG", "PAUSE-CRON", "0")
        deadline = time.time() + 10
        while time.time() < deadline:
            c.set("x", "small")
            f = line_named(r, "idle")
            if 0 < int(f["qbuf"]) + int(f["qbuf-free"]) <= 32768:
                break
            time.sleep(0.05)
        assert 0 < int(f["qbuf"]) + int(f["qbuf-free"]) <= 32768, f


def test_module_and_lolwut(binary):
    with Server(binary, "--enable-module-command", "yes") as s:
        r = s.redis()
        assert r.execute_command("MODULE", "LIST") == []
        for args in (("LOAD", "/nonexistent.so"), ("LOADEX", "/x.so", "CONFIG", "a", "b")):
            try:
                r.execute_command("MODULE", *args)
                raise AssertionError("MODULE %s succeeded" % args[0])
            except Exception as e:  # noqa: BLE001
                assert str(e) == "Error loading the extension. Please check the server logs.", e
        try:
            r.execute_command("MODULE", "UNLOAD", "foo")
            raise AssertionError("MODULE UNLOAD succeeded")
        except Exception as e:  # noqa: BLE001
            assert str(e) == "Error unloading module: no such module with that name", e
        art = r.execute_command("LOLWUT", "VERSION", "5", "1", "3", "2").decode()
        assert art.endswith("speaking Redis 7.2.4.\n") and art.count("\n") == 3, art
        assert r.execute_command("LOLWUT").decode().startswith("Tessera ver.")
    with Server(binary) as s:
        r = s.redis()
        assert r.execute_command("MODULE", "LIST") == []
        try:
            r.execute_command("MODULE", "LOAD", "/x.so")
            raise AssertionError("MODULE LOAD allowed")
        except Exception as e:  # noqa: BLE001
            assert str(e).startswith("MODULE command not allowed."), e


def test_maxclients_against_the_file_limit(binary):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with Server(binary, "--maxclients", "65000") as s:
        r = s.redis()
        got = int(r.config_get("maxclients")["maxclients"])
        if hard == resource.RLIM_INFINITY or hard >= 65032:
            assert got == 65000, got
        else:
            # Lowered to what the hard limit leaves, with a log line saying why.
            assert got == hard - 32, (got, hard)
            assert re.search(r"maxclients 65000 needs at least 65032 open files", s.read_log())


def open_files_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3]), int(line.split()[4])
    raise AssertionError("no open-files line")


def test_config_set_maxclients_raises_the_file_limit(binary):
    with Server(binary) as s:
        r = s.redis()
        # As if started under `ulimit -n 256` with a hard limit of 1024.
        resource.prlimit(s.proc.pid, resource.RLIMIT_NOFILE, (256, 1024))
        assert r.config_set("maxclients", "500")
        assert open_files_limit(s.proc.pid) == (532, 1024)  # 32 kept for the server's own
        assert re.search(r"Raised the open files limit from 256 to 532 for maxclients 500",
                         s.read_log())
        # More than the hard limit allows: Redis's error with what would fit (the search for a
        # limit steps down by 16 from 5032, as Redis's: 1016 - 32), and maxclients stays.
        try:
            r.config_set("maxclients", "5000")
            raise AssertionError("maxclients 5000 accepted")
        except redis.ResponseError as e:
            assert str(e) == ("CONFIG SET failed (possibly related to argument 'maxclients') - "
                              "The operating system is not able to handle the specified number "
                              "of clients, try with 984"), e
        assert int(r.config_get("maxclients")["maxclients"]) == 500
        assert r.config_set("maxclients", "992")
        assert open_files_limit(s.proc.pid) == (1024, 1024)
        # Lowering it needs no more descriptors.
        assert r.config_set("maxclients", "10")
        assert open_files_limit(s.proc.pid) == (1024, 1024)


if __name__ == "__main__":
    run_tests(dict(globals()))
