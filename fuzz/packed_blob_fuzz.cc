// Fuzz target: the validating decoders of the packed blobs inside RDB files and RESTORE
// payloads (persistence/rdb_packed.h: listpack, ziplist, zipmap, intset), directly, without
// the RDB framing around them, so every input reaches the byte-level checks.
//
// Input: byte 0 picks the decoder (low 2 bits), the rest is the blob.
//
// Checks: no crash or sanitizer report; at most one element per 2 blob bytes (listpack,
// ziplist, zipmap) or per 2 (intset) and nothing allocated beyond the element records; and a
// listpack the validator accepts is one the in-memory listpack code (core/ds/listpack.h, which
// trusts its input) walks forwards and backwards to exactly the same elements, and Length
// agrees: the validator is what lets RESTORE hand a blob to that code.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/ds/listpack.h"
#include "fuzz/fuzz_check.h"
#include "persistence/rdb_packed.h"

namespace rdb = tessera::persistence::rdb;
namespace lp = tessera::ds::lp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view blob(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<rdb::PackedElem> elems;
  switch (data[0] & 3) {
    case 0: {
      if (!rdb::DecodeListpack(blob, &elems)) return 0;
      FUZZ_CHECK(elems.size() <= blob.size() / 2);
      // The in-memory code gets its own malloc'd copy, as RESTORE gives it.
      auto* copy = static_cast<uint8_t*>(std::malloc(blob.size()));
      std::memcpy(copy, blob.data(), blob.size());
      FUZZ_CHECK(lp::Bytes(copy) == blob.size());
      FUZZ_CHECK(lp::Length(copy) == elems.size(), "Length %u, decoded %zu", lp::Length(copy),
                 elems.size());
      char buf[lp::kIntBufSize];
      char want[32];
      size_t i = 0;
      for (const uint8_t* p = lp::First(copy); p != nullptr; p = lp::Next(copy, p), ++i) {
        FUZZ_CHECK(i < elems.size());
        FUZZ_CHECK(lp::Get(p).View(buf) == elems[i].View(want), "element %zu differs", i);
        FUZZ_CHECK(lp::Equals(p, elems[i].View(want)));
      }
      FUZZ_CHECK(i == elems.size());
      for (const uint8_t* p = lp::Last(copy); p != nullptr; p = lp::Prev(copy, p)) {
        FUZZ_CHECK(i > 0);
        --i;
        FUZZ_CHECK(lp::Get(p).View(buf) == elems[i].View(want), "element %zu differs backwards", i);
      }
      FUZZ_CHECK(i == 0);
      std::free(copy);
      break;
    }
    case 1:
      if (rdb::DecodeZiplist(blob, &elems)) FUZZ_CHECK(elems.size() <= blob.size() / 2);
      break;
    case 2:
      if (rdb::DecodeZipmap(blob, &elems)) FUZZ_CHECK(elems.size() <= blob.size());
      break;
    case 3: {
      std::vector<int64_t> members;
      if (rdb::DecodeIntset(blob, &members)) {
        FUZZ_CHECK(members.size() <= blob.size() / 2);
        for (size_t i = 1; i < members.size(); ++i) FUZZ_CHECK(members[i - 1] < members[i]);
      }
      break;
    }
  }
  return 0;
}
