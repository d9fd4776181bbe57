#pragma once
// The demo's three clients, each sending the same workload over HTTP to a simulated
// provider of its own:
//
//   naive       one attempt per call; a 429 (or any failure) loses the task.
//   retry-only  what most applications do today: on a 429, a 5xx or a dropped connection,
//               wait 4, 8, 16, 32 s (exponential, 4–60 s) and try again, 5 attempts in all,
//               ignoring what the provider says about when to come back.
//   governed    `Governed<transport::http>`: limits planned with headroom before each call,
//               keys, backoff on the provider's word, fallback, task budgets, response cache;
//               its State in memory, or in Redis when the client runs as several replicas.
//
// Every user is a thread running its tasks in order; a task is lost at its first failed
// call (its later calls depend on the answer). Calls, waits and the deadline run on the
// demo's scaled clock, which the simulators share.

#include "workload.hpp"

#include <governed/clock/scaled.hpp>
#include <governed/governed.hpp>
#include <governed/observe/histogram.hpp>
#include <governed/redis.hpp>
#include <governed/transport/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace demo {

using Clock = governed::clock::scaled;
using governed::Duration;
using governed::Instant;

enum class ClientKind { naive, retry_only, governed };

inline const char* name_of(ClientKind k) {
  switch (k) {
    case ClientKind::naive: return "naive";
    case ClientKind::retry_only: return "retry-only";
    case ClientKind::governed: return "governed";
  }
  return "?";
}

/// An alert, or a provider's circuit breaker opening or closing, during a run: what a person
/// watching the run should know beside the figures.
struct Notice {
  double at_s = 0;   ///< simulated seconds since the run began
  std::string kind;  ///< the event kind: alert_rate_limits, breaker_opened, …
  std::string message;
};

/// Whether the demo shows events of `kind` as notices.
inline bool is_notice(governed::EventKind kind) {
  using K = governed::EventKind;
  return kind == K::alert_rate_limits || kind == K::alert_error_rate || kind == K::alert_spend_spike ||
         kind == K::breaker_opened || kind == K::breaker_closed;
}

