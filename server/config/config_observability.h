// Special directives of the observability features: latency-tracking-info-percentiles (Redis
// 7.2) and key-ttl-policy (Tessera).  Internal to server/config: the table in
// config_table.cc names these functions.
#pragma once

#include <span>
#include <string>

#include "server/config/config_table.h"

namespace tessera::server {

// latency-tracking-info-percentiles: percentiles in [0, 100]; a single "" means none.
bool SetLatencyPercentiles(SetContext& ctx, std::span<const std::string> args, bool* changed,
                           std::string* err);
std::string GetLatencyPercentiles(const ServerConfig& c);
void RewriteLatencyPercentiles(const ConfigRegistry::Entry& e, const ServerConfig& c,
                               std::string_view def, ConfigRewriter* rw);

// key-ttl-policy: <glob> <default-seconds> <max-seconds> triples.  In a file each line adds its
// triples; CONFIG SET replaces the whole list (a single "" clears it).
bool SetKeyTtlPolicy(SetContext& ctx, std::span<const std::string> args, bool* changed,
                     std::string* err);
std::string GetKeyTtlPolicy(const ServerConfig& c);
void RewriteKeyTtlPolicy(const ConfigRegistry::Entry& e, const ServerConfig& c,
                         std::string_view def, ConfigRewriter* rw);

}  // namespace tessera::server
