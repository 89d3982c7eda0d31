#include "core/keyspace/entry.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "core/base/numbers.h"
#include "core/base/varint.h"
#include "core/keyspace/object.h"

namespace tessera::keyspace {

namespace {

constexpr int64_t kShortExpiryLimit = int64_t{1} << 48;

// Bytes the expiry field takes: 0 (none), 6 (fits in 48 bits) or 8.
size_t ExpirySize(int64_t expire_at_ms) {
  if (expire_at_ms == kNoExpiry) return 0;
  return expire_at_ms >= 0 && expire_at_ms < kShortExpiryLimit ? 6 : 8;
}

uint8_t MakeMeta(ValueType type, Encoding encoding, int64_t expire_at_ms) {
  size_t expiry_size = ExpirySize(expire_at_ms);
  return static_cast<uint8_t>(static_cast<uint8_t>(type) |
                              (static_cast<uint8_t>(encoding) << 3) |
                              (expiry_size == 8 ? 0x40 : 0) | (expiry_size != 0 ? 0x80 : 0));
}

// Writes the expiry field of `size` bytes (little-endian, as the platform).
void PutExpiry(uint8_t* p, int64_t expire_at_ms, size_t size) {
  std::memcpy(p, &expire_at_ms, size);
}

void PutClock(uint8_t* p, uint32_t clock) {
  p[1] = static_cast<uint8_t>(clock);
  p[2] = static_cast<uint8_t>(clock >> 8);
  p[3] = static_cast<uint8_t>(clock >> 16);
}

// Writes meta, clock, expiry and key; returns the offset just after the key.
size_t WriteHead(uint8_t* p, ValueType type, Encoding encoding, int64_t expire_at_ms,
                 uint32_t clock, std::string_view key) {
  p[0] = MakeMeta(type, encoding, expire_at_ms);
  PutClock(p, clock);
  size_t off = 4;
  size_t expiry_size = ExpirySize(expire_at_ms);
  PutExpiry(p + off, expire_at_ms, expiry_size);
  off += expiry_size;
  off += PutVarint(p + off, key.size());
  std::memcpy(p + off, key.data(), key.size());
  return off + key.size();
}

size_t HeadSize(int64_t expire_at_ms, std::string_view key) {
  return 4 + ExpirySize(expire_at_ms) + VarintSize(key.size()) + key.size();
}

uint8_t* Allocate(size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<uint8_t*>(p);
}

}  // namespace

Entry* Entry::NewString(std::string_view key, std::string_view value, Encoding encoding,
                        int64_t expire_at_ms, uint32_t clock) {
  size_t size = HeadSize(expire_at_ms, key) + VarintSize(value.size()) + value.size();
  uint8_t* p = Allocate(size);
  size_t off = WriteHead(p, ValueType::kString, encoding, expire_at_ms, clock, key);
  off += PutVarint(p + off, value.size());
  if (!value.empty()) std::memcpy(p + off, value.data(), value.size());
  return reinterpret_cast<Entry*>(p);
}

Entry* Entry::NewInt(std::string_view key, int64_t value, int64_t expire_at_ms,
                     uint32_t clock) {
  size_t size = HeadSize(expire_at_ms, key) + 8;
  uint8_t* p = Allocate(size);
  size_t off = WriteHead(p, ValueType::kString, Encoding::kInt, expire_at_ms, clock, key);
  std::memcpy(p + off, &value, 8);
  return reinterpret_cast<Entry*>(p);
}

Entry* Entry::NewStringAutoEncoded(std::string_view key, std::string_view value,
                                   int64_t expire_at_ms, uint32_t clock) {
  int64_t v;
  if (value.size() <= 20 && ParseInt64(value, &v)) return NewInt(key, v, expire_at_ms, clock);
  Encoding enc = value.size() <= kEmbstrMaxLength ? Encoding::kEmbstr : Encoding::kRaw;
  return NewString(key, value, enc, expire_at_ms, clock);
}

Entry* Entry::NewZeroedRaw(std::string_view key, size_t length, int64_t expire_at_ms,
                           uint32_t clock) {
  size_t size = HeadSize(expire_at_ms, key) + VarintSize(length) + length;
  uint8_t* p = Allocate(size);
  size_t off = WriteHead(p, ValueType::kString, Encoding::kRaw, expire_at_ms, clock, key);
  off += PutVarint(p + off, length);
  std::memset(p + off, 0, length);
  return reinterpret_cast<Entry*>(p);
}

Entry* Entry::NewObject(std::string_view key, ValueType type, void* object,
                        int64_t expire_at_ms, uint32_t clock) {
  size_t size = HeadSize(expire_at_ms, key) + sizeof(void*);
  uint8_t* p = Allocate(size);
  size_t off = WriteHead(p, type, Encoding::kObject, expire_at_ms, clock, key);
  std::memcpy(p + off, &object, sizeof(void*));
  return reinterpret_cast<Entry*>(p);
}

void Entry::Free(Entry* e) {
  if (e->is_object()) DestroyObject(e->type(), e->object());
  std::free(e);
}

void Entry::FreeShell(Entry* e) { std::free(e); }

Entry* Entry::MoveWithKey(Entry* e, std::string_view key) {
  int64_t expiry = e->expire_at_or_none();
  size_t value_off = e->ValueOffset();
  size_t value_size = e->AllocationSize() - value_off;
  size_t head = HeadSize(expiry, key);
  uint8_t* p = Allocate(head + value_size);
  WriteHead(p, e->type(), e->encoding(), expiry, e->clock(), key);
  std::memcpy(p + head, e->bytes() + value_off, value_size);
  std::free(e);
  return reinterpret_cast<Entry*>(p);
}

Entry* Entry::CloneWithKey(const Entry* e, std::string_view key) {
  if (e->is_object()) {
    return NewObject(key, e->type(), CloneObject(e->type(), e->object()),
                     e->expire_at_or_none(), e->clock());
  }
  size_t value_off = e->ValueOffset();
  size_t value_size = e->AllocationSize() - value_off;
  int64_t expiry = e->expire_at_or_none();
  size_t head = HeadSize(expiry, key);
  uint8_t* p = Allocate(head + value_size);
  WriteHead(p, e->type(), e->encoding(), expiry, e->clock(), key);
  std::memcpy(p + head, e->bytes() + value_off, value_size);
  return reinterpret_cast<Entry*>(p);
}

Entry* Entry::ResizeString(Entry* e, size_t new_length, bool spare_room) {
  std::string_view old = e->raw_value();
  size_t value_off = e->ValueOffset();
  size_t old_head = VarintSize(old.size());
  size_t new_head = VarintSize(new_length);
  size_t needed = value_off + new_head + new_length;
  size_t keep = std::min(old.size(), new_length);
  uint8_t* p;
  if (needed <= malloc_usable_size(e)) {
    p = e->bytes();
    if (new_head != old_head) {
      std::memmove(p + value_off + new_head, p + value_off + old_head, keep);
    }
  } else {
    p = Allocate(spare_room ? needed + needed / 2 : needed);
    std::memcpy(p, e->bytes(), value_off);
    std::memcpy(p + value_off + new_head, old.data(), keep);
  }
  PutVarint(p + value_off, new_length);
  if (new_length > keep) std::memset(p + value_off + new_head + keep, 0, new_length - keep);
  p[0] = static_cast<uint8_t>((p[0] & ~0x38) | (static_cast<uint8_t>(Encoding::kRaw) << 3));
  return reinterpret_cast<Entry*>(p);
}

char* Entry::mutable_raw_data() {
  uint64_t len;
  size_t off = ValueOffset();
  off += GetVarint(bytes() + off, &len);
  return reinterpret_cast<char*>(bytes() + off);
}

Entry* Entry::WithExpiry(Entry* e, int64_t expire_at_ms) {
  size_t current = e->has_expiry() ? (e->long_expiry() ? 8 : 6) : 0;
  if (current == ExpirySize(expire_at_ms)) {
    PutExpiry(e->bytes() + 4, expire_at_ms, current);
    return e;
  }
  std::string_view key = e->key();
  size_t value_off = e->ValueOffset();
  size_t value_size = e->AllocationSize() - value_off;
  size_t head = HeadSize(expire_at_ms, key);
  uint8_t* p = Allocate(head + value_size);
  WriteHead(p, e->type(), e->encoding(), expire_at_ms, e->clock(), key);
  std::memcpy(p + head, e->bytes() + value_off, value_size);
  return reinterpret_cast<Entry*>(p);
}

std::string_view Entry::key() const {
  uint64_t len;
  size_t off = KeyOffset();
  off += GetVarint(bytes() + off, &len);
  return {reinterpret_cast<const char*>(bytes() + off), static_cast<size_t>(len)};
}

int64_t Entry::expire_at() const {
  int64_t v = 0;  // a 6-byte field leaves the top two bytes zero (it holds 0 <= v < 2^48)
  std::memcpy(&v, bytes() + 4, long_expiry() ? 8 : 6);
  return v;
}

uint32_t Entry::clock() const {
  const uint8_t* p = bytes();
  return p[1] | (static_cast<uint32_t>(p[2]) << 8) | (static_cast<uint32_t>(p[3]) << 16);
}

void Entry::set_clock(uint32_t seconds) { PutClock(bytes(), seconds); }

size_t Entry::ValueOffset() const {
  uint64_t len;
  size_t off = KeyOffset();
  off += GetVarint(bytes() + off, &len);
  return off + len;
}

void* Entry::object() const {
  void* p;
  std::memcpy(&p, bytes() + ValueOffset(), sizeof(void*));
  return p;
}

void Entry::set_object(void* object) {
  std::memcpy(bytes() + ValueOffset(), &object, sizeof(void*));
}

int64_t Entry::int_value() const {
  int64_t v;
  std::memcpy(&v, bytes() + ValueOffset(), 8);
  return v;
}

void Entry::set_int_value(int64_t v) { std::memcpy(bytes() + ValueOffset(), &v, 8); }

std::string_view Entry::raw_value() const {
  uint64_t len;
  size_t off = ValueOffset();
  off += GetVarint(bytes() + off, &len);
  return {reinterpret_cast<const char*>(bytes() + off), static_cast<size_t>(len)};
}

std::string_view Entry::StringValue(char* buf) const {
  if (is_int()) return {buf, FormatInt64(int_value(), buf)};
  return raw_value();
}

size_t Entry::StringLength() const {
  if (is_int()) {
    char buf[24];
    return FormatInt64(int_value(), buf);
  }
  return raw_value().size();
}

size_t Entry::AllocationSize() const {
  size_t off = ValueOffset();
  switch (encoding()) {
    case Encoding::kInt:
      return off + 8;
    case Encoding::kObject:
      return off + sizeof(void*);
    default: {
      uint64_t len;
      off += GetVarint(bytes() + off, &len);
      return off + len;
    }
  }
}

}  // namespace tessera::keyspace
