// Aggregate values: the heap objects an Encoding::kObject entry points to.
//
// Each value type is one class in core/types/ (ListValue, HashValue, SetValue, ZSetValue,
// StreamValue) that
// owns its elements and picks its own encoding (a packed form while small, a full structure
// past the Redis thresholds).  The entry stores a plain pointer and the ValueType, rather than
// a virtual base class: the type is already in the entry's meta byte, so a vtable pointer per
// value would be eight bytes spent to say it again.  These functions are the one switch over
// the types; everything else reaches a value through Entry::object_as<T>().
//
// Every class provides: a destructor, `T* Clone() const` (a deep copy, for COPY),
// `std::string_view EncodingName() const` (OBJECT ENCODING, Redis 7.2's names) and
// `size_t AllocationSize() const` (bytes the value holds, for MEMORY USAGE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/keyspace/entry.h"

namespace tessera::keyspace {

void DestroyObject(ValueType type, void* object);
void* CloneObject(ValueType type, const void* object);
size_t ObjectAllocationSize(ValueType type, const void* object);

// Deletes the parts of e's value whose own expiry has come (hash fields with a TTL, Redis
// 7.4).  Returns true iff that left the value empty: the caller then deletes the key, so a
// hash whose last field expired is gone as if never there.  A no-op for other types.
bool PurgeExpiredParts(Entry* e, int64_t now_ms, bool* purged = nullptr);
// True iff part of e's value has an expiry of its own (a hash field with a TTL).
bool HasExpiringParts(const Entry& e);

// OBJECT ENCODING's name for any entry: "int", "embstr", "raw", or the aggregate's own name.
std::string_view EncodingName(const Entry& e);

}  // namespace tessera::keyspace
