"""A replica's output buffer under maxmemory (the Redis suite's test_slave_buffers): while the
replica is stopped, the stream piling up for it is counted in mem_clients_slaves and
mem_not_counted_for_evict to the byte the allocator holds for it, so it never makes the
primary evict."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402


def memory(r):
    m = r.info("memory")
    return m["used_memory"], m["mem_not_counted_for_evict"], m["mem_clients_normal"]


def replicate(primary, replica):
    pr, rr = primary.redis(), replica.redis()
    for j in range(100):
        pr.setrange("key:%d" % j, 100000, "asdf")
    for r in (pr, rr):
        r.config_set("latency-tracking", "no")
        r.config_set("slowlog-log-slower-than", -1)
    pr.config_set("repl-timeout", 1200)
    pr.config_set("maxmemory-policy", "allkeys-random")
    pr.config_set("client-output-buffer-limit", "replica 100000000 100000000 300")
    rr.replicaof("127.0.0.1", primary.port)
    deadline = time.time() + 10
    while rr.info("replication")["master_link_status"] != "up":
        assert time.time() < deadline, "replication did not start"
        time.sleep(0.05)
    time.sleep(1.2)  # the bulk written out, the cron's trims done
    return pr


def test_stopped_replica_buffer_is_counted_and_never_evicts(binary):
    with Server(binary) as primary, Server(binary) as replica:
        pr = replicate(primary, replica)
        used, not_counted, normal = memory(pr)
        before = used - not_counted - normal
        # The suite leaves 32 KB above what the dataset and the clients use; 256 KB keeps a
        # loaded machine's passing allocations (a cron pass, a thread cache refill) from
        # evicting, and is still far below the megabytes an uncounted quarter of the
        # replica's buffer would be (what this test is for).
        pr.config_set("maxmemory", used - not_counted + 256 * 1024)
        replica.proc.send_signal(signal.SIGSTOP)
        try:
            payload = "A" * 100
            count = 80000
            for _ in range(count):
                pr.setrange("key:0", 0, payload)
            used, not_counted, normal = memory(pr)
            slaves = pr.info("memory")["mem_clients_slaves"]
            # Grown by doublings to megabytes: the allocator's size classes hold a quarter
            # more than a doubled capacity, all of it counted.
            assert slaves > 2 * 1024 * 1024, slaves
            assert not_counted >= slaves
            delta = (used - not_counted - normal) - before
            evicted = pr.info("stats")["evicted_keys"]
            assert -count // 2 < delta < count // 2, (delta, evicted, not_counted, slaves)
            assert pr.info("stats")["evicted_keys"] == 0
            assert pr.dbsize() == 100
            pr.execute_command("CLIENT", "KILL", "TYPE", "replica")
            deadline = time.time() + 5
            while pr.info("memory")["mem_clients_slaves"] != 0:
                assert time.time() < deadline
                time.sleep(0.05)
            assert pr.dbsize() == 100
        finally:
            replica.proc.send_signal(signal.SIGCONT)


if __name__ == "__main__":
    run_tests(globals())
