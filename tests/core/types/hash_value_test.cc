#include "core/types/hash_value.h"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tessera::types {
namespace {

struct Deleter {
  void operator()(HashValue* v) const { delete v; }
};

// Owns a HashValue and follows it when a mutator moves it.
class Hash {
 public:
  Hash() : v_(HashValue::New()) {}
  ~Hash() { delete v_; }
  HashValue* get() const { return v_; }
  HashValue** ptr() { return &v_; }
  const HashValue* operator->() const { return v_; }

 private:
  HashValue* v_;
};

std::map<std::string, std::string> Contents(const HashValue& v) {
  std::map<std::string, std::string> m;
  v.ForEach([&](std::string_view f, std::string_view val) { m[std::string(f)] = val; });
  return m;
}

std::vector<std::string> FieldOrder(const HashValue& v) {
  std::vector<std::string> out;
  v.ForEach([&](std::string_view f, std::string_view) { out.emplace_back(f); });
  return out;
}

constexpr int64_t kNow = 1700000000000;
const HashLimits kSmall{4, 8};

}  // namespace

TEST_CASE("HashValue packed set, find, delete", "[hash]") {
  Hash h;
  CHECK(h->EncodingName() == "listpack");
  CHECK(h->empty());
  CHECK(HashValue::Set(h.ptr(), "a", "1", kSmall));
  CHECK(HashValue::Set(h.ptr(), "b", "", kSmall));
  CHECK_FALSE(HashValue::Set(h.ptr(), "a", "22", kSmall));
  CHECK(h->size() == 2);
  CHECK(*h->Find("a") == "22");
  CHECK(*h->Find("b") == "");
  CHECK_FALSE(h->Find("c"));
  CHECK(FieldOrder(*h.get()) == std::vector<std::string>{"a", "b"});
  CHECK(h->CheckInvariants());
  CHECK(HashValue::Delete(h.ptr(), "a"));
  CHECK_FALSE(HashValue::Delete(h.ptr(), "a"));
  CHECK(h->size() == 1);
  CHECK(h->CheckInvariants());
  CHECK(h->EncodingName() == "listpack");
  // Packed bytes: a string costs its length + 1.
  CHECK(h->AllocationSize() == 8 + 2 + 1);
}

TEST_CASE("HashValue converts at each threshold and never back", "[hash]") {
  SECTION("entries") {
    Hash h;
    for (int i = 0; i < 4; ++i) HashValue::Set(h.ptr(), "f" + std::to_string(i), "v", kSmall);
    CHECK(h->EncodingName() == "listpack");
    HashValue::Set(h.ptr(), "f4", "v", kSmall);
    CHECK(h->EncodingName() == "hashtable");
    for (int i = 0; i < 5; ++i) HashValue::Delete(h.ptr(), "f" + std::to_string(i));
    CHECK(h->empty());
    CHECK(h->EncodingName() == "hashtable");
  }
  SECTION("value length") {
    Hash h;
    HashValue::Set(h.ptr(), "f", "12345678", kSmall);
    CHECK(h->EncodingName() == "listpack");
    HashValue::Set(h.ptr(), "f", "123456789", kSmall);
    CHECK(h->EncodingName() == "hashtable");
    CHECK(*h->Find("f") == "123456789");
  }
  SECTION("field length") {
    Hash h;
    HashValue::Set(h.ptr(), "12345678", "v", kSmall);
    CHECK(h->EncodingName() == "listpack");
    HashValue::Set(h.ptr(), "123456789", "v", kSmall);
    CHECK(h->EncodingName() == "hashtable");
  }
  SECTION("PrepareForWrite: many pairs or a long argument") {
    Hash h;
    std::vector<std::string_view> args = {"a", "1", "a", "2", "a", "3", "a", "4", "a", "5"};
    HashValue::PrepareForWrite(h.ptr(), args, kSmall);
    CHECK(h->EncodingName() == "hashtable");
    Hash g;
    std::vector<std::string_view> ok = {"a", "1", "b", "12345678"};
    HashValue::PrepareForWrite(g.ptr(), ok, kSmall);
    CHECK(g->EncodingName() == "listpack");
    std::vector<std::string_view> longer = {"a", "123456789"};
    HashValue::PrepareForWrite(g.ptr(), longer, kSmall);
    CHECK(g->EncodingName() == "hashtable");
  }
}

