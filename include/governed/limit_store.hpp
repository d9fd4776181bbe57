#pragma once
/// @file
/// `LimitStore<Limiter>`: the limit sets of every (provider, account, model group), found
/// without a lock.

#include <governed/limit_key.hpp>
#include <governed/limit_set.hpp>
#include <governed/shared_limits.hpp>
#include <governed/result.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace governed {

/// A hash table of limit sets that only grows: entries are created once and live as long as
/// the store. Lookup walks one bucket's list with acquire loads — no lock, no allocation, no
/// copy of the key — so admitting on an existing set costs a hash and a few compares. Creating
/// an entry allocates it and publishes it with one compare-and-swap at the head of its bucket;
/// two threads creating the same key agree on one entry.
///
/// Sized at construction (`buckets`, default 1 024): sets number in the tens or hundreds (one
/// per provider account and model group), so the lists stay short without rehashing.
template <limiter::RateLimiter Limiter = limiter::gcra>
class LimitStore {
 public:
  using Set = LimitSet<Limiter>;

  explicit LimitStore(std::size_t buckets = 1024)
      : buckets_(std::bit_ceil(std::max<std::size_t>(buckets, 1))) {}

  LimitStore(const LimitStore&) = delete;
  LimitStore& operator=(const LimitStore&) = delete;

  ~LimitStore() {
    for (auto& head : buckets_) {
      Node* n = head.load(std::memory_order_acquire);
      while (n) delete std::exchange(n, n->next);
    }
  }

  /// The set for `key`, or null when none was created. Lock-free, allocation-free.
  Set* find(const LimitKey& key) const noexcept {
    const std::size_t h = hash(key);
    for (Node* n = bucket(h).load(std::memory_order_acquire); n; n = n->next) {
      if (n->hash == h && n->matches(key)) return &n->set;
    }
    return nullptr;
  }

  /// The set for `key`, created from `config` if it does not exist yet (an existing set keeps
  /// its configuration). An error when `config` can not be planned.
  ///
  /// With a `shared` backend, the set's rate dimensions live there (planned as GCRA on the
  /// published limits), and its own limiters hold 1/N of each limit for when the backend can
  /// not be reached (see `SharedBackend`). `real_time`: the State's clock is real time.
  Result<Set*> find_or_create(const LimitKey& key, const LimitSetConfig& config, SharedBackend* shared = nullptr,
                              bool real_time = true) {
    if (Set* s = find(key)) return s;
    std::unique_ptr<SharedLimits> remote;
    std::array<std::optional<limiter::Limit>, rate_dimensions> full{};
    LimitSetConfig local = config;
    SharedFailure failure = SharedFailure::fail_open;
    if (shared) {
      auto planned = LimitSet<limiter::gcra>::plan(config);
      if (!planned) return tl::unexpected(planned.error());
      full = *planned;
      auto made = shared->limits(key, full, real_time);
      if (!made) return tl::unexpected(made.error());
      remote = std::move(*made);
      local = share_of(config, shared->replicas());
      failure = shared->on_failure();
    }
    auto plan = Set::plan(local);
    if (!plan) return tl::unexpected(plan.error());
    const std::size_t h = hash(key);
    auto fresh = std::make_unique<Node>(h, key, local, *plan);
    if (remote) fresh->set.share(std::move(remote), failure, full);
    auto& head = bucket(h);
    Node* first = head.load(std::memory_order_acquire);
    for (;;) {
      // Someone may have published the same key since we looked.
      for (Node* n = first; n; n = n->next) {
        if (n->hash == h && n->matches(key)) return &n->set;
      }
      fresh->next = first;
      // Release: a thread that finds the node sees it fully built.
      if (head.compare_exchange_weak(first, fresh.get(), std::memory_order_release,
                                     std::memory_order_acquire)) {
        size_.fetch_add(1, std::memory_order_relaxed);
        return &fresh.release()->set;
      }
    }
  }

  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  /// Calls `f(key, set)` for every entry (entries created meanwhile may or may not be seen).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& head : buckets_) {
      for (Node* n = head.load(std::memory_order_acquire); n; n = n->next) {
        f(LimitKey{n->provider, n->account, n->group}, n->set);
      }
    }
  }

 private:
  /// `config` with every rate limit divided among `replicas` processes (at least 1 each; the
  /// largest request expected is capped at one share). A request above one share but within
  /// the published limit is the shared store's alone: while the store can not be reached, the
  /// set tells it to wait for the store instead of refusing it (see `LimitSet`).
  static LimitSetConfig share_of(LimitSetConfig config, unsigned replicas) {
    if (replicas <= 1) return config;
    for (auto* v : {&config.requests_per_minute, &config.tokens_per_minute, &config.input_tokens_per_minute,
                    &config.output_tokens_per_minute, &config.requests_per_day, &config.tokens_per_day})
      if (*v > 0) *v = std::max<std::uint64_t>(1, *v / replicas);
    if (config.largest_request_tokens > 0) {
      std::uint64_t smallest = UINT64_MAX;
      for (auto v : {config.tokens_per_minute, config.input_tokens_per_minute, config.output_tokens_per_minute,
                     config.tokens_per_day})
        if (v > 0) smallest = std::min(smallest, v);
      if (smallest != UINT64_MAX) config.largest_request_tokens = std::min(config.largest_request_tokens, smallest);
    }
    return config;
  }

  struct Node {
    Node(std::size_t h, const LimitKey& k, const LimitSetConfig& config,
         const std::array<std::optional<limiter::Limit>, rate_dimensions>& plan)
        : hash(h), provider(k.provider), account(k.account), group(k.group), set(config, plan) {}

    bool matches(const LimitKey& k) const noexcept {
      return provider == k.provider && account == k.account && group == k.group;
    }

    std::size_t hash;
    std::string provider, account, group;
    Set set;
    Node* next = nullptr;
  };

  static std::size_t hash(const LimitKey& k) noexcept {
    // Separators keep ("ab", "c") and ("a", "bc") apart.
    std::size_t h = std::hash<std::string_view>{}(k.provider);
    h = h * 1099511628211ULL ^ std::hash<std::string_view>{}(k.account);
    h = h * 1099511628211ULL ^ std::hash<std::string_view>{}(k.group);
    return h;
  }

  std::atomic<Node*>& bucket(std::size_t h) const noexcept {
    return buckets_[h & (buckets_.size() - 1)];
  }

  mutable std::vector<std::atomic<Node*>> buckets_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace governed
