#include "server/config/config.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base/split_args.h"
#include "server/config/config_file.h"
#include "tests/server/config/config_test_util.h"

namespace tessera::server {
namespace {

using config_test::GetOne;
using config_test::SetOne;
using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs GetMany(const ConfigRegistry& r, std::vector<std::string_view> patterns) {
  return r.Get(patterns);
}

// The fatal error text for `text`, which must fail to load.
std::string LoadError(std::string_view text) {
  ConfigRegistry r;
  std::string err;
  CHECK_FALSE(r.LoadFromString(text, &err));
  return err;
}

// Just the reason: the last line of the fatal error text.
std::string Reason(std::string_view text) {
  std::string err = LoadError(text);
  REQUIRE(err.size() > 1);
  err.pop_back();
  return err.substr(err.rfind('\n') + 1);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tessera-config-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, std::string_view content) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << content;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `dir` changes the process working directory; tests put it back.
class CwdGuard {
 public:
  CwdGuard() : cwd_(CurrentDirectory()) {}
  ~CwdGuard() { REQUIRE(::chdir(cwd_.c_str()) == 0); }

 private:
  std::string cwd_;
};

bool LoadArgs(ConfigRegistry& r, std::vector<std::string> args, std::string* err) {
  args.insert(args.begin(), "tessera-server");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return r.LoadFromCommandLine(static_cast<int>(args.size()), argv.data(), err);
}

CommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tessera-server");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

// ---- Defaults ----

TEST_CASE("Defaults are Redis 7.2's, as CONFIG GET shows them") {
  ConfigRegistry r;
  const std::pair<const char*, const char*> expected[] = {
      {"bind", "* -::*"},
      {"port", "6379"},
      {"unixsocket", ""},
      {"unixsocketperm", "0"},
      {"protected-mode", "yes"},
      {"timeout", "0"},
      {"tcp-keepalive", "300"},
      {"tcp-backlog", "511"},
      {"maxclients", "10000"},
      {"tracking-table-max-keys", "1000000"},
      {"requirepass", ""},
      {"tls-port", "0"},
      {"tls-cert-file", ""},
      {"tls-key-file", ""},
      {"tls-key-file-pass", ""},
      {"tls-ca-cert-file", ""},
      {"tls-ca-cert-dir", ""},
      {"tls-client-cert-file", ""},
      {"tls-client-key-file", ""},
      {"tls-client-key-file-pass", ""},
      {"tls-dh-params-file", ""},
      {"tls-auth-clients", "yes"},
      {"tls-protocols", ""},
      {"tls-ciphers", ""},
      {"tls-ciphersuites", ""},
      {"tls-prefer-server-ciphers", "no"},
      {"tls-session-caching", "yes"},
      {"tls-replication", "no"},
      {"tls-cluster", "no"},
      {"aclfile", ""},
      {"acllog-max-len", "128"},
      {"acl-pubsub-default", "resetchannels"},
      {"io-threads", "1"},
      {"databases", "16"},
      {"daemonize", "no"},
      {"pidfile", ""},
      {"logfile", ""},
      {"loglevel", "notice"},
      {"hz", "10"},
      {"dynamic-hz", "yes"},
      {"set-proc-title", "yes"},
      {"proc-title-template", "{title} {listen-addr} {server-mode}"},
      {"locale-collate", ""},
      {"disable-thp", "yes"},
      {"server_cpulist", ""},
      {"bio_cpulist", ""},
      {"aof_rewrite_cpulist", ""},
      {"bgsave_cpulist", ""},
      {"jemalloc-bg-thread", "yes"},
      {"enable-debug-command", "no"},
      {"proto-max-bulk-len", "536870912"},
      {"client-query-buffer-limit", "1073741824"},
      {"slowlog-log-slower-than", "10000"},
      {"slowlog-max-len", "128"},
      {"client-output-buffer-limit",
       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
      {"busy-reply-threshold", "5000"},
      {"lua-time-limit", "5000"},
      {"save", "3600 1 300 100 60 10000"},
      {"appendonly", "no"},
      {"dbfilename", "dump.rdb"},
      {"appendfsync", "everysec"},
      {"appenddirname", "appendonlydir"},
      {"appendfilename", "appendonly.aof"},
      {"aof-use-rdb-preamble", "yes"},
      {"aof-load-truncated", "yes"},
      {"aof-timestamp-enabled", "no"},
      {"no-appendfsync-on-rewrite", "no"},
      {"aof-rewrite-incremental-fsync", "yes"},
      {"rdb-save-incremental-fsync", "yes"},
      {"auto-aof-rewrite-percentage", "100"},
      {"auto-aof-rewrite-min-size", "67108864"},
      {"rdbcompression", "yes"},
      {"rdbchecksum", "yes"},
      {"stop-writes-on-bgsave-error", "yes"},
      {"rdb-del-sync-files", "no"},
      {"sanitize-dump-payload", "no"},
      {"rdb-key-save-delay", "0"},
      {"key-load-delay", "0"},
      {"aof-disable-auto-gc", "no"},
      {"loading-process-events-interval-bytes", "2097152"},
      {"lazyfree-lazy-expire", "no"},
      {"lazyfree-lazy-server-del", "no"},
      {"lazyfree-lazy-user-del", "no"},
      {"lazyfree-lazy-user-flush", "no"},
      {"crash-memcheck-enabled", "yes"},
      {"use-exit-on-panic", "no"},
      {"maxmemory", "0"},
      {"maxmemory-policy", "noeviction"},
      {"maxmemory-samples", "5"},
      {"maxmemory-eviction-tenacity", "10"},
      {"lfu-log-factor", "10"},
      {"lfu-decay-time", "1"},
      {"lazyfree-lazy-eviction", "no"},
      {"maxmemory-clients", "0"},
      {"activedefrag", "no"},
      {"active-defrag-cycle-min", "1"},
      {"active-defrag-cycle-max", "25"},
      {"active-defrag-threshold-lower", "10"},
      {"active-defrag-threshold-upper", "100"},
      {"active-defrag-max-scan-fields", "1000"},
      {"active-defrag-ignore-bytes", "104857600"},
      {"oom-score-adj", "no"},
      {"oom-score-adj-values", "0 200 800"},
      {"notify-keyspace-events", ""},
      {"enable-protected-configs", "no"},
      {"enable-module-command", "no"},
      {"always-show-logo", "no"},
      {"activerehashing", "yes"},
      {"latency-monitor-threshold", "0"},
      {"latency-tracking", "yes"},
      {"latency-tracking-info-percentiles", "50 99 99.9"},
      {"key-ttl-policy", ""},
      {"metrics-port", "0"},
      {"repl-diskless-sync", "yes"},
      {"repl-diskless-sync-delay", "5"},
      {"repl-diskless-sync-max-replicas", "0"},
      {"repl-diskless-load", "disabled"},
      {"repl-disable-tcp-nodelay", "no"},
      {"replica-lazy-flush", "no"},
      {"repl-ping-replica-period", "10"},
      {"replica-serve-stale-data", "yes"},
      {"slave-serve-stale-data", "yes"},
      {"replicaof", ""},
      {"masterauth", ""},
      {"masteruser", ""},
      {"replica-read-only", "yes"},
      {"replica-ignore-maxmemory", "yes"},
      {"replica-announced", "yes"},
      {"replica-priority", "100"},
      {"replica-announce-ip", ""},
      {"replica-announce-port", "0"},
      {"repl-timeout", "60"},
      {"min-replicas-to-write", "0"},
      {"min-replicas-max-lag", "10"},
      {"repl-backlog-size", "1048576"},
      {"repl-backlog-ttl", "3600"},
      {"shutdown-on-sigterm", "default"},
      {"shutdown-on-sigint", "default"},
      {"shutdown-timeout", "10"},
      {"propagation-error-behavior", "ignore"},
      {"hash-max-listpack-entries", "512"},
      {"hash-max-listpack-value", "64"},
      {"set-max-intset-entries", "512"},
      {"set-max-listpack-entries", "128"},
      {"set-max-listpack-value", "64"},
      {"zset-max-listpack-entries", "128"},
      {"zset-max-listpack-value", "64"},
      {"list-max-listpack-size", "-2"},
      {"list-compress-depth", "0"},
      {"hll-sparse-max-bytes", "3000"},
      {"stream-node-max-bytes", "4096"},
      {"stream-node-max-entries", "100"},
  };
  for (const auto& [name, value] : expected) {
    INFO(name);
    CHECK(GetOne(r, name) == value);
  }
  CHECK(GetOne(r, "dir") == CurrentDirectory());
  // + dir - lua-time-limit - slave-serve-stale-data (aliases)
  CHECK(ConfigRegistry::Names().size() + 1 == std::size(expected));

  const ServerConfig& c = r.values();
  CHECK(c.port.load(std::memory_order_relaxed) == 6379);
  CHECK(c.bind.Get() == std::vector<std::string>{"*", "-::*"});
  CHECK(c.loglevel.load() == LogLevel::kNotice);
  CHECK(c.databases == 16);
  CHECK(c.proto_max_bulk_len.load() == 512LL * 1024 * 1024);
  CHECK(c.dbfilename.Get() == "dump.rdb");
}

TEST_CASE("SetDefault changes the starting value and what counts as default") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.SetDefault("io-threads", "8", &err));
  CHECK(r.values().io_threads == 8);
  CHECK_FALSE(r.SetDefault("io-threads", "500", &err));
  CHECK(err == "argument must be between 1 and 128 inclusive");
  REQUIRE(r.LoadFromString("port 7000\n", &err));
  CHECK(GetOne(r, "io-threads") == "8");
}

// ---- Loading: every type, ok and error, with Redis's messages ----

TEST_CASE("The fatal error text is redis-server's") {
  CHECK(LoadError("# comment\nport \"abc\"\n") ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"
        "Reading the configuration file, at line 2\n"
        ">>> 'port \"abc\"'\n"
        "argument couldn't be parsed into an integer\n");
  // The line is shown trimmed.
  CHECK(LoadError("  \tfoo bar  \r\n").find(">>> 'foo bar'\n") != std::string::npos);
}

TEST_CASE("Directive and argument-count errors") {
  CHECK(Reason("nosuchdirective 1") == "Bad directive or wrong number of arguments");
  CHECK(Reason("include") == "Bad directive or wrong number of arguments");
  CHECK(Reason("port") == "wrong number of arguments");
  CHECK(Reason("port 1 2") == "wrong number of arguments");
  CHECK(Reason("dir a b") == "wrong number of arguments");
  CHECK(Reason("requirepass \"abc") == "Unbalanced quotes in configuration line");
  CHECK(Reason("requirepass \"abc\"x") == "Unbalanced quotes in configuration line");
  // Deprecated directives are accepted and ignored, as in Redis 7.2.
  ConfigRegistry r;
  std::string err;
  CHECK(r.LoadFromString("list-max-ziplist-entries 5\nlua-replicate-commands yes\n", &err));
}

TEST_CASE("Bool directives") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("protected-mode NO\nDAEMONIZE Yes\n", &err));
  CHECK(GetOne(r, "protected-mode") == "no");
  CHECK(r.values().daemonize);
  CHECK(Reason("protected-mode maybe") == "argument must be 'yes' or 'no'");
  CHECK(Reason("daemonize 1") == "argument must be 'yes' or 'no'");
}

