#include "core/base/lzf.h"

namespace tessera {

// Each control byte c: c < 32 starts a literal run of c + 1 bytes; otherwise a back reference
// of length (c >> 5) + 2 (an extra length byte follows when that is 7 + 2) at distance
// ((c & 31) << 8) + next byte + 1.
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->clear();
  out->reserve(out_len);
  size_t i = 0;
  while (i < in.size()) {
    auto ctrl = static_cast<unsigned char>(in[i++]);
    if (ctrl < 32) {
      size_t run = size_t{ctrl} + 1;
      if (run > in.size() - i || run > out_len - out->size()) return false;
      out->append(in.substr(i, run));
      i += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (i >= in.size()) return false;
      len += static_cast<unsigned char>(in[i++]);
    }
    len += 2;
    if (i >= in.size()) return false;
    size_t distance = ((size_t{ctrl} & 31) << 8) + static_cast<unsigned char>(in[i++]) + 1;
    if (distance > out->size() || len > out_len - out->size()) return false;
    size_t from = out->size() - distance;
    for (size_t k = 0; k < len; ++k) out->push_back((*out)[from + k]);  // may overlap
  }
  return out->size() == out_len;
}

}  // namespace tessera
