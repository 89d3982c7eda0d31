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

}  // namespace tessera
