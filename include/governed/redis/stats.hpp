#pragma once
/// @file
/// Statistics in Redis: every process adds its calls to one set of totals per model, provider
/// and task kind, so a dashboard reads the fleet's calls, 429s, tokens and cost from one place.
///
/// Keys: `governed:<namespace>:stats:{<namespace>|stats}:<scope>` (scope `model`, `provider`,
/// `task`), one hash each, whose fields are `<counter>\x1f<labels>` (labels joined by \x1f, the
/// ASCII unit separator, which no label keeps) and whose values are the totals. The labels are
/// the `Statistics`' own, redacted when the series was made: no key, account id or key
/// fingerprint is ever sent. One call's update is one script over the three hashes, which share
/// a hash tag and so a Redis Cluster slot: the counters of a namespace are a handful of small
/// writes per call on one node, read back whole in one round trip per scope.
///
/// A call's update goes out with `eval_later`: it is written at once and its reply read with
/// later traffic, so counting adds no round trip. An update lost with a dropped connection is
/// lost (the local counters keep it); the totals have no expiry — they count since the
/// namespace was first used, like a Prometheus counter.

#include <governed/observe/stats.hpp>
#include <governed/redis/client.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace governed::redis {

/// The counters in the order `stats_add_script` takes them.
inline constexpr std::array<std::string_view, 9> stats_counters{
    "requests",   "failures",      "rate_limited", "retries",      "fallbacks",
    "input_tokens", "output_tokens", "cache_hits", "cost_nano_usd"};

/// KEYS: the model, provider and task hashes. ARGV: the three series' labels ("": no such
/// series), then the nine counters' increments in `stats_counters` order.
inline const Script& stats_add_script() {
  static const Script s{R"lua(-- governed: add one call to the shared statistics
local names = {'requests', 'failures', 'rate_limited', 'retries', 'fallbacks', 'input_tokens',
               'output_tokens', 'cache_hits', 'cost_nano_usd'}
for k = 1, 3 do
  if ARGV[k] ~= '' then
    for i = 1, 9 do
      local v = ARGV[3 + i]
      if v ~= '0' then redis.call('HINCRBY', KEYS[k], names[i] .. '\31' .. ARGV[k], v) end
    end
  end
end
return 0
)lua"};
  return s;
}

/// KEYS[1]: a scope's hash; replies its fields and values.
inline const Script& stats_read_script() {
  static const Script s{R"lua(-- governed: read the shared statistics of one scope
return redis.call('HGETALL', KEYS[1])
)lua"};
  return s;
}

/// The statistics' store in Redis (see the file comment).
class RedisStats final : public SharedStats {
 public:
  /// `prefix`: `governed:<namespace>:stats:{<namespace>|stats}`.
  RedisStats(std::shared_ptr<ScriptRunner> redis, std::string prefix)
      : redis_(std::move(redis)),
        keys_{prefix + ":model", prefix + ":provider", prefix + ":task"} {}

  void add(const SeriesLabels& model, const SeriesLabels& provider, const SeriesLabels* task,
           const SeriesTotals& d) noexcept override {
    try {
      const std::array<std::string, 3> labels{join(model.provider, model.model), part(provider.provider),
                                              task ? part(task->task) : std::string{}};
      const std::array<std::int64_t, 9> values{
          static_cast<std::int64_t>(d.requests),     static_cast<std::int64_t>(d.failures),
          static_cast<std::int64_t>(d.rate_limited), static_cast<std::int64_t>(d.retries),
          static_cast<std::int64_t>(d.fallbacks),    static_cast<std::int64_t>(d.input_tokens),
          static_cast<std::int64_t>(d.output_tokens), static_cast<std::int64_t>(d.cache_hits),
          d.cost_nano_usd};
      std::array<std::array<char, 24>, 9> digits;
      std::array<std::string_view, 12> args;
      for (std::size_t i = 0; i < 3; ++i) args[i] = labels[i];
      for (std::size_t i = 0; i < 9; ++i) {
        const auto r = std::to_chars(digits[i].data(), digits[i].data() + digits[i].size(), values[i]);
        args[3 + i] = {digits[i].data(), static_cast<std::size_t>(r.ptr - digits[i].data())};
      }
      const std::array<std::string_view, 3> keys{keys_[0], keys_[1], keys_[2]};
      // Lost with the connection if Redis is down: the shared totals then miss this call.
      (void)redis_->eval_later(stats_add_script(), keys, args);
    } catch (...) {
      // Out of memory: the call stays counted locally only.
    }
  }

