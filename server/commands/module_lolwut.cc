// MODULE and LOLWUT: the two commands of Redis 7.2 that Tessera answers without the machinery
// behind them in Redis.
//
// MODULE: Tessera loads no modules (it has no module API).  MODULE LIST answers the empty list
// and LOAD/LOADEX/UNLOAD fail with Redis's own errors (a failed load, an unknown module), so
// tools that probe for modules see a server without any.  LOAD, LOADEX and UNLOAD are
// protected by enable-module-command as in Redis (the dispatcher checks it).
//
// LOLWUT: a piece of generative art and the version line.  The drawings are our own: version 5
// lays mosaic tiles whose shade drifts from one corner to the other, version 6 draws a tide of
// waves; any other version prints the version line only, as Redis does for versions without
// art.
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "server/commands/args.h"
#include "server/commands/command.h"
#include "server/commands/errors.h"
#include "server/log.h"
#include "server/version.h"

namespace tessera::server {

namespace {

constexpr std::string_view kModuleLoadFailed =
    "ERR Error loading the extension. Please check the server logs.";

void ModuleList(CommandContext& ctx) { ctx.reply.ArrayHeader(0); }

void ModuleLoad(CommandContext& ctx) {
  Log(LogLevel::kWarning, "Module {} failed to load: this server does not load modules",
      ctx.args[2]);
  ctx.reply.Error(kModuleLoadFailed);
}

void ModuleUnload(CommandContext& ctx) {
  constexpr std::string_view kReason = "no such module with that name";
  Log(LogLevel::kWarning, "Error unloading module {}: {}", ctx.args[2], kReason);
  ctx.reply.Error(fmt::format("ERR Error unloading module: {}", kReason));
}

void ModuleHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "LIST",
                     "    The loaded modules (always none: this server loads no modules).",
                     "LOAD <path> [<arg> ...]",
                     "    Load the module at <path> with optional arguments (always refused).",
                     "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
                     "    Load a module with configuration values and arguments (refused).",
                     "UNLOAD <name>",
                     "    Unload the module called <name>.",
                 });
}

// ---- LOLWUT ----

std::string VersionLine() {
  return fmt::format("Tessera ver. {}, speaking Redis {}.\n", TesseraVersion(),
                     kRedisCompatVersion);
}

// Reads integer arguments from `first` on into `values` (those given), clamping each to its
// range; false after replying the error of a non-integer.
bool ReadArtArgs(CommandContext& ctx, ArgList args, size_t first,
                 std::initializer_list<std::pair<int64_t*, std::pair<int64_t, int64_t>>> values) {
  size_t i = first;
  for (const auto& [out, range] : values) {
    if (i >= args.size()) break;
    if (!ParseIntArgOrReply(ctx, args[i++], out)) return false;
    *out = std::clamp(*out, range.first, range.second);
  }
  return true;
}

// Version 5: `rows` x `cols` tiles of `size` characters square (two columns per row of
// height, so tiles look square in a terminal).  Each tile is a frame of light shade filled
// with a glyph that darkens with the tile's distance from the top-left corner, and a ripple
// that shifts the darkest tiles one step back, so that the mosaic reads as a slope with grain.
std::string MosaicArt(int64_t size, int64_t cols, int64_t rows) {
  static constexpr std::string_view kShades[] = {" ",      "\u00b7", "\u2591",
                                                 "\u2592", "\u2593", "\u2588"};
  constexpr int kLevels = static_cast<int>(std::size(kShades));
  std::string out;
  double span = static_cast<double>(cols + rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t y = 0; y < size; ++y) {
      for (int64_t c = 0; c < cols; ++c) {
        double slope = static_cast<double>(r + c) / span;
        int ripple = ((r * 7 + c * 3) % 5 == 0) ? 1 : 0;
        int level = std::clamp(static_cast<int>(slope * kLevels) - ripple, 0, kLevels - 1);
        for (int64_t x = 0; x < 2 * size; ++x) {
          bool edge = y == 0 || x == 0;
          out += edge ? kShades[1] : kShades[level];
        }
      }
      out += '\n';
    }
  }
  out += "Tesserae: small tiles laid edge to edge, each a shade off its neighbour. ";
  return out;
}

