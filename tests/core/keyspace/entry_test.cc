#include "core/keyspace/entry.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

using tessera::keyspace::Encoding;
using tessera::keyspace::Entry;
using tessera::keyspace::kNoExpiry;
using tessera::keyspace::ValueType;

namespace {
struct Freer {
  void operator()(Entry* e) const { Entry::Free(e); }
};
using EntryPtr = std::unique_ptr<Entry, Freer>;
}  // namespace

TEST_CASE("Entry stores key, value, encoding and clock") {
  EntryPtr e(Entry::NewString("key:1", "hello", Encoding::kEmbstr, kNoExpiry, 1234));
  CHECK(e->key() == "key:1");
  CHECK(e->raw_value() == "hello");
  CHECK(e->type() == ValueType::kString);
  CHECK(e->encoding() == Encoding::kEmbstr);
  CHECK_FALSE(e->has_expiry());
  CHECK(e->expire_at_or_none() == kNoExpiry);
  CHECK(e->clock() == 1234);
  e->set_clock(0xABCDEF);
  CHECK(e->clock() == 0xABCDEF);
  CHECK(e->raw_value() == "hello");
}

TEST_CASE("Entry auto-encoding follows Redis's tryObjectEncoding") {
  EntryPtr i(Entry::NewStringAutoEncoded("k", "-9223372036854775808", kNoExpiry, 0));
  CHECK(i->is_int());
  CHECK(i->int_value() == std::numeric_limits<int64_t>::min());
  char buf[24];
  CHECK(i->StringValue(buf) == "-9223372036854775808");
  EntryPtr not_int(Entry::NewStringAutoEncoded("k", "007", kNoExpiry, 0));
  CHECK(not_int->encoding() == Encoding::kEmbstr);
  EntryPtr raw(Entry::NewStringAutoEncoded("k", std::string(45, 'x'), kNoExpiry, 0));
  CHECK(raw->encoding() == Encoding::kRaw);
  EntryPtr emb(Entry::NewStringAutoEncoded("k", std::string(44, 'x'), kNoExpiry, 0));
  CHECK(emb->encoding() == Encoding::kEmbstr);
}

TEST_CASE("Entry expiry uses 6 bytes when it fits, 8 otherwise") {
  const int64_t now = 1700000000000;
  EntryPtr plain(Entry::NewString("session:00000001", std::string(100, 'v'), Encoding::kRaw,
                                  kNoExpiry, 0));
  EntryPtr timed(Entry::NewString("session:00000001", std::string(100, 'v'), Encoding::kRaw,
                                  now + 86400000, 0));
  CHECK(timed->AllocationSize() == plain->AllocationSize() + 6);
  // The session-store shape fits jemalloc's 128-byte class with its expiry.
  CHECK(timed->AllocationSize() <= 128);
  CHECK(timed->expire_at() == now + 86400000);
  CHECK(timed->raw_value() == std::string(100, 'v'));

  const int64_t huge = std::numeric_limits<int64_t>::max();
  EntryPtr far(Entry::NewInt("k", 42, huge, 0));
  CHECK(far->expire_at() == huge);
  CHECK(far->int_value() == 42);
  EntryPtr edge(Entry::NewInt("k", 7, (int64_t{1} << 48) - 1, 0));
  CHECK(edge->expire_at() == (int64_t{1} << 48) - 1);
  EntryPtr over(Entry::NewInt("k", 7, int64_t{1} << 48, 0));
  CHECK(over->expire_at() == int64_t{1} << 48);
  CHECK(over->AllocationSize() == edge->AllocationSize() + 2);
}

TEST_CASE("Entry::WithExpiry changes in place only when the field keeps its size") {
  const int64_t now = 1700000000000;
  Entry* e = Entry::NewString("k", "v", Encoding::kEmbstr, kNoExpiry, 5);
  Entry* timed = Entry::WithExpiry(e, now);
  REQUIRE(timed != e);
  Entry::Free(e);
  CHECK(timed->expire_at() == now);
  CHECK(timed->raw_value() == "v");
  CHECK(timed->clock() == 5);
  CHECK(Entry::WithExpiry(timed, now + 1) == timed);  // 6 bytes -> 6 bytes, in place
  CHECK(timed->expire_at() == now + 1);
  Entry* far = Entry::WithExpiry(timed, std::numeric_limits<int64_t>::max());
  REQUIRE(far != timed);  // 6 -> 8 bytes
  Entry::Free(timed);
  CHECK(far->expire_at() == std::numeric_limits<int64_t>::max());
  CHECK(far->key() == "k");
  Entry* none = Entry::WithExpiry(far, kNoExpiry);
  REQUIRE(none != far);
  Entry::Free(far);
  CHECK_FALSE(none->has_expiry());
  CHECK(none->raw_value() == "v");
  Entry::Free(none);
}

TEST_CASE("Entry::ResizeString grows with spare room, so appends are amortized O(1)") {
  const int64_t expiry = 1700000000000;
  Entry* e = Entry::NewString("log", "", Encoding::kEmbstr, expiry, 9);
  std::string expected;
  int reallocations = 0;
  for (int i = 0; i < 100000; ++i) {
    char c = static_cast<char>('a' + i % 26);
    size_t old_size = e->raw_value().size();
    Entry* grown = Entry::ResizeString(e, old_size + 1);
    grown->mutable_raw_data()[old_size] = c;
    if (grown != e) {
      ++reallocations;
      Entry::Free(e);
      e = grown;
    }
    expected.push_back(c);
  }
  CHECK(e->raw_value() == expected);
  CHECK(e->encoding() == Encoding::kRaw);
  CHECK(e->expire_at() == expiry);
  CHECK(e->key() == "log");
  CHECK(e->clock() == 9);
  // Geometric growth: about log1.5(100000) copies, not 100000.
  CHECK(reallocations < 40);

  // Crossing a varint boundary in place keeps the bytes; shrinking is not used by callers
  // but must keep the prefix.
  Entry* small = Entry::NewString("k", std::string(120, 'x'), Encoding::kRaw, kNoExpiry, 0);
  Entry* bigger = Entry::ResizeString(small, 200);
  if (bigger != small) Entry::Free(small);
  CHECK(bigger->raw_value().substr(0, 120) == std::string(120, 'x'));
  CHECK(bigger->raw_value().substr(120) == std::string(80, '\0'));
  Entry::Free(bigger);
  Entry::Free(e);
}

TEST_CASE("Entry::NewZeroedRaw is raw, zeroed and sized exactly") {
  EntryPtr e(Entry::NewZeroedRaw("k", 5, 1700000000000, 7));
  CHECK(e->encoding() == Encoding::kRaw);
  CHECK(e->raw_value() == std::string(5, '\0'));
  CHECK(e->expire_at() == 1700000000000);
  CHECK(e->clock() == 7);
  CHECK(e->key() == "k");
  e->mutable_raw_data()[4] = 'z';
  CHECK(e->raw_value() == std::string("\0\0\0\0z", 5));
  EntryPtr long_expiry(Entry::NewZeroedRaw("key", 300, int64_t{1} << 50, 0));
  CHECK(long_expiry->expire_at() == int64_t{1} << 50);
  CHECK(long_expiry->raw_value() == std::string(300, '\0'));
  CHECK(long_expiry->AllocationSize() == 4 + 8 + 1 + 3 + 2 + 300);
  EntryPtr empty(Entry::NewZeroedRaw("k", 0, kNoExpiry, 0));
  CHECK(empty->raw_value().empty());
}
