#include "core/types/zset_value.h"

#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tessera::types {
namespace {

using Model = std::set<std::pair<double, std::string>>;

std::vector<std::pair<double, std::string>> Walk(const ZSetValue& z, size_t from, bool reverse) {
  std::vector<std::pair<double, std::string>> out;
  for (auto it = z.IterateFrom(from, reverse); it.valid(); it.Next()) {
    out.emplace_back(it.score(), std::string(it.member()));
  }
  return out;
}

void CheckAgainst(const ZSetValue& z, const Model& model) {
  REQUIRE(z.CheckInvariants());
  REQUIRE(z.size() == model.size());
  std::vector<std::pair<double, std::string>> all(model.begin(), model.end());
  REQUIRE(Walk(z, 0, false) == all);
  if (!all.empty()) {
    std::vector<std::pair<double, std::string>> rev(all.rbegin(), all.rend());
    REQUIRE(Walk(z, all.size() - 1, true) == rev);
  }
  size_t rank = 0;
  for (const auto& [score, member] : all) {
    REQUIRE(z.Score(member) == score);
    REQUIRE(z.Rank(member) == rank);
    ++rank;
  }
}

TEST_CASE("ZSetValue: random updates match a model in both encodings", "[zset]") {
  for (size_t max_entries : {size_t{0}, size_t{16}, size_t{128}, size_t{100000}}) {
    ZSetLimits limits{max_entries, 64};
    std::unique_ptr<ZSetValue> z(ZSetValue::Create(0, 0, limits));
    std::map<std::string, double> scores;
    Model model;
    std::mt19937 rng(static_cast<unsigned>(max_entries));
    for (int step = 0; step < 4000; ++step) {
      std::string member = "m" + std::to_string(rng() % 300);
      if (rng() % 3 == 0) {
        bool present = scores.count(member) != 0;
        REQUIRE(z->Remove(member) == present);
        if (present) {
          model.erase({scores[member], member});
          scores.erase(member);
        }
      } else {
        // Integers, fractions, negative zero and infinities exercise the packed score forms.
        double choices[] = {0.0, -0.0, 1.5, -3.0, 1e300, -1e-300, 42.0, 1e16,
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity()};
        double score = rng() % 4 == 0 ? choices[rng() % 10] : static_cast<double>(rng() % 50);
        auto outcome = z->Set(member, score, limits);
        auto it = scores.find(member);
        if (it == scores.end()) {
          REQUIRE(outcome == ZSetValue::AddOutcome::kAdded);
        } else if (it->second == score) {
          REQUIRE(outcome == ZSetValue::AddOutcome::kUnchanged);
          continue;
        } else {
          REQUIRE(outcome == ZSetValue::AddOutcome::kUpdated);
          model.erase({it->second, member});
        }
        scores[member] = score;
        model.insert({score, member});
      }
      if (step % 500 == 0) CheckAgainst(*z, model);
    }
    CheckAgainst(*z, model);
    if (max_entries < 300) {
      CHECK(z->EncodingName() == "skiplist");
    } else {
      CHECK(z->EncodingName() == "listpack");
    }
    std::unique_ptr<ZSetValue> copy(z->Clone());
    CheckAgainst(*copy, model);

    // Score ranges: [10, 20) and lex ranges over equal scores are prefix counts.
    ScoreRange r{10, 20, false, true};
    size_t lo = 0, hi = 0;
    for (const auto& [s, m] : model) {
      lo += !r.AboveMin(s);
      hi += r.BelowMax(s);
    }
    CHECK(z->ScoreRangeStart(r) == lo);
    CHECK(z->ScoreRangeEnd(r) == hi);

    // RemoveRanks drops the middle third.
    size_t n = z->size();
    auto all = std::vector<std::pair<double, std::string>>(model.begin(), model.end());
    z->RemoveRanks(n / 3, 2 * n / 3);
    all.erase(all.begin() + n / 3, all.begin() + 2 * n / 3);
    CheckAgainst(*z, Model(all.begin(), all.end()));
  }
}

TEST_CASE("ZSetValue: conversion at the listpack limits", "[zset]") {
  ZSetLimits limits{4, 8};
  std::unique_ptr<ZSetValue> z(ZSetValue::Create(4, 8, limits));
  CHECK(z->EncodingName() == "listpack");
  for (int i = 0; i < 4; ++i) z->Set("m" + std::to_string(i), i, limits);
  CHECK(z->EncodingName() == "listpack");
  z->Set("m4", 4, limits);
  CHECK(z->EncodingName() == "skiplist");
  z->Remove("m4");
  CHECK(z->EncodingName() == "skiplist");  // never back by removal, as in Redis
  z->ConvertToPackedIfFits(2, limits);
  CHECK(z->EncodingName() == "listpack");
  z->Set("123456789", 1, limits);  // a member over max_listpack_value
  CHECK(z->EncodingName() == "skiplist");
  z->ConvertToPackedIfFits(9, limits);
  CHECK(z->EncodingName() == "skiplist");

  std::unique_ptr<ZSetValue> big(ZSetValue::Create(5, 1, limits));
  CHECK(big->EncodingName() == "skiplist");
  std::unique_ptr<ZSetValue> longer(ZSetValue::Create(1, 9, limits));
  CHECK(longer->EncodingName() == "skiplist");
  std::unique_ptr<ZSetValue> small(ZSetValue::Create(3, 3, limits));
  small->MaybeConvertForSize(4, limits);
  CHECK(small->EncodingName() == "listpack");
  small->MaybeConvertForSize(5, limits);
  CHECK(small->EncodingName() == "skiplist");
}

TEST_CASE("ZSetValue: lex ranges", "[zset]") {
  ZSetLimits limits;
  std::unique_ptr<ZSetValue> z(ZSetValue::Create(0, 0, limits));
  for (const char* m : {"a", "b", "c", "d", "e"}) z->Set(m, 0, limits);
  using K = LexBound::Kind;
  LexRange r{{K::kExclusive, "b"}, {K::kInclusive, "d"}};
  CHECK(z->LexRangeStart(r) == 2);
  CHECK(z->LexRangeEnd(r) == 4);
  z->MaybeConvertForSize(1000, limits);
  CHECK(z->LexRangeStart(r) == 2);
  CHECK(z->LexRangeEnd(r) == 4);
  LexRange all{{K::kMinusInf, ""}, {K::kPlusInf, ""}};
  CHECK(z->LexRangeStart(all) == 0);
  CHECK(z->LexRangeEnd(all) == 5);
  CHECK((LexRange{{K::kExclusive, "b"}, {K::kInclusive, "b"}}.IsEmpty()));
  CHECK((LexRange{{K::kPlusInf, ""}, {K::kPlusInf, ""}}.IsEmpty()));
  CHECK_FALSE((LexRange{{K::kInclusive, "b"}, {K::kInclusive, "b"}}.IsEmpty()));
}

}  // namespace
}  // namespace tessera::types

