#include "server/commands/command_name_index.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/base/ascii.h"
#include "server/commands/command.h"

namespace tessera::server {
namespace {

TEST_CASE("CommandNameIndex finds names in any case, and only them", "[command_name_index]") {
  std::vector<std::string> names;
  for (int i = 0; i < 500; ++i) names.push_back("cmd" + std::to_string(i));
  names.push_back("get");
  names.push_back("a@");  // differs from "a`" only in bit 5 of a non-letter: same hash
  CommandNameIndex index;
  for (size_t i = 0; i < names.size(); ++i) index.Insert(names[i], i);
  for (size_t i = 0; i < names.size(); ++i) REQUIRE(index.Find(names[i]) == i);
  CHECK(index.Find("GET") == 500);
  CHECK(index.Find("gEt") == 500);
  CHECK(index.Find("CMD42") == 42);
  CHECK(index.Find("a@") == 501);
  CHECK(index.Find("A@") == 501);
  CHECK(CommandNameIndex::Hash("a`") == CommandNameIndex::Hash("a@"));
  CHECK(index.Find("a`") == CommandNameIndex::kNone);
  CHECK(index.Find("ge") == CommandNameIndex::kNone);
  CHECK(index.Find("gets") == CommandNameIndex::kNone);
  CHECK(index.Find("") == CommandNameIndex::kNone);

  CHECK(index.Erase("GET"));
  CHECK_FALSE(index.Erase("get"));
  CHECK(index.Find("get") == CommandNameIndex::kNone);
  for (size_t i = 0; i < 500; ++i) REQUIRE(index.Find(names[i]) == i);
  size_t count = 0;
  index.ForEach([&](std::string_view, size_t) { ++count; });
  CHECK(count == 501);
  CHECK(CommandNameIndex().Find("get") == CommandNameIndex::kNone);
}

TEST_CASE("The command table finds commands in any case and follows rename-command",
          "[command_name_index]") {
  CommandTable table;
  RegisterAllFamilies(&table);
  table.Finalize();
  const CommandSpec* get = table.Find("get");
  REQUIRE(get != nullptr);
  CHECK(get->name == "get");
  CHECK(table.Find("GeT") == get);
  CHECK(table.Find("gett") == nullptr);
  CHECK(table.FindFullName("CONFIG|get") != nullptr);
  REQUIRE(table.Find("EVAL_RO") != nullptr);
  CHECK(table.Find("EVAL_RO")->name == "eval_ro");
  CHECK(table.Find("eval_rO") == table.Find("EVAL_RO"));
  CHECK(table.Find("EVAL\x7fRO") == nullptr);
  // The index compares a client's folded bytes with stored names as they are.
  for (const CommandSpec& c : table.top_level()) CHECK(c.name == AsciiLower(c.name));
  REQUIRE(table.Rename("GET", "fetch"));
  CHECK(table.Find("get") == nullptr);
  CHECK(table.Find("FETCH") == get);
  CHECK(table.FindOriginalFullName("get") == get);
  CHECK(table.Listed(*get));
  REQUIRE(table.Rename("fetch", ""));
  CHECK(table.Find("fetch") == nullptr);
  CHECK_FALSE(table.Listed(*get));
  CHECK_FALSE(table.Rename("nosuchcommand", "x"));
  CHECK_FALSE(table.Rename("set", "incr"));  // INCR already answers to that name
}

}  // namespace
}  // namespace tessera::server
