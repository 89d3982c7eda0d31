#include "core/keyspace/stream_ops.h"

namespace tessera::keyspace {

using types::StreamValue;

OpResult<StreamValue*> OpFindStream(DbAccess& db, std::string_view key) {
  Entry* e = db.Find(key);
  if (e == nullptr) return static_cast<StreamValue*>(nullptr);
  if (e->type() != ValueType::kStream) return OpStatus::kWrongType;
  return e->object_as<StreamValue>();
}

StreamValue* CreateStream(DbAccess& db, std::string_view key) {
  auto* stream = new StreamValue();
  db.Insert(Entry::NewObject(key, ValueType::kStream, stream, kNoExpiry, db.clock()));
  return stream;
}

}  // namespace tessera::keyspace
