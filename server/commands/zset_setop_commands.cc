// Set operations of the sorted-set family: ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD.
//
// As Redis's zunionInterDiffGenericCommand: numkeys, then every source looked up (a sorted set,
// or a plain set whose members score 1; WRONGTYPE otherwise), then WEIGHTS / AGGREGATE /
// WITHSCORES / LIMIT.  Union and intersection visit the sources from the smallest (a stable
// sort, so equal sizes keep their order); a weighted score that is NaN (inf * 0) counts as 0,
// except the later terms of an intersection, which are aggregated raw (Redis's zuiFind path),
// and a SUM that becomes NaN is 0.  A STORE result is built as a skiplist and turned
// into a listpack when it fits, and an empty result deletes the destination.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "server/commands/args.h"
#include "server/commands/errors.h"
#include "server/commands/type_limits.h"
#include "server/commands/zset_family.h"
#include "server/commands/zset_source.h"

namespace tessera::server::zset {

namespace {

using types::ScoredMember;

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

void AggregateInto(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

struct Parsed {
  std::vector<ScoreSource> sources;
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;  // ZINTERCARD; 0: none
};

// Reads numkeys, looks the sources up, then the options.  Replies and returns false on error.
bool ParseSetOp(CommandContext& ctx, size_t numkeys_idx, SetOp op, bool store, bool card_only,
                Parsed* p) {
  int64_t setnum;
  if (!ParseIntArgOrReply(ctx, ctx.args[numkeys_idx], &setnum)) return false;
  if (setnum < 1) {
    ctx.reply.Error(fmt::format("ERR at least 1 input key is needed for '{}' command",
                                ctx.spec.full_name));
    return false;
  }
  if (static_cast<uint64_t>(setnum) > ctx.args.size() - (numkeys_idx + 1)) {
    ctx.reply.Error(errors::kSyntax);
    return false;
  }
  size_t j = numkeys_idx + 1;
  for (int64_t i = 0; i < setnum; ++i, ++j) {
    ScoreSource src;
    if (!ScoreSource::Lookup(ctx.db, ctx.args[j], &src)) {
      ctx.reply.Error(errors::kWrongType);
      return false;
    }
    p->sources.push_back(src);
  }
  while (j < ctx.args.size()) {
    const size_t remaining = ctx.args.size() - j;
    std::string_view a = ctx.args[j];
    if (op != SetOp::kDiff && !card_only && remaining >= p->sources.size() + 1 &&
        EqualsNoCase(a, "weights")) {
      ++j;
      for (ScoreSource& src : p->sources) {
        if (!ParseDouble(ctx.args[j++], &src.weight)) {
          ctx.reply.Error(errors::kZWeightNotFloat);
          return false;
        }
      }
    } else if (op != SetOp::kDiff && !card_only && remaining >= 2 &&
               EqualsNoCase(a, "aggregate")) {
      std::string_view v = ctx.args[j + 1];
      if (EqualsNoCase(v, "sum")) {
        p->agg = Aggregate::kSum;
      } else if (EqualsNoCase(v, "min")) {
        p->agg = Aggregate::kMin;
      } else if (EqualsNoCase(v, "max")) {
        p->agg = Aggregate::kMax;
      } else {
        ctx.reply.Error(errors::kSyntax);
        return false;
      }
      j += 2;
    } else if (!store && !card_only && EqualsNoCase(a, "withscores")) {
      p->withscores = true;
      ++j;
    } else if (card_only && remaining >= 2 && EqualsNoCase(a, "limit")) {
      if (!ParseInt64(ctx.args[j + 1], &p->limit) || p->limit < 0) {
        ctx.reply.Error(errors::kLimitNegative);
        return false;
      }
      j += 2;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

std::vector<ScoredMember> Inter(std::vector<ScoreSource>& src, Aggregate agg, bool card_only,
                                int64_t limit, size_t* cardinality) {
  std::vector<ScoredMember> out;
  *cardinality = 0;
  if (src[0].size() == 0) return out;
  bool stop = false;
  src[0].ForEach([&](std::string_view member, double s0) {
    if (stop) return;
    double score = Weighted(s0, src[0].weight);
    for (size_t j = 1; j < src.size(); ++j) {
      std::optional<double> v = src[j].SameAs(src[0]) ? s0 : src[j].Find(member);
      if (!v) return;
      // Only the first input's term is NaN-checked, as in Redis: a NaN term here turns a
      // SUM into 0 and leaves MIN/MAX unchanged.
      AggregateInto(&score, *v * src[j].weight, agg);
    }
    ++*cardinality;
    if (card_only) {
      if (limit > 0 && *cardinality >= static_cast<uint64_t>(limit)) stop = true;
      return;
    }
    out.push_back({std::string(member), score});
  });
  return out;
}

std::vector<ScoredMember> Union(const std::vector<ScoreSource>& src, Aggregate agg) {
  std::unordered_map<std::string, double> acc;
  for (const ScoreSource& s : src) {
    s.ForEach([&](std::string_view member, double score) {
      double v = Weighted(score, s.weight);
      auto [it, inserted] = acc.try_emplace(std::string(member), v);
      if (!inserted) AggregateInto(&it->second, v, agg);
    });
  }
  std::vector<ScoredMember> out;
  out.reserve(acc.size());
  for (auto& [member, score] : acc) out.push_back({member, score});
  return out;
}

std::vector<ScoredMember> Diff(const std::vector<ScoreSource>& src) {
  std::vector<ScoredMember> out;
  src[0].ForEach([&](std::string_view member, double score) {
    for (size_t j = 1; j < src.size(); ++j) {
      if (src[j].Find(member)) return;
    }
    out.push_back({std::string(member), score});
  });
  return out;
}

void SetOpGeneric(CommandContext& ctx, SetOp op, bool store, bool card_only) {
  const size_t numkeys_idx = store ? 2 : 1;
  Parsed p;
  if (!ParseSetOp(ctx, numkeys_idx, op, store, card_only, &p)) return;
  if (op != SetOp::kDiff) {
    std::stable_sort(p.sources.begin(), p.sources.end(),
                     [](const ScoreSource& a, const ScoreSource& b) { return a.size() < b.size(); });
  }
  std::vector<ScoredMember> result;
  size_t cardinality = 0;
  switch (op) {
    case SetOp::kInter:
      result = Inter(p.sources, p.agg, card_only, p.limit, &cardinality);
      break;
    case SetOp::kUnion:
      result = Union(p.sources, p.agg);
      break;
    case SetOp::kDiff:
      result = Diff(p.sources);
      break;
  }
  if (card_only) return ctx.reply.Integer(static_cast<int64_t>(cardinality));
  if (store) {
    bool existed = ctx.db.Find(ctx.args[1], /*touch=*/false) != nullptr;
    size_t n = keyspace::OpZStore(ctx.db, ctx.args[1], result, ZSetLimitsOf(ctx));
    if (n > 0 || existed) ctx.dirty++;
    // The event is the command's name: zunionstore, zinterstore, zdiffstore.
    if (n > 0) {
      ctx.Changed(kNotifyZSet, ctx.spec.name, ctx.args[1]);
    } else if (existed) {
      ctx.Changed(kNotifyGeneric, "del", ctx.args[1]);
    }
    return ctx.reply.Integer(static_cast<int64_t>(n));
  }
  std::sort(result.begin(), result.end(), [](const ScoredMember& a, const ScoredMember& b) {
    if (a.score != b.score) return a.score < b.score;
    return a.member < b.member;
  });
  ReplyScoredMembers(ctx, result, p.withscores);
}

}  // namespace

void ZUnionCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, false, false); }
void ZInterCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false, false); }
void ZDiffCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, false, false); }
void ZUnionStoreCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, true, false); }
void ZInterStoreCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, true, false); }
void ZDiffStoreCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, true, false); }
void ZInterCardCmd(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false, true); }

}  // namespace tessera::server::zset
