// Fuzz target: the config-file parser (ConfigRegistry::LoadFromString, server/config), the
// code that reads redis.conf, `--name value` options and every `CONFIG SET`-able value.
//
// Input: the text of a config file.  Inputs naming `include`, `dir` or `logfile` anywhere are
// skipped: those directives open files or change the process's directory, which a fuzzer must
// not do with random names (their parsing is the same SplitArgs path as every other line).
//
// Checks: no crash or sanitizer report; a refusal is Redis's fatal-error text; the
// allocations stay within 64 bytes per input byte + 1 MiB; and an accepted file round-trips:
// every directive's value as CONFIG GET shows it, written back as a config file, loads into a
// fresh registry and shows the same values (except values a list directive cannot read back:
// with an empty word, or holding a quote, a backslash, a NUL or white space other than single
// spaces).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "fuzz/redis_model.h"
#include "server/config/config.h"
#include "tests/core/alloc_counter.h"

namespace {

bool MentionsNoCase(std::string_view text, std::string_view word) {
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    size_t j = 0;
    while (j < word.size() && (text[i + j] | 0x20) == word[j]) ++j;
    if (j == word.size()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view word : {"include", "dir", "logfile"}) {
    if (MentionsNoCase(text, word)) return 0;
  }
  tessera::server::ConfigRegistry registry;
  std::string error;
  bool ok;
  {
    tessera::testing::AllocationCounter counter;
    ok = registry.LoadFromString(text, &error);
    FUZZ_CHECK(counter.bytes() <= 64 * size + (size_t{1} << 20), "allocated %zu for %zu bytes",
               counter.bytes(), size);
  }
  if (!ok) {
    FUZZ_CHECK(error.starts_with("\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"), "%s",
               error.c_str());
    return 0;
  }
  std::string_view all[] = {"*"};
  const auto values = registry.Get(all);
  std::string again;
  for (const auto& [name, value] : values) {
    if (name == "dir") continue;
    again += name + " " + tessera::fuzz::ModelQuote(value) + "\n";
  }
  tessera::server::ConfigRegistry fresh;
  FUZZ_CHECK(fresh.LoadFromString(again, &error), "values did not load back: %s\n%s", error.c_str(),
             again.c_str());
  const auto back = fresh.Get(all);
  FUZZ_CHECK(back.size() == values.size());
  for (size_t i = 0; i < back.size(); ++i) {
    // A list (bind, save...) shows as its words joined by spaces, and a quoted value of a list
    // directive is split again as a line is: a word that is empty, or holds a quote, a
    // backslash, a NUL or other white space, does not read back the same, in Redis either.
    // Values with any of those are not compared.
    const std::string& v = values[i].second;
    if (v.starts_with(' ') || v.ends_with(' ') || v.find("  ") != std::string::npos ||
        v.find_first_of(std::string_view("\"'\\\0\t\r\n\v\f", 9)) != std::string::npos) {
      continue;
    }
    FUZZ_CHECK(back[i] == values[i], "%s: '%s' loaded back as '%s'", values[i].first.c_str(),
               values[i].second.c_str(), back[i].second.c_str());
  }
  return 0;
}
