// The directive table's row type, shared by the table (config_table.cc) and the generic
// machinery that loads, serves, sets and rewrites values (config.cc, config_file.cc).
// Internal to server/config: other code uses config.h.
//
// A row says what a directive is (name, alias, type, default, bounds, flags) and where its
// value lives: plain rows through load/store function pointers generated per ServerConfig
// field, special rows (bind, save, dir) through their own set/get/rewrite functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/config/config.h"

namespace tessera::server {

enum class ConfigKind : uint8_t { kBool, kNumeric, kEnum, kString, kSpecial };
enum class NumFormat : uint8_t { kInteger, kMemory, kOctal };

// Entry::flags.  Redis's DEBUG/DENY_LOADING flags have no user among our directives.
inline constexpr uint32_t kModifiable = 0;
inline constexpr uint32_t kImmutable = 1 << 0;  // CONFIG SET refuses: start-up only
inline constexpr uint32_t kProtected = 1 << 1;  // refused too: we have no enable-protected-configs
inline constexpr uint32_t kSensitive = 1 << 2;  // value redacted from logs
inline constexpr uint32_t kMultiArg = 1 << 3;   // takes several words (bind, save)
inline constexpr uint32_t kEmptyIsNull = 1 << 4;  // string: "" means unset, REWRITE drops the line
inline constexpr uint32_t kNoDefault = 1 << 5;    // the process state is the default (dir)
// Test hooks CONFIG GET shows only when asked by exact name, never for a pattern (Redis's
// HIDDEN_CONFIG).
inline constexpr uint32_t kHidden = 1 << 6;

// What a special directive's setter may touch.
struct SetContext {
  ServerConfig* values;
  bool reading_file;
  bool* save_reset_done;
};

struct ConfigRegistry::Entry {
  std::string_view name;
  std::string_view alias;  // "" if none
  uint32_t flags = 0;
  ConfigKind kind = ConfigKind::kBool;
  // In redis.conf syntax; split with SplitArgs for kMultiArg directives.
  std::string_view default_value;
  // kNumeric.
  NumFormat format = NumFormat::kInteger;
  int64_t min = 0;
  int64_t max = 0;
  int64_t (*normalize)(int64_t) = nullptr;  // applied after the bounds check (hz clamps)
  // kEnum: the value is the index of its name.
  std::span<const std::string_view> enum_names;
  // kBool, kNumeric, kEnum.
  int64_t (*load)(const ServerConfig&) = nullptr;
  void (*store)(ServerConfig&, int64_t) = nullptr;
  const char* (*check_number)(int64_t) = nullptr;  // error text, or nullptr if acceptable
  // kString.
  std::string (*load_string)(const ServerConfig&) = nullptr;
  void (*store_string)(ServerConfig&, std::string) = nullptr;
  // Error text, or nullptr if acceptable; may judge the value against the others.
  const char* (*check_string)(const ServerConfig&, std::string_view) = nullptr;
  // kSpecial.
  bool (*set)(SetContext&, std::span<const std::string>, bool* changed, std::string* err) = nullptr;
  std::string (*get)(const ServerConfig&) = nullptr;
  void (*rewrite)(const Entry&, const ServerConfig&, std::string_view default_value,
                  ConfigRewriter*) = nullptr;
};

// Every row, primary names unique; aliases are unique too and never a primary name.
std::span<const ConfigRegistry::Entry> ConfigTable();

}  // namespace tessera::server
