#pragma once
/// @file
/// The response cache: identical idempotent calls within seconds are answered from memory.
///
/// Only requests the caller marks cacheable are looked up: a chat completion at temperature 0
/// that a retry loop or two call sites send twice. An entry lives for a TTL on the monotonic
/// clock (default 30 s) and the cache is a bounded LRU (default 1 024 entries, 64 MiB).
///
/// The key is the whole request — provider, model, messages and every parameter — written
/// field by field, so two requests hit each other exactly when a provider would see the same
/// request: the parameters as canonical JSON (object keys sorted, integral numbers written one
/// way: 1 and 1.0 are the same temperature), everything else as given. The map compares the
/// full key text, never only its hash: a hash collision is a miss, not another request's answer.
///
/// Shared: made with a `SharedCache` (a State whose `StateConfig::shared` is a Redis backend
/// gets one, see redis/cache.hpp), an answer one process stored serves the others too. A local
/// miss asks the store (one round trip, only for cacheable requests); a hit is kept locally for
/// what is left of its TTL; an insertion is sent to the store without waiting. A store that can
/// not be reached is a miss, never an error: the cache only ever saves calls. How a value is
/// written in the store is the store's business (redis/cache.hpp writes a `Response` with
/// cached_response.hpp), so this header needs no JSON library.
///
/// ```cpp
/// governed::ResponseCache<Reply> cache;   // 30 s, 1024 entries, 64 MiB
/// auto key = governed::CacheKey::of("openai", "gpt-4o-mini", messages, {{"temperature", 0}});
/// if (key) if (auto hit = cache.find(*key, clock.now())) return *hit;
/// ... call ...
/// if (key) cache.insert(*key, reply, reply.content.size(), clock.now());
/// ```

#include <governed/error.hpp>
#include <governed/parameters.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/utf8.hpp>

#include <fmt/format.h>
#include <nlohmann/json_fwd.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace governed {

/// A request's identity in the cache: its key text and that text's hash.
///
/// The text is "v3:" and then fields, each its length in bytes (decimal), a colon and its
/// bytes. A field may hold any byte, a newline or a colon included, and still no two requests
/// write the same text; and since every field starts with a digit, no key followed by a
/// newline starts another key's text, which the shared cache's entries rely on
/// (redis/cache.hpp). "v2" held a request's messages as role and text only; before it a key
/// was one canonical JSON document.
class CacheKey {
 public:
  /// Writes a key's text field by field (see the class comment).
  class Writer {
   public:
    /// Text as one field; text that is not valid UTF-8 refuses the key.
    Writer& field(std::string_view text) {
      valid_utf8_ = valid_utf8_ && utf8::valid(text);
      return bytes(text);
    }
    /// Bytes as one field, whatever they hold (an image's): they reach the provider as they
    /// are, encoded, so they compare faithfully.
    Writer& bytes(std::string_view bytes) {
      fmt::format_to(std::back_inserter(text_), "{}:", bytes.size());
      text_.append(bytes);
      return *this;
    }
    Writer& number(std::uint64_t n) { return bytes(fmt::format("{}", n)); }
    /// Canonical JSON as one field; JSON that held invalid UTF-8 (replaced in its text)
    /// refuses the key.
    Writer& json(std::string_view text, bool valid_utf8) {
      valid_utf8_ = valid_utf8_ && valid_utf8;
      return field(text);
    }
    /// The key. Refused when a text field was not valid UTF-8: the request could not be
    /// compared faithfully (two different byte strings may reach a provider as the same text).
    Result<CacheKey> key() && {
      if (!valid_utf8_) return fail(Errc::invalid_argument, "the request is not valid UTF-8 and is not cached");
      CacheKey k;
      k.hash_ = std::hash<std::string_view>{}(text_);
      k.text_ = std::move(text_);
      return k;
    }

   private:
    std::string text_ = "v3:";
    bool valid_utf8_ = true;
  };

