// The documentation of Redis 7.2's commands that COMMAND DOCS serves beyond what a CommandSpec
// holds: doc flags, deprecation, history and the complete argument tree of each command.
//
// The facts (versions, argument names, types, tokens, flags, key spec indices) are generated
// from Redis 7.2.4's src/commands/*.json by scripts/gen-command-docs.py into
// command_docs_data.cc; the prose (history descriptions, replacements) is our own, kept in
// scripts/command_docs_words.py.  Summaries and complexities stay in the families' specs, in
// our words.  Regenerate instead of editing command_docs_data.cc by hand.
//
// The alternative, a `.Since()` on every argument of every family's table, would spread one
// upstream data set over thirty files and drift from it; one generated table keeps it whole.
// Commands Redis does not have (HEXPIRE...) are documented by their family's spec alone.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "server/commands/command.h"

namespace tessera::server {

enum DocFlag : uint32_t {
  kDocDeprecated = 1u << 0,  // "deprecated"
  kDocSyscmd = 1u << 1,      // "syscmd": not meant for users (PFDEBUG, REPLCONF...)
};

struct RedisCommandDocs {
  std::string_view since;
  bool has_complexity = true;  // false: Redis documents no complexity (MONITOR, XREAD)
  uint32_t doc_flags = 0;      // DocFlag bits
  std::string_view deprecated_since;
  std::string_view replaced_by;
  std::vector<std::pair<std::string_view, std::string_view>> history;  // version, change
  // COMMAND INFO's tips, lower case ("nondeterministic_output", "request_policy:all_shards"):
  // cluster clients route commands by them.
  std::vector<std::string_view> tips;
  std::vector<ArgDoc> arguments;
};

// The entry for `full_name` ("set", "client|kill"), or nullptr for a command Redis 7.2.4 does
// not have.  The table is built on first use and never changes; safe from any thread.
const RedisCommandDocs* FindRedisCommandDocs(std::string_view full_name);

}  // namespace tessera::server
