#include "server/commands/type_limits.h"

#include <atomic>

#include "server/server.h"

namespace tessera::server {

namespace {
template <typename T>
T Load(const std::atomic<T>& v) {
  return v.load(std::memory_order_relaxed);
}
}  // namespace

types::ListLimits ListLimitsOf(const CommandContext& ctx) { return ListLimitsOf(ctx.server); }

types::ListLimits ListLimitsOf(const Server& server) {
  types::ListLimits l;
  l.fill = Load(server.config().list_max_listpack_size);
  l.packed_threshold = Load(server.list_packed_threshold);
  return l;
}

types::HashLimits HashLimitsOf(const CommandContext& ctx) { return HashLimitsOf(ctx.server); }

types::HashLimits HashLimitsOf(const Server& server) {
  const ServerConfig& c = server.config();
  return types::HashLimits{Load(c.hash_max_listpack_entries), Load(c.hash_max_listpack_value)};
}

types::SetLimits SetLimitsOf(const CommandContext& ctx) { return SetLimitsOf(ctx.server); }

types::SetLimits SetLimitsOf(const Server& server) {
  const ServerConfig& c = server.config();
  types::SetLimits l;
  l.max_intset_entries = Load(c.set_max_intset_entries);
  l.max_listpack_entries = Load(c.set_max_listpack_entries);
  l.max_listpack_value = Load(c.set_max_listpack_value);
  return l;
}

types::ZSetLimits ZSetLimitsOf(const CommandContext& ctx) { return ZSetLimitsOf(ctx.server); }

types::ZSetLimits ZSetLimitsOf(const Server& server) {
  const ServerConfig& c = server.config();
  types::ZSetLimits l;
  l.max_listpack_entries = Load(c.zset_max_listpack_entries);
  l.max_listpack_value = Load(c.zset_max_listpack_value);
  return l;
}

types::StreamLimits StreamLimitsOf(const CommandContext& ctx) { return StreamLimitsOf(ctx.server); }

types::StreamLimits StreamLimitsOf(const Server& server) {
  const ServerConfig& c = server.config();
  return types::StreamLimits{Load(c.stream_node_max_bytes), Load(c.stream_node_max_entries)};
}

}  // namespace tessera::server
