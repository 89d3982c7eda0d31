// Fuzz target: the dispatcher and every command handler, fed whole command lines against an
// in-process server (tests/server/command_tester.h: the real Server, ACL, keyspace and
// handlers, no sockets).
//
// Input: one command per line ('\n'), each line split as redis-cli and inline commands split
// it (SplitArgs: quotes and \x escapes, so any bytes can be an argument); a line that does not
// split is skipped; at most 64 commands.  A fresh server per input, so a report replays.
//
// Checks: no crash or sanitizer report; every reply is well-formed RESP2/RESP3 (resp_check.h);
// every error reply starts with an upper-case code, as Redis's do; a command that gives no
// reply is one that blocked or was paused.  Memory is bounded by libFuzzer's -malloc_limit_mb
// and -rss_limit_mb; proto-max-bulk-len is 1mb (its minimum) so that a single SETRANGE or
// SETBIT cannot legitimately ask for 512 MB.
//
// Left out, because in-process they would leave the process or its directory, wait on the
// network, or run unbounded user code (which no input can be blamed for): SHUTDOWN, DEBUG,
// SAVE/BGSAVE/BGREWRITEAOF, MIGRATE, REPLICAOF/SLAVEOF/SYNC/PSYNC/FAILOVER, MONITOR,
// CONFIG SET/REWRITE, ACL SAVE/LOAD, and Lua (EVAL*, FCALL*, FUNCTION LOAD/RESTORE): scripts
// have their own tests, and an endless loop in a script is a timeout, not a bug.
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/ascii.h"
#include "core/base/split_args.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/resp_check.h"
#include "tests/server/command_tester.h"

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool Allowed(const std::vector<std::string>& argv) {
  const std::string cmd = Upper(argv[0]);
  for (std::string_view denied :
       {"SHUTDOWN", "DEBUG", "SAVE", "BGSAVE", "BGREWRITEAOF", "MIGRATE", "REPLICAOF", "SLAVEOF",
        "SYNC", "PSYNC", "FAILOVER", "MONITOR", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL",
        "FCALL_RO", "MODULE"}) {
    if (cmd == denied) return false;
  }
  if (cmd == "PFSELFTEST") return false;  // seconds of work per call, no input in it
  // A negative count asks for that many random members, repeats allowed: Redis streams
  // them to the socket, here they pile up in one reply string.  Huge ones are skipped, except
  // the ranges Redis refuses (LLONG_MIN; with WITHVALUES/WITHSCORES, below -LONG_MAX/2).
  if ((cmd == "SRANDMEMBER" || cmd == "ZRANDMEMBER" || cmd == "HRANDFIELD") && argv.size() >= 3) {
    char* end = nullptr;
    errno = 0;
    long long count = std::strtoll(argv[2].c_str(), &end, 10);
    if (errno == 0 && count < -100000 && count != LLONG_MIN) {
      bool refused = argv.size() >= 4 && count < -(LLONG_MAX / 2);
      if (!refused) return false;
    }
  }
  if (argv.size() < 2) return true;
  const std::string sub = Upper(argv[1]);
  if (cmd == "CONFIG" && (sub == "SET" || sub == "REWRITE")) return false;
  if (cmd == "ACL" && (sub == "SAVE" || sub == "LOAD")) return false;
  if (cmd == "FUNCTION" && (sub == "LOAD" || sub == "RESTORE")) return false;
  // Inside MULTI the same commands would run at EXEC.
  return true;
}

// Every top-level error reply has a code of upper-case letters first ("-ERR ...", "-WRONGTYPE
// ...").  Only top-level: an array may hold errors of its own (EXEC), checked the same way by
// walking is not needed, the RESP check covers their framing.
bool ErrorCodeOk(std::string_view reply) {
  if (reply.empty() || reply[0] != '-') return true;
  size_t i = 1;
  while (i < reply.size() && reply[i] >= 'A' && reply[i] <= 'Z') ++i;
  return i > 1 && i < reply.size() && (reply[i] == ' ' || reply[i] == '\r');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::vector<std::string>> commands;
  size_t start = 0;
  while (start <= input.size() && commands.size() < 64) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::vector<std::string> argv;
    if (tessera::SplitArgs(input.substr(start, end - start), &argv) && !argv.empty()) {
      // MULTI queues commands that EXEC runs later: the deny list applies inside it too.
      if (Allowed(argv)) commands.push_back(std::move(argv));
    }
    start = end + 1;
  }
  if (commands.empty()) return 0;

  using Overrides = std::vector<std::pair<std::string, std::string>>;
  tessera::server::CommandTester t(Overrides{{"proto-max-bulk-len", "1mb"}});
  // A command that answers nothing blocked, was paused, or its client turned replies off: as
  // a real client would wait, the next commands come from a new client.
  int client = 0;
  size_t where = 0;
  for (const auto& argv : commands) {
    std::string reply = t.RunAs(client, argv);
    FUZZ_CHECK(tessera::fuzz::WellFormedReplies(reply, &where),
               "malformed reply to %s at byte %zu: %.200s", argv[0].c_str(), where,
               reply.c_str() + where);
    FUZZ_CHECK(ErrorCodeOk(reply), "error without a code: %.200s", reply.c_str());
    if (reply.empty()) {
      if (client == 7) break;
      client = t.AddClient();
    }
  }
  // What reached the clients later (served blocked commands, Pub/Sub messages).
  for (int i = 0; i <= client; ++i) {
    std::string later = t.TakeDelivered(i);
    const std::string_view closed = "<closed for output limit>";  // the tester's marker
    if (size_t at = later.find(closed); at != std::string::npos) later.erase(at);
    FUZZ_CHECK(tessera::fuzz::WellFormedReplies(later, &where),
               "malformed delivery to client %d at byte %zu", i, where);
  }
  return 0;
}
