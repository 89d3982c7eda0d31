// LZF decompression, which Redis uses for compressed strings in RDB files and DUMP payloads:
// a std::string-shaped wrapper over Debian's liblzf (which core links; streams also use it to
// pack closed nodes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera {

// Decompresses `in` into exactly `out_len` bytes.  Returns false on malformed input (a back
// reference before the start, a run past either end, or a different decompressed length).
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

}  // namespace tessera
