// Unit tests of types::SetValue: each encoding's storage (intset widths, listpack entry forms,
// hashtable), every conversion threshold of t_set.c (Redis 7.2), copies, random members and
// the table scan.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <memory>
#include <set>
#include <string_view>
#include <string>
#include <vector>

#include "core/types/set_value.h"

namespace tessera::types {
namespace {

using Enc = SetValue::Encoding;

std::vector<std::string> Members(const SetValue& s) {
  std::vector<std::string> out;
  s.ForEach([&](const SetMember& m) { out.push_back(m.ToString()); });
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

SetLimits Limits(size_t intset, size_t lp_entries, size_t lp_value) {
  SetLimits l;
  l.max_intset_entries = intset;
  l.max_listpack_entries = lp_entries;
  l.max_listpack_value = lp_value;
  return l;
}

const SetLimits kDefault = Limits(512, 128, 64);

// Owns a SetValue and stores back the pointer each mutator may move, as an entry does.
class OwnedSet {
 public:
  explicit OwnedSet(Enc enc) : p_(SetValue::New(enc)) {}
  explicit OwnedSet(SetValue* p) : p_(p) {}
  ~OwnedSet() { delete p_; }
  OwnedSet(const OwnedSet&) = delete;
  OwnedSet& operator=(const OwnedSet&) = delete;

  operator const SetValue&() const { return *p_; }
  const SetValue* operator->() const { return p_; }

  bool Add(std::string_view m, const SetLimits& l) { return SetValue::Add(&p_, m, l); }
  bool Add(const SetMember& m, const SetLimits& l) { return SetValue::Add(&p_, m, l); }
  bool Remove(std::string_view m) { return SetValue::Remove(&p_, m); }
  void MaybeConvert(size_t hint, const SetLimits& l) { SetValue::MaybeConvert(&p_, hint, l); }
  void MaybeConvertToIntset(const SetLimits& l) { SetValue::MaybeConvertToIntset(&p_, l); }
  std::string PopRandom(SplitMix64& rng) { return SetValue::PopRandom(&p_, rng); }
  void RemovePackedAt(const std::vector<size_t>& pos) { SetValue::RemovePackedAt(&p_, pos); }

 private:
  SetValue* p_;
};

}  // namespace

TEST_CASE("SetValue intset keeps integers sorted and unique", "[set][setvalue]") {
  OwnedSet s(Enc::kIntset);
  CHECK(s->empty());
  CHECK(s->EncodingName() == "intset");
  CHECK(s.Add("5", kDefault));
  CHECK(s.Add("-3", kDefault));
  CHECK(s.Add("17", kDefault));
  CHECK_FALSE(s.Add("5", kDefault));
  CHECK(s->size() == 3);
  CHECK(Members(s) == std::vector<std::string>{"-3", "5", "17"});
  CHECK(s->Contains("17"));
  CHECK(s->Contains(SetMember::Int(-3)));
  CHECK_FALSE(s->Contains("18"));
  CHECK_FALSE(s->Contains("017"));  // not canonical: never an intset member
  CHECK_FALSE(s->Contains("abc"));
  CHECK(s.Remove("5"));
  CHECK_FALSE(s.Remove("5"));
  CHECK_FALSE(s.Remove("x"));
  CHECK(Members(s) == std::vector<std::string>{"-3", "17"});
  CHECK(s.Remove("-3"));
  CHECK(s.Remove("17"));
  CHECK(s->empty());
  CHECK(s->AllocationSize() == sizeof(SetValue));
}

TEST_CASE("SetValue intset widens bit by bit up to 64 and keeps values", "[set][setvalue]") {
  OwnedSet s(Enc::kIntset);
  s.Add("1", kDefault);
  CHECK(s->intset_bits() == 1);
  CHECK_FALSE(s->intset_signed());
  s.Add("-32768", kDefault);
  CHECK(s->intset_signed());
  s.Add("32767", kDefault);
  CHECK(s->intset_bits() == 16);
  CHECK(s.Add("32768", kDefault));  // past int16: goes last
  CHECK(s->intset_bits() == 17);
  CHECK(s.Add("-2147483649", kDefault));  // past int32, negative: goes first
  CHECK(s->intset_bits() == 33);
  CHECK(s.Add("9223372036854775807", kDefault));
  CHECK(s.Add("-9223372036854775808", kDefault));
  CHECK(Members(s) == std::vector<std::string>{"-9223372036854775808", "-2147483649", "-32768", "1",
                                               "32767", "32768", "9223372036854775807"});
  // A narrow value in a wide set, and a wide probe of a narrow set.
  CHECK(s->Contains("1"));
  OwnedSet narrow(Enc::kIntset);
  narrow.Add("7", kDefault);
  CHECK_FALSE(narrow->Contains("9223372036854775807"));
  CHECK_FALSE(narrow.Remove("9223372036854775807"));
  // Removing never narrows.
  s.Remove("9223372036854775807");
  s.Remove("-9223372036854775808");
  s.Remove("-2147483649");
  CHECK(s->intset_bits() == 64);
  CHECK(s->AllocationSize() == sizeof(SetValue) + 4 * 8);
  CHECK(s->Contains("32768"));
}

TEST_CASE("SetValue intset packs small integers below 16 bits each", "[set][setvalue]") {
  OwnedSet s(Enc::kIntset);
  for (int k = 99; k >= 0; --k) s.Add(std::to_string(k * 31), kDefault);  // 0 .. 3069
  CHECK(s->intset_bits() == 12);
  CHECK_FALSE(s->intset_signed());
  CHECK(s->AllocationSize() == sizeof(SetValue) + 150);
  CHECK(sizeof(SetValue) == 8);
  for (int k = 0; k < 100; ++k) {
    CHECK(s->Contains(std::to_string(k * 31)));
    CHECK_FALSE(s->Contains(std::to_string(k * 31 + 1)));
  }
  // A negative member adds a sign bit to every member.
  CHECK(s.Add("-1", kDefault));
  CHECK(s->intset_bits() == 13);
  CHECK(s->intset_signed());
  CHECK(Members(s).front() == "-1");
  CHECK(Members(s).back() == "3069");
  CHECK(s->AllocationSize() == sizeof(SetValue) + (101 * 13 + 7) / 8);
}

TEST_CASE("SetValue intset matches a model under random adds and removes", "[set][setvalue]") {
  std::mt19937_64 gen(2024);
  // Ranges that exercise every kind of width: tiny, byte-aligned, odd, near 64 bits.
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {0, 1},
      {0, 255},
      {-3, 3},
      {0, 4095},
      {-70000, 70000},
      {-(int64_t{1} << 40), int64_t{1} << 40},
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()},
      {std::numeric_limits<int64_t>::max() - 1000, std::numeric_limits<int64_t>::max()},
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min() + 1000}};
  const SetLimits l = Limits(100000, 128, 64);
  for (int round = 0; round < 40; ++round) {
    OwnedSet s(Enc::kIntset);
    std::set<int64_t> model;
    // Start narrow and widen during the run: a later range may be wider.
    for (int phase = 0; phase < 3; ++phase) {
      const auto [lo, hi] = ranges[gen() % ranges.size()];
      std::uniform_int_distribution<int64_t> dist(lo, hi);
      for (int op = 0; op < 300; ++op) {
        const int64_t v = dist(gen);
        const std::string str = std::to_string(v);
        if (gen() % 3 == 0) {
          CHECK(s.Remove(str) == (model.erase(v) == 1));
        } else {
          CHECK(s.Add(str, l) == model.insert(v).second);
        }
        CHECK(s->Contains(str) == (model.count(v) == 1));
      }
      REQUIRE(s->encoding() == Enc::kIntset);
      REQUIRE(s->size() == model.size());
      std::vector<std::string> want;
      for (int64_t v : model) want.push_back(std::to_string(v));
      REQUIRE(Members(s) == want);
    }
    // Sampled removal keeps the rest in order.
    SplitMix64 rng(round);
    std::vector<size_t> positions;
    std::vector<int64_t> sorted(model.begin(), model.end());
    s->ForEachSampled(model.size() / 2, rng, [&](const SetMember& m, size_t pos) {
      CHECK(m.num == sorted[pos]);
      positions.push_back(pos);
    });
    s.RemovePackedAt(positions);
    for (size_t pos : positions) model.erase(sorted[pos]);
    std::vector<std::string> want;
    for (int64_t v : model) want.push_back(std::to_string(v));
    CHECK(Members(s) == want);
    std::unique_ptr<SetValue> c(s->Clone());
    CHECK(Members(*c) == want);
  }
}

