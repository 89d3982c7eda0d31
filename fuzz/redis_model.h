// Plain models of Redis 7.2's request framing and argument splitting, for the fuzz targets to
// compare the real code against.
//
// The real parser is incremental (it keeps its place between reads and never rescans) and the
// real splitter is tuned for one pass; these are the opposite: each call starts from scratch
// at the first unconsumed byte and follows Redis's rules in the most direct way, with no state
// kept between calls.  Parsing the unconsumed input again after every read gives exactly what
// Redis's own incremental parser gives, because its "too big" checks look only at how much is
// buffered when a line end is not found, and that is the same however the input was split.
//
// Slow on purpose (quadratic when fed byte by byte): for fuzzing and tests, never the server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::fuzz {

// sdssplitargs() semantics over a C string: the line ends at its first NUL.  nullopt iff the
// quoting is malformed.
std::optional<std::vector<std::string>> ModelSplitArgs(std::string_view line);

// A double-quoted form of `s` that ModelSplitArgs (and SplitArgs) read back as `s`.
std::string ModelQuote(std::string_view s);

struct ModelLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  bool authenticated = true;
};

enum class ModelStatus { kCommand, kEmpty, kNeedMore, kError };

struct ModelResult {
  ModelStatus status = ModelStatus::kNeedMore;
  size_t consumed = 0;            // bytes used by a command or an empty request
  std::vector<std::string> args;  // kCommand
  std::string error;              // kError: the text after "-ERR "
};

// The first request in `buf`, as Redis 7.2's processInputBuffer() would find it with `buf` as
// its whole unconsumed query buffer.
ModelResult ModelParseOne(std::string_view buf, const ModelLimits& limits);

}  // namespace tessera::fuzz
