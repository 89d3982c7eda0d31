#include "server/latency.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <iterator>

#include "server/server.h"

namespace tessera::server {

std::vector<LatencyMonitor::Sample> LatencyMonitor::Series::InOrder() const {
  std::vector<Sample> out;
  for (int j = 0; j < kHistoryLen; ++j) {
    const Sample& s = samples[(next + j) % kHistoryLen];
    if (s.time_s != 0) out.push_back(s);
  }
  return out;
}

void LatencyMonitor::Add(std::string_view event, int64_t latency_ms, int64_t now_s) {
  std::lock_guard lock(mu_);
  auto it = events_.find(std::string(event));
  if (it == events_.end()) it = events_.emplace(std::string(event), Series{}).first;
  Series& s = it->second;
  s.max_ms = std::max(s.max_ms, latency_ms);
  Sample& prev = s.samples[(s.next + kHistoryLen - 1) % kHistoryLen];
  if (prev.time_s == now_s) {
    prev.latency_ms = std::max(prev.latency_ms, latency_ms);
    return;
  }
  s.samples[s.next] = {now_s, latency_ms};
  s.next = (s.next + 1) % kHistoryLen;
}

int LatencyMonitor::Reset(std::string_view event) {
  std::lock_guard lock(mu_);
  int n = 0;
  for (auto it = events_.begin(); it != events_.end();) {
    if (it->first.size() == event.size() &&
        strncasecmp(it->first.data(), event.data(), event.size()) == 0) {
      it = events_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

int LatencyMonitor::ResetAll() {
  std::lock_guard lock(mu_);
  int n = static_cast<int>(events_.size());
  events_.clear();
  return n;
}

bool LatencyMonitor::Get(std::string_view event, std::string* name, Series* out) const {
  std::lock_guard lock(mu_);
  auto it = events_.find(std::string(event));
  if (it == events_.end()) return false;
  *name = it->first;
  *out = it->second;
  return true;
}

std::map<std::string, LatencyMonitor::Series> LatencyMonitor::Snapshot() const {
  std::lock_guard lock(mu_);
  return events_;
}

void MaybeRecordLatency(Server& server, std::string_view event, int64_t latency_ms) {
  const int64_t threshold =
      server.config().latency_monitor_threshold.load(std::memory_order_relaxed);
  if (threshold == 0 || latency_ms < threshold) return;
  server.latency().Add(event, latency_ms, Server::RealNowMs() / 1000);
}

void NoteCommandLatency(Server& server, const CommandSpec& spec, CommandStats& stats,
                        int64_t duration_us) {
  if (server.config().latency_tracking.load(std::memory_order_relaxed)) {
    stats.latency.Record(duration_us * 1000);
  }
  MaybeRecordLatency(server, (spec.flags & kFast) != 0 ? "fast-command" : "command",
                     duration_us / 1000);
}

bool MergedCommandHistogram(Server& server, const CommandSpec& spec, base::LatencyHistogram* out) {
  server.ForEachWorkerStats([&](const WorkerStats& w) {
    if (const base::LatencyHistogram* h = w.commands[spec.id].latency.get()) out->Merge(*h);
  });
  return out->total() > 0;
}

std::vector<std::string> LatencyStatsInfoLines(Server& server) {
  std::vector<std::string> lines;
  if (!server.config().latency_tracking.load(std::memory_order_relaxed)) return lines;
  const std::vector<double> percentiles = server.config().latency_tracking_info_percentiles.Get();
  for (const CommandSpec* spec : server.commands().all()) {
    base::LatencyHistogram h;
    if (!MergedCommandHistogram(server, *spec, &h)) continue;
    std::string line = "latency_percentiles_usec_";
    for (char c : spec->full_name)
      line += (c == ':' || c == '#' || c == '\r' || c == '\n') ? '_' : c;
    line += ':';
    for (size_t j = 0; j < percentiles.size(); ++j) {
      std::string p = fmt::format("{:f}", percentiles[j]);
      while (p.back() == '0') p.pop_back();
      if (p.back() == '.') p.pop_back();
      if (j > 0) line += ',';
      fmt::format_to(std::back_inserter(line), "p{}={:.3f}", p,
                     static_cast<double>(h.ValueAtPercentile(percentiles[j])) / 1000.0);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

LatencyEventStats AnalyzeLatency(const LatencyMonitor::Series& series, int64_t now_s) {
  LatencyEventStats st;
  st.all_time_high = series.max_ms;
  std::vector<LatencyMonitor::Sample> kept = series.InOrder();
  if (kept.empty()) return st;
  int64_t sum = 0, oldest = kept.front().time_s;
  st.min = st.max = kept.front().latency_ms;
  for (const auto& s : kept) {
    st.min = std::min(st.min, s.latency_ms);
    st.max = std::max(st.max, s.latency_ms);
    oldest = std::min(oldest, s.time_s);
    sum += s.latency_ms;
  }
  st.samples = static_cast<int>(kept.size());
  st.avg = sum / st.samples;
  st.period_s = std::max<int64_t>(1, now_s - oldest);
  int64_t dev = 0;
  for (const auto& s : kept)
    dev += s.latency_ms > st.avg ? s.latency_ms - st.avg : st.avg - s.latency_ms;
  st.mad = dev / st.samples;
  return st;
}

namespace {

std::string Age(int64_t seconds) {
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m", seconds / 60);
  if (seconds < 86400) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

}  // namespace

// The chart: one column per kept sample (the 80 newest), kRows rows high, each row cell drawn
// as ' ', '.' (the lower half filled) or '|' (filled); under it, each column's age written
// downwards ("12s", "3m").
std::string LatencyGraph(std::string_view event, const LatencyMonitor::Series& series,
                         int64_t now_s) {
  constexpr int kCols = 80;
  constexpr int kRows = 4;
  std::vector<LatencyMonitor::Sample> kept = series.InOrder();
  if (kept.size() > kCols) kept.erase(kept.begin(), kept.end() - kCols);
  int64_t lo = 0, hi = 0;
  if (!kept.empty()) {
    lo = hi = kept.front().latency_ms;
    for (const auto& s : kept) {
      lo = std::min(lo, s.latency_ms);
      hi = std::max(hi, s.latency_ms);
    }
  }
  std::string out = fmt::format("{} - high {} ms, low {} ms (all time high {} ms)\n", event, hi, lo,
                                series.max_ms);
  out.append(kCols, '-');
  out += '\n';
  if (kept.empty()) return out;
  // Height of each column in half rows: at least one, the highest sample fills every row.
  std::vector<int> halves;
  for (const auto& s : kept) {
    const double frac =
        hi == lo ? 1.0 : static_cast<double>(s.latency_ms - lo) / static_cast<double>(hi - lo);
    halves.push_back(1 + static_cast<int>(frac * (2 * kRows - 1) + 0.5));
  }
  for (int row = kRows - 1; row >= 0; --row) {
    std::string line;
    for (int h : halves) line += h >= 2 * row + 2 ? '|' : (h == 2 * row + 1 ? '.' : ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  std::vector<std::string> labels;
  size_t longest = 0;
  for (const auto& s : kept) {
    labels.push_back(Age(std::max<int64_t>(0, now_s - s.time_s)));
    longest = std::max(longest, labels.back().size());
  }
  for (size_t row = 0; row < longest; ++row) {
    std::string line;
    for (const std::string& l : labels) line += row < l.size() ? l[row] : ' ';
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string LatencyDoctorReport(const std::map<std::string, LatencyMonitor::Series>& events,
                                int64_t now_s, int64_t threshold_ms) {
  if (events.empty()) {
    if (threshold_ms == 0) {
      return "The latency monitor is off (latency-monitor-threshold is 0), so there is "
             "nothing to analyse yet. Turn it on with CONFIG SET latency-monitor-threshold "
             "<milliseconds>, e.g. 100, and ask again after the next slow moment.\n";
    }
    return "No latency spike has been recorded since this server started (or since the last "
           "LATENCY RESET). Nothing to worry about.\n";
  }
  std::string out =
      "Latency spikes were recorded on this server. Here is what they look like, event by "
      "event, and what may help.\n\n";
  bool slow_commands = false, fast_commands = false, expiry = false, eviction = false, aof = false,
       other = false;
  int n = 0;
  for (const auto& [name, series] : events) {
    LatencyEventStats st = AnalyzeLatency(series, now_s);
    fmt::format_to(std::back_inserter(out),
                   "{}. {}: {} latency spike{} (average {}ms, mean deviation {}ms, period {:.2f} "
                   "sec). Worst ever: {}ms.\n",
                   ++n, name, st.samples, st.samples == 1 ? "" : "s", st.avg, st.mad,
                   static_cast<double>(st.period_s) / std::max(1, st.samples), st.all_time_high);
    if (name == "command") {
      slow_commands = true;
    } else if (name == "fast-command") {
      fast_commands = true;
    } else if (name.starts_with("expire-")) {
      expiry = true;
    } else if (name.starts_with("eviction-")) {
      eviction = true;
    } else if (name.starts_with("aof-")) {
      aof = true;
    } else {
      other = true;
    }
  }
  out += "\nWhat to look at:\n\n";
  if (slow_commands) {
    out +=
        "- Slow commands: SLOWLOG GET lists the ones that took longest. Commands that walk a "
        "whole value or keyspace (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, SORT, big ZUNIONSTORE) "
        "grow with their input; prefer SCAN-style iteration and smaller values. A script "
        "counts as one command for as long as it runs.\n";
  }
  if (fast_commands) {
    out +=
        "- O(1) and O(log N) commands were slow: that points at the machine rather than at "
        "the commands (CPU contention, swapping, a noisy neighbour). Compare with the "
        "intrinsic latency of the host (redis-cli --intrinsic-latency 100).\n";
  }
  if (expiry) {
    out +=
        "- Expiry: many keys expiring in the same second, or large values being freed when "
        "they expire. Spread expiry times with some jitter, and consider "
        "lazyfree-lazy-expire yes to free large values in the background.\n";
  }
  if (eviction) {
    out +=
        "- Eviction: writes had to wait for keys to be evicted to get back under maxmemory. "
        "Large values make each eviction expensive; lazyfree-lazy-eviction yes frees them in "
        "the background, and a larger maxmemory gives more room.\n";
  }
  if (aof) {
    out +=
        "- Append-only file: writes or fsyncs of the AOF were slow, so the disk is the "
        "bottleneck. appendfsync everysec instead of always trades at most a second of writes "
        "for much lower latency; check that nothing else is saturating the disk.\n";
  }
  if (other) {
    out +=
        "- Other events: see the LATENCY documentation for the event names; each names the "
        "part of the server that measured itself.\n";
  }
  fmt::format_to(std::back_inserter(out),
                 "\nThe monitor records events of {}ms or more "
                 "(latency-monitor-threshold). LATENCY RESET clears the history.\n",
                 threshold_ms);
  return out;
}

}  // namespace tessera::server
