// What the config tests share: reading and setting one directive through the registry, and
// CONFIG SET's error text.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "server/config/config.h"

namespace tessera::server::config_test {

// The value CONFIG GET gives for `name`, which must match exactly one directive.
inline std::string GetOne(const ConfigRegistry& r, std::string_view name) {
  std::string_view patterns[] = {name};
  auto got = r.Get(patterns);
  REQUIRE(got.size() == 1);
  return got[0].second;
}

// CONFIG SET name value: "" on success, else the error reply's text.
inline std::string SetOne(ConfigRegistry& r, std::string_view name, std::string_view value) {
  std::pair<std::string_view, std::string_view> pairs[] = {{name, value}};
  return r.Set(pairs);
}

// The error CONFIG SET gives when `name` is refused for `why`.
inline std::string SetError(std::string_view name, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(why);
}

}  // namespace tessera::server::config_test
