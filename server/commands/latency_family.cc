// LATENCY: the latency monitor's reports and the per-command latency histograms (Redis 7.2).
// The data and the report texts live in server/latency.h; this file parses and replies.
#include <fmt/format.h>

#include "core/base/ascii.h"
#include "server/commands/args.h"
#include "server/latency.h"
#include "server/server.h"

namespace tessera::server {

namespace {

int64_t NowSeconds() { return Server::RealNowMs() / 1000; }

// LATENCY HISTORY <event>: [[time, latency], ...] oldest first; empty for an unknown event.
void LatencyHistory(CommandContext& ctx) {
  std::string name;
  LatencyMonitor::Series series;
  if (!ctx.server.latency().Get(ctx.args[2], &name, &series)) return ctx.reply.EmptyArray();
  std::vector<LatencyMonitor::Sample> kept = series.InOrder();
  ctx.reply.ArrayHeader(kept.size());
  for (const auto& s : kept) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(s.time_s);
    ctx.reply.Integer(s.latency_ms);
  }
}

// LATENCY LATEST: [event, time, latency, all-time max] per event.
void LatencyLatest(CommandContext& ctx) {
  auto events = ctx.server.latency().Snapshot();
  ctx.reply.ArrayHeader(events.size());
  for (const auto& [name, series] : events) {
    const LatencyMonitor::Sample& last = series.Latest();
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(last.time_s);
    ctx.reply.Integer(last.latency_ms);
    ctx.reply.Integer(series.max_ms);
  }
}

void LatencyGraphCommand(CommandContext& ctx) {
  std::string name;
  LatencyMonitor::Series series;
  if (!ctx.server.latency().Get(ctx.args[2], &name, &series)) {
    return ctx.reply.Error(fmt::format("ERR No samples available for event '{}'", ctx.args[2]));
  }
  ctx.reply.Verbatim(LatencyGraph(name, series, NowSeconds()), "txt");
}

void LatencyDoctor(CommandContext& ctx) {
  const int64_t threshold =
      ctx.server.config().latency_monitor_threshold.load(std::memory_order_relaxed);
  ctx.reply.Verbatim(LatencyDoctorReport(ctx.server.latency().Snapshot(), NowSeconds(), threshold),
                     "txt");
}

// LATENCY RESET [event ...]: how many events were dropped.
void LatencyReset(CommandContext& ctx) {
  LatencyMonitor& m = ctx.server.latency();
  if (ctx.args.size() == 2) return ctx.reply.Integer(m.ResetAll());
  int64_t n = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) n += m.Reset(ctx.args[i]);
  ctx.reply.Integer(n);
}

// Appends `spec`'s entry (name -> {calls, histogram_usec}) if it has data.
bool AddHistogram(CommandContext& ctx, const CommandSpec& spec, std::string* body,
                  size_t* entries) {
  base::LatencyHistogram h;
  if (!MergedCommandHistogram(ctx.server, spec, &h)) return false;
  resp::ReplyBuilder out(body, ctx.reply.protocol());
  out.Bulk(spec.full_name);
  out.MapHeader(2);
  out.Bulk("calls");
  out.Integer(static_cast<int64_t>(h.total()));
  out.Bulk("histogram_usec");
  auto steps = h.CumulativeMicros();
  out.MapHeader(steps.size());
  for (const auto& [micros, count] : steps) {
    out.Integer(micros);
    out.Integer(static_cast<int64_t>(count));
  }
  ++*entries;
  return true;
}

// LATENCY HISTOGRAM [command ...]: every command (and subcommand) with calls, or the named
// ones; a container name stands for its subcommands; unknown names are skipped.
void LatencyHistogramCommand(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  std::string body;
  size_t entries = 0;
  if (ctx.args.size() == 2) {
    for (const CommandSpec* spec : table.all()) AddHistogram(ctx, *spec, &body, &entries);
  } else {
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* spec = table.FindFullName(ctx.args[i]);
      if (spec == nullptr) continue;
      AddHistogram(ctx, *spec, &body, &entries);
      for (const CommandSpec& sub : spec->subcommands) AddHistogram(ctx, sub, &body, &entries);
    }
  }
  ctx.reply.MapHeader(entries);
  ctx.reply.buffer()->append(body);
}

void LatencyHelp(CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "DOCTOR",
                     "    A readable analysis of the recorded latency events, with advice.",
                     "GRAPH <event>",
                     "    A text chart of the recorded samples of <event>.",
                     "HISTORY <event>",
                     "    The recorded samples of <event>: pairs of unix time and milliseconds.",
                     "LATEST",
                     "    Per event: its name, the time and duration of its newest sample, and",
                     "    its all-time maximum.",
                     "RESET [<event> ...]",
                     "    Forget the samples of the given events (default: of every event).",
                     "HISTOGRAM [<command> ...]",
                     "    Per command: its calls and the cumulative distribution of their",
                     "    durations in microseconds (default: every command that ran).",
                 });
}

struct Doc {
  std::string_view summary;
  std::string_view since;
  std::string_view complexity;
};

CommandSpec Sub(std::string name, int arity, uint32_t flags, Handler handler, Doc doc,
                std::vector<ArgDoc> arguments = {}) {
  return MakeSpec(std::move(name), arity, flags, KeySpec{}, 0, handler, "server", doc.since,
                  doc.complexity, doc.summary, std::move(arguments));
}

}  // namespace

void RegisterLatencyFamily(CommandTable* table) {
  using namespace argdoc;
  constexpr uint32_t kAdminFlags = kAdmin | kNoScript | kLoading | kStale;
  CommandSpec latency = Sub(
      "latency", -2, 0, nullptr,
      {"A container for the latency diagnostics commands.", "2.8.13", "Depends on subcommand."});
  latency.subcommands = {
      Sub("doctor", 2, kAdminFlags, LatencyDoctor,
          {"Returns a readable analysis of the recorded latency events.", "2.8.13", "O(1)"}),
      Sub("graph", 3, kAdminFlags, LatencyGraphCommand,
          {"Returns a text chart of an event's latency samples.", "2.8.13", "O(1)"},
          {Str("event")}),
      Sub("help", 2, kLoading | kStale, LatencyHelp,
          {"Lists the LATENCY subcommands.", "2.8.13", "O(1)"}),
      Sub("histogram", -2, kAdminFlags, LatencyHistogramCommand,
          {"Returns the cumulative distribution of command durations, for some or all "
           "commands.",
           "7.0.0", "O(N) in the number of commands reported."},
          {Str("command").Opt().Multi()}),
      Sub("history", 3, kAdminFlags, LatencyHistory,
          {"Returns the time and latency samples of an event.", "2.8.13", "O(1)"}, {Str("event")}),
      Sub("latest", 2, kAdminFlags, LatencyLatest,
          {"Returns the newest latency sample of every event.", "2.8.13", "O(1)"}),
      Sub("reset", -2, kAdminFlags, LatencyReset,
          {"Forgets the latency samples of some or all events.", "2.8.13", "O(1)"},
          {Str("event").Opt().Multi()}),
  };
  table->Add(std::move(latency));
}

}  // namespace tessera::server