  Result<std::vector<SharedSeries>> totals(Scope scope) override {
    // What this process sent before is run first, so its own calls are in the totals.
    (void)redis_->flush();
    const std::size_t k = scope == Scope::model ? 0 : scope == Scope::provider ? 1 : 2;
    const std::array<std::string_view, 1> keys{keys_[k]};
    auto r = redis_->eval(stats_read_script(), keys, std::span<const std::string_view>{});
    if (!r) return tl::unexpected(r.error());
    if (r->type != RespReply::Type::array || r->elements.size() % 2 != 0) return bad(*r);
    std::map<std::tuple<std::string, std::string, std::string>, SeriesTotals> by_labels;
    for (std::size_t i = 0; i < r->elements.size(); i += 2) {
      const auto& f = r->elements[i];
      const auto& v = r->elements[i + 1];
      if (f.type != RespReply::Type::string || v.type != RespReply::Type::string) return bad(*r);
      const std::string_view field = f.text;
      const auto sep = field.find('\x1f');
      if (sep == std::string_view::npos) return bad(*r);
      const std::string_view counter = field.substr(0, sep), rest = field.substr(sep + 1);
      std::int64_t value = 0;
      const auto parsed = std::from_chars(v.text.data(), v.text.data() + v.text.size(), value);
      if (parsed.ec != std::errc{}) return bad(*r);
      std::tuple<std::string, std::string, std::string> labels;
      if (scope == Scope::model) {
        const auto mid = rest.find('\x1f');
        if (mid == std::string_view::npos) return bad(*r);
        labels = {std::string(rest.substr(0, mid)), std::string(rest.substr(mid + 1)), {}};
      } else if (scope == Scope::provider) {
        labels = {std::string(rest), {}, {}};
      } else {
        labels = {{}, {}, std::string(rest)};
      }
      SeriesTotals& t = by_labels[labels];
      const auto u = static_cast<std::uint64_t>(std::max<std::int64_t>(0, value));
      if (counter == "requests") t.requests = u;
      else if (counter == "failures") t.failures = u;
      else if (counter == "rate_limited") t.rate_limited = u;
      else if (counter == "retries") t.retries = u;
      else if (counter == "fallbacks") t.fallbacks = u;
      else if (counter == "input_tokens") t.input_tokens = u;
      else if (counter == "output_tokens") t.output_tokens = u;
      else if (counter == "cache_hits") t.cache_hits = u;
      else if (counter == "cost_nano_usd") t.cost_nano_usd = value;
      // A counter a newer version added is skipped.
    }
    std::vector<SharedSeries> out;
    out.reserve(by_labels.size());
    for (auto& [labels, totals] : by_labels)
      out.push_back({SeriesLabels{std::get<0>(labels), std::get<1>(labels), std::get<2>(labels)}, totals});
    return out;
  }

  /// The hash of `scope`'s series.
  const std::string& key(Scope scope) const noexcept {
    return keys_[scope == Scope::model ? 0 : scope == Scope::provider ? 1 : 2];
  }

 private:
  /// A label with the separator taken out (a label never holds it; this keeps it so).
  static std::string part(std::string_view s) {
    std::string out(s);
    std::replace(out.begin(), out.end(), '\x1f', '_');
    return out;
  }
  static std::string join(std::string_view a, std::string_view b) { return part(a) + '\x1f' + part(b); }

  tl::unexpected<Error> bad(const RespReply& r) const {
    return tl::unexpected(Error{Errc::parse_error,
                                fmt::format("Redis at {} answered the statistics script with something else than it "
                                            "returns{}{}",
                                            redis_->describe(), r.is_error() ? ": " : "", r.is_error() ? r.text : "")});
  }

  std::shared_ptr<ScriptRunner> redis_;
  std::array<std::string, 3> keys_;
};

}  // namespace governed::redis
