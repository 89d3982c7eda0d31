// LZF decompression (liblzf's format), which Redis uses for compressed strings in RDB files
// and DUMP payloads.  Only decompression: what we write is stored uncompressed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera {

// Decompresses `in` into exactly `out_len` bytes.  Returns false on malformed input (a back
// reference before the start, a run past either end, or a different decompressed length).
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

}  // namespace tessera
