// Validating decoders for the packed blobs RDB files carry: listpack, ziplist (Redis < 7),
// zipmap (Redis < 2.6) and intset.  Each checks the whole blob before anything is built from
// it (Redis's deep sanitization): every length and offset within the blob, header totals and
// counts equal to what the walk finds, back-lengths / prev-lengths consistent, the end marker
// last, intset members strictly ascending.  Views returned point into the blob.
//
// Pure functions; they never read past `blob` and allocate at most one record per entry
// actually present (a listpack entry takes at least 2 bytes, so a vector of them is bounded
// by the blob's size).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::persistence::rdb {

// One decoded element: an integer, or bytes inside the blob.
struct PackedElem {
  std::string_view str;
  int64_t num = 0;
  bool is_int = false;
  // The element as text; an integer is formatted into `buf` (at least 21 bytes).
  std::string_view View(char* buf) const;
  std::string ToString() const;
};

// Returns false unless `blob` is a well-formed listpack; appends its elements to *out.
bool DecodeListpack(std::string_view blob, std::vector<PackedElem>* out);
// The same for a ziplist.
bool DecodeZiplist(std::string_view blob, std::vector<PackedElem>* out);
// A zipmap: appends field, value, field, value...
bool DecodeZipmap(std::string_view blob, std::vector<PackedElem>* out);
// An intset: appends its members (ascending).
bool DecodeIntset(std::string_view blob, std::vector<int64_t>* out);

}  // namespace tessera::persistence::rdb