TEST_CASE("SetValue intset out of 64 bits goes to listpack", "[set][setvalue]") {
  OwnedSet s(Enc::kIntset);
  s.Add("1", kDefault);
  CHECK(s.Add("9223372036854775808", kDefault));
  CHECK(s->encoding() == Enc::kListpack);
  CHECK(s->Contains("9223372036854775808"));
  CHECK(s->Contains("1"));
}

TEST_CASE("SetValue listpack stores strings of every length form and integers", "[set][setvalue]") {
  const SetLimits big = Limits(512, 1000, 100000);
  OwnedSet s(Enc::kListpack);
  std::vector<std::string> values = {"",
                                     std::string(127, 'a'),
                                     std::string(128, 'b'),
                                     std::string(16383, 'c'),
                                     std::string(16384, 'd'),
                                     "0",
                                     "-1",
                                     "127",
                                     "-128",
                                     "128",
                                     "65536",
                                     "-9223372036854775808",
                                     "9223372036854775807",
                                     "007",
                                     "-0",
                                     "+1",
                                     "1 ",
                                     "9223372036854775808"};
  for (const std::string& v : values) CHECK(s.Add(v, big));
  CHECK(s->encoding() == Enc::kListpack);
  CHECK(s->size() == values.size());
  CHECK(Members(s) == values);  // insertion order
  for (const std::string& v : values) {
    CHECK(s->Contains(v));
    CHECK_FALSE(s.Add(v, big));
  }
  CHECK_FALSE(s->Contains("7"));
  CHECK_FALSE(s->Contains("-00"));
  CHECK(s->Contains(SetMember::Int(127)));
  CHECK(s.Remove(std::string(16383, 'c')));
  CHECK(s.Remove("-128"));
  CHECK_FALSE(s.Remove("-128"));
  CHECK(s->size() == values.size() - 2);
  CHECK(s->Contains(std::string(16384, 'd')));
  CHECK(s->Contains("9223372036854775807"));
  // The integers round-trip as integers (so SINTERSTORE sees them as such).
  bool saw_int = false;
  s->ForEach([&](const SetMember& m) {
    if (m.is_int && m.num == -9223372036854775807LL - 1) saw_int = true;
  });
  CHECK(saw_int);
}

