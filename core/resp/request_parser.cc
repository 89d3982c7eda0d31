#include "core/resp/request_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/base/numbers.h"
#include "core/base/split_args.h"

// Behaviour follows Redis 7.2's processInlineBuffer() and processMultibulkBuffer(), including
// two leniencies clients may rely on: the byte after a header's '\r' is skipped without being
// checked to be '\n', and so are the two bytes after a bulk's data; and its strchr() line
// search, which stops at a NUL byte (see the header).

namespace tessera::resp {

namespace {

constexpr size_t kNotFound = std::string_view::npos;

// The declared length or count on a header line ("*N" / "$N"), which starts at `start` with
// its marker byte and ends before the '\r' at `cr`.
bool ParseHeaderNumber(std::string_view buf, size_t start, size_t cr, int64_t* out) {
  // The usual header, 1 to 9 digits without a leading zero, is read here; anything else (a
  // sign, a zero, more digits, other bytes) is left to ParseInt64, which judges it as Redis's
  // string2ll.
  const char* p = buf.data() + start + 1;
  const size_t n = cr - start - 1;
  if (n - 1 < 9 && p[0] >= '1' && p[0] <= '9') {
    int64_t v = p[0] - '0';
    size_t i = 1;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; ++i) v = v * 10 + (p[i] - '0');
    if (i == n) {
      *out = v;
      return true;
    }
  }
  return ParseInt64(buf.substr(start + 1, n), out);
}

}  // namespace

ParseStatus RequestParser::Parse(std::string_view buf, const ParserLimits& limits,
                                 size_t* consumed) {
  *consumed = 0;
  // A result was returned last time, or the caller handed us less than we already parsed
  // (it dropped its buffer without calling Reset()): either way, start a new command.
  if (finished_ || pos_ > buf.size() || scan_ > buf.size()) Reset();
  buf_size_ = buf.size();
  if (!inline_ && !in_multibulk_) {
    if (buf.empty()) return ParseStatus::kNeedMore;
    if (buf[0] == '*') {
      in_multibulk_ = true;
    } else {
      inline_ = true;
    }
  }
  return inline_ ? ParseInline(buf, consumed) : ParseMultibulk(buf, limits, consumed);
}

std::string_view RequestParser::Arg(std::string_view buf, size_t i) const {
  if (inline_) return inline_args_[i];
  return buf.substr(args_[i].offset, args_[i].length);
}

std::string_view RequestParser::Verbatim(std::string_view buf) const {
  if (inline_ || args_.empty()) return {};
  // The '\r' of every header line was found by searching for it, and the bytes are
  // contiguous ("*N\r\n", then "$len\r\n" data "\r\n" per argument); what was never looked
  // at is the byte after each header's '\r' and the two bytes after each argument's data.
  const char* p = buf.data();
  const size_t first = args_[0].offset;
  size_t header_size = 4;  // the first argument's "$len\r\n" (canonical digits)
  for (size_t n = args_[0].length; n >= 10; n /= 10) ++header_size;
  if (first < header_size + 1 || p[first - header_size - 1] != '\n') return {};
  for (const ArgSpan& a : args_) {
    const size_t end = a.offset + a.length;
    if (p[a.offset - 1] != '\n' || p[end] != '\r' || p[end + 1] != '\n') return {};
  }
  return buf.substr(0, pos_);
}

size_t RequestParser::ReserveHint() const {
  if (finished_ || !in_multibulk_ || bulk_len_ < 0) return 0;
  uint64_t end = pos_ + static_cast<uint64_t>(bulk_len_) + 2;  // data and its CRLF
  if (end <= buf_size_) return 0;
  return static_cast<size_t>(std::min<uint64_t>(end - buf_size_, kMaxReserveHint));
}

size_t RequestParser::PendingBulkBytes() const {
  if (finished_ || !in_multibulk_ || bulk_len_ < 0) return 0;
  uint64_t end = pos_ + static_cast<uint64_t>(bulk_len_) + 2;
  return end <= buf_size_ ? 0 : static_cast<size_t>(end - buf_size_);
}

void RequestParser::Reset() {
  in_multibulk_ = false;
  multibulk_len_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  scan_ = 0;
  finished_ = false;
  // The list keeps a small capacity (set by received arguments, never by declared counts)
  // for the next command, and gives back what one huge command made it take.  Its capacity
  // passes kKeptArgs only when its size does, so the size is the test.
  if (args_.size() > kKeptArgs) std::vector<ArgSpan>().swap(args_);
  args_.clear();
  if (inline_) inline_args_.clear();
  inline_ = false;
  error_.clear();
}

ParseStatus RequestParser::Fail(std::string message) {
  error_ = std::move(message);
  finished_ = true;
  return ParseStatus::kError;
}

// Inlined into its three callers: it runs for every line of every command.
[[gnu::always_inline]] inline size_t RequestParser::FindFromScan(std::string_view buf, char c) {
  // Parked on a NUL: the line cannot end before it, whatever follows (strchr stops there).
  if (scan_ < buf.size() && buf[scan_] == '\0') return kNotFound;
  const char* from = buf.data() + scan_;
  size_t left = buf.size() - scan_;
  const char* hit = static_cast<const char*>(std::memchr(from, c, left));
  scanned_bytes_ += hit == nullptr ? left : static_cast<size_t>(hit - from) + 1;
  if (hit == nullptr) {
    scan_ = buf.size();
    return kNotFound;
  }
  scan_ = static_cast<size_t>(hit - buf.data());
  return scan_;
}

