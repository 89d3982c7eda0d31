#include "core/base/lzf.h"

#include <lzf.h>

namespace tessera {

bool LzfDecompress(std::string_view in, size_t out_len, std::string* out) {
  out->assign(out_len, '\0');
  // liblzf checks every back reference and run against both buffers and returns 0 (or a
  // shorter length) for malformed input.
  const unsigned int n = lzf_decompress(in.data(), static_cast<unsigned int>(in.size()),
                                        out->data(), static_cast<unsigned int>(out_len));
  if (n != out_len || in.size() > UINT32_MAX || out_len > UINT32_MAX) {
    out->clear();
    return false;
  }
  return true;
}

bool LzfCompress(std::string_view in, size_t max_out, std::string* out) {
  out->clear();
  if (in.empty() || max_out == 0 || in.size() > UINT32_MAX) return false;
  out->resize(max_out);
  const unsigned int n = lzf_compress(in.data(), static_cast<unsigned int>(in.size()), out->data(),
                                      static_cast<unsigned int>(max_out));
  if (n == 0) {
    out->clear();
    return false;
  }
  out->resize(n);
  return true;
}

}  // namespace tessera
