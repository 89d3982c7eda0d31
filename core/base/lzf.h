// LZF compression and decompression, which Redis uses for compressed strings in RDB files and DUMP
// payloads: a std::string-shaped wrapper over Debian's liblzf (which core links; streams also use
// it to pack closed nodes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera {

// Decompresses `in` into exactly `out_len` bytes.  Returns false on malformed input (a back
// reference before the start, a run past either end, or a different decompressed length).
bool LzfDecompress(std::string_view in, size_t out_len, std::string* out);

// Compresses `in` into *out iff the result is at most `max_out` bytes; returns false (and
// leaves *out empty) when it would be longer, as liblzf reports.  RDB writers pass
// in.size() - 4 (Redis's rule: compress only when it saves more than 4 bytes).
bool LzfCompress(std::string_view in, size_t max_out, std::string* out);

}  // namespace tessera