bool RequestParser::HeldByNul(std::string_view buf, size_t start, size_t end) {
  scanned_bytes_ += end - start;
  const void* nul = std::memchr(buf.data() + start, '\0', end - start);
  if (nul == nullptr) return false;
  scan_ = static_cast<size_t>(static_cast<const char*>(nul) - buf.data());
  return true;
}

ParseStatus RequestParser::Unfinished(std::string_view buf, size_t start,
                                      std::string_view too_big) {
  if (buf.size() - start > kInlineMaxSize) return Fail(std::string(too_big));
  return ParseStatus::kNeedMore;
}

ParseStatus RequestParser::HeaderNotReady(std::string_view buf, size_t start, size_t cr,
                                          std::string_view too_big) {
  if (cr == kNotFound) return Unfinished(buf, start, too_big);
  // The byte after the '\r' is still to come.  Past the size limit, though, Redis fails now
  // if its search stopped at a NUL before this '\r'.
  if (buf.size() - start > kInlineMaxSize && HeldByNul(buf, start, cr)) {
    return Unfinished(buf, start, too_big);
  }
  return ParseStatus::kNeedMore;
}

ParseStatus RequestParser::ParseInline(std::string_view buf, size_t* consumed) {
  size_t from = scan_;
  size_t newline = FindFromScan(buf, '\n');
  // Inline lines are checked for a NUL as they are searched (they are not the hot path):
  // Redis's search would have stopped at one.
  size_t searched = newline == kNotFound ? scan_ : newline;
  if (searched > from && HeldByNul(buf, from, searched)) newline = kNotFound;
  if (newline == kNotFound) return Unfinished(buf, 0, "Protocol error: too big inline request");
  size_t line_end = (newline > 0 && buf[newline - 1] == '\r') ? newline - 1 : newline;
  // ArgBuffer's offsets are 32-bit.  Only a single read of 4 GiB could make such a line.
  if (line_end > UINT32_MAX) return Fail("Protocol error: too big inline request");
  if (!SplitArgs(buf.substr(0, line_end), &inline_args_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  *consumed = newline + 1;
  finished_ = true;
  return inline_args_.empty() ? ParseStatus::kEmpty : ParseStatus::kCommand;
}

ParseStatus RequestParser::ParseMultibulk(std::string_view buf, const ParserLimits& limits,
                                          size_t* consumed) {
  constexpr std::string_view kTooBigCount = "Protocol error: too big mbulk count string";
  if (multibulk_len_ == 0) {
    size_t cr = FindFromScan(buf, '\r');
    if (cr == kNotFound || cr + 2 > buf.size()) return HeaderNotReady(buf, 0, cr, kTooBigCount);
    int64_t count;
    if (!ParseHeaderNumber(buf, 0, cr, &count) || count > INT_MAX) {
      // A valid count holds no NUL, so only a line that fails is looked at for one.
      if (HeldByNul(buf, 0, cr)) return Unfinished(buf, 0, kTooBigCount);
      return Fail("Protocol error: invalid multibulk length");
    }
    if (!limits.authenticated && count > kUnauthMaxMultibulk) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = scan_ = cr + 2;
    if (count <= 0) {
      *consumed = pos_;
      finished_ = true;
      return ParseStatus::kEmpty;
    }
    multibulk_len_ = count;
  }

  // args_ grows one received argument at a time; nothing is reserved from multibulk_len_.
  while (static_cast<int64_t>(args_.size()) < multibulk_len_) {
    ParseStatus stop;
    if (bulk_len_ < 0 && !ReadBulkHeader(buf, limits, &stop)) return stop;
    if (buf.size() - pos_ < static_cast<uint64_t>(bulk_len_) + 2) return ParseStatus::kNeedMore;
    args_.push_back({pos_, static_cast<size_t>(bulk_len_)});
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    scan_ = pos_;
    bulk_len_ = -1;
  }
  *consumed = pos_;
  finished_ = true;
  return ParseStatus::kCommand;
}

bool RequestParser::ReadBulkHeader(std::string_view buf, const ParserLimits& limits,
                                   ParseStatus* stop) {
  constexpr std::string_view kTooBigBulk = "Protocol error: too big bulk count string";
  size_t cr = FindFromScan(buf, '\r');
  if (cr == kNotFound || cr + 2 > buf.size()) {
    *stop = HeaderNotReady(buf, pos_, cr, kTooBigBulk);
    return false;
  }
  bool dollar = buf[pos_] == '$';
  int64_t len;
  if (!dollar || !ParseHeaderNumber(buf, pos_, cr, &len) || len < 0 ||
      len > limits.max_bulk_len) {
    // As for the count: only a line that fails is looked at for a NUL.
    if (HeldByNul(buf, pos_, cr)) {
      *stop = Unfinished(buf, pos_, kTooBigBulk);
    } else if (!dollar) {
      // Redis's error replies turn CR and LF into spaces; do it here so Error() is safe as is.
      char got = (buf[pos_] == '\r' || buf[pos_] == '\n') ? ' ' : buf[pos_];
      *stop = Fail(std::string("Protocol error: expected '$', got '") + got + "'");
    } else {
      *stop = Fail("Protocol error: invalid bulk length");
    }
    return false;
  }
  if (!limits.authenticated && len > kUnauthMaxBulk) {
    *stop = Fail("Protocol error: unauthenticated bulk length");
    return false;
  }
  pos_ = scan_ = cr + 2;
  bulk_len_ = len;
  return true;
}

}  // namespace tessera::resp
