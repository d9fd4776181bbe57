#pragma once
/// @file
/// The response cache in Redis: an answer to a cacheable request that one process stored
/// serves the same request from every other process until its TTL ends.
///
/// Key: `governed:<namespace>:cache:{<namespace>|cache|<sha1>}`, the SHA-1 of the request's
/// key text (see `CacheKey`), in a hash tag of its own so entries spread over a Redis Cluster.
/// The value is the key text, a newline and the answer as `CacheCodec<Response>` writes it
/// (cached_response.hpp): a lookup compares the whole request, so two requests whose digests
/// collide miss rather than answer each other. Stored with SET … PX (Redis drops it at the
/// TTL), sent without waiting for the reply; read with GET and PTTL in one script, so a hit is
/// kept locally only for what is left of it. Entries written before the key text's current
/// form ("v3", cache.hpp) are under other digests: each is a miss once, then written anew.

#include <governed/cache.hpp>
#include <governed/cached_response.hpp>
#include <governed/redis/client.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed::redis {

/// KEYS[1]: an entry. Replies {value, milliseconds left}, or nil when there is none.
inline const Script& cache_get_script() {
  static const Script s{R"lua(-- governed: read a shared cache entry and what is left of its TTL
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
)lua"};
  return s;
}

/// KEYS[1]: an entry. ARGV: its value, its TTL (ms).
inline const Script& cache_put_script() {
  static const Script s{R"lua(-- governed: store a shared cache entry
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
)lua"};
  return s;
}

/// The response cache's store in Redis (see the file comment).
class RedisCache final : public SharedCache {
 public:
  /// `prefix`: `governed:<namespace>:cache:`; `name_space` goes into each entry's hash tag.
  RedisCache(std::shared_ptr<ScriptRunner> redis, std::string prefix, std::string name_space)
      : redis_(std::move(redis)), prefix_(std::move(prefix)), ns_(std::move(name_space)) {}

  Result<std::optional<Hit>> get(const CacheKey& key) override {
    const std::string k = this->key(key);
    const std::array<std::string_view, 1> keys{k};
    auto r = redis_->eval(cache_get_script(), keys, std::span<const std::string_view>{});
    if (!r) return tl::unexpected(r.error());
    if (r->is_nil()) return std::optional<Hit>{};
    const auto& e = r->elements;
    if (r->type != RespReply::Type::array || e.size() != 2 || e[0].type != RespReply::Type::string ||
        e[1].type != RespReply::Type::integer)
      return fail(Errc::parse_error, fmt::format("Redis at {} answered the cache script with something else than it "
                                                 "returns",
                                                 redis_->describe()));
    const auto answer = answer_of(e[0].text, key);
    if (!answer || e[1].integer <= 0) return std::optional<Hit>{};
    auto response = CacheCodec<Response>::decode(*answer);
    if (!response) return std::optional<Hit>{};
    return std::optional<Hit>{Hit{std::move(*response), answer->size(),
                                  std::chrono::duration_cast<Duration>(std::chrono::milliseconds{e[1].integer})}};
  }

  void put(const CacheKey& key, const Response& answer, Duration ttl) noexcept override {
    try {
      const std::string k = this->key(key);
      const std::string value = key.canonical() + '\n' + CacheCodec<Response>::encode(answer);
      const std::string ms =
          std::to_string(std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(ttl).count()));
      const std::array<std::string_view, 1> keys{k};
      const std::array<std::string_view, 2> args{value, ms};
      // Lost if Redis is out of reach: the answer then stays in this process only.
      (void)redis_->eval_later(cache_put_script(), keys, args);
    } catch (...) {
      // Out of memory: kept locally only.
    }
  }

  /// The Redis key of `key`'s entry.
  std::string key(const CacheKey& key) const {
    return fmt::format("{}{{{}|cache|{}}}", prefix_, ns_, Script::digest(key.canonical()));
  }

  /// The answer in `stored` when it was stored for `key`: the key's text and a newline come
  /// first. No other key's text does: a key followed by a newline is never the start of
  /// another key (see `CacheKey`).
  static std::optional<std::string_view> answer_of(std::string_view stored, const CacheKey& key) {
    const std::string_view text = key.canonical();
    if (stored.size() <= text.size() || stored.substr(0, text.size()) != text || stored[text.size()] != '\n')
      return std::nullopt;
    return stored.substr(text.size() + 1);
  }

 private:
  std::shared_ptr<ScriptRunner> redis_;
  std::string prefix_;
  std::string ns_;
};

}  // namespace governed::redis
