// ReadValue: one RDB value into a Tessera entry, with Redis 7.2's encoding choices on load.
// Streams are in rdb_load_stream.cc.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "core/base/find_duplicate.h"
#include "core/base/hash.h"
#include "core/base/numbers.h"
#include "core/ds/listpack.h"
#include "core/keyspace/entry.h"
#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/zset_value.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_input.h"
#include "persistence/rdb_load_internal.h"
#include "persistence/rdb_packed.h"

namespace tessera::persistence::rdb {

namespace {

using keyspace::Entry;
using keyspace::ValueType;
using types::HashValue;
using types::ListValue;
using types::SetValue;
using types::ZSetValue;

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max() / 4;

uint8_t* MallocCopy(const char* data, size_t n) {
  auto* p = static_cast<uint8_t*>(std::malloc(n == 0 ? 1 : n));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, data, n);
  return p;
}

// A new listpack holding `elems` in order.
uint8_t* ListpackOf(const std::vector<PackedElem>& elems) {
  std::vector<std::string> ints;  // the integers' text, alive while the views are used
  ints.reserve(elems.size());
  char buf[24];
  for (const PackedElem& e : elems) {
    if (e.is_int) ints.emplace_back(e.View(buf));
  }
  std::vector<std::string_view> items;
  items.reserve(elems.size());
  size_t next_int = 0;
  for (const PackedElem& e : elems) items.push_back(e.is_int ? ints[next_int++] : e.str);
  return ds::lp::AppendAll(ds::lp::New(), items);
}

Status EmptyKey() { return Status::Error(Status::Code::kEmptyKey, "Empty keys skipped"); }

// Text for the integers of decoded elements, for the one-pass builders: the views it hands
// out stay valid until the next Reset (room for every element is reserved up front).
class IntText {
 public:
  explicit IntText(size_t elems) { buf_.resize(elems * kMaxIntText); }
  std::string_view View(const PackedElem& e) {
    if (!e.is_int) return e.str;
    char* at = buf_.data() + used_;
    const std::string_view v = e.View(at);
    used_ += v.size();
    return v;
  }

