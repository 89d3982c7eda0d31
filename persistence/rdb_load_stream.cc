// Streams (RDB types 15, 19, 21): node listpacks, metadata, consumer groups.
//
// Each node is checked in depth before the stream adopts it: Redis's node layout (master
// entry, per-entry flags, ID deltas, fields, values, lp-count), counts that match the flags,
// at least one live entry, and IDs strictly ascending across the whole stream.  Redis's own
// check stops at the layout; the ordering and counts are what StreamValue's binary searches
// and trimming rely on, and every stream Redis writes meets them.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/keyspace/entry.h"
#include "core/types/stream_node_format.h"
#include "core/types/stream_value.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_input.h"
#include "persistence/rdb_load_internal.h"
#include "persistence/rdb_packed.h"

namespace tessera::persistence::rdb {

namespace {

using keyspace::Entry;
using types::StreamConsumer;
using types::StreamGroup;
using types::StreamID;
using types::StreamNack;
using types::StreamValue;
namespace node = types::stream_node;

StreamID DecodeRawId(const uint8_t* b) {
  StreamID id;
  for (int i = 0; i < 8; ++i) id.ms = (id.ms << 8) | b[i];
  for (int i = 8; i < 16; ++i) id.seq = (id.seq << 8) | b[i];
  return id;
}

bool ReadRawId(Input& in, StreamID* id) {
  uint8_t b[16];
  if (!in.Read(b, 16)) return false;
  *id = DecodeRawId(b);
  return true;
}

// Walks a decoded node; *last is the last ID of the stream so far (updated), *live the live
// entries.  False if the layout is not Redis's or the IDs do not ascend past *last.
bool CheckNode(const std::vector<PackedElem>& e, StreamID master, bool* have_last, StreamID* last,
               uint64_t* live) {
  size_t i = 0;
  auto next_int = [&](int64_t* v) {
    if (i >= e.size() || !e[i].is_int) return false;
    *v = e[i++].num;
    return true;
  };
  int64_t count, deleted, master_fields, zero;
  if (!next_int(&count) || !next_int(&deleted) || !next_int(&master_fields)) return false;
  if (count < 1 || deleted < 0 || master_fields < 1 ||
      static_cast<uint64_t>(master_fields) > e.size() - i) {
    return false;
  }
  i += master_fields;
  if (!next_int(&zero) || zero != 0) return false;
  int64_t seen_live = 0, seen_deleted = 0;
  while (i < e.size()) {
    int64_t flags, ms_delta, seq_delta, lp_count;
    if (!next_int(&flags) || !next_int(&ms_delta) || !next_int(&seq_delta)) return false;
    if ((flags & ~(node::kFlagDeleted | node::kFlagSameFields)) != 0) return false;
    int64_t fields = master_fields, extra = 3;
    if (!(flags & node::kFlagSameFields)) {
      if (!next_int(&fields) || fields < 1 || static_cast<uint64_t>(fields) > e.size() - i) {
        return false;
      }
      i += fields;
      extra += fields + 1;
    }
    if (static_cast<uint64_t>(fields) > e.size() - i) return false;
    i += fields;
    if (!next_int(&lp_count) || lp_count != fields + extra) return false;
    const StreamID id{master.ms + static_cast<uint64_t>(ms_delta),
                      master.seq + static_cast<uint64_t>(seq_delta)};
    if (id < master || (*have_last && id <= *last)) return false;
    *have_last = true;
    *last = id;
    ++(flags & node::kFlagDeleted ? seen_deleted : seen_live);
  }
  if (seen_live != count || seen_deleted != deleted) return false;
  *live += static_cast<uint64_t>(count);
  return true;
}

Status ReadNodes(Input& in, StreamValue* s, uint64_t* live, StreamID* last_entry) {
  uint64_t nodes;
  if (!in.ReadLength(&nodes)) return in.ReadError();
  std::string key, blob;
  std::vector<PackedElem> elems;
  bool have_last = false;
  bool have_master = false;
  StreamID prev_master;
  for (uint64_t n = 0; n < nodes; ++n) {
    if (Status st = in.ReadString(&key); !st.ok()) return st;
    if (key.size() != 16) return in.Corrupt("Stream node key entry is not the size of a stream ID");
    const StreamID master = DecodeRawId(reinterpret_cast<const uint8_t*>(key.data()));
    if (Status st = in.ReadString(&blob); !st.ok()) return st;
    elems.clear();
    if (!DecodeListpack(blob, &elems)) return in.Corrupt("Stream listpack integrity check failed.");
    if (elems.empty()) return in.Corrupt("Empty listpack inside stream");
    if (have_master && master <= prev_master) {
      return in.Corrupt("Listpack re-added with existing key");
    }
    // A node's master ID is its first entry's: above every entry of the nodes before it.
    if (have_last && master <= *last_entry) return in.Corrupt("Stream node IDs out of order");
    if (!CheckNode(elems, master, &have_last, last_entry, live)) {
      return in.Corrupt("Stream listpack integrity check failed.");
    }
    have_master = true;
    prev_master = master;
    auto* lp = static_cast<uint8_t*>(std::malloc(blob.size()));
    if (lp == nullptr) throw std::bad_alloc();
    std::memcpy(lp, blob.data(), blob.size());
    s->AdoptNode(master, lp);
  }
  return Status::Ok();
}

Status ReadConsumers(Input& in, uint8_t type, StreamGroup* g, const LoadOptions& opts) {
  uint64_t consumers;
  if (!in.ReadLength(&consumers)) return in.ReadError();
  std::string name;
  for (uint64_t c = 0; c < consumers; ++c) {
    if (Status st = in.ReadString(&name); !st.ok()) return st;
    StreamConsumer* consumer = g->CreateConsumer(name, 0);
    if (consumer == nullptr) return in.Corrupt("Duplicate stream consumer detected.");
    if (!in.ReadMillis(&consumer->seen_time)) return in.ReadError();
    consumer->active_time = consumer->seen_time;
    if (type >= kTypeStreamListpacks3 && !in.ReadMillis(&consumer->active_time)) {
      return in.ReadError();
    }
    uint64_t pel;
    if (!in.ReadLength(&pel)) return in.ReadError();
    for (uint64_t i = 0; i < pel; ++i) {
      StreamID id;
      if (!ReadRawId(in, &id)) return in.ReadError();
      auto it = g->pel.find(id);
      if (it == g->pel.end()) return in.Corrupt("Consumer entry not found in group global PEL");
      if (it->second->consumer != nullptr) {
        return in.Corrupt("Duplicated consumer PEL entry loading a stream consumer group");
      }
      it->second->consumer = consumer;
      consumer->pel.emplace(id, it->second.get());
    }
  }
  for (const auto& entry : g->pel) {
    if (entry.second->consumer == nullptr)
      return in.Corrupt("Stream CG PEL entry without consumer");
  }
  return Status::Ok();
}

Status ReadGroups(Input& in, uint8_t type, StreamValue* s, const LoadOptions& opts) {
  uint64_t groups;
  if (!in.ReadLength(&groups)) return in.ReadError();
  std::string name;
  for (uint64_t g = 0; g < groups; ++g) {
    if (Status st = in.ReadString(&name); !st.ok()) return st;
    StreamID last;
    if (!in.ReadLength(&last.ms) || !in.ReadLength(&last.seq)) return in.ReadError();
    int64_t entries_read;
    if (type >= kTypeStreamListpacks2) {
      uint64_t v;
      if (!in.ReadLength(&v)) return in.ReadError();
      entries_read = static_cast<int64_t>(v);
    } else {
      entries_read = s->EstimateEntriesRead(last);
    }
    StreamGroup* group = s->CreateGroup(name, last, entries_read);
    if (group == nullptr) return in.Corrupt("Duplicated consumer group name " + name);
    uint64_t pel;
    if (!in.ReadLength(&pel)) return in.ReadError();
    for (uint64_t i = 0; i < pel; ++i) {
      StreamID id;
      auto nack = std::make_unique<StreamNack>();
      nack->consumer = nullptr;
      if (!ReadRawId(in, &id) || !in.ReadMillis(&nack->delivery_time) ||
          !in.ReadLength(&nack->delivery_count)) {
        return in.ReadError();
      }
      if (!group->pel.emplace(id, std::move(nack)).second) {
        return in.Corrupt("Duplicated global PEL entry loading stream consumer group");
      }
    }
    if (Status st = ReadConsumers(in, type, group, opts); !st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Status ReadStream(Input& in, uint8_t type, std::string_view key, const LoadOptions& opts,
                  Entry** out) {
  Owned<StreamValue> s(new StreamValue());
  uint64_t live = 0;
  StreamID last_entry;
  if (Status st = ReadNodes(in, s.get(), &live, &last_entry); !st.ok()) return st;
  uint64_t length;
  StreamID last_id, first_id, max_deleted;
  uint64_t entries_added;
  if (!in.ReadLength(&length) || !in.ReadLength(&last_id.ms) || !in.ReadLength(&last_id.seq)) {
    return in.ReadError();
  }
  if (type >= kTypeStreamListpacks2) {
    if (!in.ReadLength(&first_id.ms) || !in.ReadLength(&first_id.seq) ||
        !in.ReadLength(&max_deleted.ms) || !in.ReadLength(&max_deleted.seq) ||
        !in.ReadLength(&entries_added)) {
      return in.ReadError();
    }
  }
  if (length != live) return in.Corrupt("Stream length inconsistent with rax entries");
  if (s->node_count() > 0 && last_entry > last_id) {
    return in.Corrupt("Stream last ID is below its entries");
  }
  if (type < kTypeStreamListpacks2) {
    entries_added = length;
    s->FinishLoad(length, last_id, StreamID{}, StreamID{}, entries_added);
    if (length > 0) first_id = s->EdgeId(true, true);
  }
  s->FinishLoad(length, last_id, first_id, max_deleted, entries_added);
  if (Status st = ReadGroups(in, type, s.get(), opts); !st.ok()) return st;
  *out = Entry::NewObject(key, keyspace::ValueType::kStream, s.release(), keyspace::kNoExpiry,
                          opts.clock);
  return Status::Ok();
}

}  // namespace tessera::persistence::rdb