TEST_CASE("SetValue Create picks the encoding from the first member and the hint",
          "[set][setvalue]") {
  const SetLimits l = Limits(4, 6, 10);
  auto check = [&](const char* first, size_t hint, Enc want) {
    std::unique_ptr<SetValue> s(SetValue::Create(first, hint, l));
    CHECK(s->encoding() == want);
    CHECK(s->empty());
  };
  check("1", 4, Enc::kIntset);
  check("1", 5, Enc::kListpack);
  check("1", 7, Enc::kHashtable);
  check("a", 1, Enc::kListpack);
  check("a", 6, Enc::kListpack);
  check("a", 7, Enc::kHashtable);
  check("01", 1, Enc::kListpack);
}

TEST_CASE("SetValue intset converts at set-max-intset-entries", "[set][setvalue][convert]") {
  const SetLimits l = Limits(4, 128, 64);
  OwnedSet s(Enc::kIntset);
  for (int i = 0; i < 4; ++i) s.Add(std::to_string(i), l);
  CHECK(s->encoding() == Enc::kIntset);
  CHECK_FALSE(s.Add("3", l));  // a duplicate never converts
  CHECK(s->encoding() == Enc::kIntset);
  CHECK(s.Add("4", l));
  CHECK(s->encoding() == Enc::kHashtable);
  CHECK(Sorted(Members(s)) == std::vector<std::string>{"0", "1", "2", "3", "4"});
}

TEST_CASE("SetValue intset plus a string: listpack or hashtable as Redis decides",
          "[set][setvalue][convert]") {
  SECTION("fewer members than the listpack limit: listpack") {
    const SetLimits l = Limits(512, 4, 64);
    OwnedSet s(Enc::kIntset);
    for (int i = 0; i < 3; ++i) s.Add(std::to_string(i), l);
    CHECK(s.Add("a", l));
    CHECK(s->encoding() == Enc::kListpack);
    CHECK(Members(s) == std::vector<std::string>{"0", "1", "2", "a"});
  }
  SECTION("as many as the listpack limit: hashtable") {
    const SetLimits l = Limits(512, 4, 64);
    OwnedSet s(Enc::kIntset);
    for (int i = 0; i < 4; ++i) s.Add(std::to_string(i), l);
    CHECK(s.Add("a", l));
    CHECK(s->encoding() == Enc::kHashtable);
  }
  SECTION("the string is too long: hashtable") {
    const SetLimits l = Limits(512, 128, 3);
    OwnedSet s(Enc::kIntset);
    s.Add("1", l);
    CHECK(s.Add("abc", l));
    CHECK(s->encoding() == Enc::kListpack);
    OwnedSet t(Enc::kIntset);
    t.Add("1", l);
    CHECK(t.Add("abcd", l));
    CHECK(t->encoding() == Enc::kHashtable);
  }
  SECTION("an integer member is too long (by its minimum or maximum): hashtable") {
    const SetLimits l = Limits(512, 128, 3);
    OwnedSet s(Enc::kIntset);
    s.Add("-99", l);
    s.Add("999", l);
    CHECK(s.Add("a", l));
    CHECK(s->encoding() == Enc::kListpack);
    OwnedSet t(Enc::kIntset);
    t.Add("-100", l);
    CHECK(t.Add("a", l));
    CHECK(t->encoding() == Enc::kHashtable);
    OwnedSet u(Enc::kIntset);
    u.Add("1000", l);
    CHECK(u.Add("a", l));
    CHECK(u->encoding() == Enc::kHashtable);
  }
  SECTION("an empty intset takes any short string as a listpack") {
    OwnedSet s(Enc::kIntset);
    CHECK(s.Add("x", kDefault));
    CHECK(s->encoding() == Enc::kListpack);
  }
}