 private:
  static constexpr size_t kMaxIntText = 21;
  std::string buf_;
  size_t used_ = 0;
};

// ---- Strings and lists -----------------------------------------------------------------------

Status ReadList(Input& in, std::string_view key, const LoadOptions& opts, Entry** out) {
  uint64_t len;
  if (!in.ReadLength(&len))
    return in.failed_read() ? in.ReadError() : in.Corrupt("Bad list length");
  if (len == 0) return EmptyKey();
  Owned<ListValue> l(ListValue::NewQuicklist(opts.list));
  std::string s;
  for (uint64_t i = 0; i < len; ++i) {
    if (Status st = in.ReadString(&s); !st.ok()) return st;
    l->Push(s, types::ListEnd::kTail, opts.list);
  }
  l->ConvertIfSmall(opts.list);
  *out = Entry::NewObject(key, ValueType::kList, l.release(), keyspace::kNoExpiry, opts.clock);
  return Status::Ok();
}

Status PushAll(Input& in, ListValue* l, const std::vector<PackedElem>& elems,
               const LoadOptions& opts) {
  char buf[24];
  for (const PackedElem& e : elems) l->Push(e.View(buf), types::ListEnd::kTail, opts.list);
  return Status::Ok();
}

Status ReadListZiplist(Input& in, std::string_view key, const LoadOptions& opts, Entry** out) {
  std::string blob;
  if (Status st = in.ReadString(&blob); !st.ok()) return st;
  std::vector<PackedElem> elems;
  if (!DecodeZiplist(blob, &elems)) return in.Corrupt("List ziplist integrity check failed.");
  if (elems.empty()) return EmptyKey();
  // Redis 7.2 leaves these a quicklist whatever their size.
  Owned<ListValue> l(ListValue::NewQuicklist(opts.list));
  PushAll(in, l.get(), elems, opts);
  *out = Entry::NewObject(key, ValueType::kList, l.release(), keyspace::kNoExpiry, opts.clock);
  return Status::Ok();
}

Status ReadQuicklist(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                     Entry** out) {
  uint64_t nodes;
  if (!in.ReadLength(&nodes))
    return in.failed_read() ? in.ReadError() : in.Corrupt("Bad quicklist length");
  if (nodes == 0) return EmptyKey();
  Owned<ListValue> l(ListValue::NewQuicklist(opts.list));
  std::string blob;
  std::vector<PackedElem> elems;
  for (uint64_t i = 0; i < nodes; ++i) {
    uint64_t container = kQuicklistPacked;
    if (type == kTypeListQuicklist2) {
      if (!in.ReadLength(&container))
        return in.failed_read() ? in.ReadError() : in.Corrupt("Bad quicklist container");
      if (container != kQuicklistPacked && container != kQuicklistPlain) {
        return in.Corrupt("Quicklist integrity check failed.");
      }
    }
    if (Status st = in.ReadString(&blob); !st.ok()) return st;
    if (blob.empty()) return in.Corrupt("Quicklist node is empty");
    // Each node is adopted as the file has it: Redis keeps the node boundaries, and they
    // decide below whether the list becomes a listpack.
    if (container == kQuicklistPlain) {
      l->AdoptNode(MallocCopy(blob.data(), blob.size()), blob.size(), true);
      continue;
    }
    elems.clear();
    const bool ok =
        type == kTypeListQuicklist2 ? DecodeListpack(blob, &elems) : DecodeZiplist(blob, &elems);
    if (!ok) {
      return in.Corrupt(type == kTypeListQuicklist2 ? "Listpack integrity check failed."
                                                    : "Ziplist integrity check failed.");
    }
    if (elems.empty()) continue;  // Redis skips empty nodes
    if (nodes == 1) {             // the common small list: no quicklist unless it stays one
      uint8_t* lp =
          type == kTypeListQuicklist2 ? MallocCopy(blob.data(), blob.size()) : ListpackOf(elems);
      *out = Entry::NewObject(key, ValueType::kList, ListValue::FromSingleNode(lp, opts.list),
                              keyspace::kNoExpiry, opts.clock);
      return Status::Ok();
    }
    if (type == kTypeListQuicklist2) {
      l->AdoptNode(MallocCopy(blob.data(), blob.size()), blob.size(), false);
    } else {
      l->AdoptNode(ListpackOf(elems), 0, false);  // a ziplist node becomes a listpack node
    }
  }
  if (l->Length() == 0) return EmptyKey();
  l->ConvertIfSmall(opts.list);
  *out = Entry::NewObject(key, ValueType::kList, l.release(), keyspace::kNoExpiry, opts.clock);
  return Status::Ok();
}

// ---- Sets ------------------------------------------------------------------------------------

Entry* SetEntry(std::string_view key, SetValue* s, const LoadOptions& opts) {
  return Entry::NewObject(key, ValueType::kSet, s, keyspace::kNoExpiry, opts.clock);
}

Status ReadSet(Input& in, std::string_view key, const LoadOptions& opts, Entry** out) {
  uint64_t len;
  if (!in.ReadLength(&len)) return in.failed_read() ? in.ReadError() : in.Corrupt("Bad set length");
  if (len == 0) return EmptyKey();
  Owned<SetValue> s;
  std::string m;
  for (uint64_t i = 0; i < len; ++i) {
    if (Status st = in.ReadString(&m); !st.ok()) return st;
    if (s.get() == nullptr) {
      s.reset(SetValue::Create(m, len, opts.set));
      s->ReserveForLoad(in.BackedCount(len - 1, 1) + 1);  // a member takes a byte or more
    }
    if (!SetValue::Add(s.addr(), m, opts.set)) {
      return in.Corrupt("Duplicate set members detected");
    }
  }
  *out = SetEntry(key, s.release(), opts);
  return Status::Ok();
}

Status ReadIntset(Input& in, std::string_view key, const LoadOptions& opts, Entry** out) {
  std::string blob;
  if (Status st = in.ReadString(&blob); !st.ok()) return st;
  std::vector<int64_t> v;
  if (!DecodeIntset(blob, &v)) return in.Corrupt("Intset integrity check failed.");
  Owned<SetValue> s(SetValue::NewIntset(v));  // DecodeIntset checked the order
  SetValue::MaybeConvert(s.addr(), s->size(), opts.set);
  *out = SetEntry(key, s.release(), opts);
  return Status::Ok();
}

Status ReadSetListpack(Input& in, std::string_view key, const LoadOptions& opts, Entry** out) {
  std::string blob;
  if (Status st = in.ReadString(&blob); !st.ok()) return st;
  std::vector<PackedElem> elems;
  if (!DecodeListpack(blob, &elems)) return in.Corrupt("Set listpack integrity check failed.");
  if (elems.empty()) return EmptyKey();
  // Packed sets stay packed whatever their members' length; too many members make a table
  // from the start (which also keeps duplicate checks O(1) for large forged blobs).
  const bool table = elems.size() > opts.set.max_listpack_entries;
  if (!table) {
    std::vector<types::SetMember> members;
    members.reserve(elems.size());
    for (const PackedElem& e : elems) {
      members.push_back(e.is_int ? types::SetMember::Int(e.num) : types::SetMember::Str(e.str));
    }
    bool duplicate;
    if (SetValue* built = SetValue::NewListpack(members, &duplicate)) {
      *out = SetEntry(key, built, opts);
      return Status::Ok();
    }
    if (duplicate) return in.Corrupt("Set listpack integrity check failed.");
  }
  types::SetLimits build{kNoLimit, kNoLimit, kNoLimit};
  Owned<SetValue> s(
      SetValue::New(table ? SetValue::Encoding::kHashtable : SetValue::Encoding::kListpack));
  char buf[24];
  for (const PackedElem& e : elems) {
    if (!SetValue::Add(s.addr(), e.View(buf), build)) {
      return in.Corrupt("Set listpack integrity check failed.");
    }
  }
  *out = SetEntry(key, s.release(), opts);
  return Status::Ok();
}

// ---- Sorted sets -----------------------------------------------------------------------------

Entry* ZSetEntry(std::string_view key, ZSetValue* z, const LoadOptions& opts) {
  return Entry::NewObject(key, ValueType::kZSet, z, keyspace::kNoExpiry, opts.clock);
}

Status ReadZSet(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                Entry** out) {
  uint64_t len;
  if (!in.ReadLength(&len))
    return in.failed_read() ? in.ReadError() : in.Corrupt("Bad zset length");
  if (len == 0) return EmptyKey();
  Owned<ZSetValue> z(ZSetValue::Create(len, 0, opts.zset));
  z->ReserveForLoad(in.BackedCount(len, type == kTypeZSet2 ? 9 : 2));  // member and score
  std::string m;
  size_t max_len = 0;
  for (uint64_t i = 0; i < len; ++i) {
    if (Status st = in.ReadString(&m); !st.ok()) return st;
    double score;
    if (type == kTypeZSet2) {
      if (!in.ReadBinaryDouble(&score)) return in.ReadError();
    } else if (Status st = in.ReadTextDouble(&score); !st.ok()) {
      return st;
    }
    if (std::isnan(score)) return in.Corrupt("Zset with NAN score detected");
    max_len = std::max(max_len, m.size());
    if (z->Set(m, score, opts.zset) != ZSetValue::AddOutcome::kAdded) {
      return in.Corrupt("Duplicate zset fields detected");
    }
  }
  z->ConvertToPackedIfFits(max_len, opts.zset);
  *out = ZSetEntry(key, z.release(), opts);
  return Status::Ok();
}

// A listpack-sized sorted set in one pass.  The errors are those of adding the pairs one by
// one: the first bad score, unless a member before it repeats an earlier one.  Leaves *out
// null (and returns Ok) when the set must be built pair by pair after all.
Status BuildPackedZSet(Input& in, const std::vector<PackedElem>& elems, std::string_view key,
                       const LoadOptions& opts, Entry** out) {
  const size_t n = elems.size() / 2;
  IntText text(n);
  std::vector<ZSetValue::ScoredView> pairs(n);
  for (size_t i = 0; i < n; ++i) {
    pairs[i].member = text.View(elems[2 * i]);
    const PackedElem& s = elems[2 * i + 1];
    if (s.is_int) {
      pairs[i].score = static_cast<double>(s.num);
    } else if (!ParseDouble(s.str, &pairs[i].score)) {
      const bool dup_before = HasDuplicate(
          i, [&](size_t a) { return HashBytes(pairs[a].member); },
          [&](size_t a, size_t b) { return pairs[a].member == pairs[b].member; });
      return in.Corrupt(dup_before ? "Duplicate zset fields detected"
                                   : "Zset listpack has an invalid score");
    }
  }
  bool duplicate;
  ZSetValue* z = ZSetValue::NewPacked(pairs, &duplicate);
  if (duplicate) return in.Corrupt("Duplicate zset fields detected");
  if (z != nullptr) *out = ZSetEntry(key, z, opts);
  return Status::Ok();
}

Status ReadZSetPacked(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                      Entry** out) {
  std::string blob;
  if (Status st = in.ReadString(&blob); !st.ok()) return st;
  std::vector<PackedElem> elems;
  const bool ok =
      type == kTypeZSetListpack ? DecodeListpack(blob, &elems) : DecodeZiplist(blob, &elems);
  if (!ok || elems.size() % 2 != 0) {
    return in.Corrupt(type == kTypeZSetListpack ? "Zset listpack integrity check failed."
                                                : "Zset ziplist integrity check failed.");
  }
  if (elems.empty()) return EmptyKey();
  const size_t n = elems.size() / 2;
  const bool skiplist = n > opts.zset.max_listpack_entries;
  if (!skiplist) {
    Entry* built = nullptr;
    if (Status st = BuildPackedZSet(in, elems, key, opts, &built); !st.ok() || built != nullptr) {
      *out = built;
      return st;
    }
  }
  const types::ZSetLimits build{skiplist ? 0 : kNoLimit, kNoLimit};
  Owned<ZSetValue> z(ZSetValue::Create(skiplist ? kNoLimit : n, 0, build));
  char buf[24];
  for (size_t i = 0; i < elems.size(); i += 2) {
    double score;
    const PackedElem& s = elems[i + 1];
    if (s.is_int) {
      score = static_cast<double>(s.num);
    } else if (!ParseDouble(s.str, &score)) {
      return in.Corrupt("Zset listpack has an invalid score");
    }
    if (z->Set(elems[i].View(buf), score, build) != ZSetValue::AddOutcome::kAdded) {
      return in.Corrupt("Duplicate zset fields detected");
    }
  }
  *out = ZSetEntry(key, z.release(), opts);
  return Status::Ok();
}

// ---- Hashes ----------------------------------------------------------------------------------

Entry* HashEntry(std::string_view key, HashValue* h, const LoadOptions& opts) {
  return Entry::NewObject(key, ValueType::kHash, h, keyspace::kNoExpiry, opts.clock);
}

// Sets one field (and its TTL, 0 = none), refusing duplicates.  A TTL already past deletes
// the field, as if it had expired in memory.
Status AddField(Input& in, HashValue** h, std::string_view f, std::string_view v, int64_t ttl,
                const types::HashLimits& limits, const LoadOptions& opts) {
  if (!HashValue::Set(h, f, v, limits)) return in.Corrupt("Duplicate hash fields detected");
  if (ttl == 0) return Status::Ok();
  if (ttl < 0 || ttl > types::kMaxFieldExpiryMs) return in.Corrupt("invalid expireAt time");
  HashValue::SetExpiry(h, f, ttl, HashValue::ExpireCondition::kNone, opts.now_ms);
  return Status::Ok();
}

Status ReadHash(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                Entry** out) {
  int64_t min_expire = 0;
  const bool ttls = type == kTypeHashMetadata || type == kTypeHashMetadataPreGa;
  if (type == kTypeHashMetadata && !in.ReadMillis(&min_expire)) return in.ReadError();
  uint64_t len;
  if (!in.ReadLength(&len))
    return in.failed_read() ? in.ReadError() : in.Corrupt("Bad hash length");
  if (len == 0) return EmptyKey();
  Owned<HashValue> h(HashValue::New());
  if (ttls) {
    HashValue::EnableFieldExpiry(h.addr());
  } else if (len > opts.hash.max_entries) {
    // Too many fields to stay packed (duplicates are refused): the table from the start.
    HashValue::ReserveTableForLoad(h.addr(), in.BackedCount(len, 2));
  }
  std::string f, v;
  for (uint64_t i = 0; i < len; ++i) {
    uint64_t ttl = 0;
    if (ttls && !in.ReadLength(&ttl)) {
      return in.failed_read() ? in.ReadError() : in.Corrupt("failed reading hash TTL");
    }
    if (Status st = in.ReadString(&f); !st.ok()) return st;
    if (Status st = in.ReadString(&v); !st.ok()) return st;
    // Relative to the minimum, plus one; wrapping garbage still meets AddField's range check.
    uint64_t at = ttl;
    if (type == kTypeHashMetadata && ttl != 0) at = ttl + static_cast<uint64_t>(min_expire) - 1;
    if (at > uint64_t(types::kMaxFieldExpiryMs)) return in.Corrupt("invalid expireAt time");
    Status st = AddField(in, h.addr(), f, v, static_cast<int64_t>(at), opts.hash, opts);
    if (!st.ok()) return st;
  }
  if (h->empty()) return EmptyKey();
  *out = HashEntry(key, h.release(), opts);
  return Status::Ok();
}

Status ReadHashPacked(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                      Entry** out) {
  if (type == kTypeHashListpackEx) {
    int64_t min_expire;
    if (!in.ReadMillis(&min_expire)) return in.ReadError();
  }
  std::string blob;
  if (Status st = in.ReadString(&blob); !st.ok()) return st;
  std::vector<PackedElem> elems;
  const bool ex = type == kTypeHashListpackEx || type == kTypeHashListpackExPreGa;
  const size_t tuple = ex ? 3 : 2;
  bool ok;
  switch (type) {
    case kTypeHashZipmap:
      ok = DecodeZipmap(blob, &elems);
      break;
    case kTypeHashZiplist:
      ok = DecodeZiplist(blob, &elems);
      break;
    default:
      ok = DecodeListpack(blob, &elems);
      break;
  }
  // Redis's reason for each packed form (a duplicate field included, which its checks of
  // ziplists and listpacks also catch).
  const char* failed = type == kTypeHashZipmap    ? "Zipmap integrity check failed."
                       : type == kTypeHashZiplist ? "Hash ziplist integrity check failed."
                                                  : "Hash listpack integrity check failed.";
  if (!ok || elems.size() % tuple != 0) return in.Corrupt(failed);
  // An empty zipmap fails Redis's zipmap check; the other empty forms are skipped empty keys.
  if (elems.empty()) return type == kTypeHashZipmap ? in.Corrupt(failed) : EmptyKey();
  const size_t n = elems.size() / tuple;
  // Zipmaps convert by length too (Redis turned them into ziplists under the limits); the
  // other packed forms stay packed unless they hold too many fields.
  types::HashLimits build = opts.hash;
  if (type != kTypeHashZipmap && n <= opts.hash.max_entries) build = {kNoLimit, kNoLimit};
  if (!ex && type != kTypeHashZipmap && n <= opts.hash.max_entries) {
    IntText text(elems.size());
    std::vector<HashValue::Pair> pairs(n);
    for (size_t i = 0; i < n; ++i) {
      pairs[i] = {text.View(elems[2 * i]), text.View(elems[2 * i + 1])};
    }
    bool duplicate;
    if (HashValue* built = HashValue::NewPacked(pairs, &duplicate)) {
      *out = HashEntry(key, built, opts);
      return Status::Ok();
    }
    if (duplicate) return in.Corrupt(failed);
  }
  Owned<HashValue> h(HashValue::New());
  if (ex) HashValue::EnableFieldExpiry(h.addr());
  char fb[24], vb[24];
  for (size_t i = 0; i < elems.size(); i += tuple) {
    int64_t ttl = 0;
    if (ex) {
      if (!elems[i + 2].is_int) return in.Corrupt("Hash listpack TTL is not an integer");
      ttl = elems[i + 2].num;
    }
    Status st = AddField(in, h.addr(), elems[i].View(fb), elems[i + 1].View(vb), ttl, build, opts);
    if (!st.ok()) {
      if (!st.message().ends_with("Duplicate hash fields detected")) return st;
      if (type != kTypeHashZipmap) return in.Corrupt(failed);
      return in.Corrupt("Hash zipmap with dup elements, or big length (" +
                        std::to_string(elems[i].View(fb).size()) + ")");
    }
  }
  if (h->empty()) return EmptyKey();
  *out = HashEntry(key, h.release(), opts);
  return Status::Ok();
}

// ---- Modules ---------------------------------------------------------------------------------

std::string ModuleName(uint64_t id) {
  std::string name(9, ' ');
  uint64_t bits = id >> 10;
  for (int i = 8; i >= 0; --i) {
    name[i] = kModuleNameCharset[bits & 63];
    bits >>= 6;
  }
  return name;
}

Status ReadModule(Input& in, uint8_t type) {
  if (type == kTypeModulePreGa) return in.Corrupt("Pre-release module format not supported");
  uint64_t id;
  if (!in.ReadLength(&id)) return in.ReadError();
  return Status::Error(Status::Code::kUnsupported,
                       "The RDB file contains module data I can't load: no matching module "
                       "type '" +
                           ModuleName(id) + "'");
}

}  // namespace

