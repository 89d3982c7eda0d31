// Incremental parser for client requests: RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
// and inline commands ("GET k\r\n"), with Redis 7.2's limits and error strings.
//
// Approach: the caller owns the input buffer and calls Parse() with everything unconsumed.
// The parser keeps its progress (which argument it is in, where each finished argument lies)
// between calls, so a command that arrives in many reads is scanned once, not once per read.
// Arguments are reported as offsets into the buffer, because the caller may grow (move) the
// buffer between calls; views are made only once the command is complete.
//
// "Need more" consumes nothing: *consumed stays 0 until a whole command is parsed, and the
// caller must pass the same bytes again, followed by new ones.  The parser never allocates
// from a client-declared length: the offset list grows with arguments actually received, and
// the expected-bytes hint is capped (kMaxReserveHint).
//
// NUL bytes: Redis finds line ends with strchr(), which stops at a NUL.  So a NUL before the
// end of an inline line or of a "*N" / "$N" header means, to Redis, that the line has not
// ended yet: it waits for more, and past kInlineMaxSize unconsumed bytes fails with the "too
// big ..." error.  We answer the same, byte for byte.  Inside a bulk's data a NUL is an
// ordinary byte (lengths, not searches, delimit it).
//
// The NUL rule costs nothing on the hot path: a header line ("*N", "$N") is looked at for a
// NUL only when it fails to parse (a valid one cannot hold one); an inline line is checked
// as it is searched.
//
// Cost, for any input however it is split into calls: each byte is examined at most three
// times by the line searches (once for the line end, at most twice for a NUL; ScannedBytes()
// counts them), once more by the inline splitter, and nothing else loops over input.
// Memory: the offset list grows only with arguments received (16 bytes each; a bulk takes at
// least 6 bytes of input), and an inline line is unquoted into one buffer no longer than the
// line, plus 4 bytes of offset per argument.
//
// Thread rules: one parser per connection, used by the connection's worker only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/split_args.h"

namespace tessera::resp {

// Redis's PROTO_INLINE_MAX_SIZE: longest inline command, and longest "*N" / "$N" line.
inline constexpr size_t kInlineMaxSize = 64 * 1024;
// Limits for connections that have not authenticated yet (CVE-2021-32675).
inline constexpr int64_t kUnauthMaxMultibulk = 10;
inline constexpr int64_t kUnauthMaxBulk = 16384;
// Largest reservation the caller should make ahead of received data.
inline constexpr size_t kMaxReserveHint = 64 * 1024;
// Argument offsets kept allocated between commands (16 bytes each).
inline constexpr size_t kKeptArgs = 1024;

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  bool authenticated = true;
};

enum class ParseStatus {
  kCommand,   // a command is complete: Args() holds it, *consumed says how many bytes it used
  kEmpty,     // an empty inline line or "*0"/"*-1": consume *consumed bytes, run nothing
  kNeedMore,  // incomplete: nothing consumed; call again with more bytes appended
  kError,     // protocol error: Error() holds the text; reply it and close the connection
};

struct ArgSpan {
  size_t offset;  // from the start of the buffer passed to Parse()
  size_t length;
};

class RequestParser {
 public:
  // Parses the next command at the start of `buf`.  See ParseStatus for the outcomes.
  ParseStatus Parse(std::string_view buf, const ParserLimits& limits, size_t* consumed);

  // Valid after kCommand until the next Parse() call.  Inline commands are unquoted into an
  // internal buffer, so always read arguments through Arg(), never through raw offsets.
  size_t ArgCount() const { return inline_ ? inline_args_.size() : args_.size(); }
  std::string_view Arg(std::string_view buf, size_t i) const;
  // Valid after kCommand: the command's bytes at the start of `buf` when they are exactly the
  // RESP encoding of its arguments (what persistence::AppendRespCommand would write for them),
  // so the write log may copy them instead of encoding the arguments again; "" otherwise (an
  // inline command, or a multibulk whose line ends are not all CRLF: like Redis, the parser
  // skips the two bytes after each line's '\r' and after each bulk's data without looking).
  // The numbers on "*N" and "$N" lines are canonical already: ParseInt64 refuses "+", leading
  // zeros and blanks.
  // Checks those bytes when called, so parsing pays nothing for it.
  std::string_view Verbatim(std::string_view buf) const;

