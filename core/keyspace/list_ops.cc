#include "core/keyspace/list_ops.h"

namespace tessera::keyspace {

using types::ListValue;

OpResult<ListValue*> OpFindList(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return static_cast<ListValue*>(nullptr);
  if (e->type() != ValueType::kList) return OpStatus::kWrongType;
  return e->object_as<ListValue>();
}

ListValue* CreateList(DbAccess& db, std::string_view key) {
  auto* list = new ListValue();
  db.Insert(Entry::NewObject(key, ValueType::kList, list, kNoExpiry, db.clock()));
  return list;
}

OpResult<size_t> OpPush(DbAccess& db, std::string_view key,
                        std::span<const std::string_view> values, types::ListEnd end,
                        bool only_if_exists, const types::ListLimits& limits) {
  OpResult<ListValue*> found = OpFindList(db, key);
  if (!found) return found.status();
  ListValue* list = *found;
  if (list == nullptr) {
    if (only_if_exists) return size_t{0};
    list = CreateList(db, key);
  }
  size_t bytes = 0;
  for (std::string_view v : values) bytes += v.size();
  list->ConvertForGrowth(bytes, values.size(), limits);
  for (std::string_view v : values) list->Push(v, end, limits);
  return list->Length();
}

bool FinishRemoval(DbAccess& db, std::string_view key, ListValue* list,
                   const types::ListLimits& limits) {
  if (list->Length() == 0) {
    db.Delete(key);
    return true;
  }
  list->ConvertForShrink(limits);
  return false;
}

OpResult<std::optional<std::string>> OpMove(DbAccess& db, std::string_view source,
                                            std::string_view destination, types::ListEnd from,
                                            types::ListEnd to, const types::ListLimits& limits) {
  OpResult<ListValue*> src = OpFindList(db, source);
  if (!src) return src.status();
  if (*src == nullptr) return std::optional<std::string>();
  OpResult<ListValue*> dst = OpFindList(db, destination);
  if (!dst) return dst.status();
  std::string value = (*src)->Pop(from);
  ListValue* target = *dst != nullptr ? *dst : CreateList(db, destination);
  target->ConvertForGrowth(value.size(), 1, limits);
  target->Push(value, to, limits);
  FinishRemoval(db, source, *src, limits);
  return std::optional<std::string>(std::move(value));
}

}  // namespace tessera::keyspace