TEST_CASE("Integer directives") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(
      r.LoadFromString("port 0\ntimeout 30\nlist-max-listpack-size -5\n"
                       "slowlog-log-slower-than -1\nmaxclients 4294967295\n",
                       &err));
  CHECK(GetOne(r, "port") == "0");
  CHECK(r.values().timeout.load() == 30);
  CHECK(GetOne(r, "list-max-listpack-size") == "-5");
  CHECK(GetOne(r, "slowlog-log-slower-than") == "-1");
  CHECK(r.values().maxclients.load() == 4294967295u);
  CHECK(Reason("port 65536") == "argument must be between 0 and 65535 inclusive");
  CHECK(Reason("port -1") == "argument must be between 0 and 65535 inclusive");
  CHECK(Reason("port 1k") == "argument couldn't be parsed into an integer");
  CHECK(Reason("port +5") == "argument couldn't be parsed into an integer");
  CHECK(Reason("port 05") == "argument couldn't be parsed into an integer");
  CHECK(Reason("databases 0") == "argument must be between 1 and 2147483647 inclusive");
  CHECK(Reason("maxclients 0") == "argument must be between 1 and 4294967295 inclusive");
  CHECK(Reason("io-threads 129") == "argument must be between 1 and 128 inclusive");
  CHECK(Reason("slowlog-log-slower-than -2") ==
        "argument must be between -1 and 9223372036854775807 inclusive");
  CHECK(Reason("hash-max-listpack-entries -1") ==
        "argument must be between 0 and 9223372036854775807 inclusive");
}

