"""redis.conf compatibility: the server starts from the config file redis-server ships with, and
the directives it sets that Tessera once refused have their Redis 7.2.4 effect.

The config is Debian's /etc/redis/redis.conf (Redis 7.0.15's, with these directives), copied
with only daemonize, port, dir, logfile and pidfile overridden (skipped when the file is
absent), and a file of exactly the eleven lines.  Then each effect: the process title in
/proc/PID/cmdline, THP in /proc/PID/status, INFO hz under many clients, SORT ALPHA under a
locale (one localedef builds in a temporary directory), jemalloc's background thread, a
replica link's TCP_NODELAY (read through pidfd_getfd) and the replica's lazy flush."""
import ctypes
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, free_port, run_tests, wait_for  # noqa: E402

DEBIAN_CONF = "/etc/redis/redis.conf"

# The eleven directives as Redis 7.2.4's redis.conf writes them, and CONFIG GET's values.
ELEVEN = [
    ("set-proc-title", "yes", "yes"),
    ("proc-title-template", '"{title} {listen-addr} {server-mode}"',
     "{title} {listen-addr} {server-mode}"),
    ("locale-collate", '""', ""),
    ("repl-diskless-sync", "yes", "yes"),
    ("repl-diskless-sync-max-replicas", "0", "0"),
    ("repl-diskless-load", "disabled", "disabled"),
    ("repl-disable-tcp-nodelay", "no", "no"),
    ("replica-lazy-flush", "no", "no"),
    ("disable-thp", "yes", "yes"),
    ("dynamic-hz", "yes", "yes"),
    ("jemalloc-bg-thread", "yes", "yes"),
]


def config_get(r, name):
    return r.config_get(name)[name]


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read()


def title(pid):
    """The title as the kernel shows it: the bytes up to the first NUL, the rest all NULs."""
    raw = cmdline(pid)
    text, _, rest = raw.partition(b"\0")
    assert rest.strip(b"\0") == b"", raw
    return text.decode()


