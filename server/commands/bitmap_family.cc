// The bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
//
// Bitmaps are string values.  Writes run one operation of core/keyspace/bitmap_ops.h; reads
// fetch the string with OpGetString and apply the pure functions of core/base/bitmap.h.
//
// The order of checks follows Redis 7.2 (bitops.c) because it decides which reply a client
// sees when several apply.  BITCOUNT and BITPOS look the key up before reading their range, so
// a missing key answers 0 (BITPOS: 0 or -1) whatever follows it, and WRONGTYPE wins over a
// malformed range; every other command reads all its arguments first.  Quirks kept on purpose:
// BITCOUNT answers 0 for two negative indexes with start > end before it reads BYTE|BIT;
// BITPOS reads BYTE|BIT before its end index; BITFIELD_RO refuses writes only after every
// subcommand parsed.
#include <optional>
#include <string_view>
#include <vector>

#include "core/base/bitmap.h"
#include "core/keyspace/bitmap_ops.h"
#include "core/keyspace/string_ops.h"
#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/server.h"

namespace tessera::server {

namespace {

using keyspace::BitfieldOp;
using keyspace::Entry;

// Parses a bit offset as Redis's getBitOffsetFromArgument does: an int64, where "#N" means
// N * hash_bits when hash_bits > 0 (BITFIELD's field index); refused when negative, when its
// byte is at or past proto-max-bulk-len, or (unlike Redis, where it is undefined) when N *
// hash_bits overflows.  On failure replies the offset error and returns false.
bool ParseBitOffsetOrReply(CommandContext& ctx, std::string_view arg, int hash_bits,
                           uint64_t* out) {
  bool field_index = hash_bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t offset;
  bool ok = ParseInt64(field_index ? arg.substr(1) : arg, &offset) &&
            !(field_index && __builtin_mul_overflow(offset, hash_bits, &offset));
  int64_t max_bytes = ctx.server.config().proto_max_bulk_len.load(std::memory_order_relaxed);
  if (!ok || offset < 0 || (offset >> 3) >= max_bytes) {
    ctx.reply.Error(errors::kBitOffsetOutOfRange);
    return false;
  }
  *out = static_cast<uint64_t>(offset);
  return true;
}

// BITCOUNT's and BITPOS's unit: BYTE or BIT, any case.
bool ParseUnit(std::string_view arg, bool* in_bits) {
  *in_bits = EqualsNoCase(arg, "BIT");
  return *in_bits || EqualsNoCase(arg, "BYTE");
}

// The string of `key` for a read, into *value (empty when the key is missing).  Returns false
// after replying WRONGTYPE; *found tells a missing key from an empty string.
bool ReadStringOrReply(CommandContext& ctx, char* int_buf, std::string_view* value, bool* found) {
  OpResult<const Entry*> e = keyspace::OpGetString(ctx.db, ctx.args[1]);
  if (!e) {
    ReplyStatus(ctx, e.status());
    return false;
  }
  *found = *e != nullptr;
  *value = *found ? (*e)->StringValue(int_buf) : std::string_view();
  return true;
}

// --- SETBIT / GETBIT -----------------------------------------------------------------------

void SetBitCmd(CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffsetOrReply(ctx, ctx.args[2], 0, &offset)) return;
  int64_t bit;
  if (!ParseInt64(ctx.args[3], &bit) || (bit & ~int64_t{1}) != 0) {
    return ctx.reply.Error(errors::kBitOutOfRange);
  }
  bool changed = false;
  OpResult<bool> previous = keyspace::OpSetBit(ctx.db, ctx.args[1], offset, bit == 1, &changed);
  if (!previous) return ReplyStatus(ctx, previous.status());
  if (changed) {
    ctx.dirty++;
    ctx.Changed(kNotifyString, "setbit", ctx.args[1]);
  }
  ctx.reply.Integer(*previous ? 1 : 0);
}

void GetBitCmd(CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffsetOrReply(ctx, ctx.args[2], 0, &offset)) return;
  char buf[24];
  std::string_view value;
  bool found;
  if (!ReadStringOrReply(ctx, buf, &value, &found)) return;
  ctx.reply.Integer(GetBit(value, offset) ? 1 : 0);
}

// --- BITCOUNT / BITPOS ---------------------------------------------------------------------

