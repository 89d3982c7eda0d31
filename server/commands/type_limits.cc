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

types::ListLimits ListLimitsOf(const CommandContext& ctx) {
  types::ListLimits l;
  l.fill = Load(ctx.server.config().list_max_listpack_size);
  l.packed_threshold = Load(ctx.server.list_packed_threshold);
  return l;
}

types::HashLimits HashLimitsOf(const CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return types::HashLimits{Load(c.hash_max_listpack_entries), Load(c.hash_max_listpack_value)};
}

types::SetLimits SetLimitsOf(const CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  types::SetLimits l;
  l.max_intset_entries = Load(c.set_max_intset_entries);
  l.max_listpack_entries = Load(c.set_max_listpack_entries);
  l.max_listpack_value = Load(c.set_max_listpack_value);
  return l;
}

types::ZSetLimits ZSetLimitsOf(const CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  types::ZSetLimits l;
  l.max_listpack_entries = Load(c.zset_max_listpack_entries);
  l.max_listpack_value = Load(c.zset_max_listpack_value);
  return l;
}

types::StreamLimits StreamLimitsOf(const CommandContext& ctx) {
  const ServerConfig& c = ctx.server.config();
  return types::StreamLimits{Load(c.stream_node_max_bytes), Load(c.stream_node_max_entries)};
}

}  // namespace tessera::server