TEST_CASE("SetValue listpack converts at its entry and value limits", "[set][setvalue][convert]") {
  const SetLimits l = Limits(512, 3, 5);
  OwnedSet s(Enc::kListpack);
  s.Add("a", l);
  s.Add("b", l);
  s.Add("12345", l);
  CHECK(s->encoding() == Enc::kListpack);
  CHECK_FALSE(s.Add("a", l));
  CHECK(s->encoding() == Enc::kListpack);
  CHECK(s.Add("c", l));
  CHECK(s->encoding() == Enc::kHashtable);
  CHECK(Sorted(Members(s)) == std::vector<std::string>{"12345", "a", "b", "c"});

  OwnedSet t(Enc::kListpack);
  t.Add("abcde", l);
  CHECK(t->encoding() == Enc::kListpack);
  CHECK(t.Add("abcdef", l));
  CHECK(t->encoding() == Enc::kHashtable);
  // An integer counts by its decimal length.
  OwnedSet u(Enc::kListpack);
  u.Add("a", l);
  CHECK(u.Add("123456", l));
  CHECK(u->encoding() == Enc::kHashtable);
}

TEST_CASE("SetValue MaybeConvert follows the size hint", "[set][setvalue][convert]") {
  const SetLimits l = Limits(4, 6, 64);
  OwnedSet a(Enc::kIntset);
  a.Add("1", l);
  a.MaybeConvert(4, l);
  CHECK(a->encoding() == Enc::kIntset);
  a.MaybeConvert(5, l);
  CHECK(a->encoding() == Enc::kHashtable);
  OwnedSet b(Enc::kListpack);
  b.Add("x", l);
  b.MaybeConvert(6, l);
  CHECK(b->encoding() == Enc::kListpack);
  b.MaybeConvert(7, l);
  CHECK(b->encoding() == Enc::kHashtable);
  CHECK(b->Contains("x"));
}

TEST_CASE("SetValue MaybeConvertToIntset", "[set][setvalue][convert]") {
  const SetLimits l = Limits(3, 2, 64);
  OwnedSet s(Enc::kListpack);
  s.Add("30", l);
  s.Add("-5", l);
  s.Add("70000", l);  // over the listpack limit: hashtable
  CHECK(s->encoding() == Enc::kHashtable);
  s.MaybeConvertToIntset(l);
  CHECK(s->encoding() == Enc::kIntset);
  CHECK(Members(s) == std::vector<std::string>{"-5", "30", "70000"});
  CHECK(s->intset_bits() == 18);
  CHECK(s->intset_signed());
  OwnedSet big(Enc::kHashtable);
  for (int i = 0; i < 4; ++i) big.Add(std::to_string(i), l);
  big.MaybeConvertToIntset(l);
  CHECK(big->encoding() == Enc::kHashtable);
}

TEST_CASE("SetValue Clone copies every encoding", "[set][setvalue]") {
  for (Enc enc : {Enc::kIntset, Enc::kListpack, Enc::kHashtable}) {
    OwnedSet s(enc);
    for (int i = 0; i < 50; ++i) s.Add(std::to_string(i * 1000), Limits(512, 128, 64));
    OwnedSet c(s->Clone());
    CHECK(c->encoding() == enc);
    CHECK(Sorted(Members(c)) == Sorted(Members(s)));
    c.Add("999999", kDefault);
    CHECK_FALSE(s->Contains("999999"));
    CHECK(c->AllocationSize() >= s->AllocationSize());
  }
  OwnedSet empty(Enc::kListpack);
  OwnedSet c(empty->Clone());
  CHECK(c->empty());
}