// BITCOUNT key [start end [BYTE|BIT]]
void BitCountCmd(CommandContext& ctx) {
  char buf[24];
  std::string_view value;
  bool found;
  if (!ReadStringOrReply(ctx, buf, &value, &found)) return;
  if (!found) return ctx.reply.Integer(0);
  size_t argc = ctx.args.size();
  if (argc == 2) return ctx.reply.Integer(static_cast<int64_t>(CountBits(value)));
  if (argc != 4 && argc != 5) return ctx.reply.Error(errors::kSyntax);
  BitRange range;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &range.start)) return;
  if (!ParseIntArgOrReply(ctx, ctx.args[3], &range.end)) return;
  // Both from the end and crossed: empty, whatever the string's length.
  if (range.start < 0 && range.end < 0 && range.start > range.end) return ctx.reply.Integer(0);
  if (argc == 5 && !ParseUnit(ctx.args[4], &range.in_bits)) {
    return ctx.reply.Error(errors::kSyntax);
  }
  std::optional<BitSpan> span = ResolveBitRange(value.size(), range);
  ctx.reply.Integer(span ? static_cast<int64_t>(CountBits(value, *span)) : 0);
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void BitPosCmd(CommandContext& ctx) {
  int64_t bit;
  if (!ParseIntArgOrReply(ctx, ctx.args[2], &bit)) return;
  if (bit != 0 && bit != 1) return ctx.reply.Error(errors::kBitArgument);
  char buf[24];
  std::string_view value;
  bool found;
  if (!ReadStringOrReply(ctx, buf, &value, &found)) return;
  // A missing key is an endless run of zeros.
  if (!found) return ctx.reply.Integer(bit == 1 ? -1 : 0);
  size_t argc = ctx.args.size();
  if (argc > 6) return ctx.reply.Error(errors::kSyntax);
  BitRange range;  // the whole string unless narrowed
  bool end_given = argc >= 5;
  if (argc >= 4 && !ParseIntArgOrReply(ctx, ctx.args[3], &range.start)) return;
  if (argc == 6 && !ParseUnit(ctx.args[5], &range.in_bits)) {
    return ctx.reply.Error(errors::kSyntax);
  }
  if (end_given && !ParseIntArgOrReply(ctx, ctx.args[4], &range.end)) return;
  std::optional<BitSpan> span = ResolveBitRange(value.size(), range);
  if (!span) return ctx.reply.Integer(-1);
  int64_t pos = FindBit(value, bit == 1, *span);
  // Looking for a 0 with no end given, the string counts as zero-padded on the right: the
  // first bit past it is the answer.
  if (pos == -1 && bit == 0 && !end_given) pos = static_cast<int64_t>(span->last + 1);
  ctx.reply.Integer(pos);
}

// --- BITOP ---------------------------------------------------------------------------------

