#include "core/base/lcs.h"

#include <cstdlib>
#include <limits>
#include <memory>

namespace tessera {

namespace {

struct FreeDeleter {
  void operator()(uint32_t* p) const { std::free(p); }
};

// The table, row-major: cell (i, j) holds the LCS length of a[0..i) and b[0..j).
class LcsTable {
 public:
  LcsTable(uint32_t* cells, uint32_t b_len) : cells_(cells), row_(uint64_t{b_len} + 1) {}
  uint32_t& at(uint32_t i, uint32_t j) { return cells_.get()[i * row_ + j]; }

 private:
  std::unique_ptr<uint32_t, FreeDeleter> cells_;
  uint64_t row_;
};

void Fill(std::string_view a, std::string_view b, LcsTable* t) {
  uint32_t a_len = static_cast<uint32_t>(a.size());
  uint32_t b_len = static_cast<uint32_t>(b.size());
  for (uint32_t j = 0; j <= b_len; ++j) t->at(0, j) = 0;
  for (uint32_t i = 1; i <= a_len; ++i) {
    t->at(i, 0) = 0;
    for (uint32_t j = 1; j <= b_len; ++j) {
      if (a[i - 1] == b[j - 1]) {
        t->at(i, j) = t->at(i - 1, j - 1) + 1;
      } else {
        uint32_t up = t->at(i - 1, j);
        uint32_t left = t->at(i, j - 1);
        t->at(i, j) = up > left ? up : left;
      }
    }
  }
}

// Walks back from (|a|, |b|).  A run of diagonal steps is one range; it ends at the first
// non-diagonal step or when either string's first byte has been matched.
void Walk(std::string_view a, std::string_view b, const LcsOptions& options, LcsTable* t,
          LcsResult* out) {
  uint32_t i = static_cast<uint32_t>(a.size());
  uint32_t j = static_cast<uint32_t>(b.size());
  uint32_t remaining = out->length;
  bool in_range = false;
  LcsRange range;
  while (i > 0 && j > 0) {
    bool range_ends = false;
    if (a[i - 1] == b[j - 1]) {
      if (options.want_sequence) out->sequence[--remaining] = a[i - 1];
      if (!in_range) {
        range = LcsRange{i - 1, i - 1, j - 1, j - 1};
        in_range = true;
      } else {  // the previous step was diagonal too, so the run extends backwards
        range.a_start = i - 1;
        range.b_start = j - 1;
      }
      range_ends = i == 1 || j == 1;
      --i;
      --j;
    } else {
      if (t->at(i - 1, j) > t->at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      range_ends = in_range;
    }
    if (range_ends) {
      if (options.want_ranges && range.length() >= options.min_range_length) {
        out->ranges.push_back(range);
      }
      in_range = false;
    }
  }
}

}  // namespace

LcsStatus ComputeLcs(std::string_view a, std::string_view b, const LcsOptions& options,
                     LcsResult* out) {
  constexpr uint64_t kMaxLength = std::numeric_limits<uint32_t>::max() - 1;
  if (a.size() >= kMaxLength || b.size() >= kMaxLength) return LcsStatus::kTooLong;
  // Each factor is below 2^32, so the cell count fits; the byte count may not.
  uint64_t cells = (uint64_t{a.size()} + 1) * (uint64_t{b.size()} + 1);
  if (cells > std::numeric_limits<uint64_t>::max() / sizeof(uint32_t)) {
    return LcsStatus::kNoMemory;
  }
  uint64_t bytes = cells * sizeof(uint32_t);
  if (bytes >= std::numeric_limits<size_t>::max()) return LcsStatus::kNoMemory;
  if (bytes > options.max_table_bytes) return LcsStatus::kOverBudget;
  auto* cells_ptr = static_cast<uint32_t*>(std::malloc(static_cast<size_t>(bytes)));
  if (cells_ptr == nullptr) return LcsStatus::kNoMemory;
  LcsTable table(cells_ptr, static_cast<uint32_t>(b.size()));

  Fill(a, b, &table);
  LcsResult result;
  result.length = table.at(static_cast<uint32_t>(a.size()), static_cast<uint32_t>(b.size()));
  if (options.want_sequence) result.sequence.assign(result.length, '\0');
  if (options.want_sequence || options.want_ranges) Walk(a, b, options, &table, &result);
  *out = std::move(result);
  return LcsStatus::kOk;
}

}  // namespace tessera
