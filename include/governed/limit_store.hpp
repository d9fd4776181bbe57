#pragma once
/// @file
/// `LimitStore<Limiter>`: the limit sets of every (provider, account, model group), found
/// without a lock.

#include <governed/limit_set.hpp>
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

/// Which limit set a call counts against. Providers limit accounts (an organisation or a
/// project), not keys: two keys of one account share one set.
struct LimitKey {
  std::string_view provider;
  std::string_view account;
  std::string_view group;  ///< model group: the models a provider limits together

  friend bool operator==(const LimitKey&, const LimitKey&) = default;
};

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
  Result<Set*> find_or_create(const LimitKey& key, const LimitSetConfig& config) {
    if (Set* s = find(key)) return s;
    auto plan = Set::plan(config);
    if (!plan) return tl::unexpected(plan.error());
    const std::size_t h = hash(key);
    auto fresh = std::make_unique<Node>(h, key, config, *plan);
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
