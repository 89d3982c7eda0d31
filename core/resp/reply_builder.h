// Writes RESP2 or RESP3 replies into a byte buffer that the caller owns (the connection's
// output buffer, or a string in tests).
//
// Handlers describe replies by shape (array, map, set, double, null...) and the builder picks
// the wire form for the connection's protocol: a map is "*2N" in RESP2 and "%N" in RESP3, a
// null is "$-1" or "_", a double is a bulk string or ",".  Nothing here knows about sockets.
//
// Aggregates whose length is unknown up front (KEYS, SCAN) use StartDeferred()/EndDeferred(),
// which inserts the header once the count is known.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::resp {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }
  void set_protocol(int p) { protocol_ = p; }
  std::string* buffer() { return out_; }

  void SimpleString(std::string_view s);  // "+s\r\n"
  void Ok() { out_->append("+OK\r\n"); }
  // `message` is the full text after '-', e.g. "ERR syntax error"; CR/LF in it are replaced by
  // spaces so a reply can never be split (the Lua error_reply injection, CVE-2025-67733).
  void Error(std::string_view message);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // missing value: "$-1" / "_"
  void NullArray();  // missing aggregate: "*-1" / "_"
  void ArrayHeader(size_t n);
  void MapHeader(size_t n);  // n key-value pairs
  void SetHeader(size_t n);
  void PushHeader(size_t n);
  void Double(double d);
  // A double already formatted by the caller (GEOPOS's "%.17Lf" coordinates): a bulk string in
  // RESP2, "," in RESP3.  REQUIRES: `text` holds no CR or LF.
  void DoubleText(std::string_view text);
  void Bool(bool b);
  void Verbatim(std::string_view text, std::string_view format = "txt");
  void BigNumber(std::string_view digits);
  void EmptyArray() { out_->append("*0\r\n"); }

  // Deferred aggregate: StartDeferred() remembers the position; EndDeferred(kind, n) writes
  // the header there.  Kind is 'A' array, 'M' map (n pairs), 'S' set.
  size_t StartDeferred() const { return out_->size(); }
  void EndDeferred(size_t position, char kind, size_t n);

 private:
  void Header(char marker, size_t n);
  std::string* out_;
  int protocol_;
};

}  // namespace tessera::resp