  /// The key of a request to `model` at `provider` with `messages` and `parameters`
  /// (temperature, max_tokens, tools, response format, ...), each JSON and compared in canonical
  /// form. A parameter that changes what the provider returns belongs in `parameters`; one
  /// that does not (a timeout) does not. Refused when the request is not valid UTF-8 (it could
  /// not be compared faithfully). A template only so that this header needs no more than
  /// nlohmann/json_fwd.hpp: `Json` is nlohmann::json.
  template <class Json>
    requires std::same_as<Json, nlohmann::json>
  static Result<CacheKey> of(std::string_view provider, std::string_view model, const Json& messages,
                             const Json& parameters = Json::object()) {
    const auto m = detail::canonical_json(messages);
    const auto p = detail::canonical_json(parameters);
    return std::move(Writer{}.field(provider).field(model).json(m.text, m.valid_utf8).json(p.text, p.valid_utf8))
        .key();
  }

  /// The key of a whole request given as one JSON document.
  template <class Json>
    requires std::same_as<Json, nlohmann::json>
  static Result<CacheKey> of_request(const Json& request) {
    const auto whole = detail::canonical_json(request);
    return std::move(Writer{}.json(whole.text, whole.valid_utf8)).key();
  }

  const std::string& canonical() const noexcept { return text_; }
  std::size_t hash() const noexcept { return hash_; }
  friend bool operator==(const CacheKey& a, const CacheKey& b) noexcept {
    return a.hash_ == b.hash_ && a.text_ == b.text_;
  }

 private:
  std::string text_;
  std::size_t hash_ = 0;
};

namespace detail {

/// The figures of `request` that change its answer, as the canonical JSON object they would
/// make: {"max_tokens":1024,"n":1} and, when set, "temperature" in its shortest form, which
/// writes an integral temperature as the integer (1.0 as 1, -0.0 as 0).
inline std::string answer_figures(const Request& request) {
  std::string out = fmt::format(R"({{"max_tokens":{},"n":{})", request.max_tokens, request.n);
  if (request.temperature) {
    const double t = *request.temperature == 0 ? 0.0 : *request.temperature;
    fmt::format_to(std::back_inserter(out), R"(,"temperature":{})", t);
  }
  out += '}';
  return out;
}

}  // namespace detail

namespace detail {

/// An optional number as a field: empty when unset, else its shortest form (-0.0 as 0).
inline std::string optional_figure(const std::optional<double>& v) {
  if (!v) return {};
  return fmt::format("{}", *v == 0 ? 0.0 : *v);
}

/// What of a part reaches the provider; a cache mark changes the price, not the answer.
inline void key_part(CacheKey::Writer& w, const ContentPart& p) {
  w.number(static_cast<std::uint64_t>(p.kind)).field(p.text).field(p.url).bytes(p.data).field(p.media_type);
  w.number(static_cast<std::uint64_t>(p.detail)).field(p.title);
}

/// A message whole: its text, parts, tool calls, the result it carries, and its reasoning
/// with the provider that wrote it (which decides whether the reasoning is sent).
inline void key_message(CacheKey::Writer& w, const Message& m) {
  w.field(m.role).field(m.content).number(m.parts.size());
  for (const auto& p : m.parts) key_part(w, p);
  w.number(m.tool_calls.size());
  for (const auto& c : m.tool_calls)
    w.field(c.id).field(c.name).field(c.arguments).number(c.arguments_object).field(c.signature);
  w.field(m.tool_call_id).field(m.name).number(m.is_error).number(m.reasoning.size());
  for (const auto& r : m.reasoning) w.field(r.text).field(r.signature).field(r.redacted);
  w.field(m.origin);
}

/// The tools, the tool choice and the output format, which shape the answer.
inline void key_tools_and_output(CacheKey::Writer& w, const Request& request) {
  w.number(request.tools.size());
  for (const auto& t : request.tools)
    w.field(t.name).field(t.description).json(t.parameters.text(), t.parameters.valid_utf8()).number(t.strict);
  w.number(static_cast<std::uint64_t>(request.tool_choice.mode)).field(request.tool_choice.name);
  w.number(request.parallel_tool_calls ? 1 + *request.parallel_tool_calls : 0);
  const auto& o = request.output;
  w.number(static_cast<std::uint64_t>(o.kind)).field(o.name).json(o.schema.text(), o.schema.valid_utf8());
  w.number(o.strict);
}

/// The typed figures beyond `answer_figures`: stop texts, seed, top_p and reasoning. The user
/// and the metadata change no answer and stay out.
inline void key_sampling(CacheKey::Writer& w, const Request& request) {
  w.number(request.stop.size());
  for (const auto& s : request.stop) w.field(s);
  w.field(request.seed ? fmt::format("{}", *request.seed) : std::string{});
  w.field(optional_figure(request.top_p));
  const auto& r = request.reasoning;
  w.field(r && r->effort ? to_string(*r->effort) : std::string_view{});
  w.field(r && r->budget_tokens ? fmt::format("{}", *r->budget_tokens) : std::string{});
  w.number(r ? 1 + r->include_thoughts : 0);
}

}  // namespace detail

