#include "server/config/config_observability.h"

#include <fmt/format.h>

#include <cmath>

#include "core/base/numbers.h"
#include "server/config/config_file.h"

namespace tessera::server {

namespace {

// printf's "%f" without trailing zeros (Redis prints percentiles this way: 50, 99.9).
std::string TrimmedDouble(double d) {
  std::string s = fmt::format("{:f}", d);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace

bool SetLatencyPercentiles(SetContext& ctx, std::span<const std::string> args, bool* changed,
                           std::string* err) {
  std::vector<double> values;
  if (!(args.size() == 1 && args[0].empty())) {
    for (const std::string& a : args) {
      double p;
      if (!ParseDouble(a, &p) || std::isnan(p)) {
        *err = "Invalid latency-tracking-info-percentiles parameters";
        return false;
      }
      if (p > 100.0 || p < 0.0) {
        *err = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        return false;
      }
      values.push_back(p);
    }
  }
  *changed = ctx.values->latency_tracking_info_percentiles.Get() != values;
  ctx.values->latency_tracking_info_percentiles.Set(std::move(values));
  return true;
}

std::string GetLatencyPercentiles(const ServerConfig& c) {
  std::string out;
  for (double p : c.latency_tracking_info_percentiles.Get()) {
    if (!out.empty()) out += ' ';
    out += TrimmedDouble(p);
  }
  return out;
}

// Always written, as Redis does: an empty list must not fall back to the default next time.
void RewriteLatencyPercentiles(const ConfigRegistry::Entry& e, const ServerConfig& c,
                               std::string_view, ConfigRewriter* rw) {
  std::string value = GetLatencyPercentiles(c);
  rw->RewriteLine(e.name, std::string(e.name) + " " + (value.empty() ? "\"\"" : value), true);
}

bool SetKeyTtlPolicy(SetContext& ctx, std::span<const std::string> args, bool* changed,
                     std::string* err) {
  const bool clear = args.size() == 1 && args[0].empty();
  if (clear) args = {};
  if (args.size() % 3 != 0) {
    *err = "key-ttl-policy needs <glob> <default-seconds> <max-seconds> triples";
    return false;
  }
  KeyTtlPolicies list;
  std::shared_ptr<const KeyTtlPolicies> old = ctx.values->key_ttl_policy.Get();
  if (ctx.reading_file && old) list = *old;
  constexpr int64_t kMaxSeconds = INT64_MAX / 1000 / 2;  // now + TTL in ms never overflows
  for (size_t j = 0; j < args.size(); j += 3) {
    KeyTtlPolicy p;
    p.pattern = args[j];
    if (p.pattern.empty() || !ParseInt64(args[j + 1], &p.default_s) ||
        !ParseInt64(args[j + 2], &p.max_s) || p.default_s < 0 || p.max_s < 0 ||
        p.default_s > kMaxSeconds || p.max_s > kMaxSeconds) {
      *err = "Invalid key-ttl-policy parameters";
      return false;
    }
    if (p.default_s == 0 && p.max_s == 0) {
      *err = "key-ttl-policy needs a default or a maximum TTL (both are 0)";
      return false;
    }
    if (p.max_s != 0 && p.default_s > p.max_s) {
      *err = "key-ttl-policy default-seconds must not exceed max-seconds";
      return false;
    }
    list.push_back(std::move(p));
  }
  *changed = !old ? !list.empty() : *old != list;
  const bool on = !list.empty();
  ctx.values->key_ttl_policy.Set(on ? std::make_shared<const KeyTtlPolicies>(std::move(list))
                                    : nullptr);
  ctx.values->key_ttl_policy_on.store(on, std::memory_order_relaxed);
  return true;
}

std::string GetKeyTtlPolicy(const ServerConfig& c) {
  std::string out;
  std::shared_ptr<const KeyTtlPolicies> list = c.key_ttl_policy.Get();
  if (!list) return out;
  for (const KeyTtlPolicy& p : *list) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{} {} {}", p.pattern, p.default_s, p.max_s);
  }
  return out;
}

// One line per policy, in order; none: no line.
void RewriteKeyTtlPolicy(const ConfigRegistry::Entry& e, const ServerConfig& c, std::string_view,
                         ConfigRewriter* rw) {
  std::shared_ptr<const KeyTtlPolicies> list = c.key_ttl_policy.Get();
  if (list) {
    for (const KeyTtlPolicy& p : *list) {
      rw->RewriteLine(e.name, fmt::format("{} {} {} {}", e.name, p.pattern, p.default_s, p.max_s),
                      true);
    }
  }
  rw->MarkProcessed(e.name);
}

}  // namespace tessera::server
