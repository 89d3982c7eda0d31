// The directives Redis 7.2's shipped redis.conf (and Debian's) sets that Tessera once
// refused: their types, defaults, mutability and error texts are Redis 7.2.4's.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "server/config/config.h"
#include "server/config/proc_title_template.h"
#include "tests/server/config/config_test_util.h"

namespace tessera::server {
namespace {

using config_test::GetOne;
using config_test::SetError;
using config_test::SetOne;

// The eleven lines, as Redis 7.2.4's redis.conf writes them.
constexpr std::string_view kShippedLines =
    "set-proc-title yes\n"
    "proc-title-template \"{title} {listen-addr} {server-mode}\"\n"
    "locale-collate \"\"\n"
    "repl-diskless-sync yes\n"
    "repl-diskless-sync-max-replicas 0\n"
    "repl-diskless-load disabled\n"
    "repl-disable-tcp-nodelay no\n"
    "replica-lazy-flush no\n"
    "disable-thp yes\n"
    "dynamic-hz yes\n"
    "jemalloc-bg-thread yes\n";

TEST_CASE("redis.conf's eleven directives load and read back") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(r.LoadFromString(kShippedLines, &err));
  CHECK(GetOne(r, "set-proc-title") == "yes");
  CHECK(GetOne(r, "proc-title-template") == "{title} {listen-addr} {server-mode}");
  CHECK(GetOne(r, "locale-collate") == "");
  CHECK(GetOne(r, "repl-diskless-sync") == "yes");
  CHECK(GetOne(r, "repl-diskless-sync-max-replicas") == "0");
  CHECK(GetOne(r, "repl-diskless-load") == "disabled");
  CHECK(GetOne(r, "repl-disable-tcp-nodelay") == "no");
  CHECK(GetOne(r, "replica-lazy-flush") == "no");
  CHECK(GetOne(r, "slave-lazy-flush") == "no");
  CHECK(GetOne(r, "disable-thp") == "yes");
  CHECK(GetOne(r, "dynamic-hz") == "yes");
  CHECK(GetOne(r, "jemalloc-bg-thread") == "yes");

