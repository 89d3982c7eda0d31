// The HyperLogLog commands: PFADD PFCOUNT PFMERGE, and the debugging commands PFDEBUG and
// PFSELFTEST that Redis's own test suite uses.
//
// HLLs are string values in Redis's exact representation (core/base/hyperloglog.h); each
// command runs one operation of core/keyspace/hll_ops.h.  Errors as in Redis 7.2
// (hyperloglog.c): WRONGTYPE for another type, "WRONGTYPE Key is not a valid HyperLogLog
// string value." for a string without a valid header, INVALIDOBJ for corrupt sparse opcodes.
// PFCOUNT is flagged read-only as in Redis, though with one key it may store the computed
// cardinality in the value's cache.
#include <cmath>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/hyperloglog.h"
#include "core/keyspace/hll_ops.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::PfDebugOp;

size_t SparseMaxBytes(CommandContext& ctx) {
  return ctx.server.config().hll_sparse_max_bytes.load(std::memory_order_relaxed);
}

void ReplyHllStatus(CommandContext& ctx, OpStatus status) {
  switch (status) {
    case OpStatus::kNotHll:
      return ctx.reply.Error(errors::kNotHll);
    case OpStatus::kCorruptHll:
      return ctx.reply.Error(errors::kCorruptHll);
    default:
      return ReplyStatus(ctx, status);
  }
}

void PfAddCmd(CommandContext& ctx) {
  OpResult<bool> updated =
      keyspace::OpPfAdd(ctx.db, ctx.args[1], ctx.args.subspan(2), SparseMaxBytes(ctx));
  if (!updated) return ReplyHllStatus(ctx, updated.status());
  if (*updated) {
    ctx.dirty++;
    ctx.Changed(kNotifyString, "pfadd", ctx.args[1]);
  }
  ctx.reply.Integer(*updated ? 1 : 0);
}

void PfCountCmd(CommandContext& ctx) {
  OpResult<uint64_t> count = keyspace::OpPfCount(ctx.db, ctx.args.subspan(1));
  if (!count) return ReplyHllStatus(ctx, count.status());
  ctx.reply.Integer(static_cast<int64_t>(*count));
}

void PfMergeCmd(CommandContext& ctx) {
  OpStatus status = keyspace::OpPfMerge(ctx.db, ctx.args.subspan(1), SparseMaxBytes(ctx));
  if (status != OpStatus::kOk) return ReplyHllStatus(ctx, status);
  ctx.dirty++;
  ctx.Changed(kNotifyString, "pfadd", ctx.args[1]);
  ctx.reply.Ok();
}

// --- PFDEBUG -------------------------------------------------------------------------------

PfDebugOp ParsePfDebugOp(std::string_view name) {
  if (EqualsNoCase(name, "getreg")) return PfDebugOp::kGetReg;
  if (EqualsNoCase(name, "decode")) return PfDebugOp::kDecode;
  if (EqualsNoCase(name, "encoding")) return PfDebugOp::kEncoding;
  if (EqualsNoCase(name, "todense")) return PfDebugOp::kToDense;
  return PfDebugOp::kCheck;
}

// Redis looks the key up and checks it before it looks at the subcommand, so an unknown
// subcommand on a missing key answers "key does not exist".
void PfDebugCmd(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  PfDebugOp op = ParsePfDebugOp(sub);
  OpResult<keyspace::PfDebugResult> r = keyspace::OpPfDebug(ctx.db, ctx.args[2], op);
  if (!r) {
    if (r.status() == OpStatus::kKeyNotFound) return ctx.reply.Error(errors::kPfDebugNoKey);
    return ReplyHllStatus(ctx, r.status());
  }
  switch (op) {
    case PfDebugOp::kCheck:
      return ctx.reply.Error(errors::WithArg(errors::kPfDebugUnknown, CStringPrefix(sub)));
    case PfDebugOp::kGetReg:
      ctx.reply.ArrayHeader(r->registers.size());
      for (uint8_t v : r->registers) ctx.reply.Integer(v);
      return;
    case PfDebugOp::kDecode:
      if (!r->decoded) return ctx.reply.Error(errors::kPfDebugNotSparse);
      return ctx.reply.Bulk(*r->decoded);
    case PfDebugOp::kEncoding:
      return ctx.reply.SimpleString(r->encoding == hll::Encoding::kDense ? "dense" : "sparse");
    case PfDebugOp::kToDense:
      return ctx.reply.Integer(r->converted ? 1 : 0);
  }
}

// --- PFSELFTEST ----------------------------------------------------------------------------

// Redis's two self tests: dense registers read back what was stored without disturbing their
// neighbours; and sparse and dense HLLs fed the same 10 million elements agree and stay within
// six standard errors at each power of ten.  Returns "" or the failure text.
std::string SelfTestRegisters(std::mt19937_64& rng) {
  std::vector<uint8_t> registers(hll::kDenseSize - hll::kHeaderSize);
  std::vector<uint8_t> expected(hll::kRegisters);
  for (int cycle = 0; cycle < 1000; ++cycle) {
    for (uint32_t i = 0; i < hll::kRegisters; ++i) {
      expected[i] = static_cast<uint8_t>(rng() & hll::kRegisterMax);
      hll::DenseStore(registers.data(), i, expected[i]);
    }
    for (uint32_t i = 0; i < hll::kRegisters; ++i) {
      uint8_t v = hll::DenseGet(registers.data(), i);
      if (v != expected[i]) {
        return "TESTFAILED Register " + std::to_string(i) + " should be " +
               std::to_string(expected[i]) + " but is " + std::to_string(v);
      }
    }
  }
  return "";
}