class ConfigFileServer:
    """A server started from exactly `path`, with nothing on the command line."""

    def __init__(self, binary, path, port, workdir, env=None):
        self.port = port
        self.log_path = os.path.join(workdir, "stdout.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([binary, path], cwd=workdir, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)
        r = redis.Redis(port=port)

        def up():
            assert self.proc.poll() is None, open(self.log_path).read()
            try:
                return r.ping()
            except redis.ConnectionError:
                return False
        wait_for(up, "the server did not start", timeout=10)

    def redis(self):
        return redis.Redis(port=self.port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def test_debian_redis_conf_starts_the_server(binary):
    if not os.path.exists(DEBIAN_CONF):
        print("skipped: no " + DEBIAN_CONF)
        return
    workdir = tempfile.mkdtemp(prefix="tessera-it-")
    port = free_port()
    path = os.path.join(workdir, "redis.conf")
    with open(DEBIAN_CONF) as f:
        text = f.read()
    # Later lines win: only where to run, how to log and whether to fork change.
    text += "\ndaemonize no\nport %d\ndir %s\nlogfile \"\"\npidfile \"\"\n" % (port, workdir)
    with open(path, "w") as f:
        f.write(text)
    with ConfigFileServer(binary, path, port, workdir) as s:
        r = s.redis()
        for name, _, value in ELEVEN:
            assert config_get(r, name) == value, name
        assert config_get(r, "daemonize") == "no"
        assert config_get(r, "dir") == os.path.realpath(workdir)
        assert config_get(r, "bind") == "127.0.0.1 -::1"
        assert config_get(r, "client-output-buffer-limit") == \
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        assert r.set("k", "v") and r.get("k") == b"v"
        assert title(s.proc.pid) == "%s 127.0.0.1:%d" % (binary, port)


def test_the_eleven_lines_alone(binary):
    text = "".join("%s %s\n" % (name, line) for name, line, _ in ELEVEN)
    assert len(text.splitlines()) == 11
    with Server(binary, config_text=text) as s:
        r = s.redis()
        for name, _, value in ELEVEN:
            assert config_get(r, name) == value, name
        assert config_get(r, "slave-lazy-flush") == "no"
        # CONFIG REWRITE keeps the file loadable: the lines stay, at their values.
        assert r.config_set("repl-diskless-load", "swapdb")
        assert r.execute_command("CONFIG", "REWRITE") == b"OK"
        rewritten = open(os.path.join(s.dir, "tessera.conf")).read()
        assert "repl-diskless-load swapdb\n" in rewritten, rewritten
        assert "set-proc-title yes\n" in rewritten, rewritten
    with Server(binary, config_text=rewritten) as s:
        assert config_get(s.redis(), "repl-diskless-load") == "swapdb"


def test_mutability_and_errors(binary):
    with Server(binary) as s:
        r = s.redis()
        for name in ("set-proc-title", "disable-thp"):
            try:
                r.config_set(name, "no")
                raise AssertionError(name + " is immutable")
            except redis.ResponseError as e:
                assert str(e) == ("CONFIG SET failed (possibly related to argument '%s') - "
                                  "can't set immutable config" % name), str(e)
        for name, value in (("repl-diskless-sync", "no"), ("repl-diskless-sync-max-replicas", "2"),
                            ("repl-diskless-load", "on-empty-db"),
                            ("repl-disable-tcp-nodelay", "yes"), ("slave-lazy-flush", "yes"),
                            ("dynamic-hz", "no"), ("jemalloc-bg-thread", "no")):
            assert r.config_set(name, value), name
            assert config_get(r, name) == value, name


def test_process_title(binary):
    with Server(binary) as s:
        r = s.redis()
        assert title(s.proc.pid) == "%s 127.0.0.1:%d" % (binary, s.port)
        if shutil.which("ps"):
            ps = subprocess.run(["ps", "-o", "args=", "-p", str(s.proc.pid)],
                                capture_output=True, text=True).stdout.strip()
            assert ps == "%s 127.0.0.1:%d" % (binary, s.port), ps
        # Redis 7.2.4's unit/other "Process title set as expected".
        r.config_set("proc-title-template",
                     "TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file}")
        words = title(s.proc.pid).split(" ")
        assert words == ["TEST", binary, "127.0.0.1:%d" % s.port, str(s.port), "0", "", "-"], \
            words
        try:
            r.config_set("proc-title-template", "{invalid-var}")
            raise AssertionError("accepted")
        except redis.ResponseError as e:
            assert "template format is invalid or contains unknown variables" in str(e)
        assert title(s.proc.pid).startswith("TEST ")
        # The title follows the port.
        r.config_set("proc-title-template", "{{x}} {listen-addr}")
        new_port = free_port()
        r.config_set("port", new_port)
        assert title(s.proc.pid) == "{x}} 127.0.0.1:%d" % new_port
    # set-proc-title no: the command line stays as started.
    with Server(binary, "--set-proc-title", "no") as s:
        assert cmdline(s.proc.pid).split(b"\0")[0] == binary.encode()
        assert b"--set-proc-title" in cmdline(s.proc.pid)


def thp_enabled(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("THP_enabled:"):
                return int(line.split()[1])
    return None


def test_disable_thp(binary):
    try:
        mode = open("/sys/kernel/mm/transparent_hugepage/enabled").read()
    except OSError:
        print("skipped: no THP in this kernel")
        return
    with Server(binary) as on, Server(binary, "--disable-thp", "no") as off:
        if thp_enabled(on.proc.pid) is None:
            print("skipped: /proc/PID/status has no THP_enabled")
            return
        assert thp_enabled(off.proc.pid) == 1
        # As Redis: prctl only when the kernel's mode is "always"; "madvise" is left alone.
        assert thp_enabled(on.proc.pid) == (0 if "[always]" in mode else 1), mode


def test_dynamic_hz_follows_the_clients(binary):
    with Server(binary, "--hz", "1") as s:
        r = s.redis()
        info = r.info("server")
        assert (info["hz"], info["configured_hz"]) == (1, 1)
        clients = [s.connect() for _ in range(402)]  # 403 with r: 403 / 2 > 200, so 4
        wait_for(lambda: r.info("clients")["connected_clients"] == 403, "clients connected")
        info = r.info("server")
        assert (info["hz"], info["configured_hz"]) == (4, 1), info
        r.config_set("dynamic-hz", "no")
        info = r.info("server")
        assert (info["hz"], info["configured_hz"]) == (1, 1)
        r.config_set("dynamic-hz", "yes")
        for c in clients[200:]:
            c.close()
        wait_for(lambda: r.info("clients")["connected_clients"] == 201, "clients closed")
        info = r.info("server")
        assert (info["hz"], info["configured_hz"]) == (2, 1), info


def make_en_us_locale():
    """en_US.UTF-8 built into a temporary LOCPATH, or None where localedef cannot."""
    if not shutil.which("localedef") or not os.path.exists("/usr/share/i18n/locales/en_US"):
        return None
    locpath = tempfile.mkdtemp(prefix="tessera-locale-")
    subprocess.run(["localedef", "-i", "en_US", "-f", "UTF-8",
                    os.path.join(locpath, "en_US.UTF-8")], capture_output=True)
    return locpath if os.path.isdir(os.path.join(locpath, "en_US.UTF-8")) else None


def test_locale_collate_orders_sort_alpha(binary):
    locpath = make_en_us_locale()
    if locpath is None:
        print("skipped: cannot build en_US.UTF-8 with localedef")
        return
    saved = os.environ.get("LOCPATH")
    os.environ["LOCPATH"] = locpath
    try:
        with Server(binary, "--locale-collate", "en_US.UTF-8") as s:
            r = s.redis()
            r.rpush("l", "b", "B", "a", "A")
            assert r.sort("l", alpha=True) == [b"a", b"A", b"b", b"B"]
            assert r.sort("l", alpha=True, desc=True) == [b"B", b"b", b"A", b"a"]
            # STORE compares bytes, whatever the locale.
            assert r.sort("l", alpha=True, store="dst") == 4
            assert r.lrange("dst", 0, -1) == [b"A", b"B", b"a", b"b"]
            # BY values collate too.
            for k, w in (("b", "x"), ("B", "Y"), ("a", "z"), ("A", "W")):
                r.set("w_" + k, w)
            assert r.sort("l", by="w_*", alpha=True) == [b"A", b"b", b"B", b"a"]
            # Lua's string comparison uses the same collation.
            assert r.eval("return 'a' < 'B'", 0) == 1
            assert r.config_set("locale-collate", "C")
            assert r.sort("l", alpha=True) == [b"A", b"B", b"a", b"b"]
            assert r.eval("return 'a' < 'B'", 0) is None
            try:
                r.config_set("locale-collate", "xx_NOWHERE.UTF-8")
                raise AssertionError("accepted")
            except redis.ResponseError as e:
                assert str(e) == ("CONFIG SET failed (possibly related to argument "
                                  "'locale-collate') - Invalid locale name"), str(e)
            assert config_get(r, "locale-collate") == "C"
            assert r.sort("l", alpha=True) == [b"A", b"B", b"a", b"b"]
    finally:
        if saved is None:
            del os.environ["LOCPATH"]
        else:
            os.environ["LOCPATH"] = saved
        shutil.rmtree(locpath)
    # An unknown locale at start-up stops the server, as Redis's initServer does.
    workdir = tempfile.mkdtemp(prefix="tessera-it-")
    out = subprocess.run([binary, "--port", str(free_port()), "--locale-collate", "xx_NOWHERE"],
                         cwd=workdir, capture_output=True, text=True, timeout=10)
    assert out.returncode == 1
    assert "Failed to configure LOCALE for invalid locale name." in out.stdout + out.stderr


def thread_names(pid):
    names = []
    for comm in glob.glob("/proc/%d/task/*/comm" % pid):
        try:
            names.append(open(comm).read().strip())
        except OSError:
            pass
    return names


def test_jemalloc_background_thread(binary):
    with Server(binary) as on, Server(binary, "--jemalloc-bg-thread", "no") as off:
        assert "jemalloc_bg_thd" in thread_names(on.proc.pid)
        assert "jemalloc_bg_thd" not in thread_names(off.proc.pid)
        stats = off.redis().execute_command("MEMORY", "MALLOC-STATS").decode()
        assert "Background threads: 0," in stats, stats[:2000]
        off.redis().config_set("jemalloc-bg-thread", "yes")
        wait_for(lambda: "jemalloc_bg_thd" in thread_names(off.proc.pid), "no background thread")
        stats = off.redis().execute_command("MEMORY", "MALLOC-STATS").decode()
        assert "Background threads: 0," not in stats, stats[:2000]
        off.redis().config_set("jemalloc-bg-thread", "no")
        wait_for(lambda: "jemalloc_bg_thd" not in thread_names(off.proc.pid),
                 "the background thread stayed")


def cpus_of_threads(pid):
    """{thread name: [its Cpus_allowed_list]} of process `pid` (a name may repeat)."""
    out = {}
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, task)) as f:
                name = f.read().strip()
            with open("/proc/%d/task/%s/status" % (pid, task)) as f:
                cpus = [l.split()[1] for l in f if l.startswith("Cpus_allowed_list:")][0]
        except OSError:
            continue
        out.setdefault(name, []).append(cpus)
    return out


def test_cpulists_pin_each_kind_of_thread(binary):
    if len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        print("skipped: needs CPUs 0 and 1")
        return
    with Server(binary, "--server_cpulist", "0", "--bio_cpulist", "1", "--bgsave_cpulist", "1",
                "--aof_rewrite_cpulist", "0-1:1", "--appendonly", "yes",
                "--rdb-key-save-delay", "100000") as s:
        r = s.redis()
        for name, value in (("server_cpulist", "0"), ("bio_cpulist", "1"),
                            ("bgsave_cpulist", "1"), ("aof_rewrite_cpulist", "0-1:1")):
            assert config_get(r, name) == value, name
            try:
                r.config_set(name, "0")
                raise AssertionError(name + " is immutable")
            except redis.ResponseError as e:
                assert "can't set immutable config" in str(e), str(e)
        r.sadd("big", *["m%d" % i for i in range(200)])
        r.unlink("big")  # a hash table: the lazy-free thread frees it, starting at this job
        wait_for(lambda: r.info("memory")["lazyfreed_objects"] == 1, "the lazy free")
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "initial rewrite")
        r.mset({"k%d" % i: i for i in range(50)})  # with the delay, 5 s for a save
        r.bgsave()
        # The save's thread takes its name once pinned.
        wait_for(lambda: "rdb_bgsave" in cpus_of_threads(s.proc.pid), "the save's thread")
        threads = cpus_of_threads(s.proc.pid)
        assert threads["worker-0"] == ["0"], threads
        assert threads["aof_writer"] == ["1"], threads
        assert threads["rdb_bgsave"] == ["1"], threads
        assert threads["lazy_free"] == ["1"], threads
        r.config_set("rdb-key-save-delay", "0")
        wait_for(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 0, "the save's end")
        r.config_set("rdb-key-save-delay", "100000")
        r.bgrewriteaof()
        wait_for(lambda: "aof_rewrite" in cpus_of_threads(s.proc.pid), "the rewrite's thread")
        threads = cpus_of_threads(s.proc.pid)
        assert threads["aof_rewrite"] == ["0-1"], threads
        r.config_set("rdb-key-save-delay", "0")
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "the rewrite")
    # A list Redis would not parse leaves the affinity alone (no error).
    with open("/proc/self/status") as f:
        ours = [l.split()[1] for l in f if l.startswith("Cpus_allowed_list:")][0]
    with Server(binary, "--server_cpulist", "1x") as s:
        assert s.redis().ping()
        assert cpus_of_threads(s.proc.pid)["worker-0"] == [ours]
    # server_cpulist alone: the background threads keep every CPU the process started with, as
    # Redis's bio threads do (it pins its main thread after they started).
    with Server(binary, "--server_cpulist", "0", "--appendonly", "yes") as s:
        r = s.redis()
        r.sadd("big", *["m%d" % i for i in range(200)])
        r.unlink("big")
        wait_for(lambda: r.info("memory")["lazyfreed_objects"] == 1, "the lazy free")
        threads = cpus_of_threads(s.proc.pid)
        assert threads["worker-0"] == ["0"], threads
        assert threads["aof_writer"] == [ours], threads
        assert threads["lazy_free"] == [ours], threads


