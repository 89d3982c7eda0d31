// Longest common subsequence of two byte strings (the LCS command).
//
// Approach: the textbook dynamic-programming table of (|a|+1) x (|b|+1) uint32 cells, then one
// walk back from the bottom-right corner that collects the subsequence and the ranges of
// consecutive matches.  Time and memory are O(|a| * |b|), as in Redis.
//
// Alternative rejected: Hirschberg's linear-space variant finds an LCS of the same length, but
// when several exist it need not pick the same one, nor report the same match ranges, as
// Redis's walk; clients compare those replies, so the full table and Redis's tie-breaking
// (on a mismatch, step back in `a` only when that keeps a strictly longer LCS) are kept.
//
// Because memory is quadratic, the caller passes a byte budget and nothing is allocated past
// it; the size computation itself is overflow-checked (CVE-2021-29477 and CVE-2021-32625 were
// overflows right there).  Pure: no clock, no I/O, no threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// One run of consecutive matching bytes: a[a_start..a_end] == b[b_start..b_end], inclusive.
struct LcsRange {
  uint32_t a_start = 0;
  uint32_t a_end = 0;
  uint32_t b_start = 0;
  uint32_t b_end = 0;
  uint32_t length() const { return a_end - a_start + 1; }
  bool operator==(const LcsRange&) const = default;
};

struct LcsOptions {
  bool want_sequence = true;      // fill LcsResult::sequence
  bool want_ranges = false;       // fill LcsResult::ranges
  uint64_t min_range_length = 0;  // ranges shorter than this are left out
  uint64_t max_table_bytes = 0;   // refuse (kOverBudget) a table larger than this
};

struct LcsResult {
  uint32_t length = 0;
  std::string sequence;
  // In the order of the walk: from the ends of the strings towards their starts.
  std::vector<LcsRange> ranges;
};

enum class LcsStatus {
  kOk,
  kTooLong,     // a string of 2^32 - 2 bytes or more: lengths would not fit the cells
  kOverBudget,  // the table would exceed max_table_bytes
  kNoMemory,    // the table size overflows, or the allocation failed
};

// Computes the LCS of `a` and `b`.  On any status but kOk, *out is left untouched.
LcsStatus ComputeLcs(std::string_view a, std::string_view b, const LcsOptions& options,
                     LcsResult* out);

}  // namespace tessera