namespace tessera::types {
namespace {

TEST_CASE("ZSetValue::Add: NX, XX, GT, LT, INCR and NaN in both encodings", "[zset]") {
  using O = ZSetValue::AddOutcome;
  for (size_t max_entries : {size_t{0}, size_t{128}}) {
    ZSetLimits limits{max_entries, 64};
    std::unique_ptr<ZSetValue> z(ZSetValue::Create(1, 1, limits));
    double s = -1;
    CHECK(z->Add("a", 1, {}, limits, &s) == O::kAdded);
    CHECK(s == 1);
    CHECK(z->Add("a", 1, {}, limits, &s) == O::kUnchanged);
    CHECK(z->Add("a", 5, {.nx = true}, limits, &s) == O::kSkipped);
    CHECK(z->Add("b", 5, {.xx = true}, limits, &s) == O::kSkipped);
    CHECK(z->size() == 1);
    CHECK(z->Add("a", 0, {.gt = true}, limits, &s) == O::kSkipped);
    CHECK(z->Add("a", 3, {.gt = true}, limits, &s) == O::kUpdated);
    CHECK(z->Add("a", 3, {.lt = true}, limits, &s) == O::kSkipped);
    CHECK(z->Add("a", 2, {.incr = true}, limits, &s) == O::kUpdated);
    CHECK(s == 5);
    CHECK(z->Add("a", -2, {.gt = true, .incr = true}, limits, &s) == O::kSkipped);
    CHECK(z->Add("a", std::numeric_limits<double>::infinity(), {.incr = true}, limits, &s) ==
          O::kUpdated);
    CHECK(z->Add("a", -std::numeric_limits<double>::infinity(), {.incr = true}, limits, &s) ==
          O::kNaN);
    CHECK(z->Score("a") == std::numeric_limits<double>::infinity());
    CHECK(z->Add("c", 7, {.incr = true}, limits, &s) == O::kAdded);  // a new member: 0 + 7
    CHECK(s == 7);
    CHECK(z->CheckInvariants());
    CHECK(z->EncodingName() == (max_entries == 0 ? "skiplist" : "listpack"));
  }
}

}  // namespace
}  // namespace tessera::types
