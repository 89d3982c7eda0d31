"""Observability against the real binary: INFO stats / latencystats / keyspace beside the
reference redis-server 7.2.4 (field names and order, when it is installed), the latency
monitor fed by a real slow command, key-ttl-policy from a config file through CONFIG REWRITE,
and metrics-port scraped over HTTP with urllib."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import RawClient, Server, free_port, run_tests  # noqa: E402

REFERENCE_724 = "/work/redis-724/src/redis-server"


def reference_binary():
    if os.path.exists(REFERENCE_724):
        return REFERENCE_724
    return None


def info_text(port, section):
    c = RawClient(port)
    try:
        reply = c.command("INFO", section)
    finally:
        c.close()
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def info_fields(port, section):
    out = []
    for line in info_text(port, section).split("\r\n"):
        if line and not line.startswith(("#", "$")):
            out.append(line.split(":", 1)[0])
    return out


def with_reference(fn):
    ref = reference_binary()
    if ref is None:
        print("  (redis-server 7.2.4 not installed: skipped the side-by-side comparison)")
        return
    port = free_port()
    d = tempfile.mkdtemp(prefix="tessera-ref-")
    proc = subprocess.Popen([ref, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis
        r = redis.Redis(port=port)
        deadline = time.time() + 10
        while True:
            try:
                r.ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        fn(r, port)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def test_info_stats_fields_match_redis_724(binary):
    with Server(binary) as s:
        ours = info_fields(s.port, "stats")

    def compare(r, port):
        theirs = info_fields(port, "stats")
        assert theirs == ours, (theirs, ours)
    with_reference(compare)
    # Whatever the reference, the fields the issue names are there.
    for f in ["expired_stale_perc", "expired_time_cap_reached_count",
              "expire_cycle_cpu_milliseconds", "total_net_input_bytes",
              "instantaneous_ops_per_sec", "total_error_replies", "total_reads_processed",
              "eventloop_cycles"]:
        assert f in ours, f


def test_stats_count_what_happens(binary):
    with Server(binary) as s:
        r = s.redis()
        r.set("k", "v", px=30)
        for i in range(50):
            r.set("v%d" % i, "x", ex=1000)
        try:
            r.execute_command("NOSUCHCOMMAND")
        except Exception:
            pass
        time.sleep(0.5)  # the active cycle reclaims k
        info = r.info("stats")
        assert info["expired_keys"] >= 1, info
        assert info["total_error_replies"] == 1, info
        assert info["total_reads_processed"] >= 53, info
        assert info["total_writes_processed"] >= 53, info
        assert info["eventloop_cycles"] > 0, info
        assert info["total_net_input_bytes"] > 0 and info["total_net_output_bytes"] > 0
        ks = r.info("keyspace")["db0"]
        assert ks["keys"] == 50 and ks["expires"] == 50, ks
        # Sampled estimate of 1000 s TTLs.
        assert 990000 <= ks["avg_ttl"] <= 1000000, ks
        # instantaneous_ops_per_sec is sampled every 100 ms over the last 1.6 s.
        for _ in range(200):
            r.ping()
        time.sleep(0.3)
        assert r.info("stats")["instantaneous_ops_per_sec"] > 0


def test_latencystats_and_histogram_shapes(binary):
    with Server(binary) as s:
        r = s.redis()
        r.set("a", "b")
        r.get("a")
        text = info_text(s.port, "latencystats")
        assert re.search(r"\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},"
                         r"p99\.9=\d+\.\d{3}\r\n", text), text
        histo = r.execute_command("LATENCY", "HISTOGRAM", "set", "get")
        assert len(histo) == 4
        entry = dict(zip(histo[1][::2], histo[1][1::2]))
        assert entry[b"calls"] == 1

    def same_shape(ref, port):
        ref.set("a", "b")
        text = info_text(port, "latencystats")
        assert re.search(r"\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},"
                         r"p99\.9=\d+\.\d{3}\r\n", text), text
    with_reference(same_shape)


def test_latency_monitor_records_a_slow_command(binary):
    with Server(binary, "--enable-debug-command", "yes") as s:
        r = s.redis()
        r.config_set("latency-monitor-threshold", 40)
        r.execute_command("DEBUG", "SLEEP", "0.06")
        latest = r.execute_command("LATENCY", "LATEST")
        assert len(latest) == 1 and latest[0][0] == b"command", latest
        assert 60 <= latest[0][2] < 1000, latest
        history = r.execute_command("LATENCY", "HISTORY", "command")
        assert len(history) == 1 and history[0][1] == latest[0][2]
        graph = r.execute_command("LATENCY", "GRAPH", "command").decode()
        assert re.match(r"command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n",
                        graph), graph
        assert "1. command: 1 latency spike" in r.execute_command("LATENCY", "DOCTOR").decode()
        assert r.execute_command("LATENCY", "RESET") == 1


def test_key_ttl_policy_from_file_and_rewrite(binary):
    conf = "key-ttl-policy sess:* 100 1000\nkey-ttl-policy cache:* 0 50\n"
    with Server(binary, config_text=conf) as s:
        r = s.redis()
        r.set("sess:1", "v")
        r.set("cache:1", "v", ex=99999)
        r.set("other", "v")
        assert r.ttl("sess:1") == 100
        assert r.ttl("cache:1") == 50
        assert r.ttl("other") == -1
        r.config_set("key-ttl-policy", "x* 5 10")
        assert r.config_get("key-ttl-policy") == {"key-ttl-policy": "x* 5 10"}
        r.config_rewrite()
        text = open(os.path.join(s.dir, "tessera.conf")).read()
        assert "key-ttl-policy x* 5 10\n" in text and "sess:*" not in text, text


def test_metrics_port_serves_prometheus_text(binary):
    mport = free_port()
    with Server(binary, "--metrics-port", str(mport)) as s:
        r = s.redis()
        r.set("k", "v")
        r.get("k")
        r.get("missing")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            body = resp.read().decode()
        for line in ["redis_up 1", "redis_connected_clients 1", "redis_db_keys{db=\"db0\"} 1",
                     "redis_keyspace_hits_total 1", "redis_keyspace_misses_total 1",
                     "redis_commands_total{cmd=\"get\"} 2"]:
            assert "\n" + line + "\n" in "\n" + body, (line, body)
        for name in ["redis_memory_used_bytes", "redis_commands_processed_total",
                     "redis_evicted_keys_total", "redis_expired_keys_total",
                     "redis_net_input_bytes_total"]:
            assert re.search(r"\n%s \d+" % name, body), name
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/other" % mport, timeout=5)
            raise AssertionError("expected 404")
        except urllib.error.HTTPError as e:
            assert e.code == 404
        # The Redis port still answers while scrapes come and go.
        for _ in range(5):
            urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read()
        assert r.ping()


def test_metrics_port_off_by_default(binary):
    with Server(binary) as s:
        assert s.redis().config_get("metrics-port") == {"metrics-port": "0"}


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as resp:
        return resp.read().decode()


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_metrics_port_set_at_run_time(binary):
    with Server(binary) as s:
        r = s.redis()
        first, second = free_port(), free_port()
        r.config_set("metrics-port", first)
        assert "\nredis_up 1\n" in "\n" + scrape(first)
        r.config_set("metrics-port", second)
        assert "\nredis_up 1\n" in "\n" + scrape(second)
        assert refused(first)
        # A port another process holds fails as CONFIG SET port does; the endpoint stays.
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        busy = holder.getsockname()[1]
        try:
            r.config_set("metrics-port", busy)
            raise AssertionError("expected an error")
        except redis.ResponseError as e:
            assert str(e) == ("CONFIG SET failed (possibly related to argument 'metrics-port') - "
                              "Unable to listen on this port. Check server logs."), str(e)
        holder.close()
        assert r.config_get("metrics-port") == {"metrics-port": str(second)}
        assert "\nredis_up 1\n" in "\n" + scrape(second)
        r.config_set("metrics-port", 0)
        assert refused(second)
        assert r.ping()


if __name__ == "__main__":
    run_tests(globals())