// Version 6: a `cols` x `rows` sea where the height of several waves of different lengths,
// added together, picks the glyph of each cell; the crest line is drawn with tildes.
std::string TideArt(int64_t cols, int64_t rows) {
  std::string out;
  for (int64_t y = 0; y < rows; ++y) {
    for (int64_t x = 0; x < cols; ++x) {
      double h = std::sin(x * 0.21) * 0.45 + std::sin(x * 0.053 + 1.3) * 0.35 +
                 std::sin(x * 0.67 + y * 0.4) * 0.1;
      double level = (h + 1.0) / 2.0 * static_cast<double>(rows);  // 0 (low) .. rows
      double depth = static_cast<double>(rows - y) - level;
      if (depth > 0.5) {
        out += ' ';
      } else if (depth > -0.5) {
        out += '~';
      } else {
        out += depth > -2.0 ? '=' : '#';
      }
    }
    out += '\n';
  }
  out += "Tide tables: three swells of different lengths, added up. ";
  return out;
}

void Lolwut(CommandContext& ctx) {
  ArgList args = ctx.args;
  int64_t version = 7;
  size_t first = 1;
  if (args.size() >= 3 && EqualsNoCase(args[1], "version")) {
    if (!ParseIntArgOrReply(ctx, args[2], &version)) return;
    first = 3;
  }
  std::string art;
  if (version == 5) {
    int64_t size = 2, cols = 12, rows = 6;
    if (!ReadArtArgs(ctx, args, first, {{&size, {1, 8}}, {&cols, {1, 200}}, {&rows, {1, 200}}})) {
      return;
    }
    art = MosaicArt(size, cols, rows);
  } else if (version == 6) {
    int64_t cols = 80, rows = 16;
    if (!ReadArtArgs(ctx, args, first, {{&cols, {1, 1000}}, {&rows, {1, 1000}}})) return;
    art = TideArt(cols, rows);
  }
  art += VersionLine();
  ctx.reply.Verbatim(art, "txt");
}

CommandSpec ModuleSub(std::string name, int arity, uint32_t flags, Handler h,
                      std::string_view summary) {
  uint64_t acl = kAclAdmin | kAclSlow | kAclDangerous;
  if (name == "help") acl = kAclSlow;
  return MakeSpec(std::move(name), arity, flags, KeySpec{}, acl, h, "server", "4.0.0",
                  "O(1), or O(N) for the N loaded modules.", summary);
}

}  // namespace

void RegisterModuleAndLolwut(CommandTable* table) {
  CommandSpec module = MakeContainerSpec("module", "server", "4.0.0",
                                         "Subcommands that list, load and unload server modules.");
  module.subcommands = {
      ModuleSub("help", 2, kLoading | kStale, ModuleHelp, "Lists the MODULE subcommands."),
      ModuleSub("list", 2, kAdmin | kNoScript, ModuleList, "Lists the loaded modules (none)."),
      ModuleSub("load", -3, kAdmin | kNoScript | kNoAsyncLoading | kProtected, ModuleLoad,
                "Loads a module from a shared library (this server loads none)."),
      ModuleSub("loadex", -3, kAdmin | kNoScript | kNoAsyncLoading | kProtected, ModuleLoad,
                "Loads a module with configuration and arguments (this server loads none)."),
      ModuleSub("unload", 3, kAdmin | kNoScript | kNoAsyncLoading | kProtected, ModuleUnload,
                "Unloads a module by name."),
  };
  module.subcommands[3].since = "7.0.0";
  table->Add(std::move(module));

  table->Add(MakeSpec("lolwut", -1, kReadOnly | kFast, KeySpec{}, kAclRead | kAclFast, Lolwut,
                      "server", "5.0.0", "Depends on the version drawn.",
                      "Draws a piece of generative art and prints the server version.",
                      {argdoc::Int("version").Tok("VERSION").Opt()}));
}

}  // namespace tessera::server