def nodelay_of_peer(pid, peer_port):
    """TCP_NODELAY of process `pid`'s socket connected to 127.0.0.1:peer_port, read from a
    duplicate of its descriptor (pidfd_getfd)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        for entry in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, entry)).startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(438, pidfd, int(entry), 0)  # SYS_pidfd_getfd
            if fd < 0:
                continue
            sock = socket.socket(fileno=fd)
            try:
                if sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM:
                    try:
                        peer = sock.getpeername()
                    except OSError:
                        continue
                    if peer[1] == peer_port:
                        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            finally:
                sock.close()
    finally:
        os.close(pidfd)
    return None


def replica_link_port(primary):
    for c in primary.client_list():
        if "S" in c["flags"]:
            return int(c["addr"].rsplit(":", 1)[1])
    return None


def link_up(r):
    return r.info("replication").get("master_link_status") == "up"


def test_repl_disable_tcp_nodelay(binary):
    if not hasattr(os, "pidfd_open"):
        print("skipped: no pidfd_open")
        return
    for setting, expected in (("yes", 0), ("no", 1)):
        with Server(binary, "--repl-disable-tcp-nodelay", setting) as p, Server(binary) as s:
            pr, sr = p.redis(), s.redis()
            sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
            wait_for(lambda: link_up(sr), "the replica did not sync")
            port = replica_link_port(pr)
            got = nodelay_of_peer(p.proc.pid, port)
            assert got is not None, "no socket to the replica"
            assert (got != 0) == bool(expected), (setting, got)
            # An ordinary client keeps TCP_NODELAY.
            c = socket.create_connection(("127.0.0.1", p.port))
            c.sendall(b"PING\r\n")
            c.recv(16)
            assert nodelay_of_peer(p.proc.pid, c.getsockname()[1]) != 0
            c.close()


def test_replica_lazy_flush(binary):
    for setting in ("yes", "no"):
        with Server(binary) as p, Server(binary, "--replica-lazy-flush", setting) as s:
            pr, sr = p.redis(), s.redis()
            pr.set("from-primary", "1")
            for i in range(0, 1000, 100):
                sr.mset({"old:%d" % j: "v" for j in range(i, i + 100)})
            assert sr.info("memory")["lazyfreed_objects"] == 0
            sr.execute_command("REPLICAOF", "127.0.0.1", str(p.port))
            wait_for(lambda: link_up(sr), "the replica did not sync")
            assert sr.dbsize() == 1
            if setting == "yes":
                wait_for(lambda: sr.info("memory")["lazyfreed_objects"] == 1000,
                         "the old keys were not freed lazily")
            else:
                time.sleep(0.2)
                assert sr.info("memory")["lazyfreed_objects"] == 0


if __name__ == "__main__":
    run_tests(globals())
