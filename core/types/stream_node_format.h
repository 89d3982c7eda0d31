// The stream node format, shared by StreamValue and (later) the RDB reader and writer
// (STYLE 14).  Internal to core/types: commands never see a node.
//
// A plain node is Redis's stream listpack, byte for byte (what RDB files carry):
//   master entry: count, deleted, num-fields, field_1 ... field_N, 0
//   each entry:   flags, ms-delta, seq-delta, [num-fields, field_1, value_1, ... | value_1 ...],
//                 lp-count
// where flags has kFlagDeleted and kFlagSameFields (then the field names are the master
// entry's and only values follow), the deltas are from the node's master ID, and lp-count is
// the number of elements of the entry before it, so a reader can walk the node backwards.
//
// A packed node (stream_value.h says which nodes are packed) is a PackedHeader, a table of
// Segments and the segments' bytes, each segment an LZF-compressed run of whole entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/types/stream_value.h"

namespace tessera::types::stream_node {

// Entry flags, as Redis's STREAM_ITEM_FLAG_*.
inline constexpr int64_t kFlagDeleted = 1;
inline constexpr int64_t kFlagSameFields = 2;
// Redis's STREAM_LISTPACK_MAX_SIZE: no node (and no entry) may pass 1 GB.
inline constexpr size_t kListpackMaxSize = size_t{1} << 30;

// The integer element at p.  REQUIRES: it is one.
int64_t Int(const uint8_t* p);
// v in decimal, in `buf` (at least 21 bytes).
std::string_view IntText(int64_t v, char* buf);
// Replaces the integer at *p; *p points at it again in the (possibly moved) listpack `l`,
// which is returned.
uint8_t* ReplaceInt(uint8_t* l, const uint8_t** p, int64_t v);

// What the master entry of a node says.
struct Master {
  int64_t count;    // live entries
  int64_t deleted;  // entries flagged deleted
  int64_t num_fields;
  const uint8_t* fields;      // first master field (or the terminator when there are none)
  const uint8_t* terminator;  // the master entry's closing 0
};
Master ReadMaster(const uint8_t* l);
// Moves `n` entries from the live count of master `m` (read from node `l`) to its deleted
// count; returns the (possibly moved) node.
uint8_t* MarkDeletedInMaster(uint8_t* l, const Master& m, int64_t n);

// One entry of a node as a forward walk reads it.
struct EntryView {
  const uint8_t* flags_p;
  int64_t flags;
  StreamID id;
  int64_t num_fields;
  const uint8_t* fields;  // first field (or value, with SAMEFIELDS)
  const uint8_t* last;    // the entry's lp-count
};
// Reads the entry whose flags element is at p, in node `l` with master ID `master`.
EntryView ReadEntry(const uint8_t* l, const uint8_t* p, StreamID master, int64_t master_fields);

// A packed node: this header, a table of segments, then their bytes.  The node is cut into
// segments of about kSegmentBytes at entry starts, each compressed on its own, so a forward
// read decompresses only as far as it goes (XRANGE of a node's first entries costs one
// segment).  The counts and the last ID are what trimming reads of a node without
// decompressing it (a packed node never changes).
struct PackedHeader {
  uint32_t plain_size;
  uint32_t data_size;  // bytes of all segments
  int64_t live;        // entries not flagged deleted
  StreamID last;       // the last entry's ID, deleted or not
  uint64_t serial;     // unique per packing, so a cache never mistakes a new blob for a freed one
  uint32_t segments;
};

// Segment k covers plain bytes [plain_end[k-1], plain_end) and data bytes
// [data_end[k-1], data_end); equal sizes mean it is stored as is (it did not compress).
struct Segment {
  uint32_t plain_end;
  uint32_t data_end;
};

inline constexpr uint32_t kSegmentBytes = 1024;

inline const PackedHeader* Header(const uint8_t* tagged) {
  return reinterpret_cast<const PackedHeader*>(tagged - 1);
}
inline const Segment* Segments(const PackedHeader* h) {
  return reinterpret_cast<const Segment*>(h + 1);
}
inline const uint8_t* SegmentData(const PackedHeader* h) {
  return reinterpret_cast<const uint8_t*>(Segments(h) + h->segments);
}
inline size_t BlobSize(const PackedHeader* h) {
  return sizeof(PackedHeader) + h->segments * sizeof(Segment) + h->data_size;
}

// A serial number no other packing took (the decompression cache's key).
uint64_t NextSerial();
// Writes segment k of a packed node (`tagged`: its address with bit 0 set) at its place in
// `plain`, a buffer of the node's plain size: from this thread's cache or decompressed.
void PlainSegment(const uint8_t* tagged, size_t k, uint8_t* plain);
// The whole packed node, plain, into *out.
void Decompress(const uint8_t* tagged, std::vector<uint8_t>* out);

}  // namespace tessera::types::stream_node
