// The ACL check's cost per command: the dispatcher's fast path for a user with every
// permission (the default user), against the full check of a restricted user (command bit,
// key pattern, a few selectors).  The fast path must be a rounding error next to a command.
#include <benchmark/benchmark.h>

#include <memory>
#include <string_view>
#include <vector>

#include "server/acl/acl_check.h"
#include "server/config/config.h"
#include "server/server.h"

namespace {

using tessera::server::ArgList;
using tessera::server::ClientState;
using tessera::server::ConfigRegistry;
using tessera::server::NeedsAclCheck;
using tessera::server::Server;

struct Fixture {
  Fixture() : server(&registry) {
    std::vector<std::string_view> rules{"on",   "nopass", "~key:*",           "&*",
                                        "+get", "+set",   "(~other:* +hget)", "(%R~ro:* +@read)"};
    server.acl().SetUser("bench", rules);
  }
  ConfigRegistry registry;
  Server server;
};

Fixture& F() {
  static Fixture* f = new Fixture;
  return *f;
}

// What every command of the default user pays: one atomic load, one flag test.
void BM_FastPathDefaultUser(benchmark::State& state) {
  Fixture& f = F();
  ClientState client;
  for (auto _ : state) benchmark::DoNotOptimize(NeedsAclCheck(f.server, client));
}
BENCHMARK(BM_FastPathDefaultUser);

void BM_FullCheckRestricted(benchmark::State& state) {
  Fixture& f = F();
  auto user = f.server.acl().Find("bench");
  const auto* spec = f.server.commands().Find(state.range(0) == 0 ? "get" : "set");
  std::vector<std::string_view> args = {spec->name, "key:000012345", "value"};
  ArgList argv(args.data(), state.range(0) == 0 ? 2 : 3);
  int index = 0;
  for (auto _ : state) benchmark::DoNotOptimize(user->Check(*spec, argv, &index));
}
BENCHMARK(BM_FullCheckRestricted)->Arg(0)->Arg(1);

// A denial found in the last selector (every selector is tried).
void BM_FullCheckDeniedKey(benchmark::State& state) {
  Fixture& f = F();
  auto user = f.server.acl().Find("bench");
  const auto* spec = f.server.commands().Find("get");
  std::vector<std::string_view> args = {"get", "nomatch:000012345"};
  int index = 0;
  for (auto _ : state) benchmark::DoNotOptimize(user->Check(*spec, args, &index));
}
BENCHMARK(BM_FullCheckDeniedKey);

}  // namespace
