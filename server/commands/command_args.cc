// COMMAND DOCS argument descriptions for the generic (keyspace) commands, used while their
// family does not set CommandSpec::arguments itself (the string family does).  redis-cli
// builds its command-line hints from them.  The structure (names, types, tokens, nesting) is Redis 7.2's
// command interface; when a family documents a command itself, its entry here becomes dead and
// should be deleted.
#include <map>

#include "server/commands/server_family.h"

namespace tessera::server {

namespace {

using namespace argdoc;  // NOLINT: a table of Str/Int/Key/... builders reads best unqualified

const std::map<std::string_view, std::vector<ArgDoc>>& FallbackTable() {
  static const auto* table = new std::map<std::string_view, std::vector<ArgDoc>>{
      {"copy",
       {Key("source"), Key("destination"), Int("destination-db").Tok("DB").Opt(),
        PureToken("replace", "REPLACE").Opt()}},
      {"del", {Key("key").Multi()}},
      {"dump", {Key("key")}},
      {"exists", {Key("key").Multi()}},
      {"expire",
       {Key("key"), Int("seconds"),
        OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX"), PureToken("gt", "GT"),
                            PureToken("lt", "LT")})
            .Opt()}},
      {"expireat",
       {Key("key"), UnixTime("unix-time-seconds"),
        OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX"), PureToken("gt", "GT"),
                            PureToken("lt", "LT")})
            .Opt()}},
      {"expiretime", {Key("key")}},
      {"keys", {Pattern("pattern")}},
      {"migrate",
       {Str("host"), Int("port"),
        OneOf("key-selector", {Key("key"), PureToken("empty-string", "\"\"")}),
        Int("destination-db"), Int("timeout"), PureToken("copy", "COPY").Opt(),
        PureToken("replace", "REPLACE").Opt(),
        OneOf("authentication", {Str("auth").Tok("AUTH").Display("password"),
                                 Block("auth2", {Str("username"), Str("password")}).Tok("AUTH2")})
            .Opt(),
        Key("keys").Tok("KEYS").Display("key").Opt().Multi()}},
      {"move", {Key("key"), Int("db")}},
      {"object|encoding", {Key("key")}},
      {"object|freq", {Key("key")}},
      {"object|idletime", {Key("key")}},
      {"object|refcount", {Key("key")}},
      {"persist", {Key("key")}},
      {"pexpire",
       {Key("key"), Int("milliseconds"),
        OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX"), PureToken("gt", "GT"),
                            PureToken("lt", "LT")})
            .Opt()}},
      {"pexpireat",
       {Key("key"), UnixTime("unix-time-milliseconds"),
        OneOf("condition", {PureToken("nx", "NX"), PureToken("xx", "XX"), PureToken("gt", "GT"),
                            PureToken("lt", "LT")})
            .Opt()}},
      {"pexpiretime", {Key("key")}},
      {"pttl", {Key("key")}},
      {"rename", {Key("key"), Key("newkey")}},
      {"renamenx", {Key("key"), Key("newkey")}},
      {"restore",
       {Key("key"), Int("ttl"), Str("serialized-value"), PureToken("replace", "REPLACE").Opt(),
        PureToken("absttl", "ABSTTL").Opt(), Int("seconds").Tok("IDLETIME").Opt(),
        Int("frequency").Tok("FREQ").Opt()}},
      {"scan",
       {Int("cursor"), Pattern("pattern").Tok("MATCH").Opt(), Int("count").Tok("COUNT").Opt(),
        Str("type").Tok("TYPE").Opt()}},
      {"sort",
       {Key("key"), Pattern("by-pattern").Tok("BY").Display("pattern").Opt(),
        Block("limit", {Int("offset"), Int("count")}).Tok("LIMIT").Opt(),
        Pattern("get-pattern").Tok("GET").Display("pattern").Opt().Multi().MultiToken(),
        OneOf("order", {PureToken("asc", "ASC"), PureToken("desc", "DESC")}).Opt(),
        PureToken("sorting", "ALPHA").Opt(), Key("destination").Tok("STORE").Opt()}},
      {"sort_ro",
       {Key("key"), Pattern("by-pattern").Tok("BY").Display("pattern").Opt(),
        Block("limit", {Int("offset"), Int("count")}).Tok("LIMIT").Opt(),
        Pattern("get-pattern").Tok("GET").Display("pattern").Opt().Multi().MultiToken(),
        OneOf("order", {PureToken("asc", "ASC"), PureToken("desc", "DESC")}).Opt(),
        PureToken("sorting", "ALPHA").Opt()}},
      {"touch", {Key("key").Multi()}},
      {"ttl", {Key("key")}},
      {"type", {Key("key")}},
      {"unlink", {Key("key").Multi()}},
      {"wait", {Int("numreplicas"), Int("timeout")}},
      {"waitaof", {Int("numlocal"), Int("numreplicas"), Int("timeout")}},
  };
  return *table;
}

}  // namespace

const std::vector<ArgDoc>* FallbackArgumentDocs(std::string_view full_name) {
  const auto& table = FallbackTable();
  auto it = table.find(full_name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace tessera::server
