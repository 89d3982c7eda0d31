// A strict reader of what a server sends (RESP2 and RESP3 replies and pushes), for the fuzz
// targets that drive the dispatcher: every reply must be well formed, whatever the command.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::fuzz {

// True iff `bytes` is a sequence of complete, well-formed RESP2/RESP3 values and nothing else.
// On false, *where is the offset of the first byte that does not fit.
bool WellFormedReplies(std::string_view bytes, size_t* where);

}  // namespace tessera::fuzz