/// The cache key of `request` sent to `model` at `provider`: its messages whole (text, parts,
/// tool calls and results, reasoning), its own parameters, the figures that change the answer
/// (max_tokens, n, temperature, stop, seed, top_p, reasoning), its tools and output format.
/// The names are the model the call asked for, so a call that fell back is found again.
inline Result<CacheKey> cache_key_of(std::string_view provider, std::string_view model, const Request& request) {
  CacheKey::Writer w;
  w.field(provider).field(model).number(request.messages.size());
  for (const auto& m : request.messages) detail::key_message(w, m);
  w.json(request.parameters.text(), request.parameters.valid_utf8());
  w.field(detail::answer_figures(request));
  detail::key_tools_and_output(w, request);
  detail::key_sampling(w, request);
  return std::move(w).key();
}

/// Values kept outside the process, read and written by every process sharing the store. The
/// store writes a value as it likes: `Value` needs nothing to travel.
template <class Value>
class BasicSharedCache {
 public:
  /// A value the store holds: what it occupies there, and how long it has left.
  struct Hit {
    Value value;
    std::size_t bytes = 0;
    Duration left{0};
  };

  virtual ~BasicSharedCache() = default;
  /// The value stored for `key`; empty on a miss (a value stored for another request whose
  /// hash collided, or one that does not read as a `Value`, is a miss).
  virtual Result<std::optional<Hit>> get(const CacheKey& key) = 0;
  /// Stores `value` for `key` for `ttl`; nobody waits for it.
  virtual void put(const CacheKey& key, const Value& value, Duration ttl) noexcept = 0;
};

/// The store of a State's response cache (`SharedBackend::cache`).
using SharedCache = BasicSharedCache<Response>;

struct CacheConfig {
  Duration ttl = std::chrono::seconds{30};  ///< 0 or less: nothing is stored
  std::size_t max_entries = 1024;          ///< 0: nothing is stored
  /// Bound on the keys plus the values' stated sizes; an entry larger than this is not stored.
  std::size_t max_bytes = std::size_t{64} << 20;
};

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;       ///< expired lookups included
  std::uint64_t insertions = 0;
  std::uint64_t replacements = 0;  ///< insertions that replaced an entry of the same key
  std::uint64_t evictions = 0;    ///< pushed out by the LRU bound
  std::uint64_t expirations = 0;  ///< found or purged past their TTL
  std::uint64_t shared_hits = 0;  ///< local misses the shared store answered (counted in misses too)
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

/// A bounded LRU of responses with a TTL. Thread-safe (one mutex; a lookup holds it for one
/// hash-table probe, one string compare and one list splice). Values are shared, immutable:
/// a hit hands out a reference-counted pointer, never a copy of the body.
template <class Value>
class ResponseCache {
 public:
  explicit ResponseCache(CacheConfig config = {}, std::shared_ptr<BasicSharedCache<Value>> shared = nullptr)
      : config_(config), shared_(std::move(shared)) {}
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  /// The fresh response for `key`, or nullptr. An expired entry is dropped on the way. Shared:
  /// a local miss asks the store.
  std::shared_ptr<const Value> find(const CacheKey& key, Instant now) {
    if (auto local = find_local(key, now); local || !shared_) return local;
    auto got = shared_->get(key);
    if (!got || !*got) return nullptr;
    auto kept = std::make_shared<const Value>(std::move((*got)->value));
    // Kept here for what is left of it in the store, so no process serves it longer.
    store_local(key, kept, (*got)->bytes, now, std::min((*got)->left, config_.ttl));
    std::lock_guard lk(m_);
    ++stats_.shared_hits;
    return kept;
  }

