#include "fuzz/redis_model.h"

#include <climits>

namespace tessera::fuzz {

namespace {

constexpr size_t kNone = std::string_view::npos;
constexpr size_t kInlineMax = 64 * 1024;  // PROTO_INLINE_MAX_SIZE

bool CSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int Hex(char c) {
  if ('0' <= c && c <= '9') return c - '0';
  if ('a' <= c && c <= 'f') return 10 + c - 'a';
  if ('A' <= c && c <= 'F') return 10 + c - 'A';
  return -1;
}

// string2ll(): an optional '-', then "0" alone or a digit 1-9 and more digits, in range.
bool StrictInt(std::string_view s, long long* out) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty()) return false;
  if (digits == "0" && !negative) {
    *out = 0;
    return true;
  }
  if (digits[0] < '1' || digits[0] > '9') return false;
  unsigned long long v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    if (v > (ULLONG_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (negative) {
    if (v > static_cast<unsigned long long>(LLONG_MAX) + 1) return false;
    *out = static_cast<long long>(0 - v);
  } else {
    if (v > static_cast<unsigned long long>(LLONG_MAX)) return false;
    *out = static_cast<long long>(v);
  }
  return true;
}

// strchr() from `from`: the first `c`, or kNone when a NUL or the end comes first.
size_t CFind(std::string_view buf, size_t from, char c) {
  for (size_t i = from; i < buf.size(); ++i) {
    if (buf[i] == c) return i;
    if (buf[i] == '\0') return kNone;
  }
  return kNone;
}

ModelResult Error(std::string text) {
  ModelResult r;
  r.status = ModelStatus::kError;
  r.error = "Protocol error: " + std::move(text);
  return r;
}

ModelResult NeedMore() { return ModelResult{}; }

ModelResult ParseInline(std::string_view buf) {
  size_t newline = CFind(buf, 0, '\n');
  if (newline == kNone) {
    return buf.size() > kInlineMax ? Error("too big inline request") : NeedMore();
  }
  size_t end = newline;
  if (end > 0 && buf[end - 1] == '\r') --end;
  std::optional<std::vector<std::string>> args = ModelSplitArgs(buf.substr(0, end));
  if (!args) return Error("unbalanced quotes in request");
  ModelResult r;
  r.consumed = newline + 1;
  r.status = args->empty() ? ModelStatus::kEmpty : ModelStatus::kCommand;
  r.args = std::move(*args);
  return r;
}

ModelResult ParseMultibulk(std::string_view buf, const ModelLimits& limits) {
  size_t cr = CFind(buf, 0, '\r');
  if (cr == kNone) {
    return buf.size() > kInlineMax ? Error("too big mbulk count string") : NeedMore();
  }
  if (cr + 2 > buf.size()) return NeedMore();
  long long count;
  if (!StrictInt(buf.substr(1, cr - 1), &count) || count > INT_MAX) {
    return Error("invalid multibulk length");
  }
  if (!limits.authenticated && count > 10) return Error("unauthenticated multibulk length");
  size_t pos = cr + 2;
  ModelResult r;
  if (count <= 0) {
    r.status = ModelStatus::kEmpty;
    r.consumed = pos;
    return r;
  }
  for (long long k = 0; k < count; ++k) {
    size_t end = CFind(buf, pos, '\r');
    if (end == kNone) {
      return buf.size() - pos > kInlineMax ? Error("too big bulk count string") : NeedMore();
    }
    if (end + 2 > buf.size()) return NeedMore();
    if (buf[pos] != '$') {
      char shown = buf[pos] == '\r' || buf[pos] == '\n' ? ' ' : buf[pos];
      return Error(std::string("expected '$', got '") + shown + "'");
    }
    long long len;
    if (!StrictInt(buf.substr(pos + 1, end - pos - 1), &len) || len < 0 ||
        len > limits.max_bulk_len) {
      return Error("invalid bulk length");
    }
    if (!limits.authenticated && len > 16384) return Error("unauthenticated bulk length");
    pos = end + 2;
    if (buf.size() - pos < static_cast<unsigned long long>(len) + 2) return NeedMore();
    r.args.emplace_back(buf.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len) + 2;
  }
  r.status = ModelStatus::kCommand;
  r.consumed = pos;
  return r;
}

}  // namespace

std::optional<std::vector<std::string>> ModelSplitArgs(std::string_view line) {
  line = line.substr(0, line.find('\0'));
  // Reading past the end gives NUL, as it would in a C string.
  auto at = [&](size_t i) { return i < line.size() ? line[i] : '\0'; };
  enum class Mode { kPlain, kDouble, kSingle };
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    while (at(i) != '\0' && CSpace(at(i))) ++i;
    if (at(i) == '\0') return out;
    std::string current;
    Mode mode = Mode::kPlain;
    bool done = false;
    while (!done) {
      char c = at(i);
      if (mode == Mode::kPlain) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
          done = true;
        } else if (c == '"') {
          mode = Mode::kDouble;
        } else if (c == '\'') {
          mode = Mode::kSingle;
        } else {
          current += c;
        }
      } else if (c == '\0') {
        return std::nullopt;  // a quote still open at the end
      } else if (mode == Mode::kDouble) {
        if (c == '\\' && at(i + 1) == 'x' && Hex(at(i + 2)) >= 0 && Hex(at(i + 3)) >= 0) {
          current += static_cast<char>(Hex(at(i + 2)) * 16 + Hex(at(i + 3)));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          char e = at(i);
          current += e == 'n'   ? '\n'
                     : e == 'r' ? '\r'
                     : e == 't' ? '\t'
                     : e == 'b' ? '\b'
                     : e == 'a' ? '\a'
                                : e;
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !CSpace(at(i + 1))) return std::nullopt;
          done = true;
        } else {
          current += c;
        }
      } else {  // single quotes
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          current += '\'';
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !CSpace(at(i + 1))) return std::nullopt;
          done = true;
        } else {
          current += c;
        }
      }
      if (c != '\0') ++i;
    }
    out.push_back(std::move(current));
  }
}

std::string ModelQuote(std::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kDigits[u >> 4];
      out += kDigits[u & 15];
    }
  }
  out += '"';
  return out;
}

ModelResult ModelParseOne(std::string_view buf, const ModelLimits& limits) {
  if (buf.empty()) return NeedMore();
  return buf[0] == '*' ? ParseMultibulk(buf, limits) : ParseInline(buf);
}

}  // namespace tessera::fuzz