/// What a client did, counted as it goes (read live by the progress display).
struct Tally {
  std::atomic<std::uint64_t> tasks_done{0};
  std::atomic<std::uint64_t> tasks_lost{0};
  std::atomic<std::uint64_t> calls_ok{0};
  std::atomic<std::uint64_t> calls_failed{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> fallbacks{0};
  governed::LatencyHistogram latency;  ///< per call, waits and retries included
  /// When each user ran out of tasks (written by the user's thread, read after it ended).
  std::vector<Instant> user_done;
  /// Alerts and breaker transitions, in the order they fired (from any user's thread).
  mutable std::mutex notices_mutex;
  std::vector<Notice> notices;

  void notice(Notice n) {
    std::lock_guard lk(notices_mutex);
    notices.push_back(std::move(n));
  }
};

/// Where and how a client sends.
struct Setup {
  Clock& clock;
  Instant deadline;
  Instant start;  ///< when the run began: notices are timed from it
  std::string base_url;                      ///< the client's own simulator
  std::vector<std::string> keys;             ///< the same for every client
  std::vector<std::string> accounts;         ///< each key's account
  double headroom = 0.15;
  std::string tier = "tier1";
  std::uint64_t seed = 1;
  /// governed only: where its State lives. Empty: in this process's memory; a Redis URL: in
  /// that Redis, under `name_space`, shared with `replicas` processes in all.
  std::string redis_url{};
  std::string name_space = "demo";
  unsigned replicas = 1;
};

/// One call of one task: true when it got its answer.
using CallFn = std::function<bool(std::size_t user, const TaskSpec&, const CallSpec&)>;

/// Runs every user on a thread of its own, each task's calls in order, until the workload is
/// done or the deadline passes (what is left then is lost).
inline void run_users(const Workload& w, Tally& tally, Clock& clock, Instant deadline, const CallFn& call) {
  tally.user_done.assign(w.users.size(), Instant{});
  std::vector<std::thread> threads;
  threads.reserve(w.users.size());
  for (std::size_t u = 0; u < w.users.size(); ++u)
    threads.emplace_back([&, u] {
      for (const auto& task : w.users[u].tasks) {
        bool ok = true;
        for (const auto& c : task.calls) {
          if (clock.now() >= deadline || !call(u, task, c)) {
            ok = false;
            break;
          }
        }
        (ok ? tally.tasks_done : tally.tasks_lost).fetch_add(1, std::memory_order_relaxed);
      }
      tally.user_done[u] = clock.now();
    });
  for (auto& t : threads) t.join();
}

inline governed::Request request_for(const TaskSpec& task, const CallSpec& c) {
  governed::Request r;
  r.provider = "openai";
  r.model = c.model;
  r.messages = {{"user", prompt_text(c.topic, c.prompt_tokens)}};
  r.max_tokens = c.max_tokens;
  r.task = task.kind;
  r.task_id = task.id;
  r.cacheable = c.cacheable;
  return r;
}

/// naive and retry-only: the transport alone, one key per user (users spread over the keys).
inline void run_plain(ClientKind kind, const Workload& w, const Setup& s, Tally& tally) {
  governed::transport::HttpOptions options;
  options.proxy = governed::transport::ProxySettings::none();
  options.max_idle_per_host = w.users.size();
  governed::transport::http http{options};
  const std::uint32_t attempts = kind == ClientKind::naive ? 1 : 5;
  run_users(w, tally, s.clock, s.deadline, [&](std::size_t user, const TaskSpec& task, const CallSpec& c) {
    const auto req = request_for(task, c);
    const governed::transport::Attempt a{req, "openai", c.model, s.base_url, s.keys[user % s.keys.size()]};
    const Instant began = s.clock.now();
    bool ok = false;
    for (std::uint32_t i = 1; i <= attempts; ++i) {
      const auto reply = http.send(a);
      if (reply.status == 200) {
        ok = true;
        break;
      }
      const bool transient = reply.status == 429 || reply.status >= 500 || reply.status == 0;
      if (!transient || i == attempts) break;
      // 4, 8, 16, 32 s: base 2 s doubling, clamped to [4 s, 60 s].
      const Duration wait = std::clamp<Duration>(std::chrono::seconds{2} * (1 << i), std::chrono::seconds{4},
                                                 std::chrono::seconds{60});
      if (s.clock.now() + wait >= s.deadline) break;
      tally.retries.fetch_add(1, std::memory_order_relaxed);
      s.clock.sleep_until(s.clock.now() + wait);
    }
    tally.latency.record(s.clock.now() - began);
    (ok ? tally.calls_ok : tally.calls_failed).fetch_add(1, std::memory_order_relaxed);
    return ok;
  });
}

/// governed: one State (limits, keys, cooldowns, budgets, cache) shared by every user.
inline void run_governed(const Workload& w, const Setup& s, Tally& tally) {
  using Client = governed::Governed<governed::transport::http, Clock, governed::keys::least_loaded>;
  governed::StateConfig config;
  // The clock runs `factor` times faster than real time, so the few milliseconds between a
  // call's admission and its arrival at the simulator (HTTP, threads being scheduled) are
  // seconds of simulated time; the simulator counts an exact sliding minute. The limits are
  // planned for calls arriving up to 60 ms of real time out of step.
  const auto skew = std::chrono::duration_cast<Duration>(std::chrono::milliseconds{60} * s.clock.factor());
  config.providers["openai"] = {.tier = s.tier, .headroom = s.headroom, .skew = skew, .base_url = s.base_url};
  for (std::size_t i = 0; i < s.keys.size(); ++i)
    config.keys.keys.push_back({.provider = "openai", .key = s.keys[i], .account = s.accounts[i]});
  config.keys.persist = false;  // a demo leaves the user's key-health file alone
  config.routing = governed::ModelRouting::original_application();
  config.cache.ttl = std::chrono::minutes{5};  // a job board's search results stay good that long
  config.seed = s.seed;
  if (!s.redis_url.empty()) {
    // Limits, cooldowns and key health live in Redis: every replica admits against the same
    // limit. Were Redis lost, each would go on within 1/replicas of every limit.
    auto shared = governed::redis::backend(s.redis_url, {.name_space = s.name_space, .replicas = s.replicas});
    if (!shared) throw std::runtime_error(shared.error().message);
    config.shared = std::move(*shared);
  }
  auto state = Client::state_type::create(std::move(config), s.clock);
  if (!state) throw std::runtime_error(state.error().message);
  (*state)->observers().install([&tally, &s](const governed::Event& e) {
    using K = governed::EventKind;
    if (e.kind == K::retried) tally.retries.fetch_add(1, std::memory_order_relaxed);
    if (e.kind == K::switched_model || e.kind == K::switched_provider)
      tally.fallbacks.fetch_add(1, std::memory_order_relaxed);
    if (is_notice(e.kind))
      tally.notice({std::chrono::duration<double>(s.clock.now() - s.start).count(),
                    std::string(governed::to_string(e.kind)), e.message});
  });

  governed::transport::HttpOptions options;
  options.proxy = governed::transport::ProxySettings::none();
  options.max_idle_per_host = w.users.size();
  Client g{*state, std::make_shared<governed::transport::http>(options)};
  run_users(w, tally, s.clock, s.deadline, [&](std::size_t, const TaskSpec& task, const CallSpec& c) {
    auto req = request_for(task, c);
    req.model.clear();  // the task's route chooses
    req.deadline = s.deadline;
    const Instant began = s.clock.now();
    const auto reply = g.send(req);
    tally.latency.record(s.clock.now() - began);
    (reply ? tally.calls_ok : tally.calls_failed).fetch_add(1, std::memory_order_relaxed);
    if (reply && reply->from_cache) tally.cache_hits.fetch_add(1, std::memory_order_relaxed);
    return reply.has_value();
  });
}

}  // namespace demo