TEST_CASE("hz is clamped to 1..500, not rejected") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("hz 0", &err));
  CHECK(GetOne(r, "hz") == "1");
  REQUIRE(r.LoadFromString("hz 100000", &err));
  CHECK(r.values().hz.load() == 500);
  CHECK(SetOne(r, "hz", "42") == "");
  CHECK(GetOne(r, "hz") == "42");
  CHECK(Reason("hz -1") == "argument must be between 0 and 2147483647 inclusive");
}

TEST_CASE("Memory directives take units") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(
      r.LoadFromString("client-query-buffer-limit 2mb\nproto-max-bulk-len 1GB\n"
                       "hash-max-listpack-value 1k\nzset-max-listpack-value 1kb\n",
                       &err));
  CHECK(GetOne(r, "client-query-buffer-limit") == "2097152");
  CHECK(GetOne(r, "proto-max-bulk-len") == "1073741824");
  CHECK(GetOne(r, "hash-max-listpack-value") == "1000");
  CHECK(GetOne(r, "zset-max-listpack-value") == "1024");
  REQUIRE(r.LoadFromString("proto-max-bulk-len 2g\nclient-query-buffer-limit 3m\n", &err));
  CHECK(r.values().proto_max_bulk_len.load() == 2000000000);
  CHECK(r.values().client_query_buffer_limit.load() == 3000000);
  CHECK(Reason("proto-max-bulk-len 1kb") ==
        "argument must be between 1048576 and 9223372036854775807 inclusive");
  CHECK(Reason("proto-max-bulk-len 12xb") == "argument must be a memory value");
  CHECK(Reason("hash-max-listpack-value -1") == "argument must be a memory value");
  // A plain integer directive does not take units.
  CHECK(Reason("set-max-listpack-value 1k") == "argument couldn't be parsed into an integer");
}

TEST_CASE("Octal directive") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("unixsocketperm 700", &err));
  CHECK(r.values().unixsocketperm == 0700);
  CHECK(GetOne(r, "unixsocketperm") == "700");
  CHECK(Reason("unixsocketperm 789") == "argument couldn't be parsed as an octal number");
  CHECK(Reason("unixsocketperm 1000") == "argument must be between 0 and 777 inclusive");
}

TEST_CASE("Enum directives") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("loglevel WARNING\nenable-debug-command local\n", &err));
  CHECK(r.values().loglevel.load() == LogLevel::kWarning);
  CHECK(GetOne(r, "loglevel") == "warning");
  CHECK(r.values().enable_debug_command == ProtectedAction::kLocal);
  CHECK(Reason("loglevel loud") ==
        "argument(s) must be one of the following: "
        "debug, verbose, notice, warning, nothing");
  CHECK(Reason("enable-debug-command maybe") ==
        "argument(s) must be one of the following: no, yes, local");
}

TEST_CASE("String directives and quoting") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(
      r.LoadFromString("requirepass \"p w\\x41\\n\"\ndbfilename 'my db.rdb'\n"
                       "unixsocket /tmp/t.sock\n",
                       &err));
  CHECK(r.values().requirepass.Get() == "p wA\n");
  CHECK(GetOne(r, "dbfilename") == "my db.rdb");
  CHECK(r.values().unixsocket == "/tmp/t.sock");
  CHECK(Reason("dbfilename a/b.rdb") == "dbfilename can't be a path, just a filename");
  REQUIRE(r.LoadFromString("requirepass \"\"", &err));
  CHECK(GetOne(r, "requirepass") == "");
}

TEST_CASE("bind") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("bind 127.0.0.1 -::1", &err));
  CHECK(r.values().bind.Get() == std::vector<std::string>{"127.0.0.1", "-::1"});
  REQUIRE(r.LoadFromString("bind \"10.0.0.1 10.0.0.2\"",
                           &err));  // one word holding several
  CHECK(GetOne(r, "bind") == "10.0.0.1 10.0.0.2");
  REQUIRE(r.LoadFromString("bind \"\"", &err));
  CHECK(r.values().bind.Get().empty());
  std::string many = "bind";
  for (int i = 0; i < 17; ++i) many += " 10.0.0." + std::to_string(i);
  CHECK(Reason(many) == "Too many bind addresses specified.");
}

