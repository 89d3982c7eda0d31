#include "core/keyspace/object.h"

#include <cassert>

#include "core/types/hash_value.h"
#include "core/types/list_value.h"
#include "core/types/set_value.h"
#include "core/types/stream_value.h"
#include "core/types/zset_value.h"

namespace tessera::keyspace {

namespace {

// Calls `fn` with `object` cast to the class of `type`.
template <class Fn>
auto Visit(ValueType type, const void* object, Fn&& fn) {
  switch (type) {
    case ValueType::kList:
      return fn(static_cast<const types::ListValue*>(object));
    case ValueType::kHash:
      return fn(static_cast<const types::HashValue*>(object));
    case ValueType::kSet:
      return fn(static_cast<const types::SetValue*>(object));
    case ValueType::kZSet:
      return fn(static_cast<const types::ZSetValue*>(object));
    case ValueType::kStream:
      return fn(static_cast<const types::StreamValue*>(object));
    case ValueType::kString:
      break;
  }
  assert(false && "not an aggregate type");
  __builtin_unreachable();
}

}  // namespace

void DestroyObject(ValueType type, void* object) {
  Visit(type, object, [](auto* v) { delete const_cast<std::remove_const_t<
                                        std::remove_pointer_t<decltype(v)>>*>(v); });
}

void* CloneObject(ValueType type, const void* object) {
  return Visit(type, object, [](auto* v) -> void* { return v->Clone(); });
}

size_t ObjectAllocationSize(ValueType type, const void* object) {
  return Visit(type, object, [](auto* v) { return v->AllocationSize(); });
}

bool PurgeExpiredParts(Entry* e, int64_t now_ms, bool* purged) {
  if (e->type() != ValueType::kHash || !e->is_object()) return false;
  auto* v = e->object_as<types::HashValue>();
  const int64_t min = v->MinExpiry();
  if (min == types::kNoFieldExpiry || min > now_ms) return false;
  types::HashValue::PurgeExpired(&v, now_ms);
  if (purged != nullptr) *purged = true;
  e->set_object(v);
  return v->empty();
}

bool HasExpiringParts(const Entry& e) {
  if (e.type() != ValueType::kHash || !e.is_object()) return false;
  return e.object_as<types::HashValue>()->MinExpiry() != types::kNoFieldExpiry;
}

std::string_view EncodingName(const Entry& e) {
  switch (e.encoding()) {
    case Encoding::kInt:
      return "int";
    case Encoding::kEmbstr:
      return "embstr";
    case Encoding::kRaw:
      return "raw";
    case Encoding::kObject:
      break;
  }
  return Visit(e.type(), e.object(), [](auto* v) { return v->EncodingName(); });
}

}  // namespace tessera::keyspace