TEST_CASE("SetValue hashtable add, remove, contains at scale", "[set][setvalue]") {
  OwnedSet s(Enc::kHashtable);
  CHECK(s->EncodingName() == "hashtable");
  for (int i = 0; i < 20000; ++i) CHECK(s.Add("m:" + std::to_string(i), kDefault));
  CHECK(s->size() == 20000);
  CHECK(s->Contains("m:19999"));
  CHECK_FALSE(s->Contains("m:20000"));
  for (int i = 0; i < 20000; i += 2) CHECK(s.Remove("m:" + std::to_string(i)));
  CHECK(s->size() == 10000);
  CHECK_FALSE(s->Contains("m:0"));
  CHECK(s->Contains("m:1"));
  CHECK(s.Add(SetMember::Int(42), kDefault));
  CHECK(s->Contains("42"));
  // Memory: slots (8 bytes at load >= 0.3 after the removals) plus len + 1 bytes a node.
  CHECK(s->AllocationSize() < 10001 * 48);
}

TEST_CASE("SetValue random members are uniform in every encoding", "[set][setvalue]") {
  SplitMix64 rng(12345);
  for (Enc enc : {Enc::kIntset, Enc::kListpack, Enc::kHashtable}) {
    OwnedSet s(enc);
    for (int i = 0; i < 10; ++i) s.Add(std::to_string(i), kDefault);
    std::map<std::string, int> hits;
    const int draws = 20000;
    for (int i = 0; i < draws; ++i) ++hits[s->RandomMember(rng).ToString()];
    REQUIRE(hits.size() == 10);
    double chi = 0;
    for (const auto& [m, n] : hits) {
      const double e = draws / 10.0;
      chi += (n - e) * (n - e) / e;
    }
    CHECK(chi < 40);  // df = 9: 40 has probability ~1e-5
  }
}

TEST_CASE("SetValue PopRandom empties the set with each member once", "[set][setvalue]") {
  SplitMix64 rng(7);
  for (Enc enc : {Enc::kIntset, Enc::kListpack, Enc::kHashtable}) {
    OwnedSet s(enc);
    for (int i = 0; i < 100; ++i) s.Add(std::to_string(i), Limits(512, 128, 64));
    std::set<std::string> seen;
    while (!s->empty()) CHECK(seen.insert(s.PopRandom(rng)).second);
    CHECK(seen.size() == 100);
  }
}

TEST_CASE("SetValue ForEachSampled and RemovePackedAt", "[set][setvalue]") {
  SplitMix64 rng(99);
  for (Enc enc : {Enc::kIntset, Enc::kListpack}) {
    OwnedSet s(enc);
    for (int i = 0; i < 20; ++i) s.Add(std::to_string(i), kDefault);
    std::vector<size_t> positions;
    std::vector<std::string> picked;
    s->ForEachSampled(7, rng, [&](const SetMember& m, size_t pos) {
      picked.push_back(m.ToString());
      positions.push_back(pos);
    });
    REQUIRE(picked.size() == 7);
    CHECK(std::is_sorted(positions.begin(), positions.end()));
    CHECK(std::adjacent_find(positions.begin(), positions.end()) == positions.end());
    s.RemovePackedAt(positions);
    CHECK(s->size() == 13);
    for (const std::string& p : picked) CHECK_FALSE(s->Contains(p));
    s->ForEachSampled(13, rng, [&](const SetMember&, size_t pos) { positions.push_back(pos); });
    std::vector<size_t> all;
    for (size_t i = 0; i < 13; ++i) all.push_back(i);
    s.RemovePackedAt(all);
    CHECK(s->empty());
  }
}

TEST_CASE("SetValue ScanTable visits every member", "[set][setvalue]") {
  OwnedSet s(Enc::kHashtable);
  for (int i = 0; i < 1000; ++i) s.Add("k" + std::to_string(i), kDefault);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    SetValue::ScanResult r = s->ScanTable(cursor, 10, [&](const SetMember& m, uint64_t h) {
      CHECK(h == SetValue::HashMember(m.str));
      seen.insert(std::string(m.str));
    });
    if (r.done) break;
    CHECK(r.next_cursor > cursor);
    cursor = r.next_cursor;
  }
  CHECK(seen.size() == 1000);
}

}  // namespace tessera::types