std::string SelfTestEstimates(std::mt19937_64& rng, size_t sparse_max_bytes) {
  std::string dense(hll::kDenseSize, '\0');
  dense.replace(0, 4, "HYLL");
  std::string sparse = hll::NewSparse();
  const double relative_error = 1.04 / std::sqrt(static_cast<double>(hll::kRegisters));
  uint64_t seed = rng();
  uint64_t checkpoint = 1;
  for (uint64_t j = 1; j <= 10000000; ++j) {
    uint64_t element = j ^ seed;
    char bytes[8];
    for (int k = 0; k < 8; ++k) bytes[k] = static_cast<char>(element >> (8 * k));
    hll::Pattern p = hll::PatternOf(std::string_view(bytes, 8));
    hll::DenseSet(reinterpret_cast<uint8_t*>(dense.data()) + hll::kHeaderSize, p.index, p.count);
    hll::SetRegister(&sparse, p.index, p.count, sparse_max_bytes);
    if (j != checkpoint) continue;
    if (j < sparse_max_bytes / 2 && hll::EncodingOf(sparse) != hll::Encoding::kSparse) {
      return "TESTFAILED sparse encoding not used";
    }
    uint64_t estimate = hll::Count(dense);
    if (estimate != hll::Count(sparse)) return "TESTFAILED dense/sparse disagree";
    uint64_t max_error = j == 10 ? 1 : static_cast<uint64_t>(std::ceil(relative_error * 6 * j));
    uint64_t error = estimate > j ? estimate - j : j - estimate;
    if (error > max_error) {
      return "TESTFAILED Too big error. card:" + std::to_string(j) +
             " abserr:" + std::to_string(error);
    }
    checkpoint *= 10;
  }
  return "";
}

void PfSelfTestCmd(CommandContext& ctx) {
  std::mt19937_64 rng(std::random_device{}());
  std::string failure = SelfTestRegisters(rng);
  if (failure.empty()) failure = SelfTestEstimates(rng, SparseMaxBytes(ctx));
  if (!failure.empty()) return ctx.reply.Error("ERR " + failure);
  ctx.reply.Ok();
}

// --- Registration --------------------------------------------------------------------------

// The table adds @read/@write/@fast/@slow/@admin/@dangerous from the flags (Finalize).
CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments = {}) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclHyperLogLog, handler, "hyperloglog",
                  "2.8.9", complexity, summary, std::move(arguments));
}

using namespace argdoc;  // NOLINT: argument tables read best unqualified

}  // namespace

void RegisterHllFamily(CommandTable* table) {
  table->Add(Spec("pfadd", -2, kWrite | kDenyOom | kFast, KeySpec{1, 1, 1, kKeyRW | kKeyInsert},
                  PfAddCmd, "O(1) per element.",
                  "Counts elements into a HyperLogLog, creating the key when missing.",
                  {Key("key"), Str("element").Opt().Multi()}));
  // RW: with one key the cached cardinality may be written back (Redis's note).
  table->Add(Spec(
      "pfcount", -2, kReadOnly | kMayReplicate,
      KeySpec{.first = 1,
              .last = -1,
              .step = 1,
              .flags = kKeyRW | kKeyAccess,
              .notes = "RW: counting may store the estimate (or a new encoding) back in the key, "
                       "a change that replicas receive"},
      PfCountCmd,
      "O(1) for one key (usually from a cached estimate); O(N) for N keys, which are merged first.",
      "Estimates how many distinct elements HyperLogLogs have seen.", {Key("key").Multi()}));
  CommandSpec pfmerge =
      Spec("pfmerge", -2, kWrite | kDenyOom, KeySpec{1, -1, 1}, PfMergeCmd,
           "O(N) for N HyperLogLogs, each 16 K registers.", "Combines HyperLogLogs into one key.",
           {Key("destkey"), Key("sourcekey").Opt().Multi()});
  pfmerge.key_specs = {KeySpec{1, 1, 1, kKeyRW | kKeyAccess | kKeyInsert},
                       KeySpec{2, -1, 1, kKeyRO | kKeyAccess}};
  table->Add(std::move(pfmerge));
  table->Add(Spec("pfdebug", 3, kWrite | kDenyOom | kAdmin, KeySpec{2, 2, 1, kKeyRW | kKeyAccess},
                  PfDebugCmd, "Not applicable (a test command).",
                  "Inspects the encoding of a HyperLogLog (for tests).",
                  {Str("subcommand"), Key("key")}));
  table->Add(Spec("pfselftest", 1, kAdmin, KeySpec{}, PfSelfTestCmd,
                  "Not applicable (a test command).",
                  "Checks the HyperLogLog code against itself (for tests)."));
}

}  // namespace tessera::server