TEST_CASE("HashValue table keeps contents across growth and clone", "[hash]") {
  Hash h;
  const HashLimits limits{128, 64};
  std::map<std::string, std::string> model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string f = "field:" + std::to_string(rng() % 3000);
    if (rng() % 4 == 0) {
      CHECK(HashValue::Delete(h.ptr(), f) == (model.erase(f) == 1));
    } else {
      std::string v = std::string(rng() % 20, 'x') + std::to_string(i);
      CHECK(HashValue::Set(h.ptr(), f, v, limits) == (model.count(f) == 0));
      model[f] = v;
    }
  }
  CHECK(h->EncodingName() == "hashtable");
  CHECK(h->size() == model.size());
  CHECK(Contents(*h.get()) == model);
  CHECK(h->CheckInvariants());
  std::unique_ptr<HashValue, Deleter> copy(h->Clone());
  CHECK(Contents(*copy) == model);
  CHECK(copy->CheckInvariants());

  // A complete scan returns every field, each exactly once.
  std::map<std::string, int> seen;
  uint64_t cursor = 0;
  do {
    cursor = h->Scan(cursor, 10, [&](std::string_view f, std::string_view) {
      ++seen[std::string(f)];
    });
  } while (cursor != 0);
  CHECK(seen.size() == model.size());
  for (auto& [f, n] : seen) CHECK(n == 1);
}

TEST_CASE("HashValue field expiry, packed (listpackex)", "[hash]") {
  using Cond = HashValue::ExpireCondition;
  Hash h;
  for (const char* f : {"a", "b", "c", "d"}) HashValue::Set(h.ptr(), f, "v", kSmall);
  CHECK(HashValue::SetExpiry(h.ptr(), "x", kNow + 10, Cond::kNone, kNow) == HashValue::kNoField);
  HashValue::EnableFieldExpiry(h.ptr());
  CHECK(h->EncodingName() == "listpackex");
  CHECK(h->MinExpiry() == kNoFieldExpiry);
  CHECK(HashValue::SetExpiry(h.ptr(), "c", kNow + 300, Cond::kNone, kNow) == HashValue::kSet);
  CHECK(HashValue::SetExpiry(h.ptr(), "b", kNow + 100, Cond::kNone, kNow) == HashValue::kSet);
  // Expiring pairs first, earliest first; the others after, in their order.
  CHECK(FieldOrder(*h.get()) == std::vector<std::string>{"b", "c", "a", "d"});
  CHECK(h->MinExpiry() == kNow + 100);
  CHECK(*h->FindExpiry("c") == kNow + 300);
  CHECK(*h->FindExpiry("a") == kNoFieldExpiry);
  // Conditions: a field without expiry is an infinite TTL.
  CHECK(HashValue::SetExpiry(h.ptr(), "a", kNow + 5, Cond::kXx, kNow) == HashValue::kConditionNotMet);
  CHECK(HashValue::SetExpiry(h.ptr(), "a", kNow + 5, Cond::kGt, kNow) == HashValue::kConditionNotMet);
  CHECK(HashValue::SetExpiry(h.ptr(), "b", kNow + 5, Cond::kNx, kNow) == HashValue::kConditionNotMet);
  CHECK(HashValue::SetExpiry(h.ptr(), "b", kNow + 100, Cond::kGt, kNow) == HashValue::kConditionNotMet);
  CHECK(HashValue::SetExpiry(h.ptr(), "b", kNow + 100, Cond::kLt, kNow) == HashValue::kConditionNotMet);
  CHECK(HashValue::SetExpiry(h.ptr(), "b", kNow + 400, Cond::kGt, kNow) == HashValue::kSet);
  CHECK(FieldOrder(*h.get()) == std::vector<std::string>{"c", "b", "a", "d"});
  CHECK(HashValue::SetExpiry(h.ptr(), "a", kNow + 50, Cond::kLt, kNow) == HashValue::kSet);
  CHECK(h->CheckInvariants());
  // Set (HSET) drops the expiry and moves the pair to the end; keep_expiry keeps both.
  HashValue::Set(h.ptr(), "c", "w", kSmall, /*keep_expiry=*/true);
  CHECK(*h->FindExpiry("c") == kNow + 300);
  HashValue::Set(h.ptr(), "c", "w2", kSmall);
  CHECK(*h->FindExpiry("c") == kNoFieldExpiry);
  CHECK(FieldOrder(*h.get()).back() == "c");
  // Persist.
  CHECK(HashValue::Persist(h.ptr(), "zz") == -2);
  CHECK(HashValue::Persist(h.ptr(), "d") == -1);
  CHECK(HashValue::Persist(h.ptr(), "b") == 1);
  CHECK(*h->FindExpiry("b") == kNoFieldExpiry);
  CHECK(h->CheckInvariants());
  // Purge.
  CHECK(HashValue::PurgeExpired(h.ptr(), kNow + 49) == 0);
  CHECK(HashValue::PurgeExpired(h.ptr(), kNow + 50) == 1);
  CHECK_FALSE(h->Find("a"));
  CHECK(h->size() == 3);
  // A time not after now deletes.
  CHECK(HashValue::SetExpiry(h.ptr(), "d", kNow, Cond::kNone, kNow) == HashValue::kDeleted);
  CHECK(h->size() == 2);
  CHECK(h->CheckInvariants());
}