TEST_CASE("save: schedules accumulate in a file, a bare save clears them") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("save 900 1\nsave 300 10\n", &err));
  CHECK(GetOne(r, "save") == "900 1 300 10");
  ConfigRegistry cleared;
  REQUIRE(cleared.LoadFromString("save 900 1\nsave \"\"\n", &err));
  CHECK(GetOne(cleared, "save") == "");
  // A change count past 2^31 is kept, not wrapped as Redis's int does ("900 -1"), so the value
  // CONFIG GET shows loads back; past 2^63 it saturates as strtoll does.
  ConfigRegistry big;
  REQUIRE(big.LoadFromString("save 900 4294967297 300 155555555555555555555555\n", &err));
  CHECK(GetOne(big, "save") == "900 4294967297 300 9223372036854775807");
  ConfigRegistry again;
  REQUIRE(again.LoadFromString("save " + GetOne(big, "save") + "\n", &err));
  CHECK(GetOne(again, "save") == GetOne(big, "save"));
  CHECK(Reason("save 3600") == "Invalid save parameters");
  CHECK(Reason("save 0 1") == "Invalid save parameters");
  CHECK(Reason("save x 1") == "Invalid save parameters");
  CHECK(Reason("appendfsync sometimes") ==
        "argument(s) must be one of the following: always, everysec, no");
  CHECK(Reason("appendfilename a/b") == "appendfilename can't be a path, just a filename");
  CHECK(Reason("appenddirname ../x") == "appenddirname can't be a path, just a dirname");
  CHECK(SetOne(r, "save", "60 10") == "");
  CHECK(GetOne(r, "save") == "60 10");
  CHECK(r.values().save.Get() == std::vector<SaveParam>{{60, 10}});
  CHECK(SetOne(r, "save", "") == "");
  CHECK(r.values().save.Get().empty());
  CHECK(SetOne(r, "appendfsync", "always") == "");
  CHECK(r.values().appendfsync.load() == AppendFsync::kAlways);
}

TEST_CASE("dir changes the working directory") {
  CwdGuard guard;
  TempDir tmp;
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("dir " + tmp.path(), &err));
  std::string canonical = std::filesystem::canonical(tmp.path()).string();
  CHECK(CurrentDirectory() == canonical);
  CHECK(GetOne(r, "dir") == canonical);
  CHECK(r.values().dir.Get() == canonical);
  CHECK(Reason("dir /nonexistent/really") == "No such file or directory");
}

TEST_CASE("logfile must be writable at start-up") {
  CHECK(LoadError("logfile /nonexistent/dir/log") ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"
        "Can't open the log file: No such file or directory\n");
}

// ---- include ----

TEST_CASE("include reads another file; its errors name its own lines") {
  CwdGuard guard;
  TempDir tmp;
  tmp.Write("inner.conf", "# inner\nport 7001\ntimeout 5\n");
  tmp.Write("bad.conf", "\n\nport nope\n");
  tmp.Write("loop.conf", "include loop.conf\n");
  REQUIRE(::chdir(tmp.path().c_str()) == 0);  // include paths are relative to the cwd

  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString("port 7000\ninclude inner.conf\ntcp-keepalive 1\n", &err));
  CHECK(GetOne(r, "port") == "7001");
  CHECK(GetOne(r, "timeout") == "5");
  CHECK(GetOne(r, "tcp-keepalive") == "1");

  CHECK(LoadError("port 1\ninclude bad.conf\n") ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"
        "Reading the configuration file, at line 3\n>>> 'port nope'\n"
        "argument couldn't be parsed into an integer\n");
  CHECK(LoadError("include missing.conf") ==
        "Fatal error, can't open config file 'missing.conf': No such file or "
        "directory");
  CHECK(Reason("include loop.conf") == "include nesting is deeper than 16 files");

  // Globs: every match is read; no match is not an error.
  tmp.Write("conf.d-a.conf", "port 7100\n");
  tmp.Write("conf.d-b.conf", "timeout 9\n");
  REQUIRE(
      r.LoadFromString("include " + tmp.path() + "/conf.d-*.conf\ninclude nomatch*.conf\n", &err));
  CHECK(GetOne(r, "port") == "7100");
  CHECK(GetOne(r, "timeout") == "9");
}

// ---- Command line ----

TEST_CASE("ParseCommandLine builds config text as redis-server's main() does") {
  CommandLine cl = Parse({"/etc/r.conf", "--port", "7000", "--bind", "127.0.0.1", "::1"});
  CHECK(cl.config_file == "/etc/r.conf");
  CHECK_FALSE(cl.from_stdin);
  CHECK(cl.options == "port \"7000\" \nbind \"127.0.0.1\" \"::1\" ");

  cl = Parse({"--save", "--port", "7000", "--loglevel", "warning"});
  CHECK(cl.config_file.empty());
  CHECK(cl.options == "save \"\"\nport \"7000\" \nloglevel \"warning\" ");
  CHECK(Parse({"--port", "1", "--save"}).options == "port \"1\" \nsave \"\"");
  // A bare --name takes the next word as its value even if it starts with "--".
  CHECK(Parse({"--requirepass", "--x"}).options == "requirepass \"--x\" ");
  CHECK(Parse({"--port 7000"}).options == "port 7000 ");
  CHECK(Parse({"-"}).from_stdin);
  CHECK(Parse({"a.conf", "--port", "1", "-"}).from_stdin);
}

TEST_CASE("Command-line options override the file") {
  TempDir tmp;
  std::string file = tmp.Write("r.conf", "port 7000\ntimeout 10\n");
  ConfigRegistry r;
  std::string err;
  REQUIRE(LoadArgs(r, {file, "--port", "7001", "--bind", "127.0.0.1", "::1", "--save"}, &err));
  CHECK(GetOne(r, "port") == "7001");
  CHECK(GetOne(r, "timeout") == "10");
  CHECK(GetOne(r, "bind") == "127.0.0.1 ::1");
  CHECK(r.config_file() == file);

  // Option lines are numbered after the file's lines.
  ConfigRegistry r2;
  CHECK_FALSE(LoadArgs(r2, {file, "--loglevel", "loud"}, &err));
  CHECK(err.find("at line 4\n>>> 'loglevel \"loud\"'\n") != std::string::npos);

  ConfigRegistry r3;
  CHECK_FALSE(LoadArgs(r3, {tmp.path() + "/missing.conf"}, &err));
  CHECK(err.rfind("Fatal error, can't open config file '", 0) == 0);
  ConfigRegistry r4;
  CHECK_FALSE(LoadArgs(r4, {"--port"}, &err));
  CHECK(err.find(">>> 'port'\nwrong number of arguments\n") != std::string::npos);
}

