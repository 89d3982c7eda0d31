#pragma once

namespace tessera::server {

// Tessera's own version (INFO tessera_version) and the Redis version it is compatible with
// (INFO redis_version, HELLO version): client libraries gate features on the latter.
inline constexpr const char* kRedisCompatVersion = "7.2.4";
const char* TesseraVersion();

}  // namespace tessera::server
