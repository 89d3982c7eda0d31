// DEBUG MALLCTL and DEBUG MALLCTL-STR: jemalloc's mallctl() namespace, read and written by
// name, as Redis built with jemalloc offers them (unit/memefficiency asks for arenas.page
// and flushes the thread cache with `thread.tcache.flush VOID`).
//
// mallctl() checks that the caller's buffer has the control's size, so an integer of the
// wrong width is refused (EINVAL) rather than misread: MALLCTL tries 8, 4 and 1 bytes.  A
// string is a char* of the same size as a size_t, which mallctl cannot tell apart; Redis
// crashes on `MALLCTL-STR arenas.page`.  Here MALLCTL-STR reads or writes a string only for
// the controls jemalloc 5.3 documents as strings (others answer EINVAL); VOID, which passes
// no value at all, is safe with any control.
#include <jemalloc/jemalloc.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/numbers.h"
#include "server/commands/command.h"

namespace tessera::server {

namespace {

void ReplyErrno(CommandContext& ctx, int err) {
  ctx.reply.Error(std::string("ERR ") + std::strerror(err));
}

// Controls whose value is a `const char*` in jemalloc 5.3 (arena.<i>.dss has any arena index).
bool IsStringControl(const std::string& name) {
  static constexpr std::array<std::string_view, 12> kNames = {"version",
                                                              "opt.dss",
                                                              "opt.metadata_thp",
                                                              "opt.percpu_arena",
                                                              "opt.thp",
                                                              "opt.prof_prefix",
                                                              "opt.stats_print_opts",
                                                              "opt.stats_interval_opts",
                                                              "opt.zero_realloc",
                                                              "thread.prof.name",
                                                              "prof.dump",
                                                              "prof.prefix"};
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return name.starts_with("arena.") && name.ends_with(".dss");
}

// 0 if `name` exists in mallctl's namespace, else its errno (ENOENT).
int Exists(const std::string& name) {
  size_t mib[8];
  size_t depth = 8;
  return mallctlnametomib(name.c_str(), mib, &depth);
}

}  // namespace

// DEBUG MALLCTL <name> [<integer>]: the old value; a write-only control set answers OK.
void DebugMallctlInt(CommandContext& ctx) {
  const std::string name(ctx.args[2]);
  const bool write = ctx.args.size() > 3;
  int64_t value = 0;
  if (write && !ParseInt64(ctx.args[3], &value)) {
    return ctx.reply.Error("ERR value is not an integer or out of range");
  }
  if (int err = Exists(name)) return ReplyErrno(ctx, err);
  for (size_t width : {size_t{8}, size_t{4}, size_t{1}}) {
    uint64_t old = 0;
    size_t old_len = width;
    uint64_t in8 = static_cast<uint64_t>(value);
    uint32_t in4 = static_cast<uint32_t>(value);
    uint8_t in1 = static_cast<uint8_t>(value);
    void* in = width == 8   ? static_cast<void*>(&in8)
               : width == 4 ? static_cast<void*>(&in4)
                            : static_cast<void*>(&in1);
    int err = mallctl(name.c_str(), &old, &old_len, write ? in : nullptr, write ? width : 0);
    if (err == EPERM && write) {  // write-only: set it without reading
      err = mallctl(name.c_str(), nullptr, nullptr, in, width);
      if (err == 0) return ctx.reply.Ok();
    }
    if (err == EINVAL) continue;  // another width
    if (err != 0) return ReplyErrno(ctx, err);
    // Little-endian: the low `width` bytes of `old` hold the value.
    if (width == 4) old &= 0xFFFFFFFFu;
    if (width == 1) old &= 0xFFu;
    return ctx.reply.Integer(static_cast<int64_t>(old));
  }
  ReplyErrno(ctx, EINVAL);
}

// DEBUG MALLCTL-STR <name> [<string>|VOID]: the old value if it can be read, else OK once
// written (VOID: the control is invoked with no value).
void DebugMallctlStr(CommandContext& ctx) {
  const std::string name(ctx.args[2]);
  const bool write = ctx.args.size() > 3;
  const bool is_void = write && ctx.args[3] == "VOID";
  if (int err = Exists(name)) return ReplyErrno(ctx, err);
  const bool typed = IsStringControl(name);
  if (!typed && !is_void) return ReplyErrno(ctx, EINVAL);
  const char* old = nullptr;
  size_t old_len = sizeof(old);
  int read_err = typed ? mallctl(name.c_str(), &old, &old_len, nullptr, 0) : EPERM;
  std::string old_value = read_err == 0 && old != nullptr ? old : "";
  if (read_err != 0 && !(read_err == EPERM && write)) return ReplyErrno(ctx, read_err);
  int write_err = 0;
  if (write) {
    std::string value(ctx.args[3]);
    const char* in = value.c_str();
    write_err = is_void ? mallctl(name.c_str(), nullptr, nullptr, nullptr, 0)
                        : mallctl(name.c_str(), nullptr, nullptr, &in, sizeof(in));
  }
  if (read_err == 0) return ctx.reply.Bulk(old_value);
  if (write_err != 0) return ReplyErrno(ctx, write_err);
  ctx.reply.Ok();
}

}  // namespace tessera::server