TEST_CASE("A relative config file path is made absolute") {
  CwdGuard guard;
  TempDir tmp;
  tmp.Write("rel.conf", "port 7002\n");
  REQUIRE(::chdir(tmp.path().c_str()) == 0);
  ConfigRegistry r;
  std::string err;
  REQUIRE(LoadArgs(r, {"rel.conf"}, &err));
  CHECK(r.config_file() == CurrentDirectory() + "/rel.conf");
  CHECK(AbsolutePath("../x.conf") ==
        std::filesystem::path(CurrentDirectory()).parent_path().string() + "/x.conf");
}

// ---- CONFIG GET ----

TEST_CASE("CONFIG GET with globs, aliases and several patterns") {
  ConfigRegistry r;
  Pairs got = GetMany(r, {"port"});
  CHECK(got == Pairs{{"port", "6379"}});
  // An exact name echoes the caller's spelling, as Redis 7.2 does.
  CHECK(GetMany(r, {"PORT"}) == Pairs{{"PORT", "6379"}});
  CHECK(GetMany(r, {"nosuch"}).empty());
  // Globs match aliases too, listed under their own names.
  CHECK(GetMany(r, {"hash-max-*-entries"}) ==
        Pairs{{"hash-max-listpack-entries", "512"}, {"hash-max-ziplist-entries", "512"}});
  CHECK(GetMany(r, {"ZSET-MAX-ZIPLIST-VAL?E"}) == Pairs{{"zset-max-ziplist-value", "64"}});
  CHECK(GetMany(r, {"hash-max-ziplist-value"}) == Pairs{{"hash-max-ziplist-value", "64"}});
  // Several patterns, no duplicates.
  got = GetMany(r, {"port", "po*", "timeout", "port", "tcp-*"});
  CHECK(
      got ==
      Pairs{{"port", "6379"}, {"timeout", "0"}, {"tcp-keepalive", "300"}, {"tcp-backlog", "511"}});
  // Everything: each name and each alias once.
  got = GetMany(r, {"*"});
  // Every name and alias but the four hidden test hooks (Redis's HIDDEN_CONFIG), which an
  // exact name still reaches.
  CHECK(got.size() == ConfigRegistry::Names().size() + 17 - 4);
  for (const auto& [name, value] : got) CHECK(name != "key-load-delay");
  CHECK(GetMany(r, {"key-load-delay"}) == Pairs{{"key-load-delay", "0"}});
  // Sensitive values are still shown.
  REQUIRE(SetOne(r, "requirepass", "secret") == "");
  CHECK(GetMany(r, {"requirepass"}) == Pairs{{"requirepass", "secret"}});
  CHECK(r.IsSensitive("REQUIREPASS"));
  CHECK_FALSE(r.IsSensitive("port"));
}

// ---- CONFIG SET ----