// BITOP AND|OR|XOR|NOT destkey key [key ...]
void BitOpCmd(CommandContext& ctx) {
  std::string_view name = ctx.args[1];
  keyspace::BitOp op;
  if (EqualsNoCase(name, "AND")) {
    op = keyspace::BitOp::kAnd;
  } else if (EqualsNoCase(name, "OR")) {
    op = keyspace::BitOp::kOr;
  } else if (EqualsNoCase(name, "XOR")) {
    op = keyspace::BitOp::kXor;
  } else if (EqualsNoCase(name, "NOT")) {
    op = keyspace::BitOp::kNot;
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  if (op == keyspace::BitOp::kNot && ctx.args.size() != 4) {
    return ctx.reply.Error(errors::kBitopNotSingleKey);
  }
  bool existed = ctx.db.Find(ctx.args[2], /*touch=*/false) != nullptr;
  OpResult<size_t> length = keyspace::OpBitOp(ctx.db, op, ctx.args[2], ctx.args.subspan(3));
  if (!length) return ReplyStatus(ctx, length.status());
  if (*length > 0 || existed) ctx.dirty++;
  if (*length > 0) {
    ctx.Changed(kNotifyString, "set", ctx.args[2]);
  } else if (existed) {
    ctx.Changed(kNotifyGeneric, "del", ctx.args[2]);
  }
  ctx.reply.Integer(static_cast<int64_t>(*length));
}

// --- BITFIELD / BITFIELD_RO ----------------------------------------------------------------

// Reads BITFIELD's subcommands from args[2] on.  OVERFLOW applies to the SET and INCRBY that
// follow it.  Replies the first error and returns false.
bool ParseBitfieldOrReply(CommandContext& ctx, std::vector<BitfieldOp>* ops) {
  ArgList args = ctx.args;
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
  for (size_t i = 2; i < args.size(); ++i) {
    size_t remaining = args.size() - i - 1;
    std::string_view sub = args[i];
    BitfieldOp op;
    if (EqualsNoCase(sub, "GET") && remaining >= 2) {
      op.kind = BitfieldOp::Kind::kGet;
    } else if (EqualsNoCase(sub, "SET") && remaining >= 3) {
      op.kind = BitfieldOp::Kind::kSet;
    } else if (EqualsNoCase(sub, "INCRBY") && remaining >= 3) {
      op.kind = BitfieldOp::Kind::kIncrBy;
    } else if (EqualsNoCase(sub, "OVERFLOW") && remaining >= 1) {
      std::string_view mode = args[++i];
      if (EqualsNoCase(mode, "WRAP")) {
        overflow = BitfieldOverflow::kWrap;
      } else if (EqualsNoCase(mode, "SAT")) {
        overflow = BitfieldOverflow::kSat;
      } else if (EqualsNoCase(mode, "FAIL")) {
        overflow = BitfieldOverflow::kFail;
      } else {
        ctx.reply.Error(errors::kBitfieldOverflowType);
        return false;
      }
      continue;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
    if (!ParseBitfieldType(args[i + 1], &op.type)) {
      ctx.reply.Error(errors::kBitfieldType);
      return false;
    }
    if (!ParseBitOffsetOrReply(ctx, args[i + 2], op.type.bits, &op.offset)) return false;
    if (op.kind != BitfieldOp::Kind::kGet && !ParseIntArgOrReply(ctx, args[i + 3], &op.value)) {
      return false;
    }
    op.overflow = overflow;
    ops->push_back(op);
    i += op.kind == BitfieldOp::Kind::kGet ? 2 : 3;
  }
  return true;
}

void BitfieldGeneric(CommandContext& ctx, bool read_only) {
  std::vector<BitfieldOp> ops;
  if (!ParseBitfieldOrReply(ctx, &ops)) return;
  if (read_only) {
    for (const BitfieldOp& op : ops) {
      if (op.kind != BitfieldOp::Kind::kGet) return ctx.reply.Error(errors::kBitfieldRoWrite);
    }
  }
  auto results = keyspace::OpBitfield(ctx.db, ctx.args[1], ops);
  if (!results) return ReplyStatus(ctx, results.status());
  int64_t dirty_before = ctx.dirty;
  for (size_t i = 0; i < ops.size() && i < results->size(); ++i) {
    if (ops[i].kind != BitfieldOp::Kind::kGet && (*results)[i]) ctx.dirty++;
  }
  if (ctx.dirty > dirty_before) ctx.Changed(kNotifyString, "setbit", ctx.args[1]);
  ctx.reply.ArrayHeader(results->size());
  for (const std::optional<int64_t>& r : *results) {
    if (r) {
      ctx.reply.Integer(*r);
    } else {
      ctx.reply.Null();  // an overflow refused under OVERFLOW FAIL
    }
  }
}

void BitfieldCmd(CommandContext& ctx) { BitfieldGeneric(ctx, false); }
void BitfieldRoCmd(CommandContext& ctx) { BitfieldGeneric(ctx, true); }

// --- Registration --------------------------------------------------------------------------

// The dispatcher's table adds @read/@write/@fast/@slow from the flags (Finalize).
CommandSpec Spec(std::string name, int arity, uint32_t flags, KeySpec keys, Handler handler,
                 std::string_view since, std::string_view complexity, std::string_view summary,
                 std::vector<ArgDoc> arguments) {
  return MakeSpec(std::move(name), arity, flags, keys, kAclBitmap, handler, "bitmap", since,
                  complexity, summary, std::move(arguments));
}

using namespace argdoc;  // NOLINT: argument tables read best unqualified

ArgDoc UnitArg() {
  return OneOf("unit", {PureToken("byte", "BYTE"), PureToken("bit", "BIT")}).Opt();
}

ArgDoc BitfieldGetArg() { return Block("get-block", {Str("encoding"), Int("offset")}).Tok("GET"); }

std::vector<ArgDoc> BitfieldArgs() {
  ArgDoc overflow = OneOf("overflow-block", {PureToken("wrap", "WRAP"), PureToken("sat", "SAT"),
                                             PureToken("fail", "FAIL")})
                        .Tok("OVERFLOW")
                        .Opt();
  ArgDoc write_op = OneOf(
      "write-operation",
      {Block("set-block", {Str("encoding"), Int("offset"), Int("value")}).Tok("SET"),
       Block("incrby-block", {Str("encoding"), Int("offset"), Int("increment")}).Tok("INCRBY")});
  return {
      Key("key"),
      OneOf("operation", {BitfieldGetArg(), Block("write", {overflow, write_op})}).Opt().Multi()};
}

constexpr KeySpec kOneKey{1, 1, 1};
constexpr std::string_view kO1 = "O(1)";
constexpr std::string_view kON = "O(N)";

}  // namespace

namespace {

// Only GET (and OVERFLOW) subcommands: the key is only read (Redis's bitfieldGetKeys).
uint32_t BitfieldKeyFlags(ArgList args) {
  bool read_only = true;
  for (size_t i = 2; i < args.size(); ++i) {
    size_t more = args.size() - i - 1;
    if (EqualsIgnoreCase(args[i], "get") && more >= 2) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "overflow") && more >= 1) {
      i += 1;
    } else {
      read_only = false;  // a write, or a syntax error: assume it writes
      break;
    }
  }
  return read_only ? kKeyRO | kKeyAccess : kKeyRW | kKeyAccess | kKeyUpdate;
}

}  // namespace

