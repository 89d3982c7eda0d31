// Unit tests of ACL rules: parsing, the canonical description Redis 7.2 prints (ACL LIST),
// and the permission check of commands, keys and channels.
#include "server/acl/user.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/base/sha256.h"
#include "server/acl/acl_registry.h"

namespace tessera::server::acl {
namespace {

const CommandTable& Table() {
  static const CommandTable* table = [] {
    auto* t = new CommandTable;
    RegisterAllFamilies(t);
    t->Finalize();
    return t;
  }();
  return *table;
}

RuleContext Ctx(bool channels_all = false) {
  RuleContext ctx;
  ctx.table = &Table();
  ctx.channels_default_all = channels_all;
  return ctx;
}

// Applies rules to a new user; returns the ACL LIST description, or "ERR: <error>".
std::string Describe(std::vector<std::string_view> rules, bool channels_all = false) {
  User u(Ctx(channels_all), "u");
  std::string err = ApplyRules(Ctx(channels_all), nullptr, "u", rules, &u);
  if (!err.empty()) return "ERR: " + err;
  return u.Describe();
}

User Make(std::vector<std::string_view> rules) {
  User u(Ctx(), "u");
  std::string err = ApplyRules(Ctx(), nullptr, "u", rules, &u);
  REQUIRE(err.empty());
  return u;
}

// Check() as a string: "ok", "command", "key@N", "channel@N".
std::string Check(const User& u, std::vector<std::string_view> args) {
  const CommandSpec* spec = Table().Find(args[0]);
  REQUIRE(spec != nullptr);
  if (!spec->subcommands.empty() && args.size() > 1) {
    spec = CommandTable::FindSub(*spec, args[1]);
    REQUIRE(spec != nullptr);
  }
  int index = -1;
  Denial d = u.Check(*spec, args, &index);
  switch (d) {
    case Denial::kNone:
      return "ok";
    case Denial::kCommand:
      return "command";
    case Denial::kKey:
      return "key@" + std::to_string(index);
    case Denial::kChannel:
      return "channel@" + std::to_string(index);
    default:
      return "?";
  }
}

TEST_CASE("A new user is off, sanitizes payloads and may do nothing", "[acl]") {
  CHECK(Describe({}) == "off sanitize-payload resetchannels -@all");
  CHECK(Describe({}, true) == "off sanitize-payload &* -@all");
}

TEST_CASE("ACL LIST prints flags, hashes, keys, channels, then rules in the order given", "[acl]") {
  CHECK(Describe({"on", ">pw", "~cache:*", "%R~ro:*", "&chan*", "+get", "+set", "-@dangerous",
                  "+config|get", "+select|0", "(~sel* +hget)"}) ==
        "on sanitize-payload #" + Sha256Hex("pw") +
            " ~cache:* %R~ro:* resetchannels &chan* -@all +get +set -@dangerous +config|get "
            "+select|0 (~sel* resetchannels -@all +hget)");
  CHECK(Describe({"on", "nopass", "allkeys", "allchannels", "allcommands"}) ==
        "on nopass sanitize-payload ~* &* +@all");
  CHECK(Describe({"skip-sanitize-payload"}) == "off skip-sanitize-payload resetchannels -@all");
}

TEST_CASE("A later rule about a command replaces the earlier ones about it", "[acl]") {
  CHECK(Describe({"+get", "+set", "-get"}) == "off sanitize-payload resetchannels -@all +set -get");
  // A whole-command rule drops the rules about its subcommands; not the other way round.
  CHECK(Describe({"+config|get", "+config|set", "-config"}) ==
        "off sanitize-payload resetchannels -@all -config");
  CHECK(Describe({"-config", "+config|get"}) ==
        "off sanitize-payload resetchannels -@all -config +config|get");
  CHECK(Describe({"+@read", "-@read"}) == "off sanitize-payload resetchannels -@all -@read");
  CHECK(Describe({"+get", "allcommands"}) == "off sanitize-payload resetchannels +@all");
  CHECK(Describe({"+@all", "-get", "nocommands", "+GET"}) ==
        "off sanitize-payload resetchannels -@all +get");
}

TEST_CASE("Key patterns: %R~ %W~ merge, ~* is allkeys, duplicates collapse", "[acl]") {
  CHECK(Describe({"%R~a", "%W~a"}) == "off sanitize-payload ~a resetchannels -@all");
  CHECK(Describe({"%RW~a", "~a", "%wr~b"}) == "off sanitize-payload ~a ~b resetchannels -@all");
  CHECK(Describe({"~a", "allkeys"}) == "off sanitize-payload ~* resetchannels -@all");
  CHECK(Describe({"~a", "resetkeys", "~b"}) == "off sanitize-payload ~b resetchannels -@all");
  CHECK(Describe({"&a", "&a", "&b"}) == "off sanitize-payload resetchannels &a &b -@all");
}

TEST_CASE("Passwords: >, <, #, !, nopass, resetpass", "[acl]") {
  std::string h = Sha256Hex("pw");
  CHECK(Describe({">pw", ">pw"}) == "off sanitize-payload #" + h + " resetchannels -@all");
  CHECK(Describe({">pw", "<pw"}) == "off sanitize-payload resetchannels -@all");
  CHECK(Describe({"#" + h}) == "off sanitize-payload #" + h + " resetchannels -@all");
  CHECK(Describe({">pw", "!" + h}) == "off sanitize-payload resetchannels -@all");
  CHECK(Describe({">pw", "nopass"}) == "off nopass sanitize-payload resetchannels -@all");
  CHECK(Describe({"nopass", ">pw", "resetpass"}) == "off sanitize-payload resetchannels -@all");
  User u = Make({"on", ">pw", ">other"});
  CHECK(u.PasswordMatches("pw"));
  CHECK(u.PasswordMatches("other"));
  CHECK_FALSE(u.PasswordMatches("PW"));
  CHECK_FALSE(Make({"off", "nopass"}).PasswordMatches("x"));
  CHECK(Make({"on", "nopass"}).PasswordMatches("anything"));
}

TEST_CASE("Rule errors have Redis's text and change nothing", "[acl]") {
  CHECK(Describe({"+nosuchcmd"}) ==
        "ERR: Error in ACL SETUSER modifier '+nosuchcmd': Unknown command or category name in "
        "ACL");
  CHECK(Describe({"+@nosuchcat"}).find("Unknown command or category name") != std::string::npos);
  CHECK(Describe({"bogus"}) == "ERR: Error in ACL SETUSER modifier 'bogus': Syntax error");
  CHECK(Describe({"allkeys", "~a"}).find("'allkeys' flag) is not valid") != std::string::npos);
  CHECK(Describe({"allchannels", "&a"}).find("'allchannels' flag) is not valid") !=
        std::string::npos);
  CHECK(Describe({"<nope"}).find("does not exist") != std::string::npos);
  CHECK(Describe({"#abc"}).find("exactly 64 characters") != std::string::npos);
  CHECK(Describe({"#" + std::string(64, 'A')}).find("exactly 64 characters") != std::string::npos);
  CHECK(Describe({"+config|get|x"}).find("first-arg of a subcommand") != std::string::npos);
  CHECK(Describe({"+get|"}).find("Syntax error") != std::string::npos);
  CHECK(Describe({"+config|nosuch"}).find("Unknown command") != std::string::npos);
  CHECK(Describe({"-select|0"}).find("Unknown command") != std::string::npos);
  // A bare % and a % without R or W crashed Redis before 7.2.7 (CVE-2024-51741).
  CHECK(Describe({"%"}).find("Syntax error") != std::string::npos);
  CHECK(Describe({"%~x"}).find("Syntax error") != std::string::npos);
  CHECK(Describe({"%RR~x"}).find("Syntax error") != std::string::npos);
  CHECK(Describe({"(on)"}).find("Syntax error") != std::string::npos);
  CHECK(Describe({"(~a", "+get"}) ==
        "ERR: Unmatched parenthesis in acl selector starting at '(~a'.");
  CHECK(Describe({"~a b"}).find("Syntax error") != std::string::npos);
  CHECK(Describe({std::string_view("~a\0b", 4)}).find("Syntax error") != std::string::npos);
}

TEST_CASE("Selectors: spread over arguments, cleared by clearselectors and reset", "[acl]") {
  CHECK(Describe({"(~a", "+get)", "(%R~b", "+@read)"}) ==
        "off sanitize-payload resetchannels -@all (~a resetchannels -@all +get) "
        "(%R~b resetchannels -@all +@read)");
  CHECK(Describe({"(~a +get)", "clearselectors"}) == "off sanitize-payload resetchannels -@all");
  CHECK(Describe({"on", ">x", "~a", "+get", "(~b)", "reset"}) ==
        "off sanitize-payload resetchannels -@all");
  CHECK(Describe({"on", "reset"}, true) == "off sanitize-payload &* -@all");
}

TEST_CASE("Check: commands, subcommands and first arguments", "[acl]") {
  User u = Make({"+get", "+config|get", "+select|0", "+@hash", "-hdel"});
  CHECK(Check(u, {"get", "k"}) == "key@1");  // the command passes; no key pattern does
  User k = Make({"allkeys", "+get", "+config|get", "+select|0", "+@hash", "-hdel"});
  CHECK(Check(k, {"get", "k"}) == "ok");
  CHECK(Check(k, {"set", "k", "v"}) == "command");
  CHECK(Check(k, {"config", "get", "x"}) == "ok");
  CHECK(Check(k, {"config", "set", "x", "y"}) == "command");
  CHECK(Check(k, {"select", "0"}) == "ok");
  CHECK(Check(k, {"select", "1"}) == "command");
  CHECK(Check(k, {"hset", "h", "f", "v"}) == "ok");
  CHECK(Check(k, {"hdel", "h", "f"}) == "command");
  // no_auth commands are always allowed.
  CHECK(Check(k, {"auth", "x"}) == "ok");
}

TEST_CASE("Check: key patterns with read and write permissions", "[acl]") {
  User u = Make({"+@all", "%R~r:*", "%W~w:*", "~rw:*"});
  CHECK(Check(u, {"get", "r:1"}) == "ok");
  CHECK(Check(u, {"get", "w:1"}) == "key@1");
  CHECK(Check(u, {"set", "w:1", "v"}) == "ok");            // SET without GET only writes
  CHECK(Check(u, {"set", "w:1", "v", "GET"}) == "key@1");  // with GET it reads too
  CHECK(Check(u, {"bitfield", "r:1", "GET", "u4", "0"}) == "ok");
  CHECK(Check(u, {"bitfield", "r:1", "SET", "u4", "0", "1"}) == "key@1");
  CHECK(Check(u, {"exists", "w:1"}) == "ok");  // EXISTS only looks: any pattern will do
  CHECK(Check(u, {"del", "r:1"}) == "key@1");
  CHECK(Check(u, {"del", "w:1"}) == "ok");
  CHECK(Check(u, {"copy", "r:1", "w:2"}) == "ok");
  CHECK(Check(u, {"copy", "w:1", "w:2"}) == "key@1");
  CHECK(Check(u, {"restore", "w:1", "0", "payload"}) == "ok");  // RESTORE only writes
  CHECK(Check(u, {"dump", "w:1"}) == "key@1");
  CHECK(Check(u, {"get", "rw:1"}) == "ok");
  CHECK(Check(u, {"set", "rw:1", "v"}) == "ok");
  CHECK(Check(u, {"mget", "r:1", "rw:2", "x"}) == "key@3");
  CHECK(Check(u, {"get", "other"}) == "key@1");
}

TEST_CASE("CanReadAnyKey: SORT's BY and GET need ~* or %R~* in an allowing selector", "[acl]") {
  const CommandSpec& sort = *Table().Find("sort");
  std::vector<std::string_view> args{"sort", "mylist", "by", "v*"};
  CHECK_FALSE(Make({"(+sort ~mylist)"}).CanReadAnyKey(sort, args));
  CHECK_FALSE(Make({"(+sort ~mylist %W~*)"}).CanReadAnyKey(sort, args));
  CHECK(Make({"(+sort ~mylist %R~*)"}).CanReadAnyKey(sort, args));
  CHECK_FALSE(Make({"(+get %R~*)"}).CanReadAnyKey(sort, args));
}

TEST_CASE("Check: channels match as globs, PSUBSCRIBE patterns literally", "[acl]") {
  User u = Make({"+@all", "allkeys", "&news.*", "&exact"});
  CHECK(Check(u, {"publish", "news.sport", "m"}) == "ok");
  CHECK(Check(u, {"publish", "other", "m"}) == "channel@1");
  CHECK(Check(u, {"subscribe", "exact", "news.x", "bad"}) == "channel@3");
  CHECK(Check(u, {"psubscribe", "news.*"}) == "ok");
  CHECK(Check(u, {"psubscribe", "news.s*"}) == "channel@1");
  CHECK(Check(u, {"unsubscribe", "anything"}) == "ok");
  CHECK(Check(u, {"spublish", "other", "m"}) == "channel@1");
}

TEST_CASE("Check: the most relevant denial over selectors", "[acl]") {
  // Root allows GET on a:*, a selector allows GET on b:*: either key pattern suffices.
  User u = Make({"+get", "~a:*", "(+get ~b:*)", "(+set ~c:*)"});
  CHECK(Check(u, {"get", "a:1"}) == "ok");
  CHECK(Check(u, {"get", "b:1"}) == "ok");
  CHECK(Check(u, {"get", "c:1"}) == "key@1");
  CHECK(Check(u, {"set", "c:1", "v"}) == "ok");
  CHECK(Check(u, {"del", "c:1"}) == "command");
}

TEST_CASE("Unrestricted users take the fast path", "[acl]") {
  CHECK(Make({"+@all", "~*", "&*"}).unrestricted());
  CHECK_FALSE(Make({"+@all", "~*"}).unrestricted());
  CHECK_FALSE(Make({"+@all", "~*", "&*", "-get"}).unrestricted());
  CHECK(Make({"~a", "(+@all ~* &*)"}).unrestricted());
}

TEST_CASE("Hostile rules are bounded and never crash", "[acl]") {
  // A huge pattern of every byte value but space and NUL.
  std::string pattern = "~";
  for (int i = 0; i < 100000; ++i) {
    char c = static_cast<char>(i % 256);
    if (c != ' ' && c != '\0') pattern.push_back(c);
  }
  User u = Make({"+@all", pattern});
  int index = 0;
  std::string key(20000, '*');
  CHECK(u.Check(*Table().Find("get"), std::vector<std::string_view>{"get", key}, &index) !=
        Denial::kCommand);
  // Thousands of selectors and rules.
  std::vector<std::string> ops;
  for (int i = 0; i < 2000; ++i) ops.push_back("(~k" + std::to_string(i) + " +get)");
  for (int i = 0; i < 2000; ++i) ops.push_back(i % 2 ? "+get" : "-get");
  std::vector<std::string_view> views(ops.begin(), ops.end());
  User many = Make(views);
  CHECK(many.selectors().size() == 2001);
  CHECK(Check(many, {"get", "k1999"}) == "ok");
  CHECK(Check(many, {"get", "nope"}) == "key@1");
  // Every byte as a rule.
  for (int b = 0; b < 256; ++b) {
    std::string op(1, static_cast<char>(b));
    User x(Ctx(), "x");
    std::vector<std::string_view> one{op};
    ApplyRules(Ctx(), nullptr, "x", one, &x);  // may fail; must not crash
  }
}

TEST_CASE("Registry: SETUSER is all or nothing, DELUSER, the epoch moves", "[acl]") {
  AclRegistry r(&Table());
  uint64_t e0 = r.epoch();
  std::vector<std::string_view> ok{"on", ">pw", "+get", "~*"};
  CHECK(r.SetUser("alice", ok).empty());
  CHECK(r.epoch() > e0);
  uint64_t uid = r.Find("alice")->uid();
  std::vector<std::string_view> bad{"-get", "bogus"};
  CHECK_FALSE(r.SetUser("alice", bad).empty());
  CHECK(r.Find("alice")->Describe() ==
        "on sanitize-payload #" + Sha256Hex("pw") + " ~* resetchannels -@all +get");
  std::vector<std::string_view> more{"+set"};
  CHECK(r.SetUser("alice", more).empty());
  CHECK(r.Find("alice")->uid() == uid);  // a changed user keeps its identity
  CHECK(r.Authenticate("alice", "pw") != nullptr);
  CHECK(r.Authenticate("alice", "no") == nullptr);
  std::vector<std::string_view> names{"alice", "nobody"};
  CHECK(r.DelUsers(names) == 1);
  CHECK(r.Find("alice") == nullptr);
  CHECK_FALSE(r.DefaultRequiresAuth());
  r.SetDefaultPassword("secret");
  CHECK(r.DefaultRequiresAuth());
  CHECK(r.Authenticate("default", "secret") != nullptr);
  r.SetDefaultPassword("");
  CHECK_FALSE(r.DefaultRequiresAuth());
}

TEST_CASE("Registry: the ACL file round trip and its errors", "[acl]") {
  AclRegistry r(&Table());
  std::vector<std::string_view> rules{"on", ">pw", "~a:*", "&c", "+get", "(%W~w +set)"};
  REQUIRE(r.SetUser("bob", rules).empty());
  std::string text = r.SaveFileText();
  CHECK(text == "user bob on sanitize-payload #" + Sha256Hex("pw") +
                    " ~a:* resetchannels &c -@all +get (%W~w resetchannels -@all +set)\n"
                    "user default on nopass sanitize-payload ~* &* +@all\n");
  AclRegistry loaded(&Table());
  CHECK(loaded.LoadFileText(text, "users.acl").empty());
  CHECK(loaded.SaveFileText() == text);
  // One bad line: nothing changes, every problem is named.
  std::string errors =
      loaded.LoadFileText("user x on +nosuch\nnotuser y\nuser x on\nuser z bogus", "f.acl");
  CHECK(errors ==
        "f.acl:1: Error in applying operation '+nosuch': Unknown command or category name in "
        "ACL. f.acl:2 should start with user keyword followed by the username. WARNING: "
        "Duplicate user 'x' found on line 3. f.acl:4: Syntax error. WARNING: ACL errors "
        "detected, no change to the previously active ACL rules was performed");
  CHECK(loaded.SaveFileText() == text);
  // Without a default line, the default user is the built-in one.
  CHECK(loaded.LoadFileText("user only on nopass +@all ~*\n", "f").empty());
  CHECK(loaded.Users().size() == 2);
  CHECK(loaded.Find("default")->unrestricted());
}

TEST_CASE("ACL LOG groups similar entries and keeps acllog-max-len", "[acl]") {
  AclRegistry r(&Table());
  r.AddLogEntry(Denial::kCommand, LogContext::kTopLevel, "get", "u", "info1", 1000, 128);
  r.AddLogEntry(Denial::kCommand, LogContext::kTopLevel, "get", "u", "info2", 2000, 128);
  auto entries = r.LogEntries(10);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].count == 2);
  CHECK(entries[0].client_info == "info2");
  CHECK(entries[0].created_ms == 1000);
  CHECK(entries[0].updated_ms == 2000);
  // More than 60 s later: a new entry.
  r.AddLogEntry(Denial::kCommand, LogContext::kTopLevel, "get", "u", "info3", 70000, 128);
  r.AddLogEntry(Denial::kKey, LogContext::kMulti, "k", "u", "info4", 70000, 2);
  entries = r.LogEntries(10);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].object == "k");
  CHECK(entries[0].entry_id == 2);
  CHECK(entries[1].entry_id == 1);
  DenialCounters c = r.counters();
  CHECK(c.command == 3);
  CHECK(c.key == 1);
  r.ResetLog();
  CHECK(r.LogEntries(10).empty());
}

}  // namespace
}  // namespace tessera::server::acl