TEST_CASE("CONFIG SET changes values, through aliases too") {
  ConfigRegistry r;
  std::pair<std::string_view, std::string_view> pairs[] = {{"port", "7000"},
                                                           {"HASH-MAX-ZIPLIST-ENTRIES", "100"},
                                                           {"bind", "127.0.0.1 ::1"},
                                                           {"maxclients", "50"},
                                                           {"client-query-buffer-limit", "2mb"}};
  REQUIRE(r.Set(pairs) == "");
  CHECK(r.values().port.load() == 7000);
  CHECK(r.values().hash_max_listpack_entries.load() == 100);
  CHECK(r.values().bind.Get() == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(GetOne(r, "client-query-buffer-limit") == "2097152");
  CHECK(SetOne(r, "bind", "") == "");
  CHECK(r.values().bind.Get().empty());
}

TEST_CASE("CONFIG SET errors carry Redis's text") {
  ConfigRegistry r;
  CHECK(SetOne(r, "foo", "1") ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetOne(r, "port", "abc") ==
        "ERR CONFIG SET failed (possibly related to argument 'port') - "
        "argument couldn't be "
        "parsed into an integer");
  CHECK(SetOne(r, "hash-max-ziplist-value", "x") ==
        "ERR CONFIG SET failed (possibly related to argument "
        "'hash-max-ziplist-value') - "
        "argument must be a memory value");
  CHECK(SetOne(r, "Databases", "4") ==
        "ERR CONFIG SET failed (possibly related to argument 'Databases') - "
        "can't set "
        "immutable config");
  CHECK(SetOne(r, "dir", "/tmp") ==
        "ERR CONFIG SET failed (possibly related "
        "to argument 'dir') - can't set protected "
        "config");
  CHECK(SetOne(r, "dbfilename", "x.rdb") ==
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - "
        "can't set "
        "protected config");
  // Modifiable as in Redis (unit/introspection's CONFIG sanity sets them).
  CHECK(SetOne(r, "tls-replication", "yes") == "");
  CHECK(SetOne(r, "tls-cluster", "yes") == "");
  CHECK(GetOne(r, "tls-cluster") == "yes");
  std::pair<std::string_view, std::string_view> dup[] = {{"port", "1"}, {"PORT", "2"}};
  CHECK(r.Set(dup) ==
        "ERR CONFIG SET failed (possibly related to argument "
        "'PORT') - duplicate parameter");
  // The first problem wins.
  std::pair<std::string_view, std::string_view> two[] = {{"io-threads", "2"}, {"nosuch", "1"}};
  CHECK(r.Set(two) ==
        "ERR CONFIG SET failed (possibly related to argument "
        "'io-threads') - can't set "
        "immutable config");
  CHECK(GetOne(r, "port") == "6379");
}

TEST_CASE("CONFIG SET is all or nothing") {
  ConfigRegistry r;
  std::pair<std::string_view, std::string_view> pairs[] = {
      {"timeout", "99"}, {"bind", "10.0.0.1"}, {"loglevel", "loud"}};
  CHECK(r.Set(pairs) ==
        "ERR CONFIG SET failed (possibly related to argument 'loglevel') - "
        "argument(s) must be "
        "one of the following: debug, verbose, notice, warning, nothing");
  CHECK(GetOne(r, "timeout") == "0");
  CHECK(GetOne(r, "bind") == "* -::*");
  CHECK(GetOne(r, "loglevel") == "notice");
}

TEST_CASE("Apply hooks run after a change and a failing hook rolls everything back") {
  ConfigRegistry r;
  std::vector<std::string> calls;
  r.OnApply("port", [&](std::string*) {
    calls.push_back("port=" + std::to_string(r.values().port.load()));
    return true;
  });
  bool fail_bind = true;
  r.OnApply("bind", [&](std::string* err) {
    calls.push_back("bind=" + r.values().bind.Get().front());
    if (fail_bind && r.values().bind.Get().front() == "10.9.9.9") {
      *err = "Failed to bind to specified addresses.";
      return false;
    }
    return true;
  });

  std::pair<std::string_view, std::string_view> pairs[] = {
      {"port", "7000"}, {"timeout", "5"}, {"bind", "10.9.9.9"}};
  CHECK(r.Set(pairs) ==
        "ERR CONFIG SET failed (possibly related to argument "
        "'bind') - Failed to bind to "
        "specified addresses.");
  CHECK(GetOne(r, "port") == "6379");
  CHECK(GetOne(r, "timeout") == "0");
  CHECK(GetOne(r, "bind") == "* -::*");
  // Hooks ran with the new values, then again with the restored ones.
  CHECK(calls == std::vector<std::string>{"port=7000", "bind=10.9.9.9", "port=6379", "bind=*"});

  // An unchanged value runs no hook.
  calls.clear();
  CHECK(SetOne(r, "port", "6379") == "");
  CHECK(calls.empty());
  CHECK(SetOne(r, "port", "6380") == "");
  CHECK(calls == std::vector<std::string>{"port=6380"});
}

// ---- CONFIG REWRITE ----

TEST_CASE("client-output-buffer-limit: classes, units and Redis's errors") {
  ConfigRegistry r;
  const ServerConfig& c = r.values();
  CHECK(c.client_obuf_hard[kClientPubSub].load() == 32 * 1024 * 1024);
  CHECK(c.client_obuf_soft[kClientPubSub].load() == 8 * 1024 * 1024);
  CHECK(c.client_obuf_soft_seconds[kClientPubSub].load() == 60);
  // Only the classes named change; "replica" is "slave"; k is 1000, kb 1024.
  CHECK(SetOne(r, "client-output-buffer-limit", "pubsub 1mb 1k 5 replica 1gb 0 0") == "");
  CHECK(GetOne(r, "client-output-buffer-limit") ==
        "normal 0 0 0 slave 1073741824 0 0 pubsub 1048576 1000 5");
  const std::string prefix =
      "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
  CHECK(SetOne(r, "client-output-buffer-limit", "pubsub 1mb 2 3 normal 1 1") ==
        prefix + "Wrong number of arguments in buffer limit configuration.");
  CHECK(SetOne(r, "client-output-buffer-limit", "master 1 1 1") ==
        prefix + "Invalid client class specified in buffer limit configuration.");
  for (const char* bad : {"pubsub x 1 1", "pubsub 1 1 -1", "pubsub 1 1 1s", "pubsub -1 1 1"}) {
    INFO(bad);
    CHECK(SetOne(r, "client-output-buffer-limit", bad) ==
          prefix + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  }
  // All or nothing: a bad group leaves the good one before it unapplied.
  CHECK(SetOne(r, "client-output-buffer-limit", "normal 5 5 5 pubsub 1 1 x") != "");
  CHECK(c.client_obuf_hard[kClientNormal].load() == 0);

  // A file sets one class per line.
  ConfigRegistry f;
  std::string err;
  REQUIRE(
      f.LoadFromString("client-output-buffer-limit pubsub 64mb 16mb 120\n"
                       "client-output-buffer-limit normal 1gb 512mb 0\n",
                       &err));
  CHECK(GetOne(f, "client-output-buffer-limit") ==
        "normal 1073741824 536870912 0 slave 268435456 67108864 60 pubsub 67108864 16777216 120");
  CHECK(Reason("client-output-buffer-limit pubsub 1 2\n") ==
        "Wrong number of arguments in buffer limit configuration.");
}

TEST_CASE("CONFIG REWRITE writes client-output-buffer-limit classes that differ") {
  CwdGuard guard;
  TempDir tmp;
  std::string file = tmp.Write("r.conf", "client-output-buffer-limit normal 0 0 0\n");
  ConfigRegistry r;
  std::string err;
  REQUIRE(LoadArgs(r, {file}, &err));
  REQUIRE(SetOne(r, "client-output-buffer-limit", "pubsub 64mb 16mb 30") == "");
  REQUIRE(r.Rewrite() == "");
  std::string text = ReadFile(file);
  CHECK(text.find("client-output-buffer-limit normal 0 0 0\n") != std::string::npos);
  CHECK(text.find("client-output-buffer-limit pubsub 64mb 16mb 30\n") != std::string::npos);
  CHECK(text.find("client-output-buffer-limit replica") == std::string::npos);
  ConfigRegistry again;
  REQUIRE(LoadArgs(again, {file}, &err));
  CHECK(GetOne(again, "client-output-buffer-limit") == GetOne(r, "client-output-buffer-limit"));
}

TEST_CASE("CONFIG REWRITE without a config file") {
  ConfigRegistry r;
  CHECK(r.Rewrite() == "ERR The server is running without a config file");
}

TEST_CASE("CONFIG REWRITE edits the file in place and round-trips") {
  CwdGuard guard;
  TempDir tmp;
  tmp.Write("extra.conf", "tcp-keepalive 60\n");
  std::string file = tmp.Write("r.conf",
                               "# My server\n"
                               "port 7000\n"
                               "\n\n\n"
                               "  # indented comment\n"
                               "hash-max-ziplist-entries 100\n"
                               "include " +
                                   tmp.path() +
                                   "/extra.conf\n"
                                   "timeout 0\n"
                                   "port 7001\n"
                                   "loglevel notice\n"
                                   "maxclients 10000\n");
  ConfigRegistry r;
  std::string err;
  REQUIRE(LoadArgs(r, {file}, &err));
  CHECK(GetOne(r, "port") == "7001");

  std::pair<std::string_view, std::string_view> pairs[] = {{"port", "7002"},
                                                           {"maxclients", "10000"},
                                                           {"requirepass", "s3cr\"t"},
                                                           {"client-query-buffer-limit", "2mb"},
                                                           {"slowlog-max-len", "64"}};
  REQUIRE(r.Set(pairs) == "");
  REQUIRE(r.Rewrite() == "");

  // Old lines are reused in place (an alias line under the primary name), the
  // second port line is blanked, runs of blank lines shrink to one, and
  // non-default values without a line (including tcp-keepalive, read from the
  // included file) are appended in table order.
  const std::string expected =
      "# My server\n"
      "port 7002\n"
      "\n"
      "# indented comment\n"
      "hash-max-listpack-entries 100\n"
      "include " +
      tmp.path() +
      "/extra.conf\n"
      "timeout 0\n"
      "\n"
      "loglevel notice\n"
      "maxclients 10000\n"
      "\n"
      "# Generated by CONFIG REWRITE\n"
      "tcp-keepalive 60\n"
      "requirepass \"s3cr\\\"t\"\n"
      "dir \"" +
      CurrentDirectory() +
      "\"\n"
      // Always written, as Redis writes it (an empty list must stay empty).
      "latency-tracking-info-percentiles 50 99 99.9\n"
      "client-query-buffer-limit 2mb\n"
      "slowlog-max-len 64\n"
      "save 3600 1\n"
      "save 300 100\n"
      "save 60 10000\n";
  CHECK(ReadFile(file) == expected);

  // Loading the rewritten file gives the same configuration.
  ConfigRegistry again;
  REQUIRE(LoadArgs(again, {file}, &err));
  std::string_view all[] = {"*"};
  CHECK(again.Get(all) == r.Get(all));

  // Rewriting again only keeps the file's final empty line (Redis splits "a\n"
  // into "a" and
  // ""); from then on the file is stable.
  REQUIRE(again.Rewrite() == "");
  CHECK(ReadFile(file) == expected + "\n");
  REQUIRE(again.Rewrite() == "");
  CHECK(ReadFile(file) == expected + "\n");

  // Back to defaults: lines of rewritten directives go, and bind at its default
  // is dropped.
  REQUIRE(SetOne(again, "slowlog-max-len", "128") == "");
  REQUIRE(SetOne(again, "bind", "127.0.0.1") == "");
  REQUIRE(again.Rewrite() == "");
  CHECK(ReadFile(file).find("slowlog-max-len 128\n") != std::string::npos);  // kept: in file
  CHECK(ReadFile(file).find("bind 127.0.0.1\n") != std::string::npos);
  REQUIRE(SetOne(again, "bind", "* -::*") == "");
  REQUIRE(again.Rewrite() == "");
  CHECK(ReadFile(file).find("bind") == std::string::npos);
}

TEST_CASE("CONFIG REWRITE turns lines it cannot read into comments") {
  ConfigRewriter rw("port 1\nunknown-thing 5\nbad \"quote\n",
                    [](std::string_view w) { return w == "port" ? std::string(w) : ""; });
  rw.RewriteLine("port", "port 2", false);
  CHECK(rw.Finish() == "port 2\n# ??? unknown-thing 5\n# ??? bad \"quote\n\n");
}

TEST_CASE("ReplaceFileAtomically reports errors and leaves no temporary file") {
  TempDir tmp;
  std::string err;
  CHECK_FALSE(ReplaceFileAtomically(tmp.path() + "/no/such/dir/f", "x", 022, &err));
  CHECK(err == "No such file or directory");
  std::string file = tmp.path() + "/f";
  REQUIRE(ReplaceFileAtomically(file, "hello\n", 022, &err));
  CHECK(ReadFile(file) == "hello\n");
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
         std::filesystem::perms::group_read | std::filesystem::perms::others_read));
  auto files = std::distance(std::filesystem::directory_iterator(tmp.path()),
                             std::filesystem::directory_iterator());
  CHECK(files == 1);
}

