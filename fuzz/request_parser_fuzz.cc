// Fuzz target: RequestParser (core/resp) against the model of Redis's framing, with the input
// arriving in reads whose sizes the input chooses.
//
// Input: byte 0 holds options (bit 0: the client is not authenticated; bit 1:
// proto-max-bulk-len is 16; bit 2: a last read of 64 KiB + 1 of one filler byte, chosen by
// bits 3-5, so the "too big" limits are reached), bytes 1-8 seed the read sizes, and the rest
// is what the client sends.
//
// The model is given the client's bytes as one read (then the filler as a second): below the
// 64 KiB limits, where Redis's answers cannot depend on how input is split into reads, the
// parser fed read by read must report what the model reports for the whole.  Checks: the same
// commands, empty requests and errors, in the same order, and the same unconsumed bytes;
// "need more" consumed nothing; a result consumed at least one byte and no more than there
// was; the reserve hint is capped; the line searches examined at most 3 bytes per byte
// received; the parser requested at most 10 bytes of memory per byte received, plus 1 KiB.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "core/resp/request_parser.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/redis_model.h"
#include "tests/core/alloc_counter.h"

namespace {

using tessera::fuzz::ModelLimits;
using tessera::fuzz::ModelParseOne;
using tessera::fuzz::ModelResult;
using tessera::fuzz::ModelStatus;
using tessera::resp::ParserLimits;
using tessera::resp::ParseStatus;
using tessera::resp::RequestParser;

constexpr char kFillers[] = {'a', ' ', '\0', '\r', '\n', '*', '$', '"'};

struct Client {
  std::string buf;  // bytes received; the unconsumed ones start at `start`
  size_t start = 0;
  std::vector<std::string> log;  // "arg|arg", "<empty>", "<error:...>"
  bool closed = false;

  std::string_view unconsumed() const { return std::string_view(buf).substr(start); }
};

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += '|';
    out += args[i];
  }
  return out;
}

void FeedParser(RequestParser& parser, const ParserLimits& limits, Client& c, size_t* metered) {
  while (!c.closed) {
    size_t consumed = 99;
    ParseStatus st;
    {
      tessera::testing::AllocationCounter meter;
      st = parser.Parse(c.unconsumed(), limits, &consumed);
      *metered += meter.bytes();
    }
    FUZZ_CHECK(parser.ReserveHint() <= tessera::resp::kMaxReserveHint);
    if (st == ParseStatus::kNeedMore) {
      FUZZ_CHECK(consumed == 0);
      return;
    }
    if (st == ParseStatus::kError) {
      c.log.push_back("<error:" + parser.Error() + ">");
      c.closed = true;
      return;
    }
    FUZZ_CHECK(consumed > 0 && consumed <= c.unconsumed().size(), "consumed %zu of %zu", consumed,
               c.unconsumed().size());
    if (st == ParseStatus::kEmpty) {
      c.log.push_back("<empty>");
    } else {
      std::vector<std::string> args;
      for (size_t i = 0; i < parser.ArgCount(); ++i) {
        args.emplace_back(parser.Arg(c.unconsumed(), i));
      }
      c.log.push_back(Join(args));
    }
    c.start += consumed;
  }
}

void FeedModel(const ModelLimits& limits, Client& c) {
  while (!c.closed) {
    ModelResult r = ModelParseOne(c.unconsumed(), limits);
    if (r.status == ModelStatus::kNeedMore) return;
    if (r.status == ModelStatus::kError) {
      c.log.push_back("<error:" + r.error + ">");
      c.closed = true;
      return;
    }
    c.log.push_back(r.status == ModelStatus::kEmpty ? "<empty>" : Join(r.args));
    c.start += r.consumed;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  const uint8_t options = data[0];
  uint64_t seed;
  std::memcpy(&seed, data + 1, sizeof(seed));
  std::string_view input(reinterpret_cast<const char*>(data) + 9, size - 9);

  ParserLimits limits;
  limits.authenticated = (options & 1) == 0;
  if (options & 2) limits.max_bulk_len = 16;
  ModelLimits model_limits;
  model_limits.authenticated = limits.authenticated;
  model_limits.max_bulk_len = limits.max_bulk_len;

  std::vector<std::string_view> reads;
  tessera::SplitMix64 rng(seed);
  for (size_t off = 0; off < input.size();) {
    uint64_t kind = rng.Below(4);
    size_t n = kind == 0 ? input.size() - off
                         : 1 + rng.Below(kind == 1   ? 4
                                         : kind == 2 ? 64
                                                     : 1024);
    n = std::min(n, input.size() - off);
    reads.push_back(input.substr(off, n));
    off += n;
  }
  const std::string filler(options & 4 ? 64 * 1024 + 1 : 0, kFillers[(options >> 3) & 7]);

  RequestParser parser;
  Client real, model;
  size_t received = 0, metered = 0;
  auto same = [&](const char* when) {
    FUZZ_CHECK(real.log == model.log && real.closed == model.closed &&
                   (real.closed || real.unconsumed() == model.unconsumed()),
               "%s, %zu bytes: parser gave %zu results (last: %s), model %zu (last: %s)", when,
               received, real.log.size(), real.log.empty() ? "-" : real.log.back().c_str(),
               model.log.size(), model.log.empty() ? "-" : model.log.back().c_str());
  };
  for (std::string_view read : reads) {
    if (real.closed) break;
    received += read.size();
    real.buf += read;
    FeedParser(parser, limits, real, &metered);
  }
  model.buf = input;
  FeedModel(model_limits, model);
  same("client's bytes");
  if (!filler.empty() && !real.closed) {
    received += filler.size();
    real.buf += filler;
    model.buf += filler;
    FeedParser(parser, limits, real, &metered);
    FeedModel(model_limits, model);
    same("filler");
  }
  FUZZ_CHECK(parser.ScannedBytes() <= 3 * received, "scanned %llu of %zu bytes",
             static_cast<unsigned long long>(parser.ScannedBytes()), received);
  FUZZ_CHECK(metered <= 10 * received + 1024, "allocated %zu for %zu bytes", metered, received);
  return 0;
}
