#include "persistence/rdb_writer.h"

#include <cstring>
#include <vector>

#include "core/base/crc64.h"
#include "core/base/lzf.h"
#include "core/base/numbers.h"
#include "core/ds/listpack.h"
#include "core/keyspace/object.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"
#include "persistence/rdb_format.h"

namespace tessera::persistence::rdb {

namespace {

namespace lp = ds::lp;
using keyspace::Entry;
using keyspace::ValueType;
using types::HashValue;
using types::ListValue;
using types::SetMember;
using types::SetValue;
using types::StreamID;
using types::StreamValue;
using types::ZSetValue;

// Redis compresses only strings longer than this.
constexpr size_t kCompressMinLength = 20;

void PutLe(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBe(std::string* out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void WriteMillis(std::string* out, int64_t ms) { PutLe(out, static_cast<uint64_t>(ms), 8); }

void WriteBinaryDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  PutLe(out, bits, 8);
}

// Writes v in the integer string encoding iff it fits 32 bits.
bool TryWriteInt(std::string* out, int64_t v) {
  if (v >= INT8_MIN && v <= INT8_MAX) {
    out->push_back(static_cast<char>((kLenEncoded << 6) | kEncInt8));
    PutLe(out, static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out->push_back(static_cast<char>((kLenEncoded << 6) | kEncInt16));
    PutLe(out, static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out->push_back(static_cast<char>((kLenEncoded << 6) | kEncInt32));
    PutLe(out, static_cast<uint64_t>(v), 4);
  } else {
    return false;
  }
  return true;
}

void WriteInt(std::string* out, int64_t v) {
  if (TryWriteInt(out, v)) return;
  char buf[32];
  WriteString(out, std::string_view(buf, FormatInt64(v, buf)), false);
}

// A listpack built from views, written as a string.
void WriteListpackOf(std::string* out, std::span<const std::string_view> items, bool compress) {
  uint8_t* l = lp::AppendAll(lp::New(), items);
  WriteString(out, std::string_view(reinterpret_cast<const char*>(l), lp::Bytes(l)), compress);
  lp::Free(l);
}

void WriteStreamId(std::string* out, StreamID id) {
  PutBe(out, id.ms, 8);
  PutBe(out, id.seq, 8);
}

// ---- Values ----------------------------------------------------------------------------------

uint8_t WriteList(std::string* out, const ListValue& l, const WriteOptions& opts) {
  size_t nodes = 0;
  l.ForEachNode([&](const uint8_t*, size_t, bool) { ++nodes; });
  WriteLength(out, nodes);
  l.ForEachNode([&](const uint8_t* data, size_t size, bool plain) {
    WriteLength(out, plain ? kQuicklistPlain : kQuicklistPacked);
    WriteString(out, std::string_view(reinterpret_cast<const char*>(data), size), opts.compress);
  });
  return kTypeListQuicklist2;
}

// Redis's intset: u32 width in bytes (2, 4 or 8), u32 count, then the values ascending.
void WriteIntset(std::string* out, const SetValue& s, bool compress) {
  std::vector<int64_t> v;
  v.reserve(s.size());
  s.ForEach([&](const SetMember& m) { v.push_back(m.num); });
  int width = 2;
  for (int64_t x : v) {
    if (x < INT32_MIN || x > INT32_MAX) {
      width = 8;
    } else if ((x < INT16_MIN || x > INT16_MAX) && width < 4) {
      width = 4;
    }
  }
  std::string buf;
  buf.reserve(8 + v.size() * width);
  PutLe(&buf, width, 4);
  PutLe(&buf, v.size(), 4);
  for (int64_t x : v) PutLe(&buf, static_cast<uint64_t>(x), width);
  WriteString(out, buf, compress);
}

uint8_t WriteSet(std::string* out, const SetValue& s, const WriteOptions& opts) {
  switch (s.encoding()) {
    case SetValue::Encoding::kIntset:
      WriteIntset(out, s, opts.compress);
      return kTypeSetIntset;
    case SetValue::Encoding::kListpack: {
      std::vector<std::string> owned;
      owned.reserve(s.size());
      s.ForEach([&](const SetMember& m) { owned.push_back(m.ToString()); });
      std::vector<std::string_view> items(owned.begin(), owned.end());
      WriteListpackOf(out, items, opts.compress);
      return kTypeSetListpack;
    }
    case SetValue::Encoding::kHashtable:
      break;
  }
  WriteLength(out, s.size());
  char buf[24];
  s.ForEach([&](const SetMember& m) { WriteString(out, m.View(buf), opts.compress); });
  return kTypeSet;
}

uint8_t WriteZSet(std::string* out, const ZSetValue& z, const WriteOptions& opts) {
  if (z.is_packed()) {
    std::vector<std::string> scores;
    std::vector<std::string_view> items;
    scores.reserve(z.size());
    items.reserve(2 * z.size());
    for (auto it = z.IterateFrom(0, false); it.valid(); it.Next())
      scores.push_back(DoubleToString(it.score()));
    size_t i = 0;
    for (auto it = z.IterateFrom(0, false); it.valid(); it.Next()) {
      items.push_back(it.member());
      items.push_back(scores[i++]);
    }
    WriteListpackOf(out, items, opts.compress);
    return kTypeZSetListpack;
  }
  // Highest score first, as Redis writes it, so that a loader inserting at the head of an
  // ordered list does the least work.
  WriteLength(out, z.size());
  for (auto it = z.IterateFrom(z.size() - 1, true); it.valid(); it.Next()) {
    WriteString(out, it.member(), opts.compress);
    WriteBinaryDouble(out, it.score());
  }
  return kTypeZSet2;
}

uint8_t WriteHash(std::string* out, const HashValue& h, const WriteOptions& opts) {
  const int64_t min_expiry = h.MinExpiry();
  const bool ttl = min_expiry != types::kNoFieldExpiry;
  if (h.is_packed()) {
    std::vector<std::string_view> items;
    std::vector<std::string> ttls;
    items.reserve((ttl ? 3 : 2) * h.size());
    if (ttl) {
      ttls.reserve(h.size());
      h.ForEach([&](std::string_view f, std::string_view) {
        int64_t at = h.FindExpiry(f).value_or(types::kNoFieldExpiry);
        ttls.push_back(Int64ToString(at == types::kNoFieldExpiry ? 0 : at));
      });
    }
    size_t i = 0;
    h.ForEach([&](std::string_view f, std::string_view v) {
      items.push_back(f);
      items.push_back(v);
      if (ttl) items.push_back(ttls[i++]);
    });
    if (ttl) WriteMillis(out, min_expiry);
    WriteListpackOf(out, items, opts.compress);
    return ttl ? kTypeHashListpackEx : kTypeHashListpack;
  }
  // Redis 7.4's metadata layout stores each TTL relative to the minimum, plus one (0: none).
  if (ttl) WriteMillis(out, min_expiry);
  WriteLength(out, h.size());
  h.ForEach([&](std::string_view f, std::string_view v) {
    if (ttl) {
      int64_t at = h.FindExpiry(f).value_or(types::kNoFieldExpiry);
      WriteLength(out,
                  at == types::kNoFieldExpiry ? 0 : static_cast<uint64_t>(at - min_expiry) + 1);
    }
    WriteString(out, f, opts.compress);
    WriteString(out, v, opts.compress);
  });
  return ttl ? kTypeHashMetadata : kTypeHash;
}

void WriteGroups(std::string* out, const StreamValue& s, const WriteOptions& opts) {
  const types::StreamGroups* groups = s.groups();
  WriteLength(out, groups == nullptr ? 0 : groups->size());
  if (groups == nullptr) return;
  for (const auto& [name, g] : *groups) {
    WriteString(out, name, opts.compress);
    WriteLength(out, g->last_id.ms);
    WriteLength(out, g->last_id.seq);
    WriteLength(out, static_cast<uint64_t>(g->entries_read));
    WriteLength(out, g->pel.size());
    for (const auto& [id, nack] : g->pel) {
      WriteStreamId(out, id);
      WriteMillis(out, nack->delivery_time);
      WriteLength(out, nack->delivery_count);
    }
    WriteLength(out, g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      WriteString(out, cname, opts.compress);
      WriteMillis(out, c->seen_time);
      WriteMillis(out, c->active_time);
      WriteLength(out, c->pel.size());
      for (const auto& entry : c->pel) WriteStreamId(out, entry.first);
    }
  }
}

uint8_t WriteStream(std::string* out, const StreamValue& s, const WriteOptions& opts) {
  WriteLength(out, s.node_count());
  std::vector<uint8_t> scratch;
  for (size_t i = 0; i < s.node_count(); ++i) {
    std::string key;
    WriteStreamId(&key, s.node_master(i));
    WriteString(out, key, false);
    const uint8_t* l = s.node_listpack(i, &scratch);
    WriteString(out, std::string_view(reinterpret_cast<const char*>(l), lp::Bytes(l)),
                opts.compress);
  }
  WriteLength(out, s.length());
  WriteLength(out, s.last_id().ms);
  WriteLength(out, s.last_id().seq);
  WriteLength(out, s.first_id().ms);
  WriteLength(out, s.first_id().seq);
  WriteLength(out, s.max_deleted_id().ms);
  WriteLength(out, s.max_deleted_id().seq);
  WriteLength(out, s.entries_added());
  WriteGroups(out, s, opts);
  return kTypeStreamListpacks3;
}

}  // namespace

// ---- Primitives ------------------------------------------------------------------------------

void WriteLength(std::string* out, uint64_t len) {
  if (len < (1 << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    out->push_back(static_cast<char>((kLen14Bit << 6) | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(kLen32Bit));
    PutBe(out, len, 4);
  } else {
    out->push_back(static_cast<char>(kLen64Bit));
    PutBe(out, len, 8);
  }
}

void WriteString(std::string* out, std::string_view s, bool compress) {
  int64_t v;
  if (s.size() <= 11 && ParseInt64(s, &v) && TryWriteInt(out, v)) return;
  if (compress && s.size() > kCompressMinLength) {
    std::string packed;
    if (LzfCompress(s, s.size() - 4, &packed)) {
      out->push_back(static_cast<char>((kLenEncoded << 6) | kEncLzf));
      WriteLength(out, packed.size());
      WriteLength(out, s.size());
      out->append(packed);
      return;
    }
  }
  WriteLength(out, s.size());
  out->append(s);
}

uint8_t WriteValue(std::string* out, const Entry& e, const WriteOptions& opts) {
  switch (e.type()) {
    case ValueType::kString:
      if (e.is_int()) {
        WriteInt(out, e.int_value());
      } else {
        WriteString(out, e.raw_value(), opts.compress);
      }
      return kTypeString;
    case ValueType::kList:
      return WriteList(out, *e.object_as<ListValue>(), opts);
    case ValueType::kSet:
      return WriteSet(out, *e.object_as<SetValue>(), opts);
    case ValueType::kZSet:
      return WriteZSet(out, *e.object_as<ZSetValue>(), opts);
    case ValueType::kHash:
      return WriteHash(out, *e.object_as<HashValue>(), opts);
    case ValueType::kStream:
      return WriteStream(out, *e.object_as<StreamValue>(), opts);
  }
  return kTypeString;
}

// ---- File structure ----------------------------------------------------------------------

void WriteHeader(std::string* out, int version) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "REDIS%04d", version);
  out->append(buf, 9);
}

void WriteAux(std::string* out, std::string_view key, std::string_view value) {
  out->push_back(static_cast<char>(kOpAux));
  WriteString(out, key, false);
  WriteString(out, value, false);
}

void WriteSelectDb(std::string* out, int db) {
  out->push_back(static_cast<char>(kOpSelectDb));
  WriteLength(out, static_cast<uint64_t>(db));
}

void WriteResizeDb(std::string* out, uint64_t db_size, uint64_t expires_size) {
  out->push_back(static_cast<char>(kOpResizeDb));
  WriteLength(out, db_size);
  WriteLength(out, expires_size);
}

void WriteKey(std::string* out, const Entry& e, const WriteOptions& opts) {
  if (e.has_expiry()) {
    out->push_back(static_cast<char>(kOpExpireTimeMs));
    WriteMillis(out, e.expire_at());
  }
  if (opts.write_idle) {
    out->push_back(static_cast<char>(kOpIdle));
    WriteLength(out, (opts.clock - e.clock()) & 0xFFFFFF);
  }
  // The type byte comes first but depends on the encoding: write the value after a
  // placeholder, then fill it in.
  const size_t type_at = out->size();
  out->push_back('\0');
  WriteString(out, e.key(), opts.compress);
  (*out)[type_at] = static_cast<char>(WriteValue(out, e, opts));
}

void WriteFunction(std::string* out, std::string_view library_code) {
  out->push_back(static_cast<char>(kOpFunction2));
  WriteString(out, library_code, true);
}

void WriteEof(std::string* out) { out->push_back(static_cast<char>(kOpEof)); }

void AppendChecksum(std::string* out, uint64_t crc) { PutLe(out, crc, 8); }

std::string DumpPayload(const Entry& e) {
  std::string out;
  out.push_back('\0');
  WriteOptions opts;
  out[0] = static_cast<char>(WriteValue(&out, e, opts));
  PutLe(&out, kRdbVersion, 2);
  AppendChecksum(&out, Crc64(0, out));
  return out;
}

}  // namespace tessera::persistence::rdb