TEST_CASE("QuoteArg writes what SplitArgs reads back") {
  CHECK(QuoteArg("a b") == "\"a b\"");
  CHECK(QuoteArg("q\"\\\n\x01") == "\"q\\\"\\\\\\n\\x01\"");
  for (std::string_view value : {"", "a b", "q\"\\\n\x01\xff", "'single'"}) {
    std::vector<std::string> words;
    REQUIRE(SplitArgs(QuoteArg(value), &words));
    CHECK(words == std::vector<std::string>{std::string(value)});
  }
  CHECK(FormatMemoryForConfig(0) == "0");
  CHECK(FormatMemoryForConfig(1073741824) == "1gb");
  CHECK(FormatMemoryForConfig(3 * 1024 * 1024) == "3mb");
  CHECK(FormatMemoryForConfig(2048) == "2kb");
  CHECK(FormatMemoryForConfig(1000) == "1000");
}

// ---- redis.conf.example ----

// The repository root, from this file's path (CMake passes absolute source
// paths).
std::string RepoRoot() { return TESSERA_SOURCE_DIR; }

TEST_CASE("redis.conf.example lists every directive at its default") {
  CwdGuard guard;
  std::string example = RepoRoot() + "/redis.conf.example";
  REQUIRE(std::filesystem::exists(example));

  ConfigRegistry loaded;
  std::string err;
  INFO(err);
  REQUIRE(LoadArgs(loaded, {example}, &err));
  ConfigRegistry defaults;
  for (std::string_view name : ConfigRegistry::Names()) {
    INFO(name);
    if (name == "bind") {
      CHECK(GetOne(loaded, name) == "127.0.0.1 -::1");  // the documented exception
    } else {
      CHECK(GetOne(loaded, name) == GetOne(defaults, name));
    }
  }

  // Every directive has a line of its own, but io-threads, whose default is the
  // CPU count and so is shown commented out.
  std::string text = ReadFile(example);
  for (std::string_view name : ConfigRegistry::Names()) {
    INFO(name);
    std::string prefix = name == "io-threads" ? "\n# " : "\n";
    CHECK(text.find(prefix + std::string(name) + " ") != std::string::npos);
  }
  for (const char* line : {"\nbind 127.0.0.1 -::1\n", "\nport 6379\n",
                           "\nenable-debug-command no\n", "\nsave 3600 1 300 100 60 10000\n",
                           "\nappendonly no\n", "\ndaemonize no\n", "\nprotected-mode yes\n"}) {
    CHECK(text.find(line) != std::string::npos);
  }
}

}  // namespace
}  // namespace tessera::server

