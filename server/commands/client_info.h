// One client described as CLIENT LIST and CLIENT INFO print it ("id=7 addr=... cmd=get ..."),
// Redis's catClientInfoString(): also used in log lines about a client.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::server {

class Server;
struct ClientState;

// REQUIRES: `c` stays registered during the call (its own worker, or ClientRegistry::ForEach).
std::string ClientInfoLine(Server& server, const ClientState& c, int64_t now_ms);

}  // namespace tessera::server