  /// Whether answers are shared with other processes.
  bool shared() const noexcept { return shared_ != nullptr; }

 private:
  std::shared_ptr<const Value> find_local(const CacheKey& key, Instant now) {
    std::lock_guard lk(m_);
    auto it = index_.find(Ref{key.canonical(), key.hash()});
    if (it == index_.end()) {
      ++stats_.misses;
      return nullptr;
    }
    auto entry = it->second;
    if (now >= entry->expires) {
      erase(entry);
      ++stats_.expirations;
      ++stats_.misses;
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, entry);
    ++stats_.hits;
    return entry->value;
  }

 public:

  /// Stores `value` for `key` until `now + ttl`, replacing an entry of the same key, then
  /// evicts the least recently used entries until both bounds hold. `value_bytes`: what the
  /// value occupies (its body's size is a good figure). False when it was not stored.
  bool insert(const CacheKey& key, Value value, std::size_t value_bytes, Instant now) {
    if (config_.ttl <= Duration::zero()) return false;
    if (shared_) shared_->put(key, value, config_.ttl);
    return store_local(key, std::make_shared<const Value>(std::move(value)), value_bytes, now, config_.ttl);
  }

 private:
  bool store_local(const CacheKey& key, std::shared_ptr<const Value> shared, std::size_t value_bytes, Instant now,
                   Duration ttl) {
    const std::size_t bytes = key.canonical().size() + value_bytes;
    if (ttl <= Duration::zero() || config_.max_entries == 0 || bytes > config_.max_bytes) return false;
    std::lock_guard lk(m_);
    if (auto it = index_.find(Ref{key.canonical(), key.hash()}); it != index_.end()) {
      erase(it->second);
      ++stats_.replacements;
    }
    lru_.push_front(Entry{key.canonical(), key.hash(), std::move(shared), now + ttl, bytes});
    index_.emplace(Ref{lru_.front().key, lru_.front().hash}, lru_.begin());
    bytes_ += bytes;
    ++stats_.insertions;
    while (lru_.size() > config_.max_entries || bytes_ > config_.max_bytes) {
      erase(std::prev(lru_.end()));
      ++stats_.evictions;
    }
    return true;
  }

 public:

  /// Drops every expired entry; returns how many. Lookups drop expired entries they meet, so
  /// this only frees memory sooner.
  std::size_t purge_expired(Instant now) {
    std::lock_guard lk(m_);
    std::size_t n = 0;
    for (auto it = lru_.begin(); it != lru_.end();) {
      auto next = std::next(it);
      if (now >= it->expires) {
        erase(it);
        ++n;
      }
      it = next;
    }
    stats_.expirations += n;
    return n;
  }

  void clear() {
    std::lock_guard lk(m_);
    index_.clear();
    lru_.clear();
    bytes_ = 0;
  }

  CacheStats stats() const {
    std::lock_guard lk(m_);
    CacheStats s = stats_;
    s.entries = lru_.size();
    s.bytes = bytes_;
    return s;
  }

  const CacheConfig& config() const noexcept { return config_; }

 private:
  struct Entry {
    std::string key;
    std::size_t hash;
    std::shared_ptr<const Value> value;
    Instant expires;
    std::size_t bytes;
  };
  using Iter = typename std::list<Entry>::iterator;

  // The index refers to the key text inside its list node, which never moves.
  struct Ref {
    std::string_view text;
    std::size_t hash;
  };
  struct RefHash {
    std::size_t operator()(const Ref& r) const noexcept { return r.hash; }
  };
  struct RefEq {
    bool operator()(const Ref& a, const Ref& b) const noexcept { return a.hash == b.hash && a.text == b.text; }
  };

  void erase(Iter e) {
    index_.erase(Ref{e->key, e->hash});
    bytes_ -= e->bytes;
    lru_.erase(e);
  }

  CacheConfig config_;
  std::shared_ptr<BasicSharedCache<Value>> shared_;
  mutable std::mutex m_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<Ref, Iter, RefHash, RefEq> index_;
  std::size_t bytes_ = 0;
  CacheStats stats_;
};

}  // namespace governed
