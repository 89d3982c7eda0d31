// rename-command (config file), as Redis 7.2.4 applies it: checked line by line while the file
// is read, then the server's command table answers to the new names.  Every expected reply
// here was checked against redis-server 7.2.4 with the same config lines.
#include <catch2/catch.hpp>
#include <string>

#include "server/config/config.h"
#include "tests/server/command_tester.h"

namespace tessera::server {
namespace {

std::string Reason(std::string_view text) {
  ConfigRegistry r;
  std::string err;
  CHECK_FALSE(r.LoadFromString(text, &err));
  REQUIRE(err.size() > 1);
  err.pop_back();
  return err.substr(err.rfind('\n') + 1);
}

bool Loads(std::string_view text) {
  ConfigRegistry r;
  std::string err;
  return r.LoadFromString(text, &err);
}

// CommandTester writes each override as `name "value"`, so the old name rides in the name.
CommandTester Renamed() {
  return CommandTester({{"rename-command flushall", ""}, {"rename-command get", "fetch"}});
}

TEST_CASE("rename-command: the loader's checks and errors", "[config][rename]") {
  CHECK(Reason("rename-command nosuch x\n") == "No such command in rename-command");
  CHECK(Reason("rename-command get set\n") == "Target command name already exists");
  CHECK(Reason("rename-command get\n") == "Bad directive or wrong number of arguments");
  CHECK(Reason("rename-command get a b\n") == "Bad directive or wrong number of arguments");
  // A subcommand is not a command of the table the lines rename.
  CHECK(Reason("rename-command config|get x\n") == "No such command in rename-command");
  // Each line sees what the lines before it did.
  CHECK(Reason("rename-command get g2\nrename-command get x\n") ==
        "No such command in rename-command");
  CHECK(Reason("rename-command get \"\"\nrename-command get x\n") ==
        "No such command in rename-command");
  CHECK(Reason("rename-command get g2\nrename-command set g2\n") ==
        "Target command name already exists");
  CHECK(Loads("rename-command get g2\nrename-command g2 g3\nrename-command set get\n"));
  CHECK(Loads("RENAME-COMMAND Get GET\n"));  // the same name, any case
  ConfigRegistry r;
  std::string err;
  REQUIRE_FALSE(r.LoadFromString("port 1\nrename-command nope x\n", &err));
  CHECK(err ==
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"
        "Reading the configuration file, at line 2\n"
        ">>> 'rename-command nope x'\n"
        "No such command in rename-command\n");
}

TEST_CASE("rename-command: clients and scripts use the new names", "[config][rename]") {
  CommandTester t = Renamed();
  CHECK(t.Run({"FLUSHALL"}) == "-ERR unknown command 'FLUSHALL', with args beginning with: \r\n");
  CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
  CHECK(t.Run({"GET", "k"}) == "-ERR unknown command 'GET', with args beginning with: 'k' \r\n");
  CHECK(t.Run({"FETCH", "k"}) == "$1\r\nv\r\n");
  CHECK(t.Run({"EVAL", "return redis.call('fetch', 'k')", "0"}) == "$1\r\nv\r\n");
  CHECK(t.Run({"EVAL", "return redis.call('get', 'k')", "0"})
            .starts_with("-ERR Unknown Redis command called from script"));
  CHECK(t.Run({"MULTI"}) == "+OK\r\n");
  CHECK(t.Run({"fetch", "k"}) == "+QUEUED\r\n");
  CHECK(t.Run({"EXEC"}) == "*1\r\n$1\r\nv\r\n");
}

TEST_CASE("rename-command: COMMAND lists the table as renamed", "[config][rename]") {
  CommandTester plain;
  CommandTester t = Renamed();
  const std::string count = plain.Run({"COMMAND", "COUNT"});
  const int64_t n = std::stoll(count.substr(1));
  CHECK(t.Run({"COMMAND", "COUNT"}) == ":" + std::to_string(n - 1) + "\r\n");
  // INFO under the new name shows the command as it is, named as registered.
  CHECK(t.Run({"COMMAND", "INFO", "fetch"}) == plain.Run({"COMMAND", "INFO", "get"}));
  CHECK(t.Run({"COMMAND", "INFO", "get"}) == "*1\r\n$-1\r\n");
  CHECK(t.Run({"COMMAND", "INFO", "flushall"}) == "*1\r\n$-1\r\n");
  CHECK(t.Run({"COMMAND", "DOCS", "get"}) == "*0\r\n");
  CHECK(t.Run({"COMMAND", "DOCS", "fetch"}).starts_with("*2\r\n$3\r\nget\r\n"));
  CHECK(t.Run({"COMMAND", "GETKEYS", "fetch", "k"}) == "*1\r\n$1\r\nk\r\n");
  const std::string list = t.Run({"COMMAND", "LIST"});
  CHECK(list.find("\r\nget\r\n") != std::string::npos);
  CHECK(list.find("\r\nflushall\r\n") == std::string::npos);
  const std::string all = t.Run({"COMMAND"});
  CHECK(all.starts_with("*" + std::to_string(n - 1) + "\r\n"));
  CHECK(all.find("$8\r\nflushall\r\n") == std::string::npos);
}

TEST_CASE("rename-command: ACL rules keep the original names, DRYRUN the new", "[config][rename]") {
  CommandTester t = Renamed();
  CHECK(t.Run({"ACL", "SETUSER", "u", "+get"}) == "+OK\r\n");
  CHECK(t.Run({"ACL", "SETUSER", "u", "+fetch"}) ==
        "-ERR Error in ACL SETUSER modifier '+fetch': Unknown command or category name in "
        "ACL\r\n");
  CHECK(t.Run({"ACL", "LIST"}).find("user u off sanitize-payload resetchannels -@all +get") !=
        std::string::npos);
  CHECK(t.Run({"ACL", "CAT", "keyspace"}).find("$8\r\nflushall\r\n") != std::string::npos);
  CHECK(t.Run({"ACL", "DRYRUN", "default", "fetch", "k"}) == "+OK\r\n");
  CHECK(t.Run({"ACL", "DRYRUN", "default", "get", "k"}) == "-ERR Command 'get' not found\r\n");
}

}  // namespace
}  // namespace tessera::server