  // Valid after kError: the message without "-ERR " or CRLF, e.g.
  // "Protocol error: invalid bulk length".
  const std::string& Error() const { return error_; }

  // While kNeedMore inside a large bulk argument: how many more bytes the current argument
  // needs, capped at kMaxReserveHint.  0 when unknown.
  size_t ReserveHint() const;
  // The bytes still missing of the bulk being read (its data and CRLF), uncapped; 0 when no
  // bulk is partly read.  A caller may reserve them at once for a big argument, as Redis does.
  size_t PendingBulkBytes() const;
  // Bytes of a partly received command already parsed (its headers and whole arguments); 0
  // between commands.  What Redis no longer counts in CLIENT LIST's qbuf.
  size_t ParsedBytes() const { return finished_ || !in_multibulk_ ? 0 : pos_; }

  // Forgets any partial progress (e.g. after the caller discarded its buffer).
  void Reset();

  // Bytes examined by the line searches since construction: at most three times the bytes
  // ever handed over, so tests and the fuzzer can check that parsing work stays linear.
  uint64_t ScannedBytes() const { return scanned_bytes_; }

 private:
  ParseStatus ParseInline(std::string_view buf, size_t* consumed);
  ParseStatus ParseMultibulk(std::string_view buf, const ParserLimits& limits,
                             size_t* consumed);
  ParseStatus Fail(std::string message);
  // Looks for `c` in buf from scan_ on.  Returns its index, or npos after moving scan_ to the
  // end of buf, so that no byte is searched twice however the command is split into reads.
  // Returns npos at once while scan_ is parked on a NUL (see HeldByNul).
  size_t FindFromScan(std::string_view buf, char c);
  // Whether buf[start, end) holds a NUL, i.e. whether Redis's strchr() would have stopped
  // before `end`.  If so, parks scan_ on it: the line can never end, and later calls cost
  // nothing until the size limit fails it.
  bool HeldByNul(std::string_view buf, size_t start, size_t end);
  // A line that starts at `start` has no end yet: kNeedMore, or past kInlineMaxSize bytes,
  // the `too_big` error.
  ParseStatus Unfinished(std::string_view buf, size_t start, std::string_view too_big);
  // The "*N" or "$N" line at `start` is not complete: its '\r' (at `cr`, or npos) or the
  // byte after it is missing.  Returns kNeedMore, or kError past the size limit.
  ParseStatus HeaderNotReady(std::string_view buf, size_t start, size_t cr,
                             std::string_view too_big);
  // Reads the "$N" line at pos_.  Returns true once it is read; otherwise *stop says why not
  // (kNeedMore or kError).
  bool ReadBulkHeader(std::string_view buf, const ParserLimits& limits, ParseStatus* stop);

  // Progress of the multibulk command being parsed.
  bool in_multibulk_ = false;
  int64_t multibulk_len_ = 0;   // declared argument count, 0 until "*N" is read
  int64_t bulk_len_ = -1;       // declared length of the current argument, -1 before "$N"
  size_t pos_ = 0;              // next unparsed byte of buf
  size_t scan_ = 0;             // where the search for the current line's end resumes
  size_t buf_size_ = 0;         // buf.size() at the last call, for ReserveHint()
  bool finished_ = false;       // the last call returned a result: start afresh next time
  std::vector<ArgSpan> args_;
  bool inline_ = false;
  ArgBuffer inline_args_;
  std::string error_;
  uint64_t scanned_bytes_ = 0;
};

}  // namespace tessera::resp