  REQUIRE(r.LoadFromString(
      "set-proc-title no\ndisable-thp no\nrepl-diskless-load swapdb\ndynamic-hz no\n"
      "slave-lazy-flush yes\nrepl-diskless-sync-max-replicas 3\nlocale-collate C\n",
      &err));
  const ServerConfig& c = r.values();
  CHECK_FALSE(c.set_proc_title);
  CHECK_FALSE(c.disable_thp);
  CHECK(c.repl_diskless_load.load() == 2);
  CHECK_FALSE(c.dynamic_hz.load());
  CHECK(c.replica_lazy_flush.load());
  CHECK(c.repl_diskless_sync_max_replicas.load() == 3);
  CHECK(c.locale_collate.Get() == "C");
}

TEST_CASE("CONFIG SET of the eleven: mutability and Redis's errors") {
  ConfigRegistry r;
  CHECK(SetOne(r, "set-proc-title", "no") ==
        SetError("set-proc-title", "can't set immutable config"));
  CHECK(SetOne(r, "disable-thp", "no") == SetError("disable-thp", "can't set immutable config"));
  CHECK(SetOne(r, "dynamic-hz", "maybe") ==
        SetError("dynamic-hz", "argument must be 'yes' or 'no'"));
  CHECK(SetOne(r, "repl-diskless-load", "always") ==
        SetError("repl-diskless-load",
                 "argument(s) must be one of the following: disabled, on-empty-db, swapdb"));
  CHECK(SetOne(r, "repl-diskless-sync-max-replicas", "-1") ==
        SetError("repl-diskless-sync-max-replicas",
                 "argument must be between 0 and 2147483647 inclusive"));
  CHECK(
      SetOne(r, "proc-title-template", "{invalid-var}") ==
      SetError("proc-title-template", "template format is invalid or contains unknown variables"));
  CHECK(GetOne(r, "proc-title-template") == "{title} {listen-addr} {server-mode}");

  CHECK(SetOne(r, "repl-diskless-load", "ON-EMPTY-DB") == "");
  CHECK(GetOne(r, "repl-diskless-load") == "on-empty-db");
  CHECK(SetOne(r, "slave-lazy-flush", "yes") == "");
  CHECK(GetOne(r, "replica-lazy-flush") == "yes");
  for (const char* name :
       {"repl-diskless-sync", "repl-disable-tcp-nodelay", "dynamic-hz", "jemalloc-bg-thread"}) {
    INFO(name);
    CHECK(SetOne(r, name, "no") == "");
    CHECK(GetOne(r, name) == "no");
  }
  CHECK(SetOne(r, "proc-title-template", "TEST {title} {port}") == "");
  CHECK(GetOne(r, "proc-title-template") == "TEST {title} {port}");
  CHECK(SetOne(r, "locale-collate", "C") == "");
  CHECK(GetOne(r, "locale-collate") == "C");
}

TEST_CASE("A bad proc-title-template in a file is a fatal error") {
  ConfigRegistry r;
  std::string err;
  CHECK_FALSE(r.LoadFromString("port 7000\nproc-title-template \"{title\"\n", &err));
  CHECK(err ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"
        "Reading the configuration file, at line 2\n"
        ">>> 'proc-title-template \"{title\"'\n"
        "template format is invalid or contains unknown variables\n");
}

TEST_CASE("proc-title-template expands Redis's variables") {
  ConfigRegistry r;
  std::string err;
  REQUIRE(
      r.LoadFromString("port 7001\ntls-port 7002\nbind 127.0.0.1 ::1\n"
                       "unixsocket /tmp/t.sock\n",
                       &err));
  const ServerConfig& c = r.values();
  auto expand = [&](std::string_view t) {
    return ExpandProcTitleTemplate(t, c, "/usr/bin/tessera-server", "/etc/t.conf");
  };
  CHECK(expand("{title} {listen-addr} {server-mode}") == "/usr/bin/tessera-server 127.0.0.1:7001");
  CHECK(expand("TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file}") ==
        "TEST /usr/bin/tessera-server 127.0.0.1:7001 7001 7002 /tmp/t.sock /etc/t.conf");
  CHECK(expand("  {{x} }a{port}  ") == "{x} }a7001");  // "{{" is '{', a lone '}' is itself
  CHECK(ExpandProcTitleTemplate("{config-file}", c, "t", "") == "-");
  CHECK_FALSE(expand("{title").has_value());
  CHECK_FALSE(expand("x {").has_value());
  CHECK_FALSE(expand("{Title}").has_value());  // names are case-sensitive

  // No TCP port: the TLS port; neither: the socket.
  REQUIRE(r.LoadFromString("port 0\n", &err));
  CHECK(expand("{listen-addr}") == "127.0.0.1:7002");
  REQUIRE(r.LoadFromString("tls-port 0\nbind \"\"\n", &err));
  CHECK(expand("{listen-addr}") == "unixsocket:/tmp/t.sock");
  REQUIRE(r.LoadFromString("port 7003\n", &err));
  CHECK(expand("{listen-addr}") == "*:7003");  // no bind address

  // Valid iff it expands to something with an empty title.
  CHECK_FALSE(IsValidProcTitleTemplate("{title}", c));
  CHECK_FALSE(IsValidProcTitleTemplate("{title} {server-mode} ", c));
  CHECK_FALSE(IsValidProcTitleTemplate("", c));
  CHECK(IsValidProcTitleTemplate("{unixsocket}", c));
  CHECK(IsValidProcTitleTemplate("{title}{port}", c));
  ConfigRegistry no_socket;
  CHECK_FALSE(IsValidProcTitleTemplate("{unixsocket}", no_socket.values()));
}

TEST_CASE("dynamic-hz doubles hz while there are more than 200 clients per tick") {
  ConfigRegistry r;
  const ServerConfig& c = r.values();
  CHECK(EffectiveHz(c, 0) == 10);
  CHECK(EffectiveHz(c, 2009) == 10);  // 2009 / 10 = 200
  CHECK(EffectiveHz(c, 2010) == 20);
  CHECK(EffectiveHz(c, 4010) == 20);
  CHECK(EffectiveHz(c, 4020) == 40);
  CHECK(EffectiveHz(c, 1000000) == 500);  // 320 would still be too few: capped at 500
  REQUIRE(SetOne(r, "hz", "1") == "");
  CHECK(EffectiveHz(c, 200) == 1);
  CHECK(EffectiveHz(c, 201) == 2);
  CHECK(EffectiveHz(c, 800) == 4);  // 800 / 4 = 200: enough
  CHECK(EffectiveHz(c, 804) == 8);
  REQUIRE(SetOne(r, "hz", "400") == "");
  CHECK(EffectiveHz(c, 80400) == 500);
  REQUIRE(SetOne(r, "dynamic-hz", "no") == "");
  CHECK(EffectiveHz(c, 1000000) == 400);
}

}  // namespace
}  // namespace tessera::server