bool IsValueType(uint8_t type) {
  return type <= kTypeModule2 || (type >= kTypeHashZipmap && type <= kTypeHashListpackEx);
}

Status ReadValue(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                 Entry** out) {
  *out = nullptr;
  switch (type) {
    case kTypeString: {
      std::string s;
      if (Status st = in.ReadString(&s); !st.ok()) return st;
      *out = Entry::NewStringAutoEncoded(key, s, keyspace::kNoExpiry, opts.clock);
      return Status::Ok();
    }
    case kTypeList:
      return ReadList(in, key, opts, out);
    case kTypeListZiplist:
      return ReadListZiplist(in, key, opts, out);
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return ReadQuicklist(in, type, key, opts, out);
    case kTypeSet:
      return ReadSet(in, key, opts, out);
    case kTypeSetIntset:
      return ReadIntset(in, key, opts, out);
    case kTypeSetListpack:
      return ReadSetListpack(in, key, opts, out);
    case kTypeZSet:
    case kTypeZSet2:
      return ReadZSet(in, type, key, opts, out);
    case kTypeZSetZiplist:
    case kTypeZSetListpack:
      return ReadZSetPacked(in, type, key, opts, out);
    case kTypeHash:
    case kTypeHashMetadata:
    case kTypeHashMetadataPreGa:
      return ReadHash(in, type, key, opts, out);
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeHashListpackEx:
    case kTypeHashListpackExPreGa:
      return ReadHashPacked(in, type, key, opts, out);
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
      return ReadStream(in, type, key, opts, out);
    case kTypeModulePreGa:
    case kTypeModule2:
      return ReadModule(in, type);
  }
  return in.Corrupt("Unknown RDB encoding type " + std::to_string(type));
}

}  // namespace tessera::persistence::rdb
