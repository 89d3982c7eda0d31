// Splits a line into arguments the way Redis's sdssplitargs() does: used for inline commands
// and for redis.conf lines, which share the syntax.
//
// Blanks separate arguments.  "double quotes" support \xHH, \n \r \t \b \a and \<any> escapes;
// 'single quotes' support \' only.  A closing quote must be followed by a blank or the end of
// the line, otherwise the line is malformed (Redis: "unbalanced quotes").
//
// sdssplitargs() reads a C string, so the line ends at its first NUL byte: what follows is
// not looked at, and a quote still open there is unbalanced.  We do the same.  (A NUL inside
// an argument is written as "\x00" in double quotes.)  Over the network Redis never hands the
// splitter a NUL, because its line search (strchr) stops there first; see request_parser.h.
//
// Cost: one pass over the line; every step consumes at least one byte, so the work and the
// bytes stored are linear in the line's length whatever it holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// Arguments stored back to back in one buffer: two allocations however many there are, and
// no more bytes than the line itself plus four per argument.
class ArgBuffer {
 public:
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::string_view operator[](size_t i) const {
    size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_).substr(begin, ends_[i] - begin);
  }
  // Keeps up to kKeptCapacity bytes of buffers for the next line, never a huge line's.
  void clear() {
    if (bytes_.capacity() + ends_.capacity() * sizeof(uint32_t) > kKeptCapacity) {
      std::string().swap(bytes_);
      std::vector<uint32_t>().swap(ends_);
    }
    bytes_.clear();
    ends_.clear();
  }
  static constexpr size_t kKeptCapacity = 64 * 1024;

 private:
  friend bool SplitArgs(std::string_view line, ArgBuffer* out);
  std::string bytes_;
  std::vector<uint32_t> ends_;  // end offset of each argument in bytes_
};

// Returns false (and leaves *out in an unspecified state) iff the quoting is malformed.
// REQUIRES: line.size() < 4 GiB (argument offsets are 32-bit).
bool SplitArgs(std::string_view line, ArgBuffer* out);
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

// The inverse, as Redis's sdscatrepr writes it: a double-quoted string with escapes that
// SplitArgs reads back as `s` (CONFIG REWRITE lines, AOF manifest file names).
std::string QuoteArg(std::string_view s);

}  // namespace tessera
