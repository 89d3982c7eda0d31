// ACL through the real dispatcher: the ACL command's replies (RESP2 and RESP3), AUTH and
// HELLO with users, NOPERM for commands, keys and channels, MULTI/EXEC, scripts, ACL LOG and
// the INFO counters.
#include <catch2/catch.hpp>

#include <string>

#include "core/base/sha256.h"
#include "tests/server/command_tester.h"
#include "tests/server/commands/replies.h"

namespace tessera::server {
namespace {

using test_replies::Bulk;
using test_replies::kOk;

std::string Arr(std::initializer_list<std::string> items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& i : items) out += i;
  return out;
}

TEST_CASE("ACL SETUSER, GETUSER, LIST and USERS in Redis 7.2's shapes", "[acl_family]") {
  CommandTester t;
  CHECK(t.Run({"ACL", "SETUSER", "alice", "on", ">pw", "~cache:*", "&chan", "+get",
               "(~sel* +hget)"}) == kOk);
  std::string hash = Sha256Hex("pw");
  std::string getuser_resp2 =
      Arr({Bulk("flags"), Arr({Bulk("on"), Bulk("sanitize-payload")}), Bulk("passwords"),
           Arr({Bulk(hash)}), Bulk("commands"), Bulk("-@all +get"), Bulk("keys"), Bulk("~cache:*"),
           Bulk("channels"), Bulk("&chan"), Bulk("selectors"),
           Arr({Arr({Bulk("commands"), Bulk("-@all +hget"), Bulk("keys"), Bulk("~sel*"),
                     Bulk("channels"), Bulk("")})})});
  CHECK(t.Run({"ACL", "GETUSER", "alice"}) == getuser_resp2);
  t.set_protocol(3);
  CHECK(t.Run({"ACL", "GETUSER", "alice"}) ==
        "%6\r\n" + Bulk("flags") + "~2\r\n" + Bulk("on") + Bulk("sanitize-payload") +
            Bulk("passwords") + Arr({Bulk(hash)}) + Bulk("commands") + Bulk("-@all +get") +
            Bulk("keys") + Bulk("~cache:*") + Bulk("channels") + Bulk("&chan") + Bulk("selectors") +
            "*1\r\n%3\r\n" + Bulk("commands") + Bulk("-@all +hget") + Bulk("keys") + Bulk("~sel*") +
            Bulk("channels") + Bulk(""));
  CHECK(t.Run({"ACL", "GETUSER", "nobody"}) == "_\r\n");
  t.set_protocol(2);
  CHECK(t.Run({"ACL", "GETUSER", "nobody"}) == "$-1\r\n");
  CHECK(t.Run({"ACL", "LIST"}) ==
        Arr({Bulk("user alice on sanitize-payload #" + hash +
                  " ~cache:* resetchannels &chan -@all +get (~sel* resetchannels -@all +hget)"),
             Bulk("user default on nopass sanitize-payload ~* &* +@all")}));
  CHECK(t.Run({"ACL", "USERS"}) == Arr({Bulk("alice"), Bulk("default")}));
  CHECK(t.Run({"ACL", "WHOAMI"}) == Bulk("default"));
  CHECK(t.Run({"ACL", "SETUSER", "alice", "+nosuch"}) ==
        "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in "
        "ACL\r\n");
  CHECK(t.Run({"ACL", "SETUSER", "a b"}) ==
        "-ERR Usernames can't contain spaces or null characters\r\n");
  CHECK(t.Run({"ACL", "DELUSER", "alice", "default"}) ==
        "-ERR The 'default' user cannot be removed\r\n");
  CHECK(t.Run({"ACL", "DELUSER", "alice", "nobody"}) == ":1\r\n");
  CHECK(t.Run({"ACL", "USERS"}) == Arr({Bulk("default")}));
}

TEST_CASE("AUTH and HELLO AUTH with a user; NOPERM for commands, keys and channels",
          "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "bob", "on", ">pw", "~k:*", "%R~r:*", "&news", "+get", "+set",
         "+publish", "+acl|whoami"});
  CHECK(t.Run({"AUTH", "bob", "wrong"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(t.Run({"AUTH", "nobody", "pw"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(t.Run({"AUTH", "bob", "pw"}) == kOk);
  CHECK(t.Run({"ACL", "WHOAMI"}) == Bulk("bob"));
  CHECK(t.Run({"SET", "k:1", "v"}) == kOk);
  CHECK(t.Run({"GET", "k:1"}) == Bulk("v"));
  CHECK(t.Run({"GET", "r:1"}) == "$-1\r\n");
  CHECK(t.Run({"SET", "r:1", "v"}) == "-NOPERM No permissions to access a key\r\n");
  CHECK(t.Run({"GET", "other"}) == "-NOPERM No permissions to access a key\r\n");
  CHECK(t.Run({"DEL", "k:1"}) ==
        "-NOPERM User bob has no permissions to run the 'del' command\r\n");
  CHECK(t.Run({"ACL", "LIST"}) ==
        "-NOPERM User bob has no permissions to run the 'acl|list' command\r\n");
  CHECK(t.Run({"PUBLISH", "news", "m"}) == ":0\r\n");
  CHECK(t.Run({"PUBLISH", "other", "m"}) == "-NOPERM No permissions to access a channel\r\n");
  // A disabled user cannot log in; the connected client keeps running (Redis 7.2).
  t.Run({"AUTH", "default", "x"});  // nopass default: any password
  CHECK(t.Run({"ACL", "WHOAMI"}) == Bulk("default"));
  t.Run({"ACL", "SETUSER", "bob", "off"});
  CHECK(t.Run({"AUTH", "bob", "pw"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  t.Run({"ACL", "SETUSER", "bob", "on"});
  CHECK(t.Run({"HELLO", "3", "AUTH", "bob", "pw"}).find("proto") != std::string::npos);
  CHECK(t.Run({"ACL", "WHOAMI"}) == Bulk("bob"));
}

TEST_CASE("requirepass is the default user's password", "[acl_family]") {
  CommandTester t;
  CHECK(t.Run({"AUTH", "x"}) ==
        "-ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?\r\n");
  CHECK(t.Run({"CONFIG", "SET", "requirepass", "secret"}) == kOk);
  CHECK(t.Run({"ACL", "LIST"}) ==
        Arr({Bulk("user default on sanitize-payload #" + Sha256Hex("secret") + " ~* &* +@all")}));
  // A new client must authenticate; the one that was connected stays logged in, as in Redis.
  int other = t.AddClient();
  CHECK(t.RunAs(other, {"GET", "x"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(t.RunAs(other, {"AUTH", "wrong"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(t.RunAs(other, {"AUTH", "secret"}) == kOk);
  CHECK(t.RunAs(other, {"GET", "x"}) == "$-1\r\n");
  CHECK(t.Run({"GET", "x"}) == "$-1\r\n");
  CHECK(t.Run({"CONFIG", "SET", "requirepass", ""}) == kOk);
  CHECK(t.Run({"ACL", "GETUSER", "default"}).find("nopass") != std::string::npos);
}

TEST_CASE("MULTI: a denied command flags the transaction; EXEC checks again", "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "m", "on", "nopass", "~*", "+multi", "+exec", "+incr", "+get"});
  int admin = t.AddClient();
  CHECK(t.Run({"AUTH", "m", "x"}) == kOk);
  CHECK(t.Run({"MULTI"}) == kOk);
  CHECK(t.Run({"SET", "a", "1"}) ==
        "-NOPERM User m has no permissions to run the 'set' command\r\n");
  CHECK(t.Run({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  CHECK(t.Run({"MULTI"}) == kOk);
  CHECK(t.Run({"INCR", "a"}) == "+QUEUED\r\n");
  CHECK(t.Run({"GET", "a"}) == "+QUEUED\r\n");
  CHECK(t.RunAs(admin, {"ACL", "SETUSER", "m", "-incr"}) == kOk);
  CHECK(t.Run({"EXEC"}) ==
        "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated "
        "and the EXEC call. This command is no longer allowed for the following reason: no "
        "permission to execute the command or subcommand\r\n$-1\r\n");
  std::string log = t.RunAs(admin, {"ACL", "LOG", "1"});
  CHECK(log.find(Bulk("multi")) != std::string::npos);
  CHECK(log.find(Bulk("incr")) != std::string::npos);
}

TEST_CASE("Scripts: redis.call is checked, redis.acl_check_cmd answers", "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "s", "on", "nopass", "~k*", "+eval", "+get"});
  t.Run({"AUTH", "s", "x"});
  CHECK(t.Run({"EVAL", "return redis.call('get','k1')", "0"}) == "$-1\r\n");
  std::string denied = t.Run({"EVAL", "return redis.call('set','k1','v')", "0"});
  CHECK(denied.find("ACL failure in script: User s has no permissions to run the 'set' command") !=
        std::string::npos);
  CHECK(t.Run({"EVAL", "return redis.call('get','other')", "0"})
            .find("ACL failure in script: No permissions to access a key") != std::string::npos);
  CHECK(t.Run({"EVAL", "return redis.acl_check_cmd('get','k1')", "0"}) == ":1\r\n");
  CHECK(t.Run({"EVAL", "return redis.acl_check_cmd('get','x')", "0"}) == "$-1\r\n");
  CHECK(t.Run({"EVAL", "return redis.acl_check_cmd('set','k1','v')", "0"}) == "$-1\r\n");
  CHECK(t.Run({"EVAL", "return redis.acl_check_cmd('nosuch')", "0"})
            .find("Invalid command passed to redis.acl_check_cmd()") != std::string::npos);
  t.Run({"AUTH", "default", "x"});
  std::string log = t.Run({"ACL", "LOG", "1"});
  CHECK(log.find(Bulk("lua")) != std::string::npos);
  CHECK(log.find("cmd=eval") != std::string::npos);
}

TEST_CASE("ACL LOG fields, RESET, counts and the INFO counters", "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "l", "on", ">pw", "~k", "+get"});
  int other = t.AddClient();
  t.RunAs(other, {"AUTH", "l", "bad"});
  t.RunAs(other, {"AUTH", "l", "pw"});
  t.RunAs(other, {"GET", "nope"});
  t.RunAs(other, {"SET", "k", "v"});
  t.RunAs(other, {"SET", "k", "v"});
  std::string log = t.Run({"ACL", "LOG"});
  REQUIRE(log.rfind("*3\r\n*20\r\n", 0) == 0);
  CHECK(log.find(Bulk("count") + ":2\r\n" + Bulk("reason") + Bulk("command") + Bulk("context") +
                 Bulk("toplevel") + Bulk("object") + Bulk("set") + Bulk("username") + Bulk("l") +
                 Bulk("age-seconds")) != std::string::npos);
  CHECK(log.find(Bulk("reason") + Bulk("key") + Bulk("context") + Bulk("toplevel") +
                 Bulk("object") + Bulk("nope")) != std::string::npos);
  CHECK(log.find(Bulk("reason") + Bulk("auth") + Bulk("context") + Bulk("toplevel") +
                 Bulk("object") + Bulk("AUTH")) != std::string::npos);
  for (const char* field :
       {"client-info", "entry-id", "timestamp-created", "timestamp-last-updated"}) {
    CHECK(log.find(Bulk(field)) != std::string::npos);
  }
  CHECK(log.find("user=l") != std::string::npos);
  CHECK(t.Run({"ACL", "LOG", "1"}).rfind("*1\r\n", 0) == 0);
  CHECK(t.Run({"ACL", "LOG", "-5"}) == "*0\r\n");
  CHECK(t.Run({"ACL", "LOG", "x"}) == "-ERR value is not an integer or out of range\r\n");
  std::string info = t.Run({"INFO", "stats"});
  CHECK(info.find("acl_access_denied_auth:1\r\n") != std::string::npos);
  CHECK(info.find("acl_access_denied_cmd:2\r\n") != std::string::npos);
  CHECK(info.find("acl_access_denied_key:1\r\n") != std::string::npos);
  CHECK(info.find("acl_access_denied_channel:0\r\n") != std::string::npos);
  CHECK(t.Run({"ACL", "LOG", "RESET"}) == kOk);
  CHECK(t.Run({"ACL", "LOG"}) == "*0\r\n");
  CHECK(t.Run({"CONFIG", "SET", "acllog-max-len", "1"}) == kOk);
  t.RunAs(other, {"SET", "k", "v"});
  t.RunAs(other, {"GET", "nope"});
  CHECK(t.Run({"ACL", "LOG"}).rfind("*1\r\n", 0) == 0);
}

TEST_CASE("ACL DRYRUN, CAT, GENPASS, LOAD/SAVE without a file, HELP", "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "d", "~k*", "&c", "+get", "+publish", "+config|get"});
  CHECK(t.Run({"ACL", "DRYRUN", "d", "get", "k1"}) == kOk);
  CHECK(t.Run({"ACL", "DRYRUN", "d", "get", "x"}) ==
        Bulk("User d has no permissions to access the 'x' key"));
  CHECK(t.Run({"ACL", "DRYRUN", "d", "set", "k1", "v"}) ==
        Bulk("User d has no permissions to run the 'set' command"));
  CHECK(t.Run({"ACL", "DRYRUN", "d", "publish", "z", "m"}) ==
        Bulk("User d has no permissions to access the 'z' channel"));
  CHECK(t.Run({"ACL", "DRYRUN", "d", "config", "get", "x"}) == kOk);
  CHECK(t.Run({"ACL", "DRYRUN", "d", "config", "set", "x", "y"}) ==
        Bulk("User d has no permissions to run the 'config|set' command"));
  CHECK(t.Run({"ACL", "DRYRUN", "nobody", "get", "k"}) == "-ERR User 'nobody' not found\r\n");
  CHECK(t.Run({"ACL", "DRYRUN", "d", "nosuch"}) == "-ERR Command 'nosuch' not found\r\n");
  CHECK(t.Run({"ACL", "DRYRUN", "d", "get"}) ==
        "-ERR wrong number of arguments for 'get' command\r\n");
  CHECK(t.Run({"ACL", "LOG"}) == "*0\r\n");  // DRYRUN logs nothing

  std::string cats = t.Run({"ACL", "CAT"});
  CHECK(cats.rfind("*21\r\n$8\r\nkeyspace\r\n$4\r\nread\r\n", 0) == 0);
  CHECK(t.Run({"ACL", "CAT", "nosuch"}) == "-ERR Unknown category 'nosuch'\r\n");
  std::string hll = t.Run({"ACL", "CAT", "hyperloglog"});
  CHECK(hll.find(Bulk("pfadd")) != std::string::npos);
  CHECK(hll.find(Bulk("get")) == std::string::npos);
  CHECK(t.Run({"ACL", "CAT", "admin"}).find(Bulk("config|set")) != std::string::npos);

  std::string pass = t.Run({"ACL", "GENPASS"});
  CHECK(pass.rfind("$64\r\n", 0) == 0);
  CHECK(t.Run({"ACL", "GENPASS", "5"}).rfind("$2\r\n", 0) == 0);
  CHECK(t.Run({"ACL", "GENPASS", "4096"}).rfind("$1024\r\n", 0) == 0);
  CHECK(t.Run({"ACL", "GENPASS", "0"}) ==
        "-ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096\r\n");
  CHECK(t.Run({"ACL", "GENPASS", "4097"}).rfind("-ERR ACL GENPASS", 0) == 0);
  CHECK(t.Run({"ACL", "SAVE"}).find("not configured to use an ACL file") != std::string::npos);
  CHECK(t.Run({"ACL", "LOAD"}).find("not configured to use an ACL file") != std::string::npos);
  CHECK(t.Run({"ACL", "HELP"}).rfind("*27\r\n+ACL <subcommand>", 0) == 0);
  CHECK(t.Run({"ACL", "NOSUCH"}) == "-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.\r\n");
}

TEST_CASE("COMMAND INFO shows Redis 7.2's ACL categories", "[acl_family]") {
  CommandTester t;
  std::string get = t.Run({"COMMAND", "INFO", "get"});
  CHECK(get.find("*3\r\n+@read\r\n+@string\r\n+@fast\r\n") != std::string::npos);
  std::string setuser = t.Run({"COMMAND", "INFO", "acl|setuser"});
  CHECK(setuser.find("+@admin\r\n+@slow\r\n+@dangerous\r\n") != std::string::npos);
}

TEST_CASE("Key flags follow the arguments; SORT BY/GET need read access to every key",
          "[acl_family]") {
  CommandTester t;
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"}) ==
        "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n");
  CHECK(t.Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "get"}) ==
        "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
  t.Run({"RPUSH", "mylist", "1"});
  t.Run({"ACL", "SETUSER", "s", "on", "nopass", "(+sort ~mylist %W~*)"});
  t.Run({"AUTH", "s", "x"});
  CHECK(t.Run({"SORT", "mylist", "BY", "v*"}) ==
        "-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n");
  CHECK(t.Run({"SORT", "mylist", "GET", "#"}) ==
        "-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n");
  CHECK(t.Run({"SORT", "mylist", "BY", "nosort"}) == "*1\r\n$1\r\n1\r\n");
}

TEST_CASE("A blocked command is checked again when it is served", "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "b", "on", "nopass", "+@all", "allkeys"});
  int c = t.AddClient();
  t.RunAs(c, {"AUTH", "b", "x"});
  CHECK(t.RunAs(c, {"BLPOP", "list1", "0"}).empty());
  t.Run({"ACL", "SETUSER", "b", "resetkeys"});
  t.Run({"LPUSH", "list1", "foo"});
  CHECK(t.TakeDelivered(c) == "-NOPERM No permissions to access a key\r\n");
  CHECK(t.Run({"LLEN", "list1"}) == ":1\r\n");
  CHECK(t.Run({"INFO", "commandstats"})
            .find("cmdstat_blpop:calls=0,usec=0,usec_per_call=0.00,"
                  "rejected_calls=1,failed_calls=0") != std::string::npos);
}

TEST_CASE("A deleted user's clients fall back to default; CLIENT KILL USER", "[acl_family]") {
  CommandTester t;
  t.Run({"ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"});
  int c = t.AddClient();
  CHECK(t.RunAs(c, {"AUTH", "gone", "x"}) == kOk);
  CHECK(t.RunAs(c, {"CLIENT", "INFO"}).find("user=gone") != std::string::npos);
  CHECK(t.Run({"CLIENT", "KILL", "USER", "nosuch"}) == "-ERR No such user 'nosuch'\r\n");
  CHECK(t.Run({"ACL", "DELUSER", "gone"}) == ":1\r\n");
  // In process there is no socket to close; the client's next command runs as default.
  CHECK(t.RunAs(c, {"ACL", "WHOAMI"}) == Bulk("default"));
}

TEST_CASE("READONLY, READWRITE and ASKING answer as a Redis that is no cluster node",
          "[acl_family][cluster]") {
  CommandTester t;
  const std::string disabled = "-ERR This instance has cluster support disabled\r\n";
  CHECK(t.Run({"READONLY"}) == disabled);
  CHECK(t.Run({"READWRITE"}) == disabled);
  CHECK(t.Run({"ASKING"}) == disabled);
  CHECK(t.Run({"READONLY", "x"}) == "-ERR wrong number of arguments for 'readonly' command\r\n");
  // ACL rules may name them (the suite's unit/acl gives a user +readonly).
  CHECK(t.Run({"ACL", "SETUSER", "s", "on", "nopass", "+readonly"}) == "+OK\r\n");
  CHECK(t.Run({"ACL", "DRYRUN", "s", "READONLY"}) == "+OK\r\n");
  CHECK(t.Run({"ACL", "DRYRUN", "s", "ASKING"}) ==
        Bulk("User s has no permissions to run the 'asking' command"));
}

}  // namespace
}  // namespace tessera::server