namespace tessera::server {
namespace {

TEST_CASE("CONFIG REWRITE replaces the user lines with the ones given") {
  CwdGuard guard;
  TempDir tmp;
  std::string file = tmp.Write("u.conf",
                               "user old on nopass +@all\n"
                               "port 7000\n"
                               "user other off\n");
  ConfigRegistry r;
  std::string err;
  REQUIRE(LoadArgs(r, {file}, &err));
  CHECK(r.values().user_lines.size() == 2);
  std::vector<std::string> users = {"user alice on sanitize-payload resetchannels -@all",
                                    "user default on nopass sanitize-payload ~* &* +@all"};
  REQUIRE(r.Rewrite(&users) == "");
  // (dir and save follow, appended because they differ from their defaults.)
  CHECK(ReadFile(file).rfind("user alice on sanitize-payload resetchannels -@all\n"
                             "port 7000\n"
                             "user default on nopass sanitize-payload ~* &* +@all\n",
                             0) == 0);
  // With no users given (an aclfile holds them), the user lines go.
  std::vector<std::string> none;
  REQUIRE(r.Rewrite(&none) == "");
  std::string text = ReadFile(file);
  CHECK(text.find("user ") == std::string::npos);
  CHECK(text.find("port 7000\n") != std::string::npos);
}

TEST_CASE("key-ttl-policy: triples, repeatable in a file, CONFIG SET replaces, REWRITE") {
  CwdGuard guard;
  TempDir tmp;
  std::string file = tmp.Write("r.conf",
                               "key-ttl-policy sess:* 3600 86400\n"
                               "key-ttl-policy cache:* 0 600 tmp:* 60 0\n");
  ConfigRegistry r;
  std::string err;
  REQUIRE(LoadArgs(r, {file}, &err));
  CHECK(GetOne(r, "key-ttl-policy") == "sess:* 3600 86400 cache:* 0 600 tmp:* 60 0");
  CHECK(r.values().key_ttl_policy_on.load());
  REQUIRE(SetOne(r, "key-ttl-policy", "a* 10 20") == "");
  CHECK(GetOne(r, "key-ttl-policy") == "a* 10 20");
  REQUIRE(SetOne(r, "key-ttl-policy", "a* 10 20 b* 0 5") == "");
  REQUIRE(r.Rewrite() == "");
  std::string text = ReadFile(file);
  CHECK(text.find("key-ttl-policy a* 10 20\nkey-ttl-policy b* 0 5\n") != std::string::npos);
  CHECK(text.find("sess:*") == std::string::npos);
  ConfigRegistry again;
  REQUIRE(LoadArgs(again, {file}, &err));
  CHECK(GetOne(again, "key-ttl-policy") == "a* 10 20 b* 0 5");
  // Errors leave the value alone.
  CHECK(SetOne(r, "key-ttl-policy", "a* 10") ==
        "ERR CONFIG SET failed (possibly related to argument 'key-ttl-policy') - key-ttl-policy "
        "needs <glob> <default-seconds> <max-seconds> triples");
  CHECK(SetOne(r, "key-ttl-policy", "a* -1 5").find("Invalid key-ttl-policy parameters") !=
        std::string::npos);
  CHECK(SetOne(r, "key-ttl-policy", "a* x 5").find("Invalid key-ttl-policy parameters") !=
        std::string::npos);
  CHECK(SetOne(r, "key-ttl-policy", "a* 0 0").find("both are 0") != std::string::npos);
  CHECK(SetOne(r, "key-ttl-policy", "a* 50 5").find("must not exceed") != std::string::npos);
  CHECK(GetOne(r, "key-ttl-policy") == "a* 10 20 b* 0 5");
  // "" clears it; the rewrite then drops the lines.
  REQUIRE(SetOne(r, "key-ttl-policy", "") == "");
  CHECK(GetOne(r, "key-ttl-policy") == "");
  CHECK_FALSE(r.values().key_ttl_policy_on.load());
  REQUIRE(r.Rewrite() == "");
  CHECK(ReadFile(file).find("key-ttl-policy") == std::string::npos);
}

TEST_CASE("latency-tracking-info-percentiles and metrics-port") {
  ConfigRegistry r;
  CHECK(GetOne(r, "latency-tracking-info-percentiles") == "50 99 99.9");
  CHECK(GetOne(r, "latency-tracking") == "yes");
  CHECK(GetOne(r, "metrics-port") == "0");
  REQUIRE(SetOne(r, "latency-tracking-info-percentiles", "99.99 0.5") == "");
  CHECK(GetOne(r, "latency-tracking-info-percentiles") == "99.99 0.5");
  CHECK(SetOne(r, "latency-tracking-info-percentiles", "-1").find("between [0.0,100.0]") !=
        std::string::npos);
  // Settable at run time (the server's hook moves the endpoint; the registry alone stores it).
  CHECK(SetOne(r, "metrics-port", "9121") == "");
  CHECK(GetOne(r, "metrics-port") == "9121");
  CHECK(SetOne(r, "metrics-port", "65536").find("must be between 0 and 65535 inclusive") != std::string::npos);
  std::string err;
  ConfigRegistry f;
  REQUIRE(f.LoadFromString("metrics-port 9121\nlatency-tracking-info-percentiles \"\"\n", &err));
  CHECK(f.values().metrics_port.load() == 9121);
  CHECK(GetOne(f, "latency-tracking-info-percentiles") == "");
}

}  // namespace
}  // namespace tessera::server