TEST_CASE("HashValue field expiry survives conversion to a table", "[hash]") {
  using Cond = HashValue::ExpireCondition;
  Hash h;
  for (const char* f : {"a", "b", "c"}) HashValue::Set(h.ptr(), f, "v", kSmall);
  HashValue::EnableFieldExpiry(h.ptr());
  HashValue::SetExpiry(h.ptr(), "a", kNow + 10, Cond::kNone, kNow);
  HashValue::SetExpiry(h.ptr(), "b", kNow + 20, Cond::kNone, kNow);
  HashValue::Set(h.ptr(), "big", "123456789", kSmall);
  CHECK(h->EncodingName() == "hashtable");
  CHECK(*h->FindExpiry("a") == kNow + 10);
  CHECK(h->MinExpiry() == kNow + 10);
  CHECK(h->CheckInvariants());
  HashValue::Set(h.ptr(), "a", "new", kSmall, /*keep_expiry=*/true);
  CHECK(*h->FindExpiry("a") == kNow + 10);
  CHECK(h->CheckInvariants());
  CHECK(HashValue::Persist(h.ptr(), "b") == 1);
  CHECK(HashValue::SetExpiry(h.ptr(), "c", kNow + 5, Cond::kNone, kNow) == HashValue::kSet);
  CHECK(h->CheckInvariants());
  CHECK(HashValue::PurgeExpired(h.ptr(), kNow + 10) == 2);
  CHECK(Contents(*h.get()) == std::map<std::string, std::string>{{"b", "v"}, {"big", "123456789"}});
  CHECK(h->MinExpiry() == kNoFieldExpiry);
  CHECK(h->CheckInvariants());
}

TEST_CASE("HashValue random pairs are members", "[hash]") {
  Hash h;
  const HashLimits limits{128, 64};
  for (int i = 0; i < 10; ++i) HashValue::Set(h.ptr(), std::to_string(i), "v", limits);
  for (uint64_t bits = 0; bits < 100; ++bits) {
    CHECK(h->Find(h->RandomPair(bits * 0x9e3779b97f4a7c15ull).field));
  }
}

}  // namespace tessera::types
