// SHA-256 for ACL passwords: Redis stores a user's passwords as the 64 lower-case hex digits
// of their SHA-256 (ACL LIST, ACL GETUSER and the ACL file show them), so ours must be the same
// digest.  Computed by OpenSSL's libcrypto, like sha1.h.
//
// ConstantTimeEquals compares two byte strings of the same length in time that depends only
// on the length (CRYPTO_memcmp), so a password check leaks nothing through its timing.
#pragma once

#include <string>
#include <string_view>

namespace tessera {

// The 64 lower-case hex digits of SHA-256(s).
std::string Sha256Hex(std::string_view s);

// True iff a == b.  Time depends on the sizes only; strings of different sizes are unequal
// (the caller compares digests, whose size is public).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tessera
