#include "core/base/cpu_list.h"

#include <cstdint>

namespace tessera {

namespace {

// Reads the decimal number at `pos` (which must start with a digit) into *value and moves
// `pos` past it.  Values are clamped so that no range can overflow.
bool ReadNumber(std::string_view text, size_t* pos, uint64_t* value) {
  if (*pos >= text.size() || text[*pos] < '0' || text[*pos] > '9') return false;
  uint64_t v = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    v = v * 10 + static_cast<uint64_t>(text[*pos] - '0');
    if (v > uint64_t{1} << 40) v = uint64_t{1} << 40;
    ++*pos;
  }
  *value = v;
  return true;
}

// Where `c` next occurs at or after `from`, or npos.
size_t Find(std::string_view text, char c, size_t from) {
  return from >= text.size() ? std::string_view::npos : text.find(c, from);
}

}  // namespace

std::optional<std::vector<int>> ParseCpuList(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::vector<int> cpus;
  size_t item = 0;
  size_t end = 0;  // just past the last number read
  while (true) {
    uint64_t first = 0;
    size_t pos = item;
    if (!ReadNumber(text, &pos, &first)) return std::nullopt;
    uint64_t last = first;
    uint64_t stride = 1;
    const size_t comma = Find(text, ',', pos);
    const size_t dash = Find(text, '-', pos);
    if (dash != std::string_view::npos && (comma == std::string_view::npos || dash < comma)) {
      pos = dash + 1;
      if (!ReadNumber(text, &pos, &last)) return std::nullopt;
      const size_t colon = pos < text.size() ? Find(text, ':', pos) : std::string_view::npos;
      if (colon != std::string_view::npos && (comma == std::string_view::npos || colon < comma)) {
        pos = colon + 1;
        if (!ReadNumber(text, &pos, &stride) || stride == 0) return std::nullopt;
      }
    }
    if (first > last) return std::nullopt;
    for (uint64_t cpu = first; cpu <= last && cpu < kMaxCpu; cpu += stride) {
      cpus.push_back(static_cast<int>(cpu));
    }
    end = pos;
    if (comma == std::string_view::npos) break;
    item = comma + 1;
  }
  if (end != text.size()) return std::nullopt;
  return cpus;
}

}  // namespace tessera
