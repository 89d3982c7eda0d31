// Fuzz target: the HyperLogLog commands on attacker-controlled HLL strings.  Any string can be
// stored with SET (or SETRANGE, RESTORE) and then handed to PFADD, PFCOUNT, PFMERGE and
// PFDEBUG, so the sparse opcodes and dense registers they read are the attacker's
// (CVE-2025-32023 and the 2019 sparse-overflow fixes in Redis).
//
// Input: byte 0 holds options: bits 0-1 pick hll-sparse-max-bytes (3000, 0, 64, 16000);
// bits 2-3 shape the value: 0 raw bytes, 1 a sparse header ("HYLL", 1, padding, cache) then the
// bytes, 2 a dense header then the bytes zero-padded or cut to the dense size, 3 a dense
// header and the bytes as the start of the value with no padding; bits 4-7 the number of
// elements PFADD adds (0-15).  Byte 1 varies the elements.  The rest is the value.
//
// Checks, on a fresh in-process server: SET stores it; PFCOUNT, PFADD, PFMERGE (as source and
// as destination) and PFDEBUG answer an integer / OK / the registers or exactly one of Redis's
// two HLL errors; whenever a write succeeded, the stored value is a valid HLL (right header,
// dense of the exact size or sparse opcodes covering exactly 16384 registers); a value PFCOUNT
// accepted gives the same count again (the cache it may have written agrees).  A value whose
// cached cardinality is marked valid is counted from the cache without reading its registers,
// as Redis does, so only a computed count implies a valid value.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hyperloglog.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/resp_check.h"
#include "tests/server/command_tester.h"

namespace {

using tessera::server::CommandTester;

constexpr std::string_view kWrongType =
    "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
constexpr std::string_view kCorrupt = "-INVALIDOBJ Corrupted HLL object detected\r\n";

bool IsInteger(std::string_view r) {
  return r.size() >= 4 && r[0] == ':' && r.substr(r.size() - 2) == "\r\n";
}

bool HllError(std::string_view r) { return r == kWrongType || r == kCorrupt; }

std::string BulkBody(std::string_view reply) {
  // "$<n>\r\n<bytes>\r\n"
  size_t eol = reply.find("\r\n");
  FUZZ_CHECK(reply.size() > 0 && reply[0] == '$' && eol != std::string_view::npos);
  return std::string(reply.substr(eol + 2, reply.size() - eol - 4));
}

void CheckStoredValid(CommandTester& t, std::string_view key) {
  std::string value = BulkBody(t.Run({"GET", key}));
  FUZZ_CHECK(tessera::hll::HasHllHeader(value), "stored value of %zu bytes has no HLL header",
             value.size());
  if (tessera::hll::EncodingOf(value) == tessera::hll::Encoding::kSparse) {
    FUZZ_CHECK(tessera::hll::ValidSparse(value), "stored sparse value is corrupt");
  } else {
    FUZZ_CHECK(value.size() == tessera::hll::kDenseSize);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t options = data[0];
  const uint8_t variety = data[1];
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);

  static const char* kSparseMax[] = {"3000", "0", "64", "16000"};
  using Overrides = std::vector<std::pair<std::string, std::string>>;
  CommandTester t(Overrides{{"hll-sparse-max-bytes", kSparseMax[options & 3]}});

  std::string header("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", 16);
  std::string value;
  switch ((options >> 2) & 3) {
    case 0:
      value = std::string(rest);
      break;
    case 1:
      value = header + std::string(rest);
      break;
    case 2:
      header[4] = '\0';
      value = header + std::string(rest);
      value.resize(tessera::hll::kDenseSize, '\0');
      break;
    case 3:
      header[4] = '\0';
      value = header + std::string(rest);
      break;
  }
  std::vector<std::string> pfadd = {"PFADD", "h"};
  for (int i = 0; i < (options >> 4); ++i) pfadd.push_back(std::to_string(i * 7919 + variety));

  FUZZ_CHECK(t.Run({"SET", "h", value}) == "+OK\r\n");
  FUZZ_CHECK(t.Run({"PFADD", "good", "a", "b", "c"}) == ":1\r\n");

  const std::string count = t.Run({"PFCOUNT", "h"});
  FUZZ_CHECK(IsInteger(count) || HllError(count), "PFCOUNT: %s", count.c_str());
  if (IsInteger(count)) {
    FUZZ_CHECK(t.Run({"PFCOUNT", "h"}) == count);
    // A valid cached cardinality is answered without reading the registers, as in Redis: only
    // a count that was computed says the registers are sound.
    const bool cache_valid = value.size() >= 16 && (static_cast<uint8_t>(value[15]) & 0x80) == 0;
    if (!cache_valid) CheckStoredValid(t, "h");
  }

  const std::string merged = t.Run({"PFMERGE", "dest", "good", "h"});
  FUZZ_CHECK(merged == "+OK\r\n" || HllError(merged), "PFMERGE: %s", merged.c_str());
  if (merged == "+OK\r\n") CheckStoredValid(t, "dest");

  const std::string both = t.Run({"PFCOUNT", "h", "good"});
  FUZZ_CHECK(IsInteger(both) || HllError(both), "PFCOUNT h good: %s", both.c_str());

  const std::string regs = t.Run({"PFDEBUG", "GETREG", "h"});
  size_t where = 0;
  FUZZ_CHECK(tessera::fuzz::WellFormedReplies(regs, &where), "PFDEBUG GETREG: %.100s",
             regs.c_str());
  FUZZ_CHECK(regs[0] == '*' || HllError(regs), "PFDEBUG GETREG: %.100s", regs.c_str());

  const std::string decoded = t.Run({"PFDEBUG", "DECODE", "h"});
  FUZZ_CHECK(tessera::fuzz::WellFormedReplies(decoded, &where));

  const std::string added = t.Run(pfadd);
  FUZZ_CHECK(added == ":0\r\n" || added == ":1\r\n" || HllError(added), "PFADD: %s", added.c_str());
  if (added[0] == ':') CheckStoredValid(t, "h");

  const std::string into = t.Run({"PFMERGE", "h", "good"});
  FUZZ_CHECK(into == "+OK\r\n" || HllError(into), "PFMERGE into h: %s", into.c_str());
  if (into == "+OK\r\n") CheckStoredValid(t, "h");

  const std::string dense = t.Run({"PFDEBUG", "TODENSE", "h"});
  FUZZ_CHECK(dense == ":0\r\n" || dense == ":1\r\n" || HllError(dense), "TODENSE: %s",
             dense.c_str());
  if (dense[0] == ':') CheckStoredValid(t, "h");
  return 0;
}