void RegisterBitmapFamily(CommandTable* table) {
  const uint32_t kW = kWrite | kDenyOom;
  const uint32_t kR = kReadOnly;
  table->Add(Spec("setbit", 4, kW, kOneKey, SetBitCmd, "2.2.0", kO1,
                  "Sets or clears one bit of a key's string and returns the bit it held, "
                  "growing the string with zeros as needed.",
                  {Key("key"), Int("offset"), Int("value")}));
  table->Add(Spec("getbit", 3, kR | kFast, kOneKey, GetBitCmd, "2.2.0", kO1,
                  "Returns one bit of a key's string, zero past its end.",
                  {Key("key"), Int("offset")}));
  table->Add(Spec("bitcount", -2, kR, kOneKey, BitCountCmd, "2.6.0", kON,
                  "Counts the bits set to one in a key's string, or in a byte or bit range of it.",
                  {Key("key"), Block("range", {Int("start"), Int("end"), UnitArg()}).Opt()}));
  table->Add(
      Spec("bitpos", -3, kR, kOneKey, BitPosCmd, "2.8.7", kON,
           "Returns the position of the first bit with a given value in a key's string, "
           "optionally within a byte or bit range.",
           {Key("key"), Int("bit"),
            Block("range", {Int("start"), Block("end-unit-block", {Int("end"), UnitArg()}).Opt()})
                .Opt()}));

  CommandSpec bitop =
      Spec("bitop", -4, kW, KeySpec{2, -1, 1}, BitOpCmd, "2.6.0", kON,
           "Stores at a destination key the AND, OR, XOR or NOT of the strings of source keys.",
           {OneOf("operation", {PureToken("and", "AND"), PureToken("or", "OR"),
                                PureToken("xor", "XOR"), PureToken("not", "NOT")}),
            Key("destkey"), Key("key").Multi()});
  bitop.key_specs = {KeySpec{2, 2, 1, kKeyOW | kKeyUpdate}, KeySpec{3, -1, 1, kKeyRO | kKeyAccess}};
  table->Add(std::move(bitop));

  // Redis marks the key's flags variable: a BITFIELD of GETs only reads.
  CommandSpec bitfield = Spec(
      "bitfield", -2, kW,
      KeySpec{.first = 1,
              .last = 1,
              .step = 1,
              .flags = kKeyRW | kKeyUpdate | kKeyAccess | kKeyVariableFlags,
              .notes = "RW, ACCESS and UPDATE: GET reads the string, SET and INCRBY change it"},
      BitfieldCmd, "3.2.0", "O(1) per subcommand.",
      "Reads, writes and increments integers of any width up to 64 bits at "
      "arbitrary bit offsets of a key's string.",
      BitfieldArgs());
  bitfield.key_flags_for_args = BitfieldKeyFlags;
  table->Add(std::move(bitfield));
  table->Add(Spec("bitfield_ro", -2, kR | kFast, kOneKey, BitfieldRoCmd, "6.0.0",
                  "O(1) per subcommand.",
                  "Reads integers at arbitrary bit offsets of a key's string, without writing.",
                  {Key("key"), BitfieldGetArg().Opt().Multi().MultiToken()}));
}

}  // namespace tessera::server
