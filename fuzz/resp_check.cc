#include "fuzz/resp_check.h"

#include <cstdint>

namespace tessera::fuzz {

namespace {

class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}

  size_t pos() const { return pos_; }
  bool done() const { return pos_ == b_.size(); }

  // One value; `depth` guards against runaway nesting.
  bool Value(int depth) {
    if (depth > 64 || pos_ >= b_.size()) return false;
    char type = b_[pos_++];
    std::string_view line;
    if (!Line(&line)) return false;
    switch (type) {
      case '+':
      case '-':
        return true;
      case ':':
        return Integer(line, nullptr);
      case '_':
        return line.empty();
      case '#':
        return line == "t" || line == "f";
      case ',':
        return !line.empty();
      case '(':
        return !line.empty();
      case '$':
      case '=':
      case '!': {
        int64_t n;
        if (!Integer(line, &n)) return false;
        if (n == -1 && type == '$') return true;
        if (n < 0 || static_cast<uint64_t>(n) > b_.size() - pos_) return false;
        pos_ += static_cast<size_t>(n);
        return Crlf();
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        int64_t n;
        if (!Integer(line, &n)) return false;
        if (n == -1 && type == '*') return true;
        if (n < 0) return false;
        int64_t items = (type == '%' || type == '|') ? 2 * n : n;
        for (int64_t i = 0; i < items; ++i) {
          if (!Value(depth + 1)) return false;
        }
        // An attribute precedes the value it describes.
        return type == '|' ? Value(depth + 1) : true;
      }
      default:
        return false;
    }
  }

 private:
  bool Line(std::string_view* line) {
    size_t end = b_.find("\r\n", pos_);
    if (end == std::string_view::npos) return false;
    *line = b_.substr(pos_, end - pos_);
    if (line->find('\n') != std::string_view::npos || line->find('\r') != std::string_view::npos) {
      return false;
    }
    pos_ = end + 2;
    return true;
  }
  bool Crlf() {
    if (b_.substr(pos_, 2) != "\r\n") return false;
    pos_ += 2;
    return true;
  }
  static bool Integer(std::string_view s, int64_t* out) {
    if (s.empty() || s.size() > 20) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') {
      neg = true;
      i = 1;
      if (s.size() == 1) return false;
    }
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      uint64_t d = static_cast<uint64_t>(s[i] - '0');
      if (v > (UINT64_MAX - d) / 10) return false;
      v = v * 10 + d;
    }
    if (!neg && v > static_cast<uint64_t>(INT64_MAX)) return false;
    if (neg && v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    if (out != nullptr) *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return true;
  }

  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

bool WellFormedReplies(std::string_view bytes, size_t* where) {
  Reader r(bytes);
  while (!r.done()) {
    size_t start = r.pos();
    if (!r.Value(0)) {
      *where = start;
      return false;
    }
  }
  return true;
}

}  // namespace tessera::fuzz
