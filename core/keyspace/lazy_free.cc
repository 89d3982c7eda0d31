#include "core/keyspace/lazy_free.h"

#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"

namespace tessera::keyspace {

namespace {

size_t StreamEffort(const types::StreamValue& s) {
  size_t effort = s.node_count();
  const types::StreamGroups* groups = s.groups();
  if (groups != nullptr && !groups->empty()) {
    // Every group and each of its pending entries is an allocation; the first group's
    // pending count stands for all of them, which keeps this O(1) (as Redis estimates).
    effort += groups->size() * (1 + groups->begin()->second->pel.size());
  }
  return effort;
}

}  // namespace

size_t FreeEffort(const Entry& e) {
  if (!e.is_object()) return 1;
  switch (e.type()) {
    case ValueType::kList: {
      const auto* l = e.object_as<types::ListValue>();
      return l->is_listpack() ? 1 : l->quicklist_nodes();
    }
    case ValueType::kSet: {
      const auto* s = e.object_as<types::SetValue>();
      return s->encoding() == types::SetValue::Encoding::kHashtable ? s->size() : 1;
    }
    case ValueType::kZSet: {
      const auto* z = e.object_as<types::ZSetValue>();
      return z->is_packed() ? 1 : z->size();
    }
    case ValueType::kHash: {
      const auto* h = e.object_as<types::HashValue>();
      return h->is_packed() ? 1 : h->size();
    }
    case ValueType::kStream:
      return StreamEffort(*e.object_as<types::StreamValue>());
    case ValueType::kString:
      break;
  }
  return 1;
}

bool FreeEntry(Entry* e, FreeSink* sink) {
  if (sink != nullptr && FreeEffort(*e) > kLazyFreeThreshold) {
    sink->FreeLater(e);
    return true;
  }
  Entry::Free(e);
  return false;
}

}  // namespace tessera::keyspace
